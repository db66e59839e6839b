//! Outside channels: DingTalk, WeCom and Feishu custom robots with their signing schemes, a generic
//! webhook signed with HMAC-SHA256, and email over SMTP. Each send either succeeds or returns the
//! reason it failed; retries and rate limits belong to the job that calls it.

use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::model::ChannelKind;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = HmacSha256::new_from_slice(key).expect("hmac takes any key length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

/// DingTalk: `base64(HMAC-SHA256(key = secret, msg = timestamp + "\n" + secret))`, timestamp in ms.
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    let msg = format!("{timestamp_ms}\n{secret}");
    base64::engine::general_purpose::STANDARD.encode(hmac(secret.as_bytes(), msg.as_bytes()))
}

/// Feishu: `base64(HMAC-SHA256(key = timestamp + "\n" + secret, msg = ""))`, timestamp in seconds.
pub fn feishu_sign(timestamp_s: i64, secret: &str) -> String {
    let key = format!("{timestamp_s}\n{secret}");
    base64::engine::general_purpose::STANDARD.encode(hmac(key.as_bytes(), b""))
}

/// Generic webhook: `sha256=` + hex(HMAC-SHA256(key = secret, msg = timestamp + "." + body)).
pub fn webhook_sign(timestamp_ms: i64, secret: &str, body: &[u8]) -> String {
    let mut msg = format!("{timestamp_ms}.").into_bytes();
    msg.extend_from_slice(body);
    format!("sha256={}", hex::encode(hmac(secret.as_bytes(), &msg)))
}

/// The certificates of a PEM file of extra CAs; an unreadable file or one without a
/// certificate is an error naming the problem.
pub fn load_ca(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(path).map_err(|e| e.to_string())?;
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err("no PEM certificate (-----BEGIN CERTIFICATE-----) in the file".into());
    }
    reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| format!("not a PEM certificate: {e}"))
}

/// What one send attempt leaves on its delivery row: (status, reason, sent_at). A failure stays
/// `queued` (with its reason) while the job queue will retry it, and is `failed` at the last
/// attempt.
pub fn settle(
    result: &Result<(), String>,
    last: bool,
    now: i64,
) -> (&'static str, Option<String>, Option<i64>) {
    match result {
        Ok(()) => ("sent", None, Some(now)),
        Err(e) if last => ("failed", Some(e.clone()), None),
        Err(e) => ("queued", Some(e.clone()), None),
    }
}

/// The HTTP client of robots and webhooks: https through rustls with the bundled Mozilla roots
/// (webpki-roots) plus the extra CAs of `ca_file`; redirects are not followed.
pub fn http_client(ca_file: Option<&std::path::Path>) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .redirect(reqwest::redirect::Policy::none());
    if let Some(path) = ca_file {
        for cert in load_ca(path)? {
            b = b.add_root_certificate(cert);
        }
    }
    b.build().map_err(|e| e.to_string())
}

/// An error with its causes ("error sending request: … invalid peer certificate: UnknownIssuer").
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let c_s = c.to_string();
        if !s.contains(&c_s) {
            s.push_str(": ");
            s.push_str(&c_s);
        }
        cur = c.source();
    }
    s
}

/// What one robot or webhook message says.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Post {
    pub campaign_id: i64,
    pub title: String,
    pub summary: String,
    pub link: String,
    pub fraud_type: String,
}

/// A configured outside channel.
#[derive(Clone, Debug)]
pub struct Target {
    pub kind: ChannelKind,
    pub url: String,
    pub secret: Option<String>,
}

/// Posts `post` to a robot or webhook. Non-2xx answers, timeouts, and robots' own error codes
/// (`errcode`/`code` not 0) are failures with a reason.
pub async fn post(
    client: &reqwest::Client,
    t: &Target,
    post: &Post,
    now_ms: i64,
    timeout: Duration,
) -> Result<(), String> {
    let m = Message {
        title: post.title.clone(),
        summary: post.summary.clone(),
        link: post.link.clone(),
        webhook_body: serde_json::json!({"event": "campaign.sent", "campaign": post}),
    };
    post_message(client, t, &m, now_ms, timeout).await
}

/// Any module's message to a robot or webhook: robots show title, summary and link; a generic
/// webhook receives `webhook_body` as signed JSON.
#[derive(Clone, Debug)]
pub struct Message {
    pub title: String,
    pub summary: String,
    pub link: String,
    pub webhook_body: serde_json::Value,
}

/// Posts a message to a robot or webhook (see [`post`]; used by the warnings module too).
pub async fn post_message(
    client: &reqwest::Client,
    t: &Target,
    post: &Message,
    now_ms: i64,
    timeout: Duration,
) -> Result<(), String> {
    let text = format!("{}\n\n{}\n\n{}", post.title, post.summary, post.link);
    let secret = t.secret.clone().unwrap_or_default();
    let req = match t.kind {
        ChannelKind::Dingtalk => client
            .post(&t.url)
            .query(&[
                ("timestamp", now_ms.to_string()),
                ("sign", dingtalk_sign(now_ms, &secret)),
            ])
            .json(&serde_json::json!({
                "msgtype": "markdown",
                "markdown": {"title": post.title, "text": format!("### {}\n\n{}\n\n[{}]({})", post.title, post.summary, post.link, post.link)},
            })),
        ChannelKind::Wecom => client.post(&t.url).json(&serde_json::json!({
            "msgtype": "markdown",
            "markdown": {"content": format!("**{}**\n{}\n[{}]({})", post.title, post.summary, post.link, post.link)},
        })),
        ChannelKind::Feishu => {
            let ts = now_ms / 1000;
            client.post(&t.url).json(&serde_json::json!({
                "timestamp": ts.to_string(),
                "sign": feishu_sign(ts, &secret),
                "msg_type": "text",
                "content": {"text": text},
            }))
        }
        ChannelKind::Webhook => {
            let body = serde_json::to_vec(&post.webhook_body).map_err(|e| e.to_string())?;
            client
                .post(&t.url)
                .header("content-type", "application/json")
                .header("x-fanzha-timestamp", now_ms.to_string())
                .header("x-fanzha-signature", webhook_sign(now_ms, &secret, &body))
                .body(body)
        }
        ChannelKind::Email => return Err("email is not a robot channel".into()),
    };
    let resp = req.timeout(timeout).send().await.map_err(|e| {
        if e.is_timeout() {
            format!("timed out after {} ms", timeout.as_millis())
        } else {
            format!("could not reach the receiver: {}", with_causes(&e))
        }
    })?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("receiver answered {status}"));
    }
    if t.kind != ChannelKind::Webhook {
        // Robots answer 200 with their own error code on refusal (bad signature, rate limit).
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let code = v
            .get("errcode")
            .or_else(|| v.get("code"))
            .and_then(|c| c.as_i64())
            .unwrap_or(0);
        if code != 0 {
            let msg = v
                .get("errmsg")
                .or_else(|| v.get("msg"))
                .and_then(|m| m.as_str())
                .unwrap_or("");
            return Err(format!("robot refused: {code} {msg}"));
        }
    }
    Ok(())
}

/// One email.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Sends `mail` through the SMTP relay at `smtp://host:port` (no TLS: a local relay or a relay on
/// a trusted network, as campus mail gateways usually are).
pub async fn send_mail(relay: &str, mail: &Mail, timeout: Duration) -> Result<(), String> {
    use lettre::message::header::ContentType;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let hp = relay
        .strip_prefix("smtp://")
        .ok_or("relay is not smtp://")?;
    let (host, port) = hp.rsplit_once(':').ok_or("relay without port")?;
    let port: u16 = port.parse().map_err(|_| "relay port is not a number")?;
    let msg = Message::builder()
        .from(mail.from.parse().map_err(|e| format!("bad sender: {e}"))?)
        .to(mail.to.parse().map_err(|e| format!("bad address: {e}"))?)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| e.to_string())?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(timeout))
        .build();
    transport
        .send(msg)
        .await
        .map(|_| ())
        .map_err(|e| format!("smtp: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_published_schemes() {
        // Recomputed independently of the helpers above, from the vendors' descriptions.
        let secret = "SECabc";
        let ts = 1_700_000_000_000i64;
        let mut m = HmacSha256::new_from_slice(secret.as_bytes()).unwrap();
        m.update(format!("{ts}\n{secret}").as_bytes());
        let want = base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes());
        assert_eq!(dingtalk_sign(ts, secret), want);

        let mut m = HmacSha256::new_from_slice(format!("1700000000\n{secret}").as_bytes()).unwrap();
        m.update(b"");
        let want = base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes());
        assert_eq!(feishu_sign(1_700_000_000, secret), want);

        let s = webhook_sign(5, "k", b"{}");
        assert!(s.starts_with("sha256=") && s.len() == 7 + 64);
        assert_ne!(webhook_sign(5, "k", b"{}"), webhook_sign(6, "k", b"{}"));
    }
}

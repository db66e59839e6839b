//! Campaigns: robots and webhooks over https. A local TLS receiver with a certificate made in the
//! test (rcgen) takes a DingTalk robot message and a signed webhook when the app trusts its CA
//! through `channel_ca_file`; without that CA the deliveries fail with a certificate reason after
//! their retries; a CA file that is missing or holds no certificate stops the configuration.

use std::sync::{Arc, Mutex};

use crate::common::*;
use base64::Engine as _;
use fanzha::auth::model::Scope;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

const RW: &[Scope] = &[Scope::CampaignsRead, Scope::CampaignsWrite];
const DING: &str = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";
const HOOK: &str = "a-webhook-secret-of-enough-length";

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

type Hits = Arc<Mutex<Vec<(String, bool)>>>;

/// An https receiver on 127.0.0.1 for `localhost`, with a fresh self-signed certificate. Returns
/// its base URL, the certificate as PEM, and the hits: (path, signature verified).
async fn tls_receiver() -> (String, String, Hits) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_pem = ck.cert.pem();
    let cert = rustls::pki_types::CertificateDer::from(ck.cert.der().to_vec());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        ck.key_pair.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits: Hits = Arc::default();
    let h = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, h) = (acceptor.clone(), h.clone());
            tokio::spawn(async move {
                // A client that does not trust the certificate aborts the handshake here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Some((head, body)) = read_request(&mut tls).await else {
                    return;
                };
                let verified = verify(&head, &body);
                let target = head.split(' ').nth(1).unwrap_or_default();
                let path = target.split('?').next().unwrap_or_default();
                h.lock()
                    .unwrap()
                    .push((path.trim_start_matches('/').to_string(), verified));
                let answer = br#"{"errcode":0,"errmsg":"ok"}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    answer.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.write_all(answer).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://localhost:{port}"), cert_pem, hits)
}

/// Reads one HTTP/1.1 request: the head (request line and headers) and a Content-Length body.
async fn read_request<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// DingTalk: `sign` and `timestamp` query parameters; webhook: `X-Fanzha-Signature`.
fn verify(head: &str, body: &[u8]) -> bool {
    let target = head.split(' ').nth(1).unwrap_or_default();
    if target.starts_with("/ding") {
        let Ok(u) = reqwest::Url::parse(&format!("https://localhost{target}")) else {
            return false;
        };
        let q: std::collections::HashMap<String, String> = u.query_pairs().into_owned().collect();
        let (Some(ts), Some(sign)) = (q.get("timestamp"), q.get("sign")) else {
            return false;
        };
        let want = base64::engine::general_purpose::STANDARD
            .encode(hmac(DING.as_bytes(), format!("{ts}\n{DING}").as_bytes()));
        let v: Value = serde_json::from_slice(body).unwrap_or_default();
        q.get("access_token").map(String::as_str) == Some("t1")
            && *sign == want
            && v["markdown"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("防刷单"))
    } else {
        let (Some(ts), Some(sig)) = (
            header(head, "x-fanzha-timestamp"),
            header(head, "x-fanzha-signature"),
        ) else {
            return false;
        };
        let mut msg = format!("{ts}.").into_bytes();
        msg.extend_from_slice(body);
        sig == format!("sha256={}", hex::encode(hmac(HOOK.as_bytes(), &msg)))
    }
}

/// Publishes an article, configures the two https channels and sends a campaign through them;
/// returns the campaign's robot deliveries after the queue is drained.
async fn send_over_https(app: &TestApp, base: &str) -> Vec<Value> {
    let police = app.token("police1", RW).await;
    let admin = app.token("admin1", RW).await;
    let (s, c) = post_json_read(
        app,
        &police,
        "/api/v1/campaigns/contents",
        json!({"unit": "SCH1", "kind": "article", "title": "刷单返利防范",
               "body_md": "先垫付的刷单都是诈骗。", "fraud_types": ["rebate_task"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let content = c["id"].as_i64().unwrap();
    for (who, step) in [(&police, "submit"), (&admin, "publish")] {
        let (s, c) = post_json_read(
            app,
            who,
            &format!("/api/v1/campaigns/contents/{content}/{step}"),
            json!({}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{c}");
    }
    let mut ids = Vec::new();
    for (kind, url, secret) in [
        ("dingtalk", format!("{base}/ding?access_token=t1"), DING),
        ("webhook", format!("{base}/hook"), HOOK),
    ] {
        let (s, c) = post_json_read(
            app,
            &admin,
            "/api/v1/campaigns/channels",
            json!({"unit": "SCH1", "kind": kind, "name": kind, "url": url, "secret": secret}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        ids.push(c["id"].as_i64().unwrap());
    }
    let (s, c) = post_json_read(app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": "开学季防刷单", "content_id": content, "fraud_type": "rebate_task", "channels": ids})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    for _ in 0..8 {
        app.runner.run_until_idle().await.unwrap();
        app.state.clock.advance_ms(3_600_000);
    }
    let r = app
        .api_get(&admin, &format!("/api/v1/campaigns/{cid}"))
        .await;
    let c: Value = r.json().await.unwrap();
    c["robots"].as_array().unwrap().clone()
}

#[tokio::test]
async fn https_robots_and_webhooks_work_with_a_trusted_ca() {
    let (base, pem, hits) = tls_receiver().await;
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), pem).unwrap();
    let ca_path = ca.path().to_path_buf();
    let app = spawn_app_with(
        move |c| {
            c.channel_ca_file = Some(ca_path);
            c.channel_timeout_ms = 5_000;
        },
        true,
    )
    .await;
    let robots = send_over_https(&app, &base).await;
    assert_eq!(robots.len(), 2);
    for r in &robots {
        assert_eq!(r["status"], "sent", "{r}");
    }
    let hits = hits.lock().unwrap().clone();
    for name in ["ding", "hook"] {
        let h: Vec<_> = hits.iter().filter(|(n, _)| n == name).collect();
        assert_eq!(h.len(), 1, "{name} exactly once over https: {hits:?}");
        assert!(h[0].1, "{name} signature verified");
    }
}

#[tokio::test]
async fn an_untrusted_certificate_fails_with_the_reason() {
    let (base, _pem, hits) = tls_receiver().await;
    let app = spawn_app_with(|c| c.channel_timeout_ms = 5_000, true).await;
    let robots = send_over_https(&app, &base).await;
    assert_eq!(robots.len(), 2);
    for r in &robots {
        assert_eq!(r["status"], "failed", "{r}");
        let reason = r["reason"].as_str().unwrap().to_lowercase();
        assert!(reason.contains("certificate"), "{reason}");
    }
    assert!(
        hits.lock().unwrap().is_empty(),
        "nothing delivered without trust"
    );
}

#[test]
fn a_ca_file_that_is_missing_or_not_a_certificate_stops_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("fanzha.toml");
    let missing = dir.path().join("missing.pem");
    std::fs::write(
        &toml,
        format!("channel_ca_file = {:?}\n", missing.display().to_string()),
    )
    .unwrap();
    let e = fanzha::config::Config::load(Some(&toml)).unwrap_err();
    assert!(e.to_string().contains("missing.pem"), "{e}");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    std::fs::write(
        &toml,
        format!("channel_ca_file = {:?}\n", junk.display().to_string()),
    )
    .unwrap();
    let e = fanzha::config::Config::load(Some(&toml)).unwrap_err();
    assert!(e.to_string().contains("no PEM certificate"), "{e}");
}

//! Campaigns through outside channels against real local receivers (DingTalk, WeCom, Feishu
//! robots, a signed webhook, SMTP): signatures, retries, timeouts, rate limits and no duplicates.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::flows::{drain, published_content, RW};
use crate::common::smtp::smtp_receiver;
use crate::common::*;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

type Hits = Arc<Mutex<Vec<(String, bool)>>>;

const DING: &str = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";
const FEISHU: &str = "feishuSecret0123";
const HOOK: &str = "hook-secret-0123456789";

fn b64_hmac(key: &[u8], msg: &[u8]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(msg);
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

/// A local receiver of every robot format; it verifies each signature and records the hit.
async fn receiver() -> (String, Hits) {
    use axum::extract::{Query, State};
    use axum::http::HeaderMap;
    use axum::routing::post;
    use std::collections::HashMap;
    let hits: Hits = Arc::default();
    let app = axum::Router::new()
        .route("/ding", post(|State(h): State<Hits>, Query(q): Query<HashMap<String, String>>, body: String| async move {
            let ts = q.get("timestamp").cloned().unwrap_or_default();
            let ok = q.get("sign") == Some(&b64_hmac(DING.as_bytes(), format!("{ts}\n{DING}").as_bytes()))
                && q.get("access_token").map(String::as_str) == Some("t1")
                && body.contains("\"msgtype\":\"markdown\"");
            h.lock().unwrap().push(("ding".into(), ok));
            axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
        }))
        .route("/feishu", post(|State(h): State<Hits>, axum::Json(v): axum::Json<Value>| async move {
            let ts = v["timestamp"].as_str().unwrap_or_default();
            let ok = v["sign"].as_str() == Some(&b64_hmac(format!("{ts}\n{FEISHU}").as_bytes(), b""));
            h.lock().unwrap().push(("feishu".into(), ok));
            axum::Json(json!({"code": 0, "msg": "success"}))
        }))
        .route("/wecom", post(|State(h): State<Hits>, Query(q): Query<HashMap<String, String>>, axum::Json(v): axum::Json<Value>| async move {
            let ok = q.get("key").map(String::as_str) == Some("wk") && v["markdown"]["content"].as_str().is_some_and(|c| c.contains("防刷单"));
            h.lock().unwrap().push(("wecom".into(), ok));
            axum::Json(json!({"errcode": 0}))
        }))
        .route("/hook", post(|State(h): State<Hits>, headers: HeaderMap, body: axum::body::Bytes| async move {
            let ts = headers["x-fanzha-timestamp"].to_str().unwrap().to_string();
            let mut m = Hmac::<Sha256>::new_from_slice(HOOK.as_bytes()).unwrap();
            m.update(format!("{ts}.").as_bytes());
            m.update(&body);
            let want = format!("sha256={}", hex::encode(m.finalize().into_bytes()));
            let ok = headers["x-fanzha-signature"].to_str().unwrap() == want;
            h.lock().unwrap().push(("hook".into(), ok));
            "ok"
        }))
        .route("/fail", post(|State(h): State<Hits>| async move {
            h.lock().unwrap().push(("fail".into(), true));
            (StatusCode::INTERNAL_SERVER_ERROR, "boom")
        }))
        .route("/slow", post(|State(h): State<Hits>| async move {
            h.lock().unwrap().push(("slow".into(), true));
            tokio::time::sleep(Duration::from_secs(3)).await;
            "late"
        }))
        .with_state(hits.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (base, hits)
}

#[tokio::test]
async fn robots_and_webhooks_are_signed_retried_and_failed_with_a_reason() {
    let app = spawn_app_with(|c| c.channel_timeout_ms = 300, true).await;
    let (base, hits) = receiver().await;
    let content = published_content(&app).await;
    let admin = app.token("admin1", RW).await;
    // Malformed secrets are refused, nothing stored.
    for (kind, url, secret) in [
        (
            "dingtalk",
            format!("{base}/ding?access_token=t1"),
            "not-a-secret",
        ),
        ("feishu", format!("{base}/feishu"), "x"),
        ("wecom", format!("{base}/wecom?key=wk"), "unexpected"),
        ("webhook", format!("{base}/hook"), "short"),
    ] {
        let (s, e) = post_json_read(
            &app,
            &admin,
            "/api/v1/campaigns/channels",
            json!({"unit": "SCH1", "kind": kind, "name": kind, "url": url, "secret": secret}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert_eq!(e["error"]["details"][0]["code"], "camp-err-secret");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_channels").await,
        0
    );
    let mut ids = Vec::new();
    for (kind, url, secret) in [
        (
            "dingtalk",
            format!("{base}/ding?access_token=t1"),
            Some(DING),
        ),
        ("feishu", format!("{base}/feishu"), Some(FEISHU)),
        ("wecom", format!("{base}/wecom?key=wk"), None),
        ("webhook", format!("{base}/hook"), Some(HOOK)),
        ("webhook", format!("{base}/fail"), Some(HOOK)),
        ("webhook", format!("{base}/slow"), Some(HOOK)),
    ] {
        let (s, c) = post_json_read(
            &app,
            &admin,
            "/api/v1/campaigns/channels",
            json!({"unit": "SCH1", "kind": kind, "name": kind, "url": url, "secret": secret}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        assert!(c.get("secret").is_none());
        ids.push(c["id"].as_i64().unwrap());
    }
    let (s, c) = post_json_read(&app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": "开学季防刷单", "content_id": content, "fraud_type": "rebate_task", "channels": ids})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    drain(&app).await;
    let hits = hits.lock().unwrap().clone();
    for name in ["ding", "feishu", "wecom", "hook"] {
        let h: Vec<_> = hits.iter().filter(|(n, _)| n == name).collect();
        assert_eq!(h.len(), 1, "{name} exactly once: {hits:?}");
        assert!(h[0].1, "{name} signature verified");
    }
    // 500 and timeouts: retried up to the limit, then failed with the reason.
    assert_eq!(hits.iter().filter(|(n, _)| n == "fail").count(), 4);
    assert_eq!(hits.iter().filter(|(n, _)| n == "slow").count(), 4);
    let (_, c) = get_json(&app, &admin, &format!("/api/v1/campaigns/{cid}")).await;
    let robots = c["robots"].as_array().unwrap();
    let by = |id: i64| {
        robots
            .iter()
            .find(|r| r["channel_id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by(ids[0])["status"], "sent");
    assert_eq!(by(ids[4])["status"], "failed");
    assert!(by(ids[4])["reason"].as_str().unwrap().contains("500"));
    assert_eq!(by(ids[5])["status"], "failed");
    assert!(by(ids[5])["reason"].as_str().unwrap().contains("timed out"));
}

#[tokio::test]
async fn email_goes_through_a_real_smtp_receiver() {
    let app = spawn_seeded().await;
    let (port, mails) = smtp_receiver().await;
    let content = published_content(&app).await;
    let admin = app.token("admin1", RW).await;
    let (s, e) = post_json_read(&app, &admin, "/api/v1/campaigns/channels", json!({"unit": "SCH1", "kind": "email", "name": "校园邮件", "url": "mail.example.edu.cn", "sender": "fanzha@example.edu.cn"})).await;
    assert_eq!(
        (s, e["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("camp-err-url"))
    );
    let (s, ch) = post_json_read(&app, &admin, "/api/v1/campaigns/channels", json!({"unit": "SCH1", "kind": "email", "name": "校园邮件", "url": format!("smtp://127.0.0.1:{port}"), "sender": "fanzha@example.edu.cn"})).await;
    assert_eq!(s, StatusCode::CREATED, "{ch}");
    let (s, _) = post_json_read(&app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": "邮件提醒", "content_id": content, "fraud_type": "rebate_task", "channels": [ch["id"]]})).await;
    assert_eq!(s, StatusCode::CREATED);
    drain(&app).await;
    // Only 张三 has an email address in the fixture.
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("zs@example.edu.cn"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM campaign_deliveries WHERE channel LIKE 'email:%' AND status = 'sent'").await, 1);
}

#[tokio::test]
async fn a_channel_rate_limit_defers_sends_without_failing_them() {
    let app = spawn_seeded().await;
    let (base, hits) = receiver().await;
    let content = published_content(&app).await;
    let admin = app.token("admin1", RW).await;
    let (s, e) = post_json_read(&app, &admin, "/api/v1/campaigns/channels", json!({"unit": "SCH1", "kind": "webhook", "name": "hook", "url": format!("{base}/hook"), "secret": HOOK, "rate_per_min": 0})).await;
    assert_eq!(
        (s, e["error"]["details"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("camp-err-rate"))
    );
    let (_, ch) = post_json_read(&app, &admin, "/api/v1/campaigns/channels", json!({"unit": "SCH1", "kind": "webhook", "name": "hook", "url": format!("{base}/hook"), "secret": HOOK, "rate_per_min": 1})).await;
    for t in ["第一条", "第二条"] {
        let (s, _) = post_json_read(&app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": t, "content_id": content, "fraud_type": "rebate_task", "channels": [ch["id"]]})).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(hits.lock().unwrap().len(), 1, "one per minute");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM campaign_robot_deliveries WHERE status = 'queued' AND attempts = 0").await, 1);
    app.state.clock.advance_ms(61_000);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(hits.lock().unwrap().len(), 2);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_robot_deliveries WHERE status = 'sent'")
            .await,
        2
    );
}

//! Warnings: email (a real local SMTP receiver) and robot webhook (a local axum receiver that
//! verifies the signatures) notices of a routed warning and of each escalation, sent through the
//! job queue with retries; a failing receiver never blocks routing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::smtp::smtp_receiver;
use crate::common::*;
use base64::Engine as _;
use fanzha::auth::model::Scope;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

const MIN: i64 = 60_000;
const DING: &str = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";
const HOOK: &str = "hook-secret-0123456789";

type Hits = Arc<Mutex<Vec<(String, bool, Value)>>>;

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = client()
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("cookie", "fz_lang=en")
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A local receiver: DingTalk and a generic webhook, each verifying its signature, and a receiver
/// that always fails.
async fn receiver() -> (String, Hits) {
    use axum::extract::{Query, State};
    use axum::http::HeaderMap;
    use axum::routing::post;
    use std::collections::HashMap;
    let hits: Hits = Arc::default();
    let app = axum::Router::new()
        .route(
            "/ding",
            post(
                |State(h): State<Hits>,
                 Query(q): Query<HashMap<String, String>>,
                 axum::Json(v): axum::Json<Value>| async move {
                    let ts = q.get("timestamp").cloned().unwrap_or_default();
                    let mut m = Hmac::<Sha256>::new_from_slice(DING.as_bytes()).unwrap();
                    m.update(format!("{ts}\n{DING}").as_bytes());
                    let want =
                        base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes());
                    let ok = q.get("sign") == Some(&want);
                    h.lock().unwrap().push(("ding".into(), ok, v));
                    axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
                },
            ),
        )
        .route(
            "/hook",
            post(
                |State(h): State<Hits>, headers: HeaderMap, body: axum::body::Bytes| async move {
                    let ts = headers["x-fanzha-timestamp"].to_str().unwrap().to_string();
                    let mut m = Hmac::<Sha256>::new_from_slice(HOOK.as_bytes()).unwrap();
                    m.update(format!("{ts}.").as_bytes());
                    m.update(&body);
                    let want = format!("sha256={}", hex::encode(m.finalize().into_bytes()));
                    let ok = headers["x-fanzha-signature"].to_str().unwrap() == want;
                    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                    h.lock().unwrap().push(("hook".into(), ok, v));
                    "ok"
                },
            ),
        )
        .route(
            "/fail",
            post(|State(h): State<Hits>| async move {
                h.lock().unwrap().push(("fail".into(), true, Value::Null));
                (StatusCode::INTERNAL_SERVER_ERROR, "boom")
            }),
        )
        .with_state(hits.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (base, hits)
}

async fn drain(app: &TestApp) {
    for _ in 0..6 {
        app.runner.run_until_idle().await.unwrap();
        app.state.clock.advance_ms(3_600_000);
    }
}

fn settings(channels: Value) -> Value {
    json!({"high_ack_min": "10", "high_contact_min": "60", "medium_ack_min": "60",
           "medium_contact_min": "1440", "low_ack_min": "1440", "low_contact_min": "4320",
           "weight_ack": "30", "weight_contact": "40", "weight_escalations": "20",
           "weight_victims": "10", "channels": channels})
}

#[tokio::test]
async fn routed_and_escalated_warnings_go_to_email_and_signed_robots_with_retries() {
    let app = spawn_app_with(|c| c.channel_timeout_ms = 500, true).await;
    let (base, hits) = receiver().await;
    let (port, mails) = smtp_receiver().await;
    sqlx::query("UPDATE accounts SET locale = 'en' WHERE username = 'counselor1'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    // The counselor (T1001) and the college leader (T1004) have email addresses.
    for (no, email) in [
        ("T1001", "chen@example.edu.cn"),
        ("T1004", "wu@example.edu.cn"),
    ] {
        sqlx::query("UPDATE staff SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(app.fx.staff[no])
            .execute(&app.state.db.pool)
            .await
            .unwrap();
    }
    let admin = app
        .token(
            "admin1",
            &[
                Scope::CampaignsRead,
                Scope::CampaignsWrite,
                Scope::WarningsRead,
                Scope::WarningsWrite,
            ],
        )
        .await;
    let mut ids = Vec::new();
    for (kind, url, secret, sender) in [
        (
            "dingtalk",
            format!("{base}/ding?access_token=t1"),
            Some(DING),
            None,
        ),
        ("webhook", format!("{base}/hook"), Some(HOOK), None),
        ("webhook", format!("{base}/fail"), Some(HOOK), None),
        (
            "email",
            format!("smtp://127.0.0.1:{port}"),
            None,
            Some("fanzha@example.edu.cn"),
        ),
    ] {
        let (s, c) = send(&app, reqwest::Method::POST, &admin, "/api/v1/campaigns/channels",
            json!({"unit": "SCH1", "kind": kind, "name": kind, "url": url, "secret": secret, "sender": sender})).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        ids.push(c["id"].as_i64().unwrap());
    }
    // A channel of another school, or no channel at all, is refused; nothing is stored.
    let (s, c) = send(
        &app,
        reqwest::Method::PUT,
        &admin,
        "/api/v1/warnings/settings/SCH1",
        settings(json!([ids[0], 999_999])),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{c}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM warning_channels").await, 0);
    // The counselor may not configure them.
    let t1 = app
        .token("counselor1", &[Scope::WarningsRead, Scope::WarningsWrite])
        .await;
    let (s, _) = send(
        &app,
        reqwest::Method::PUT,
        &t1,
        "/api/v1/warnings/settings/SCH1",
        settings(json!(ids)),
    )
    .await;
    assert!(
        matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{s}"
    );
    let (s, c) = send(
        &app,
        reqwest::Method::PUT,
        &admin,
        "/api/v1/warnings/settings/SCH1",
        settings(json!(ids)),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["channels"], json!(ids));

    // Issue: routing commits at once, whatever the receivers do later.
    let police = app
        .token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let (s, w) = send(&app, reqwest::Method::POST, &police, "/api/v1/warnings",
        json!({"phone": "13800001111", "fraud_type": "fake_loan", "severity": "high", "detail": "正在与冒充网贷客服的人通话", "source": "96110"})).await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let id = w["id"].as_i64().unwrap();
    assert_eq!(w["status"], "open");
    let counselor = app.fx.staff["T1001"];
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'staff:{counselor}' AND kind = 'warning'")).await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warning_notifications WHERE warning_id = {id} AND status = 'queued'"
        ))
        .await,
        4
    );
    // Sent by the jobs: robots once each with a valid signature, the email to the counselor; the
    // failing receiver retried up to the limit and then failed with its reason.
    app.runner.run_until_idle().await.unwrap();
    {
        let h = hits.lock().unwrap().clone();
        for name in ["ding", "hook"] {
            let mine: Vec<_> = h.iter().filter(|x| x.0 == name).collect();
            assert_eq!(mine.len(), 1, "{name}: {h:?}");
            assert!(mine[0].1, "{name} signature verified");
        }
        let hook = h.iter().find(|x| x.0 == "hook").unwrap();
        assert_eq!(hook.2["event"], "warning.notice");
        assert_eq!(hook.2["warning"]["id"], id);
        assert!(hook.2["warning"]["link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/warnings/{id}")));
        let ding = h.iter().find(|x| x.0 == "ding").unwrap();
        assert_eq!(ding.2["msgtype"], "markdown");
    }
    let m = mails.lock().unwrap().clone();
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("chen@example.edu.cn"), "{m:?}");
    // The counselor reads English: their email is in English; robots post to a group in the
    // default language.
    let title = |address: &'static str| {
        let db = app.state.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT title FROM warning_notifications WHERE address = $1 ORDER BY id LIMIT 1",
            )
            .bind(address)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    let mail_title = title("chen@example.edu.cn").await;
    assert!(mail_title.contains("warning]"), "{mail_title}");
    let robot_title = title("").await;
    assert!(robot_title.contains("级预警"), "{robot_title}");
    // Let the retries of the failing receiver run out, before the escalation.
    for _ in 0..5 {
        app.state.clock.advance_ms(60_000);
        app.runner.run_until_idle().await.unwrap();
    }
    assert_eq!(
        hits.lock()
            .unwrap()
            .iter()
            .filter(|x| x.0 == "fail")
            .count(),
        4
    );
    let (_, d) = send(
        &app,
        reqwest::Method::GET,
        &admin,
        &format!("/api/v1/warnings/{id}"),
        Value::Null,
    )
    .await;
    let failed: Vec<&Value> = d["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{d}");
    assert!(failed[0]["reason"].as_str().unwrap().contains("500"));
    assert_eq!(
        d["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["status"] == "sent")
            .count(),
        3
    );
    // The counselor acknowledged nothing: the escalation to the college leader goes out too.
    app.state.clock.advance_ms(10 * MIN);
    drain(&app).await;
    let h = hits.lock().unwrap().clone();
    assert!(h.iter().filter(|x| x.0 == "hook").count() >= 2, "{h:?}");
    assert!(h.iter().all(|x| x.1), "every signature verified: {h:?}");
    let m = mails.lock().unwrap().clone();
    assert!(
        m.iter().any(|x| x.contains("wu@example.edu.cn")),
        "the college leader got an email: {m:?}"
    );
    assert!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warning_notifications WHERE warning_id = {id} AND source LIKE '%esc:%'"
        ))
        .await
            >= 4
    );
    // Nothing was sent twice: one notice per (event, channel, address).
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warning_notifications WHERE warning_id = {id} AND source = 'warning:{id}:routed'"
        ))
        .await,
        4
    );
    let _ = Duration::from_secs(0);
}

#[tokio::test]
async fn the_settings_page_ticks_the_channels_of_warning_notices() {
    let app = spawn_seeded().await;
    let admin = app
        .token("admin1", &[Scope::CampaignsRead, Scope::CampaignsWrite])
        .await;
    let (s, c) = send(&app, reqwest::Method::POST, &admin, "/api/v1/campaigns/channels",
        json!({"unit": "SCH1", "kind": "webhook", "name": "保卫处群", "url": "http://127.0.0.1:9/hook", "secret": HOOK})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let ch = c["id"].as_i64().unwrap();
    let web = app.login("admin1").await;
    let (s, html) = app.get(&web, "/warnings/settings").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("保卫处群"));
    let csrf = form_csrf(&html);
    let mut form: Vec<(&str, String)> = vec![
        ("csrf", csrf.clone()),
        ("school", "SCH1".into()),
        ("high_ack_min", "10".into()),
        ("high_contact_min", "60".into()),
        ("medium_ack_min", "60".into()),
        ("medium_contact_min", "1440".into()),
        ("low_ack_min", "1440".into()),
        ("low_contact_min", "4320".into()),
        ("weight_ack", "30".into()),
        ("weight_contact", "40".into()),
        ("weight_escalations", "20".into()),
        ("weight_victims", "10".into()),
    ];
    // A channel id that is not the school's: refused, nothing stored.
    let mut bad = form.clone();
    bad.push(("channel", "424242".into()));
    let r = web
        .post(app.url("/warnings/settings"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM warning_channels").await, 0);
    form.push(("channel", ch.to_string()));
    let r = web
        .post(app.url("/warnings/settings"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warning_channels WHERE channel_id = {ch}"
        ))
        .await,
        1
    );
    let (_, html) = app.get(&web, "/warnings/settings").await;
    assert!(html.contains(&format!("value=\"{ch}\" checked")), "{html}");
}

/// A batch of warnings does not get a robot blocked: past the channel's rate the notices wait for
/// a free slot (without spending attempts) and all arrive, one slot at a time.
#[tokio::test]
async fn warning_notices_keep_to_the_channels_rate() {
    let app = spawn_seeded().await;
    let (base, hits) = receiver().await;
    let admin = app
        .token(
            "admin1",
            &[
                Scope::CampaignsWrite,
                Scope::WarningsRead,
                Scope::WarningsWrite,
            ],
        )
        .await;
    let (s, c) = send(
        &app,
        reqwest::Method::POST,
        &admin,
        "/api/v1/campaigns/channels",
        json!({"unit": "SCH1", "kind": "webhook", "name": "值班群", "url": format!("{base}/hook"),
               "secret": HOOK, "rate_per_min": 2}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let channel = c["id"].as_i64().unwrap();
    let (s, c) = send(
        &app,
        reqwest::Method::PUT,
        &admin,
        "/api/v1/warnings/settings/SCH1",
        settings(json!([channel])),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let police = app
        .token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    for phone in [
        "13800001111",
        "13800001112",
        "13800001121",
        "13800001211",
        "13800001111",
    ] {
        let (s, w) = send(&app, reqwest::Method::POST, &police, "/api/v1/warnings",
            json!({"phone": phone, "fraud_type": "rebate_task", "severity": "low", "detail": "疑似刷单", "source": "96110"})).await;
        assert_eq!(s, StatusCode::CREATED, "{w}");
    }
    let posts = || {
        hits.lock()
            .unwrap()
            .iter()
            .filter(|h| h.0 == "hook")
            .count()
    };
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(posts(), 2, "two per minute");
    app.state.clock.advance_ms(30_000);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(posts(), 2, "still inside the minute");
    for _ in 0..6 {
        app.state.clock.advance_ms(31_000);
        app.runner.run_until_idle().await.unwrap();
    }
    assert_eq!(posts(), 5, "every notice arrives in the end");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM warning_notifications WHERE status = 'sent' AND attempts = 1"
        )
        .await,
        5,
        "waiting for a slot spent no attempt"
    );
}

//! A working day on the web, part one: channels set up on the channels page (add, test-send
//! against real local receivers, recent failures, disable), content review that reaches its
//! reviewers (inbox notice and review queue).

use std::sync::{Arc, Mutex};

use crate::common::smtp::smtp_receiver;
use crate::common::*;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

const DING: &str = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd";

type Hits = Arc<Mutex<Vec<(String, bool, String)>>>;

/// A local DingTalk robot that checks the signature, and a receiver that always fails.
async fn robots() -> (String, Hits) {
    use axum::extract::{Query, State};
    use axum::routing::post;
    use std::collections::HashMap;
    let hits: Hits = Arc::default();
    let app =
        axum::Router::new()
            .route(
                "/ding",
                post(
                    |State(h): State<Hits>,
                     Query(q): Query<HashMap<String, String>>,
                     body: String| async move {
                        let ts = q.get("timestamp").cloned().unwrap_or_default();
                        let mut m = Hmac::<Sha256>::new_from_slice(DING.as_bytes()).unwrap();
                        m.update(format!("{ts}\n{DING}").as_bytes());
                        let want = base64::engine::general_purpose::STANDARD
                            .encode(m.finalize().into_bytes());
                        let ok = q.get("sign") == Some(&want)
                            && q.get("access_token").map(String::as_str)
                                == Some("tok-abcdef123456");
                        h.lock().unwrap().push(("ding".into(), ok, body));
                        axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
                    },
                ),
            )
            .route(
                "/refuse",
                post(|State(h): State<Hits>, body: String| async move {
                    h.lock().unwrap().push(("refuse".into(), true, body));
                    axum::Json(json!({"errcode": 310000, "errmsg": "sign not match"}))
                }),
            )
            .with_state(hits.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (base, hits)
}

async fn form(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let csrf = app.page_csrf(c).await;
    let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(fields);
    let r = c.post(app.url(path)).form(&f).send().await.unwrap();
    let loc = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (r.status(), r.text().await.unwrap(), loc)
}

async fn channel_id(app: &TestApp, name: &str) -> i64 {
    app.scalar(&format!(
        "SELECT id FROM campaign_channels WHERE name = '{name}'"
    ))
    .await
}

#[tokio::test]
async fn a_school_admin_adds_tests_and_disables_a_dingtalk_robot_on_the_web() {
    let app = spawn_seeded().await;
    let (base, hits) = robots().await;
    let admin = app.login("admin1").await;
    let (s, page) = app.get(&admin, "/campaigns/channels").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"channel-form\"") && page.contains("id=\"no-channels\""));
    // The campaigns list and the warning settings lead here.
    let (_, list) = app.get(&admin, "/campaigns").await;
    assert!(list.contains("href=\"/campaigns/channels\""));
    let (s, settings) = app.get(&admin, "/warnings/settings").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        settings.contains("href=\"/campaigns/channels\""),
        "{settings}"
    );

    // A malformed secret: the form comes back with the reason, nothing stored, secret not echoed.
    let url = format!("{base}/ding?access_token=tok-abcdef123456");
    let bad = [
        ("unit", "SCH1"),
        ("kind", "dingtalk"),
        ("name", "保卫处值班群"),
        ("url", url.as_str()),
        ("secret", "not-a-dingtalk-secret"),
    ];
    let (s, body, _) = form(&app, &admin, "/campaigns/channels", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"form-error\""), "{body}");
    assert!(!body.contains("not-a-dingtalk-secret"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_channels").await,
        0
    );
    // A rate that is not a number is refused the same way.
    let mut bad_rate = bad.to_vec();
    bad_rate[4] = ("secret", DING);
    bad_rate.push(("rate_per_min", "many"));
    let (s, _, _) = form(&app, &admin, "/campaigns/channels", &bad_rate).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_channels").await,
        0
    );

    let mut good = bad.to_vec();
    good[4] = ("secret", DING);
    let (s, _, loc) = form(&app, &admin, "/campaigns/channels", &good).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let id = channel_id(&app, "保卫处值班群").await;
    assert_eq!(
        loc.as_deref(),
        Some(format!("/campaigns/channels#ch-{id}").as_str())
    );
    let (_, page) = app.get(&admin, "/campaigns/channels").await;
    assert!(page.contains("保卫处值班群") && page.contains("钉钉群机器人"));
    // Neither the robot token nor the signing secret is shown back.
    assert!(
        !page.contains("tok-abcdef123456") && !page.contains(DING),
        "{page}"
    );
    assert!(page.contains("/ding?…"));
    assert!(page.contains("已设置签名密钥"));

    // Test send: a real, signed post to the robot; the page says it went through.
    let (s, _, loc) = form(&app, &admin, &format!("/campaigns/channels/{id}/test"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let loc = loc.unwrap();
    assert!(loc.starts_with(&format!("/campaigns/channels?tested={id}")));
    {
        let h = hits.lock().unwrap();
        assert_eq!(h.len(), 1);
        assert!(h[0].1, "signed with the secret and token");
        assert!(h[0].2.contains("fanzha 渠道测试"), "{}", h[0].2);
    }
    let (_, page) = app.get(&admin, &loc).await;
    assert!(page.contains("id=\"ch-notice\"") && page.contains("测试消息已发送"));
    assert_eq!(app.audit("campaign.channel.test").await.len(), 1);

    // A robot that refuses: the failure and its reason show under recent failures.
    let refuse = format!("{base}/refuse?access_token=zzz");
    let (s, _, _) = form(
        &app,
        &admin,
        "/campaigns/channels",
        &[
            ("unit", "SCH1"),
            ("kind", "dingtalk"),
            ("name", "旧群"),
            ("url", refuse.as_str()),
            ("secret", DING),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let old = channel_id(&app, "旧群").await;
    let (_, _, loc) = form(
        &app,
        &admin,
        &format!("/campaigns/channels/{old}/test"),
        &[],
    )
    .await;
    let (_, page) = app.get(&admin, &loc.unwrap()).await;
    assert!(page.contains("测试消息没有发出"), "{page}");
    assert!(page.contains("310000 sign not match"));

    // Disable: shown as disabled, no longer offered, a second disable or a test is refused.
    let (s, _, _) = form(
        &app,
        &admin,
        &format!("/campaigns/channels/{old}/disable"),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = app.get(&admin, "/campaigns/channels").await;
    assert!(page.contains("已停用"));
    assert!(!page.contains(&format!("id=\"test-{old}\"")));
    let (s, body, _) = form(
        &app,
        &admin,
        &format!("/campaigns/channels/{old}/disable"),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("该渠道已停用"));
    let before = hits.lock().unwrap().len();
    let (s, _, _) = form(
        &app,
        &admin,
        &format!("/campaigns/channels/{old}/test"),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(hits.lock().unwrap().len(), before, "nothing sent");
    let (_, settings) = app.get(&admin, "/warnings/settings").await;
    assert!(settings.contains("保卫处值班群") && !settings.contains("旧群"));
    let (_, new) = app.get(&admin, "/campaigns/new").await;
    assert!(!new.contains("旧群"));
    assert_eq!(app.audit("campaign.channel.disable").await.len(), 1);
}

#[tokio::test]
async fn an_email_channel_test_sends_through_smtp_and_needs_an_address() {
    let app = spawn_seeded().await;
    let (port, mails) = smtp_receiver().await;
    let admin = app.login("admin1").await;
    let relay = format!("smtp://127.0.0.1:{port}");
    let (s, _, _) = form(
        &app,
        &admin,
        "/campaigns/channels",
        &[
            ("unit", "SCH1"),
            ("kind", "email"),
            ("name", "校园邮件"),
            ("url", relay.as_str()),
            ("sender", "fanzha@example.edu.cn"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let id = channel_id(&app, "校园邮件").await;
    let path = format!("/campaigns/channels/{id}/test");
    let (s, body, _) = form(&app, &admin, &path, &[("to", "")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请填写接收测试邮件的地址"));
    let (s, body, _) = form(&app, &admin, &path, &[("to", "not an address")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("不是有效的邮件地址"));
    assert!(mails.lock().unwrap().is_empty());
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_channels WHERE tested_at IS NOT NULL")
            .await,
        0
    );
    let (s, _, _) = form(&app, &admin, &path, &[("to", "duty@example.edu.cn")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("duty@example.edu.cn"));
}

#[tokio::test]
async fn channels_are_refused_to_roles_and_units_that_do_not_own_them() {
    let app = spawn_seeded().await;
    let (base, hits) = robots().await;
    let admin = app.login("admin1").await;
    let url = format!("{base}/ding?access_token=tok-abcdef123456");
    let (s, _, _) = form(
        &app,
        &admin,
        "/campaigns/channels",
        &[
            ("unit", "SCH1"),
            ("kind", "dingtalk"),
            ("name", "一校群"),
            ("url", url.as_str()),
            ("secret", DING),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let id = channel_id(&app, "一校群").await;
    // A counselor has no channels: page and actions refused, nothing changed.
    let counselor = app.login("counselor1").await;
    let (s, _) = app.get(&counselor, "/campaigns/channels").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for action in ["test", "disable"] {
        let (s, _, _) = form(
            &app,
            &counselor,
            &format!("/campaigns/channels/{id}/{action}"),
            &[],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    // Another school's admin does not see it and cannot act on it (not found, no hint).
    let other = app.login("admin2").await;
    let (s, page) = app.get(&other, "/campaigns/channels").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains("一校群"));
    for action in ["test", "disable"] {
        let (s, _, _) = form(
            &app,
            &other,
            &format!("/campaigns/channels/{id}/{action}"),
            &[],
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    // Nor can they put a channel on a unit outside their school.
    let (s, _, _) = form(
        &app,
        &other,
        "/campaigns/channels",
        &[
            ("unit", "SCH1"),
            ("kind", "dingtalk"),
            ("name", "越权群"),
            ("url", url.as_str()),
            ("secret", DING),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(hits.lock().unwrap().is_empty());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM campaign_channels WHERE disabled_at IS NOT NULL OR tested_at IS NOT NULL").await, 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_channels").await,
        1
    );
}

#[tokio::test]
async fn a_disabled_channel_carries_no_campaign() {
    let app = spawn_seeded().await;
    let (base, hits) = robots().await;
    let admin = app.login("admin1").await;
    let url = format!("{base}/ding?access_token=tok-abcdef123456");
    form(
        &app,
        &admin,
        "/campaigns/channels",
        &[
            ("unit", "SCH1"),
            ("kind", "dingtalk"),
            ("name", "停用群"),
            ("url", url.as_str()),
            ("secret", DING),
        ],
    )
    .await;
    let id = channel_id(&app, "停用群").await;
    let police = app.login("police1").await;
    let (path, content) = submitted_content(&app, &police).await;
    form(&app, &police, &format!("{path}/submit"), &[]).await;
    let (s, _, _) = form(&app, &admin, &format!("{path}/publish"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let campaign = |ch: i64| json!({"unit": "SCH1", "title": "客服退款提醒", "content_id": content, "fraud_type": "impersonate_customer_service", "channels": [ch]});
    form(
        &app,
        &admin,
        &format!("/campaigns/channels/{id}/disable"),
        &[],
    )
    .await;
    let token = app
        .token(
            "admin1",
            &[
                fanzha::auth::model::Scope::CampaignsRead,
                fanzha::auth::model::Scope::CampaignsWrite,
            ],
        )
        .await;
    // The API no longer accepts it for a campaign.
    let r = client()
        .post(app.url("/api/v1/campaigns"))
        .bearer_auth(&token)
        .json(&campaign(id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert!(v.to_string().contains("camp-err-channel"), "{v}");
    // A campaign queued on a channel that is disabled before the post: failed with the reason,
    // never posted, and listed under the channel's recent failures.
    form(
        &app,
        &admin,
        "/campaigns/channels",
        &[
            ("unit", "SCH1"),
            ("kind", "dingtalk"),
            ("name", "稍后停用"),
            ("url", url.as_str()),
            ("secret", DING),
        ],
    )
    .await;
    let later = channel_id(&app, "稍后停用").await;
    let r = client()
        .post(app.url("/api/v1/campaigns"))
        .bearer_auth(&token)
        .json(&campaign(later))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    form(
        &app,
        &admin,
        &format!("/campaigns/channels/{later}/disable"),
        &[],
    )
    .await;
    for _ in 0..4 {
        app.runner.run_until_idle().await.unwrap();
        app.state.clock.advance_ms(3_600_000);
    }
    assert!(hits.lock().unwrap().is_empty());
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM campaign_robot_deliveries WHERE channel_id = {later} AND status = 'failed' AND reason = 'channel disabled'")).await,
        1
    );
    // (The clock moved on past the session's idle limit: sign in again.)
    let admin = app.login("admin1").await;
    let (_, page) = app.get(&admin, "/campaigns/channels").await;
    assert!(
        page.contains("客服退款提醒") && page.contains("channel disabled"),
        "{page}"
    );
}

/// Police write and submit an article for SCH1 on the pages; returns its page path and id.
async fn submitted_content(app: &TestApp, police: &reqwest::Client) -> (String, i64) {
    let (s, _, loc) = form(
        app,
        police,
        "/campaigns/content",
        &[
            ("unit", "SCH1"),
            ("kind", "article"),
            ("title", "冒充客服退款"),
            ("body_md", "客服不会主动要求你转账。"),
            ("fraud_types", "impersonate_customer_service"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "content created");
    let path = loc.unwrap();
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    (path, id)
}

async fn inbox_of(app: &TestApp, user: &str, kind: &str) -> Vec<(String, Option<String>)> {
    let id = app.fx.account(user);
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT title, link FROM inbox_messages WHERE recipient = $1 AND kind = $2 ORDER BY id",
    )
    .bind(format!("account:{id}"))
    .bind(kind)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    rows
}

#[tokio::test]
async fn submitted_content_reaches_each_reviewer_in_their_inbox_and_queue() {
    let app = spawn_seeded().await;
    let police = app.login("police1").await;
    let (path, id) = submitted_content(&app, &police).await;
    // Nothing waits yet.
    let admin = app.login("admin1").await;
    let (_, q) = app.get(&admin, "/campaigns/review").await;
    assert!(q.contains("id=\"review-empty\""));
    let (s, _, _) = form(&app, &police, &format!("{path}/submit"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // The school admin of the unit may publish it: one notice pointing at the queue.
    let n = inbox_of(&app, "admin1", "review").await;
    assert_eq!(n.len(), 1, "{n:?}");
    assert!(n[0].0.contains("冒充客服退款"));
    assert_eq!(n[0].1.as_deref(), Some("/campaigns/review"));
    // The editor, another school's admin and a counselor are not told.
    for other in ["police1", "admin2", "police2", "counselor1", "province1"] {
        assert!(inbox_of(&app, other, "review").await.is_empty(), "{other}");
    }
    let (_, inbox) = app.get(&admin, "/inbox").await;
    assert!(inbox.contains("href=\"/campaigns/review\""));
    let (s, q) = app.get(&admin, "/campaigns/review").await;
    assert_eq!(s, StatusCode::OK);
    assert!(q.contains(&format!("href=\"/campaigns/content/{id}\"")) && q.contains("冒充客服退款"));
    assert!(q.contains("police1"), "the editor's name");
    // The editor's own queue does not list their own edit; a counselor has no queue.
    let (_, own) = app.get(&police, "/campaigns/review").await;
    assert!(!own.contains("冒充客服退款"));
    let counselor = app.login("counselor1").await;
    let (s, _) = app.get(&counselor, "/campaigns/review").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Sent back and submitted again unchanged: the reviewer is not told twice about one version.
    form(&app, &admin, &format!("{path}/reject"), &[]).await;
    form(&app, &police, &format!("{path}/submit"), &[]).await;
    assert_eq!(inbox_of(&app, "admin1", "review").await.len(), 1);
    // Published: the queue is empty again.
    let (s, _, _) = form(&app, &admin, &format!("{path}/publish"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, q) = app.get(&admin, "/campaigns/review").await;
    assert!(q.contains("id=\"review-empty\""));
}

#[tokio::test]
async fn the_inbox_pages_filters_and_searches_a_long_list() {
    use fanzha::inbox::{notify, Notice, Recipient};
    let app = spawn_seeded().await;
    let me = app.fx.account("student1");
    for i in 0..70 {
        let kind = if i % 10 == 0 { "warning" } else { "campaign" };
        notify(
            &app.state.db.pool,
            &app.state.clock,
            &Recipient::Account(me),
            &Notice {
                kind: kind.into(),
                title: format!("消息{i:03}"),
                body: if i == 42 {
                    "刷单返利".into()
                } else {
                    "正文".into()
                },
                link: None,
            },
        )
        .await
        .unwrap();
        app.state.clock.advance_ms(1_000);
    }
    let student = app.login("student1").await;
    let articles = |h: &str| h.matches("<article").count();
    let (s, p1) = app.get(&student, "/inbox").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(articles(&p1), 30);
    assert!(
        p1.contains("消息069") && !p1.contains("消息039"),
        "newest first"
    );
    assert!(p1.contains("id=\"inbox-next\"") && p1.contains("反诈宣传"));
    let (_, p3) = app.get(&student, "/inbox?page=3").await;
    assert!(p3.contains("消息000") && p3.contains("id=\"inbox-prev\""));
    let (_, w) = app.get(&student, "/inbox?kind=warning").await;
    assert_eq!(articles(&w), 7);
    let (_, found) = app.get(&student, "/inbox?q=%E5%88%B7%E5%8D%95").await;
    assert_eq!(articles(&found), 1);
    assert!(found.contains("消息042"));
    let (s, body) = app.get(&student, "/inbox?page=zero").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("分页参数不正确"));
    let (s, _) = app.get(&student, "/inbox?kind=secret").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Another person sees none of it.
    let other = app.login("student2").await;
    let (_, theirs) = app.get(&other, "/inbox?q=%E6%B6%88%E6%81%AF").await;
    assert_eq!(articles(&theirs), 0);
}

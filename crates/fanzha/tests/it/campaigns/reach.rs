//! Reach is honest: a campaign's audience counts everyone, but only people a channel can reach
//! are ever counted as delivered — an active account (the inbox) or an outside channel that
//! reaches that person (email). A group robot post never counts toward anyone's reach, and the
//! gap finder lists the never-activated as a gap of their own.

use crate::common::smtp::smtp_receiver;
use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

const RW: &[Scope] = &[
    Scope::CampaignsRead,
    Scope::CampaignsWrite,
    Scope::InboxRead,
];

async fn post_json(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let r = client()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("POST");
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let r = app.api_get(token, path).await;
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn published_content(app: &TestApp) -> i64 {
    let police = app.token("police1", RW).await;
    let admin = app.token("admin1", RW).await;
    let (s, c) = post_json(
        app,
        &police,
        "/api/v1/campaigns/contents",
        json!({"unit": "SCH1", "kind": "article", "title": "刷单返利防范",
               "body_md": "别信刷单", "fraud_types": ["rebate_task"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    for (who, step) in [(&police, "submit"), (&admin, "publish")] {
        let (s, c) = post_json(
            app,
            who,
            &format!("/api/v1/campaigns/contents/{id}/{step}"),
            json!({}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{c}");
    }
    id
}

async fn drain(app: &TestApp) {
    for _ in 0..8 {
        app.runner.run_until_idle().await.unwrap();
        app.state.clock.advance_ms(3_600_000);
    }
}

/// A WeCom group robot on this machine that accepts every post.
async fn robot() -> String {
    use axum::routing::post;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/wecom",
        post(|| async { axum::Json(json!({"errcode": 0, "errmsg": "ok"})) }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    base
}

#[tokio::test]
async fn only_reachable_people_count_as_delivered() {
    let app = spawn_seeded().await;
    // SCH1's four students: 张三 (student1) and 赵六 (student2) have active accounts; 李四 and
    // 王五 never activated. 李四 has an e-mail address, 王五 none.
    sqlx::query("UPDATE students SET email = 'ls@example.edu.cn' WHERE student_no = '2023010102'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let (port, mails) = smtp_receiver().await;
    let base = robot().await;
    let content = published_content(&app).await;
    let admin = app.token("admin1", RW).await;

    // The preview says who cannot be reached yet.
    let (s, p) = post_json(
        &app,
        &admin,
        "/api/v1/campaigns/preview",
        json!({"unit": "SCH1", "fraud_type": "rebate_task"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["size"], 4);
    assert_eq!(p["unreachable"], 2);

    // Inbox only: two delivered, two unreachable.
    let (s, c) = post_json(&app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": "只发站内", "content_id": content, "fraud_type": "rebate_task"})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let inbox_only = c["id"].as_i64().unwrap();
    drain(&app).await;
    let (_, r) = get_json(
        &app,
        &admin,
        &format!("/api/v1/campaigns/{inbox_only}/reach"),
    )
    .await;
    assert_eq!(r["funnel"]["audience"], 4, "{r}");
    assert_eq!(r["funnel"]["sent"], 2, "{r}");
    assert_eq!(r["funnel"]["unreachable"], 2, "{r}");

    // With e-mail and a group robot: 李四 is reached by e-mail; the robot post reaches nobody in
    // particular and changes no figure.
    let (s, mail) = post_json(&app, &admin, "/api/v1/campaigns/channels", json!({"unit": "SCH1", "kind": "email", "name": "校园邮件", "url": format!("smtp://127.0.0.1:{port}"), "sender": "fanzha@example.edu.cn"})).await;
    assert_eq!(s, StatusCode::CREATED, "{mail}");
    let (s, bot) = post_json(&app, &admin, "/api/v1/campaigns/channels", json!({"unit": "SCH1", "kind": "wecom", "name": "年级群", "url": format!("{base}/wecom?key=wk")})).await;
    assert_eq!(s, StatusCode::CREATED, "{bot}");
    let (s, c) = post_json(&app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": "多渠道", "content_id": content, "fraud_type": "rebate_task", "channels": [mail["id"], bot["id"]]})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    drain(&app).await;
    assert_eq!(
        mails.lock().unwrap().len(),
        2,
        "张三 and 李四 have addresses"
    );
    let sent_robot = app
        .scalar(&format!("SELECT COUNT(*) FROM campaign_robot_deliveries WHERE campaign_id = {cid} AND status = 'sent'"))
        .await;
    assert_eq!(sent_robot, 1, "the robot post went out");
    let (_, r) = get_json(&app, &admin, &format!("/api/v1/campaigns/{cid}/reach")).await;
    assert_eq!(r["funnel"]["audience"], 4, "{r}");
    assert_eq!(r["funnel"]["sent"], 3, "inbox ×2 + 李四 by e-mail: {r}");
    assert_eq!(r["funnel"]["unreachable"], 1, "王五: {r}");
    // The rollup agrees with the deliveries when rebuilt from them.
    let per_person: i64 = app
        .scalar(&format!("SELECT COUNT(*) FROM campaign_deliveries WHERE campaign_id = {cid} AND channel = 'inbox' AND sent_at IS NOT NULL"))
        .await;
    assert_eq!(per_person, 3);
    // Nobody acknowledged: reach is 0 of the whole audience, unreachable people included.
    assert_eq!(r["funnel"]["reach"], 0.0);

    // The gap finder lists who never activated as a gap of its own.
    let (s, g) = get_json(&app, &admin, "/api/v1/campaigns/gaps?unit=SCH1&days=30").await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["never_activated_total"], 2, "{g}");

    // The campaign page shows the unreachable figure.
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, &format!("/campaigns/{cid}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"unreachable\">1<"), "{page}");
}

#[tokio::test]
async fn activating_makes_a_person_reachable_for_the_next_campaign() {
    let app = spawn_seeded().await;
    let content = published_content(&app).await;
    let admin = app.token("admin1", RW).await;
    let (_, c) = post_json(
        &app,
        &admin,
        "/api/v1/campaigns",
        json!({"unit": "SCH1", "title": "一", "content_id": content, "fraud_type": "rebate_task"}),
    )
    .await;
    let first = c["id"].as_i64().unwrap();
    drain(&app).await;
    // 李四 activates (here: as the first SSO sign-in would, by the roster key).
    sqlx::query("UPDATE accounts SET activated_at = 1 WHERE person_no = '2023010102'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let (_, c) = post_json(
        &app,
        &admin,
        "/api/v1/campaigns",
        json!({"unit": "SCH1", "title": "二", "content_id": content, "fraud_type": "rebate_task"}),
    )
    .await;
    let second = c["id"].as_i64().unwrap();
    drain(&app).await;
    for (cid, sent, unreachable) in [(first, 2, 2), (second, 3, 1)] {
        let (_, r) = get_json(&app, &admin, &format!("/api/v1/campaigns/{cid}/reach")).await;
        assert_eq!(r["funnel"]["sent"], sent, "{r}");
        assert_eq!(r["funnel"]["unreachable"], unreachable, "{r}");
    }
}

#[tokio::test]
async fn the_appraisal_shows_who_cannot_be_reached() {
    let app = spawn_seeded().await;
    let ta = app.token("admin1", &[Scope::WarningsRead]).await;
    let (s, a) = get_json(&app, &ta, "/api/v1/warnings/appraisal?unit=SCH1").await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let rows: Vec<&Value> = a["units"]
        .as_array()
        .unwrap()
        .iter()
        .chain(a["people"].as_array().unwrap())
        .collect();
    let of = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name || r["unit"] == name)
            .map(|r| (*r).clone())
            .unwrap_or_else(|| panic!("{name} in {a}"))
    };
    // 计科2301: 张三 active, 李四 never activated. 数学2301: 赵六 active.
    let cls = of("计科2301");
    assert_eq!(cls["students"], 2, "{cls}");
    assert_eq!(cls["unreachable_students"], 1, "{cls}");
    assert_eq!(of("数学2301")["unreachable_students"], 0);
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, "/warnings/appraisal?unit=SCH1").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("fz-unreachable"), "shown on the page");
}

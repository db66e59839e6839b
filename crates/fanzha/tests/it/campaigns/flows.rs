//! Campaigns: content review, audiences, fan-out to the inbox, acknowledgement by the owner only,
//! reach by unit, recall, and the pages that write, review, preview and send. The outside channels
//! are in `robots.rs`.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub(super) const RW: &[Scope] = &[
    Scope::CampaignsRead,
    Scope::CampaignsWrite,
    Scope::InboxRead,
];

pub(super) fn article(unit: &str) -> Value {
    json!({
        "unit": unit, "kind": "article", "title": "刷单返利防范",
        "body_md": "## 别信刷单\n\n<script>alert(1)</script>\n\n[反诈中心](https://www.mps.gov.cn/)",
        "fraud_types": ["rebate_task"], "target_hint": "新生",
        "quiz": [{"q": "先垫付吗?", "choices": ["垫付", "拒绝"], "answer": 1}]
    })
}

/// Police write, the school admin publishes; returns the content id.
pub(super) async fn published_content(app: &TestApp) -> i64 {
    let police = app.token("police1", RW).await;
    let admin = app.token("admin1", RW).await;
    let (s, c) = post_json_read(app, &police, "/api/v1/campaigns/contents", article("SCH1")).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    let (s, _) = post_json_read(
        app,
        &police,
        &format!("/api/v1/campaigns/contents/{id}/submit"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, c) = post_json_read(
        app,
        &admin,
        &format!("/api/v1/campaigns/contents/{id}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    id
}

pub(super) async fn drain(app: &TestApp) {
    for _ in 0..8 {
        app.runner.run_until_idle().await.unwrap();
        app.state.clock.advance_ms(3_600_000);
    }
}

#[tokio::test]
async fn content_is_reviewed_sanitised_versioned_and_needs_a_fraud_type() {
    let app = spawn_seeded().await;
    let police = app.token("police1", RW).await;
    let admin = app.token("admin1", RW).await;
    // Bad input: no fraud type, unknown kind, video without a URL — nothing written.
    for (body, code) in [
        (
            json!({"unit": "SCH1", "kind": "article", "title": "t", "body_md": "x", "fraud_types": []}),
            "camp-err-no-fraud-type",
        ),
        (
            json!({"unit": "SCH1", "kind": "article", "title": "t", "body_md": "x", "fraud_types": ["normal"]}),
            "camp-err-fraud-type",
        ),
        (
            json!({"unit": "SCH1", "kind": "leaflet", "title": "t", "body_md": "x", "fraud_types": ["romance"]}),
            "camp-err-kind",
        ),
        (
            json!({"unit": "SCH1", "kind": "video", "title": "t", "fraud_types": ["romance"]}),
            "camp-err-media",
        ),
    ] {
        let (s, e) = post_json_read(&app, &police, "/api/v1/campaigns/contents", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["details"][0]["code"], code);
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_contents").await,
        0
    );
    // Roles that must be refused: a student, a counselor; a school outside scope is not found.
    for who in ["student1", "counselor1"] {
        let t = app.token(who, RW).await;
        let (s, _) = post_json_read(&app, &t, "/api/v1/campaigns/contents", article("SCH1")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
    let (s, _) = post_json_read(&app, &police, "/api/v1/campaigns/contents", article("SCH2")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A read-only token cannot write.
    let ro = app.token("police1", &[Scope::CampaignsRead]).await;
    let (s, _) = post_json_read(&app, &ro, "/api/v1/campaigns/contents", article("SCH1")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, c) = post_json_read(&app, &police, "/api/v1/campaigns/contents", article("SCH1")).await;
    assert_eq!(s, StatusCode::CREATED);
    let html = c["body_html"].as_str().unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("<h2>别信刷单</h2>"));
    let id = c["id"].as_i64().unwrap();
    // Publishing a draft is refused; submit, then the author may not publish their own edit.
    let (s, _) = post_json_read(
        &app,
        &admin,
        &format!("/api/v1/campaigns/contents/{id}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    post_json_read(
        &app,
        &police,
        &format!("/api/v1/campaigns/contents/{id}/submit"),
        json!({}),
    )
    .await;
    let (s, e) = post_json_read(
        &app,
        &police,
        &format!("/api/v1/campaigns/contents/{id}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["details"][0]["code"], "camp-err-own-review");
    let (s, c) = post_json_read(
        &app,
        &admin,
        &format!("/api/v1/campaigns/contents/{id}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["status"], "published");
    // An edit is a new version and goes back to draft.
    let r = client()
        .put(app.url(&format!("/api/v1/campaigns/contents/{id}")))
        .bearer_auth(&admin)
        .json(&article("SCH1"))
        .send()
        .await
        .unwrap();
    let c: Value = r.json().await.unwrap();
    assert_eq!(
        (c["version"].as_i64(), c["status"].as_str()),
        (Some(2), Some("draft"))
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_content_versions")
            .await,
        2
    );
    assert_eq!(app.audit("campaign.content.status").await.len(), 2);
}

#[tokio::test]
async fn a_campaign_reaches_the_inbox_and_only_the_owner_acknowledges() {
    let app = spawn_seeded().await;
    let content = published_content(&app).await;
    let admin = app.token("admin1", RW).await;
    // Preview before sending: the four students of SCH1, names masked.
    let (s, p) = post_json_read(
        &app,
        &admin,
        "/api/v1/campaigns/preview",
        json!({"unit": "SCH1", "fraud_type": "rebate_task"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["size"], 4);
    assert!(!p["sample"][0]["name"].as_str().unwrap().contains("张三"));
    let (_, p) = post_json_read(&app, &admin, "/api/v1/campaigns/preview", json!({"unit": "SCH1", "fraud_type": "rebate_task", "audience": {"units": ["COL1A"], "genders": ["female"]}})).await;
    assert_eq!(p["size"], 1);
    // Empty audience: refused, nothing created.
    let (s, e) = post_json_read(&app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": "t", "content_id": content, "fraud_type": "rebate_task", "audience": {"enrollment_years": [1999]}})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["details"][0]["code"], "camp-err-empty-audience");
    // "Top 10 % most exposed" with no recorded cases, warnings or risk checks: nobody is exposed.
    let (s, e) = post_json_read(&app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": "t", "content_id": content, "fraud_type": "rebate_task", "audience": {"top_exposed_percent": 10.0}})).await;
    assert_eq!(
        (s, e["error"]["details"][0]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("camp-err-empty-audience")
        )
    );
    // A type the content is not tagged with is refused.
    let (s, _) = post_json_read(
        &app,
        &admin,
        "/api/v1/campaigns",
        json!({"unit": "SCH1", "title": "t", "content_id": content, "fraud_type": "romance"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // A counselor may not send.
    let c1 = app.token("counselor1", RW).await;
    let (s, _) = post_json_read(
        &app,
        &c1,
        "/api/v1/campaigns",
        json!({"unit": "CLS1A1", "title": "t", "content_id": content, "fraud_type": "rebate_task"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM campaigns").await, 0);

    let (s, c) = post_json_read(&app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": "开学季防刷单", "content_id": content, "fraud_type": "rebate_task"})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    drain(&app).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_deliveries").await,
        4
    );
    // The counselor's view of a student's record lists the campaign received, not yet read.
    let cs = app.login("counselor1").await;
    let (s, rec) = app
        .get(
            &cs,
            &format!("/org/student/{}", app.fx.student("2023010101")),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let list = between(&rec, "id=\"history-campaigns\">", "</ul>").expect("campaigns");
    assert!(
        list.contains("开学季防刷单") && list.contains("未读"),
        "{list}"
    );
    // Running the fan-out again (a worker restarted mid-way) tells nobody twice.
    sqlx::query("UPDATE campaigns SET status = 'sending'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let job = fanzha::db::jobs::Job {
        id: 99,
        kind: "campaigns.send".into(),
        payload: json!({"campaign_id": cid}),
        attempt: 2,
    };
    fanzha::campaigns::service::fan_out(&app.state.db, &app.state.clock, &job)
        .await
        .unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_deliveries").await,
        4
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM inbox_messages WHERE kind = 'campaign'")
            .await,
        4
    );
    // Stopped between slices (the fan-out commits per school): one person's delivery and another
    // one's message were not written yet. The rerun writes exactly those, nothing twice.
    let ids_before = app
        .scalar(
            "SELECT CAST(SUM(id) AS BIGINT) FROM campaign_deliveries WHERE person <> 'student:1'",
        )
        .await;
    for sql in [
        "DELETE FROM inbox_messages WHERE kind = 'campaign' AND recipient IN ('student:1', 'student:2')",
        "DELETE FROM campaign_deliveries WHERE person = 'student:1'",
        "UPDATE campaigns SET status = 'sending'",
    ] {
        sqlx::query(sql).execute(&app.state.db.pool).await.unwrap();
    }
    fanzha::campaigns::service::fan_out(&app.state.db, &app.state.clock, &job)
        .await
        .unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_deliveries").await,
        4
    );
    assert_eq!(
        app.scalar("SELECT COUNT(DISTINCT recipient) FROM inbox_messages WHERE kind = 'campaign'")
            .await,
        4
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM inbox_messages WHERE kind = 'campaign'")
            .await,
        4
    );
    assert_eq!(
        app.scalar(
            "SELECT CAST(SUM(id) AS BIGINT) FROM campaign_deliveries WHERE person <> 'student:1'"
        )
        .await,
        ids_before,
        "deliveries already written are kept, not rewritten"
    );
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM campaigns WHERE id = {cid} AND status = 'sent' AND audience_size = 4")).await,
        1
    );

    // The student sees it in the inbox (unread count on every page) and opens it.
    let s1 = app.token("student1", &[Scope::InboxRead]).await;
    let (_, inbox) = get_json(&app, &s1, "/api/v1/inbox").await;
    assert_eq!(inbox["unread"], 1);
    let link = inbox["messages"][0]["link"].as_str().unwrap().to_string();
    let did: i64 = link.rsplit('/').next().unwrap().parse().unwrap();
    let (s, d) = get_json(&app, &s1, &format!("/api/v1/campaigns/deliveries/{did}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(d["body_html"]
        .as_str()
        .unwrap()
        .contains(&format!("/campaigns/d/{did}/go/0")));
    let (_, inbox) = get_json(&app, &s1, "/api/v1/inbox").await;
    assert_eq!(inbox["unread"], 0);
    // Opening twice counts once.
    get_json(&app, &s1, &format!("/api/v1/campaigns/deliveries/{did}")).await;
    // Someone else's delivery: not found, nothing recorded.
    let s2 = app.token("student2", &[Scope::InboxRead]).await;
    let (s, _) = post_json_read(
        &app,
        &s2,
        &format!("/api/v1/campaigns/deliveries/{did}/ack"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_deliveries WHERE acknowledged_at IS NOT NULL")
            .await,
        0
    );
    // Wrong answers do not pass; right ones do; acknowledging is recorded once.
    let (_, q) = post_json_read(
        &app,
        &s1,
        &format!("/api/v1/campaigns/deliveries/{did}/quiz"),
        json!({"answers": [0]}),
    )
    .await;
    assert_eq!(q["passed"], false);
    let (_, q) = post_json_read(
        &app,
        &s1,
        &format!("/api/v1/campaigns/deliveries/{did}/quiz"),
        json!({"answers": [1]}),
    )
    .await;
    assert_eq!(q["passed"], true);
    let (s, a) = post_json_read(
        &app,
        &s1,
        &format!("/api/v1/campaigns/deliveries/{did}/ack"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let at = a["acknowledged_at"].as_i64().unwrap();
    app.state.clock.advance_ms(1000);
    let (_, a) = post_json_read(
        &app,
        &s1,
        &format!("/api/v1/campaigns/deliveries/{did}/ack"),
        json!({}),
    )
    .await;
    assert_eq!(a["acknowledged_at"].as_i64(), Some(at));
    // A click goes through the recording redirect (owner only).
    let c = app.login("student1").await;
    let r = c
        .get(app.url(&format!("/campaigns/d/{did}/go/0")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "https://www.mps.gov.cn/");
    let other = app.login("student2").await;
    let r = other
        .get(app.url(&format!("/campaigns/d/{did}/go/0")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM campaign_clicks").await, 1);

    // Reach: the school admin sees the whole school; counselor1 only their class.
    let (_, r) = get_json(&app, &admin, &format!("/api/v1/campaigns/{cid}/reach")).await;
    assert_eq!(r["funnel"]["audience"], 4);
    assert_eq!(r["funnel"]["acknowledged"], 1);
    assert_eq!(r["funnel"]["quiz_passed"], 1);
    assert_eq!(r["funnel"]["opened"], 1, "opened twice, counted once");
    assert_eq!(r["funnel"]["clicked"], 1);
    assert_eq!(r["trees"][0]["code"], "SCH1");
    assert_eq!(r["trees"][0]["children"].as_array().unwrap().len(), 2);
    let (_, r) = get_json(&app, &c1, &format!("/api/v1/campaigns/{cid}/reach")).await;
    assert_eq!(r["trees"][0]["code"], "CLS1A1");
    assert_eq!(r["funnel"]["audience"], 2);
    assert_eq!(r["funnel"]["reach"], 0.5);
    // Another school's counselor cannot see it at all.
    let c4 = app.token("counselor4", RW).await;
    let (s, _) = get_json(&app, &c4, &format!("/api/v1/campaigns/{cid}/reach")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Gap finder: the three who did not acknowledge; the class below 60 %.
    let (s, g) = get_json(
        &app,
        &admin,
        &format!("/api/v1/campaigns/gaps?unit=SCH1&days=30&campaign={cid}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["never_reached_total"], 3);
    assert!(g["units_below"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["code"] == "CLS1A2"));
    let (s, _) = get_json(&app, &admin, "/api/v1/campaigns/gaps?unit=SCH1&days=0").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The reach page renders with the tree and the chart data block.
    let ca = app.login("admin1").await;
    let (s, page) = app.get(&ca, &format!("/campaigns/{cid}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("id=\"reach-tree\"")
            && page.contains("camp-chart-data")
            && page.contains("25.0%")
    );

    // Recall: out of the inboxes; a second recall is refused.
    let (s, c) = post_json_read(
        &app,
        &admin,
        &format!("/api/v1/campaigns/{cid}/recall"),
        json!({}),
    )
    .await;
    assert_eq!(
        (s, c["status"].as_str()),
        (StatusCode::OK, Some("recalled"))
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM inbox_messages WHERE kind = 'campaign'")
            .await,
        0
    );
    let (s, _) = post_json_read(
        &app,
        &admin,
        &format!("/api/v1/campaigns/{cid}/recall"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_scheduled_campaign_waits_and_a_recalled_one_is_never_sent() {
    let app = spawn_seeded().await;
    let content = published_content(&app).await;
    let admin = app.token("admin1", RW).await;
    let at = START_MS + 86_400_000;
    let (s, c) = post_json_read(&app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": "明天发", "content_id": content, "fraud_type": "rebate_task", "run_at": at})).await;
    assert_eq!(s, StatusCode::CREATED);
    let cid = c["id"].as_i64().unwrap();
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_deliveries").await,
        0
    );
    post_json_read(
        &app,
        &admin,
        &format!("/api/v1/campaigns/{cid}/recall"),
        json!({}),
    )
    .await;
    drain(&app).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_deliveries").await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM inbox_messages WHERE kind = 'campaign'")
            .await,
        0
    );
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

#[tokio::test]
async fn the_pages_write_review_preview_send_and_acknowledge() {
    let app = spawn_seeded().await;
    let police = app.login("police1").await;
    let (s, page) = app.get(&police, "/campaigns/content").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("name=\"fraud_types\""));
    // No fraud type: the form comes back with the reason, nothing stored.
    let base = [
        ("unit", "SCH1"),
        ("kind", "article"),
        ("title", "冒充客服退款"),
        ("body_md", "**不要**点陌生退款链接"),
        ("target_hint", ""),
        ("q", "客服让你开通“退款通道”?"),
        ("choices", "照做\n挂断并核实"),
        ("answer", "2"),
    ];
    let (s, page, _) = form(&app, &police, "/campaigns/content", &base).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"content-error\""));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_contents").await,
        0
    );
    let mut with_type = base.to_vec();
    with_type.push(("fraud_types", "impersonate_customer_service"));
    let (s, _, loc) = form(&app, &police, "/campaigns/content", &with_type).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let loc = loc.unwrap();
    let id: i64 = loc.rsplit('/').next().unwrap().parse().unwrap();
    form(
        &app,
        &police,
        &format!("/campaigns/content/{id}/submit"),
        &[],
    )
    .await;
    let (_, page) = app.get(&police, &loc).await;
    assert!(!page.contains("/publish\""), "the editor cannot publish");
    let admin = app.login("admin1").await;
    let (s, _, _) = form(
        &app,
        &admin,
        &format!("/campaigns/content/{id}/publish"),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // A student cannot open the library.
    let student = app.login("student1").await;
    let (s, _) = app.get(&student, "/campaigns/content").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Preview, then send to 2023 students of COL1A.
    let idt = id.to_string();
    let fields = [
        ("unit", "SCH1"),
        ("fraud_type", "impersonate_customer_service"),
        ("title", "退款诈骗提醒"),
        ("content_id", idt.as_str()),
        ("units", "COL1A"),
        ("years", "2023"),
    ];
    let mut pv = fields.to_vec();
    pv.push(("action", "preview"));
    let (s, page, _) = form(&app, &admin, "/campaigns/new", &pv).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("id=\"preview\"") && page.contains(" 3 "),
        "{page}"
    );
    let mut send = fields.to_vec();
    send.push(("action", "send"));
    let (s, page, _) = form(&app, &admin, "/campaigns/new", &send).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    let only_1990 = [
        ("unit", "SCH1"),
        ("fraud_type", "impersonate_customer_service"),
        ("title", "t"),
        ("content_id", idt.as_str()),
        ("years", "1990"),
        ("action", "send"),
    ];
    let (s, page, _) = form(&app, &admin, "/campaigns/new", &only_1990).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"campaign-error\""));
    app.runner.run_until_idle().await.unwrap();
    // The student reads it from the inbox page and acknowledges on the page.
    let (_, inbox) = app.get(&student, "/inbox").await;
    assert!(inbox.contains("退款诈骗提醒"));
    let did: i64 = sqlx::query_scalar("SELECT MIN(id) FROM campaign_deliveries WHERE person = $1")
        .bind(format!("student:{}", app.fx.student("2023010101")))
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let (s, page) = app.get(&student, &format!("/campaigns/d/{did}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<strong>不要</strong>") && page.contains("id=\"ack-button\""));
    let (s, _, _) = form(
        &app,
        &student,
        &format!("/campaigns/d/{did}/quiz"),
        &[("q0", "0")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, _) = form(&app, &student, &format!("/campaigns/d/{did}/ack"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = app.get(&student, &format!("/campaigns/d/{did}")).await;
    assert!(page.contains("id=\"acked\""));
    // Another student: not found, nothing recorded.
    let s2 = app.login("student2").await;
    let (s, _, _) = form(&app, &s2, &format!("/campaigns/d/{did}/ack"), &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&s2, &format!("/campaigns/d/{did}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_deliveries WHERE quiz_passed_at IS NOT NULL")
            .await,
        0
    );
    // The counselor's list and gap finder.
    let c1 = app.login("counselor1").await;
    let (s, page) = app.get(&c1, "/campaigns").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("退款诈骗提醒") && !page.contains("id=\"new-campaign\""));
    let (s, page) = app.get(&c1, "/campaigns/gaps?unit=CLS1A1&days=30").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("2023010102") && !page.contains("2023010101"),
        "{page}"
    );
    let (s, _) = app.get(&c1, "/campaigns/gaps?unit=CLS1B1&days=30").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Every campaign API path is in the OpenAPI document.
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/api/v1/campaigns",
        "/api/v1/campaigns/{id}/reach",
        "/api/v1/campaigns/gaps",
        "/api/v1/campaigns/deliveries/{id}/ack",
        "/api/v1/campaigns/contents/{id}/{step}",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p}");
    }
}

#[tokio::test]
async fn the_cached_unit_tree_follows_units_added_later() {
    let app = spawn_seeded().await;
    let db = &app.state.db;
    let t1 = app.state.unit_trees.get(db).await.unwrap();
    assert_eq!(t1.len(), UNITS.len());
    let again = app.state.unit_trees.get(db).await.unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&t1, &again),
        "unchanged units: the cached tree"
    );
    let u = fanzha::org::service::create_unit(
        db,
        &app.state.clock,
        &fanzha::org::service::NewUnit {
            parent_code: Some("COL1A".into()),
            kind: "class".into(),
            code: "CLS1A3".into(),
            name: "计科2303".into(),
        },
    )
    .await
    .unwrap();
    let t2 = app.state.unit_trees.get(db).await.unwrap();
    assert_eq!(t2.len(), UNITS.len() + 1);
    assert!(t2.has(&u.path) && !t1.has(&u.path));
    // Another app (another database) in the same process has its own tree.
    let other = spawn_app().await;
    let t3 = other.state.unit_trees.get(&other.state.db).await.unwrap();
    assert!(t3.is_empty());
}

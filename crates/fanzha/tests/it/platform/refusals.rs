//! Refused roles and bad input change nothing, proven by reading the rows back: campaign
//! channels and recall, the warnings CSV batch (API and page) and contact, the intel console's
//! decide, merge and review resolution, and case updates (API and page). Each refusal is a
//! clear 4xx, and the rows it could have touched read the same before and after.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// One TEXT column of a query, every row, in order: a snapshot to compare after a refusal.
async fn dump(app: &TestApp, sql: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

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
        .expect("request");
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    send(app, reqwest::Method::POST, token, path, body).await
}

/// Posts a form with the session's CSRF token; returns the status.
async fn post_form(app: &TestApp, c: &Client, path: &str, form: &[(&str, &str)]) -> StatusCode {
    let csrf = app.page_csrf(c).await;
    let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(form);
    c.post(app.url(path))
        .form(&f)
        .send()
        .await
        .unwrap()
        .status()
}

const CAMPAIGN_RW: &[Scope] = &[Scope::CampaignsRead, Scope::CampaignsWrite];

async fn campaigns_state(app: &TestApp) -> Vec<String> {
    let mut v = dump(
        app,
        "SELECT CAST(id AS TEXT) || '|' || status || '|' || channels FROM campaigns ORDER BY id",
    )
    .await;
    v.extend(dump(app, "SELECT CAST(id AS TEXT) || '|' || kind || '|' || name FROM campaign_channels ORDER BY id").await);
    v.extend(dump(app, "SELECT CAST(COUNT(*) AS TEXT) FROM inbox_messages").await);
    v.extend(
        dump(
            app,
            "SELECT CAST(COUNT(*) AS TEXT) FROM campaign_deliveries",
        )
        .await,
    );
    v
}

#[tokio::test]
async fn campaign_channels_and_recall_refuse_other_roles_and_change_nothing() {
    let app = spawn_seeded().await;
    // A published article and a campaign of the first school, delivered to the inboxes.
    let police = app.token("police1", CAMPAIGN_RW).await;
    let admin = app.token("admin1", CAMPAIGN_RW).await;
    let (s, c) = post(
        &app,
        &police,
        "/api/v1/campaigns/contents",
        json!({"unit": "SCH1", "kind": "article", "title": "刷单返利防范", "body_md": "别信刷单",
               "fraud_types": ["rebate_task"], "target_hint": "新生", "quiz": []}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let content = c["id"].as_i64().unwrap();
    let (s, _) = post(
        &app,
        &police,
        &format!("/api/v1/campaigns/contents/{content}/submit"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = post(
        &app,
        &admin,
        &format!("/api/v1/campaigns/contents/{content}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, c) = post(
        &app,
        &admin,
        "/api/v1/campaigns",
        json!({"unit": "SCH1", "title": "开学季防刷单", "content_id": content, "fraud_type": "rebate_task", "channels": []}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_i64().unwrap();
    for _ in 0..4 {
        app.runner.run_until_idle().await.unwrap();
        app.state.clock.advance_ms(3_600_000);
    }
    let before = campaigns_state(&app).await;
    assert_ne!(
        before.last().map(String::as_str),
        Some("0"),
        "delivered: {before:?}"
    );

    let channel = json!({"unit": "SCH1", "kind": "webhook", "name": "hook",
        "url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef0123456789abcdef"});
    // Roles that manage no campaigns here: 403; managers of another school: 404.
    for (user, want) in [
        ("counselor1", StatusCode::FORBIDDEN),
        ("leader1", StatusCode::FORBIDDEN),
        ("province1", StatusCode::FORBIDDEN),
        ("student1", StatusCode::FORBIDDEN),
        ("partner1", StatusCode::FORBIDDEN),
        ("admin2", StatusCode::NOT_FOUND),
        ("police2", StatusCode::NOT_FOUND),
    ] {
        let t = app.token(user, CAMPAIGN_RW).await;
        let (s, e) = post(&app, &t, "/api/v1/campaigns/channels", channel.clone()).await;
        assert_eq!(s, want, "{user} channel: {e}");
        let (s, e) = post(
            &app,
            &t,
            &format!("/api/v1/campaigns/{cid}/recall"),
            json!({}),
        )
        .await;
        assert_eq!(s, want, "{user} recall: {e}");
    }
    // A manager's token without the write scope.
    let read_only = app.token("admin1", &[Scope::CampaignsRead]).await;
    let (s, _) = post(
        &app,
        &read_only,
        "/api/v1/campaigns/channels",
        channel.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post(
        &app,
        &read_only,
        &format!("/api/v1/campaigns/{cid}/recall"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Bad input from the manager: a channel of an unknown kind or outside scope, an unknown campaign.
    for bad in [
        json!({"unit": "SCH1", "kind": "carrier_pigeon", "name": "x", "url": "http://127.0.0.1:9/x"}),
        json!({"unit": "SCH2", "kind": "webhook", "name": "x", "url": "http://127.0.0.1:9/x", "secret": "0123456789abcdef0123456789abcdef"}),
        json!({"unit": "SCH1", "kind": "webhook", "name": "", "url": "not a url", "secret": "0123456789abcdef0123456789abcdef"}),
    ] {
        let (s, e) = post(&app, &admin, "/api/v1/campaigns/channels", bad.clone()).await;
        assert!(s.is_client_error(), "{bad}: {s} {e}");
    }
    let (s, _) = post(
        &app,
        &admin,
        &format!("/api/v1/campaigns/{}/recall", cid + 1000),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The page's recall button, for a counselor.
    let c = app.login("counselor1").await;
    let s = post_form(&app, &c, &format!("/campaigns/{cid}/recall"), &[]).await;
    assert!(
        matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{s}"
    );
    assert_eq!(
        campaigns_state(&app).await,
        before,
        "refusals changed nothing"
    );
    // The manager's own recall works, so the refusals above were not refused for another reason.
    let (s, c) = post(
        &app,
        &admin,
        &format!("/api/v1/campaigns/{cid}/recall"),
        json!({}),
    )
    .await;
    assert_eq!(
        (s, c["status"].as_str()),
        (StatusCode::OK, Some("recalled")),
        "{c}"
    );
}

async fn warnings_state(app: &TestApp) -> Vec<String> {
    let mut v = dump(
        app,
        "SELECT CAST(id AS TEXT) || '|' || status || '|' || COALESCE(CAST(contacted_at AS TEXT), '-') || '|' || \
         COALESCE(contact_method, '-') || '|' || COALESCE(outcome, '-') FROM warnings ORDER BY id",
    )
    .await;
    v.extend(dump(app, "SELECT CAST(COUNT(*) AS TEXT) FROM warning_events").await);
    v.extend(dump(app, "SELECT CAST(COUNT(*) AS TEXT) FROM inbox_messages").await);
    v.extend(dump(app, "SELECT CAST(COUNT(*) AS TEXT) FROM jobs").await);
    v
}

#[tokio::test]
async fn warning_batch_and_contact_refuse_other_roles_and_change_nothing() {
    let app = spawn_seeded().await;
    let police = app
        .token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let (s, w) = post(
        &app,
        &police,
        "/api/v1/warnings",
        json!({"student_no": "2023010101", "fraud_type": "fake_loan", "severity": "high"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let id = w["id"].as_i64().unwrap();
    let before = warnings_state(&app).await;

    // The CSV batch: only issuers (police) may send one.
    let csv = "学号,诈骗类型,级别\n2023010102,fake_loan,high\n";
    for user in ["counselor1", "leader1", "admin1", "province1", "student1"] {
        let t = app
            .token(user, &[Scope::WarningsWrite, Scope::WarningsRead])
            .await;
        let r = app.api_post(&t, "/api/v1/warnings/batch", csv.into()).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
    }
    let read_only = app.token("police1", &[Scope::WarningsRead]).await;
    let r = app
        .api_post(&read_only, "/api/v1/warnings/batch", csv.into())
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The page's upload, for a school admin.
    let c = app.login("admin1").await;
    let csrf = app.page_csrf(&c).await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("w.csv"),
    );
    let r = c
        .post(app.url("/warnings/batch"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Bad input from the police: an empty file and a file of no known columns.
    for bad in ["", "a,b\n1,2\n"] {
        let r = app
            .api_post(&police, "/api/v1/warnings/batch", bad.into())
            .await;
        assert!(r.status().is_client_error(), "{bad:?}: {}", r.status());
    }
    assert_eq!(
        warnings_state(&app).await,
        before,
        "refused batches wrote nothing"
    );

    // Contact: only the student's chain (and those the matrix lets act here) records one.
    for (user, want) in [
        ("counselor2", StatusCode::NOT_FOUND),
        ("counselor4", StatusCode::NOT_FOUND),
        ("police2", StatusCode::NOT_FOUND),
        ("admin2", StatusCode::NOT_FOUND),
        // A student's token cannot carry `warnings:write` at all (outside the student's role).
        ("student2", StatusCode::FORBIDDEN),
    ] {
        let t = app
            .token(user, &[Scope::WarningsWrite, Scope::WarningsRead])
            .await;
        let (s, e) = post(
            &app,
            &t,
            &format!("/api/v1/warnings/{id}/contact"),
            json!({"method": "phone"}),
        )
        .await;
        assert_eq!(s, want, "{user}: {e}");
    }
    let counselor = app.token("counselor1", &[Scope::WarningsWrite]).await;
    let read_only = app.token("counselor1", &[Scope::WarningsRead]).await;
    let (s, _) = post(
        &app,
        &read_only,
        &format!("/api/v1/warnings/{id}/contact"),
        json!({"method": "phone"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for bad in [
        json!({"method": "carrier_pigeon"}),
        json!({"method": "phone", "notes": "x".repeat(2001)}),
    ] {
        let (s, e) = post(
            &app,
            &counselor,
            &format!("/api/v1/warnings/{id}/contact"),
            bad,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    }
    // The page's form, for another class's counselor.
    let c = app.login("counselor2").await;
    let s = post_form(
        &app,
        &c,
        &format!("/warnings/{id}/contact"),
        &[("method", "phone"), ("at", ""), ("notes", "")],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        warnings_state(&app).await,
        before,
        "refused contacts wrote nothing"
    );
    // The responsible counselor's contact is recorded, so the refusals were about who asked.
    let (s, e) = post(
        &app,
        &counselor,
        &format!("/api/v1/warnings/{id}/contact"),
        json!({"method": "phone"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_ne!(warnings_state(&app).await, before);
}

async fn intel_state(app: &TestApp) -> Vec<String> {
    let mut v = dump(
        app,
        "SELECT CAST(id AS TEXT) || '|' || kind || '|' || value || '|' || status || '|' || tlp || '|' || \
         CAST(sightings AS TEXT) FROM indicators ORDER BY id",
    )
    .await;
    v.extend(
        dump(app, "SELECT CAST(id AS TEXT) || '|' || status || '|' || COALESCE(outcome, '-') FROM intel_reviews ORDER BY id")
            .await,
    );
    v.extend(dump(app, "SELECT CAST(COUNT(*) AS TEXT) FROM indicator_changes").await);
    v.extend(dump(app, "SELECT CAST(COUNT(*) AS TEXT) FROM labelled_examples").await);
    v
}

#[tokio::test]
async fn intel_decide_merge_and_review_resolution_refuse_other_roles_and_change_nothing() {
    let app = spawn_seeded().await;
    let police = app.login("police1").await;
    for (kind, value) in [("phone", "17088886666"), ("qq", "2847561039")] {
        let s = post_form(
            &app,
            &police,
            "/intel/new",
            &[
                ("kind", kind),
                ("value", value),
                ("status", "suspected"),
                ("fraud_type", "rebate_task"),
                ("tlp", "green"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{kind}");
    }
    let phone = app
        .scalar("SELECT id FROM indicators WHERE kind = 'phone'")
        .await;
    let qq = app
        .scalar("SELECT id FROM indicators WHERE kind = 'qq'")
        .await;
    // A student says a check was wrong: one review to resolve.
    let s1 = app.login("student1").await;
    let r = s1
        .post(app.url("/check"))
        .form(&[
            ("csrf", app.page_csrf(&s1).await.as_str()),
            ("q", "17088886666"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let check = r.headers()["location"].to_str().unwrap().to_string();
    let s = post_form(
        &app,
        &s1,
        &format!("{check}/wrong"),
        &[("claim", "false_positive"), ("comment", "我同学")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let review = app.scalar("SELECT MAX(id) FROM intel_reviews").await;
    let before = intel_state(&app).await;

    let (from, into) = (qq.to_string(), phone.to_string());
    let phone_s = phone.to_string();
    for user in ["counselor1", "leader1", "admin1", "student1"] {
        let c = app.login(user).await;
        let s = post_form(
            &app,
            &c,
            &format!("/intel/{qq}"),
            &[("status", "cleared"), ("tlp", "red")],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user} decide");
        let s = post_form(
            &app,
            &c,
            "/intel/merge",
            &[("from", &from), ("into", &into)],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user} merge");
        let s = post_form(
            &app,
            &c,
            &format!("/intel/reviews/{review}"),
            &[("outcome", "clear"), ("indicator", &phone_s)],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user} resolve");
    }
    assert_eq!(
        intel_state(&app).await,
        before,
        "refused roles changed nothing"
    );

    // Bad input from the police: each refused, nothing changed.
    for (path, form) in [
        (format!("/intel/{qq}"), vec![("status", "gone")]),
        (format!("/intel/{qq}"), vec![("tlp", "purple")]),
        (format!("/intel/{}", qq + 1000), vec![("status", "cleared")]),
        (
            "/intel/merge".to_string(),
            vec![("from", from.as_str()), ("into", from.as_str())],
        ),
        (
            "/intel/merge".to_string(),
            vec![("from", from.as_str()), ("into", "999999")],
        ),
        (
            "/intel/merge".to_string(),
            vec![("from", "x"), ("into", into.as_str())],
        ),
        (
            format!("/intel/reviews/{review}"),
            vec![("outcome", "burn")],
        ),
        (
            format!("/intel/reviews/{review}"),
            vec![("outcome", "label"), ("label", "not-a-type")],
        ),
        (
            format!("/intel/reviews/{}", review + 1000),
            vec![("outcome", "dismiss")],
        ),
    ] {
        let s = post_form(&app, &police, &path, &form).await;
        assert!(s.is_client_error(), "{path} {form:?}: {s}");
    }
    assert_eq!(
        intel_state(&app).await,
        before,
        "refused input changed nothing"
    );
    // The same merge by the police goes through, so the refusals were about who and what.
    let s = post_form(
        &app,
        &police,
        "/intel/merge",
        &[("from", &from), ("into", &into)],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_ne!(intel_state(&app).await, before);
}

async fn case_state(app: &TestApp, id: i64) -> Vec<String> {
    let mut v = dump(
        app,
        &format!(
            "SELECT fraud_type || '|' || channel || '|' || CAST(occurred_at AS TEXT) || '|' || \
             CAST(amount_lost_cents AS TEXT) || '|' || status || '|' || narrative FROM cases WHERE id = {id}"
        ),
    )
    .await;
    v.extend(dump(app, "SELECT CAST(COUNT(*) AS TEXT) FROM cases").await);
    v.extend(
        dump(
            app,
            "SELECT kind || ':' || value FROM case_indicators ORDER BY kind, value",
        )
        .await,
    );
    v.extend(dump(app, "SELECT CAST(COALESCE(SUM(cases), 0) AS TEXT) || '|' || CAST(COALESCE(SUM(lost_cents), 0) AS TEXT) FROM case_monthly").await);
    v
}

#[tokio::test]
async fn case_updates_refuse_other_roles_and_bad_input_and_change_nothing() {
    let app = spawn_seeded().await;
    let rw = [Scope::CasesRead, Scope::CasesWrite];
    let police = app.token("police1", &rw).await;
    let case = |lost: &str| {
        json!({"unit": "SCH1", "student_no": "2023010101", "fraud_type": "rebate_task", "channel": "qq",
               "occurred_at": "2025-02-14 21:30", "amount_lost": lost, "status": "open",
               "narrative": "刷单返利", "indicators": [{"kind": "phone", "value": "13800009999"}]})
    };
    let (s, c) = post(&app, &police, "/api/v1/cases", case("1000")).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    let before = case_state(&app, id).await;
    let path = format!("/api/v1/cases/{id}");
    for (user, want) in [
        ("admin1", StatusCode::FORBIDDEN),
        ("leader1", StatusCode::FORBIDDEN),
        ("counselor1", StatusCode::FORBIDDEN),
        ("province1", StatusCode::FORBIDDEN),
        ("student1", StatusCode::FORBIDDEN),
        ("partner1", StatusCode::FORBIDDEN),
        ("police2", StatusCode::NOT_FOUND),
    ] {
        let t = app.token(user, &rw).await;
        let (s, e) = send(&app, reqwest::Method::PUT, &t, &path, case("99999")).await;
        assert_eq!(s, want, "{user}: {e}");
    }
    let read_only = app.token("police1", &[Scope::CasesRead]).await;
    let (s, _) = send(&app, reqwest::Method::PUT, &read_only, &path, case("99999")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Bad input from the police officer who may update it.
    for bad in [
        case("a lot"),
        json!({"unit": "SCH1", "student_no": "2023010101", "fraud_type": "alien_abduction", "channel": "qq",
               "occurred_at": "2025-02-14 21:30", "amount_lost": "1", "status": "open", "narrative": "x"}),
        json!({"unit": "SCH1", "student_no": "2023010101", "fraud_type": "rebate_task", "channel": "qq",
               "occurred_at": "yesterday", "amount_lost": "1", "status": "open", "narrative": "x"}),
        json!({"unit": "SCH2", "student_no": "2023510101", "fraud_type": "rebate_task", "channel": "qq",
               "occurred_at": "2025-02-14 21:30", "amount_lost": "1", "status": "open", "narrative": "x"}),
    ] {
        let (s, e) = send(&app, reqwest::Method::PUT, &police, &path, bad.clone()).await;
        assert!(s.is_client_error(), "{bad}: {s} {e}");
    }
    let (s, _) = send(
        &app,
        reqwest::Method::PUT,
        &police,
        &format!("/api/v1/cases/{}", id + 1000),
        case("1"),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The page's form, for the school admin.
    let c = app.login("admin1").await;
    let s = post_form(
        &app,
        &c,
        &format!("/cases/{id}"),
        &[("amount_lost", "99999")],
    )
    .await;
    assert!(
        matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{s}"
    );
    assert_eq!(
        case_state(&app, id).await,
        before,
        "refusals changed nothing"
    );
    // The officer's update goes through, so the refusals were about who and what.
    let (s, e) = send(&app, reqwest::Method::PUT, &police, &path, case("2000")).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_ne!(case_state(&app, id).await, before);
}

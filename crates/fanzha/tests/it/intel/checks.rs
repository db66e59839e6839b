//! Risk check and indicator intelligence: the store and its audited status changes, the check page
//! (happy path, bad input, who sees what), the API (contract, bad input, scopes, rate limit and
//! quota), the police console (roles, import all-or-nothing, STIX/MISP/CSV round trip), the review
//! queue, and the index refresh across two app instances on one database.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::*;
use fanzha::audit::Actor;
use fanzha::auth::model::Scope;
use fanzha::intel::service::{self, By};
use fanzha_detect::FraudType;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const SCAM: &str = "【京东客服】您的订单商品存在质量问题,可办理双倍赔付,请访问 http://jd-refund.top/claim 并加微信 tb_kefu888 办理退款";

fn police_by(app: &TestApp) -> By {
    By {
        actor: Actor {
            account_id: Some(app.fx.account("police1")),
            name: "police1".into(),
            ip: "test".into(),
            request_id: String::new(),
        },
        unit_path: app.fx.unit("ST1").path.clone(),
    }
}

/// Seeds indicators through the service functions other modules call.
async fn seed_indicators(app: &TestApp) {
    let st = &app.state;
    let mut tx = st.db.pool.begin().await.unwrap();
    for n in 0..3 {
        service::record_sighting(
            &mut tx,
            &st.clock,
            "wechat",
            "TB_kefu888",
            &[FraudType::ImpersonateCustomerService],
            &format!("report:{n}"),
        )
        .await
        .unwrap();
    }
    service::confirm(
        &mut tx,
        &st.clock,
        &police_by(app),
        "phone",
        "+86 170-8888-6666",
        &[FraudType::ImpersonatePolice],
        "case:1",
    )
    .await
    .unwrap();
    service::record_sighting(
        &mut tx,
        &st.clock,
        "domain",
        "quick-loan-cn.xyz",
        &[FraudType::FakeLoan],
        "report:9",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Amber: its sources are for police only.
    let id: i64 = app
        .scalar("SELECT id FROM indicators WHERE value = 'quick-loan-cn.xyz'")
        .await;
    let mut tx = st.db.pool.begin().await.unwrap();
    service::decide(
        &mut tx,
        &st.clock,
        &police_by(app),
        id,
        Some(fanzha::intel::model::Status::Suspected),
        Default::default(),
        Some(fanzha::intel::model::Tlp::Amber),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    st.intel.refresh(&st.db, &st.clock).await.unwrap();
}

async fn post_form(
    app: &TestApp,
    c: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let csrf = app.page_csrf(c).await;
    let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(form);
    let r = c.post(app.url(path)).form(&f).send().await.unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, loc, r.text().await.unwrap())
}

async fn risk(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    client()
        .post(app.url("/api/v1/risk/check"))
        .bearer_auth(token)
        .header("cookie", "fz_lang=en")
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sightings_and_confirmation_are_stored_canonical_and_audited() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    assert_eq!(
        app.scalar(
            "SELECT sightings FROM indicators WHERE kind = 'wechat' AND value = 'tb_kefu888'"
        )
        .await,
        3,
        "one canonical row, three sightings"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM indicators WHERE kind = 'phone' AND value = '17088886666' AND status = 'confirmed'").await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM indicator_sources").await,
        5
    );
    let audits = app.audit("intel.status").await;
    assert_eq!(audits.len(), 2, "confirm and suspect");
    assert!(audits[0].detail.contains("confirmed"));
    // Bad value: refused, nothing stored.
    let before = app.scalar("SELECT COUNT(*) FROM indicators").await;
    let mut tx = app.state.db.pool.begin().await.unwrap();
    let e = service::record_sighting(
        &mut tx,
        &app.state.clock,
        "bank_card",
        "1234567890123456789012345",
        &[],
        "report:1",
    )
    .await;
    assert!(e.is_err());
    let e = service::record_sighting(&mut tx, &app.state.clock, "fax", "1", &[], "report:1").await;
    assert!(e.is_err());
    // Rolled back explicitly: a dropped transaction keeps its locks on PostgreSQL until the
    // connection is reused, which would block dropping the test's schema.
    tx.rollback().await.unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, before);
}

#[tokio::test]
async fn student_checks_a_message_and_sees_why_and_what_to_do() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    let c = app.login("student1").await;
    let (s, loc, _) = post_form(&app, &c, "/check", &[("q", SCAM)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc.starts_with("/check/"), "{loc}");
    let (s, html) = app.get(&c, &loc).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-level=\"high\""), "{html}");
    assert!(html.contains("tb_kefu888"));
    assert!(html.contains("96110"));
    let id = loc.trim_start_matches("/check/");
    assert!(html.contains(&format!("/reports/new?check={id}")));
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM risk_checks WHERE id = {id} AND level = 'high' AND account_id = {}", app.fx.account("student1"))).await,
        1
    );
    // The counselor gets one follow-up warning for the student, however many checks follow.
    let followups = "SELECT COUNT(*) FROM warnings w JOIN accounts a ON a.student_id = w.student_id \
                     WHERE a.username = 'student1' AND w.origin = 'risk_check' AND w.severity = 'low'";
    assert_eq!(app.scalar(followups).await, 1);
    let (_, again, _) = post_form(&app, &c, "/check", &[("q", SCAM)]).await;
    assert!(again.starts_with("/check/"), "{again}");
    assert_eq!(app.scalar(followups).await, 1);
    // A police-confirmed number typed alone.
    let (_, loc2, _) = post_form(&app, &c, "/check", &[("q", "170 8888 6666")]).await;
    let (_, html2) = app.get(&c, &loc2).await;
    // Spaces inside do not hide it: the verdict is high, never "none" (which would reassure).
    assert!(html2.contains("data-level=\"high\""), "{html2}");
    let (_, loc3, _) = post_form(&app, &c, "/check", &[("q", "17088886666")]).await;
    let (_, html3) = app.get(&c, &loc3).await;
    assert!(html3.contains("data-level=\"high\""), "{html3}");
    assert!(html3.contains("警方已确认"));
    // History lists the checks.
    let (_, page) = app.get(&c, "/check").await;
    assert!(page.contains(&format!("href=\"/check/{id}\"")));
    // Another student cannot open it.
    let other = app.login("student2").await;
    let (s, _) = app.get(&other, &loc).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn student_does_not_see_sources_of_amber_indicators() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    let c = app.login("student1").await;
    let (_, loc, _) = post_form(&app, &c, "/check", &[("q", "quick-loan-cn.xyz")]).await;
    let (_, html) = app.get(&c, &loc).await;
    assert!(html.contains("TLP:AMBER"), "{html}");
    assert!(!html.contains("来源:"), "no source list for amber");
    let (_, loc, _) = post_form(&app, &c, "/check", &[("q", "tb_kefu888")]).await;
    let (_, html) = app.get(&c, &loc).await;
    assert!(html.contains("群众举报"), "green sources are shown: {html}");
    // Police see the amber sources of the same check.
    let police = app.login("police1").await;
    let first = app.scalar("SELECT MIN(id) FROM risk_checks").await;
    let (s, html) = app.get(&police, &format!("/check/{first}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("群众举报 #9"), "{html}");
}

#[tokio::test]
async fn bad_check_input_is_refused_and_nothing_stored() {
    let app = spawn_seeded().await;
    let c = app.login("student1").await;
    let big = "诈".repeat(40_000);
    for q in ["", "   ", big.as_str(), "\u{0}\u{1}\u{2}\u{3}PK\u{4}"] {
        let (s, _, body) = post_form(&app, &c, "/check", &[("q", q)]).await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "{:?}",
            q.chars().take(10).collect::<String>()
        );
        assert!(body.contains("check-error"));
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM risk_checks").await, 0);
}

#[tokio::test]
async fn api_contract_single_indicator_and_batch() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    let t = app.token("partner1", &[Scope::RiskCheck]).await;
    let r = risk(
        &app,
        &t,
        json!({"kind": "phone", "value": "+86 17088886666"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["level"], "high");
    assert_eq!(v["fraud_type"], "impersonate_police");
    assert_eq!(v["indicators"][0]["confirmed"], true);
    assert!(v["description"].as_str().unwrap().len() > 10);
    let r = risk(&app, &t, json!({"text": SCAM})).await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["level"], "high");
    assert!(v["risk"].as_f64().unwrap() > 0.5);
    assert!(v["extracted"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "url"));
    let items: Vec<Value> = (0..1000)
        .map(|i| json!({"kind": "qq", "value": format!("{}", 100000 + i)}))
        .collect();
    let r = risk(&app, &t, json!({"items": items})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 1000);
    assert_eq!(v["results"][0]["level"], "none");
    // The API stores no checks.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM risk_checks").await, 0);
    // Documented in OpenAPI.
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/risk/check"]["post"].is_object());
}

#[tokio::test]
async fn api_bad_input_is_a_clear_4xx() {
    let app = spawn_seeded().await;
    let t = app.token("partner1", &[Scope::RiskCheck]).await;
    let big = "a".repeat(100 * 1024);
    for (body, code) in [
        (json!({"text": ""}), "intel-err-empty"),
        (json!({"text": big}), "intel-err-too-long"),
        (json!({"text": "\u{0}\u{1}\u{2}\u{3}"}), "intel-err-binary"),
        (
            json!({"kind": "url", "value": "http://a.cn/\u{7}x"}),
            "intel-err-value",
        ),
        (
            json!({"kind": "bank_card", "value": "1234567890123456789012345"}),
            "intel-err-value",
        ),
        (json!({"kind": "fax", "value": "123"}), "intel-err-kind"),
        (json!({"what": 1}), "intel-err-shape"),
        (json!({"items": []}), "intel-err-batch"),
    ] {
        let r = risk(&app, &t, body).await;
        let (s, c, m, _) = api_error(r).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{code}");
        assert_eq!(c, code.trim_start_matches("err-"), "{m}");
        assert!(!m.is_empty());
    }
    let items: Vec<Value> = (0..1001).map(|_| json!({"text": "x"})).collect();
    let (s, c, _, _) = api_error(risk(&app, &t, json!({"items": items})).await).await;
    assert_eq!(
        (s, c.as_str()),
        (StatusCode::BAD_REQUEST, "intel-err-batch")
    );
    let (s, c, _, details) = api_error(
        risk(&app, &t, json!({"items": [{"text": "ok"}, {"kind": "fax", "value": "1"}, {"kind": "qq", "value": "0"}]})).await,
    )
    .await;
    assert_eq!(
        (s, c.as_str()),
        (StatusCode::BAD_REQUEST, "intel-err-items")
    );
    assert_eq!(details.len(), 2);
    assert!(details[0].starts_with("item 2"), "{details:?}");
    let r = client()
        .post(app.url("/api/v1/risk/check"))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body(vec![0xff, 0xfe, 0x00, 0x01])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
}

#[tokio::test]
async fn partner_token_scopes_and_what_it_cannot_read() {
    let app = spawn_seeded().await;
    let no_scope = app.token("partner1", &[Scope::OrgRead]).await;
    let (s, _, _, _) = api_error(risk(&app, &no_scope, json!({"text": "hi"})).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Even with every scope, a partner account reads no people or units.
    let all = app.token("partner1", &Scope::ALL).await;
    let sid = app.fx.student("2023010101");
    for path in [
        format!("/api/v1/students/{sid}"),
        "/api/v1/units/CLS1A1/students".to_string(),
        "/api/v1/audit".to_string(),
    ] {
        let r = app.api_get(&all, &path).await;
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}: {}",
            r.status()
        );
    }
    // The unit list is refused: `org:read` lies outside a partner's role, so the token written
    // with every scope does not carry it at use.
    let r = app.api_get(&all, "/api/v1/units").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a partner lists no unit");
    // Reports and the stop-payment queue refuse partner tokens the same way.
    let report_id = app
        .scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM reports")
        .await;
    for path in [
        "/api/v1/reports".to_string(),
        "/api/v1/reports/stop-payments".to_string(),
        format!("/api/v1/reports/{report_id}"),
    ] {
        let r = app.api_get(&all, &path).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn rate_limit_and_daily_quota_answer_429_with_retry_after() {
    let app = spawn_app_with(
        |c| {
            c.risk_rate_per_second = 3;
            c.risk_daily_quota = 10;
        },
        true,
    )
    .await;
    let t = app.token("partner1", &[Scope::RiskCheck]).await;
    for _ in 0..3 {
        assert_eq!(
            risk(&app, &t, json!({"text": "hello"})).await.status(),
            StatusCode::OK
        );
    }
    let r = risk(&app, &t, json!({"text": "hello"})).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "1");
    let (_, code, _, _) = api_error(r).await;
    assert_eq!(code, "intel-err-rate");
    // Another token has its own bucket.
    let t2 = app.token("partner1", &[Scope::RiskCheck]).await;
    assert_eq!(
        risk(&app, &t2, json!({"text": "hello"})).await.status(),
        StatusCode::OK
    );
    // A second later: 3 more; then the daily quota (10 items) stops a batch of 5.
    app.state.clock.advance_ms(1_000);
    assert_eq!(
        risk(&app, &t, json!({"items": [{"text": "a"}, {"text": "b"}]}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        risk(
            &app,
            &t,
            json!({"items": [{"text": "a"}, {"text": "b"}, {"text": "c"}]})
        )
        .await
        .status(),
        StatusCode::OK
    );
    let r = risk(
        &app,
        &t,
        json!({"items": [{"text": "a"}, {"text": "b"}, {"text": "c"}]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 3600, "until the next UTC day: {retry}");
    let (_, code, _, _) = api_error(r).await;
    assert_eq!(code, "intel-err-quota");
    // Usage reaches the table, shared by every process.
    app.state
        .intel
        .quota
        .flush(&app.state.db, &app.state.clock)
        .await
        .unwrap();
    assert_eq!(
        app.scalar("SELECT CAST(SUM(calls) AS BIGINT) FROM api_usage")
            .await,
        9
    );
    // The next day the quota is fresh.
    app.state.clock.advance_ms(86_400_000);
    assert_eq!(
        risk(&app, &t, json!({"text": "hello"})).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn console_is_for_police_only() {
    let app = spawn_seeded().await;
    for user in ["student1", "counselor1", "leader1", "admin1", "partner1"] {
        let c = app.login(user).await;
        let (s, _) = app.get(&c, "/intel").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user}");
        let (s, _) = app.get(&c, "/intel/export?format=csv").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user}");
        let (s, _, _) = post_form(
            &app,
            &c,
            "/intel/new",
            &[
                ("kind", "phone"),
                ("value", "17088886666"),
                ("status", "confirmed"),
                ("tlp", "green"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user}");
        let (_, html) = app.get(&c, "/check").await;
        assert!(
            !html.contains("href=\"/intel\""),
            "{user} has no console link"
        );
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, 0);
    let denied = app.audit("access.denied").await;
    assert!(denied.iter().filter(|d| d.target_kind == "intel").count() >= 15);
    for user in ["police1", "province1"] {
        let c = app.login(user).await;
        let (s, html) = app.get(&c, "/intel").await;
        assert_eq!(s, StatusCode::OK, "{user}");
        assert!(html.contains("href=\"/intel\""));
    }
}

#[tokio::test]
async fn police_confirm_clear_set_tlp_and_merge() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    let c = app.login("police1").await;
    let (s, _, _) = post_form(
        &app,
        &c,
        "/intel/new",
        &[
            ("kind", "qq"),
            ("value", "2847561039"),
            ("status", "suspected"),
            ("fraud_type", "rebate_task"),
            ("tlp", "red"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let id = app
        .scalar("SELECT id FROM indicators WHERE kind = 'qq' AND value = '2847561039'")
        .await;
    let (s, _, _) = post_form(
        &app,
        &c,
        &format!("/intel/{id}"),
        &[("status", "confirmed"), ("tlp", "amber")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM indicators WHERE id = {id} AND status = 'confirmed' AND tlp = 'amber'")).await, 1);
    let t = app.token("partner1", &[Scope::RiskCheck]).await;
    let v: Value = risk(&app, &t, json!({"kind": "qq", "value": "2847561039"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["level"], "high", "visible at once in this process");
    // Clear: false positive.
    post_form(&app, &c, &format!("/intel/{id}"), &[("status", "cleared")]).await;
    let v: Value = risk(&app, &t, json!({"kind": "qq", "value": "2847561039"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["level"], "none");
    let a = app.audit("intel.status").await;
    assert!(a
        .iter()
        .any(|e| e.detail.contains("\"to\":\"cleared\"") && e.actor == "police1"));
    assert!(!app.audit("intel.tlp").await.is_empty());
    // Bad status: refused, unchanged.
    let row = |id: i64| {
        let app = &app;
        async move {
            sqlx::query_scalar::<_, String>(&format!(
                "SELECT status || '|' || tlp || '|' || CAST(sightings AS TEXT) || '|' || CAST(updated_at AS TEXT) \
                 FROM indicators WHERE id = {id}"
            ))
            .fetch_optional(&app.state.db.pool)
            .await
            .unwrap()
        }
    };
    let changes = "SELECT COUNT(*) FROM indicator_changes";
    let (before, changes_before) = (row(id).await, app.scalar(changes).await);
    let (s, _, _) = post_form(&app, &c, &format!("/intel/{id}"), &[("status", "gone")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(row(id).await, before, "a refused decision changed nothing");
    assert_eq!(app.scalar(changes).await, changes_before);
    // Merge the wechat id into the phone: sightings add up, the wechat row is gone.
    let from = app
        .scalar("SELECT id FROM indicators WHERE kind = 'wechat'")
        .await;
    let into = app
        .scalar("SELECT id FROM indicators WHERE kind = 'phone'")
        .await;
    let (s, _, _) = post_form(
        &app,
        &c,
        "/intel/merge",
        &[("from", &from.to_string()), ("into", &into.to_string())],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!(
            "SELECT sightings FROM indicators WHERE id = {into}"
        ))
        .await,
        3
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM indicators WHERE id = {from}"
        ))
        .await,
        0
    );
    assert_eq!(app.audit("intel.merge").await.len(), 1);
    let (before, count_before) = (
        row(into).await,
        app.scalar("SELECT COUNT(*) FROM indicators").await,
    );
    let (s, _, _) = post_form(
        &app,
        &c,
        "/intel/merge",
        &[("from", &into.to_string()), ("into", &into.to_string())],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(row(into).await, before, "a refused merge changed nothing");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM indicators").await,
        count_before
    );
    assert_eq!(app.audit("intel.merge").await.len(), 1);
    // Search and filter.
    let (_, html) = app.get(&c, "/intel?kind=phone&status=confirmed").await;
    assert!(html.contains("17088886666"));
    assert!(!html.contains("quick-loan-cn.xyz"));
    let (_, html) = app.get(&c, "/intel?q=quick").await;
    assert!(html.contains("quick-loan-cn.xyz"));
}

async fn import(app: &TestApp, c: &Client, format: &str, data: Vec<u8>) -> (StatusCode, String) {
    let csrf = app.page_csrf(c).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("format", format.to_string())
        .part("file", reqwest::multipart::Part::bytes(data).file_name("x"));
    let r = c
        .post(app.url("/intel/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

async fn export(app: &TestApp, c: &Client, format: &str) -> String {
    let (s, body) = app.get(c, &format!("/intel/export?format={format}")).await;
    assert_eq!(s, StatusCode::OK);
    body
}

fn csv_set(csv: &str) -> BTreeSet<String> {
    csv.lines().skip(1).map(str::to_string).collect()
}

#[tokio::test]
async fn import_with_a_bad_entry_writes_nothing() {
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    let csv = "kind,value,status,fraud_types,tlp\nphone,17088886666,confirmed,impersonate_police,green\nbank_card,1234567890123456789012345,reported,,green\nfax,1,reported,,green\nqq,2847561039,reported,no_such_type,green\n";
    let (s, html) = import(&app, &c, "csv", csv.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for line in ["line 3", "line 4", "line 5"] {
        assert!(html.contains(line), "{line}: {html}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM intel_imports").await, 0);
    // A feed with nothing fanzha can hold (a feed with some is imported, the rest skipped: see
    // tests/it/intel/exchange.rs).
    let stix = r#"{"type":"bundle","id":"bundle--1","objects":[{"type":"identity","id":"identity--1"},{"type":"indicator","pattern":"[file:hashes.MD5 = 'x']","pattern_type":"stix"}]}"#;
    let (s, html) = import(&app, &c, "stix", stix.into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("object 2"), "{html}");
    let (s, _) = import(&app, &c, "misp", b"not json".to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = import(&app, &c, "xml", b"<a/>".to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, 0);
    // Students cannot import.
    let s1 = app.login("student1").await;
    let (s, _) = import(&app, &s1, "csv", b"kind,value\nqq,12345\n".to_vec()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn stix_misp_and_csv_exports_reimport_to_the_same_set() {
    let a = spawn_seeded().await;
    seed_indicators(&a).await;
    let ca = a.login("police1").await;
    // More kinds, awkward values.
    let csv = "kind,value,status,fraud_types,tlp\nurl,http://jd-refund.top/claim?x='1',confirmed,impersonate_customer_service|fake_shopping,clear\nip,203.0.113.77,reported,game_trade,red\nip,2001:db8::1,suspected,,green\nbank_card,6222020200112233446,confirmed,impersonate_police,amber\nalipay,pay@example.com,reported,fake_loan,green\nqq,2847561039,cleared,,green\napp,云上会议Pro,reported,,green\nother_account,douyin:abc123,reported,romance,green\n";
    let (s, html) = import(&a, &ca, "csv", csv.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("intel-notice"));
    let reference = csv_set(&export(&a, &ca, "csv").await);
    assert_eq!(reference.len(), 11);
    for format in ["stix", "misp", "csv"] {
        let file = export(&a, &ca, format).await;
        let b = spawn_seeded().await;
        let cb = b.login("police1").await;
        let (s, html) = import(&b, &cb, format, file.into_bytes()).await;
        assert_eq!(s, StatusCode::OK, "{format}: {html}");
        assert_eq!(
            csv_set(&export(&b, &cb, "csv").await),
            reference,
            "{format} round trip"
        );
    }
    assert_eq!(a.audit("intel.export").await.len(), 4);
}

#[tokio::test]
async fn wrong_answer_goes_to_review_and_feeds_back() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    let s1 = app.login("student1").await;
    let (_, loc, _) = post_form(&app, &s1, "/check", &[("q", "tb_kefu888")]).await;
    let check_id = loc.trim_start_matches("/check/").to_string();
    let wrong = format!("/check/{check_id}/wrong");
    let (s, loc2, _) = post_form(
        &app,
        &s1,
        &wrong,
        &[("claim", "false_positive"), ("comment", "我同学的微信")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc2.ends_with("?sent=1"));
    let (s, _, _) = post_form(&app, &s1, &wrong, &[("claim", "false_positive")]).await;
    assert_eq!(s, StatusCode::CONFLICT, "once per check");
    let (s, _, _) = post_form(&app, &s1, &wrong, &[("claim", "maybe")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let s2 = app.login("student2").await;
    let (s, _, _) = post_form(&app, &s2, &wrong, &[("claim", "false_positive")]).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not their check");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM intel_reviews").await, 1);
    // A second item, labelled for retraining.
    let (_, loc3, _) = post_form(
        &app,
        &s1,
        "/check",
        &[(
            "q",
            "学长,帮我在这个平台投点钱,稳赚不赔,老师带单每天收益百分之二十",
        )],
    )
    .await;
    post_form(
        &app,
        &s1,
        &format!("{loc3}/wrong"),
        &[("claim", "false_negative")],
    )
    .await;

    // Counselors may not resolve.
    let counselor = app.login("counselor1").await;
    let (s, _) = app.get(&counselor, "/intel/reviews").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let police = app.login("police1").await;
    let (s, html) = app.get(&police, "/intel/reviews").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("我同学的微信"));
    let r1 = app
        .scalar(&format!(
            "SELECT id FROM intel_reviews WHERE check_id = {check_id}"
        ))
        .await;
    let ind = app
        .scalar("SELECT id FROM indicators WHERE kind = 'wechat'")
        .await;
    let (s, _, _) = post_form(
        &app,
        &police,
        &format!("/intel/reviews/{r1}"),
        &[("outcome", "clear"), ("indicator", &ind.to_string())],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM indicators WHERE id = {ind} AND status = 'cleared'"
        ))
        .await,
        1
    );
    let (s, _, _) = post_form(
        &app,
        &police,
        &format!("/intel/reviews/{r1}"),
        &[("outcome", "dismiss")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "already resolved");
    let r2 = app.scalar("SELECT MAX(id) FROM intel_reviews").await;
    let (s, _, _) = post_form(
        &app,
        &police,
        &format!("/intel/reviews/{r2}"),
        &[("outcome", "label"), ("label", "nope")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = post_form(
        &app,
        &police,
        &format!("/intel/reviews/{r2}"),
        &[("outcome", "label"), ("label", "fake_investment")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, jsonl) = app.get(&police, "/intel/examples.jsonl").await;
    assert_eq!(s, StatusCode::OK);
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["label"], "fake_investment");
    assert!(lines[0]["text"].as_str().unwrap().contains("稳赚不赔"));
    // The file is what `fanzha train` reads.
    let path = app.dir.path().join("examples.jsonl");
    std::fs::write(&path, &jsonl).unwrap();
    let ex = fanzha_detect::model::read_jsonl(&path, None).unwrap();
    assert_eq!(ex[0].label, FraudType::FakeInvestment);
    assert_eq!(app.audit("intel.review").await.len(), 2);
}

#[tokio::test]
async fn a_change_in_one_process_is_visible_in_another_within_two_seconds() {
    let a = spawn_seeded().await;
    // A second app instance on the same database, with its own index and refresher.
    let b = fanzha::web::App::new(
        fanzha::config::Config {
            data_dir: a.dir.path().to_path_buf(),
            ..Default::default()
        },
        a.state.db.clone(),
        a.state.clock.clone(),
    );
    let b_state = b.state.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_addr = listener.local_addr().unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(b.serve(listener, rx, false));
    let t = a.token("partner1", &[Scope::RiskCheck]).await;
    let ask_b = || async {
        let v: Value = client()
            .post(format!("http://{b_addr}/api/v1/risk/check"))
            .bearer_auth(&t)
            .json(&json!({"kind": "phone", "value": "17088886666"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["level"].as_str().unwrap().to_string()
    };
    assert_eq!(ask_b().await, "none");
    let police = a.login("police1").await;
    let (s, _, _) = post_form(
        &a,
        &police,
        "/intel/new",
        &[
            ("kind", "phone"),
            ("value", "17088886666"),
            ("status", "confirmed"),
            ("tlp", "green"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let started = Instant::now();
    loop {
        if ask_b().await == "high" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "not visible in the other process within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("visible in the other process after {:?}", started.elapsed());
    assert_eq!(b_state.intel.index.len(), 1);
}

#[tokio::test]
async fn demo_seeds_indicators_checks_and_a_review() {
    let app = spawn_app().await;
    let scale = fanzha::demo::Scale::parse("school").unwrap();
    fanzha::demo::seed(&app.state.db, &app.state.clock, scale)
        .await
        .unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, 14);
    assert!(
        app.scalar("SELECT COUNT(*) FROM indicators WHERE status = 'confirmed'")
            .await
            >= 4
    );
    // Six of the intel demo, and the recruitment lure a student checked in the mules demo.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM risk_checks").await, 7);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM risk_checks WHERE fraud_type = 'mule_recruitment'")
            .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM risk_checks WHERE sender IS NOT NULL AND model_version = 'builtin'")
            .await,
        3
    );
    assert!(
        app.scalar("SELECT COUNT(*) FROM risk_checks WHERE level = 'high'")
            .await
            >= 2
    );
    // "Wrong result" reports from different students wait for police review.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM intel_reviews WHERE status = 'open'")
            .await,
        3
    );
    assert!(
        app.scalar("SELECT COUNT(DISTINCT account_id) FROM intel_reviews")
            .await
            >= 2
    );
    app.state.intel.load(&app.state.db).await.unwrap();
    assert_eq!(app.state.intel.index.len(), 14);
    // A stored value holding the bulk load's separators still loads (that chunk row by row).
    sqlx::query(
        "INSERT INTO indicators (kind, value, status, fraud_types, tlp, sightings, first_seen, last_seen, note, created_at, updated_at) \
         VALUES ('other_account', $1, 'reported', '', 'green', 1, 0, 0, '', 0, 0)",
    )
    .bind("odd\u{1f}name\u{1e}x")
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    app.state.intel.load(&app.state.db).await.unwrap();
    assert_eq!(app.state.intel.index.len(), 15);
}

/// A process whose cursor fell behind a pruned change log reloads its index whole instead of
/// missing the changes in between.
#[tokio::test]
async fn an_index_behind_a_pruned_change_log_reloads() {
    use fanzha::db::maintenance::{prune, Retention};
    use fanzha::intel::model::Kind;
    let app = spawn_seeded().await;
    let st = &app.state;
    // A second process's index, loaded before anything happened.
    let other = fanzha::intel::Intel::new(10, 1000);
    other.load(&st.db).await.unwrap();
    let sight = |value: &'static str| async move {
        let mut tx = st.db.pool.begin().await.unwrap();
        service::record_sighting(
            &mut tx,
            &st.clock,
            "phone",
            value,
            &[FraudType::FakeLoan],
            "report:1",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    };
    sight("17088881111").await;
    // The log is pruned (8 days later) before the other process polls again.
    st.clock.advance_ms(8 * 24 * 60 * 60 * 1000);
    sight("17088882222").await;
    let r = Retention {
        done_jobs_days: 14,
        indicator_changes_days: 7,
    };
    assert_eq!(
        prune(&st.db, &st.clock, r).await.unwrap().indicator_changes,
        1
    );
    other.refresh(&st.db, &st.clock).await.unwrap();
    let phone: Kind = "phone".parse().unwrap();
    assert!(
        other.index.get(phone, "17088881111").is_some(),
        "the pruned change was missed"
    );
    assert!(other.index.get(phone, "17088882222").is_some());
}

/// `risk` is the combined value `level` is derived from; the classifier's own probability, where
/// it judged a message, is `model_risk`.
#[tokio::test]
async fn the_risk_field_is_the_value_the_level_comes_from() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    let t = app.token("partner1", &[Scope::RiskCheck]).await;
    let band = |risk: f64| match risk {
        r if r >= 0.8 => "high",
        r if r >= 0.5 => "medium",
        r if r >= 0.2 => "low",
        _ => "none",
    };
    // A police-confirmed phone, as an indicator and typed as a bare token: high, risk of high.
    for body in [
        json!({"kind": "phone", "value": "+86 17088886666"}),
        json!({"text": "17088886666"}),
    ] {
        let v: Value = risk(&app, &t, body.clone()).await.json().await.unwrap();
        assert_eq!(v["level"], "high", "{body}");
        let r = v["risk"].as_f64().unwrap();
        assert!(r >= 0.8, "{v}");
        assert_eq!(band(r), "high");
        assert!(v.get("model_risk").is_none(), "{v}");
    }
    // A message: its risk is at least the classifier's and gives its level.
    let v: Value = risk(&app, &t, json!({"text": SCAM}))
        .await
        .json()
        .await
        .unwrap();
    let model = v["model_risk"].as_f64().unwrap();
    let r = v["risk"].as_f64().unwrap();
    assert!(r >= model && model > 0.0, "{v}");
    assert_eq!(band(r), v["level"].as_str().unwrap());
    // A harmless message mentioning the confirmed phone: the indicator lifts the risk.
    let v: Value = risk(
        &app,
        &t,
        json!({"text": "明天下午三点开会，有事打 17088886666"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(v["level"], "high", "{v}");
    assert!(v["risk"].as_f64().unwrap() >= 0.8, "{v}");
    assert!(
        v["model_risk"].as_f64().unwrap() < v["risk"].as_f64().unwrap(),
        "{v}"
    );
    // Nothing known: none, with a risk below the low band.
    let v: Value = risk(&app, &t, json!({"kind": "qq", "value": "123456789"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["level"], "none");
    assert_eq!(band(v["risk"].as_f64().unwrap()), "none");
    // The OpenAPI schema describes both.
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let props = &doc["components"]["schemas"]["Answer"]["properties"];
    assert!(
        props["risk"]["description"]
            .as_str()
            .unwrap()
            .contains("level"),
        "{props}"
    );
    assert!(props["model_risk"].is_object(), "{props}");
}

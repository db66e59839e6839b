//! Reports and the stop-payment race: filing (happy path, idempotent retries, bad input that
//! stores nothing), sightings in the indicator store, the stop-payment request with police
//! actions and the escalation job (exactly once, also across a restart), triage, evidence images,
//! scope (counselor, police of another station, partner tokens), and the pages.

use crate::common::*;
use fanzha::auth::model::Scope;
use fanzha::reports::service::{create_loss_report, LossInput};
use fanzha::web::App;
use fanzha_detect::FraudType;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const MIN: i64 = 60_000;

fn rw() -> [Scope; 2] {
    [Scope::ReportsRead, Scope::ReportsWrite]
}

fn call_report(key: &str) -> Value {
    json!({
        "idempotency_key": key,
        "call": {"number": "170 8888 6666", "time": START_MS - 30 * MIN, "duration_seconds": 300},
        "sms": {"sender": "10690012", "content": "您的订单异常可办理退款，请加QQ 2847561039 并访问 http://jd-refund.top/claim", "time": START_MS - 40 * MIN},
        "description": "自称京东客服，要我下载会议软件共享屏幕"
    })
}

fn loss_report(key: &str) -> Value {
    json!({
        "idempotency_key": key,
        "lost_money": true,
        "transaction": {"payment_type": "bank_card", "account": "6222020200112233446", "bank": "工商银行",
                        "amount_cents": 2_000_000, "time": START_MS - 10 * MIN},
        "fraud_type": "impersonate_police",
        "description": "冒充公安说我涉嫌洗钱"
    })
}

async fn counts(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.scalar("SELECT COUNT(*) FROM reports").await,
        app.scalar("SELECT COUNT(*) FROM report_indicators").await,
        app.scalar("SELECT COUNT(*) FROM indicators").await,
        app.scalar("SELECT COUNT(*) FROM stop_payments").await,
    )
}

/// Makes a station leader for ST1 (staff record, duty, police account).
async fn station_leader(app: &TestApp) -> i64 {
    let st = app.fx.unit("ST1").id;
    let staff: i64 = sqlx::query_scalar(
        "INSERT INTO staff (org_id, unit_id, staff_no, name, phone, email, title, created_at, updated_at) \
         VALUES ($1, $1, 'ST1-001', '王所长', NULL, NULL, '所长', 0, 0) RETURNING id",
    )
    .bind(st)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO responsibilities (unit_id, staff_id, duty, created_at) VALUES ($1, $2, 'station_leader', 0)")
        .bind(st)
        .bind(staff)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    staff
}

async fn inbox_count(app: &TestApp, recipient: &str, like: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM inbox_messages WHERE recipient = $1 AND title LIKE $2",
    )
    .bind(recipient)
    .bind(like)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_student_files_a_report_and_a_retry_returns_the_same_one() {
    let app = spawn_seeded().await;
    let t = app.token("student1", &rw()).await;
    let r = post_json(&app, &t, "/api/v1/reports", call_report("k-1")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let a: Value = r.json().await.unwrap();
    let id = a["report_id"].as_i64().unwrap();
    assert!(
        a["ref_no"].as_str().unwrap().starts_with("FZ-20250301-"),
        "{a}"
    );
    assert_eq!(a["replayed"], false);
    // Canonical indicators of the sections and of the SMS text, each a sighting in the store.
    let inds: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, value FROM report_indicators WHERE report_id = $1 ORDER BY kind, value",
    )
    .bind(id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert!(
        inds.contains(&("phone".into(), "17088886666".into())),
        "{inds:?}"
    );
    assert!(
        inds.contains(&("qq".into(), "2847561039".into())),
        "{inds:?}"
    );
    let sightings = app
        .scalar("SELECT sightings FROM indicators WHERE kind = 'phone' AND value = '17088886666'")
        .await;
    assert_eq!(sightings, 1);
    let src = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM indicator_sources WHERE source = 'report:{id}'"
        ))
        .await;
    assert_eq!(src as usize, inds.len());
    // No loss: the student's counselor gets a low-severity follow-up warning for them.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warnings WHERE origin = 'report' AND severity = 'low' \
             AND student_id = {} AND detail LIKE 'report:{id} %'",
            app.fx.student("2023010101")
        ))
        .await,
        1
    );
    // The retry (same key, also through the header) answers with the same report.
    let before = counts(&app).await;
    let r = post_json(&app, &t, "/api/v1/reports", call_report("k-1")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["report_id"], a["report_id"]);
    assert_eq!(b["replayed"], true);
    let mut body = call_report("");
    body.as_object_mut().unwrap().remove("idempotency_key");
    let r = client()
        .post(app.url("/api/v1/reports"))
        .bearer_auth(&t)
        .header("idempotency-key", "k-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(counts(&app).await, before);
    assert_eq!(
        app.scalar(
            "SELECT sightings FROM indicators WHERE kind = 'phone' AND value = '17088886666'"
        )
        .await,
        1
    );
    // Concurrent retries of a new key: one report.
    let mut handles = Vec::new();
    for _ in 0..6 {
        let (url, t) = (app.url("/api/v1/reports"), t.clone());
        handles.push(tokio::spawn(async move {
            client()
                .post(url)
                .bearer_auth(t)
                .json(&call_report("k-race"))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for h in handles {
        ids.insert(h.await.unwrap()["report_id"].as_i64().unwrap());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reports WHERE idempotency_key = 'k-race'")
            .await,
        1
    );
    // The counselor was told, and the filing is audited.
    let counselor = app.fx.staff["T1001"];
    assert!(inbox_count(&app, &format!("staff:{counselor}"), "学生举报%").await >= 1);
    assert_eq!(app.audit("reports.file").await.len(), 2);
    // The reporter reads it back.
    let r = app.api_get(&t, &format!("/api/v1/reports/{id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["report"]["status"], "new");
    assert_ne!(d["report"]["fraud_type"], "normal");
}

#[tokio::test]
async fn bad_input_is_refused_with_reasons_and_stores_nothing() {
    let app = spawn_seeded().await;
    let t = app.token("student1", &rw()).await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"idempotency_key": "b1", "description": "有人骗我"}),
            "at least one section",
        ),
        (
            json!({"idempotency_key": "b2", "transaction": {"payment_type": "bank_card", "account": "6222 0202 0011 2233 447"}}),
            "transaction.account",
        ),
        (
            json!({"idempotency_key": "b3", "call": {"number": "12345"}}),
            "call.number",
        ),
        (
            json!({"idempotency_key": "b4", "transaction": {"payment_type": "alipay", "account": "a@b.cn", "amount_cents": 0}}),
            "more than 0",
        ),
        (
            json!({"idempotency_key": "b5", "transaction": {"payment_type": "alipay", "account": "a@b.cn", "amount_cents": -500}}),
            "more than 0",
        ),
        (
            json!({"idempotency_key": "b6", "transaction": {"payment_type": "alipay", "account": "a@b.cn", "amount_cents": 90_000_000_000i64}}),
            "check it",
        ),
        (
            json!({"idempotency_key": "b7", "transaction": {"payment_type": "alipay", "account": "a@b.cn", "amount_cents": 100, "time": START_MS + 3_600_000}}),
            "in the future",
        ),
        (
            json!({"idempotency_key": "b8", "lost_money": true, "call": {"number": "17088886666"}}),
            "payee account",
        ),
        (
            json!({"idempotency_key": "b9", "link": {"address": "not a link"}}),
            "link.address",
        ),
        (
            json!({"idempotency_key": "", "call": {"number": "17088886666"}}),
            "idempotency",
        ),
        (
            json!({"idempotency_key": "b10", "call": {"number": "17088886666"}, "fraud_type": "pony"}),
            "fraud_type",
        ),
        (
            json!({"idempotency_key": "b11", "social": {"platform": "myspace", "account": "x"}}),
            "social.platform",
        ),
    ];
    for (body, expect) in cases {
        let r = post_json(&app, &t, "/api/v1/reports", body.clone()).await;
        let (status, code, message, details) = api_error(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(code, "reports-err-invalid");
        assert!(!message.is_empty());
        assert!(
            details.iter().any(|d| d.contains(expect)),
            "{body}: {details:?}"
        );
    }
    assert_eq!(counts(&app).await, (0, 0, 0, 0));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs").await, 0);
    // Malformed JSON.
    let r = client()
        .post(app.url("/api/v1/reports"))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    assert_eq!(counts(&app).await, (0, 0, 0, 0));
}

#[tokio::test]
async fn reports_are_seen_in_scope_only_and_partners_are_refused() {
    let app = spawn_seeded().await;
    let s1 = app.token("student1", &rw()).await;
    let id = post_json(&app, &s1, "/api/v1/reports", call_report("s-1"))
        .await
        .json::<Value>()
        .await
        .unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/reports/{id}");
    for (user, expect) in [
        ("counselor1", StatusCode::OK),
        ("leader1", StatusCode::OK),
        ("admin1", StatusCode::OK),
        ("police1", StatusCode::OK),
        ("counselor2", StatusCode::NOT_FOUND),
        ("admin2", StatusCode::NOT_FOUND),
        ("police2", StatusCode::NOT_FOUND),
        ("student2", StatusCode::NOT_FOUND),
        ("partner1", StatusCode::FORBIDDEN),
    ] {
        let t = app.token(user, &Scope::ALL).await;
        assert_eq!(app.api_get(&t, &path).await.status(), expect, "{user}");
        // The list answers everyone the detail does not refuse outright (403 for partners).
        let r = app.api_get(&t, "/api/v1/reports").await;
        if expect == StatusCode::FORBIDDEN {
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user} list");
            continue;
        }
        assert_eq!(r.status(), StatusCode::OK, "{user} list");
        let list: Value = r.json().await.unwrap();
        let seen = list
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"].as_i64() == Some(id));
        assert_eq!(seen, expect == StatusCode::OK, "{user} list");
    }
    // A token without the reports scopes is refused even for the reporter.
    let t = app.token("student1", &[Scope::InboxRead]).await;
    assert_eq!(app.api_get(&t, &path).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        post_json(&app, &t, "/api/v1/reports", call_report("x"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // The partner cannot file either, nor see clusters; counselors cannot triage.
    let p = app.token("partner1", &Scope::ALL).await;
    assert_eq!(
        post_json(&app, &p, "/api/v1/reports", call_report("p"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let c = app.token("counselor1", &Scope::ALL).await;
    assert_eq!(
        app.api_get(&c, "/api/v1/reports/clusters").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = post_json(
        &app,
        &c,
        &format!("{path}/triage"),
        json!({"decision": "confirm"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Police of the other station: not found (the report is not revealed).
    let p2 = app.token("police2", &Scope::ALL).await;
    let r = post_json(
        &app,
        &p2,
        &format!("{path}/triage"),
        json!({"decision": "confirm"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE status <> 'new' AND id = {id}"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn a_loss_starts_the_stop_payment_race_and_police_act() {
    let app = spawn_seeded().await;
    let s1 = app.token("student1", &rw()).await;
    let a: Value = post_json(&app, &s1, "/api/v1/reports", loss_report("l-1"))
        .await
        .json()
        .await
        .unwrap();
    let sp = a["stop_payment_id"].as_i64().expect("stop payment");
    let deadline = app
        .scalar(&format!(
            "SELECT deadline_at FROM stop_payments WHERE id = {sp}"
        ))
        .await;
    assert_eq!(deadline, START_MS + 30 * MIN);
    // Police of the school's station are told at once; the other station is not.
    let p1 = app.fx.account("police1");
    let p2 = app.fx.account("police2");
    assert_eq!(
        inbox_count(&app, &format!("account:{p1}"), "紧急止付%").await,
        1
    );
    assert_eq!(
        inbox_count(&app, &format!("account:{p2}"), "紧急止付%").await,
        0
    );
    // The queue (police1) lists it; police2 does not.
    let t1 = app.token("police1", &Scope::ALL).await;
    let q: Value = app
        .api_get(&t1, "/api/v1/reports/stop-payments")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(q[0]["id"].as_i64(), Some(sp));
    assert_eq!(q[0]["status"], "open");
    let t2 = app.token("police2", &Scope::ALL).await;
    let q2: Value = app
        .api_get(&t2, "/api/v1/reports/stop-payments")
        .await
        .json()
        .await
        .unwrap();
    assert!(q2.as_array().unwrap().is_empty());
    let act = format!("/api/v1/reports/stop-payments/{sp}/actions");
    // Bad actions change nothing.
    for (body, code) in [
        (
            json!({"action": "frozen", "frozen_cents": 3_000_000}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"action": "frozen"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"action": "failed", "reason": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"action": "teleport"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        assert_eq!(
            post_json(&app, &t1, &act, body.clone()).await.status(),
            code,
            "{body}"
        );
    }
    assert_eq!(
        post_json(&app, &t2, &act, json!({"action": "bank_contacted"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let st = app.token("student1", &Scope::ALL).await;
    assert_eq!(
        post_json(&app, &st, &act, json!({"action": "bank_contacted"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM stop_payment_actions")
            .await,
        0
    );
    app.state.clock.advance_ms(4 * MIN);
    let r = post_json(&app, &t1, &act, json!({"action": "bank_contacted"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = post_json(
        &app,
        &t1,
        &act,
        json!({"action": "frozen", "frozen_cents": 1_500_000}),
    )
    .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "frozen");
    assert_eq!(v["frozen_cents"], 1_500_000);
    assert_eq!(v["first_action_at"].as_i64(), Some(START_MS + 4 * MIN));
    // The student is told each step and sees the status; so does the counselor.
    let me = app.fx.account("student1");
    assert_eq!(
        inbox_count(&app, &format!("account:{me}"), "止付进展%").await,
        2
    );
    let c = app.token("counselor1", &Scope::ALL).await;
    let list: Value = app
        .api_get(&c, "/api/v1/reports")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["stop_payment_status"], "frozen");
    // Acted on: no escalation when its time comes.
    app.state.clock.advance_ms(30 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM stop_payments WHERE escalated_at IS NOT NULL")
            .await,
        0
    );
    assert!(app.audit("reports.escalated").await.is_empty());
    // Figures: acted on before the deadline, amount frozen, median minutes to first action.
    let f: Value = app
        .api_get(&t1, "/api/v1/reports/figures")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f["stop_payments"], 1);
    assert_eq!(f["acted_before_deadline"], 1);
    assert_eq!(f["frozen_cents"], 1_500_000);
    assert_eq!(f["median_first_action_minutes"].as_f64(), Some(4.0));
}

#[tokio::test]
async fn an_unanswered_request_escalates_to_the_station_leader_exactly_once_across_a_restart() {
    let app = spawn_seeded().await;
    let leader = station_leader(&app).await;
    let s1 = app.token("student1", &rw()).await;
    let a: Value = post_json(&app, &s1, "/api/v1/reports", loss_report("e-1"))
        .await
        .json()
        .await
        .unwrap();
    let sp = a["stop_payment_id"].as_i64().unwrap();
    let to_leader = format!("staff:{leader}");
    // Not yet: 19 minutes in, the job is not due (escalation 10 minutes before the deadline).
    app.state.clock.advance_ms(19 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(inbox_count(&app, &to_leader, "止付请求无人处理%").await, 0);
    // A second app on the same database (a restart) runs the due job: once.
    app.state.clock.advance_ms(2 * MIN);
    let restarted = App::new(
        app.state.config.as_ref().clone(),
        app.state.db.clone(),
        app.state.clock.clone(),
    );
    assert_eq!(restarted.runner.run_until_idle().await.unwrap(), 1);
    assert_eq!(inbox_count(&app, &to_leader, "止付请求无人处理%").await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM stop_payments WHERE id = {sp} AND escalated_at IS NOT NULL"
        ))
        .await,
        1
    );
    // Running again (either process), or the job being retried, tells nobody twice.
    app.state.clock.advance_ms(30 * MIN);
    app.runner.run_until_idle().await.unwrap();
    restarted.runner.run_until_idle().await.unwrap();
    let mut tx = app.state.db.pool.begin().await.unwrap();
    assert!(
        !fanzha::reports::service::escalate(&mut tx, &app.state.clock, sp)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(inbox_count(&app, &to_leader, "止付请求无人处理%").await, 1);
    assert_eq!(app.audit("reports.escalated").await.len(), 1);
    // Ordinary officers of the other station heard nothing.
    let p2 = app.fx.account("police2");
    assert_eq!(
        inbox_count(&app, &format!("account:{p2}"), "止付%").await,
        0
    );
}

#[tokio::test]
async fn create_loss_report_for_other_modules_is_idempotent() {
    let app = spawn_seeded().await;
    let st = &app.state;
    let student = app.fx.student("2023010101");
    let input = LossInput {
        idempotency_key: "warning:7".into(),
        payment_type: "alipay".into(),
        payee_account: "13912345678".into(),
        bank: String::new(),
        amount_cents: 50_000,
        transfer_at: START_MS - 5 * MIN,
        fraud_type: FraudType::FakeShopping,
        description: "预警回访：学生已转账".into(),
        // The server's configured deadlines, not the defaults (30 / 10 minutes).
        deadlines: Some(fanzha::reports::service::Deadlines {
            deadline_ms: 20 * MIN,
            escalate_before_ms: 4 * MIN,
        }),
    };
    let actor = fanzha::audit::Actor::cli("test");
    let mut tx = st.db.pool.begin().await.unwrap();
    let (r1, sp1) = create_loss_report(&mut tx, &st.clock, &actor, student, input.clone())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = st.db.pool.begin().await.unwrap();
    let (r2, sp2) = create_loss_report(&mut tx, &st.clock, &actor, student, input.clone())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((r1, sp1), (r2, sp2));
    assert_eq!(
        app.scalar(&format!(
            "SELECT deadline_at FROM stop_payments WHERE id = {sp1}"
        ))
        .await,
        START_MS + 20 * MIN
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT run_at FROM jobs WHERE dedup_key = 'reports.escalate:{sp1}'"
        ))
        .await,
        START_MS + 16 * MIN,
        "escalated the configured 4 minutes before the deadline"
    );
    assert_eq!(app.scalar("SELECT has_loss FROM reports").await, 1);
    // Bad input: nothing written.
    let mut bad = input;
    bad.idempotency_key = "warning:8".into();
    bad.amount_cents = 0;
    let mut tx = st.db.pool.begin().await.unwrap();
    assert!(create_loss_report(&mut tx, &st.clock, &actor, student, bad)
        .await
        .is_err());
    // Rolled back explicitly: a dropped transaction keeps its locks on PostgreSQL until the
    // connection is reused, which would block dropping the test's schema.
    tx.rollback().await.unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, 1);
}

#[tokio::test]
async fn police_triage_clusters_confirm_merge_assign_and_reply() {
    let app = spawn_seeded().await;
    let s1 = app.token("student1", &rw()).await;
    let s2 = app.token("student2", &rw()).await;
    let id1 = post_json(&app, &s1, "/api/v1/reports", call_report("t-1"))
        .await
        .json::<Value>()
        .await
        .unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let id2 = post_json(
        &app,
        &s2,
        "/api/v1/reports",
        json!({"idempotency_key": "t-2", "call": {"number": "17088886666"}}),
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let id3 = post_json(
        &app,
        &s2,
        "/api/v1/reports",
        json!({"idempotency_key": "t-3", "link": {"address": "http://other-scam.top/x"}}),
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let p = app.token("police1", &Scope::ALL).await;
    let cl: Value = app
        .api_get(&p, "/api/v1/reports/clusters")
        .await
        .json()
        .await
        .unwrap();
    let first = &cl[0];
    assert_eq!(first["size"], 2, "{cl}");
    assert_eq!(first["report_ids"], json!([id1, id2]));
    assert!(first["shared"]
        .as_array()
        .unwrap()
        .contains(&json!("phone:17088886666")));
    assert_eq!(cl[1]["report_ids"], json!([id3]));
    // Confirm: indicators confirmed in the store.
    let tri = |id: i64| format!("/api/v1/reports/{id}/triage");
    let r: Value = post_json(&app, &p, &tri(id1), json!({"decision": "confirm"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["report"]["status"], "confirmed");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators WHERE kind = 'phone' AND value = '17088886666' AND status = 'confirmed'").await, 1);
    // Merge, bad merges refused.
    assert_eq!(
        post_json(
            &app,
            &p,
            &tri(id2),
            json!({"decision": "merge", "into": id2})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        post_json(
            &app,
            &p,
            &tri(id2),
            json!({"decision": "merge", "into": 999_999})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r: Value = post_json(
        &app,
        &p,
        &tri(id2),
        json!({"decision": "merge", "into": id1}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(r["report"]["status"], "merged");
    assert_eq!(r["report"]["merged_into"].as_i64(), Some(id1));
    // Not fraud; assign (only to police); reply to the reporter's inbox.
    let r: Value = post_json(&app, &p, &tri(id3), json!({"decision": "not_fraud"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["report"]["status"], "not_fraud");
    let counselor = app.fx.account("counselor1");
    assert_eq!(
        post_json(
            &app,
            &p,
            &tri(id1),
            json!({"decision": "assign", "officer": counselor})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let officer = app.fx.account("police1");
    let r: Value = post_json(
        &app,
        &p,
        &tri(id1),
        json!({"decision": "assign", "officer": officer}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(r["report"]["assigned_to"].as_i64(), Some(officer));
    assert_eq!(
        post_json(
            &app,
            &p,
            &tri(id1),
            json!({"decision": "reply", "text": "  "})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = post_json(
        &app,
        &p,
        &tri(id1),
        json!({"decision": "reply", "text": "已核实，号码已封停，感谢举报。"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let me = app.fx.account("student1");
    assert_eq!(
        inbox_count(&app, &format!("account:{me}"), "警方回复%").await,
        1
    );
    assert_eq!(
        post_json(&app, &p, &tri(id1), json!({"decision": "dance"}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.audit("reports.triage").await.len(), 5);
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    let chunk = |b: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        b.extend_from_slice(&(data.len() as u32).to_be_bytes());
        b.extend_from_slice(kind);
        b.extend_from_slice(data);
        b.extend_from_slice(&[0, 0, 0, 0]);
    };
    chunk(&mut b, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    chunk(&mut b, b"tEXt", b"Location\x0031.23,121.47");
    chunk(&mut b, b"IDAT", &[1, 2, 3, 4]);
    chunk(&mut b, b"IEND", &[]);
    b
}

async fn upload(app: &TestApp, token: &str, id: i64, body: Vec<u8>) -> reqwest::Response {
    client()
        .post(app.url(&format!("/api/v1/reports/{id}/evidence")))
        .bearer_auth(token)
        .header("cookie", "fz_lang=en")
        .header("content-type", "image/png")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn evidence_is_sniffed_stripped_limited_and_served_in_scope() {
    let app = spawn_app_with(|c| c.report_image_max_bytes = 64 * 1024, true).await;
    let s1 = app.token("student1", &rw()).await;
    let id = post_json(&app, &s1, "/api/v1/reports", call_report("ev-1"))
        .await
        .json::<Value>()
        .await
        .unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let r = upload(&app, &s1, id, png()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["media_type"], "image/png");
    let eid = e["id"].as_i64().unwrap();
    // Stored without the location text; served to the reporter and police in scope only.
    let r = app
        .api_get(&s1, &format!("/api/v1/reports/{id}/evidence/{eid}"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    let bytes = r.bytes().await.unwrap();
    assert!(!bytes.windows(8).any(|w| w == b"Location"));
    assert!(bytes.windows(4).any(|w| w == b"IDAT"));
    let p1 = app.token("police1", &Scope::ALL).await;
    assert_eq!(
        app.api_get(&p1, &format!("/api/v1/reports/{id}/evidence/{eid}"))
            .await
            .status(),
        StatusCode::OK
    );
    for user in ["police2", "student2", "counselor2"] {
        let t = app.token(user, &Scope::ALL).await;
        assert_eq!(
            app.api_get(&t, &format!("/api/v1/reports/{id}/evidence/{eid}"))
                .await
                .status(),
            StatusCode::NOT_FOUND,
            "{user}"
        );
    }
    // A PDF renamed .png, a broken PNG, an image too large: refused, nothing stored.
    let (s, code, _, _) =
        api_error(upload(&app, &s1, id, b"%PDF-1.7\n1 0 obj\n".to_vec()).await).await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "reports-err-image-type")
    );
    let mut broken = png();
    broken.truncate(30);
    assert_eq!(
        upload(&app, &s1, id, broken).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut big = png();
    big.extend(std::iter::repeat_n(0u8, 70 * 1024));
    assert_eq!(
        upload(&app, &s1, id, big).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // A 50 MB body is stopped by the body limit.
    let huge = vec![0u8; 50 * 1024 * 1024];
    let r = client()
        .post(app.url(&format!("/api/v1/reports/{id}/evidence")))
        .bearer_auth(&s1)
        .body(huge)
        .send()
        .await;
    // The server answers 413 (or closes the connection before the client finished sending).
    match r {
        Ok(r) => assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE),
        Err(e) => assert!(
            !e.is_timeout() && !e.is_connect(),
            "the server did not stop the body: {e}"
        ),
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM report_evidence").await,
        1,
        "nothing of the huge body was stored"
    );
    // Someone else's report: not theirs to add to.
    let s2 = app.token("student2", &rw()).await;
    assert_eq!(
        upload(&app, &s2, id, png()).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM report_evidence").await, 1);
    // Six at most.
    for _ in 0..5 {
        let mut p = png();
        p.push(rand_byte());
        assert_eq!(upload(&app, &s1, id, p).await.status(), StatusCode::CREATED);
    }
    assert_eq!(
        upload(&app, &s1, id, png()).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

fn rand_byte() -> u8 {
    (uuid::Uuid::new_v4().as_bytes()[0]) | 1
}

async fn form(
    app: &TestApp,
    c: &Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let csrf = app.page_csrf(c).await;
    let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(fields);
    let r = c.post(app.url(path)).form(&f).send().await.unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, loc, r.text().await.unwrap())
}

#[tokio::test]
async fn pages_check_prefill_loss_screen_and_counselor_view() {
    let app = spawn_seeded().await;
    let c = app.login("student1").await;
    // A risk check links to the form, which comes pre-filled from it.
    let (_, loc, _) = form(
        &app,
        &c,
        "/check",
        &[(
            "q",
            "【京东客服】可办理双倍赔付,请访问 http://jd-refund.top/claim 或致电 17088886666",
        )],
    )
    .await;
    let check: i64 = loc.trim_start_matches("/check/").parse().unwrap();
    let (s, page) = app.get(&c, &format!("/reports/new?check={check}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("17088886666"), "phone pre-filled");
    assert!(page.contains("jd-refund.top"), "link pre-filled");
    assert!(page.contains("id=\"report-prefilled\""));
    // Someone else's check pre-fills nothing.
    let other = app.login("student2").await;
    let (_, page) = app
        .get(&other, &format!("/reports/new?check={check}"))
        .await;
    assert!(!page.contains("17088886666"));
    // Pasted text fills the sections.
    let (s, _, page) = form(
        &app,
        &c,
        "/reports/new",
        &[("prefill", "1"), ("paste", "加QQ 2847561039 领取返利")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("value=\"2847561039\""));
    // Bad input re-renders the form with reasons; nothing stored.
    let (s, _, page) = form(
        &app,
        &c,
        "/reports/new",
        &[
            ("idempotency_key", "f-0"),
            ("lost", "1"),
            ("call_number", "17088886666"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"report-errors\""));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, 0);
    // The loss path: the "call 110 / 96110" screen with the report number.
    let (s, loc, _) = form(
        &app,
        &c,
        "/reports/new",
        &[
            ("idempotency_key", "f-1"),
            ("lost", "1"),
            ("tx_type", "bank_card"),
            ("tx_account", "6222020200112233446"),
            ("tx_bank", "工商银行"),
            ("tx_amount", "20,000"),
            ("tx_time", "2025-03-01T07:50"),
            ("description", "冒充公安"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    let (_, page) = app.get(&c, &loc).await;
    assert!(
        page.contains("id=\"urgent\"") && page.contains("tel:110") && page.contains("tel:96110")
    );
    let ref_no: String = sqlx::query_scalar("SELECT ref_no FROM reports")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(page.contains(&ref_no));
    assert_eq!(
        app.scalar("SELECT amount_cents FROM stop_payments").await,
        2_000_000
    );
    // The same form posted again (double tap): the same report.
    let (_, loc2, _) = form(
        &app,
        &c,
        "/reports/new",
        &[
            ("idempotency_key", "f-1"),
            ("lost", "1"),
            ("tx_type", "bank_card"),
            ("tx_account", "6222020200112233446"),
            ("tx_amount", "20000"),
            ("tx_time", "2025-03-01T07:50"),
        ],
    )
    .await;
    assert_eq!(loc2, loc);
    // The counselor sees the report of their student with its status; the other counselor not.
    let cc = app.login("counselor1").await;
    let (_, page) = app.get(&cc, "/reports").await;
    assert!(page.contains(&ref_no));
    let c2 = app.login("counselor2").await;
    let (_, page) = app.get(&c2, "/reports").await;
    assert!(!page.contains(&ref_no));
    let id: i64 = app.scalar("SELECT id FROM reports").await;
    let (s, _) = app.get(&c2, &format!("/reports/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Police: queue with countdown, action from the page, dashboard.
    let pc = app.login("police1").await;
    let (_, page) = app.get(&pc, "/reports").await;
    assert!(page.contains("id=\"sp-queue\"") && page.contains("data-deadline"));
    let sp: i64 = app.scalar("SELECT id FROM stop_payments").await;
    let (s, _, _) = form(
        &app,
        &pc,
        &format!("/reports/stop-payments/{sp}"),
        &[("action", "frozen"), ("frozen", "5000")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT frozen_cents FROM stop_payments").await,
        500_000
    );
    let (s, page) = app.get(&pc, "/reports/dashboard").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"reports-chart\"") && page.contains("5000.00"));
    let (s, _) = app.get(&cc, "/reports/dashboard").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_demo_has_reports_a_cluster_and_an_open_stop_payment() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _guard) = fresh_db(dir.path()).await;
    let clock = fanzha::clock::Clock::manual(START_MS);
    fanzha::demo::seed(&db, &clock, fanzha::demo::Scale::School)
        .await
        .unwrap();
    // Four filed by students, two loss reports filed from warnings ("already lost money").
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(n, 6);
    let from_warnings: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM reports WHERE idempotency_key LIKE 'warning:%' AND has_loss = 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(from_warnings, 2);
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stop_payments WHERE status = 'open'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(open, 1);
    let scope = fanzha::reports::store::Scope {
        reporter: None,
        paths: vec!["/".into()],
    };
    let clusters = fanzha::reports::store::clusters(&db, &scope, 100)
        .await
        .unwrap();
    // The payee account of the warnings' two losses is the one a student reported: one cluster of
    // three around it, and the two reports of the same 400 number.
    assert_eq!(clusters[0].size, 3, "{clusters:?}");
    assert_eq!(clusters[0].shared, ["bank_card:6222020200112233446"]);
    assert_eq!(clusters[1].size, 2, "{clusters:?}");
    // Police worked the warnings' requests: one partly frozen, one failed.
    let worked: Vec<(String, i64)> = sqlx::query_as(
        "SELECT sp.status, sp.frozen_cents FROM stop_payments sp JOIN reports r ON r.id = sp.report_id \
         WHERE r.idempotency_key LIKE 'warning:%' ORDER BY sp.id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        worked,
        [("frozen".to_string(), 200_000), ("failed".to_string(), 0)]
    );
}

/// The police see who the victim is (audited), urgent stop-payments on their home page, and an
/// open stop-payment notice above newer notices in their inbox until it is settled.
#[tokio::test]
async fn police_see_the_victim_the_urgent_panel_and_the_stop_payment_first_in_the_inbox() {
    let app = spawn_seeded().await;
    let s1 = app.token("student1", &rw()).await;
    let a: Value = post_json(&app, &s1, "/api/v1/reports", loss_report("v-1"))
        .await
        .json()
        .await
        .unwrap();
    let id = a["report_id"].as_i64().expect("report id");
    let sp = a["stop_payment_id"].as_i64().expect("stop payment");
    let ref_no: String = sqlx::query_scalar("SELECT ref_no FROM reports WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    // A later, ordinary notice to the same officer.
    app.state.clock.advance_ms(MIN);
    let p1 = app.fx.account("police1");
    fanzha::inbox::notify(
        &app.state.db.pool,
        &app.state.clock,
        &fanzha::inbox::Recipient::Account(p1),
        &fanzha::inbox::Notice {
            kind: "system".into(),
            title: "每周通报".into(),
            body: String::new(),
            link: None,
        },
    )
    .await
    .unwrap();
    let titles = |v: &Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["title"].as_str().unwrap().to_string())
            .collect()
    };
    let t1 = app.token("police1", &Scope::ALL).await;
    let inbox: Value = app
        .api_get(&t1, "/api/v1/inbox")
        .await
        .json()
        .await
        .unwrap();
    let t = titles(&inbox);
    assert!(t[0].starts_with("紧急止付"), "{t:?}");
    assert_eq!(t[1], "每周通报", "{t:?}");
    // The report page names the victim, with phone and school, and the read is audited.
    let c = app.login("police1").await;
    let (s, page) = app.get(&c, &format!("/reports/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"victim-name\">张三<"), "{page}");
    assert!(page.contains("href=\"tel:13800001111\""), "{page}");
    assert!(page.contains("第一大学 · 计科2301"), "{page}");
    let views = app.audit("person.view").await;
    assert!(
        views
            .iter()
            .any(|e| e.target_kind == "report" && e.target_id == id.to_string()),
        "{views:?}"
    );
    // The student's own page has no victim block; the other station does not see the report.
    let cs = app.login("student1").await;
    let (_, own) = app.get(&cs, &format!("/reports/{id}")).await;
    assert!(!own.contains("id=\"victim\""));
    let c2 = app.login("police2").await;
    let (s, _) = app.get(&c2, &format!("/reports/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The home page of the police carries the urgent request; others' do not.
    let (_, home) = app.get(&c, "/").await;
    let panel = home
        .split("id=\"urgent-stop-payments\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no urgent panel: {home}"));
    assert!(panel.contains(&ref_no) && panel.contains("张三"), "{panel}");
    for other in [&c2, &cs] {
        let (_, home) = app.get(other, "/").await;
        assert!(!home.contains("urgent-stop-payments"));
    }
    // Once frozen, the request leaves the panel and the inbox is newest first again.
    let r = post_json(
        &app,
        &t1,
        &format!("/api/v1/reports/stop-payments/{sp}/actions"),
        json!({"action": "frozen", "frozen_cents": 1_800_000}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let (_, home) = app.get(&c, "/").await;
    assert!(!home.contains("urgent-stop-payments"));
    let inbox: Value = app
        .api_get(&t1, "/api/v1/inbox")
        .await
        .json()
        .await
        .unwrap();
    let t = titles(&inbox);
    assert_eq!(t[0], "每周通报", "{t:?}");
}

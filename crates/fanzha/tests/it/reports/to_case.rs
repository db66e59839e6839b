//! Opening a case from a report (`open_case_from_report`, triage decision `open_case`): the case
//! keeps the report link, victim and loss, the report shows the case, a second open returns the
//! same case; reports marked not fraud or merged and unknown reports are refused with nothing
//! written; counselors, students and police of another station are refused.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

const MIN: i64 = 60_000;

/// A loss report of student1 with a call and a payee card; returns its id.
async fn loss_report(app: &TestApp, key: &str) -> i64 {
    let t = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let r = post_json(
        app,
        &t,
        "/api/v1/reports",
        json!({
            "idempotency_key": key,
            "lost_money": true,
            "call": {"number": "170 8888 6666", "time": START_MS - 30 * MIN, "duration_seconds": 300},
            "transaction": {"payment_type": "bank_card", "account": "6222020200112233446", "bank": "工商银行",
                            "amount_cents": 2_000_000, "time": START_MS - 10 * MIN},
            "fraud_type": "impersonate_police",
            "description": "冒充公安说我涉嫌洗钱"
        }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["report_id"]
        .as_i64()
        .unwrap()
}

fn tri(id: i64) -> String {
    format!("/api/v1/reports/{id}/triage")
}

#[tokio::test]
async fn police_open_a_case_that_keeps_the_report_link() {
    let app = spawn_seeded().await;
    let id = loss_report(&app, "case-1").await;
    let p = app.token("police1", &Scope::ALL).await;
    let r = post_json(&app, &p, &tri(id), json!({"decision": "open_case"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let a: Value = r.json().await.unwrap();
    let case_id = a["case_id"].as_i64().expect("case id");
    assert_eq!(a["report"]["case_id"], json!(case_id));
    assert_eq!(a["report"]["status"], "case_opened");
    // The report shows its case, to the police and to the reporter.
    let rep: Value = app
        .api_get(&p, &format!("/api/v1/reports/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rep["report"]["case_id"], json!(case_id), "{rep}");
    let s = app.token("student1", &[Scope::ReportsRead]).await;
    let rep: Value = app
        .api_get(&s, &format!("/api/v1/reports/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rep["report"]["case_id"], json!(case_id), "{rep}");
    assert!(rep["report"]["first_action_at"].is_i64());
    // The case keeps the report, the victim, the loss, the channel and the indicators.
    let c: Value = app
        .api_get(&p, &format!("/api/v1/cases/{case_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["report_id"], json!(id), "{c}");
    assert_eq!(
        c["victim_student_id"],
        json!(app.fx.student("2023010101")),
        "{c}"
    );
    assert_eq!(c["amount_lost_cents"], json!(2_000_000));
    assert_eq!(c["fraud_type"], "impersonate_police");
    assert_eq!(c["channel"], "phone");
    assert_eq!(c["status"], "open");
    let inds = c["indicators"].as_array().unwrap();
    assert!(
        inds.iter()
            .any(|i| i["kind"] == "phone" && i["value"] == "17088886666"),
        "{c}"
    );
    assert!(inds.iter().any(|i| i["kind"] == "bank_card"), "{c}");
    // As for every case, its indicators are police-confirmed in the indicator store.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators WHERE kind = 'phone' AND value = '17088886666' AND status = 'confirmed'").await, 1);
    // The case counts in the cases summaries (kept on write by the cases module).
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM cases WHERE report_id = {id}"
        ))
        .await,
        1
    );
    // Opening again returns the same case, nothing new is written.
    let again: Value = post_json(&app, &p, &tri(id), json!({"decision": "open_case"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["case_id"], json!(case_id));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM cases").await, 1);
    assert_eq!(app.audit("reports.case").await.len(), 1);
}

#[tokio::test]
async fn reports_that_cannot_open_a_case_are_refused_and_nothing_is_written() {
    let app = spawn_seeded().await;
    let p = app.token("police1", &Scope::ALL).await;
    let cleared = loss_report(&app, "case-2").await;
    let r = post_json(&app, &p, &tri(cleared), json!({"decision": "not_fraud"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, code, _, details) =
        api_error(post_json(&app, &p, &tri(cleared), json!({"decision": "open_case"})).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code, "reports-err-invalid");
    assert!(
        details.iter().any(|d| d.contains("cannot open a case")),
        "{details:?}"
    );
    // A merged report too.
    let a = loss_report(&app, "case-3").await;
    let b = loss_report(&app, "case-4").await;
    let r = post_json(&app, &p, &tri(a), json!({"decision": "merge", "into": b})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = post_json(&app, &p, &tri(a), json!({"decision": "open_case"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // An unknown report.
    let r = post_json(&app, &p, &tri(999_999), json!({"decision": "open_case"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM cases").await, 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reports WHERE case_id IS NOT NULL")
            .await,
        0
    );
    assert!(app.audit("reports.case").await.is_empty());
}

#[tokio::test]
async fn counselors_students_and_other_stations_cannot_open_a_case() {
    let app = spawn_seeded().await;
    let id = loss_report(&app, "case-5").await;
    for (user, expect) in [
        ("counselor1", StatusCode::FORBIDDEN),
        ("student1", StatusCode::FORBIDDEN),
        ("police2", StatusCode::NOT_FOUND),
    ] {
        let t = app.token(user, &Scope::ALL).await;
        let r = post_json(&app, &t, &tri(id), json!({"decision": "open_case"})).await;
        assert_eq!(r.status(), expect, "{user}");
    }
    // A police token without the write scope.
    let t = app.token("police1", &[Scope::ReportsRead]).await;
    let r = post_json(&app, &t, &tri(id), json!({"decision": "open_case"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM cases").await, 0);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE id = {id} AND status = 'new'"
        ))
        .await,
        1
    );
}

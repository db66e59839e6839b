//! The counselor's side of a mule-risk warning: the script, acknowledging, the talk and the mule
//! outcomes (and only those), the same deadlines and escalation as every warning, what the
//! student reads, who is refused, the figures and the appraisal component.

use super::signals::{partner, problems, zhangsan_card};
use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::json;

const MIN: i64 = 60_000;

async fn routed(app: &TestApp, reference: &str) -> i64 {
    let t = partner(app).await;
    let (s, r) = post_json_read(app, &t, "/api/v1/mules/signals", zhangsan_card(reference)).await;
    assert_eq!(s, StatusCode::CREATED);
    app.runner.run_until_idle().await.unwrap();
    r["id"].as_i64().unwrap()
}

async fn staff(app: &TestApp, who: &str) -> String {
    app.token(who, &[Scope::WarningsRead, Scope::WarningsWrite])
        .await
}

#[tokio::test]
async fn the_counselor_talks_and_records_that_the_card_was_closed() {
    let app = spawn_seeded().await;
    let id = routed(&app, "BANK-T1").await;
    let c1 = staff(&app, "counselor1").await;
    let path = |a: &str| format!("/api/v1/warnings/{id}/{a}");
    let (s, w) = post_json_read(&app, &c1, &path("acknowledge"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{w}");
    app.state.clock.advance_ms(20 * MIN);
    let (s, w) = post_json_read(
        &app,
        &c1,
        &path("contact"),
        json!({"method": "in_person", "notes": "explained art. 287-2"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    // A fraud outcome does not fit a mule-risk warning: 422, nothing changed.
    let r = post_json(&app, &c1, &path("outcome"), json!({"outcome": "dissuaded"})).await;
    let (s, codes) = problems(r).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        codes.contains(&"warn-err-outcome-kind".to_string()),
        "{codes:?}"
    );
    let (s, w) = post_json_read(
        &app,
        &c1,
        &path("outcome"),
        json!({"outcome": "card_closed", "notes": "closed at the bank counter"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    assert_eq!(w["status"], "closed");
    assert_eq!(w["outcome"], "card_closed");
    // The figures of the class: one signal, handled in time, its outcome by name.
    let (s, f) = get_json(&app, &c1, "/api/v1/mules/figures?year=2025").await;
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!(f["signals"], 1);
    assert_eq!(f["handled_in_time"], 1);
    assert_eq!(f["open"], 0);
    assert_eq!(f["outcomes"][0]["key"], "card_closed");
    assert_eq!(f["signal_accounts"][0]["key"], "bank_card");
    // The appraisal component counts it for the class, through the registry.
    let c = fanzha::appraisal::COMPONENTS
        .iter()
        .find(|c| c.key == "mules.handled")
        .expect("registered");
    let class = app.fx.unit("CLS1A1").path.clone();
    let by = (c.figures)(
        &app.state.db,
        &app.fx.unit("SCH1").path,
        0,
        START_MS + 86_400_000,
    )
    .await
    .unwrap();
    assert_eq!(by.get(&class), Some(&(1, 1)));
}

#[tokio::test]
async fn fraud_warnings_keep_their_outcomes_and_mule_outcomes_fit_mule_warnings_only() {
    let app = spawn_seeded().await;
    let police = staff(&app, "police1").await;
    let (s, w) = post_json_read(
        &app,
        &police,
        "/api/v1/warnings",
        json!({"student_no": "2023010101", "fraud_type": "fake_loan", "severity": "high"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(w["kind"], "fraud");
    let id = w["id"].as_i64().unwrap();
    let c1 = staff(&app, "counselor1").await;
    let r = post_json(
        &app,
        &c1,
        &format!("/api/v1/warnings/{id}/outcome"),
        json!({"outcome": "card_closed"}),
    )
    .await;
    let (s, codes) = problems(r).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        codes.contains(&"warn-err-outcome-kind".to_string()),
        "{codes:?}"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warnings WHERE id = {id} AND outcome IS NULL"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn another_class_counselor_sees_nothing_and_may_do_nothing() {
    let app = spawn_seeded().await;
    let id = routed(&app, "BANK-T2").await;
    let c2 = staff(&app, "counselor2").await;
    let (s, _) = get_json(&app, &c2, &format!("/api/v1/warnings/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get_json(&app, &c2, &format!("/api/v1/mules/warnings/{id}/facts")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for (a, body) in [
        ("acknowledge", json!({})),
        ("outcome", json!({"outcome": "stopped"})),
    ] {
        let r = post_json(&app, &c2, &format!("/api/v1/warnings/{id}/{a}"), body).await;
        assert!(
            r.status() == StatusCode::NOT_FOUND || r.status() == StatusCode::FORBIDDEN,
            "{a}: {}",
            r.status()
        );
    }
    // Its figures do not count another class's warning; a unit outside the scope is 404.
    let (s, f) = get_json(&app, &c2, "/api/v1/mules/figures?year=2025").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(f["signals"], 0);
    let (s, _) = get_json(&app, &c2, "/api/v1/mules/figures?unit=CLS1A1").await;
    assert!(
        s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
        "{s}"
    );
    // Nothing changed.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warnings WHERE id = {id} AND status = 'open'"
        ))
        .await,
        1
    );
    // A partner has no figures.
    let t = partner(&app).await;
    let (s, _) = get_json(&app, &t, "/api/v1/mules/figures").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_missed_deadline_escalates_a_mule_warning_like_any_other() {
    let app = spawn_seeded().await;
    let id = routed(&app, "BANK-T3").await;
    // A frozen account is high severity: 10 minutes to acknowledge.
    app.state.clock.advance_ms(11 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warning_events WHERE warning_id = {id} AND kind = 'escalated'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar(&format!("SELECT level FROM warnings WHERE id = {id}"))
            .await,
        1
    );
}

#[tokio::test]
async fn the_pages_give_the_counselor_the_script_and_the_student_what_to_do() {
    let app = spawn_seeded().await;
    let id = routed(&app, "BANK-T4").await;
    let c = app.login("counselor1").await;
    let (s, html) = app.get(&c, &format!("/warnings/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"mule-script\""), "{html}");
    assert!(html.contains("第二百八十七条之二"));
    assert!(html.contains("银行卡 · 已被冻结为涉诈账户"));
    assert!(html.contains("value=\"card_closed\""));
    assert!(!html.contains("value=\"already_lost\""));
    assert!(!html.contains("id=\"what-to-do\""));
    // The student reads what was reported and what to do, not the script.
    let st = app.login("student1").await;
    let (s, html) = app.get(&st, &format!("/warnings/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"what-to-do\""));
    assert!(html.contains("你的账户被报告有异常"));
    assert!(html.contains("银行卡 · 已被冻结为涉诈账户"));
    assert!(!html.contains("id=\"mule-script\""));
    // Another student: 404.
    let other = app.login("student2").await;
    let (s, _) = app.get(&other, &format!("/warnings/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The outcome through the page form.
    let (s, _) = app
        .post_form(
            &c,
            &format!("/warnings/{id}/outcome"),
            &[("outcome", "stopped"), ("notes", "")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warnings WHERE id = {id} AND outcome = 'stopped'"
        ))
        .await,
        1
    );
    // The school's figures page shows it.
    let a = app.login("admin1").await;
    let (s, html) = app.get(&a, "/mules?year=2025").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"signals-count\">1<"), "{html}");
    assert!(html.contains("已停止出借"));
}

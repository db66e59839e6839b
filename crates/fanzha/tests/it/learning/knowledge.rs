//! The knowledge profile feeding the campaigns: wrong answers of a fraud type raise the student's
//! exposure score for it, and a campaign can be sent to exactly the students weak on a type.

use super::{correct_answers, first_lesson, id_of};
use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

const RW: &[Scope] = &[Scope::CampaignsRead, Scope::CampaignsWrite];

/// student1 takes the first lesson's quiz: wrong on 刷单返利, right on 冒充公检法.
async fn weak_on_rebate(app: &TestApp) {
    let course = first_lesson(app).await;
    let st = app.login("student1").await;
    let (_, loc) = app
        .post_form(&st, &format!("/learning/courses/{course}/start"), &[])
        .await;
    let attempt = id_of(&loc);
    let mut f = Vec::new();
    for (q, c) in correct_answers(app, attempt).await {
        let ft: String =
            sqlx::query_scalar("SELECT fraud_type FROM learning_questions WHERE id = $1")
                .bind(q)
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
        let pick = if ft == "rebate_task" { 1 - c[0] } else { c[0] };
        f.push((format!("q{q}"), pick.to_string()));
    }
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (s, _) = app.post_form(&st, &loc, &f).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

async fn score(app: &TestApp, no: &str, fraud_type: &str) -> f64 {
    let t = app.token("admin1", RW).await;
    let r = app
        .api_get(
            &t,
            &format!("/api/v1/campaigns/exposure?unit=SCH1&fraud_type={fraud_type}"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let id = app.fx.student(no).get();
    v.as_array()
        .unwrap()
        .iter()
        .find(|e| e["student_id"].as_i64() == Some(id))
        .and_then(|e| e["score"].as_f64())
        .unwrap_or(0.0)
}

async fn preview(app: &TestApp, audience: Value) -> (StatusCode, Value) {
    let t = app.token("admin1", RW).await;
    post_json_read(
        app,
        &t,
        "/api/v1/campaigns/preview",
        json!({"unit": "SCH1", "fraud_type": "rebate_task", "audience": audience}),
    )
    .await
}

#[tokio::test]
async fn wrong_answers_raise_the_exposure_score_and_target_the_weak() {
    let app = spawn_seeded().await;
    assert_eq!(score(&app, "2023010101", "rebate_task").await, 0.0);
    let (s, p) = preview(&app, json!({"weak_on": ["rebate_task"]})).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["size"], 0, "nobody answered yet: nobody is weak");
    weak_on_rebate(&app).await;
    // All of the one 刷单返利 answer wrong: the full knowledge part, 20 points; the type they got
    // right adds nothing.
    assert!((score(&app, "2023010101", "rebate_task").await - 20.0).abs() < 0.01);
    assert_eq!(score(&app, "2023010101", "impersonate_police").await, 0.0);
    assert_eq!(score(&app, "2023010102", "rebate_task").await, 0.0);
    // Targeting: exactly the weak student.
    let (s, p) = preview(&app, json!({"weak_on": ["rebate_task"]})).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["size"], 1, "{p}");
    assert_eq!(
        p["sample"][0]["person"],
        format!("student:{}", app.fx.student("2023010101"))
    );
    let (_, p) = preview(&app, json!({"weak_on": ["impersonate_police"]})).await;
    assert_eq!(p["size"], 0, "{p}");
    // Bad input: an unknown type, staff roles.
    let (s, _) = preview(&app, json!({"weak_on": ["not_a_type"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = preview(
        &app,
        json!({"weak_on": ["rebate_task"], "roles": ["counselor"]}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // The student's own profile shows it.
    let st = app.login("student1").await;
    let (_, hub) = app.get(&st, "/learning").await;
    assert!(hub.contains("0% (0/1)"), "{hub}");
}

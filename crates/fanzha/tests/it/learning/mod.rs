//! Learning: courses and the first lesson, the pledge, activities with check-in, the app drive,
//! coverage; the browser journey of a student and their counselor.

mod app;
mod appraisal;
mod browser;
mod checkin;
mod course;
mod intake;
mod knowledge;
mod photos;
mod pledge;
mod structure;
mod terms;

use crate::common::*;
use reqwest::StatusCode;

/// The answers of a question bank row: (question id, correct option indices).
pub async fn correct_answers(app: &TestApp, attempt: i64) -> Vec<(i64, Vec<usize>)> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT q.id, q.correct FROM learning_attempt_items i JOIN learning_questions q ON q.id = i.question_id \
         WHERE i.attempt_id = $1 ORDER BY i.position",
    )
    .bind(attempt)
    .fetch_all(&app.state.db.pool)
    .await
    .expect("answers");
    rows.into_iter()
        .map(|(id, c)| (id, serde_json::from_str(&c).expect("json")))
        .collect()
}

/// The id at the end of a redirect target such as `/learning/courses/7`.
pub fn id_of(location: &str) -> i64 {
    location
        .rsplit('/')
        .next()
        .and_then(|s| s.split('?').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location}"))
}

/// The school admin of SCH1 creates the required first lesson for the 2023 intake (due in a week)
/// with two lessons and one question of each of two fraud types (one drawn per type).
pub async fn first_lesson(app: &TestApp) -> i64 {
    let admin = app.login("admin1").await;
    let school = app.fx.unit("SCH1").id.to_string();
    let (s, loc) = app
        .post_form(
            &admin,
            "/learning/courses",
            &[
                ("school", &school),
                ("title", "反诈第一课"),
                ("summary", "新生必修"),
                ("credits", "0.5"),
                ("pass_percent", "60"),
                ("per_tag", "1"),
                ("max_attempts", "3"),
                ("time_limit_min", "15"),
                ("required", "1"),
                ("deadline", "2025-03-08 18:00"),
                ("enrol_year", "2023"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    let id = id_of(&loc);
    for (t, b) in [
        ("刷单返利", "所有刷单都是诈骗。"),
        ("冒充公检法", "没有安全账户。"),
    ] {
        let (s, body) = app
            .post_form(
                &admin,
                &format!("/learning/courses/{id}/lessons"),
                &[("title", t), ("body", b), ("video_url", "")],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    }
    for (ft, prompt, correct) in [
        ("rebate_task", "刷单返利是正规兼职吗?", "2"),
        ("impersonate_police", "公安会要求转账到安全账户吗?", "2"),
    ] {
        let (s, body) = app
            .post_form(
                &admin,
                &format!("/learning/courses/{id}/questions"),
                &[
                    ("kind", "true_false"),
                    ("fraud_type", ft),
                    ("prompt", prompt),
                    ("options", ""),
                    ("correct", correct),
                    ("explanation", "这是诈骗。"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    }
    id
}

/// `user` takes `course` to completion: starts the assessment, answers right, opens every lesson.
pub async fn finish(app: &TestApp, course: i64, user: &str) {
    let st = app.login(user).await;
    let (_, loc) = app
        .post_form(&st, &format!("/learning/courses/{course}/start"), &[])
        .await;
    let f: Vec<(String, String)> = correct_answers(app, id_of(&loc))
        .await
        .iter()
        .map(|(q, c)| (format!("q{q}"), c[0].to_string()))
        .collect();
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    app.post_form(&st, &loc, &f).await;
    let lessons: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM learning_lessons WHERE course_id = $1 ORDER BY position",
    )
    .bind(course)
    .fetch_all(&app.state.db.pool)
    .await
    .expect("lessons");
    for l in lessons {
        app.get(&st, &format!("/learning/lessons/{l}")).await;
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM learning_completions WHERE course_id = {course} AND student_id = (SELECT student_id FROM accounts WHERE username = '{user}')"
        ))
        .await,
        1,
        "{user} completed"
    );
}

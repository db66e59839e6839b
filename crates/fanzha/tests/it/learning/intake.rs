//! The first lesson handed to every new intake the roster brings in, and its deadline reminders
//! as jobs: once three days ahead and once at the deadline, to exactly those not finished, in
//! their inbox and as a count on the school's channels; a restart neither forgets nor repeats one.

use std::sync::{Arc, Mutex};

use super::id_of;
use crate::common::*;
use fanzha::config::Config;
use fanzha::org::roster::RosterKind;
use fanzha::org::service as org_service;
use fanzha::web::App;
use reqwest::StatusCode;

const DAY: i64 = 86_400_000;

const INTAKE_2024: &str = "学号,姓名,性别,入学年份,专业,班级代码,手机号,邮箱,状态\n\
2024010101,新生甲,男,2024,计算机科学,CLS1A1,13800009991,,在读\n\
2024010102,新生乙,女,2024,计算机科学,CLS1A1,13800009992,,在读\n";

type Posts = Arc<Mutex<Vec<serde_json::Value>>>;

/// A local webhook that keeps what it is sent.
async fn webhook() -> (String, Posts) {
    use axum::routing::post;
    let posts: Posts = Arc::default();
    let app =
        axum::Router::new()
            .route(
                "/hook",
                post(
                    |axum::extract::State(p): axum::extract::State<Posts>,
                     body: axum::body::Bytes| async move {
                        p.lock()
                            .unwrap()
                            .push(serde_json::from_slice(&body).unwrap_or_default());
                        "ok"
                    },
                ),
            )
            .with_state(posts.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (base, posts)
}

/// SCH1 chose a webhook for its notices.
async fn school_webhook(app: &TestApp, url: &str) {
    let sch = app.fx.unit("SCH1");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaign_channels (unit_path, kind, name, url, secret, sender, rate_per_min, created_by, created_at) \
         VALUES ($1, 'webhook', '保卫处群', $2, 'k', NULL, 60, $3, $4) RETURNING id",
    )
    .bind(&sch.path)
    .bind(url)
    .bind(app.fx.accounts["admin1"])
    .bind(START_MS)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO warning_channels (school_id, channel_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(sch.id)
    .bind(id)
    .bind(START_MS)
    .execute(&app.state.db.pool)
    .await
    .unwrap();
}

async fn intake_course(
    app: &TestApp,
    user: &str,
    days: &str,
    required: bool,
) -> (StatusCode, String) {
    let c = app.login(user).await;
    let school = app.fx.unit("SCH1").id.to_string();
    let mut f = vec![
        ("school", school.as_str()),
        ("title", "反诈第一课"),
        ("summary", "新生必修"),
        ("credits", "0.5"),
        ("pass_percent", "60"),
        ("per_tag", "1"),
        ("max_attempts", "3"),
        ("time_limit_min", "15"),
        ("intake_days", days),
    ];
    if required {
        f.push(("required", "1"));
    }
    app.post_form(&c, "/learning/courses", &f).await
}

async fn import(app: &TestApp, csv: &str) {
    let org = app.fx.unit("SCH1").clone();
    org_service::import_roster(
        &app.state.db,
        &app.state.clock,
        &org,
        csv.as_bytes(),
        Some(RosterKind::Students),
    )
    .await
    .expect("import");
}

async fn student_id(app: &TestApp, no: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM students WHERE student_no = $1")
        .bind(no)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn told(app: &TestApp, student: impl std::fmt::Display) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'student:{student}' AND kind = 'learning'"
    ))
    .await
}

#[tokio::test]
async fn a_new_intake_gets_the_first_lesson_and_its_reminders_fire_once_across_a_restart() {
    let app = spawn_seeded().await;
    let (base, posts) = webhook().await;
    school_webhook(&app, &format!("{base}/hook")).await;
    let (s, loc) = intake_course(&app, "admin1", "14", true).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    let course = id_of(&loc);
    // The 2023 intake was there before: it is not a new intake.
    let enrolments = format!("SELECT COUNT(*) FROM learning_enrolments WHERE course_id = {course}");
    assert_eq!(app.scalar(&enrolments).await, 0);
    import(&app, INTAKE_2024).await;
    assert_eq!(app.scalar(&enrolments).await, 1);
    assert_eq!(
        app.scalar(&format!("SELECT deadline_at FROM learning_enrolments WHERE course_id = {course} AND enrolment_year = 2024")).await,
        START_MS + 14 * DAY
    );
    let jobs = "SELECT COUNT(*) FROM jobs WHERE kind = 'learning.deadline'";
    assert_eq!(app.scalar(jobs).await, 2);
    // The same intake imported again (a correction) is not new: nothing more.
    import(&app, INTAKE_2024).await;
    assert_eq!(app.scalar(&enrolments).await, 1);
    assert_eq!(app.scalar(jobs).await, 2);
    let (a, b) = (
        student_id(&app, "2024010101").await,
        student_id(&app, "2024010102").await,
    );
    let old = app.fx.student("2023010101");
    // 新生甲 finishes.
    sqlx::query("INSERT INTO learning_completions (course_id, student_id, completed_at) VALUES ($1, $2, $3)")
        .bind(course)
        .bind(a)
        .bind(START_MS + DAY)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    // Nothing before the early reminder.
    app.state.clock.advance_ms(10 * DAY);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(told(&app, b).await, 0);
    // Three days before the deadline: 新生乙 only, and one post with the count.
    app.state.clock.advance_ms(DAY + 60_000);
    app.runner.run_until_idle().await.unwrap();
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(
        (
            told(&app, a).await,
            told(&app, b).await,
            told(&app, old).await
        ),
        (0, 1, 0)
    );
    {
        let p = posts.lock().unwrap();
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0]["event"], "learning.reminder");
        let body = p[0]["reminder"]["body"].as_str().unwrap();
        assert!(body.contains("2024级还有 1 名同学"), "{body}");
        assert!(
            !body.contains("新生乙"),
            "no names on a group channel: {body}"
        );
    }
    // A restart: another process on the same database runs its queue; nothing is sent again.
    let again = App::new(
        Config {
            data_dir: app.dir.path().to_path_buf(),
            ..Config::default()
        },
        app.state.db.clone(),
        app.state.clock.clone(),
    );
    again.runner.run_until_idle().await.unwrap();
    assert_eq!(told(&app, b).await, 1);
    // At the deadline: the second reminder, once.
    app.state.clock.advance_ms(3 * DAY);
    again.runner.run_until_idle().await.unwrap();
    app.runner.run_until_idle().await.unwrap();
    again.runner.run_until_idle().await.unwrap();
    assert_eq!((told(&app, a).await, told(&app, b).await), (0, 2));
    assert_eq!(posts.lock().unwrap().len(), 2);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'learning.%' AND status <> 'done'")
            .await,
        0
    );
    // The student's course page shows the intake's own deadline.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM learning_enrolments WHERE course_id = {course} AND deadline_at IS NOT NULL"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn bad_intake_settings_and_other_roles_are_refused_and_nothing_is_written() {
    let app = spawn_seeded().await;
    for (days, required) in [("0", true), ("366", true), ("两周", true), ("14", false)] {
        let (s, body) = intake_course(&app, "admin1", days, required).await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{days} {required}: {body}"
        );
    }
    // Elective and required at once.
    let c = app.login("admin1").await;
    let school = app.fx.unit("SCH1").id.to_string();
    let (s, _) = app
        .post_form(
            &c,
            "/learning/courses",
            &[
                ("school", school.as_str()),
                ("title", "选修"),
                ("credits", "1"),
                ("pass_percent", "60"),
                ("per_tag", "1"),
                ("max_attempts", "3"),
                ("time_limit_min", "15"),
                ("required", "1"),
                ("deadline", "2025-03-08 18:00"),
                ("elective", "1"),
                ("enrol_year", "2023"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // A counselor and a student may not create one.
    for who in ["counselor1", "student1"] {
        let (s, _) = intake_course(&app, who, "14", true).await;
        assert!(
            matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {s}"
        );
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM learning_courses").await, 0);
    import(&app, INTAKE_2024).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_enrolments").await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'learning.%'")
            .await,
        0
    );
}

#[tokio::test]
async fn two_imports_of_a_new_intake_at_once_assign_it_once() {
    let app = spawn_seeded().await;
    let (s, loc) = intake_course(&app, "admin1", "14", true).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    let course = id_of(&loc);
    tokio::join!(import(&app, INTAKE_2024), import(&app, INTAKE_2024));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM learning_enrolments WHERE course_id = {course}"
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'learning.deadline'")
            .await,
        2
    );
}

#[tokio::test]
async fn a_required_course_for_a_unit_reminds_at_its_deadline_and_a_finished_class_is_not_told() {
    let app = spawn_seeded().await;
    let course = super::first_lesson(&app).await;
    // first_lesson enrols the 2023 intake, due 2025-03-08 18:00 China time: two jobs.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'learning.deadline'")
            .await,
        2
    );
    app.state.clock.advance_ms(8 * DAY);
    app.runner.run_until_idle().await.unwrap();
    for no in ["2023010101", "2023010102", "2023010201", "2023020101"] {
        assert_eq!(told(&app, app.fx.student(no)).await, 2, "{no}");
    }
    // Another school's students are not in this course.
    assert_eq!(told(&app, app.fx.student("2023510101")).await, 0);
    let _ = course;
}

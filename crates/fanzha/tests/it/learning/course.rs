//! Courses: authoring in scope, the first lesson taken by its intake, assessments drawn per fraud
//! type (least seen first), pass mark, attempts and time limit, completion and the class's view.

use super::{correct_answers, first_lesson, id_of};
use crate::common::*;
use reqwest::StatusCode;

async fn lessons_of(app: &TestApp, course: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM learning_lessons WHERE course_id = $1 ORDER BY position")
        .bind(course)
        .fetch_all(&app.state.db.pool)
        .await
        .expect("lessons")
}

#[tokio::test]
async fn a_student_of_the_intake_reads_the_lessons_passes_the_quiz_and_completes() {
    let app = spawn_seeded().await;
    let course = first_lesson(&app).await;
    let st = app.login("student1").await;
    let (s, hub) = app.get(&st, "/learning").await;
    assert_eq!(s, StatusCode::OK);
    assert!(hub.contains("反诈第一课"), "{hub}");
    assert!(hub.contains("截止 2025-03-08 18:00"), "{hub}");
    // A student of another school does not see it and cannot open it.
    let other = app.login("student3").await;
    let (_, hub3) = app.get(&other, "/learning").await;
    assert!(!hub3.contains("反诈第一课"));
    let (s, _) = app
        .get(&other, &format!("/learning/courses/{course}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The quiz before the lessons: allowed, but completion needs both.
    let (s, loc) = app
        .post_form(&st, &format!("/learning/courses/{course}/start"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    let attempt = id_of(&loc);
    let answers = correct_answers(&app, attempt).await;
    assert_eq!(answers.len(), 2, "one question per fraud type");
    let (s, page) = app.get(&st, &loc).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("quiz-form"), "{page}");
    let mut form: Vec<(String, String)> = vec![];
    for (q, c) in &answers {
        for i in c {
            form.push((format!("q{q}"), i.to_string()));
        }
    }
    let form_ref: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (s, _) = app.post_form(&st, &loc, &form_ref).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = app.get(&st, &loc).await;
    assert!(page.contains("得分 100%"), "{page}");
    assert!(
        page.contains("这是诈骗。"),
        "explanations shown after: {page}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_completions")
            .await,
        0,
        "not complete before the lessons are read"
    );
    for l in lessons_of(&app, course).await {
        let (s, page) = app.get(&st, &format!("/learning/lessons/{l}")).await;
        assert_eq!(s, StatusCode::OK, "{page}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_completions")
            .await,
        1
    );
    let (_, page) = app.get(&st, &format!("/learning/courses/{course}")).await;
    assert!(page.contains("course-complete"), "{page}");
    // A passed course takes no new attempt.
    let (s, _) = app
        .post_form(&st, &format!("/learning/courses/{course}/start"), &[])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // The counselor of the class sees it in the class coverage; another counselor does not.
    let c1 = app.login("counselor1").await;
    let cls = app.fx.unit("CLS1A1").id;
    let (s, page) = app
        .get(&c1, &format!("/learning/coverage?unit={cls}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let row = between(
        &page,
        &format!("id=\"student-{}\"", app.fx.student("2023010101")),
        "</tr>",
    )
    .expect("张三's row");
    assert!(row.contains("已完成"), "{row}");
    assert!(
        page.contains("id=\"total-first\">50%"),
        "one of two: {page}"
    );
    let c2 = app.login("counselor2").await;
    let (s, _) = app
        .get(&c2, &format!("/learning/coverage?unit={cls}"))
        .await;
    assert!(
        s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
        "{s}"
    );
    // A student has no coverage page.
    let (s, _) = app
        .get(&st, &format!("/learning/coverage?unit={cls}"))
        .await;
    assert!(
        s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
        "{s}"
    );
}

#[tokio::test]
async fn a_question_without_a_correct_option_and_bad_courses_are_refused_and_nothing_is_written() {
    let app = spawn_seeded().await;
    let course = first_lesson(&app).await;
    let admin = app.login("admin1").await;
    let before = app.scalar("SELECT COUNT(*) FROM learning_questions").await;
    let (s, body) = app
        .post_form(
            &admin,
            &format!("/learning/courses/{course}/questions"),
            &[
                ("kind", "single"),
                ("fraud_type", "fake_loan"),
                ("prompt", "放款前要交保证金吗?"),
                ("options", "要\n不要"),
                ("explanation", "放款前收费都是诈骗。"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请至少标出一个正确选项"), "{body}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_questions").await,
        before
    );
    // Two correct options on a single-choice question, and an unknown fraud type.
    let (s, _) = app
        .post_form(
            &admin,
            &format!("/learning/courses/{course}/questions"),
            &[
                ("kind", "single"),
                ("fraud_type", "not_a_type"),
                ("prompt", "?"),
                ("options", "a\nb"),
                ("correct", "1"),
                ("correct", "2"),
                ("explanation", "x"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // A required course without a deadline, and one enrolling a unit of another school.
    let school = app.fx.unit("SCH1").id.to_string();
    let courses = app.scalar("SELECT COUNT(*) FROM learning_courses").await;
    for extra in [
        vec![("required", "1"), ("enrol_year", "2023")],
        vec![("enrol_unit", "CLS2A1")],
        vec![],
    ] {
        let mut f = vec![
            ("school", school.as_str()),
            ("title", "选修课"),
            ("credits", "2"),
            ("pass_percent", "60"),
            ("per_tag", "1"),
            ("max_attempts", "2"),
            ("time_limit_min", "10"),
        ];
        f.extend(extra);
        let (s, _) = app.post_form(&admin, "/learning/courses", &f).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_courses").await,
        courses
    );
}

#[tokio::test]
async fn only_school_admins_and_police_of_the_jurisdiction_author_courses() {
    let app = spawn_seeded().await;
    let school = app.fx.unit("SCH1").id.to_string();
    let form = [
        ("school", school.as_str()),
        ("title", "电信诈骗防范"),
        ("credits", "1"),
        ("pass_percent", "60"),
        ("per_tag", "1"),
        ("max_attempts", "2"),
        ("time_limit_min", "10"),
        ("enrol_unit", "SCH1"),
    ];
    for (user, expected) in [
        (
            "student1",
            &[StatusCode::FORBIDDEN, StatusCode::NOT_FOUND][..],
        ),
        ("counselor1", &[StatusCode::NOT_FOUND][..]),
        ("admin2", &[StatusCode::NOT_FOUND][..]),
        ("police2", &[StatusCode::NOT_FOUND][..]),
    ] {
        let c = app.login(user).await;
        let (s, _) = app.post_form(&c, "/learning/courses", &form).await;
        assert!(expected.contains(&s), "{user}: {s}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM learning_courses").await, 0);
    let police = app.login("police1").await;
    let (s, loc) = app.post_form(&police, "/learning/courses", &form).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    let (s, page) = app.get(&police, &loc).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("question-form"), "{page}");
    // Police of another station may not add a lesson to it.
    let p2 = app.login("police2").await;
    let (s, _) = app
        .post_form(
            &p2,
            &format!("{loc}/lessons"),
            &[("title", "x"), ("body", "y")],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM learning_lessons").await, 0);
}

#[tokio::test]
async fn answers_to_a_closed_or_expired_attempt_are_refused_and_least_seen_questions_come_first() {
    let app = spawn_seeded().await;
    let course = first_lesson(&app).await;
    let st = app.login("student1").await;
    let (_, loc) = app
        .post_form(&st, &format!("/learning/courses/{course}/start"), &[])
        .await;
    let first = id_of(&loc);
    let seen_first: Vec<i64> = correct_answers(&app, first)
        .await
        .into_iter()
        .map(|(q, _)| q)
        .collect();
    // Everything wrong: 0 %, not passed.
    let wrong: Vec<(String, String)> = correct_answers(&app, first)
        .await
        .into_iter()
        .map(|(q, c)| (format!("q{q}"), (1 - c[0]).to_string()))
        .collect();
    let w: Vec<(&str, &str)> = wrong
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let (s, _) = app.post_form(&st, &loc, &w).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = app.get(&st, &loc).await;
    assert!(page.contains("得分 0%"), "{page}");
    // The knowledge profile shows each fraud type answered, none right yet.
    let (_, hub) = app.get(&st, "/learning").await;
    let profile = between(&hub, "id=\"my-knowledge\"", "</section>").expect("profile");
    assert!(
        profile.contains("刷单返利") && profile.contains("0% (0/1)"),
        "{profile}"
    );
    // A second submission of the closed attempt is refused and changes nothing.
    let right: Vec<(String, String)> = correct_answers(&app, first)
        .await
        .into_iter()
        .map(|(q, c)| (format!("q{q}"), c[0].to_string()))
        .collect();
    let r: Vec<(&str, &str)> = right
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let (s, body) = app.post_form(&st, &loc, &r).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT score_percent FROM learning_attempts WHERE id = {first}"
        ))
        .await,
        0
    );

    // Add a second question of each type: the next attempt draws the ones not seen yet.
    let admin = app.login("admin1").await;
    for ft in ["rebate_task", "impersonate_police"] {
        let (s, _) = app
            .post_form(
                &admin,
                &format!("/learning/courses/{course}/questions"),
                &[
                    ("kind", "single"),
                    ("fraud_type", ft),
                    ("prompt", "遇到可疑情况先做什么?"),
                    ("options", "转账\n核实"),
                    ("correct", "2"),
                    ("explanation", "先核实。"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
    }
    let (_, loc2) = app
        .post_form(&st, &format!("/learning/courses/{course}/start"), &[])
        .await;
    let second = id_of(&loc2);
    let drawn: Vec<i64> = correct_answers(&app, second)
        .await
        .into_iter()
        .map(|(q, _)| q)
        .collect();
    assert_eq!(drawn.len(), 2);
    assert!(
        drawn.iter().all(|q| !seen_first.contains(q)),
        "{drawn:?} vs {seen_first:?}"
    );
    // Past the time limit the answers are refused and the attempt stays as it was.
    app.state.clock.advance_ms(16 * 60_000);
    let right: Vec<(String, String)> = correct_answers(&app, second)
        .await
        .into_iter()
        .map(|(q, c)| (format!("q{q}"), c[0].to_string()))
        .collect();
    let r: Vec<(&str, &str)> = right
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let (s, body) = app.post_form(&st, &loc2, &r).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("超时"), "{body}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM learning_attempt_items WHERE attempt_id = {second} AND chosen IS NOT NULL"
        ))
        .await,
        0
    );
    // The third and last attempt; then none is left.
    let (s, _) = app
        .post_form(&st, &format!("/learning/courses/{course}/start"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    app.state.clock.advance_ms(16 * 60_000);
    let (s, body) = app
        .post_form(&st, &format!("/learning/courses/{course}/start"), &[])
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_attempts").await,
        3
    );
}

#[tokio::test]
async fn the_counselor_reminds_exactly_those_who_have_not_finished_the_first_lesson() {
    let app = spawn_seeded().await;
    let course = first_lesson(&app).await;
    // 张三 finishes.
    let st = app.login("student1").await;
    let (_, loc) = app
        .post_form(&st, &format!("/learning/courses/{course}/start"), &[])
        .await;
    let answers = correct_answers(&app, id_of(&loc)).await;
    let f: Vec<(String, String)> = answers
        .iter()
        .map(|(q, c)| (format!("q{q}"), c[0].to_string()))
        .collect();
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    app.post_form(&st, &loc, &f).await;
    for l in lessons_of(&app, course).await {
        app.get(&st, &format!("/learning/lessons/{l}")).await;
    }
    let c1 = app.login("counselor1").await;
    let cls = app.fx.unit("CLS1A1").id.to_string();
    let (s, loc) = app
        .post_form(
            &c1,
            &format!("/learning/courses/{course}/remind"),
            &[("unit", &cls)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc.contains("reminded=1"), "{loc}");
    // The reminder is a job: nobody is told before it runs.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM inbox_messages WHERE kind = 'learning'")
            .await,
        0
    );
    app.runner.run_until_idle().await.unwrap();
    let zs = app.fx.student("2023010101");
    let ls = app.fx.student("2023010102");
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'student:{ls}' AND kind = 'learning'")).await,
        1
    );
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'student:{zs}' AND kind = 'learning'")).await,
        0
    );
    // Not for another counselor's class.
    let other = app.fx.unit("CLS1B1").id.to_string();
    let (s, _) = app
        .post_form(
            &c1,
            &format!("/learning/courses/{course}/remind"),
            &[("unit", &other)],
        )
        .await;
    assert!(
        s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
        "{s}"
    );
}

#[tokio::test]
async fn a_completion_has_a_certificate_the_public_verify_page_shows_without_personal_data() {
    let app = spawn_seeded().await;
    let course = first_lesson(&app).await;
    let st = app.login("student1").await;
    let (_, loc) = app
        .post_form(&st, &format!("/learning/courses/{course}/start"), &[])
        .await;
    let f: Vec<(String, String)> = correct_answers(&app, id_of(&loc))
        .await
        .iter()
        .map(|(q, c)| (format!("q{q}"), c[0].to_string()))
        .collect();
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    app.post_form(&st, &loc, &f).await;
    for l in lessons_of(&app, course).await {
        app.get(&st, &format!("/learning/lessons/{l}")).await;
    }
    let (_, page) = app.get(&st, &format!("/learning/courses/{course}")).await;
    let link = between(&page, "<a href=\"/verify/", "\"").expect("certificate link");
    // Anyone may verify it, signed in or not: every printed field, no student number or phone.
    let anon = client();
    let r = anon
        .get(app.url(&format!("/verify/{link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    for field in [
        "张*",
        "反诈第一课",
        "0.5",
        "第一大学",
        "2025-03-01",
        link.as_str(),
    ] {
        assert!(page.contains(field), "{field} missing: {page}");
    }
    assert!(
        !page.contains("张三") && !page.contains("2023010101") && !page.contains("13800001111")
    );
    // An edited or made-up code verifies nothing.
    let mut edited = link.clone();
    edited.replace_range(0..1, if link.starts_with('A') { "B" } else { "A" });
    for code in [edited.as_str(), "NOTACODE", "x"] {
        let r = anon
            .get(app.url(&format!("/verify/{code}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{code}");
    }
    // One certificate per completion, codes unique by constraint.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_certificates")
            .await,
        1
    );
}

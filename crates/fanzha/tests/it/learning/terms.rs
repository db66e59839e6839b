//! The school calendar's terms, the credit export per school and term (CSV byte-identical on
//! re-export, .xlsx), and self-enrolment in electives.

use super::{finish, first_lesson, id_of};
use crate::common::*;
use reqwest::StatusCode;

async fn term(app: &TestApp, user: &str, school: &str, f: [&str; 4]) -> (StatusCode, String) {
    let c = app.login(user).await;
    let id = app.fx.unit(school).id.to_string();
    app.post_form(
        &c,
        "/learning/terms",
        &[
            ("school", id.as_str()),
            ("academic_year", f[0]),
            ("semester", f[1]),
            ("first_day", f[2]),
            ("last_day", f[3]),
        ],
    )
    .await
}

async fn download(app: &TestApp, c: &reqwest::Client, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = c.get(app.url(path)).send().await.unwrap();
    let s = r.status();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (s, kind, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_school_admin_keeps_the_calendar_and_exports_a_terms_credits_as_csv_and_xlsx() {
    let app = spawn_seeded().await;
    let terms = "SELECT COUNT(*) FROM learning_terms";
    let (s, b) = term(
        &app,
        "admin1",
        "SCH1",
        ["2024", "1", "2024-09-01", "2025-01-17"],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{b}");
    let (s, b) = term(
        &app,
        "admin1",
        "SCH1",
        ["2024", "2", "2025-02-24", "2025-07-10"],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{b}");
    // Set again: corrected, not doubled.
    let (s, _) = term(
        &app,
        "admin1",
        "SCH1",
        ["2024", "2", "2025-02-23", "2025-07-10"],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar(terms).await, 2);
    // Overlapping another term, bad dates, a fourth semester: refused, nothing written.
    let (s, _) = term(
        &app,
        "admin1",
        "SCH1",
        ["2024", "3", "2025-07-01", "2025-08-20"],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    for f in [
        ["2024", "4", "2025-07-20", "2025-08-20"],
        ["2024", "3", "2025-08-20", "2025-07-20"],
        ["2024", "3", "七月", "2025-08-20"],
        ["1999", "3", "2025-07-20", "2025-08-20"],
    ] {
        let (s, _) = term(&app, "admin1", "SCH1", f).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{f:?}");
    }
    // Police (who author courses there), a counselor, another school's admin: refused.
    for who in ["police1", "counselor1", "admin2", "student1"] {
        let (s, _) = term(&app, who, "SCH1", ["2025", "1", "2025-09-01", "2026-01-17"]).await;
        assert!(
            matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {s}"
        );
    }
    assert_eq!(app.scalar(terms).await, 2);
    let (_, page) = app
        .get(&app.login("admin1").await, "/learning/manage")
        .await;
    assert!(page.contains("2025-02-23 – 2025-07-10"), "{page}");
    // 张三 completes during the spring term.
    let course = first_lesson(&app).await;
    finish(&app, course, "student1").await;
    let sch = app.fx.unit("SCH1").id;
    let id = |y: i64, s: i64| {
        format!("SELECT id FROM learning_terms WHERE academic_year = {y} AND semester = {s}")
    };
    let (autumn, spring) = (
        app.scalar(&id(2024, 1)).await,
        app.scalar(&id(2024, 2)).await,
    );
    let admin = app.login("admin1").await;
    let (s, kind, csv) = download(
        &app,
        &admin,
        &format!("/learning/credits/{sch}?term={spring}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(
        text.contains("记录编号") && text.contains("2023010101") && text.contains("反诈第一课"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 2, "{text}");
    // A re-export is byte-identical; the autumn term has none of it.
    let (_, _, again) = download(
        &app,
        &admin,
        &format!("/learning/credits/{sch}?term={spring}"),
    )
    .await;
    assert_eq!(csv, again);
    let (_, _, autumn_csv) = download(
        &app,
        &admin,
        &format!("/learning/credits/{sch}?term={autumn}"),
    )
    .await;
    assert_eq!(String::from_utf8(autumn_csv).unwrap().lines().count(), 1);
    // The same rows as .xlsx.
    let (s, kind, x) = download(
        &app,
        &admin,
        &format!("/learning/credits/{sch}?term={spring}&format=xlsx"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    assert!(x.starts_with(b"PK\x03\x04"));
    // An unknown format, another school's term, a counselor: refused.
    let (s, _, _) = download(&app, &admin, &format!("/learning/credits/{sch}?format=pdf")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = term(
        &app,
        "admin2",
        "SCH2",
        ["2024", "2", "2025-02-24", "2025-07-10"],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let other = app.scalar("SELECT MAX(id) FROM learning_terms").await;
    let (s, _, _) = download(
        &app,
        &admin,
        &format!("/learning/credits/{sch}?term={other}"),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let c1 = app.login("counselor1").await;
    let (s, _, _) = download(&app, &c1, &format!("/learning/credits/{sch}?term={spring}")).await;
    assert!(
        matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{s}"
    );
}

async fn elective(app: &TestApp) -> i64 {
    let admin = app.login("admin1").await;
    let school = app.fx.unit("SCH1").id.to_string();
    let (s, loc) = app
        .post_form(
            &admin,
            "/learning/courses",
            &[
                ("school", school.as_str()),
                ("title", "网络安全与反诈"),
                ("summary", "公共选修课"),
                ("credits", "2"),
                ("pass_percent", "60"),
                ("per_tag", "1"),
                ("max_attempts", "3"),
                ("time_limit_min", "20"),
                ("elective", "1"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    id_of(&loc)
}

#[tokio::test]
async fn a_student_enrols_in_an_elective_once_and_nobody_else_can() {
    let app = spawn_seeded().await;
    let course = elective(&app).await;
    let st = app.login("student1").await;
    let (_, hub) = app.get(&st, "/learning").await;
    assert!(hub.contains(&format!("id=\"elective-{course}\"")), "{hub}");
    // Not theirs yet.
    let (s, _) = app.get(&st, &format!("/learning/courses/{course}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post_form(&st, &format!("/learning/courses/{course}/enrol"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = app.get(&st, &format!("/learning/courses/{course}")).await;
    assert_eq!(s, StatusCode::OK);
    let (_, hub) = app.get(&st, "/learning").await;
    assert!(
        !hub.contains(&format!("id=\"elective-{course}\""))
            && hub.contains(&format!("id=\"course-{course}\"")),
        "{hub}"
    );
    let (s, _) = app
        .post_form(&st, &format!("/learning/courses/{course}/enrol"), &[])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Two presses at once by another student: one enrolment.
    let st2 = app.login("student2").await;
    let path = format!("/learning/courses/{course}/enrol");
    let (a, b) = tokio::join!(
        app.post_form(&st2, &path, &[]),
        app.post_form(&st2, &path, &[])
    );
    let mut got = [a.0, b.0];
    got.sort();
    assert_eq!(got, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    // A student of another school, a course that is not an elective, a counselor: refused.
    let st3 = app.login("student3").await;
    let (s, _) = app.post_form(&st3, &path, &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let required = first_lesson(&app).await;
    let (s, _) = app
        .post_form(&st, &format!("/learning/courses/{required}/enrol"), &[])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let c1 = app.login("counselor1").await;
    let (s, _) = app.post_form(&c1, &path, &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_self_enrolments")
            .await,
        2
    );
}

//! Course structure: modules grouping lessons, instructors shown on the course, files attached to
//! lessons (type and size limits, kept in the evidence store, served to the course's students
//! and authors only).

use super::first_lesson;
use crate::common::*;
use reqwest::StatusCode;

async fn upload(app: &TestApp, who: &str, lesson: i64, name: &str, bytes: Vec<u8>) -> StatusCode {
    let c = app.login(who).await;
    let csrf = app.page_csrf(&c).await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    c.post(app.url(&format!("/learning/lessons/{lesson}/attachments")))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .status()
}

fn pdf() -> Vec<u8> {
    let mut b = b"%PDF-1.7\n".to_vec();
    b.extend(std::iter::repeat_n(b'x', 3000));
    b
}

#[tokio::test]
async fn authors_group_lessons_in_modules_name_instructors_and_attach_files_students_open() {
    let app = spawn_seeded().await;
    let course = first_lesson(&app).await;
    let lessons: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM learning_lessons WHERE course_id = $1 ORDER BY position",
    )
    .bind(course)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let admin = app.login("admin1").await;
    for (kind, name, aff) in [
        ("teacher", "陈老师", "计算机学院"),
        ("police", "刘警官", "第一派出所"),
    ] {
        let (s, b) = app
            .post_form(
                &admin,
                &format!("/learning/courses/{course}/instructors"),
                &[("kind", kind), ("name", name), ("affiliation", aff)],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{b}");
    }
    let (s, _) = app
        .post_form(
            &admin,
            &format!("/learning/courses/{course}/modules"),
            &[("title", "第一单元:识别套路")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let module = app
        .scalar("SELECT MAX(id) FROM learning_modules")
        .await
        .to_string();
    let (s, _) = app
        .post_form(
            &admin,
            &format!("/learning/lessons/{}/module", lessons[0]),
            &[("module", &module)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        upload(&app, "admin1", lessons[0], "讲义.pdf", pdf()).await,
        StatusCode::SEE_OTHER
    );
    // The police of the jurisdiction author too.
    assert_eq!(
        upload(
            &app,
            "police1",
            lessons[1],
            "slides.png",
            b"\x89PNG\r\n\x1a\nrest".to_vec()
        )
        .await,
        StatusCode::SEE_OTHER
    );
    // The student sees the instructors and the module, opens the lesson and downloads the file.
    let st = app.login("student1").await;
    let (_, page) = app.get(&st, &format!("/learning/courses/{course}")).await;
    for text in ["陈老师", "刘警官", "民警", "第一单元:识别套路"] {
        assert!(page.contains(text), "{text}: {page}");
    }
    let (_, lp) = app
        .get(&st, &format!("/learning/lessons/{}", lessons[0]))
        .await;
    let link = between(&lp, "<a href=\"/learning/attachments/", "\"").expect("attachment link");
    assert!(lp.contains("讲义.pdf"), "{lp}");
    let r = st
        .get(app.url(&format!("/learning/attachments/{link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf());
    // A student of another school does not get it.
    let other = app.login("student3").await;
    let r = other
        .get(app.url(&format!("/learning/attachments/{link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_files_instructors_and_modules_and_other_roles_are_refused_and_nothing_is_kept() {
    let app = spawn_seeded().await;
    let course = first_lesson(&app).await;
    let lesson = app
        .scalar(&format!(
            "SELECT MIN(id) FROM learning_lessons WHERE course_id = {course}"
        ))
        .await;
    let files = "SELECT COUNT(*) FROM learning_attachments";
    // An executable named .pdf, a zip, an empty file, one byte over 10 MB.
    let mut big = pdf();
    big.resize(10 * 1024 * 1024 + 1, b'x');
    for (name, bytes) in [
        ("讲义.pdf", b"MZ\x90\x00binary".to_vec()),
        ("a.zip", b"PK\x03\x04rest".to_vec()),
        ("empty.pdf", vec![]),
        ("big.pdf", big),
    ] {
        assert_eq!(
            upload(&app, "admin1", lesson, name, bytes).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}"
        );
    }
    assert_eq!(app.scalar(files).await, 0);
    // Not an author: a counselor, a student, police of another jurisdiction.
    for who in ["counselor1", "student1", "police2"] {
        let s = upload(&app, who, lesson, "讲义.pdf", pdf()).await;
        assert!(
            matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {s}"
        );
        let c = app.login(who).await;
        let (s, _) = app
            .post_form(
                &c,
                &format!("/learning/courses/{course}/modules"),
                &[("title", "单元")],
            )
            .await;
        assert!(
            matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {s}"
        );
    }
    assert_eq!(app.scalar(files).await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM learning_modules").await, 0);
    let admin = app.login("admin1").await;
    // Bad instructors; the same one twice.
    for f in [
        [("kind", "student"), ("name", "甲"), ("affiliation", "")],
        [("kind", "teacher"), ("name", ""), ("affiliation", "")],
    ] {
        let (s, _) = app
            .post_form(
                &admin,
                &format!("/learning/courses/{course}/instructors"),
                &f,
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{f:?}");
    }
    let f = [("kind", "teacher"), ("name", "陈老师"), ("affiliation", "")];
    let path = format!("/learning/courses/{course}/instructors");
    let (a, b) = tokio::join!(
        app.post_form(&admin, &path, &f),
        app.post_form(&admin, &path, &f)
    );
    let mut got = [a.0, b.0];
    got.sort();
    assert_eq!(got, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_instructors")
            .await,
        1
    );
    // An empty module title; a lesson put into another course's module.
    let (s, _) = app
        .post_form(
            &admin,
            &format!("/learning/courses/{course}/modules"),
            &[("title", " ")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let other = first_lesson(&app).await;
    app.post_form(
        &admin,
        &format!("/learning/courses/{other}/modules"),
        &[("title", "别的课")],
    )
    .await;
    let foreign = app
        .scalar("SELECT MAX(id) FROM learning_modules")
        .await
        .to_string();
    let (s, _) = app
        .post_form(
            &admin,
            &format!("/learning/lessons/{lesson}/module"),
            &[("module", &foreign)],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM learning_lessons WHERE id = {lesson} AND module_id IS NOT NULL"
        ))
        .await,
        0
    );
}

//! Browser journey of learning against the shared seeded `fanzha demo`: the first demo student,
//! on a phone, reads the lessons of the Anti-Fraud First Lesson, passes its quiz, signs the pledge
//! and checks in to the class meeting running now with the code read from the room's screen (and
//! adds a photo), enrols in an elective, sees the first lesson's instructors and module; then their
//! counselor, at a desk and on a phone, sees all of it in the class coverage with its charts.

use std::time::{Duration, Instant};

use futures::FutureExt as _;
use serde_json::json;

use crate::rig::*;

const STUDENT: &str = fanzha::demo::FIRST_STUDENT;
const COUNSELOR: &str = "s001-c01-2023";
const PASSWORD: &str = fanzha::demo::DEMO_PASSWORD;
/// A 1×1 PNG: the check-in photo.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

async fn fits_the_width(wd: &WebDriver, what: &str) {
    let fits = wd
        .post(
            "/execute/sync",
            json!({"script": "return document.documentElement.scrollWidth <= window.innerWidth;", "args": []}),
        )
        .await;
    assert_eq!(fits, json!(true), "sideways scroll on {what}");
}

async fn wait_for(wd: &WebDriver, css: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(t) = wd.text_of(css).await {
            return t;
        }
        assert!(Instant::now() < deadline, "{css} never appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The elements matching `css` inside element `el`.
async fn children(wd: &WebDriver, el: &str, css: &str) -> Vec<String> {
    let v = wd
        .post(
            &format!("/element/{el}/elements"),
            json!({"using": "css selector", "value": css}),
        )
        .await;
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o.as_object()?.values().next()?.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The code on the screen of an activity, read as its organiser would see it.
async fn screen_code(base: &str, activity: &str) -> String {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let login = c
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .unwrap_or_default();
    let csrf = crate::common::form_csrf(&login);
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", COUNSELOR),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("login");
    assert!(r.status().is_success(), "counselor login: {}", r.status());
    let page = c
        .get(format!("{base}/learning/activities/{activity}/screen"))
        .send()
        .await
        .expect("screen")
        .text()
        .await
        .unwrap_or_default();
    crate::common::between(&page, "id=\"short-code\">", "<")
        .unwrap_or_else(|| panic!("no code on the screen: {page}"))
}

#[tokio::test]
async fn a_student_takes_the_first_lesson_signs_and_checks_in_and_the_counselor_sees_it() {
    run("learning", |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;
            wd.phone_viewport(PHONE.0, PHONE.1).await;
            sign_in_to(wd, base, STUDENT, "/learning").await;
            fits_the_width(wd, "the learning hub").await;
            let shot = target_dir().join("screenshots").join("learning-hub-phone.png");
            wd.screenshot(&shot).await;

            // The first lesson: read every lesson, then the quiz.
            let course = wd.find("#my-courses article.course-card header a").await;
            let title = wd.text(&course).await;
            assert!(title.contains("反诈第一课"), "{title}");
            wd.click(&course).await;
            wd.wait_url("the course", |u| u.contains("/learning/courses/"))
                .await;
            let course_url = wd.current_url().await;
            let n = wd.find_all("a.lesson-link").await.len();
            assert!(n >= 3, "lessons: {n}");
            for i in 0..n {
                let links = wd.find_all("a.lesson-link").await;
                wd.click(&links[i]).await;
                wait_for(wd, "#lesson").await;
                fits_the_width(wd, "a lesson").await;
                let back = wd.find("#back-to-course").await;
                wd.click(&back).await;
                wd.wait_url("back", |u| u == course_url).await;
            }
            let start = wd.find("#start-quiz").await;
            wd.click(&start).await;
            wd.wait_url("the quiz", |u| u.contains("/learning/attempts/"))
                .await;
            fits_the_width(wd, "the quiz").await;
            let questions = wd.find_all("fieldset.question").await;
            assert_eq!(questions.len(), 3, "one question per fraud type");
            for q in &questions {
                let legend = &children(wd, q, "legend").await[0];
                let prompt = wd.text(legend).await;
                let key = fanzha::learning::demo::answer_key(&prompt)
                    .unwrap_or_else(|| panic!("no answer for {prompt}"));
                let ids = children(wd, q, "input").await;
                for i in key {
                    wd.click(&ids[i]).await;
                }
            }
            let submit = wd.find("#submit-quiz").await;
            wd.click(&submit).await;
            let result = wait_for(wd, "#quiz-result").await;
            assert!(result.contains("100%") && result.contains("通过"), "{result}");
            wd.goto(&course_url).await;
            let done = wait_for(wd, "#course-complete").await;
            assert!(done.contains("已完成"), "{done}");

            // The pledge: the full name as on the roster, consent, sign.
            wd.goto(&format!("{base}/learning/pledge")).await;
            wait_for(wd, "#pledge-text").await;
            let name_field = wd.find("#pledge-form input[name='full_name']").await;
            let hint = wd.text(&wd.find("#pledge-form label").await).await;
            assert!(hint.contains('*'), "the name is hinted masked: {hint}");
            // The student's own name, as the page footer greets them.
            let footer = wait_for(wd, "footer p").await;
            let name = footer.split(" · ").next().unwrap_or_default().trim().to_string();
            assert!(!name.is_empty(), "{footer}");
            wd.send_keys(&name_field, &name).await;
            let consent = wd.find("#pledge-form input[name='consent']").await;
            wd.click(&consent).await;
            let sign = wd.find("#pledge-sign").await;
            wd.click(&sign).await;
            let signed = wait_for(wd, "#pledge-signed").await;
            assert!(signed.contains(&name), "{signed}");
            fits_the_width(wd, "the pledge").await;

            // Check-in: the class meeting running now, with the code on the room's screen.
            wd.goto(&format!("{base}/learning")).await;
            let meeting = wd
                .find("#my-activities article a[href^='/learning/activities/']")
                .await;
            let href = wd.attribute(&meeting, "href").await.unwrap_or_default();
            let activity = href.rsplit('/').next().unwrap_or_default().to_string();
            wd.click(&meeting).await;
            wd.wait_url("the activity", |u| u.ends_with(&href)).await;
            let code = screen_code(base, &activity).await;
            let field = wd.find("#checkin-form input[name='code']").await;
            wd.send_keys(&field, &code).await;
            let go = wd.find("#checkin-submit").await;
            wd.click(&go).await;
            wait_for(wd, "#checked-in").await;
            fits_the_width(wd, "check-in").await;
            // An optional photo of the check-in, taken on the phone.
            let photo = std::env::temp_dir().join(format!("fz-checkin-{}.png", std::process::id()));
            std::fs::write(&photo, PNG).expect("photo file");
            let file = wd.find("#photo-form input[type='file']").await;
            wd.send_keys(&file, &photo.display().to_string()).await;
            let up = wd.find("#photo-form button").await;
            wd.click(&up).await;
            wait_for(wd, "#photo-added").await;
            let _ = std::fs::remove_file(&photo);
            // An elective the student chooses themselves: enrol, and it opens with its lessons.
            wd.goto(&format!("{base}/learning")).await;
            let enrol = wd.find("article.elective form button").await;
            wd.click(&enrol).await;
            wd.wait_url("the elective", |u| u.contains("/learning/courses/")).await;
            wait_for(wd, "#lessons").await;
            fits_the_width(wd, "an elective after enrolling").await;
            // The first lesson shows its instructors and module.
            wd.goto(&course_url).await;
            let who = wait_for(wd, "#instructors").await;
            assert!(who.contains("民警"), "{who}");
            wait_for(wd, "h4.module-title").await;
            fits_the_width(wd, "a course with modules").await;
            let shot = target_dir().join("screenshots").join("learning-student-phone.png");
            wd.screenshot(&shot).await;
            let errors: Vec<String> = wd
                .console()
                .await
                .into_iter()
                .filter(|m| m.starts_with("SEVERE") && !m.contains("favicon.ico"))
                .collect();
            assert!(errors.is_empty(), "console errors: {errors:?}");

            // The counselor, at a desk: the class coverage shows all four.
            let logout = wd.find("form[action='/logout'] button").await;
            wd.click(&logout).await;
            wd.wait_url("signed out", |u| u.contains("/login") || u.ends_with('/'))
                .await;
            wd.post(
                "/goog/cdp/execute",
                json!({"cmd": "Emulation.setDeviceMetricsOverride",
                       "params": {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}}),
            )
            .await;
            sign_in_to(wd, base, COUNSELOR, "/learning").await;
            let roots = wd.find("#coverage-roots a").await;
            wd.click(&roots).await;
            wd.wait_url("coverage", |u| u.contains("/learning/coverage"))
                .await;
            // Drill down to the class of the student.
            let (row, attended) = loop {
                let rows = wd.find_all("#class-students tbody tr").await;
                if !rows.is_empty() {
                    let mut found = None;
                    for r in rows {
                        let t = wd.text(&r).await;
                        if t.contains(STUDENT) {
                            let cell = &children(wd, &r, "td.attended").await[0];
                            found = Some((t, wd.text(cell).await));
                        }
                    }
                    break found.expect("the student's row in the class");
                }
                let links = wd.find_all("#coverage-units tbody th a").await;
                assert!(!links.is_empty(), "no way down to the class");
                wd.click(&links[0]).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
            };
            assert!(row.contains("已完成"), "first lesson: {row}");
            assert!(row.contains("已签署"), "pledge: {row}");
            assert!(
                attended.trim().parse::<i64>().unwrap_or(0) >= 1,
                "attendance: {attended:?} in {row}"
            );
            let shot = target_dir().join("screenshots").join("learning-counselor-coverage.png");
            wd.screenshot(&shot).await;
            // The charts and the quiz average, at a desk and on a phone.
            wait_for(wd, "#chart-total").await;
            let quiz = wait_for(wd, "#total-quiz").await;
            assert!(quiz.ends_with('%'), "quiz average: {quiz:?}");
            wd.phone_viewport(PHONE.0, PHONE.1).await;
            let here = wd.current_url().await;
            wd.goto(&here).await;
            wait_for(wd, "#chart-total").await;
            fits_the_width(wd, "the class coverage with charts").await;
            let shot = target_dir().join("screenshots").join("learning-coverage-phone.png");
            wd.screenshot(&shot).await;
            wd.post(
                "/goog/cdp/execute",
                json!({"cmd": "Emulation.setDeviceMetricsOverride",
                       "params": {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}}),
            )
            .await;
            assert!(!wd.source().await.contains("err-"), "an untranslated key");
            // The room's screen of the meeting: a QR code and six digits, pulled from the server.
            wd.goto(&format!("{base}/learning/activities/{activity}/screen")).await;
            wait_for(wd, "#qr svg").await;
            let digits = wait_for(wd, "#short-code").await;
            assert!(
                digits.trim().len() == 6 && digits.trim().bytes().all(|b| b.is_ascii_digit()),
                "{digits:?}"
            );
            let shot = target_dir().join("screenshots").join("learning-screen-desktop.png");
            wd.screenshot(&shot).await;

        }
        .boxed()
    })
    .await;
}

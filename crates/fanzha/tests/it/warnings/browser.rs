//! Browser test of the counselor's warnings page: headless Chromium through chromedriver against
//! the real `fanzha demo` binary (whose demo data include warnings with running clocks). It uses
//! the shared rig of `tests/rig/`: skipped without a browser (a failure under `CI=true`), on
//! PostgreSQL when `FANZHA_TEST_DATABASE_URL` is set.

use std::io::Write;
use std::time::{Duration, Instant};

use futures::FutureExt as _;

/// The demo counselor of `src/demo.rs` (school S001, college C01, intake 2023).
const COUNSELOR: &str = "s001-c01-2023";
const PASSWORD: &str = fanzha::demo::DEMO_PASSWORD;

use crate::rig::*;

/// The counselor opens "my warnings" on a phone, sees the running countdowns, opens the newest
/// warning, acknowledges it, records a phone call and the outcome, and sees each step on the
/// timeline; the page logs no script or CSP errors.
#[tokio::test]
async fn counselor_acts_on_a_warning_from_the_phone() {
    run("warnings", |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;
            wd.phone_viewport(PHONE.0, PHONE.1).await;
            wd.goto(&format!("{base}/login?next=/warnings")).await;
            let user = wd.find("#username").await;
            wd.send_keys(&user, COUNSELOR).await;
            let pw = wd.find("#password").await;
            wd.send_keys(&pw, PASSWORD).await;
            let submit = wd.find("#login-submit").await;
            wd.click(&submit).await;
            wd.wait_url("/warnings", |u| {
                !u.contains("/login") && u.ends_with("/warnings")
            })
            .await;

            // Open warnings first, each with a countdown; closed ones further down.
            wd.find("article.fz-warning").await;
            let cards = wd.find_all("article.fz-warning").await;
            assert!(cards.len() >= 10, "warnings on the page: {}", cards.len());
            let countdowns = wd.find_all("article.fz-warning .fz-countdown").await;
            assert!(countdowns.len() >= 2, "countdowns: {}", countdowns.len());
            let first = wd.text(&countdowns[0]).await;
            assert!(
                first.contains("剩余") || first.contains("已超时"),
                "countdown text {first:?}"
            );
            let shot = target_dir()
                .join("screenshots")
                .join("counselor-warnings-phone.png");
            wd.screenshot(&shot).await;
            let _ = writeln!(std::io::stderr(), "screenshot: {}", shot.display());

            // The first open warning: call link, acknowledge, contact, outcome.
            let open = wd.find("article.fz-warning a[href^='/warnings/']").await;
            let href = wd.attribute(&open, "href").await.unwrap_or_default();
            wd.click(&open).await;
            wd.wait_url("a warning", |u| u.ends_with(&href)).await;
            let call = wd.find("#call").await;
            assert!(wd
                .attribute(&call, "href")
                .await
                .unwrap_or_default()
                .starts_with("tel:1"));
            let ack = wd.find("#ack").await;
            wd.click(&ack).await;
            // The form posts and the page is replaced: look the status up afresh each time.
            let deadline = Instant::now() + Duration::from_secs(10);
            while wd.text_of("#warning-status").await.as_deref() != Some("已签收") {
                assert!(Instant::now() < deadline, "not acknowledged");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let notes = wd.find("#contact-form textarea[name='notes']").await;
            wd.send_keys(&notes, "已电话联系,学生已挂断对方电话").await;
            let contact = wd.find("#contact").await;
            wd.click(&contact).await;
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if wd.text_of("#warning-status").await.as_deref() == Some("已联系") {
                    break;
                }
                assert!(Instant::now() < deadline, "not contacted");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let summary = wd.find("details:not([open]) summary").await;
            wd.click(&summary).await;
            let protected = wd.find("#outcome-form input[name='protected_yuan']").await;
            wd.send_keys(&protected, "8000").await;
            let outcome = wd.find("#outcome").await;
            wd.click(&outcome).await;
            let shown = wd.find("#outcome-shown").await;
            let text = wd.text(&shown).await;
            assert!(
                text.contains("劝阻成功") && text.contains("8000.00"),
                "{text}"
            );
            let timeline = wd.find("#timeline").await;
            let t = wd.text(&timeline).await;
            for step in ["下发", "分派", "签收", "联系", "结果", "学生已挂断对方电话"]
            {
                assert!(t.contains(step), "timeline lacks {step}: {t}");
            }
            // The student's record, from the warning: the history lists this warning with its
            // outcome, in words, and the page fits the phone's width.
            let record = wd.find("#student-record").await;
            wd.click(&record).await;
            wd.wait_url("the student record", |u| u.contains("/org/student/"))
                .await;
            let history = wd.find("#history-warnings").await;
            let h = wd.text(&history).await;
            assert!(h.contains("劝阻成功"), "history: {h}");
            assert!(!h.contains("dissuaded") && !h.contains("closed"), "{h}");
            let fits = wd
                .post(
                    "/execute/sync",
                    serde_json::json!({"script": "return document.documentElement.scrollWidth <= window.innerWidth;", "args": []}),
                )
                .await;
            assert_eq!(fits, serde_json::json!(true), "sideways scroll");
            let shot = target_dir()
                .join("screenshots")
                .join("counselor-student-record-phone.png");
            wd.screenshot(&shot).await;
            let errors: Vec<String> = wd
                .console()
                .await
                .into_iter()
                .filter(|m| m.starts_with("SEVERE") && !m.contains("favicon.ico"))
                .collect();
            assert!(errors.is_empty(), "console errors: {errors:?}");
            assert!(
                !wd.source().await.contains("err-"),
                "an untranslated key on the page"
            );
        }
        .boxed()
    })
    .await;
}

/// The police upload a CSV batch of warnings from the issue page in the browser: the form sends
/// its token as the first part of the upload and the batch is issued.
#[tokio::test]
async fn police_upload_a_warning_batch_in_the_browser() {
    run("warnings-batch", |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;
            wd.goto(&format!("{base}/login?next=/warnings/issue")).await;
            let user = wd.find("#username").await;
            wd.send_keys(&user, "police1").await;
            let pw = wd.find("#password").await;
            wd.send_keys(&pw, PASSWORD).await;
            let submit = wd.find("#login-submit").await;
            wd.click(&submit).await;
            wd.wait_url("/warnings/issue", |u| u.ends_with("/warnings/issue"))
                .await;
            let dir = tempfile::tempdir().unwrap();
            let csv = dir.path().join("batch.csv");
            std::fs::write(
                &csv,
                "手机号,学号,诈骗类型,级别,情况,来源\n13812340000,,romance,低,未知号码,96110\n",
            )
            .unwrap();
            let file = wd
                .find("form[action='/warnings/batch'] input[type=file]")
                .await;
            wd.send_keys(&file, &csv.display().to_string()).await;
            let button = wd
                .find("form[action='/warnings/batch'] button[type=submit]")
                .await;
            wd.click(&button).await;
            let url = wd
                .wait_url("the batch result", |u| u.contains("created="))
                .await;
            assert!(url.ends_with("/warnings/issue?created=1"), "{url}");
            let done = wd.text(&wd.find("#done").await).await;
            assert!(done.contains('1'), "{done}");
            wd.screenshot(
                &target_dir()
                    .join("screenshots")
                    .join("police-warnings-batch.png"),
            )
            .await;
        }
        .boxed()
    })
    .await;
}

/// A student warned about a fake loan opens the warning on a phone from the menu: it says in
/// their words what happened and what to do now, offers the one-click report and 96110, shows
/// no internal key, and fits the screen.
#[tokio::test]
async fn a_student_reads_what_to_do_about_their_warning_on_a_phone() {
    use crate::common::*;
    use crate::wd::*;
    use fanzha::auth::model::Scope;
    use serde_json::json;

    let Some((_turn, wd)) = start().await else {
        return;
    };
    let app = spawn_seeded().await;
    let t = app.token("police1", &[Scope::WarningsWrite]).await;
    let r = client()
        .post(app.url("/api/v1/warnings"))
        .bearer_auth(&t)
        .json(&json!({"student_no": "2023010101", "school_code": "SCH1", "fraud_type": "fake_loan",
                      "severity": "high", "detail": "接到自称网贷平台客服的来电", "source": "96110"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let id = json_of(r).await.1["id"].as_i64().unwrap();

    wd.goto(&app.url("/login?next=/warnings")).await;
    wd.type_into("input[name=username]", "student1").await;
    wd.type_into("input[name=password]", PASSWORD).await;
    wd.click("button[type=submit]").await;
    wd.wait_url(|u| u.ends_with("/warnings")).await;
    // From the list to the warning itself.
    wd.click(&format!("a[href='/warnings/{id}']")).await;
    wd.wait_url(|u| u.ends_with(&format!("/warnings/{id}")))
        .await;
    let todo = wd.text("#what-to-do").await;
    assert!(todo.contains("贷"), "names the fraud in words: {todo}");
    assert!(!todo.contains("fake_loan"), "{todo}");
    assert!(wd.attr("a[href='tel:96110']", "href").await == "tel:96110");
    let fits = wd
        .post(
            "/execute/sync",
            json!({"script": "return document.documentElement.scrollWidth <= window.innerWidth;", "args": []}),
        )
        .await;
    assert_eq!(fits, json!(true), "the warning fits a 390 px phone");
    let shot = target_dir()
        .join("screenshots")
        .join("student-warning-what-to-do-phone.png");
    wd.0.screenshot(&shot).await;
    // The one-click report starts from here.
    wd.click("#todo-report").await;
    wd.wait_url(|u| u.contains("/reports/new")).await;
}

/// A bank's signal about a phone number on no roster waits for the police of the bank's region:
/// on a desktop the officer finds it in the identification queue of the overview and opens it; on
/// a 390 px phone the same page reads in words, fits the screen, and attaches the student, after
/// which the warning is routed (its status changes from "needs identification").
#[tokio::test]
async fn police_open_a_signal_about_nobody_from_their_queue_and_attach_a_student() {
    use crate::common::*;
    use crate::wd::*;
    use fanzha::auth::model::Scope;
    use serde_json::json;

    let Some((_turn, wd)) = start().await else {
        return;
    };
    let app = spawn_seeded().await;
    let t = app
        .token("partner1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let (s, r) = post_json_read(
        &app,
        &t,
        "/api/v1/mules/signals",
        json!({"reference": "BANK-Q1", "phone": "13999990000", "account_kind": "bank_card",
               "pattern": "large_flows", "detail": "近7日23笔陌生转入，均在数分钟内转出"}),
    )
    .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    app.runner.run_until_idle().await.unwrap();

    // On a desktop: the overview's identification queue links to it.
    wd.0.reset().await;
    wd.goto(&app.url("/login?next=/warnings/overview")).await;
    wd.type_into("input[name=username]", "police1").await;
    wd.type_into("input[name=password]", PASSWORD).await;
    wd.click("button[type=submit]").await;
    wd.wait_url(|u| u.ends_with("/warnings/overview")).await;
    let queue = wd.text("#queue").await;
    assert!(queue.contains("13999990000"), "{queue}");
    wd.click(&format!("#queue a[href='/warnings/{id}']")).await;
    wd.wait_url(|u| u.ends_with(&format!("/warnings/{id}")))
        .await;
    let main = wd.text("main").await;
    assert!(
        main.contains("13999990000") && main.contains("银行卡"),
        "{main}"
    );
    for key in ["mule_risk", "unidentified", "bank_card", "large_flows"] {
        assert!(!main.contains(key), "{key} shown: {main}");
    }
    wd.0.screenshot(
        &target_dir()
            .join("screenshots")
            .join("police-signal-about-nobody-desktop.png"),
    )
    .await;

    // On a phone: the same page fits, and the officer attaches the student.
    wd.0.phone_viewport(390, 844).await;
    wd.goto(&app.url(&format!("/warnings/{id}"))).await;
    let fits = wd
        .post(
            "/execute/sync",
            json!({"script": "return document.documentElement.scrollWidth <= window.innerWidth;", "args": []}),
        )
        .await;
    assert_eq!(fits, json!(true), "the warning fits a 390 px phone");
    wd.0.screenshot(
        &target_dir()
            .join("screenshots")
            .join("police-signal-about-nobody-phone.png"),
    )
    .await;
    let before = wd.text("#warning-status").await;
    wd.type_into(
        &format!("form[action='/warnings/{id}/identify'] input[name=student_no]"),
        "2023010101",
    )
    .await;
    wd.click(&format!(
        "form[action='/warnings/{id}/identify'] button[type=submit]"
    ))
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = wd.0.text_of("#warning-status").await.unwrap_or_default();
        if !now.is_empty() && now != before {
            break;
        }
        assert!(Instant::now() < deadline, "status stayed {before}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let main = wd.text("main").await;
    assert!(main.contains("张三"), "{main}");
    wd.0.reset().await;
}

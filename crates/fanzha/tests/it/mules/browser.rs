//! Browser journey of a bank's signal: the bank reports a student's card through the API, the
//! counselor opens the mule-risk warning on a 390 px phone, reads the script, acknowledges,
//! records the talk and that the card was closed; the school admin then reads the school's
//! figures on a desktop and, on a phone, adds the starter content on 两卡 and the law to the
//! school's library and course. Runs in the shared browser against an in-process app (SQLite, or
//! PostgreSQL when `FANZHA_TEST_DATABASE_URL` is set).

use std::time::{Duration, Instant};

use crate::common::*;
use crate::rig::target_dir;
use crate::wd::*;
use fanzha::auth::model::Scope;
use serde_json::json;

async fn fits(wd: &Wd) {
    let fits = wd
        .post(
            "/execute/sync",
            json!({"script": "return document.documentElement.scrollWidth <= window.innerWidth;", "args": []}),
        )
        .await;
    assert_eq!(fits, json!(true), "sideways scroll");
}

async fn wait_text(wd: &Wd, css: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if wd.0.text_of(css).await.is_some_and(|t| t.contains(want)) {
            return;
        }
        assert!(Instant::now() < deadline, "{css} never showed {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_bank_signal_is_talked_through_and_shows_in_the_school_figures() {
    let Some((_turn, wd)) = start().await else {
        return;
    };
    let app = spawn_seeded().await;
    super::starter::elective(&app, "admin1", "SCH1", "校园安全选修课").await;
    let t = app
        .token("partner1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let (s, r) = post_json_read(
        &app,
        &t,
        "/api/v1/mules/signals",
        json!({"reference": "ICBC-20250301-7", "school_code": "SCH1", "student_no": "2023010101",
               "account_kind": "bank_card", "pattern": "frozen",
               "detail": "近7日23笔陌生转入，均在数分钟内转出"}),
    )
    .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{r}");
    let id = r["id"].as_i64().unwrap();
    app.runner.run_until_idle().await.unwrap();

    // The counselor, on a phone.
    wd.goto(&app.url("/login?next=/warnings")).await;
    wd.type_into("input[name=username]", "counselor1").await;
    wd.type_into("input[name=password]", PASSWORD).await;
    wd.click("button[type=submit]").await;
    wd.wait_url(|u| u.ends_with("/warnings")).await;
    wd.click(&format!("a[href='/warnings/{id}']")).await;
    wd.wait_url(|u| u.ends_with(&format!("/warnings/{id}")))
        .await;
    let reported = wd.text("#mule-reported").await;
    assert!(
        reported.contains("银行卡") && reported.contains("涉诈账户"),
        "{reported}"
    );
    let script = wd.text("#mule-script").await;
    assert!(script.contains("帮助信息网络犯罪活动罪"), "{script}");
    fits(&wd).await;
    wd.0.screenshot(
        &target_dir()
            .join("screenshots")
            .join("mule-warning-counselor-phone.png"),
    )
    .await;
    wd.click("#ack").await;
    wait_text(&wd, "#warning-status", "已签收").await;
    wd.type_into("#contact-form textarea[name='notes']", "面谈，已讲解帮信罪")
        .await;
    wd.click("#contact").await;
    wait_text(&wd, "#warning-status", "已联系").await;
    let summary = wd.find("details:not([open]) summary").await;
    wd.0.click(&summary).await;
    wd.click("#outcome-form select[name=outcome] option[value=card_closed]")
        .await;
    wd.click("#outcome").await;
    wait_text(&wd, "#outcome-shown", "账户已注销").await;
    let timeline = wd.text("#timeline").await;
    assert!(timeline.contains("面谈，已讲解帮信罪"), "{timeline}");
    fits(&wd).await;

    // The school admin, on a desktop: the school's figures count it.
    wd.0.reset().await;
    wd.goto(&app.url("/login?next=/mules")).await;
    wd.type_into("input[name=username]", "admin1").await;
    wd.type_into("input[name=password]", PASSWORD).await;
    wd.click("button[type=submit]").await;
    wd.wait_url(|u| u.ends_with("/mules")).await;
    assert_eq!(wd.text("#signals-count").await, "1");
    assert_eq!(wd.text("#signals-in-time").await, "1");
    let outcomes = wd.text("#mule-outcomes").await;
    assert!(outcomes.contains("账户已注销"), "{outcomes}");
    let body = wd.text("main").await;
    assert!(
        !body.contains("mule-") && !body.contains("card_closed"),
        "{body}"
    );
    wd.0.screenshot(
        &target_dir()
            .join("screenshots")
            .join("mule-figures-desktop.png"),
    )
    .await;
    // And on a phone the same page fits.
    wd.0.phone_viewport(390, 844).await;
    wd.goto(&app.url("/mules")).await;
    wd.find("#mule-signals").await;
    fits(&wd).await;

    // Still on the phone, the school admin adds the starter content on 两卡 and the law: the
    // article to the school's library, the lesson to the school's elective course.
    wd.click("#starter-SCH1 .starter-adopt-article").await;
    wait_text(&wd, "#starter-SCH1 .starter-article", "已提交审核").await;
    wd.click("#starter-SCH1 select[name=course] option:last-child")
        .await;
    wd.click("#starter-SCH1 .starter-adopt-lesson").await;
    wait_text(&wd, "#starter-SCH1 .starter-lesson", "校园安全选修课").await;
    fits(&wd).await;
    let section = wd.text("#mule-starter").await;
    assert!(!section.contains("mule-starter"), "{section}");
    wd.0.screenshot(
        &target_dir()
            .join("screenshots")
            .join("mule-starter-admin-phone.png"),
    )
    .await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM mule_starter_adoptions WHERE target_id IS NOT NULL")
            .await,
        2
    );
}

//! Browser test of the report flow on a phone-sized screen: a student checks a scam message,
//! follows "report this" to the form pre-filled from the check, a draft survives a reload, and
//! "did you lose money?" leads to the "call 110 / 96110 now" screen with the report number and a
//! live countdown. Headless Chromium through chromedriver against an in-process app
//! (tests/common); skipped without the tools unless CI=true, like tests/it/platform/demo_browser.rs.

use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::{json, Value};

use crate::wd::*;

async fn js(wd: &Wd, script: &str) -> Value {
    wd.post("/execute/sync", json!({"script": script, "args": []}))
        .await
}

#[tokio::test]
async fn student_reports_from_a_check_and_the_loss_path_shows_110() {
    let Some((_turn, wd)) = start().await else {
        return;
    };
    let app = spawn_seeded().await;
    wd.post(
        "/goog/cdp/execute",
        json!({"cmd": "Emulation.setDeviceMetricsOverride",
        "params": {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}}),
    )
    .await;
    wd.goto(&app.url("/login?next=/check")).await;
    wd.type_into("input[name=username]", "student1").await;
    wd.type_into("input[name=password]", PASSWORD).await;
    wd.click("button[type=submit]").await;
    wd.wait_url(|u| !u.contains("/login") && u.ends_with("/check"))
        .await;
    wd.type_into("#q", "【京东客服】您的订单有质量问题,可双倍赔付,请打开 http://jd-refund.top/claim 或致电 17088886666").await;
    wd.click("#check-submit").await;
    wd.wait_url(|u| u.contains("/check/")).await;
    // "Report this" opens the form, pre-filled from the check.
    wd.click("#report-link").await;
    let form_url = wd.wait_url(|u| u.contains("/reports/new?check=")).await;
    assert!(!wd.text("#report-prefilled").await.is_empty());
    assert_eq!(
        wd.attr("#link_address", "value").await,
        "http://jd-refund.top/claim"
    );
    assert_eq!(wd.attr("#call_number", "value").await, "17088886666");
    // A draft survives a reload.
    wd.type_into("#description", "对方让我下载会议软件").await;
    wd.goto(&form_url).await;
    let kept = js(&wd, "return document.getElementById('description').value;").await;
    assert_eq!(kept, json!("对方让我下载会议软件"));
    // The loss path: the switch opens the payee section and makes it required.
    wd.click("#lost").await;
    assert_eq!(
        js(&wd, "return document.getElementById('tx_amount').required;").await,
        json!(true)
    );
    js(
        &wd,
        "document.querySelector('select[name=tx_type]').value = 'bank_card'; \
             document.getElementById('tx_time').value = '2025-03-01T07:55'; return true;",
    )
    .await;
    wd.type_into("#tx_account", "6222020200112233446").await;
    wd.type_into("#tx_amount", "8000").await;
    wd.click("#report-submit").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !wd.url().await.contains("?filed=1") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !wd.url().await.contains("?filed=1") {
        panic!("not filed: {}", js(&wd, "var e = document.getElementById('report-errors'); return e ? e.innerText : document.title;").await);
    }
    wd.wait_url(|u| u.contains("?filed=1")).await;
    let urgent = wd.text("#urgent").await;
    assert!(
        urgent.contains("110") && urgent.contains("96110"),
        "{urgent}"
    );
    let ref_no: String = sqlx::query_scalar("SELECT ref_no FROM reports")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(wd.text("#urgent-ref").await, ref_no);
    assert_eq!(wd.attr("#call-110", "href").await, "tel:110");
    let countdown = wd.text(".fz-countdown").await;
    assert!(countdown.contains(':'), "{countdown}");
    // The filed report cleared the draft; the stop-payment request exists with the amount.
    let draft = js(&wd, "return localStorage.getItem('fz-report-draft');").await;
    assert_eq!(draft, Value::Null);
    assert_eq!(
        app.scalar("SELECT amount_cents FROM stop_payments").await,
        800_000
    );
    let overflow = js(
        &wd,
        "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
    )
    .await;
    assert_eq!(overflow, json!(true), "page wider than the phone");
}

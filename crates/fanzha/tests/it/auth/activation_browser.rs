//! Browser journey of activation on a phone: a counselor prints the activation sheet of their
//! class, the student opens the activation page on a 390 px window, types number and code, sets a
//! password, is signed in and files a one-click report. Headless Chromium through chromedriver
//! against an in-process app (tests/common); skipped without the tools unless CI=true.

use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::{json, Value};

use crate::wd::*;

async fn js(wd: &Wd, script: &str) -> Value {
    wd.post("/execute/sync", json!({"script": script, "args": []}))
        .await
}

#[tokio::test]
async fn a_counselor_prints_codes_and_a_student_activates_on_a_phone_and_reports() {
    let Some((_turn, wd)) = start().await else {
        return;
    };
    let app = spawn_seeded().await;

    // The counselor, on a 360 px phone, prints the sheet of their class (in this window rather
    // than a new tab).
    wd.post(
        "/goog/cdp/execute",
        json!({"cmd": "Emulation.setDeviceMetricsOverride",
        "params": {"width": 360, "height": 780, "deviceScaleFactor": 2, "mobile": true}}),
    )
    .await;
    wd.goto(&app.url("/login?next=/org/unit/CLS1A1/activation"))
        .await;
    wd.type_into("input[name=username]", "counselor1").await;
    wd.type_into("input[name=password]", PASSWORD).await;
    wd.click("button[type=submit]").await;
    wd.wait_url(|u| u.ends_with("/org/unit/CLS1A1/activation"))
        .await;
    assert!(wd.text("#activation-people").await.contains("李四"));
    // The list is cards at this width: nothing wider than the screen.
    assert_eq!(
        js(
            &wd,
            "return document.documentElement.scrollWidth <= window.innerWidth;"
        )
        .await,
        json!(true)
    );
    js(
        &wd,
        "document.querySelectorAll('form[target]').forEach(f => f.removeAttribute('target')); return true;",
    )
    .await;
    wd.click("#print-sheet").await;
    wd.wait_url(|u| u.ends_with("/activation-codes")).await;
    let sheet = wd.text("main").await;
    assert!(
        sheet.contains("李四") && sheet.contains("2023010102"),
        "{sheet}"
    );
    let code = wd.text(".fz-sheet-code").await;
    assert_eq!(code.trim().len(), 14, "{code}");
    assert_eq!(
        js(
            &wd,
            "return document.querySelectorAll('.fz-sheet-qr svg').length;"
        )
        .await,
        json!(1)
    );

    // Signed out, on a phone: the student activates.
    wd.call(reqwest::Method::DELETE, "/cookie", None)
        .await
        .expect("delete cookies");
    wd.post(
        "/goog/cdp/execute",
        json!({"cmd": "Emulation.setDeviceMetricsOverride",
        "params": {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}}),
    )
    .await;
    wd.goto(&app.url("/activate?school=SCH1")).await;
    assert!(wd.text("#activate-school").await.contains("第一大学"));
    // Nothing wider than the screen.
    assert_eq!(
        js(
            &wd,
            "return document.documentElement.scrollWidth <= window.innerWidth;"
        )
        .await,
        json!(true)
    );
    wd.type_into("#person_no", "2023010102").await;
    wd.type_into("#code", code.trim()).await;
    wd.type_into("#password", "青山绿水-Blue-River-77").await;
    wd.type_into("#confirm", "青山绿水-Blue-River-77").await;
    wd.click("#activate-submit").await;
    wd.wait_url(|u| !u.contains("/activate")).await;

    // Signed in: a one-click report.
    wd.goto(&app.url("/reports/new")).await;
    wd.click("#sec-call summary").await;
    wd.type_into("#call_number", "17088886666").await;
    wd.type_into("#description", "自称客服,让我下载会议软件共享屏幕")
        .await;
    wd.click("#report-submit").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !wd.url().await.contains("?filed=1") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        wd.url().await.contains("?filed=1"),
        "not filed: {}",
        js(&wd, "var e = document.getElementById('report-errors'); return e ? e.innerText : document.title;").await
    );
    let reporter: i64 = app
        .scalar("SELECT COUNT(*) FROM reports r JOIN accounts a ON a.id = r.reporter_account_id WHERE a.person_no = '2023010102'")
        .await;
    assert_eq!(reporter, 1);
}

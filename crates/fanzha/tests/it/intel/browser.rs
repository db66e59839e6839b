//! Browser test of the risk check on a phone-sized screen: a student signs in, pastes a scam
//! message, sees the level in words, why and what to do, and the "report this" link carries the
//! check and its extracted indicators to the report form; "this answer is wrong" reaches police.
//! Headless Chromium through chromedriver against an in-process app (tests/common); skipped
//! without the tools unless CI=true, like tests/it/platform/demo_browser.rs.

use crate::common::*;
use fanzha::audit::Actor;
use fanzha::intel::service::{self, By};
use fanzha_detect::FraudType;
use serde_json::json;

use crate::wd::*;

#[tokio::test]
async fn student_checks_a_message_then_reports_it() {
    let Some((_turn, wd)) = start().await else {
        return;
    };
    let app = spawn_seeded().await;
    {
        let st = &app.state;
        let mut tx = st.db.pool.begin().await.unwrap();
        let by = By {
            actor: Actor::cli("test"),
            unit_path: app.fx.unit("ST1").path.clone(),
        };
        service::confirm(
            &mut tx,
            &st.clock,
            &by,
            "url",
            "http://jd-refund.top/claim",
            &[FraudType::ImpersonateCustomerService],
            "case:1",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        st.intel.refresh(&st.db, &st.clock).await.unwrap();
    }
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
    wd.type_into(
        "#q",
        "【京东客服】您的订单有质量问题,可双倍赔付,请打开 http://jd-refund.top/claim 办理退款",
    )
    .await;
    wd.click("#check-submit").await;
    let result_url = wd.wait_url(|u| u.contains("/check/")).await;
    let id = result_url.rsplit('/').next().unwrap().to_string();
    assert_eq!(wd.attr("#check-result", "data-level").await, "high");
    let level = wd.text("#check-level").await;
    assert!(level.contains("高风险"), "{level}");
    assert!(wd.text("#check-hits").await.contains("警方已确认"));
    assert!(wd.text("#check-advice").await.contains("96110"));
    // The result fits the phone screen: no horizontal scrolling.
    let overflow = wd
        .post("/execute/sync", json!({"script": "return document.documentElement.scrollWidth <= window.innerWidth + 1;", "args": []}))
        .await;
    assert_eq!(overflow, json!(true), "page wider than the phone");
    // "Report this" opens the report form with the check and its indicators (the reports module,
    // issue 5, reads `check` and `indicator`).
    let href = wd.attr("#report-link", "href").await;
    assert!(href.contains(&format!("/reports/new?check={id}")), "{href}");
    assert!(href.contains("indicator=url%3Ahttp"), "{href}");
    // "This answer is wrong" reaches the police review queue.
    wd.click("#wrong-box summary").await;
    wd.click("#wrong-submit").await;
    wd.wait_url(|u| u.ends_with("?sent=1")).await;
    assert!(!wd.text("#wrong-sent").await.is_empty());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM intel_reviews").await, 1);
    // History.
    wd.goto(&app.url("/check")).await;
    assert!(wd.text("#check-history").await.contains("京东客服"));
}

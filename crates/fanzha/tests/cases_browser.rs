//! Browser test of the cases analysis page: police1 of the demo signs in, opens the analysis of
//! their station and sees every chart drawn by ECharts from the page's JSON block (no inline
//! script), with no console errors. The browser rig is the shared one of
//! `tests/rig/`.

use futures::FutureExt as _;

const PASSWORD: &str = fanzha::demo::DEMO_PASSWORD;

mod rig;

use rig::*;

/// Signs in through the login form as `user`.
async fn sign_in(wd: &WebDriver, base: &str, user: &str) {
    wd.goto(&format!("{base}/login")).await;
    let u = wd.find("#username").await;
    wd.send_keys(&u, user).await;
    let pw = wd.find("#password").await;
    wd.send_keys(&pw, PASSWORD).await;
    let submit = wd.find("#login-submit").await;
    wd.click(&submit).await;
    wd.wait_url("the home page", |u| {
        u.trim_end_matches('/') == base.trim_end_matches('/')
    })
    .await;
}

/// Waits until the chart `id` has been drawn (an SVG inside, `data-drawn` set by cases.js).
async fn drawn(wd: &WebDriver, id: &str) {
    let el = wd.find(&format!("#{id}[data-drawn='1']")).await;
    assert!(
        !wd.find_all(&format!("#{id} svg")).await.is_empty(),
        "{id} has no SVG"
    );
    let _ = el;
}

/// The police officer of the demo opens the analysis of their station: the figures, every chart
/// drawn, the streaks, no script errors; then a published monthly briefing with its charts.
#[tokio::test]
async fn police_see_the_case_analysis_drawn_as_charts() {
    run("cases-analysis", |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;
            sign_in(wd, base, "police1").await;
            // The home page carries the case panel with a link to the analysis.
            let panel = wd.find("#cases-panel").await;
            let text = wd.text(&panel).await;
            assert!(!text.is_empty());
            wd.goto(&format!("{base}/cases/analysis")).await;
            for id in [
                "chart-months",
                "chart-type",
                "chart-channel",
                "chart-hour",
                "chart-weekday",
                "chart-grade",
                "chart-gender",
                "chart-major",
            ] {
                drawn(wd, id).await;
            }
            let n = wd.text(&wd.find("#fig-cases").await).await;
            let n: i64 = n
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("case count {n:?}"));
            assert!(n > 0, "the demo has cases this year");
            let yoy = wd.text(&wd.find("#yoy-cases").await).await;
            assert!(yoy.contains('%') || yoy.contains("去年"), "{yoy}");
            assert!(!wd.find_all("#streaks tr").await.is_empty());
            wd.screenshot(&target_dir().join("screenshots").join("cases-analysis.png"))
                .await;
            let errors: Vec<String> = wd
                .console()
                .await
                .into_iter()
                .filter(|m| m.starts_with("SEVERE") && !m.contains("favicon.ico"))
                .collect();
            assert!(errors.is_empty(), "console errors: {errors:?}");

            // The archive holds last month's published briefing; it draws the same charts.
            wd.goto(&format!("{base}/cases/briefings")).await;
            let link = wd.find("#briefings a[href^='/cases/briefings/']").await;
            wd.click(&link).await;
            wd.find("#briefing").await;
            drawn(wd, "chart-type").await;
            let errors: Vec<String> = wd
                .console()
                .await
                .into_iter()
                .filter(|m| m.starts_with("SEVERE") && !m.contains("favicon.ico"))
                .collect();
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        .boxed()
    })
    .await;
}

//! Browser test of the cases analysis page: police1 of the demo signs in, opens the analysis of
//! their station and sees every chart drawn by ECharts from the page's JSON block (no inline
//! script), with no console errors. The browser rig is the shared one of
//! `tests/rig/`.

use futures::FutureExt as _;

use crate::rig::*;

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

/// The page's width against the screen's, and what sticks out (for the failure message).
/// With phone emulation an overflowing page widens the layout viewport (`innerWidth`) to fit, so
/// both are measured against the screen's width.
async fn overflow(wd: &WebDriver, width: u32) -> (i64, i64, String) {
    let v = wd
        .post(
            "/execute/sync",
            serde_json::json!({
                "script": "var w = arguments[0]; var out = []; \
                  document.querySelectorAll('body *').forEach(function (e) { \
                    var r = e.getBoundingClientRect(); \
                    if (r.right > w + 1 && out.length < 8) { \
                      out.push(e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + Math.round(r.right)); } }); \
                  return [document.documentElement.scrollWidth, window.innerWidth, out.join(' | ')];",
                "args": [width]
            }),
        )
        .await;
    (
        v[0].as_i64().unwrap_or(0),
        v[1].as_i64().unwrap_or(0),
        v[2].as_str().unwrap_or("").to_string(),
    )
}

/// The lists and figures of the police, a school admin and a student fit a phone: no sideways
/// scrolling at 390 or 360 px (tables turn into cards).
#[tokio::test]
async fn lists_and_figures_fit_a_phone() {
    run("cases-phone", |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;
            let pages: [(&str, &[&str]); 3] = [
                (
                    "police1",
                    &["/", "/reports", "/cases", "/cases/kpis", "/warnings"],
                ),
                ("s001-admin", &["/reports", "/cases", "/cases/kpis"]),
                ("2023001010101", &["/", "/reports"]),
            ];
            for (user, paths) in pages {
                let _ = wd.call(reqwest::Method::DELETE, "/cookie", None).await;
                wd.phone_viewport(390, 800).await;
                sign_in(wd, base, user).await;
                for width in [390, 360] {
                    wd.phone_viewport(width, 800).await;
                    for path in paths {
                        wd.goto(&format!("{base}{path}")).await;
                        wd.find("main").await;
                        let (scroll, inner, what) = overflow(wd, width).await;
                        let name = format!("phone-{user}-{width}{}", path.replace('/', "-"));
                        wd.screenshot(
                            &target_dir().join("screenshots").join(format!("{name}.png")),
                        )
                        .await;
                        assert!(
                            scroll <= inner && inner <= i64::from(width),
                            "{user} {path} is {scroll} px wide on a {width} px screen: {what}"
                        );
                    }
                }
            }
        }
        .boxed()
    })
    .await;
}

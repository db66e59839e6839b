//! Browser tests: headless Chromium driven through chromedriver (W3C WebDriver, spoken over plain
//! HTTP with reqwest) against the real `fanzha demo` binary.
//!
//! Without `chromium` and `chromedriver` on the PATH the suite prints that it was skipped and
//! passes, so `cargo test --workspace` works on any machine; under `CI=true` a missing browser is
//! a failure, so the gate cannot go green without having run it. When `FANZHA_TEST_DATABASE_URL`
//! is set the demo runs on PostgreSQL (a fresh schema), like the rest of the suite. The rig
//! (processes, WebDriver client, demo database) is in `tests/rig/`, shared by every browser suite.

use std::io::Write;

use futures::FutureExt as _;

/// The demo counselor of `src/demo.rs`: school S001, college C01, intake 2023, classes 01–05.
const COUNSELOR: &str = "s001-c01-2023";
const PASSWORD: &str = fanzha::demo::DEMO_PASSWORD;
const OWN_CLASSES: [&str; 5] = [
    "S001-C01-2023-01",
    "S001-C01-2023-02",
    "S001-C01-2023-03",
    "S001-C01-2023-04",
    "S001-C01-2023-05",
];
/// Their names as the demo generates them (college C01 of S001 teaches 计算机科学与技术).
const OWN_CLASS_NAMES: [&str; 5] = [
    "计算机科学与技术23级1班",
    "计算机科学与技术23级2班",
    "计算机科学与技术23级3班",
    "计算机科学与技术23级4班",
    "计算机科学与技术23级5班",
];
/// Classes of the same school the counselor is not responsible for: the next intake of the same
/// college, and the same intake of another college.
const FOREIGN_CLASSES: [&str; 2] = ["S001-C01-2024-01", "S001-C02-2023-01"];
const FOREIGN_CLASS_NAMES: [&str; 2] = ["计算机科学与技术24级1班", "会计学23级1班"];

use crate::rig::*;

/// A counselor signs in through the real login form and sees exactly their own five classes; a
/// class of another counselor is refused with the error page. Also leaves a phone-sized
/// screenshot of the counselor's home page in `target/screenshots/`.
#[tokio::test]
async fn counselor_signs_in_and_sees_only_own_classes() {
    run("counselor", |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;

            // Signed out, the home page sends the browser to the login form.
            wd.goto(&format!("{base}/")).await;
            wd.wait_url("/login", |u| u.contains("/login")).await;
            let user = wd.find("#username").await;
            wd.send_keys(&user, COUNSELOR).await;
            let pw = wd.find("#password").await;
            wd.send_keys(&pw, PASSWORD).await;
            let submit = wd.find("#login-submit").await;
            wd.click(&submit).await;
            wd.wait_url("the home page", |u| {
                u.trim_end_matches('/') == base.trim_end_matches('/')
            })
            .await;

            // Home: the counselor card lists their five classes, linked, and nothing else.
            let card = wd.find("article.scope-card").await;
            let text = wd.text(&card).await;
            for name in OWN_CLASS_NAMES {
                assert!(text.contains(name), "home page lacks {name}: {text}");
            }
            for name in FOREIGN_CLASS_NAMES {
                assert!(!text.contains(name), "home page shows {name}: {text}");
            }
            let mut links = Vec::new();
            for a in wd
                .find_all("article.scope-card a[href^='/org/unit/']")
                .await
            {
                links.push(wd.attribute(&a, "href").await.unwrap_or_default());
            }
            let mut codes: Vec<String> = links
                .iter()
                .map(|h| h.rsplit('/').next().unwrap_or("").to_string())
                .collect();
            codes.sort();
            assert_eq!(codes, OWN_CLASSES, "unit links on the home page");
            let source = wd.source().await;
            for code in FOREIGN_CLASSES {
                assert!(!source.contains(code), "home page mentions {code}");
            }

            // A phone-sized look at the same page, for people to check by eye.
            wd.phone_viewport(PHONE.0, PHONE.1).await;
            wd.goto(&format!("{base}/")).await;
            wd.find("article.scope-card").await;
            let shot = target_dir()
                .join("screenshots")
                .join("counselor-home-phone.png");
            wd.screenshot(&shot).await;
            let _ = writeln!(std::io::stderr(), "screenshot: {}", shot.display());

            // The org page lists the same five classes as the roots of the counselor's scope.
            wd.goto(&format!("{base}/org")).await;
            let roots = wd.find("#scope-roots").await;
            let text = wd.text(&roots).await;
            for name in OWN_CLASS_NAMES {
                assert!(text.contains(name), "/org lacks {name}: {text}");
            }
            for name in FOREIGN_CLASS_NAMES {
                assert!(!text.contains(name), "/org shows {name}: {text}");
            }

            // One of their own classes opens, with its students.
            wd.goto(&format!("{base}/org/unit/{}", OWN_CLASSES[0]))
                .await;
            let h = wd.find("main h2, main h1").await;
            let title = wd.text(&h).await;
            assert!(
                title.contains(OWN_CLASS_NAMES[0]),
                "own class page heading: {title}"
            );

            // Someone else's class: the error page, which names neither the class nor its people.
            for (code, name) in FOREIGN_CLASSES.into_iter().zip(FOREIGN_CLASS_NAMES) {
                wd.goto(&format!("{base}/org/unit/{code}")).await;
                let msg = wd.find("#error-message").await;
                let msg = wd.text(&msg).await;
                assert!(!msg.is_empty(), "error page without a message for {code}");
                let source = wd.source().await;
                assert!(
                    source.contains("HTTP 404") || source.contains("HTTP 403"),
                    "{code}: expected the not-found/forbidden page, got: {}",
                    source.chars().take(600).collect::<String>()
                );
                assert!(
                    !source.contains(name),
                    "the refusal for {code} leaks its name"
                );
            }

            // What Chromium complained about (CSP violations, failed loads): shown, not fatal.
            let console = wd.console().await;
            if !console.is_empty() {
                let _ = writeln!(
                    std::io::stderr(),
                    "browser console during the counselor test:\n  {}",
                    console.join("\n  ")
                );
            }
        }
        .boxed()
    })
    .await;
}

/// The language switcher of signed-in pages is a small form (POST with the session's CSRF token):
/// on a 360 px phone it fits the screen, and pressing "English" switches the page it was pressed on.
#[tokio::test]
async fn the_language_switcher_works_on_a_phone() {
    run("language", |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;
            wd.phone_viewport(360, 780).await;
            wd.goto(&format!("{base}/login")).await;
            let user = wd.find("#username").await;
            wd.send_keys(&user, COUNSELOR).await;
            let pw = wd.find("#password").await;
            wd.send_keys(&pw, PASSWORD).await;
            let submit = wd.find("#login-submit").await;
            wd.click(&submit).await;
            wd.wait_url("the home page", |u| !u.contains("/login"))
                .await;
            wd.goto(&format!("{base}/account")).await;
            let width = wd
                .post(
                    "/execute/sync",
                    serde_json::json!({
                        "script": "return document.documentElement.scrollWidth",
                        "args": []
                    }),
                )
                .await;
            assert!(
                width.as_i64().is_some_and(|w| w <= 360),
                "the page is wider than the phone: {width}"
            );
            let en = wd
                .find("footer form[action='/lang'] button[value='en']")
                .await;
            wd.click(&en).await;
            let started = std::time::Instant::now();
            while !wd.source().await.contains("<html lang=\"en\"") {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(10),
                    "the page did not switch to English"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert!(wd.current_url().await.ends_with("/account"));
            // Back to Chinese: the choice is kept on the account, and the demo is shared by
            // the other journeys of the run.
            let zh = wd
                .find("footer form[action='/lang'] button[value='zh-CN']")
                .await;
            wd.click(&zh).await;
            let started = std::time::Instant::now();
            while !wd.source().await.contains("<html lang=\"zh-CN\"") {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(10),
                    "the page did not switch back to Chinese"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        .boxed()
    })
    .await;
}

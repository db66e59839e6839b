//! Browser journeys of a working day, part one, against the real `fanzha demo`: the school admin
//! sets up a DingTalk robot and test-sends through it on a desktop, opens the review queue from
//! the inbox notice; a counselor pages the gap list and reminds those people on a 390 px phone.
//! Each page is checked for sideways scrolling on the phone. Headless Chromium through
//! chromedriver with the shared rig of `tests/rig/`; skipped without a browser unless `CI=true`.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use futures::FutureExt as _;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::rig::*;

const ADMIN: &str = "s001-admin";
const COUNSELOR: &str = "s001-c01-2023";
const DING: &str = "SEC7b2f0c9e1d8a4f6b3c5e7d9a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3";

type Hits = Arc<Mutex<Vec<bool>>>;

/// A local DingTalk robot that checks the signature of each post.
async fn dingtalk() -> (String, Hits) {
    use axum::extract::{Query, State};
    use std::collections::HashMap;
    let hits: Hits = Arc::default();
    let app = axum::Router::new()
        .route(
            "/robot/send",
            axum::routing::post(
                |State(h): State<Hits>, Query(q): Query<HashMap<String, String>>| async move {
                    let ts = q.get("timestamp").cloned().unwrap_or_default();
                    let mut m = Hmac::<Sha256>::new_from_slice(DING.as_bytes()).unwrap();
                    m.update(format!("{ts}\n{DING}").as_bytes());
                    let want =
                        base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes());
                    h.lock().unwrap().push(q.get("sign") == Some(&want));
                    axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
                },
            ),
        )
        .with_state(hits.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (base, hits)
}

/// Clicks an element after scrolling it to the middle of the screen (clear of the sticky header).
async fn press(wd: &WebDriver, css: &str) {
    let el = wd.find(css).await;
    wd.post(
        "/execute/sync",
        json!({"script": "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", "args": [css]}),
    )
    .await;
    wd.click(&el).await;
}

async fn desktop(wd: &WebDriver) {
    wd.post(
        "/goog/cdp/execute",
        json!({"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}}),
    )
    .await;
}

/// Whether the page is wider than the screen, and what sticks out.
async fn overflow(wd: &WebDriver, width: u32) -> Option<String> {
    let v = wd
        .post(
            "/execute/sync",
            json!({
                "script": "var w = arguments[0]; var out = []; \
                  document.querySelectorAll('body *').forEach(function (e) { \
                    var r = e.getBoundingClientRect(); \
                    if (r.right > w + 1 && out.length < 8) { \
                      out.push(e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + Math.round(r.right)); } }); \
                  return [document.documentElement.scrollWidth, out.join(' | ')];",
                "args": [width]
            }),
        )
        .await;
    let scroll = v[0].as_i64().unwrap_or(0);
    (scroll > width as i64).then(|| format!("{scroll} px wide: {}", v[1]))
}

async fn fits(wd: &WebDriver, what: &str) {
    for w in [390, 360] {
        wd.phone_viewport(w, 800).await;
        if let Some(o) = overflow(wd, w).await {
            panic!("{what} does not fit {w} px: {o}");
        }
    }
}

/// The page shows words, not internal keys (message keys, enum keys, recipient keys).
async fn no_internal_ids(wd: &WebDriver, what: &str) {
    let main = wd.find("main").await;
    let text = wd.text(&main).await;
    for key in [
        "camp-",
        "inbox-",
        "campaign_",
        "_task",
        "impersonate_",
        "student:",
        "account:",
        "reminder",
        "review\n",
    ] {
        assert!(!text.contains(key), "{what} shows {key}: {text}");
    }
}

#[tokio::test]
async fn admin_sets_up_a_robot_reviews_and_a_counselor_reminds_on_a_phone() {
    let (robot, hits) = dingtalk().await;
    run("days-a", move |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;
            let shots = target_dir().join("screenshots");

            // The school admin, on a desktop, opens the channels page from the campaigns list.
            sign_in(wd, base, ADMIN).await;
            desktop(wd).await;
            wd.goto(&format!("{base}/campaigns")).await;
            press(wd, "#channels-link").await;
            wd.wait_url("the channels page", |u| u.ends_with("/campaigns/channels"))
                .await;
            // The demo's duty-group robot with its refused post.
            let table = wd.find("#channels").await;
            let text = wd.text(&table).await;
            assert!(
                text.contains("保卫处值班群") && text.contains("310000"),
                "{text}"
            );
            assert!(
                !wd.source().await.contains("0d3m0t0k3n"),
                "robot token shown"
            );
            // Add a DingTalk robot.
            let url = format!("{robot}/robot/send?access_token=duty2024abcdef");
            for (css, v) in [
                ("#channel-form input[name=name]", "反诈工作群"),
                ("#channel-form input[name=url]", url.as_str()),
                ("#channel-form input[name=secret]", DING),
            ] {
                let el = wd.find(css).await;
                wd.send_keys(&el, v).await;
            }
            press(wd, "#add-channel").await;
            wd.wait_url("back on the channels page", |u| u.contains("#ch-"))
                .await;
            let id = wd
                .current_url()
                .await
                .rsplit("#ch-")
                .next()
                .unwrap()
                .to_string();
            press(wd, &format!("#test-{id}")).await;
            wd.wait_url("the test result", |u| u.contains("tested="))
                .await;
            let notice = wd.find("#ch-notice").await;
            assert!(wd.text(&notice).await.contains("测试消息已发送"));
            assert_eq!(hits.lock().unwrap().as_slice(), &[true], "one signed post");
            assert!(!wd.source().await.contains(DING), "secret shown back");
            no_internal_ids(wd, "channels page").await;
            wd.screenshot(&shots.join("days-a-channels-desktop.png"))
                .await;
            fits(wd, "the channels page").await;
            wd.screenshot(&shots.join("days-a-channels-phone.png"))
                .await;

            // The review notice in the inbox leads to the queue, and on to the content.
            desktop(wd).await;
            wd.goto(&format!("{base}/inbox?kind=review")).await;
            press(wd, "main a[href='/campaigns/review']").await;
            wd.wait_url("the review queue", |u| u.ends_with("/campaigns/review"))
                .await;
            let q = wd.find("#review-queue").await;
            assert!(wd.text(&q).await.contains("冒充电商客服退款诈骗提示"));
            no_internal_ids(wd, "review queue").await;
            fits(wd, "the review queue").await;
            wd.screenshot(&shots.join("days-a-review-phone.png")).await;
            press(wd, "#review-queue a[href^='/campaigns/content/']").await;
            wd.wait_url("the content", |u| u.contains("/campaigns/content/"))
                .await;

            // The admin's other long lists and the roster import fit a phone.
            for (path, what) in [
                ("/org/import", "the roster import"),
                ("/reports", "the reports list"),
                ("/warnings/overview", "the warning overview"),
            ] {
                desktop(wd).await;
                wd.goto(&format!("{base}{path}")).await;
                wd.find("main h2").await;
                fits(wd, what).await;
            }
            wd.goto(&format!("{base}/org/import")).await;
            wd.find("#template-students").await;

            // A counselor on a 390 px phone pages the gap list and reminds those people.
            sign_in(wd, base, COUNSELOR).await;
            wd.phone_viewport(390, 800).await;
            wd.goto(&format!("{base}/campaigns")).await;
            press(wd, "form[action='/campaigns/gaps'] button[type=submit]").await;
            wd.wait_url("the gap finder", |u| u.contains("/campaigns/gaps?"))
                .await;
            let total: i64 = wd
                .text(&wd.find("#never-reached-total").await)
                .await
                .trim()
                .parse()
                .expect("a number");
            assert!(total > 0, "the demo leaves gaps");
            if total > 50 {
                press(wd, "#gap-next").await;
                wd.wait_url("page 2", |u| u.contains("page=2")).await;
            }
            if let Some(o) = overflow(wd, 390).await {
                panic!("the gap list does not fit 390 px: {o}");
            }
            no_internal_ids(wd, "gap list").await;
            press(wd, "#remind").await;
            wd.wait_url("the reminder's result", |u| u.contains("reminded="))
                .await;
            let done = wd.text(&wd.find("#remind-done").await).await;
            assert!(done.contains(&format!("已提醒 {total} 人")), "{done}");
            wd.screenshot(&shots.join("days-a-gaps-phone.png")).await;
            // The export links carry the same list.
            let csv = wd.find("#gaps-csv").await;
            assert!(wd
                .attribute(&csv, "href")
                .await
                .unwrap_or_default()
                .starts_with("/campaigns/gaps/export.csv?unit="));
            // The inbox, paged and filtered, fits the phone too.
            wd.goto(&format!("{base}/inbox")).await;
            wd.find("#inbox-filter").await;
            fits(wd, "the inbox").await;
        }
        .boxed()
    })
    .await;
}

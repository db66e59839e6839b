//! The contest journey in a browser against an in-process app (its clock moved between phases):
//! an organiser opens a contest on a desktop; a student enters on a phone; the organiser accepts
//! it and names judges; another student votes on a phone and sees the receipt; a judge scores; the
//! organiser publishes and the public results match the verified ballot log; the voter withdraws
//! and votes again, the organiser reads the anomaly report and carries the winner into the
//! campaign library. Headless Chromium
//! through the shared rig; skipped without the tools unless CI=true.

use serde_json::{json, Value};

use super::*;
use crate::common::*;
use crate::wd::*;

async fn js(wd: &Wd, script: &str) -> Value {
    wd.post("/execute/sync", json!({"script": script, "args": []}))
        .await
}

async fn sign_in(wd: &Wd, app: &TestApp, user: &str, next: &str) {
    wd.post(
        "/goog/cdp/execute",
        json!({"cmd": "Network.clearBrowserCookies", "params": {}}),
    )
    .await;
    wd.goto(&app.url(&format!("/login?next={next}"))).await;
    wd.type_into("input[name=username]", user).await;
    wd.type_into("input[name=password]", PASSWORD).await;
    wd.click("button[type=submit]").await;
    wd.wait_url(|u| !u.contains("/login")).await;
}

async fn phone(wd: &Wd, on: bool) {
    let cmd = if on {
        json!({"cmd": "Emulation.setDeviceMetricsOverride",
            "params": {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}})
    } else {
        json!({"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}})
    };
    wd.post("/goog/cdp/execute", cmd).await;
}

async fn no_sideways_scroll(wd: &Wd, what: &str) {
    let w = js(
        wd,
        "return [document.documentElement.scrollWidth, window.innerWidth];",
    )
    .await;
    let (sw, iw) = (w[0].as_i64().unwrap_or(0), w[1].as_i64().unwrap_or(0));
    assert!(sw <= iw, "{what}: page {sw}px wide on a {iw}px screen");
}

#[tokio::test]
async fn a_contest_from_call_to_verified_results() {
    let Some((_turn, wd)) = start().await else {
        return;
    };
    let app = spawn_seeded().await;

    // The organiser opens the contest on a desktop.
    phone(&wd, false).await;
    sign_in(&wd, &app, "admin1", "/contests").await;
    wd.click("#new-contest").await;
    wd.wait_url(|u| u.ends_with("/contests/new")).await;
    wd.type_into("#title", "反诈短剧大赛").await;
    js(
        &wd,
        "const v = {entries_open: '2025-03-01T08:00', entries_close: '2025-03-02T08:00', \
         voting_open: '2025-03-03T08:00', voting_close: '2025-03-05T08:00', \
         judging_open: '2025-03-03T08:00', judging_close: '2025-03-06T08:00'}; \
         for (const k in v) document.getElementById(k).value = v[k]; \
         document.getElementById('cat-skit').checked = true; \
         document.getElementById('allow_withdraw').checked = true; return true;",
    )
    .await;
    wd.click("#contest-submit").await;
    let url = wd.wait_url(|u| u.contains("opened=1")).await;
    let id: i64 = url
        .split("/contests/")
        .nth(1)
        .and_then(|x| x.split('?').next())
        .and_then(|x| x.parse().ok())
        .expect("contest id");
    assert!(wd.text("#contest-notice").await.contains("比赛已发起"));

    // A student enters on a phone.
    phone(&wd, true).await;
    sign_in(&wd, &app, "student1", &format!("/contests/{id}")).await;
    no_sideways_scroll(&wd, "contest page").await;
    wd.click("#enter-link").await;
    wd.wait_url(|u| u.ends_with("/enter")).await;
    no_sideways_scroll(&wd, "entry form").await;
    wd.type_into("#entry-title", "识破“客服”").await;
    wd.type_into("#video_url", "https://v.example.cn/kefu")
        .await;
    wd.click("#show_names").await;
    wd.click("#entry-submit").await;
    wd.wait_url(|u| u.contains("entered=1")).await;
    assert!(wd.text("#my-entries").await.contains("待审核"));

    // The organiser accepts it, names judges and, once entries close, assigns them.
    phone(&wd, false).await;
    sign_in(&wd, &app, "admin1", &format!("/contests/{id}")).await;
    wd.click(".review-accept").await;
    wd.wait_url(|u| u.contains("done=reviewed")).await;
    wd.type_into("#judge-usernames", "police1 police2 province1")
        .await;
    wd.click("#judges-form button[type=submit]").await;
    wd.wait_url(|u| u.contains("done=judges")).await;
    app.state.clock.advance_ms(2 * DAY + HOUR);
    sign_in(&wd, &app, "admin1", &format!("/contests/{id}")).await;
    wd.click("#assign-judges").await;
    wd.wait_url(|u| u.contains("done=assigned")).await;
    assert!(wd.text("#progress-summary").await.contains("0 / 3"));
    assert_eq!(
        wd.text("#rules-hash").await.len(),
        64,
        "the rules hash is out"
    );

    // Another student votes on a phone and keeps the receipt.
    phone(&wd, true).await;
    sign_in(&wd, &app, "student2", &format!("/contests/{id}")).await;
    wd.click(".entry-link").await;
    wd.wait_url(|u| u.contains("/entries/")).await;
    wd.click("#vote").await;
    wd.wait_url(|u| u.contains("/receipts?hash=")).await;
    assert!(!wd.text("#vote-counted").await.is_empty());
    let receipt = wd.text("#receipt-hash").await;
    assert_eq!(receipt.len(), 64);
    assert!(wd.text("#receipt-in-log").await.contains('1'));
    no_sideways_scroll(&wd, "receipt").await;

    // The votes are used: another entry would offer a move, the voted one a withdrawal. The
    // student withdraws on the phone and votes again; the receipts list both.
    wd.goto(&app.url(&format!("/contests/{id}"))).await;
    wd.click(".entry-link").await;
    wd.wait_url(|u| u.contains("/entries/")).await;
    assert!(!wd.text("#voted").await.is_empty());
    no_sideways_scroll(&wd, "entry with its vote").await;
    wd.click("#withdraw").await;
    wd.wait_url(|u| u.contains("/receipts?hash=")).await;
    wd.goto(&app.url(&format!("/contests/{id}"))).await;
    wd.click(".entry-link").await;
    wd.wait_url(|u| u.contains("/entries/")).await;
    assert!(wd.text("#votes-left").await.contains('1'));
    wd.click("#vote").await;
    wd.wait_url(|u| u.contains("/receipts?hash=")).await;
    let receipt = wd.text("#receipt-hash").await;
    wd.goto(&app.url(&format!("/contests/{id}"))).await;
    assert!(wd.text("#my-receipts").await.contains("撤回"));
    no_sideways_scroll(&wd, "contest page with receipts").await;

    // The organiser reads the anomaly report on a phone (three votes: no burst).
    sign_in(&wd, &app, "admin1", &format!("/contests/{id}")).await;
    assert!(wd.text("#anomaly-summary").await.contains('1'));
    assert!(!wd.text("#anomaly-none").await.is_empty());
    no_sideways_scroll(&wd, "organiser's contest page").await;

    // A judge scores on a phone.
    sign_in(&wd, &app, "police1", &format!("/contests/{id}")).await;
    wd.click("#judge-sheets a").await;
    wd.wait_url(|u| u.contains("/entries/")).await;
    js(
        &wd,
        "document.querySelectorAll('input.mark').forEach((e, i) => e.value = 8 - i); return true;",
    )
    .await;
    wd.click("#score-submit").await;
    wd.wait_url(|u| u.contains("done=scored")).await;
    assert!(wd.text("#judge-sheets").await.contains("已评"));

    // After the close the organiser publishes; the public results agree with the verified log.
    app.state.clock.advance_ms(3 * DAY);
    phone(&wd, false).await;
    sign_in(&wd, &app, "admin1", &format!("/contests/{id}")).await;
    wd.click("#publish").await;
    wd.wait_url(|u| u.ends_with("/results")).await;
    assert!(wd.text(".result-title").await.contains("识破“客服”"));
    // A vote, its withdrawal, the vote again: one vote stands, the withdrawal is said apart.
    assert_eq!(wd.text("#count-ballots").await, "1");
    assert!(wd.text("#results-withdrawn").await.contains('3'));
    assert!(wd.text("#results-anomalies").await.contains('0'));
    let head = wd.text("#results-head").await;
    let log = client()
        .get(app.url(&format!("/contests/{id}/ballots.jsonl")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v = fanzha::contests::verify::verify(&log).expect("the log verifies");
    assert_eq!(v.head, head);
    assert_eq!(v.head, receipt, "the one ballot is the head of the log");
    phone(&wd, true).await;
    wd.goto(&app.url(&format!("/contests/{id}/results"))).await;
    no_sideways_scroll(&wd, "results").await;

    // The organiser carries the winner into the campaign library, on a phone and on a desktop.
    wd.goto(&app.url(&format!("/contests/{id}"))).await;
    no_sideways_scroll(&wd, "contest page with the push form").await;
    phone(&wd, false).await;
    wd.goto(&app.url(&format!("/contests/{id}"))).await;
    js(&wd, "document.getElementById('push-fraud').value = 'impersonate_customer_service'; return true;").await;
    wd.click("#push-winners").await;
    wd.wait_url(|u| u.contains("done=pushed")).await;
    assert!(wd.text("#pushed").await.contains("识破“客服”"));
    wd.click("#pushed a").await;
    wd.wait_url(|u| u.contains("/campaigns/content/")).await;
    assert!(wd.text("body").await.contains("识破“客服”"));
}

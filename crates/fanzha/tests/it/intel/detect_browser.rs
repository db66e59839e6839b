//! Browser journey of SMS feedback: a student on a 390 px phone pastes an SMS with its sender,
//! sees which of sender and link are suspect and the brand mismatch in words, reports the result
//! as wrong; police on a desktop window label it in the review queue, then look at the brand
//! registry and the model page. Every page fits its screen and shows no internal keys.
//! Headless Chromium through chromedriver against an in-process app (tests/common); skipped
//! without the tools unless CI=true. With `FANZHA_SCREENSHOTS=DIR` it saves a screenshot of
//! each page there.

use crate::common::*;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::wd::*;

async fn js(wd: &Wd, script: &str) -> Value {
    wd.post("/execute/sync", json!({"script": script, "args": []}))
        .await
}

async fn fits(wd: &Wd, what: &str) {
    assert_eq!(
        js(
            wd,
            "return document.documentElement.scrollWidth <= window.innerWidth + 1;"
        )
        .await,
        json!(true),
        "{what}: wider than the window"
    );
}

/// Words that are internal keys and must never reach a person.
async fn no_keys(wd: &Wd, what: &str) {
    let body = js(wd, "return document.body.innerText;").await;
    let body = body.as_str().unwrap_or_default();
    for key in [
        "brand-",
        "model-",
        "check-",
        "other_fraud",
        "impersonate_",
        "false_positive",
        "false_negative",
        "rolled_back",
        "sector",
    ] {
        assert!(!body.contains(key), "{what} shows `{key}`:\n{body}");
    }
}

async fn shot(wd: &Wd, name: &str) {
    let Some(dir) = std::env::var_os("FANZHA_SCREENSHOTS") else {
        return;
    };
    // The whole page, not only the first screen.
    let h = js(wd, "return document.documentElement.scrollHeight;")
        .await
        .as_i64()
        .unwrap_or(800);
    let w = js(wd, "return window.innerWidth;")
        .await
        .as_i64()
        .unwrap_or(390);
    let mobile = w < 600;
    wd.post(
        "/goog/cdp/execute",
        json!({"cmd": "Emulation.setDeviceMetricsOverride",
        "params": {"width": w, "height": h.min(6000), "deviceScaleFactor": 1, "mobile": mobile}}),
    )
    .await;
    let png = wd.get("/screenshot").await;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(png.as_str().unwrap_or_default())
        .unwrap_or_default();
    std::fs::write(
        std::path::Path::new(&dir).join(format!("{name}.png")),
        bytes,
    )
    .unwrap();
    wd.post(
        "/goog/cdp/execute",
        json!({"cmd": "Emulation.setDeviceMetricsOverride",
        "params": {"width": w, "height": if mobile { 844 } else { 900 }, "deviceScaleFactor": if mobile { 2 } else { 1 }, "mobile": mobile}}),
    )
    .await;
}

async fn size(wd: &Wd, width: i64, height: i64, mobile: bool) {
    wd.post(
        "/goog/cdp/execute",
        json!({"cmd": "Emulation.setDeviceMetricsOverride",
        "params": {"width": width, "height": height, "deviceScaleFactor": if mobile { 2 } else { 1 }, "mobile": mobile}}),
    )
    .await;
}

#[tokio::test]
async fn a_student_checks_an_sms_with_its_sender_reports_it_wrong_and_police_review_it() {
    let Some((_turn, wd)) = start().await else {
        return;
    };
    let app = spawn_seeded().await;
    size(&wd, 390, 844, true).await;
    wd.goto(&app.url("/login?next=/check")).await;
    wd.type_into("input[name=username]", "student1").await;
    wd.type_into("input[name=password]", PASSWORD).await;
    wd.click("button[type=submit]").await;
    wd.wait_url(|u| !u.contains("/login") && u.ends_with("/check"))
        .await;
    fits(&wd, "check form").await;
    shot(&wd, "check-form-390").await;
    wd.type_into(
        "#q",
        "【建设银行】尊敬的客户，您的信用卡积分即将过期，请登录 ccb-vip.xyz 兑换现金礼包",
    )
    .await;
    wd.type_into("#sender", "1069 5533 1234").await;
    wd.click("#check-submit").await;
    let url = wd.wait_url(|u| u.contains("/check/")).await;
    let check_id = url.rsplit('/').next().unwrap().to_string();
    assert_eq!(wd.text("#check-sender").await, "106955331234");
    let suspect = wd.text("#check-suspect").await;
    assert!(suspect.contains("可疑"), "{suspect}");
    let brand = wd.text("#check-brand").await;
    assert!(brand.contains("短信自称建设银行"), "{brand}");
    assert!(brand.contains("ccb.com"), "{brand}");
    let level = wd.attr("#check-result", "data-level").await;
    assert!(level == "high" || level == "medium", "{level}");
    fits(&wd, "check result").await;
    no_keys(&wd, "check result").await;
    shot(&wd, "check-result-390").await;
    // "This result is wrong" goes to police.
    wd.click("#wrong-box summary").await;
    js(
        &wd,
        "document.querySelector('#wrong-box select').value = 'false_positive'; return true;",
    )
    .await;
    wd.type_into("#wrong-box input[name=comment]", "我真的有建行信用卡")
        .await;
    wd.click("#wrong-submit").await;
    wd.wait_url(|u| u.ends_with("?sent=1")).await;
    assert!(!wd.text("#wrong-sent").await.is_empty());
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM labelled_examples").await,
        0
    );
    // A message with nothing found says so, and what to check, never "safe".
    wd.goto(&app.url("/check")).await;
    wd.type_into(
        "#q",
        "同学们好，明天下午三点在教学楼201开班会，请准时参加。",
    )
    .await;
    wd.click("#check-submit").await;
    wd.wait_url(|u| u.contains("/check/") && !u.ends_with(&check_id))
        .await;
    assert!(wd.text("#check-level").await.contains("未发现诈骗特征"));
    let advice = wd.text("#check-no-sign").await;
    assert!(
        advice.contains("官方") && !advice.contains("安全"),
        "{advice}"
    );
    no_keys(&wd, "nothing found").await;
    shot(&wd, "check-none-390").await;
    // Police, on a desktop window: the same browser, signed out.
    wd.0.reset().await;
    size(&wd, 1280, 900, false).await;
    wd.goto(&app.url("/login?next=/intel/reviews")).await;
    wd.type_into("input[name=username]", "police1").await;
    wd.type_into("input[name=password]", PASSWORD).await;
    wd.click("button[type=submit]").await;
    wd.wait_url(|u| u.ends_with("/intel/reviews")).await;
    let review = app.scalar("SELECT MAX(id) FROM intel_reviews").await;
    let item = wd.text(&format!("#review-{review}")).await;
    assert!(item.contains("我真的有建行信用卡"), "{item}");
    no_keys(&wd, "review queue").await;
    shot(&wd, "reviews-desktop").await;
    js(
        &wd,
        &format!("document.querySelector('#review-{review} select[name=label]').value = 'normal'; return true;"),
    )
    .await;
    wd.click(&format!(
        "#review-{review} form:has(select[name=label]) button"
    ))
    .await;
    wd.wait_url(|u| u.ends_with("/intel/reviews")).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.scalar("SELECT COUNT(*) FROM labelled_examples").await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the label was not kept"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM labelled_examples WHERE label = 'normal' AND created_by = {}",
            app.fx.account("police1")
        ))
        .await,
        1
    );
    // A candidate model waits on the model page with its figures.
    let eval = app.dir.path().join("eval.jsonl");
    let mut lines = String::new();
    for i in 0..10 {
        lines.push_str(
            &json!({"text": format!("xqzv kkpl {i} zorblat"), "label": "fake_loan"}).to_string(),
        );
        lines.push('\n');
        lines.push_str(
            &json!({"text": format!("今天下午 {i} 点 grummel 图书馆见"), "label": "normal"})
                .to_string(),
        );
        lines.push('\n');
    }
    std::fs::write(&eval, lines).unwrap();
    let live = app.state.intel.live();
    let cand = fanzha::intel::learn::train_candidate(
        &app.state.db,
        &app.state.clock,
        &live.engine,
        &live.model_version,
        &fanzha::intel::learn::TrainSpec {
            data: vec![eval.clone()],
            eval,
            config: fanzha_detect::model::TrainConfig {
                bits: 12,
                epochs: 5,
                ..Default::default()
            },
        },
    )
    .await
    .unwrap();
    // The registry and the model page, on the desktop and on a phone.
    for (w, h, mobile, tag) in [(1280, 900, false, "desktop"), (390, 844, true, "390")] {
        size(&wd, w, h, mobile).await;
        wd.goto(&app.url("/intel/brands?q=建设")).await;
        let body = js(&wd, "return document.body.innerText;").await;
        assert!(body.as_str().unwrap().contains("中国建设银行"));
        fits(&wd, "brands").await;
        no_keys(&wd, "brands").await;
        shot(&wd, &format!("brands-{tag}")).await;
        wd.goto(&app.url("/intel/models")).await;
        assert!(wd.text("#model-in-use").await.contains("内置模型"));
        assert!(wd
            .text(&format!("#model-{}", cand.id))
            .await
            .contains("评测集"));
        fits(&wd, "models").await;
        no_keys(&wd, "models").await;
        shot(&wd, &format!("models-{tag}")).await;
    }
}

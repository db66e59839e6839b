//! Browser journey of campus sign-in on a phone: a student on a 390 px window picks their school
//! on the login page, signs in at the school's CAS (the test CAS, started here), lands signed in,
//! and the account is activated by that first sign-in. Headless Chromium through chromedriver
//! against an in-process app (tests/common); skipped without the tools unless CI=true. Leaves
//! screenshots of the pages in `$CARGO_TARGET_DIR/screenshots/` for people to look at.

use crate::common::*;
use base64::Engine;
use fanzha::auth::sso::test_cas::{self, TestCas};
use fanzha::auth::sso::{store as sso_store, CasVersion, Protocol, SchoolSignIn};
use fanzha::config::Secret;
use serde_json::{json, Value};

use crate::wd::*;

async fn js(wd: &Wd, script: &str) -> Value {
    wd.post("/execute/sync", json!({"script": script, "args": []}))
        .await
}

async fn fits(wd: &Wd) -> bool {
    js(
        wd,
        "return document.documentElement.scrollWidth <= window.innerWidth;",
    )
    .await
        == json!(true)
}

async fn shot(wd: &Wd, name: &str) {
    let v = wd.get("/screenshot").await;
    let Some(b64) = v.as_str() else {
        return;
    };
    let dir = std::path::PathBuf::from(
        std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()),
    )
    .join("screenshots");
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(png) = base64::engine::general_purpose::STANDARD.decode(b64) {
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

async fn viewport(wd: &Wd, width: u32, height: u32, mobile: bool) {
    wd.post(
        "/goog/cdp/execute",
        json!({"cmd": "Emulation.setDeviceMetricsOverride",
        "params": {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}}),
    )
    .await;
}

#[tokio::test]
async fn a_student_signs_in_through_cas_on_a_phone() {
    let Some((_turn, wd)) = start().await else {
        return;
    };
    let app = spawn_seeded().await;
    let cas = TestCas::new("demo");
    let (url, _task) = test_cas::start(cas, 0).await.unwrap();
    sso_store::save(
        &app.state.db,
        &SchoolSignIn {
            school_id: app.fx.unit("SCH1").id,
            protocol: Protocol::Cas,
            server_url: url,
            cas_version: CasVersion::V3,
            client_id: String::new(),
            client_secret: Secret::new(""),
            number_attribute: "studentNo".into(),
            local_passwords: true,
            builtin_test: true,
        },
        None,
        START_MS,
    )
    .await
    .unwrap();
    // The school also signs in with WeCom: its button sits under the SSO one.
    fanzha::auth::sso::platforms::save_app(
        &app.state.db,
        &fanzha::auth::sso::platforms::PlatformApp {
            school_id: app.fx.unit("SCH1").id,
            platform: fanzha::auth::sso::platforms::Platform::WeCom,
            app_id: "wwcorp".into(),
            agent_id: "1000002".into(),
            app_secret: Secret::new("s"),
        },
        START_MS,
    )
    .await
    .unwrap();
    viewport(&wd, 390, 844, true).await;

    // The login page offers the schools with an identity service.
    wd.goto(&app.url("/login")).await;
    assert!(fits(&wd).await);
    shot(&wd, "sso-login-picker-phone").await;
    js(
        &wd,
        "document.getElementById('school').value = 'SCH1'; return true;",
    )
    .await;
    wd.click("#school-pick").await;
    wd.wait_url(|u| u.contains("/login?school=SCH1")).await;
    assert!(wd.text("#login-school-name").await.contains("第一大学"));
    // The demo's test service is marked as such.
    assert!(!wd.text("#sso-test-marker").await.is_empty());
    assert!(fits(&wd).await);
    assert!(!wd.text("#sso-wecom").await.is_empty());
    shot(&wd, "sso-login-school-phone").await;

    wd.click("#sso-start").await;
    wd.wait_url(|u| u.contains("/cas/login?service=")).await;
    assert!(fits(&wd).await);
    wd.type_into("#cas-username", "2023010102").await;
    wd.type_into("#cas-password", "demo").await;
    wd.click("#cas-submit").await;
    wd.wait_url(|u| u == app.url("/")).await;
    // Signed in as the roster account, now activated.
    wd.goto(&app.url("/account")).await;
    assert!(wd.text("main").await.contains("2023010102@SCH1"));
    assert!(
        !wd.text("#bind-wecom").await.is_empty(),
        "WeCom can be linked"
    );
    assert!(fits(&wd).await);
    shot(&wd, "sso-account-phone").await;
    let activated = app
        .scalar("SELECT COUNT(*) FROM accounts WHERE person_no = '2023010102' AND activated_at IS NOT NULL")
        .await;
    assert_eq!(activated, 1);

    // A number not on the roster: the page says whom to ask.
    wd.call(reqwest::Method::DELETE, "/cookie", None)
        .await
        .expect("delete cookies");
    wd.goto(&app.url("/sso/SCH1/start")).await;
    wd.wait_url(|u| u.contains("/cas/login?service=")).await;
    wd.type_into("#cas-username", "2099000001").await;
    wd.type_into("#cas-password", "demo").await;
    wd.click("#cas-submit").await;
    wd.wait_url(|u| u.contains("/sso/cas/SCH1")).await;
    assert!(wd.text("#sso-refused").await.contains("第一大学"));
    assert!(fits(&wd).await);
    shot(&wd, "sso-refused-phone").await;

    // The school admin's settings page, on a phone and on a desktop.
    wd.goto(&app.url("/login")).await;
    wd.type_into("#username", "admin1").await;
    wd.type_into("#password", PASSWORD).await;
    wd.click("#login-submit").await;
    wd.wait_url(|u| !u.contains("/login")).await;
    wd.goto(&app.url("/org/unit/SCH1/sign-in")).await;
    assert!(wd.text("#sso-callback").await.contains("/sso/cas/SCH1"));
    assert!(fits(&wd).await);
    shot(&wd, "sso-settings-phone").await;
    js(
        &wd,
        "document.getElementById('platform-wecom').scrollIntoView(); return true;",
    )
    .await;
    shot(&wd, "sso-settings-platforms-phone").await;
    viewport(&wd, 1280, 900, false).await;
    wd.goto(&app.url("/org/unit/SCH1/sign-in")).await;
    shot(&wd, "sso-settings-desktop").await;
    wd.call(reqwest::Method::DELETE, "/cookie", None)
        .await
        .expect("delete cookies");
    wd.goto(&app.url("/login?school=SCH1")).await;
    shot(&wd, "sso-login-school-desktop").await;
}

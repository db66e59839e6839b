//! Browser test of the report flow on a phone-sized screen: a student checks a scam message,
//! follows "report this" to the form pre-filled from the check, a draft survives a reload, and
//! "did you lose money?" leads to the "call 110 / 96110 now" screen with the report number and a
//! live countdown. Headless Chromium through chromedriver against an in-process app
//! (tests/common); skipped without the tools unless CI=true, like tests/browser.rs.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|n| on_path(n));
    match (chromium, on_path("chromedriver")) {
        (Some(c), Some(d)) => Some((c, d)),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI=true and chromium/chromedriver are missing");
            }
            let _ = writeln!(
                std::io::stderr(),
                "\n*** reports browser test SKIPPED: chromium/chromedriver not on PATH\n"
            );
            None
        }
    }
}

/// chromedriver in its own process group, killed with it when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Wd {
    http: reqwest::Client,
    session: String,
}

impl Wd {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.session));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.map_err(|e| e.to_string())?;
        let ok = r.status().is_success();
        let v: Value = r.json().await.map_err(|e| e.to_string())?;
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(v["value"]["error"].as_str().unwrap_or("?").to_string())
        }
    }
    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }
    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }
    async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }
    async fn url(&self) -> String {
        self.get("/url").await.as_str().unwrap_or("").to_string()
    }
    async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self
                .call(
                    reqwest::Method::POST,
                    "/element",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await
            {
                Ok(v) => return v[ELEMENT_KEY].as_str().expect("element").to_string(),
                Err(e) if e == "no such element" && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Err(e) => panic!("no element {css} on {}: {e}", self.url().await),
            }
        }
    }
    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/value"), json!({ "text": text }))
            .await;
    }
    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/click"), json!({})).await;
    }
    async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.get(&format!("/element/{el}/text"))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    async fn attr(&self, css: &str, name: &str) -> String {
        let el = self.find(css).await;
        self.get(&format!("/element/{el}/attribute/{name}"))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    async fn wait_url(&self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let u = self.url().await;
            if pred(&u) {
                return u;
            }
            assert!(Instant::now() < deadline, "still on {u}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn start(chromium: &Path, driver: &Path, profile: &Path) -> (Driver, Wd) {
    use std::os::unix::process::CommandExt;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver");
    let d = Driver(child);
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{base}/status")).send().await {
            if r.json::<Value>()
                .await
                .is_ok_and(|v| v["value"]["ready"] == json!(true))
            {
                break;
            }
        }
        assert!(Instant::now() < deadline, "chromedriver not ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": chromium.display().to_string(),
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--window-size=390,844", "--lang=zh-CN",
                 format!("--user-data-dir={}", profile.display())]}}}});
    let v: Value = http
        .post(format!("{base}/session"))
        .json(&caps)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = v["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("session: {v}"))
        .to_string();
    (
        d,
        Wd {
            http,
            session: format!("{base}/session/{id}"),
        },
    )
}

async fn js(wd: &Wd, script: &str) -> Value {
    wd.post("/execute/sync", json!({"script": script, "args": []}))
        .await
}

#[tokio::test]
async fn student_reports_from_a_check_and_the_loss_path_shows_110() {
    let Some((chromium, driver)) = tools() else {
        return;
    };
    let app = spawn_seeded().await;
    let profile = app.dir.path().join("chrome-profile");
    let (_driver, wd) = start(&chromium, &driver, &profile).await;
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
    wd.wait_url(|u| u.ends_with("/check")).await;
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
    let _ = wd.call(reqwest::Method::DELETE, "", None).await;
}

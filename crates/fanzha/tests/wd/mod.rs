//! A small WebDriver client for browser suites that drive an in-process app (tests/common)
//! rather than the `fanzha demo` binary: finds chromium and chromedriver (a missing browser skips
//! the suite, or fails it under `CI=true`), starts chromedriver in its own process group and a
//! phone-sized headless session, and speaks W3C WebDriver by CSS selector.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

// The suites of this client include tests/common, which holds the one skip helper.
use crate::common::env;

pub const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

pub fn tools(suite: &str) -> Option<(PathBuf, PathBuf)> {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|n| on_path(n));
    match (chromium, on_path("chromedriver")) {
        (Some(c), Some(d)) => Some((c, d)),
        _ => {
            env::skip(&format!(
                "{suite} browser test: chromium/chromedriver not on PATH"
            ));
            None
        }
    }
}

/// chromedriver in its own process group, killed with it when dropped.
pub struct Driver(Child);

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

pub struct Wd {
    http: reqwest::Client,
    session: String,
}

impl Wd {
    pub async fn call(
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
    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }
    pub async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }
    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }
    pub async fn url(&self) -> String {
        self.get("/url").await.as_str().unwrap_or("").to_string()
    }
    pub async fn find(&self, css: &str) -> String {
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
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/value"), json!({ "text": text }))
            .await;
    }
    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.post(&format!("/element/{el}/click"), json!({})).await;
    }
    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.get(&format!("/element/{el}/text"))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    pub async fn attr(&self, css: &str, name: &str) -> String {
        let el = self.find(css).await;
        self.get(&format!("/element/{el}/attribute/{name}"))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    pub async fn wait_url(&self, pred: impl Fn(&str) -> bool) -> String {
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

pub async fn start(chromium: &Path, driver: &Path, profile: &Path) -> (Driver, Wd) {
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

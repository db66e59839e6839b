//! CSS-selector conveniences over the one WebDriver client ([`crate::rig::WebDriver`]) for
//! browser journeys that drive an in-process app (tests/it/common) rather than `fanzha demo`:
//! [`start`] takes the run's shared browser on a 390 px phone screen; each call finds its element
//! by CSS selector, waiting for it to appear.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub use crate::rig::{Turn, WebDriver};

pub struct Wd(pub WebDriver);

impl Wd {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        self.0
            .call(method, path, body)
            .await
            .map_err(|e| format!("{e:?}"))
    }
    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.0.post(path, body).await
    }
    pub async fn get(&self, path: &str) -> Value {
        self.0.get(path).await
    }
    pub async fn goto(&self, url: &str) {
        self.0.goto(url).await;
    }
    pub async fn url(&self) -> String {
        self.0.current_url().await
    }
    pub async fn find(&self, css: &str) -> String {
        self.0.find(css).await
    }
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.0.send_keys(&el, text).await;
    }
    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.0.click(&el).await;
    }
    pub async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.0.text(&el).await
    }
    pub async fn attr(&self, css: &str, name: &str) -> String {
        let el = self.find(css).await;
        self.0.attribute(&el, name).await.unwrap_or_default()
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

/// The run's shared browser on a 390 × 844 phone screen, held until the [`Turn`] is dropped;
/// `None` after saying why browser journeys are skipped (a failure under `CI=true`).
pub async fn start() -> Option<(Turn, Wd)> {
    let (turn, wd) = crate::rig::browser().await?;
    wd.post(
        "/goog/cdp/execute",
        json!({"cmd": "Emulation.setDeviceMetricsOverride",
        "params": {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}}),
    )
    .await;
    Some((turn, Wd(wd)))
}

//! The browser rig shared by the browser test suites: headless Chromium driven through
//! chromedriver (W3C WebDriver, spoken over plain HTTP with reqwest) against the real
//! `fanzha demo` binary, on a fresh PostgreSQL schema when `FANZHA_TEST_DATABASE_URL` is set.
//!
//! Without `chromium` and `chromedriver` on the PATH a suite prints that it was skipped and
//! passes; under `CI=true` a missing browser is a failure. Each suite does `mod rig;` and calls
//! [`run`] with its test body.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use fanzha::db::{Db, DbOptions};
use futures::FutureExt as _;
use serde_json::{json, Value};

use crate::common::env;

pub const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const PHONE: (u32, u32) = (390, 844);

// ---------------------------------------------------------------------------------------------
// Finding the tools, and skipping without them.

pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Chromium and chromedriver, or `None` after saying why the suite is skipped (a panic under CI).
pub fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|n| on_path(n));
    let driver = on_path("chromedriver");
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        (c, d) => {
            let missing: Vec<&str> = [("chromium", c.is_none()), ("chromedriver", d.is_none())]
                .into_iter()
                .filter_map(|(n, m)| m.then_some(n))
                .collect();
            let msg = format!(
                "browser suite: {} not found on PATH (Debian: apt-get install chromium chromium-driver)",
                missing.join(" and ")
            );
            env::skip(&msg);
            None
        }
    }
}

/// `target/` of this build (the binary lives in `target/<profile>/fanzha`).
pub fn target_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_fanzha"));
    bin.parent()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

// ---------------------------------------------------------------------------------------------
// Processes: killed when dropped, also when the test panics.

/// A child process in its own process group; dropping it kills the whole group (chromedriver's
/// Chromium processes included) and reaps the child.
pub struct Proc {
    child: Child,
    name: &'static str,
}

impl Proc {
    pub fn spawn(name: &'static str, cmd: &mut Command) -> Proc {
        use std::os::unix::process::CommandExt;
        let child = cmd
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Proc { child, name }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // The group id is the child's pid (process_group(0)).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        if self.child.wait().is_err() {
            eprintln!("could not reap {}", self.name);
        }
    }
}

/// Starts chromedriver on a free port and waits until `/status` says it is ready.
pub async fn start_chromedriver(driver: &Path, http: &reqwest::Client) -> (Proc, String) {
    let port = free_port();
    let proc = Proc::spawn(
        "chromedriver",
        Command::new(driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{base}/status")).send().await {
            if let Ok(v) = r.json::<Value>().await {
                if v["value"]["ready"] == json!(true) {
                    return (proc, base);
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver (pid {}) not ready on {base} after 30 s",
            proc.pid()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The database the demo runs on: a fresh PostgreSQL schema when `FANZHA_TEST_DATABASE_URL` is
/// set (the URL given to the app selects it with `options[search_path]`), else SQLite in the
/// data directory.
#[derive(Clone)]
pub struct DemoDb {
    /// (admin URL, schema) to drop at the end.
    pg: Option<(String, String)>,
    app_url: Option<String>,
}

impl DemoDb {
    pub async fn fresh() -> DemoDb {
        let Some(url) = env::pg_url() else {
            return DemoDb {
                pg: None,
                app_url: None,
            };
        };
        let schema = format!("browser_{}", uuid::Uuid::new_v4().simple());
        let admin = Db::connect(&DbOptions {
            url: url.clone(),
            schema: None,
            max_connections: 1,
        })
        .await
        .expect("connect to FANZHA_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin.pool)
            .await
            .expect("create schema");
        admin.pool.close().await;
        let sep = if url.contains('?') { '&' } else { '?' };
        let app_url = format!("{url}{sep}options[search_path]={schema}");
        DemoDb {
            pg: Some((url, schema)),
            app_url: Some(app_url),
        }
    }

    /// On PostgreSQL, proves the demo really was seeded into this test's schema.
    pub async fn check_seeded(&self) {
        let Some((url, schema)) = &self.pg else {
            return;
        };
        let db = Db::connect(&DbOptions {
            url: url.clone(),
            schema: Some(schema.clone()),
            max_connections: 1,
        })
        .await
        .expect("connect to the test schema");
        let students: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM students")
            .fetch_one(&db.pool)
            .await
            .expect("count students");
        db.pool.close().await;
        assert!(students > 9_000, "demo students in {schema}: {students}");
        let _ = writeln!(
            std::io::stderr(),
            "browser suite ran on PostgreSQL (schema {schema}, {students} students)"
        );
    }

    pub async fn drop_schema(&self) {
        let Some((url, schema)) = &self.pg else {
            return;
        };
        if let Ok(db) = Db::connect(&DbOptions {
            url: url.clone(),
            schema: None,
            max_connections: 1,
        })
        .await
        {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .execute(&db.pool)
                .await;
            db.pool.close().await;
        }
    }
}

/// Runs `fanzha --data-dir DIR demo --listen 127.0.0.1:0` and returns it with its base URL, read
/// from the `fanzha listening on http://ADDR` line (printed after seeding).
pub fn start_demo(data_dir: &Path, db: &DemoDb) -> (Proc, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fanzha"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["demo", "--listen", "127.0.0.1:0"])
        .current_dir(data_dir)
        .env_remove("FANZHA_DATABASE_URL")
        .env("FANZHA_LOG", "warn,sqlx=error")
        // Every journey signs in from 127.0.0.1: one address for all roles of all modules, far
        // more sign-ins in the window than one real client makes (the limit is tested on its own).
        .env("FANZHA_LOGIN_ATTEMPTS_PER_IP", "100000")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(url) = &db.app_url {
        cmd.env("FANZHA_DATABASE_URL", url);
    }
    let mut proc = Proc::spawn("fanzha demo", &mut cmd);
    let stdout = proc.child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel::<Result<String, String>>();
    // Reads the banner, reports the address, then keeps draining so the app never blocks on a
    // full pipe.
    std::thread::spawn(move || {
        let mut seen = String::new();
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent {
                if let Some(addr) = line.trim().strip_prefix("fanzha listening on ") {
                    let _ = tx.send(Ok(addr.to_string()));
                    sent = true;
                } else {
                    seen.push_str(&line);
                    seen.push('\n');
                }
            }
        }
        if !sent {
            let _ = tx.send(Err(seen));
        }
    });
    // Seeding ~10k students takes a few seconds in a debug build; leave room for a busy machine.
    match rx.recv_timeout(Duration::from_secs(180)) {
        Ok(Ok(url)) => (proc, url),
        Ok(Err(out)) => panic!("fanzha demo exited before listening; stdout:\n{out}"),
        Err(e) => panic!("fanzha demo did not print its address within 180 s: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// A minimal W3C WebDriver client.

pub struct WebDriver {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
}

/// A WebDriver error answer: its `error` code and message.
#[derive(Debug)]
pub struct WdError {
    error: String,
    message: String,
}

impl WebDriver {
    pub async fn new_session(
        http: &reqwest::Client,
        driver: &str,
        chromium: &Path,
        profile: &Path,
    ) -> WebDriver {
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
            "--lang=zh-CN",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium.display().to_string(),
                        "args": args,
                    },
                    "goog:loggingPrefs": { "browser": "ALL" },
                }
            }
        });
        let r = http
            .post(format!("{driver}/session"))
            .json(&caps)
            .send()
            .await
            .expect("POST /session");
        let status = r.status();
        let v: Value = r.json().await.expect("session answer");
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("new session failed ({status}): {v}"))
            .to_string();
        WebDriver {
            http: http.clone(),
            session: format!("{driver}/session/{id}"),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WdError> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.session));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.map_err(|e| WdError {
            error: "transport".into(),
            message: format!("{method} {path}: {e}"),
        })?;
        let ok = r.status().is_success();
        let v: Value = r.json().await.map_err(|e| WdError {
            error: "bad answer".into(),
            message: format!("{method} {path}: {e}"),
        })?;
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(WdError {
                error: v["value"]["error"].as_str().unwrap_or("?").to_string(),
                message: format!(
                    "{method} {path}: {}",
                    v["value"]["message"].as_str().unwrap_or("")
                ),
            })
        }
    }

    pub async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None)
            .await
            .unwrap_or_else(|e| panic!("webdriver {}: {}", e.error, e.message))
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body))
            .await
            .unwrap_or_else(|e| panic!("webdriver {}: {}", e.error, e.message))
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    pub async fn current_url(&self) -> String {
        self.get("/url").await.as_str().unwrap_or("").to_string()
    }

    pub async fn source(&self) -> String {
        self.get("/source").await.as_str().unwrap_or("").to_string()
    }

    pub async fn find_all(&self, css: &str) -> Vec<String> {
        let v = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first element matching `css`, waiting up to 10 s for it to appear.
    pub async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self
                .call(
                    reqwest::Method::POST,
                    "/element",
                    Some(json!({ "using": "css selector", "value": css })),
                )
                .await
            {
                Ok(v) => {
                    return v[ELEMENT_KEY]
                        .as_str()
                        .expect("element reference")
                        .to_string()
                }
                Err(e) if e.error == "no such element" && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!(
                    "no element {css:?} on {} ({}: {})",
                    self.current_url().await,
                    e.error,
                    e.message
                ),
            }
        }
    }

    pub async fn send_keys(&self, el: &str, text: &str) {
        self.post(&format!("/element/{el}/value"), json!({ "text": text }))
            .await;
    }

    pub async fn click(&self, el: &str) {
        self.post(&format!("/element/{el}/click"), json!({})).await;
    }

    pub async fn text(&self, el: &str) -> String {
        self.get(&format!("/element/{el}/text"))
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The text of the element matching `css` now, or `None` while the page is being replaced
    /// (no such element yet, or the one found went stale).
    pub async fn text_of(&self, css: &str) -> Option<String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await
            .ok()?;
        let el = v[ELEMENT_KEY].as_str()?.to_string();
        let t = self
            .call(reqwest::Method::GET, &format!("/element/{el}/text"), None)
            .await
            .ok()?;
        t.as_str().map(str::to_string)
    }

    pub async fn attribute(&self, el: &str, name: &str) -> Option<String> {
        self.get(&format!("/element/{el}/attribute/{name}"))
            .await
            .as_str()
            .map(str::to_string)
    }

    /// Waits until the current URL satisfies `pred`.
    pub async fn wait_url(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let u = self.current_url().await;
            if pred(&u) {
                return u;
            }
            assert!(Instant::now() < deadline, "still on {u}, expected {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Emulates a phone screen (CSS pixels, device pixel ratio 2, touch, mobile viewport rules).
    pub async fn phone_viewport(&self, width: u32, height: u32) {
        self.post(
            "/goog/cdp/execute",
            json!({
                "cmd": "Emulation.setDeviceMetricsOverride",
                "params": { "width": width, "height": height, "deviceScaleFactor": 2, "mobile": true }
            }),
        )
        .await;
    }

    /// A PNG of the viewport, written to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let b64 = self.get("/screenshot").await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().expect("base64 screenshot"))
            .expect("decode screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Messages Chromium logged to the console (CSP violations, script errors, failed loads).
    pub async fn console(&self) -> Vec<String> {
        match self
            .call(
                reqwest::Method::POST,
                "/se/log",
                Some(json!({ "type": "browser" })),
            )
            .await
        {
            Ok(v) => v
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|e| {
                            format!(
                                "{} {}",
                                e["level"].as_str().unwrap_or(""),
                                e["message"].as_str().unwrap_or("")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            Err(_) => vec![],
        }
    }

    pub async fn quit(&self) {
        let _ = self.call(reqwest::Method::DELETE, "", None).await;
    }

    /// Back to a fresh start between journeys: no device emulation, a desktop-sized window, a
    /// blank page and no cookies.
    pub async fn reset(&self) {
        let _ = self
            .call(
                reqwest::Method::POST,
                "/goog/cdp/execute",
                Some(json!({"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}})),
            )
            .await;
        // The browser's own user agent again (a journey may present itself as another app).
        let _ = self
            .call(
                reqwest::Method::POST,
                "/goog/cdp/execute",
                Some(json!({"cmd": "Network.setUserAgentOverride", "params": {"userAgent": ""}})),
            )
            .await;
        let _ = self
            .call(
                reqwest::Method::POST,
                "/window/rect",
                Some(json!({"width": 1280, "height": 900})),
            )
            .await;
        let _ = self
            .call(
                reqwest::Method::POST,
                "/goog/cdp/execute",
                Some(json!({"cmd": "Network.clearBrowserCookies", "params": {}})),
            )
            .await;
        let _ = self
            .call(
                reqwest::Method::POST,
                "/url",
                Some(json!({"url": "about:blank"})),
            )
            .await;
        // Reading the browser log empties it: a journey sees only its own messages.
        let _ = self.console().await;
    }
}

/// Signs a demo account in through the login form, on a browser without cookies, and waits until
/// the home page has opened.
pub async fn sign_in(wd: &WebDriver, base: &str, user: &str) {
    sign_in_to(wd, base, user, "/").await;
}

/// Signs a demo account in as [`sign_in`] does, asking the login page to go on to `next` (a path)
/// and waiting until it has.
pub async fn sign_in_to(wd: &WebDriver, base: &str, user: &str, next: &str) {
    let _ = wd.call(reqwest::Method::DELETE, "/cookie", None).await;
    if next == "/" {
        wd.goto(&format!("{base}/login")).await;
    } else {
        wd.goto(&format!("{base}/login?next={next}")).await;
    }
    let u = wd.find("#username").await;
    wd.send_keys(&u, user).await;
    let pw = wd.find("#password").await;
    wd.send_keys(&pw, fanzha::demo::DEMO_PASSWORD).await;
    let submit = wd.find("#login-submit").await;
    wd.click(&submit).await;
    wd.wait_url(next, |u| !u.contains("/login") && u.contains(next))
        .await;
}

// ---------------------------------------------------------------------------------------------
// One browser and one seeded demo per test process.
//
// Every browser journey of the run shares one chromedriver with one Chromium session and, for the
// journeys against `fanzha demo`, one seeded demo on this run's database. Journeys take turns (a
// lock held for the whole journey); each starts signed out, on a desktop-sized window, on a blank
// page. The processes live until the test process ends: a small watchdog kills their process
// groups (Chromium included) and removes their temp dirs when it is gone.

/// Everything a journey against the demo needs.
pub struct Rig {
    pub wd: WebDriver,
    pub base: String,
    pub db: DemoDb,
}

struct Shared {
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
    demo: Option<(String, DemoDb)>,
}

fn shared() -> &'static tokio::sync::Mutex<Option<Shared>> {
    static SHARED: std::sync::OnceLock<tokio::sync::Mutex<Option<Shared>>> =
        std::sync::OnceLock::new();
    SHARED.get_or_init(|| tokio::sync::Mutex::new(None))
}

/// Kills the process group `pgid` and removes `dirs` once this test process has exited.
fn reap_at_exit(pgid: u32, dirs: &[&Path]) {
    use std::os::unix::process::CommandExt;
    let me = std::process::id();
    let rm: String = dirs.iter().map(|d| format!(" '{}'", d.display())).collect();
    // Chromium may leave chromedriver's process group: its processes are also found by the
    // directories they were given (the profile), which are unique to this run.
    let pkill: String = dirs
        .iter()
        .map(|d| format!(" pkill -KILL -f -- '{}' 2>/dev/null;", d.display()))
        .collect();
    let script = format!(
        "while kill -0 {me} 2>/dev/null; do sleep 1; done; kill -KILL -- -{pgid} 2>/dev/null;{pkill} rm -rf{rm}"
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

/// The process's browser session, started on first use.
async fn ensure_browser(slot: &mut Option<Shared>, chromium: &Path, driver: &Path) -> String {
    if let Some(s) = slot {
        return s.session.clone();
    }
    let http = http_client();
    let profile = tempfile::tempdir().expect("profile dir").keep();
    let (driver_proc, driver_url) = start_chromedriver(driver, &http).await;
    reap_at_exit(driver_proc.pid(), &[&profile]);
    std::mem::forget(driver_proc);
    let wd = WebDriver::new_session(&http, &driver_url, chromium, &profile).await;
    *slot = Some(Shared {
        session: wd.session.clone(),
        demo: None,
    });
    wd.session
}

/// The process's seeded demo, started on first use: (base URL, its database).
async fn ensure_demo(s: &mut Shared) -> (String, DemoDb) {
    if let Some((base, db)) = &s.demo {
        return (base.clone(), db.clone());
    }
    let data = tempfile::tempdir().expect("data dir").keep();
    let db = DemoDb::fresh().await;
    let (app, base) = start_demo(&data, &db);
    reap_at_exit(app.pid(), &[&data]);
    std::mem::forget(app);
    s.demo = Some((base.clone(), db.clone()));
    (base, db)
}

/// A turn with the shared browser: held until dropped, so journeys never overlap.
pub struct Turn {
    _guard: tokio::sync::MutexGuard<'static, Option<Shared>>,
}

/// Takes the shared browser (starting it on first use) and returns it signed out, on a
/// desktop-sized window with no device emulation, on a blank page. `None` after saying why
/// browser journeys are skipped (a failure under `CI=true`).
pub async fn browser() -> Option<(Turn, WebDriver)> {
    let (chromium, driver) = browser_tools()?;
    let mut guard = shared().lock().await;
    let session = ensure_browser(&mut guard, &chromium, &driver).await;
    let wd = WebDriver {
        http: http_client(),
        session,
    };
    wd.reset().await;
    Some((Turn { _guard: guard }, wd))
}

/// Runs `body` against the shared demo; on failure saves a screenshot and the page source next to
/// the others.
pub async fn run<F>(name: &str, body: F)
where
    F: for<'a> FnOnce(&'a Rig) -> futures::future::BoxFuture<'a, ()>,
{
    let Some((chromium, driver)) = browser_tools() else {
        return;
    };
    let mut guard = shared().lock().await;
    let session = ensure_browser(&mut guard, &chromium, &driver).await;
    let (base, db) = ensure_demo(guard.as_mut().expect("browser started")).await;
    let rig = Rig {
        wd: WebDriver {
            http: http_client(),
            session,
        },
        base,
        db,
    };
    rig.wd.reset().await;
    let dir = target_dir().join("screenshots");
    for ext in ["png", "html"] {
        let _ = std::fs::remove_file(dir.join(format!("{name}-failure.{ext}")));
    }
    let result = AssertUnwindSafe(async {
        body(&rig).await;
        rig.db.check_seeded().await;
    })
    .catch_unwind()
    .await;
    if result.is_err() {
        rig.wd
            .screenshot(&dir.join(format!("{name}-failure.png")))
            .await;
        let _ = std::fs::write(
            dir.join(format!("{name}-failure.html")),
            rig.wd.source().await,
        );
        eprintln!(
            "browser test {name} failed at {}; screenshot and page source in {}",
            rig.wd.current_url().await,
            dir.display()
        );
    }
    drop(guard);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

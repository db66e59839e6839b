//! Two `fanzha serve` processes on one PostgreSQL: a brand police add through one process is used
//! by the other's risk check within 2 s; a model promoted through one serves in the other within
//! 2 s (its version in the answer), and a rollback too.
//!
//! Runs only when `FANZHA_TEST_DATABASE_URL` names a PostgreSQL database (SQLite is one process
//! by design); without it the test prints why it did nothing.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use fanzha::auth::model::Scope;
use fanzha::intel::learn::{self, TrainSpec};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A running `fanzha serve`; killed when dropped.
struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start(database_url: &str, data_dir: &std::path::Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fanzha"))
            .arg("serve")
            .env("FANZHA_DATABASE_URL", database_url)
            .env("FANZHA_LISTEN", "127.0.0.1:0")
            .env("FANZHA_DATA_DIR", data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start fanzha serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("fanzha listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("fanzha serve did not start listening");
        Serve { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

async fn risk(p: &Serve, token: &str, body: Value) -> Value {
    let r = client()
        .post(p.url("/api/v1/risk/check"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// Signs `user` in on `p` with a cookie-keeping client.
async fn login(p: &Serve, user: &str) -> reqwest::Client {
    let c = client();
    let page = c.get(p.url("/login")).send().await.unwrap();
    let csrf = form_csrf(&page.text().await.unwrap());
    let r = c
        .post(p.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", user),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    c
}

async fn post_form(
    p: &Serve,
    c: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> StatusCode {
    let html = c
        .get(p.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = meta_csrf(&html);
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    c.post(p.url(path))
        .form(&fields)
        .send()
        .await
        .unwrap()
        .status()
}

async fn within_two_seconds(what: &str, mut done: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{what}: not within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brand_and_model_changes_reach_the_other_process() {
    if pg_url().is_none() {
        eprintln!(
            "detect_processes: skipped (set FANZHA_TEST_DATABASE_URL to a PostgreSQL URL to run it)"
        );
        return;
    }
    let app = spawn_seeded().await;
    let url = app.process_database_url().expect("a PostgreSQL schema");
    let p1 = Serve::start(&url, app.dir.path());
    let p2 = Serve::start(&url, app.dir.path());
    let token = app.token("partner1", &[Scope::RiskCheck]).await;
    let police = login(&p1, "police1").await;

    // A brand added through p1 is used by p2.
    let sms = "【校园卡中心】您的一卡通将被冻结，请立即登录 campus-card-verify.xyz 解冻";
    let before = risk(&p2, &token, json!({"text": sms})).await;
    assert!(before.get("brand_mismatch").is_none(), "{before}");
    let s = post_form(
        &p1,
        &police,
        "/intel/brands",
        &[
            ("key", "campus_card"),
            ("name_zh", "校园一卡通中心"),
            ("sector", "payment"),
            ("aliases", "校园卡中心"),
            ("domains", "card.example-university.edu.cn"),
            ("enabled", "1"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let took = within_two_seconds("the brand in the other process", async || {
        risk(&p2, &token, json!({"text": sms})).await["brand_mismatch"]["brand_key"]
            == "campus_card"
    })
    .await;
    eprintln!("brand visible in the other process after {took:?}");

    // A model promoted through p1 serves in p2.
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
    let cand = learn::train_candidate(
        &app.state.db,
        &app.state.clock,
        &live.engine,
        &live.model_version,
        &TrainSpec {
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
    let s = post_form(
        &p1,
        &police,
        &format!("/intel/models/{}/promote", cand.id),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let took = within_two_seconds("the model in the other process", async || {
        risk(&p2, &token, json!({"text": "xqzv kkpl 3 zorblat"})).await["model_version"]
            == cand.version.as_str()
    })
    .await;
    eprintln!("model swapped in the other process after {took:?}");
    // The registry survived the swap there.
    assert_eq!(
        risk(&p2, &token, json!({"text": sms})).await["brand_mismatch"]["brand_key"],
        "campus_card"
    );
    // Rollback through p1: p2 is back on the built-in model.
    let s = post_form(&p1, &police, "/intel/models/rollback", &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    within_two_seconds("the rollback in the other process", async || {
        risk(&p2, &token, json!({"text": "xqzv kkpl 3 zorblat"})).await["model_version"]
            == learn::BUILTIN
    })
    .await;
}

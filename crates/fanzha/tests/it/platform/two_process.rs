//! Two `fanzha serve` processes on one PostgreSQL, as a province runs them behind a load balancer:
//! a burst of jobs is claimed exactly once, escalation deadlines fire exactly once, an indicator
//! added through one process is seen by the other's risk check within 2 s, a session made on one
//! is valid on the other and its logout is honoured there within 5 s, and the login limits hold
//! across both.
//!
//! Runs only when `FANZHA_TEST_DATABASE_URL` names a PostgreSQL database (SQLite is one process
//! by design); without it the test prints why it did nothing.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use fanzha::auth::model::Scope;
use fanzha::db::jobs::NewJob;
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
    /// Starts the binary cargo built for this test on a free port (it prints the address it got).
    fn start(database_url: &str, data_dir: &std::path::Path) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fanzha"))
            .arg("serve")
            .env("FANZHA_DATABASE_URL", database_url)
            .env("FANZHA_LISTEN", "127.0.0.1:0")
            .env("FANZHA_DATA_DIR", data_dir)
            // The test is the reverse proxy: it names the client address of each sign-in.
            .env("FANZHA_TRUSTED_PROXIES", "127.0.0.1")
            .env("FANZHA_LOGIN_MAX_FAILURES", "3")
            .env("FANZHA_LOGIN_ATTEMPTS_PER_IP", "4")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start fanzha serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Reads every line, so the process never blocks on a full pipe.
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

/// A client without a cookie jar: cookies are sent by hand, so an old session cookie can be
/// replayed after logout.
fn raw() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn cookie_of(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
}

/// Submits the login form of `p` from client address `from`; returns the status and the session
/// cookie when one was set.
async fn login(p: &Serve, from: &str, user: &str, pw: &str) -> (StatusCode, Option<String>) {
    let page = raw()
        .get(p.url("/login"))
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap();
    let pre = cookie_of(&page, "fz_csrf").expect("pre-login cookie");
    let csrf = form_csrf(&page.text().await.unwrap());
    let r = raw()
        .post(p.url("/login"))
        .header("x-forwarded-for", from)
        .header("cookie", pre)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", user),
            ("password", pw),
        ])
        .send()
        .await
        .unwrap();
    (r.status(), cookie_of(&r, "fz_session"))
}

async fn get(p: &Serve, cookie: &str, path: &str) -> (StatusCode, String) {
    let r = raw()
        .get(p.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn post_form(p: &Serve, cookie: &str, path: &str, form: &[(&str, &str)]) -> StatusCode {
    let (_, html) = get(p, cookie, "/account").await;
    let csrf = meta_csrf(&html);
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    raw()
        .post(p.url(path))
        .header("cookie", cookie)
        .form(&fields)
        .send()
        .await
        .unwrap()
        .status()
}

/// Waits until `done` holds, at most `limit`.
async fn wait_for<F, Fut>(limit: Duration, what: &str, mut done: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_processes_on_one_postgresql() {
    if pg_url().is_none() {
        eprintln!(
            "two_process: skipped (set FANZHA_TEST_DATABASE_URL to a PostgreSQL URL to run it)"
        );
        return;
    }
    let started = Instant::now();
    // The fixture is written in-process on a fresh schema; the two processes share it.
    let app = spawn_seeded().await;
    let url = app.process_database_url().expect("a PostgreSQL schema");
    let p1 = Serve::start(&url, app.dir.path());
    let p2 = Serve::start(&url, app.dir.path());
    eprintln!("two processes up after {:?}", started.elapsed());

    // Escalation deadlines: warnings issued at the fixture's clock (long ago) have every
    // deadline in the past; the processes' workers fire them all, each exactly once.
    let police = app
        .token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let mut warnings = Vec::new();
    for (i, phone) in ["13800001111", "13800001112", "13800001121", "13800001211"]
        .iter()
        .enumerate()
    {
        let r = client()
            .post(app.url("/api/v1/warnings"))
            .bearer_auth(&police)
            .header("Idempotency-Key", format!("two-process-{i}"))
            .json(
                &json!({"phone": phone, "fraud_type": "fake_loan", "severity": "high",
                          "detail": "正在与冒充网贷客服的人通话", "source": "96110"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.unwrap();
        warnings.push(v["id"].as_i64().expect("warning id"));
    }
    // A burst of jobs, each claimed by exactly one of the two workers.
    let first_job = app.scalar("SELECT COALESCE(MAX(id), 0) FROM jobs").await;
    for i in 0..300 {
        app.state
            .jobs
            .enqueue(NewJob::new(
                fanzha::warnings::service::TICK_JOB,
                json!({ "at": i }),
            ))
            .await
            .unwrap();
    }
    let took = wait_for(
        Duration::from_secs(30),
        "the burst of jobs done",
        || async {
            app.scalar(&format!(
                "SELECT COUNT(*) FROM jobs WHERE id > {first_job} AND status <> 'done'"
            ))
            .await
                == 0
        },
    )
    .await;
    eprintln!("300 jobs done by two workers in {took:?}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM jobs WHERE id > {first_job} AND attempts <> 1"
        ))
        .await,
        0,
        "a job was claimed more than once"
    );
    let ids = warnings
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    wait_for(
        Duration::from_secs(30),
        "every warning escalated to the police",
        || async {
            app.scalar(&format!(
                "SELECT COUNT(*) FROM warnings WHERE id IN ({ids}) AND level = 3"
            ))
            .await
                == warnings.len() as i64
        },
    )
    .await;
    // Let any duplicate firing show up before counting.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // One escalation event per level a warning passed (a level without anyone in the chain is
    // skipped, so not every warning has all three), never two for the same deadline.
    let fired = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM warning_events WHERE warning_id IN ({ids}) AND kind = 'escalated'"
        ))
        .await;
    let deadlines = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM (SELECT DISTINCT warning_id, level FROM warning_events \
             WHERE warning_id IN ({ids}) AND kind = 'escalated') d"
        ))
        .await;
    assert_eq!(fired, deadlines, "a deadline escalated twice");
    assert!(fired >= 2 * warnings.len() as i64, "{fired} escalations");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM jobs WHERE status = 'running'")
            .await,
        0
    );

    // A session made on P1 is valid on P2.
    let (s, cookie) = login(&p1, "198.51.100.1", "police1", PASSWORD).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let cookie = cookie.expect("session cookie");
    assert_eq!(get(&p2, &cookie, "/account").await.0, StatusCode::OK);

    // An indicator added on P1 is seen by P2's risk check within 2 s.
    let partner = app.token("partner1", &[Scope::RiskCheck]).await;
    let level_on_p2 = || async {
        let v: Value = raw()
            .post(p2.url("/api/v1/risk/check"))
            .bearer_auth(&partner)
            .json(&json!({"kind": "phone", "value": "17088886666"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["level"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(level_on_p2().await, "none");
    let s = post_form(
        &p1,
        &cookie,
        "/intel/new",
        &[
            ("kind", "phone"),
            ("value", "17088886666"),
            ("status", "confirmed"),
            ("tlp", "green"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let took = wait_for(Duration::from_secs(2), "indicator seen by P2", || async {
        level_on_p2().await == "high"
    })
    .await;
    eprintln!("indicator visible on P2 after {took:?}");

    // Logout on P1; P2, asked steadily with the old cookie, refuses it within 5 s.
    assert_eq!(get(&p2, &cookie, "/account").await.0, StatusCode::OK);
    assert_eq!(
        post_form(&p1, &cookie, "/logout", &[]).await,
        StatusCode::SEE_OTHER
    );
    let logged_out = Instant::now();
    assert_eq!(get(&p1, &cookie, "/account").await.0, StatusCode::SEE_OTHER);
    let took = wait_for(
        Duration::from_millis(5_500),
        "logout honoured by P2",
        || async { get(&p2, &cookie, "/account").await.0 == StatusCode::SEE_OTHER },
    )
    .await;
    eprintln!(
        "logout honoured by P2 after {:?}",
        logged_out.elapsed().max(took)
    );

    // Login limits hold across both: 3 failures of one (username, address) spread over the two
    // processes lock it on both; the owner from another address still signs in.
    let guesser = "198.51.100.66";
    for p in [&p1, &p2, &p1] {
        assert_eq!(
            login(p, guesser, "counselor1", "wrong-password").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&p2, guesser, "counselor1", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED,
        "the lock made on the other process is ignored"
    );
    assert_eq!(
        login(&p1, "198.51.100.67", "counselor1", PASSWORD).await.0,
        StatusCode::SEE_OTHER
    );
    // The per-address window (4 attempts) counts attempts on both processes.
    let noisy = "198.51.100.99";
    for p in [&p1, &p2, &p1, &p2] {
        assert_eq!(
            login(p, noisy, "nobody", "wrong-password").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    for p in [&p1, &p2] {
        assert_eq!(
            login(p, noisy, "counselor1", PASSWORD).await.0,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    eprintln!("two_process: done in {:?}", started.elapsed());
}

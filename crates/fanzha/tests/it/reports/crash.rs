//! Reliability: reports submitted in a burst with retries while the server process is killed with
//! SIGKILL and restarted. Every report that was acknowledged exists exactly once afterwards, with
//! the id that was acknowledged. The test proves that it crashed something: each kill waits for
//! requests in flight (and for a share of the burst to be acknowledged, so the kills fall inside
//! it), counts them, and at least one request must die with the process; every key whose request
//! died is sent again after the last restart and must be answered as a replay with the same
//! record. Bounded: 48 reports, 4 submitters, 3 kills, 90 s at most.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use fanzha::auth::model::Scope;
use fanzha::clock::Clock;
use fanzha::config::Config;
use fanzha::db::{Db, DbOptions};
use fanzha::web::App;
use serde_json::{json, Value};

const REPORTS: usize = 48;
const SUBMITTERS: usize = 4;
const KILLS: usize = 3;

struct Server {
    child: Option<Child>,
    port: u16,
    dir: std::path::PathBuf,
    url: Option<String>,
}

impl Server {
    fn start(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fanzha"));
        cmd.arg("serve")
            .env("FANZHA_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("FANZHA_DATA_DIR", &self.dir)
            .env("FANZHA_LOG_FORMAT", "text")
            .env_remove("FANZHA_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(u) = &self.url {
            cmd.env("FANZHA_DATABASE_URL", u);
        }
        self.child = Some(cmd.spawn().expect("start fanzha serve"));
    }
    /// SIGKILL: no graceful shutdown, in-flight requests die with the process.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not become ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_reports_survive_sigkill_exactly_once() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    // The database: SQLite in the data dir, or a fresh schema on the test PostgreSQL that the
    // server process reaches through `options[search_path]`.
    let (db, server_url, schema) = match pg_url() {
        Some(url) => {
            let schema = format!("t_crash_{}", uuid::Uuid::new_v4().simple());
            let admin = Db::connect(&DbOptions {
                url: url.clone(),
                schema: None,
                max_connections: 1,
            })
            .await
            .unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin.pool)
                .await
                .unwrap();
            admin.pool.close().await;
            let db = Db::connect(&DbOptions {
                url: url.clone(),
                schema: Some(schema.clone()),
                max_connections: 4,
            })
            .await
            .unwrap();
            let sep = if url.contains('?') { '&' } else { '?' };
            (
                db,
                Some(format!("{url}{sep}options[search_path]={schema}")),
                Some((url, schema)),
            )
        }
        None => (
            Db::connect(&DbOptions::sqlite_in(dir.path()))
                .await
                .unwrap(),
            None,
            None,
        ),
    };
    db.migrate().await.unwrap();
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let app = App::new(config, db.clone(), Clock::system());
    let fx = seed_fixture(&app.state).await;
    let account = fx.account("student1");
    let token = fanzha::auth::service::create_token(
        &db,
        &Clock::system(),
        account,
        "crash",
        &[Scope::ReportsWrite, Scope::ReportsRead],
        None,
    )
    .await
    .unwrap()
    .token;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Arc::new(Mutex::new(Server {
        child: None,
        port,
        dir: dir.path().to_path_buf(),
        url: server_url,
    }));
    server.lock().unwrap().start();
    wait_ready(port).await;

    let acked: Arc<Mutex<BTreeMap<String, i64>>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));
    // Requests sent and not yet answered, and the number of kills so far (a request that fails
    // while a kill happened during it died with the process).
    let in_flight = Arc::new(AtomicUsize::new(0));
    let kills = Arc::new(AtomicUsize::new(0));
    let interrupted: Arc<Mutex<Vec<String>>> = Arc::default();
    let replays_in_burst = Arc::new(AtomicUsize::new(0));
    let body_of = |i: usize| {
        let now = fanzha::clock::system_now_ms();
        json!({
            "idempotency_key": format!("crash-{i}"),
            "call": {"number": format!("1700000{:04}", i), "time": now - 60_000},
            "lost_money": i.is_multiple_of(4),
            "transaction": {"payment_type": "alipay", "account": format!("1391234{:04}", i), "amount_cents": 10_000 + i as i64, "time": now - 30_000},
            "description": "冲刺测试"
        })
    };
    let mut tasks = Vec::new();
    for _ in 0..SUBMITTERS {
        let (acked, next, token) = (acked.clone(), next.clone(), token.clone());
        let (in_flight, kills, interrupted) =
            (in_flight.clone(), kills.clone(), interrupted.clone());
        let replays = replays_in_burst.clone();
        tasks.push(tokio::spawn(async move {
            let c = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= REPORTS {
                    return;
                }
                let key = format!("crash-{i}");
                let body = body_of(i);
                // Retry the same key until acknowledged (the server may be dead or restarting).
                loop {
                    let kills_before = kills.load(Ordering::SeqCst);
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let r = c
                        .post(format!("http://127.0.0.1:{port}/api/v1/reports"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    let answer = match r {
                        Ok(r) if r.status().is_success() => r.json::<Value>().await.ok(),
                        _ => None,
                    };
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    match answer {
                        Some(v) => {
                            let id = v["report_id"].as_i64().expect("report id");
                            if v["replayed"] == true {
                                replays.fetch_add(1, Ordering::SeqCst);
                            }
                            let mut a = acked.lock().unwrap();
                            if let Some(prev) = a.insert(key.clone(), id) {
                                assert_eq!(prev, id, "a retry of {key} answered another report");
                            }
                            break;
                        }
                        None if kills.load(Ordering::SeqCst) != kills_before => {
                            interrupted.lock().unwrap().push(key.clone());
                        }
                        None => {}
                    }
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
            }
        }));
    }
    // The killer: once a share of the burst is acknowledged and requests are in flight, SIGKILL
    // the server and restart it. No blind wait: a kill with nothing in flight proves nothing.
    let mut in_flight_at_kill = Vec::new();
    for k in 0..KILLS {
        let share = (k + 1) * REPORTS / (KILLS + 2);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if acked.lock().unwrap().len() >= share && in_flight.load(Ordering::SeqCst) > 0 {
                break;
            }
            assert!(Instant::now() < deadline, "kill {k}: the burst stalled");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        {
            let mut s = server.lock().unwrap();
            in_flight_at_kill.push(in_flight.load(Ordering::SeqCst));
            kills.fetch_add(1, Ordering::SeqCst);
            s.kill();
            s.start();
        }
        wait_ready(port).await;
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(90), t)
            .await
            .expect("submitters finished in time")
            .unwrap();
    }
    let interrupted = interrupted.lock().unwrap().clone();
    eprintln!(
        "requests in flight at each kill: {in_flight_at_kill:?}; interrupted: {}; replayed in the burst: {}",
        interrupted.len(),
        replays_in_burst.load(Ordering::SeqCst)
    );
    assert_eq!(in_flight_at_kill.len(), KILLS);
    assert!(
        in_flight_at_kill.iter().all(|n| *n > 0),
        "every kill had requests in flight: {in_flight_at_kill:?}"
    );
    assert!(
        !interrupted.is_empty(),
        "no request died with the server: the test crashed nothing"
    );
    // Every key whose request died, sent again to the restarted server: a replay of the same
    // record, never a second report.
    let c = reqwest::Client::new();
    let acked_now = acked.lock().unwrap().clone();
    let mut keys = interrupted.clone();
    keys.sort();
    keys.dedup();
    for key in &keys {
        let i: usize = key.trim_start_matches("crash-").parse().unwrap();
        let r = c
            .post(format!("http://127.0.0.1:{port}/api/v1/reports"))
            .bearer_auth(&token)
            .json(&body_of(i))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            reqwest::StatusCode::OK,
            "{key}: a replay answers 200"
        );
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["replayed"], true, "{key}: {v}");
        assert_eq!(
            v["report_id"].as_i64(),
            acked_now.get(key).copied(),
            "{key}: the replay answers the acknowledged record"
        );
    }
    server.lock().unwrap().kill();
    assert!(started.elapsed() < Duration::from_secs(120));

    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), REPORTS);
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT idempotency_key, id FROM reports ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), REPORTS, "exactly one report per key");
    for (key, id) in rows {
        assert_eq!(
            acked.get(&key),
            Some(&id),
            "{key}: the acknowledged report is the stored one"
        );
    }
    // Every stored report is whole: its indicators and, for a loss, its stop-payment request.
    let losses: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stop_payments")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(losses as usize, REPORTS.div_ceil(4));
    let bare: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports r WHERE NOT EXISTS (SELECT 1 FROM report_indicators i WHERE i.report_id = r.id)")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(bare, 0);
    db.pool.close().await;
    if let Some((url, schema)) = schema {
        let admin = Db::connect(&DbOptions {
            url,
            schema: None,
            max_connections: 1,
        })
        .await
        .unwrap();
        let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin.pool)
            .await;
    }
}

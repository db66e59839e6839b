//! `fanzha bench reports`: files N reports from C concurrent submitters against a fresh database
//! the way the API does (validation with indicator extraction by fanzha-detect on the submitter's
//! task, then the process's report writer: group commit of the reports arriving together, set-based
//! sightings in the indicator store, each submitter answered after its batch committed; every
//! tenth a loss with its stop-payment request and escalation job), and reports throughput and
//! latency percentiles.

use crate::kernel::ids::AccountId;
use std::sync::Arc;
use std::time::Instant;

use super::model::{self, CallSection, ReportInput, Sections, SmsSection, TransactionSection};
use super::service::{Deadlines, Reporter};
use super::writer::{Settings, Submission, Writer};
use crate::audit::Actor;
use crate::clock::Clock;
use crate::db::Db;

/// Report `i` of the run: a call, an SMS with text to analyse, every tenth a loss.
pub fn generated(i: usize, now: i64) -> ReportInput {
    let phone = format!("170{:08}", i % 50_000);
    let card = luhn_card(i % 20_000);
    ReportInput {
        idempotency_key: format!("bench-{i}"),
        sections: Sections {
            call: Some(CallSection {
                number: phone.clone(),
                time: Some(now - 600_000),
                duration_seconds: Some(120),
            }),
            sms: Some(SmsSection {
                sender: "10690000".into(),
                content: format!(
                    "您的快递丢失可办理理赔，请添加客服QQ {} 并访问 http://kd-pay{}.top/claim",
                    100_000 + i % 7_000,
                    i % 300
                ),
                time: Some(now - 900_000),
            }),
            transaction: i.is_multiple_of(10).then(|| TransactionSection {
                payment_type: "bank_card".into(),
                account: card,
                bank: "工商银行".into(),
                amount_cents: Some(150_000),
                time: Some(now - 300_000),
            }),
            ..Default::default()
        },
        description: "对方自称快递客服，说包裹丢失要理赔，让我下载会议软件共享屏幕。".into(),
        fraud_type: None,
        lost_money: i.is_multiple_of(10),
        risk_check_id: None,
    }
}

/// A valid 19-digit card number for `n`.
fn luhn_card(n: usize) -> String {
    let body = format!("622202{:012}", n);
    let digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    let mut sum = 0;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut d = *d;
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// Runs the benchmark and prints its figures.
pub async fn run(db: &Db, reports: usize, concurrency: usize) -> anyhow::Result<()> {
    let clock = Clock::system();
    let engine = Arc::new(fanzha_detect::Engine::builtin());
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writer = Writer::new(db.clone(), clock.clone(), Settings::default());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (writer, clock, engine, next) =
            (writer.clone(), clock.clone(), engine.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let actor = Actor::cli("bench reports");
            let reporter = Reporter {
                account_id: AccountId(1),
                student_id: None,
                school_id: None,
                class_id: None,
                unit_path: "/1/".into(),
            };
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= reports {
                    break;
                }
                let t = Instant::now();
                let input = generated(i, clock.now_ms());
                let v = model::validate(&input, clock.now_ms(), Some(&engine))
                    .map_err(|e| anyhow::anyhow!("invalid generated report: {e:?}"))?;
                // The same path as the API's `file_report`: validated here, written by the
                // process's writer in a group commit, answered after the commit.
                writer
                    .submit(Submission {
                        actor: actor.clone(),
                        reporter: reporter.clone(),
                        idempotency_key: input.idempotency_key.clone(),
                        valid: v,
                        deadlines: Deadlines::default(),
                    })
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<Vec<f64>, anyhow::Error>(lat)
        }));
    }
    let mut lat = Vec::with_capacity(reports);
    for t in tasks {
        lat.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let indicators = super::store::indicator_links(db).await?;
    println!("backend: {}", db.backend.name());
    println!(
        "reports: {} (concurrency {concurrency}), indicators stored: {indicators}",
        lat.len()
    );
    println!(
        "throughput: {:.0} reports/s over {:.2} s",
        lat.len() as f64 / secs,
        secs
    );
    println!(
        "latency ms: p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
        pct(0.50),
        pct(0.95),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}

/// `fanzha bench reports`: a fresh database (a new schema on the configured PostgreSQL, else
/// SQLite in a temporary directory, both dropped afterwards), then [`run`].
pub async fn bench(
    cfg: &crate::config::Config,
    reports: usize,
    concurrency: usize,
) -> anyhow::Result<()> {
    let scratch = crate::db::scratch(cfg, "reports").await?;
    let r = run(&scratch.db, reports, concurrency).await;
    scratch.remove().await?;
    r
}

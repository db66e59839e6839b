//! `fanzha bench warnings`: a batch of 10,000 warnings matched, routed and scheduled, then the
//! escalation scan over 100,000 open warnings (a tick with nothing due, and a tick with 1,000
//! missed deadlines), on a fresh database seeded with the school-scale demo.

use std::time::Instant;

use anyhow::{anyhow, bail};

use super::service::{self, Issuer};
use super::store;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;

/// Runs the benchmark on `db` (fresh) and returns the printed figures.
pub async fn run(db: &Db, batch: usize, open: usize) -> anyhow::Result<String> {
    let clock = Clock::manual(crate::clock::system_now_ms());
    let seeded = crate::demo::seed(db, &clock, crate::demo::Scale::School).await?;
    if !seeded.created {
        bail!("the database is not empty; the benchmark needs a fresh one");
    }
    let backend = db.backend.name();
    let phones = crate::org::store::demo::student_phones(db).await?;
    if phones.is_empty() {
        bail!("the demo has no student phones");
    }
    let Some((police_id, police_unit)) =
        crate::auth::store::demo::first_holder_of(db, "police").await?
    else {
        bail!("the demo has no police account");
    };
    let Some(police_unit) = crate::org::store::unit_by_id(db, police_unit).await? else {
        bail!("the police account's unit is missing");
    };
    let police = (police_id, police_unit.path);
    let issuer = Issuer {
        account_id: Some(police.0),
        name: "bench".into(),
        kind: "police",
        scopes: vec!["/".into()],
        home_path: police.1,
    };
    // 1. The batch: CSV text → parsed → matched by phone → routed → deadline jobs queued.
    let mut csv = String::from("手机号,诈骗类型,级别,情况,来源\n");
    for i in 0..batch {
        let sev = ["high", "medium", "low"][i % 3];
        csv.push_str(&format!(
            "{},fake_loan,{sev},正在与冒充网贷客服的人通话,96110\n",
            phones[i % phones.len()]
        ));
    }
    let t = Instant::now();
    let items = service::parse_csv(csv.as_bytes()).map_err(|e| anyhow!("batch refused: {e:?}"))?;
    let ws = service::issue_batch(db, &clock, &issuer, items)
        .await
        .map_err(|e| anyhow!("batch failed: {e:?}"))?;
    let batch_s = t.elapsed().as_secs_f64();
    let routed = ws
        .iter()
        .filter(|w| w.status == super::model::Status::Open)
        .count();
    // 2. Fill up to `open` open warnings (bulk insert; their deadlines lie ahead), with 1,000 of
    //    them overdue by a minute.
    let now = clock.now_ms();
    let template = store::bench::open_template(db).await?;
    let extra = open.saturating_sub(ws.len());
    store::bench::insert_open(db, police.0, &template, now, extra, 1_000.min(extra)).await?;
    let open_now = store::bench::count_scheduled(db).await?;
    // 3. A tick with 1,000 missed deadlines, then a tick with nothing due, each over all open ones.
    let t = Instant::now();
    let escalated = service::scan(db, &clock)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let busy_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let none = service::scan(db, &clock)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    let idle_s = t.elapsed().as_secs_f64();
    Ok(format!(
        "bench warnings ({backend}): batch of {batch} matched/routed/scheduled in {batch_s:.2} s \
         ({routed} routed, {:.0} warnings/s)\n\
         bench warnings ({backend}): escalation tick over {open_now} open warnings: {escalated} missed \
         deadlines escalated in {busy_s:.3} s; idle tick ({none} due) in {:.1} ms",
        batch as f64 / batch_s,
        idle_s * 1000.0
    ))
}

/// Entry of `fanzha bench warnings`: a fresh temporary SQLite database unless a database URL is
/// configured (then that database must be empty).
pub async fn bench(cfg: &Config, batch: usize, open: usize) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("fanzha-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&tmp)?;
    let mut cfg = cfg.clone();
    if cfg.database_url.is_none() {
        cfg.data_dir = tmp.clone();
    }
    let db = crate::cli::open_db(&cfg).await?;
    let out = run(&db, batch, open).await;
    let _ = std::fs::remove_dir_all(&tmp);
    println!("{}", out?);
    Ok(())
}

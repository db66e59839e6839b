//! `fanzha bench contests`: the two figures on a fresh database seeded with the
//! school-scale demo. (1) Every activated student account (about 10,000) casts a ballot through
//! the service, as the vote button does, from C concurrent submitters, and each also tries a
//! second one at once: latency percentiles, throughput, and that exactly one ballot per person was
//! counted. (2) A ballot log of N ballots (default 1,000,000) is exported and its tally recomputed
//! from the text alone, as `fanzha contests verify` does.

use crate::kernel::ids::AccountId;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, bail};

use super::model::{
    genesis_hash, BallotLine, Category, Criterion, MediaKind, Phases, Rules, TieBreak, UnitRef,
    VotePeriod,
};
use super::writer::Writers;
use super::{service, store, verify};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;

const HOUR: i64 = 3_600_000;

fn rules(now: i64, schools: Vec<UnitRef>) -> Rules {
    Rules {
        categories: vec![Category::ShortVideo],
        phases: Phases {
            entries_open: now - 30 * 24 * HOUR,
            entries_close: now - 10 * 24 * HOUR,
            voting_open: now - HOUR,
            voting_close: now + 24 * HOUR,
            judging_open: now - HOUR,
            judging_close: now + 48 * HOUR,
        },
        time_zone: "Asia/Shanghai".into(),
        entrant_units: schools.clone(),
        team_min: 1,
        team_max: 5,
        media: vec![MediaKind::VideoLink],
        max_image_bytes: 1024 * 1024,
        voter_units: schools,
        votes_per_person: 1,
        vote_period: VotePeriod::Contest,
        weight_public: 50,
        weight_judges: 50,
        criteria: vec![Criterion {
            name: "主题".into(),
            weight: 100,
        }],
        tie_break: vec![TieBreak::Judges, TieBreak::Public, TieBreak::Earliest],
        allow_withdraw: false,
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

/// Runs both parts on `db` (fresh) and returns the printed figures.
pub async fn run(db: &Db, voters: usize, concurrency: usize, log: usize) -> anyhow::Result<String> {
    let clock = Clock::system();
    let seeded = crate::demo::seed(db, &clock, crate::demo::Scale::School).await?;
    if !seeded.created {
        bail!("the database is not empty; the benchmark needs a fresh one");
    }
    let writers = Writers::new(db.clone(), clock.clone());
    let now = clock.now_ms();
    let mut conn = db.pool.acquire().await?;
    let schools = store::demo_schools(&mut conn, 3).await?;
    let refs: Vec<UnitRef> = schools
        .iter()
        .map(|(_, code, name, path)| UnitRef {
            code: code.clone(),
            name: name.clone(),
            path: path.clone(),
        })
        .collect();
    let r = rules(now, refs);
    let mut accounts = Vec::new();
    for (school_id, ..) in &schools {
        accounts.extend(store::demo_students(&mut conn, *school_id, 1_000_000).await?);
    }
    drop(conn);
    accounts.truncate(voters);
    if accounts.is_empty() {
        bail!("the demo has no student accounts");
    }
    // The contest and 20 accepted entries, written directly (their forms are not measured).
    let mut tx = db.begin_write().await?;
    let (school_id, _, _, school_path) = schools[0].clone();
    let cid = store::insert_contest(
        &mut tx,
        &store::NewContest {
            unit_id: school_id,
            unit_path: &school_path,
            title: "bench",
            description: "",
            rules_json: &r.canonical(),
            rules_hash: &r.hash(),
            vote_key: &"ab".repeat(32),
            created_by: AccountId(0),
        },
        now,
    )
    .await?;
    store::set_head(&mut tx, cid, &genesis_hash(cid, &r.hash())).await?;
    let mut entries = Vec::new();
    for k in 0..20 {
        let id = store::insert_entry(
            &mut tx,
            cid,
            accounts[0].0,
            school_id,
            &school_path,
            &store::EntryRow {
                category: Category::ShortVideo,
                title: &format!("作品 {k}"),
                description: "",
                members: &[],
                show_names: false,
                media_kind: MediaKind::VideoLink,
                video_url: "https://v.example.cn/x",
                licence: super::model::Licence::CcBy,
                advisors: &[],
            },
            now,
        )
        .await?;
        store::set_entry_status(
            &mut tx,
            id,
            super::model::EntryStatus::Submitted,
            super::model::EntryStatus::Accepted,
            "",
            now,
        )
        .await?;
        entries.push(id);
    }
    tx.commit().await?;
    let mut principals = Vec::with_capacity(accounts.len());
    for (acc, ..) in &accounts {
        if let Some(p) = crate::auth::service::principal_for_account(db, *acc)
            .await
            .map_err(|e| anyhow!("{e}"))?
        {
            principals.push(p);
        }
    }
    let principals = Arc::new(principals);
    let entries = Arc::new(entries);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (db, clock, writers, principals, entries, next) = (
            db.clone(),
            clock.clone(),
            writers.clone(),
            principals.clone(),
            entries.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut ok, mut refused) = (0usize, 0usize);
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= principals.len() {
                    break;
                }
                let p = &principals[i];
                // The vote and a second try at once (a double tap, another tab).
                let a = entries[i % entries.len()];
                let b = entries[(i * 7 + 3) % entries.len()];
                let t = Instant::now();
                let (x, y) = tokio::join!(
                    service::vote(&db, &clock, &writers, p, cid, a),
                    service::vote(&db, &clock, &writers, p, cid, b)
                );
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                for r in [x, y] {
                    match r {
                        Ok(_) => ok += 1,
                        Err(service::ContestError::State(_)) => refused += 1,
                        Err(e) => return Err(anyhow!("vote failed: {e}")),
                    }
                }
                lat.push(ms);
            }
            Ok::<_, anyhow::Error>((lat, ok, refused))
        }));
    }
    let (mut lat, mut ok, mut refused) = (Vec::new(), 0, 0);
    for t in tasks {
        let (l, o, r) = t.await??;
        lat.extend(l);
        ok += o;
        refused += r;
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.total_cmp(b));
    let mut conn = db.pool.acquire().await?;
    let distinct = store::tally(&mut conn, cid).await?.voters;
    let logged = store::ballot_count(&mut conn, cid).await?;
    drop(conn);
    let mut out = format!("backend: {}\n", db.backend.name());
    out.push_str(&format!(
        "voting: {} people, each a vote and a second try at once, {} concurrent submitters\n",
        principals.len(),
        concurrency
    ));
    out.push_str(&format!(
        "  {:.2} s ({:.0} people/s); per person (both tries) ms: p50 {:.1}  p99 {:.1}  max {:.1}\n",
        secs,
        principals.len() as f64 / secs,
        pct(&lat, 0.50),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    ));
    out.push_str(&format!(
        "  accepted {ok}, refused {refused}; logged {logged} ballots from {distinct} voters: {}\n",
        if logged as usize == principals.len() && distinct as usize == principals.len() {
            "exactly one per person"
        } else {
            "NOT one per person"
        }
    ));
    if logged as usize != principals.len() || distinct as usize != principals.len() {
        bail!("{out}");
    }
    // (2) A log of `log` ballots, exported as the server does into a file, then recomputed
    // from the file alone as `fanzha contests verify FILE` does (read line by line).
    let t = Instant::now();
    let text = synthetic_export(log, now);
    let file = std::env::temp_dir().join(format!(
        "fanzha-bench-log-{}.jsonl",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&file, &text)?;
    let size = text.len();
    drop(text);
    let gen_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let v = verify::verify_file(&file);
    let verify_s = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&file);
    let v = v.map_err(|e| anyhow!("verify: {e}"))?;
    out.push_str(&format!(
        "tally: {} ballots ({} MB of export, written in {:.2} s) read from the file, recomputed and checked in {:.2} s\n",
        v.ballots,
        size / 1_000_000,
        gen_s,
        verify_s
    ));
    Ok(out)
}

/// An export of `n` ballots by `n` voters over 50 entries, chained as the server chains them.
pub fn synthetic_export(n: usize, now: i64) -> String {
    let schools = vec![UnitRef {
        code: "S".into(),
        name: "S".into(),
        path: "/1/".into(),
    }];
    let r = rules(now, schools);
    let contest = 1;
    let mut out: Vec<u8> = Vec::with_capacity(n * 340 + 4096);
    let entries: Vec<serde_json::Value> = (1..=50)
        .map(|e| serde_json::json!({"id": e, "category": "short_video", "title": format!("作品 {e}")}))
        .collect();
    out.extend_from_slice(
        serde_json::json!({"kind": "header", "contest": contest, "title": "bench",
            "rules": r.canonical(), "rules_hash": r.hash(), "entries": entries})
        .to_string()
        .as_bytes(),
    );
    out.push(b'\n');
    let mut prev = genesis_hash(contest, &r.hash());
    let mut tally: std::collections::BTreeMap<String, i64> = Default::default();
    for i in 0..n {
        let entry = (i % 50) as i64 + 1;
        let mut b = BallotLine {
            seq: i as i64 + 1,
            voter: format!("{:064x}", i),
            entry,
            category: "short_video".into(),
            cast_at: r.phases.voting_open + i as i64,
            prev: prev.clone(),
            hash: String::new(),
            withdraw: false,
        };
        b.hash = b.expected_hash(contest);
        b.write_export_line(&mut out);
        *tally.entry(entry.to_string()).or_default() += 1;
        prev = b.hash;
    }
    out.extend_from_slice(
        serde_json::json!({"kind": "tally", "ballots": n, "head": prev, "votes": tally})
            .to_string()
            .as_bytes(),
    );
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}

/// `fanzha bench contests`: a fresh database (SQLite in a temporary directory, or the configured
/// PostgreSQL), then [`run`].
pub async fn bench(
    cfg: &Config,
    voters: usize,
    concurrency: usize,
    log: usize,
) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("fanzha-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&tmp)?;
    let mut cfg = cfg.clone();
    if cfg.database_url.is_none() {
        cfg.data_dir = tmp.clone();
    }
    let db = crate::cli::open_db(&cfg).await?;
    let out = run(&db, voters, concurrency, log).await;
    let _ = std::fs::remove_dir_all(&tmp);
    println!("{}", out?);
    Ok(())
}

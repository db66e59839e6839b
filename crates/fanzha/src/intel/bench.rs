//! `fanzha bench intel`: fills the indicator table with N generated indicators (one bulk INSERT …
//! SELECT per backend), loads them into a fresh index the way a process does at start, and
//! measures load time, resident memory and lookup latency.

use std::time::Instant;

use crate::clock::Clock;
use crate::db::Db;

use super::model::Kind;
use super::{store, Intel};

/// The value of generated indicator `i`: phones, QQ numbers and domains in turn.
fn generated(i: i64) -> (&'static str, String) {
    match i % 3 {
        0 => ("phone", format!("13{:09}", i / 3)),
        1 => ("qq", format!("{}", 10_000 + i / 3)),
        _ => ("domain", format!("d{}.example.cn", i / 3)),
    }
}

/// Resident and peak memory of this process, bytes (Linux; 0 elsewhere).
pub fn rss() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Makes sure the table holds at least `n` indicators; returns how long the filling took.
async fn fill(db: &Db, n: i64) -> anyhow::Result<f64> {
    let have = store::bench::count(db).await?;
    if have >= n {
        return Ok(0.0);
    }
    let started = Instant::now();
    // In chunks, so SQLite's journal stays small and progress shows.
    let chunk = 1_000_000;
    let mut from = have;
    while from < n {
        let to = (from + chunk).min(n);
        store::bench::insert_generated(db, from, to).await?;
        eprintln!("  {to} indicators");
        from = to;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Runs the benchmark and prints the figures.
pub async fn run(db: &Db, n: i64, lookups: usize) -> anyhow::Result<()> {
    let clock = Clock::system();
    eprintln!("filling {n} indicators ({})…", db.backend.name());
    let fill_s = fill(db, n).await?;
    let (rss0, _) = rss();
    let intel = Intel::new(1, 1);
    let started = Instant::now();
    let loaded = intel.load(db).await?;
    let load_s = started.elapsed().as_secs_f64();
    let (rss1, peak) = rss();
    intel.refresh(db, &clock).await?;

    // Lookup latency: batches of 100 lookups of existing keys (and misses), timed per batch.
    let kinds: Vec<(Kind, String)> = (0..100_000)
        .map(|j| {
            let i = (j as i64 * 7919) % n.max(1);
            let (k, v) = generated(i);
            (
                k.parse()
                    .unwrap_or_else(|_| Kind::all().next().expect("kinds")),
                v,
            )
        })
        .collect();
    let mut per_lookup_ns = Vec::with_capacity(lookups / 100 + 1);
    let mut found = 0usize;
    let batches = (lookups / 100).max(1);
    for b in 0..batches {
        let base = (b * 100) % (kinds.len() - 100);
        let t = Instant::now();
        for (k, v) in &kinds[base..base + 100] {
            if intel.index.get(*k, v).is_some() {
                found += 1;
            }
        }
        per_lookup_ns.push(t.elapsed().as_nanos() as f64 / 100.0);
    }
    per_lookup_ns.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| per_lookup_ns[((per_lookup_ns.len() - 1) as f64 * p) as usize];
    let miss_t = Instant::now();
    let mut misses = 0;
    for j in 0..100_000 {
        if intel
            .index
            .get("phone".parse().expect("kind"), &format!("19{:09}", j))
            .is_none()
        {
            misses += 1;
        }
    }
    let miss_ns = miss_t.elapsed().as_nanos() as f64 / 100_000.0;
    println!("indicators in index:   {loaded}");
    println!("fill (bulk insert):    {fill_s:.1} s");
    println!("load from database:    {load_s:.1} s");
    println!(
        "resident memory:       {:.0} MB after load ({:.0} MB before, index ≈ {:.0} MB; peak {:.0} MB)",
        rss1 as f64 / 1e6,
        rss0 as f64 / 1e6,
        (rss1.saturating_sub(rss0)) as f64 / 1e6,
        peak as f64 / 1e6
    );
    println!(
        "lookup (hit):          median {:.0} ns, p99 {:.0} ns ({} of {} found)",
        q(0.5),
        q(0.99),
        found,
        batches * 100
    );
    println!("lookup (miss, incl. formatting the key): mean {miss_ns:.0} ns ({misses} misses)");
    Ok(())
}

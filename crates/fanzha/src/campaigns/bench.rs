//! `fanzha bench campaigns`: a campaign to every student of a seeded demo (1,000,000 at
//! `--scale province`): audience selection and in-app deliveries written, the reach tree of the
//! whole province, and the peak memory of the fan-out.

use std::time::Instant;

use anyhow::{anyhow, bail};

use super::model::AudienceSpec;
use super::service::{self as svc, NewCampaign, NewContent};
use super::store;
use crate::audit::Actor;
use crate::auth::model::{Principal, Via};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::jobs::Job;
use crate::demo::{seed, Scale};

/// Peak resident memory of this process in MiB since the last reset (Linux; 0 elsewhere).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Resets the peak so the figure covers only what follows (Linux ≥ 4.0).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub async fn run(scale: &str, cfg: &Config) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("fanzha-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&tmp)?;
    let mut cfg = cfg.clone();
    if cfg.database_url.is_none() {
        cfg.data_dir = tmp.clone();
    }
    let db = crate::cli::open_db(&cfg).await?;
    let clock = Clock::system();
    let backend = db.backend.name();
    let sc = Scale::parse(scale).ok_or_else(|| anyhow!("--scale must be school or province"))?;
    let seeded = seed(&db, &clock, sc).await?;
    if !seeded.created {
        bail!("the database is not empty; the benchmark needs a fresh one");
    }
    // The provincial anti-fraud centre (police over the whole province) sends to everyone.
    let (id, name) = crate::auth::store::demo::account_name_by_username(&db, "police-center")
        .await?
        .ok_or_else(|| anyhow!("no account police-center"))?;
    let grants = crate::auth::store::grants_of(&db, id).await?;
    let root = grants
        .first()
        .map(|g| (g.unit_code.clone(), g.scope_paths[0].clone()))
        .ok_or_else(|| anyhow!("police-center has no grant"))?;
    let p = Principal {
        account_id: id,
        username: "police-center".into(),
        display_name: name,
        student_id: None,
        staff_id: None,
        grants,
        via: Via::Session {
            session_id: String::new(),
            csrf: String::new(),
        },
        time_zone: chrono_tz::Asia::Shanghai,
        locale: "zh-CN".into(),
        must_change_password: false,
    };
    let actor = Actor::cli("bench");
    let content = svc::create_content(
        &db,
        &clock,
        &p,
        &actor,
        &NewContent {
            unit: root.0.clone(),
            kind: "article".into(),
            title: "全省反诈提醒".into(),
            body_md: "凡是要求先垫付的兼职都是诈骗。".into(),
            media_url: None,
            fraud_types: vec!["rebate_task".into()],
            target_hint: String::new(),
            quiz: vec![],
        },
    )
    .await
    .map_err(|e| anyhow!("content: {e}"))?;
    // Reviewed by someone else: mark published directly (the review rule is tested elsewhere).
    store::bench::publish_content(&db, content.id).await?;
    reset_peak();
    let t = Instant::now();
    let c = svc::create_campaign(
        &db,
        &clock,
        &p,
        &actor,
        &NewCampaign {
            unit: root.0.clone(),
            title: "全省开学季反诈提醒".into(),
            content_id: content.id,
            fraud_type: "rebate_task".into(),
            audience: AudienceSpec::default(),
            channels: vec![],
            run_at: None,
        },
    )
    .await
    .map_err(|e| anyhow!("campaign: {e}"))?;
    let selected = t.elapsed().as_secs_f64();
    let job = Job {
        id: 0,
        kind: svc::SEND_JOB.into(),
        payload: serde_json::json!({"campaign_id": c.id}),
        attempt: 1,
    };
    svc::fan_out(&db, &clock, &job)
        .await
        .map_err(|e| anyhow!("fan-out: {e}"))?;
    let total = t.elapsed().as_secs_f64();
    let mem = peak_rss_mib();
    let delivered = store::bench::inbox_deliveries(&db, c.id).await?;
    // A believable reading pattern, then the province's reach tree (what the page computes).
    store::bench::simulate_reading(&db, c.id).await?;
    let t = Instant::now();
    let mut tx = db.begin_write().await?;
    svc::rebuild_reach(&mut tx, c.id)
        .await
        .map_err(|e| anyhow!("reach rollup: {e}"))?;
    tx.commit().await?;
    let rebuild = t.elapsed().as_secs_f64();
    let mut tree_ms = Vec::new();
    let trees = svc::UnitTrees::default();
    let mut nodes = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let tree = svc::reach_tree(&db, &trees, c.id, &root.1).await?;
        let _ = svc::timeline(&db, c.id, std::slice::from_ref(&root.1)).await?;
        tree_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        fn count(n: &svc::ReachNode) -> usize {
            1 + n.children.iter().map(count).sum::<usize>()
        }
        nodes = tree.as_ref().map(count).unwrap_or(0);
    }
    tree_ms.sort_by(f64::total_cmp);
    println!(
        "bench campaigns ({backend}, {scale}): {delivered} students; audience selected (preview + campaign) in {selected:.2} s; \
         audience selected and in-app deliveries written in {total:.2} s; peak memory of the fan-out {mem:.0} MiB; \
         reach rollup rebuilt in {rebuild:.2} s; reach tree of the province ({nodes} units) + timeline: median {:.0} ms (min {:.0}, max {:.0}) over 5 runs",
        tree_ms[2], tree_ms[0], tree_ms[4]
    );
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

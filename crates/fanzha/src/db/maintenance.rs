//! Housekeeping of tables that only grow: finished jobs (one escalation tick per warning deadline,
//! one fan-out per campaign…) and the indicator change log that processes poll. Each `serve`
//! process prunes hourly; two processes pruning at once delete the same
//! rows, which is harmless.
//!
//! Jobs that gave up (`failed`) are kept for operators; only `done` jobs older than the retention
//! go. Their dedup keys go with them, which is safe because every dedup key of the product names
//! a moment or an object that is never scheduled again once done (a deadline second, a campaign,
//! a report's deadline).

use std::time::Duration;

use tokio::sync::watch;

use super::{Db, DbResult};
use crate::clock::Clock;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long finished rows are kept, in days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub done_jobs_days: i64,
    pub indicator_changes_days: i64,
}

impl Retention {
    pub fn of(cfg: &crate::config::Config) -> Retention {
        Retention {
            done_jobs_days: cfg.done_job_retention_days,
            indicator_changes_days: cfg.indicator_change_retention_days,
        }
    }
}

/// What one pruning removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub jobs: u64,
    pub indicator_changes: u64,
    /// Sign-in failure counts, locks and address windows that ended a day ago, and campus
    /// sign-in flows and tickets of more than a day ago.
    pub login_limits: u64,
}

/// Deletes finished jobs and indicator changes older than the retention. A table with nothing to
/// delete is only read: on SQLite a write statement takes the database's one write lock even when
/// it matches no row, which would get in the way of the app's own writers for nothing.
pub async fn prune(db: &Db, clock: &Clock, r: Retention) -> DbResult<Pruned> {
    let now = clock.now_ms();
    let jobs_before = now - r.done_jobs_days.max(1) * DAY_MS;
    let changes_before = now - r.indicator_changes_days.max(1) * DAY_MS;
    let mut out = Pruned::default();
    let old_jobs: Option<i64> =
        sqlx::query_scalar("SELECT id FROM jobs WHERE status = 'done' AND updated_at < $1 LIMIT 1")
            .bind(jobs_before)
            .fetch_optional(&db.pool)
            .await?;
    if old_jobs.is_some() {
        out.jobs = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at < $1")
            .bind(jobs_before)
            .execute(&db.pool)
            .await?
            .rows_affected();
    }
    let old_changes: Option<i64> =
        sqlx::query_scalar("SELECT id FROM indicator_changes WHERE at < $1 LIMIT 1")
            .bind(changes_before)
            .fetch_optional(&db.pool)
            .await?;
    if old_changes.is_some() {
        out.indicator_changes = sqlx::query("DELETE FROM indicator_changes WHERE at < $1")
            .bind(changes_before)
            .execute(&db.pool)
            .await?
            .rows_affected();
    }
    out.login_limits = crate::auth::store::prune_login_limits(db, now - DAY_MS).await?;
    out.login_limits += crate::auth::sso::store::prune(db, now - DAY_MS).await?;
    Ok(out)
}

/// Prunes every `every` until shutdown (the first time one period after start, so that a starting
/// process — migrations, demo seeding, loading the indicator index — has the database to itself);
/// failures are logged and retried next time.
pub async fn run(
    db: Db,
    clock: Clock,
    r: Retention,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            r = shutdown.changed() => {
                if r.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
        match prune(&db, &clock, r).await {
            Ok(p) if p != Pruned::default() => tracing::info!(
                jobs = p.jobs,
                indicator_changes = p.indicator_changes,
                "pruned finished rows"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning finished rows"),
        }
    }
}

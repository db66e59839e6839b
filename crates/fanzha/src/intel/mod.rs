//! Risk check and indicator intelligence: the indicator store (statuses, fraud types, sources,
//! sightings, sharing levels), the per-process lookup index kept fresh from the change log, the
//! risk check for students and partners, the police console with STIX/MISP/CSV import and export,
//! and the review queue that feeds labelled examples back to training.

pub mod api;
pub mod bench;
pub mod check;
pub mod demo;
pub mod formats;
pub mod index;
pub mod model;
pub mod pages;
pub mod quota;
pub mod service;
pub mod store;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use sqlx::Row;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::db::{Db, DbResult};
use index::{fingerprint, Compact, Index};
use model::{FraudTypes, Kind, Status, Tlp};

/// How often each process polls the change log.
pub const POLL: Duration = Duration::from_millis(250);
/// Changes younger than this are re-read on every poll, so a transaction that committed after a
/// later one (ids are handed out at insert, not at commit) is still seen.
const REREAD_MS: i64 = 3_000;

/// The intelligence side of one process: the detection engine, the index and the API limits.
pub struct Intel {
    pub engine: fanzha_detect::Engine,
    pub index: Index,
    pub quota: quota::Quota,
    cursor: AtomicI64,
    refresh_lock: tokio::sync::Mutex<()>,
}

impl Intel {
    pub fn new(rate_per_second: u32, daily_quota: i64) -> Intel {
        Intel {
            engine: fanzha_detect::Engine::builtin(),
            index: Index::default(),
            quota: quota::Quota::new(rate_per_second, daily_quota),
            cursor: AtomicI64::new(0),
            refresh_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Loads every indicator into the index (at start). Returns how many.
    pub async fn load(&self, db: &Db) -> DbResult<usize> {
        let _g = self.refresh_lock.lock().await;
        // The cursor is read first: changes committed during the load are replayed after it.
        let cursor: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM indicator_changes")
            .fetch_one(&db.pool)
            .await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM indicators")
            .fetch_one(&db.pool)
            .await?;
        let mut entries = Vec::with_capacity(count.max(0) as usize);
        let mut rows =
            sqlx::query("SELECT kind, value, status, fraud_types, tlp, sightings FROM indicators")
                .fetch(&db.pool);
        while let Some(r) = rows.try_next().await? {
            if let Some(e) = compact_row(&r)? {
                entries.push(e);
            }
        }
        drop(rows);
        let n = entries.len();
        self.index.replace(entries);
        self.cursor.store(cursor, Ordering::SeqCst);
        Ok(n)
    }

    /// Applies the change log since the last poll. Returns how many changes were applied.
    pub async fn refresh(&self, db: &Db, clock: &Clock) -> DbResult<usize> {
        let _g = self.refresh_lock.lock().await;
        let cursor = self.cursor.load(Ordering::SeqCst);
        let rows = sqlx::query(
            "SELECT c.id, c.kind, c.value, i.status, i.fraud_types, i.tlp, i.sightings \
             FROM indicator_changes c LEFT JOIN indicators i ON i.kind = c.kind AND i.value = c.value \
             WHERE c.id > $1 OR c.at >= $2 ORDER BY c.id LIMIT 100000",
        )
        .bind(cursor)
        .bind(clock.now_ms() - REREAD_MS)
        .fetch_all(&db.pool)
        .await?;
        let mut max = cursor;
        let mut changes: HashMap<u64, Option<Compact>> = HashMap::new();
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            max = max.max(id);
            let kind: String = r.try_get(1)?;
            let value: String = r.try_get(2)?;
            let Ok(kind) = kind.parse::<Kind>() else {
                continue;
            };
            let status: Option<String> = r.try_get(3)?;
            let c = match status {
                None => None,
                Some(s) => {
                    let types: String = r.try_get(4)?;
                    let tlp: String = r.try_get(5)?;
                    let sightings: i64 = r.try_get(6)?;
                    Some(Compact::new(
                        s.parse().unwrap_or(Status::Reported),
                        tlp.parse().unwrap_or(Tlp::Green),
                        FraudTypes::parse(&types).unwrap_or_default(),
                        sightings,
                    ))
                }
            };
            changes.insert(fingerprint(kind, &value), c);
        }
        let n = changes.len();
        self.index.apply(changes.into_iter().collect());
        self.cursor.store(max, Ordering::SeqCst);
        Ok(n)
    }
}

fn compact_row(r: &sqlx::any::AnyRow) -> Result<Option<(u64, Compact)>, sqlx::Error> {
    let kind: String = r.try_get(0)?;
    let Ok(kind) = kind.parse::<Kind>() else {
        return Ok(None);
    };
    let value: String = r.try_get(1)?;
    let status: String = r.try_get(2)?;
    let types: String = r.try_get(3)?;
    let tlp: String = r.try_get(4)?;
    let sightings: i64 = r.try_get(5)?;
    Ok(Some((
        fingerprint(kind, &value),
        Compact::new(
            status.parse().unwrap_or(Status::Reported),
            tlp.parse().unwrap_or(Tlp::Green),
            FraudTypes::parse(&types).unwrap_or_default(),
            sightings,
        ),
    )))
}

/// The PostgreSQL channel a committed indicator change is announced on.
pub const CHANNEL: &str = "fanzha_intel";

/// Listens for change announcements on PostgreSQL (`None` on SQLite, or when listening fails:
/// polling still refreshes the index).
async fn listener(db: &Db) -> Option<sqlx::postgres::PgListener> {
    if db.backend != crate::db::Backend::Postgres {
        return None;
    }
    let url = db.pool.connect_options().database_url.clone();
    match sqlx::postgres::PgListener::connect(url.as_str()).await {
        Ok(mut l) => match l.listen(CHANNEL).await {
            Ok(()) => Some(l),
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN {CHANNEL}; polling only");
                None
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "connecting the change listener; polling only");
            None
        }
    }
}

/// The background task of a process: refreshes the index every [`POLL`] and, on PostgreSQL, as
/// soon as a change is announced; flushes API usage; stops when `shutdown` turns true.
pub async fn refresher(
    intel: Arc<Intel>,
    db: Db,
    clock: Clock,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut listen = listener(&db).await;
    loop {
        if let Err(e) = intel.refresh(&db, &clock).await {
            tracing::warn!(error = %e, "indicator index refresh");
        }
        if let Err(e) = intel.quota.flush(&db, &clock).await {
            tracing::warn!(error = %e, "API usage flush");
        }
        let notified = async {
            match listen.as_mut() {
                Some(l) => l.recv().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            ok = notified => {
                if !ok {
                    listen = None;
                }
            }
            r = shutdown.changed() => {
                if r.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
        if *shutdown.borrow() {
            break;
        }
    }
}

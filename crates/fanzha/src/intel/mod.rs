//! Risk check and indicator intelligence: the indicator store (statuses, fraud types, sources,
//! sightings, sharing levels), the per-process lookup index kept fresh from the change log, the
//! risk check for students and partners, the police console with STIX/MISP/CSV import and export,
//! and the review queue that feeds labelled examples back to training.

pub mod api;
pub mod bench;
pub mod brands;
pub mod check;
pub mod demo;
pub mod detect_pages;
pub mod detect_store;
pub mod formats;
pub mod index;
pub mod learn;
pub mod model;
pub mod pages;
pub mod quota;
pub mod reads;
pub mod service;
pub mod store;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

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

/// The engine a process serves with and the version of its classifier model.
pub struct Live {
    pub engine: Arc<fanzha_detect::Engine>,
    pub model_version: String,
}

/// The intelligence side of one process: the detection engine, the index and the API limits.
pub struct Intel {
    live: std::sync::RwLock<Arc<Live>>,
    pub index: Index,
    pub quota: quota::Quota,
    cursor: AtomicI64,
    /// The `detect_versions` counters (brands, model) this process has applied.
    detect_seen: std::sync::Mutex<(i64, i64)>,
    /// One detection refresh at a time, so counters and engine move together.
    detect_lock: tokio::sync::Mutex<()>,
    refresh_lock: tokio::sync::Mutex<()>,
}

impl Intel {
    pub fn new(rate_per_second: u32, daily_quota: i64) -> Intel {
        Intel {
            live: std::sync::RwLock::new(Arc::new(Live {
                engine: Arc::new(fanzha_detect::Engine::builtin()),
                model_version: learn::BUILTIN.to_string(),
            })),
            index: Index::default(),
            quota: quota::Quota::new(rate_per_second, daily_quota),
            cursor: AtomicI64::new(0),
            detect_seen: std::sync::Mutex::new((-1, -1)),
            detect_lock: tokio::sync::Mutex::new(()),
            refresh_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The engine and model version in use (a promoted model replaces them as a whole).
    pub fn live(&self) -> Arc<Live> {
        self.live.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The detection engine in use.
    pub fn engine(&self) -> Arc<fanzha_detect::Engine> {
        self.live().engine.clone()
    }

    /// Hands a brand registry to the engine in use (a later model swap keeps it).
    pub fn set_brands(&self, reg: Arc<fanzha_detect::BrandRegistry>) {
        self.live().engine.set_brands(reg);
    }

    fn set_live(&self, live: Live) {
        *self.live.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(live);
    }

    /// Applies the brand registry and the promoted model when their counters moved since this
    /// process last looked (one small query when nothing changed). A stored model that cannot be
    /// read leaves the engine as it is.
    pub async fn refresh_detect(&self, db: &Db) -> DbResult<()> {
        let _g = self.detect_lock.lock().await;
        let (mut b, m) = detect_store::versions(db).await?;
        if b == 0 {
            brands::seed_once(db, &Clock::system()).await?;
            b = detect_store::versions(db).await?.0;
        }
        let (seen_b, seen_m) = *self.detect_seen.lock().unwrap_or_else(|e| e.into_inner());
        // Brands first: a model swap below carries the engine's registry over.
        if b != seen_b {
            brands::apply(self, db).await?;
        }
        if m != seen_m {
            let live = self.live();
            let next = match detect_store::active_model_bytes(db).await? {
                Some((version, bytes)) => match fanzha_detect::model::Model::from_bytes(&bytes) {
                    Ok(model) => Some(Live {
                        engine: learn::engine_with(&live.engine, model),
                        model_version: version,
                    }),
                    Err(e) => {
                        tracing::error!(error = %e, version, "the promoted model cannot be read; keeping the current one");
                        None
                    }
                },
                None => Some(Live {
                    engine: learn::engine_with(
                        &live.engine,
                        fanzha_detect::model::Model::builtin()
                            .expect("the embedded model is valid"),
                    ),
                    model_version: learn::BUILTIN.to_string(),
                }),
            };
            if let Some(next) = next {
                if next.model_version != live.model_version {
                    tracing::info!(version = %next.model_version, "classifier model swapped");
                    self.set_live(next);
                }
            }
        }
        *self.detect_seen.lock().unwrap_or_else(|e| e.into_inner()) = (b, m);
        Ok(())
    }

    /// Loads every indicator into the index (at start). Returns how many. The table is read in
    /// id ranges by parallel tasks; on SQLite through the native driver, whose rows lend their
    /// text (the `Any` driver copies every value), which makes the load several times faster.
    pub async fn load(&self, db: &Db) -> DbResult<usize> {
        let _g = self.refresh_lock.lock().await;
        // The cursor is read first: changes committed during the load are replayed after it.
        let cursor = store::changes::latest_change(db).await?;
        let (lo, hi) = store::changes::id_range(db).await?;
        let parts = if hi - lo > 100_000 {
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .clamp(2, 8) as i64
        } else {
            1
        };
        let sqlite = store::changes::sqlite_reader(db, parts as u32).await?;
        let step = (hi - lo) / parts + 1;
        let mut tasks = Vec::new();
        for p in 0..parts {
            let (a, b) = (lo - 1 + p * step, (lo - 1 + (p + 1) * step).min(hi));
            let (db, sqlite) = (db.clone(), sqlite.clone());
            tasks.push(tokio::spawn(async move {
                match sqlite {
                    Some(pool) => load_range_sqlite(&pool, a, b).await,
                    None => load_range_any(&db, a, b).await,
                }
            }));
        }
        let mut parts_out = Vec::with_capacity(tasks.len());
        for t in tasks {
            parts_out.push(
                t.await
                    .map_err(|e| crate::db::DbError::Config(e.to_string()))??,
            );
        }
        if let Some(pool) = sqlite {
            pool.close().await;
        }
        let n: usize = parts_out.iter().map(Vec::len).sum();
        let mut entries = Vec::with_capacity(n);
        for p in parts_out {
            entries.extend(p);
        }
        self.index.replace(entries);
        self.cursor.store(cursor, Ordering::SeqCst);
        if let Err(e) = self.refresh_detect(db).await {
            tracing::warn!(error = %e, "loading the brand registry and model");
        }
        Ok(n)
    }

    /// Applies the change log since the last poll. Returns how many changes were applied.
    /// When the log was pruned past this process's cursor (a process that was stopped for longer
    /// than the log's retention), the changes in between are gone: the index is reloaded whole.
    pub async fn refresh(&self, db: &Db, clock: &Clock) -> DbResult<usize> {
        let g = self.refresh_lock.lock().await;
        let cursor = self.cursor.load(Ordering::SeqCst);
        let oldest = store::changes::oldest_change(db).await?;
        if oldest.is_some_and(|o| o > cursor + 1) {
            drop(g);
            tracing::info!(
                cursor,
                oldest,
                "indicator change log pruned past the cursor: reloading"
            );
            return self.load(db).await;
        }
        let rows = store::changes::changes_since(db, cursor, clock.now_ms() - REREAD_MS).await?;
        let mut max = cursor;
        let mut changes: HashMap<u64, Option<Compact>> = HashMap::new();
        for r in &rows {
            max = max.max(r.id);
            let Ok(kind) = r.kind.parse::<Kind>() else {
                continue;
            };
            let c = r.current.as_ref().map(|i| {
                Compact::new(
                    i.status.parse().unwrap_or(Status::Reported),
                    i.tlp.parse().unwrap_or(Tlp::Green),
                    FraudTypes::parse(&i.fraud_types).unwrap_or_default(),
                    i.sightings,
                )
            });
            changes.insert(fingerprint(kind, &r.value), c);
        }
        let n = changes.len();
        self.index.apply(changes.into_iter().collect());
        self.cursor.store(max, Ordering::SeqCst);
        drop(g);
        self.refresh_detect(db).await?;
        Ok(n)
    }
}

/// Turns one stored row into an index entry; fraud-type lists repeat, so their parse is cached.
fn compact_of(
    cache: &mut HashMap<String, u16>,
    kind: &str,
    value: &str,
    status: &str,
    types: &str,
    tlp: &str,
    sightings: i64,
) -> Option<(u64, Compact)> {
    let kind = kind.parse::<Kind>().ok()?;
    let bits = match cache.get(types) {
        Some(b) => *b,
        None => {
            let b = FraudTypes::parse(types).unwrap_or_default().bits();
            cache.insert(types.to_string(), b);
            b
        }
    };
    Some((
        fingerprint(kind, value),
        Compact::new(
            status.parse().unwrap_or(Status::Reported),
            tlp.parse().unwrap_or(Tlp::Green),
            FraudTypes::from_bits(bits),
            sightings,
        ),
    ))
}

async fn load_range_sqlite(
    pool: &sqlx::SqlitePool,
    a: i64,
    b: i64,
) -> DbResult<Vec<(u64, Compact)>> {
    let mut cache = HashMap::new();
    store::changes::load_range_sqlite(pool, a, b, |kind, value, status, types, tlp, sightings| {
        compact_of(&mut cache, kind, value, status, types, tlp, sightings)
    })
    .await
}

async fn load_range_any(db: &Db, a: i64, b: i64) -> DbResult<Vec<(u64, Compact)>> {
    let mut cache = HashMap::new();
    store::changes::load_range_any(db, a, b, |kind, value, status, types, tlp, sightings| {
        compact_of(&mut cache, kind, value, status, types, tlp, sightings)
    })
    .await
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

//! The web server: router, shared state, page shell, i18n, static assets, errors, operations
//! endpoints, and graceful shutdown.

pub mod assets;
/// Moved out of `web` (domain code uses them too); kept here under their old names.
pub use crate::cache;
pub mod context;
pub mod download;
pub mod error;
pub mod home;
pub use crate::i18n;
pub mod layout;
pub mod metrics;
pub mod multipart;
pub mod ops;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{middleware, Router};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::trace::TraceLayer;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::jobs::{JobQueue, JobRegistry, JobRunner};
use crate::db::Db;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Clock,
    pub config: Arc<Config>,
    pub jobs: JobQueue,
    pub metrics: Arc<metrics::Metrics>,
    /// Unread counts with the inbox generation they were read at (see `inbox::GENERATION`).
    pub unread: Arc<cache::TtlCache<String, (u64, i64)>>,
    /// Signed-in principals for a few seconds (see `auth::service::CachedSession`).
    pub sessions: Arc<crate::auth::service::SessionCache>,
    pub tokens: Arc<crate::auth::service::TokenCache>,
    /// Unit figures (units, students, staff under a path), at most 30 s old.
    pub figures: Arc<cache::TtlCache<String, (i64, i64, i64)>>,
    /// Detection engine, indicator index and risk-check API limits of this process.
    pub intel: Arc<crate::intel::Intel>,
    /// The report writer of this process (group commit, see `reports::writer`).
    pub reports: crate::reports::writer::Writer,
    /// The contests' ballot writers of this process (group commit, see `contests::writer`).
    pub contests: crate::contests::writer::Writers,
    /// The volunteer tasks' claim writers of this process (group commit, see
    /// `volunteers::service::claims`).
    pub vol_claims: crate::volunteers::service::claims::ClaimWriter,
    /// The whole org tree of this app's database, rebuilt when units were added (`org::tree`).
    pub unit_trees: Arc<crate::org::tree::UnitTrees>,
}

impl AppState {
    /// The unread count shown on every page; cached until an inbox write in this process, or 5 s.
    pub async fn unread_count(&self, recipients: &[String]) -> crate::db::DbResult<i64> {
        use std::sync::atomic::Ordering;
        let key = recipients.join(",");
        let generation = crate::inbox::GENERATION.load(Ordering::SeqCst);
        if let Some((g, n)) = self.unread.get(&self.clock, &key) {
            if g == generation {
                return Ok(n);
            }
        }
        let n = crate::inbox::unread_count(&self.db, recipients).await?;
        self.unread.put(&self.clock, key, (generation, n));
        Ok(n)
    }

    /// Units, students and staff under a unit path, from the cache when fresh.
    pub async fn figures(&self, path: &str) -> crate::db::DbResult<(i64, i64, i64)> {
        if let Some(f) = self.figures.get(&self.clock, &path.to_string()) {
            return Ok(f);
        }
        let f = crate::org::store::counts_under(&self.db, path).await?;
        self.figures.put(&self.clock, path.to_string(), f);
        Ok(f)
    }
}

/// A built application: its state, router and job runner.
pub struct App {
    pub state: AppState,
    pub runner: JobRunner,
}

impl App {
    /// Connects nothing: takes an open, migrated database.
    pub fn new(config: Config, db: Db, clock: Clock) -> App {
        let jobs = JobQueue::new(db.clone(), clock.clone());
        let mut reg = JobRegistry::new();
        crate::inbox::register_jobs(&mut reg, db.clone(), clock.clone());
        crate::warnings::service::register_jobs(&mut reg, db.clone(), clock.clone());
        crate::warnings::receipts::register_jobs(&mut reg, db.clone(), clock.clone());
        let channels = crate::campaigns::service::ChannelSettings {
            timeout: Duration::from_millis(config.channel_timeout_ms),
            public_url: config.public_url.clone().unwrap_or_default(),
            ca_file: config.channel_ca_file.clone(),
        };
        crate::campaigns::service::register_jobs(
            &mut reg,
            db.clone(),
            clock.clone(),
            channels.clone(),
        );
        crate::reports::register_jobs(&mut reg, db.clone(), clock.clone());
        crate::warnings::notify::register_jobs(
            &mut reg,
            db.clone(),
            clock.clone(),
            channels.clone(),
        );
        crate::cases::service::register_jobs(&mut reg, db.clone(), clock.clone());
        crate::learning::service::register_jobs(&mut reg, db.clone(), clock.clone(), channels);
        let runner = reg.build(jobs.clone());
        let reports = crate::reports::writer::Writer::new(
            db.clone(),
            clock.clone(),
            crate::reports::writer::Settings::default(),
        );
        let contests = crate::contests::writer::Writers::new(db.clone(), clock.clone());
        let vol_claims = crate::volunteers::service::claims::ClaimWriter::new(db.clone());
        let state = AppState {
            contests,
            vol_claims,
            reports,
            db,
            clock,
            config: Arc::new(config.clone()),
            jobs,
            metrics: Arc::new(metrics::Metrics::default()),
            sessions: Arc::new(crate::auth::service::session_cache()),
            tokens: Arc::new(crate::auth::service::token_cache()),
            unread: Arc::new(cache::TtlCache::new(5_000, 200_000)),
            figures: Arc::new(cache::TtlCache::new(30_000, 100_000)),
            unit_trees: Arc::default(),
            intel: Arc::new(crate::intel::Intel::new(
                config.risk_rate_per_second,
                config.risk_daily_quota,
            )),
        };
        App { state, runner }
    }

    pub fn router(&self) -> Router {
        router(self.state.clone())
    }

    /// Serves on `listener` and runs the job worker until `shutdown` turns true; in-flight requests
    /// finish first.
    pub async fn serve(
        self,
        listener: TcpListener,
        mut shutdown: watch::Receiver<bool>,
        run_worker: bool,
    ) -> std::io::Result<()> {
        let router = self.router();
        // The indicator index is loaded before the first request is accepted.
        let st = self.state.clone();
        if let Err(e) = st.intel.load(&st.db).await {
            tracing::error!(error = %e, "loading the indicator index");
        }
        let refresher = tokio::spawn(crate::intel::refresher(
            st.intel.clone(),
            st.db.clone(),
            st.clock.clone(),
            shutdown.clone(),
        ));
        let pruner = tokio::spawn(crate::db::maintenance::run(
            st.db.clone(),
            st.clock.clone(),
            crate::db::maintenance::Retention::of(&st.config),
            Duration::from_secs(3600),
            shutdown.clone(),
        ));
        let worker = run_worker.then(|| {
            let rx = shutdown.clone();
            tokio::spawn(self.runner.clone().work(rx, Duration::from_millis(500)))
        });
        let result = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
        if let Some(w) = worker {
            let _ = w.await;
        }
        refresher.abort();
        pruner.abort();
        result
    }
}

pub fn router(st: AppState) -> Router {
    let limit = st.config.max_upload_bytes;
    Router::new()
        .route("/", get(home::home))
        .merge(crate::auth::pages::routes())
        .merge(crate::auth::admin::routes())
        .merge(crate::auth::activation_web::routes())
        .merge(crate::auth::sso::web::routes())
        .merge(crate::auth::sso::platform_web::routes())
        .merge(crate::org::pages::routes())
        .merge(crate::org::api::routes())
        .merge(crate::audit::pages::routes())
        .merge(crate::inbox::pages::routes())
        .merge(crate::intel::pages::routes())
        .merge(crate::intel::detect_pages::routes())
        .merge(crate::intel::api::routes())
        .merge(crate::warnings::pages::routes())
        .merge(crate::warnings::api::routes())
        .merge(crate::cases::pages::routes())
        .merge(crate::cases::api::routes())
        .merge(crate::campaigns::pages::routes())
        .merge(crate::campaigns::pages::channels::routes())
        .merge(crate::campaigns::pages::review::routes())
        .merge(crate::campaigns::pages::manage::routes())
        .merge(crate::campaigns::api::routes())
        .merge(crate::reports::pages::routes())
        .merge(crate::reports::api::routes())
        .merge(crate::learning::pages::routes())
        .merge(crate::volunteers::pages::routes())
        .merge(crate::volunteers::api::routes())
        .merge(crate::volunteers::pages_calls::routes())
        .merge(crate::volunteers::api_calls::routes())
        .merge(crate::contests::pages::routes())
        .merge(crate::contests::api::routes())
        .merge(crate::mules::pages::routes())
        .merge(crate::mules::api::routes())
        .merge(ops::routes())
        .route("/assets/{version}/{name}", get(assets::serve))
        .fallback(ops::not_found)
        .layer(middleware::from_fn_with_state(st.clone(), context::context))
        .layer(DefaultBodyLimit::max(limit))
        .layer(TraceLayer::new_for_http())
        .with_state(st)
}

/// Resolves when SIGTERM or Ctrl-C arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

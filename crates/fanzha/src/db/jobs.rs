//! The job queue: background work is a row in `jobs`, claimed by one worker at a time, retried with
//! exponential backoff, given up after `max_attempts` with the error kept. A `dedup_key` makes
//! enqueueing idempotent; `run_at` schedules work (deadlines, escalations) that survives restarts.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use tokio::sync::{watch, Notify};

use super::{Backend, Db, DbResult};
use crate::clock::{Clock, Millis};

/// A job to put on the queue.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub dedup_key: Option<String>,
    pub run_at: Option<Millis>,
    pub max_attempts: i64,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        NewJob {
            kind: kind.into(),
            payload,
            dedup_key: None,
            run_at: None,
            max_attempts: 8,
        }
    }
    pub fn dedup(mut self, key: impl Into<String>) -> Self {
        self.dedup_key = Some(key.into());
        self
    }
    pub fn run_at(mut self, at: Millis) -> Self {
        self.run_at = Some(at);
        self
    }
    pub fn max_attempts(mut self, n: i64) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// A claimed job handed to its handler.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempt: i64,
}

/// One row of the queue, for inspection (tests, the operations page).
#[derive(Clone, Debug, serde::Serialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub run_at: Millis,
    pub last_error: Option<String>,
}

type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type Handler = Arc<dyn Fn(Job) -> HandlerFuture + Send + Sync>;

/// Enqueue side of the queue; cheap to clone, held by the app state.
#[derive(Clone)]
pub struct JobQueue {
    db: Db,
    clock: Clock,
    wake: Arc<Notify>,
}

impl JobQueue {
    pub fn new(db: Db, clock: Clock) -> Self {
        JobQueue {
            db,
            clock,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Puts a job on the queue. Returns its id, or `None` when a job with the same dedup key exists.
    pub async fn enqueue(&self, job: NewJob) -> DbResult<Option<i64>> {
        let id = enqueue_with(&self.db.pool, &self.clock, job).await?;
        self.wake.notify_one();
        Ok(id)
    }

    pub async fn list(&self, kind: Option<&str>) -> DbResult<Vec<JobRow>> {
        let rows = sqlx::query(
            "SELECT id, kind, status, attempts, run_at, last_error FROM jobs \
             WHERE ($1 = '' OR kind = $1) ORDER BY id",
        )
        .bind(kind.unwrap_or(""))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(JobRow {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    status: r.try_get("status")?,
                    attempts: r.try_get("attempts")?,
                    run_at: r.try_get("run_at")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }
}

/// Enqueue inside a caller's transaction (so a job exists exactly when the row that needs it does).
pub async fn enqueue_with<'e, E>(exec: E, clock: &Clock, job: NewJob) -> DbResult<Option<i64>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let now = clock.now_ms();
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, dedup_key, status, run_at, attempts, max_attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6, $6) ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(job.kind)
    .bind(job.payload.to_string())
    .bind(job.dedup_key)
    .bind(job.run_at.unwrap_or(now))
    .bind(job.max_attempts)
    .bind(now)
    .fetch_optional(exec)
    .await?;
    Ok(id)
}

/// The head of a set-based enqueue from another module's rows (one job per campaign delivery):
/// `{INSERT_SELECT} SELECT kind, payload, dedup_key, status, run_at, attempts, max_attempts,
/// created_at, updated_at … {SKIP_DUPLICATES}`.
pub const INSERT_SELECT: &str = "INSERT INTO jobs (kind, payload, dedup_key, status, run_at, attempts, max_attempts, created_at, updated_at)";
/// The tail of [`INSERT_SELECT`]: a job whose dedup key is already queued is skipped.
pub const SKIP_DUPLICATES: &str = "ON CONFLICT (dedup_key) DO NOTHING";

/// How many jobs are in `status` (`queued`, `failed`, …), for the metrics endpoint.
pub async fn count_with_status(db: &Db, status: &str) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = $1")
            .bind(status)
            .fetch_one(&db.pool)
            .await?,
    )
}

/// Backoff before retry number `attempt` (1-based): 2 s, 4 s, 8 s … capped at one hour.
pub fn backoff_ms(attempt: i64) -> Millis {
    let exp = (attempt - 1).clamp(0, 20) as u32;
    (2_000i64.saturating_mul(1i64 << exp)).min(3_600_000)
}

/// The worker side: claims due jobs and runs the registered handler of their kind.
#[derive(Clone)]
pub struct JobRunner {
    queue: JobQueue,
    handlers: Arc<HashMap<String, Handler>>,
    lease_ms: Millis,
}

/// Builder of a [`JobRunner`]: each module registers the kinds it handles.
pub struct JobRegistry {
    handlers: HashMap<String, Handler>,
}

impl Default for JobRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl JobRegistry {
    pub fn new() -> Self {
        JobRegistry {
            handlers: HashMap::new(),
        }
    }

    pub fn register<F, Fut>(&mut self, kind: &str, f: F)
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.handlers
            .insert(kind.to_string(), Arc::new(move |j| Box::pin(f(j))));
    }

    pub fn build(self, queue: JobQueue) -> JobRunner {
        JobRunner {
            queue,
            handlers: Arc::new(self.handlers),
            lease_ms: 5 * 60_000,
        }
    }
}

impl JobRunner {
    /// Claims the next due job, or a running one whose worker's lease expired (the worker died).
    async fn claim(&self) -> DbResult<Option<(Job, i64)>> {
        let db = &self.queue.db;
        let now = self.queue.clock.now_ms();
        let lock = match db.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $2, updated_at = $1 \
             WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $1) \
             OR (status = 'running' AND locked_until < $1) ORDER BY run_at, id LIMIT 1{lock}) \
             RETURNING id, kind, payload, attempts, max_attempts"
        );
        let row = sqlx::query(&sql)
            .bind(now)
            .bind(now + self.lease_ms)
            .fetch_optional(&db.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let payload: String = row.try_get("payload")?;
        let job = Job {
            id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            attempt: row.try_get("attempts")?,
        };
        Ok(Some((job, row.try_get("max_attempts")?)))
    }

    async fn finish(
        &self,
        id: i64,
        attempt: i64,
        max: i64,
        result: Result<(), String>,
    ) -> DbResult<()> {
        let now = self.queue.clock.now_ms();
        let pool = &self.queue.db.pool;
        match result {
            Ok(()) => {
                sqlx::query("UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(pool)
                    .await?;
            }
            Err(e) if attempt >= max => {
                tracing::warn!(job = id, attempt, error = %e, "job failed for good");
                sqlx::query("UPDATE jobs SET status = 'failed', last_error = $2, locked_until = NULL, updated_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(e)
                    .bind(now)
                    .execute(pool)
                    .await?;
            }
            Err(e) => {
                tracing::info!(job = id, attempt, error = %e, "job failed, will retry");
                sqlx::query("UPDATE jobs SET status = 'queued', last_error = $2, locked_until = NULL, run_at = $3, updated_at = $4 WHERE id = $1")
                    .bind(id)
                    .bind(e)
                    .bind(now + backoff_ms(attempt))
                    .bind(now)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Claims and runs one due job. Returns false when nothing was due.
    pub async fn run_one(&self) -> DbResult<bool> {
        let Some((job, max)) = self.claim().await? else {
            return Ok(false);
        };
        let (id, attempt) = (job.id, job.attempt);
        let result = if attempt > max {
            Err("gave up: the worker stopped during the last attempt".to_string())
        } else {
            match self.handlers.get(&job.kind) {
                Some(h) => {
                    let span = tracing::info_span!("job", id, kind = %job.kind, attempt);
                    match tokio::spawn(tracing::Instrument::instrument(h(job), span)).await {
                        Ok(r) => r,
                        Err(e) => Err(format!("handler panicked: {e}")),
                    }
                }
                None => Err(format!("no handler for job kind {:?}", job.kind)),
            }
        };
        self.finish(id, attempt.min(max), max, result).await?;
        Ok(true)
    }

    /// Runs due jobs until none is left (tests and `fanzha demo` seeding use this).
    pub async fn run_until_idle(&self) -> DbResult<usize> {
        let mut n = 0;
        while self.run_one().await? {
            n += 1;
        }
        Ok(n)
    }

    /// The worker loop of `fanzha serve`: runs due jobs, sleeps when idle, stops on shutdown.
    pub async fn work(self, mut shutdown: watch::Receiver<bool>, idle_poll: Duration) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.run_one().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "job queue"),
            }
            tokio::select! {
                changed = shutdown.changed() => {
                    // The sender is gone: nobody can tell us to stop any more, so stop now.
                    if changed.is_err() {
                        break;
                    }
                }
                _ = self.queue.wake.notified() => {}
                _ = tokio::time::sleep(idle_poll) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(3), 8_000);
        assert_eq!(backoff_ms(40), 3_600_000);
    }
}

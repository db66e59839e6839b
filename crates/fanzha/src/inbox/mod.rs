//! Every person's in-app inbox and the one notifier later modules call to tell a person, or every
//! holder of a role in a unit, something. Fan-out to many recipients runs as a job.

use crate::kernel::ids::{AccountId, UnitId};
pub mod pages;
pub mod store;

use crate::auth::model::Role;
use crate::clock::Clock;
use crate::db::jobs::{Job, JobQueue, JobRegistry, NewJob};
use crate::db::{Db, DbResult};

/// Bumped by every inbox write in this process, so cached unread counts (see
/// `AppState::unread_count`) are exact for writes made here and at most a few seconds old for
/// writes made by other processes.
pub static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Tells cached unread counts that the inbox changed; call after committing a transaction that
/// wrote messages.
pub fn bump() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// Who a message is for. An account reads the messages of its own key and of its linked records.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Recipient {
    Account(AccountId),
    Student(i64),
    Staff(i64),
}

impl Recipient {
    pub fn key(&self) -> String {
        match self {
            Recipient::Account(i) => format!("account:{i}"),
            Recipient::Student(i) => format!("student:{i}"),
            Recipient::Staff(i) => format!("staff:{i}"),
        }
    }
}

/// A message; `kind` lets later modules group and filter (e.g. `warning`, `campaign`, `system`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Message {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// Tells one person something, now.
pub async fn notify<'e, E>(exec: E, clock: &Clock, to: &Recipient, n: &Notice) -> DbResult<i64>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(notify_once(exec, clock, to, n, None)
        .await?
        .unwrap_or_default())
}

/// Tells one person something unless a message with the same `source` (e.g. `campaign:7`) already
/// reached them; returns `None` then. Retried jobs use this so nobody is told twice.
pub async fn notify_once<'e, E>(
    exec: E,
    clock: &Clock,
    to: &Recipient,
    n: &Notice,
    source: Option<&str>,
) -> DbResult<Option<i64>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let id = store::insert_once(exec, &to.key(), n, source, clock.now_ms()).await;
    bump();
    id
}

/// Tells many people at once inside the caller's transaction, 400 messages per statement:
/// (recipient key, notice, source, time). A message whose `source` already reached its recipient
/// is skipped, as with [`notify_once`]. Callers `bump()` after they commit.
pub async fn notify_many_once(
    c: &mut sqlx::AnyConnection,
    backend: crate::db::Backend,
    messages: &[(String, Notice, String, crate::clock::Millis)],
) -> DbResult<()> {
    store::insert_many_once(c, backend, messages).await
}

pub const FANOUT_JOB: &str = "inbox.fanout";

/// Tells every account holding `role` on `unit_id` or a unit below it. Runs as a job; `dedup` makes
/// a repeated call (a retry of the caller) send once.
pub async fn notify_role_in_unit(
    jobs: &JobQueue,
    role: Role,
    unit_id: UnitId,
    n: &Notice,
    dedup: Option<String>,
) -> DbResult<Option<i64>> {
    let mut job = NewJob::new(
        FANOUT_JOB,
        serde_json::json!({"role": role.as_str(), "unit_id": unit_id, "notice": n}),
    );
    if let Some(d) = dedup {
        job = job.dedup(format!("{FANOUT_JOB}:{d}"));
    }
    jobs.enqueue(job).await
}

/// Registers the fan-out job.
pub fn register_jobs(reg: &mut JobRegistry, db: Db, clock: Clock) {
    reg.register(FANOUT_JOB, move |job: Job| {
        let (db, clock) = (db.clone(), clock.clone());
        async move { fanout(&db, &clock, &job).await.map_err(|e| e.to_string()) }
    });
}

async fn fanout(db: &Db, clock: &Clock, job: &Job) -> Result<(), String> {
    let role = job.payload["role"].as_str().ok_or("payload without role")?;
    let unit_id = job.payload["unit_id"]
        .as_i64()
        .ok_or("payload without unit")?;
    let notice: Notice =
        serde_json::from_value(job.payload["notice"].clone()).map_err(|e| e.to_string())?;
    let accounts: Vec<AccountId> =
        crate::auth::store::lookups::accounts_with_role_under(db, role, UnitId::from(unit_id))
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(a, _)| a)
            .collect();
    let mut tx = db.begin_write().await.map_err(|e| e.to_string())?;
    // The job id is the source, so a retried job tells nobody twice.
    let source = format!("job:{}", job.id);
    for a in accounts {
        notify_once(
            &mut *tx,
            clock,
            &Recipient::Account(a),
            &notice,
            Some(&source),
        )
        .await
        .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    bump();
    Ok(())
}

pub async fn unread_count(db: &Db, recipients: &[String]) -> DbResult<i64> {
    store::unread_count(db, recipients).await
}

/// Which of a person's messages a list shows: one kind (`warning`, `campaign`, …), unread only,
/// and/or those whose title or text contains `search`.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub unread_only: bool,
    pub search: String,
}

/// How many of a person's messages `f` keeps.
pub async fn count(db: &Db, recipients: &[String], f: &Filter) -> DbResult<i64> {
    store::count(db, recipients, f).await
}

/// A person's messages: notices of a stop-payment request still open (money can still be
/// stopped) first, then the newest first by when they were written.
pub async fn list(
    db: &Db,
    recipients: &[String],
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Message>> {
    list_filtered(db, recipients, &Filter::default(), limit, offset).await
}

/// [`list`], keeping what `f` keeps.
pub async fn list_filtered(
    db: &Db,
    recipients: &[String],
    f: &Filter,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Message>> {
    store::list_filtered(db, recipients, f, limit, offset).await
}

/// Marks one message read; false when it is not one of the caller's.
pub async fn mark_read(db: &Db, clock: &Clock, recipients: &[String], id: i64) -> DbResult<bool> {
    let n = store::mark_read(db, recipients, id, clock.now_ms()).await?;
    bump();
    Ok(n == 1)
}

pub async fn mark_all_read(db: &Db, clock: &Clock, recipients: &[String]) -> DbResult<u64> {
    let n = store::mark_all_read(db, recipients, clock.now_ms()).await?;
    bump();
    Ok(n)
}

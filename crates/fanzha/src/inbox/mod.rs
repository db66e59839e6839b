//! Every person's in-app inbox and the one notifier later modules call to tell a person, or every
//! holder of a role in a unit, something. Fan-out to many recipients runs as a job.

use crate::kernel::ids::{AccountId, UnitId};
pub mod pages;

use sqlx::Row;

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
    let id = sqlx::query_scalar(
        "INSERT INTO inbox_messages (recipient, kind, title, body, link, source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (recipient, source) DO NOTHING RETURNING id",
    )
    .bind(to.key())
    .bind(&n.kind)
    .bind(&n.title)
    .bind(&n.body)
    .bind(&n.link)
    .bind(source)
    .bind(clock.now_ms())
    .fetch_optional(exec)
    .await;
    bump();
    Ok(id?)
}

/// Tells many people at once inside the caller's transaction, 400 messages per statement:
/// (recipient key, notice, source, time). A message whose `source` already reached its recipient
/// is skipped, as with [`notify_once`]. Callers `bump()` after they commit.
pub async fn notify_many_once(
    c: &mut sqlx::AnyConnection,
    backend: crate::db::Backend,
    messages: &[(String, Notice, String, crate::clock::Millis)],
) -> DbResult<()> {
    for chunk in messages.chunks(400) {
        let sql = format!(
            "INSERT INTO inbox_messages (recipient, kind, title, body, link, source, created_at) VALUES {} \
             ON CONFLICT (recipient, source) DO NOTHING",
            crate::db::values_rows(chunk.len(), 7, 1)
        );
        let sql = crate::db::bulk_sql(backend, &sql);
        let mut q = sqlx::query(&sql);
        for (to, n, source, at) in chunk {
            q = q
                .bind(to.clone())
                .bind(n.kind.clone())
                .bind(n.title.clone())
                .bind(n.body.clone())
                .bind(n.link.clone())
                .bind(source.clone())
                .bind(*at);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
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
    let accounts: Vec<AccountId> = sqlx::query_scalar(
        "SELECT DISTINCT r.account_id FROM role_assignments r JOIN units u ON u.id = r.unit_id \
         WHERE r.role = $1 AND u.path LIKE (SELECT path FROM units WHERE id = $2) || '%'",
    )
    .bind(role)
    .bind(unit_id)
    .fetch_all(&db.pool)
    .await
    .map_err(|e| e.to_string())?;
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

fn in_list(start: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", start + i))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn unread_count(db: &Db, recipients: &[String]) -> DbResult<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM inbox_messages WHERE recipient IN ({}) AND read_at IS NULL",
        in_list(1, recipients.len())
    );
    let mut q = sqlx::query_scalar(&sql);
    for r in recipients {
        q = q.bind(r);
    }
    Ok(q.fetch_one(&db.pool).await?)
}

/// Which of a person's messages a list shows: one kind (`warning`, `campaign`, …), unread only,
/// and/or those whose title or text contains `search`.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub unread_only: bool,
    pub search: String,
}

impl Filter {
    /// The SQL condition after the recipient list, its first parameter at `$start`.
    fn sql(&self, start: usize) -> String {
        format!(
            " AND (${s} = '' OR m.kind = ${s}) AND (${u} = 0 OR m.read_at IS NULL) AND (${q} = '' OR m.title LIKE ${l} OR m.body LIKE ${l})",
            s = start,
            u = start + 1,
            q = start + 2,
            l = start + 3
        )
    }
    fn bind<'q>(
        &'q self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        let search = self.search.trim();
        q.bind(self.kind.clone().unwrap_or_default())
            .bind(i64::from(self.unread_only))
            .bind(search.to_string())
            .bind(format!("%{}%", search.replace(['%', '_'], "")))
    }
}

/// How many of a person's messages `f` keeps.
pub async fn count(db: &Db, recipients: &[String], f: &Filter) -> DbResult<i64> {
    let n = recipients.len();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM inbox_messages m WHERE m.recipient IN ({}){}",
        in_list(1, n),
        f.sql(n + 1)
    );
    let mut q = sqlx::query(&sql);
    for r in recipients {
        q = q.bind(r);
    }
    let row = f.bind(q).fetch_one(&db.pool).await?;
    Ok(row.try_get("n")?)
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
    let n = recipients.len();
    let sql = format!(
        "SELECT m.id, m.kind, m.title, m.body, m.link, m.created_at, m.read_at FROM inbox_messages m \
         WHERE m.recipient IN ({}){} \
         ORDER BY CASE WHEN m.kind = 'stop_payment' AND EXISTS (SELECT 1 FROM stop_payments sp \
         WHERE m.link = '/reports/' || sp.report_id AND sp.status IN ('open', 'bank_contacted')) \
         THEN 0 ELSE 1 END, m.created_at DESC, m.id DESC LIMIT ${} OFFSET ${}",
        in_list(1, n),
        f.sql(n + 1),
        n + 5,
        n + 6
    );
    let mut q = sqlx::query(&sql);
    for r in recipients {
        q = q.bind(r);
    }
    let rows = f
        .bind(q)
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Message {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                link: r.try_get("link")?,
                created_at: r.try_get("created_at")?,
                read_at: r.try_get("read_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Marks one message read; false when it is not one of the caller's.
pub async fn mark_read(db: &Db, clock: &Clock, recipients: &[String], id: i64) -> DbResult<bool> {
    let n = recipients.len();
    let sql = format!(
        "UPDATE inbox_messages SET read_at = COALESCE(read_at, ${}) WHERE id = ${} AND recipient IN ({})",
        n + 1,
        n + 2,
        in_list(1, n)
    );
    let mut q = sqlx::query(&sql);
    for r in recipients {
        q = q.bind(r);
    }
    let n = q
        .bind(clock.now_ms())
        .bind(id)
        .execute(&db.pool)
        .await?
        .rows_affected();
    bump();
    Ok(n == 1)
}

pub async fn mark_all_read(db: &Db, clock: &Clock, recipients: &[String]) -> DbResult<u64> {
    let n = recipients.len();
    let sql = format!(
        "UPDATE inbox_messages SET read_at = ${} WHERE read_at IS NULL AND recipient IN ({})",
        n + 1,
        in_list(1, n)
    );
    let mut q = sqlx::query(&sql);
    for r in recipients {
        q = q.bind(r);
    }
    let n = q
        .bind(clock.now_ms())
        .execute(&db.pool)
        .await?
        .rows_affected();
    bump();
    Ok(n)
}

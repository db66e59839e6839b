//! SQL of the inbox: writing messages (one, or many in multi-row statements) and reading, counting
//! and marking a person's messages by their recipient keys.

use sqlx::Row;

use super::{Filter, Message, Notice};
use crate::db::{Db, DbResult};

/// The head of a set-based insert of messages from another module's rows (a campaign's
/// fan-out): `{INSERT_SELECT} SELECT recipient, kind, title, body, link, source, created_at …
/// {SKIP_DELIVERED}`.
pub const INSERT_SELECT: &str =
    "INSERT INTO inbox_messages (recipient, kind, title, body, link, source, created_at)";
/// The tail of [`INSERT_SELECT`]: a message whose source already reached its recipient is skipped.
pub const SKIP_DELIVERED: &str = "ON CONFLICT (recipient, source) DO NOTHING";

/// Deletes the messages of a source (a recalled campaign); returns how many.
pub async fn delete_by_source(tx: &mut sqlx::AnyConnection, source: &str) -> DbResult<u64> {
    Ok(sqlx::query("DELETE FROM inbox_messages WHERE source = $1")
        .bind(source)
        .execute(&mut *tx)
        .await?
        .rows_affected())
}

/// Marks the message of `source` to `recipient` read, if it is not yet.
pub async fn mark_read_by_source(
    tx: &mut sqlx::AnyConnection,
    recipient: &str,
    source: &str,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE inbox_messages SET read_at = COALESCE(read_at, $1) WHERE recipient = $2 AND source = $3",
    )
    .bind(now)
    .bind(recipient)
    .bind(source)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Inserts one message unless a message with the same `source` already reached `recipient`;
/// `None` then.
pub async fn insert_once<'e, E>(
    exec: E,
    recipient: &str,
    n: &Notice,
    source: Option<&str>,
    now: i64,
) -> DbResult<Option<i64>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "INSERT INTO inbox_messages (recipient, kind, title, body, link, source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (recipient, source) DO NOTHING RETURNING id",
    )
    .bind(recipient)
    .bind(&n.kind)
    .bind(&n.title)
    .bind(&n.body)
    .bind(&n.link)
    .bind(source)
    .bind(now)
    .fetch_optional(exec)
    .await?)
}

/// Inserts (recipient key, notice, source, time) rows, 400 per statement; a message whose
/// `source` already reached its recipient is skipped.
pub async fn insert_many_once(
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

/// The SQL condition of a [`Filter`] after the recipient list, its first parameter at `$start`.
fn filter_sql(start: usize) -> String {
    format!(
        " AND (${s} = '' OR m.kind = ${s}) AND (${u} = 0 OR m.read_at IS NULL) AND (${q} = '' OR m.title LIKE ${l} OR m.body LIKE ${l})",
        s = start,
        u = start + 1,
        q = start + 2,
        l = start + 3
    )
}

/// Binds the parameters of [`filter_sql`].
fn bind_filter<'q>(
    f: &'q Filter,
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let search = f.search.trim();
    q.bind(f.kind.clone().unwrap_or_default())
        .bind(i64::from(f.unread_only))
        .bind(search.to_string())
        .bind(format!("%{}%", search.replace(['%', '_'], "")))
}

/// How many of the messages of `recipients` `f` keeps.
pub async fn count(db: &Db, recipients: &[String], f: &Filter) -> DbResult<i64> {
    let n = recipients.len();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM inbox_messages m WHERE m.recipient IN ({}){}",
        in_list(1, n),
        filter_sql(n + 1)
    );
    let mut q = sqlx::query(&sql);
    for r in recipients {
        q = q.bind(r);
    }
    let row = bind_filter(f, q).fetch_one(&db.pool).await?;
    Ok(row.try_get("n")?)
}

/// The messages of `recipients` that `f` keeps: notices of a stop-payment request still open
/// first, then the newest first.
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
         ORDER BY CASE WHEN m.kind = 'stop_payment' AND {} \
         THEN 0 ELSE 1 END, m.created_at DESC, m.id DESC LIMIT ${} OFFSET ${}",
        in_list(1, n),
        filter_sql(n + 1),
        crate::reports::store::inbox_reads::open_request_of_link("m.link"),
        n + 5,
        n + 6
    );
    let mut q = sqlx::query(&sql);
    for r in recipients {
        q = q.bind(r);
    }
    let rows = bind_filter(f, q)
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

/// Marks message `id` read if it is one of `recipients`'; returns how many rows changed.
pub async fn mark_read(db: &Db, recipients: &[String], id: i64, now: i64) -> DbResult<u64> {
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
    Ok(q.bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?
        .rows_affected())
}

/// Marks every unread message of `recipients` read; returns how many.
pub async fn mark_all_read(db: &Db, recipients: &[String], now: i64) -> DbResult<u64> {
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
    Ok(q.bind(now).execute(&db.pool).await?.rows_affected())
}

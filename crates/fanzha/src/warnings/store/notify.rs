//! SQL of warnings' outside notices: the channels a school chose for them, the queued notices
//! (`warning_notifications`) and the email addresses of the people told.

use crate::kernel::ids::{UnitId, WarningId};
use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::campaigns::reads::ChannelRef;
use crate::clock::Millis;
use crate::db::{Backend, Db, DbResult};
use crate::inbox::{Notice, Recipient};

/// A channel of a school's warning notices: (channel id, kind).
pub type SchoolChannel = (i64, String);

/// The channels a school chose for its warning notices.
pub async fn channels_of_school(
    c: &mut AnyConnection,
    school_id: UnitId,
) -> DbResult<Vec<SchoolChannel>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT channel_id FROM warning_channels WHERE school_id = $1 ORDER BY channel_id",
    )
    .bind(school_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(crate::campaigns::reads::channels_by_ids(c, &ids)
        .await?
        .into_iter()
        .filter(|ch| ch.enabled)
        .map(|ch| (ch.id, ch.kind))
        .collect())
}

/// Replaces the channels of a school's warning notices (one multi-row insert).
pub async fn set_channels(
    c: &mut AnyConnection,
    backend: Backend,
    school_id: UnitId,
    ids: &[i64],
    now: Millis,
) -> DbResult<()> {
    sqlx::query("DELETE FROM warning_channels WHERE school_id = $1")
        .bind(school_id)
        .execute(&mut *c)
        .await?;
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "INSERT INTO warning_channels (school_id, channel_id, created_at) VALUES {} \
             ON CONFLICT (school_id, channel_id) DO NOTHING",
            crate::db::values_rows(chunk.len(), 3, 1)
        );
        let sql = crate::db::bulk_sql(backend, &sql);
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(school_id).bind(*id).bind(now);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// The email address of a staff record, or of the staff record of an account (none for a
/// student, or when absent).
pub async fn email_of(c: &mut AnyConnection, to: &Recipient) -> DbResult<Option<String>> {
    let staff = match to {
        Recipient::Staff(id) => *id,
        Recipient::Account(id) => {
            match crate::auth::store::lookups::staff_id_of_account(c, *id).await? {
                Some(s) => s,
                None => return Ok(None),
            }
        }
        Recipient::Student(_) => return Ok(None),
    };
    crate::org::store::lookups::staff_email(c, staff).await
}

/// Queues one outside notice unless this source already reached this channel and address;
/// the id when queued now.
pub async fn insert_notification(
    c: &mut AnyConnection,
    warning_id: WarningId,
    source: &str,
    channel_id: i64,
    address: &str,
    n: &Notice,
    now: Millis,
) -> DbResult<Option<i64>> {
    let r = sqlx::query(
        "INSERT INTO warning_notifications (warning_id, source, channel_id, address, title, body, link, \
         status, reason, attempts, queued_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, 0, $9, $10) \
         ON CONFLICT (source, channel_id, address) DO NOTHING RETURNING id",
    )
    .bind(warning_id)
    .bind(source)
    .bind(channel_id)
    .bind(address)
    .bind(&n.title)
    .bind(&n.body)
    .bind(n.link.clone().unwrap_or_default())
    .bind(None::<String>)
    .bind(now)
    .bind(None::<i64>)
    .fetch_optional(&mut *c)
    .await?;
    Ok(match r {
        Some(r) => Some(r.try_get("id")?),
        None => None,
    })
}

/// One outside notice as stored, for the warning page and API.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    pub source: String,
    pub channel_id: i64,
    pub channel_name: String,
    pub kind: String,
    /// The email address; empty for robots and webhooks.
    pub address: String,
    /// queued, sent or failed.
    pub status: String,
    pub reason: Option<String>,
    pub attempts: i64,
    pub sent_at: Option<i64>,
}

fn notification_from(
    r: &AnyRow,
    channels: &HashMap<i64, ChannelRef>,
) -> Result<Option<Notification>, sqlx::Error> {
    let channel_id: i64 = r.try_get("channel_id")?;
    let Some(ch) = channels.get(&channel_id) else {
        return Ok(None);
    };
    Ok(Some(Notification {
        id: r.try_get("id")?,
        source: r.try_get("source")?,
        channel_id,
        channel_name: ch.name.clone(),
        kind: ch.kind.clone(),
        address: r.try_get("address")?,
        status: r.try_get("status")?,
        reason: r.try_get("reason")?,
        attempts: r.try_get("attempts")?,
        sent_at: r.try_get("sent_at")?,
    }))
}

/// The outside notices of a warning, oldest first (those of a channel since deleted left out).
pub async fn of_warning(
    c: &mut AnyConnection,
    warning_id: WarningId,
) -> DbResult<Vec<Notification>> {
    let rows = sqlx::query(
        "SELECT id, source, channel_id, address, status, reason, attempts, sent_at \
         FROM warning_notifications WHERE warning_id = $1 ORDER BY id",
    )
    .bind(warning_id)
    .fetch_all(&mut *c)
    .await?;
    let mut ids = rows
        .iter()
        .map(|r| r.try_get("channel_id"))
        .collect::<Result<Vec<i64>, _>>()?;
    ids.sort_unstable();
    ids.dedup();
    let channels: HashMap<i64, ChannelRef> = crate::campaigns::reads::channels_by_ids(c, &ids)
        .await?
        .into_iter()
        .map(|ch| (ch.id, ch))
        .collect();
    let mut out = Vec::new();
    for r in &rows {
        if let Some(n) = notification_from(r, &channels)? {
            out.push(n);
        }
    }
    Ok(out)
}

/// A queued notice as the sending job reads it.
#[derive(Clone, Debug)]
pub struct QueuedNotice {
    pub warning_id: WarningId,
    pub channel_id: i64,
    pub address: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub source: String,
    pub status: String,
}

/// One stored notice by id.
pub async fn notice_by_id(db: &Db, id: i64) -> DbResult<Option<QueuedNotice>> {
    let r = sqlx::query(
        "SELECT warning_id, channel_id, address, title, body, link, source, status \
         FROM warning_notifications WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match r {
        Some(r) => Some(QueuedNotice {
            warning_id: r.try_get("warning_id")?,
            channel_id: r.try_get("channel_id")?,
            address: r.try_get("address")?,
            title: r.try_get("title")?,
            body: r.try_get("body")?,
            link: r.try_get("link")?,
            source: r.try_get("source")?,
            status: r.try_get("status")?,
        }),
        None => None,
    })
}

/// Settles a queued notice: sent, failed (with the reason) or still queued after this attempt.
pub async fn settle_notice(
    db: &Db,
    id: i64,
    status: &str,
    reason: Option<String>,
    attempts: i64,
    sent_at: Option<Millis>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE warning_notifications SET status = $1, reason = $2, attempts = $3, sent_at = $4 \
         WHERE id = $5 AND status = 'queued'",
    )
    .bind(status)
    .bind(reason)
    .bind(attempts)
    .bind(sent_at)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

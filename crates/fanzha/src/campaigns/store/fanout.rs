//! SQL of campaigns and their fan-out: the campaign row, inbox deliveries and messages written
//! slice by slice, outside deliveries and their jobs, the reach rollups, and the channel jobs'
//! bookkeeping (rate counts, settling a post or a mail).

use super::audiences::{bind_all, AudienceSql, INBOX_REACHABLE};
use super::Tx;
use crate::auth::store::lookups::grants_on_units;
use crate::db::jobs::{INSERT_SELECT as JOBS_INSERT, SKIP_DUPLICATES as JOBS_SKIP};
use crate::db::{bulk_sql, Backend, Db, DbResult};
use crate::inbox::store::{INSERT_SELECT as INBOX_INSERT, SKIP_DELIVERED as INBOX_SKIP};
use crate::kernel::ids::{AccountId, StudentId};
use crate::org::store::sql::{self, STUDENTS_IN_CLASSES};

/// A campaign as created.
pub struct CampaignRow<'a> {
    pub unit_path: &'a str,
    pub title: &'a str,
    pub content_id: i64,
    pub content_version: i64,
    pub fraud_type: &'a str,
    /// The audience spec as JSON.
    pub audience: String,
    pub audience_size: i64,
    /// The outside channel ids as JSON.
    pub channels: String,
    pub run_at: Option<i64>,
    pub created_by: AccountId,
    pub now: i64,
}

/// Inserts a scheduled campaign; its id.
pub async fn insert_campaign(tx: &mut Tx<'_>, c: &CampaignRow<'_>) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO campaigns (unit_path, title, content_id, content_version, fraud_type, audience, audience_size, channels, status, run_at, created_by, created_at, sent_at, recalled_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'scheduled', $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(c.unit_path)
    .bind(c.title)
    .bind(c.content_id)
    .bind(c.content_version)
    .bind(c.fraud_type)
    .bind(&c.audience)
    .bind(c.audience_size)
    .bind(&c.channels)
    .bind(c.run_at)
    .bind(c.created_by)
    .bind(c.now)
    .bind(None::<i64>)
    .fetch_one(&mut **tx)
    .await?)
}

/// Recalls campaign `id`: its queued deliveries stop and its inbox messages go; how many
/// messages were removed.
pub async fn recall_campaign(tx: &mut Tx<'_>, id: i64, now: i64) -> DbResult<u64> {
    sqlx::query("UPDATE campaigns SET status = 'recalled', recalled_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE campaign_deliveries SET status = 'recalled' WHERE campaign_id = $1 AND status = 'queued'",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE campaign_robot_deliveries SET status = 'recalled' WHERE campaign_id = $1 AND status = 'queued'",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    crate::inbox::store::delete_by_source(tx, &format!("campaign:{id}")).await
}

/// Email deliveries of a campaign per status.
pub async fn email_status_counts(db: &Db, campaign_id: i64) -> DbResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) AS n FROM campaign_deliveries WHERE campaign_id = $1 AND channel LIKE 'email:%' GROUP BY status",
    )
    .bind(campaign_id)
    .fetch_all(&db.pool)
    .await?;
    crate::db::named(&rows, ["status", "n"])
}

/// Marks a scheduled campaign as being sent; false when it is not to be sent (any more).
pub async fn start_sending(db: &Db, id: i64) -> DbResult<bool> {
    Ok(sqlx::query(
        "UPDATE campaigns SET status = 'sending' WHERE id = $1 AND status IN ('scheduled', 'sending')",
    )
    .bind(id)
    .execute(&db.pool)
    .await?
    .rows_affected()
        > 0)
}

/// Inside a fan-out transaction: is the campaign still being sent (not recalled meanwhile)? The
/// no-op update takes the campaign row's lock, so a recall waits for the slice or stops it.
pub async fn still_sending(tx: &mut Tx<'_>, campaign_id: i64) -> DbResult<bool> {
    Ok(
        sqlx::query("UPDATE campaigns SET status = 'sending' WHERE id = $1 AND status = 'sending'")
            .bind(campaign_id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Inbox deliveries of the listed students (at most 500), skipping those already written.
pub async fn insert_listed_deliveries(
    tx: &mut Tx<'_>,
    backend: Backend,
    campaign_id: i64,
    now: i64,
    students: &[StudentId],
) -> DbResult<()> {
    // Parameters numbered in order, each used once: on SQLite `bulk_sql` turns them into
    // anonymous `?`, bound by position.
    let list = crate::db::params_list(students.len(), 4);
    let sql = format!(
        "INSERT INTO campaign_deliveries (campaign_id, person, student_id, unit_path, channel, address, status, reason, attempts, queued_at, sent_at, opened_at, acknowledged_at, quiz_passed_at, clicks) \
         SELECT $1, 'student:' || s.id, s.id, u.path, 'inbox', NULL, CASE WHEN {INBOX_REACHABLE} THEN 'sent' ELSE 'unreachable' END, CASE WHEN {INBOX_REACHABLE} THEN NULL ELSE 'no_active_account' END, 0, $2, CASE WHEN {INBOX_REACHABLE} THEN CAST($3 AS BIGINT) END, NULL, NULL, NULL, 0 \
         FROM {STUDENTS_IN_CLASSES} WHERE s.id IN ({list}) ON CONFLICT (campaign_id, person, channel) DO NOTHING"
    );
    let sql = bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql).bind(campaign_id).bind(now).bind(now);
    for sid in students {
        q = q.bind(*sid);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Inbox deliveries of the students an audience selects under `slice`; `a` was built with its
/// first placeholder at 3.
pub async fn insert_slice_deliveries(
    tx: &mut Tx<'_>,
    campaign_id: i64,
    now: i64,
    mut a: AudienceSql,
    slice: &str,
) -> DbResult<()> {
    let p = a.push(super::audiences::Val::S(format!("{slice}%")));
    let w = format!(
        "{} AND u.path LIKE {p}",
        a.student_where.clone().unwrap_or_default()
    );
    // In the order of the unique key, so its index grows at one end.
    let sql = format!(
        "INSERT INTO campaign_deliveries (campaign_id, person, student_id, unit_path, channel, address, status, reason, attempts, queued_at, sent_at, opened_at, acknowledged_at, quiz_passed_at, clicks) \
         SELECT $1, 'student:' || s.id, s.id, u.path, 'inbox', NULL, CASE WHEN {INBOX_REACHABLE} THEN 'sent' ELSE 'unreachable' END, CASE WHEN {INBOX_REACHABLE} THEN NULL ELSE 'no_active_account' END, 0, $2, CASE WHEN {INBOX_REACHABLE} THEN CAST($2 AS BIGINT) END, NULL, NULL, NULL, 0 \
         FROM {STUDENTS_IN_CLASSES} WHERE {w} ORDER BY 2 ON CONFLICT (campaign_id, person, channel) DO NOTHING"
    );
    // Not a cached prepared statement: PostgreSQL then plans each slice with its path, so
    // `LIKE '/1/5/%'` uses the path indexes (a generic plan cannot and scans).
    bind_all(
        sqlx::query(&sql)
            .persistent(false)
            .bind(campaign_id)
            .bind(now),
        &a.binds,
        2,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inbox deliveries of the staff an audience selects (one per account); `a` was built with its
/// first placeholder at 3.
pub async fn insert_staff_deliveries(
    tx: &mut Tx<'_>,
    campaign_id: i64,
    now: i64,
    a: &AudienceSql,
) -> DbResult<()> {
    let Some(w) = &a.staff_where else {
        return Ok(());
    };
    let grants = grants_on_units();
    let sql = format!(
        "INSERT INTO campaign_deliveries (campaign_id, person, student_id, unit_path, channel, address, status, reason, attempts, queued_at, sent_at, opened_at, acknowledged_at, quiz_passed_at, clicks) \
         SELECT $1, 'account:' || r.account_id, NULL, MIN(u.path), 'inbox', NULL, 'sent', NULL, 0, $2, $2, NULL, NULL, NULL, 0 \
         FROM {grants} WHERE {w} GROUP BY r.account_id \
         ON CONFLICT (campaign_id, person, channel) DO NOTHING"
    );
    bind_all(sqlx::query(&sql).bind(campaign_id).bind(now), &a.binds, 2)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What the inbox message of a campaign says.
pub struct InboxText {
    pub title: String,
    pub summary: String,
    pub source: String,
    pub now: i64,
}

/// Whose inbox messages a fan-out step writes: deliveries under a unit path, a list of people,
/// or the staff accounts.
pub enum InboxOf<'a> {
    Under(&'a str),
    Persons(&'a [String]),
    Accounts,
}

/// Writes the inbox messages of a campaign's inbox deliveries (of one slice), skipping those
/// already written.
pub async fn insert_inbox_messages(
    tx: &mut Tx<'_>,
    campaign_id: i64,
    m: &InboxText,
    of: InboxOf<'_>,
) -> DbResult<()> {
    let base = format!(
        "{INBOX_INSERT} \
         SELECT d.person, 'campaign', $2, $3, '/campaigns/d/' || d.id, $4, $5 FROM campaign_deliveries d \
         WHERE d.campaign_id = $1 AND d.channel = 'inbox'"
    );
    let tail = format!("ORDER BY d.person {INBOX_SKIP}");
    // At most 500 people per slice: numbered parameters are fine on SQLite at that size.
    let (sql, extra): (String, Vec<String>) = match of {
        InboxOf::Under(path) => (
            format!("{base} AND d.unit_path LIKE $6 {tail}"),
            vec![format!("{path}%")],
        ),
        InboxOf::Accounts => (
            format!("{base} AND d.person LIKE 'account:%' {tail}"),
            vec![],
        ),
        InboxOf::Persons(persons) => {
            let list = crate::db::params_list(persons.len(), 6);
            (
                format!("{base} AND d.person IN ({}) {tail}", list),
                persons.to_vec(),
            )
        }
    };
    // Planned per slice with its values (see `insert_slice_deliveries`).
    let mut q = sqlx::query(&sql)
        .persistent(false)
        .bind(campaign_id)
        .bind(m.title.as_str())
        .bind(m.summary.as_str())
        .bind(m.source.as_str())
        .bind(m.now);
    for e in &extra {
        q = q.bind(e.as_str());
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Email deliveries through channel `channel` ("email:<id>") of every student of the campaign
/// with an address, and one job of `job_kind` per delivery.
pub async fn queue_email_deliveries(
    tx: &mut Tx<'_>,
    campaign_id: i64,
    channel: &str,
    now: i64,
    job_kind: &str,
    max_attempts: i64,
) -> DbResult<()> {
    sqlx::query(&format!(
        "INSERT INTO campaign_deliveries (campaign_id, person, student_id, unit_path, channel, address, status, reason, attempts, queued_at, sent_at, opened_at, acknowledged_at, quiz_passed_at, clicks) \
         SELECT d.campaign_id, d.person, d.student_id, d.unit_path, $2, s.email, 'queued', NULL, 0, $3, NULL, NULL, NULL, NULL, 0 \
         FROM campaign_deliveries d {} \
         WHERE d.campaign_id = $1 AND d.channel = 'inbox' AND s.email IS NOT NULL AND s.email <> '' \
         ON CONFLICT (campaign_id, person, channel) DO NOTHING",
        sql::join_student("s", "d.student_id")
    ))
    .bind(campaign_id)
    .bind(channel)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        &format!(
            "{JOBS_INSERT} \
             SELECT $1, '{{\"delivery_id\":' || d.id || '}}', $1 || ':' || d.id, 'queued', $2, 0, $3, $2, $2 \
             FROM campaign_deliveries d WHERE d.campaign_id = $4 AND d.channel = $5 {JOBS_SKIP}"
        ),
    )
    .bind(job_kind)
    .bind(now)
    .bind(max_attempts)
    .bind(campaign_id)
    .bind(channel)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The queued post of a campaign to one robot channel (once).
pub async fn queue_robot_delivery(
    tx: &mut Tx<'_>,
    campaign_id: i64,
    channel_id: i64,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO campaign_robot_deliveries (campaign_id, channel_id, status, reason, attempts, queued_at, sent_at) \
         VALUES ($1, $2, 'queued', NULL, 0, $3, $4) ON CONFLICT (campaign_id, channel_id) DO NOTHING",
    )
    .bind(campaign_id)
    .bind(channel_id)
    .bind(now)
    .bind(None::<i64>)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Recomputes the reach rollups of a campaign from its deliveries (the fan-out, and after bulk
/// changes such as seeding demo data).
pub async fn rebuild_reach(tx: &mut Tx<'_>, campaign_id: i64) -> DbResult<()> {
    for sql in [
        "DELETE FROM campaign_reach WHERE campaign_id = $1",
        "DELETE FROM campaign_reach_days WHERE campaign_id = $1",
        "INSERT INTO campaign_reach (campaign_id, unit_path, audience, sent, opened, acknowledged, quiz_passed, clicked, unreachable) \
         SELECT campaign_id, unit_path, COUNT(*), COUNT(sent_at), COUNT(opened_at), COUNT(acknowledged_at), COUNT(quiz_passed_at), \
         SUM(CASE WHEN clicks > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'unreachable' THEN 1 ELSE 0 END) \
         FROM campaign_deliveries WHERE campaign_id = $1 AND channel = 'inbox' \
         GROUP BY campaign_id, unit_path",
        "INSERT INTO campaign_reach_days (campaign_id, day, opened, acknowledged) \
         SELECT $1, day, SUM(o), SUM(a) FROM ( \
           SELECT opened_at - opened_at % 86400000 AS day, 1 AS o, 0 AS a FROM campaign_deliveries \
           WHERE campaign_id = $1 AND channel = 'inbox' AND opened_at IS NOT NULL \
           UNION ALL SELECT acknowledged_at - acknowledged_at % 86400000, 0, 1 FROM campaign_deliveries \
           WHERE campaign_id = $1 AND channel = 'inbox' AND acknowledged_at IS NOT NULL) t GROUP BY day",
    ] {
        sqlx::query(sql).bind(campaign_id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Marks a campaign being sent as sent, its audience size from the rollup.
pub async fn finish_sending(tx: &mut Tx<'_>, campaign_id: i64, now: i64) -> DbResult<()> {
    let size: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(audience), 0) AS BIGINT) FROM campaign_reach WHERE campaign_id = $1",
    )
    .bind(campaign_id)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE campaigns SET status = 'sent', sent_at = $1, audience_size = $2 WHERE id = $3 AND status = 'sending'",
    )
    .bind(now)
    .bind(size)
    .bind(campaign_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Campaign messages a channel carried since `since` (emails, or robot posts).
pub async fn campaign_posts_since(
    db: &Db,
    channel_id: i64,
    email: bool,
    since: i64,
) -> DbResult<i64> {
    Ok(if email {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM campaign_deliveries WHERE channel = $1 AND sent_at > $2",
        )
        .bind(format!("email:{channel_id}"))
        .bind(since)
        .fetch_one(&db.pool)
        .await?
    } else {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM campaign_robot_deliveries WHERE channel_id = $1 AND sent_at > $2",
        )
        .bind(channel_id)
        .bind(since)
        .fetch_one(&db.pool)
        .await?
    })
}

/// The status of a campaign's post to one robot channel.
pub async fn robot_status(db: &Db, campaign_id: i64, channel_id: i64) -> DbResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT status FROM campaign_robot_deliveries WHERE campaign_id = $1 AND channel_id = $2",
    )
    .bind(campaign_id)
    .bind(channel_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Settles a queued robot post with the outcome of an attempt.
pub async fn settle_robot(
    db: &Db,
    campaign_id: i64,
    channel_id: i64,
    status: &str,
    reason: Option<&str>,
    attempts: i64,
    sent_at: Option<i64>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE campaign_robot_deliveries SET status = $1, reason = $2, attempts = $3, sent_at = $4 WHERE campaign_id = $5 AND channel_id = $6 AND status = 'queued'",
    )
    .bind(status)
    .bind(reason)
    .bind(attempts)
    .bind(sent_at)
    .bind(campaign_id)
    .bind(channel_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Settles a queued (email) delivery with the outcome of an attempt.
pub async fn settle_delivery(
    db: &Db,
    id: i64,
    status: &str,
    reason: Option<&str>,
    attempts: i64,
    sent_at: Option<i64>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE campaign_deliveries SET status = $1, reason = $2, attempts = $3, sent_at = $4 WHERE id = $5 AND status = 'queued'",
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

/// The id of a person's inbox delivery of a campaign.
pub async fn inbox_delivery_id(db: &Db, campaign_id: i64, person: &str) -> DbResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM campaign_deliveries WHERE campaign_id = $1 AND person = $2 AND channel = 'inbox'",
    )
    .bind(campaign_id)
    .bind(person)
    .fetch_optional(&db.pool)
    .await?)
}

/// An outside delivery reached a person the inbox could not: their inbox delivery counts as
/// delivered from `at` on, once, and no longer as unreachable.
pub async fn reached_outside(tx: &mut Tx<'_>, outside_delivery: i64, at: i64) -> DbResult<()> {
    let inbox = sqlx::query(
        "SELECT i.campaign_id, i.unit_path FROM campaign_deliveries o JOIN campaign_deliveries i \
         ON i.campaign_id = o.campaign_id AND i.person = o.person AND i.channel = 'inbox' \
         WHERE o.id = $1 AND i.status = 'unreachable'",
    )
    .bind(outside_delivery)
    .fetch_optional(&mut **tx)
    .await?;
    let inbox: Option<(i64, String)> =
        crate::db::named_opt(inbox.as_ref(), ["campaign_id", "unit_path"])?;
    if let Some((campaign, path)) = inbox {
        let changed = sqlx::query(
            "UPDATE campaign_deliveries SET status = 'reached_outside', reason = NULL, sent_at = $1 \
             WHERE campaign_id = $2 AND channel = 'inbox' AND status = 'unreachable' \
             AND person = (SELECT person FROM campaign_deliveries WHERE id = $3)",
        )
        .bind(at)
        .bind(campaign)
        .bind(outside_delivery)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if changed == 1 {
            sqlx::query(
                "UPDATE campaign_reach SET sent = sent + 1, unreachable = unreachable - 1 \
                 WHERE campaign_id = $1 AND unit_path = $2",
            )
            .bind(campaign)
            .bind(&path)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

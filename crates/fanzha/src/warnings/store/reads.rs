//! Read-only queries of warnings that other modules need: unhandled warnings per student (the
//! campaigns' exposure score) and the notices a shared outside channel carried (its rate limit).

use crate::kernel::ids::{StudentId, UnitId};
use std::collections::HashMap;

use sqlx::Row;

use crate::db::{Db, DbResult};

/// Unhandled warnings of `fraud_type` per student in a class under `unit_path` (the students
/// from the org lookup, their warnings 500 students per query). "Unhandled" = status
/// `unidentified` or `open` (routed, nobody acknowledged yet); once a warning is acknowledged,
/// contacted or closed somebody has dealt with the student.
pub async fn unhandled_by_student(
    db: &Db,
    unit_path: &str,
    fraud_type: &str,
) -> DbResult<HashMap<StudentId, i64>> {
    let students = crate::org::store::lookups::student_ids_under(db, unit_path).await?;
    let mut out = HashMap::new();
    for chunk in students.chunks(500) {
        let sql = format!(
            "SELECT student_id, COUNT(*) AS n FROM warnings WHERE fraud_type = $1 \
             AND status IN ('unidentified', 'open') AND student_id IN ({}) GROUP BY student_id",
            crate::db::params_list(chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql).bind(fraud_type);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&db.pool).await? {
            out.insert(r.try_get("student_id")?, r.try_get("n")?);
        }
    }
    Ok(out)
}

/// Warning notices outside channel `channel_id` carried after `since` (ms).
pub async fn channel_notices_since(db: &Db, channel_id: i64, since: i64) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM warning_notifications WHERE channel_id = $1 AND sent_at > $2",
    )
    .bind(channel_id)
    .bind(since)
    .fetch_one(&db.pool)
    .await?)
}

/// A failed (or retried) warning notice through an outside channel.
pub struct ChannelFailure {
    pub at: i64,
    pub title: String,
    pub reason: String,
}

/// The most recent failures of warning notices through channel `channel_id`, newest first.
pub async fn channel_failures(
    db: &Db,
    channel_id: i64,
    limit: i64,
) -> DbResult<Vec<ChannelFailure>> {
    let rows = sqlx::query(
        "SELECT queued_at AS at, title, reason FROM warning_notifications \
         WHERE channel_id = $1 AND reason IS NOT NULL ORDER BY queued_at DESC LIMIT $2",
    )
    .bind(channel_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ChannelFailure {
                at: r.try_get("at")?,
                title: r.try_get("title")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Per school under `prefix` (a `LIKE` pattern): warnings routed in `[from, to)` and of them
/// handled in time — acknowledged by routed_at + ack window and contacted by routed_at + contact
/// window (the same test as `warnings::appraisal::in_time`).
pub async fn routed_in_time_by_school(
    db: &Db,
    prefix: &str,
    from: i64,
    to: i64,
) -> DbResult<Vec<(UnitId, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT school_id, COUNT(*) AS routed, CAST(COALESCE(SUM(CASE WHEN acknowledged_at IS NOT NULL AND acknowledged_at <= routed_at + ack_window_ms \
         AND contacted_at IS NOT NULL AND contacted_at <= routed_at + contact_window_ms THEN 1 ELSE 0 END), 0) AS BIGINT) AS in_time \
         FROM warnings WHERE unit_path LIKE $1 AND created_at >= $2 AND created_at < $3 AND routed_at IS NOT NULL \
         AND school_id IS NOT NULL GROUP BY school_id",
    )
    .bind(prefix)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    crate::db::named(&rows, ["school_id", "routed", "in_time"])
}

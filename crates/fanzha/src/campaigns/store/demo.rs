//! Statements of the campaigns demo only: a campaign sent days ago and read since.

use crate::db::{Db, DbResult};
use crate::org::store::sql;

/// How many campaigns there are (the demo adds its own once).
pub async fn count_campaigns(db: &Db) -> DbResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM campaigns")
        .fetch_one(&db.pool)
        .await?)
}

/// Moves a campaign and its deliveries back to `at`, as if sent then.
pub async fn backdate_campaign(db: &Db, campaign_id: i64, at: i64) -> DbResult<()> {
    sqlx::query(
        "UPDATE campaign_deliveries SET queued_at = $2, sent_at = $2 WHERE campaign_id = $1",
    )
    .bind(campaign_id)
    .bind(at)
    .execute(&db.pool)
    .await?;
    sqlx::query("UPDATE campaigns SET created_at = $2, sent_at = $2 WHERE id = $1")
        .bind(campaign_id)
        .bind(at)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Reading over the days after `at`: 4 in 5 open, 3 in 5 acknowledge, 1 in 4 pass the check;
/// every seventh class and the student `keep_unread` read nothing yet.
pub async fn read_since(db: &Db, campaign_id: i64, at: i64, keep_unread: &str) -> DbResult<()> {
    sqlx::query(&format!(
        "UPDATE campaign_deliveries SET opened_at = $2 + (id % 3) * 86400000, \
         acknowledged_at = CASE WHEN id % 5 < 3 THEN $2 + (id % 3) * 86400000 + 600000 ELSE NULL END, \
         quiz_passed_at = CASE WHEN id % 4 = 0 AND id % 5 < 3 THEN $2 + (id % 3) * 86400000 + 900000 ELSE NULL END \
         WHERE campaign_id = $1 AND id % 5 <> 4 \
         AND person NOT IN (SELECT 'student:' || st.id FROM {} WHERE st.student_no = $3) \
         AND unit_path NOT IN (SELECT cu.path FROM {} WHERE cu.kind = 'class' AND cu.id % 7 = 0)",
        sql::students("st"),
        sql::units("cu")
    ))
    .bind(campaign_id)
    .bind(at)
    .bind(keep_unread)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A robot post that failed after its last attempt.
pub async fn insert_failed_robot_delivery(
    db: &Db,
    campaign_id: i64,
    channel_id: i64,
    reason: &str,
    attempts: i64,
    at: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO campaign_robot_deliveries (campaign_id, channel_id, status, reason, attempts, queued_at, sent_at) \
         VALUES ($1, $2, 'failed', $3, $4, $5, NULL)",
    )
    .bind(campaign_id)
    .bind(channel_id)
    .bind(reason)
    .bind(attempts)
    .bind(at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

//! Statements of the campaigns benchmark only.

use crate::db::{Db, DbResult};

/// Publishes a content without its review (the review rule is tested elsewhere).
pub async fn publish_content(db: &Db, content_id: i64) -> DbResult<()> {
    sqlx::query("UPDATE campaign_contents SET status = 'published' WHERE id = $1")
        .bind(content_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// How many inbox deliveries a campaign has.
pub async fn inbox_deliveries(db: &Db, campaign_id: i64) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM campaign_deliveries WHERE campaign_id = $1 AND channel = 'inbox'",
    )
    .bind(campaign_id)
    .fetch_one(&db.pool)
    .await?)
}

/// A believable reading pattern: 4 in 5 open an hour after sending, 1 in 3 acknowledge.
pub async fn simulate_reading(db: &Db, campaign_id: i64) -> DbResult<()> {
    sqlx::query(
        "UPDATE campaign_deliveries SET opened_at = sent_at + 3600000, acknowledged_at = CASE WHEN id % 3 = 0 THEN sent_at + 7200000 ELSE NULL END WHERE campaign_id = $1 AND id % 5 <> 0",
    )
    .bind(campaign_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

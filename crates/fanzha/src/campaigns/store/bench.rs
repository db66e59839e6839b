//! Statements of the campaigns benchmark only.

use crate::db::{Db, DbResult};
use crate::kernel::ids::AccountId;

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

/// A published article by `account` for `fanzha bench cases`; returns its id.
pub async fn insert_bench_content(db: &Db, account: AccountId) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO campaign_contents (unit_path, kind, title, body_md, body_html, fraud_types, target_hint, quiz, status, version, \
         author_account_id, editor_account_id, created_at, updated_at) VALUES ('/', 'article', 'bench', '', '', '', '', '', 'published', 1, $1, $1, 0, 0) RETURNING id",
    )
    .bind(account)
    .fetch_one(&db.pool)
    .await?)
}

/// A campaign of `content` sent to the inbox at `at` by `account`; returns its id.
pub async fn insert_sent_campaign(
    db: &Db,
    content: i64,
    account: AccountId,
    at: i64,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO campaigns (unit_path, title, content_id, content_version, fraud_type, audience, audience_size, channels, status, \
         created_by, created_at, sent_at) VALUES ('/', 'bench', $1, 1, 'rebate_task', '', 0, 'inbox', 'sent', $2, $3, $3) RETURNING id",
    )
    .bind(content)
    .bind(account)
    .bind(at)
    .fetch_one(&db.pool)
    .await?)
}

/// The reach of a campaign in one class.
pub struct BenchReach<'a> {
    pub campaign_id: i64,
    pub unit_path: &'a str,
    /// Audience, and as many sent.
    pub audience: i64,
    /// Opened, and as many acknowledged.
    pub acknowledged: i64,
}

/// Inserts reach rollup rows in bulk (nobody passed a quiz or clicked).
pub async fn insert_reach(db: &Db, rows: &[BenchReach<'_>]) -> DbResult<()> {
    let rows: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "({},'{}',{a},{a},{k},{k},0,0)",
                r.campaign_id,
                r.unit_path,
                a = r.audience,
                k = r.acknowledged
            )
        })
        .collect();
    crate::db::insert_literal(
        db,
        "campaign_reach (campaign_id, unit_path, audience, sent, opened, acknowledged, quiz_passed, clicked)",
        &rows,
    )
    .await
}

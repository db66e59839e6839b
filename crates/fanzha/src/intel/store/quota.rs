//! SQL of the risk-check API's daily quota: calls per token and UTC day, shared by every process
//! through the `api_usage` table.

use crate::db::{Db, DbResult};

/// Calls of `token_id` recorded for `day` (days since the epoch, UTC); 0 when none.
pub async fn calls_of_day(db: &Db, token_id: i64, day: i64) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(MAX(calls), 0) FROM api_usage WHERE token_id = $1 AND day = $2",
    )
    .bind(token_id)
    .bind(day)
    .fetch_one(&db.pool)
    .await?)
}

/// Adds `n` calls of `token_id` on `day`; returns the day's total from every process.
pub async fn add_calls(db: &Db, token_id: i64, day: i64, n: i64) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_usage (token_id, day, calls) VALUES ($1, $2, $3) \
         ON CONFLICT (token_id, day) DO UPDATE SET calls = api_usage.calls + excluded.calls RETURNING calls",
    )
    .bind(token_id)
    .bind(day)
    .bind(n)
    .fetch_one(&db.pool)
    .await?)
}

//! Statements of the learning benchmarks only.

use crate::db::{Db, DbResult};

/// How many check-ins an activity has recorded.
pub async fn checkins_of_activity(db: &Db, activity_id: i64) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM learning_checkins WHERE activity_id = $1")
            .bind(activity_id)
            .fetch_one(&db.pool)
            .await?,
    )
}

//! SQL the demo seeding of cases needs: whether cases exist and the spread of solving times; the
//! officer, the stations and the victims to draw from are read through the auth and org lookups.

use crate::db::{Db, DbResult};
use crate::kernel::ids::AccountId;
pub use crate::org::store::lookups::{
    stations_with_schools, student_count_of_school as students_of_school, victim_sample,
    VictimSample,
};

/// How many cases are recorded.
pub async fn case_count(db: &Db) -> DbResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(&db.pool)
        .await?)
}

/// The account of a username, if any.
pub async fn account_by_username(db: &Db, username: &str) -> DbResult<Option<AccountId>> {
    let mut c = db.pool.acquire().await?;
    crate::auth::store::lookups::account_id_by_username(&mut c, username).await
}

/// Dates the solving of solved cases `after_ms` after they happened (never after `now`).
pub async fn spread_solved_at(db: &Db, after_ms: i64, now: i64) -> DbResult<()> {
    sqlx::query(
        "UPDATE cases SET solved_at = CASE WHEN occurred_at + $1 < $2 THEN occurred_at + $1 ELSE $2 END \
         WHERE status = 'solved'",
    )
    .bind(after_ms)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

//! SQL of the risk-check reads other modules make (see `intel::reads`): risk checks joined with
//! the students and classes of a subtree.

use crate::kernel::ids::StudentId;
use std::collections::HashMap;

use sqlx::Row;

use crate::db::{Db, DbResult};
use crate::org::store::sql;

/// Medium and high risk checks of `fraud_type` run since `since` (ms), per student under
/// `unit_path`.
pub async fn risky_checks_by_student(
    db: &Db,
    unit_path: &str,
    fraud_type: &str,
    since: i64,
) -> DbResult<HashMap<StudentId, i64>> {
    let rows = sqlx::query(&format!(
        "SELECT r.student_id AS student_id, COUNT(*) AS n FROM risk_checks r {} \
         WHERE u.path LIKE $1 || '%' AND r.fraud_type = $2 \
         AND r.level IN ('medium', 'high') AND r.created_at >= $3 GROUP BY r.student_id",
        sql::join_student_in_class("s", "u", "r.student_id")
    ))
    .bind(unit_path)
    .bind(fraud_type)
    .bind(since)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("student_id")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

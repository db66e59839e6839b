//! SQL of the exposure score's own inputs: the enrolled students of a school with their cohort,
//! and the campaign quizzes students passed per fraud type.

use crate::kernel::ids::StudentId;
use std::collections::HashMap;

use sqlx::Row;

use crate::db::{Db, DbResult};
use crate::org::store::lookups as org_lookups;

pub use crate::org::store::lookups::EnrolledCohort as CohortStudent;

/// The enrolled students under `path`.
pub async fn enrolled_under(db: &Db, path: &str) -> DbResult<Vec<CohortStudent>> {
    org_lookups::enrolled_cohorts_under(db, path).await
}

/// Campaign quizzes of `fraud_type` passed, per student under `unit_path`.
pub async fn quiz_passes_under(
    db: &Db,
    unit_path: &str,
    fraud_type: &str,
) -> DbResult<HashMap<StudentId, i64>> {
    let rows = sqlx::query(
        "SELECT d.student_id AS student_id, COUNT(*) AS n FROM campaign_deliveries d JOIN campaigns c ON c.id = d.campaign_id \
         WHERE d.student_id IS NOT NULL AND d.unit_path LIKE $1 || '%' AND c.fraud_type = $2 \
         AND d.quiz_passed_at IS NOT NULL GROUP BY d.student_id",
    )
    .bind(unit_path)
    .bind(fraud_type)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("student_id")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// One student's campaign quizzes passed, per fraud type.
pub async fn quiz_passes_of(db: &Db, student_id: StudentId) -> DbResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT c.fraud_type, COUNT(*) AS n FROM campaign_deliveries d JOIN campaigns c ON c.id = d.campaign_id \
         WHERE d.student_id = $1 AND d.quiz_passed_at IS NOT NULL GROUP BY c.fraud_type ORDER BY c.fraud_type",
    )
    .bind(student_id)
    .fetch_all(&db.pool)
    .await?;
    crate::db::named(&rows, ["fraud_type", "n"])
}

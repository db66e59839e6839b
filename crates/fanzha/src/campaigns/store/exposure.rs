//! SQL of the exposure score's own inputs: the enrolled students of a school with their cohort,
//! and the campaign quizzes students passed per fraud type.

use crate::kernel::ids::StudentId;
use std::collections::HashMap;

use sqlx::Row;

use crate::db::{Db, DbResult};

/// An enrolled student with their cohort and class path.
pub struct CohortStudent {
    pub student_id: StudentId,
    pub enrollment_year: i64,
    pub major: String,
    pub gender: String,
    pub unit_path: String,
}

/// The enrolled students under `path`.
pub async fn enrolled_under(db: &Db, path: &str) -> DbResult<Vec<CohortStudent>> {
    let rows = sqlx::query(
        "SELECT s.id AS student_id, s.enrollment_year AS enrollment_year, s.major AS major, s.gender AS gender, u.path AS unit_path \
         FROM students s JOIN units u ON u.id = s.class_id WHERE u.path LIKE $1 || '%' AND s.status = 'enrolled'",
    )
    .bind(path)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CohortStudent {
                student_id: r.try_get("student_id")?,
                enrollment_year: r.try_get("enrollment_year")?,
                major: r.try_get("major")?,
                gender: r.try_get("gender")?,
                unit_path: r.try_get("unit_path")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
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

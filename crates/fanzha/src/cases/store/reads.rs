//! Read-only queries of recorded cases that other modules need: victims per cohort (the
//! campaigns' exposure score), the students recorded as victims (the campaigns' gap finder) and
//! the cases per unit (the warnings' appraisal).

use crate::kernel::ids::StudentId;
use std::collections::HashMap;

use sqlx::Row;

use crate::clock::Millis;
use crate::db::{Db, DbResult};

/// Victims of one cohort (enrollment year, major, gender).
pub struct CohortVictims {
    pub enroll_year: i64,
    pub major: String,
    pub gender: String,
    pub victims: i64,
}

/// Student victims of `fraud_type` per cohort among the cases of the school at `school_path`. A
/// linked student counts once however many cases name them; a described (unlinked) victim counts
/// per case. Victims without year, major or gender are left out.
pub async fn victims_by_cohort(
    db: &Db,
    school_path: &str,
    fraud_type: &str,
) -> DbResult<Vec<CohortVictims>> {
    let rows = sqlx::query(
        "SELECT victim_enroll_year AS enroll_year, victim_major AS major, victim_gender AS gender, \
         COUNT(DISTINCT victim_student_id) + SUM(CASE WHEN victim_student_id IS NULL THEN 1 ELSE 0 END) AS victims FROM cases \
         WHERE unit_path LIKE $1 || '%' AND fraud_type = $2 AND victim_role = 'student' \
         AND victim_enroll_year IS NOT NULL AND victim_major IS NOT NULL AND victim_gender IS NOT NULL \
         GROUP BY victim_enroll_year, victim_major, victim_gender",
    )
    .bind(school_path)
    .bind(fraud_type)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CohortVictims {
                enroll_year: r
                    .try_get::<Option<i64>, _>("enroll_year")?
                    .unwrap_or_default(),
                major: r.try_get::<Option<String>, _>("major")?.unwrap_or_default(),
                gender: r
                    .try_get::<Option<String>, _>("gender")?
                    .unwrap_or_default(),
                victims: r.try_get("victims")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// (student id, fraud type) of every case under `path` whose victim is a linked student, each
/// pair once, by student id then fraud type.
pub async fn student_victims_under(db: &Db, path: &str) -> DbResult<Vec<(StudentId, String)>> {
    let rows = sqlx::query(
        "SELECT DISTINCT victim_student_id AS student_id, fraud_type FROM cases \
         WHERE unit_path LIKE $1 AND victim_student_id IS NOT NULL ORDER BY victim_student_id, fraud_type",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("student_id")?, r.try_get("fraud_type")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Recorded cases per unit path under `path` that occurred in [from, to).
pub async fn victims_by_unit(
    db: &Db,
    path: &str,
    from: Millis,
    to: Millis,
) -> DbResult<HashMap<String, i64>> {
    let rows = sqlx::query(
        "SELECT unit_path, COUNT(*) AS n FROM cases WHERE unit_path LIKE $1 AND occurred_at >= $2 \
         AND occurred_at < $3 GROUP BY unit_path",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("unit_path")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

//! SQL the demo seeding of cases needs: whether cases exist, the stations and the victims to
//! draw from, and the spread of solving times.

use crate::kernel::ids::{StudentId, UnitId};
use sqlx::Row;

use crate::db::{Db, DbResult};

/// How many cases are recorded.
pub async fn case_count(db: &Db) -> DbResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(&db.pool)
        .await?)
}

/// The account of a username, if any.
pub async fn account_by_username(db: &Db, username: &str) -> DbResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM accounts WHERE username = $1")
            .bind(username)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Every police station with a jurisdiction, by id.
pub async fn stations_with_schools(db: &Db) -> DbResult<Vec<UnitId>> {
    Ok(
        sqlx::query_scalar("SELECT DISTINCT station_id FROM jurisdictions ORDER BY station_id")
            .fetch_all(&db.pool)
            .await?,
    )
}

/// A student a demo case may name as its victim.
pub struct VictimSample {
    pub student_id: StudentId,
    pub class_id: UnitId,
    pub class_path: String,
    pub enrollment_year: i64,
    pub major: String,
    pub gender: String,
}

/// The first `limit` students of a school (by id) with their class, to draw victims from.
pub async fn victim_sample(db: &Db, school_id: UnitId, limit: i64) -> DbResult<Vec<VictimSample>> {
    let rows = sqlx::query(
        "SELECT s.id, s.class_id, u.path, s.enrollment_year, s.major, s.gender FROM students s \
         JOIN units u ON u.id = s.class_id WHERE s.school_id = $1 ORDER BY s.id LIMIT $2",
    )
    .bind(school_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(VictimSample {
                student_id: r.try_get("id")?,
                class_id: r.try_get("class_id")?,
                class_path: r.try_get("path")?,
                enrollment_year: r.try_get("enrollment_year")?,
                major: r.try_get("major")?,
                gender: r.try_get("gender")?,
            })
        })
        .collect()
}

/// How many students a school has.
pub async fn students_of_school(db: &Db, school_id: UnitId) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM students WHERE school_id = $1")
            .bind(school_id)
            .fetch_one(&db.pool)
            .await?,
    )
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

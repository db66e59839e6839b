//! The responsibility chain as other modules walk it, read inside the caller's transaction: a
//! student's place (class path, class, school) and cohort, the counselors of a class, the stations
//! whose jurisdiction has a school and the leaders of a station.

use crate::kernel::ids::{StudentId, UnitId};
use sqlx::{AnyConnection, Row};

use crate::db::DbResult;

/// A student's class path, class id and school id.
pub async fn student_place(
    tx: &mut AnyConnection,
    student_id: StudentId,
) -> DbResult<Option<(String, UnitId, UnitId)>> {
    let Some(row) = sqlx::query(
        "SELECT u.path AS path, s.class_id AS class_id, s.school_id AS school_id FROM students s JOIN units u ON u.id = s.class_id WHERE s.id = $1",
    )
    .bind(student_id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some((
        row.try_get("path")?,
        row.try_get("class_id")?,
        row.try_get("school_id")?,
    )))
}

/// The cohort of a student as a case records it: (class id, enrollment year, major, gender).
pub async fn student_cohort(
    tx: &mut AnyConnection,
    student_id: StudentId,
) -> DbResult<(UnitId, i64, String, String)> {
    let row =
        sqlx::query("SELECT class_id, enrollment_year, major, gender FROM students WHERE id = $1")
            .bind(student_id)
            .fetch_one(&mut *tx)
            .await?;
    Ok((
        row.try_get("class_id")?,
        row.try_get("enrollment_year")?,
        row.try_get("major")?,
        row.try_get("gender")?,
    ))
}

/// The counselors (staff ids) of a class.
pub async fn counselors_of_class(tx: &mut AnyConnection, class_id: UnitId) -> DbResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT staff_id FROM responsibilities WHERE unit_id = $1 AND duty = 'counselor'",
    )
    .bind(class_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// The stations whose jurisdiction has this school.
pub async fn stations_of_school(
    tx: &mut AnyConnection,
    school_id: UnitId,
) -> DbResult<Vec<UnitId>> {
    Ok(sqlx::query_scalar(
        "SELECT station_id FROM jurisdictions WHERE school_id = $1 ORDER BY station_id",
    )
    .bind(school_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// The leaders (staff ids) of a station.
pub async fn station_leaders(tx: &mut AnyConnection, station_id: UnitId) -> DbResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT staff_id FROM responsibilities WHERE unit_id = $1 AND duty = 'station_leader' ORDER BY staff_id",
    )
    .bind(station_id)
    .fetch_all(&mut *tx)
    .await?)
}

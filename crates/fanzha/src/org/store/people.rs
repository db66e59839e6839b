//! Reads of students and staff that cases make: a victim or a staff member of a school by
//! number (the case import resolves them), and the people per school of a subtree (the Campus
//! Without Fraud ranking weighs by them).

use crate::db::{Db, DbResult};
use crate::kernel::ids::{StudentId, UnitId};
use sqlx::Row;

/// Student by school and number: (id, class id, class path, enrolment year, major, gender).
pub async fn student_in_school(
    db: &Db,
    school_id: UnitId,
    student_no: &str,
) -> DbResult<Option<(StudentId, UnitId, String, i64, String, String)>> {
    let r = sqlx::query(
        "SELECT s.id, s.class_id, u.path, s.enrollment_year, s.major, s.gender FROM students s \
         JOIN units u ON u.id = s.class_id WHERE s.school_id = $1 AND s.student_no = $2",
    )
    .bind(school_id)
    .bind(student_no)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match r {
        Some(r) => Some((
            r.try_get("id")?,
            r.try_get("class_id")?,
            r.try_get("path")?,
            r.try_get("enrollment_year")?,
            r.try_get("major")?,
            r.try_get("gender")?,
        )),
        None => None,
    })
}

/// Staff by org and number: (id, unit id, unit path).
pub async fn staff_in_org(
    db: &Db,
    org_id: UnitId,
    staff_no: &str,
) -> DbResult<Option<(i64, UnitId, String)>> {
    let r = sqlx::query(
        "SELECT s.id, s.unit_id, u.path FROM staff s JOIN units u ON u.id = s.unit_id WHERE s.org_id = $1 AND s.staff_no = $2",
    )
    .bind(org_id)
    .bind(staff_no)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match r {
        Some(r) => Some((r.try_get("id")?, r.try_get("unit_id")?, r.try_get("path")?)),
        None => None,
    })
}

/// Students and staff per school of a subtree: school id → (students, staff).
pub async fn people_per_school(
    db: &Db,
    path: &str,
) -> DbResult<std::collections::HashMap<UnitId, (i64, i64)>> {
    let mut out: std::collections::HashMap<UnitId, (i64, i64)> = Default::default();
    let rows = sqlx::query(
        "SELECT s.school_id, COUNT(*) AS n FROM students s JOIN units u ON u.id = s.school_id \
         WHERE u.path LIKE $1 GROUP BY s.school_id",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        out.entry(r.try_get("school_id")?).or_default().0 = r.try_get("n")?;
    }
    let rows = sqlx::query(
        // Staff belong to the school or to a college below it: count them to the school.
        "SELECT sc.id, COUNT(*) AS n FROM staff s JOIN units u ON u.id = s.org_id \
         JOIN units sc ON sc.kind = 'school' AND u.path LIKE sc.path || '%' \
         WHERE sc.path LIKE $1 GROUP BY sc.id",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        out.entry(r.try_get("id")?).or_default().1 = r.try_get("n")?;
    }
    Ok(out)
}

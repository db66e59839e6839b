//! SQL of roster imports: the numbers and intakes a school already has, and the upserts of
//! checked student and staff rows inside the import's transaction.

use std::collections::HashSet;

use sqlx::{AnyConnection, Row};

use crate::db::{Backend, Db, DbResult};
use crate::kernel::ids::UnitId;
use crate::org::roster::{StaffRow, StudentRow};

/// The student numbers a school has.
pub async fn student_numbers_of_school(db: &Db, school_id: UnitId) -> DbResult<HashSet<String>> {
    Ok(
        sqlx::query("SELECT student_no FROM students WHERE school_id = $1")
            .bind(school_id)
            .fetch_all(&db.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("student_no"))
            .collect::<Result<_, _>>()?,
    )
}

/// The enrolment years of a school's students.
pub async fn enrollment_years_of_school(
    tx: &mut AnyConnection,
    school_id: UnitId,
) -> DbResult<HashSet<i64>> {
    Ok(
        sqlx::query_scalar("SELECT DISTINCT enrollment_year FROM students WHERE school_id = $1")
            .bind(school_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect(),
    )
}

/// Inserts the students of `chunk` into `school_id`, or updates those whose number it has.
pub async fn upsert_students(
    tx: &mut AnyConnection,
    backend: Backend,
    school_id: UnitId,
    chunk: &[StudentRow],
    now: i64,
) -> DbResult<()> {
    let mut sql = String::from(
        "INSERT INTO students (school_id, class_id, student_no, name, gender, enrollment_year, major, phone, email, status, created_at, updated_at) VALUES ",
    );
    sql.push_str(&crate::db::values_rows(chunk.len(), 12, 1));
    sql.push_str(
        " ON CONFLICT (school_id, student_no) DO UPDATE SET class_id = excluded.class_id, name = excluded.name, \
         gender = excluded.gender, enrollment_year = excluded.enrollment_year, major = excluded.major, \
         phone = excluded.phone, email = excluded.email, status = excluded.status, updated_at = excluded.updated_at",
    );
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql);
    for r in chunk {
        q = q
            .bind(school_id)
            .bind(r.class_id)
            .bind(r.student_no.as_str().to_string())
            .bind(r.name.clone())
            .bind(r.gender.as_str())
            .bind(r.enrollment_year)
            .bind(r.major.clone())
            .bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
            .bind(r.email.clone())
            .bind(r.status.as_str())
            .bind(now)
            .bind(now);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// The id of the staff member numbered `staff_no` in `org_id`, if any.
pub async fn staff_id_by_no(
    tx: &mut AnyConnection,
    org_id: UnitId,
    staff_no: &str,
) -> DbResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM staff WHERE org_id = $1 AND staff_no = $2")
            .bind(org_id)
            .bind(staff_no)
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// Overwrites staff member `id` with the checked row `r`.
pub async fn update_staff(tx: &mut AnyConnection, id: i64, r: &StaffRow, now: i64) -> DbResult<()> {
    sqlx::query("UPDATE staff SET unit_id = $1, name = $2, phone = $3, email = $4, title = $5, status = $6, updated_at = $7 WHERE id = $8")
        .bind(r.unit_id)
        .bind(&r.name)
        .bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
        .bind(&r.email)
        .bind(&r.title)
        .bind(r.status.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Inserts the checked row `r` as a staff member of `org_id`; returns the new id.
pub async fn insert_staff(
    tx: &mut AnyConnection,
    org_id: UnitId,
    r: &StaffRow,
    now: i64,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO staff (org_id, unit_id, staff_no, name, phone, email, title, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(org_id)
    .bind(r.unit_id)
    .bind(r.staff_no.as_str())
    .bind(&r.name)
    .bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
    .bind(&r.email)
    .bind(&r.title)
    .bind(r.status.as_str())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?)
}

//! The school calendar's terms and self-enrolment in electives.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{AccountId, StudentId, UnitId};

fn term_from(r: &AnyRow) -> Result<Term, sqlx::Error> {
    Ok(Term {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        academic_year: r.try_get("academic_year")?,
        semester: r.try_get("semester")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
    })
}

const TERM_COLS: &str = "id, school_id, academic_year, semester, starts_at, ends_at";

/// Another term of the school whose days overlap [starts, ends).
pub async fn overlapping_term(
    tx: &mut Tx<'_>,
    school_id: UnitId,
    t: &NewTerm,
) -> DbResult<Option<Term>> {
    let r = sqlx::query(&format!(
        "SELECT {TERM_COLS} FROM learning_terms WHERE school_id = $1 \
         AND NOT (academic_year = $2 AND semester = $3) AND starts_at < $5 AND ends_at > $4 ORDER BY id LIMIT 1"
    ))
    .bind(school_id)
    .bind(t.academic_year)
    .bind(t.semester)
    .bind(t.starts_at)
    .bind(t.ends_at)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(r.as_ref().map(term_from).transpose()?)
}

/// Sets a term's days (a term set again is corrected, not doubled).
pub async fn upsert_term(
    tx: &mut Tx<'_>,
    school_id: UnitId,
    t: &NewTerm,
    by: AccountId,
    now: Millis,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO learning_terms (school_id, academic_year, semester, starts_at, ends_at, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (school_id, academic_year, semester) \
         DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at RETURNING id",
    )
    .bind(school_id)
    .bind(t.academic_year)
    .bind(t.semester)
    .bind(t.starts_at)
    .bind(t.ends_at)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn terms_of_school(db: &Db, school_id: UnitId) -> DbResult<Vec<Term>> {
    let rows = sqlx::query(&format!(
        "SELECT {TERM_COLS} FROM learning_terms WHERE school_id = $1 ORDER BY starts_at DESC"
    ))
    .bind(school_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(term_from).collect::<Result<_, _>>()?)
}

pub async fn term_by_id(db: &Db, id: i64) -> DbResult<Option<Term>> {
    let r = sqlx::query(&format!(
        "SELECT {TERM_COLS} FROM learning_terms WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(term_from).transpose()?)
}

/// Electives of the student's school they have not got yet.
pub async fn electives_open_to(db: &Db, student_id: StudentId) -> DbResult<Vec<Course>> {
    let rows = sqlx::query(&format!(
        "SELECT {COURSE_COLS} FROM {STUDENTS_IN_CLASSES} \
         JOIN learning_courses c ON c.school_id = s.school_id \
         WHERE s.id = $1 AND c.elective = 1 AND NOT {} ORDER BY c.id",
        assigned()
    ))
    .bind(student_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(course_from).collect::<Result<_, _>>()?)
}

/// Enrols a student in an elective; false when they already were.
pub async fn insert_self_enrolment(
    tx: &mut Tx<'_>,
    course_id: i64,
    student_id: StudentId,
    now: Millis,
) -> DbResult<bool> {
    let r = sqlx::query(
        "INSERT INTO learning_self_enrolments (course_id, student_id, enrolled_at) VALUES ($1, $2, $3) \
         ON CONFLICT (course_id, student_id) DO NOTHING",
    )
    .bind(course_id)
    .bind(student_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

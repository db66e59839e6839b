//! Intake enrolments of the first lesson, the deadlines of enrolments, and who has not finished.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{StudentId, UnitId};

/// One enrolment of a course with its own deadline, for the deadline jobs.
#[derive(Clone, Debug)]
pub struct EnrolmentRow {
    pub id: i64,
    pub course_id: i64,
    /// The unit's path when the enrolment is by unit.
    pub unit_path: Option<String>,
    pub year: Option<i64>,
    pub deadline_at: Option<Millis>,
}

/// Enrols each of `years` in every course of the school handed to new intakes, due
/// `intake_days` after `now`. An intake already enrolled is left alone (a unique index), so two
/// imports at once assign it once. Returns the new enrolments with their deadlines.
pub async fn enrol_intakes(
    c: &mut AnyConnection,
    school_id: UnitId,
    years: &[i64],
    now: Millis,
) -> DbResult<Vec<(i64, Millis)>> {
    let rows = sqlx::query(
        "SELECT id, intake_days FROM learning_courses WHERE school_id = $1 AND intake_days IS NOT NULL ORDER BY id",
    )
    .bind(school_id)
    .fetch_all(&mut *c)
    .await?;
    let courses: Vec<(i64, i64)> = crate::db::named(&rows, ["id", "intake_days"])?;
    let mut out = Vec::new();
    for (course, days) in courses {
        let deadline = now + days * 86_400_000;
        for y in years {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO learning_enrolments (course_id, unit_id, enrolment_year, deadline_at, created_at) \
                 VALUES ($1, NULL, $2, $3, $4) \
                 ON CONFLICT (course_id, enrolment_year) WHERE enrolment_year IS NOT NULL DO NOTHING RETURNING id",
            )
            .bind(course)
            .bind(y)
            .bind(deadline)
            .bind(now)
            .fetch_optional(&mut *c)
            .await?;
            if let Some(id) = id {
                out.push((id, deadline));
            }
        }
    }
    Ok(out)
}

/// The enrolments of a course (for scheduling their deadlines when the course is created).
pub async fn enrolment_ids(c: &mut AnyConnection, course_id: i64) -> DbResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM learning_enrolments WHERE course_id = $1 ORDER BY id")
            .bind(course_id)
            .fetch_all(&mut *c)
            .await?,
    )
}

pub async fn enrolment_by_id(db: &Db, id: i64) -> DbResult<Option<EnrolmentRow>> {
    let r = sqlx::query(&format!(
        "SELECT e.id, e.course_id, u.path, e.enrolment_year, e.deadline_at FROM learning_enrolments e \
         {} WHERE e.id = $1",
        sql::left_join_unit("u", "e.unit_id")
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    r.map(|r| {
        Ok(EnrolmentRow {
            id: r.try_get("id")?,
            course_id: r.try_get("course_id")?,
            unit_path: r.try_get("path")?,
            year: r.try_get("enrolment_year")?,
            deadline_at: r.try_get("deadline_at")?,
        })
    })
    .transpose()
    .map_err(|e: sqlx::Error| e.into())
}

/// The enrolled students of one enrolment who have not completed its course.
pub async fn unfinished_of_enrolment(db: &Db, e: &EnrolmentRow) -> DbResult<Vec<i64>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT s.id FROM {STUDENTS_IN_CLASSES} \
         JOIN learning_courses c ON c.school_id = s.school_id \
         WHERE c.id = $1 AND s.status = 'enrolled' \
         AND (($2 <> '' AND u.path LIKE ($2 || '%')) OR s.enrollment_year = $3) \
         AND NOT EXISTS (SELECT 1 FROM learning_completions k WHERE k.course_id = c.id AND k.student_id = s.id) \
         ORDER BY s.id"
    ))
    .bind(e.course_id)
    .bind(e.unit_path.clone().unwrap_or_default())
    .bind(e.year.unwrap_or(-1))
    .fetch_all(&db.pool)
    .await?)
}

/// A student's own deadline for a course: the earliest of their enrolments' deadlines, else the
/// course's.
pub async fn deadline_for(
    db: &Db,
    course_id: i64,
    student_id: StudentId,
) -> DbResult<Option<Millis>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT MIN(COALESCE(e.deadline_at, c.deadline_at)) FROM learning_enrolments e \
         JOIN learning_courses c ON c.id = e.course_id \
         {} {} \
         WHERE e.course_id = $1 AND ((eu.path IS NOT NULL AND u.path LIKE (eu.path || '%')) \
         OR e.enrolment_year = s.enrollment_year)",
        sql::join_student_in_class("s", "u", "$2"),
        sql::left_join_unit("eu", "e.unit_id")
    ))
    .bind(course_id)
    .bind(student_id)
    .fetch_one(&db.pool)
    .await?)
}

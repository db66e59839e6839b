//! Certificates, credits and the knowledge profile.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{StudentId, UnitId};

// ---------- certificates ----------

pub(super) fn certificate_from(r: &AnyRow) -> Result<Certificate, sqlx::Error> {
    Ok(Certificate {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        course_id: r.try_get("course_id")?,
        student_id: r.try_get("student_id")?,
        holder: r.try_get("holder")?,
        course_title: r.try_get("course_title")?,
        credits_tenths: r.try_get("credits_tenths")?,
        school: r.try_get("school")?,
        completed_at: r.try_get("completed_at")?,
    })
}

pub(super) const CERT_COLS: &str =
    "id, code, course_id, student_id, holder, course_title, credits_tenths, school, completed_at";

/// Issues the certificate of a completion (once per course and student); the printed fields are
/// copied in, so a later change of the course does not change a printed certificate.
pub async fn issue_certificate(
    tx: &mut Tx<'_>,
    course_id: i64,
    student_id: StudentId,
    code: &str,
    completed_at: Millis,
) -> DbResult<()> {
    let r = sqlx::query(&format!(
        "SELECT s.name, c.title, c.credits_tenths, u.name AS school FROM {} \
         JOIN learning_courses c ON c.id = $1 {} WHERE s.id = $2",
        sql::students("s"),
        sql::join_unit("u", "c.school_id")
    ))
    .bind(course_id)
    .bind(student_id)
    .fetch_one(&mut **tx)
    .await?;
    let name: String = r.try_get("name")?;
    sqlx::query(
        "INSERT INTO learning_certificates (code, course_id, student_id, holder, course_title, credits_tenths, \
         school, completed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (course_id, student_id) DO NOTHING",
    )
    .bind(code)
    .bind(course_id)
    .bind(student_id)
    .bind(certificate_name(&name))
    .bind(r.try_get::<String, _>("title")?)
    .bind(r.try_get::<i64, _>("credits_tenths")?)
    .bind(r.try_get::<String, _>("school")?)
    .bind(completed_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn certificate_by_code(db: &Db, code: &str) -> DbResult<Option<Certificate>> {
    let r = sqlx::query(&format!(
        "SELECT {CERT_COLS} FROM learning_certificates WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(certificate_from).transpose()?)
}

pub async fn certificate_of(
    db: &Db,
    course_id: i64,
    student_id: StudentId,
) -> DbResult<Option<Certificate>> {
    let r = sqlx::query(&format!(
        "SELECT {CERT_COLS} FROM learning_certificates WHERE course_id = $1 AND student_id = $2"
    ))
    .bind(course_id)
    .bind(student_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(certificate_from).transpose()?)
}

/// Every certificate of a school's courses with the holder's roster record, in issue order (the
/// credit export: the same rows in the same order every time).
/// The certificates of a school completed in [from, to), in issue order.
pub async fn credits_of_school(
    db: &Db,
    school_id: UnitId,
    from: Millis,
    to: Millis,
) -> DbResult<Vec<(Certificate, String, String, String)>> {
    let rows = sqlx::query(&format!(
        "SELECT k.id, k.code, k.course_id, k.student_id, k.holder, k.course_title, k.credits_tenths, k.school, \
         k.completed_at, s.student_no, s.name AS student_name, u.name AS class_name \
         FROM learning_certificates k JOIN learning_courses c ON c.id = k.course_id \
         {} \
         WHERE c.school_id = $1 AND k.completed_at >= $2 AND k.completed_at < $3 ORDER BY k.id",
        sql::join_student_in_class("s", "u", "k.student_id")
    ))
    .bind(school_id)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                certificate_from(r)?,
                r.try_get("student_no")?,
                r.try_get("student_name")?,
                r.try_get("class_name")?,
            ))
        })
        .collect()
}

/// A student's answers per fraud type over all their submitted attempts: (fraud type id,
/// answered, answered right).
pub async fn knowledge_of(db: &Db, student_id: StudentId) -> DbResult<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT q.fraud_type, COUNT(*) AS answered, \
         CAST(COALESCE(SUM(CASE WHEN i.correct = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS right_answers \
         FROM learning_attempt_items i JOIN learning_attempts a ON a.id = i.attempt_id \
         JOIN learning_questions q ON q.id = i.question_id \
         WHERE a.student_id = $1 AND i.correct IS NOT NULL GROUP BY q.fraud_type ORDER BY q.fraud_type",
    )
    .bind(student_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("fraud_type")?,
                r.try_get("answered")?,
                r.try_get("right_answers")?,
            ))
        })
        .collect()
}

/// The benchmark's data: every enrolled student of the course's school completes it and holds a
/// certificate (one statement each).
pub async fn bench_complete_everyone(
    db: &Db,
    course_id: i64,
    school_name: &str,
    now: Millis,
) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!(
        "INSERT INTO learning_completions (course_id, student_id, completed_at) \
         SELECT c.id, s.id, $2 FROM learning_courses c JOIN {} ON s.school_id = c.school_id WHERE c.id = $1",
        sql::students("s")
    ))
    .bind(course_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO learning_certificates (code, course_id, student_id, holder, course_title, credits_tenths, school, completed_at) \
         SELECT 'B' || CAST(s.id AS TEXT), c.id, s.id, s.name, c.title, c.credits_tenths, $2, $3 \
         FROM learning_courses c JOIN {} ON s.school_id = c.school_id WHERE c.id = $1 ORDER BY s.id",
        sql::students("s")
    ))
    .bind(course_id)
    .bind(school_name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Per student under a unit path: their answers to questions of `fraud_type` in submitted
/// attempts, (answered, right).
pub async fn knowledge_under(
    db: &Db,
    path: &str,
    fraud_type: &str,
) -> DbResult<HashMap<StudentId, (i64, i64)>> {
    let rows = sqlx::query(&format!(
        "SELECT a.student_id, COUNT(*) AS answered, \
         CAST(COALESCE(SUM(CASE WHEN i.correct = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS right_answers \
         FROM learning_attempt_items i JOIN learning_attempts a ON a.id = i.attempt_id \
         JOIN learning_questions q ON q.id = i.question_id \
         {} \
         WHERE u.path LIKE $1 || '%' AND q.fraud_type = $2 AND i.correct IS NOT NULL GROUP BY a.student_id",
        sql::join_student_in_class("s", "u", "a.student_id")
    ))
    .bind(path)
    .bind(fraud_type)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("student_id")?,
                (r.try_get("answered")?, r.try_get("right_answers")?),
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The share of right answers below which a student counts as weak on a fraud type.
pub const WEAK_BELOW_PERCENT: i64 = 60;

/// The condition "student `s` is weak on one of the fraud types bound at `placeholders`": their
/// assessment answers of that type are under [`WEAK_BELOW_PERCENT`] right (one answer at least).
/// For other modules' audience queries (campaign targeting), so the learning tables stay read
/// here.
pub fn weak_on_condition(placeholders: &[String]) -> String {
    format!(
        "EXISTS (SELECT 1 FROM learning_attempt_items wi JOIN learning_attempts wa ON wa.id = wi.attempt_id \
         JOIN learning_questions wq ON wq.id = wi.question_id \
         WHERE wa.student_id = s.id AND wi.correct IS NOT NULL AND wq.fraud_type IN ({}) \
         GROUP BY wq.fraud_type \
         HAVING SUM(CASE WHEN wi.correct = 1 THEN 1 ELSE 0 END) * 100 < {WEAK_BELOW_PERCENT} * COUNT(*))",
        placeholders.join(", ")
    )
}

//! Every SQL statement of the learning module, one text for both databases; rows read by column
//! name.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row};

use super::model::*;
use crate::clock::Millis;
use crate::db::{Db, DbError, DbResult};

type Tx<'a> = sqlx::Transaction<'a, Any>;

fn bad(what: &str) -> DbError {
    DbError::Sqlx(sqlx::Error::Decode(what.to_string().into()))
}

// ---------- courses ----------

const COURSE_COLS: &str =
    "c.id, c.school_id, c.title, c.summary, c.credits_tenths, c.pass_percent, \
     c.per_tag, c.max_attempts, c.time_limit_min, c.required, c.deadline_at, c.created_at";

fn course_from(r: &AnyRow) -> Result<Course, sqlx::Error> {
    Ok(Course {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        title: r.try_get("title")?,
        summary: r.try_get("summary")?,
        credits_tenths: r.try_get("credits_tenths")?,
        pass_percent: r.try_get("pass_percent")?,
        per_tag: r.try_get("per_tag")?,
        max_attempts: r.try_get("max_attempts")?,
        time_limit_min: r.try_get("time_limit_min")?,
        required: r.try_get::<i64, _>("required")? != 0,
        deadline_at: r.try_get("deadline_at")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn insert_course(
    tx: &mut Tx<'_>,
    school_id: i64,
    c: &NewCourse,
    by: i64,
    now: Millis,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO learning_courses (school_id, title, summary, credits_tenths, pass_percent, per_tag, \
         max_attempts, time_limit_min, required, deadline_at, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(school_id)
    .bind(&c.title)
    .bind(&c.summary)
    .bind(c.credits_tenths)
    .bind(c.pass_percent)
    .bind(c.per_tag)
    .bind(c.max_attempts)
    .bind(c.time_limit_min)
    .bind(c.required as i64)
    .bind(c.deadline_at)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn add_enrolment(
    tx: &mut Tx<'_>,
    course_id: i64,
    e: &Enrolment,
    now: Millis,
) -> DbResult<()> {
    let (unit, year) = match e {
        Enrolment::Unit(u) => (Some(*u), None),
        Enrolment::Year(y) => (None, Some(*y)),
    };
    sqlx::query(
        "INSERT INTO learning_enrolments (course_id, unit_id, enrolment_year, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(course_id)
    .bind(unit)
    .bind(year)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Enrolments of a course with the unit's name where it is a unit.
pub async fn enrolments_of(db: &Db, course_id: i64) -> DbResult<Vec<(Enrolment, String)>> {
    let rows = sqlx::query(
        "SELECT e.unit_id, e.enrolment_year, u.name FROM learning_enrolments e \
         LEFT JOIN units u ON u.id = e.unit_id WHERE e.course_id = $1 ORDER BY e.id",
    )
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let unit: Option<i64> = r.try_get("unit_id")?;
            let year: Option<i64> = r.try_get("enrolment_year")?;
            let name: Option<String> = r.try_get("name")?;
            match (unit, year) {
                (Some(u), _) => Ok((Enrolment::Unit(u), name.unwrap_or_default())),
                (None, Some(y)) => Ok((Enrolment::Year(y), y.to_string())),
                _ => Err(bad("enrolment without unit or year")),
            }
        })
        .collect()
}

pub async fn course_by_id(db: &Db, id: i64) -> DbResult<Option<Course>> {
    let r = sqlx::query(&format!(
        "SELECT {COURSE_COLS} FROM learning_courses c WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(course_from).transpose()?)
}

/// Courses of the schools whose path starts with one of `paths` (or lies above one of them).
pub async fn courses_of_school(db: &Db, school_id: i64) -> DbResult<Vec<Course>> {
    let rows = sqlx::query(&format!(
        "SELECT {COURSE_COLS} FROM learning_courses c WHERE c.school_id = $1 ORDER BY c.required DESC, c.id"
    ))
    .bind(school_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(course_from).collect::<Result<_, _>>()?)
}

/// The condition "course `c` is for student `s` in class `u`" (enrolled by a unit above the
/// class, or by the student's enrolment year).
const ASSIGNED: &str =
    "EXISTS (SELECT 1 FROM learning_enrolments e LEFT JOIN units eu ON eu.id = e.unit_id \
     WHERE e.course_id = c.id AND ((eu.path IS NOT NULL AND u.path LIKE (eu.path || '%')) \
     OR e.enrolment_year = s.enrollment_year))";

/// The courses a student takes.
pub async fn courses_for_student(db: &Db, student_id: i64) -> DbResult<Vec<Course>> {
    let rows = sqlx::query(&format!(
        "SELECT {COURSE_COLS} FROM students s JOIN units u ON u.id = s.class_id \
         JOIN learning_courses c ON c.school_id = s.school_id \
         WHERE s.id = $1 AND {ASSIGNED} ORDER BY c.required DESC, c.id"
    ))
    .bind(student_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(course_from).collect::<Result<_, _>>()?)
}

pub async fn is_assigned(db: &Db, course_id: i64, student_id: i64) -> DbResult<bool> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM students s JOIN units u ON u.id = s.class_id \
         JOIN learning_courses c ON c.school_id = s.school_id \
         WHERE s.id = $1 AND c.id = $2 AND {ASSIGNED}"
    ))
    .bind(student_id)
    .bind(course_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

// ---------- lessons ----------

fn lesson_from(r: &AnyRow) -> Result<Lesson, sqlx::Error> {
    Ok(Lesson {
        id: r.try_get("id")?,
        course_id: r.try_get("course_id")?,
        position: r.try_get("position")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        video_url: r.try_get("video_url")?,
    })
}

pub async fn insert_lesson(
    tx: &mut Tx<'_>,
    course_id: i64,
    l: &NewLesson,
    now: Millis,
) -> DbResult<i64> {
    let pos: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM learning_lessons WHERE course_id = $1",
    )
    .bind(course_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO learning_lessons (course_id, position, title, body, video_url, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(course_id)
    .bind(pos)
    .bind(&l.title)
    .bind(&l.body)
    .bind(&l.video_url)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn lessons_of(db: &Db, course_id: i64) -> DbResult<Vec<Lesson>> {
    let rows = sqlx::query(
        "SELECT id, course_id, position, title, body, video_url FROM learning_lessons \
         WHERE course_id = $1 ORDER BY position",
    )
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(lesson_from).collect::<Result<_, _>>()?)
}

pub async fn lesson_by_id(db: &Db, id: i64) -> DbResult<Option<Lesson>> {
    let r = sqlx::query(
        "SELECT id, course_id, position, title, body, video_url FROM learning_lessons WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(lesson_from).transpose()?)
}

pub async fn record_view(
    tx: &mut Tx<'_>,
    lesson_id: i64,
    student_id: i64,
    now: Millis,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO learning_lesson_views (lesson_id, student_id, viewed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (lesson_id, student_id) DO NOTHING",
    )
    .bind(lesson_id)
    .bind(student_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Ids of the lessons of a course a student has viewed.
pub async fn viewed_lessons(
    c: &mut AnyConnection,
    course_id: i64,
    student_id: i64,
) -> DbResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT v.lesson_id FROM learning_lesson_views v JOIN learning_lessons l ON l.id = v.lesson_id \
         WHERE l.course_id = $1 AND v.student_id = $2",
    )
    .bind(course_id)
    .bind(student_id)
    .fetch_all(&mut *c)
    .await?)
}

// ---------- questions ----------

fn question_from(r: &AnyRow) -> Result<Question, DbError> {
    let kind: String = r.try_get("kind")?;
    let ft: String = r.try_get("fraud_type")?;
    let options: String = r.try_get("options")?;
    let correct: String = r.try_get("correct")?;
    Ok(Question {
        id: r.try_get("id")?,
        course_id: r.try_get("course_id")?,
        kind: QuestionKind::parse(&kind).ok_or_else(|| bad("question kind"))?,
        fraud_type: ft.parse().map_err(|_| bad("fraud type"))?,
        prompt: r.try_get("prompt")?,
        options: serde_json::from_str(&options).map_err(|_| bad("question options"))?,
        correct: serde_json::from_str(&correct).map_err(|_| bad("question answer"))?,
        explanation: r.try_get("explanation")?,
    })
}

const QUESTION_COLS: &str =
    "q.id, q.course_id, q.kind, q.fraud_type, q.prompt, q.options, q.correct, q.explanation";

pub async fn insert_question(
    tx: &mut Tx<'_>,
    course_id: i64,
    q: &NewQuestion,
    by: i64,
    now: Millis,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO learning_questions (course_id, kind, fraud_type, prompt, options, correct, explanation, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(course_id)
    .bind(q.kind.as_str())
    .bind(q.fraud_type.id())
    .bind(&q.prompt)
    .bind(serde_json::to_string(&q.options).unwrap_or_default())
    .bind(serde_json::to_string(&q.correct).unwrap_or_default())
    .bind(&q.explanation)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn questions_of(db: &Db, course_id: i64) -> DbResult<Vec<Question>> {
    let rows = sqlx::query(&format!(
        "SELECT {QUESTION_COLS} FROM learning_questions q WHERE q.course_id = $1 ORDER BY q.fraud_type, q.id"
    ))
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(question_from).collect()
}

/// Every question of a course with how many times this student has been given it.
pub async fn questions_seen(
    tx: &mut Tx<'_>,
    course_id: i64,
    student_id: i64,
) -> DbResult<Vec<(i64, String, i64)>> {
    let rows = sqlx::query(
        "SELECT q.id, q.fraud_type, (SELECT COUNT(*) FROM learning_attempt_items i \
         JOIN learning_attempts a ON a.id = i.attempt_id \
         WHERE i.question_id = q.id AND a.student_id = $2) AS seen \
         FROM learning_questions q WHERE q.course_id = $1 ORDER BY q.id",
    )
    .bind(course_id)
    .bind(student_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("fraud_type")?,
                r.try_get("seen")?,
            ))
        })
        .collect()
}

// ---------- attempts ----------

fn attempt_from(r: &AnyRow) -> Result<Attempt, sqlx::Error> {
    Ok(Attempt {
        id: r.try_get("id")?,
        course_id: r.try_get("course_id")?,
        student_id: r.try_get("student_id")?,
        started_at: r.try_get("started_at")?,
        due_at: r.try_get("due_at")?,
        closed_at: r.try_get("closed_at")?,
        score_percent: r.try_get("score_percent")?,
        passed: r.try_get::<Option<i64>, _>("passed")?.map(|p| p != 0),
    })
}

const ATTEMPT_COLS: &str =
    "id, course_id, student_id, started_at, due_at, closed_at, score_percent, passed";

pub async fn attempts_of(
    c: &mut AnyConnection,
    course_id: i64,
    student_id: i64,
) -> DbResult<Vec<Attempt>> {
    let rows = sqlx::query(&format!(
        "SELECT {ATTEMPT_COLS} FROM learning_attempts WHERE course_id = $1 AND student_id = $2 ORDER BY id"
    ))
    .bind(course_id)
    .bind(student_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows.iter().map(attempt_from).collect::<Result<_, _>>()?)
}

pub async fn attempt_by_id(c: &mut AnyConnection, id: i64) -> DbResult<Option<Attempt>> {
    let r = sqlx::query(&format!(
        "SELECT {ATTEMPT_COLS} FROM learning_attempts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(r.as_ref().map(attempt_from).transpose()?)
}

pub async fn insert_attempt(
    tx: &mut Tx<'_>,
    course_id: i64,
    student_id: i64,
    now: Millis,
    due_at: Millis,
    questions: &[i64],
) -> DbResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO learning_attempts (course_id, student_id, started_at, due_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(course_id)
    .bind(student_id)
    .bind(now)
    .bind(due_at)
    .fetch_one(&mut **tx)
    .await?;
    for (i, q) in questions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO learning_attempt_items (attempt_id, question_id, position) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(q)
        .bind(i as i64)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

pub async fn items_of(c: &mut AnyConnection, attempt_id: i64) -> DbResult<Vec<AttemptItem>> {
    let rows = sqlx::query(&format!(
        "SELECT {QUESTION_COLS}, i.chosen, i.correct AS got_it FROM learning_attempt_items i \
         JOIN learning_questions q ON q.id = i.question_id WHERE i.attempt_id = $1 ORDER BY i.position"
    ))
    .bind(attempt_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let chosen: Option<String> = r.try_get("chosen")?;
            Ok(AttemptItem {
                question: question_from(r)?,
                chosen: chosen
                    .map(|c| serde_json::from_str(&c).map_err(|_| bad("chosen answer")))
                    .transpose()?,
                correct: r.try_get::<Option<i64>, _>("got_it")?.map(|g| g != 0),
            })
        })
        .collect()
}

pub async fn answer_item(
    tx: &mut Tx<'_>,
    attempt_id: i64,
    question_id: i64,
    chosen: &[usize],
    correct: bool,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE learning_attempt_items SET chosen = $1, correct = $2 WHERE attempt_id = $3 AND question_id = $4",
    )
    .bind(serde_json::to_string(chosen).unwrap_or_default())
    .bind(correct as i64)
    .bind(attempt_id)
    .bind(question_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Closes an open attempt with its score; false when it was already closed (nothing written).
pub async fn close_attempt(
    tx: &mut Tx<'_>,
    attempt_id: i64,
    now: Millis,
    score: i64,
    passed: bool,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE learning_attempts SET closed_at = $1, score_percent = $2, passed = $3 \
         WHERE id = $4 AND closed_at IS NULL",
    )
    .bind(now)
    .bind(score)
    .bind(passed as i64)
    .bind(attempt_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn insert_completion(
    tx: &mut Tx<'_>,
    course_id: i64,
    student_id: i64,
    now: Millis,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO learning_completions (course_id, student_id, completed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (course_id, student_id) DO NOTHING",
    )
    .bind(course_id)
    .bind(student_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn completion(
    c: &mut AnyConnection,
    course_id: i64,
    student_id: i64,
) -> DbResult<Option<Millis>> {
    Ok(sqlx::query_scalar(
        "SELECT completed_at FROM learning_completions WHERE course_id = $1 AND student_id = $2",
    )
    .bind(course_id)
    .bind(student_id)
    .fetch_optional(&mut *c)
    .await?)
}

pub async fn lesson_count(c: &mut AnyConnection, course_id: i64) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM learning_lessons WHERE course_id = $1")
            .bind(course_id)
            .fetch_one(&mut *c)
            .await?,
    )
}

/// Students of a required course's enrolment who have not completed it (for reminders).
pub async fn unfinished_students(db: &Db, course_id: i64, under: &str) -> DbResult<Vec<i64>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT s.id FROM students s JOIN units u ON u.id = s.class_id \
         JOIN learning_courses c ON c.school_id = s.school_id \
         WHERE c.id = $1 AND u.path LIKE $2 AND s.status = 'enrolled' AND {ASSIGNED} \
         AND NOT EXISTS (SELECT 1 FROM learning_completions k WHERE k.course_id = c.id AND k.student_id = s.id) \
         ORDER BY s.id"
    ))
    .bind(course_id)
    .bind(format!("{under}%"))
    .fetch_all(&db.pool)
    .await?)
}

// ---------- pledge ----------

fn pledge_from(r: &AnyRow) -> Result<Pledge, sqlx::Error> {
    Ok(Pledge {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        version: r.try_get("version")?,
        body: r.try_get("body")?,
        body_hash: r.try_get("body_hash")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn current_pledge(c: &mut AnyConnection, school_id: i64) -> DbResult<Option<Pledge>> {
    let r = sqlx::query(
        "SELECT id, school_id, version, body, body_hash, created_at FROM learning_pledges \
         WHERE school_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(school_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(r.as_ref().map(pledge_from).transpose()?)
}

pub async fn insert_pledge(
    tx: &mut Tx<'_>,
    school_id: i64,
    body: &str,
    by: i64,
    now: Millis,
) -> DbResult<Pledge> {
    let version: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(version), 0) + 1 AS BIGINT) FROM learning_pledges WHERE school_id = $1",
    )
    .bind(school_id)
    .fetch_one(&mut **tx)
    .await?;
    let hash = pledge_hash(body);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO learning_pledges (school_id, version, body, body_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(school_id)
    .bind(version)
    .bind(body)
    .bind(&hash)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Pledge {
        id,
        school_id,
        version,
        body: body.to_string(),
        body_hash: hash,
        created_at: now,
    })
}

fn signature_from(r: &AnyRow) -> Result<Signature, sqlx::Error> {
    Ok(Signature {
        id: r.try_get("id")?,
        pledge_id: r.try_get("pledge_id")?,
        student_id: r.try_get("student_id")?,
        typed_name: r.try_get("typed_name")?,
        body_hash: r.try_get("body_hash")?,
        signed_at: r.try_get("signed_at")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
    })
}

pub async fn live_signature(
    c: &mut AnyConnection,
    pledge_id: i64,
    student_id: i64,
) -> DbResult<Option<Signature>> {
    let r = sqlx::query(
        "SELECT id, pledge_id, student_id, typed_name, body_hash, signed_at, withdrawn_at \
         FROM learning_signatures WHERE pledge_id = $1 AND student_id = $2 AND withdrawn_at IS NULL",
    )
    .bind(pledge_id)
    .bind(student_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(r.as_ref().map(signature_from).transpose()?)
}

/// Inserts a live signature; `None` when the person already has one for this version (the
/// partial unique index decides, also between concurrent requests).
pub async fn insert_signature(
    tx: &mut Tx<'_>,
    pledge: &Pledge,
    student_id: i64,
    typed_name: &str,
    now: Millis,
) -> DbResult<Option<i64>> {
    let r = sqlx::query_scalar(
        "INSERT INTO learning_signatures (pledge_id, student_id, typed_name, body_hash, signed_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pledge_id, student_id) WHERE withdrawn_at IS NULL DO NOTHING RETURNING id",
    )
    .bind(pledge.id)
    .bind(student_id)
    .bind(typed_name)
    .bind(&pledge.body_hash)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(r)
}

pub async fn withdraw_signature(
    tx: &mut Tx<'_>,
    pledge_id: i64,
    student_id: i64,
    now: Millis,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE learning_signatures SET withdrawn_at = $1 WHERE pledge_id = $2 AND student_id = $3 AND withdrawn_at IS NULL",
    )
    .bind(now)
    .bind(pledge_id)
    .bind(student_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Enrolled students under a path without a live signature of their school's current pledge.
pub async fn unsigned_students(db: &Db, under: &str) -> DbResult<Vec<i64>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT s.id FROM students s JOIN units u ON u.id = s.class_id \
         WHERE u.path LIKE $1 AND s.status = 'enrolled' AND NOT {SIGNED} ORDER BY s.id"
    ))
    .bind(format!("{under}%"))
    .fetch_all(&db.pool)
    .await?)
}

/// "Student `s` has a live signature of their school's current pledge."
const SIGNED: &str = "EXISTS (SELECT 1 FROM learning_signatures g JOIN learning_pledges p ON p.id = g.pledge_id \
     WHERE g.student_id = s.id AND g.withdrawn_at IS NULL AND p.school_id = s.school_id \
     AND p.version = (SELECT MAX(p2.version) FROM learning_pledges p2 WHERE p2.school_id = s.school_id))";

// ---------- activities ----------

const ACTIVITY_COLS: &str =
    "a.id, a.school_id, a.unit_id, u.name AS unit_name, u.path AS unit_path, a.kind, \
     a.title, a.organiser_account_id, a.organiser, a.place, a.starts_at, a.ends_at";

fn activity_from(r: &AnyRow) -> Result<Activity, DbError> {
    let kind: String = r.try_get("kind")?;
    Ok(Activity {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        unit_path: r.try_get("unit_path")?,
        kind: ActivityKind::parse(&kind).ok_or_else(|| bad("activity kind"))?,
        title: r.try_get("title")?,
        organiser_account_id: r.try_get("organiser_account_id")?,
        organiser: r.try_get("organiser")?,
        place: r.try_get("place")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_activity(
    tx: &mut Tx<'_>,
    school_id: i64,
    unit_id: i64,
    a: &NewActivity,
    organiser_account_id: i64,
    organiser: &str,
    now: Millis,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO learning_activities (school_id, unit_id, kind, title, organiser_account_id, organiser, \
         place, starts_at, ends_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(school_id)
    .bind(unit_id)
    .bind(a.kind.as_str())
    .bind(&a.title)
    .bind(organiser_account_id)
    .bind(organiser)
    .bind(&a.place)
    .bind(a.starts_at)
    .bind(a.ends_at)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn activity_by_id(db: &Db, id: i64) -> DbResult<Option<Activity>> {
    let r = sqlx::query(&format!(
        "SELECT {ACTIVITY_COLS} FROM learning_activities a JOIN units u ON u.id = a.unit_id WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    r.as_ref().map(activity_from).transpose()
}

/// Activities of units under any of `paths`, newest first.
pub async fn activities_under(db: &Db, paths: &[String]) -> DbResult<Vec<Activity>> {
    let mut out = Vec::new();
    for p in paths {
        let rows = sqlx::query(&format!(
            "SELECT {ACTIVITY_COLS} FROM learning_activities a JOIN units u ON u.id = a.unit_id \
             WHERE u.path LIKE $1 ORDER BY a.starts_at DESC LIMIT 200"
        ))
        .bind(format!("{p}%"))
        .fetch_all(&db.pool)
        .await?;
        for r in &rows {
            out.push(activity_from(r)?);
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.starts_at));
    Ok(out)
}

/// Activities a student is expected at: those of a unit above their class, from `from` on.
pub async fn activities_for_class(
    db: &Db,
    class_path: &str,
    from: Millis,
) -> DbResult<Vec<Activity>> {
    let rows = sqlx::query(&format!(
        "SELECT {ACTIVITY_COLS} FROM learning_activities a JOIN units u ON u.id = a.unit_id \
         WHERE $1 LIKE (u.path || '%') AND a.ends_at >= $2 ORDER BY a.starts_at LIMIT 50"
    ))
    .bind(class_path)
    .bind(from)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(activity_from).collect()
}

/// Another student already checked in at this activity from this device?
pub async fn device_used_by_other(
    tx: &mut Tx<'_>,
    activity_id: i64,
    device: &str,
    student_id: i64,
) -> DbResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM learning_checkins WHERE activity_id = $1 AND device = $2 AND student_id <> $3",
    )
    .bind(activity_id)
    .bind(device)
    .bind(student_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

/// Records a check-in; `None` when the student had already checked in.
#[allow(clippy::too_many_arguments)]
pub async fn insert_checkin(
    tx: &mut Tx<'_>,
    activity_id: i64,
    student_id: i64,
    account_id: i64,
    device: &str,
    window: i64,
    shared: bool,
    now: Millis,
) -> DbResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO learning_checkins (activity_id, student_id, account_id, device, code_window, shared_device, checked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (activity_id, student_id) DO NOTHING RETURNING id",
    )
    .bind(activity_id)
    .bind(student_id)
    .bind(account_id)
    .bind(device)
    .bind(window)
    .bind(shared as i64)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn checkins_of(db: &Db, activity_id: i64) -> DbResult<Vec<CheckIn>> {
    let rows = sqlx::query(
        "SELECT k.id, k.activity_id, k.student_id, s.name, u.name AS class_name, k.checked_at, k.shared_device \
         FROM learning_checkins k JOIN students s ON s.id = k.student_id JOIN units u ON u.id = s.class_id \
         WHERE k.activity_id = $1 ORDER BY k.checked_at",
    )
    .bind(activity_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CheckIn {
                id: r.try_get("id")?,
                activity_id: r.try_get("activity_id")?,
                student_id: r.try_get("student_id")?,
                student_name: r.try_get("name")?,
                class_name: r.try_get("class_name")?,
                checked_at: r.try_get("checked_at")?,
                shared_device: r.try_get::<i64, _>("shared_device")? != 0,
            })
        })
        .collect()
}

pub async fn checked_in(db: &Db, activity_id: i64, student_id: i64) -> DbResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM learning_checkins WHERE activity_id = $1 AND student_id = $2",
    )
    .bind(activity_id)
    .bind(student_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

// ---------- app drive ----------

pub async fn app_install(db: &Db, student_id: i64) -> DbResult<Option<AppInstall>> {
    let r = sqlx::query(
        "SELECT student_id, declared_at, verified_at FROM learning_app_installs WHERE student_id = $1",
    )
    .bind(student_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.map(|r| -> Result<AppInstall, sqlx::Error> {
        Ok(AppInstall {
            student_id: r.try_get("student_id")?,
            declared_at: r.try_get("declared_at")?,
            verified_at: r.try_get("verified_at")?,
        })
    })
    .transpose()?)
}

pub async fn declare_install(tx: &mut Tx<'_>, student_id: i64, now: Millis) -> DbResult<bool> {
    let r: Option<i64> = sqlx::query_scalar(
        "INSERT INTO learning_app_installs (student_id, declared_at) VALUES ($1, $2) \
         ON CONFLICT (student_id) DO NOTHING RETURNING student_id",
    )
    .bind(student_id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(r.is_some())
}

pub async fn verify_install(
    tx: &mut Tx<'_>,
    student_id: i64,
    by: i64,
    now: Millis,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE learning_app_installs SET verified_at = $1, verified_by = $2 WHERE student_id = $3 AND verified_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(student_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n > 0)
}

// ---------- coverage ----------

/// Figures of one class.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClassFigures {
    pub students: i64,
    /// Assignments of elective/ordinary courses, and those completed.
    pub course_assigned: i64,
    pub course_done: i64,
    /// Assignments of required courses (the first lesson), and those completed.
    pub first_assigned: i64,
    pub first_done: i64,
    /// Expected attendances (students × activities held for them so far), and check-ins.
    pub attendance_expected: i64,
    pub attended: i64,
    pub signed: i64,
    pub app_declared: i64,
    pub app_verified: i64,
}

async fn by_class(
    db: &Db,
    sql: &str,
    path: &str,
    extra: Option<i64>,
) -> DbResult<Vec<(String, i64, i64)>> {
    let mut q = sqlx::query(sql).bind(format!("{path}%"));
    if let Some(x) = extra {
        q = q.bind(x);
    }
    let rows = q.fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// The figures of every class under `path` that has enrolled students, by class path.
pub async fn class_figures(
    db: &Db,
    path: &str,
    now: Millis,
) -> DbResult<HashMap<String, ClassFigures>> {
    let mut out: HashMap<String, ClassFigures> = HashMap::new();
    let base = "FROM students s JOIN units u ON u.id = s.class_id WHERE u.path LIKE $1 AND s.status = 'enrolled'";
    for (p, n, signed) in by_class(
        db,
        &format!(
            "SELECT u.path, COUNT(*), CAST(COALESCE(SUM(CASE WHEN {SIGNED} THEN 1 ELSE 0 END), 0) AS BIGINT) \
             {base} GROUP BY u.path"
        ),
        path,
        None,
    )
    .await?
    {
        let f = out.entry(p).or_default();
        f.students = n;
        f.signed = signed;
    }
    for required in [false, true] {
        for (p, n, done) in by_class(
            db,
            &format!(
                "SELECT u.path, COUNT(*), CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM learning_completions k \
                 WHERE k.course_id = c.id AND k.student_id = s.id) THEN 1 ELSE 0 END), 0) AS BIGINT) \
                 FROM students s JOIN units u ON u.id = s.class_id JOIN learning_courses c ON c.school_id = s.school_id \
                 WHERE u.path LIKE $1 AND s.status = 'enrolled' AND c.required = $2 AND {ASSIGNED} GROUP BY u.path"
            ),
            path,
            Some(required as i64),
        )
        .await?
        {
            let f = out.entry(p).or_default();
            if required {
                f.first_assigned = n;
                f.first_done = done;
            } else {
                f.course_assigned = n;
                f.course_done = done;
            }
        }
    }
    for (p, expected, attended) in by_class(
        db,
        "SELECT u.path, COUNT(*), CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM learning_checkins k \
         WHERE k.activity_id = a.id AND k.student_id = s.id) THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM students s JOIN units u ON u.id = s.class_id JOIN learning_activities a ON a.school_id = s.school_id \
         JOIN units au ON au.id = a.unit_id \
         WHERE u.path LIKE $1 AND s.status = 'enrolled' AND u.path LIKE (au.path || '%') AND a.starts_at <= $2 \
         GROUP BY u.path",
        path,
        Some(now),
    )
    .await?
    {
        let f = out.entry(p).or_default();
        f.attendance_expected = expected;
        f.attended = attended;
    }
    for (p, declared, verified) in by_class(
        db,
        "SELECT u.path, COUNT(*), CAST(COALESCE(SUM(CASE WHEN i.verified_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM learning_app_installs i JOIN students s ON s.id = i.student_id JOIN units u ON u.id = s.class_id \
         WHERE u.path LIKE $1 AND s.status = 'enrolled' GROUP BY u.path",
        path,
        None,
    )
    .await?
    {
        let f = out.entry(p).or_default();
        f.app_declared = declared;
        f.app_verified = verified;
    }
    Ok(out)
}

/// One student of a class with where they stand.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StudentStanding {
    pub id: i64,
    pub name: String,
    pub student_no: String,
    pub first_assigned: i64,
    pub first_done: i64,
    pub course_assigned: i64,
    pub course_done: i64,
    pub attended: i64,
    pub signed: bool,
    pub app_declared: bool,
    pub app_verified: bool,
}

/// Every enrolled student of a class with their standing.
pub async fn class_standing(db: &Db, class_id: i64) -> DbResult<Vec<StudentStanding>> {
    let done = |req: i64, what: &str| {
        format!(
            "(SELECT COUNT(*) FROM learning_courses c WHERE c.school_id = s.school_id AND c.required = {req} AND {ASSIGNED}{what})"
        )
    };
    let sql = format!(
        "SELECT s.id, s.name, s.student_no, {} AS first_assigned, {} AS first_done, {} AS course_assigned, {} AS course_done, \
         (SELECT COUNT(*) FROM learning_checkins k WHERE k.student_id = s.id) AS attended, \
         CASE WHEN {SIGNED} THEN 1 ELSE 0 END AS signed, \
         (SELECT COUNT(*) FROM learning_app_installs i WHERE i.student_id = s.id) AS declared, \
         (SELECT COUNT(*) FROM learning_app_installs i WHERE i.student_id = s.id AND i.verified_at IS NOT NULL) AS verified \
         FROM students s JOIN units u ON u.id = s.class_id WHERE s.class_id = $1 AND s.status = 'enrolled' ORDER BY s.student_no",
        done(1, ""),
        done(1, " AND EXISTS (SELECT 1 FROM learning_completions k WHERE k.course_id = c.id AND k.student_id = s.id)"),
        done(0, ""),
        done(0, " AND EXISTS (SELECT 1 FROM learning_completions k WHERE k.course_id = c.id AND k.student_id = s.id)"),
    );
    let rows = sqlx::query(&sql).bind(class_id).fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            Ok(StudentStanding {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                student_no: r.try_get("student_no")?,
                first_assigned: r.try_get("first_assigned")?,
                first_done: r.try_get("first_done")?,
                course_assigned: r.try_get("course_assigned")?,
                course_done: r.try_get("course_done")?,
                attended: r.try_get("attended")?,
                signed: r.try_get::<i64, _>("signed")? != 0,
                app_declared: r.try_get::<i64, _>("declared")? > 0,
                app_verified: r.try_get::<i64, _>("verified")? > 0,
            })
        })
        .collect()
}

/// Has the school of any unit under `path` (or the school above it) published a pledge?
pub async fn pledge_published_under(db: &Db, path: &str) -> DbResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM learning_pledges p JOIN units u ON u.id = p.school_id \
         WHERE u.path LIKE $1 OR $2 LIKE (u.path || '%')",
    )
    .bind(format!("{path}%"))
    .bind(path)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

// ---------- certificates ----------

fn certificate_from(r: &AnyRow) -> Result<Certificate, sqlx::Error> {
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

const CERT_COLS: &str =
    "id, code, course_id, student_id, holder, course_title, credits_tenths, school, completed_at";

/// Issues the certificate of a completion (once per course and student); the printed fields are
/// copied in, so a later change of the course does not change a printed certificate.
pub async fn issue_certificate(
    tx: &mut Tx<'_>,
    course_id: i64,
    student_id: i64,
    code: &str,
    completed_at: Millis,
) -> DbResult<()> {
    let r = sqlx::query(
        "SELECT s.name, c.title, c.credits_tenths, u.name AS school FROM students s \
         JOIN learning_courses c ON c.id = $1 JOIN units u ON u.id = c.school_id WHERE s.id = $2",
    )
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
    student_id: i64,
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
pub async fn credits_of_school(
    db: &Db,
    school_id: i64,
) -> DbResult<Vec<(Certificate, String, String, String)>> {
    let rows = sqlx::query(
        "SELECT k.id, k.code, k.course_id, k.student_id, k.holder, k.course_title, k.credits_tenths, k.school, \
         k.completed_at, s.student_no, s.name AS student_name, u.name AS class_name \
         FROM learning_certificates k JOIN learning_courses c ON c.id = k.course_id \
         JOIN students s ON s.id = k.student_id JOIN units u ON u.id = s.class_id \
         WHERE c.school_id = $1 ORDER BY k.id",
    )
    .bind(school_id)
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
pub async fn knowledge_of(db: &Db, student_id: i64) -> DbResult<Vec<(String, i64, i64)>> {
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

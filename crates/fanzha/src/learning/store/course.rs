//! Courses, enrolments, lessons, questions and attempts.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{AccountId, StudentId, UnitId};

// ---------- courses ----------

pub(super) const COURSE_COLS: &str =
    "c.id, c.school_id, c.title, c.summary, c.credits_tenths, c.pass_percent, \
     c.per_tag, c.max_attempts, c.time_limit_min, c.required, c.deadline_at, c.created_at, c.intake_days, c.elective";

pub(super) fn course_from(r: &AnyRow) -> Result<Course, sqlx::Error> {
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
        intake_days: r.try_get("intake_days")?,
        elective: r.try_get::<i64, _>("elective")? != 0,
    })
}

pub async fn insert_course(
    tx: &mut Tx<'_>,
    school_id: UnitId,
    c: &NewCourse,
    by: AccountId,
    now: Millis,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO learning_courses (school_id, title, summary, credits_tenths, pass_percent, per_tag, \
         max_attempts, time_limit_min, required, deadline_at, created_by, created_at, intake_days, elective) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
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
    .bind(c.intake_days)
    .bind(c.elective as i64)
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
    let rows = sqlx::query(&format!(
        "SELECT e.unit_id, e.enrolment_year, u.name FROM learning_enrolments e \
         {} WHERE e.course_id = $1 ORDER BY e.id",
        sql::left_join_unit("u", "e.unit_id")
    ))
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let unit: Option<UnitId> = r.try_get("unit_id")?;
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
pub async fn courses_of_school(db: &Db, school_id: UnitId) -> DbResult<Vec<Course>> {
    let rows = sqlx::query(&format!(
        "SELECT {COURSE_COLS} FROM learning_courses c WHERE c.school_id = $1 ORDER BY c.required DESC, c.id"
    ))
    .bind(school_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(course_from).collect::<Result<_, _>>()?)
}

/// The condition "course `c` is for student `s` in class `u`" (enrolled by a unit above the
/// class, by the student's enrolment year, or by the student themselves for an elective).
pub(super) fn assigned() -> String {
    format!(
        "(EXISTS (SELECT 1 FROM learning_enrolments e {} \
         WHERE e.course_id = c.id AND ((eu.path IS NOT NULL AND u.path LIKE (eu.path || '%')) \
         OR e.enrolment_year = s.enrollment_year)) \
         OR EXISTS (SELECT 1 FROM learning_self_enrolments se WHERE se.course_id = c.id AND se.student_id = s.id))",
        sql::left_join_unit("eu", "e.unit_id")
    )
}

/// The courses a student takes.
pub async fn courses_for_student(db: &Db, student_id: StudentId) -> DbResult<Vec<Course>> {
    let rows = sqlx::query(&format!(
        "SELECT {COURSE_COLS} FROM {STUDENTS_IN_CLASSES} \
         JOIN learning_courses c ON c.school_id = s.school_id \
         WHERE s.id = $1 AND {} ORDER BY c.required DESC, c.id",
        assigned()
    ))
    .bind(student_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(course_from).collect::<Result<_, _>>()?)
}

pub async fn is_assigned(db: &Db, course_id: i64, student_id: StudentId) -> DbResult<bool> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM {STUDENTS_IN_CLASSES} \
         JOIN learning_courses c ON c.school_id = s.school_id \
         WHERE s.id = $1 AND c.id = $2 AND {}",
        assigned()
    ))
    .bind(student_id)
    .bind(course_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

// ---------- lessons ----------

pub(super) fn lesson_from(r: &AnyRow) -> Result<Lesson, sqlx::Error> {
    Ok(Lesson {
        id: r.try_get("id")?,
        course_id: r.try_get("course_id")?,
        position: r.try_get("position")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        video_url: r.try_get("video_url")?,
        module_id: r.try_get("module_id")?,
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
        "SELECT id, course_id, position, title, body, video_url, module_id FROM learning_lessons \
         WHERE course_id = $1 ORDER BY position",
    )
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(lesson_from).collect::<Result<_, _>>()?)
}

pub async fn lesson_by_id(db: &Db, id: i64) -> DbResult<Option<Lesson>> {
    let r = sqlx::query(
        "SELECT id, course_id, position, title, body, video_url, module_id FROM learning_lessons WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(lesson_from).transpose()?)
}

pub async fn record_view(
    tx: &mut Tx<'_>,
    lesson_id: i64,
    student_id: StudentId,
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
    student_id: StudentId,
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

pub(super) fn question_from(r: &AnyRow) -> Result<Question, DbError> {
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

pub(super) const QUESTION_COLS: &str =
    "q.id, q.course_id, q.kind, q.fraud_type, q.prompt, q.options, q.correct, q.explanation";

pub async fn insert_question(
    tx: &mut Tx<'_>,
    course_id: i64,
    q: &NewQuestion,
    by: AccountId,
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
    student_id: StudentId,
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

pub(super) fn attempt_from(r: &AnyRow) -> Result<Attempt, sqlx::Error> {
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

pub(super) const ATTEMPT_COLS: &str =
    "id, course_id, student_id, started_at, due_at, closed_at, score_percent, passed";

pub async fn attempts_of(
    c: &mut AnyConnection,
    course_id: i64,
    student_id: StudentId,
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
    student_id: StudentId,
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
    student_id: StudentId,
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
    student_id: StudentId,
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
        "SELECT s.id FROM {STUDENTS_IN_CLASSES} \
         JOIN learning_courses c ON c.school_id = s.school_id \
         WHERE c.id = $1 AND u.path LIKE $2 AND s.status = 'enrolled' AND {} \
         AND NOT EXISTS (SELECT 1 FROM learning_completions k WHERE k.course_id = c.id AND k.student_id = s.id) \
         ORDER BY s.id",
        assigned()
    ))
    .bind(course_id)
    .bind(format!("{under}%"))
    .fetch_all(&db.pool)
    .await?)
}

//! The figures of coverage per class and the standing of a class's students.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

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
    /// Answers in submitted assessments, and those right (the quiz average).
    pub quiz_answered: i64,
    pub quiz_right: i64,
}

/// Per class, the rows of a query naming its columns `path`, `total` and `part`.
pub(super) async fn by_class(
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
        .map(|r| Ok((r.try_get("path")?, r.try_get("total")?, r.try_get("part")?)))
        .collect()
}

/// The figures of every class under `path` that has enrolled students, by class path.
pub async fn class_figures(
    db: &Db,
    path: &str,
    now: Millis,
) -> DbResult<HashMap<String, ClassFigures>> {
    let mut out: HashMap<String, ClassFigures> = HashMap::new();
    let base = format!("FROM {STUDENTS_IN_CLASSES} WHERE u.path LIKE $1 AND s.status = 'enrolled'");
    for (p, n, signed) in by_class(
        db,
        &format!(
            "SELECT u.path AS path, COUNT(*) AS total, CAST(COALESCE(SUM(CASE WHEN {SIGNED} THEN 1 ELSE 0 END), 0) AS BIGINT) AS part \
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
                "SELECT u.path AS path, COUNT(*) AS total, CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM learning_completions k \
                 WHERE k.course_id = c.id AND k.student_id = s.id) THEN 1 ELSE 0 END), 0) AS BIGINT) AS part \
                 FROM {STUDENTS_IN_CLASSES} JOIN learning_courses c ON c.school_id = s.school_id \
                 WHERE u.path LIKE $1 AND s.status = 'enrolled' AND c.required = $2 AND {} GROUP BY u.path",
                assigned()
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
        &format!(
            "SELECT u.path AS path, COUNT(*) AS total, CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM learning_checkins k \
             WHERE k.activity_id = a.id AND k.student_id = s.id) THEN 1 ELSE 0 END), 0) AS BIGINT) AS part \
             FROM {STUDENTS_IN_CLASSES} JOIN learning_activities a ON a.school_id = s.school_id \
             {} \
             WHERE u.path LIKE $1 AND s.status = 'enrolled' AND u.path LIKE (au.path || '%') AND a.starts_at <= $2 \
             GROUP BY u.path",
            sql::join_unit("au", "a.unit_id")
        ),
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
        &format!(
            "SELECT u.path AS path, COUNT(*) AS total, CAST(COALESCE(SUM(CASE WHEN i.verified_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS part \
             FROM learning_app_installs i {} \
             WHERE u.path LIKE $1 AND s.status = 'enrolled' GROUP BY u.path",
            sql::join_student_in_class("s", "u", "i.student_id")
        ),
        path,
        None,
    )
    .await?
    {
        let f = out.entry(p).or_default();
        f.app_declared = declared;
        f.app_verified = verified;
    }
    for (p, answered, right) in by_class(
        db,
        &format!(
            "SELECT u.path AS path, COUNT(*) AS total, CAST(COALESCE(SUM(CASE WHEN i.correct = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS part \
             FROM learning_attempt_items i JOIN learning_attempts a ON a.id = i.attempt_id \
             {} \
             WHERE u.path LIKE $1 AND s.status = 'enrolled' AND i.correct IS NOT NULL GROUP BY u.path",
            sql::join_student_in_class("s", "u", "a.student_id")
        ),
        path,
        None,
    )
    .await?
    {
        let f = out.entry(p).or_default();
        f.quiz_answered = answered;
        f.quiz_right = right;
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
    pub app_screenshot: bool,
}

/// Every enrolled student of a class with their standing.
pub async fn class_standing(db: &Db, class_id: UnitId) -> DbResult<Vec<StudentStanding>> {
    let done = |req: i64, what: &str| {
        format!(
            "(SELECT COUNT(*) FROM learning_courses c WHERE c.school_id = s.school_id AND c.required = {req} AND {}{what})",
            assigned()
        )
    };
    let sql = format!(
        "SELECT s.id, s.name, s.student_no, {} AS first_assigned, {} AS first_done, {} AS course_assigned, {} AS course_done, \
         (SELECT COUNT(*) FROM learning_checkins k WHERE k.student_id = s.id) AS attended, \
         CASE WHEN {SIGNED} THEN 1 ELSE 0 END AS signed, \
         (SELECT COUNT(*) FROM learning_app_installs i WHERE i.student_id = s.id) AS declared, \
         (SELECT COUNT(*) FROM learning_app_installs i WHERE i.student_id = s.id AND i.verified_at IS NOT NULL) AS verified, \
         (SELECT COUNT(*) FROM learning_app_installs i WHERE i.student_id = s.id AND i.screenshot_key IS NOT NULL) AS screenshot \
         FROM {STUDENTS_IN_CLASSES} WHERE s.class_id = $1 AND s.status = 'enrolled' ORDER BY s.student_no",
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
                app_screenshot: r.try_get::<i64, _>("screenshot")? > 0,
            })
        })
        .collect()
}

/// Has the school of any unit under `path` (or the school above it) published a pledge?
pub async fn pledge_published_under(db: &Db, path: &str) -> DbResult<bool> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM learning_pledges p {} \
         WHERE u.path LIKE $1 OR $2 LIKE (u.path || '%')",
        sql::join_unit("u", "p.school_id")
    ))
    .bind(format!("{path}%"))
    .bind(path)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

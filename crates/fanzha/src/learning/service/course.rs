//! Courses, lessons, the assessment and completion.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{StudentId, UnitId};

// ---------- courses ----------

/// Creates a course of a school with who takes it. Enrolment units must lie inside the school.
pub async fn create_course(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    school_id: UnitId,
    c: NewCourse,
    enrol: Vec<Enrolment>,
) -> Result<i64, LearningError> {
    let school = school_to_manage(db, clock, p, actor, school_id).await?;
    if enrol.is_empty() && c.intake_days.is_none() && !c.elective {
        return Err(LearningError::Invalid(vec![Msg::new(
            "err-learning-enrol-required",
        )]));
    }
    for e in &enrol {
        match e {
            Enrolment::Unit(id) => {
                let eu = org_store::unit_by_id(db, *id).await?;
                if !eu.is_some_and(|eu| eu.path.starts_with(&school.path)) {
                    return Err(LearningError::Invalid(vec![Msg::new(
                        "err-learning-enrol-unit",
                    )]));
                }
            }
            Enrolment::Year(y) if !(2000..=2100).contains(y) => {
                return Err(LearningError::Invalid(vec![Msg::new(
                    "err-learning-enrol-year",
                )]));
            }
            Enrolment::Year(_) => {}
        }
    }
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let id = store::insert_course(&mut tx, school.id, &c, p.account_id, now).await?;
    for e in &enrol {
        store::add_enrolment(&mut tx, id, e, now).await?;
    }
    if let Some(deadline) = c.deadline_at.filter(|_| c.required) {
        for e in store::enrolment_ids(&mut tx, id).await? {
            schedule_deadline(&mut tx, now, e, deadline).await?;
        }
    }
    tx.commit().await?;
    Ok(id)
}

/// A course the caller may author (404 when absent or outside every scope).
pub async fn course_to_author(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
) -> Result<Course, LearningError> {
    let c = store::course_by_id(db, id)
        .await?
        .ok_or(LearningError::NotFound)?;
    unit_for(db, clock, p, actor, Action::ManageLearning, c.school_id).await?;
    Ok(c)
}

pub async fn add_lesson(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    course_id: i64,
    l: NewLesson,
) -> Result<i64, LearningError> {
    let c = course_to_author(db, clock, p, actor, course_id).await?;
    let mut tx = db.begin_write().await?;
    let id = store::insert_lesson(&mut tx, c.id, &l, clock.now_ms()).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn add_question(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    course_id: i64,
    q: NewQuestion,
) -> Result<i64, LearningError> {
    let c = course_to_author(db, clock, p, actor, course_id).await?;
    let mut tx = db.begin_write().await?;
    let id = store::insert_question(&mut tx, c.id, &q, p.account_id, clock.now_ms()).await?;
    tx.commit().await?;
    Ok(id)
}

pub(super) async fn progress_of(
    db: &Db,
    c: &Course,
    student_id: StudentId,
) -> Result<Progress, LearningError> {
    let mut conn = db.pool.acquire().await?;
    let lessons = store::lesson_count(&mut conn, c.id).await?;
    let viewed = store::viewed_lessons(&mut conn, c.id, student_id)
        .await?
        .len() as i64;
    let attempts = store::attempts_of(&mut conn, c.id, student_id).await?;
    let completed_at = store::completion(&mut conn, c.id, student_id).await?;
    Ok(Progress {
        lessons,
        viewed,
        attempts: attempts.len() as i64,
        passed: attempts.iter().any(|a| a.passed == Some(true)),
        best_percent: attempts.iter().filter_map(|a| a.score_percent).max(),
        completed_at,
    })
}

/// The caller's courses with their progress.
pub async fn my_courses(db: &Db, p: &Principal) -> Result<Vec<(Course, Progress)>, LearningError> {
    let s = own_student(db, p).await?;
    let mut out = Vec::new();
    for mut c in store::courses_for_student(db, s.id).await? {
        if c.required {
            c.deadline_at = store::deadline_for(db, c.id, s.id).await?;
        }
        let p = progress_of(db, &c, s.id).await?;
        out.push((c, p));
    }
    Ok(out)
}

/// One course as its student sees it.
pub struct CourseView {
    pub certificate: Option<Certificate>,
    pub course: Course,
    pub lessons: Vec<(Lesson, bool)>,
    /// The lessons by module (those outside any module last).
    pub groups: Vec<LessonGroup<bool>>,
    pub instructors: Vec<Instructor>,
    pub progress: Progress,
    pub open_attempt: Option<Attempt>,
    pub attempts_left: i64,
}

pub async fn course_for_student(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
) -> Result<CourseView, LearningError> {
    let s = own_student(db, p).await?;
    let mut course = assigned_course(db, id, s.id).await?;
    if course.required {
        course.deadline_at = store::deadline_for(db, id, s.id).await?;
    }
    let viewed = {
        let mut c = db.pool.acquire().await?;
        store::viewed_lessons(&mut c, id, s.id).await?
    };
    let lessons: Vec<(Lesson, bool)> = store::lessons_of(db, id)
        .await?
        .into_iter()
        .map(|l| {
            let v = viewed.contains(&l.id);
            (l, v)
        })
        .collect();
    let progress = progress_of(db, &course, s.id).await?;
    let now = clock.now_ms();
    let open_attempt = {
        let mut c = db.pool.acquire().await?;
        store::attempts_of(&mut c, id, s.id)
            .await?
            .into_iter()
            .find(|a| a.closed_at.is_none() && a.due_at > now)
    };
    let (instructors, modules) = structure(db, id).await?;
    let groups = group_lessons(&modules, &lessons);
    Ok(CourseView {
        groups,
        instructors,
        certificate: store::certificate_of(db, id, s.id).await?,
        attempts_left: (course.max_attempts - progress.attempts).max(0),
        course,
        lessons,
        progress,
        open_attempt,
    })
}

pub(super) async fn assigned_course(
    db: &Db,
    id: i64,
    student_id: StudentId,
) -> Result<Course, LearningError> {
    let c = store::course_by_id(db, id)
        .await?
        .ok_or(LearningError::NotFound)?;
    if !store::is_assigned(db, id, student_id).await? {
        return Err(LearningError::NotFound);
    }
    Ok(c)
}

/// Writes the completion once every lesson is viewed and an assessment passed.
pub(super) async fn complete_if_done(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    course_id: i64,
    student_id: StudentId,
    now: Millis,
) -> Result<(), LearningError> {
    let lessons = store::lesson_count(tx, course_id).await?;
    let viewed = store::viewed_lessons(tx, course_id, student_id)
        .await?
        .len() as i64;
    let passed = store::attempts_of(tx, course_id, student_id)
        .await?
        .iter()
        .any(|a| a.passed == Some(true));
    if passed && viewed >= lessons {
        store::insert_completion(tx, course_id, student_id, now).await?;
        store::issue_certificate(tx, course_id, student_id, &certificate_code(), now).await?;
    }
    Ok(())
}

/// Opens a lesson of one of the caller's courses and records that they viewed it.
pub async fn view_lesson(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
) -> Result<(Course, Lesson), LearningError> {
    let s = own_student(db, p).await?;
    let l = store::lesson_by_id(db, id)
        .await?
        .ok_or(LearningError::NotFound)?;
    let c = assigned_course(db, l.course_id, s.id).await?;
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    store::record_view(&mut tx, l.id, s.id, now).await?;
    complete_if_done(&mut tx, c.id, s.id, now).await?;
    tx.commit().await?;
    Ok((c, l))
}

/// Draws the questions of an assessment: `per_tag` of each fraud type, those this student has
/// seen least first, at random among equals.
pub fn draw(seen: &[(i64, String, i64)], per_tag: usize, rng: &mut impl rand::Rng) -> Vec<i64> {
    let mut by_tag: std::collections::BTreeMap<&str, Vec<(i64, i64)>> = Default::default();
    for (id, tag, n) in seen {
        by_tag.entry(tag.as_str()).or_default().push((*id, *n));
    }
    let mut out = Vec::new();
    for (_, mut qs) in by_tag {
        qs.shuffle(rng);
        qs.sort_by_key(|(_, n)| *n);
        out.extend(qs.into_iter().take(per_tag).map(|(id, _)| id));
    }
    out.shuffle(rng);
    out
}

/// The caller's knowledge profile: per fraud type, their assessment answers and how many were
/// right, each campaign quiz of the type they passed counting as one right answer.
pub async fn my_knowledge(
    db: &Db,
    p: &Principal,
) -> Result<Vec<(String, i64, i64)>, LearningError> {
    let s = own_student(db, p).await?;
    let mut k = store::knowledge_of(db, s.id).await?;
    for (ft, n) in crate::campaigns::exposure::quiz_passes_of(db, s.id).await? {
        match k.iter_mut().find(|(t, ..)| *t == ft) {
            Some(e) => {
                e.1 += n;
                e.2 += n;
            }
            None => k.push((ft, n, n)),
        }
    }
    k.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(k)
}

/// Per student under a unit path, their answers of one fraud type: (answered, right). The
/// learning module's published knowledge profile, read by the campaigns' exposure score.
pub async fn knowledge_under(
    db: &crate::db::Db,
    path: &str,
    fraud_type: &str,
) -> crate::db::DbResult<HashMap<StudentId, (i64, i64)>> {
    store::knowledge_under(db, path, fraud_type).await
}

/// Starts an assessment (or returns the one still open).
pub async fn start_attempt(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    course_id: i64,
) -> Result<i64, LearningError> {
    let s = own_student(db, p).await?;
    let c = assigned_course(db, course_id, s.id).await?;
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let attempts = store::attempts_of(&mut tx, c.id, s.id).await?;
    if let Some(open) = attempts
        .iter()
        .find(|a| a.closed_at.is_none() && a.due_at > now)
    {
        return Ok(open.id);
    }
    if attempts.iter().any(|a| a.passed == Some(true)) {
        return Err(LearningError::Conflict("err-learning-already-passed"));
    }
    if attempts.len() as i64 >= c.max_attempts {
        return Err(LearningError::Conflict("err-learning-no-attempts-left"));
    }
    let seen = store::questions_seen(&mut tx, c.id, s.id).await?;
    if seen.is_empty() {
        return Err(LearningError::Conflict("err-learning-no-questions"));
    }
    let picked = draw(&seen, c.per_tag as usize, &mut rand::thread_rng());
    let id = store::insert_attempt(
        &mut tx,
        c.id,
        s.id,
        now,
        now + c.time_limit_min * 60_000,
        &picked,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// An attempt of the caller's with its questions (answers and explanations once closed).
pub async fn attempt_for_student(
    db: &Db,
    p: &Principal,
    id: i64,
) -> Result<(Course, Attempt, Vec<AttemptItem>), LearningError> {
    let s = own_student(db, p).await?;
    let mut c = db.pool.acquire().await?;
    let a = store::attempt_by_id(&mut c, id)
        .await?
        .filter(|a| a.student_id == s.id)
        .ok_or(LearningError::NotFound)?;
    let items = store::items_of(&mut c, id).await?;
    drop(c);
    let course = store::course_by_id(db, a.course_id)
        .await?
        .ok_or(LearningError::NotFound)?;
    Ok((course, a, items))
}

/// Grades the answers of an open attempt and closes it. A closed or expired attempt, or an
/// answer naming an option that does not exist, is refused and nothing is written.
pub async fn submit_attempt(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
    answers: &HashMap<i64, Vec<usize>>,
) -> Result<Attempt, LearningError> {
    let s = own_student(db, p).await?;
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let a = store::attempt_by_id(&mut tx, id)
        .await?
        .filter(|a| a.student_id == s.id)
        .ok_or(LearningError::NotFound)?;
    if a.closed_at.is_some() {
        return Err(LearningError::Conflict("err-learning-attempt-closed"));
    }
    if now > a.due_at {
        return Err(LearningError::Conflict("err-learning-attempt-expired"));
    }
    let items = store::items_of(&mut tx, id).await?;
    if answers
        .keys()
        .any(|q| !items.iter().any(|i| i.question.id == *q))
    {
        return Err(LearningError::Invalid(vec![Msg::new(
            "err-learning-answer",
        )]));
    }
    let mut right = 0i64;
    for i in &items {
        let mut chosen = answers.get(&i.question.id).cloned().unwrap_or_default();
        chosen.sort_unstable();
        chosen.dedup();
        if chosen.iter().any(|c| *c >= i.question.options.len())
            || (i.question.kind != QuestionKind::Multiple && chosen.len() > 1)
        {
            return Err(LearningError::Invalid(vec![Msg::new(
                "err-learning-answer",
            )]));
        }
        let ok = chosen == i.question.correct;
        right += ok as i64;
        store::answer_item(&mut tx, id, i.question.id, &chosen, ok).await?;
    }
    let course = store::course_by_id(db, a.course_id)
        .await?
        .ok_or(LearningError::NotFound)?;
    let score = if items.is_empty() {
        0
    } else {
        right * 100 / items.len() as i64
    };
    let passed = score >= course.pass_percent;
    if !store::close_attempt(&mut tx, id, now, score, passed).await? {
        return Err(LearningError::Conflict("err-learning-attempt-closed"));
    }
    complete_if_done(&mut tx, a.course_id, s.id, now).await?;
    tx.commit().await?;
    let mut c = db.pool.acquire().await?;
    store::attempt_by_id(&mut c, id)
        .await?
        .ok_or(LearningError::Internal)
}
#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn draw_takes_the_least_seen_of_each_tag() {
        let seen = vec![
            (1, "a".to_string(), 2),
            (2, "a".to_string(), 0),
            (3, "a".to_string(), 1),
            (4, "b".to_string(), 5),
            (5, "b".to_string(), 5),
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..20 {
            let mut d = draw(&seen, 2, &mut rng);
            d.sort_unstable();
            assert_eq!(d, vec![2, 3, 4, 5]);
        }
        let one = draw(&seen, 1, &mut rng);
        assert_eq!(one.len(), 2);
        assert!(one.contains(&2));
    }
}

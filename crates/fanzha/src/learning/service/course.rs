//! Courses, lessons, the assessment and completion.

#[allow(unused_imports)]
use super::*;

// ---------- courses ----------

/// Creates a course of a school with who takes it. Enrolment units must lie inside the school.
pub async fn create_course(
    st: &AppState,
    u: &User,
    school_id: i64,
    c: NewCourse,
    enrol: Vec<Enrolment>,
) -> AppResult<i64> {
    let school = unit(st, school_id).await?;
    authorize(st, u, Action::ManageLearning, Target::Unit(&school.path)).await?;
    if school.kind != UnitKind::School {
        return Err(LearningError::NotASchoolUnit.into());
    }
    if enrol.is_empty() && c.intake_days.is_none() && !c.elective {
        return Err(LearningError::Invalid(vec![Msg::new("err-learning-enrol-required")]).into());
    }
    for e in &enrol {
        match e {
            Enrolment::Unit(id) => {
                let eu = org_store::unit_by_id(&st.db, *id).await?;
                if !eu.is_some_and(|eu| eu.path.starts_with(&school.path)) {
                    return Err(
                        LearningError::Invalid(vec![Msg::new("err-learning-enrol-unit")]).into(),
                    );
                }
            }
            Enrolment::Year(y) if !(2000..=2100).contains(y) => {
                return Err(
                    LearningError::Invalid(vec![Msg::new("err-learning-enrol-year")]).into(),
                );
            }
            Enrolment::Year(_) => {}
        }
    }
    let now = st.clock.now_ms();
    let mut tx = st.db.begin_write().await?;
    let id = store::insert_course(&mut tx, school.id, &c, u.p.account_id, now).await?;
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
pub async fn course_to_author(st: &AppState, u: &User, id: i64) -> AppResult<Course> {
    let c = store::course_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let school = unit(st, c.school_id).await?;
    authorize(st, u, Action::ManageLearning, Target::Unit(&school.path)).await?;
    Ok(c)
}

pub async fn add_lesson(st: &AppState, u: &User, course_id: i64, l: NewLesson) -> AppResult<i64> {
    let c = course_to_author(st, u, course_id).await?;
    let mut tx = st.db.begin_write().await?;
    let id = store::insert_lesson(&mut tx, c.id, &l, st.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn add_question(
    st: &AppState,
    u: &User,
    course_id: i64,
    q: NewQuestion,
) -> AppResult<i64> {
    let c = course_to_author(st, u, course_id).await?;
    let mut tx = st.db.begin_write().await?;
    let id = store::insert_question(&mut tx, c.id, &q, u.p.account_id, st.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(id)
}

pub(super) async fn progress_of(st: &AppState, c: &Course, student_id: i64) -> AppResult<Progress> {
    let mut conn = st.db.pool.acquire().await?;
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
pub async fn my_courses(st: &AppState, u: &User) -> AppResult<Vec<(Course, Progress)>> {
    let s = own_student(st, &u.p).await?;
    let mut out = Vec::new();
    for mut c in store::courses_for_student(&st.db, s.id).await? {
        if c.required {
            c.deadline_at = store::deadline_for(&st.db, c.id, s.id).await?;
        }
        let p = progress_of(st, &c, s.id).await?;
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

pub async fn course_for_student(st: &AppState, u: &User, id: i64) -> AppResult<CourseView> {
    let s = own_student(st, &u.p).await?;
    let mut course = assigned_course(st, id, s.id).await?;
    if course.required {
        course.deadline_at = store::deadline_for(&st.db, id, s.id).await?;
    }
    let viewed = {
        let mut c = st.db.pool.acquire().await?;
        store::viewed_lessons(&mut c, id, s.id).await?
    };
    let lessons: Vec<(Lesson, bool)> = store::lessons_of(&st.db, id)
        .await?
        .into_iter()
        .map(|l| {
            let v = viewed.contains(&l.id);
            (l, v)
        })
        .collect();
    let progress = progress_of(st, &course, s.id).await?;
    let now = st.clock.now_ms();
    let open_attempt = {
        let mut c = st.db.pool.acquire().await?;
        store::attempts_of(&mut c, id, s.id)
            .await?
            .into_iter()
            .find(|a| a.closed_at.is_none() && a.due_at > now)
    };
    let (instructors, modules) = structure(st, id).await?;
    let groups = group_lessons(&modules, &lessons);
    Ok(CourseView {
        groups,
        instructors,
        certificate: store::certificate_of(&st.db, id, s.id).await?,
        attempts_left: (course.max_attempts - progress.attempts).max(0),
        course,
        lessons,
        progress,
        open_attempt,
    })
}

pub(super) async fn assigned_course(st: &AppState, id: i64, student_id: i64) -> AppResult<Course> {
    let c = store::course_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !store::is_assigned(&st.db, id, student_id).await? {
        return Err(AppError::not_found());
    }
    Ok(c)
}

/// Writes the completion once every lesson is viewed and an assessment passed.
pub(super) async fn complete_if_done(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    course_id: i64,
    student_id: i64,
    now: Millis,
) -> AppResult<()> {
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
pub async fn view_lesson(st: &AppState, u: &User, id: i64) -> AppResult<(Course, Lesson)> {
    let s = own_student(st, &u.p).await?;
    let l = store::lesson_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let c = assigned_course(st, l.course_id, s.id).await?;
    let now = st.clock.now_ms();
    let mut tx = st.db.begin_write().await?;
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
pub async fn my_knowledge(st: &AppState, u: &User) -> AppResult<Vec<(String, i64, i64)>> {
    let s = own_student(st, &u.p).await?;
    let mut k = store::knowledge_of(&st.db, s.id).await?;
    for (ft, n) in crate::campaigns::exposure::quiz_passes_of(&st.db, s.id).await? {
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
) -> crate::db::DbResult<HashMap<i64, (i64, i64)>> {
    store::knowledge_under(db, path, fraud_type).await
}

/// Starts an assessment (or returns the one still open).
pub async fn start_attempt(st: &AppState, u: &User, course_id: i64) -> AppResult<i64> {
    let s = own_student(st, &u.p).await?;
    let c = assigned_course(st, course_id, s.id).await?;
    let now = st.clock.now_ms();
    let mut tx = st.db.begin_write().await?;
    let attempts = store::attempts_of(&mut tx, c.id, s.id).await?;
    if let Some(open) = attempts
        .iter()
        .find(|a| a.closed_at.is_none() && a.due_at > now)
    {
        return Ok(open.id);
    }
    if attempts.iter().any(|a| a.passed == Some(true)) {
        return Err(LearningError::Conflict("err-learning-already-passed").into());
    }
    if attempts.len() as i64 >= c.max_attempts {
        return Err(LearningError::Conflict("err-learning-no-attempts-left").into());
    }
    let seen = store::questions_seen(&mut tx, c.id, s.id).await?;
    if seen.is_empty() {
        return Err(LearningError::Conflict("err-learning-no-questions").into());
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
    st: &AppState,
    u: &User,
    id: i64,
) -> AppResult<(Course, Attempt, Vec<AttemptItem>)> {
    let s = own_student(st, &u.p).await?;
    let mut c = st.db.pool.acquire().await?;
    let a = store::attempt_by_id(&mut c, id)
        .await?
        .filter(|a| a.student_id == s.id)
        .ok_or_else(AppError::not_found)?;
    let items = store::items_of(&mut c, id).await?;
    drop(c);
    let course = store::course_by_id(&st.db, a.course_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((course, a, items))
}

/// Grades the answers of an open attempt and closes it. A closed or expired attempt, or an
/// answer naming an option that does not exist, is refused and nothing is written.
pub async fn submit_attempt(
    st: &AppState,
    u: &User,
    id: i64,
    answers: &HashMap<i64, Vec<usize>>,
) -> AppResult<Attempt> {
    let s = own_student(st, &u.p).await?;
    let now = st.clock.now_ms();
    let mut tx = st.db.begin_write().await?;
    let a = store::attempt_by_id(&mut tx, id)
        .await?
        .filter(|a| a.student_id == s.id)
        .ok_or_else(AppError::not_found)?;
    if a.closed_at.is_some() {
        return Err(LearningError::Conflict("err-learning-attempt-closed").into());
    }
    if now > a.due_at {
        return Err(LearningError::Conflict("err-learning-attempt-expired").into());
    }
    let items = store::items_of(&mut tx, id).await?;
    if answers
        .keys()
        .any(|q| !items.iter().any(|i| i.question.id == *q))
    {
        return Err(LearningError::Invalid(vec![Msg::new("err-learning-answer")]).into());
    }
    let mut right = 0i64;
    for i in &items {
        let mut chosen = answers.get(&i.question.id).cloned().unwrap_or_default();
        chosen.sort_unstable();
        chosen.dedup();
        if chosen.iter().any(|c| *c >= i.question.options.len())
            || (i.question.kind != QuestionKind::Multiple && chosen.len() > 1)
        {
            return Err(LearningError::Invalid(vec![Msg::new("err-learning-answer")]).into());
        }
        let ok = chosen == i.question.correct;
        right += ok as i64;
        store::answer_item(&mut tx, id, i.question.id, &chosen, ok).await?;
    }
    let course = store::course_by_id(&st.db, a.course_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let score = if items.is_empty() {
        0
    } else {
        right * 100 / items.len() as i64
    };
    let passed = score >= course.pass_percent;
    if !store::close_attempt(&mut tx, id, now, score, passed).await? {
        return Err(LearningError::Conflict("err-learning-attempt-closed").into());
    }
    complete_if_done(&mut tx, a.course_id, s.id, now).await?;
    tx.commit().await?;
    let mut c = st.db.pool.acquire().await?;
    store::attempt_by_id(&mut c, id)
        .await?
        .ok_or_else(AppError::internal)
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

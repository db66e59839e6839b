//! The use cases of learning, one function per action. Each checks the caller (students act on
//! their own progress only; staff through the policy over the unit concerned), owns its
//! transaction and answers with the module's error.

use std::collections::HashMap;

use rand::seq::SliceRandom;

use super::model::*;
use super::store::{self, ClassFigures, StudentStanding};
use super::LearningError;
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action, Target};
use crate::clock::Millis;
use crate::error::{AppError, AppResult, Msg};
use crate::inbox::{self, Notice, Recipient};
use crate::kernel::rotating::{Rotating, Shown};
use crate::org::access::authorize;
use crate::org::model::{Student, Unit, UnitKind};
use crate::org::store as org_store;
use crate::web::context::User;
use crate::web::AppState;

/// How long after its end an activity still takes check-ins, and how early before its start.
pub const CHECKIN_GRACE_MS: Millis = 30 * 60_000;

/// The caller's own student record, or 403 for anyone who is not a student.
pub async fn own_student(st: &AppState, p: &Principal) -> AppResult<Student> {
    let id = p
        .student_id
        .filter(|_| p.has_role(Role::Student))
        .ok_or_else(AppError::forbidden)?;
    org_store::student_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::forbidden)
}

pub fn is_student(p: &Principal) -> bool {
    p.student_id.is_some() && p.has_role(Role::Student)
}

/// The school a unit belongs to (the unit itself when it is one).
pub async fn school_of(st: &AppState, unit: &Unit) -> AppResult<Unit> {
    if unit.kind == UnitKind::School {
        return Ok(unit.clone());
    }
    org_store::school_of(&st.db, unit)
        .await?
        .ok_or_else(|| LearningError::NotASchoolUnit.into())
}

pub async fn unit(st: &AppState, id: i64) -> AppResult<Unit> {
    org_store::unit_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// The schools where the caller may author courses and the pledge.
pub async fn authoring_schools(st: &AppState, p: &Principal) -> AppResult<Vec<Unit>> {
    let paths = policy::scopes_for(p, Action::ManageLearning);
    let mut out = Vec::new();
    for path in paths {
        for u in org_store::subtree(&st.db, &path).await? {
            if u.kind == UnitKind::School {
                out.push(u);
            }
        }
        // Police: the schools of the jurisdiction are scope paths themselves.
        for u in org_store::units_by_paths(&st.db, std::slice::from_ref(&path)).await? {
            if u.kind == UnitKind::School && !out.iter().any(|o: &Unit| o.id == u.id) {
                out.push(u);
            }
        }
    }
    out.sort_by_key(|u| u.id);
    out.dedup_by_key(|u| u.id);
    Ok(out)
}

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
    if enrol.is_empty() {
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

async fn progress_of(st: &AppState, c: &Course, student_id: i64) -> AppResult<Progress> {
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
    for c in store::courses_for_student(&st.db, s.id).await? {
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
    pub progress: Progress,
    pub open_attempt: Option<Attempt>,
    pub attempts_left: i64,
}

pub async fn course_for_student(st: &AppState, u: &User, id: i64) -> AppResult<CourseView> {
    let s = own_student(st, &u.p).await?;
    let course = assigned_course(st, id, s.id).await?;
    let viewed = {
        let mut c = st.db.pool.acquire().await?;
        store::viewed_lessons(&mut c, id, s.id).await?
    };
    let lessons = store::lessons_of(&st.db, id)
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
    Ok(CourseView {
        certificate: store::certificate_of(&st.db, id, s.id).await?,
        attempts_left: (course.max_attempts - progress.attempts).max(0),
        course,
        lessons,
        progress,
        open_attempt,
    })
}

async fn assigned_course(st: &AppState, id: i64, student_id: i64) -> AppResult<Course> {
    let c = store::course_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !store::is_assigned(&st.db, id, student_id).await? {
        return Err(AppError::not_found());
    }
    Ok(c)
}

/// Writes the completion once every lesson is viewed and an assessment passed.
async fn complete_if_done(
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

/// The caller's knowledge profile: per fraud type, the share of quiz answers they got right.
pub async fn my_knowledge(st: &AppState, u: &User) -> AppResult<Vec<(String, i64, i64)>> {
    let s = own_student(st, &u.p).await?;
    Ok(store::knowledge_of(&st.db, s.id).await?)
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

/// Tells every student of a required course under `unit_id` who has not finished it. Returns how
/// many were told.
pub async fn remind_unfinished(
    st: &AppState,
    u: &User,
    course_id: i64,
    unit_id: i64,
) -> AppResult<i64> {
    let under = unit(st, unit_id).await?;
    authorize(st, u, Action::RunActivities, Target::Unit(&under.path)).await?;
    let c = store::course_by_id(&st.db, course_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let school = unit(st, c.school_id).await?;
    if !under.path.starts_with(&school.path) {
        return Err(AppError::not_found());
    }
    let ids = store::unfinished_students(&st.db, c.id, &under.path).await?;
    let now = st.clock.now_ms();
    let deadline = c
        .deadline_at
        .map(|d| crate::web::layout::fmt_time(d, u.p.time_zone))
        .unwrap_or_default();
    let n = Notice {
        kind: "learning".into(),
        title: format!("请完成课程:{}", c.title),
        body: if deadline.is_empty() {
            "你还没有完成这门课程,请尽快学习并通过测验。".into()
        } else {
            format!("你还没有完成这门课程,截止时间 {deadline},请尽快学习并通过测验。")
        },
        link: Some(format!("/learning/courses/{}", c.id)),
    };
    let mut tx = st.db.begin_write().await?;
    for id in &ids {
        inbox::notify_once(
            &mut *tx,
            &st.clock,
            &Recipient::Student(*id),
            &n,
            Some(&format!("learning-course:{}:{now}", c.id)),
        )
        .await?;
    }
    tx.commit().await?;
    inbox::bump();
    Ok(ids.len() as i64)
}

/// Sets a school's weights of the appraisal components (school admins of that school).
pub async fn set_weights(
    st: &AppState,
    u: &User,
    school_id: i64,
    weights: &[(&str, i64)],
) -> AppResult<()> {
    let school = unit(st, school_id).await?;
    authorize(st, u, Action::ConfigureWarnings, Target::Unit(&school.path)).await?;
    if school.kind != UnitKind::School {
        return Err(LearningError::NotASchoolUnit.into());
    }
    for (k, w) in weights {
        crate::appraisal::set_weight(&st.db, school.id, k, *w).await?;
    }
    Ok(())
}

/// A certificate by its verification code, for anyone (the public verify page).
pub async fn verify_certificate(st: &AppState, code: &str) -> AppResult<Certificate> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::not_found());
    }
    store::certificate_by_code(&st.db, &code)
        .await?
        .ok_or_else(AppError::not_found)
}

/// The credit export of a school for academic affairs: one row per certificate, keyed by the
/// certificate number, so a re-export has the same rows byte for byte and a re-import elsewhere can
/// skip what it has. Staff allowed to export the school's roster only; the export is audited.
pub async fn credit_csv(st: &AppState, u: &User, school_id: i64) -> AppResult<(Unit, String)> {
    use crate::csv_export::{num, Cell, CsvOut};
    let school = unit(st, school_id).await?;
    authorize(st, u, Action::ExportRoster, Target::Unit(&school.path)).await?;
    if school.kind != UnitKind::School {
        return Err(LearningError::NotASchoolUnit.into());
    }
    let rows = store::credits_of_school(&st.db, school.id).await?;
    crate::audit::person_list_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        crate::audit::ListRead {
            export: true,
            kind: "student",
            unit_path: school.path.clone(),
            filter: serde_json::json!({"learning_credits": school.id}),
            ids: rows.iter().map(|r| r.0.student_id).collect(),
        },
    )
    .await?;
    let mut w = CsvOut::with_bom();
    w.text_row([
        "记录编号",
        "学号",
        "姓名",
        "班级",
        "课程",
        "学分",
        "完成日期",
        "证书验证码",
    ]);
    for (c, no, name, class) in &rows {
        let day = chrono::DateTime::from_timestamp_millis(c.completed_at)
            .map(|d| {
                d.with_timezone(&chrono_tz::Asia::Shanghai)
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .unwrap_or_default();
        w.row([
            Cell::Text(&c.number()),
            Cell::Text(no),
            Cell::Text(name),
            Cell::Text(class),
            Cell::Text(&c.course_title),
            num(c.credits()),
            Cell::Text(&day),
            Cell::Text(&c.code),
        ]);
    }
    Ok((school, w.finish_string()))
}

// ---------- pledge ----------

/// Publishes a new version of a school's pledge text.
pub async fn publish_pledge(
    st: &AppState,
    u: &User,
    school_id: i64,
    body: &str,
) -> AppResult<Pledge> {
    let school = unit(st, school_id).await?;
    authorize(st, u, Action::ManageLearning, Target::Unit(&school.path)).await?;
    if school.kind != UnitKind::School {
        return Err(LearningError::NotASchoolUnit.into());
    }
    let body = match crate::text::multiline(body) {
        Ok("") => {
            return Err(LearningError::Invalid(vec![Msg::new("err-learning-body-required")]).into())
        }
        Ok(b) if b.chars().count() > 5000 => {
            return Err(LearningError::Invalid(vec![
                Msg::new("err-learning-body-long").arg("max", 5000)
            ])
            .into())
        }
        Ok(b) => b.to_string(),
        Err(e) => return Err(LearningError::Invalid(vec![Msg::new(e.key())]).into()),
    };
    let mut tx = st.db.begin_write().await?;
    let p =
        store::insert_pledge(&mut tx, school.id, &body, u.p.account_id, st.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(p)
}

pub async fn current_pledge(st: &AppState, school_id: i64) -> AppResult<Option<Pledge>> {
    let mut c = st.db.pool.acquire().await?;
    Ok(store::current_pledge(&mut c, school_id).await?)
}

/// The caller's school pledge and their live signature of it.
pub async fn my_pledge(
    st: &AppState,
    u: &User,
) -> AppResult<(Student, Option<Pledge>, Option<Signature>)> {
    let s = own_student(st, &u.p).await?;
    let mut c = st.db.pool.acquire().await?;
    let p = store::current_pledge(&mut c, s.school_id).await?;
    let sig = match &p {
        Some(p) => store::live_signature(&mut c, p.id, s.id).await?,
        None => None,
    };
    Ok((s, p, sig))
}

/// Signs the current pledge: the full name as on the roster, consent given, and the hash of the
/// text the student read (a text changed meanwhile is refused). One live signature per version.
pub async fn sign_pledge(
    st: &AppState,
    u: &User,
    typed_name: &str,
    consent: bool,
    hash: &str,
) -> AppResult<Signature> {
    let s = own_student(st, &u.p).await?;
    let mut problems = Vec::new();
    if !consent {
        problems.push(Msg::new("err-learning-consent"));
    }
    let typed = typed_name.trim();
    if typed != s.name.trim() {
        problems.push(Msg::new("err-learning-typed-name"));
    }
    if !problems.is_empty() {
        return Err(LearningError::Invalid(problems).into());
    }
    let now = st.clock.now_ms();
    let mut tx = st.db.begin_write().await?;
    let p = store::current_pledge(&mut tx, s.school_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if p.body_hash != hash.trim() {
        return Err(LearningError::Conflict("err-learning-pledge-changed").into());
    }
    let id = store::insert_signature(&mut tx, &p, s.id, typed, now)
        .await?
        .ok_or(LearningError::Conflict("err-learning-already-signed"))?;
    tx.commit().await?;
    Ok(Signature {
        id,
        pledge_id: p.id,
        student_id: s.id,
        typed_name: typed.to_string(),
        body_hash: p.body_hash,
        signed_at: now,
        withdrawn_at: None,
    })
}

pub async fn withdraw_pledge(st: &AppState, u: &User) -> AppResult<()> {
    let s = own_student(st, &u.p).await?;
    let mut tx = st.db.begin_write().await?;
    let p = store::current_pledge(&mut tx, s.school_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !store::withdraw_signature(&mut tx, p.id, s.id, st.clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-not-signed").into());
    }
    tx.commit().await?;
    Ok(())
}

/// Tells exactly the students under a unit who have no live signature of the current pledge.
pub async fn remind_unsigned(st: &AppState, u: &User, unit_id: i64) -> AppResult<i64> {
    let under = unit(st, unit_id).await?;
    authorize(st, u, Action::RunActivities, Target::Unit(&under.path)).await?;
    let ids = store::unsigned_students(&st.db, &under.path).await?;
    let now = st.clock.now_ms();
    let n = Notice {
        kind: "learning".into(),
        title: "请签署反诈承诺书".into(),
        body: "自觉防诈、拒绝参诈、坚决反诈:请阅读并签署学校的反诈承诺书。".into(),
        link: Some("/learning/pledge".into()),
    };
    let mut tx = st.db.begin_write().await?;
    for id in &ids {
        inbox::notify_once(
            &mut *tx,
            &st.clock,
            &Recipient::Student(*id),
            &n,
            Some(&format!("learning-pledge:{now}")),
        )
        .await?;
    }
    tx.commit().await?;
    inbox::bump();
    Ok(ids.len() as i64)
}

// ---------- activities ----------

pub async fn create_activity(
    st: &AppState,
    u: &User,
    unit_id: i64,
    a: NewActivity,
) -> AppResult<i64> {
    let un = unit(st, unit_id).await?;
    authorize(st, u, Action::RunActivities, Target::Unit(&un.path)).await?;
    let school = school_of(st, &un).await?;
    let mut tx = st.db.begin_write().await?;
    let id = store::insert_activity(
        &mut tx,
        school.id,
        un.id,
        &a,
        u.p.account_id,
        &u.p.display_name,
        st.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// An activity its organiser (or staff over its unit) may run: the screen, the attendance.
pub async fn activity_to_run(st: &AppState, u: &User, id: i64) -> AppResult<Activity> {
    let a = store::activity_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if a.organiser_account_id != u.p.account_id {
        authorize(st, u, Action::RunActivities, Target::Unit(&a.unit_path)).await?;
    }
    Ok(a)
}

async fn rotating(st: &AppState, activity_id: i64) -> AppResult<Rotating> {
    let key = crate::db::keys::server_key(&st.db, "checkin").await?;
    Ok(Rotating::new(&key, &format!("activity:{activity_id}")))
}

/// The code the room's screen shows now.
pub async fn screen_code(st: &AppState, u: &User, id: i64) -> AppResult<(Activity, Shown)> {
    let a = activity_to_run(st, u, id).await?;
    let r = rotating(st, a.id).await?;
    Ok((a, r.shown(st.clock.now_ms())))
}

pub async fn attendance(
    st: &AppState,
    u: &User,
    id: i64,
) -> AppResult<(Activity, Vec<CheckIn>, i64)> {
    let a = activity_to_run(st, u, id).await?;
    let list = store::checkins_of(&st.db, a.id).await?;
    let expected = org_store::student_count_under(&st.db, &a.unit_path).await?;
    Ok((a, list, expected))
}

/// An activity the caller (a student) is expected at; another unit's activity is refused.
pub async fn activity_for_student(
    st: &AppState,
    u: &User,
    id: i64,
) -> AppResult<(Student, Activity, bool)> {
    let s = own_student(st, &u.p).await?;
    let a = store::activity_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !s.class_path.starts_with(&a.unit_path) {
        return Err(LearningError::NotYourActivity.into());
    }
    let done = store::checked_in(&st.db, a.id, s.id).await?;
    Ok((s, a, done))
}

/// Checks the signed-in student in with a code from the screen (the QR token or the six digits).
/// `device` is the browser's device cookie: the second account checked in from one device is
/// flagged to the organiser.
pub async fn check_in(
    st: &AppState,
    u: &User,
    id: i64,
    code: &str,
    device: &str,
) -> AppResult<CheckIn> {
    let (s, a, _) = activity_for_student(st, u, id).await?;
    let now = st.clock.now_ms();
    if now < a.starts_at - CHECKIN_GRACE_MS || now > a.ends_at + CHECKIN_GRACE_MS {
        return Err(LearningError::Conflict("err-learning-activity-closed").into());
    }
    let r = rotating(st, a.id).await?;
    let window = r
        .check(code, now)
        .ok_or(LearningError::Invalid(vec![Msg::new("err-learning-code")]))?;
    let mut tx = st.db.begin_write().await?;
    let shared = store::device_used_by_other(&mut tx, a.id, device, s.id).await?;
    let cid = store::insert_checkin(
        &mut tx,
        a.id,
        s.id,
        u.p.account_id,
        device,
        window,
        shared,
        now,
    )
    .await?
    .ok_or(LearningError::Conflict("err-learning-already-checked-in"))?;
    if shared {
        inbox::notify(
            &mut *tx,
            &st.clock,
            &Recipient::Account(a.organiser_account_id),
            &Notice {
                kind: "learning".into(),
                title: format!("签到提示:{}", a.title),
                body: format!(
                    "{}({})的签到来自一台已为其他同学签到的设备,请核实是否代签。",
                    s.name, s.class_name
                ),
                link: Some(format!("/learning/activities/{}", a.id)),
            },
        )
        .await?;
    }
    tx.commit().await?;
    if shared {
        inbox::bump();
    }
    Ok(CheckIn {
        id: cid,
        activity_id: a.id,
        student_id: s.id,
        student_name: s.name,
        class_name: s.class_name,
        checked_at: now,
        shared_device: shared,
    })
}

pub async fn my_activities(st: &AppState, u: &User) -> AppResult<Vec<(Activity, bool)>> {
    let s = own_student(st, &u.p).await?;
    let now = st.clock.now_ms();
    let mut out = Vec::new();
    for a in store::activities_for_class(&st.db, &s.class_path, now - CHECKIN_GRACE_MS).await? {
        let done = store::checked_in(&st.db, a.id, s.id).await?;
        out.push((a, done));
    }
    Ok(out)
}

pub async fn activities_to_run(st: &AppState, u: &User) -> AppResult<Vec<Activity>> {
    let paths = policy::scopes_for(&u.p, Action::RunActivities);
    let mut v = store::activities_under(&st.db, &paths).await?;
    v.dedup_by_key(|a| a.id);
    Ok(v)
}

// ---------- the app drive ----------

pub async fn my_app(st: &AppState, u: &User) -> AppResult<Option<AppInstall>> {
    let s = own_student(st, &u.p).await?;
    Ok(store::app_install(&st.db, s.id).await?)
}

pub async fn declare_app(st: &AppState, u: &User) -> AppResult<()> {
    let s = own_student(st, &u.p).await?;
    let mut tx = st.db.begin_write().await?;
    if !store::declare_install(&mut tx, s.id, st.clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-app-declared").into());
    }
    tx.commit().await?;
    Ok(())
}

/// A counselor (or staff over the class) marks a student's declared install as checked.
pub async fn verify_app(st: &AppState, u: &User, student_id: i64) -> AppResult<()> {
    let s = org_store::student_by_id(&st.db, student_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(st, u, Action::RunActivities, Target::Unit(&s.class_path)).await?;
    let mut tx = st.db.begin_write().await?;
    if store::app_install(&st.db, s.id).await?.is_none() {
        return Err(LearningError::Conflict("err-learning-app-not-declared").into());
    }
    if !store::verify_install(&mut tx, s.id, u.p.account_id, st.clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-app-verified").into());
    }
    tx.commit().await?;
    Ok(())
}

// ---------- coverage ----------

/// One unit of the coverage tree with its figures (its classes summed).
#[derive(Clone, Debug, serde::Serialize)]
pub struct CoverageRow {
    pub unit: Unit,
    pub figures: ClassFigures,
}

fn sum_under(all: &HashMap<String, ClassFigures>, path: &str) -> ClassFigures {
    let mut f = ClassFigures::default();
    for (p, c) in all {
        if p.starts_with(path) {
            f.students += c.students;
            f.course_assigned += c.course_assigned;
            f.course_done += c.course_done;
            f.first_assigned += c.first_assigned;
            f.first_done += c.first_done;
            f.attendance_expected += c.attendance_expected;
            f.attended += c.attended;
            f.signed += c.signed;
            f.app_declared += c.app_declared;
            f.app_verified += c.app_verified;
        }
    }
    f
}

/// The coverage of a unit: its own figures, its children's, and for a class its students.
pub struct Coverage {
    pub unit: Unit,
    pub total: ClassFigures,
    pub children: Vec<CoverageRow>,
    pub students: Vec<StudentStanding>,
    pub ancestors: Vec<Unit>,
}

pub async fn coverage(st: &AppState, u: &User, unit_id: i64) -> AppResult<Coverage> {
    let un = unit(st, unit_id).await?;
    authorize(st, u, Action::ViewLearning, Target::Unit(&un.path)).await?;
    let all = store::class_figures(&st.db, &un.path, st.clock.now_ms()).await?;
    let children = org_store::children(&st.db, un.id)
        .await?
        .into_iter()
        .map(|c| CoverageRow {
            figures: sum_under(&all, &c.path),
            unit: c,
        })
        .collect();
    let students = if un.kind == UnitKind::Class {
        let list = store::class_standing(&st.db, un.id).await?;
        crate::audit::person_list_read(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            crate::audit::ListRead {
                export: false,
                kind: "student",
                unit_path: un.path.clone(),
                filter: serde_json::json!({"learning_coverage": un.id}),
                ids: list.iter().map(|s| s.id).collect(),
            },
        )
        .await?;
        list
    } else {
        vec![]
    };
    let ancestors = org_store::ancestors(&st.db, &un)
        .await?
        .into_iter()
        .filter(|a| a.id != un.id)
        .filter(|a| policy::allows(&u.p, Action::ViewLearning, &Target::Unit(&a.path)))
        .collect();
    Ok(Coverage {
        total: sum_under(&all, &un.path),
        unit: un,
        children,
        students,
        ancestors,
    })
}

/// The figures of every unit under `path`, by unit path (classes summed): what the appraisal
/// components and the property tests read.
pub async fn figures_under(
    st: &crate::db::Db,
    path: &str,
    now: Millis,
) -> AppResult<HashMap<String, ClassFigures>> {
    Ok(store::class_figures(st, path, now).await?)
}

pub fn rollup(all: &HashMap<String, ClassFigures>, path: &str) -> ClassFigures {
    sum_under(all, path)
}

/// The units whose coverage the caller may open first (the roots of their scopes).
pub async fn coverage_roots(st: &AppState, p: &Principal) -> AppResult<Vec<Unit>> {
    let paths = policy::scopes_for(p, Action::ViewLearning);
    Ok(org_store::units_by_paths(&st.db, &paths).await?)
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

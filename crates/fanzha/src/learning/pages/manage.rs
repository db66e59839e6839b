//! Authoring (courses, lessons, questions, weights) and the pledge.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

// ---------- authoring ----------

#[derive(Template)]
#[template(path = "learning/manage.html")]
pub(super) struct ManagePage {
    ctx: PageCtx,
    schools: Vec<SchoolRow>,
}

/// A school of the management page: its courses, current pledge and appraisal weights.
type SchoolRow = (
    Unit,
    Vec<Course>,
    Option<Pledge>,
    Vec<(&'static str, String, i64)>,
    Vec<Term>,
);

pub(super) async fn manage(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let schools = service::authoring_schools(&st.db, &u.p).await?;
    if schools.is_empty() {
        return Err(AppError::forbidden());
    }
    let mut rows = Vec::new();
    for s in schools {
        let courses = crate::learning::store::courses_of_school(&st.db, s.id).await?;
        let p = service::current_pledge(&st.db, s.id).await?;
        let ctx = &u.ctx;
        // Only those who set the school's appraisal settings see its weights.
        let w = if policy::allows(
            &u.p,
            Action::ConfigureWarnings,
            &policy::Target::Unit(&s.path),
        ) {
            crate::appraisal::weights(&st.db, &s.path)
                .await?
                .into_iter()
                .map(|(c, w)| (c.key, ctx.t(c.name_key), w))
                .collect()
        } else {
            vec![]
        };
        let terms = service::terms_of(&st.db, s.id).await?;
        rows.push((s, courses, p, w, terms));
    }
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(ManagePage { ctx, schools: rows }.render()?))
}

#[derive(Deserialize)]
pub(super) struct CourseForm {
    school: UnitId,
    title: String,
    #[serde(default)]
    summary: String,
    credits: String,
    pass_percent: String,
    per_tag: String,
    max_attempts: String,
    time_limit_min: String,
    #[serde(default)]
    required: Option<String>,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    enrol_unit: String,
    #[serde(default)]
    enrol_year: String,
    #[serde(default)]
    intake_days: String,
    #[serde(default)]
    elective: Option<String>,
}

pub(super) async fn create_course(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<CourseForm>,
) -> AppResult<Redirect> {
    let deadline = if f.deadline.trim().is_empty() {
        None
    } else {
        Some(
            crate::kernel::time::parse_local(&f.deadline, u.p.time_zone).ok_or_else(|| {
                crate::learning::LearningError::Invalid(vec![crate::error::Msg::new(
                    "err-learning-when",
                )])
            })?,
        )
    };
    let c = NewCourse::parse(
        &f.title,
        &f.summary,
        &f.credits,
        &f.pass_percent,
        &f.per_tag,
        &f.max_attempts,
        &f.time_limit_min,
        f.required.is_some(),
        deadline,
    )
    .and_then(|c| c.reach(&f.intake_days, f.elective.is_some()))
    .map_err(crate::learning::LearningError::Invalid)?;
    let mut enrol = Vec::new();
    if let Some(code) = Some(f.enrol_unit.trim()).filter(|c| !c.is_empty()) {
        let un = crate::org::store::unit_by_code(&st.db, code)
            .await?
            .ok_or_else(|| {
                crate::learning::LearningError::Invalid(vec![crate::error::Msg::new(
                    "err-learning-enrol-unit",
                )])
            })?;
        enrol.push(Enrolment::Unit(un.id));
    }
    if !f.enrol_year.trim().is_empty() {
        let y = f.enrol_year.trim().parse::<i64>().map_err(|_| {
            crate::learning::LearningError::Invalid(vec![crate::error::Msg::new(
                "err-learning-enrol-year",
            )])
        })?;
        enrol.push(Enrolment::Year(y));
    }
    let id =
        service::create_course(&st.db, &st.clock, &u.p, &u.ctx.actor(), f.school, c, enrol).await?;
    Ok(Redirect::to(&format!("/learning/courses/{id}")))
}

#[derive(Deserialize)]
pub(super) struct LessonForm {
    title: String,
    body: String,
    #[serde(default)]
    video_url: String,
}

pub(super) async fn add_lesson(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<LessonForm>,
) -> AppResult<Redirect> {
    let l = NewLesson::parse(&f.title, &f.body, &f.video_url)
        .map_err(crate::learning::LearningError::Invalid)?;
    service::add_lesson(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, l).await?;
    Ok(Redirect::to(&format!("/learning/courses/{id}")))
}

pub(super) async fn add_question(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    axum_extra::extract::Form(pairs): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Redirect> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let correct: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "correct")
        .map(|(_, v)| v.clone())
        .collect();
    let q = NewQuestion::parse(
        get("kind"),
        get("fraud_type"),
        get("prompt"),
        get("options"),
        &correct,
        get("explanation"),
    )
    .map_err(crate::learning::LearningError::Invalid)?;
    service::add_question(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, q).await?;
    Ok(Redirect::to(&format!("/learning/courses/{id}")))
}

#[derive(Deserialize)]
pub(super) struct UnitForm {
    unit: UnitId,
}

pub(super) async fn remind_course(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<UnitForm>,
) -> AppResult<Redirect> {
    let n = service::remind_unfinished(
        &st.db,
        &st.clock,
        &st.jobs,
        &u.p,
        &u.ctx.actor(),
        id,
        f.unit,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/learning/coverage?unit={}&reminded={n}",
        f.unit
    )))
}

pub(super) async fn weights(
    State(st): State<AppState>,
    u: User,
    axum_extra::extract::Form(pairs): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Redirect> {
    let school = pairs
        .iter()
        .find(|(k, _)| k == "school")
        .and_then(|(_, v)| v.parse::<UnitId>().ok())
        .ok_or_else(AppError::not_found)?;
    let mut set = Vec::new();
    for c in crate::appraisal::COMPONENTS {
        if let Some((_, v)) = pairs.iter().find(|(k, _)| k == c.key) {
            match v.trim().parse::<i64>() {
                Ok(w) if (0..=100).contains(&w) => set.push((c.key, w)),
                _ => {
                    return Err(crate::learning::LearningError::Invalid(vec![
                        crate::error::Msg::new("err-learning-weight"),
                    ])
                    .into())
                }
            }
        }
    }
    service::set_weights(&st.db, &st.clock, &u.p, &u.ctx.actor(), school, &set).await?;
    Ok(Redirect::to("/learning/manage"))
}

// ---------- pledge ----------

#[derive(Template)]
#[template(path = "learning/pledge.html")]
pub(super) struct PledgePage {
    ctx: PageCtx,
    name_hint: String,
    pledge: Option<Pledge>,
    signature: Option<Signature>,
}

pub(super) async fn pledge(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let (s, pledge, signature) = service::my_pledge(&st.db, &u.p).await?;
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        PledgePage {
            ctx,
            name_hint: crate::org::model::mask_name(&s.name),
            pledge,
            signature,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub(super) struct SignForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    hash: String,
}

pub(super) async fn sign(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<SignForm>,
) -> AppResult<Redirect> {
    service::sign_pledge(
        &st.db,
        &st.clock,
        &u.p,
        &f.full_name,
        f.consent.is_some(),
        &f.hash,
    )
    .await?;
    Ok(Redirect::to("/learning/pledge"))
}

pub(super) async fn withdraw(State(st): State<AppState>, u: User) -> AppResult<Redirect> {
    service::withdraw_pledge(&st.db, &st.clock, &u.p).await?;
    Ok(Redirect::to("/learning/pledge"))
}

#[derive(Deserialize)]
pub(super) struct PublishForm {
    school: UnitId,
    body: String,
}

pub(super) async fn publish(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<PublishForm>,
) -> AppResult<Redirect> {
    service::publish_pledge(&st.db, &st.clock, &u.p, &u.ctx.actor(), f.school, &f.body).await?;
    Ok(Redirect::to("/learning/manage"))
}

pub(super) async fn remind_pledge(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<UnitForm>,
) -> AppResult<Redirect> {
    let n =
        service::remind_unsigned(&st.db, &st.clock, &st.jobs, &u.p, &u.ctx.actor(), f.unit).await?;
    Ok(Redirect::to(&format!(
        "/learning/coverage?unit={}&reminded={n}",
        f.unit
    )))
}

#[derive(Deserialize)]
pub(super) struct TermForm {
    school: UnitId,
    academic_year: String,
    semester: String,
    first_day: String,
    last_day: String,
}

pub(super) async fn set_term(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<TermForm>,
) -> AppResult<Redirect> {
    let t = NewTerm::parse(&f.academic_year, &f.semester, &f.first_day, &f.last_day)
        .map_err(crate::learning::LearningError::Invalid)?;
    service::set_term(&st.db, &st.clock, &u.p, &u.ctx.actor(), f.school, t).await?;
    Ok(Redirect::to(&format!(
        "/learning/manage#school-{}",
        f.school
    )))
}

//! HTML pages of learning: the student's hub (courses, first lesson, pledge, activities, app), a
//! course with its lessons and assessment, the pledge, check-in, the room's screen with its
//! rotating code, authoring for school admins and police, and the coverage tree with drill-down.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::model::*;
use super::service::{self, CourseView, Coverage};
use super::store::ClassFigures;
use crate::auth::policy::{self, Action};
use crate::error::{AppError, AppResult};
use crate::kernel::rotating::Shown;
use crate::org::model::Unit;
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

/// The cookie that names a browser for check-in (a second account checked in from it is flagged).
pub const DEVICE_COOKIE: &str = "fz_device";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/learning", get(hub))
        .route("/learning/manage", get(manage))
        .route("/learning/courses", post(create_course))
        .route("/learning/courses/{id}", get(course))
        .route("/learning/courses/{id}/lessons", post(add_lesson))
        .route("/learning/courses/{id}/questions", post(add_question))
        .route("/learning/courses/{id}/start", post(start))
        .route("/learning/courses/{id}/remind", post(remind_course))
        .route("/learning/lessons/{id}", get(lesson))
        .route("/learning/attempts/{id}", get(attempt).post(submit))
        .route("/learning/pledge", get(pledge))
        .route("/learning/pledge/sign", post(sign))
        .route("/learning/pledge/withdraw", post(withdraw))
        .route("/learning/pledge/publish", post(publish))
        .route("/learning/pledge/remind", post(remind_pledge))
        .route("/learning/activities", post(create_activity))
        .route("/learning/activities/{id}", get(activity))
        .route("/learning/activities/{id}/checkin", post(checkin))
        .route("/learning/activities/{id}/screen", get(screen))
        .route("/learning/activities/{id}/code", get(code))
        .route("/learning/app/declare", post(declare))
        .route("/learning/app/verify/{student}", post(verify))
        .route("/learning/coverage", get(coverage))
        .route("/learning/weights", post(weights))
        .route("/verify/{code}", get(verify_certificate))
        .route("/learning/credits/{school}", get(credits_csv))
}

fn pct(n: i64, d: i64) -> String {
    if d <= 0 {
        "—".into()
    } else {
        format!("{:.0}%", n as f64 * 100.0 / d as f64)
    }
}

/// A figures row ready to show.
pub struct FigRow {
    pub students: i64,
    pub course: String,
    pub first: String,
    pub attendance: String,
    pub pledge: String,
    pub app_declared: String,
    pub app_verified: String,
}

impl From<&ClassFigures> for FigRow {
    fn from(f: &ClassFigures) -> Self {
        FigRow {
            students: f.students,
            course: pct(f.course_done, f.course_assigned),
            first: pct(f.first_done, f.first_assigned),
            attendance: pct(f.attended, f.attendance_expected),
            pledge: pct(f.signed, f.students),
            app_declared: pct(f.app_declared, f.students),
            app_verified: pct(f.app_verified, f.students),
        }
    }
}

// ---------- hub ----------

#[derive(Template)]
#[template(path = "learning/hub.html")]
struct HubPage {
    ctx: PageCtx,
    student: bool,
    courses: Vec<(Course, Progress)>,
    /// Per fraud type: (name, answered, right, share text).
    knowledge: Vec<(String, i64, i64, String)>,
    signed: Option<bool>,
    app: Option<Option<AppInstall>>,
    activities: Vec<(Activity, bool)>,
    running: Vec<Activity>,
    can_manage: bool,
    roots: Vec<Unit>,
    now: i64,
}

async fn hub(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let ctx = page_ctx(&st, &u).await;
    let student = service::is_student(&u.p);
    let has = |a: Action| !policy::scopes_for(&u.p, a).is_empty();
    let (courses, signed, app, activities) = if student {
        let (_, p, sig) = service::my_pledge(&st, &u).await?;
        (
            service::my_courses(&st, &u).await?,
            p.map(|_| sig.is_some()),
            Some(service::my_app(&st, &u).await?),
            service::my_activities(&st, &u).await?,
        )
    } else {
        (vec![], None, None, vec![])
    };
    let knowledge = if student {
        service::my_knowledge(&st, &u)
            .await?
            .into_iter()
            .map(|(ft, n, r)| (ctx.fraud_type(&ft), n, r, pct(r, n)))
            .collect()
    } else {
        vec![]
    };
    let running = if has(Action::RunActivities) {
        service::activities_to_run(&st, &u).await?
    } else {
        vec![]
    };
    let roots = if has(Action::ViewLearning) {
        service::coverage_roots(&st, &u.p).await?
    } else {
        vec![]
    };
    Ok(Html(
        HubPage {
            ctx,
            student,
            courses,
            knowledge,
            signed,
            app,
            activities,
            running,
            can_manage: has(Action::ManageLearning),
            roots,
            now: st.clock.now_ms(),
        }
        .render()?,
    ))
}

// ---------- courses ----------

#[derive(Template)]
#[template(path = "learning/course.html")]
struct CoursePage {
    ctx: PageCtx,
    v: CourseView,
    now: i64,
}

#[derive(Template)]
#[template(path = "learning/author.html")]
struct AuthorPage {
    ctx: PageCtx,
    course: Course,
    lessons: Vec<Lesson>,
    questions: Vec<Question>,
    enrolments: Vec<String>,
    fraud_types: Vec<(&'static str, String)>,
}

fn fraud_types(ctx: &PageCtx) -> Vec<(&'static str, String)> {
    fanzha_detect::FraudType::ALL
        .into_iter()
        .filter(|t| t.is_fraud())
        .map(|t| (t.id(), ctx.fraud_type(t.id())))
        .collect()
}

async fn course(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> AppResult<Response> {
    let ctx = page_ctx(&st, &u).await;
    if service::is_student(&u.p) {
        let v = service::course_for_student(&st, &u, id).await?;
        return Ok(Html(
            CoursePage {
                ctx,
                v,
                now: st.clock.now_ms(),
            }
            .render()?,
        )
        .into_response());
    }
    let course = service::course_to_author(&st, &u, id).await?;
    let lessons = super::store::lessons_of(&st.db, id).await?;
    let questions = super::store::questions_of(&st.db, id).await?;
    let enrolments = super::store::enrolments_of(&st.db, id)
        .await?
        .into_iter()
        .map(|(e, name)| match e {
            Enrolment::Unit(_) => name,
            Enrolment::Year(y) => ctx.ta1("learning-enrol-year-of", "year", &y.to_string()),
        })
        .collect();
    Ok(Html(
        AuthorPage {
            fraud_types: fraud_types(&ctx),
            ctx,
            course,
            lessons,
            questions,
            enrolments,
        }
        .render()?,
    )
    .into_response())
}

#[derive(Template)]
#[template(path = "learning/lesson.html")]
struct LessonPage {
    ctx: PageCtx,
    course: Course,
    lesson: Lesson,
    html: String,
}

async fn lesson(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (course, lesson) = service::view_lesson(&st, &u, id).await?;
    let ctx = page_ctx(&st, &u).await;
    let html = crate::campaigns::render::render(&lesson.body, None).html;
    Ok(Html(
        LessonPage {
            ctx,
            course,
            lesson,
            html,
        }
        .render()?,
    )
    .into_response())
}

async fn start(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> AppResult<Redirect> {
    let a = service::start_attempt(&st, &u, id).await?;
    Ok(Redirect::to(&format!("/learning/attempts/{a}")))
}

#[derive(Template)]
#[template(path = "learning/attempt.html")]
struct AttemptPage {
    ctx: PageCtx,
    course: Course,
    a: Attempt,
    items: Vec<AttemptItem>,
    open: bool,
}

impl AttemptPage {
    fn option_label(&self, q: &Question, i: &usize) -> String {
        match (q.kind, q.options.get(*i).map(String::as_str)) {
            (QuestionKind::TrueFalse, Some("true")) => self.ctx.t("learning-true"),
            (QuestionKind::TrueFalse, Some("false")) => self.ctx.t("learning-false"),
            (_, Some(o)) => o.to_string(),
            _ => String::new(),
        }
    }
    fn chosen(&self, item: &AttemptItem, i: &usize) -> bool {
        item.chosen.as_ref().is_some_and(|c| c.contains(i))
    }
    fn right(&self, item: &AttemptItem, i: &usize) -> bool {
        item.question.correct.contains(i)
    }
}

async fn attempt(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (course, a, items) = service::attempt_for_student(&st, &u, id).await?;
    let ctx = page_ctx(&st, &u).await;
    let open = a.closed_at.is_none() && a.due_at > st.clock.now_ms();
    Ok(Html(
        AttemptPage {
            ctx,
            course,
            a,
            items,
            open,
        }
        .render()?,
    )
    .into_response())
}

async fn submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    axum_extra::extract::Form(pairs): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Redirect> {
    let mut answers: HashMap<i64, Vec<usize>> = HashMap::new();
    for (k, v) in pairs {
        let Some(q) = k.strip_prefix('q') else {
            continue;
        };
        let (Ok(q), Ok(o)) = (q.parse::<i64>(), v.trim().parse::<usize>()) else {
            return Err(super::LearningError::Invalid(vec![crate::error::Msg::new(
                "err-learning-answer",
            )])
            .into());
        };
        answers.entry(q).or_default().push(o);
    }
    service::submit_attempt(&st, &u, id, &answers).await?;
    Ok(Redirect::to(&format!("/learning/attempts/{id}")))
}

#[derive(Template)]
#[template(path = "learning/certificate.html")]
struct CertificatePage {
    lang: crate::web::i18n::Lang,
    c: Certificate,
    completed: String,
    verify_url: String,
}

impl CertificatePage {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    fn asset_version(&self) -> &'static str {
        crate::web::assets::VERSION
    }
}

/// The certificate as printed, for anyone holding its code: every printed field, never a student
/// number or phone. Dates in China Standard Time, as printed.
async fn verify_certificate(
    State(st): State<AppState>,
    ctx: crate::web::context::Ctx,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = service::verify_certificate(&st, &code).await?;
    let completed = chrono::DateTime::from_timestamp_millis(c.completed_at)
        .map(|d| {
            d.with_timezone(&chrono_tz::Asia::Shanghai)
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_default();
    let base = site(&st, &headers);
    Ok(Html(
        CertificatePage {
            lang: ctx.lang,
            verify_url: format!("{}/verify/{}", base.trim_end_matches('/'), c.code),
            c,
            completed,
        }
        .render()?,
    )
    .into_response())
}

async fn credits_csv(
    State(st): State<AppState>,
    u: User,
    Path(school): Path<i64>,
) -> AppResult<Response> {
    let (school, csv) = service::credit_csv(&st, &u, school).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"credits-{}.csv\"", school.code),
            ),
        ],
        csv,
    )
        .into_response())
}

// ---------- authoring ----------

#[derive(Template)]
#[template(path = "learning/manage.html")]
struct ManagePage {
    ctx: PageCtx,
    schools: Vec<SchoolRow>,
}

/// A school of the management page: its courses, current pledge and appraisal weights.
type SchoolRow = (
    Unit,
    Vec<Course>,
    Option<Pledge>,
    Vec<(&'static str, String, i64)>,
);

async fn manage(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let schools = service::authoring_schools(&st, &u.p).await?;
    if schools.is_empty() {
        return Err(AppError::forbidden());
    }
    let mut rows = Vec::new();
    for s in schools {
        let courses = super::store::courses_of_school(&st.db, s.id).await?;
        let p = service::current_pledge(&st, s.id).await?;
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
        rows.push((s, courses, p, w));
    }
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(ManagePage { ctx, schools: rows }.render()?))
}

#[derive(Deserialize)]
struct CourseForm {
    school: i64,
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
}

async fn create_course(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<CourseForm>,
) -> AppResult<Redirect> {
    let deadline = if f.deadline.trim().is_empty() {
        None
    } else {
        Some(
            crate::kernel::time::parse_local(&f.deadline, u.p.time_zone).ok_or_else(|| {
                super::LearningError::Invalid(vec![crate::error::Msg::new("err-learning-when")])
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
    .map_err(super::LearningError::Invalid)?;
    let mut enrol = Vec::new();
    if let Some(code) = Some(f.enrol_unit.trim()).filter(|c| !c.is_empty()) {
        let un = crate::org::store::unit_by_code(&st.db, code)
            .await?
            .ok_or_else(|| {
                super::LearningError::Invalid(vec![crate::error::Msg::new(
                    "err-learning-enrol-unit",
                )])
            })?;
        enrol.push(Enrolment::Unit(un.id));
    }
    if !f.enrol_year.trim().is_empty() {
        let y = f.enrol_year.trim().parse::<i64>().map_err(|_| {
            super::LearningError::Invalid(vec![crate::error::Msg::new("err-learning-enrol-year")])
        })?;
        enrol.push(Enrolment::Year(y));
    }
    let id = service::create_course(&st, &u, f.school, c, enrol).await?;
    Ok(Redirect::to(&format!("/learning/courses/{id}")))
}

#[derive(Deserialize)]
struct LessonForm {
    title: String,
    body: String,
    #[serde(default)]
    video_url: String,
}

async fn add_lesson(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<LessonForm>,
) -> AppResult<Redirect> {
    let l =
        NewLesson::parse(&f.title, &f.body, &f.video_url).map_err(super::LearningError::Invalid)?;
    service::add_lesson(&st, &u, id, l).await?;
    Ok(Redirect::to(&format!("/learning/courses/{id}")))
}

async fn add_question(
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
    .map_err(super::LearningError::Invalid)?;
    service::add_question(&st, &u, id, q).await?;
    Ok(Redirect::to(&format!("/learning/courses/{id}")))
}

#[derive(Deserialize)]
struct UnitForm {
    unit: i64,
}

async fn remind_course(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<UnitForm>,
) -> AppResult<Redirect> {
    let n = service::remind_unfinished(&st, &u, id, f.unit).await?;
    Ok(Redirect::to(&format!(
        "/learning/coverage?unit={}&reminded={n}",
        f.unit
    )))
}

async fn weights(
    State(st): State<AppState>,
    u: User,
    axum_extra::extract::Form(pairs): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Redirect> {
    let school = pairs
        .iter()
        .find(|(k, _)| k == "school")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .ok_or_else(AppError::not_found)?;
    let mut set = Vec::new();
    for c in crate::appraisal::COMPONENTS {
        if let Some((_, v)) = pairs.iter().find(|(k, _)| k == c.key) {
            match v.trim().parse::<i64>() {
                Ok(w) if (0..=100).contains(&w) => set.push((c.key, w)),
                _ => {
                    return Err(super::LearningError::Invalid(vec![crate::error::Msg::new(
                        "err-learning-weight",
                    )])
                    .into())
                }
            }
        }
    }
    service::set_weights(&st, &u, school, &set).await?;
    Ok(Redirect::to("/learning/manage"))
}

// ---------- pledge ----------

#[derive(Template)]
#[template(path = "learning/pledge.html")]
struct PledgePage {
    ctx: PageCtx,
    name_hint: String,
    pledge: Option<Pledge>,
    signature: Option<Signature>,
}

async fn pledge(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let (s, pledge, signature) = service::my_pledge(&st, &u).await?;
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
struct SignForm {
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    hash: String,
}

async fn sign(State(st): State<AppState>, u: User, Form(f): Form<SignForm>) -> AppResult<Redirect> {
    service::sign_pledge(&st, &u, &f.full_name, f.consent.is_some(), &f.hash).await?;
    Ok(Redirect::to("/learning/pledge"))
}

async fn withdraw(State(st): State<AppState>, u: User) -> AppResult<Redirect> {
    service::withdraw_pledge(&st, &u).await?;
    Ok(Redirect::to("/learning/pledge"))
}

#[derive(Deserialize)]
struct PublishForm {
    school: i64,
    body: String,
}

async fn publish(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<PublishForm>,
) -> AppResult<Redirect> {
    service::publish_pledge(&st, &u, f.school, &f.body).await?;
    Ok(Redirect::to("/learning/manage"))
}

async fn remind_pledge(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<UnitForm>,
) -> AppResult<Redirect> {
    let n = service::remind_unsigned(&st, &u, f.unit).await?;
    Ok(Redirect::to(&format!(
        "/learning/coverage?unit={}&reminded={n}",
        f.unit
    )))
}

// ---------- activities ----------

#[derive(Deserialize)]
struct ActivityForm {
    unit: i64,
    kind: String,
    title: String,
    place: String,
    starts_at: String,
    minutes: String,
}

async fn create_activity(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<ActivityForm>,
) -> AppResult<Redirect> {
    let starts = crate::kernel::time::parse_local(&f.starts_at, u.p.time_zone);
    let a = NewActivity::parse(&f.kind, &f.title, &f.place, starts, &f.minutes)
        .map_err(super::LearningError::Invalid)?;
    let id = service::create_activity(&st, &u, f.unit, a).await?;
    Ok(Redirect::to(&format!("/learning/activities/{id}")))
}

#[derive(Template)]
#[template(path = "learning/activity.html")]
struct ActivityPage {
    ctx: PageCtx,
    a: Activity,
    /// The student's view: the code form (prefilled from a scanned QR link) and whether done.
    student: bool,
    done: bool,
    code: String,
    checkins: Vec<CheckIn>,
    expected: i64,
}

impl ActivityPage {
    fn kind(&self) -> String {
        self.ctx
            .t(&format!("learning-kind-{}", self.a.kind.as_str()))
    }
}

#[derive(Deserialize)]
struct CodeQuery {
    #[serde(default)]
    t: String,
}

async fn activity(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
) -> AppResult<Response> {
    let ctx = page_ctx(&st, &u).await;
    let page = if service::is_student(&u.p) {
        let (_, a, done) = service::activity_for_student(&st, &u, id).await?;
        ActivityPage {
            ctx,
            a,
            student: true,
            done,
            code: q.t.chars().take(64).collect(),
            checkins: vec![],
            expected: 0,
        }
    } else {
        let (a, checkins, expected) = service::attendance(&st, &u, id).await?;
        ActivityPage {
            ctx,
            a,
            student: false,
            done: false,
            code: String::new(),
            checkins,
            expected,
        }
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
struct CheckinForm {
    #[serde(default)]
    code: String,
}

async fn checkin(
    State(st): State<AppState>,
    u: User,
    jar: CookieJar,
    Path(id): Path<i64>,
    Form(f): Form<CheckinForm>,
) -> AppResult<Response> {
    let (jar, device) = match jar.get(DEVICE_COOKIE).map(|c| c.value().to_string()) {
        Some(d) if !d.is_empty() && d.len() <= 64 => (jar, d),
        _ => {
            let d = crate::auth::password::random_token();
            let mut c = crate::web::context::cookie(&st, DEVICE_COOKIE, d.clone());
            c.make_permanent();
            (jar.add(c), d)
        }
    };
    service::check_in(&st, &u, id, &f.code, &device).await?;
    Ok((jar, Redirect::to(&format!("/learning/activities/{id}"))).into_response())
}

#[derive(Template)]
#[template(path = "learning/screen.html")]
struct ScreenPage {
    ctx: PageCtx,
    a: Activity,
    code: CodeFragment,
}

#[derive(Template)]
#[template(path = "learning/code.html")]
struct CodeFragment {
    link: String,
    svg: String,
    short_code: String,
    window: i64,
}

/// The site's address for links a phone opens from a QR code: the configured public URL, else
/// the address this request came to.
fn site(st: &AppState, headers: &axum::http::HeaderMap) -> String {
    match &st.config.public_url {
        Some(u) => u.clone(),
        None => headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            })
            .map(|h| format!("http://{h}"))
            .unwrap_or_default(),
    }
}

fn fragment(base: &str, a: &Activity, shown: &Shown) -> CodeFragment {
    let link = format!(
        "{}/learning/activities/{}?t={}",
        base.trim_end_matches('/'),
        a.id,
        shown.token
    );
    let svg = match qrcode::QrCode::new(link.as_bytes()) {
        Ok(q) => q
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .build(),
        Err(_) => String::new(),
    };
    CodeFragment {
        link,
        svg,
        short_code: shown.short_code.clone(),
        window: shown.window,
    }
}

async fn screen(
    State(st): State<AppState>,
    u: User,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (a, shown) = service::screen_code(&st, &u, id).await?;
    let code = fragment(&site(&st, &headers), &a, &shown);
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(ScreenPage { ctx, a, code }.render()?).into_response())
}

/// The current code as an HTML fragment: the screen pulls it every few seconds.
async fn code(
    State(st): State<AppState>,
    u: User,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (a, shown) = service::screen_code(&st, &u, id).await?;
    let f = fragment(&site(&st, &headers), &a, &shown);
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Html(f.render()?),
    )
        .into_response())
}

// ---------- the app drive ----------

async fn declare(State(st): State<AppState>, u: User) -> AppResult<Redirect> {
    service::declare_app(&st, &u).await?;
    Ok(Redirect::to("/learning"))
}

async fn verify(
    State(st): State<AppState>,
    u: User,
    Path(student): Path<i64>,
) -> AppResult<Redirect> {
    service::verify_app(&st, &u, student).await?;
    let s = crate::org::store::student_by_id(&st.db, student)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Redirect::to(&format!(
        "/learning/coverage?unit={}",
        s.class_id
    )))
}

// ---------- coverage ----------

#[derive(Template)]
#[template(path = "learning/coverage.html")]
struct CoveragePage {
    ctx: PageCtx,
    c: Coverage,
    total: FigRow,
    rows: Vec<(Unit, FigRow)>,
    is_class: bool,
    can_run: bool,
    required: Vec<Course>,
    reminded: Option<i64>,
}

#[derive(Deserialize)]
struct CoverageQuery {
    #[serde(default)]
    unit: Option<i64>,
    #[serde(default)]
    reminded: Option<i64>,
}

async fn coverage(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<CoverageQuery>,
) -> AppResult<Response> {
    let unit_id = match q.unit {
        Some(id) => id,
        None => {
            let roots = service::coverage_roots(&st, &u.p).await?;
            roots
                .first()
                .map(|r| r.id)
                .ok_or_else(AppError::forbidden)?
        }
    };
    let c = service::coverage(&st, &u, unit_id).await?;
    let ctx = page_ctx(&st, &u).await;
    let can_run = policy::allows(
        &u.p,
        Action::RunActivities,
        &policy::Target::Unit(&c.unit.path),
    );
    let required = match service::school_of(&st, &c.unit).await {
        Ok(s) => super::store::courses_of_school(&st.db, s.id)
            .await?
            .into_iter()
            .filter(|c| c.required)
            .collect(),
        Err(_) => vec![],
    };
    let rows = c
        .children
        .iter()
        .map(|r| (r.unit.clone(), FigRow::from(&r.figures)))
        .collect();
    Ok(Html(
        CoveragePage {
            ctx,
            total: FigRow::from(&c.total),
            is_class: c.unit.kind == crate::org::model::UnitKind::Class,
            rows,
            c,
            can_run,
            required,
            reminded: q.reminded,
        }
        .render()?,
    )
    .into_response())
}

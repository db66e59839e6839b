//! A course as its student takes it, the assessment, certificates and the credit export.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

// ---------- courses ----------

#[derive(Template)]
#[template(path = "learning/course.html")]
pub(super) struct CoursePage {
    ctx: PageCtx,
    v: CourseView,
    now: i64,
}

#[derive(Template)]
#[template(path = "learning/author.html")]
pub(super) struct AuthorPage {
    ctx: PageCtx,
    course: Course,
    /// The lessons by module, each with its attachments.
    groups: Vec<LessonGroup<Vec<Attachment>>>,
    modules: Vec<Module>,
    instructors: Vec<Instructor>,
    questions: Vec<Question>,
    enrolments: Vec<String>,
    fraud_types: Vec<(&'static str, String)>,
}

pub(super) fn fraud_types(ctx: &PageCtx) -> Vec<(&'static str, String)> {
    fanzha_detect::FraudType::ALL
        .into_iter()
        .filter(|t| t.is_fraud())
        .map(|t| (t.id(), ctx.fraud_type(t.id())))
        .collect()
}

pub(super) async fn course(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let ctx = page_ctx(&st, &u).await;
    if service::is_student(&u.p) {
        let v = service::course_for_student(&st.db, &st.clock, &u.p, id).await?;
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
    let course = service::course_to_author(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
    let lessons = crate::learning::store::lessons_of(&st.db, id).await?;
    let questions = crate::learning::store::questions_of(&st.db, id).await?;
    let (instructors, modules) = service::structure(&st.db, id).await?;
    let mut with_files = Vec::new();
    for l in &lessons {
        with_files.push((l.clone(), service::attachments_of(&st.db, l.id).await?));
    }
    let groups = service::group_lessons(&modules, &with_files);
    let enrolments = crate::learning::store::enrolments_of(&st.db, id)
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
            groups,
            modules,
            instructors,
            questions,
            enrolments,
        }
        .render()?,
    )
    .into_response())
}

#[derive(Template)]
#[template(path = "learning/lesson.html")]
pub(super) struct LessonPage {
    ctx: PageCtx,
    course: Course,
    lesson: Lesson,
    html: String,
    attachments: Vec<Attachment>,
}

pub(super) async fn lesson(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (course, lesson) = service::view_lesson(&st.db, &st.clock, &u.p, id).await?;
    let ctx = page_ctx(&st, &u).await;
    let html = crate::campaigns::render::render(&lesson.body, None).html;
    let attachments = service::attachments_of(&st.db, lesson.id).await?;
    Ok(Html(
        LessonPage {
            ctx,
            course,
            lesson,
            html,
            attachments,
        }
        .render()?,
    )
    .into_response())
}

pub(super) async fn start(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Redirect> {
    let a = service::start_attempt(&st.db, &st.clock, &u.p, id).await?;
    Ok(Redirect::to(&format!("/learning/attempts/{a}")))
}

#[derive(Template)]
#[template(path = "learning/attempt.html")]
pub(super) struct AttemptPage {
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

pub(super) async fn attempt(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (course, a, items) = service::attempt_for_student(&st.db, &u.p, id).await?;
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

pub(super) async fn submit(
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
            return Err(
                crate::learning::LearningError::Invalid(vec![crate::error::Msg::new(
                    "err-learning-answer",
                )])
                .into(),
            );
        };
        answers.entry(q).or_default().push(o);
    }
    service::submit_attempt(&st.db, &st.clock, &u.p, id, &answers).await?;
    Ok(Redirect::to(&format!("/learning/attempts/{id}")))
}

#[derive(Template)]
#[template(path = "learning/certificate.html")]
pub(super) struct CertificatePage {
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
pub(super) async fn verify_certificate(
    State(st): State<AppState>,
    ctx: crate::web::context::Ctx,
    headers: axum::http::HeaderMap,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let c = service::verify_certificate(&st.db, &code).await?;
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

#[derive(Deserialize)]
pub(super) struct CreditQuery {
    #[serde(default)]
    term: Option<i64>,
    #[serde(default)]
    format: Option<String>,
}

pub(super) async fn credits_export(
    State(st): State<AppState>,
    u: User,
    Path(school): Path<UnitId>,
    Query(q): Query<CreditQuery>,
) -> AppResult<Response> {
    let xlsx = match q.format.as_deref() {
        None | Some("") | Some("csv") => false,
        Some("xlsx") => true,
        Some(_) => {
            return Err(
                crate::learning::LearningError::Invalid(vec![crate::error::Msg::new(
                    "err-learning-export-format",
                )])
                .into(),
            )
        }
    };
    let f = service::credit_export(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        school,
        q.term,
        xlsx,
    )
    .await?;
    Ok(crate::web::download::attachment(
        f.body,
        crate::csv_export::Kind::of(f.xlsx).content_type(),
        &f.filename,
    ))
}

pub(super) async fn enrol(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Redirect> {
    service::enrol_self(&st.db, &st.clock, &u.p, id).await?;
    Ok(Redirect::to(&format!("/learning/courses/{id}")))
}

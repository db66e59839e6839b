//! Pages: the mule figures of a unit (`/mules`: signals and their outcomes, suspects per school and
//! per kind of account lent, this year and last), the police's list of signals about nobody on a
//! roster, the province's award rule; and the parts of a warning's page that a mule-risk warning
//! adds (the facts, the counselor's script, what the student reads); and the starter content on
//! 两卡 and the law a school adopts in one step.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api::{self, FiguresQuery};
use super::model::{AccountKind, PersonRole, SignalFacts};
use super::service::{self, Figures};
use super::starter::StarterItem;
use crate::auth::model::Role;
use crate::auth::policy::{self, Action};
use crate::error::{AppError, AppResult};
use crate::org::model::{Unit, UnitKind};
use crate::warnings::model::{WarnKind, Warning};
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/mules", get(index))
        .route("/mules/rule", post(rule_submit))
        .route("/mules/starter", post(starter_submit))
}

/// (id, words) of the roles of a person in a case.
pub fn role_choices(ctx: &PageCtx) -> Vec<(String, String)> {
    PersonRole::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), ctx.t(&r.key())))
        .collect()
}

/// (id, words) of the kinds of account.
pub fn account_choices(ctx: &PageCtx) -> Vec<(String, String)> {
    AccountKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), ctx.t(&k.key())))
        .collect()
}

/// What a mule-risk warning adds to its page.
pub struct MuleBlock {
    /// "Bank card · frozen as an account involved in fraud".
    pub reported: String,
    /// The counselor's script, step by step.
    pub script: Vec<String>,
    /// What the student reads: what to do, step by step.
    pub todo: Vec<String>,
}

/// The block of a warning's page, for a mule-risk warning (None for another kind).
pub async fn block(st: &AppState, ctx: &PageCtx, w: &Warning) -> AppResult<Option<MuleBlock>> {
    if w.kind != WarnKind::MuleRisk {
        return Ok(None);
    }
    let facts: Option<SignalFacts> = service::facts(&st.db, w).await?;
    let reported = match facts {
        Some(f) => format!(
            "{} · {}",
            ctx.t(&f.account_kind.key()),
            ctx.t(&f.pattern.key())
        ),
        None => String::new(),
    };
    Ok(Some(MuleBlock {
        reported,
        script: (1..=5)
            .map(|i| ctx.t(&format!("mule-script-{i}")))
            .collect(),
        todo: (1..=4).map(|i| ctx.t(&format!("mule-todo-{i}"))).collect(),
    }))
}

#[derive(Template)]
#[template(path = "mules/index.html")]
struct IndexPage {
    ctx: PageCtx,
    f: Figures,
    year: i32,
    years: Vec<i32>,
    unit: String,
    /// Signals about nobody on a roster (police): (received, kind · pattern, given identity).
    police: Vec<(String, String, String)>,
    is_police: bool,
    /// Provinces whose rule the viewer sets: (code, name, current limit).
    rules: Vec<(String, String, i64)>,
    in_time_pct: String,
    errors: Vec<String>,
    /// The starter content offered to the schools the viewer authors for.
    starter: Vec<StarterView>,
    /// The shipped texts, shown once: (title, HTML) of the article and of the lesson.
    article: (String, String),
    lesson: (String, String),
}

/// One school's starter content as its page shows it.
struct StarterView {
    code: String,
    name: String,
    /// "Added to the content library on …" once adopted; whether the viewer may add it.
    article_done: Option<String>,
    article_link: Option<String>,
    may_article: bool,
    lesson_done: Option<String>,
    lesson_link: Option<String>,
    may_lesson: bool,
    /// The school's courses (id, title) for the lesson.
    courses: Vec<(i64, String)>,
}

async fn starter_views(st: &AppState, u: &User, ctx: &PageCtx) -> AppResult<Vec<StarterView>> {
    let mut out = Vec::new();
    for o in service::starter_offers(&st.db, &u.p).await? {
        let course_title = |id: Option<i64>| {
            o.courses
                .iter()
                .find(|(c, _)| Some(*c) == id)
                .map(|(_, t)| t.clone())
                .unwrap_or_default()
        };
        out.push(StarterView {
            article_done: o
                .article
                .as_ref()
                .map(|a| ctx.ta1("mule-starter-article-done", "at", &ctx.time(&a.adopted_at))),
            article_link: o
                .article
                .as_ref()
                .and_then(|a| a.target_id)
                .filter(|_| o.may_article)
                .map(|id| format!("/campaigns/content/{id}")),
            lesson_done: o.lesson.as_ref().map(|a| {
                ctx.ta(
                    "mule-starter-lesson-done",
                    &[
                        ("at", ctx.time(&a.adopted_at)),
                        ("course", course_title(a.course_id)),
                    ],
                )
            }),
            lesson_link: o
                .lesson
                .as_ref()
                .and_then(|a| a.course_id)
                .filter(|_| o.may_lesson)
                .map(|id| format!("/learning/courses/{id}")),
            may_article: o.may_article,
            may_lesson: o.may_lesson,
            code: o.school.code,
            name: o.school.name,
            courses: o.courses,
        });
    }
    Ok(out)
}

fn shipped(item: StarterItem) -> (String, String) {
    let t = item.text();
    (
        t.title,
        crate::campaigns::render::render(&t.body_md, None).html,
    )
}

async fn render(
    st: &AppState,
    u: &User,
    q: FiguresQuery,
    errors: Vec<String>,
) -> AppResult<Response> {
    let f = api::load_figures(st, u, &q).await?;
    let ctx = page_ctx(st, u).await;
    let is_police = u.p.grants.iter().any(|g| g.role == Role::Police);
    let police = if is_police {
        service::police_queue(&st.db, &u.p)
            .await?
            .into_iter()
            .map(|(w, facts)| {
                let what = facts
                    .map(|f| {
                        format!(
                            "{} · {}",
                            ctx.t(&f.account_kind.key()),
                            ctx.t(&f.pattern.key())
                        )
                    })
                    .unwrap_or_default();
                let who = [w.student_no.clone(), w.phone.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · ");
                (ctx.time(&w.created_at), what, who)
            })
            .collect()
    } else {
        vec![]
    };
    let mut rules = Vec::new();
    for path in policy::scopes_for(&u.p, Action::ManageAwards) {
        for p in crate::org::store::units_by_paths(&st.db, std::slice::from_ref(&path)).await? {
            if p.kind == UnitKind::Province {
                let max = service::max_suspects(&st.db, &p).await?;
                rules.push((p.code, p.name, max));
            }
        }
    }
    let in_time_pct = crate::cases::service::percent(f.handled_in_time, f.signals)
        .map(|p| format!("{p}%"))
        .unwrap_or_else(|| ctx.t("mule-no-data"));
    let now_year = api::this_year(st);
    let starter = starter_views(st, u, &ctx).await?;
    Ok(Html(
        IndexPage {
            year: f.year,
            years: (now_year - 4..=now_year).rev().collect(),
            unit: q.unit.clone().unwrap_or_default(),
            f,
            police,
            is_police,
            rules,
            in_time_pct,
            errors,
            starter,
            article: shipped(StarterItem::Article),
            lesson: shipped(StarterItem::Lesson),
            ctx,
        }
        .render()?,
    )
    .into_response())
}

async fn index(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<FiguresQuery>,
) -> AppResult<Response> {
    render(&st, &u, q, vec![]).await
}

#[derive(Deserialize)]
struct RuleForm {
    province: String,
    max_suspects: String,
}

async fn rule_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<RuleForm>,
) -> AppResult<Response> {
    let province: Unit = crate::org::store::unit_by_code(&st.db, f.province.trim())
        .await?
        .ok_or_else(AppError::not_found)?;
    match service::set_max_suspects(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        &province,
        &f.max_suspects,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/mules").into_response()),
        Err(e) => {
            let e: AppError = e.into();
            if !e.is_invalid() {
                return Err(e);
            }
            let lang = u.ctx.lang;
            let errs = e.details.iter().map(|d| d.render(lang)).collect();
            render(&st, &u, FiguresQuery::default(), errs).await
        }
    }
}

#[derive(Deserialize)]
struct StarterForm {
    school: String,
    item: String,
    #[serde(default)]
    course: String,
}

/// Adopts a starter item from the `/mules` page, then shows the page again at its section.
async fn starter_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<StarterForm>,
) -> AppResult<Response> {
    let item = StarterItem::parse(&f.item).ok_or_else(AppError::not_found)?;
    let course = f.course.trim().parse::<i64>().ok();
    match service::adopt_starter(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        &f.school,
        item,
        course,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/mules#mule-starter").into_response()),
        Err(e) => {
            let e: AppError = e.into();
            if !e.is_invalid() {
                return Err(e);
            }
            let lang = u.ctx.lang;
            let errs = e.details.iter().map(|d| d.render(lang)).collect();
            render(&st, &u, FiguresQuery::default(), errs).await
        }
    }
}

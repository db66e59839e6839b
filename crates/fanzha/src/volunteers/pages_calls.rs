//! Pages of calls for works (`/volunteers/calls`), the shared library (`/volunteers/library`),
//! teams (`/volunteers/teams`) and a staff adjustment of points. Handlers parse, call one service
//! function and render.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api_calls::LibraryQuery;
use super::model::{
    Audience, CallInput, CallStatus, WorkDecision, WorkInput, WorkKind, WorkLicence, WorkStatus,
};
use super::service;
use super::store::{Call, Item, Team, Work};
use crate::error::{AppError, AppResult, Msg};
use crate::web::context::User;
use crate::web::i18n::Lang;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/volunteers/calls", get(calls))
        .route("/volunteers/calls/new", get(new_page).post(new_submit))
        .route("/volunteers/calls/{id}", get(call_page))
        .route("/volunteers/calls/{id}/close", post(close))
        .route("/volunteers/calls/{id}/works", post(work_submit))
        .route("/volunteers/works/{id}/review", post(review))
        .route("/volunteers/works/{id}/contest", post(promote))
        .route("/volunteers/works/{id}/file", get(work_file))
        .route("/volunteers/library", get(library))
        .route("/volunteers/library/contests", post(from_contest))
        .route("/volunteers/library/{id}", get(item_page))
        .route("/volunteers/library/{id}/reuse", post(reuse))
        .route("/volunteers/library/{id}/file", get(item_file))
        .route("/volunteers/teams", get(teams).post(team_create))
        .route("/volunteers/teams/{id}/join", post(team_join))
        .route("/volunteers/teams/leave", post(team_leave))
        .route("/volunteers/volunteers/{id}/adjust", post(adjust))
}

/// Words for people: kinds, audiences, licences, states, fraud types.
pub struct CallWords(pub Lang);

impl CallWords {
    pub fn kind(&self, k: &WorkKind) -> String {
        self.0.t(&format!("vol-kind-{}", k.as_str()))
    }
    pub fn audience(&self, a: &Audience) -> String {
        self.0.t(&format!("vol-audience-{}", a.as_str()))
    }
    pub fn licence(&self, l: &WorkLicence) -> String {
        self.0.t(&format!("vol-licence-{}", l.as_str()))
    }
    pub fn work(&self, s: &WorkStatus) -> String {
        self.0.t(&format!("vol-work-{}", s.as_str()))
    }
    pub fn fraud(&self, id: &str) -> String {
        self.0.t(&format!("camp-type-{id}"))
    }
    pub fn call(&self, c: &Call, now: &i64) -> String {
        if c.taking(*now) {
            self.0.t("vol-call-open")
        } else if *now < c.opens_at && c.status == super::model::CallStatus::Open {
            self.0.t("vol-call-upcoming")
        } else {
            self.0.t("vol-call-closed")
        }
    }
}

fn fraud_ids() -> Vec<&'static str> {
    fanzha_detect::FraudType::ALL
        .iter()
        .filter(|t| t.is_fraud())
        .map(|t| t.id())
        .collect()
}

fn err_page(e: AppError) -> Response {
    e.into_response()
}

// ---- calls ----

#[derive(Template)]
#[template(path = "volunteers/calls.html")]
struct CallsPage {
    ctx: PageCtx,
    w: CallWords,
    calls: Vec<Call>,
    now: i64,
    can_publish: bool,
}

async fn calls(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        CallsPage {
            w: CallWords(ctx.lang),
            ctx,
            calls: service::calls_for(&st.db, &u.p).await?,
            now: st.clock.now_ms(),
            can_publish: service::publishing_unit(&u.p).is_some(),
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "volunteers/call_new.html")]
struct NewPage {
    ctx: PageCtx,
    w: CallWords,
    kinds: &'static [WorkKind],
    audiences: &'static [Audience],
    licences: &'static [WorkLicence],
    frauds: Vec<&'static str>,
}

async fn new_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    if service::publishing_unit(&u.p).is_none() {
        return Err(AppError::forbidden());
    }
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        NewPage {
            w: CallWords(ctx.lang),
            ctx,
            kinds: WorkKind::ALL,
            audiences: Audience::ALL,
            licences: WorkLicence::ALL,
            frauds: fraud_ids(),
        }
        .render()?,
    ))
}

async fn new_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let all = |k: &str| -> Vec<String> {
        f.iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let tz = u.p.time_zone;
    let closes_at = match crate::kernel::time::parse_local(&get("closes_at"), tz) {
        Some(t) => t,
        None => {
            return err_page(AppError::refused(
                "vol-err-invalid",
                vec![Msg::new("vol-err-deadline-value")],
            ))
        }
    };
    let input = CallInput {
        title: get("title"),
        theme: get("theme"),
        rules: get("rules"),
        kinds: all("kinds"),
        fraud_type: get("fraud_type"),
        audience: get("audience"),
        licence: get("licence"),
        points: get("points").trim().parse().unwrap_or(-1),
        opens_at: None,
        closes_at,
        targets: get("targets")
            .split([',', ' ', '\n', ','])
            .map(str::to_string)
            .collect(),
    };
    match service::publish_call(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input).await {
        Ok(c) => Redirect::to(&format!("/volunteers/calls/{}", c.id)).into_response(),
        Err(e) => err_page(e.into()),
    }
}

/// A contest the author may enter a work in.
pub struct ContestChoice {
    pub id: i64,
    pub title: String,
}

#[derive(Template)]
#[template(path = "volunteers/call.html")]
struct CallPage {
    ctx: PageCtx,
    w: CallWords,
    c: Call,
    now: i64,
    taking: bool,
    volunteer: bool,
    student: bool,
    mine: Vec<Work>,
    works: Vec<Work>,
    manage: bool,
    contests: Vec<ContestChoice>,
}

async fn call_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let c = service::call_for(&st.db, &u.p, id).await?;
    let manage = service::can_manage(&u.p, &c.unit_path);
    let works = if manage {
        service::works_for_reviewer(&st.db, &u.p, &c).await?
    } else {
        vec![]
    };
    let mine: Vec<Work> = service::my_works(&st.db, &u.p)
        .await?
        .into_iter()
        .filter(|w| w.call_id == id)
        .collect();
    let contests = if mine
        .iter()
        .any(|w| matches!(w.status, WorkStatus::Shortlisted | WorkStatus::Accepted))
    {
        crate::contests::service::list(&st.db, &u.p)
            .await?
            .into_iter()
            .filter(|(_, s)| s.may_enter)
            .filter(|(k, _)| k.rules.phases.entries_open_at(st.clock.now_ms()))
            .map(|(k, _)| ContestChoice {
                id: k.id,
                title: k.title,
            })
            .collect()
    } else {
        vec![]
    };
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        CallPage {
            w: CallWords(ctx.lang),
            ctx,
            taking: c.taking(st.clock.now_ms()),
            c,
            now: st.clock.now_ms(),
            volunteer: service::me(&st.db, &u.p).await?.is_some(),
            student: u.p.student_id.is_some(),
            mine,
            works,
            manage,
            contests,
        }
        .render()?,
    ))
}

async fn close(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> Response {
    match service::close_call(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await {
        Ok(_) => Redirect::to(&format!("/volunteers/calls/{id}")).into_response(),
        Err(e) => err_page(e.into()),
    }
}

/// A work handed in from the page (a multipart form: `csrf` first, then the fields and `file`).
async fn work_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    mp: axum::extract::Multipart,
) -> Response {
    let fields = match crate::web::multipart::fields(mp, "vol-err-file-type").await {
        Ok(f) => f,
        Err(e) => return err_page(e),
    };
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    let file = fields
        .iter()
        .find(|(n, b)| n == "file" && !b.is_empty())
        .map(|(_, b)| b.to_vec());
    let w = WorkInput {
        kind: get("kind"),
        title: get("title"),
        body: get("body"),
        video_url: get("video_url"),
        file,
    };
    match service::submit_work(&st.db, &st.clock, &u.p, id, &w).await {
        Ok(_) => Redirect::to(&format!("/volunteers/calls/{id}")).into_response(),
        Err(e) => err_page(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReviewForm {
    decision: String,
    reason: String,
}

async fn review(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ReviewForm>,
) -> Response {
    let Some(d) = WorkDecision::parse(&f.decision) else {
        return err_page(AppError::refused(
            "vol-err-invalid",
            vec![Msg::new("vol-err-decision")],
        ));
    };
    match service::review_work(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, d, &f.reason).await {
        Ok(w) => {
            Redirect::to(&format!("/volunteers/calls/{}#work-{}", w.call_id, w.id)).into_response()
        }
        Err(e) => err_page(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PromoteForm {
    contest: String,
}

async fn promote(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<PromoteForm>,
) -> Response {
    let Ok(contest) = f.contest.trim().parse::<i64>() else {
        return err_page(AppError::refused(
            "vol-err-invalid",
            vec![Msg::new("vol-err-contest")],
        ));
    };
    match service::promote_to_contest(&st.db, &st.clock, &u.p, id, contest).await {
        Ok(entry) => Redirect::to(&format!("/contests/{contest}/entries/{entry}")).into_response(),
        Err(e) => err_page(e.into()),
    }
}

fn file_response(bytes: Vec<u8>, ty: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, ty),
            (header::CACHE_CONTROL, "private, max-age=300".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}

async fn work_file(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (b, t) = service::work_file(&st.db, &u.p, id).await?;
    Ok(file_response(b, t))
}

// ---- the shared library ----

/// A published contest the caller organises, whose winners can join the library.
pub struct WinnersChoice {
    pub id: i64,
    pub title: String,
}

#[derive(Template)]
#[template(path = "volunteers/library.html")]
struct LibraryPage {
    ctx: PageCtx,
    w: CallWords,
    items: Vec<Item>,
    q: LibraryQuery,
    kinds: &'static [WorkKind],
    audiences: &'static [Audience],
    frauds: Vec<&'static str>,
    contests: Vec<WinnersChoice>,
}

async fn library(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<LibraryQuery>,
) -> AppResult<Html<String>> {
    let f = q.filter()?;
    let items = service::library(&st.db, &u.p, &f).await?;
    let contests = if service::publishing_unit(&u.p).is_some() {
        crate::contests::service::list(&st.db, &u.p)
            .await?
            .into_iter()
            .filter(|(k, s)| s.organiser && k.published_at.is_some())
            .map(|(k, _)| WinnersChoice {
                id: k.id,
                title: k.title,
            })
            .collect()
    } else {
        vec![]
    };
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        LibraryPage {
            w: CallWords(ctx.lang),
            ctx,
            items,
            q,
            kinds: WorkKind::ALL,
            audiences: Audience::ALL,
            frauds: fraud_ids(),
            contests,
        }
        .render()?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WinnersForm {
    contest: String,
}

async fn from_contest(State(st): State<AppState>, u: User, Form(f): Form<WinnersForm>) -> Response {
    let Ok(id) = f.contest.trim().parse::<i64>() else {
        return err_page(AppError::refused(
            "vol-err-invalid",
            vec![Msg::new("vol-err-contest")],
        ));
    };
    match service::library_from_contest(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await {
        Ok(_) => Redirect::to("/volunteers/library").into_response(),
        Err(e) => err_page(e.into()),
    }
}

#[derive(Template)]
#[template(path = "volunteers/library_item.html")]
struct ItemPage {
    ctx: PageCtx,
    w: CallWords,
    i: Item,
    reused_as: Option<i64>,
    can_reuse: bool,
}

async fn item_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (i, reused_as) = service::library_item(&st.db, &u.p, id).await?;
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        ItemPage {
            w: CallWords(ctx.lang),
            ctx,
            i,
            reused_as,
            can_reuse: service::publishing_unit(&u.p).is_some(),
        }
        .render()?,
    ))
}

async fn reuse(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> Response {
    match service::reuse(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await {
        Ok(_) => Redirect::to(&format!("/volunteers/library/{id}")).into_response(),
        Err(e) => err_page(e.into()),
    }
}

async fn item_file(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (b, t) = service::library_file(&st.db, &u.p, id).await?;
    Ok(file_response(b, t))
}

// ---- teams and adjustments ----

#[derive(Template)]
#[template(path = "volunteers/teams.html")]
struct TeamsPage {
    ctx: PageCtx,
    /// Each team with whether the caller may join it (a volunteer, not in it already).
    teams: Vec<(Team, bool)>,
    mine: Option<Team>,
    volunteer: bool,
    can_create: bool,
}

async fn teams(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let me = service::me(&st.db, &u.p).await?;
    let mine = match &me {
        Some(v) => service::my_team(&st.db, v).await?,
        None => None,
    };
    let teams = match service::teams_for(&st.db, &u.p).await {
        Ok(t) => t,
        Err(super::model::VolError::Forbidden) => vec![],
        Err(e) => return Err(e.into()),
    };
    let mine_id = mine.as_ref().map(|m| m.id);
    let teams = teams
        .into_iter()
        .map(|t| {
            let joinable = me.is_some() && mine_id != Some(t.id);
            (t, joinable)
        })
        .collect();
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        TeamsPage {
            ctx,
            teams,
            mine,
            volunteer: me.is_some(),
            can_create: u.p.grants.iter().any(|g| {
                g.role == crate::auth::model::Role::SchoolAdmin && g.unit_kind == "school"
            }),
        }
        .render()?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TeamForm {
    name: String,
}

async fn team_create(State(st): State<AppState>, u: User, Form(f): Form<TeamForm>) -> Response {
    match service::create_team(&st.db, &st.clock, &u.p, &f.name).await {
        Ok(_) => Redirect::to("/volunteers/teams").into_response(),
        Err(e) => err_page(e.into()),
    }
}

async fn team_join(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> Response {
    match service::join_team(&st.db, &st.clock, &u.p, id).await {
        Ok(_) => Redirect::to("/volunteers/teams").into_response(),
        Err(e) => err_page(e.into()),
    }
}

async fn team_leave(State(st): State<AppState>, u: User) -> Response {
    match service::leave_team(&st.db, &u.p).await {
        Ok(_) => Redirect::to("/volunteers/teams").into_response(),
        Err(e) => err_page(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AdjustForm {
    points: String,
    reason: String,
    key: String,
}

async fn adjust(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<AdjustForm>,
) -> Response {
    let Ok(points) = f.points.trim().parse::<i64>() else {
        return err_page(AppError::refused(
            "vol-err-invalid",
            vec![Msg::new("vol-err-adjust-points")],
        ));
    };
    match service::adjust(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        id,
        points,
        &f.reason,
        &f.key,
    )
    .await
    {
        Ok(_) => Redirect::to("/volunteers").into_response(),
        Err(e) => err_page(e.into()),
    }
}

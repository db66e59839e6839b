//! `/api/v1/volunteers/…` for calls for works, the shared library, contest links, teams, points
//! adjustments and period leaderboards. Pages call the same service functions.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::model::{Audience, CallInput, Period, Reach, WorkDecision, WorkInput, WorkKind};
use super::service;
use super::store::{Call, Entry, Item, ItemFilter, Standing, Team, Work};
use crate::auth::model::Scope;
use crate::error::{AppError, AppResult, Msg};
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/volunteers/calls",
            get(list_calls).post(publish_call),
        )
        .route("/api/v1/volunteers/calls/{id}", get(get_call))
        .route("/api/v1/volunteers/calls/{id}/close", post(close_call))
        .route("/api/v1/volunteers/calls/{id}/works", post(submit_work))
        .route("/api/v1/volunteers/works/{id}/review", post(review_work))
        .route("/api/v1/volunteers/works/{id}/contest", post(promote))
        .route("/api/v1/volunteers/library", get(library))
        .route("/api/v1/volunteers/library/{id}", get(library_item))
        .route("/api/v1/volunteers/library/{id}/reuse", post(reuse))
        .route(
            "/api/v1/volunteers/library/contests/{id}",
            post(from_contest),
        )
        .route(
            "/api/v1/volunteers/teams",
            get(list_teams).post(create_team),
        )
        .route("/api/v1/volunteers/teams/{id}/join", post(join_team))
        .route("/api/v1/volunteers/teams/leave", post(leave_team))
        .route("/api/v1/volunteers/volunteers/{id}/adjust", post(adjust))
        .route("/api/v1/volunteers/leaderboard", get(leaderboard))
}

fn bad(key: &str) -> AppError {
    AppError::refused("vol-err-invalid", vec![Msg::new(key)])
}

#[utoipa::path(get, path = "/api/v1/volunteers/calls", tag = "volunteers",
    responses((status = 200, body = [Call])))]
pub async fn list_calls(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<Call>>> {
    require_scope(&u.p, Scope::VolunteersRead)?;
    Ok(Json(service::calls_for(&st.db, &u.p).await?))
}

#[utoipa::path(post, path = "/api/v1/volunteers/calls", tag = "volunteers", request_body = CallInput,
    responses((status = 201, body = Call), (status = 403, description = "Not police or a school admin"),
              (status = 422, description = "Invalid call")))]
pub async fn publish_call(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<CallInput>,
) -> AppResult<(StatusCode, Json<Call>)> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    Ok((
        StatusCode::CREATED,
        Json(service::publish_call(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input).await?),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerCallOut)]
pub struct CallOut {
    pub call: Call,
    /// The caller's own works in this call.
    pub mine: Vec<Work>,
    /// Every work, for the organiser's unit; empty for others.
    pub works: Vec<Work>,
}

#[utoipa::path(get, path = "/api/v1/volunteers/calls/{id}", tag = "volunteers",
    responses((status = 200, body = CallOut), (status = 404, description = "Absent or not addressed to the caller")))]
pub async fn get_call(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<CallOut>> {
    require_scope(&u.p, Scope::VolunteersRead)?;
    let call = service::call_for(&st.db, &u.p, id).await?;
    let mine = service::my_works(&st.db, &u.p)
        .await?
        .into_iter()
        .filter(|w| w.call_id == id)
        .collect();
    let works = if service::can_manage(&u.p, &call.unit_path) {
        service::works_for_reviewer(&st.db, &u.p, &call).await?
    } else {
        vec![]
    };
    Ok(Json(CallOut { call, mine, works }))
}

#[utoipa::path(post, path = "/api/v1/volunteers/calls/{id}/close", tag = "volunteers",
    responses((status = 200, body = Call), (status = 404, description = "Not the organiser's unit"),
              (status = 409, description = "Already closed")))]
pub async fn close_call(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<Call>> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    Ok(Json(
        service::close_call(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?,
    ))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = VolunteerWorkBody)]
pub struct WorkBody {
    /// `slogan`, `script`, `poster` or `idea` (one the call asks for).
    pub kind: String,
    pub title: String,
    /// The text of the work (up to 10,000 characters).
    pub body: String,
    /// A link to a video of the work.
    pub video_url: String,
    /// An attached JPEG, PNG or PDF, base64 (at most 5 MiB); a poster needs one.
    pub file_base64: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/volunteers/calls/{id}/works", tag = "volunteers", request_body = WorkBody,
    responses((status = 201, body = Work), (status = 409, description = "Past the deadline, five works already, or not a volunteer"),
              (status = 422, description = "Wrong kind, empty, oversized or unknown file")))]
pub async fn submit_work(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(b): Json<WorkBody>,
) -> AppResult<(StatusCode, Json<Work>)> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    let file = match b
        .file_base64
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(f) => {
            use base64::Engine as _;
            Some(
                base64::engine::general_purpose::STANDARD
                    .decode(f)
                    .map_err(|_| bad("vol-err-file-type"))?,
            )
        }
        None => None,
    };
    let w = WorkInput {
        kind: b.kind,
        title: b.title,
        body: b.body,
        video_url: b.video_url,
        file,
    };
    Ok((
        StatusCode::CREATED,
        Json(service::submit_work(&st.db, &st.clock, &u.p, id, &w).await?),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = VolunteerWorkReviewBody)]
pub struct WorkReviewBody {
    /// `shortlist`, `accept` or `reject`.
    pub decision: String,
    /// Required to reject.
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/volunteers/works/{id}/review", tag = "volunteers", request_body = WorkReviewBody,
    responses((status = 200, body = Work), (status = 403, description = "One's own work"),
              (status = 404, description = "Not the organiser's unit"), (status = 409, description = "Not in a state for this")))]
pub async fn review_work(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(b): Json<WorkReviewBody>,
) -> AppResult<Json<Work>> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    let d = WorkDecision::parse(&b.decision).ok_or_else(|| bad("vol-err-decision"))?;
    Ok(Json(
        service::review_work(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, d, &b.reason).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = VolunteerPromoteBody)]
pub struct PromoteBody {
    /// The contest to enter the work in.
    pub contest_id: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerPromoteOut)]
pub struct PromoteOut {
    pub entry_id: i64,
}

#[utoipa::path(post, path = "/api/v1/volunteers/works/{id}/contest", tag = "volunteers", request_body = PromoteBody,
    responses((status = 201, body = PromoteOut), (status = 404, description = "Not the caller's work"),
              (status = 409, description = "Not shortlisted, already entered, or the contest refuses it"),
              (status = 422, description = "No picture or video to enter")))]
pub async fn promote(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(b): Json<PromoteBody>,
) -> AppResult<(StatusCode, Json<PromoteOut>)> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    let entry_id = service::promote_to_contest(&st.db, &st.clock, &u.p, id, b.contest_id).await?;
    Ok((StatusCode::CREATED, Json(PromoteOut { entry_id })))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
pub struct LibraryQuery {
    /// A fraud type id (`rebate_task`, …).
    pub fraud_type: String,
    /// `slogan`, `script`, `poster` or `idea`.
    pub kind: String,
    /// `students`, `staff`, `community`, `companies` (works for everyone always match).
    pub audience: String,
    /// Words in the title or the text.
    pub q: String,
}

impl LibraryQuery {
    /// The filter, or the first unknown value.
    pub fn filter(&self) -> AppResult<ItemFilter> {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let fraud_type = match some(&self.fraud_type) {
            Some(f) => {
                Some(super::model::fraud_type_id(&f).ok_or_else(|| bad("vol-err-fraud-type"))?)
            }
            None => None,
        };
        let kind = match some(&self.kind) {
            Some(k) => Some(WorkKind::parse(&k).ok_or_else(|| bad("vol-err-work-kind"))?),
            None => None,
        };
        let audience = match some(&self.audience) {
            Some(a) => Some(Audience::parse(&a).ok_or_else(|| bad("vol-err-audience"))?),
            None => None,
        };
        let text = some(&self.q).map(|t| t.chars().take(100).collect());
        Ok(ItemFilter {
            fraud_type,
            kind,
            audience,
            text,
        })
    }
}

#[utoipa::path(get, path = "/api/v1/volunteers/library", tag = "volunteers", params(LibraryQuery),
    responses((status = 200, body = [Item]), (status = 422, description = "Unknown filter value")))]
pub async fn library(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<LibraryQuery>,
) -> AppResult<Json<Vec<Item>>> {
    require_scope(&u.p, Scope::VolunteersRead)?;
    let f = q.filter()?;
    Ok(Json(service::library(&st.db, &u.p, &f).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerLibraryItemOut)]
pub struct LibraryItemOut {
    pub item: Item,
    /// The campaign content the caller's unit made from it, if it reused it.
    pub reused_as: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/volunteers/library/{id}", tag = "volunteers",
    responses((status = 200, body = LibraryItemOut), (status = 404, description = "Absent")))]
pub async fn library_item(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<LibraryItemOut>> {
    require_scope(&u.p, Scope::VolunteersRead)?;
    let (item, reused_as) = service::library_item(&st.db, &u.p, id).await?;
    Ok(Json(LibraryItemOut { item, reused_as }))
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerReuseOut)]
pub struct ReuseOut {
    /// The draft in the caller's unit's campaign content library.
    pub content_id: i64,
    /// False when the unit had reused the item already (the same draft).
    pub new: bool,
}

#[utoipa::path(post, path = "/api/v1/volunteers/library/{id}/reuse", tag = "volunteers",
    responses((status = 201, body = ReuseOut), (status = 200, body = ReuseOut, description = "Reused before"),
              (status = 403, description = "Not police or a school admin")))]
pub async fn reuse(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, Json<ReuseOut>)> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    let (content_id, new) = service::reuse(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
    let code = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(ReuseOut { content_id, new })))
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerFromContestOut)]
pub struct FromContestOut {
    /// Winners added now (zero when they were added before).
    pub added: usize,
}

#[utoipa::path(post, path = "/api/v1/volunteers/library/contests/{id}", tag = "volunteers",
    responses((status = 200, body = FromContestOut), (status = 404, description = "Not the contest's organiser"),
              (status = 409, description = "Results not published")))]
pub async fn from_contest(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<FromContestOut>> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    let added = service::library_from_contest(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
    Ok(Json(FromContestOut { added }))
}

#[utoipa::path(get, path = "/api/v1/volunteers/teams", tag = "volunteers",
    responses((status = 200, body = [Team]), (status = 403, description = "Neither a volunteer nor staff")))]
pub async fn list_teams(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<Team>>> {
    require_scope(&u.p, Scope::VolunteersRead)?;
    Ok(Json(service::teams_for(&st.db, &u.p).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = VolunteerTeamBody)]
pub struct TeamBody {
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/volunteers/teams", tag = "volunteers", request_body = TeamBody,
    responses((status = 201, body = Team), (status = 403, description = "Not a school admin"),
              (status = 422, description = "Empty, too long, or taken")))]
pub async fn create_team(
    State(st): State<AppState>,
    u: User,
    Json(b): Json<TeamBody>,
) -> AppResult<(StatusCode, Json<Team>)> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    Ok((
        StatusCode::CREATED,
        Json(service::create_team(&st.db, &st.clock, &u.p, &b.name).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/volunteers/teams/{id}/join", tag = "volunteers",
    responses((status = 200, body = Team), (status = 404, description = "Not a team of the caller's school")))]
pub async fn join_team(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<Team>> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    Ok(Json(service::join_team(&st.db, &st.clock, &u.p, id).await?))
}

#[utoipa::path(post, path = "/api/v1/volunteers/teams/leave", tag = "volunteers",
    responses((status = 204), (status = 409, description = "In no team")))]
pub async fn leave_team(State(st): State<AppState>, u: User) -> AppResult<StatusCode> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    service::leave_team(&st.db, &u.p).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = VolunteerAdjustBody)]
pub struct AdjustBody {
    /// Points to add (negative to take away), non-zero, at most 10,000 either way.
    pub points: i64,
    pub reason: String,
    /// The adjustment's idempotency key: a retry with the same key adjusts once.
    pub key: String,
}

#[utoipa::path(post, path = "/api/v1/volunteers/volunteers/{id}/adjust", tag = "volunteers", request_body = AdjustBody,
    responses((status = 200, body = Entry), (status = 404, description = "Not a volunteer in the caller's units"),
              (status = 409, description = "Would take the balance below zero"), (status = 422, description = "No reason, no key, zero points")))]
pub async fn adjust(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(b): Json<AdjustBody>,
) -> AppResult<Json<Entry>> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    Ok(Json(
        service::adjust(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            id,
            b.points,
            &b.reason,
            &b.key,
        )
        .await?,
    ))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
pub struct LeaderboardQuery {
    /// `school` (default) or `province`.
    pub reach: String,
    /// `week`, `month`, `term` or `all` (default).
    pub period: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerLeaderboardOut)]
pub struct LeaderboardOut {
    /// The school's or province's name.
    pub area: String,
    /// Start of the period (UTC ms of its first midnight in China Standard Time, the zone every
    /// board counts in; 0 for all time).
    pub since: i64,
    pub people: Vec<Standing>,
    /// Classes of the area by points earned in the period; `sub` is how many of their
    /// volunteers earned.
    pub classes: Vec<Standing>,
    pub schools: Vec<Standing>,
}

/// The reach and period of a leaderboard query.
pub fn board_args(reach: &str, period: &str) -> AppResult<(Reach, Period)> {
    let reach = match reach.trim() {
        "" => Reach::School,
        r => Reach::parse(r).ok_or_else(|| bad("vol-err-reach"))?,
    };
    let period = match period.trim() {
        "" => Period::All,
        p => Period::parse(p).ok_or_else(|| bad("vol-err-period"))?,
    };
    Ok((reach, period))
}

#[utoipa::path(get, path = "/api/v1/volunteers/leaderboard", tag = "volunteers", params(LeaderboardQuery),
    responses((status = 200, body = LeaderboardOut), (status = 422, description = "Unknown reach or period")))]
pub async fn leaderboard(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<LeaderboardQuery>,
) -> AppResult<Json<LeaderboardOut>> {
    require_scope(&u.p, Scope::VolunteersRead)?;
    let (reach, period) = board_args(&q.reach, &q.period)?;
    let b = service::period_board(&st.db, &st.clock, &u.p, reach, period).await?;
    Ok(Json(LeaderboardOut {
        area: b.area,
        since: b.since,
        people: b.people,
        classes: b.classes,
        schools: b.schools,
    }))
}

//! JSON API of campaigns under `/api/v1/campaigns`, scoped like the pages.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::service::{self as svc, SvcError};
use super::store;
use crate::auth::model::Scope;
use crate::auth::policy::Action;
use crate::error::{AppError, AppResult};
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::AppState;

impl From<svc::BadInput> for AppError {
    fn from(e: svc::BadInput) -> Self {
        AppError::bad_request(e.0)
    }
}

impl From<SvcError> for AppError {
    fn from(e: SvcError) -> Self {
        match e {
            SvcError::Refused(c) => {
                let mut err = AppError::unprocessable(c.key);
                if let Some(a) = c.arg {
                    err = err.arg("value", a);
                } else {
                    err = err.arg("value", "");
                }
                err
            }
            SvcError::NotFound => AppError::not_found(),
            SvcError::Forbidden => AppError::forbidden(),
            SvcError::Db(d) => AppError::from(d),
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/campaigns", get(list).post(create))
        .route("/api/v1/campaigns/preview", post(preview))
        .route(
            "/api/v1/campaigns/contents",
            get(list_contents).post(create_content),
        )
        .route(
            "/api/v1/campaigns/contents/{id}",
            get(get_content).put(update_content),
        )
        .route("/api/v1/campaigns/contents/{id}/{step}", post(content_step))
        .route(
            "/api/v1/campaigns/channels",
            get(list_channels).post(create_channel),
        )
        .route("/api/v1/campaigns/gaps", get(gaps))
        .route("/api/v1/campaigns/exposure", get(exposure))
        .route("/api/v1/campaigns/deliveries/{id}", get(open_delivery))
        .route("/api/v1/campaigns/deliveries/{id}/ack", post(ack))
        .route("/api/v1/campaigns/deliveries/{id}/quiz", post(quiz))
        .route("/api/v1/campaigns/{id}", get(get_campaign))
        .route("/api/v1/campaigns/{id}/recall", post(recall))
        .route("/api/v1/campaigns/{id}/reach", get(reach))
}

/// Content the caller can use: their own units' and their ancestors'.
#[utoipa::path(get, path = "/api/v1/campaigns/contents", tag = "campaigns", responses((status = 200, body = [store::Content]), (status = 403)))]
pub async fn list_contents(
    State(st): State<AppState>,
    u: User,
) -> AppResult<Json<Vec<store::Content>>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    svc::require_manager(&u.p)?;
    Ok(Json(svc::list_contents(&st.db, &u.p).await?))
}

/// Writes a draft (Markdown is rendered and sanitised; at least one fraud type is required).
#[utoipa::path(post, path = "/api/v1/campaigns/contents", tag = "campaigns", request_body = svc::NewContent, responses((status = 201, body = store::Content), (status = 422), (status = 403)))]
pub async fn create_content(
    State(st): State<AppState>,
    u: User,
    Json(c): Json<svc::NewContent>,
) -> AppResult<(StatusCode, Json<store::Content>)> {
    require_scope(&u.p, Scope::CampaignsWrite)?;
    svc::require_manager(&u.p)?;
    let c = svc::create_content(&st.db, &st.clock, &u.p, &u.ctx.actor(), &c).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/api/v1/campaigns/contents/{id}", tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = store::Content), (status = 404)))]
pub async fn get_content(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Content>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    svc::require_manager(&u.p)?;
    Ok(Json(svc::content_visible_to(&st.db, &u.p, id).await?))
}

/// Edits content: a new version, back to draft.
#[utoipa::path(put, path = "/api/v1/campaigns/contents/{id}", tag = "campaigns", params(("id" = i64, Path)), request_body = svc::NewContent, responses((status = 200, body = store::Content), (status = 404), (status = 422)))]
pub async fn update_content(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(c): Json<svc::NewContent>,
) -> AppResult<Json<store::Content>> {
    require_scope(&u.p, Scope::CampaignsWrite)?;
    svc::require_manager(&u.p)?;
    Ok(Json(
        svc::update_content(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, &c).await?,
    ))
}

/// Review steps: `submit`, `publish` (by someone other than the last editor), `reject`, `archive`.
#[utoipa::path(post, path = "/api/v1/campaigns/contents/{id}/{step}", tag = "campaigns", params(("id" = i64, Path), ("step" = String, Path)), responses((status = 200, body = store::Content), (status = 404), (status = 422)))]
pub async fn content_step(
    State(st): State<AppState>,
    u: User,
    Path((id, step)): Path<(i64, String)>,
) -> AppResult<Json<store::Content>> {
    require_scope(&u.p, Scope::CampaignsWrite)?;
    svc::require_manager(&u.p)?;
    Ok(Json(
        svc::transition(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, &step).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/campaigns/channels", tag = "campaigns", responses((status = 200, body = [store::Channel])))]
pub async fn list_channels(
    State(st): State<AppState>,
    u: User,
) -> AppResult<Json<Vec<store::Channel>>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    svc::require_manager(&u.p)?;
    Ok(Json(svc::list_channels(&st.db, &u.p).await?))
}

/// Configures an outside channel (email relay, DingTalk/WeCom/Feishu robot, signed webhook).
#[utoipa::path(post, path = "/api/v1/campaigns/channels", tag = "campaigns", request_body = svc::NewChannel, responses((status = 201, body = store::Channel), (status = 422)))]
pub async fn create_channel(
    State(st): State<AppState>,
    u: User,
    Json(c): Json<svc::NewChannel>,
) -> AppResult<(StatusCode, Json<store::Channel>)> {
    require_scope(&u.p, Scope::CampaignsWrite)?;
    svc::require_manager(&u.p)?;
    let c = svc::create_channel(&st.db, &st.clock, &u.p, &u.ctx.actor(), &c).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PreviewIn {
    pub unit: String,
    pub fraud_type: String,
    #[serde(default)]
    pub audience: super::model::AudienceSpec,
}

/// Audience size and a sample (names masked) before anything is sent.
#[utoipa::path(post, path = "/api/v1/campaigns/preview", tag = "campaigns", request_body = PreviewIn, responses((status = 200, body = svc::Preview), (status = 422)))]
pub async fn preview(
    State(st): State<AppState>,
    u: User,
    Json(i): Json<PreviewIn>,
) -> AppResult<Json<svc::Preview>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    svc::require_manager(&u.p)?;
    let unit = svc::unit_in_scope(&st.db, &u.p, Action::ManageCampaigns, &i.unit).await?;
    let ft = super::model::fraud_type(&i.fraud_type).map_err(SvcError::from)?;
    Ok(Json(
        svc::preview(&st.db, &st.clock, &unit, &i.audience, ft.id()).await?,
    ))
}

/// Campaigns of the caller's units and of the units above them.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", responses((status = 200, body = [store::Campaign])))]
pub async fn list(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<store::Campaign>>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    svc::require_viewer(&u.p)?;
    Ok(Json(svc::list_campaigns(&st.db, &u.p).await?))
}

/// Creates a campaign and schedules its sending (`run_at`, or now). An empty audience is refused.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = svc::NewCampaign, responses((status = 201, body = store::Campaign), (status = 422), (status = 403)))]
pub async fn create(
    State(st): State<AppState>,
    u: User,
    Json(c): Json<svc::NewCampaign>,
) -> AppResult<(StatusCode, Json<store::Campaign>)> {
    require_scope(&u.p, Scope::CampaignsWrite)?;
    svc::require_manager(&u.p)?;
    let c = svc::create_campaign(&st.db, &st.clock, &u.p, &u.ctx.actor(), &c).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CampaignOut {
    pub campaign: store::Campaign,
    pub funnel: svc::Funnel,
    pub robots: Vec<store::RobotDelivery>,
    pub email: svc::EmailCounts,
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = CampaignOut), (status = 404)))]
pub async fn get_campaign(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<CampaignOut>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    let (c, roots) = svc::campaign_visible_to(&st.db, &u.p, id).await?;
    let mut trees = Vec::new();
    for r in &roots {
        trees.extend(svc::reach_tree(&st.db, &st.unit_trees, id, r).await?);
    }
    Ok(Json(CampaignOut {
        funnel: svc::total(&trees),
        robots: store::robot_deliveries(&st.db, id).await?,
        email: svc::email_counts(&st.db, id).await?,
        campaign: c,
    }))
}

/// Recalls a campaign (not sent yet: never sent; sent: removed from inboxes).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/recall", tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = store::Campaign), (status = 404), (status = 422)))]
pub async fn recall(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Campaign>> {
    require_scope(&u.p, Scope::CampaignsWrite)?;
    svc::require_manager(&u.p)?;
    Ok(Json(
        svc::recall(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?,
    ))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ReachOut {
    pub funnel: svc::Funnel,
    pub trees: Vec<svc::ReachNode>,
    pub timeline: Vec<svc::DayCount>,
}

/// Reach of a campaign: the funnel, the unit tree (rolled up from classes) and the timeline.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/reach", tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = ReachOut), (status = 404)))]
pub async fn reach(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<ReachOut>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    let (_, roots) = svc::campaign_visible_to(&st.db, &u.p, id).await?;
    let mut trees = Vec::new();
    for r in &roots {
        trees.extend(svc::reach_tree(&st.db, &st.unit_trees, id, r).await?);
    }
    Ok(Json(ReachOut {
        funnel: svc::total(&trees),
        timeline: svc::timeline(&st.db, id, &roots).await?,
        trees,
    }))
}

/// Gap finder: people never reached in the last N days, victims of recorded cases who never
/// acknowledged a warning of their fraud type, and units of a campaign below a reach threshold.
#[utoipa::path(get, path = "/api/v1/campaigns/gaps", tag = "campaigns", params(svc::GapQuery), responses((status = 200, body = svc::GapsOut), (status = 404), (status = 400)))]
pub async fn gaps(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<svc::GapQuery>,
) -> AppResult<Json<svc::GapsOut>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    svc::require_viewer(&u.p)?;
    let q = q.parse(500)?;
    Ok(Json(
        svc::gaps(&st.db, &st.unit_trees, &st.clock, &u.p, &u.ctx.actor(), &q).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExposureQuery {
    pub unit: String,
    pub fraud_type: String,
    /// At most this many students (default 100).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
}

/// Exposure scores (0–100) of the students of a unit to one fraud type, highest first.
#[utoipa::path(get, path = "/api/v1/campaigns/exposure", tag = "campaigns", params(ExposureQuery), responses((status = 200, body = [svc::ExposureOut]), (status = 404), (status = 422)))]
pub async fn exposure(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<ExposureQuery>,
) -> AppResult<Json<Vec<svc::ExposureOut>>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    svc::require_manager(&u.p)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(AppError::bad_request("err-bad-paging"));
    }
    let v = svc::exposure_scores(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        &q.unit,
        &q.fraud_type,
        limit,
    )
    .await?;
    Ok(Json(v))
}

/// Opens one of the caller's own campaign messages (recorded once); others' are not found.
#[utoipa::path(get, path = "/api/v1/campaigns/deliveries/{id}", tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = svc::DeliveryOut), (status = 404)))]
pub async fn open_delivery(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<svc::DeliveryOut>> {
    require_scope(&u.p, Scope::InboxRead)?;
    Ok(Json(svc::open_delivery(&st.db, &st.clock, &u.p, id).await?))
}

/// "I have read and understood" — only on one's own delivery.
#[utoipa::path(post, path = "/api/v1/campaigns/deliveries/{id}/ack", tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = store::Delivery), (status = 404)))]
pub async fn ack(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<store::Delivery>> {
    require_scope(&u.p, Scope::InboxRead)?;
    Ok(Json(svc::acknowledge(&st.db, &st.clock, &u.p, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct QuizIn {
    pub answers: Vec<usize>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct QuizOut {
    pub passed: bool,
}

/// Answers the 1–3 question check; all right records it as passed.
#[utoipa::path(post, path = "/api/v1/campaigns/deliveries/{id}/quiz", tag = "campaigns", params(("id" = i64, Path)), request_body = QuizIn, responses((status = 200, body = QuizOut), (status = 404), (status = 422)))]
pub async fn quiz(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(q): Json<QuizIn>,
) -> AppResult<Json<QuizOut>> {
    require_scope(&u.p, Scope::InboxRead)?;
    let passed = svc::answer_quiz(&st.db, &st.clock, &u.p, id, &q.answers).await?;
    Ok(Json(QuizOut { passed }))
}

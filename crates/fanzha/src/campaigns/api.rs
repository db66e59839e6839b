//! JSON API of campaigns under `/api/v1/campaigns`, scoped like the pages.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::service::{self as svc, SvcError};
use super::store;
use crate::auth::model::{Principal, Scope};
use crate::auth::policy::{self, Action};
use crate::error::{AppError, AppResult};
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::AppState;

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

/// Managing campaigns needs the role somewhere; a caller without it is refused outright.
pub fn require_manager(p: &Principal) -> AppResult<()> {
    if policy::scopes_for(p, Action::ManageCampaigns).is_empty() {
        return Err(AppError::forbidden());
    }
    Ok(())
}

pub fn require_viewer(p: &Principal) -> AppResult<()> {
    if policy::scopes_for(p, Action::ViewReach).is_empty() {
        return Err(AppError::forbidden());
    }
    Ok(())
}

/// Content the caller can use: their own units' and their ancestors'.
#[utoipa::path(get, path = "/api/v1/campaigns/contents", tag = "campaigns", responses((status = 200, body = [store::Content]), (status = 403)))]
pub async fn list_contents(
    State(st): State<AppState>,
    u: User,
) -> AppResult<Json<Vec<store::Content>>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    require_manager(&u.p)?;
    let scopes = policy::scopes_for(&u.p, Action::ManageCampaigns);
    Ok(Json(store::contents_visible(&st.db, &scopes).await?))
}

/// Writes a draft (Markdown is rendered and sanitised; at least one fraud type is required).
#[utoipa::path(post, path = "/api/v1/campaigns/contents", tag = "campaigns", request_body = svc::NewContent, responses((status = 201, body = store::Content), (status = 422), (status = 403)))]
pub async fn create_content(
    State(st): State<AppState>,
    u: User,
    Json(c): Json<svc::NewContent>,
) -> AppResult<(StatusCode, Json<store::Content>)> {
    require_scope(&u.p, Scope::CampaignsWrite)?;
    require_manager(&u.p)?;
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
    require_manager(&u.p)?;
    Ok(Json(svc::managed_content(&st.db, &u.p, id).await?))
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
    require_manager(&u.p)?;
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
    require_manager(&u.p)?;
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
    require_manager(&u.p)?;
    let scopes = policy::scopes_for(&u.p, Action::ManageCampaigns);
    Ok(Json(store::channels_under(&st.db, &scopes).await?))
}

/// Configures an outside channel (email relay, DingTalk/WeCom/Feishu robot, signed webhook).
#[utoipa::path(post, path = "/api/v1/campaigns/channels", tag = "campaigns", request_body = svc::NewChannel, responses((status = 201, body = store::Channel), (status = 422)))]
pub async fn create_channel(
    State(st): State<AppState>,
    u: User,
    Json(c): Json<svc::NewChannel>,
) -> AppResult<(StatusCode, Json<store::Channel>)> {
    require_scope(&u.p, Scope::CampaignsWrite)?;
    require_manager(&u.p)?;
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
    require_manager(&u.p)?;
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
    require_viewer(&u.p)?;
    let scopes = policy::scopes_for(&u.p, Action::ViewReach);
    Ok(Json(store::campaigns_visible(&st.db, &scopes).await?))
}

/// Creates a campaign and schedules its sending (`run_at`, or now). An empty audience is refused.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = svc::NewCampaign, responses((status = 201, body = store::Campaign), (status = 422), (status = 403)))]
pub async fn create(
    State(st): State<AppState>,
    u: User,
    Json(c): Json<svc::NewCampaign>,
) -> AppResult<(StatusCode, Json<store::Campaign>)> {
    require_scope(&u.p, Scope::CampaignsWrite)?;
    require_manager(&u.p)?;
    let c = svc::create_campaign(&st.db, &st.clock, &u.p, &u.ctx.actor(), &c).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CampaignOut {
    pub campaign: store::Campaign,
    pub funnel: svc::Funnel,
    pub robots: Vec<store::RobotDelivery>,
    pub email: EmailCounts,
}

#[derive(serde::Serialize, utoipa::ToSchema, Default)]
pub struct EmailCounts {
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
}

pub async fn email_counts(st: &AppState, id: i64) -> AppResult<EmailCounts> {
    let mut e = EmailCounts::default();
    for (s, n) in sqlx::query_as::<_, (String, i64)>(
        "SELECT status, COUNT(*) FROM campaign_deliveries WHERE campaign_id = $1 AND channel LIKE 'email:%' GROUP BY status",
    )
    .bind(id)
    .fetch_all(&st.db.pool)
    .await?
    {
        match s.as_str() {
            "queued" => e.queued = n,
            "sent" => e.sent = n,
            "failed" => e.failed = n,
            _ => {}
        }
    }
    Ok(e)
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = CampaignOut), (status = 404)))]
pub async fn get_campaign(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<CampaignOut>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    let (c, roots) = svc::visible_campaign(&st.db, &u.p, id).await?;
    let mut trees = Vec::new();
    for r in &roots {
        trees.extend(svc::reach_tree(&st.db, id, r).await?);
    }
    Ok(Json(CampaignOut {
        funnel: svc::total(&trees),
        robots: store::robot_deliveries(&st.db, id).await?,
        email: email_counts(&st, id).await?,
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
    require_manager(&u.p)?;
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
    let (_, roots) = svc::visible_campaign(&st.db, &u.p, id).await?;
    let mut trees = Vec::new();
    for r in &roots {
        trees.extend(svc::reach_tree(&st.db, id, r).await?);
    }
    Ok(Json(ReachOut {
        funnel: svc::total(&trees),
        timeline: svc::timeline(&st.db, id, &roots).await?,
        trees,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct GapQuery {
    /// Unit code (inside the caller's scope).
    pub unit: String,
    /// People with no acknowledgement in this many days (default 30).
    #[param(minimum = 1, maximum = 3650)]
    pub days: Option<i64>,
    /// Campaign whose units below `threshold` to list.
    pub campaign: Option<i64>,
    /// Reach threshold 0–1 (default 0.6).
    #[param(minimum = 0, maximum = 1)]
    pub threshold: Option<f64>,
    /// Page of the never-reached list, from 1 (default 1).
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// People per page of the never-reached list (default 500).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<i64>,
    /// Keep only people whose name or student number contains this.
    pub q: Option<String>,
}

impl GapQuery {
    /// (page from 1, people per page), checked.
    pub fn paging(&self, default_per_page: i64) -> AppResult<(i64, i64)> {
        let page = self.page.unwrap_or(1);
        let per = self.per_page.unwrap_or(default_per_page);
        if !(1..=1_000_000).contains(&page) || !(1..=500).contains(&per) {
            return Err(AppError::bad_request("err-bad-paging"));
        }
        Ok((page, per))
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct GapsOut {
    pub never_reached_total: i64,
    /// The page of `never_reached` and the people per page.
    pub page: i64,
    pub per_page: i64,
    pub never_reached: Vec<svc::GapPerson>,
    /// Enrolled students whose account was never activated: the in-app inbox cannot reach them.
    pub never_activated_total: i64,
    pub never_activated: Vec<svc::GapPerson>,
    pub unwarned_victims: Vec<svc::GapPerson>,
    pub units_below: Vec<svc::ReachNode>,
}

/// Gap finder: people never reached in the last N days, victims of recorded cases who never
/// acknowledged a warning of their fraud type, and units of a campaign below a reach threshold.
#[utoipa::path(get, path = "/api/v1/campaigns/gaps", tag = "campaigns", params(GapQuery), responses((status = 200, body = GapsOut), (status = 404), (status = 400)))]
pub async fn gaps(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<GapQuery>,
) -> AppResult<Json<GapsOut>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    require_viewer(&u.p)?;
    let (_, per) = q.paging(500)?;
    Ok(Json(gaps_for(&st, &u, &q, per).await?))
}

/// The gap lists for a page or API call; the people shown are one audit entry per request.
pub async fn gaps_for(
    st: &AppState,
    u: &User,
    q: &GapQuery,
    default_per_page: i64,
) -> AppResult<GapsOut> {
    let (page, per_page) = q.paging(default_per_page)?;
    let p = &u.p;
    let days = q.days.unwrap_or(30);
    let threshold = q.threshold.unwrap_or(0.6);
    if !(1..=3650).contains(&days) || !(0.0..=1.0).contains(&threshold) {
        return Err(AppError::bad_request("camp-err-gap-params"));
    }
    let unit = svc::unit_in_scope(&st.db, p, Action::ViewReach, &q.unit).await?;
    let (total, people) = svc::never_reached(
        &st.db,
        &st.clock,
        &unit.path,
        days,
        q.q.as_deref().unwrap_or(""),
        per_page,
        (page - 1) * per_page,
    )
    .await?;
    let victims = svc::unwarned_victims(&st.db, &unit.path, 500).await?;
    let (inactive_total, inactive) =
        crate::auth::activation::never_activated(&st.db, &unit.path, 500).await?;
    let inactive: Vec<svc::GapPerson> = inactive
        .into_iter()
        .map(|a| svc::GapPerson {
            student_id: a.student_id,
            student_no: a.student_no,
            name: crate::org::model::mask_name(&a.name),
            class_name: a.class_name,
            fraud_type: None,
        })
        .collect();
    let mut below = Vec::new();
    if let Some(cid) = q.campaign {
        let (_, roots) = svc::visible_campaign(&st.db, p, cid).await?;
        let mut trees = Vec::new();
        for r in roots
            .iter()
            .filter(|r| r.starts_with(&unit.path) || unit.path.starts_with(r.as_str()))
        {
            let root = if r.starts_with(&unit.path) {
                r.clone()
            } else {
                unit.path.clone()
            };
            trees.extend(svc::reach_tree(&st.db, cid, &root).await?);
        }
        below = svc::units_below(&trees, threshold);
    }
    crate::audit::person_list_read(
        &st.db,
        &st.clock,
        p,
        &u.ctx.actor(),
        crate::audit::ListRead {
            export: false,
            kind: "student",
            unit_path: unit.path.clone(),
            filter: serde_json::json!({
                "gaps": q.unit, "days": days, "campaign": q.campaign, "page": page, "q": q.q,
                "never_reached_total": total, "unwarned_victims": victims.len(),
                "never_activated_total": inactive_total,
            }),
            ids: people
                .iter()
                .chain(victims.iter())
                .chain(inactive.iter())
                .map(|g| g.student_id)
                .collect(),
        },
    )
    .await?;
    Ok(GapsOut {
        never_reached_total: total,
        page,
        per_page,
        never_reached: people,
        never_activated_total: inactive_total,
        never_activated: inactive,
        unwarned_victims: victims,
        units_below: below,
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExposureQuery {
    pub unit: String,
    pub fraud_type: String,
    /// At most this many students (default 100).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ExposureOut {
    pub student_id: i64,
    pub score: f64,
}

/// Exposure scores (0–100) of the students of a unit to one fraud type, highest first.
#[utoipa::path(get, path = "/api/v1/campaigns/exposure", tag = "campaigns", params(ExposureQuery), responses((status = 200, body = [ExposureOut]), (status = 404), (status = 422)))]
pub async fn exposure(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<ExposureQuery>,
) -> AppResult<Json<Vec<ExposureOut>>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    require_manager(&u.p)?;
    let unit = svc::unit_in_scope(&st.db, &u.p, Action::ManageCampaigns, &q.unit).await?;
    let ft = super::model::fraud_type(&q.fraud_type).map_err(SvcError::from)?;
    let school = crate::org::store::school_of(&st.db, &unit)
        .await?
        .ok_or_else(|| SvcError::from(super::model::CampError::new("camp-err-exposure-school")))?;
    let (people, scores) =
        super::exposure::score_unit(&st.db, st.clock.now_ms(), &school.path, &unit.path, ft.id())
            .await?;
    let mut v: Vec<ExposureOut> = people
        .iter()
        .zip(scores)
        .map(|(p, s)| ExposureOut {
            student_id: p.student_id,
            score: s,
        })
        .collect();
    v.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.student_id.cmp(&b.student_id))
    });
    let limit = q.limit.unwrap_or(100);
    if !(1..=10_000).contains(&limit) {
        return Err(AppError::bad_request("err-bad-paging"));
    }
    v.truncate(limit);
    crate::audit::person_list_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        crate::audit::ListRead {
            export: false,
            kind: "student",
            unit_path: unit.path.clone(),
            filter: serde_json::json!({"exposure": q.unit, "fraud_type": q.fraud_type}),
            ids: v.iter().map(|e| e.student_id).collect(),
        },
    )
    .await?;
    Ok(Json(v))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryOut {
    pub delivery: store::Delivery,
    pub title: String,
    pub body_html: String,
    pub media_url: Option<String>,
    pub questions: Vec<QuestionOut>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct QuestionOut {
    pub q: String,
    pub choices: Vec<String>,
}

pub async fn delivery_out(st: &AppState, d: store::Delivery) -> AppResult<DeliveryOut> {
    let c = store::campaign_by_id(&st.db, d.campaign_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let content = svc::content_version(&st.db, c.content_id, c.content_version).await?;
    let prefix = format!("/campaigns/d/{}/go/", d.id);
    Ok(DeliveryOut {
        title: c.title,
        body_html: super::render::render(&content.body_md, Some(&prefix)).html,
        media_url: content.media_url,
        questions: content
            .quiz
            .into_iter()
            .map(|q| QuestionOut {
                q: q.q,
                choices: q.choices,
            })
            .collect(),
        delivery: d,
    })
}

/// Opens one of the caller's own campaign messages (recorded once); others' are not found.
#[utoipa::path(get, path = "/api/v1/campaigns/deliveries/{id}", tag = "campaigns", params(("id" = i64, Path)), responses((status = 200, body = DeliveryOut), (status = 404)))]
pub async fn open_delivery(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<DeliveryOut>> {
    require_scope(&u.p, Scope::InboxRead)?;
    let d = svc::open(&st.db, &st.clock, &u.p, id).await?;
    Ok(Json(delivery_out(&st, d).await?))
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

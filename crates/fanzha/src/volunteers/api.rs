//! `/api/v1/volunteers…`: registering, the task board, publishing, claiming, check-in, proof,
//! review, the ledger and redemption, with API tokens (`volunteers:read`, `volunteers:write`).
//! Pages call the same service functions.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::model::{Decision, TaskInput, TaskStatus};
use super::service::{self, Board, BoardItem, ProofIn};
use super::store::{Claim, Entry, Task, Volunteer};
use crate::auth::model::Scope;
use crate::error::{AppError, AppResult, Msg};
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/volunteers/register", post(register))
        .route("/api/v1/volunteers/me", get(me))
        .route("/api/v1/volunteers/balance", get(balance))
        .route("/api/v1/volunteers/tasks", get(list_tasks).post(publish))
        .route("/api/v1/volunteers/tasks/{id}", get(get_task))
        .route("/api/v1/volunteers/tasks/{id}/claim", post(claim))
        .route("/api/v1/volunteers/tasks/{id}/withdraw", post(withdraw))
        .route("/api/v1/volunteers/tasks/{id}/status", post(set_status))
        .route("/api/v1/volunteers/tasks/{id}/code", get(code))
        .route("/api/v1/volunteers/tasks/{id}/check", post(check))
        .route("/api/v1/volunteers/tasks/{id}/proof", post(proof))
        .route("/api/v1/volunteers/claims/{id}/review", post(review))
        .route("/api/v1/volunteers/rewards/{id}/redeem", post(redeem))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterBody {
    /// `inbox`, `phone` or `email`.
    pub contact: String,
    /// The volunteer agrees to the service rules and to their name being shown to task publishers.
    pub consent: bool,
}

#[utoipa::path(post, path = "/api/v1/volunteers/register", tag = "volunteers", request_body = RegisterBody,
    responses((status = 201, body = Volunteer), (status = 403, description = "Not a student"),
              (status = 409, description = "Already registered"), (status = 422, description = "No consent or unknown contact")))]
pub async fn register(
    State(st): State<AppState>,
    u: User,
    Json(b): Json<RegisterBody>,
) -> AppResult<(StatusCode, Json<Volunteer>)> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    let v = service::register(&st.db, &st.clock, &u.p, &b.contact, b.consent).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeOut {
    pub volunteer: Volunteer,
    /// The ledger, newest first; `volunteer.balance` is its sum.
    pub entries: Vec<Entry>,
    pub claims: Vec<Claim>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerBalanceOut)]
pub struct BalanceOut {
    /// Points to spend: the sum of every ledger entry.
    pub balance: i64,
    /// Points earned (awards, revocations, adjustments): what the leaderboards rank by.
    pub earned: i64,
}

#[utoipa::path(get, path = "/api/v1/volunteers/balance", tag = "volunteers",
    responses((status = 200, body = BalanceOut), (status = 409, description = "Not registered")))]
pub async fn balance(State(st): State<AppState>, u: User) -> AppResult<Json<BalanceOut>> {
    require_scope(&u.p, Scope::VolunteersRead)?;
    let (balance, earned) = service::balance(&st.db, &u.p).await?;
    Ok(Json(BalanceOut { balance, earned }))
}

#[utoipa::path(get, path = "/api/v1/volunteers/me", tag = "volunteers",
    responses((status = 200, body = MeOut), (status = 409, description = "Not registered")))]
pub async fn me(State(st): State<AppState>, u: User) -> AppResult<Json<MeOut>> {
    require_scope(&u.p, Scope::VolunteersRead)?;
    let (volunteer, entries) = service::my_ledger(&st.db, &u.p).await?;
    let (claims, _) = service::profile(&st.db, &volunteer).await?;
    Ok(Json(MeOut {
        volunteer,
        entries,
        claims,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct BoardQuery {
    /// Only tasks of the volunteer's school and of the stations covering it.
    #[serde(default)]
    pub near: bool,
    /// Also tasks that have ended.
    #[serde(default)]
    pub finished: bool,
    /// Only tasks running on this day (`YYYY-MM-DD`, the caller's time zone).
    pub date: Option<String>,
}

/// The [start, end) of a local day.
pub fn day_range(date: &str, tz: chrono_tz::Tz) -> AppResult<(i64, i64)> {
    let start = crate::kernel::time::parse_local(date, tz)
        .filter(|_| date.trim().len() == 10)
        .ok_or_else(|| AppError::refused("vol-err-invalid", vec![Msg::new("vol-err-date")]))?;
    Ok((start, start + 86_400_000))
}

#[utoipa::path(get, path = "/api/v1/volunteers/tasks", tag = "volunteers", params(BoardQuery),
    responses((status = 200, body = [BoardItem])))]
pub async fn list_tasks(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<BoardQuery>,
) -> AppResult<Json<Vec<BoardItem>>> {
    require_scope(&u.p, Scope::VolunteersRead)?;
    let day = match q.date.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => Some(day_range(d, u.p.time_zone)?),
        None => None,
    };
    let f = Board {
        near: q.near,
        day,
        finished: q.finished,
    };
    Ok(Json(service::board(&st.db, &st.clock, &u.p, &f).await?))
}

#[utoipa::path(post, path = "/api/v1/volunteers/tasks", tag = "volunteers", request_body = TaskInput,
    responses((status = 201, body = Task), (status = 403, description = "Not police or a school admin"),
              (status = 422, description = "Invalid task")))]
pub async fn publish(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<TaskInput>,
) -> AppResult<(StatusCode, Json<Task>)> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    Ok((
        StatusCode::CREATED,
        Json(service::publish(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input).await?),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TaskOut {
    pub task: Task,
    /// The caller's own claim.
    pub mine: Option<Claim>,
    /// Every claim, for the publisher's unit; empty for others.
    pub claims: Vec<Claim>,
}

#[utoipa::path(get, path = "/api/v1/volunteers/tasks/{id}", tag = "volunteers",
    responses((status = 200, body = TaskOut), (status = 404, description = "Absent or not offered to the caller")))]
pub async fn get_task(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<TaskOut>> {
    require_scope(&u.p, Scope::VolunteersRead)?;
    let (task, vol) = service::task_for(&st.db, &u.p, id).await?;
    let mine = match &vol {
        Some(v) => service::my_claim(&st.db, v, id).await?,
        None => None,
    };
    let claims = if service::can_manage(&u.p, &task.unit_path) {
        service::claims_for_reviewer(&st.db, &u.p, &task).await?
    } else {
        vec![]
    };
    Ok(Json(TaskOut { task, mine, claims }))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct ClaimBody {
    /// Join the waiting list when the task is full.
    pub wait: bool,
}

#[utoipa::path(post, path = "/api/v1/volunteers/tasks/{id}/claim", tag = "volunteers", request_body = ClaimBody,
    responses((status = 201, body = Claim), (status = 409, description = "Full, not open, already claimed, or not a volunteer")))]
pub async fn claim(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(b): Json<ClaimBody>,
) -> AppResult<(StatusCode, Json<Claim>)> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    Ok((
        StatusCode::CREATED,
        Json(service::claim(&st.vol_claims, &st.clock, &u.p, id, b.wait).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/volunteers/tasks/{id}/withdraw", tag = "volunteers",
    responses((status = 204), (status = 409, description = "No claim, or past the cut-off")))]
pub async fn withdraw(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    service::withdraw(&st.db, &st.clock, &u.p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusBody {
    /// `open`, `closed` or `cancelled`.
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/volunteers/tasks/{id}/status", tag = "volunteers", request_body = StatusBody,
    responses((status = 200, body = Task), (status = 403, description = "Not the publisher's unit"),
              (status = 409, description = "Not from this state")))]
pub async fn set_status(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(b): Json<StatusBody>,
) -> AppResult<Json<Task>> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    let to = TaskStatus::parse(&b.status)
        .ok_or_else(|| AppError::refused("vol-err-invalid", vec![Msg::new("vol-err-status")]))?;
    Ok(Json(
        service::set_status(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, to).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CodeOut {
    /// The token a QR code carries.
    pub token: String,
    /// Six digits to type.
    pub short_code: String,
    /// When the next code starts (unix ms).
    pub next_at: i64,
}

#[utoipa::path(get, path = "/api/v1/volunteers/tasks/{id}/code", tag = "volunteers",
    responses((status = 200, body = CodeOut), (status = 404, description = "Not the publisher's unit")))]
pub async fn code(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<CodeOut>> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    let (_, s) = service::place_code(&st.db, &st.clock, &u.p, id).await?;
    Ok(Json(CodeOut {
        token: s.token,
        short_code: s.short_code,
        next_at: s.next_at,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CheckBody {
    /// The code of the place screen (six digits or the QR token).
    pub code: String,
    /// Check out rather than in.
    #[serde(default)]
    pub out: bool,
}

#[utoipa::path(post, path = "/api/v1/volunteers/tasks/{id}/check", tag = "volunteers", request_body = CheckBody,
    responses((status = 200, body = Claim), (status = 422, description = "Wrong or expired code"),
              (status = 409, description = "No claim, or outside the task's time")))]
pub async fn check(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(b): Json<CheckBody>,
) -> AppResult<Json<Claim>> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    Ok(Json(
        service::check(&st.db, &st.clock, &u.p, id, &b.code, b.out).await?,
    ))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct ProofBody {
    /// A written account, for tasks asking for text.
    pub text: Option<String>,
    /// A JPEG or PNG photo, base64, for tasks asking for a photo (at most 5 MiB).
    pub photo_base64: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/volunteers/tasks/{id}/proof", tag = "volunteers", request_body = ProofBody,
    responses((status = 200, body = Claim), (status = 422, description = "Wrong kind, empty, oversized")))]
pub async fn proof(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(b): Json<ProofBody>,
) -> AppResult<Json<Claim>> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    let p = match (b.text, b.photo_base64) {
        (Some(t), None) => ProofIn::Text(t),
        (None, Some(ph)) => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(ph.trim())
                .map_err(|_| {
                    AppError::refused("vol-err-invalid", vec![Msg::new("vol-err-photo-type")])
                })?;
            ProofIn::Photo(bytes)
        }
        _ => {
            return Err(AppError::refused(
                "vol-err-invalid",
                vec![Msg::new("vol-err-proof-one")],
            ))
        }
    };
    Ok(Json(
        service::submit_proof(&st.db, &st.clock, &u.p, id, p).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReviewBody {
    /// `approve`, `reject`, `no_show` or `revoke`.
    pub decision: String,
    /// Required to reject or revoke.
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/volunteers/claims/{id}/review", tag = "volunteers", request_body = ReviewBody,
    responses((status = 200, body = Claim), (status = 403, description = "One's own claim"),
              (status = 404, description = "Not the publisher's unit"), (status = 409, description = "Not in a state for this")))]
pub async fn review(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(b): Json<ReviewBody>,
) -> AppResult<Json<Claim>> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    let d = Decision::parse(&b.decision)
        .ok_or_else(|| AppError::refused("vol-err-invalid", vec![Msg::new("vol-err-decision")]))?;
    Ok(Json(
        service::review(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, d, &b.reason).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RedeemBody {
    /// The redemption's idempotency key: a retry with the same key redeems once.
    pub key: String,
}

#[utoipa::path(post, path = "/api/v1/volunteers/rewards/{id}/redeem", tag = "volunteers", request_body = RedeemBody,
    responses((status = 200, body = Entry), (status = 409, description = "Not enough points, or out of stock")))]
pub async fn redeem(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(b): Json<RedeemBody>,
) -> AppResult<Json<Entry>> {
    require_scope(&u.p, Scope::VolunteersWrite)?;
    Ok(Json(
        service::redeem(&st.db, &st.clock, &u.p, id, &b.key).await?,
    ))
}

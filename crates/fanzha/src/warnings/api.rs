//! JSON API of warnings: each handler checks the token's scope, parses the request, calls one
//! use case of `service` (the pages call the same ones) and renders JSON.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::appraisal::{Appraisal, Figures};
use super::model::*;
use super::receipts;
use super::service::{self, Act, WarningInput};
use crate::auth::model::Scope;
use crate::error::{AppError, AppResult};
use crate::kernel::ids::WarningId;
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::AppState;

// The request and answer shapes of the use cases (their OpenAPI names are these).
pub use super::service::{
    AppraisalQuery, BatchOut, ContactInput, IdentifyInput, Issued, ListQuery, OutcomeInput,
    SettingsInput, SettingsOut, WarningDetail,
};
// Other modules (mules) ask here who issues and whether the caller is a partner.
pub use super::service::{is_partner, issuer_of, refuse_partner};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/warnings", get(api_list).post(api_issue))
        .route("/api/v1/warnings/batch", post(api_batch))
        .route("/api/v1/warnings/mine", get(api_mine))
        .route("/api/v1/warnings/figures", get(api_figures))
        .route("/api/v1/warnings/appraisal", get(api_appraisal))
        .route(
            "/api/v1/warnings/settings/{school}",
            get(api_settings).put(api_save_settings),
        )
        .route("/api/v1/warnings/{id}", get(api_get))
        .route("/api/v1/warnings/{id}/acknowledge", post(api_ack))
        .route("/api/v1/warnings/{id}/contact", post(api_contact))
        .route("/api/v1/warnings/{id}/outcome", post(api_outcome))
        .route("/api/v1/warnings/{id}/identify", post(api_identify))
}

/// What `GET /api/v1/warnings/{id}` answers: the warning and its timeline to people who may see
/// it, a partner's own receipt to that partner.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum WarningView {
    Detail(Box<WarningDetail>),
    Receipt(Receipt),
}

/// Issue one warning. `Idempotency-Key` (header) makes a repeat return the first warning (200)
/// instead of creating a second (201).
///
/// Police get the warning, matched and routed. A partner system gets only a `Receipt` (id, its
/// `reference`, `received_at`, `status` = `received`), the same whether or not anybody matches:
/// matching runs later as a job, and 422 means only that the input is malformed.
#[utoipa::path(post, path = "/api/v1/warnings", tag = "warnings", request_body = WarningInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat-safe key (1–100 characters)")),
    responses((status = 201, body = Issued, description = "a warning (police) or a receipt (partner)"),
        (status = 200, body = Issued, description = "a repeat of an earlier key"), (status = 400), (status = 422), (status = 403)))]
pub async fn api_issue(
    State(st): State<AppState>,
    u: User,
    headers: HeaderMap,
    Json(input): Json<WarningInput>,
) -> AppResult<Response> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    service::issuer_of(&u.p)?;
    let key = match headers.get("idempotency-key") {
        Some(v) => {
            let k = v.to_str().unwrap_or("").trim().to_string();
            if k.is_empty() || k.len() > 100 {
                return Err(AppError::bad_request("warn-err-idempotency-key"));
            }
            Some(k)
        }
        None => None,
    };
    let (issued, created) =
        service::issue(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input, key).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(issued)).into_response())
}

/// Issue a CSV batch (header 手机号/phone, 学号/student_no, 学校代码/school_code, 诈骗类型/fraud_type,
/// 级别/severity, 情况/detail, 来源/source). Any bad row refuses the whole batch, with line numbers.
#[utoipa::path(post, path = "/api/v1/warnings/batch", tag = "warnings", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = BatchOut), (status = 422), (status = 403)))]
pub async fn api_batch(State(st): State<AppState>, u: User, body: Bytes) -> AppResult<Response> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    let out = service::issue_csv(&st.db, &st.clock, &u.p, &u.ctx.actor(), &body).await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// Warnings in the caller's scope (or under `unit`), newest first.
#[utoipa::path(get, path = "/api/v1/warnings", tag = "warnings", params(ListQuery), responses((status = 200, body = [Warning]), (status = 400)))]
pub async fn api_list(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Vec<Warning>>> {
    require_scope(&u.p, Scope::WarningsRead)?;
    Ok(Json(
        service::list(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q).await?,
    ))
}

/// Warnings the caller is responsible for now, open ones first by deadline.
#[utoipa::path(get, path = "/api/v1/warnings/mine", tag = "warnings", responses((status = 200, body = [Warning])))]
pub async fn api_mine(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<Warning>>> {
    require_scope(&u.p, Scope::WarningsRead)?;
    Ok(Json(
        service::mine(&st.db, &st.clock, &u.p, &u.ctx.actor()).await?,
    ))
}

/// One warning with its timeline; to a partner, its own receipt of that id (anything else 404).
#[utoipa::path(get, path = "/api/v1/warnings/{id}", tag = "warnings", params(("id" = i64, Path)),
    responses((status = 200, body = WarningView, description = "the warning with its timeline, or a partner's own receipt"), (status = 404)))]
pub async fn api_get(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<WarningId>,
) -> AppResult<Json<WarningView>> {
    if service::is_partner(&u.p) {
        // Receipts answer to the token that can send warnings; no warning is ever read.
        if !u.p.token_allows(Scope::WarningsWrite) && !u.p.token_allows(Scope::WarningsRead) {
            require_scope(&u.p, Scope::WarningsWrite)?;
        }
        return Ok(Json(WarningView::Receipt(
            receipts::receipt(&st.db, u.p.account_id, id.get()).await?,
        )));
    }
    require_scope(&u.p, Scope::WarningsRead)?;
    let d = service::detail(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
    Ok(Json(WarningView::Detail(Box::new(d))))
}

/// Acknowledge a warning (the first of the two clocks stops).
#[utoipa::path(post, path = "/api/v1/warnings/{id}/acknowledge", tag = "warnings", params(("id" = i64, Path)), responses((status = 200, body = Warning), (status = 403), (status = 404), (status = 409)))]
pub async fn api_ack(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<WarningId>,
) -> AppResult<Json<Warning>> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    act(&st, &u, id, Act::Acknowledge).await
}

/// Runs one act of the caller through the use case.
async fn act(st: &AppState, u: &User, id: WarningId, a: Act) -> AppResult<Json<Warning>> {
    Ok(Json(
        service::act(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, a).await?,
    ))
}

/// Record contact with the student (stops the second clock).
#[utoipa::path(post, path = "/api/v1/warnings/{id}/contact", tag = "warnings", params(("id" = i64, Path)), request_body = ContactInput, responses((status = 200, body = Warning), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn api_contact(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<WarningId>,
    Json(i): Json<ContactInput>,
) -> AppResult<Json<Warning>> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    let a = service::parse_contact(&i, st.clock.now_ms())?;
    act(&st, &u, id, a).await
}

/// Record the outcome (once). `already_lost` needs the loss and the transfer (payment type, payee
/// account, bank, transfer time): in the same transaction it files a loss report with its
/// stop-payment request (validated like `POST /api/v1/reports`; refused with nothing written).
#[utoipa::path(post, path = "/api/v1/warnings/{id}/outcome", tag = "warnings", params(("id" = i64, Path)), request_body = OutcomeInput, responses((status = 200, body = Warning), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn api_outcome(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<WarningId>,
    Json(i): Json<OutcomeInput>,
) -> AppResult<Json<Warning>> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    let a = service::parse_outcome(
        &i,
        Some(crate::reports::service::Deadlines::from_config(&st.config)),
    )?;
    act(&st, &u, id, a).await
}

/// Attach a student to a warning in the "needs identification" queue; routing and clocks start.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/identify", tag = "warnings", params(("id" = i64, Path)), request_body = IdentifyInput, responses((status = 200, body = Warning), (status = 404), (status = 409), (status = 422)))]
pub async fn api_identify(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<WarningId>,
    Json(i): Json<IdentifyInput>,
) -> AppResult<Json<Warning>> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    Ok(Json(
        service::identify(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, &i.student_no).await?,
    ))
}

/// States, share acted on in time, median times and unreached people, over the caller's scope
/// (or `unit`) for a period.
#[utoipa::path(get, path = "/api/v1/warnings/figures", tag = "warnings", params(AppraisalQuery), responses((status = 200, body = Figures)))]
pub async fn api_figures(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Figures>> {
    require_scope(&u.p, Scope::WarningsRead)?;
    Ok(Json(
        service::figures(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q).await?,
    ))
}

/// The appraisal of the chain (包保考核) under `unit` for a period: per person and per class,
/// ranked by the school's weighted score.
#[utoipa::path(get, path = "/api/v1/warnings/appraisal", tag = "warnings", params(AppraisalQuery), responses((status = 200, body = Appraisal), (status = 404)))]
pub async fn api_appraisal(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<AppraisalQuery>,
) -> AppResult<Json<Appraisal>> {
    require_scope(&u.p, Scope::WarningsRead)?;
    let (_, a) = service::appraisal_of(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q).await?;
    Ok(Json(a))
}

/// A school's deadlines (ms) and appraisal weights.
#[utoipa::path(get, path = "/api/v1/warnings/settings/{school}", tag = "warnings", params(("school" = String, Path)), responses((status = 200, body = SettingsOut), (status = 404)))]
pub async fn api_settings(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
) -> AppResult<Json<SettingsOut>> {
    require_scope(&u.p, Scope::WarningsRead)?;
    Ok(Json(
        service::settings(&st.db, &st.clock, &u.p, &u.ctx.actor(), &code).await?,
    ))
}

/// Change a school's deadlines (minutes) and appraisal weights; applies to warnings routed later.
#[utoipa::path(put, path = "/api/v1/warnings/settings/{school}", tag = "warnings", params(("school" = String, Path)), request_body = SettingsInput, responses((status = 200, body = SettingsOut), (status = 404), (status = 422)))]
pub async fn api_save_settings(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    Json(i): Json<SettingsInput>,
) -> AppResult<Json<SettingsOut>> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    Ok(Json(
        service::save_settings(&st.db, &st.clock, &u.p, &u.ctx.actor(), &code, &i).await?,
    ))
}

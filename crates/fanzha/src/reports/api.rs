//! `/api/v1/reports…`: every action of the report pages, with API tokens (`reports:read`,
//! `reports:write`), scoped like the pages. Pages and API call the same use cases in `service`.

use crate::kernel::ids::ReportId;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::model::{self, ReportInput, Sections};
use super::service::scope_of;
use super::service::{self, Filed};
pub use super::service::{ActionRequest, ReportDetail, TriageAnswer, TriageRequest};
use super::store::{self, Cluster, Evidence, Figures, QueueItem, ReportItem, StopPayment};
use crate::auth::model::Scope;
use crate::error::{AppError, AppResult};
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports", get(list_reports).post(create_report))
        .route("/api/v1/reports/prefill", post(prefill))
        .route("/api/v1/reports/stop-payments", get(stop_payment_queue))
        .route(
            "/api/v1/reports/stop-payments/{id}/actions",
            post(stop_payment_action),
        )
        .route("/api/v1/reports/clusters", get(clusters))
        .route("/api/v1/reports/figures", get(figures))
        .route("/api/v1/reports/{id}", get(get_report))
        .route("/api/v1/reports/{id}/triage", post(triage))
        .route("/api/v1/reports/{id}/evidence", post(upload_evidence))
        .route("/api/v1/reports/{id}/evidence/{eid}", get(evidence_file))
}

// ---- API handlers ----

/// The token's scope, and a role that has to do with reports: partner accounts (banks, platforms)
/// check risks but never read or file reports.
fn need(u: &User, scope: Scope) -> AppResult<()> {
    require_scope(&u.p, scope)?;
    if u.p
        .roles()
        .iter()
        .all(|r| *r == crate::auth::model::Role::Partner)
        && u.p.student_id.is_none()
    {
        return Err(AppError::forbidden());
    }
    Ok(())
}

/// Files a report. The idempotency key comes from the body or the `Idempotency-Key` header; a
/// retry with the same key answers 200 with the report filed first (201 when new). A loss
/// (`lost_money`) creates a stop-payment request. Invalid input answers 422 with one detail per
/// problem and stores nothing.
#[utoipa::path(post, path = "/api/v1/reports", tag = "reports", request_body = ReportInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "The report's idempotency key (1–100 characters) when the body has no `idempotency_key`; one of the two is required")),
    responses((status = 201, body = Filed), (status = 200, description = "Replay of the same key", body = Filed),
              (status = 422, description = "Invalid report")))]
pub async fn create_report(
    State(st): State<AppState>,
    u: User,
    headers: HeaderMap,
    Json(mut input): Json<ReportInput>,
) -> AppResult<Response> {
    need(&u, Scope::ReportsWrite)?;
    if input.idempotency_key.trim().is_empty() {
        if let Some(k) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
            input.idempotency_key = k.to_string();
        }
    }
    let f = service::file_report(
        &st.db,
        &st.clock,
        service::Filing::new(&st.intel, &st.reports, &st.config),
        &u.p,
        &u.ctx.actor(),
        &input,
    )
    .await?;
    let status = if f.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(f)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// new, confirmed, not_fraud, merged, case_opened (empty: any).
    #[param(pattern = "^(new|confirmed|not_fraud|merged|case_opened)?$")]
    pub status: Option<String>,
    /// At most this many (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Reports the caller may see: their own, and (staff, police) those of their units, newest first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ListQuery),
    responses((status = 200, body = [ReportItem])))]
pub async fn list_reports(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Vec<ReportItem>>> {
    need(&u, Scope::ReportsRead)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::bad_request("err-bad-paging"));
    }
    const STATUSES: [&str; 6] = ["", "new", "confirmed", "not_fraud", "merged", "case_opened"];
    if !STATUSES.contains(&q.status.as_deref().unwrap_or("")) {
        return Err(AppError::bad_request("reports-err-status"));
    }
    Ok(Json(
        service::list_reports(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            &scope_of(&u.p),
            q.status.as_deref(),
            limit,
        )
        .await?,
    ))
}

/// One report with its indicators, stop-payment request and evidence list.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports",
    params(("id" = i64, Path, description = "The report")),
    responses((status = 200, body = ReportDetail), (status = 404, description = "Absent or outside scope")))]
pub async fn get_report(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<ReportId>,
) -> AppResult<Json<ReportDetail>> {
    need(&u, Scope::ReportsRead)?;
    Ok(Json(
        service::report_detail(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?,
    ))
}

/// Police triage: confirm (indicators become confirmed), not_fraud, merge, assign, reply (to the
/// reporter's inbox), open_case.
#[utoipa::path(post, path = "/api/v1/reports/{id}/triage", tag = "reports", request_body = TriageRequest,
    params(("id" = i64, Path, description = "The report")),
    responses((status = 200, body = TriageAnswer), (status = 403, description = "Not police in scope")))]
pub async fn triage(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<ReportId>,
    Json(req): Json<TriageRequest>,
) -> AppResult<Json<TriageAnswer>> {
    need(&u, Scope::ReportsWrite)?;
    Ok(Json(
        service::triage_report(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, &req).await?,
    ))
}

/// Uploads one evidence image (the raw bytes as the body): JPEG, PNG or WebP by content, at most
/// the configured size, metadata stripped. Reporter only; six per report.
#[utoipa::path(post, path = "/api/v1/reports/{id}/evidence", tag = "reports",
    params(("id" = i64, Path, description = "The report")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Evidence), (status = 413, description = "Too large"), (status = 415, description = "Not an image")))]
pub async fn upload_evidence(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<ReportId>,
    body: Bytes,
) -> AppResult<Response> {
    need(&u, Scope::ReportsWrite)?;
    let e = service::add_evidence(
        &st.db,
        &st.clock,
        &st.config,
        &u.p,
        &u.ctx.actor(),
        id,
        &body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// An evidence image, to whoever may see the report.
#[utoipa::path(get, path = "/api/v1/reports/{id}/evidence/{eid}", tag = "reports",
    responses((status = 200, description = "The image"), (status = 404, description = "Absent or outside scope")))]
pub async fn evidence_file(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(ReportId, i64)>,
) -> AppResult<Response> {
    need(&u, Scope::ReportsRead)?;
    Ok(
        service::evidence_file(&st.db, &st.clock, &st.config, &u.p, &u.ctx.actor(), id, eid)
            .await?
            .into_response(),
    )
}

/// Stop-payment requests in scope: open ones first, by deadline.
#[utoipa::path(get, path = "/api/v1/reports/stop-payments", tag = "reports",
    responses((status = 200, body = [QueueItem])))]
pub async fn stop_payment_queue(
    State(st): State<AppState>,
    u: User,
) -> AppResult<Json<Vec<QueueItem>>> {
    need(&u, Scope::ReportsRead)?;
    Ok(Json(
        service::stop_payment_queue(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            &scope_of(&u.p),
            500,
        )
        .await?,
    ))
}

/// Police record an action on a stop-payment request: bank_contacted, frozen (with amount),
/// failed (with reason). The student is told.
#[utoipa::path(post, path = "/api/v1/reports/stop-payments/{id}/actions", tag = "reports", request_body = ActionRequest,
    responses((status = 200, body = StopPayment), (status = 422, description = "Invalid action")))]
pub async fn stop_payment_action(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(req): Json<ActionRequest>,
) -> AppResult<Json<StopPayment>> {
    need(&u, Scope::ReportsWrite)?;
    Ok(Json(
        service::stop_payment_action(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, &req).await?,
    ))
}

/// Clusters of reports sharing indicators (police).
#[utoipa::path(get, path = "/api/v1/reports/clusters", tag = "reports",
    responses((status = 200, body = [Cluster])))]
pub async fn clusters(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<Cluster>>> {
    need(&u, Scope::ReportsRead)?;
    let scope = service::police_scope(&u.p)?;
    Ok(Json(store::clusters(&st.db, &scope, 2000).await?))
}

/// Figures of the last 30 days (police).
#[utoipa::path(get, path = "/api/v1/reports/figures", tag = "reports",
    responses((status = 200, body = Figures)))]
pub async fn figures(State(st): State<AppState>, u: User) -> AppResult<Json<Figures>> {
    need(&u, Scope::ReportsRead)?;
    let scope = service::police_scope(&u.p)?;
    let since = st.clock.now_ms() - 30 * 86_400_000;
    Ok(Json(store::figures(&st.db, &scope, since).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PrefillRequest {
    pub text: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PrefillAnswer {
    pub sections: Sections,
    pub fraud_type: Option<String>,
}

/// The sections fanzha-detect fills from a pasted text (for the form to show, editable).
#[utoipa::path(post, path = "/api/v1/reports/prefill", tag = "reports", request_body = PrefillRequest,
    responses((status = 200, body = PrefillAnswer)))]
pub async fn prefill(
    State(st): State<AppState>,
    u: User,
    Json(req): Json<PrefillRequest>,
) -> AppResult<Json<PrefillAnswer>> {
    need(&u, Scope::ReportsWrite)?;
    if req.text.len() > 8192 {
        return Err(AppError::unprocessable("reports-err-too-long")
            .arg("field", "text")
            .arg("max", 8192));
    }
    let (sections, t) = model::prefill(&st.intel.engine(), &req.text);
    Ok(Json(PrefillAnswer {
        sections,
        fraud_type: t.map(|t| t.id().to_string()),
    }))
}

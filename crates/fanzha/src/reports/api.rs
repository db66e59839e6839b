//! `/api/v1/reports…`: every action of the report pages, with API tokens (`reports:read`,
//! `reports:write`), scoped like the pages. The page handlers call the same functions here.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::model::{self, ReportIndicator, ReportInput, Sections};
use super::service::{self, Deadlines, Filed, ReportError, SpAction, Triage};
use super::store::{self, Cluster, Evidence, Figures, QueueItem, Report, ReportItem, StopPayment};
use super::{evidence, evidence_store};
use super::{officer, report_visible_to, reporter_of, scope_of};
use crate::auth::model::Scope;
use crate::auth::policy::{self, Action, Target};
use crate::error::{AppError, AppResult, Msg};
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

// ---- shared by pages and API ----

/// Validates, files and commits a report; a retry with the same key (also one racing this
/// request) returns the report filed first.
pub async fn file_report(st: &AppState, u: &User, input: &ReportInput) -> AppResult<Filed> {
    let now = st.clock.now_ms();
    let v = model::validate(input, now, Some(&*st.intel.engine()))
        .map_err(|e| AppError::from(ReportError::Invalid(e)))?;
    if let Some(check) = input.risk_check_id {
        // Only the student's own check may be linked.
        let c = crate::intel::store::check_by_id(&st.db, check).await?;
        if c.is_none_or(|c| c.account_id != u.p.account_id) {
            return Err(AppError::from(ReportError::Invalid(vec![Msg::new(
                "reports-err-check",
            )])));
        }
    }
    let reporter = reporter_of(st, &u.p).await?;
    let deadlines = Deadlines::from_config(&st.config);
    let f = st
        .reports
        .submit(super::writer::Submission {
            actor: u.ctx.actor(),
            reporter,
            idempotency_key: input.idempotency_key.clone(),
            valid: v,
            deadlines,
        })
        .await
        .map_err(AppError::from)?;
    Ok(f)
}

/// A stored evidence image of a report (reporter only; at most six).
pub async fn add_evidence(
    st: &AppState,
    u: &User,
    report_id: i64,
    bytes: &[u8],
) -> AppResult<Evidence> {
    let r = report_visible_to(st, u, report_id).await?;
    if r.reporter_account_id != u.p.account_id {
        return Err(AppError::forbidden());
    }
    if bytes.len() > st.config.report_image_max_bytes {
        return Err(
            AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "reports-err-image-size")
                .arg("max", st.config.report_image_max_bytes / (1024 * 1024)),
        );
    }
    let t = evidence::sniff(bytes).ok_or_else(|| {
        AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "reports-err-image-type")
    })?;
    let clean = evidence::strip(t, bytes)
        .ok_or_else(|| AppError::unprocessable("reports-err-image-broken"))?;
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&clean))
    };
    let store = evidence_store::EvidenceStore::from_config(&st.config).map_err(AppError::from)?;
    let key = evidence_store::key_of(report_id, &sha, t.media_type());
    let mut tx = st.db.begin_write().await?;
    let n = super::store::evidence_count(&mut tx, report_id).await?;
    if n >= evidence::MAX_PER_REPORT {
        return Err(
            AppError::unprocessable("reports-err-image-count").arg("max", evidence::MAX_PER_REPORT)
        );
    }
    // The object is stored (fsynced, or acknowledged by the S3 store) before the row that points
    // at it commits. The key is the content hash, so a retry rewrites the same object.
    store
        .put(&key, clean.clone(), t.media_type())
        .await
        .map_err(AppError::from)?;
    let now = st.clock.now_ms();
    let id = super::store::insert_evidence(
        &mut tx,
        report_id,
        t.media_type(),
        &format!("{sha}.{}", t.ext()),
        clean.len() as i64,
        &sha,
        now,
    )
    .await?;
    crate::audit::record(
        &mut *tx,
        &st.clock,
        &u.ctx.actor(),
        crate::audit::Event {
            action: "reports.evidence",
            target_kind: "report",
            target_id: report_id.to_string(),
            unit_path: r.unit_path.clone(),
            detail: serde_json::json!({"evidence": id, "type": t.media_type(), "bytes": clean.len()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Evidence {
        id,
        report_id,
        media_type: t.media_type().into(),
        file_name: format!("{sha}.{}", t.ext()),
        bytes: clean.len() as i64,
        sha256: sha,
        created_at: now,
    })
}

/// The bytes of an evidence image, to whoever may see the report.
pub async fn evidence_bytes(
    st: &AppState,
    u: &User,
    report_id: i64,
    eid: i64,
) -> AppResult<Response> {
    let report = report_visible_to(st, u, report_id).await?;
    let e = store::evidence_of(&st.db, report_id)
        .await?
        .into_iter()
        .find(|e| e.id == eid)
        .ok_or_else(AppError::not_found)?;
    if report.reporter_account_id != u.p.account_id {
        crate::audit::person_read(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            crate::audit::Read {
                kind: "report",
                id: report_id,
                unit_path: &report.unit_path,
                detail: serde_json::json!({"evidence": eid, "student_id": report.student_id}),
            },
        )
        .await?;
    }
    let store = evidence_store::EvidenceStore::from_config(&st.config).map_err(AppError::from)?;
    let bytes = store
        .get(&evidence_store::key_of(report_id, &e.sha256, &e.media_type))
        .await
        .map_err(AppError::from)?
        .ok_or_else(AppError::not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, e.media_type.clone()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
            (
                header::HeaderName::from_static("x-content-type-options"),
                "nosniff".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A triage decision in the API and page form.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TriageRequest {
    /// confirm, not_fraud, merge, assign, reply, open_case.
    #[schema(pattern = "^(confirm|not_fraud|merge|assign|reply|open_case)$")]
    pub decision: String,
    /// merge: the report to merge into.
    pub into: Option<i64>,
    /// assign: the officer's account id.
    pub officer: Option<i64>,
    /// reply: the text for the reporter.
    pub text: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TriageAnswer {
    pub report: Report,
    pub case_id: Option<i64>,
}

pub async fn do_triage(
    st: &AppState,
    u: &User,
    id: i64,
    req: &TriageRequest,
) -> AppResult<TriageAnswer> {
    let r = report_visible_to(st, u, id).await?;
    let by = officer(u, &r.unit_path)?;
    let t = match req.decision.as_str() {
        "confirm" => Triage::Confirm,
        "not_fraud" => Triage::NotFraud,
        "merge" => Triage::Merge(
            req.into
                .ok_or_else(|| AppError::unprocessable("reports-err-merge-target"))?,
        ),
        "assign" => Triage::Assign(
            req.officer
                .ok_or_else(|| AppError::unprocessable("reports-err-assign"))?,
        ),
        "reply" => Triage::Reply(req.text.clone().unwrap_or_default()),
        "open_case" => {
            let mut tx = st.db.begin_write().await?;
            let case = service::open_case_from_report(&mut tx, &st.clock, &by, id)
                .await
                .map_err(AppError::from)?;
            tx.commit().await?;
            let mut conn = st.db.pool.acquire().await?;
            let report = store::report(&mut conn, id)
                .await?
                .ok_or_else(AppError::not_found)?;
            return Ok(TriageAnswer {
                report,
                case_id: Some(case),
            });
        }
        _ => return Err(AppError::unprocessable("reports-err-decision")),
    };
    if let Triage::Assign(officer) = t {
        // Only to an officer who can open this report and triage it; anyone else would be told
        // about a report they then cannot see.
        let path = r.unit_path.clone();
        let can = crate::auth::service::account_can(&st.db, officer, |p| {
            policy::allows(p, Action::ViewReports, &Target::Unit(&path))
                && super::can_triage(p, &path)
        })
        .await?;
        if !can {
            return Err(AppError::unprocessable("reports-err-assign-scope"));
        }
    }
    if let Triage::Merge(into) = t {
        // The target must be in the officer's scope too.
        report_visible_to(st, u, into)
            .await
            .map_err(|_| AppError::unprocessable("reports-err-merge-target"))?;
    }
    let mut tx = st.db.begin_write().await?;
    let report = service::triage(&mut tx, &st.clock, &by, id, &t)
        .await
        .map_err(AppError::from)?;
    tx.commit().await?;
    crate::inbox::bump();
    Ok(TriageAnswer {
        report,
        case_id: None,
    })
}

/// A police action on a stop-payment request.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ActionRequest {
    /// bank_contacted, frozen, failed.
    #[schema(pattern = "^(bank_contacted|frozen|failed)$")]
    pub action: String,
    /// frozen: the amount frozen, cents.
    pub frozen_cents: Option<i64>,
    /// failed: why.
    #[serde(default)]
    pub reason: String,
}

pub async fn do_sp_action(
    st: &AppState,
    u: &User,
    sp_id: i64,
    req: &ActionRequest,
) -> AppResult<StopPayment> {
    let mut conn = st.db.pool.acquire().await?;
    let sp = store::stop_payment(&mut conn, sp_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    drop(conn);
    let r = report_visible_to(st, u, sp.report_id).await?;
    officer(u, &r.unit_path)?;
    let action = SpAction::parse(&req.action, req.frozen_cents, &req.reason)
        .map_err(|m| AppError::from(ReportError::Invalid(vec![m])))?;
    let mut tx = st.db.begin_write().await?;
    let sp = service::act_on_stop_payment(&mut tx, &st.clock, &u.ctx.actor(), sp_id, &action)
        .await
        .map_err(AppError::from)?;
    tx.commit().await?;
    crate::inbox::bump();
    Ok(sp)
}

/// Police scope for clusters and figures (their triage scope).
pub fn police_scope(u: &User) -> AppResult<store::Scope> {
    let paths = policy::scopes_for(&u.p, Action::TriageReports);
    if paths.is_empty() {
        return Err(AppError::forbidden());
    }
    Ok(store::Scope {
        reporter: None,
        paths,
    })
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
    let f = file_report(&st, &u, &input).await?;
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
        list_for(&st, &u, &scope_of(&u.p), q.status.as_deref(), limit).await?,
    ))
}

/// Reports in `scope` for a page or API list; a staff read is one audit entry (victims' names).
pub async fn list_for(
    st: &AppState,
    u: &User,
    scope: &store::Scope,
    status: Option<&str>,
    limit: i64,
) -> AppResult<Vec<ReportItem>> {
    let items = store::list(&st.db, scope, status, limit).await?;
    let paths = items.iter().map(|i| i.report.unit_path.as_str());
    let filter = serde_json::json!({"status": status, "limit": limit});
    let ids = items.iter().map(|i| i.report.id).collect();
    audit_list(st, u, "report", paths, scope, filter, ids).await?;
    Ok(items)
}

/// One page of reports in `scope` kept by `f`, with the total; a staff read is one audit entry
/// (an export is audited as one).
pub async fn page_for(
    st: &AppState,
    u: &User,
    scope: &store::Scope,
    f: &store::ListFilter,
    limit: i64,
    offset: i64,
    export: bool,
) -> AppResult<(i64, Vec<ReportItem>)> {
    let total = store::count_filtered(&st.db, scope, f).await?;
    let items = store::list_filtered(&st.db, scope, f, limit, offset).await?;
    let paths = items.iter().map(|i| i.report.unit_path.as_str());
    let filter = serde_json::json!({"status": f.status, "q": f.search, "limit": limit, "offset": offset, "export": export});
    let ids = items.iter().map(|i| i.report.id).collect();
    if export {
        let unit_path = crate::audit::common_path(paths)
            .or_else(|| crate::audit::common_path(scope.paths.iter().map(String::as_str)))
            .unwrap_or_else(|| "/".into());
        crate::audit::person_list_read(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            crate::audit::ListRead {
                export: true,
                kind: "report",
                unit_path,
                filter,
                ids,
            },
        )
        .await?;
    } else {
        audit_list(st, u, "report", paths, scope, filter, ids).await?;
    }
    Ok((total, items))
}

/// The stop-payment queue in `scope` for a page or API list; a staff read is one audit entry.
pub async fn queue_for(
    st: &AppState,
    u: &User,
    scope: &store::Scope,
    limit: i64,
) -> AppResult<Vec<QueueItem>> {
    let items = store::queue(&st.db, scope, limit).await?;
    let filter = serde_json::json!({"queue": "stop_payments", "limit": limit});
    let ids = items.iter().map(|i| i.stop_payment.report_id).collect();
    audit_list(st, u, "report", std::iter::empty(), scope, filter, ids).await?;
    Ok(items)
}

async fn audit_list<'a>(
    st: &AppState,
    u: &User,
    kind: &str,
    paths: impl Iterator<Item = &'a str>,
    scope: &store::Scope,
    filter: serde_json::Value,
    ids: Vec<i64>,
) -> AppResult<()> {
    let unit_path = crate::audit::common_path(paths)
        .or_else(|| crate::audit::common_path(scope.paths.iter().map(String::as_str)))
        .unwrap_or_else(|| "/".into());
    crate::audit::person_list_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        crate::audit::ListRead {
            export: false,
            kind,
            unit_path,
            filter,
            ids,
        },
    )
    .await?;
    Ok(())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportDetail {
    pub report: Report,
    pub indicators: Vec<ReportIndicator>,
    pub stop_payment: Option<StopPayment>,
    pub evidence: Vec<Evidence>,
}

pub async fn detail(st: &AppState, u: &User, id: i64) -> AppResult<ReportDetail> {
    let report = report_visible_to(st, u, id).await?;
    if report.reporter_account_id != u.p.account_id {
        crate::audit::person_read(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            crate::audit::Read {
                kind: "report",
                id,
                unit_path: &report.unit_path,
                detail: serde_json::json!({"ref_no": report.ref_no, "student_id": report.student_id}),
            },
        )
        .await?;
    }
    let mut conn = st.db.pool.acquire().await?;
    let indicators = store::indicators_of(&mut conn, id).await?;
    let stop_payment = store::stop_payment_of(&mut conn, id).await?;
    drop(conn);
    let evidence = store::evidence_of(&st.db, id).await?;
    Ok(ReportDetail {
        report,
        indicators,
        stop_payment,
        evidence,
    })
}

/// One report with its indicators, stop-payment request and evidence list.
#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "reports",
    responses((status = 200, body = ReportDetail), (status = 404, description = "Absent or outside scope")))]
pub async fn get_report(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<ReportDetail>> {
    need(&u, Scope::ReportsRead)?;
    Ok(Json(detail(&st, &u, id).await?))
}

/// Police triage: confirm (indicators become confirmed), not_fraud, merge, assign, reply (to the
/// reporter's inbox), open_case.
#[utoipa::path(post, path = "/api/v1/reports/{id}/triage", tag = "reports", request_body = TriageRequest,
    responses((status = 200, body = TriageAnswer), (status = 403, description = "Not police in scope")))]
pub async fn triage(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(req): Json<TriageRequest>,
) -> AppResult<Json<TriageAnswer>> {
    need(&u, Scope::ReportsWrite)?;
    Ok(Json(do_triage(&st, &u, id, &req).await?))
}

/// Uploads one evidence image (the raw bytes as the body): JPEG, PNG or WebP by content, at most
/// the configured size, metadata stripped. Reporter only; six per report.
#[utoipa::path(post, path = "/api/v1/reports/{id}/evidence", tag = "reports",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Evidence), (status = 413, description = "Too large"), (status = 415, description = "Not an image")))]
pub async fn upload_evidence(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    body: Bytes,
) -> AppResult<Response> {
    need(&u, Scope::ReportsWrite)?;
    let e = add_evidence(&st, &u, id, &body).await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// An evidence image, to whoever may see the report.
#[utoipa::path(get, path = "/api/v1/reports/{id}/evidence/{eid}", tag = "reports",
    responses((status = 200, description = "The image"), (status = 404, description = "Absent or outside scope")))]
pub async fn evidence_file(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(i64, i64)>,
) -> AppResult<Response> {
    need(&u, Scope::ReportsRead)?;
    evidence_bytes(&st, &u, id, eid).await
}

/// Stop-payment requests in scope: open ones first, by deadline.
#[utoipa::path(get, path = "/api/v1/reports/stop-payments", tag = "reports",
    responses((status = 200, body = [QueueItem])))]
pub async fn stop_payment_queue(
    State(st): State<AppState>,
    u: User,
) -> AppResult<Json<Vec<QueueItem>>> {
    need(&u, Scope::ReportsRead)?;
    Ok(Json(queue_for(&st, &u, &scope_of(&u.p), 500).await?))
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
    Ok(Json(do_sp_action(&st, &u, id, &req).await?))
}

/// Clusters of reports sharing indicators (police).
#[utoipa::path(get, path = "/api/v1/reports/clusters", tag = "reports",
    responses((status = 200, body = [Cluster])))]
pub async fn clusters(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<Cluster>>> {
    need(&u, Scope::ReportsRead)?;
    let scope = police_scope(&u)?;
    Ok(Json(store::clusters(&st.db, &scope, 2000).await?))
}

/// Figures of the last 30 days (police).
#[utoipa::path(get, path = "/api/v1/reports/figures", tag = "reports",
    responses((status = 200, body = Figures)))]
pub async fn figures(State(st): State<AppState>, u: User) -> AppResult<Json<Figures>> {
    need(&u, Scope::ReportsRead)?;
    let scope = police_scope(&u)?;
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

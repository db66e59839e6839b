//! JSON API of warnings, scoped like the pages. Pages call the same `load_*`/`do_*` functions.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::appraisal::{self, Appraisal, Figures};
use super::model::*;
use super::receipts;
use super::service::{self, Act, Issuer, WarningInput};
use super::store::{self, ListFilter};
use crate::auth::model::{Principal, Role, Scope};
use crate::auth::policy::{self, Action, Target};
use crate::clock::Millis;
use crate::error::{AppError, AppResult, Msg};
use crate::org::access::{authorize, require_scope};
use crate::org::model::{Unit, UnitKind};
use crate::web::context::User;
use crate::web::AppState;

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

/// The issuer behind the caller, or 403 for roles that may not issue.
pub fn issuer_of(p: &Principal) -> AppResult<Issuer> {
    if policy::scopes_for(p, Action::IssueWarning).is_empty() {
        return Err(AppError::forbidden());
    }
    Issuer::of(p).ok_or_else(AppError::forbidden)
}

/// The issuer behind a person issuing from the console or a CSV batch: partners send single
/// warnings through the API and get receipts (`receipts`), so they are refused here (403).
pub fn staff_issuer_of(p: &Principal) -> AppResult<Issuer> {
    let issuer = issuer_of(p)?;
    if issuer.kind == "partner" {
        return Err(AppError::forbidden());
    }
    Ok(issuer)
}

/// Is the caller a partner system? Partners see no warning, only their receipts.
pub fn is_partner(p: &Principal) -> bool {
    p.grants.iter().any(|g| g.role == Role::Partner)
}

/// Lists, figures, appraisal and settings are refused to partners (403), whatever their scopes.
pub fn refuse_partner(p: &Principal) -> AppResult<()> {
    if is_partner(p) {
        return Err(AppError::forbidden());
    }
    Ok(())
}

/// One warning the caller may see (404 otherwise, audited). Never a partner's: a partner learns
/// nothing about people, not even about the warnings it sent.
pub async fn load_visible(st: &AppState, u: &User, id: i64) -> AppResult<Warning> {
    if is_partner(&u.p) {
        return Err(AppError::not_found());
    }
    let mut c = st.db.pool.acquire().await?;
    let w = store::warning_by_id(&mut c, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    // The issuer always sees what they issued; the responsible people of the student's chain
    // see it whatever their role grants say (responsibility follows the org's chain).
    // A student sees the warnings about themself.
    let own =
        u.p.has_role(Role::Student) && u.p.student_id.is_some() && w.student_id == u.p.student_id;
    if own || w.issued_by_account_id == Some(u.p.account_id) || in_chain(&mut c, &u.p, &w).await? {
        return Ok(w);
    }
    drop(c);
    authorize(st, u, Action::ViewWarnings, Target::Unit(&w.unit_path)).await?;
    Ok(w)
}

/// Is the caller one of the responsible people of the warning's student now?
pub async fn in_chain(c: &mut sqlx::AnyConnection, p: &Principal, w: &Warning) -> AppResult<bool> {
    let Some(staff) = p.staff_id else {
        return Ok(false);
    };
    if w.student_id.is_none() {
        return Ok(false);
    }
    Ok(store::chain_for_class(c, &w.unit_path)
        .await?
        .iter()
        .any(|l| l.staff_id == staff))
}

/// Applies an act for a page or API call: visible, allowed by the matrix (or by being in the
/// chain), then by the chain rules of `service::may_act` (refusals audited there).
pub async fn do_act(st: &AppState, u: &User, id: i64, a: Act) -> AppResult<Warning> {
    let w = load_visible(st, u, id).await?;
    let mut c = st.db.pool.acquire().await?;
    let member = in_chain(&mut c, &u.p, &w).await?;
    drop(c);
    if !member {
        authorize(st, u, Action::ActOnWarning, Target::Unit(&w.unit_path)).await?;
    }
    Ok(service::act(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, a).await?)
}

/// Warnings the caller is the responsible person for (counselor, college or school leader),
/// following the chain as it is now, open ones first.
pub async fn load_mine(st: &AppState, u: &User) -> AppResult<Vec<Warning>> {
    refuse_partner(&u.p)?;
    let ws = mine_of(st, &u.p).await?;
    audit_list(st, u, serde_json::json!({"mine": true}), &[], &ws).await?;
    Ok(ws)
}

async fn mine_of(st: &AppState, p: &Principal) -> AppResult<Vec<Warning>> {
    let mut out: Vec<Warning> = Vec::new();
    let mut c = st.db.pool.acquire().await?;
    // A student: the warnings about themself.
    if let Some(student) = p.student_id.filter(|_| p.has_role(Role::Student)) {
        out.extend(store::of_student(&mut c, student, 200).await?);
    }
    // The police: what reached the police level in their jurisdiction, and what their station
    // issued that has no outcome yet.
    let police: Vec<&crate::auth::model::Grant> =
        p.grants.iter().filter(|g| g.role == Role::Police).collect();
    if !police.is_empty() {
        let paths: Vec<String> = police
            .iter()
            .flat_map(|g| g.scope_paths.iter().cloned())
            .collect();
        let stations: Vec<i64> = police.iter().map(|g| g.unit_id).collect();
        let mut issuers = store::accounts_with_role_on(&mut c, "police", &stations).await?;
        issuers.push(p.account_id);
        issuers.sort();
        issuers.dedup();
        out.extend(store::police_queue(&mut c, &paths, &issuers, 500).await?);
    }
    let Some(staff) = p.staff_id else {
        out.sort_by_key(|w| (waiting_since(w), w.id));
        out.dedup_by_key(|w| w.id);
        return Ok(out);
    };
    for (duty, unit) in crate::org::store::responsibilities_of_staff(&st.db, staff).await? {
        let min_level = store::duty_level(duty);
        let ws = store::list(
            &mut c,
            &ListFilter {
                paths: vec![unit.path.clone()],
                limit: 500,
                ..ListFilter::default()
            },
        )
        .await?;
        out.extend(
            ws.into_iter()
                .filter(|w| w.status() != Status::Unidentified && w.level >= min_level),
        );
    }
    out.sort_by_key(|w| {
        (
            w.status() == Status::Closed,
            w.next_deadline_at.unwrap_or(i64::MAX),
            -w.id,
        )
    });
    out.dedup_by_key(|w| w.id);
    Ok(out)
}

/// The deadline a warning waiting for the police has been waiting on: its next one, else the
/// first missed one (acknowledgement, then contact), else its issue time.
fn waiting_since(w: &Warning) -> i64 {
    w.next_deadline_at
        .or(w.ack_due_at.filter(|_| w.acknowledged_at.is_none()))
        .or(w.contact_due_at.filter(|_| w.contacted_at.is_none()))
        .unwrap_or(w.created_at)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// A status id: unidentified, open, acknowledged, contacted, closed (empty: any).
    #[param(pattern = "^(unidentified|open|acknowledged|contacted|closed)?$")]
    pub status: Option<String>,
    /// Unit code to narrow to (inside the caller's scope).
    pub unit: Option<String>,
    /// Period start (`YYYY-MM-DD`, inclusive).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Period end (`YYYY-MM-DD`, inclusive).
    #[param(format = Date)]
    pub to: Option<String>,
    /// At most this many (default 200).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Page of `limit` warnings, from 1 (default 1).
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Search: a student's name (or part of it) or number, a phone number (or part), or a
    /// warning's number.
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// Parses a `YYYY-MM-DD` day in the caller's time zone to the ms of its start.
pub use crate::kernel::time::day_start;

/// The period of a query: default the last 30 days up to now.
pub fn period(q: &ListQuery, p: &Principal, now: Millis) -> AppResult<(Millis, Millis)> {
    let bad = || AppError::bad_request("warn-err-period");
    let from = match q.from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => day_start(s, p.time_zone).ok_or_else(bad)?,
        None => now - 30 * 86_400_000,
    };
    let to = match q.to.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => day_start(s, p.time_zone).ok_or_else(bad)? + 86_400_000,
        None => now + 1,
    };
    if to <= from {
        return Err(bad());
    }
    Ok((from, to))
}

/// The scope paths of `action` for the caller, narrowed to `unit` when given (404 outside).
pub async fn paths_for(
    st: &AppState,
    u: &User,
    action: Action,
    unit: Option<&str>,
) -> AppResult<(Vec<String>, Option<Unit>)> {
    refuse_partner(&u.p)?;
    match unit.map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => {
            let unit = crate::org::store::unit_by_code(&st.db, code)
                .await?
                .ok_or_else(AppError::not_found)?;
            authorize(st, u, action, Target::Unit(&unit.path)).await?;
            Ok((vec![unit.path.clone()], Some(unit)))
        }
        None => Ok((policy::scopes_for(&u.p, action), None)),
    }
}

pub async fn load_list(st: &AppState, u: &User, q: &ListQuery) -> AppResult<Vec<Warning>> {
    Ok(load_page(st, u, q, false).await?.1)
}

/// One page of the warning list with the number of warnings the filter keeps; a staff read is
/// one audit entry (an export one export entry).
pub async fn load_page(
    st: &AppState,
    u: &User,
    q: &ListQuery,
    export: bool,
) -> AppResult<(i64, Vec<Warning>)> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(Status::parse(s).ok_or_else(|| AppError::bad_request("warn-err-status"))?),
        None => None,
    };
    let limit = q.limit.unwrap_or(200);
    let page = q.page.unwrap_or(1);
    let limit_ok = (1..=1000).contains(&limit) || (export && limit == EXPORT_MAX);
    if !limit_ok || !(1..=1_000_000).contains(&page) {
        return Err(AppError::bad_request("err-bad-paging"));
    }
    let (from, to) = period(q, &u.p, st.clock.now_ms())?;
    let search = q.q.as_deref().unwrap_or("").trim();
    if search.chars().count() > 100 {
        return Err(AppError::bad_request("err-search-too-long"));
    }
    let (paths, _) = paths_for(st, u, Action::ViewWarnings, q.unit.as_deref()).await?;
    let mut c = st.db.pool.acquire().await?;
    let f = ListFilter {
        paths: paths.clone(),
        status,
        from: Some(from),
        to: Some(to),
        limit,
        offset: (page - 1) * limit,
        search: search.to_string(),
    };
    let total = store::count(&mut c, &f).await?;
    let ws = store::list(&mut c, &f).await?;
    drop(c);
    let filter = serde_json::json!({
        "status": q.status, "unit": q.unit, "from": from, "to": to, "limit": limit, "page": page,
        "q": search,
    });
    if export {
        crate::audit::person_list_read(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            crate::audit::ListRead {
                export: true,
                kind: "warning",
                unit_path: crate::audit::common_path(paths.iter().map(String::as_str))
                    .unwrap_or_else(|| "/".into()),
                filter,
                ids: ws.iter().map(|w| w.id).collect(),
            },
        )
        .await?;
    } else {
        audit_list(st, u, filter, &paths, &ws).await?;
    }
    Ok((total, ws))
}

/// Most warnings one export holds.
pub const EXPORT_MAX: i64 = 100_000;

/// One audit entry for a list of warnings shown to staff (phones and student numbers in it).
async fn audit_list(
    st: &AppState,
    u: &User,
    filter: serde_json::Value,
    scope: &[String],
    ws: &[Warning],
) -> AppResult<()> {
    let unit_path = crate::audit::common_path(ws.iter().map(|w| w.unit_path.as_str()))
        .or_else(|| crate::audit::common_path(scope.iter().map(String::as_str)))
        .unwrap_or_else(|| "/".into());
    crate::audit::person_list_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        crate::audit::ListRead {
            export: false,
            kind: "warning",
            unit_path,
            filter,
            ids: ws.iter().map(|w| w.id).collect(),
        },
    )
    .await?;
    Ok(())
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WarningDetail {
    pub warning: Warning,
    pub timeline: Vec<WarnEvent>,
    /// Whether the caller may acknowledge, contact and record an outcome now.
    pub can_act: bool,
    /// The loss report and stop-payment request opened by "already lost money".
    pub loss_report: Option<service::LossReportLink>,
    /// Notices sent by email / robot webhook (when the school configured channels).
    pub notifications: Vec<super::notify::Notification>,
}

pub async fn load_detail(st: &AppState, u: &User, id: i64) -> AppResult<WarningDetail> {
    let warning = load_visible(st, u, id).await?;
    crate::audit::person_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        crate::audit::Read {
            kind: "warning",
            id,
            unit_path: &warning.unit_path,
            detail: serde_json::json!({
                "student_id": warning.student_id, "student_no": warning.student_no,
            }),
        },
    )
    .await?;
    let mut c = st.db.pool.acquire().await?;
    let timeline = store::events(&mut c, id).await?;
    let allowed = policy::allows(
        &u.p,
        Action::ActOnWarning,
        &Target::Unit(&warning.unit_path),
    ) || in_chain(&mut c, &u.p, &warning).await?;
    let can_act = warning.status() != Status::Unidentified
        && allowed
        && service::may_act(&mut c, &u.p, &warning).await?;
    let loss_report = service::loss_report_of(&mut c, &timeline).await?;
    let notifications = super::notify::of_warning(&mut c, id).await?;
    Ok(WarningDetail {
        warning,
        timeline,
        can_act,
        loss_report,
        notifications,
    })
}

/// What `POST /api/v1/warnings` answers: the warning to police, a receipt to a partner.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Issued {
    Warning(Box<Warning>),
    Receipt(Receipt),
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
    let issuer = issuer_of(&u.p)?;
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
    let status = |created| {
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        }
    };
    if issuer.kind == "partner" {
        let (r, created) = receipts::receive(&st.db, &st.clock, &issuer, key, &input).await?;
        if created {
            audit_receipt(&st, &u, &issuer, &r).await?;
        }
        return Ok((status(created), Json(Issued::Receipt(r))).into_response());
    }
    let mut nw = service::parse_input(&input)
        .map_err(|d| AppError::unprocessable("warn-err-refused").details(d))?;
    nw.idempotency_key = key;
    let (w, created) = service::issue(&st.db, &st.clock, &issuer, nw).await?;
    if created {
        audit_issue(&st, &u, &w).await?;
    }
    Ok((status(created), Json(Issued::Warning(Box::new(w)))).into_response())
}

/// Audits a partner's warning when it is received (the intake job audits the issuance).
async fn audit_receipt(st: &AppState, u: &User, issuer: &Issuer, r: &Receipt) -> AppResult<()> {
    crate::audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        crate::audit::Event {
            action: "warning.receive",
            target_kind: "warning_receipt",
            target_id: r.id.to_string(),
            unit_path: issuer.home_path.clone(),
            detail: serde_json::json!({"reference": r.reference}),
        },
    )
    .await?;
    Ok(())
}

pub async fn audit_issue(st: &AppState, u: &User, w: &Warning) -> AppResult<()> {
    crate::audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        crate::audit::Event {
            action: "warning.issue",
            target_kind: "warning",
            target_id: w.id.to_string(),
            unit_path: w.unit_path.clone(),
            detail: serde_json::json!({"severity": w.severity, "fraud_type": w.fraud_type, "status": w.status}),
        },
    )
    .await?;
    Ok(())
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BatchOut {
    pub created: usize,
    pub ids: Vec<i64>,
    pub unidentified: usize,
}

/// Issue a CSV batch (header 手机号/phone, 学号/student_no, 学校代码/school_code, 诈骗类型/fraud_type,
/// 级别/severity, 情况/detail, 来源/source). Any bad row refuses the whole batch, with line numbers.
#[utoipa::path(post, path = "/api/v1/warnings/batch", tag = "warnings", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = BatchOut), (status = 422), (status = 403)))]
pub async fn api_batch(State(st): State<AppState>, u: User, body: Bytes) -> AppResult<Response> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    let out = run_batch(&st, &u, &body).await?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub async fn run_batch(st: &AppState, u: &User, body: &[u8]) -> AppResult<BatchOut> {
    let issuer = staff_issuer_of(&u.p)?;
    let refused = |lines: Vec<(usize, Msg)>| {
        AppError::unprocessable("warn-err-batch").details(
            lines
                .iter()
                .map(|(l, m)| service::line_msg(*l, m))
                .collect(),
        )
    };
    let items = service::parse_csv(body).map_err(refused)?;
    let ws = service::issue_batch(&st.db, &st.clock, &issuer, items)
        .await
        .map_err(|e| match e {
            service::WarnError::RefusedLines(d) => refused(d),
            e => e.into(),
        })?;
    crate::audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        crate::audit::Event {
            action: "warning.batch",
            target_kind: "warning",
            target_id: String::new(),
            unit_path: issuer.home_path.clone(),
            detail: serde_json::json!({"count": ws.len()}),
        },
    )
    .await?;
    Ok(BatchOut {
        created: ws.len(),
        unidentified: ws
            .iter()
            .filter(|w| w.status() == Status::Unidentified)
            .count(),
        ids: ws.iter().map(|w| w.id).collect(),
    })
}

/// Warnings in the caller's scope (or under `unit`), newest first.
#[utoipa::path(get, path = "/api/v1/warnings", tag = "warnings", params(ListQuery), responses((status = 200, body = [Warning]), (status = 400)))]
pub async fn api_list(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Vec<Warning>>> {
    require_scope(&u.p, Scope::WarningsRead)?;
    Ok(Json(load_list(&st, &u, &q).await?))
}

/// Warnings the caller is responsible for now, open ones first by deadline.
#[utoipa::path(get, path = "/api/v1/warnings/mine", tag = "warnings", responses((status = 200, body = [Warning])))]
pub async fn api_mine(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<Warning>>> {
    require_scope(&u.p, Scope::WarningsRead)?;
    Ok(Json(load_mine(&st, &u).await?))
}

/// One warning with its timeline; to a partner, its own receipt of that id (anything else 404).
#[utoipa::path(get, path = "/api/v1/warnings/{id}", tag = "warnings", params(("id" = i64, Path)),
    responses((status = 200, body = WarningView, description = "the warning with its timeline, or a partner's own receipt"), (status = 404)))]
pub async fn api_get(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<WarningView>> {
    if is_partner(&u.p) {
        // Receipts answer to the token that can send warnings; no warning is ever read.
        if !u.p.token_allows(Scope::WarningsWrite) && !u.p.token_allows(Scope::WarningsRead) {
            require_scope(&u.p, Scope::WarningsWrite)?;
        }
        return Ok(Json(WarningView::Receipt(
            receipts::receipt(&st.db, u.p.account_id, id).await?,
        )));
    }
    require_scope(&u.p, Scope::WarningsRead)?;
    Ok(Json(WarningView::Detail(Box::new(
        load_detail(&st, &u, id).await?,
    ))))
}

/// Acknowledge a warning (the first of the two clocks stops).
#[utoipa::path(post, path = "/api/v1/warnings/{id}/acknowledge", tag = "warnings", params(("id" = i64, Path)), responses((status = 200, body = Warning), (status = 403), (status = 404), (status = 409)))]
pub async fn api_ack(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<Warning>> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    Ok(Json(do_act(&st, &u, id, Act::Acknowledge).await?))
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ContactInput {
    /// phone, in_person or via_classmate.
    #[schema(pattern = "^(phone|in_person|via_classmate)$")]
    pub method: String,
    /// When contact was made (ms since epoch); default now.
    #[serde(default)]
    pub at: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub notes: String,
}

pub fn parse_contact(i: &ContactInput, now: Millis) -> AppResult<Act> {
    let method = ContactMethod::parse(&i.method).ok_or_else(|| {
        AppError::unprocessable("warn-err-refused").details(vec![
            Msg::new("warn-err-method").arg("value", i.method.trim())
        ])
    })?;
    if let Err(e) = crate::text::multiline(&i.notes) {
        return Err(AppError::unprocessable("warn-err-refused").details(vec![Msg::new(e.key())]));
    }
    if i.notes.chars().count() > 2000 {
        return Err(
            AppError::unprocessable("warn-err-refused").details(vec![Msg::new("warn-err-detail")])
        );
    }
    Ok(Act::Contact {
        method,
        at: i.at.unwrap_or(now),
        notes: i.notes.trim().to_string(),
    })
}

/// Record contact with the student (stops the second clock).
#[utoipa::path(post, path = "/api/v1/warnings/{id}/contact", tag = "warnings", params(("id" = i64, Path)), request_body = ContactInput, responses((status = 200, body = Warning), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn api_contact(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(i): Json<ContactInput>,
) -> AppResult<Json<Warning>> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    let a = parse_contact(&i, st.clock.now_ms())?;
    Ok(Json(do_act(&st, &u, id, a).await?))
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct OutcomeInput {
    /// dissuaded, not_fraud, could_not_reach or already_lost; for a mule-risk warning stopped,
    /// card_closed, refused or referred_to_police.
    #[schema(
        pattern = "^(dissuaded|not_fraud|could_not_reach|already_lost|stopped|card_closed|refused|referred_to_police)$"
    )]
    pub outcome: String,
    /// Money already lost, in yuan (required for already_lost).
    #[serde(default)]
    pub loss_yuan: Option<String>,
    /// Estimate of the money protected, in yuan.
    #[serde(default)]
    pub protected_yuan: Option<String>,
    #[serde(default)]
    pub notes: String,
    /// already_lost: how the money was paid (bank_card, alipay, wechat, other); the stop-payment
    /// request is filed with it.
    #[serde(default)]
    pub payment_type: Option<String>,
    /// already_lost: the payee account (card number, Alipay/WeChat account).
    #[serde(default)]
    pub payee_account: Option<String>,
    /// already_lost: the payee's bank.
    #[serde(default)]
    pub bank: Option<String>,
    /// already_lost: when the money was transferred (UTC milliseconds).
    #[serde(default)]
    pub transfer_at: Option<i64>,
    /// already_lost: what happened, for the loss report (the warning's own text when empty).
    #[serde(default)]
    pub description: Option<String>,
}

/// Checks an outcome; `deadlines` are the server's stop-payment deadlines.
pub fn parse_outcome(
    i: &OutcomeInput,
    deadlines: Option<crate::reports::service::Deadlines>,
) -> AppResult<Act> {
    let mut errs = Vec::new();
    let outcome = Outcome::parse(&i.outcome);
    if outcome.is_none() {
        errs.push(Msg::new("warn-err-outcome").arg("value", i.outcome.trim()));
    }
    let mut money = |v: &Option<String>| match v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => {
            let c = Money::parse(s);
            if c.is_none() {
                errs.push(Msg::new("warn-err-amount").arg("value", s));
            }
            c
        }
    };
    let loss = money(&i.loss_yuan);
    let protected = money(&i.protected_yuan);
    if let Err(e) = crate::text::multiline(&i.notes) {
        errs.push(Msg::new(e.key()));
    }
    if i.notes.chars().count() > 2000 {
        errs.push(Msg::new("warn-err-detail"));
    }
    match outcome {
        Some(outcome) if errs.is_empty() => Ok(Act::Outcome {
            outcome,
            loss,
            protected,
            notes: i.notes.trim().to_string(),
            transfer: (outcome == Outcome::AlreadyLost).then(|| service::LossTransfer {
                payment_type: i.payment_type.clone().unwrap_or_default(),
                payee_account: i.payee_account.clone().unwrap_or_default(),
                bank: i.bank.clone().unwrap_or_default(),
                transfer_at: i.transfer_at,
                description: i.description.clone().unwrap_or_default(),
                deadlines,
            }),
        }),
        _ => Err(AppError::unprocessable("warn-err-refused").details(errs)),
    }
}

/// Record the outcome (once). `already_lost` needs the loss and the transfer (payment type, payee
/// account, bank, transfer time): in the same transaction it files a loss report with its
/// stop-payment request (validated like `POST /api/v1/reports`; refused with nothing written).
#[utoipa::path(post, path = "/api/v1/warnings/{id}/outcome", tag = "warnings", params(("id" = i64, Path)), request_body = OutcomeInput, responses((status = 200, body = Warning), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn api_outcome(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(i): Json<OutcomeInput>,
) -> AppResult<Json<Warning>> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    let a = parse_outcome(
        &i,
        Some(crate::reports::service::Deadlines::from_config(&st.config)),
    )?;
    Ok(Json(do_act(&st, &u, id, a).await?))
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct IdentifyInput {
    pub student_no: String,
}

/// Attach a student to a warning in the "needs identification" queue; routing and clocks start.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/identify", tag = "warnings", params(("id" = i64, Path)), request_body = IdentifyInput, responses((status = 200, body = Warning), (status = 404), (status = 409), (status = 422)))]
pub async fn api_identify(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(i): Json<IdentifyInput>,
) -> AppResult<Json<Warning>> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    Ok(Json(do_identify(&st, &u, id, &i.student_no).await?))
}

pub async fn do_identify(st: &AppState, u: &User, id: i64, no: &str) -> AppResult<Warning> {
    let w = load_visible(st, u, id).await?;
    authorize(st, u, Action::IdentifyWarning, Target::Unit(&w.unit_path)).await?;
    Ok(service::identify(&st.db, &st.clock, &u.p, id, no).await?)
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
    Ok(Json(load_figures(&st, &u, &q).await?))
}

pub async fn load_figures(st: &AppState, u: &User, q: &ListQuery) -> AppResult<Figures> {
    let (from, to) = period(q, &u.p, st.clock.now_ms())?;
    let search = q.q.as_deref().unwrap_or("").trim();
    if search.chars().count() > 100 {
        return Err(AppError::bad_request("err-search-too-long"));
    }
    let (paths, _) = paths_for(st, u, Action::ViewWarnings, q.unit.as_deref()).await?;
    let rows = appraisal::load(&st.db, &paths, from, to).await?;
    Ok(appraisal::figures(&rows, st.clock.now_ms()))
}

/// The school a caller's appraisal or settings is about: `unit` (a school, or the school of
/// a unit) inside the scope of `action`, else the first school of the caller's scope.
pub async fn school_for(
    st: &AppState,
    u: &User,
    action: Action,
    unit: Option<&str>,
) -> AppResult<Unit> {
    let (paths, unit) = paths_for(st, u, action, unit).await?;
    let start = match unit {
        Some(u) => u,
        None => {
            let mut found = None;
            for p in &paths {
                let units =
                    crate::org::store::units_by_paths(&st.db, std::slice::from_ref(p)).await?;
                if let Some(u) = units.into_iter().next() {
                    if u.kind == UnitKind::School
                        || matches!(u.kind, UnitKind::College | UnitKind::Class)
                    {
                        found = Some(u);
                        break;
                    }
                    let schools =
                        crate::org::store::units_of_kind_in(&st.db, &u.path, UnitKind::School)
                            .await?;
                    if let Some(s) = schools.into_iter().next() {
                        found = Some(s);
                        break;
                    }
                }
            }
            found.ok_or_else(AppError::not_found)?
        }
    };
    Ok(start)
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppraisalQuery {
    /// A unit code (school, college or class) inside the caller's scope.
    pub unit: Option<String>,
    /// Period start (`YYYY-MM-DD`, inclusive).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Period end (`YYYY-MM-DD`, inclusive; not before `from`).
    #[param(format = Date)]
    pub to: Option<String>,
}

pub async fn load_appraisal(
    st: &AppState,
    u: &User,
    q: &AppraisalQuery,
) -> AppResult<(Unit, Appraisal)> {
    let lq = ListQuery {
        from: q.from.clone(),
        to: q.to.clone(),
        ..ListQuery::default()
    };
    let (from, to) = period(&lq, &u.p, st.clock.now_ms())?;
    let unit = school_for(st, u, Action::ViewAppraisal, q.unit.as_deref()).await?;
    let school = crate::org::store::school_of(&st.db, &unit).await?;
    let mut c = st.db.pool.acquire().await?;
    let weights = match &school {
        Some(s) => store::settings_of(&mut c, s.id).await?.weights,
        None => Settings::default().weights,
    };
    drop(c);
    let a = appraisal::appraise(&st.db, &unit.path, weights, from, to).await?;
    // Per-person rows name the responsible staff: one audit entry for the list.
    crate::audit::person_list_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        crate::audit::ListRead {
            export: false,
            kind: "staff",
            unit_path: unit.path.clone(),
            filter: serde_json::json!({"unit": unit.code, "from": from, "to": to}),
            ids: a.people.iter().map(|r| r.id).collect(),
        },
    )
    .await?;
    Ok((unit, a))
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
    Ok(Json(load_appraisal(&st, &u, &q).await?.1))
}

async fn settings_school(st: &AppState, u: &User, code: &str, action: Action) -> AppResult<Unit> {
    refuse_partner(&u.p)?;
    let unit = crate::org::store::unit_by_code(&st.db, code)
        .await?
        .ok_or_else(AppError::not_found)?;
    if unit.kind != UnitKind::School {
        return Err(AppError::not_found());
    }
    authorize(st, u, action, Target::Unit(&unit.path)).await?;
    Ok(unit)
}

/// A school's deadlines (ms) and appraisal weights.
#[utoipa::path(get, path = "/api/v1/warnings/settings/{school}", tag = "warnings", params(("school" = String, Path)), responses((status = 200, body = SettingsOut), (status = 404)))]
pub async fn api_settings(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
) -> AppResult<Json<SettingsOut>> {
    require_scope(&u.p, Scope::WarningsRead)?;
    let school = settings_school(&st, &u, &code, Action::ViewWarnings).await?;
    Ok(Json(settings_out(&st, school.id).await?))
}

/// Fields of the settings form / body: minutes and weights (0–100).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct SettingsInput {
    pub high_ack_min: String,
    pub high_contact_min: String,
    pub medium_ack_min: String,
    pub medium_contact_min: String,
    pub low_ack_min: String,
    pub low_contact_min: String,
    pub weight_ack: String,
    pub weight_contact: String,
    pub weight_escalations: String,
    pub weight_victims: String,
    /// Weight of campaign coverage (0–100); absent: the default.
    #[serde(default)]
    pub weight_campaigns: String,
    /// Ids of the school's channels (configured under campaigns) that also carry warning notices
    /// by email / robot webhook; absent: unchanged, `[]`: inbox only.
    #[serde(default)]
    pub channels: Option<Vec<i64>>,
}

/// A school's settings with the channels of its warning notices.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SettingsOut {
    #[serde(flatten)]
    pub settings: Settings,
    /// Ids of the channels (campaign channels of the school) that carry warning notices.
    pub channels: Vec<i64>,
}

async fn settings_out(st: &AppState, school_id: i64) -> AppResult<SettingsOut> {
    let mut c = st.db.pool.acquire().await?;
    Ok(SettingsOut {
        settings: store::settings_of(&mut c, school_id).await?,
        channels: super::notify::channels_of_school(&mut c, school_id)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    })
}

impl SettingsInput {
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        let v: Vec<(&'static str, &str)> = vec![
            ("high_ack_min", &self.high_ack_min),
            ("high_contact_min", &self.high_contact_min),
            ("medium_ack_min", &self.medium_ack_min),
            ("medium_contact_min", &self.medium_contact_min),
            ("low_ack_min", &self.low_ack_min),
            ("low_contact_min", &self.low_contact_min),
            ("weight_ack", &self.weight_ack),
            ("weight_contact", &self.weight_contact),
            ("weight_escalations", &self.weight_escalations),
            ("weight_victims", &self.weight_victims),
        ];
        v.into_iter()
            .chain(
                (!self.weight_campaigns.trim().is_empty())
                    .then_some(("weight_campaigns", self.weight_campaigns.as_str())),
            )
            .collect()
    }
}

pub async fn save_settings(
    st: &AppState,
    u: &User,
    code: &str,
    i: &SettingsInput,
) -> AppResult<SettingsOut> {
    let school = settings_school(st, u, code, Action::ConfigureWarnings).await?;
    let s = service::parse_settings(&i.fields())
        .map_err(|d| AppError::unprocessable("warn-err-refused").details(d))?;
    if let Some(ids) = &i.channels {
        let mine: Vec<i64> =
            crate::campaigns::store::channels_under(&st.db, std::slice::from_ref(&school.path))
                .await?
                .into_iter()
                .map(|c| c.id)
                .collect();
        let bad: Vec<Msg> = ids
            .iter()
            .filter(|id| !mine.contains(id))
            .map(|id| Msg::new("warn-err-channel").arg("value", *id))
            .collect();
        if !bad.is_empty() {
            return Err(AppError::unprocessable("warn-err-refused").details(bad));
        }
    }
    let mut tx = st.db.begin_write().await?;
    store::save_settings(&mut tx, school.id, &s, st.clock.now_ms(), u.p.account_id).await?;
    if let Some(ids) = &i.channels {
        super::notify::set_channels(&mut tx, school.id, ids, st.clock.now_ms()).await?;
    }
    crate::audit::record(
        &mut *tx,
        &st.clock,
        &u.ctx.actor(),
        crate::audit::Event {
            action: "warning.settings",
            target_kind: "unit",
            target_id: school.id.to_string(),
            unit_path: school.path.clone(),
            detail: serde_json::json!({"settings": s, "channels": i.channels}),
        },
    )
    .await?;
    tx.commit().await?;
    settings_out(st, school.id).await
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
    Ok(Json(save_settings(&st, &u, &code, &i).await?))
}

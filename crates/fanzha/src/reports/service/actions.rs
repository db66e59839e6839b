//! The actions pages and API share: file a report, add and read evidence, triage, act on a
//! stop-payment request, the lists and the detail of a report, each after the caller's scope
//! check. Handlers parse, call one of these, and render.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{Deadlines, Filed, ReportError, Reporter, SpAction, Triage};
use crate::auth::model::Principal;
use crate::auth::policy::{self, Action, Target};
use crate::error::{AppError, AppResult, Msg};
use crate::reports::model::{self, ReportIndicator, ReportInput};
use crate::reports::store::{self, Evidence, QueueItem, Report, ReportItem, StopPayment};
use crate::reports::{evidence, evidence_store};
use crate::web::context::User;
use crate::web::AppState;

/// The reporter a signed-in account files as.
pub async fn reporter_of(st: &AppState, p: &Principal) -> AppResult<Reporter> {
    if let Some(sid) = p.student_id {
        let mut conn = st.db.pool.acquire().await?;
        let (path, class, school) = super::student_place(&mut conn, sid)
            .await
            .map_err(AppError::from)?;
        return Ok(Reporter {
            account_id: p.account_id,
            student_id: Some(sid),
            school_id: Some(school),
            class_id: Some(class),
            unit_path: path,
        });
    }
    let path = p
        .grants
        .first()
        .and_then(|g| g.scope_paths.first().cloned())
        .unwrap_or_else(|| "/".to_string());
    let school_id: Option<i64> = match p.grants.first() {
        Some(g) if g.unit_kind == "school" => Some(g.unit_id),
        _ => None,
    };
    Ok(Reporter {
        account_id: p.account_id,
        student_id: None,
        school_id,
        class_id: None,
        unit_path: path,
    })
}

/// Whose reports `p` may see: their own, and those under their `ViewReports` scopes.
pub fn scope_of(p: &Principal) -> store::Scope {
    store::Scope {
        reporter: Some(p.account_id),
        paths: policy::scopes_for(p, Action::ViewReports),
    }
}

/// May police `p` triage in this unit?
pub fn can_triage(p: &Principal, unit_path: &str) -> bool {
    policy::allows(p, Action::TriageReports, &Target::Unit(unit_path))
}

/// Opens one report for a caller: the reporter, or staff and police in scope. Others get 404
/// (audited as `access.denied`), so a report's existence is not revealed.
pub async fn report_visible_to(st: &AppState, u: &User, id: i64) -> AppResult<store::Report> {
    let mut conn = st.db.pool.acquire().await?;
    let r = store::report(&mut conn, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    drop(conn);
    if r.reporter_account_id == u.p.account_id {
        return Ok(r);
    }
    crate::org::access::authorize(st, u, Action::ViewReports, Target::Unit(&r.unit_path))
        .await
        .map_err(|_| AppError::not_found())?;
    Ok(r)
}

/// A police officer's decision context: the officer and their unit path, for triage in scope.
pub fn officer(u: &User, unit_path: &str) -> AppResult<crate::intel::service::By> {
    if !can_triage(&u.p, unit_path) {
        return Err(AppError::forbidden());
    }
    let path = policy::scopes_for(&u.p, Action::TriageReports)
        .into_iter()
        .next()
        .unwrap_or_default();
    Ok(crate::intel::service::By {
        actor: u.ctx.actor(),
        unit_path: path,
    })
}

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
        .submit(crate::reports::writer::Submission {
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
    let n = store::evidence_count(&mut tx, report_id).await?;
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
    let id = store::insert_evidence(
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

pub async fn triage_report(
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
            let case = super::open_case_from_report(&mut tx, &st.clock, &by, id)
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
            policy::allows(p, Action::ViewReports, &Target::Unit(&path)) && can_triage(p, &path)
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
    let report = super::triage(&mut tx, &st.clock, &by, id, &t)
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

pub async fn stop_payment_action(
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
    let sp = super::act_on_stop_payment(&mut tx, &st.clock, &u.ctx.actor(), sp_id, &action)
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

/// Reports in `scope` for a page or API list; a staff read is one audit entry (victims' names).
pub async fn list_reports(
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
pub async fn report_page(
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
pub async fn stop_payment_queue(
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

pub async fn report_detail(st: &AppState, u: &User, id: i64) -> AppResult<ReportDetail> {
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

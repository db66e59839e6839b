//! The actions pages and API share: file a report, add and read evidence, triage, act on a
//! stop-payment request, the lists and the detail of a report, each after the caller's scope
//! check. Each takes the acting principal (and the audit actor where it audits), owns its
//! transaction and returns [`ReportError`]; handlers parse, call one of these, and render.

use crate::kernel::ids::{AccountId, CaseId, ReportId, UnitId};
use serde::{Deserialize, Serialize};

use super::{Deadlines, Filed, ReportError, ReportResult, Reporter, SpAction, Triage};
use crate::audit::Actor;
use crate::auth::model::Principal;
use crate::auth::policy::{self, Action, Target};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::error::Msg;
use crate::reports::model::{self, ReportIndicator, ReportInput};
use crate::reports::store::{self, Evidence, QueueItem, Report, ReportItem, StopPayment};
use crate::reports::writer::Writer;
use crate::reports::{evidence, evidence_store};

fn unprocessable(key: &str) -> ReportError {
    ReportError::Unprocessable(Msg::new(key))
}

/// The reporter a signed-in account files as.
pub async fn reporter_of(db: &Db, p: &Principal) -> ReportResult<Reporter> {
    if let Some(sid) = p.student_id {
        let mut conn = db.pool.acquire().await?;
        let (path, class, school) = super::student_place(&mut conn, sid).await?;
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
    let school_id: Option<UnitId> = match p.grants.first() {
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
pub async fn report_visible_to(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: ReportId,
) -> ReportResult<store::Report> {
    let mut conn = db.pool.acquire().await?;
    let r = store::report(&mut conn, id)
        .await?
        .ok_or(ReportError::NotFound)?;
    drop(conn);
    if r.reporter_account_id == p.account_id {
        return Ok(r);
    }
    let target = Target::Unit(&r.unit_path);
    crate::audit::authorize(db, clock, p, actor, Action::ViewReports, target)
        .await
        .map_err(|_| ReportError::NotFound)?;
    Ok(r)
}

/// A police officer's decision context: the officer and their unit path, for triage in scope.
pub fn officer(
    p: &Principal,
    actor: &Actor,
    unit_path: &str,
) -> ReportResult<crate::intel::service::By> {
    if !can_triage(p, unit_path) {
        return Err(ReportError::Forbidden);
    }
    let path = policy::scopes_for(p, Action::TriageReports)
        .into_iter()
        .next()
        .unwrap_or_default();
    Ok(crate::intel::service::By {
        actor: actor.clone(),
        unit_path: path,
    })
}

/// What filing needs of the process besides the database: the detection engine that checks the
/// input, the report writer, and the stop-payment deadlines.
pub struct Filing<'a> {
    pub engine: std::sync::Arc<fanzha_detect::Engine>,
    pub writer: &'a Writer,
    pub deadlines: Deadlines,
}

impl<'a> Filing<'a> {
    /// The live engine of `intel`, the `writer`, and the deadlines of the configuration.
    pub fn new(intel: &crate::intel::Intel, writer: &'a Writer, config: &Config) -> Filing<'a> {
        Filing {
            engine: intel.engine(),
            writer,
            deadlines: Deadlines::from_config(config),
        }
    }
}

/// Validates, files and commits a report; a retry with the same key (also one racing this
/// request) returns the report filed first.
pub async fn file_report(
    db: &Db,
    clock: &Clock,
    filing: Filing<'_>,
    p: &Principal,
    actor: &Actor,
    input: &ReportInput,
) -> ReportResult<Filed> {
    let now = clock.now_ms();
    let v = model::validate(input, now, Some(&*filing.engine)).map_err(ReportError::Invalid)?;
    if let Some(check) = input.risk_check_id {
        // Only the student's own check may be linked.
        let c = crate::intel::store::check_by_id(db, check).await?;
        if c.is_none_or(|c| c.account_id != p.account_id) {
            return Err(ReportError::Invalid(vec![Msg::new("reports-err-check")]));
        }
    }
    let reporter = reporter_of(db, p).await?;
    filing
        .writer
        .submit(crate::reports::writer::Submission {
            actor: actor.clone(),
            reporter,
            idempotency_key: input.idempotency_key.clone(),
            valid: v,
            deadlines: filing.deadlines,
        })
        .await
}

/// A stored evidence image of a report (reporter only; at most six).
pub async fn add_evidence(
    db: &Db,
    clock: &Clock,
    config: &Config,
    p: &Principal,
    actor: &Actor,
    report_id: ReportId,
    bytes: &[u8],
) -> ReportResult<Evidence> {
    let r = report_visible_to(db, clock, p, actor, report_id).await?;
    if r.reporter_account_id != p.account_id {
        return Err(ReportError::Forbidden);
    }
    if bytes.len() > config.report_image_max_bytes {
        return Err(ReportError::ImageTooLarge {
            max_mib: config.report_image_max_bytes / (1024 * 1024),
        });
    }
    let t = evidence::sniff(bytes).ok_or(ReportError::ImageType)?;
    let clean =
        evidence::strip(t, bytes).ok_or_else(|| unprocessable("reports-err-image-broken"))?;
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&clean))
    };
    let store = evidence_store::EvidenceStore::from_config(config)?;
    let key = evidence_store::key_of(report_id, &sha, t.media_type());
    let mut tx = db.begin_write().await?;
    let n = store::evidence_count(&mut tx, report_id).await?;
    if n >= evidence::MAX_PER_REPORT {
        return Err(ReportError::Unprocessable(
            Msg::new("reports-err-image-count").arg("max", evidence::MAX_PER_REPORT),
        ));
    }
    // The object is stored (fsynced, or acknowledged by the S3 store) before the row that points
    // at it commits. The key is the content hash, so a retry rewrites the same object.
    store.put(&key, clean.clone(), t.media_type()).await?;
    let now = clock.now_ms();
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
        clock,
        actor,
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

/// An evidence image as stored: its media type and bytes.
pub struct EvidenceFile {
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// The bytes of an evidence image, to whoever may see the report.
pub async fn evidence_file(
    db: &Db,
    clock: &Clock,
    config: &Config,
    p: &Principal,
    actor: &Actor,
    report_id: ReportId,
    eid: i64,
) -> ReportResult<EvidenceFile> {
    let report = report_visible_to(db, clock, p, actor, report_id).await?;
    let e = store::evidence_of(db, report_id)
        .await?
        .into_iter()
        .find(|e| e.id == eid)
        .ok_or(ReportError::NotFound)?;
    if report.reporter_account_id != p.account_id {
        crate::audit::person_read(
            db,
            clock,
            p,
            actor,
            crate::audit::Read {
                kind: "report",
                id: report_id.get(),
                unit_path: &report.unit_path,
                detail: serde_json::json!({"evidence": eid, "student_id": report.student_id}),
            },
        )
        .await?;
    }
    let store = evidence_store::EvidenceStore::from_config(config)?;
    let bytes = store
        .get(&evidence_store::key_of(report_id, &e.sha256, &e.media_type))
        .await?
        .ok_or(ReportError::NotFound)?;
    Ok(EvidenceFile {
        media_type: e.media_type,
        bytes,
    })
}

/// A triage decision in the API and page form.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TriageRequest {
    /// confirm, not_fraud, merge, assign, reply, open_case.
    #[schema(pattern = "^(confirm|not_fraud|merge|assign|reply|open_case)$")]
    pub decision: String,
    /// merge: the report to merge into.
    pub into: Option<ReportId>,
    /// assign: the officer's account id.
    pub officer: Option<AccountId>,
    /// reply: the text for the reporter.
    pub text: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TriageAnswer {
    pub report: Report,
    pub case_id: Option<CaseId>,
}

pub async fn triage_report(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: ReportId,
    req: &TriageRequest,
) -> ReportResult<TriageAnswer> {
    let r = report_visible_to(db, clock, p, actor, id).await?;
    let by = officer(p, actor, &r.unit_path)?;
    let t = match req.decision.as_str() {
        "confirm" => Triage::Confirm,
        "not_fraud" => Triage::NotFraud,
        "merge" => Triage::Merge(
            req.into
                .ok_or_else(|| unprocessable("reports-err-merge-target"))?,
        ),
        "assign" => Triage::Assign(
            req.officer
                .ok_or_else(|| unprocessable("reports-err-assign"))?,
        ),
        "reply" => Triage::Reply(req.text.clone().unwrap_or_default()),
        "open_case" => {
            let mut tx = db.begin_write().await?;
            let case = super::open_case_from_report(&mut tx, clock, &by, id).await?;
            tx.commit().await?;
            let mut conn = db.pool.acquire().await?;
            let report = store::report(&mut conn, id)
                .await?
                .ok_or(ReportError::NotFound)?;
            return Ok(TriageAnswer {
                report,
                case_id: Some(case),
            });
        }
        _ => return Err(unprocessable("reports-err-decision")),
    };
    if let Triage::Assign(officer) = t {
        // Only to an officer who can open this report and triage it; anyone else would be told
        // about a report they then cannot see.
        let path = r.unit_path.clone();
        let can = crate::auth::service::account_can(db, officer, |p| {
            policy::allows(p, Action::ViewReports, &Target::Unit(&path)) && can_triage(p, &path)
        })
        .await?;
        if !can {
            return Err(unprocessable("reports-err-assign-scope"));
        }
    }
    if let Triage::Merge(into) = t {
        // The target must be in the officer's scope too.
        report_visible_to(db, clock, p, actor, into)
            .await
            .map_err(|_| unprocessable("reports-err-merge-target"))?;
    }
    let mut tx = db.begin_write().await?;
    let report = super::triage(&mut tx, clock, &by, id, &t).await?;
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
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    sp_id: i64,
    req: &ActionRequest,
) -> ReportResult<StopPayment> {
    let mut conn = db.pool.acquire().await?;
    let sp = store::stop_payment(&mut conn, sp_id)
        .await?
        .ok_or(ReportError::NotFound)?;
    drop(conn);
    let r = report_visible_to(db, clock, p, actor, sp.report_id).await?;
    officer(p, actor, &r.unit_path)?;
    let action = SpAction::parse(&req.action, req.frozen_cents, &req.reason)
        .map_err(|m| ReportError::Invalid(vec![m]))?;
    let mut tx = db.begin_write().await?;
    let sp = super::act_on_stop_payment(&mut tx, clock, actor, sp_id, &action).await?;
    tx.commit().await?;
    crate::inbox::bump();
    Ok(sp)
}

/// Police scope for clusters and figures (their triage scope).
pub fn police_scope(p: &Principal) -> ReportResult<store::Scope> {
    let paths = policy::scopes_for(p, Action::TriageReports);
    if paths.is_empty() {
        return Err(ReportError::Forbidden);
    }
    Ok(store::Scope {
        reporter: None,
        paths,
    })
}

/// The audit entry of a list of reports in `scope`: under the unit its rows share, else the
/// scope's.
fn listed<'a>(
    export: bool,
    rows: Vec<&'a str>,
    scope: &'a store::Scope,
    filter: serde_json::Value,
    ids: Vec<i64>,
) -> crate::audit::Listed<'a> {
    crate::audit::Listed {
        export,
        kind: "report",
        rows,
        scope: scope.paths.iter().map(String::as_str).collect(),
        filter,
        ids,
    }
}

/// Reports in `scope` for a page or API list; a staff read is one audit entry (victims' names).
pub async fn list_reports(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    scope: &store::Scope,
    status: Option<&str>,
    limit: i64,
) -> ReportResult<Vec<ReportItem>> {
    let items = store::list(db, scope, status, limit).await?;
    let rows = items.iter().map(|i| i.report.unit_path.as_str()).collect();
    let filter = serde_json::json!({"status": status, "limit": limit});
    let ids = items.iter().map(|i| i.report.id.get()).collect();
    crate::audit::list_read(db, clock, p, actor, listed(false, rows, scope, filter, ids)).await?;
    Ok(items)
}

/// A page of a filtered list of reports: the filter, how many per page, from where, and whether
/// it is taken as a file.
pub struct Page<'a> {
    pub filter: &'a store::ListFilter,
    pub limit: i64,
    pub offset: i64,
    pub export: bool,
}

/// One page of reports in `scope` kept by the filter, with the total; a staff read is one audit
/// entry (an export is audited as one).
pub async fn report_page(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    scope: &store::Scope,
    pg: Page<'_>,
) -> ReportResult<(i64, Vec<ReportItem>)> {
    let (f, limit, offset, export) = (pg.filter, pg.limit, pg.offset, pg.export);
    let total = store::count_filtered(db, scope, f).await?;
    let items = store::list_filtered(db, scope, f, limit, offset).await?;
    let rows = items.iter().map(|i| i.report.unit_path.as_str()).collect();
    let filter = serde_json::json!({"status": f.status, "q": f.search, "limit": limit, "offset": offset, "export": export});
    let ids = items.iter().map(|i| i.report.id.get()).collect();
    crate::audit::list_read(
        db,
        clock,
        p,
        actor,
        listed(export, rows, scope, filter, ids),
    )
    .await?;
    Ok((total, items))
}

/// The stop-payment queue in `scope` for a page or API list; a staff read is one audit entry.
pub async fn stop_payment_queue(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    scope: &store::Scope,
    limit: i64,
) -> ReportResult<Vec<QueueItem>> {
    let items = store::queue(db, scope, limit).await?;
    let filter = serde_json::json!({"queue": "stop_payments", "limit": limit});
    let ids = items
        .iter()
        .map(|i| i.stop_payment.report_id.get())
        .collect();
    crate::audit::list_read(
        db,
        clock,
        p,
        actor,
        listed(false, vec![], scope, filter, ids),
    )
    .await?;
    Ok(items)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportDetail {
    pub report: Report,
    pub indicators: Vec<ReportIndicator>,
    pub stop_payment: Option<StopPayment>,
    pub evidence: Vec<Evidence>,
}

pub async fn report_detail(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: ReportId,
) -> ReportResult<ReportDetail> {
    let report = report_visible_to(db, clock, p, actor, id).await?;
    if report.reporter_account_id != p.account_id {
        crate::audit::person_read(
            db,
            clock,
            p,
            actor,
            crate::audit::Read {
                kind: "report",
                id: id.get(),
                unit_path: &report.unit_path,
                detail: serde_json::json!({"ref_no": report.ref_no, "student_id": report.student_id}),
            },
        )
        .await?;
    }
    let mut conn = db.pool.acquire().await?;
    let indicators = store::indicators_of(&mut conn, id).await?;
    let stop_payment = store::stop_payment_of(&mut conn, id).await?;
    drop(conn);
    let evidence = store::evidence_of(db, id).await?;
    Ok(ReportDetail {
        report,
        indicators,
        stop_payment,
        evidence,
    })
}

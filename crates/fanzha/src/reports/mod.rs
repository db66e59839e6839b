//! One-click reports and the stop-payment race (issue 5): the report form (channel sections,
//! pre-filled from a pasted text or a risk check), evidence images, durable idempotent filing with
//! sightings in the indicator store, the stop-payment request of a loss with deadline, police
//! queue and escalation to the station leader, police triage over clusters of reports sharing
//! indicators, the counselor's view and the police figures.

pub mod api;
pub mod bench;
pub mod demo;
pub mod evidence;
pub mod evidence_store;
pub mod lists;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod writer;

use crate::auth::model::Principal;
use crate::auth::policy::{self, Action, Target};
use crate::clock::Clock;
use crate::db::jobs::{Job, JobRegistry};
use crate::db::Db;
use crate::error::{AppError, AppResult, Msg};
use crate::web::context::User;
use crate::web::AppState;
use service::Reporter;

/// Registers the escalation job.
pub fn register_jobs(reg: &mut JobRegistry, db: Db, clock: Clock) {
    reg.register(service::ESCALATE_JOB, move |job: Job| {
        let (db, clock) = (db.clone(), clock.clone());
        async move {
            let id = job.payload["stop_payment_id"]
                .as_i64()
                .ok_or("payload without stop_payment_id")?;
            let mut tx = db.begin_write().await.map_err(|e| e.to_string())?;
            service::escalate(&mut tx, &clock, id)
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())?;
            crate::inbox::bump();
            Ok(())
        }
    });
}

/// The reporter a signed-in account files as.
pub async fn reporter_of(st: &AppState, p: &Principal) -> AppResult<Reporter> {
    if let Some(sid) = p.student_id {
        let mut conn = st.db.pool.acquire().await?;
        let (path, class, school) = service::student_place(&mut conn, sid)
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

/// One error message per problem, in the caller's language.
pub fn render_msgs(lang: crate::i18n::Lang, v: &[Msg]) -> Vec<String> {
    v.iter().map(|m| m.render(lang)).collect()
}

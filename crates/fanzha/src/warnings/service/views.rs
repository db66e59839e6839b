//! What a principal may read of warnings, and who may issue: one warning (`warning_visible_to`)
//! and its detail, "my warnings", the scoped list and its figures, the appraisal of the chain,
//! and a school's settings. Every read of personal data by staff is audited here, and every
//! refusal outside the caller's scope too.

use super::*;
use crate::auth::model::Grant;
use crate::auth::policy::Target;
use crate::kernel::ids::UnitId;
use crate::warnings::appraisal::{self, Appraisal, Figures};
use crate::warnings::store::ListFilter;

/// Most warnings one export holds.
pub const EXPORT_MAX: i64 = 100_000;

/// The issuer behind the caller, or 403 for roles that may not issue.
pub fn issuer_of(p: &Principal) -> Result<Issuer, WarnError> {
    if policy::scopes_for(p, Action::IssueWarning).is_empty() {
        return Err(WarnError::Forbidden);
    }
    Issuer::of(p).ok_or(WarnError::Forbidden)
}

/// The issuer behind a person issuing from the console or a CSV batch: partners send single
/// warnings through the API and get receipts (`receipts`), so they are refused here (403).
pub fn staff_issuer_of(p: &Principal) -> Result<Issuer, WarnError> {
    let issuer = issuer_of(p)?;
    if issuer.kind == "partner" {
        return Err(WarnError::Forbidden);
    }
    Ok(issuer)
}

/// Is the caller a partner system? Partners see no warning, only their receipts.
pub fn is_partner(p: &Principal) -> bool {
    p.grants.iter().any(|g| g.role == Role::Partner)
}

/// Lists, figures, appraisal and settings are refused to partners (403), whatever their scopes.
pub fn refuse_partner(p: &Principal) -> Result<(), WarnError> {
    if is_partner(p) {
        return Err(WarnError::Forbidden);
    }
    Ok(())
}

/// One warning the caller may see (404 otherwise, audited). Never a partner's: a partner learns
/// nothing about people, not even about the warnings it sent.
pub async fn warning_visible_to(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: WarningId,
) -> Result<Warning, WarnError> {
    if is_partner(p) {
        return Err(WarnError::NotFound);
    }
    let mut c = db.pool.acquire().await.map_err(DbError::from)?;
    let w = store::warning_by_id(&mut c, id)
        .await?
        .ok_or(WarnError::NotFound)?;
    // The issuer always sees what they issued; the responsible people of the student's chain
    // see it whatever their role grants say (responsibility follows the org's chain).
    // A student sees the warnings about themself.
    let own = p.has_role(Role::Student) && p.student_id.is_some() && w.student_id == p.student_id;
    if own
        || w.issued_by_account_id == Some(p.account_id)
        || held_by_police_of_region(p, &w)
        || in_chain(&mut c, p, &w).await?
    {
        return Ok(w);
    }
    drop(c);
    authorize(
        db,
        clock,
        p,
        actor,
        Action::ViewWarnings,
        Target::Unit(&w.unit_path),
    )
    .await?;
    Ok(w)
}

/// Is the caller one of the responsible people of the warning's student now?
pub async fn in_chain(c: &mut AnyConnection, p: &Principal, w: &Warning) -> Result<bool, DbError> {
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

/// Partners' warnings about nobody on a roster that the caller holds as police of the partner's
/// region (see [`held_by_police_of_region`]), newest first; one audit entry for the list.
pub async fn held_by_police(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
) -> Result<Vec<Warning>, WarnError> {
    let paths: Vec<String> = p
        .grants
        .iter()
        .filter(|g| g.role == Role::Police)
        .flat_map(|g| g.scope_paths.iter().cloned())
        .collect();
    if paths.is_empty() {
        return Ok(vec![]);
    }
    let mut c = db.pool.acquire().await.map_err(DbError::from)?;
    let ws = store::partner_unmatched_over(&mut c, &paths, 200).await?;
    drop(c);
    if !ws.is_empty() {
        audit_list(
            db,
            clock,
            p,
            actor,
            serde_json::json!({"held": true}),
            &paths,
            &ws,
        )
        .await?;
    }
    Ok(ws)
}

/// Warnings the caller is the responsible person for (counselor, college or school leader),
/// following the chain as it is now, open ones first.
pub async fn mine(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
) -> Result<Vec<Warning>, WarnError> {
    refuse_partner(p)?;
    let ws = mine_of(db, p).await?;
    audit_list(
        db,
        clock,
        p,
        actor,
        serde_json::json!({"mine": true}),
        &[],
        &ws,
    )
    .await?;
    Ok(ws)
}

async fn mine_of(db: &Db, p: &Principal) -> Result<Vec<Warning>, WarnError> {
    let mut out: Vec<Warning> = Vec::new();
    let mut c = db.pool.acquire().await.map_err(DbError::from)?;
    // A student: the warnings about themself.
    if let Some(student) = p.student_id.filter(|_| p.has_role(Role::Student)) {
        out.extend(store::of_student(&mut c, student, 200).await?);
    }
    // The police: what reached the police level in their jurisdiction, and what their station
    // issued that has no outcome yet.
    let police: Vec<&Grant> = p.grants.iter().filter(|g| g.role == Role::Police).collect();
    if !police.is_empty() {
        let paths: Vec<String> = police
            .iter()
            .flat_map(|g| g.scope_paths.iter().cloned())
            .collect();
        let stations: Vec<UnitId> = police.iter().map(|g| g.unit_id).collect();
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
    for (duty, unit) in crate::org::store::responsibilities_of_staff(db, staff).await? {
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
            std::cmp::Reverse(w.id),
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

/// What a list, its figures and its export are asked for.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
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

/// The period of a query: default the last 30 days up to now.
pub fn period(q: &ListQuery, p: &Principal, now: Millis) -> Result<(Millis, Millis), WarnError> {
    use crate::kernel::time::day_start;
    let bad = || WarnError::BadRequest("warn-err-period");
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
pub async fn scope_paths(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    action: Action,
    unit: Option<&str>,
) -> Result<(Vec<String>, Option<Unit>), WarnError> {
    refuse_partner(p)?;
    match unit.map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => {
            let unit = crate::org::store::unit_by_code(db, code)
                .await?
                .ok_or(WarnError::NotFound)?;
            authorize(db, clock, p, actor, action, Target::Unit(&unit.path)).await?;
            Ok((vec![unit.path.clone()], Some(unit)))
        }
        None => Ok((policy::scopes_for(p, action), None)),
    }
}

/// Warnings in the caller's scope (or under the query's unit), newest first.
pub async fn list(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    q: &ListQuery,
) -> Result<Vec<Warning>, WarnError> {
    Ok(list_page(db, clock, p, actor, q, false).await?.1)
}

/// One page of the warning list with the number of warnings the filter keeps; a staff read is
/// one audit entry (an export one export entry).
pub async fn list_page(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    q: &ListQuery,
    export: bool,
) -> Result<(i64, Vec<Warning>), WarnError> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(Status::parse(s).ok_or(WarnError::BadRequest("warn-err-status"))?),
        None => None,
    };
    let limit = q.limit.unwrap_or(200);
    let page = q.page.unwrap_or(1);
    let limit_ok = (1..=1000).contains(&limit) || (export && limit == EXPORT_MAX);
    if !limit_ok || !(1..=1_000_000).contains(&page) {
        return Err(WarnError::BadRequest("err-bad-paging"));
    }
    let (from, to) = period(q, p, clock.now_ms())?;
    let search = q.q.as_deref().unwrap_or("").trim();
    if search.chars().count() > 100 {
        return Err(WarnError::BadRequest("err-search-too-long"));
    }
    let (paths, _) =
        scope_paths(db, clock, p, actor, Action::ViewWarnings, q.unit.as_deref()).await?;
    let mut c = db.pool.acquire().await.map_err(DbError::from)?;
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
            db,
            clock,
            p,
            actor,
            crate::audit::ListRead {
                export: true,
                kind: "warning",
                unit_path: crate::audit::common_path(paths.iter().map(String::as_str))
                    .unwrap_or_else(|| "/".into()),
                filter,
                ids: ws.iter().map(|w| w.id.get()).collect(),
            },
        )
        .await?;
    } else {
        audit_list(db, clock, p, actor, filter, &paths, &ws).await?;
    }
    Ok((total, ws))
}

/// One audit entry for a list of warnings shown to staff (phones and student numbers in it).
async fn audit_list(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    filter: serde_json::Value,
    scope: &[String],
    ws: &[Warning],
) -> Result<(), WarnError> {
    let unit_path = crate::audit::common_path(ws.iter().map(|w| w.unit_path.as_str()))
        .or_else(|| crate::audit::common_path(scope.iter().map(String::as_str)))
        .unwrap_or_else(|| "/".into());
    crate::audit::person_list_read(
        db,
        clock,
        p,
        actor,
        crate::audit::ListRead {
            export: false,
            kind: "warning",
            unit_path,
            filter,
            ids: ws.iter().map(|w| w.id.get()).collect(),
        },
    )
    .await?;
    Ok(())
}

/// One warning with what the caller may do to it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WarningDetail {
    pub warning: Warning,
    pub timeline: Vec<WarnEvent>,
    /// Whether the caller may acknowledge, contact and record an outcome now.
    pub can_act: bool,
    /// The loss report and stop-payment request opened by "already lost money".
    pub loss_report: Option<LossReportLink>,
    /// Notices sent by email / robot webhook (when the school configured channels).
    pub notifications: Vec<crate::warnings::notify::Notification>,
}

/// One warning the caller may see, with its timeline, what they may do and what it led to; the
/// read is audited.
pub async fn detail(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: WarningId,
) -> Result<WarningDetail, WarnError> {
    let warning = warning_visible_to(db, clock, p, actor, id).await?;
    crate::audit::person_read(
        db,
        clock,
        p,
        actor,
        crate::audit::Read {
            kind: "warning",
            id: id.get(),
            unit_path: &warning.unit_path,
            detail: serde_json::json!({
                "student_id": warning.student_id, "student_no": warning.student_no,
            }),
        },
    )
    .await?;
    let mut c = db.pool.acquire().await.map_err(DbError::from)?;
    let timeline = store::events(&mut c, id).await?;
    let allowed = policy::allows(p, Action::ActOnWarning, &Target::Unit(&warning.unit_path))
        || in_chain(&mut c, p, &warning).await?;
    let can_act =
        warning.status() != Status::Unidentified && allowed && may_act(&mut c, p, &warning).await?;
    let loss_report = loss_report_of(&mut c, &timeline).await?;
    let notifications = crate::warnings::notify::of_warning(&mut c, id).await?;
    Ok(WarningDetail {
        warning,
        timeline,
        can_act,
        loss_report,
        notifications,
    })
}

/// May the caller attach a student to this warning (it waits for one, in their scope or held
/// by them as police of the partner's region)?
pub fn may_identify(p: &Principal, w: &Warning) -> bool {
    w.status() == Status::Unidentified
        && (policy::allows(p, Action::IdentifyWarning, &Target::Unit(&w.unit_path))
            || held_by_police_of_region(p, w))
}

/// States, share acted on in time, median times and unreached people, over the caller's scope
/// (or the query's unit) for a period.
pub async fn figures(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    q: &ListQuery,
) -> Result<Figures, WarnError> {
    let (from, to) = period(q, p, clock.now_ms())?;
    let search = q.q.as_deref().unwrap_or("").trim();
    if search.chars().count() > 100 {
        return Err(WarnError::BadRequest("err-search-too-long"));
    }
    let (paths, _) =
        scope_paths(db, clock, p, actor, Action::ViewWarnings, q.unit.as_deref()).await?;
    let rows = appraisal::load(db, &paths, from, to).await?;
    Ok(appraisal::figures(&rows, clock.now_ms()))
}

/// The school a caller's appraisal or settings is about: `unit` (a school, or the school of
/// a unit) inside the scope of `action`, else the first school of the caller's scope.
pub async fn school_in_scope(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    action: Action,
    unit: Option<&str>,
) -> Result<Unit, WarnError> {
    let (paths, unit) = scope_paths(db, clock, p, actor, action, unit).await?;
    if let Some(u) = unit {
        return Ok(u);
    }
    for path in &paths {
        let units = crate::org::store::units_by_paths(db, std::slice::from_ref(path)).await?;
        if let Some(u) = units.into_iter().next() {
            if matches!(
                u.kind,
                UnitKind::School | UnitKind::College | UnitKind::Class
            ) {
                return Ok(u);
            }
            let schools =
                crate::org::store::units_of_kind_in(db, &u.path, UnitKind::School).await?;
            if let Some(s) = schools.into_iter().next() {
                return Ok(s);
            }
        }
    }
    Err(WarnError::NotFound)
}

/// What an appraisal is asked for.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
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

/// The appraisal of the chain (包保考核) under a unit for a period: per person and per class,
/// ranked by the school's weighted score; the per-person rows are one audited list read.
pub async fn appraisal_of(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    q: &AppraisalQuery,
) -> Result<(Unit, Appraisal), WarnError> {
    let lq = ListQuery {
        from: q.from.clone(),
        to: q.to.clone(),
        ..ListQuery::default()
    };
    let (from, to) = period(&lq, p, clock.now_ms())?;
    let unit = school_in_scope(
        db,
        clock,
        p,
        actor,
        Action::ViewAppraisal,
        q.unit.as_deref(),
    )
    .await?;
    let school = crate::org::store::school_of(db, &unit).await?;
    let weights = match &school {
        Some(s) => {
            let mut c = db.pool.acquire().await.map_err(DbError::from)?;
            store::settings_of(&mut c, s.id).await?.weights
        }
        None => Settings::default().weights,
    };
    let a = appraisal::appraise(db, &unit.path, weights, from, to).await?;
    crate::audit::person_list_read(
        db,
        clock,
        p,
        actor,
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

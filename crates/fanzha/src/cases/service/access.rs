//! What a caller may see of cases, and the reads pages and API share: a case, a unit, the
//! province of the ranking, briefings and awardees, each loaded after the scope check (refusals
//! audited; 404 outside every scope), and the year a query asks for.

#[allow(unused_imports)]
use super::*;

use crate::kernel::ids::{CaseId, UnitId};
use store::Briefing;

/// Refuses callers who may not record cases anywhere (students, partners, counselors, schools).
pub fn require_manage(p: &Principal) -> Result<(), CaseError> {
    if policy::scopes_for(p, Action::ManageCases).is_empty() {
        Err(CaseError::Forbidden)
    } else {
        Ok(())
    }
}

/// A case the caller may see (404 otherwise, audited).
pub async fn case_visible_to(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: CaseId,
    action: Action,
) -> Result<Case, CaseError> {
    let c = store::case_by_id(db, id)
        .await?
        .ok_or(CaseError::NotFound)?;
    audit::authorize(db, clock, p, actor, action, Target::Unit(&c.unit_path)).await?;
    if action == Action::ViewCases {
        crate::audit::person_read(
            db,
            clock,
            p,
            actor,
            crate::audit::Read {
                kind: "case",
                id: id.get(),
                unit_path: &c.unit_path,
                detail: serde_json::json!({
                    "victim_student_id": c.victim_student_id, "victim_staff_id": c.victim_staff_id,
                }),
            },
        )
        .await?;
    }
    Ok(c)
}

/// One page (`limit`, `offset`) of the cases of a window for a page or API list; the read
/// (victim profiles) is one audit entry.
pub async fn list_cases(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    w: &Window,
    f: &store::CaseFilter,
    (limit, offset): (i64, i64),
) -> Result<(Vec<Case>, i64), CaseError> {
    let (cases, total) = store::list_cases_filtered(db, w, f, limit, offset).await?;
    crate::audit::list_read(
        db,
        clock,
        p,
        actor,
        crate::audit::Listed {
            export: false,
            kind: "case",
            rows: cases.iter().map(|c| c.unit_path.as_str()).collect(),
            scope: w.paths.iter().map(String::as_str).collect(),
            filter: serde_json::json!({
                "from": w.from, "to": w.to, "limit": limit, "offset": offset, "total": total,
                "fraud_type": f.fraud_type, "status": f.status, "q": f.search,
            }),
            ids: cases.iter().map(|c| c.id.get()).collect(),
        },
    )
    .await?;
    Ok((cases, total))
}

/// Resolves a unit by code (or the caller's own) after a scope check for `action`.
pub async fn unit_visible_to(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    code: Option<&str>,
    action: Action,
) -> Result<Unit, CaseError> {
    let unit = match code.map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => org_store::unit_by_code(db, c)
            .await?
            .ok_or(CaseError::NotFound)?,
        None => default_unit(db, p).await?.ok_or(CaseError::Forbidden)?,
    };
    audit::authorize(db, clock, p, actor, action, Target::Unit(&unit.path)).await?;
    Ok(unit)
}

/// This year in the caller's time zone (the default year of KPIs and of the ranking).
/// The year a query asks for (1970–9999), else `default`.
pub fn year_or(asked: Option<i32>, default: i32) -> Result<i32, CaseError> {
    match asked {
        None => Ok(default),
        Some(y) if (1970..=9999).contains(&y) => Ok(y),
        Some(_) => Err(CaseError::BadRequest("cases-err-period-year")),
    }
}

pub fn this_year(clock: &Clock, p: &Principal) -> i32 {
    use chrono::Datelike;
    date_in(clock.now_ms(), p.time_zone).year()
}

pub async fn readable_briefings(db: &Db, p: &Principal) -> Result<Vec<Briefing>, CaseError> {
    let stations = briefing_stations(db, p).await?;
    let ids: Vec<UnitId> = stations.iter().map(|s| s.id).collect();
    let mut out = Vec::new();
    for b in store::briefings_of(db, &ids).await? {
        let Some(station) = stations.iter().find(|s| s.id == b.station_id) else {
            continue;
        };
        if may_read_briefing(db, p, &b, station).await? {
            out.push(b);
        }
    }
    Ok(out)
}

/// One case as a briefing shows it: no person, no unit below the school.
#[derive(Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TypicalCase {
    pub id: CaseId,
    pub school_name: String,
    pub fraud_type: String,
    pub channel: String,
    pub occurred_at: i64,
    pub amount_lost_cents: i64,
    pub victim_role: String,
    pub victim_enroll_year: Option<i64>,
    pub narrative: String,
    /// victim, suspect (of 帮信 / 两卡) or both.
    pub person_role: String,
    /// The kind of account a suspect lent.
    pub lent_account: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BriefingDetail {
    pub briefing: Briefing,
    pub station_code: String,
    pub station_name: String,
    pub cases: Vec<TypicalCase>,
    pub analysis: Analysis,
    /// Suspects of 帮信 / 两卡 in the month's cases of the jurisdiction, counted apart from victims.
    pub suspects: i64,
}

/// A briefing and its station, when the caller may read it (404 otherwise).
pub async fn briefing_visible_to(
    db: &Db,
    p: &Principal,
    id: i64,
) -> Result<(Briefing, Unit), CaseError> {
    let b = store::briefing_by_id(db, id)
        .await?
        .ok_or(CaseError::NotFound)?;
    let station = org_store::unit_by_id(db, b.station_id)
        .await?
        .ok_or(CaseError::NotFound)?;
    if !may_read_briefing(db, p, &b, &station).await? {
        return Err(CaseError::NotFound);
    }
    Ok((b, station))
}

/// A briefing with its typical cases and the month's victim analysis, when the caller may read it.
pub async fn briefing_detail(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
) -> Result<(BriefingDetail, Unit), CaseError> {
    let (b, station) = briefing_visible_to(db, p, id).await?;
    let m = Month::parse(&b.month)
        .ok_or_else(|| CaseError::Corrupt(format!("briefing {id} month {}", b.month)))?;
    let last = m.next().first_day().pred_opt().unwrap_or(m.first_day());
    let analysis = analyse(db, &station, m.first_day(), last, clock.now_ms()).await?;
    let mut cases = Vec::new();
    for cid in &b.case_ids {
        if let Some(c) = store::case_by_id(db, *cid).await? {
            cases.push(TypicalCase {
                id: c.id,
                school_name: c.school_name,
                fraud_type: c.fraud_type.id().to_string(),
                channel: c.channel,
                occurred_at: c.occurred_at,
                amount_lost_cents: c.amount_lost_cents,
                victim_role: c.victim_role,
                victim_enroll_year: c.victim_enroll_year,
                narrative: c.narrative,
                person_role: c.person_role,
                lent_account: c.lent_account,
            });
        }
    }
    let (from, to) = (ms_of_date(m.first_day()), ms_of_date(m.next().first_day()));
    let mut suspects = 0;
    for p in unit_paths(db, &station).await? {
        for (_, _, n) in store::suspects(db, &p, from, to).await? {
            suspects += n;
        }
    }
    Ok((
        BriefingDetail {
            suspects,
            station_code: station.code.clone(),
            station_name: station.name.clone(),
            briefing: b,
            cases,
            analysis,
        },
        station,
    ))
}

pub async fn province(db: &Db, p: &Principal, code: Option<&str>) -> Result<Unit, CaseError> {
    let unit = match code.map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => org_store::unit_by_code(db, c)
            .await?
            .ok_or(CaseError::NotFound)?,
        None => {
            let mut found = None;
            for g in &p.grants {
                if let Some(unit) = org_store::unit_by_id(db, g.unit_id).await? {
                    let anc = org_store::ancestors(db, &unit).await?;
                    found = anc.into_iter().find(|a| a.kind == UnitKind::Province);
                    if found.is_some() {
                        break;
                    }
                }
            }
            found.ok_or(CaseError::NotFound)?
        }
    };
    if unit.kind != UnitKind::Province {
        return Err(CaseError::Unprocessable("cases-err-province"));
    }
    Ok(unit)
}

/// The ranking is the province's: province case viewers read it, and so, read-only, do police,
/// school admins and unit leaders whose scope lies inside the province. Anyone else is refused
/// (audited; 404 outside every scope).
pub async fn authorize_ranking(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    province: &Unit,
) -> Result<(), CaseError> {
    let inside = p.grants.iter().any(|g| {
        crate::auth::policy::role_allows(g.role, Action::ViewCases)
            && g.scope_paths.iter().any(|s| s.starts_with(&province.path))
    });
    if inside {
        return Ok(());
    }
    let target = Target::Unit(&province.path);
    Ok(audit::authorize(db, clock, p, actor, Action::ViewCases, target).await?)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Awardee {
    pub school_code: String,
    pub school_name: String,
    pub published_at: i64,
}

pub async fn awardees(db: &Db, province: &Unit, year: i32) -> Result<Vec<Awardee>, CaseError> {
    let mut out = Vec::new();
    for (sid, published) in store::awards(db, province.id, year).await? {
        let Some(at) = published else { continue };
        if let Some(s) = org_store::unit_by_id(db, sid).await? {
            out.push(Awardee {
                school_code: s.code,
                school_name: s.name,
                published_at: at,
            });
        }
    }
    Ok(out)
}

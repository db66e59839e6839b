//! Rules of cases: checking a case against the officer's jurisdiction, CSV import (all or nothing,
//! every bad line listed), the analysis of a unit and period, streaks, KPIs, briefings and the
//! Campus Without Fraud ranking.
//!
//! This is the use-case layer of the module: each action takes the acting principal (and the
//! audit actor where it audits) with parsed input, owns its transaction and returns
//! [`CaseError`]; pages and API parse, call one of these, and render.

use crate::kernel::ids::{CaseId, StudentId, UnitId};
mod access;
mod analysis;
mod awards;
mod briefings;
mod kpis;
pub use access::*;
pub use analysis::*;
pub use awards::*;
pub use briefings::*;
pub use kpis::*;

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};

use super::model::*;
use super::store::{self, Kpi, Window};
use crate::audit::{self, Actor, Event};
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action, Target};
use crate::clock::Clock;
use crate::db::{Db, DbError};
use crate::error::Msg;
use crate::org::model::{Gender, Unit, UnitKind};
use crate::org::store as org_store;

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The input is wrong; every problem is listed.
    #[error("refused")]
    Refused(Vec<Msg>),
    /// Absent, or outside every scope of the caller (so its existence does not leak).
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// A malformed query (paging, year).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// One problem with the request, said by its key alone.
    #[error("unprocessable: {0}")]
    Unprocessable(&'static str),
    /// A stored value the code cannot read.
    #[error("corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<crate::audit::Denied> for CaseError {
    fn from(e: crate::audit::Denied) -> Self {
        use crate::audit::Denied;
        match e {
            Denied::Forbidden => CaseError::Forbidden,
            Denied::NotFound => CaseError::NotFound,
            Denied::Db(e) => CaseError::Db(e),
        }
    }
}

impl From<CaseError> for crate::error::AppError {
    fn from(e: CaseError) -> Self {
        use crate::error::AppError;
        match e {
            CaseError::Refused(msgs) => {
                let mut err = AppError::unprocessable("cases-err-refused");
                if msgs.len() == 1 && msgs[0].key != "cases-err-line" {
                    err.msg = msgs[0].clone();
                }
                err.details(msgs)
            }
            CaseError::NotFound => AppError::not_found(),
            CaseError::Forbidden => AppError::forbidden(),
            CaseError::BadRequest(key) => AppError::bad_request(key),
            CaseError::Unprocessable(key) => AppError::unprocessable(key),
            CaseError::Corrupt(what) => {
                tracing::error!(what = %what, "cases: corrupt stored value");
                AppError::internal()
            }
            CaseError::Db(d) => AppError::from(d),
        }
    }
}

impl From<sqlx::Error> for CaseError {
    fn from(e: sqlx::Error) -> Self {
        CaseError::Db(e.into())
    }
}

pub fn refuse(key: &str) -> CaseError {
    CaseError::Refused(vec![Msg::new(key)])
}

/// Longest narrative kept (characters).
pub const MAX_NARRATIVE: usize = 4000;
/// Most awardees a province may select in a year.
pub const MAX_AWARDS: usize = 10;

/// Checks a case input against the tree and the caller's jurisdiction. Problems are collected as
/// messages (with `line` when importing) rather than stopping at the first.
pub async fn check_case(
    db: &Db,
    p: &Principal,
    input: &CaseInput,
    now: i64,
    line: Option<u64>,
) -> Result<ValidCase, CaseError> {
    let mut errs: Vec<Msg> = Vec::new();
    // On an import line the problem travels as a key; the web layer renders it in the reader's
    // language inside "line N: …".
    let err = |key: &str| match line {
        Some(l) => Msg::new("cases-err-line")
            .arg("line", l)
            .arg_msg("problem", Msg::new(key)),
        None => Msg::new(key),
    };
    // Resolve the unit and its school; an unknown unit and one outside the jurisdiction read the
    // same, so codes outside it are not revealed.
    let unit = org_store::unit_by_code(db, input.unit.trim()).await?;
    let unit = match unit {
        Some(u)
            if matches!(
                u.kind,
                UnitKind::School | UnitKind::College | UnitKind::Class
            ) && policy::allows(p, Action::ManageCases, &Target::Unit(&u.path)) =>
        {
            Some(u)
        }
        _ => {
            errs.push(err("cases-err-unit"));
            None
        }
    };
    let school = match &unit {
        Some(u) => org_store::school_of(db, u).await?,
        None => None,
    };
    let fraud_type = input
        .fraud_type
        .trim()
        .parse::<fanzha_detect::FraudType>()
        .ok()
        .filter(|t| t.is_fraud());
    if fraud_type.is_none() {
        errs.push(err("cases-err-fraud-type"));
    }
    let channel = Channel::parse(&input.channel);
    if channel.is_none() {
        errs.push(err("cases-err-channel"));
    }
    let occurred_at = parse_local_time(&input.occurred_at, p.time_zone);
    match occurred_at {
        None => errs.push(err("cases-err-time")),
        Some(t) if t > now => errs.push(err("cases-err-future")),
        _ => {}
    }
    let lost = Money::parse_or_zero(&input.amount_lost);
    let recovered = Money::parse_or_zero(&input.amount_recovered);
    if lost.is_none() || recovered.is_none() {
        errs.push(err("cases-err-amount"));
    }
    if let (Some(l), Some(r)) = (lost, recovered) {
        if r > l {
            errs.push(err("cases-err-recovered"));
        }
    }
    let status = CaseStatus::parse(&input.status);
    if status.is_none() {
        errs.push(err("cases-err-status"));
    }
    let narrative = match crate::text::multiline(&input.narrative) {
        Ok(t) => t.to_string(),
        Err(e) => {
            errs.push(err(e.key()));
            String::new()
        }
    };
    if narrative.chars().count() > MAX_NARRATIVE {
        errs.push(err("cases-err-narrative"));
    }
    let mut indicators = Vec::new();
    for i in &input.indicators {
        match fanzha_detect::canonicalize(i.kind.trim(), &i.value) {
            Ok(v) => indicators.push((i.kind.trim().to_string(), v)),
            Err(_) => errs.push(err("cases-err-indicator")),
        }
    }
    indicators.sort();
    indicators.dedup();
    let (person_role, lent_account) =
        match crate::mules::model::parse_case_role(&input.person_role, &input.lent_account) {
            Ok(r) => r,
            Err(ms) => {
                errs.extend(ms.into_iter().map(|m| {
                    match line {
                        Some(l) => Msg::new("cases-err-line")
                            .arg("line", l)
                            .arg_msg("problem", m),
                        None => m,
                    }
                }));
                Default::default()
            }
        };
    // The victim: a linked student or staff member, or a described profile.
    let mut victim = (
        None::<StudentId>,
        None::<i64>,
        VictimRole::Other,
        None::<i64>,
        None::<String>,
        None::<String>,
    );
    let mut victim_unit: Option<(UnitId, String)> = None;
    if let Some(school) = &school {
        let sno = input.student_no.trim();
        let tno = input.staff_no.trim();
        if !sno.is_empty() {
            match crate::org::store::people::student_in_school(db, school.id, sno).await? {
                Some((id, class_id, class_path, year, major, gender))
                    if unit
                        .as_ref()
                        .is_some_and(|u| class_path.starts_with(&u.path)) =>
                {
                    victim = (
                        Some(id),
                        None,
                        VictimRole::Student,
                        Some(year),
                        Some(major),
                        Some(gender),
                    );
                    victim_unit = Some((class_id, class_path));
                }
                _ => errs.push(err("cases-err-student")),
            }
        } else if !tno.is_empty() {
            match crate::org::store::people::staff_in_org(db, school.id, tno).await? {
                Some((id, unit_id, path))
                    if unit.as_ref().is_some_and(|u| path.starts_with(&u.path)) =>
                {
                    victim = (None, Some(id), VictimRole::Staff, None, None, None);
                    victim_unit = Some((unit_id, path));
                }
                _ => errs.push(err("cases-err-staff")),
            }
        } else {
            match VictimRole::parse(&input.victim_role) {
                Some(role) => victim.2 = role,
                None => errs.push(err("cases-err-role")),
            }
            let y = input.enroll_year.trim();
            if !y.is_empty() {
                match y.parse::<i64>() {
                    Ok(y) if (1950..=2100).contains(&y) => victim.3 = Some(y),
                    _ => errs.push(err("cases-err-year")),
                }
            }
            match crate::text::name(&input.major) {
                Ok("") => {}
                Ok(m) => victim.4 = Some(m.chars().take(100).collect()),
                Err(e) => errs.push(err(e.key())),
            }
            match Gender::parse(&input.gender) {
                Some(Gender::Unknown) => {}
                Some(g) => victim.5 = Some(g.as_str().to_string()),
                None => errs.push(err("cases-err-gender")),
            }
        }
    }
    if !errs.is_empty() {
        return Err(CaseError::Refused(errs));
    }
    let (
        Some(unit),
        Some(school),
        Some(fraud_type),
        Some(channel),
        Some(occurred_at),
        Some(lost),
        Some(recovered),
        Some(status),
    ) = (
        unit,
        school,
        fraud_type,
        channel,
        occurred_at,
        lost,
        recovered,
        status,
    )
    else {
        return Err(refuse("cases-err-unit"));
    };
    let (unit_id, unit_path) = victim_unit.unwrap_or((unit.id, unit.path.clone()));
    Ok(ValidCase {
        school_id: school.id,
        unit_id,
        unit_path,
        victim_student_id: victim.0,
        victim_staff_id: victim.1,
        victim_role: victim.2,
        victim_enroll_year: victim.3,
        victim_major: victim.4,
        victim_gender: victim.5,
        fraud_type,
        channel,
        occurred_at,
        amount_lost: lost,
        amount_recovered: recovered,
        status,
        narrative,
        indicators,
        person_role,
        lent_account,
    })
}

/// Records a case; audited.
pub async fn create_case(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    input: &CaseInput,
) -> Result<CaseId, CaseError> {
    let now = clock.now_ms();
    let c = check_case(db, p, input, now, None).await?;
    let mut tx = db.begin_write().await?;
    let id = store::insert_case(&mut tx, &c, None, p.account_id, now).await?;
    record_indicators(&mut tx, clock, actor, id, &c).await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "case.create",
            target_kind: "case",
            target_id: id.to_string(),
            unit_path: c.unit_path.clone(),
            detail: serde_json::json!({"fraud_type": c.fraud_type.id(), "lost_cents": c.amount_lost.cents()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The indicators of a case become police-confirmed in the indicator store (with the case's
/// fraud type and `case:<id>` as their source), in the case's transaction.
async fn record_indicators(
    tx: &mut sqlx::AnyConnection,
    clock: &Clock,
    actor: &Actor,
    case_id: CaseId,
    c: &ValidCase,
) -> Result<(), CaseError> {
    let by = crate::intel::service::By {
        actor: actor.clone(),
        unit_path: c.unit_path.clone(),
    };
    let source = format!("case:{case_id}");
    for (kind, value) in &c.indicators {
        crate::intel::service::confirm(tx, clock, &by, kind, value, &[c.fraud_type], &source)
            .await
            .map_err(|e| match e {
                crate::intel::service::IntelError::Db(e) => CaseError::Db(e),
                _ => refuse("cases-err-indicator"),
            })?;
    }
    Ok(())
}

/// Changes a case; the officer must hold its current and its new unit. Audited.
pub async fn update_case(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    old: &Case,
    input: &CaseInput,
) -> Result<(), CaseError> {
    if !policy::allows(p, Action::ManageCases, &Target::Unit(&old.unit_path)) {
        return Err(refuse("cases-err-unit"));
    }
    let now = clock.now_ms();
    let c = check_case(db, p, input, now, None).await?;
    let mut tx = db.begin_write().await?;
    store::update_case(&mut tx, old, &c, now).await?;
    record_indicators(&mut tx, clock, actor, old.id, &c).await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "case.update",
            target_kind: "case",
            target_id: old.id.to_string(),
            unit_path: c.unit_path.clone(),
            detail: serde_json::json!({"fraud_type": c.fraud_type.id(), "status": c.status.as_str()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Column names of the import file (Chinese or the API field names).
fn column(h: &str) -> Option<&'static str> {
    Some(
        match h
            .trim()
            .trim_start_matches('\u{feff}')
            .to_ascii_lowercase()
            .as_str()
        {
            "unit" | "单位代码" | "学校代码" => "unit",
            "student_no" | "学号" => "student_no",
            "staff_no" | "工号" => "staff_no",
            "victim_role" | "身份" => "victim_role",
            "enroll_year" | "入学年份" | "年级" => "enroll_year",
            "major" | "专业" => "major",
            "gender" | "性别" => "gender",
            "fraud_type" | "诈骗类型" => "fraud_type",
            "channel" | "接触渠道" | "渠道" => "channel",
            "occurred_at" | "发案时间" => "occurred_at",
            "amount_lost" | "损失金额" => "amount_lost",
            "amount_recovered" | "挽回金额" => "amount_recovered",
            "status" | "状态" => "status",
            "narrative" | "简要案情" => "narrative",
            "indicators" | "涉案线索" => "indicators",
            "person_role" | "涉案身份" => "person_role",
            "lent_account" | "出借账户" => "lent_account",
            _ => return None,
        },
    )
}

/// Parses an import file into inputs with their line numbers.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<(u64, CaseInput)>, CaseError> {
    let text = crate::org::roster::decode(bytes).map_err(|e| CaseError::Refused(e.errors))?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|_| refuse("cases-err-csv"))?.clone();
    let cols: Vec<Option<&'static str>> = headers.iter().map(column).collect();
    for required in [
        "unit",
        "fraud_type",
        "channel",
        "occurred_at",
        "amount_lost",
    ] {
        if !cols.contains(&Some(required)) {
            return Err(CaseError::Refused(vec![
                Msg::new("cases-err-csv-column").arg("column", required)
            ]));
        }
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|_| refuse("cases-err-csv"))?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        let mut c = CaseInput::default();
        for (i, v) in rec.iter().enumerate() {
            let v = v.to_string();
            match cols.get(i).copied().flatten() {
                Some("unit") => c.unit = v,
                Some("student_no") => c.student_no = v,
                Some("staff_no") => c.staff_no = v,
                Some("victim_role") => c.victim_role = v,
                Some("enroll_year") => c.enroll_year = v,
                Some("major") => c.major = v,
                Some("gender") => c.gender = v,
                Some("fraud_type") => c.fraud_type = fraud_type_id(&v),
                Some("channel") => c.channel = v,
                Some("occurred_at") => c.occurred_at = v,
                Some("amount_lost") => c.amount_lost = v,
                Some("amount_recovered") => c.amount_recovered = v,
                Some("status") => c.status = v,
                Some("narrative") => c.narrative = v,
                Some("indicators") => c.indicators = parse_indicator_list(&v),
                Some("person_role") => c.person_role = v,
                Some("lent_account") => c.lent_account = v,
                _ => {}
            }
        }
        out.push((line, c));
    }
    if out.is_empty() {
        return Err(refuse("cases-err-csv-empty"));
    }
    Ok(out)
}

/// Accepts a fraud type id or its Chinese name.
fn fraud_type_id(s: &str) -> String {
    let s = s.trim();
    fanzha_detect::FraudType::ALL
        .into_iter()
        .find(|t| t.name_zh() == s)
        .map_or_else(|| s.to_string(), |t| t.id().to_string())
}

/// Imports historical cases: all lines are checked first; one bad line refuses the whole file and
/// every bad line is listed. Returns the number of cases recorded.
pub async fn import_cases(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    bytes: &[u8],
) -> Result<usize, CaseError> {
    let rows = parse_csv(bytes)?;
    let now = clock.now_ms();
    let mut valid = Vec::with_capacity(rows.len());
    let mut errs = Vec::new();
    for (line, input) in &rows {
        match check_case(db, p, input, now, Some(*line)).await {
            Ok(c) => valid.push(c),
            Err(CaseError::Refused(mut e)) => errs.append(&mut e),
            Err(e) => return Err(e),
        }
    }
    if !errs.is_empty() {
        return Err(CaseError::Refused(errs));
    }
    let mut tx = db.begin_write().await?;
    for c in &valid {
        let id = store::insert_case(&mut tx, c, None, p.account_id, now).await?;
        record_indicators(&mut tx, clock, actor, id, c).await?;
    }
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "case.import",
            target_kind: "case",
            target_id: String::new(),
            unit_path: valid
                .first()
                .map(|c| c.unit_path.clone())
                .unwrap_or_default(),
            detail: serde_json::json!({"cases": valid.len()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(valid.len())
}

// ---- Scope of a unit for analysis ----

/// The paths a unit's figures cover: a police station covers its jurisdiction's schools; any other
/// unit covers its own subtree.
pub async fn unit_paths(db: &Db, unit: &Unit) -> Result<Vec<String>, CaseError> {
    Ok(if unit.kind == UnitKind::PoliceStation {
        org_store::jurisdiction_schools(db, unit.id)
            .await?
            .into_iter()
            .map(|s| s.path)
            .collect()
    } else {
        vec![unit.path.clone()]
    })
}

/// May `p` see the cases of `unit`? Police see their station's jurisdiction through the station.
pub fn may_view(p: &Principal, unit: &Unit) -> bool {
    policy::allows(p, Action::ViewCases, &Target::Unit(&unit.path))
}

/// The default unit of a caller: the root of its first grant that may view cases.
pub async fn default_unit(db: &Db, p: &Principal) -> Result<Option<Unit>, CaseError> {
    for g in &p.grants {
        if policy::role_allows(g.role, Action::ViewCases) {
            if let Some(u) = org_store::unit_by_id(db, g.unit_id).await? {
                return Ok(Some(u));
            }
        }
    }
    Ok(None)
}

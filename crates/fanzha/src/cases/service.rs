//! Rules of cases: checking a case against the officer's jurisdiction, CSV import (all or nothing,
//! every bad line listed), the analysis of a unit and period, streaks, KPIs, briefings and the
//! Campus Without Fraud ranking.

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
    #[error(transparent)]
    Db(#[from] DbError),
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
        None::<i64>,
        None::<i64>,
        VictimRole::Other,
        None::<i64>,
        None::<String>,
        None::<String>,
    );
    let mut victim_unit: Option<(i64, String)> = None;
    if let Some(school) = &school {
        let sno = input.student_no.trim();
        let tno = input.staff_no.trim();
        if !sno.is_empty() {
            match store::student_in_school(db, school.id, sno).await? {
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
            match store::staff_in_org(db, school.id, tno).await? {
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
) -> Result<i64, CaseError> {
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
    case_id: i64,
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

// ---- Analysis ----

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Bucket {
    pub key: String,
    pub cases: i64,
    pub lost_cents: i64,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Streak {
    pub unit_code: String,
    pub unit_name: String,
    /// Local date of the last case (YYYY-MM-DD).
    pub last_case_day: Option<String>,
    /// Whole months since the last case (None when no case is on record).
    pub months_without_case: Option<i64>,
    pub days_without_case: Option<i64>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Analysis {
    /// The zone whose days, hours, weekdays and months the figures count: always
    /// "Asia/Shanghai" (China Standard Time), whatever the caller's own zone.
    pub time_zone: String,
    pub unit_code: String,
    pub unit_name: String,
    pub from: String,
    pub to: String,
    pub cases: i64,
    pub lost_cents: i64,
    pub recovered_cents: i64,
    pub prev_cases: i64,
    pub prev_lost_cents: i64,
    /// Percent change of cases against the same period a year earlier (None when it had none).
    pub yoy_cases_pct: Option<f64>,
    pub yoy_lost_pct: Option<f64>,
    pub by_fraud_type: Vec<Bucket>,
    pub by_channel: Vec<Bucket>,
    pub by_grade: Vec<Bucket>,
    pub by_major: Vec<Bucket>,
    pub by_gender: Vec<Bucket>,
    pub by_role: Vec<Bucket>,
    /// 24 buckets, hour 0–23 of China Standard Time.
    pub by_hour: Vec<Bucket>,
    /// 7 buckets, Monday first (days of China Standard Time).
    pub by_weekday: Vec<Bucket>,
    /// One bucket per month of the period ("YYYY-MM"), with the same month a year earlier.
    pub months: Vec<MonthPoint>,
    pub streaks: Vec<Streak>,
    /// Suspects of 帮信 / 两卡 (cases whose person lent an account), counted apart from the
    /// victims above; and in the same period a year earlier.
    pub suspects: i64,
    pub prev_suspects: i64,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MonthPoint {
    pub month: String,
    pub cases: i64,
    pub lost_cents: i64,
    pub prev_year_cases: i64,
}

/// Percent change from `prev` to `cur`, one decimal; None when `prev` is zero.
pub fn pct_change(cur: i64, prev: i64) -> Option<f64> {
    (prev != 0).then(|| ((cur - prev) as f64 * 1000.0 / prev as f64).round() / 10.0)
}

/// Whole calendar months from `last` to `today` (a month is complete on the same day-of-month).
pub fn months_between(last: NaiveDate, today: NaiveDate) -> i64 {
    let m = (today.year() as i64 * 12 + today.month() as i64)
        - (last.year() as i64 * 12 + last.month() as i64);
    (if today.day() < last.day() { m - 1 } else { m }).max(0)
}

/// Sums of one analysis window: per (dim, key) and per month of the `total` dimension.
#[derive(Default)]
struct Agg {
    groups: HashMap<(String, String), (i64, i64, i64)>,
    months: BTreeMap<i64, (i64, i64)>,
}

impl Agg {
    fn add(&mut self, month: i64, dim: &str, key: &str, cases: i64, lost: i64, recovered: i64) {
        let g = self
            .groups
            .entry((dim.to_string(), key.to_string()))
            .or_default();
        g.0 += cases;
        g.1 += lost;
        g.2 += recovered;
        if dim == "total" {
            let m = self.months.entry(month).or_default();
            m.0 += cases;
            m.1 += lost;
        }
    }
    fn add_facts(&mut self, f: &store::Facts) {
        let month = f.month();
        for (dim, key) in f.keys() {
            self.add(month, dim, &key, 1, f.lost, f.recovered);
        }
    }
    fn total(&self) -> (i64, i64, i64) {
        self.groups
            .get(&("total".to_string(), String::new()))
            .copied()
            .unwrap_or_default()
    }
    /// Buckets of a dimension, most cases first (then by key), without empty ones.
    fn buckets(&self, dim: &str) -> Vec<Bucket> {
        let mut v: Vec<Bucket> = self
            .groups
            .iter()
            .filter(|((d, _), (n, _, _))| d == dim && *n > 0)
            .map(|((_, k), (n, l, _))| Bucket {
                key: k.clone(),
                cases: *n,
                lost_cents: *l,
            })
            .collect();
        v.sort_by(|a, b| b.cases.cmp(&a.cases).then(a.key.cmp(&b.key)));
        v
    }
}

/// Which summary rows a unit's figures are made of: the schools of a station's jurisdiction, or the
/// unit's own rows (schools, cities, provinces); `None` below school level (colleges, classes),
/// where the cases are read.
async fn summary_schools(db: &Db, unit: &Unit) -> Result<Option<Vec<i64>>, CaseError> {
    Ok(match unit.kind {
        UnitKind::School => Some(vec![unit.id]),
        UnitKind::PoliceStation => Some(
            org_store::jurisdiction_schools(db, unit.id)
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect(),
        ),
        // Cities and provinces have summary rows of their own.
        UnitKind::Province | UnitKind::City => Some(vec![unit.id]),
        UnitKind::College | UnitKind::Class => None,
    })
}

/// Sums the local dates `[from, to]`: whole months from the monthly summary, the partial months at
/// either end (and everything below school level) from the cases themselves.
async fn aggregate(
    db: &Db,
    paths: &[String],
    schools: Option<&[i64]>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Agg, CaseError> {
    let mut agg = Agg::default();
    let raw = |a: NaiveDate, b: NaiveDate| Window {
        paths: paths.to_vec(),
        from: ms_of_date(a),
        to: ms_of_date(b) + DAY_MS,
    };
    let Some(schools) = schools else {
        for f in store::facts(db, &raw(from, to)).await? {
            agg.add_facts(&f);
        }
        return Ok(agg);
    };
    // The first whole month at or after `from`, the last whole month at or before `to`.
    let first_full = if from.day() == 1 {
        Month::of(from)
    } else {
        Month::of(from).next()
    };
    let last_full = {
        let m = Month::of(to);
        if to.succ_opt().is_some_and(|d| d.day() == 1) {
            Some(m)
        } else if m.month == 1 {
            Some(Month {
                year: m.year - 1,
                month: 12,
            })
        } else {
            Some(Month {
                year: m.year,
                month: m.month - 1,
            })
        }
    };
    match last_full.filter(|l| *l >= first_full) {
        Some(last) => {
            for (m, dim, key, n, l, r) in
                store::monthly(db, schools, first_full.index(), last.index()).await?
            {
                agg.add(m, &dim, &key, n, l, r);
            }
            if from < first_full.first_day() {
                let end = first_full.first_day().pred_opt().unwrap_or(from);
                add_days(db, &mut agg, schools, from, end).await?;
            }
            let after = last.next().first_day();
            if after <= to {
                add_days(db, &mut agg, schools, after, to).await?;
            }
        }
        None => {
            // Within at most two calendar months: day by day.
            let mut a = from;
            while a <= to {
                let month_end = Month::of(a).next().first_day().pred_opt().unwrap_or(a);
                let b = month_end.min(to);
                add_days(db, &mut agg, schools, a, b).await?;
                a = b.succ_opt().unwrap_or(to);
                if b == to {
                    break;
                }
            }
        }
    }
    Ok(agg)
}

/// Adds the daily summary of local dates `[a, b]` (within one month) to `agg`.
async fn add_days(
    db: &Db,
    agg: &mut Agg,
    schools: &[i64],
    a: NaiveDate,
    b: NaiveDate,
) -> Result<(), CaseError> {
    let month = Month::of(a).index();
    for (dim, key, n, l, r) in
        store::daily_dims(db, schools, day_of_date(a), day_of_date(b)).await?
    {
        agg.add(month, &dim, &key, n, l, r);
    }
    Ok(())
}

/// The analysis of `unit` for local dates `[from, to]` (inclusive), seen at `now`.
pub async fn analyse(
    db: &Db,
    unit: &Unit,
    from: NaiveDate,
    to: NaiveDate,
    now: i64,
) -> Result<Analysis, CaseError> {
    let paths = unit_paths(db, unit).await?;
    let schools = summary_schools(db, unit).await?;
    let cur = aggregate(db, &paths, schools.as_deref(), from, to).await?;
    let prev = aggregate(
        db,
        &paths,
        schools.as_deref(),
        year_before(from),
        year_before(to),
    )
    .await?;
    let (cases, lost, recovered) = cur.total();
    let (prev_cases, prev_lost, _) = prev.total();
    let fixed = |dim: &str, n: usize| -> Vec<Bucket> {
        let got = cur.buckets(dim);
        (0..n)
            .map(|i| {
                let key = i.to_string();
                let b = got.iter().find(|b| b.key == key);
                Bucket {
                    cases: b.map_or(0, |b| b.cases),
                    lost_cents: b.map_or(0, |b| b.lost_cents),
                    key,
                }
            })
            .collect()
    };
    let mut months = Vec::new();
    let mut m = Month::of(from);
    while m <= Month::of(to) {
        let (n, l) = cur.months.get(&m.index()).copied().unwrap_or_default();
        let p = prev.months.get(&(m.index() - 12)).map_or(0, |p| p.0);
        months.push(MonthPoint {
            month: m.to_string(),
            cases: n,
            lost_cents: l,
            prev_year_cases: p,
        });
        m = m.next();
    }
    let mut suspects = [0, 0];
    for (i, (a, b)) in [(from, to), (year_before(from), year_before(to))]
        .into_iter()
        .enumerate()
    {
        let (a, b) = (ms_of_date(a), ms_of_date(b.succ_opt().unwrap_or(b)));
        for p in &paths {
            for (_, _, n) in store::suspects(db, p, a, b).await? {
                suspects[i] += n;
            }
        }
    }
    let mut by_grade = cur.buckets("grade");
    by_grade.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Analysis {
        suspects: suspects[0],
        prev_suspects: suspects[1],
        time_zone: STATS_TZ.name().to_string(),
        unit_code: unit.code.clone(),
        unit_name: unit.name.clone(),
        from: from.to_string(),
        to: to.to_string(),
        cases,
        lost_cents: lost,
        recovered_cents: recovered,
        prev_cases,
        prev_lost_cents: prev_lost,
        yoy_cases_pct: pct_change(cases, prev_cases),
        yoy_lost_pct: pct_change(lost, prev_lost),
        by_fraud_type: cur.buckets("fraud_type"),
        by_channel: cur.buckets("channel"),
        by_grade,
        by_major: cur.buckets("major"),
        by_gender: cur.buckets("gender"),
        by_role: cur.buckets("role"),
        by_hour: fixed("hour", 24),
        by_weekday: fixed("weekday", 7),
        months,
        streaks: streaks(db, unit, now).await?,
    })
}

/// Zero-case streaks of a unit and the units right below it (the schools of a station).
pub async fn streaks(db: &Db, unit: &Unit, now: i64) -> Result<Vec<Streak>, CaseError> {
    let mut units = vec![unit.clone()];
    let below = if unit.kind == UnitKind::PoliceStation {
        org_store::jurisdiction_schools(db, unit.id).await?
    } else {
        org_store::children(db, unit.id).await?
    };
    units.extend(below);
    let today = local_date(now);
    let mut out = Vec::new();
    for u in units {
        let last = last_case_day(db, &u, now).await?;
        out.push(streak_of(&u, last, today));
    }
    Ok(out)
}

/// The local date of the last case of a unit up to `now`: from the daily summary for schools and
/// above, from the cases below school level.
pub async fn last_case_day(db: &Db, unit: &Unit, now: i64) -> Result<Option<NaiveDate>, CaseError> {
    let schools = if matches!(unit.kind, UnitKind::Province | UnitKind::City) {
        Some(
            org_store::units_of_kind_in(db, &unit.path, UnitKind::School)
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect(),
        )
    } else {
        summary_schools(db, unit).await?
    };
    Ok(match schools {
        Some(schools) => store::last_day(db, &schools, local_day(now))
            .await?
            .map(date_of_day),
        None => store::last_case_at(db, &unit_paths(db, unit).await?, now)
            .await?
            .map(local_date),
    })
}

pub fn streak_of(u: &Unit, last: Option<NaiveDate>, today: NaiveDate) -> Streak {
    Streak {
        unit_code: u.code.clone(),
        unit_name: u.name.clone(),
        last_case_day: last.map(|d| d.to_string()),
        months_without_case: last.map(|d| months_between(d, today)),
        days_without_case: last.map(|d| (today - d).num_days()),
    }
}

// ---- KPIs ----

/// Parses KPI figures of one month; money in yuan.
pub fn parse_kpi(month: &str, figures: [&str; 5]) -> Result<Kpi, CaseError> {
    let m = Month::parse(month).ok_or_else(|| refuse("cases-err-month"))?;
    let count = |s: &str| -> Result<i64, CaseError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(0);
        }
        s.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| refuse("cases-err-kpi"))
    };
    let money = |s: &str| -> Result<i64, CaseError> {
        Money::parse_or_zero(s)
            .map(Money::cents)
            .ok_or_else(|| refuse("cases-err-kpi"))
    };
    Ok(Kpi {
        month: m.to_string(),
        cases_solved: count(figures[0])?,
        suspects_arrested: count(figures[1])?,
        funds_frozen_cents: money(figures[2])?,
        losses_avoided_cents: money(figures[3])?,
        funds_returned_cents: money(figures[4])?,
        student_suspects: 0,
    })
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct KpiYear {
    pub unit_code: String,
    pub year: i32,
    /// Solved cases, money frozen, losses avoided and money returned are derived from what the
    /// platform records (cases, stop-payment requests, dissuasion outcomes); arrests are entered.
    pub months: Vec<Kpi>,
    /// The year's totals up to `compared_months`.
    pub total: Kpi,
    /// The same months of the year before.
    pub prev_total: Kpi,
    /// How many months, from January, the comparison covers: 12 for a past year, the months so
    /// far (this one included) for the current year, so that like periods are compared.
    pub compared_months: u32,
    /// Percent change of each figure against the same months of the year before, in the order
    /// of the fields.
    pub yoy_pct: Vec<Option<f64>>,
}

/// KPI figures of `unit` per month ("YYYY-MM") of the local months in `[from, to)`: arrests from
/// the entered KPIs, the rest derived from the records.
async fn kpi_months(
    db: &Db,
    unit: &Unit,
    from: Month,
    to: Month,
) -> Result<HashMap<String, Kpi>, CaseError> {
    let mut out: HashMap<String, Kpi> = HashMap::new();
    let last = {
        let mut m = from;
        let mut last = from;
        while m < to {
            last = m;
            m = m.next();
        }
        last
    };
    for k in store::kpis(db, &unit.path, &from.to_string(), &last.to_string()).await? {
        out.entry(k.month.clone()).or_default().suspects_arrested = k.suspects_arrested;
    }
    let (a, b) = (ms_of_date(from.first_day()), ms_of_date(to.first_day()));
    let month_of = |ms: i64| Month::of(local_date(ms)).to_string();
    for path in unit_paths(db, unit).await? {
        let (solved, returned) = store::solved_and_returned(db, &path, a, b).await?;
        for at in solved {
            out.entry(month_of(at)).or_default().cases_solved += 1;
        }
        for at in store::suspects_recorded(db, &path, a, b).await? {
            out.entry(month_of(at)).or_default().student_suspects += 1;
        }
        for (at, c) in returned {
            out.entry(month_of(at)).or_default().funds_returned_cents += c;
        }
        for (at, c) in crate::reports::store::frozen_under(db, &path, a, b).await? {
            out.entry(month_of(at)).or_default().funds_frozen_cents += c;
        }
        for (at, c) in crate::warnings::store::protected_under(db, &path, a, b).await? {
            out.entry(month_of(at)).or_default().losses_avoided_cents += c;
        }
    }
    for (m, k) in out.iter_mut() {
        k.month = m.clone();
    }
    Ok(out)
}

/// The KPIs of `unit` for `year`, month by month, with the year-on-year change over like periods
/// (`today` decides how far the current year has gone).
pub async fn kpi_year(
    db: &Db,
    unit: &Unit,
    year: i32,
    today: NaiveDate,
) -> Result<KpiYear, CaseError> {
    let jan = |y: i32| Month { year: y, month: 1 };
    let by = kpi_months(db, unit, jan(year - 1), jan(year + 1)).await?;
    let month = |y: i32, m: u32| -> Kpi {
        let key = format!("{y:04}-{m:02}");
        by.get(&key).cloned().unwrap_or(Kpi {
            month: key,
            ..Kpi::default()
        })
    };
    let months: Vec<Kpi> = (1..=12).map(|m| month(year, m)).collect();
    let compared_months = if year < today.year() {
        12
    } else if year == today.year() {
        today.month()
    } else {
        0
    };
    let mut total = Kpi {
        month: year.to_string(),
        ..Kpi::default()
    };
    let mut prev_total = Kpi {
        month: (year - 1).to_string(),
        ..Kpi::default()
    };
    for m in 1..=compared_months {
        total.add(&month(year, m));
        prev_total.add(&month(year - 1, m));
    }
    let yoy_pct = vec![
        pct_change(total.cases_solved, prev_total.cases_solved),
        pct_change(total.suspects_arrested, prev_total.suspects_arrested),
        pct_change(total.funds_frozen_cents, prev_total.funds_frozen_cents),
        pct_change(total.losses_avoided_cents, prev_total.losses_avoided_cents),
        pct_change(total.funds_returned_cents, prev_total.funds_returned_cents),
        pct_change(total.student_suspects, prev_total.student_suspects),
    ];
    Ok(KpiYear {
        unit_code: unit.code.clone(),
        year,
        months,
        total,
        prev_total,
        compared_months,
        yoy_pct,
    })
}

// ---- Briefings ----

/// Saves the draft briefing of a station and month; typical cases must be cases of that month in
/// the station's jurisdiction.
#[allow(clippy::too_many_arguments)]
pub async fn save_briefing(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    by: i64,
    station: &Unit,
    month: &str,
    title: &str,
    advice: &str,
    case_ids: &[i64],
) -> Result<i64, CaseError> {
    if station.kind != UnitKind::PoliceStation {
        return Err(refuse("cases-err-station"));
    }
    let m = Month::parse(month).ok_or_else(|| refuse("cases-err-month"))?;
    if ms_of_date(m.first_day()) > clock.now_ms() {
        return Err(refuse("cases-err-month"));
    }
    let title = crate::text::name(title).map_err(|e| refuse(e.key()))?;
    if title.is_empty() || title.chars().count() > 200 || advice.chars().count() > 8000 {
        return Err(refuse("cases-err-briefing-text"));
    }
    let paths = unit_paths(db, station).await?;
    let (from, to) = (ms_of_date(m.first_day()), ms_of_date(m.next().first_day()));
    let mut ids = case_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in &ids {
        let ok = store::case_by_id(db, *id).await?.is_some_and(|c| {
            c.occurred_at >= from
                && c.occurred_at < to
                && paths.iter().any(|p| c.unit_path.starts_with(p.as_str()))
        });
        if !ok {
            return Err(CaseError::Refused(vec![Msg::new(
                "cases-err-briefing-case",
            )
            .arg("id", id)]));
        }
    }
    let id = store::save_briefing(
        db,
        station.id,
        &m.to_string(),
        title,
        advice.trim(),
        &ids,
        by,
        clock.now_ms(),
    )
    .await?
    .ok_or_else(|| refuse("cases-err-briefing-published"))?;
    audit::record(
        &db.pool,
        clock,
        actor,
        Event {
            action: "briefing.save",
            target_kind: "briefing",
            target_id: id.to_string(),
            unit_path: station.path.clone(),
            detail: serde_json::json!({"month": m.to_string(), "cases": ids.len()}),
        },
    )
    .await?;
    Ok(id)
}

/// Roles a published briefing reaches in each school of the station's jurisdiction.
pub const BRIEFING_ROLES: [Role; 2] = [Role::SchoolAdmin, Role::Counselor];

/// The job that tells every holder of a role in a school about a published briefing, each in the
/// language of their account (`accounts.locale`, zh-CN by default). Payload: `role`, `unit_id`,
/// `briefing_id`, `station`, `month`, `title`.
pub const NOTICE_JOB: &str = "cases.briefing_notice";

/// Registers the briefing notice job (called where the other modules register theirs).
pub fn register_jobs(reg: &mut crate::db::jobs::JobRegistry, db: Db, clock: Clock) {
    reg.register(NOTICE_JOB, move |job: crate::db::jobs::Job| {
        let (db, clock) = (db.clone(), clock.clone());
        async move {
            send_briefing_notice(&db, &clock, &job)
                .await
                .map_err(|e| e.to_string())
        }
    });
}

/// The inbox message about a published briefing, in `lang`.
pub fn briefing_notice(
    lang: crate::i18n::Lang,
    id: i64,
    station: &str,
    month: &str,
    title: &str,
) -> crate::inbox::Notice {
    let args = [
        ("station", station.to_string()),
        ("month", month.to_string()),
        ("title", title.to_string()),
    ];
    crate::inbox::Notice {
        kind: "briefing".into(),
        title: lang.ta("cases-briefing-notice-title", &args),
        body: lang.ta("cases-briefing-notice", &args),
        link: Some(format!("/cases/briefings/{id}")),
    }
}

async fn send_briefing_notice(
    db: &Db,
    clock: &Clock,
    job: &crate::db::jobs::Job,
) -> Result<(), String> {
    let p = &job.payload;
    let text = |k: &str| {
        p[k].as_str()
            .map(str::to_string)
            .ok_or(format!("payload without {k}"))
    };
    let (role, station, month, title) = (
        text("role")?,
        text("station")?,
        text("month")?,
        text("title")?,
    );
    let unit_id = p["unit_id"].as_i64().ok_or("payload without unit_id")?;
    let id = p["briefing_id"]
        .as_i64()
        .ok_or("payload without briefing_id")?;
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT DISTINCT r.account_id, a.locale FROM role_assignments r \
         JOIN units u ON u.id = r.unit_id JOIN accounts a ON a.id = r.account_id \
         WHERE r.role = $1 AND u.path LIKE (SELECT path FROM units WHERE id = $2) || '%'",
    )
    .bind(&role)
    .bind(unit_id)
    .fetch_all(&db.pool)
    .await
    .map_err(|e| e.to_string())?;
    let mut tx = db.begin_write().await.map_err(|e| e.to_string())?;
    // The job id is the source, so a retried job tells nobody twice.
    let source = format!("job:{}", job.id);
    for (account, locale) in rows {
        let lang = crate::i18n::Lang::from_code(&locale);
        let notice = briefing_notice(lang, id, &station, &month, &title);
        crate::inbox::notify_once(
            &mut *tx,
            clock,
            &crate::inbox::Recipient::Account(account),
            &notice,
            Some(&source),
        )
        .await
        .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    crate::inbox::bump();
    Ok(())
}

/// Publishes a draft and tells the admins and counselors of every school of the jurisdiction, by
/// fan-out jobs (deduplicated per briefing, role and school).
pub async fn publish_briefing(
    db: &Db,
    clock: &Clock,
    jobs: &crate::db::jobs::JobQueue,
    actor: &Actor,
    b: &store::Briefing,
    station: &Unit,
) -> Result<usize, CaseError> {
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    if !store::publish_briefing(&mut *tx, b.id, now).await? {
        return Err(refuse("cases-err-briefing-published"));
    }
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "briefing.publish",
            target_kind: "briefing",
            target_id: b.id.to_string(),
            unit_path: station.path.clone(),
            detail: serde_json::json!({"month": b.month}),
        },
    )
    .await?;
    let schools = org_store::jurisdiction_schools(db, station.id).await?;
    let mut n = 0;
    for s in &schools {
        for role in BRIEFING_ROLES {
            let job = crate::db::jobs::NewJob::new(
                NOTICE_JOB,
                serde_json::json!({
                    "role": role.as_str(),
                    "unit_id": s.id,
                    "briefing_id": b.id,
                    "station": station.name,
                    "month": b.month,
                    "title": b.title,
                }),
            )
            .dedup(format!("{NOTICE_JOB}:{}:{}:{}", b.id, role.as_str(), s.id));
            crate::db::jobs::enqueue_with(&mut *tx, clock, job).await?;
            n += 1;
        }
    }
    tx.commit().await?;
    let _ = jobs;
    Ok(n)
}

/// May `p` read briefing `b` of `station`? Case viewers of the station always; once published,
/// every staff member whose scope meets a school of the jurisdiction (admins, counselors).
pub async fn may_read_briefing(
    db: &Db,
    p: &Principal,
    b: &store::Briefing,
    station: &Unit,
) -> Result<bool, CaseError> {
    if may_view(p, station) {
        return Ok(true);
    }
    if b.status != "published" {
        return Ok(false);
    }
    let schools = org_store::jurisdiction_schools(db, station.id).await?;
    Ok(p.grants.iter().any(|g| {
        g.role.is_staff()
            && g.scope_paths.iter().any(|sp| {
                schools
                    .iter()
                    .any(|s| sp.starts_with(&s.path) || s.path.starts_with(sp.as_str()))
            })
    }))
}

/// Stations whose briefings `p` may find in the archive: stations in a case-viewing scope, and
/// stations covering a school the caller's staff roles reach.
pub async fn briefing_stations(db: &Db, p: &Principal) -> Result<Vec<Unit>, CaseError> {
    let mut out: Vec<Unit> = Vec::new();
    for g in &p.grants {
        if !g.role.is_staff() {
            continue;
        }
        for sp in &g.scope_paths {
            for st in org_store::units_of_kind_in(db, sp, UnitKind::PoliceStation).await? {
                if may_view(p, &st) && !out.iter().any(|o| o.id == st.id) {
                    out.push(st);
                }
            }
            // Stations over the school that contains or lies under this scope.
            let units = org_store::units_by_paths(db, std::slice::from_ref(sp)).await?;
            for u in units {
                let school = if u.kind == UnitKind::School {
                    Some(u)
                } else {
                    org_store::school_of(db, &u).await?
                };
                if let Some(school) = school {
                    for st in org_store::stations_of_school(db, school.id).await? {
                        if !out.iter().any(|o| o.id == st.id) {
                            out.push(st);
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

// ---- Campus Without Fraud ----

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RankRow {
    /// Competition rank ("1224") of the full table, by victims per 10,000 people (fewest first):
    /// schools with equal rates share a rank.
    pub rank: i64,
    /// Rank among the eligible schools (no victim all year) by their prevention figures: warnings
    /// acted on in time, then campaign reach, then reports per 10,000 people (most first; "no
    /// data" counts below any figure). Null for a school that is not eligible.
    pub award_rank: Option<i64>,
    pub school_id: i64,
    pub school_code: String,
    pub school_name: String,
    pub victims: i64,
    pub cases: i64,
    pub lost_cents: i64,
    pub students: i64,
    pub staff: i64,
    /// Victims per 10,000 students and staff, one decimal.
    pub victims_per_10k: f64,
    /// Warnings about the school's people created in the year and routed to someone.
    pub warnings_routed: i64,
    /// … of which acknowledged and contacted within their deadlines.
    pub warnings_in_time: i64,
    /// Share of those acted on in time, percent with one decimal; null when the school had no
    /// routed warning that year ("no data", not 0%).
    pub warnings_in_time_pct: Option<f64>,
    /// People addressed by the campaigns sent that year (inbox deliveries).
    pub campaign_audience: i64,
    /// … of whom acknowledged the campaign.
    pub campaign_acknowledged: i64,
    /// Campaign reach, acknowledged / audience in percent with one decimal; null when no campaign
    /// reached the school that year.
    pub campaign_reach_pct: Option<f64>,
    /// Reports filed by the school's students and staff that year.
    pub reports: i64,
    /// Suspects of 帮信 / 两卡 among the school's people in cases of that year.
    pub suspects: i64,
    /// No victim all year, and no more suspects than the province's rule allows (default none).
    pub eligible: bool,
    pub selected: bool,
    pub published: bool,
}

/// `part / whole` in percent with one decimal; `None` when `whole` is 0 (no data).
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// Schools of a province ranked by victims (fewest first) for a calendar year (of China Standard
/// Time), from the summary, with each school's prevention figures of that year: warnings acted on
/// in time, campaign reach, reports filed.
pub async fn ranking(db: &Db, province: &Unit, year: i32) -> Result<Vec<RankRow>, CaseError> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| refuse("cases-err-year"))?;
    let to = NaiveDate::from_ymd_opt(year + 1, 1, 1).ok_or_else(|| refuse("cases-err-year"))?;
    let sums: HashMap<i64, (i64, i64, i64)> =
        store::school_sums(db, &province.path, day_of_date(from), day_of_date(to))
            .await?
            .into_iter()
            .map(|(s, c, v, l)| (s, (c, v, l)))
            .collect();
    let awards: HashMap<i64, Option<i64>> = store::awards(db, province.id, year)
        .await?
        .into_iter()
        .collect();
    let schools = org_store::units_of_kind_in(db, &province.path, UnitKind::School).await?;
    let people = store::people_per_school(db, &province.path).await?;
    let paths: Vec<(i64, String)> = schools.iter().map(|s| (s.id, s.path.clone())).collect();
    let prevention =
        store::prevention(db, &province.path, &paths, ms_of_date(from), ms_of_date(to)).await?;
    let suspects = crate::mules::service::suspects_per_school(db, province, year).await?;
    let max_suspects = crate::mules::service::max_suspects(db, province).await?;
    let mut rows: Vec<RankRow> = schools
        .into_iter()
        .map(|s| {
            let (cases, victims, lost) = sums.get(&s.id).copied().unwrap_or((0, 0, 0));
            let (students, staff) = people.get(&s.id).copied().unwrap_or((0, 0));
            let people = students + staff;
            let pv = prevention.get(&s.id).copied().unwrap_or_default();
            let suspects = suspects.get(&s.id).copied().unwrap_or(0);
            RankRow {
                rank: 0,
                award_rank: None,
                school_id: s.id,
                school_code: s.code,
                school_name: s.name,
                victims,
                cases,
                lost_cents: lost,
                students,
                staff,
                victims_per_10k: if people > 0 {
                    (victims as f64 * 100_000.0 / people as f64).round() / 10.0
                } else {
                    0.0
                },
                warnings_routed: pv.warnings_routed,
                warnings_in_time: pv.warnings_in_time,
                warnings_in_time_pct: percent(pv.warnings_in_time, pv.warnings_routed),
                campaign_audience: pv.campaign_audience,
                campaign_acknowledged: pv.campaign_acknowledged,
                campaign_reach_pct: percent(pv.campaign_acknowledged, pv.campaign_audience),
                reports: pv.reports,
                suspects,
                eligible: victims == 0 && suspects <= max_suspects,
                selected: awards.contains_key(&s.id),
                published: awards.get(&s.id).is_some_and(|p| p.is_some()),
            }
        })
        .collect();
    rank_rows(&mut rows);
    Ok(rows)
}

/// Reports per 10,000 people of a row (0 for a school without people).
fn reports_per_10k(r: &RankRow) -> f64 {
    let people = r.students + r.staff;
    if people > 0 {
        r.reports as f64 * 10_000.0 / people as f64
    } else {
        0.0
    }
}

/// Orders the full table by victims per 10,000 people (then victims, losses, code) with
/// competition ranks, and numbers the eligible schools by their prevention figures.
pub fn rank_rows(rows: &mut [RankRow]) {
    rows.sort_by(|a, b| {
        a.victims_per_10k
            .total_cmp(&b.victims_per_10k)
            .then(a.victims.cmp(&b.victims))
            .then(a.lost_cents.cmp(&b.lost_cents))
            .then(a.school_code.cmp(&b.school_code))
    });
    let mut prev: Option<(f64, i64)> = None;
    let mut rank = 0;
    for (i, r) in rows.iter_mut().enumerate() {
        let key = (r.victims_per_10k, r.victims);
        if prev != Some(key) {
            rank = i as i64 + 1;
            prev = Some(key);
        }
        r.rank = rank;
    }
    // "No data" (None) sorts below every figure: -1 is below any percentage.
    let mut eligible: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].eligible).collect();
    eligible.sort_by(|&a, &b| {
        let (a, b) = (&rows[a], &rows[b]);
        let key = |r: &RankRow| {
            (
                r.warnings_in_time_pct.unwrap_or(-1.0),
                r.campaign_reach_pct.unwrap_or(-1.0),
                reports_per_10k(r),
            )
        };
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0)
            .then(kb.1.total_cmp(&ka.1))
            .then(kb.2.total_cmp(&ka.2))
            .then(a.school_code.cmp(&b.school_code))
    });
    for (n, i) in eligible.into_iter().enumerate() {
        rows[i].award_rank = Some(n as i64 + 1);
    }
}

/// Replaces the selection of awardees: at most [`MAX_AWARDS`], each an eligible school of the
/// province; not once the year's list is published.
// The inputs of one action, each used once; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub async fn select_awards(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    by: i64,
    rows: &[RankRow],
    province: &Unit,
    year: i32,
    codes: &[String],
) -> Result<usize, CaseError> {
    if rows.iter().any(|r| r.published) {
        return Err(refuse("cases-err-awards-published"));
    }
    let mut codes: Vec<&str> = codes
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    if codes.len() > MAX_AWARDS {
        return Err(CaseError::Refused(vec![Msg::new(
            "cases-err-awards-too-many",
        )
        .arg("n", MAX_AWARDS)]));
    }
    let mut ids = Vec::new();
    let mut errs = Vec::new();
    for c in &codes {
        match rows.iter().find(|r| r.school_code == *c) {
            Some(r) if r.eligible => ids.push(r.school_id),
            Some(_) => errs.push(Msg::new("cases-err-awards-not-eligible").arg("school", c)),
            None => errs.push(Msg::new("cases-err-awards-unknown").arg("school", c)),
        }
    }
    if !errs.is_empty() {
        return Err(CaseError::Refused(errs));
    }
    let mut tx = db.begin_write().await?;
    store::replace_awards(&mut tx, province.id, year, &ids, by, clock.now_ms()).await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "award.select",
            target_kind: "award",
            target_id: format!("{}:{year}", province.code),
            unit_path: province.path.clone(),
            detail: serde_json::json!({"schools": codes}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ids.len())
}

/// Publishes the year's selection; the year must be over.
pub async fn publish_awards(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    province: &Unit,
    year: i32,
) -> Result<u64, CaseError> {
    if local_date(clock.now_ms()).year() <= year {
        return Err(refuse("cases-err-awards-year-open"));
    }
    let mut tx = db.begin_write().await?;
    let n = store::publish_awards(&mut *tx, province.id, year, clock.now_ms()).await?;
    if n == 0 {
        return Err(refuse("cases-err-awards-none"));
    }
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "award.publish",
            target_kind: "award",
            target_id: format!("{}:{year}", province.code),
            unit_path: province.path.clone(),
            detail: serde_json::json!({"schools": n}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_change_and_months() {
        assert_eq!(pct_change(13, 40), Some(-67.5));
        assert_eq!(pct_change(3, 2), Some(50.0));
        assert_eq!(pct_change(3, 0), None);
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(months_between(d(2025, 1, 15), d(2025, 3, 14)), 1);
        assert_eq!(months_between(d(2025, 1, 15), d(2025, 3, 15)), 2);
        assert_eq!(months_between(d(2024, 12, 31), d(2025, 1, 1)), 0);
    }
}

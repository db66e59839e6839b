//! Cases (案件): police case records with the victim's profile, channel, losses and indicators;
//! their analysis (by type, channel, grade, major, gender, hour, weekday, month, year on year,
//! zero-case streaks); police KPIs; monthly briefings (案例通报) to schools; the yearly Campus
//! Without Fraud (无诈校园) ranking and awards; the case panel of the home pages. Pages and the JSON
//! API under `/api/v1/cases` share the service functions and the same scope checks.

pub mod api;
pub mod bench;
pub mod demo;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod svg;

pub use store::reads;

use chrono::{Datelike, NaiveDate};

use crate::audit::Actor;
use crate::auth::model::Principal;
use crate::clock::Clock;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::org::model::Unit;
use service::CaseError;

/// A unit and a period of local dates, from `unit`, `from` and `to` query values; defaults are the
/// caller's own unit and this year so far.
pub struct Period {
    pub unit: Unit,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// Unit code (school, college, class, police station, city, province); default: your own.
    pub unit: Option<String>,
    /// First local date, YYYY-MM-DD (default: 1 January of this year).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last local date, YYYY-MM-DD (default: today).
    #[param(format = Date)]
    pub to: Option<String>,
    /// Page of 100 cases (default 1).
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// Unit code (default: your own).
    pub unit: Option<String>,
    /// Year (default: this year).
    #[param(minimum = 1970, maximum = 9999)]
    pub year: Option<i32>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankQuery {
    /// Province code (default: your own).
    pub province: Option<String>,
    /// Year (default: last year).
    #[param(minimum = 1970, maximum = 9999)]
    pub year: Option<i32>,
}

/// What narrows a case list (the list page, its exports and the API list).
#[derive(serde::Deserialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseListQuery {
    /// A fraud type id (empty: any).
    pub fraud_type: Option<String>,
    /// open, solved or closed (empty: any).
    #[param(pattern = "^(open|solved|closed)?$")]
    pub status: Option<String>,
    /// Words in the narrative, or the victim's name (or part) or student number.
    #[param(max_length = 100)]
    pub q: Option<String>,
}

impl CaseListQuery {
    /// The store's filter, or the problem with the query (422).
    pub fn filter(&self) -> AppResult<store::CaseFilter> {
        let some = |o: &Option<String>| {
            o.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let fraud_type = match some(&self.fraud_type) {
            Some(t) => Some(
                t.parse::<fanzha_detect::FraudType>()
                    .ok()
                    .filter(|t| t.is_fraud())
                    .ok_or_else(|| AppError::bad_request("cases-err-fraud-type"))?
                    .id()
                    .to_string(),
            ),
            None => None,
        };
        let status = match some(&self.status) {
            Some(s) => Some(
                model::CaseStatus::from_stored(&s)
                    .ok_or_else(|| AppError::bad_request("cases-err-status"))?
                    .as_str()
                    .to_string(),
            ),
            None => None,
        };
        let search = self.q.as_deref().unwrap_or("").trim().to_string();
        if search.chars().count() > 100 {
            return Err(AppError::bad_request("err-search-too-long"));
        }
        Ok(store::CaseFilter {
            fraud_type,
            status,
            search,
        })
    }

    /// The filter as query-string pairs (for links that keep it).
    pub fn query(&self) -> String {
        let v = |o: &Option<String>| crate::text::urlencode(o.as_deref().unwrap_or(""));
        format!(
            "fraud_type={}&status={}&q={}",
            v(&self.fraud_type),
            v(&self.status),
            v(&self.q)
        )
    }
}

/// Resolves the unit and period of a request and checks the caller may view the unit's cases
/// (refusals audited; 404 outside every scope).
pub async fn period(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    q: &PeriodQuery,
) -> Result<Period, CaseError> {
    if q.page.is_some_and(|p| !(1..=10_000).contains(&p)) {
        return Err(CaseError::BadRequest("err-bad-paging"));
    }
    let unit = match q.unit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => crate::org::store::unit_by_code(db, code)
            .await?
            .ok_or(CaseError::NotFound)?,
        None => service::default_unit(db, p)
            .await?
            .ok_or(CaseError::Forbidden)?,
    };
    crate::audit::authorize(
        db,
        clock,
        p,
        actor,
        crate::auth::policy::Action::ViewCases,
        crate::auth::policy::Target::Unit(&unit.path),
    )
    .await?;
    let today = model::date_in(clock.now_ms(), p.time_zone);
    let parse = |s: &Option<String>, default: NaiveDate| -> Result<NaiveDate, CaseError> {
        match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => model::parse_date(s).ok_or(CaseError::Unprocessable("cases-err-date")),
        }
    };
    let from = parse(
        &q.from,
        NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
    )?;
    let to = parse(&q.to, today)?;
    if from > to || (to - from).num_days() > 366 * 5 {
        return Err(CaseError::Unprocessable("cases-err-period"));
    }
    Ok(Period { unit, from, to })
}

//! The province dashboard on a province admin's home page: the trend of cases and losses over the
//! last twelve months against the year before, warnings acted on in time and campaign reach by
//! city and by school this year, each school's zero-case streak, and the head of last year's
//! Campus Without Fraud ranking. Charts are inline SVG drawn here (see [`crate::cases::svg`]).

use std::collections::HashMap;

use askama::Template;
use chrono::Datelike;

use super::{streak_text, yoy_text};
use crate::auth::model::Role;
use crate::cases::model::*;
use crate::cases::service::{self, percent, RankRow};
use crate::cases::svg;
use crate::org::model::{Unit, UnitKind};
use crate::org::store as org_store;
use crate::web::context::User;
use crate::web::error::AppResult;
use crate::web::layout::PageCtx;
use crate::web::AppState;

/// Warnings and reach of one city or school.
pub struct Prevention {
    pub name: String,
    pub warnings: String,
    pub reach: String,
    pub warnings_pct: Option<f64>,
    pub reach_pct: Option<f64>,
}

#[derive(Template)]
#[template(path = "cases/dashboard.html")]
struct Dashboard<'a> {
    ctx: &'a PageCtx,
    province: Unit,
    year: i32,
    cases: i64,
    lost: String,
    yoy_cases: String,
    yoy_lost: String,
    trend_cases: String,
    trend_lost: String,
    months: Vec<(String, i64, String)>,
    cities: Vec<Prevention>,
    schools: Vec<Prevention>,
    city_chart: String,
    school_chart: String,
    streaks: Vec<(String, String, i64)>,
    eligible: Vec<RankRow>,
    eligible_count: usize,
    last_year: i32,
}

fn figure(ctx: &PageCtx, part: i64, whole: i64) -> (Option<f64>, String) {
    match percent(part, whole) {
        Some(p) => (Some(p), format!("{p:.1}% ({part}/{whole})")),
        None => (None, ctx.t("cases-no-data")),
    }
}

fn prevention(ctx: &PageCtx, name: String, w: (i64, i64), r: (i64, i64)) -> Prevention {
    let (warnings_pct, warnings) = figure(ctx, w.0, w.1);
    let (reach_pct, reach) = figure(ctx, r.0, r.1);
    Prevention {
        name,
        warnings,
        reach,
        warnings_pct,
        reach_pct,
    }
}

/// The dashboard for a caller holding the province admin role over a province; None otherwise.
pub async fn home_panel(st: &AppState, u: &User, ctx: &PageCtx) -> AppResult<Option<String>> {
    let Some(g) =
        u.p.grants
            .iter()
            .find(|g| g.role == Role::ProvinceAdmin && g.unit_kind == UnitKind::Province.as_str())
    else {
        return Ok(None);
    };
    let Some(province) = org_store::unit_by_id(&st.db, g.unit_id).await? else {
        return Ok(None);
    };
    let err = |e: crate::cases::service::CaseError| crate::error::AppError::from(e);
    let now = st.clock.now_ms();
    let today = local_date(now);
    // The last twelve months, this one included, against the same months a year earlier.
    let mut first = Month::of(today);
    for _ in 0..11 {
        first = if first.month == 1 {
            Month {
                year: first.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: first.year,
                month: first.month - 1,
            }
        };
    }
    let a = service::analyse(&st.db, &province, first.first_day(), today, now)
        .await
        .map_err(err)?;
    let labels: Vec<String> = a.months.iter().map(|m| m.month.clone()).collect();
    let cases: Vec<f64> = a.months.iter().map(|m| m.cases as f64).collect();
    let prev: Vec<f64> = a.months.iter().map(|m| m.prev_year_cases as f64).collect();
    let lost: Vec<f64> = a
        .months
        .iter()
        .map(|m| m.lost_cents as f64 / 100.0)
        .collect();
    let (n_cases, n_prev) = (ctx.t("cases-cases"), ctx.t("cases-prev-year"));
    let trend_cases = svg::months(
        "dash-trend-cases",
        &ctx.t("cases-dash-trend-cases"),
        &labels,
        &[
            svg::Line {
                name: &n_cases,
                values: &cases,
                class: "fz-svg-bar",
            },
            svg::Line {
                name: &n_prev,
                values: &prev,
                class: "fz-svg-line",
            },
        ],
    );
    let n_lost = ctx.t("cases-lost-yuan");
    let trend_lost = svg::months(
        "dash-trend-lost",
        &ctx.t("cases-dash-trend-lost"),
        &labels,
        &[svg::Line {
            name: &n_lost,
            values: &lost,
            class: "fz-svg-bar fz-svg-money",
        }],
    );
    let months = a
        .months
        .iter()
        .map(|m| (m.month.clone(), m.cases, yuan(m.lost_cents)))
        .collect();

    // Prevention this year, by school and summed by city.
    let year = today.year();
    let rows = service::ranking(&st.db, &province, year)
        .await
        .map_err(err)?;
    let school_units: HashMap<crate::kernel::ids::UnitId, Unit> =
        org_store::units_of_kind_in(&st.db, &province.path, UnitKind::School)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
    let cities_units = org_store::units_of_kind_in(&st.db, &province.path, UnitKind::City).await?;
    let mut cities = Vec::new();
    for c in &cities_units {
        let mut w = (0, 0);
        let mut r = (0, 0);
        for row in &rows {
            if school_units
                .get(&row.school_id)
                .is_some_and(|s| s.path.starts_with(&c.path))
            {
                w = (w.0 + row.warnings_in_time, w.1 + row.warnings_routed);
                r = (r.0 + row.campaign_acknowledged, r.1 + row.campaign_audience);
            }
        }
        cities.push(prevention(ctx, c.name.clone(), w, r));
    }
    let mut by_name: Vec<&RankRow> = rows.iter().collect();
    by_name.sort_by(|a, b| a.school_code.cmp(&b.school_code));
    let schools: Vec<Prevention> = by_name
        .iter()
        .map(|r| {
            prevention(
                ctx,
                r.school_name.clone(),
                (r.warnings_in_time, r.warnings_routed),
                (r.campaign_acknowledged, r.campaign_audience),
            )
        })
        .collect();
    let no_data = ctx.t("cases-no-data");
    let city_chart = svg::percent_bars(
        "dash-city-warnings",
        &ctx.t("cases-dash-city-warnings"),
        &cities
            .iter()
            .map(|c| (c.name.clone(), c.warnings_pct))
            .collect::<Vec<_>>(),
        &no_data,
    );
    let school_chart = svg::percent_bars(
        "dash-school-reach",
        &ctx.t("cases-dash-school-reach"),
        &schools
            .iter()
            .map(|s| (s.name.clone(), s.reach_pct))
            .collect::<Vec<_>>(),
        &no_data,
    );

    // Zero-case streaks, longest first; schools that never had a case on record first of all.
    let mut streaks = Vec::new();
    let mut sorted: Vec<&Unit> = school_units.values().collect();
    sorted.sort_by(|a, b| a.code.cmp(&b.code));
    for s in sorted {
        let last = service::last_case_day(&st.db, s, now).await.map_err(err)?;
        let st = service::streak_of(s, last, today);
        let days = st.days_without_case.unwrap_or(i64::MAX);
        streaks.push((s.name.clone(), streak_text(ctx, &st), days));
    }
    streaks.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));

    // Last year's ranking: the eligible schools by prevention.
    let last_year = year - 1;
    let mut eligible: Vec<RankRow> = service::ranking(&st.db, &province, last_year)
        .await
        .map_err(err)?
        .into_iter()
        .filter(|r| r.eligible)
        .collect();
    eligible.sort_by_key(|r| r.award_rank);
    let eligible_count = eligible.len();
    eligible.truncate(5);

    let html = Dashboard {
        ctx,
        year,
        cases: a.cases,
        lost: yuan(a.lost_cents),
        yoy_cases: yoy_text(ctx, a.yoy_cases_pct),
        yoy_lost: yoy_text(ctx, a.yoy_lost_pct),
        trend_cases,
        trend_lost,
        months,
        cities,
        schools,
        city_chart,
        school_chart,
        streaks,
        eligible,
        eligible_count,
        last_year,
        province,
    }
    .render()?;
    Ok(Some(html))
}

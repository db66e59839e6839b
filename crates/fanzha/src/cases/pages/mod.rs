//! Pages of cases: list, record and edit, CSV import, analysis with charts, KPIs, briefings
//! (archive, draft, printable page, publish), the Campus Without Fraud ranking, awards and
//! certificates, and the panel of the home page.

use crate::kernel::ids::CaseId;
mod analysis;
mod briefings;
pub mod dashboard;
mod home;
mod import;
mod kpis;
pub mod lists;
mod print;
mod ranking;
mod record;
use analysis::*;
pub use briefings::*;
pub use home::*;
use import::*;
use kpis::*;
pub use print::*;
use ranking::*;
pub use record::*;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use chrono::Datelike;
use serde::Deserialize;

use super::model::*;
use super::service::TypicalCase;
use super::service::{self, Analysis, Bucket, KpiYear, RankRow};
use super::store::{self, Briefing, Window};
use super::{period, KpiQuery, PeriodQuery, RankQuery};
use crate::auth::model::Role;
use crate::auth::policy::{self, Action, Target};
use crate::error::{AppError, AppResult};
use crate::org::model::{Unit, UnitKind};
use crate::org::store as org_store;
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases", get(list_page))
        .route("/cases/export.csv", get(lists::export_file))
        .route("/cases/export.xlsx", get(lists::export_file))
        .route("/cases/new", get(new_page).post(new_submit))
        .route("/cases/import", get(import_page).post(import_submit))
        .route("/cases/analysis", get(analysis_page))
        .route("/cases/kpis", get(kpi_page).post(kpi_submit))
        .route(
            "/cases/briefings",
            get(briefings_page).post(briefing_submit),
        )
        .route("/cases/briefings/{id}", get(briefing_page))
        .route("/cases/briefings/{id}/print", get(briefing_print_page))
        .route("/cases/briefings/{id}/publish", post(briefing_publish))
        .route("/cases/ranking", get(ranking_page))
        .route("/cases/ranking/select", post(ranking_select))
        .route("/cases/ranking/publish", post(ranking_publish))
        .route("/cases/awards/{province}/{year}", get(awards_page))
        .route(
            "/cases/awards/{province}/{year}/print",
            get(awards_print_page),
        )
        .route(
            "/cases/awards/{province}/{year}/{school}",
            get(certificate_page),
        )
        .route("/cases/{id}", get(case_page).post(case_submit))
}

fn bucket_label(ctx: &PageCtx, dim: &str, key: &str) -> String {
    match dim {
        "fraud_type" => ctx.fraud_type(key),
        "channel" | "gender" | "role" | "weekday" | "status" => {
            if key.is_empty() {
                ctx.t("cases-unknown")
            } else {
                ctx.t(&format!("cases-{dim}-{key}"))
            }
        }
        "hour" => format!("{key}:00"),
        _ if key.is_empty() => ctx.t("cases-unknown"),
        _ => key.to_string(),
    }
}

/// One chart for `fanzha-cases.js`: labels and series, drawn as bars, a pie or lines.
#[derive(serde::Serialize)]
pub struct Chart {
    pub id: String,
    pub kind: &'static str,
    pub title: String,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
}

#[derive(serde::Serialize)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// JSON for a `<script type="application/json">` block (no `<` so it cannot close the element).
pub fn json_block<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
}

fn bucket_chart(ctx: &PageCtx, id: &str, kind: &'static str, dim: &str, b: &[Bucket]) -> Chart {
    Chart {
        id: id.to_string(),
        kind,
        title: ctx.t(&format!("cases-by-{dim}")),
        labels: b.iter().map(|x| bucket_label(ctx, dim, &x.key)).collect(),
        series: vec![Series {
            name: ctx.t("cases-cases"),
            values: b.iter().map(|x| x.cases as f64).collect(),
        }],
    }
}

/// A table of a dimension for the page (and for print, where charts are not drawn).
pub struct Table {
    pub dim: String,
    pub title: String,
    pub rows: Vec<(String, i64, String)>,
}

fn table(ctx: &PageCtx, dim: &str, b: &[Bucket]) -> Table {
    Table {
        dim: dim.to_string(),
        title: ctx.t(&format!("cases-by-{dim}")),
        rows: b
            .iter()
            .filter(|x| x.cases > 0)
            .map(|x| (bucket_label(ctx, dim, &x.key), x.cases, yuan(x.lost_cents)))
            .collect(),
    }
}

/// "down 67.5%", "up 12%", "no change", or "no cases a year earlier".
pub fn yoy_text(ctx: &PageCtx, pct: Option<f64>) -> String {
    match pct {
        None => ctx.t("cases-yoy-none"),
        Some(p) if p < 0.0 => ctx.ta1("cases-yoy-down", "pct", &format!("{:.1}", -p)),
        Some(p) if p > 0.0 => ctx.ta1("cases-yoy-up", "pct", &format!("{p:.1}")),
        Some(_) => ctx.t("cases-yoy-same"),
    }
}

pub fn streak_text(ctx: &PageCtx, s: &service::Streak) -> String {
    match (s.months_without_case, s.days_without_case) {
        (None, _) => ctx.t("cases-streak-never"),
        (Some(m), _) if m >= 1 => ctx.ta1("cases-streak-months", "n", &m.to_string()),
        (_, Some(d)) => ctx.ta1("cases-streak-days", "n", &d.to_string()),
        _ => String::new(),
    }
}

/// The analysis as tables, charts and headline texts.
pub struct AnalysisView {
    pub a: Analysis,
    pub yoy_cases: String,
    pub yoy_lost: String,
    pub lost: String,
    pub recovered: String,
    pub tables: Vec<Table>,
    pub streaks: Vec<(String, String, String)>,
    pub charts_json: String,
}

pub fn analysis_view(ctx: &PageCtx, a: Analysis) -> AnalysisView {
    let weekday = a.by_weekday.clone();
    let months = Chart {
        id: "chart-months".into(),
        kind: "line",
        title: ctx.t("cases-by-month"),
        labels: a.months.iter().map(|m| m.month.clone()).collect(),
        series: vec![
            Series {
                name: ctx.t("cases-cases"),
                values: a.months.iter().map(|m| m.cases as f64).collect(),
            },
            Series {
                name: ctx.t("cases-prev-year"),
                values: a.months.iter().map(|m| m.prev_year_cases as f64).collect(),
            },
        ],
    };
    let charts = vec![
        months,
        bucket_chart(ctx, "chart-type", "bar", "fraud_type", &a.by_fraud_type),
        bucket_chart(ctx, "chart-channel", "pie", "channel", &a.by_channel),
        bucket_chart(ctx, "chart-hour", "bar", "hour", &a.by_hour),
        bucket_chart(ctx, "chart-weekday", "bar", "weekday", &weekday),
        bucket_chart(ctx, "chart-grade", "bar", "grade", &a.by_grade),
        bucket_chart(ctx, "chart-gender", "pie", "gender", &a.by_gender),
        bucket_chart(ctx, "chart-major", "bar", "major", &a.by_major),
    ];
    let tables = vec![
        table(ctx, "fraud_type", &a.by_fraud_type),
        table(ctx, "channel", &a.by_channel),
        table(ctx, "role", &a.by_role),
        table(ctx, "grade", &a.by_grade),
        table(ctx, "major", &a.by_major),
        table(ctx, "gender", &a.by_gender),
        table(ctx, "weekday", &weekday),
        table(ctx, "hour", &a.by_hour),
    ];
    let streaks = a
        .streaks
        .iter()
        .map(|s| {
            (
                s.unit_code.clone(),
                s.unit_name.clone(),
                streak_text(ctx, s),
            )
        })
        .collect();
    AnalysisView {
        yoy_cases: yoy_text(ctx, a.yoy_cases_pct),
        yoy_lost: yoy_text(ctx, a.yoy_lost_pct),
        lost: yuan(a.lost_cents),
        recovered: yuan(a.recovered_cents),
        tables,
        streaks,
        charts_json: json_block(&charts),
        a,
    }
}

// ---- List ----

pub struct CaseRow {
    pub id: CaseId,
    pub when: String,
    pub school: String,
    pub fraud_type: String,
    pub channel: String,
    pub lost: String,
    pub status: String,
    pub victim: String,
}

pub(crate) fn case_row(ctx: &PageCtx, c: &Case) -> CaseRow {
    CaseRow {
        id: c.id,
        when: fmt_local(c.occurred_at, ctx.tz),
        school: c.school_name.clone(),
        fraud_type: ctx.fraud_type(c.fraud_type.id()),
        channel: bucket_label(ctx, "channel", &c.channel),
        lost: yuan(c.amount_lost_cents),
        status: bucket_label(ctx, "status", c.status.as_str()),
        victim: bucket_label(ctx, "role", &c.victim_role),
    }
}

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage {
    ctx: PageCtx,
    unit: Unit,
    from: String,
    to: String,
    rows: Vec<CaseRow>,
    total: i64,
    page: i64,
    pages: i64,
    can_manage: bool,
    can_rank: bool,
    /// The unit picker (units of the caller's scope, by name).
    picker: String,
    lq: super::CaseListQuery,
    fraud_types: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
}

impl ListPage {
    /// The list's filter as a query string, without the page.
    fn query(&self) -> String {
        format!(
            "unit={}&from={}&to={}&{}",
            crate::web::context::urlencode(&self.unit.code),
            self.from,
            self.to,
            self.lq.query()
        )
    }
    fn page_link(&self, page: i64) -> String {
        format!("/cases?{}&page={page}", self.query())
    }
}

async fn list_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<PeriodQuery>,
    Query(lq): Query<super::CaseListQuery>,
) -> AppResult<Html<String>> {
    let filter = lq.filter()?;
    let per = period(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q).await?;
    let ctx = page_ctx(&st, &u).await;
    let paths = service::unit_paths(&st.db, &per.unit)
        .await
        .map_err(AppError::from)?;
    let w = Window {
        paths,
        from: ms_of_date(per.from),
        to: ms_of_date(per.to) + DAY_MS,
    };
    let page = q.page.unwrap_or(1).max(1);
    let (cases, total) = service::list_cases(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        &w,
        &filter,
        (50, (page - 1) * 50),
    )
    .await?;
    let rows = cases.iter().map(|c| case_row(&ctx, c)).collect();
    use crate::org::model::UnitKind as K;
    let picker = crate::org::picker::render(
        &st,
        &u,
        &ctx,
        crate::org::picker::Spec {
            id: "cases-unit",
            name: "unit",
            label: &ctx.t("org-picker-unit"),
            action: Action::ViewCases,
            kinds: &[
                K::Province,
                K::City,
                K::PoliceStation,
                K::School,
                K::College,
                K::Class,
            ],
            multiple: false,
            required: false,
        },
        std::slice::from_ref(&per.unit.code),
    )
    .await?;
    let fraud_types = fanzha_detect::FraudType::ALL
        .into_iter()
        .filter(|t| t.is_fraud())
        .map(|t| (t.id().to_string(), ctx.fraud_type(t.id())))
        .collect();
    let statuses = CaseStatus::ALL
        .into_iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                bucket_label(&ctx, "status", s.as_str()),
            )
        })
        .collect();
    Ok(Html(
        ListPage {
            picker,
            lq,
            fraud_types,
            statuses,
            can_manage: !policy::scopes_for(&u.p, Action::ManageCases).is_empty(),
            can_rank: u.p.has_role(Role::ProvinceAdmin),
            ctx,
            unit: per.unit,
            from: per.from.to_string(),
            to: per.to.to_string(),
            rows,
            total,
            page,
            pages: ((total + 49) / 50).max(1),
        }
        .render()?,
    ))
}

//! Pages of cases: list, record and edit, CSV import, analysis with charts, KPIs, briefings
//! (archive, draft, printable page, publish), the Campus Without Fraud ranking, awards and
//! certificates, and the panel of the home page.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use chrono::Datelike;
use serde::Deserialize;

use super::api::{self, AwardInput, BriefingInput, KpiInput, TypicalCase};
use super::model::*;
use super::service::{self, Analysis, Bucket, KpiYear, RankRow};
use super::store::{self, Briefing, Window};
use super::{period, PeriodQuery};
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
        .route("/cases/export.csv", get(super::lists::export_csv))
        .route("/cases/export.xlsx", get(super::lists::export_xlsx))
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
    pub id: i64,
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
    let per = period(&st, &u, &q).await?;
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
    let (cases, total) = api::case_list(&st, &u, &w, &filter, 50, (page - 1) * 50).await?;
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

// ---- Record and edit ----

/// The case form; indicators as "kind:value" lines.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CaseForm {
    pub unit: String,
    pub student_no: String,
    pub staff_no: String,
    pub victim_role: String,
    pub enroll_year: String,
    pub major: String,
    pub gender: String,
    pub fraud_type: String,
    pub channel: String,
    pub occurred_at: String,
    pub amount_lost: String,
    pub amount_recovered: String,
    pub status: String,
    pub narrative: String,
    pub indicators: String,
    pub person_role: String,
    pub lent_account: String,
}

impl CaseForm {
    fn input(&self) -> CaseInput {
        CaseInput {
            unit: self.unit.clone(),
            student_no: self.student_no.clone(),
            staff_no: self.staff_no.clone(),
            victim_role: self.victim_role.clone(),
            enroll_year: self.enroll_year.clone(),
            major: self.major.clone(),
            gender: self.gender.clone(),
            fraud_type: self.fraud_type.clone(),
            channel: self.channel.clone(),
            occurred_at: self.occurred_at.clone(),
            amount_lost: self.amount_lost.clone(),
            amount_recovered: self.amount_recovered.clone(),
            status: self.status.clone(),
            narrative: self.narrative.clone(),
            indicators: parse_indicator_list(&self.indicators),
            person_role: self.person_role.clone(),
            lent_account: self.lent_account.clone(),
        }
    }
    fn of(c: &Case, tz: chrono_tz::Tz) -> CaseForm {
        CaseForm {
            unit: c.unit_code.clone(),
            student_no: String::new(),
            staff_no: String::new(),
            victim_role: c.victim_role.clone(),
            enroll_year: c
                .victim_enroll_year
                .map(|y| y.to_string())
                .unwrap_or_default(),
            major: c.victim_major.clone().unwrap_or_default(),
            gender: c.victim_gender.clone().unwrap_or_default(),
            fraud_type: c.fraud_type.id().to_string(),
            channel: c.channel.clone(),
            occurred_at: fmt_local(c.occurred_at, tz).replace(' ', "T"),
            amount_lost: yuan(c.amount_lost_cents).replace(',', ""),
            amount_recovered: yuan(c.amount_recovered_cents).replace(',', ""),
            status: c.status.as_str().to_string(),
            narrative: c.narrative.clone(),
            indicators: c
                .indicators
                .iter()
                .map(|i| format!("{}:{}", i.kind, i.value))
                .collect::<Vec<_>>()
                .join("\n"),
            person_role: c.person_role.clone(),
            lent_account: c.lent_account.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "cases/form.html")]
struct FormPage {
    ctx: PageCtx,
    action: String,
    title: String,
    f: CaseForm,
    errors: Vec<String>,
    /// The unit picker (schools, colleges and classes the caller records cases for).
    picker: String,
    fraud_types: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    genders: Vec<(String, String)>,
    case: Option<Case>,
    case_view: Option<CaseRow>,
    can_edit: bool,
    /// Money frozen by the stop-payment request of the report the case was opened from.
    frozen: Option<String>,
    /// The case's indicators as (kind in words, value).
    indicators: Vec<(String, String)>,
    /// The person's roles (victim, suspect of 帮信/两卡, both) and the kinds of account lent.
    person_roles: Vec<(String, String)>,
    lent_accounts: Vec<(String, String)>,
}

// The inputs of one action, each used once; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
async fn form_page(
    st: &AppState,
    u: &User,
    action: String,
    title_key: &str,
    f: CaseForm,
    errors: Vec<String>,
    case: Option<Case>,
    can_edit: bool,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(st, u).await;
    let picker = crate::org::picker::render(
        st,
        u,
        &ctx,
        crate::org::picker::Spec {
            id: "case-unit",
            name: "unit",
            label: &ctx.t("cases-unit"),
            action: Action::ManageCases,
            kinds: &[UnitKind::School, UnitKind::College, UnitKind::Class],
            multiple: false,
            required: true,
        },
        std::slice::from_ref(&f.unit),
    )
    .await?;
    let opts = |pairs: Vec<(String, String)>| pairs;
    let fraud_types = fanzha_detect::FraudType::ALL
        .into_iter()
        .filter(|t| t.is_fraud())
        .map(|t| (t.id().to_string(), ctx.fraud_type(t.id())))
        .collect();
    let channels = opts(
        Channel::ALL
            .iter()
            .map(|c| {
                (
                    c.as_str().to_string(),
                    ctx.t(&format!("cases-channel-{}", c.as_str())),
                )
            })
            .collect(),
    );
    let statuses = CaseStatus::ALL
        .iter()
        .map(|c| {
            (
                c.as_str().to_string(),
                ctx.t(&format!("cases-status-{}", c.as_str())),
            )
        })
        .collect();
    let roles = ["student", "staff", "other"]
        .iter()
        .map(|r| (r.to_string(), ctx.t(&format!("cases-role-{r}"))))
        .collect();
    let genders = ["unknown", "male", "female"]
        .iter()
        .map(|r| (r.to_string(), ctx.t(&format!("cases-gender-{r}"))))
        .collect();
    let title = ctx.t(title_key);
    let case_view = case.as_ref().map(|c| case_row(&ctx, c));
    let frozen = match case.as_ref().and_then(|c| c.report_id) {
        Some(r) => Some(crate::reports::store::frozen_of_report(&st.db, r).await?)
            .filter(|c| *c > 0)
            .map(yuan),
        None => None,
    };
    let indicators = case
        .as_ref()
        .map(|c| {
            c.indicators
                .iter()
                .map(|i| (ctx.t(&format!("intel-kind-{}", i.kind)), i.value.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Html(
        FormPage {
            action,
            title,
            f,
            errors,
            picker,
            fraud_types,
            channels,
            statuses,
            roles,
            genders,
            case,
            case_view,
            can_edit,
            frozen,
            indicators,
            person_roles: crate::mules::pages::role_choices(&ctx),
            lent_accounts: crate::mules::pages::account_choices(&ctx),
            ctx,
        }
        .render()?,
    ))
}

fn rendered(e: &AppError, lang: crate::web::i18n::Lang) -> Vec<String> {
    if e.details.is_empty() {
        vec![e.msg.render(lang)]
    } else {
        e.details.iter().map(|d| d.render(lang)).collect()
    }
}

async fn new_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    api::require_manage(&u.p)?;
    let f = CaseForm {
        status: "open".into(),
        victim_role: "student".into(),
        ..CaseForm::default()
    };
    form_page(
        &st,
        &u,
        "/cases/new".into(),
        "cases-new",
        f,
        vec![],
        None,
        true,
    )
    .await
}

async fn new_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<CaseForm>,
) -> AppResult<Response> {
    api::require_manage(&u.p)?;
    match service::create_case(&st.db, &st.clock, &u.p, &u.ctx.actor(), &f.input()).await {
        Ok(id) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.status.is_server_error() {
                return Err(e);
            }
            let errors = rendered(&e, u.ctx.lang);
            let mut r = form_page(
                &st,
                &u,
                "/cases/new".into(),
                "cases-new",
                f,
                errors,
                None,
                true,
            )
            .await?
            .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
    }
}

async fn case_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let c = api::open_case(&st, &u, id, Action::ViewCases).await?;
    let can_edit = policy::allows(&u.p, Action::ManageCases, &Target::Unit(&c.unit_path));
    form_page(
        &st,
        &u,
        format!("/cases/{id}"),
        "cases-case",
        CaseForm::of(&c, u.p.time_zone),
        vec![],
        Some(c),
        can_edit,
    )
    .await
}

async fn case_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<CaseForm>,
) -> AppResult<Response> {
    api::require_manage(&u.p)?;
    let old = api::open_case(&st, &u, id, Action::ManageCases).await?;
    match service::update_case(&st.db, &st.clock, &u.p, &u.ctx.actor(), &old, &f.input()).await {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.status.is_server_error() {
                return Err(e);
            }
            let errors = rendered(&e, u.ctx.lang);
            let mut r = form_page(
                &st,
                &u,
                format!("/cases/{id}"),
                "cases-case",
                f,
                errors,
                Some(old),
                true,
            )
            .await?
            .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
    }
}

// ---- Import ----

#[derive(Template)]
#[template(path = "cases/import.html")]
struct ImportPage {
    ctx: PageCtx,
    summary: Option<String>,
    errors: Vec<String>,
}

async fn import_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    api::require_manage(&u.p)?;
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        ImportPage {
            ctx,
            summary: None,
            errors: vec![],
        }
        .render()?,
    ))
}

async fn import_submit(
    State(st): State<AppState>,
    u: User,
    mut mp: Multipart,
) -> AppResult<Response> {
    api::require_manage(&u.p)?;
    let mut bytes = Vec::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| AppError::bad_request("cases-err-csv"))?
    {
        if field.name() == Some("file") {
            bytes = field
                .bytes()
                .await
                .map_err(|_| AppError::bad_request("cases-err-csv"))?
                .to_vec();
        }
    }
    let result = service::import_cases(&st.db, &st.clock, &u.p, &u.ctx.actor(), &bytes).await;
    let ctx = page_ctx(&st, &u).await;
    let (status, summary, errors) = match result {
        Ok(n) => (
            axum::http::StatusCode::OK,
            Some(ctx.ta1("cases-imported", "n", &n.to_string())),
            vec![],
        ),
        Err(e) => {
            let e = AppError::from(e);
            if e.status.is_server_error() {
                return Err(e);
            }
            (e.status, None, rendered(&e, ctx.lang))
        }
    };
    let mut r = Html(
        ImportPage {
            ctx,
            summary,
            errors,
        }
        .render()?,
    )
    .into_response();
    *r.status_mut() = status;
    Ok(r)
}

// ---- Analysis ----

#[derive(Template)]
#[template(path = "cases/analysis.html")]
struct AnalysisPage {
    ctx: PageCtx,
    unit: Unit,
    from: String,
    to: String,
    v: AnalysisView,
    picker: String,
}

async fn analysis_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Html<String>> {
    let per = period(&st, &u, &q).await?;
    let ctx = page_ctx(&st, &u).await;
    let a = service::analyse(&st.db, &per.unit, per.from, per.to, st.clock.now_ms())
        .await
        .map_err(AppError::from)?;
    let v = analysis_view(&ctx, a);
    let picker = crate::org::picker::render(
        &st,
        &u,
        &ctx,
        crate::org::picker::Spec {
            id: "analysis-unit",
            name: "unit",
            label: &ctx.t("cases-unit"),
            action: Action::ViewCases,
            kinds: &[
                UnitKind::Province,
                UnitKind::City,
                UnitKind::PoliceStation,
                UnitKind::School,
                UnitKind::College,
            ],
            multiple: false,
            required: false,
        },
        std::slice::from_ref(&per.unit.code),
    )
    .await?;
    Ok(Html(
        AnalysisPage {
            ctx,
            picker,
            unit: per.unit,
            from: per.from.to_string(),
            to: per.to.to_string(),
            v,
        }
        .render()?,
    ))
}

// ---- KPIs ----

#[derive(Template)]
#[template(path = "cases/kpis.html")]
struct KpiPage {
    ctx: PageCtx,
    unit: Unit,
    y: KpiYear,
    rows: Vec<Vec<String>>,
    yoy: Vec<String>,
    can_edit: bool,
    charts_json: String,
    error: Option<String>,
    month: String,
}

async fn render_kpis(
    st: &AppState,
    u: &User,
    unit: Unit,
    year: i32,
    error: Option<String>,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(st, u).await;
    let y = service::kpi_year(&st.db, &unit, year, local_date(st.clock.now_ms()))
        .await
        .map_err(AppError::from)?;
    let fmt = |k: &store::Kpi| {
        vec![
            k.month.clone(),
            k.cases_solved.to_string(),
            k.suspects_arrested.to_string(),
            yuan(k.funds_frozen_cents),
            yuan(k.losses_avoided_cents),
            yuan(k.funds_returned_cents),
            k.student_suspects.to_string(),
        ]
    };
    let mut rows: Vec<Vec<String>> = y.months.iter().map(fmt).collect();
    rows.push(fmt(&y.total));
    rows.push(fmt(&y.prev_total));
    let yoy = y.yoy_pct.iter().map(|p| yoy_text(&ctx, *p)).collect();
    let chart = Chart {
        id: "chart-kpi".into(),
        kind: "bar",
        title: ctx.t("cases-kpi-chart"),
        labels: y.months.iter().map(|k| k.month.clone()).collect(),
        series: vec![
            Series {
                name: ctx.t("cases-kpi-solved"),
                values: y.months.iter().map(|k| k.cases_solved as f64).collect(),
            },
            Series {
                name: ctx.t("cases-kpi-arrested"),
                values: y
                    .months
                    .iter()
                    .map(|k| k.suspects_arrested as f64)
                    .collect(),
            },
        ],
    };
    let money = Chart {
        id: "chart-kpi-money".into(),
        kind: "line",
        title: ctx.t("cases-kpi-money-chart"),
        labels: y.months.iter().map(|k| k.month.clone()).collect(),
        series: vec![
            Series {
                name: ctx.t("cases-kpi-frozen"),
                values: y
                    .months
                    .iter()
                    .map(|k| k.funds_frozen_cents as f64 / 100.0)
                    .collect(),
            },
            Series {
                name: ctx.t("cases-kpi-avoided"),
                values: y
                    .months
                    .iter()
                    .map(|k| k.losses_avoided_cents as f64 / 100.0)
                    .collect(),
            },
            Series {
                name: ctx.t("cases-kpi-returned"),
                values: y
                    .months
                    .iter()
                    .map(|k| k.funds_returned_cents as f64 / 100.0)
                    .collect(),
            },
        ],
    };
    let can_edit = unit.kind == UnitKind::PoliceStation
        && policy::allows(&u.p, Action::ManageCases, &Target::Unit(&unit.path));
    let month = Month::of(date_in(st.clock.now_ms(), u.p.time_zone)).to_string();
    Ok(Html(
        KpiPage {
            ctx,
            unit,
            y,
            rows,
            yoy,
            can_edit,
            charts_json: json_block(&vec![chart, money]),
            error,
            month,
        }
        .render()?,
    ))
}

async fn kpi_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<api::KpiQuery>,
) -> AppResult<Html<String>> {
    let unit = api::unit_for(&st, &u, q.unit.as_deref(), Action::ViewCases).await?;
    let year = api::year_or(q.year, api::this_year(&st, &u))?;
    render_kpis(&st, &u, unit, year, None).await
}

async fn kpi_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<KpiInput>,
) -> AppResult<Response> {
    match api::save_kpi(&st, &u, &f).await {
        Ok(unit) => {
            let year = Month::parse(&f.month).map_or_else(|| api::this_year(&st, &u), |m| m.year);
            Ok(
                Redirect::to(&format!("/cases/kpis?unit={}&year={year}", unit.code))
                    .into_response(),
            )
        }
        Err(e) if e.is_invalid() => {
            let unit = api::unit_for(&st, &u, Some(&f.unit), Action::ViewCases).await?;
            let msg = rendered(&e, u.ctx.lang).join(" ");
            let mut r = render_kpis(&st, &u, unit, api::this_year(&st, &u), Some(msg))
                .await?
                .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

// ---- Briefings ----

pub struct BriefingRow {
    pub id: i64,
    pub month: String,
    pub title: String,
    pub station: String,
    pub published: bool,
}

#[derive(Template)]
#[template(path = "cases/briefings.html")]
struct BriefingsPage {
    ctx: PageCtx,
    rows: Vec<BriefingRow>,
    stations: Vec<Unit>,
    month: String,
    candidates: Vec<(CaseRow, String)>,
    error: Option<String>,
    advice: String,
}

#[derive(Deserialize, Default)]
struct BriefingsQuery {
    month: Option<String>,
    station: Option<String>,
}

async fn briefings_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<BriefingsQuery>,
) -> AppResult<Html<String>> {
    render_briefings(&st, &u, q, None).await
}

async fn render_briefings(
    st: &AppState,
    u: &User,
    q: BriefingsQuery,
    error: Option<String>,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(st, u).await;
    let mut rows = Vec::new();
    for b in api::readable_briefings(st, u).await? {
        let station = org_store::unit_by_id(&st.db, b.station_id)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        rows.push(BriefingRow {
            id: b.id,
            month: b.month,
            title: b.title,
            station,
            published: b.status == "published",
        });
    }
    // Police: stations they may brief, and the chosen month's cases to pick typical ones from.
    let mut stations = Vec::new();
    for g in &u.p.grants {
        if g.role == Role::Police && g.unit_kind == UnitKind::PoliceStation.as_str() {
            if let Some(s) = org_store::unit_by_id(&st.db, g.unit_id).await? {
                stations.push(s);
            }
        }
    }
    let today = date_in(st.clock.now_ms(), u.p.time_zone);
    let default_month = {
        let m = Month::of(today);
        if m.month == 1 {
            Month {
                year: m.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: m.year,
                month: m.month - 1,
            }
        }
    };
    let month = q
        .month
        .as_deref()
        .and_then(Month::parse)
        .unwrap_or(default_month);
    let station = match q.station.as_deref() {
        Some(code) => stations.iter().find(|s| s.code == code).cloned(),
        None => stations.first().cloned(),
    };
    let mut candidates = Vec::new();
    if let Some(s) = &station {
        let paths = service::unit_paths(&st.db, s)
            .await
            .map_err(AppError::from)?;
        let w = Window {
            paths,
            from: ms_of_date(month.first_day()),
            to: ms_of_date(month.next().first_day()),
        };
        let (cases, _) = store::list_cases(&st.db, &w, 200, 0).await?;
        for c in &cases {
            candidates.push((case_row(&ctx, c), c.narrative.clone()));
        }
    }
    let advice = ctx.t("cases-briefing-advice-default");
    Ok(Html(
        BriefingsPage {
            ctx,
            rows,
            stations,
            month: month.to_string(),
            candidates,
            error,
            advice,
        }
        .render()?,
    ))
}

async fn briefing_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<BriefingInput>,
) -> AppResult<Response> {
    match api::save_briefing_for(&st, &u, &f).await {
        Ok(id) => Ok(Redirect::to(&format!("/cases/briefings/{id}")).into_response()),
        Err(e) if e.is_invalid() => {
            let msg = rendered(&e, u.ctx.lang).join(" ");
            let q = BriefingsQuery {
                month: Some(f.month.clone()),
                station: Some(f.station.clone()).filter(|s| !s.is_empty()),
            };
            let mut r = render_briefings(&st, &u, q, Some(msg))
                .await?
                .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/briefing.html")]
struct BriefingPage {
    ctx: PageCtx,
    b: Briefing,
    station_name: String,
    cases: Vec<(TypicalCase, String, String, String, String)>,
    v: AnalysisView,
    can_publish: bool,
    published_at: String,
    /// Suspects of 帮信 / 两卡 in the month's cases.
    suspects: i64,
}

async fn briefing_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (d, station) = api::briefing_detail(&st, &u, id).await?;
    let ctx = page_ctx(&st, &u).await;
    let can_publish = d.briefing.status == "draft"
        && policy::allows(&u.p, Action::ManageCases, &Target::Unit(&station.path));
    let cases = d
        .cases
        .into_iter()
        .map(|c| {
            let t = ctx.fraud_type(&c.fraud_type);
            let ch = bucket_label(&ctx, "channel", &c.channel);
            let when = fmt_local(c.occurred_at, ctx.tz);
            let lost = yuan(c.amount_lost_cents);
            (c, t, ch, when, lost)
        })
        .collect();
    let published_at = d
        .briefing
        .published_at
        .map(|t| fmt_local(t, ctx.tz))
        .unwrap_or_default();
    let v = analysis_view(&ctx, d.analysis);
    Ok(Html(
        BriefingPage {
            ctx,
            b: d.briefing,
            station_name: d.station_name,
            suspects: d.suspects,
            cases,
            v,
            can_publish,
            published_at,
        }
        .render()?,
    ))
}

async fn briefing_publish(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    api::publish_for(&st, &u, id).await?;
    Ok(Redirect::to(&format!("/cases/briefings/{id}")).into_response())
}

// ---- Ranking and awards ----

#[derive(Template)]
#[template(path = "cases/ranking.html")]
struct RankingPage {
    ctx: PageCtx,
    province: Unit,
    year: i32,
    rows: Vec<(RankRow, String)>,
    eligible: Vec<(RankRow, String)>,
    can_select: bool,
    can_open: bool,
    published: bool,
    max: usize,
    error: Option<String>,
    charts_json: String,
    from: String,
    to: String,
}

#[derive(Deserialize)]
struct RankForm {
    #[serde(default)]
    province: String,
    year: i32,
    #[serde(default)]
    schools: Vec<String>,
}

async fn render_ranking(
    st: &AppState,
    u: &User,
    province: Unit,
    year: i32,
    error: Option<String>,
) -> AppResult<Html<String>> {
    api::authorize_ranking(st, u, &province).await?;
    let ctx = page_ctx(st, u).await;
    let rows = service::ranking(&st.db, &province, year)
        .await
        .map_err(AppError::from)?;
    let chart = Chart {
        id: "chart-ranking".into(),
        kind: "bar",
        title: ctx.t("cases-ranking-chart"),
        labels: rows.iter().map(|r| r.school_name.clone()).collect(),
        series: vec![Series {
            name: ctx.t("cases-per-10k"),
            values: rows.iter().map(|r| r.victims_per_10k).collect(),
        }],
    };
    let published = rows.iter().any(|r| r.published);
    let can_select = policy::allows(&u.p, Action::ManageAwards, &Target::Unit(&province.path));
    let can_open = policy::allows(&u.p, Action::ViewCases, &Target::Unit(&province.path));
    let rows: Vec<(RankRow, String)> = rows
        .into_iter()
        .map(|r| {
            let lost = yuan(r.lost_cents);
            (r, lost)
        })
        .collect();
    let mut eligible: Vec<(RankRow, String)> =
        rows.iter().filter(|(r, _)| r.eligible).cloned().collect();
    eligible.sort_by_key(|(r, _)| r.award_rank);
    Ok(Html(
        RankingPage {
            ctx,
            province,
            year,
            rows,
            eligible,
            can_select,
            can_open,
            published,
            max: service::MAX_AWARDS,
            error,
            charts_json: json_block(&vec![chart]),
            from: format!("{year:04}-01-01"),
            to: format!("{year:04}-12-31"),
        }
        .render()?,
    ))
}

async fn ranking_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<api::RankQuery>,
) -> AppResult<Html<String>> {
    let province = api::province_for(&st, &u, q.province.as_deref()).await?;
    let year = api::year_or(q.year, api::this_year(&st, &u) - 1)?;
    render_ranking(&st, &u, province, year, None).await
}

async fn ranking_select(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<RankForm>,
) -> AppResult<Response> {
    let input = AwardInput {
        province: f.province.clone(),
        year: f.year,
        schools: f.schools.clone(),
    };
    after_award(
        &st,
        &u,
        &f,
        api::select_for(&st, &u, &input).await.map(|_| ()),
    )
    .await
}

async fn ranking_publish(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<RankForm>,
) -> AppResult<Response> {
    let input = AwardInput {
        province: f.province.clone(),
        year: f.year,
        schools: vec![],
    };
    after_award(
        &st,
        &u,
        &f,
        api::publish_awards_for(&st, &u, &input).await.map(|_| ()),
    )
    .await
}

async fn after_award(
    st: &AppState,
    u: &User,
    f: &RankForm,
    r: AppResult<()>,
) -> AppResult<Response> {
    let province =
        api::province_for(st, u, Some(f.province.as_str()).filter(|s| !s.is_empty())).await?;
    match r {
        Ok(()) => Ok(Redirect::to(&format!(
            "/cases/ranking?province={}&year={}",
            province.code, f.year
        ))
        .into_response()),
        Err(e) if e.is_invalid() => {
            let msg = rendered(&e, u.ctx.lang).join(" ");
            let mut r = render_ranking(st, u, province, f.year, Some(msg))
                .await?
                .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/awards.html")]
struct AwardsPage {
    ctx: PageCtx,
    province: Unit,
    year: i32,
    awardees: Vec<api::Awardee>,
}

async fn awards_page(
    State(st): State<AppState>,
    u: User,
    Path((code, year)): Path<(String, i32)>,
) -> AppResult<Html<String>> {
    let province = api::province_for(&st, &u, Some(&code)).await?;
    let awardees = api::awardees(&st, &province, year).await?;
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        AwardsPage {
            ctx,
            province,
            year,
            awardees,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "cases/certificate.html")]
struct CertificatePage {
    ctx: PageCtx,
    province: Unit,
    year: i32,
    school: String,
    date: String,
    text: String,
}

async fn certificate_page(
    State(st): State<AppState>,
    u: User,
    Path((code, year, school)): Path<(String, i32, String)>,
) -> AppResult<Html<String>> {
    let province = api::province_for(&st, &u, Some(&code)).await?;
    let a = api::awardees(&st, &province, year)
        .await?
        .into_iter()
        .find(|a| a.school_code == school)
        .ok_or_else(AppError::not_found)?;
    let ctx = page_ctx(&st, &u).await;
    let text = ctx.ta(
        "cases-certificate-text",
        &[
            ("year", year.to_string()),
            ("province", province.name.clone()),
        ],
    );
    Ok(Html(
        CertificatePage {
            ctx,
            province,
            year,
            school: a.school_name,
            date: date_in(a.published_at, u.p.time_zone).to_string(),
            text,
        }
        .render()?,
    ))
}

// ---- Printable documents ----

/// The head of a printed document: issuing unit, document number, title, addressees and date.
pub struct DocHead {
    pub issuer: String,
    pub number: String,
    pub title: String,
    pub addressees: Option<String>,
    pub date: String,
    pub draft: bool,
    /// Where the "back" link of the screen view goes.
    pub back: String,
}

/// A date as an official document writes it: "2026年12月6日", "6 December 2026".
pub fn doc_date(ctx: &PageCtx, d: chrono::NaiveDate) -> String {
    if ctx.lang_code() == "en" {
        d.format("%-d %B %Y").to_string()
    } else {
        format!("{}年{}月{}日", d.year(), d.month(), d.day())
    }
}

#[derive(Template)]
#[template(path = "cases/briefing_print.html")]
struct BriefingPrint {
    ctx: PageCtx,
    doc: DocHead,
    b: Briefing,
    summary: String,
    cases: Vec<(TypicalCase, String, String, String, String)>,
    v: AnalysisView,
}

/// The briefing as the document the station sends: its issuing station, a number counting the
/// station's briefings of that year in month order, and the publication date.
async fn briefing_print_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (d, station) = api::briefing_detail(&st, &u, id).await?;
    let ctx = page_ctx(&st, &u).await;
    let year = d.briefing.month.get(..4).unwrap_or_default().to_string();
    let mut same_year: Vec<String> = store::briefings_of(&st.db, &[station.id])
        .await?
        .into_iter()
        .filter(|b| b.month.starts_with(&year))
        .map(|b| b.month)
        .collect();
    same_year.sort();
    let seq = same_year
        .iter()
        .position(|m| *m == d.briefing.month)
        .map_or(1, |i| i + 1);
    let zone = u.p.time_zone;
    let day = date_in(d.briefing.published_at.unwrap_or(st.clock.now_ms()), zone);
    let doc = DocHead {
        issuer: station.name.clone(),
        number: ctx.ta(
            "cases-doc-number-briefing",
            &[
                ("code", station.code.clone()),
                ("year", year.clone()),
                ("n", seq.to_string()),
            ],
        ),
        title: d.briefing.title.clone(),
        addressees: Some(ctx.t("cases-doc-to-schools")),
        date: doc_date(&ctx, day),
        draft: d.briefing.status != "published",
        back: format!("/cases/briefings/{id}"),
    };
    let cases: Vec<(TypicalCase, String, String, String, String)> = d
        .cases
        .into_iter()
        .map(|c| {
            let t = ctx.fraud_type(&c.fraud_type);
            let ch = bucket_label(&ctx, "channel", &c.channel);
            let when = date_in(c.occurred_at, zone).to_string();
            let lost = yuan(c.amount_lost_cents);
            (c, t, ch, when, lost)
        })
        .collect();
    let v = analysis_view(&ctx, d.analysis);
    let summary = ctx.ta(
        "cases-doc-briefing-summary",
        &[
            ("month", d.briefing.month.clone()),
            ("cases", v.a.cases.to_string()),
            ("lost", v.lost.clone()),
            ("typical", cases.len().to_string()),
        ],
    );
    Ok(Html(
        BriefingPrint {
            ctx,
            doc,
            b: d.briefing,
            summary,
            cases,
            v,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "cases/awards_print.html")]
struct AwardsPrint {
    ctx: PageCtx,
    doc: DocHead,
    text: String,
    awardees: Vec<api::Awardee>,
}

/// The published award list as the province's notice; 404 before it is published.
async fn awards_print_page(
    State(st): State<AppState>,
    u: User,
    Path((code, year)): Path<(String, i32)>,
) -> AppResult<Html<String>> {
    let year = api::year_or(Some(year), 0)?;
    let province = api::province_for(&st, &u, Some(&code)).await?;
    let awardees = api::awardees(&st, &province, year).await?;
    let published = awardees
        .iter()
        .map(|a| a.published_at)
        .max()
        .ok_or_else(AppError::not_found)?;
    let ctx = page_ctx(&st, &u).await;
    let day = date_in(published, u.p.time_zone);
    let doc = DocHead {
        issuer: ctx.ta1("cases-doc-awards-issuer", "province", &province.name),
        number: ctx.ta(
            "cases-doc-number-awards",
            &[
                ("code", province.code.clone()),
                ("year", day.year().to_string()),
            ],
        ),
        title: ctx.ta1("cases-doc-awards-title", "year", &year.to_string()),
        addressees: Some(ctx.t("cases-doc-to-all")),
        date: doc_date(&ctx, day),
        draft: false,
        back: format!("/cases/awards/{}/{year}", province.code),
    };
    let text = ctx.ta(
        "cases-doc-awards-text",
        &[
            ("year", year.to_string()),
            ("n", awardees.len().to_string()),
        ],
    );
    Ok(Html(
        AwardsPrint {
            ctx,
            doc,
            text,
            awardees,
        }
        .render()?,
    ))
}

// ---- Home panel ----

#[derive(Template)]
#[template(path = "cases/panel.html")]
struct Panel<'a> {
    ctx: &'a PageCtx,
    unit: Unit,
    this_month: i64,
    last_year: i64,
    yoy: String,
    streak: String,
    top: Vec<(String, i64)>,
    month: String,
}

/// The case panel of the home page for police and school staff who may view cases: this month
/// against the same month last year, the zero-case streak and the top fraud types of the year.
pub async fn home_panel(st: &AppState, u: &User, ctx: &PageCtx) -> AppResult<Option<String>> {
    if !(u.p.has_role(Role::Police)
        || u.p.has_role(Role::SchoolAdmin)
        || u.p.has_role(Role::UnitLeader))
    {
        return Ok(None);
    }
    let Some(unit) = service::default_unit(&st.db, &u.p)
        .await
        .map_err(AppError::from)?
    else {
        return Ok(None);
    };
    let now = st.clock.now_ms();
    let today = local_date(now);
    let first = Month::of(today).first_day();
    let paths = service::unit_paths(&st.db, &unit)
        .await
        .map_err(AppError::from)?;
    let cur = Window {
        paths: paths.clone(),
        from: ms_of_date(first),
        to: ms_of_date(today) + DAY_MS,
    };
    let prev = Window {
        paths: paths.clone(),
        from: ms_of_date(year_before(first)),
        to: ms_of_date(year_before(today)) + DAY_MS,
    };
    let (this_month, _, _) = store::totals(&st.db, &cur).await?;
    let (last_year, _, _) = store::totals(&st.db, &prev).await?;
    let year = Window {
        paths: paths.clone(),
        from: ms_of_date(chrono::NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today)),
        to: ms_of_date(today) + DAY_MS,
    };
    let top = store::group_by(&st.db, &year, "c.fraud_type")
        .await?
        .into_iter()
        .take(3)
        .map(|(k, n, _)| (ctx.fraud_type(&k), n))
        .collect();
    let last = service::last_case_day(&st.db, &unit, now)
        .await
        .map_err(AppError::from)?;
    let s = service::streak_of(&unit, last, today);
    let html = Panel {
        ctx,
        yoy: yoy_text(ctx, service::pct_change(this_month, last_year)),
        streak: streak_text(ctx, &s),
        unit,
        this_month,
        last_year,
        top,
        month: Month::of(today).to_string(),
    }
    .render()?;
    Ok(Some(html))
}

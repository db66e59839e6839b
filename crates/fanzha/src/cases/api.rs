//! JSON API of cases, analysis, KPIs, briefings and awards under `/api/v1/cases`, scoped like the
//! pages (tokens need `cases:read` / `cases:write`).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::model::*;
use super::service::{self, Analysis, KpiYear, RankRow};
use super::store::{self, Briefing, Window};
use super::{period, PeriodQuery};
use crate::auth::model::{Principal, Scope};
use crate::auth::policy::{self, Action, Target};
use crate::error::{AppError, AppResult};
use crate::org::access::{authorize, require_scope};
use crate::org::model::{Unit, UnitKind};
use crate::org::store as org_store;
use crate::web::context::User;
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases", get(list_cases).post(create_case))
        .route("/api/v1/cases/import", post(import_cases))
        .route("/api/v1/cases/analysis", get(analysis))
        .route("/api/v1/cases/kpis", get(get_kpis).post(put_kpi))
        .route(
            "/api/v1/cases/briefings",
            get(list_briefings).post(save_briefing),
        )
        .route("/api/v1/cases/briefings/{id}", get(get_briefing))
        .route(
            "/api/v1/cases/briefings/{id}/publish",
            post(publish_briefing),
        )
        .route("/api/v1/cases/ranking", get(ranking))
        .route(
            "/api/v1/cases/awards",
            get(published_awards).post(select_awards),
        )
        .route("/api/v1/cases/awards/publish", post(publish_awards))
        .route("/api/v1/cases/{id}", get(get_case).put(update_case))
}

/// Refuses callers who may not record cases anywhere (students, partners, counselors, schools).
pub fn require_manage(p: &Principal) -> AppResult<()> {
    if policy::scopes_for(p, Action::ManageCases).is_empty() {
        Err(AppError::forbidden())
    } else {
        Ok(())
    }
}

/// A case the caller may see (404 otherwise, audited).
pub async fn open_case(st: &AppState, u: &User, id: i64, action: Action) -> AppResult<Case> {
    let c = store::case_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(st, u, action, Target::Unit(&c.unit_path)).await?;
    if action == Action::ViewCases {
        crate::audit::person_read(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            crate::audit::Read {
                kind: "case",
                id,
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

/// One page of the cases of a window for a page or API list; the read (victim profiles) is one
/// audit entry.
pub async fn case_list(
    st: &AppState,
    u: &User,
    w: &Window,
    f: &store::CaseFilter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Case>, i64)> {
    let (cases, total) = store::list_cases_filtered(&st.db, w, f, limit, offset).await?;
    let unit_path = crate::audit::common_path(cases.iter().map(|c| c.unit_path.as_str()))
        .or_else(|| crate::audit::common_path(w.paths.iter().map(String::as_str)))
        .unwrap_or_else(|| "/".into());
    crate::audit::person_list_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        crate::audit::ListRead {
            export: false,
            kind: "case",
            unit_path,
            filter: serde_json::json!({
                "from": w.from, "to": w.to, "limit": limit, "offset": offset, "total": total,
                "fraud_type": f.fraud_type, "status": f.status, "q": f.search,
            }),
            ids: cases.iter().map(|c| c.id).collect(),
        },
    )
    .await?;
    Ok((cases, total))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CaseList {
    pub total: i64,
    pub cases: Vec<Case>,
}

/// Cases of a unit and period, newest first (100 a page).
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(PeriodQuery, super::CaseListQuery), responses((status = 200, body = CaseList), (status = 400, description = "An unknown fraud type or status, or a search over 100 characters"), (status = 403), (status = 404), (status = 422, description = "The period is refused: `from` after `to`, or longer than five years")))]
pub async fn list_cases(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<PeriodQuery>,
    Query(lq): Query<super::CaseListQuery>,
) -> AppResult<Json<CaseList>> {
    require_scope(&u.p, Scope::CasesRead)?;
    let filter = lq.filter()?;
    let per = period(&st, &u, &q).await?;
    let paths = service::unit_paths(&st.db, &per.unit)
        .await
        .map_err(AppError::from)?;
    let w = Window {
        paths,
        from: ms_of_date(per.from),
        to: ms_of_date(per.to) + DAY_MS,
    };
    // 1–10,000, checked by `period`.
    let page = q.page.unwrap_or(1);
    let (cases, total) = case_list(&st, &u, &w, &filter, 100, (page - 1) * 100).await?;
    Ok(Json(CaseList { total, cases }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Records a case (police, victim inside their jurisdiction).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CaseInput, responses((status = 201, body = Created), (status = 422), (status = 403)))]
pub async fn create_case(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<CaseInput>,
) -> AppResult<(StatusCode, Json<Created>)> {
    require_scope(&u.p, Scope::CasesWrite)?;
    require_manage(&u.p)?;
    let id = service::create_case(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input)
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One case with its indicators.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)), responses((status = 200, body = Case), (status = 404)))]
pub async fn get_case(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<Case>> {
    require_scope(&u.p, Scope::CasesRead)?;
    Ok(Json(open_case(&st, &u, id, Action::ViewCases).await?))
}

/// Replaces the fields of a case.
#[utoipa::path(put, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)), request_body = CaseInput, responses((status = 200, body = Case), (status = 422), (status = 404)))]
pub async fn update_case(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(input): Json<CaseInput>,
) -> AppResult<Json<Case>> {
    require_scope(&u.p, Scope::CasesWrite)?;
    require_manage(&u.p)?;
    let old = open_case(&st, &u, id, Action::ManageCases).await?;
    service::update_case(&st.db, &st.clock, &u.p, &u.ctx.actor(), &old, &input)
        .await
        .map_err(AppError::from)?;
    Ok(Json(
        store::case_by_id(&st.db, id)
            .await?
            .ok_or_else(AppError::not_found)?,
    ))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Imported {
    pub imported: usize,
}

/// Imports historical cases from a CSV body (UTF-8 or GBK): every line is checked; one bad line
/// refuses the file and every bad line is listed.
#[utoipa::path(post, path = "/api/v1/cases/import", tag = "cases", request_body(content = String, content_type = "text/csv"), responses((status = 201, body = Imported), (status = 422)))]
pub async fn import_cases(
    State(st): State<AppState>,
    u: User,
    body: Bytes,
) -> AppResult<(StatusCode, Json<Imported>)> {
    require_scope(&u.p, Scope::CasesWrite)?;
    require_manage(&u.p)?;
    let n = service::import_cases(&st.db, &st.clock, &u.p, &u.ctx.actor(), &body)
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(Imported { imported: n })))
}

/// Cases and losses of a unit and period by type, channel, grade, major, gender, hour, weekday and
/// month, with year-on-year change and zero-case streaks.
#[utoipa::path(get, path = "/api/v1/cases/analysis", tag = "cases", params(PeriodQuery), responses((status = 200, body = Analysis), (status = 404), (status = 422, description = "The period is refused: `from` after `to`, or longer than five years")))]
pub async fn analysis(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Json<Analysis>> {
    require_scope(&u.p, Scope::CasesRead)?;
    let per = period(&st, &u, &q).await?;
    let a = service::analyse(&st.db, &per.unit, per.from, per.to, st.clock.now_ms())
        .await
        .map_err(AppError::from)?;
    Ok(Json(a))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// Unit code (default: your own).
    pub unit: Option<String>,
    /// Year (default: this year).
    #[param(minimum = 1970, maximum = 9999)]
    pub year: Option<i32>,
}

/// Resolves a unit by code (or the caller's own) after a scope check for `action`.
pub async fn unit_for(
    st: &AppState,
    u: &User,
    code: Option<&str>,
    action: Action,
) -> AppResult<Unit> {
    let unit = match code.map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => org_store::unit_by_code(&st.db, c)
            .await?
            .ok_or_else(AppError::not_found)?,
        None => service::default_unit(&st.db, &u.p)
            .await
            .map_err(AppError::from)?
            .ok_or_else(AppError::forbidden)?,
    };
    authorize(st, u, action, Target::Unit(&unit.path)).await?;
    Ok(unit)
}

/// This year in the caller's time zone (the default year of KPIs and of the ranking).
/// The year a query asks for (1970–9999), else `default`.
pub fn year_or(asked: Option<i32>, default: i32) -> AppResult<i32> {
    match asked {
        None => Ok(default),
        Some(y) if (1970..=9999).contains(&y) => Ok(y),
        Some(_) => Err(AppError::bad_request("cases-err-period-year")),
    }
}

pub fn this_year(st: &AppState, u: &User) -> i32 {
    use chrono::Datelike;
    date_in(st.clock.now_ms(), u.p.time_zone).year()
}

/// Police KPIs of a unit for a year, month by month, with the year before.
#[utoipa::path(get, path = "/api/v1/cases/kpis", tag = "cases", params(KpiQuery), responses((status = 200, body = KpiYear), (status = 404)))]
pub async fn get_kpis(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<KpiQuery>,
) -> AppResult<Json<KpiYear>> {
    require_scope(&u.p, Scope::CasesRead)?;
    let unit = unit_for(&st, &u, q.unit.as_deref(), Action::ViewCases).await?;
    let y = service::kpi_year(
        &st.db,
        &unit,
        year_or(q.year, this_year(&st, &u))?,
        local_date(st.clock.now_ms()),
    )
    .await
    .map_err(AppError::from)?;
    Ok(Json(y))
}

/// A number given as JSON number or text.
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// The entered KPI of one unit and month: arrests. Solved cases, money frozen, losses avoided and
/// money returned are derived from the records; a non-zero value for them is refused (422).
#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct KpiInput {
    /// Police unit code (default: your own).
    #[serde(default)]
    pub unit: String,
    /// "YYYY-MM".
    pub month: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub cases_solved: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub suspects_arrested: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub funds_frozen: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub losses_avoided: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub funds_returned: String,
}

/// Enters (or corrects) the KPIs of a police unit for a month.
pub async fn save_kpi(st: &AppState, u: &User, input: &KpiInput) -> AppResult<Unit> {
    require_manage(&u.p)?;
    let unit = unit_for(st, u, Some(&input.unit), Action::ManageCases).await?;
    if unit.kind != UnitKind::PoliceStation {
        return Err(AppError::unprocessable("cases-err-station"));
    }
    // What the platform records is derived, never typed: only arrests are entered.
    let typed = |v: &str| {
        let v = v.trim();
        !v.is_empty() && v.parse::<f64>().ok() != Some(0.0)
    };
    if [
        &input.cases_solved,
        &input.funds_frozen,
        &input.losses_avoided,
        &input.funds_returned,
    ]
    .iter()
    .any(|v| typed(v))
    {
        return Err(AppError::unprocessable("cases-err-kpi-derived"));
    }
    let k = service::parse_kpi(
        &input.month,
        [
            &input.cases_solved,
            &input.suspects_arrested,
            &input.funds_frozen,
            &input.losses_avoided,
            &input.funds_returned,
        ],
    )
    .map_err(AppError::from)?;
    if Month::parse(&k.month).is_some_and(|m| ms_of_date(m.first_day()) > st.clock.now_ms()) {
        return Err(AppError::unprocessable("cases-err-month"));
    }
    store::upsert_kpi(&st.db, unit.id, &k, u.p.account_id, st.clock.now_ms()).await?;
    crate::audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        crate::audit::Event {
            action: "kpi.save",
            target_kind: "unit",
            target_id: unit.id.to_string(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({"month": k.month}),
        },
    )
    .await?;
    Ok(unit)
}

#[utoipa::path(post, path = "/api/v1/cases/kpis", tag = "cases", request_body = KpiInput, responses((status = 200, body = KpiYear), (status = 422), (status = 403)))]
pub async fn put_kpi(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<KpiInput>,
) -> AppResult<Json<KpiYear>> {
    require_scope(&u.p, Scope::CasesWrite)?;
    let unit = save_kpi(&st, &u, &input).await?;
    let year = Month::parse(&input.month).map_or_else(|| this_year(&st, &u), |m| m.year);
    Ok(Json(
        service::kpi_year(&st.db, &unit, year, local_date(st.clock.now_ms()))
            .await
            .map_err(AppError::from)?,
    ))
}

/// Briefings the caller may read (drafts only to the station's case viewers).
#[utoipa::path(get, path = "/api/v1/cases/briefings", tag = "cases", responses((status = 200, body = [Briefing])))]
pub async fn list_briefings(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<Briefing>>> {
    require_scope(&u.p, Scope::CasesRead)?;
    Ok(Json(readable_briefings(&st, &u).await?))
}

pub async fn readable_briefings(st: &AppState, u: &User) -> AppResult<Vec<Briefing>> {
    let stations = service::briefing_stations(&st.db, &u.p)
        .await
        .map_err(AppError::from)?;
    let ids: Vec<i64> = stations.iter().map(|s| s.id).collect();
    let mut out = Vec::new();
    for b in store::briefings_of(&st.db, &ids).await? {
        let Some(station) = stations.iter().find(|s| s.id == b.station_id) else {
            continue;
        };
        if service::may_read_briefing(&st.db, &u.p, &b, station)
            .await
            .map_err(AppError::from)?
        {
            out.push(b);
        }
    }
    Ok(out)
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct BriefingInput {
    /// Police station code (default: your own).
    #[serde(default)]
    pub station: String,
    /// "YYYY-MM".
    pub month: String,
    pub title: String,
    /// What to tell students.
    #[serde(default)]
    pub advice: String,
    /// Ids of the month's typical cases, whose anonymised narratives the briefing shows.
    #[serde(default)]
    pub case_ids: Vec<i64>,
}

pub async fn save_briefing_for(st: &AppState, u: &User, input: &BriefingInput) -> AppResult<i64> {
    require_manage(&u.p)?;
    let station = unit_for(st, u, Some(&input.station), Action::ManageCases).await?;
    service::save_briefing(
        &st.db,
        &st.clock,
        &u.ctx.actor(),
        u.p.account_id,
        &station,
        &input.month,
        &input.title,
        &input.advice,
        &input.case_ids,
    )
    .await
    .map_err(AppError::from)
}

/// Saves the draft briefing of a station and month (replacing an earlier draft).
#[utoipa::path(post, path = "/api/v1/cases/briefings", tag = "cases", request_body = BriefingInput, responses((status = 201, body = Created), (status = 422), (status = 403)))]
pub async fn save_briefing(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<BriefingInput>,
) -> AppResult<(StatusCode, Json<Created>)> {
    require_scope(&u.p, Scope::CasesWrite)?;
    let id = save_briefing_for(&st, &u, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// One case as a briefing shows it: no person, no unit below the school.
#[derive(Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TypicalCase {
    pub id: i64,
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

/// A briefing with its typical cases and the month's victim analysis, when the caller may read it.
pub async fn briefing_detail(
    st: &AppState,
    u: &User,
    id: i64,
) -> AppResult<(BriefingDetail, Unit)> {
    let b = store::briefing_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let station = org_store::unit_by_id(&st.db, b.station_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !service::may_read_briefing(&st.db, &u.p, &b, &station)
        .await
        .map_err(AppError::from)?
    {
        return Err(AppError::not_found());
    }
    let m = Month::parse(&b.month).ok_or_else(AppError::internal)?;
    let last = m.next().first_day().pred_opt().unwrap_or(m.first_day());
    let analysis = service::analyse(&st.db, &station, m.first_day(), last, st.clock.now_ms())
        .await
        .map_err(AppError::from)?;
    let mut cases = Vec::new();
    for cid in &b.case_ids {
        if let Some(c) = store::case_by_id(&st.db, *cid).await? {
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
    for p in service::unit_paths(&st.db, &station)
        .await
        .map_err(AppError::from)?
    {
        for (_, _, n) in store::suspects(&st.db, &p, from, to).await? {
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

#[utoipa::path(get, path = "/api/v1/cases/briefings/{id}", tag = "cases", params(("id" = i64, Path)), responses((status = 200, body = BriefingDetail), (status = 404)))]
pub async fn get_briefing(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<BriefingDetail>> {
    require_scope(&u.p, Scope::CasesRead)?;
    Ok(Json(briefing_detail(&st, &u, id).await?.0))
}

pub async fn publish_for(st: &AppState, u: &User, id: i64) -> AppResult<usize> {
    require_manage(&u.p)?;
    let b = store::briefing_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let station = org_store::unit_by_id(&st.db, b.station_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(st, u, Action::ManageCases, Target::Unit(&station.path)).await?;
    service::publish_briefing(&st.db, &st.clock, &st.jobs, &u.ctx.actor(), &b, &station)
        .await
        .map_err(AppError::from)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Published {
    /// Fan-out jobs queued (one per school and role).
    pub deliveries: usize,
}

/// Publishes a draft briefing: the admins and counselors of the jurisdiction's schools are told.
#[utoipa::path(post, path = "/api/v1/cases/briefings/{id}/publish", tag = "cases", params(("id" = i64, Path)), responses((status = 200, body = Published), (status = 422), (status = 404)))]
pub async fn publish_briefing(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<Published>> {
    require_scope(&u.p, Scope::CasesWrite)?;
    let n = publish_for(&st, &u, id).await?;
    Ok(Json(Published { deliveries: n }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankQuery {
    /// Province code (default: your own).
    pub province: Option<String>,
    /// Year (default: last year).
    #[param(minimum = 1970, maximum = 9999)]
    pub year: Option<i32>,
}

pub async fn province_for(st: &AppState, u: &User, code: Option<&str>) -> AppResult<Unit> {
    let unit = match code.map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => org_store::unit_by_code(&st.db, c)
            .await?
            .ok_or_else(AppError::not_found)?,
        None => {
            let mut found = None;
            for g in &u.p.grants {
                if let Some(unit) = org_store::unit_by_id(&st.db, g.unit_id).await? {
                    let anc = org_store::ancestors(&st.db, &unit).await?;
                    found = anc.into_iter().find(|a| a.kind == UnitKind::Province);
                    if found.is_some() {
                        break;
                    }
                }
            }
            found.ok_or_else(AppError::not_found)?
        }
    };
    if unit.kind != UnitKind::Province {
        return Err(AppError::unprocessable("cases-err-province"));
    }
    Ok(unit)
}

/// The ranking is the province's: province case viewers read it, and so, read-only, do police,
/// school admins and unit leaders whose scope lies inside the province. Anyone else is refused
/// (audited; 404 outside every scope).
pub async fn authorize_ranking(st: &AppState, u: &User, province: &Unit) -> AppResult<()> {
    let inside = u.p.grants.iter().any(|g| {
        crate::auth::policy::role_allows(g.role, Action::ViewCases)
            && g.scope_paths.iter().any(|s| s.starts_with(&province.path))
    });
    if inside {
        return Ok(());
    }
    authorize(st, u, Action::ViewCases, Target::Unit(&province.path)).await
}

/// The Campus Without Fraud ranking of a province and year (province case viewers; read-only for
/// police, school admins and unit leaders inside the province).
#[utoipa::path(get, path = "/api/v1/cases/ranking", tag = "cases", params(RankQuery), responses((status = 200, body = [RankRow]), (status = 404)))]
pub async fn ranking(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<RankQuery>,
) -> AppResult<Json<Vec<RankRow>>> {
    require_scope(&u.p, Scope::CasesRead)?;
    let province = province_for(&st, &u, q.province.as_deref()).await?;
    authorize_ranking(&st, &u, &province).await?;
    let rows = service::ranking(&st.db, &province, year_or(q.year, this_year(&st, &u) - 1)?)
        .await
        .map_err(AppError::from)?;
    Ok(Json(rows))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
pub struct AwardInput {
    #[serde(default)]
    pub province: String,
    #[schema(minimum = 1970, maximum = 9999)]
    pub year: i32,
    /// School codes, at most 10, each with zero victims that year.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub schools: Vec<String>,
}

pub async fn select_for(st: &AppState, u: &User, input: &AwardInput) -> AppResult<usize> {
    year_or(Some(input.year), 0)?;
    let province = province_for(
        st,
        u,
        Some(&input.province)
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str()),
    )
    .await?;
    authorize(st, u, Action::ManageAwards, Target::Unit(&province.path)).await?;
    let rows = service::ranking(&st.db, &province, input.year)
        .await
        .map_err(AppError::from)?;
    service::select_awards(
        &st.db,
        &st.clock,
        &u.ctx.actor(),
        u.p.account_id,
        &rows,
        &province,
        input.year,
        &input.schools,
    )
    .await
    .map_err(AppError::from)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Selected {
    pub selected: usize,
}

/// Replaces the year's selection of awardees (province admins).
#[utoipa::path(post, path = "/api/v1/cases/awards", tag = "cases", request_body = AwardInput, responses((status = 200, body = Selected), (status = 422), (status = 403)))]
pub async fn select_awards(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<AwardInput>,
) -> AppResult<Json<Selected>> {
    require_scope(&u.p, Scope::CasesWrite)?;
    Ok(Json(Selected {
        selected: select_for(&st, &u, &input).await?,
    }))
}

pub async fn publish_awards_for(st: &AppState, u: &User, input: &AwardInput) -> AppResult<u64> {
    year_or(Some(input.year), 0)?;
    let province = province_for(
        st,
        u,
        Some(&input.province)
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str()),
    )
    .await?;
    authorize(st, u, Action::ManageAwards, Target::Unit(&province.path)).await?;
    service::publish_awards(&st.db, &st.clock, &u.ctx.actor(), &province, input.year)
        .await
        .map_err(AppError::from)
}

/// Publishes the year's awardees (the year must be over).
#[utoipa::path(post, path = "/api/v1/cases/awards/publish", tag = "cases", request_body = AwardInput, responses((status = 200, body = Selected), (status = 422), (status = 403)))]
pub async fn publish_awards(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<AwardInput>,
) -> AppResult<Json<Selected>> {
    require_scope(&u.p, Scope::CasesWrite)?;
    let n = publish_awards_for(&st, &u, &input).await?;
    Ok(Json(Selected {
        selected: n as usize,
    }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Awardee {
    pub school_code: String,
    pub school_name: String,
    pub published_at: i64,
}

pub async fn awardees(st: &AppState, province: &Unit, year: i32) -> AppResult<Vec<Awardee>> {
    let mut out = Vec::new();
    for (sid, published) in store::awards(&st.db, province.id, year).await? {
        let Some(at) = published else { continue };
        if let Some(s) = org_store::unit_by_id(&st.db, sid).await? {
            out.push(Awardee {
                school_code: s.code,
                school_name: s.name,
                published_at: at,
            });
        }
    }
    Ok(out)
}

/// The published awardees of a province and year (any signed-in caller: the list is public).
#[utoipa::path(get, path = "/api/v1/cases/awards", tag = "cases", params(RankQuery), responses((status = 200, body = [Awardee]), (status = 404)))]
pub async fn published_awards(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<RankQuery>,
) -> AppResult<Json<Vec<Awardee>>> {
    require_scope(&u.p, Scope::CasesRead)?;
    let province = province_for(&st, &u, q.province.as_deref()).await?;
    Ok(Json(
        awardees(&st, &province, year_or(q.year, this_year(&st, &u) - 1)?).await?,
    ))
}

//! JSON API of cases, analysis, KPIs, briefings and awards under `/api/v1/cases`, scoped like the
//! pages (tokens need `cases:read` / `cases:write`).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::model::*;
use super::service::{self, Analysis, Awardee, BriefingDetail, KpiYear, RankRow};
use super::store::{self, Briefing, Window};
use super::{period, KpiQuery, PeriodQuery, RankQuery};
use crate::auth::model::Scope;
use crate::auth::policy::Action;
use crate::error::{AppError, AppResult};
use crate::org::access::require_scope;
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
    let per = period(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q).await?;
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
    let (cases, total) = service::list_cases(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        &w,
        &filter,
        (100, (page - 1) * 100),
    )
    .await?;
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
    service::require_manage(&u.p)?;
    let id = service::create_case(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input)
        .await
        .map_err(AppError::from)?;
    Ok((StatusCode::CREATED, Json(Created { id: id.get() })))
}

/// One case with its indicators.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)), responses((status = 200, body = Case), (status = 404)))]
pub async fn get_case(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<crate::kernel::ids::CaseId>,
) -> AppResult<Json<Case>> {
    require_scope(&u.p, Scope::CasesRead)?;
    Ok(Json(
        service::case_visible_to(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            id,
            Action::ViewCases,
        )
        .await?,
    ))
}

/// Replaces the fields of a case.
#[utoipa::path(put, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)), request_body = CaseInput, responses((status = 200, body = Case), (status = 422), (status = 404)))]
pub async fn update_case(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<crate::kernel::ids::CaseId>,
    Json(input): Json<CaseInput>,
) -> AppResult<Json<Case>> {
    require_scope(&u.p, Scope::CasesWrite)?;
    service::require_manage(&u.p)?;
    let old = service::case_visible_to(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        id,
        Action::ManageCases,
    )
    .await?;
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
    service::require_manage(&u.p)?;
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
    let per = period(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q).await?;
    let a = service::analyse(&st.db, &per.unit, per.from, per.to, st.clock.now_ms())
        .await
        .map_err(AppError::from)?;
    Ok(Json(a))
}

/// Police KPIs of a unit for a year, month by month, with the year before.
#[utoipa::path(get, path = "/api/v1/cases/kpis", tag = "cases", params(KpiQuery), responses((status = 200, body = KpiYear), (status = 404)))]
pub async fn get_kpis(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<KpiQuery>,
) -> AppResult<Json<KpiYear>> {
    require_scope(&u.p, Scope::CasesRead)?;
    let unit = service::unit_visible_to(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        q.unit.as_deref(),
        Action::ViewCases,
    )
    .await?;
    let y = service::kpi_year(
        &st.db,
        &unit,
        service::year_or(q.year, service::this_year(&st.clock, &u.p))?,
        local_date(st.clock.now_ms()),
    )
    .await
    .map_err(AppError::from)?;
    Ok(Json(y))
}

#[utoipa::path(post, path = "/api/v1/cases/kpis", tag = "cases", request_body = KpiInput, responses((status = 200, body = KpiYear), (status = 422), (status = 403)))]
pub async fn put_kpi(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<KpiInput>,
) -> AppResult<Json<KpiYear>> {
    require_scope(&u.p, Scope::CasesWrite)?;
    let unit = service::save_kpi(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input).await?;
    let year =
        Month::parse(&input.month).map_or_else(|| service::this_year(&st.clock, &u.p), |m| m.year);
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
    Ok(Json(service::readable_briefings(&st.db, &u.p).await?))
}

/// Saves the draft briefing of a station and month (replacing an earlier draft).
#[utoipa::path(post, path = "/api/v1/cases/briefings", tag = "cases", request_body = BriefingInput, responses((status = 201, body = Created), (status = 422), (status = 403)))]
pub async fn save_briefing(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<BriefingInput>,
) -> AppResult<(StatusCode, Json<Created>)> {
    require_scope(&u.p, Scope::CasesWrite)?;
    let id = service::save_briefing(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(get, path = "/api/v1/cases/briefings/{id}", tag = "cases", params(("id" = i64, Path)), responses((status = 200, body = BriefingDetail), (status = 404)))]
pub async fn get_briefing(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<BriefingDetail>> {
    require_scope(&u.p, Scope::CasesRead)?;
    Ok(Json(
        service::briefing_detail(&st.db, &st.clock, &u.p, id)
            .await?
            .0,
    ))
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
    let n = service::publish_briefing(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
    Ok(Json(Published { deliveries: n }))
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
    let province = service::province(&st.db, &u.p, q.province.as_deref()).await?;
    service::authorize_ranking(&st.db, &st.clock, &u.p, &u.ctx.actor(), &province).await?;
    let rows = service::ranking(
        &st.db,
        &province,
        service::year_or(q.year, service::this_year(&st.clock, &u.p) - 1)?,
    )
    .await
    .map_err(AppError::from)?;
    Ok(Json(rows))
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
        selected: service::select_awards(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input).await?,
    }))
}

/// Publishes the year's awardees (the year must be over).
#[utoipa::path(post, path = "/api/v1/cases/awards/publish", tag = "cases", request_body = AwardInput, responses((status = 200, body = Selected), (status = 422), (status = 403)))]
pub async fn publish_awards(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<AwardInput>,
) -> AppResult<Json<Selected>> {
    require_scope(&u.p, Scope::CasesWrite)?;
    let n = service::publish_awards(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input).await?;
    Ok(Json(Selected {
        selected: n as usize,
    }))
}

/// The published awardees of a province and year (any signed-in caller: the list is public).
#[utoipa::path(get, path = "/api/v1/cases/awards", tag = "cases", params(RankQuery), responses((status = 200, body = [Awardee]), (status = 404)))]
pub async fn published_awards(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<RankQuery>,
) -> AppResult<Json<Vec<Awardee>>> {
    require_scope(&u.p, Scope::CasesRead)?;
    let province = service::province(&st.db, &u.p, q.province.as_deref()).await?;
    Ok(Json(
        service::awardees(
            &st.db,
            &province,
            service::year_or(q.year, service::this_year(&st.clock, &u.p) - 1)?,
        )
        .await?,
    ))
}

//! `/api/v1/mules…`: a partner's signal (token scope `warnings:write`, answered with the same
//! receipt as a partner's warning), its receipt, the police's list of signals about nobody on a
//! roster, the figures of a unit, a province's award rule, and the starter content a school adopts.
//! Pages call the same service.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::model::{SignalFacts, SignalInput};
use super::service::{self, Figures};
use super::starter::StarterItem;
use super::store;
use crate::auth::model::{Principal, Role, Scope};
use crate::auth::policy::{self, Action, Target};
use crate::error::{AppError, AppResult};
use crate::org::access::{authorize, require_scope};
use crate::warnings::api::{is_partner, issuer_of, refuse_partner};
use crate::warnings::model::{Receipt, Warning};
use crate::warnings::receipts;
use crate::web::context::User;
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/mules/signals", post(api_signal))
        .route("/api/v1/mules/signals/{id}", get(api_receipt))
        .route("/api/v1/mules/police", get(api_police))
        .route("/api/v1/mules/figures", get(api_figures))
        .route("/api/v1/mules/rules/{province}", put(api_rule))
        .route("/api/v1/mules/warnings/{id}/facts", get(api_facts))
        .route(
            "/api/v1/mules/starter",
            get(api_starter).post(api_adopt_starter),
        )
}

/// A bank's or payment platform's signal that a person's account shows mule patterns. The answer
/// is the partner's receipt only (the same whether or not anybody matches); the warning is routed
/// later by a job. A repeat of the same `reference` answers the first receipt (200).
#[utoipa::path(post, path = "/api/v1/mules/signals", tag = "mules", request_body = SignalInput,
    responses((status = 201, body = Receipt, description = "the partner's receipt"),
        (status = 200, body = Receipt, description = "a repeat of an earlier reference"),
        (status = 400, description = "not JSON"), (status = 403, description = "not a partner system"),
        (status = 422, description = "malformed signal")))]
pub async fn api_signal(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<SignalInput>,
) -> AppResult<Response> {
    require_scope(&u.p, Scope::WarningsWrite)?;
    let issuer = issuer_of(&u.p)?;
    let (r, created) = service::receive_signal(&st.db, &st.clock, &issuer, &input).await?;
    if created {
        crate::audit::record(
            &st.db.pool,
            &st.clock,
            &u.ctx.actor(),
            crate::audit::Event {
                action: "mule.signal.receive",
                target_kind: "warning_receipt",
                target_id: r.id.to_string(),
                unit_path: issuer.home_path.clone(),
                detail: serde_json::json!({"reference": r.reference}),
            },
        )
        .await?;
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(r)).into_response())
}

/// A partner's own receipt; any other id, and any caller that is not a partner, 404.
#[utoipa::path(get, path = "/api/v1/mules/signals/{id}", tag = "mules", params(("id" = i64, Path)),
    responses((status = 200, body = Receipt), (status = 404)))]
pub async fn api_receipt(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<Receipt>> {
    if !is_partner(&u.p) {
        return Err(AppError::not_found());
    }
    if !u.p.token_allows(Scope::WarningsWrite) && !u.p.token_allows(Scope::WarningsRead) {
        require_scope(&u.p, Scope::WarningsWrite)?;
    }
    Ok(Json(receipts::receipt(&st.db, u.p.account_id, id).await?))
}

/// A signal about nobody on a roster, as the police read it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = MulePoliceItem)]
pub struct PoliceItem {
    pub warning: Warning,
    pub facts: Option<SignalFacts>,
}

fn police_only(p: &Principal) -> AppResult<()> {
    if p.grants.iter().any(|g| g.role == Role::Police) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

/// Signals about nobody on any roster, kept for the police of the partner's region.
#[utoipa::path(get, path = "/api/v1/mules/police", tag = "mules",
    responses((status = 200, body = [PoliceItem]), (status = 403, description = "not police")))]
pub async fn api_police(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<PoliceItem>>> {
    require_scope(&u.p, Scope::WarningsRead)?;
    police_only(&u.p)?;
    Ok(Json(
        service::police_queue(&st.db, &u.p)
            .await?
            .into_iter()
            .map(|(warning, facts)| PoliceItem { warning, facts })
            .collect(),
    ))
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// A unit code inside the caller's scope (default: the whole scope).
    pub unit: Option<String>,
    /// Calendar year (default: this year, China Standard Time).
    pub year: Option<i32>,
}

/// The scope of the figures: (warning paths, case paths), narrowed to `unit` (404 outside).
pub async fn scope_of(
    st: &AppState,
    u: &User,
    unit: Option<&str>,
) -> AppResult<(Vec<String>, Vec<String>)> {
    refuse_partner(&u.p)?;
    let warn = policy::scopes_for(&u.p, Action::ViewWarnings);
    let cases = policy::scopes_for(&u.p, Action::ViewCases);
    if warn.is_empty() && cases.is_empty() {
        return Err(AppError::forbidden());
    }
    match unit.map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => {
            let unit = crate::org::store::unit_by_code(&st.db, code)
                .await?
                .ok_or_else(AppError::not_found)?;
            let t = Target::Unit(&unit.path);
            let w = policy::allows(&u.p, Action::ViewWarnings, &t);
            let c = policy::allows(&u.p, Action::ViewCases, &t);
            if !w && !c {
                authorize(st, u, Action::ViewWarnings, t).await?;
            }
            let one = || vec![unit.path.clone()];
            Ok((
                if w { one() } else { vec![] },
                if c { one() } else { vec![] },
            ))
        }
        None => Ok((warn, cases)),
    }
}

/// This year in China Standard Time.
pub fn this_year(st: &AppState) -> i32 {
    use chrono::Datelike;
    crate::cases::model::local_date(st.clock.now_ms()).year()
}

pub async fn load_figures(st: &AppState, u: &User, q: &FiguresQuery) -> AppResult<Figures> {
    let (warn, cases) = scope_of(st, u, q.unit.as_deref()).await?;
    let year = q.year.unwrap_or_else(|| this_year(st));
    if !(2000..=2100).contains(&year) {
        return Err(AppError::bad_request("mule-err-year"));
    }
    let lang = u.ctx.lang;
    Ok(service::figures(&st.db, &warn, &cases, year, &|k| lang.t(k)).await?)
}

/// Mule-risk warnings (how many, handled in time, outcomes, kinds of account) and suspects in
/// cases (per school, per kind of account lent), this year and last.
#[utoipa::path(get, path = "/api/v1/mules/figures", tag = "mules", params(FiguresQuery),
    responses((status = 200, body = Figures), (status = 400), (status = 403), (status = 404)))]
pub async fn api_figures(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<FiguresQuery>,
) -> AppResult<Json<Figures>> {
    require_scope(&u.p, Scope::WarningsRead)?;
    Ok(Json(load_figures(&st, &u, &q).await?))
}

/// The facts of a mule-risk warning the caller may see (404 otherwise).
#[utoipa::path(get, path = "/api/v1/mules/warnings/{id}/facts", tag = "mules", params(("id" = i64, Path)),
    responses((status = 200, body = SignalFacts), (status = 404)))]
pub async fn api_facts(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<SignalFacts>> {
    require_scope(&u.p, Scope::WarningsRead)?;
    refuse_partner(&u.p).map_err(|_| AppError::not_found())?;
    let w = crate::warnings::service::warning_visible_to(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        id.into(),
    )
    .await?;
    Ok(Json(
        service::facts(&st.db, &w)
            .await?
            .ok_or_else(AppError::not_found)?,
    ))
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = MuleAwardRule)]
pub struct RuleBody {
    /// The most 帮信 / 两卡 suspects a school may have in the year and stay eligible for Campus
    /// Without Fraud (0: a school with one suspect is not eligible).
    pub max_suspects: i64,
}

/// Sets how suspects count for Campus Without Fraud in a province (province admins).
#[utoipa::path(put, path = "/api/v1/mules/rules/{province}", tag = "mules", request_body = RuleBody,
    params(("province" = String, Path, description = "province code")),
    responses((status = 200, body = RuleBody), (status = 400), (status = 403), (status = 404), (status = 422)))]
pub async fn api_rule(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    Json(b): Json<RuleBody>,
) -> AppResult<Json<RuleBody>> {
    require_scope(&u.p, Scope::CasesWrite)?;
    let province = crate::org::store::unit_by_code(&st.db, &code)
        .await?
        .ok_or_else(AppError::not_found)?;
    let max = service::set_max_suspects(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        &province,
        &b.max_suspects.to_string(),
    )
    .await?;
    Ok(Json(RuleBody { max_suspects: max }))
}

/// One starter item of a school: whether it was adopted, and into what.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = MuleStarterItem)]
pub struct StarterOut {
    /// The school's code.
    pub school: String,
    pub item: StarterItem,
    /// The title of the shipped text.
    pub title: String,
    /// Whether the caller may adopt it for this school.
    pub may_adopt: bool,
    /// When the school adopted it (unix ms), if it did.
    pub adopted_at: Option<i64>,
    /// The campaign content (article) or the lesson made from it.
    pub target_id: Option<i64>,
    /// The course the lesson went into.
    pub course_id: Option<i64>,
}

impl StarterOut {
    fn of(school: &str, item: StarterItem, may: bool, a: Option<&store::Adoption>) -> StarterOut {
        StarterOut {
            school: school.to_string(),
            item,
            title: item.text().title,
            may_adopt: may && a.is_none(),
            adopted_at: a.map(|a| a.adopted_at),
            target_id: a.and_then(|a| a.target_id),
            course_id: a.and_then(|a| a.course_id),
        }
    }
}

/// The starter content on 两卡 and the law of each school the caller authors for (token scope
/// `campaigns:read`).
#[utoipa::path(get, path = "/api/v1/mules/starter", tag = "mules",
    responses((status = 200, body = Vec<StarterOut>), (status = 403)))]
pub async fn api_starter(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<StarterOut>>> {
    require_scope(&u.p, Scope::CampaignsRead)?;
    let mut out = Vec::new();
    for o in service::starter_offers(&st.db, &u.p).await? {
        out.push(StarterOut::of(
            &o.school.code,
            StarterItem::Article,
            o.may_article,
            o.article.as_ref(),
        ));
        out.push(StarterOut::of(
            &o.school.code,
            StarterItem::Lesson,
            o.may_lesson,
            o.lesson.as_ref(),
        ));
    }
    Ok(Json(out))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = MuleStarterAdopt)]
pub struct AdoptBody {
    /// The school's code.
    pub school: String,
    pub item: StarterItem,
    /// For the lesson: the course of the school it goes into.
    pub course_id: Option<i64>,
}

/// Adopts a starter item for a school (token scope `campaigns:write`): the article goes into the
/// school's content library, sent for review; the lesson into the course given. A second adoption
/// answers the first (200) and makes no copy.
#[utoipa::path(post, path = "/api/v1/mules/starter", tag = "mules", request_body = AdoptBody,
    responses((status = 201, body = StarterOut, description = "adopted now"),
        (status = 200, body = StarterOut, description = "adopted before"),
        (status = 403), (status = 404), (status = 422)))]
pub async fn api_adopt_starter(
    State(st): State<AppState>,
    u: User,
    Json(b): Json<AdoptBody>,
) -> AppResult<Response> {
    require_scope(&u.p, Scope::CampaignsWrite)?;
    let (a, created) = service::adopt_starter(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        &b.school,
        b.item,
        b.course_id,
    )
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(StarterOut::of(&b.school, b.item, true, Some(&a))),
    )
        .into_response())
}

//! Pages and API of activation: the public `/activate` page, a unit's roster-accounts page
//! (who has activated, who has not, who is disabled), issuing codes as a printable sheet per
//! class or a CSV, and `POST /api/v1/units/{code}/activation-codes`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::activation::{self, ActivateRequest, ActivationError, IssuedCode};
use crate::audit::{self, Event};
use crate::auth::model::Scope;
use crate::auth::policy::{Action, Target};
use crate::error::{AppError, AppResult};
use crate::org::access::{authorize, require_scope};
use crate::org::model::{Unit, UnitKind};
use crate::org::store as org_store;
use crate::web::context::{cookie, Ctx, User, PRELOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::web::i18n::Lang;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/activate", get(activate_page).post(activate_submit))
        .route("/org/unit/{code}/activation", get(accounts_page))
        .route("/org/unit/{code}/activation-codes", post(issue_page))
        .route("/org/unit/{code}/activation/reset", post(reset_page))
        .route("/api/v1/units/{code}/activation-codes", post(api_issue))
}

impl From<ActivationError> for AppError {
    fn from(e: ActivationError) -> Self {
        match e {
            ActivationError::Refused => AppError::unprocessable("activation-err-refused"),
            ActivationError::RateLimited { retry_after_secs } => {
                AppError::too_many("auth-err-rate", retry_after_secs)
            }
            ActivationError::WeakPassword(key) => AppError::unprocessable(key),
            ActivationError::Db(e) => e.into(),
        }
    }
}

// ---------------------------------------------------------------- /activate

#[derive(Template)]
#[template(path = "auth/activate.html")]
struct ActivatePage {
    lang: Lang,
    csrf: String,
    school: Option<Unit>,
    schools: Vec<Unit>,
    person_no: String,
    error: Option<String>,
}

impl ActivatePage {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
    fn asset_version(&self) -> &'static str {
        crate::web::assets::VERSION
    }
}

#[derive(Deserialize)]
struct SchoolQuery {
    school: Option<String>,
}

/// The school named in the URL, if it is one.
async fn school_of(st: &AppState, code: Option<&str>) -> AppResult<Option<Unit>> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    Ok(org_store::unit_by_code(&st.db, code)
        .await?
        .filter(|u| matches!(u.kind, UnitKind::School | UnitKind::PoliceStation)))
}

async fn schools(st: &AppState) -> AppResult<Vec<Unit>> {
    Ok(org_store::units_of_kind_in(&st.db, "/", UnitKind::School).await?)
}

async fn activate_page(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    Query(q): Query<SchoolQuery>,
) -> AppResult<Response> {
    let (jar, csrf) = match jar.get(PRELOGIN_CSRF_COOKIE) {
        Some(c) if !c.value().is_empty() => (jar.clone(), c.value().to_string()),
        _ => {
            let v = super::password::random_token();
            (jar.add(cookie(&st, PRELOGIN_CSRF_COOKIE, v.clone())), v)
        }
    };
    let school = school_of(&st, q.school.as_deref()).await?;
    let page = ActivatePage {
        lang: ctx.lang,
        csrf,
        schools: if school.is_none() {
            schools(&st).await?
        } else {
            vec![]
        },
        school,
        person_no: String::new(),
        error: None,
    };
    Ok((jar, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
struct ActivateForm {
    school: String,
    person_no: String,
    code: String,
    password: String,
    confirm: String,
}

async fn activate_submit(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Form(f): Form<ActivateForm>,
) -> AppResult<Response> {
    let school = school_of(&st, Some(&f.school)).await?;
    let result = match &school {
        None => Err(ActivationError::Refused),
        Some(_) if f.password != f.confirm => {
            Err(ActivationError::WeakPassword("auth-err-password-mismatch"))
        }
        Some(org) => {
            let ua = headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            activation::activate(
                &st.db,
                &st.clock,
                &st.config,
                &ActivateRequest {
                    org,
                    person_no: &f.person_no,
                    code: &f.code,
                    password: &f.password,
                    ip: &ctx.ip,
                    user_agent: ua,
                },
            )
            .await
        }
    };
    let mut actor = ctx.actor();
    actor.name = f.person_no.trim().chars().take(64).collect();
    let unit_path = school.as_ref().map(|s| s.path.clone()).unwrap_or_default();
    match result {
        Ok(s) => {
            actor.account_id = Some(s.account_id);
            audit::record(
                &st.db.pool,
                &st.clock,
                &actor,
                Event {
                    action: "auth.activated",
                    target_kind: "account",
                    target_id: s.account_id.to_string(),
                    unit_path,
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            let jar = jar
                .add(cookie(&st, SESSION_COOKIE, s.token))
                .remove(PRELOGIN_CSRF_COOKIE);
            Ok((jar, Redirect::to("/")).into_response())
        }
        Err(e) => {
            if let ActivationError::Refused | ActivationError::RateLimited { .. } = e {
                audit::record(
                    &st.db.pool,
                    &st.clock,
                    &actor,
                    Event {
                        action: "auth.activation_failed",
                        target_kind: "person",
                        target_id: actor.name.clone(),
                        unit_path,
                        detail: serde_json::json!({}),
                    },
                )
                .await?;
            }
            let err: AppError = e.into();
            let page = ActivatePage {
                lang: ctx.lang,
                csrf: ctx.csrf.clone(),
                schools: if school.is_none() {
                    schools(&st).await?
                } else {
                    vec![]
                },
                school,
                person_no: f.person_no.chars().take(64).collect(),
                error: Some(err.msg.render(ctx.lang)),
            };
            let mut resp = (err.status, Html(page.render()?)).into_response();
            if let Some(s) = err.retry_after {
                if let Ok(v) = header::HeaderValue::from_str(&s.to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            Ok(resp)
        }
    }
}

// ---------------------------------------------------------------- a unit's roster accounts

/// One person's account as the accounts page shows it.
pub struct PersonAccount {
    pub person_no: String,
    pub name: String,
    pub unit_name: String,
    pub state: &'static str,
}

/// Every roster account under a unit with its state: `activated`, `not-activated` or
/// `disabled` (left, paused or switched off).
pub async fn accounts_under(st: &AppState, path: &str) -> AppResult<Vec<PersonAccount>> {
    let rows = super::store::activation::roster_accounts_under(&st.db, path).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(PersonAccount {
            person_no: r.person_no,
            name: r.name,
            unit_name: r.unit_name,
            state: if r.disabled || r.roster_status != "current" {
                "disabled"
            } else if r.activated_at.is_some() {
                "activated"
            } else {
                "not-activated"
            },
        });
    }
    Ok(out)
}

/// Loads a unit the caller may issue codes in: 404 outside every scope of the caller.
async fn unit_for_codes(st: &AppState, u: &User, code: &str) -> AppResult<Unit> {
    let unit = org_store::unit_by_code(&st.db, code)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(
        st,
        u,
        Action::IssueActivationCodes,
        Target::Unit(&unit.path),
    )
    .await?;
    Ok(unit)
}

#[derive(Template)]
#[template(path = "auth/activation_accounts.html")]
struct AccountsPage {
    ctx: PageCtx,
    unit: Unit,
    show: String,
    counts: [(&'static str, usize); 3],
    people: Vec<PersonAccount>,
    more: usize,
    /// After a reset: the login name and the temporary password, shown once.
    reset: Option<(String, String)>,
    error: Option<String>,
    /// A school admin on their school's page: a link to its sign-in settings (campus SSO).
    sign_in_settings: bool,
}

impl AccountsPage {
    fn state_label(&self, state: &str) -> String {
        self.ctx.t(&format!("activation-state-{state}"))
    }
}

#[derive(Deserialize)]
struct ShowQuery {
    show: Option<String>,
}

const LIST_MAX: usize = 500;

async fn accounts_page(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let unit = unit_for_codes(&st, &u, &code).await?;
    render_accounts(&st, &u, unit, q.show.as_deref(), None, None).await
}

#[derive(Deserialize)]
struct ResetForm {
    person_no: String,
}

/// Resets an activated person's password: a temporary one, shown once, to be changed at the next
/// sign-in. Audited.
async fn reset_page(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    Form(f): Form<ResetForm>,
) -> AppResult<Response> {
    let unit = unit_for_codes(&st, &u, &code).await?;
    match activation::reset_password(&st.db, &st.clock, &unit.path, &f.person_no).await? {
        Some((username, temporary)) => {
            audit::record(
                &st.db.pool,
                &st.clock,
                &u.ctx.actor(),
                Event {
                    action: "auth.password_reset",
                    target_kind: "account",
                    target_id: username.clone(),
                    unit_path: unit.path.clone(),
                    detail: serde_json::json!({ "person_no": f.person_no.trim() }),
                },
            )
            .await?;
            render_accounts(
                &st,
                &u,
                unit,
                Some("activated"),
                Some((username, temporary)),
                None,
            )
            .await
        }
        None => {
            let e = u.ctx.lang.t("activation-err-reset-none");
            let mut r = render_accounts(&st, &u, unit, Some("activated"), None, Some(e)).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}

async fn render_accounts(
    st: &AppState,
    u: &User,
    unit: Unit,
    show: Option<&str>,
    reset: Option<(String, String)>,
    error: Option<String>,
) -> AppResult<Response> {
    let all = accounts_under(st, &unit.path).await?;
    let count = |s: &str| all.iter().filter(|p| p.state == s).count();
    let counts = [
        ("activated", count("activated")),
        ("not-activated", count("not-activated")),
        ("disabled", count("disabled")),
    ];
    let show = match show {
        Some(s @ ("activated" | "disabled" | "all")) => s.to_string(),
        _ => "not-activated".to_string(),
    };
    let mut people: Vec<PersonAccount> = all
        .into_iter()
        .filter(|p| show == "all" || p.state == show)
        .collect();
    let more = people.len().saturating_sub(LIST_MAX);
    people.truncate(LIST_MAX);
    audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        Event {
            action: "activation.list_read",
            target_kind: "unit",
            target_id: unit.code.clone(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({ "show": show, "shown": people.len() }),
        },
    )
    .await?;
    let ctx = page_ctx(st, u).await;
    let sign_in_settings = unit.kind == UnitKind::School
        && crate::auth::policy::allows(&u.p, Action::ConfigureSignIn, &Target::Unit(&unit.path));
    Ok(Html(
        AccountsPage {
            ctx,
            sign_in_settings,
            unit,
            show,
            counts,
            people,
            more,
            reset,
            error,
        }
        .render()?,
    )
    .into_response())
}

/// Issues codes and writes the issue to the audit log (the codes themselves are not logged).
async fn issue_codes(
    st: &AppState,
    u: &User,
    unit: &Unit,
    only: Option<&[String]>,
) -> AppResult<Vec<IssuedCode>> {
    let codes =
        activation::issue(&st.db, &st.clock, &st.config, u.p.account_id, unit, only).await?;
    audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        Event {
            action: "activation.codes_issued",
            target_kind: "unit",
            target_id: unit.code.clone(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({
                "count": codes.len(),
                "person_nos": codes.iter().map(|c| c.person_no.as_str()).collect::<Vec<_>>(),
            }),
        },
    )
    .await?;
    Ok(codes)
}

#[derive(Deserialize)]
struct IssueForm {
    format: Option<String>,
    person_no: Option<String>,
}

/// A class's (or unit's) codes as printed.
pub struct SheetGroup {
    pub unit_name: String,
    pub codes: Vec<IssuedCode>,
}

#[derive(Template)]
#[template(path = "auth/activation_sheet.html")]
struct SheetPage {
    lang: Lang,
    tz: chrono_tz::Tz,
    school_name: String,
    link: String,
    qr_svg: String,
    groups: Vec<SheetGroup>,
}

impl SheetPage {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    fn ta1(&self, key: &str, name: &str, value: &str) -> String {
        self.lang.ta(key, &[(name, value.to_string())])
    }
    fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
    fn asset_version(&self) -> &'static str {
        crate::web::assets::VERSION
    }
    fn date(&self, ms: &i64) -> String {
        crate::web::layout::fmt_time(*ms, self.tz)
    }
}

/// The activation page of a school as an absolute link (the code is never part of it).
fn activation_link(st: &AppState, headers: &HeaderMap, school: &Unit) -> String {
    let base = match &st.config.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    };
    let code: String = school
        .code
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{base}/activate?school={code}")
}

fn qr_svg(link: &str) -> String {
    match qrcode::QrCode::new(link.as_bytes()) {
        Ok(q) => q
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(140, 140)
            .build(),
        Err(_) => String::new(),
    }
}

/// The school (or police station) a unit belongs to.
async fn org_of(st: &AppState, unit: &Unit) -> AppResult<Unit> {
    if matches!(unit.kind, UnitKind::School | UnitKind::PoliceStation) {
        return Ok(unit.clone());
    }
    org_store::ancestors(&st.db, unit)
        .await?
        .into_iter()
        .rev()
        .find(|a| matches!(a.kind, UnitKind::School | UnitKind::PoliceStation))
        .ok_or_else(AppError::not_found)
}

async fn issue_page(
    State(st): State<AppState>,
    u: User,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(f): Form<IssueForm>,
) -> AppResult<Response> {
    let unit = unit_for_codes(&st, &u, &code).await?;
    let only: Option<Vec<String>> = f
        .person_no
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| vec![s.to_string()]);
    let codes = issue_codes(&st, &u, &unit, only.as_deref()).await?;
    let lang = u.ctx.lang;
    if f.format.as_deref() == Some("csv") {
        use crate::csv_export::{Cell, CsvOut};
        let mut w = CsvOut::with_bom();
        w.text_row([
            lang.t("activation-col-unit").as_str(),
            lang.t("activation-col-no").as_str(),
            lang.t("activation-col-name").as_str(),
            lang.t("activation-col-code").as_str(),
            lang.t("activation-col-expires").as_str(),
        ]);
        let tz = page_ctx(&st, &u).await.tz;
        for c in &codes {
            let expires = crate::web::layout::fmt_time(c.expires_at, tz);
            w.row([
                Cell::Text(&c.unit_name),
                Cell::Text(&c.person_no),
                Cell::Text(&c.name),
                Cell::Text(&c.code),
                Cell::Text(&expires),
            ]);
        }
        let mut r = crate::web::download::file(
            crate::csv_export::Kind::Csv,
            w.finish(),
            &format!("activation-{}", unit.code),
        );
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        return Ok(r);
    }
    let school = org_of(&st, &unit).await?;
    let link = activation_link(&st, &headers, &school);
    let mut groups: Vec<SheetGroup> = Vec::new();
    for c in codes {
        match groups.last_mut() {
            Some(g) if g.unit_name == c.unit_name => g.codes.push(c),
            _ => groups.push(SheetGroup {
                unit_name: c.unit_name.clone(),
                codes: vec![c],
            }),
        }
    }
    let tz = page_ctx(&st, &u).await.tz;
    let page = SheetPage {
        lang,
        tz,
        school_name: school.name,
        qr_svg: qr_svg(&link),
        link,
        groups,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(page.render()?)).into_response())
}

// ---------------------------------------------------------------- API

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    /// Only these people (student or staff numbers) of the unit's subtree; all not yet
    /// activated when absent.
    pub person_nos: Option<Vec<String>>,
}

/// Issues one-time activation codes to the people of a unit's subtree who have not activated
/// their account (optionally only the given numbers); each person's earlier code is revoked.
/// The codes are in this answer only: fanzha keeps their hashes. Counselors may issue for their
/// classes, unit leaders for their college, school admins for their school.
#[utoipa::path(post, path = "/api/v1/units/{code}/activation-codes", tag = "org",
    params(("code" = String, Path)),
    request_body(content = Option<IssueBody>, content_type = "application/json"),
    responses(
        (status = 200, body = [IssuedCode]),
        (status = 400, description = "the body is not the JSON described"),
        (status = 401, description = "no or unknown token"),
        (status = 403, description = "the token lacks org:write, or the caller's role may not issue codes in this unit"),
        (status = 404, description = "no such unit in the caller's scope"),
    ))]
pub async fn api_issue(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    body: Bytes,
) -> AppResult<Json<Vec<IssuedCode>>> {
    require_scope(&u.p, Scope::OrgWrite)?;
    let only = if body.iter().all(|b| b.is_ascii_whitespace()) {
        None
    } else {
        serde_json::from_slice::<IssueBody>(&body)
            .map_err(|_| AppError::bad_request("activation-err-body"))?
            .person_nos
    };
    let unit = unit_for_codes(&st, &u, &code).await?;
    Ok(Json(issue_codes(&st, &u, &unit, only.as_deref()).await?))
}

// ---------------------------------------------------------------- counselor home

/// One class on the counselor's home: how many activated, and who has not.
pub struct ClassActivation {
    pub code: String,
    pub name: String,
    pub activated: usize,
    pub total: usize,
    pub pending: Vec<String>,
}

#[derive(Template)]
#[template(path = "auth/activation_home.html")]
struct HomePanel<'a> {
    ctx: &'a PageCtx,
    classes: Vec<ClassActivation>,
}

impl HomePanel<'_> {
    fn rate(&self, c: &ClassActivation) -> String {
        self.ctx.ta(
            "home-activation-rate",
            &[
                ("activated", c.activated.to_string()),
                ("total", c.total.to_string()),
            ],
        )
    }
}

/// Names shown per class on the home page; the accounts page lists everyone.
const HOME_PENDING_MAX: usize = 30;

/// The counselor's panel on the home page: the activation rate of each of their classes and who
/// has not activated. `None` for other roles.
pub async fn home_panel(st: &AppState, u: &User, ctx: &PageCtx) -> AppResult<Option<String>> {
    use crate::auth::model::Role;
    let paths: Vec<String> =
        u.p.grants
            .iter()
            .filter(|g| g.role == Role::Counselor)
            .flat_map(|g| g.scope_paths.iter().cloned())
            .collect();
    if paths.is_empty() {
        return Ok(None);
    }
    let mut classes = Vec::new();
    for path in paths {
        for class in org_store::units_of_kind_in(&st.db, &path, UnitKind::Class).await? {
            let people = accounts_under(st, &class.path).await?;
            let current: Vec<&PersonAccount> =
                people.iter().filter(|p| p.state != "disabled").collect();
            let pending: Vec<String> = current
                .iter()
                .filter(|p| p.state == "not-activated")
                .take(HOME_PENDING_MAX)
                .map(|p| p.name.clone())
                .collect();
            classes.push(ClassActivation {
                code: class.code,
                name: class.name,
                activated: current.iter().filter(|p| p.state == "activated").count(),
                total: current.len(),
                pending,
            });
        }
    }
    Ok(Some(HomePanel { ctx, classes }.render()?))
}

//! Pages of campus sign-in: starting a CAS or OIDC sign-in, the callbacks, CAS single logout,
//! the page a person not on the roster sees, and a school's sign-in settings.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::{cas, oidc, store, CasVersion, Protocol, SchoolSignIn, SsoError, SsoSignIn};
use crate::audit::{self, Event};
use crate::auth::password::sha256_hex;
use crate::auth::policy::{Action, Target};
use crate::config::Secret;
use crate::org::access::authorize;
use crate::org::model::{Unit, UnitKind};
use crate::org::store as org_store;
use crate::web::context::{cookie, Ctx, User, PRELOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::web::error::{AppError, AppResult};
use crate::web::i18n::Lang;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

/// The cookie binding an OIDC sign-in to the browser that started it (its state).
pub(super) const FLOW_COOKIE: &str = "fz_sso";
/// How long a started OIDC sign-in may take.
pub(super) const FLOW_MS: i64 = 10 * 60_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sso/{code}/start", get(start))
        .route(
            "/sso/cas/{code}",
            get(cas_callback).post(cas_logout_request),
        )
        .route("/sso/oidc/{code}", get(oidc_callback))
        .route(
            "/org/unit/{code}/sign-in",
            get(settings_page).post(settings_save),
        )
}

/// This site's base URL for callbacks: the configured public URL, else the request's host.
pub(super) fn base_url(st: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = st.config.public_url.as_deref().filter(|u| !u.is_empty()) {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// The CAS service URL of a school, carrying where the person goes after signing in: the CAS
/// server binds its ticket to this exact URL, so `next` cannot be changed on the way back.
fn cas_service(st: &AppState, headers: &HeaderMap, school: &Unit, next: &str) -> String {
    let base = format!("{}/sso/cas/{}", base_url(st, headers), school.code);
    if next == "/" {
        base
    } else {
        format!("{base}?next={}", crate::text::urlencode(next))
    }
}

#[derive(Deserialize)]
struct NextQuery {
    /// Where to go once signed in (a path of this site).
    next: Option<String>,
}

fn oidc_redirect(st: &AppState, headers: &HeaderMap, school: &Unit) -> String {
    format!("{}/sso/oidc/{}", base_url(st, headers), school.code)
}

/// A school with sign-in settings of `protocol`, else 404.
async fn school_with(
    st: &AppState,
    code: &str,
    protocol: Option<Protocol>,
) -> AppResult<(Unit, SchoolSignIn)> {
    let unit = org_store::unit_by_code(&st.db, code)
        .await?
        .filter(|u| u.kind == UnitKind::School)
        .ok_or_else(AppError::not_found)?;
    let cfg = store::school_sign_in(&st.db, unit.id)
        .await?
        .filter(|c| protocol.is_none_or(|p| p == c.protocol))
        .ok_or_else(AppError::not_found)?;
    Ok((unit, cfg))
}

pub(super) fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

// ---------------------------------------------------------------- start

async fn start(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    let (school, cfg) = school_with(&st, &code, None).await?;
    let next = crate::web::context::same_site_path(q.next.as_deref());
    match cfg.protocol {
        Protocol::Cas => {
            let service = cas_service(&st, &headers, &school, &next);
            Ok(Redirect::to(&cas::login_url(&cfg, &service)).into_response())
        }
        Protocol::Oidc => {
            let redirect = oidc_redirect(&st, &headers, &school);
            let started = match oidc::start(&super::http_client(), &cfg, &redirect).await {
                Ok(s) => s,
                Err(e) => return refused(&st, &ctx, &school, cfg.protocol.as_str(), e).await,
            };
            let now = st.clock.now_ms();
            store::insert_flow(
                &st.db,
                &sha256_hex(&started.state),
                &store::Flow {
                    school_id: school.id,
                    nonce: started.nonce,
                    pkce_verifier: started.pkce_verifier,
                    next_path: next,
                },
                now,
                now + FLOW_MS,
            )
            .await?;
            let jar = jar.add(cookie(&st, FLOW_COOKIE, started.state));
            Ok((jar, Redirect::to(&started.authorize_url)).into_response())
        }
    }
}

// ---------------------------------------------------------------- CAS

#[derive(Deserialize)]
struct TicketQuery {
    ticket: Option<String>,
    next: Option<String>,
}

async fn cas_callback(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<TicketQuery>,
) -> AppResult<Response> {
    let (school, cfg) = school_with(&st, &code, Some(Protocol::Cas)).await?;
    let next = crate::web::context::same_site_path(q.next.as_deref());
    let ticket = q.ticket.unwrap_or_default();
    let ticket_hash = sha256_hex(&ticket);
    let result = async {
        if ticket.is_empty() || ticket.len() > 256 {
            return Err(SsoError::Refused("cas_no_ticket".into()));
        }
        // A ticket is taken once here too, whatever the CAS server would say.
        if !store::take_ticket(&st.db, &ticket_hash, school.id, st.clock.now_ms()).await? {
            return Err(SsoError::Refused("cas_ticket_replayed".into()));
        }
        let service = cas_service(&st, &headers, &school, &next);
        let v = cas::validate(&super::http_client(), &cfg, &service, &ticket).await?;
        let number = v
            .number(&cfg.number_attribute)
            .ok_or_else(|| SsoError::Refused("cas_no_number_attribute".into()))?
            .to_string();
        super::sign_in_number(
            &st.db,
            &st.clock,
            &st.config,
            school.id,
            &number,
            &ctx.ip,
            user_agent(&headers),
        )
        .await
    }
    .await;
    match result {
        Ok(s) => {
            store::link_ticket_session(&st.db, &ticket_hash, &s.session_hash).await?;
            signed_in(&st, &ctx, jar, &school, "cas", s, &next).await
        }
        Err(e) => refused(&st, &ctx, &school, "cas", e).await,
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    #[serde(rename = "logoutRequest")]
    logout_request: Option<String>,
}

/// CAS single logout: the CAS server posts a `logoutRequest` naming the service ticket; the
/// session that ticket opened ends. Unknown tickets are ignored (the answer is the same).
async fn cas_logout_request(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    body: Bytes,
) -> AppResult<StatusCode> {
    let (school, _) = school_with(&st, &code, Some(Protocol::Cas)).await?;
    let form: LogoutForm = serde_urlencoded_form(&body);
    let Some(ticket) = form.logout_request.as_deref().and_then(cas::logout_ticket) else {
        return Ok(StatusCode::OK);
    };
    if let Some(account) =
        store::end_ticket_session(&st.db, &sha256_hex(&ticket), school.id).await?
    {
        st.sessions
            .remove_where(|c| c.principal.account_id == account);
        let mut actor = ctx.actor();
        actor.name = "cas".into();
        audit::record(
            &st.db.pool,
            &st.clock,
            &actor,
            Event {
                action: "auth.sso_logout",
                target_kind: "account",
                target_id: account.to_string(),
                unit_path: school.path.clone(),
                detail: serde_json::json!({ "protocol": "cas" }),
            },
        )
        .await?;
    }
    Ok(StatusCode::OK)
}

fn serde_urlencoded_form(body: &[u8]) -> LogoutForm {
    let mut out = LogoutForm {
        logout_request: None,
    };
    for (k, v) in form_urlencoded_pairs(body) {
        if k == "logoutRequest" {
            out.logout_request = Some(v);
        }
    }
    out
}

/// `application/x-www-form-urlencoded` pairs.
fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    openidconnect::url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

// ---------------------------------------------------------------- OIDC

#[derive(Deserialize)]
struct CodeQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn oidc_callback(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<CodeQuery>,
) -> AppResult<Response> {
    let (school, cfg) = school_with(&st, &code, Some(Protocol::Oidc)).await?;
    let bound = jar.get(FLOW_COOKIE).map(|c| c.value().to_string());
    let jar = jar.remove(FLOW_COOKIE);
    let result = async {
        if let Some(e) = q.error.as_deref() {
            let e: String = e
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(40)
                .collect();
            return Err(SsoError::Refused(format!("oidc_error_{e}")));
        }
        let state = q.state.clone().unwrap_or_default();
        // The state must be the one this browser started with, and a live flow of this school.
        if state.is_empty() || bound.as_deref() != Some(state.as_str()) {
            return Err(SsoError::Refused("oidc_state_mismatch".into()));
        }
        let Some(flow) =
            store::take_flow(&st.db, &sha256_hex(&state), school.id, st.clock.now_ms()).await?
        else {
            return Err(SsoError::Refused("oidc_state_mismatch".into()));
        };
        let authorization_code = q.code.clone().unwrap_or_default();
        if authorization_code.is_empty() {
            return Err(SsoError::Refused("oidc_no_code".into()));
        }
        let number = oidc::finish(
            &super::http_client(),
            &cfg,
            &oidc_redirect(&st, &headers, &school),
            &authorization_code,
            &flow.nonce,
            &flow.pkce_verifier,
        )
        .await?;
        let s = super::sign_in_number(
            &st.db,
            &st.clock,
            &st.config,
            school.id,
            &number,
            &ctx.ip,
            user_agent(&headers),
        )
        .await?;
        Ok((s, flow.next_path))
    }
    .await;
    match result {
        Ok((s, next)) => signed_in(&st, &ctx, jar, &school, "oidc", s, &next).await,
        Err(e) => {
            let r = refused(&st, &ctx, &school, "oidc", e).await?;
            Ok((jar, r).into_response())
        }
    }
}

// ---------------------------------------------------------------- outcome

pub(super) async fn signed_in(
    st: &AppState,
    ctx: &Ctx,
    jar: CookieJar,
    school: &Unit,
    protocol: &str,
    s: SsoSignIn,
    next: &str,
) -> AppResult<Response> {
    let mut actor = ctx.actor();
    actor.account_id = Some(s.session.account_id);
    actor.name = s.person_no.chars().take(64).collect();
    audit::record(
        &st.db.pool,
        &st.clock,
        &actor,
        Event {
            action: "auth.sso_login",
            target_kind: "account",
            target_id: s.session.account_id.to_string(),
            unit_path: school.path.clone(),
            detail: serde_json::json!({
                "protocol": protocol,
                "activated": s.activated,
            }),
        },
    )
    .await?;
    let jar = jar
        .add(cookie(st, SESSION_COOKIE, s.session.token))
        .remove(PRELOGIN_CSRF_COOKIE);
    Ok((
        jar,
        Redirect::to(&crate::web::context::same_site_path(Some(next))),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "auth/sso_refused.html")]
struct RefusedPage {
    lang: Lang,
    school_name: String,
    school_code: String,
    title: String,
    message: String,
}

impl RefusedPage {
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

/// Audits a refused sign-in and shows the person what to do. Nothing was created.
pub(super) async fn refused(
    st: &AppState,
    ctx: &Ctx,
    school: &Unit,
    protocol: &str,
    e: SsoError,
) -> AppResult<Response> {
    if let SsoError::Db(e) = e {
        return Err(e.into());
    }
    if let SsoError::Unavailable(detail) = &e {
        tracing::warn!(school = %school.code, %detail, "identity service unavailable");
    }
    audit::record(
        &st.db.pool,
        &st.clock,
        &ctx.actor(),
        Event {
            action: "auth.sso_refused",
            target_kind: "unit",
            target_id: school.code.clone(),
            unit_path: school.path.clone(),
            detail: serde_json::json!({ "protocol": protocol, "reason": e.reason() }),
        },
    )
    .await?;
    let (status, key) = match e {
        SsoError::NotOnRoster => (StatusCode::FORBIDDEN, "sso-not-on-roster"),
        SsoError::NotCurrent => (StatusCode::FORBIDDEN, "sso-not-current"),
        SsoError::NotBound => (StatusCode::FORBIDDEN, "sso-not-bound"),
        SsoError::Unavailable(_) => (StatusCode::BAD_GATEWAY, "sso-unavailable"),
        _ => (StatusCode::FORBIDDEN, "sso-refused"),
    };
    let lang = ctx.lang;
    let page = RefusedPage {
        lang,
        school_name: school.name.clone(),
        school_code: school.code.clone(),
        title: lang.t(&format!("{key}-title")),
        message: crate::web::error::Msg::new(key)
            .arg("school", school.name.clone())
            .render(lang),
    };
    Ok((status, Html(page.render()?)).into_response())
}

// ---------------------------------------------------------------- settings

#[derive(Template)]
#[template(path = "auth/sso_settings.html")]
struct SettingsPage {
    ctx: PageCtx,
    unit: Unit,
    protocol: String,
    server_url: String,
    cas_version: String,
    client_id: String,
    has_secret: bool,
    number_attribute: String,
    local_passwords: bool,
    builtin_test: bool,
    callback: String,
    error: Option<String>,
    notice: Option<String>,
    /// DingTalk and WeCom: (platform, app id, agent id, secret stored, callback URL).
    platform_apps: Vec<(&'static str, String, String, bool, String)>,
}

/// The school whose settings these are: a school admin of that school, else 404.
async fn school_for_settings(st: &AppState, u: &User, code: &str) -> AppResult<Unit> {
    let unit = org_store::unit_by_code(&st.db, code)
        .await?
        .filter(|u| u.kind == UnitKind::School)
        .ok_or_else(AppError::not_found)?;
    authorize(st, u, Action::ConfigureSignIn, Target::Unit(&unit.path)).await?;
    Ok(unit)
}

#[derive(Deserialize)]
struct SettingsQuery {
    mapped: Option<usize>,
}

async fn settings_page(
    State(st): State<AppState>,
    u: User,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<SettingsQuery>,
) -> AppResult<Response> {
    let unit = school_for_settings(&st, &u, &code).await?;
    let cfg = store::school_sign_in(&st.db, unit.id).await?;
    let notice = q.mapped.map(|n| {
        crate::web::error::Msg::new("sso-mapping-done")
            .arg("n", n)
            .render(u.ctx.lang)
    });
    render_settings(
        &st,
        &u,
        &headers,
        unit,
        cfg.as_ref(),
        None,
        notice,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_settings(
    st: &AppState,
    u: &User,
    headers: &HeaderMap,
    unit: Unit,
    cfg: Option<&SchoolSignIn>,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let ctx = page_ctx(st, u).await;
    let protocol = cfg.map_or("none", |c| c.protocol.as_str()).to_string();
    let callback = match cfg.map(|c| c.protocol) {
        Some(Protocol::Oidc) => oidc_redirect(st, headers, &unit),
        _ => cas_service(st, headers, &unit, "/"),
    };
    let mut platform_apps = Vec::new();
    for p in super::platforms::Platform::ALL {
        let app = super::platforms::app_of(&st.db, unit.id, p).await?;
        platform_apps.push((
            p.as_str(),
            app.as_ref().map(|a| a.app_id.clone()).unwrap_or_default(),
            app.as_ref().map(|a| a.agent_id.clone()).unwrap_or_default(),
            app.is_some(),
            format!(
                "{}/sso/{}/{}/callback",
                base_url(st, headers),
                unit.code,
                p.as_str()
            ),
        ));
    }
    let page = SettingsPage {
        platform_apps,
        ctx,
        protocol,
        server_url: cfg.map(|c| c.server_url.clone()).unwrap_or_default(),
        cas_version: cfg.map_or("3", |c| c.cas_version.as_str()).to_string(),
        client_id: cfg.map(|c| c.client_id.clone()).unwrap_or_default(),
        has_secret: cfg.is_some_and(|c| !c.client_secret.expose().is_empty()),
        number_attribute: cfg.map(|c| c.number_attribute.clone()).unwrap_or_default(),
        local_passwords: cfg.is_none_or(|c| c.local_passwords),
        builtin_test: cfg.is_some_and(|c| c.builtin_test),
        callback,
        unit,
        error,
        notice,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
struct SettingsForm {
    protocol: String,
    #[serde(default)]
    server_url: String,
    #[serde(default)]
    cas_version: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    number_attribute: String,
    local_passwords: Option<String>,
}

/// Checks a server URL: https, or http to this machine only (a test or demo server).
fn server_url_ok(s: &str) -> bool {
    let Ok(u) = openidconnect::url::Url::parse(s) else {
        return false;
    };
    let loopback = matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    (u.scheme() == "https" || (u.scheme() == "http" && loopback))
        && u.host_str().is_some()
        && u.query().is_none()
        && u.fragment().is_none()
        && u.username().is_empty()
}

fn attribute_ok(s: &str) -> bool {
    s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

async fn settings_save(
    State(st): State<AppState>,
    u: User,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(f): Form<SettingsForm>,
) -> AppResult<Response> {
    let unit = school_for_settings(&st, &u, &code).await?;
    let existing = store::school_sign_in(&st.db, unit.id).await?;
    let invalid = |key: &str| u.ctx.t(key);
    let parsed: Result<Option<SchoolSignIn>, String> = (|| {
        if f.protocol == "none" {
            return Ok(None);
        }
        let protocol = Protocol::parse(&f.protocol).ok_or_else(|| invalid("sso-err-protocol"))?;
        let server_url = f.server_url.trim().trim_end_matches('/').to_string();
        if !server_url_ok(&server_url) {
            return Err(invalid("sso-err-server-url"));
        }
        let number_attribute = f.number_attribute.trim().to_string();
        if !attribute_ok(&number_attribute) {
            return Err(invalid("sso-err-attribute"));
        }
        let cas_version = CasVersion::parse(f.cas_version.trim()).unwrap_or(CasVersion::V3);
        let client_id = f.client_id.trim().to_string();
        // A blank secret keeps the stored one: it is never shown back.
        let client_secret = if f.client_secret.is_empty() {
            existing
                .as_ref()
                .filter(|e| e.protocol == protocol)
                .map(|e| e.client_secret.clone())
                .unwrap_or_else(|| Secret::new(""))
        } else {
            Secret::new(f.client_secret.clone())
        };
        if protocol == Protocol::Oidc
            && (client_id.is_empty()
                || client_id.len() > 200
                || client_secret.expose().is_empty()
                || client_secret.expose().len() > 500)
        {
            return Err(invalid("sso-err-client"));
        }
        Ok(Some(SchoolSignIn {
            school_id: unit.id,
            protocol,
            server_url,
            cas_version,
            client_id,
            client_secret,
            number_attribute,
            local_passwords: f.local_passwords.is_some(),
            builtin_test: false,
        }))
    })();
    let cfg = match parsed {
        Ok(c) => c,
        Err(msg) => {
            return render_settings(
                &st,
                &u,
                &headers,
                unit,
                existing.as_ref(),
                Some(msg),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    match &cfg {
        Some(c) => store::save(&st.db, c, Some(u.p.account_id), st.clock.now_ms()).await?,
        None => {
            store::remove(&st.db, unit.id).await?;
        }
    }
    audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        Event {
            action: "auth.sign_in_configured",
            target_kind: "unit",
            target_id: unit.code.clone(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({
                "protocol": cfg.as_ref().map_or("none", |c| c.protocol.as_str()),
                "server_url": cfg.as_ref().map(|c| c.server_url.clone()),
                "number_attribute": cfg.as_ref().map(|c| c.number_attribute.clone()),
                "local_passwords": cfg.as_ref().is_none_or(|c| c.local_passwords),
                "secret_changed": !f.client_secret.is_empty(),
            }),
        },
    )
    .await?;
    let notice = Some(u.ctx.t("sso-saved"));
    render_settings(
        &st,
        &u,
        &headers,
        unit,
        cfg.as_ref(),
        None,
        notice,
        StatusCode::OK,
    )
    .await
}

/// What the login page shows for a school: its SSO button and whether its local form is for
/// administrators only.
pub struct LoginChoice {
    pub school_code: String,
    pub school_name: String,
    pub protocol: &'static str,
    pub local_passwords: bool,
    pub builtin_test: bool,
    /// DingTalk / WeCom sign-in the school offers.
    pub platforms: Vec<&'static str>,
}

pub async fn login_choice(st: &AppState, code: &str) -> AppResult<Option<LoginChoice>> {
    let Some(unit) = org_store::unit_by_code(&st.db, code.trim())
        .await?
        .filter(|u| u.kind == UnitKind::School)
    else {
        return Ok(None);
    };
    let cfg = store::school_sign_in(&st.db, unit.id).await?;
    let platforms = super::platforms::platforms_of(&st.db, unit.id)
        .await?
        .into_iter()
        .map(|p| p.as_str())
        .collect();
    Ok(Some(LoginChoice {
        platforms,
        school_code: unit.code,
        school_name: unit.name,
        protocol: cfg.as_ref().map_or("", |c| c.protocol.as_str()),
        local_passwords: cfg.as_ref().is_none_or(|c| c.local_passwords),
        builtin_test: cfg.as_ref().is_some_and(|c| c.builtin_test),
    }))
}

/// Whether a password sign-in of this account is allowed by its school's settings: always for
/// accounts outside a school roster and for school admins (break-glass), else only where the
/// school kept local passwords.
pub async fn local_password_allowed(
    db: &crate::db::Db,
    acc: &crate::auth::store::AccountRow,
) -> crate::db::DbResult<bool> {
    let Some(org) = acc.org_id else {
        return Ok(true);
    };
    let Some(cfg) = store::school_sign_in(db, org).await? else {
        return Ok(true);
    };
    if cfg.local_passwords {
        return Ok(true);
    }
    let grants = crate::auth::store::grants_of(db, acc.id).await?;
    Ok(grants
        .iter()
        .any(|g| g.role == crate::auth::model::Role::SchoolAdmin))
}

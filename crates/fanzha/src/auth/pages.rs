//! Pages and API of accounts: login, logout, language, password change, API tokens.

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::model::{parse_scopes, Scope};
use super::service::{self, AuthError, LoginRequest};
use super::store;
use crate::audit::{self, Event};
use crate::error::{AppError, AppResult};
use crate::web::context::{
    cookie, same_site_path, Ctx, User, LANG_COOKIE, PRELOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::web::i18n::Lang;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang", get(lang_cookie).post(set_lang))
        .route("/account", get(account_page))
        .route("/account/password", post(change_password))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
        .route("/api/v1/me", get(api_me))
        .route("/api/v1/tokens", get(api_tokens))
        .route("/api/v1/tokens/{id}/revoke", post(api_revoke_token))
}

impl From<AuthError> for AppError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::BadCredentials => {
                AppError::new(axum::http::StatusCode::UNAUTHORIZED, "auth-err-credentials")
            }
            AuthError::RateLimited { retry_after_secs } => {
                AppError::too_many("auth-err-rate", retry_after_secs)
            }
            AuthError::Expired => {
                AppError::new(axum::http::StatusCode::UNAUTHORIZED, "err-session-expired")
            }
            AuthError::Invalid(key) => AppError::unprocessable(key),
            AuthError::ScopeBeyondRoles(s) => {
                AppError::unprocessable("auth-err-token-scope-role").arg("scope", s.as_str())
            }
            AuthError::Db(e) => e.into(),
        }
    }
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    lang: Lang,
    csrf: String,
    next: String,
    error: Option<String>,
    notice: Option<String>,
    username: String,
    /// The school named in the URL, with its identity service if it has one.
    choice: Option<super::sso::web::LoginChoice>,
    /// Schools with an identity service, for the picker (code, name).
    sso_schools: Vec<(String, String)>,
}

impl LoginPage {
    /// The password form is for everyone, unless the school switched local passwords off (then
    /// it is folded away, for its administrators' break-glass sign-in).
    /// Where the language links come back to: this page, with its school.
    fn lang_back(&self) -> String {
        match &self.choice {
            Some(c) => format!(
                "/login%3Fschool%3D{}",
                crate::web::context::urlencode(&c.school_code)
            ),
            None => "/login".to_string(),
        }
    }
    fn local_for_all(&self) -> bool {
        self.choice.as_ref().is_none_or(|c| c.local_passwords)
    }
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
struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    school: Option<String>,
    /// Show the page even inside DingTalk / WeCom (after a failed in-app sign-in, or to use a
    /// password instead).
    manual: Option<String>,
}

/// The school part of the login page: the school from the URL, else the picker of schools with
/// an identity service.
async fn login_schools(
    st: &AppState,
    school: Option<&str>,
) -> AppResult<(Option<super::sso::web::LoginChoice>, Vec<(String, String)>)> {
    let choice = match school.map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => super::sso::web::login_choice(st, code).await?,
        None => None,
    };
    let schools = if choice.is_none() {
        super::sso::store::schools_with_sign_in(&st.db).await?
    } else {
        vec![]
    };
    Ok((choice, schools))
}

async fn login_page(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    Query(q): Query<LoginQuery>,
) -> AppResult<Response> {
    if ctx.principal.is_some() {
        return Ok(Redirect::to(&same_site_path(q.next.as_deref())).into_response());
    }
    let (choice, sso_schools) = login_schools(&st, q.school.as_deref()).await?;
    // Opened inside DingTalk or WeCom (the school's workbench app links here with its school):
    // sign in with that platform straight away, no scan and no click (免登).
    if let (Some(c), None) = (&choice, &q.manual) {
        let ua = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let in_app = super::sso::platforms::Platform::ALL
            .into_iter()
            .find(|p| p.is_client(ua) && c.platforms.contains(&p.as_str()));
        if let Some(p) = in_app {
            return Ok(Redirect::to(&format!(
                "/sso/{}/{}/start?next={}",
                crate::text::urlencode(&c.school_code),
                p.as_str(),
                crate::text::urlencode(&same_site_path(q.next.as_deref()))
            ))
            .into_response());
        }
    }
    let (jar, csrf) = match jar.get(PRELOGIN_CSRF_COOKIE) {
        Some(c) if !c.value().is_empty() => (jar.clone(), c.value().to_string()),
        _ => {
            let v = super::password::random_token();
            (jar.add(cookie(&st, PRELOGIN_CSRF_COOKIE, v.clone())), v)
        }
    };
    let page = LoginPage {
        lang: ctx.lang,
        csrf,
        next: same_site_path(q.next.as_deref()),
        error: None,
        notice: (q.expired.is_some() || ctx.session_expired).then(|| ctx.t("auth-session-expired")),
        username: String::new(),
        choice,
        sso_schools,
    };
    Ok((jar, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    school: Option<String>,
}

async fn login_submit(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let ua = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let req = LoginRequest {
        username: &f.username,
        password: &f.password,
        ip: &ctx.ip,
        user_agent: ua,
    };
    match service::login(&st.db, &st.clock, &st.config, &req).await {
        Ok(s) => {
            let mut actor = ctx.actor();
            actor.account_id = Some(s.account_id);
            actor.name = f.username.trim().to_string();
            audit::record(
                &st.db.pool,
                &st.clock,
                &actor,
                Event {
                    action: "auth.login",
                    target_kind: "account",
                    target_id: s.account_id.to_string(),
                    unit_path: store::home_path(&st.db, s.account_id).await?,
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            let jar = jar
                .add(cookie(&st, SESSION_COOKIE, s.token))
                .remove(PRELOGIN_CSRF_COOKIE);
            let to = if s.must_change_password {
                "/account?must_change=1".to_string()
            } else {
                same_site_path(f.next.as_deref())
            };
            Ok((jar, Redirect::to(&to)).into_response())
        }
        Err(service::LoginRefusal { reason, error: e }) => {
            let mut actor = ctx.actor();
            actor.name = f.username.trim().chars().take(64).collect();
            if !matches!(e, AuthError::Db(_)) {
                // The same queries whether the account exists or not (no timing difference).
                let account = store::account_by_username(&st.db, f.username.trim()).await?;
                let unit_path =
                    store::home_path(&st.db, account.map_or(AccountId(0), |a| a.id)).await?;
                audit::record(
                    &st.db.pool,
                    &st.clock,
                    &actor,
                    Event {
                        action: "auth.login_failed",
                        target_kind: "account",
                        target_id: actor.name.clone(),
                        unit_path,
                        detail: serde_json::json!({ "reason": reason }),
                    },
                )
                .await?;
            }
            let err: AppError = e.into();
            let (choice, sso_schools) = login_schools(&st, f.school.as_deref()).await?;
            let page = LoginPage {
                lang: ctx.lang,
                csrf: ctx.csrf.clone(),
                next: same_site_path(f.next.as_deref()),
                error: Some(err.msg.render(ctx.lang)),
                notice: None,
                username: f.username.chars().take(64).collect(),
                choice,
                sso_schools,
            };
            let mut resp = (err.status, Html(page.render()?)).into_response();
            if let Some(s) = err.retry_after {
                if let Ok(v) = axum::http::HeaderValue::from_str(&s.to_string()) {
                    resp.headers_mut()
                        .insert(axum::http::header::RETRY_AFTER, v);
                }
            }
            Ok(resp)
        }
    }
}

async fn logout(State(st): State<AppState>, u: User, jar: CookieJar) -> AppResult<Response> {
    service::logout(&st.db, &st.sessions, &u.p).await?;
    audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        Event {
            action: "auth.logout",
            target_kind: "account",
            target_id: u.p.account_id.to_string(),
            unit_path: store::home_path(&st.db, u.p.account_id).await?,
            detail: serde_json::json!({}),
        },
    )
    .await?;
    Ok((jar.remove(SESSION_COOKIE), Redirect::to("/login")).into_response())
}

#[derive(Deserialize)]
struct LangQuery {
    set: String,
    next: Option<String>,
}

/// The language cookie of this browser, with a redirect to a page of this site. A link may do
/// this (the sign-in page has no session to protect); it never changes a stored setting.
async fn lang_cookie(
    State(st): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = Lang::from_code(&q.set);
    (
        jar.add(lang_cookie_of(&st, lang)),
        Redirect::to(&same_site_path(q.next.as_deref())),
    )
        .into_response()
}

/// The language switcher of signed-in pages: a form (POST, with the CSRF token the middleware
/// checks) that also stores the language on the account, for messages sent to it later.
async fn set_lang(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    Form(f): Form<LangQuery>,
) -> AppResult<Response> {
    let lang = Lang::from_code(&f.set);
    if let Some(p) = &ctx.principal {
        store::set_locale(&st.db, p.account_id, lang.code()).await?;
    }
    Ok((
        jar.add(lang_cookie_of(&st, lang)),
        Redirect::to(&same_site_path(f.next.as_deref())),
    )
        .into_response())
}

fn lang_cookie_of(st: &AppState, lang: Lang) -> axum_extra::extract::cookie::Cookie<'static> {
    let mut c = cookie(st, LANG_COOKIE, lang.code().to_string());
    c.set_http_only(false);
    c
}

#[derive(Template)]
#[template(path = "auth/account.html")]
struct AccountPage {
    ctx: PageCtx,
    username: String,
    tokens: Vec<store::TokenInfo>,
    scopes: Vec<&'static str>,
    new_token: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    /// DingTalk / WeCom sign-in of the person's school: (school code, platform, bound).
    platform_binds: Vec<(String, &'static str, bool)>,
}

/// The DingTalk / WeCom identities an activated roster account may bind, and which it has.
async fn platform_binds(
    st: &AppState,
    account_id: AccountId,
) -> AppResult<Vec<(String, &'static str, bool)>> {
    let Some(acc) = store::account_by_id(&st.db, account_id).await? else {
        return Ok(vec![]);
    };
    let (Some(org), Some(_)) = (acc.org_id, acc.activated_at) else {
        return Ok(vec![]);
    };
    let Some(school) = crate::org::store::unit_by_id(&st.db, org).await? else {
        return Ok(vec![]);
    };
    let bound = super::sso::platforms::bindings_of(&st.db, account_id).await?;
    Ok(super::sso::platforms::platforms_of(&st.db, org)
        .await?
        .into_iter()
        .map(|p| (school.code.clone(), p.as_str(), bound.contains(&p)))
        .collect())
}

async fn render_account(
    st: &AppState,
    u: &User,
    new_token: Option<String>,
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(st, u).await;
    let tokens = store::tokens_of(&st.db, u.p.account_id).await?;
    Ok(Html(
        AccountPage {
            ctx,
            username: u.p.username.clone(),
            tokens,
            // Only the scopes this account's roles can use are offered.
            scopes: Scope::ALL
                .iter()
                .filter(|s| s.usable_by(&u.p.roles()))
                .map(|s| s.as_str())
                .collect(),
            new_token,
            error,
            notice,
            platform_binds: platform_binds(st, u.p.account_id).await?,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
struct AccountQuery {
    must_change: Option<String>,
    bound: Option<String>,
}

async fn account_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<AccountQuery>,
) -> AppResult<Html<String>> {
    // After a password reset by staff, sign-in lands here with this notice.
    let notice = if q.must_change.is_some() || u.p.must_change_password {
        Some(u.ctx.lang.t("account-must-change"))
    } else {
        q.bound.is_some().then(|| u.ctx.lang.t("sso-bound-done"))
    };
    render_account(&st, &u, None, None, notice).await
}

#[derive(Deserialize)]
struct PasswordForm {
    old_password: String,
    new_password: String,
    confirm: String,
}

async fn change_password(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    if f.new_password != f.confirm {
        let html = render_account(
            &st,
            &u,
            None,
            Some(u.ctx.t("auth-err-password-mismatch")),
            None,
        )
        .await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    }
    match service::change_password(
        &st.db,
        &st.clock,
        &st.sessions,
        &u.p,
        &f.old_password,
        &f.new_password,
    )
    .await
    {
        Ok(()) => {
            audit::record(
                &st.db.pool,
                &st.clock,
                &u.ctx.actor(),
                Event {
                    action: "auth.password_changed",
                    target_kind: "account",
                    target_id: u.p.account_id.to_string(),
                    unit_path: store::home_path(&st.db, u.p.account_id).await?,
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            Ok(
                render_account(&st, &u, None, None, Some(u.ctx.t("auth-password-changed")))
                    .await?
                    .into_response(),
            )
        }
        Err(AuthError::Db(e)) => Err(e.into()),
        Err(e) => {
            let err: AppError = match e {
                AuthError::BadCredentials => AppError::unprocessable("auth-err-old-password"),
                other => other.into(),
            };
            let html =
                render_account(&st, &u, None, Some(err.msg.render(u.ctx.lang)), None).await?;
            Ok((err.status, html).into_response())
        }
    }
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    #[serde(default)]
    scopes: Vec<String>,
    ttl_days: Option<String>,
}

async fn create_token(
    State(st): State<AppState>,
    u: User,
    axum_extra::extract::Form(f): axum_extra::extract::Form<TokenForm>,
) -> AppResult<Response> {
    let scopes = match parse_scopes(&f.scopes.join(",")) {
        Ok(s) => s,
        Err(_) => {
            let html =
                render_account(&st, &u, None, Some(u.ctx.t("auth-err-token-scopes")), None).await?;
            return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
        }
    };
    let ttl = match f
        .ttl_days
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => match s.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                let html = render_account(&st, &u, None, Some(u.ctx.t("auth-err-token-ttl")), None)
                    .await?;
                return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
            }
        },
    };
    match service::create_token(&st.db, &st.clock, u.p.account_id, &f.name, &scopes, ttl).await {
        Ok(t) => {
            audit::record(
                &st.db.pool,
                &st.clock,
                &u.ctx.actor(),
                Event {
                    action: "auth.token_created",
                    target_kind: "api_token",
                    target_id: t.id.to_string(),
                    unit_path: store::home_path(&st.db, u.p.account_id).await?,
                    detail: serde_json::json!({"name": f.name, "scopes": f.scopes}),
                },
            )
            .await?;
            Ok(render_account(&st, &u, Some(t.token), None, None)
                .await?
                .into_response())
        }
        Err(AuthError::Db(e)) => Err(e.into()),
        Err(e) => {
            let err: AppError = e.into();
            let html =
                render_account(&st, &u, None, Some(err.msg.render(u.ctx.lang)), None).await?;
            Ok((err.status, html).into_response())
        }
    }
}

async fn do_revoke(st: &AppState, u: &User, id: i64) -> AppResult<()> {
    if !store::revoke_token(&st.db, u.p.account_id, id, st.clock.now_ms()).await? {
        return Err(AppError::not_found());
    }
    crate::auth::service::forget_token(&st.tokens, id);
    audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        Event {
            action: "auth.token_revoked",
            target_kind: "api_token",
            target_id: id.to_string(),
            unit_path: store::home_path(&st.db, u.p.account_id).await?,
            detail: serde_json::json!({}),
        },
    )
    .await?;
    Ok(())
}

async fn revoke_token(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    do_revoke(&st, &u, id).await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    pub account_id: AccountId,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<MeGrant>,
    pub student_id: Option<StudentId>,
    pub staff_id: Option<i64>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MeGrant {
    pub role: String,
    pub unit_id: UnitId,
    pub unit_name: String,
}

/// Who am I: the account behind the token and its roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = Me), (status = 401)))]
pub async fn api_me(u: User) -> Json<Me> {
    Json(Me {
        account_id: u.p.account_id,
        username: u.p.username.clone(),
        display_name: u.p.display_name.clone(),
        roles: u
            .p
            .grants
            .iter()
            .map(|g| MeGrant {
                role: g.role.as_str().to_string(),
                unit_id: g.unit_id,
                unit_name: g.unit_name.clone(),
            })
            .collect(),
        student_id: u.p.student_id,
        staff_id: u.p.staff_id,
    })
}

/// The caller's own API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", responses((status = 200, body = [store::TokenInfo]), (status = 401)))]
pub async fn api_tokens(
    State(st): State<AppState>,
    u: User,
) -> AppResult<Json<Vec<store::TokenInfo>>> {
    Ok(Json(store::tokens_of(&st.db, u.p.account_id).await?))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/revoke", tag = "accounts", params(("id" = i64, Path)), responses((status = 204), (status = 404)))]
pub async fn api_revoke_token(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<axum::http::StatusCode> {
    do_revoke(&st, &u, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

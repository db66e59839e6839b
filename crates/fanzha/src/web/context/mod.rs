//! Per-request context: request id, language, the authenticated principal, CSRF checks, security
//! headers, metrics, and the rendering of [`AppError`]s. One middleware builds it; handlers take
//! [`Ctx`] (anyone) or [`User`] (signed in) as extractors.

use std::time::Instant;

use axum::body::to_bytes;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::error::AppError;
use super::i18n::Lang;
use super::AppState;
use crate::audit::Actor;
use crate::auth::model::{Principal, Via};
use crate::auth::service::{self, AuthError};

mod csrf;
mod origin;

use csrf::check_csrf;
use origin::client_ip;
pub use origin::{client_address, same_site_path};

pub const SESSION_COOKIE: &str = "fz_session";
pub const PRELOGIN_CSRF_COOKIE: &str = "fz_csrf";
pub const LANG_COOKIE: &str = "fz_lang";

/// What every handler may know about the request.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub request_id: String,
    pub lang: Lang,
    pub ip: String,
    pub principal: Option<Principal>,
    /// A session cookie was sent but the session had expired.
    pub session_expired: bool,
    /// The CSRF token forms must carry.
    pub csrf: String,
    pub is_api: bool,
    pub path: String,
}

impl Ctx {
    pub fn actor(&self) -> Actor {
        Actor {
            account_id: self.principal.as_ref().map(|p| p.account_id),
            name: self
                .principal
                .as_ref()
                .map_or_else(|| "anonymous".to_string(), |p| p.username.clone()),
            ip: self.ip.clone(),
            request_id: self.request_id.clone(),
        }
    }
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(AppError::internal)
    }
}

/// A signed-in caller. Pages redirect to the login page; the API answers 401.
#[derive(Clone, Debug)]
pub struct User {
    pub p: Principal,
    pub ctx: Ctx,
}

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ctx = parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::internal().into_response())?;
        match ctx.principal.clone() {
            Some(p) => Ok(User { p, ctx }),
            None if ctx.is_api => {
                let key = if ctx.session_expired {
                    "err-session-expired"
                } else {
                    "err-unauthorized"
                };
                Err(AppError::new(StatusCode::UNAUTHORIZED, key).into_response())
            }
            None => {
                let next = urlencode(&ctx.path);
                let q = if ctx.session_expired {
                    "&expired=1"
                } else {
                    ""
                };
                Err(Redirect::to(&format!("/login?next={next}{q}")).into_response())
            }
        }
    }
}

pub use crate::text::urlencode;
fn new_request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..16].to_string()
}

/// The middleware that builds [`Ctx`], checks CSRF, and renders errors.
pub async fn context(
    State(st): State<AppState>,
    jar: CookieJar,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let path = req.uri().path().to_string();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or(path.clone(), |p| p.as_str().to_string());
    let is_api = path.starts_with("/api/");
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map_or_else(new_request_id, str::to_string);
    let ip = client_ip(&req, &st.config.trusted_proxies);

    let mut principal = None;
    let mut session_expired = false;
    let mut via_cookie = false;
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let mut auth_failed = false;
    if bearer.is_some() && !is_api {
        // API tokens open the API only: every page, form and export outside /api/ refuses them,
        // whatever their scopes, so a token can never act through a page's looser checks.
        return finish(
            &st,
            AppError::new(StatusCode::UNAUTHORIZED, "err-token-outside-api").into_response(),
            jar.get(LANG_COOKIE)
                .map(|c| Lang::from_code(c.value()))
                .unwrap_or_default(),
            is_api,
            &request_id,
            started,
            None,
        )
        .await;
    }
    if let Some(tok) = bearer {
        match service::principal_for_token(&st.db, &st.clock, &st.tokens, &tok).await {
            Ok(Some(p)) => principal = Some(p),
            Ok(None) => auth_failed = true,
            Err(e) => {
                tracing::error!(error = %e, "token lookup");
                return lookup_failed(&st, is_api, &request_id, started).await;
            }
        }
    } else if let Some(c) = jar.get(SESSION_COOKIE) {
        via_cookie = true;
        match service::principal_for_session(&st.db, &st.clock, &st.config, &st.sessions, c.value())
            .await
        {
            Ok(p) => principal = p,
            Err(AuthError::Expired) => session_expired = true,
            Err(e) => {
                tracing::error!(error = %e, "session lookup");
                return lookup_failed(&st, is_api, &request_id, started).await;
            }
        }
    }
    let lang = jar
        .get(LANG_COOKIE)
        .map(|c| Lang::from_code(c.value()))
        .or_else(|| principal.as_ref().map(|p| Lang::from_code(&p.locale)))
        .unwrap_or_default();
    let csrf = match principal.as_ref().map(|p| &p.via) {
        Some(Via::Session { csrf, .. }) => csrf.clone(),
        _ => jar
            .get(PRELOGIN_CSRF_COOKIE)
            .map(|c| c.value().to_string())
            .unwrap_or_default(),
    };
    let ctx = Ctx {
        request_id: request_id.clone(),
        lang,
        ip,
        principal,
        session_expired,
        csrf: csrf.clone(),
        is_api,
        path: path_and_query,
    };

    if auth_failed {
        return finish(
            &st,
            AppError::new(StatusCode::UNAUTHORIZED, "err-bad-token").into_response(),
            lang,
            is_api,
            &request_id,
            started,
            Some(&ctx),
        )
        .await;
    }

    // CSRF: every state-changing request made with a browser cookie must carry the form token.
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Browser requests: any with a session cookie, and every page form (the login form included,
    // which carries the pre-login token). API calls without a cookie use tokens and need none.
    // A password reset by staff locks the session to choosing a new password: every other page
    // leads back there, every API call is refused.
    if let Some(p) = ctx.principal.as_ref() {
        let session = matches!(p.via, Via::Session { .. });
        let allowed = matches!(
            path.as_str(),
            "/account" | "/account/password" | "/logout" | "/lang"
        ) || path.starts_with("/assets/");
        if p.must_change_password && session && !allowed {
            let resp = if is_api {
                AppError::new(StatusCode::FORBIDDEN, "auth-err-must-change").into_response()
            } else {
                Redirect::to("/account?must_change=1").into_response()
            };
            return finish(&st, resp, lang, is_api, &request_id, started, Some(&ctx)).await;
        }
    }
    // The one exception: a CAS server's single-logout request, posted server to server (no
    // cookie) to the CAS service URL; it can only end the session its ticket opened.
    let cas_back_channel = !via_cookie && path.starts_with("/sso/cas/");
    if unsafe_method && (via_cookie || !is_api) && !cas_back_channel {
        req = match check_csrf(req, &csrf, st.config.max_upload_bytes).await {
            Ok(r) => r,
            Err(e) => {
                return finish(
                    &st,
                    e.into_response(),
                    lang,
                    is_api,
                    &request_id,
                    started,
                    Some(&ctx),
                )
                .await
            }
        };
    }

    req.extensions_mut().insert(ctx.clone());
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let method = req.method().clone();
    let resp = next.run(req).await;
    if let Some(m) = matched {
        st.metrics
            .observe(&method, &m, resp.status(), started.elapsed());
    }
    finish(&st, resp, lang, is_api, &request_id, started, Some(&ctx)).await
}

/// An extractor's own rejection (a malformed form or JSON body, a body over the size limit) comes
/// as plain text from axum; it becomes our error, in the caller's language and format.
async fn rejection(resp: &mut Response) -> Option<AppError> {
    let status = resp.status();
    let plain = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    // axum answers a method the path does not take with an empty, untyped 405.
    let bare_405 = status == StatusCode::METHOD_NOT_ALLOWED
        && !resp.headers().contains_key(header::CONTENT_TYPE);
    if !status.is_client_error() || !(plain || bare_405) {
        return None;
    }
    let key = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "err-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "err-media-type",
        StatusCode::METHOD_NOT_ALLOWED => "err-method",
        _ => "err-bad-input",
    };
    let body = std::mem::take(resp.body_mut());
    let text = to_bytes(body, 4096)
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let mut e = AppError::new(status, key);
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        e = e.details(vec![super::error::Msg::new("err-detail").arg("text", t)]);
    }
    Some(e)
}

/// Adds security headers and the request id, and renders an [`AppError`] left in the response.
/// A failed token or session lookup: a plain 500 in the default language, before any principal.
async fn lookup_failed(
    st: &AppState,
    is_api: bool,
    request_id: &str,
    started: Instant,
) -> Response {
    finish(
        st,
        AppError::internal().into_response(),
        Lang::default(),
        is_api,
        request_id,
        started,
        None,
    )
    .await
}

async fn finish(
    st: &AppState,
    mut resp: Response,
    lang: Lang,
    is_api: bool,
    request_id: &str,
    _started: Instant,
    ctx: Option<&Ctx>,
) -> Response {
    if let Some(err) = resp.extensions_mut().remove::<AppError>() {
        resp = render_error(&err, lang, is_api, ctx);
    } else if let Some(err) = rejection(&mut resp).await {
        let allow = resp.headers().get(header::ALLOW).cloned();
        resp = render_error(&err, lang, is_api, ctx);
        if let Some(allow) = allow {
            resp.headers_mut().insert(header::ALLOW, allow);
        }
    }
    let h = resp.headers_mut();
    let relaxed = ctx.is_some_and(|c| c.path.starts_with("/api/docs"));
    let csp = if relaxed {
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    } else {
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    };
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if st.config.secure_cookies() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-request-id", v);
    }
    resp
}

fn render_error(err: &AppError, lang: Lang, is_api: bool, ctx: Option<&Ctx>) -> Response {
    let mut resp = if is_api {
        (err.status, axum::Json(err.json_body(lang))).into_response()
    } else {
        let page = super::layout::ErrorPage {
            lang,
            status: err.status.as_u16(),
            message: err.msg.render(lang),
            details: err.details.iter().map(|d| d.render(lang)).collect(),
            signed_in: ctx.is_some_and(|c| c.principal.is_some()),
        };
        match askama::Template::render(&page) {
            Ok(html) => (err.status, Html(html)).into_response(),
            Err(_) => (err.status, err.msg.render(lang)).into_response(),
        }
    };
    if let Some(secs) = err.retry_after {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    resp
}

/// A cookie with our defaults: HttpOnly, SameSite=Lax, path /, Secure behind HTTPS. Sessions end
/// on the server (expiry and idle timeout); the cookie itself lives for the browser session.
pub fn cookie(st: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(st.config.secure_cookies());
    c
}

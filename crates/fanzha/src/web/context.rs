//! Per-request context: request id, language, the authenticated principal, CSRF checks, security
//! headers, metrics, and the rendering of [`AppError`]s. One middleware builds it; handlers take
//! [`Ctx`] (anyone) or [`User`] (signed in) as extractors.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
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

/// The only redirect target fanzha takes from a request (`next` after login, after a language
/// change…): a path on this site, else `/`. A same-site path has one leading `/` (never `//` or
/// `/\`, which browsers read as another host), no `\` and no control characters — nor any of
/// these hidden behind percent-encoding, however many times encoded. The result is a valid
/// `Location` header (anything beyond visible ASCII is percent-encoded).
pub fn same_site_path(next: Option<&str>) -> String {
    match next {
        Some(n) if is_same_site_path(n) => {
            let mut out = String::with_capacity(n.len());
            for c in n.chars() {
                if c.is_ascii_graphic() {
                    out.push(c);
                } else {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("%{b:02X}"));
                    }
                }
            }
            out
        }
        _ => "/".to_string(),
    }
}

fn is_same_site_path(n: &str) -> bool {
    let plain = |s: &str| {
        s.starts_with('/')
            && !s.starts_with("//")
            && !s.contains('\\')
            && !s.chars().any(char::is_control)
    };
    let mut cur = n.to_string();
    // Each decoding must pass too; a path still changing after a few decodings is refused.
    for _ in 0..4 {
        if !plain(&cur) {
            return false;
        }
        match percent_decode(&cur) {
            Some(d) if d == cur => return true,
            Some(d) => cur = d,
            None => return false,
        }
    }
    false
}

/// `%XX` decoding of a path (no `+` rule); `None` when the bytes are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

pub use crate::text::urlencode;

fn client_ip(req: &Request, trusted: &[std::net::IpAddr]) -> String {
    let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".to_string();
    };
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    client_address(peer, &forwarded, trusted).to_string()
}

/// The client's address: the peer, unless the peer is a trusted proxy; then, walking
/// `X-Forwarded-For` from the right (the entry the nearest proxy appended), the first address that
/// is not itself a trusted proxy. Entries left of an untrusted or malformed one are never believed
/// (a client can write anything there).
pub fn client_address(
    peer: std::net::IpAddr,
    forwarded: &str,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for entry in forwarded.rsplit(',').map(str::trim) {
        let Ok(ip) = entry.parse::<std::net::IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted.contains(&ip) {
            break;
        }
    }
    client
}

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
                return finish(
                    &st,
                    AppError::internal().into_response(),
                    Lang::default(),
                    is_api,
                    &request_id,
                    started,
                    None,
                )
                .await;
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
                return finish(
                    &st,
                    AppError::internal().into_response(),
                    Lang::default(),
                    is_api,
                    &request_id,
                    started,
                    None,
                )
                .await;
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

/// Checks the CSRF token of a request: the `X-CSRF-Token` header, the `csrf` field of a
/// URL-encoded form (the body is read and put back), or the first part of a multipart form, which
/// must be the `csrf` field (only that part is read; the upload behind it streams on untouched).
/// The token is never taken from the URL, where it would leak into logs and `Referer` headers.
/// Returns the request to continue with.
async fn check_csrf(req: Request, expected: &str, limit: usize) -> Result<Request, AppError> {
    let refused = || AppError::new(StatusCode::FORBIDDEN, "err-csrf");
    if expected.is_empty() {
        return Err(refused());
    }
    let header_ok = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| constant_eq(v, expected));
    if header_ok {
        return Ok(req);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if let Some(boundary) = multipart_boundary(&content_type) {
        return check_multipart_csrf(req, &boundary, expected).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(refused());
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "err-too-large"))?;
    let ok = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|s| form_field(s, "csrf"))
        .is_some_and(|v| constant_eq(&v, expected));
    if ok {
        Ok(Request::from_parts(parts, Body::from(bytes)))
    } else {
        Err(refused())
    }
}

/// How much of a multipart body is read to find its first part, the token.
const MULTIPART_HEAD_LIMIT: usize = 4096;

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
    })
}

/// Reads a multipart body only as far as the end of its first part, checks that this part is the
/// `csrf` field holding the expected token, and puts the bytes read back in front of the rest.
async fn check_multipart_csrf(
    req: Request,
    boundary: &str,
    expected: &str,
) -> Result<Request, AppError> {
    use futures::StreamExt;
    let refused = || AppError::new(StatusCode::FORBIDDEN, "err-csrf");
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let verdict = loop {
        match first_part_value(&head, boundary) {
            FirstPart::Value(v) => break constant_eq(&v, expected),
            FirstPart::NotToken => break false,
            FirstPart::Incomplete if head.len() >= MULTIPART_HEAD_LIMIT => break false,
            FirstPart::Incomplete => match stream.next().await {
                Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                Some(Err(_)) | None => break false,
            },
        }
    };
    if !verdict {
        return Err(refused());
    }
    let front = futures::stream::once(async move { Ok(axum::body::Bytes::from(head)) });
    Ok(Request::from_parts(
        parts,
        Body::from_stream(front.chain(stream)),
    ))
}

#[derive(Debug, PartialEq)]
enum FirstPart {
    /// The first part is the `csrf` field with this value.
    Value(String),
    /// The first part is something else (or the body is not a well-formed multipart body).
    NotToken,
    /// More bytes are needed to decide.
    Incomplete,
}

/// The value of the first part of a multipart body if that part is the `csrf` text field.
fn first_part_value(buf: &[u8], boundary: &str) -> FirstPart {
    let opening = format!("--{boundary}\r\n");
    if buf.len() < opening.len() {
        return if opening.as_bytes().starts_with(buf) {
            FirstPart::Incomplete
        } else {
            FirstPart::NotToken
        };
    }
    if !buf.starts_with(opening.as_bytes()) {
        return FirstPart::NotToken;
    }
    let rest = &buf[opening.len()..];
    let Some(headers_end) = find(rest, b"\r\n\r\n") else {
        return FirstPart::Incomplete;
    };
    let Ok(headers) = std::str::from_utf8(&rest[..headers_end]) else {
        return FirstPart::NotToken;
    };
    let is_token_field = headers.split("\r\n").any(|line| {
        let Some((name, value)) = line.split_once(':') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("content-disposition")
            && value
                .split(';')
                .skip(1)
                .any(|p| p.trim() == "name=\"csrf\"")
            && !value.contains("filename")
    });
    if !is_token_field {
        return FirstPart::NotToken;
    }
    let body = &rest[headers_end + 4..];
    let closing = format!("\r\n--{boundary}");
    match find(body, closing.as_bytes()) {
        Some(end) => match std::str::from_utf8(&body[..end]) {
            Ok(v) => FirstPart::Value(v.to_string()),
            Err(_) => FirstPart::NotToken,
        },
        None => FirstPart::Incomplete,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn form_field(s: &str, name: &str) -> Option<String> {
    form_urlencoded(s).find(|(k, _)| k == name).map(|(_, v)| v)
}

fn form_urlencoded(s: &str) -> impl Iterator<Item = (String, String)> + '_ {
    s.split('&').filter_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        Some((decode(k)?, decode(v)?))
    })
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let h = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_site_paths_are_redirect_targets() {
        for ok in [
            "/",
            "/org",
            "/org/unit/SCH1?x=1&y=%2B",
            "/a//b",
            "/reports/1#top",
        ] {
            assert_eq!(same_site_path(Some(ok)), ok, "{ok}");
        }
        assert_eq!(same_site_path(Some("/学生")), "/%E5%AD%A6%E7%94%9F");
        assert_eq!(same_site_path(Some("/a b")), "/a%20b");
        for bad in [
            "",
            "org",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\r\nX:1",
            "https://evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "/%0d%0aX:1",
            "/%252F/evil.example",
            "/%25252525252F/evil.example",
            "/%ff",
            "/x\u{7f}",
        ] {
            assert_eq!(same_site_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(same_site_path(None), "/");
    }

    #[test]
    fn multipart_token_is_read_from_the_first_part_only() {
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"ab c\"").as_deref(),
            Some("ab c")
        );
        assert_eq!(multipart_boundary("multipart/form-data"), None);
        assert_eq!(multipart_boundary("text/plain; boundary=x"), None);
        let token = "--XB\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--XB\r\n";
        assert_eq!(
            first_part_value(token.as_bytes(), "XB"),
            FirstPart::Value("tok".into())
        );
        // Cut anywhere before the part ends, more is needed.
        for cut in 0..token.len() - 6 {
            assert_eq!(
                first_part_value(&token.as_bytes()[..cut], "XB"),
                FirstPart::Incomplete,
                "{cut}"
            );
        }
        let file_first = "--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nx\r\n--XB\r\n";
        assert_eq!(
            first_part_value(file_first.as_bytes(), "XB"),
            FirstPart::NotToken
        );
        let named_like =
            "--XB\r\nContent-Disposition: form-data; name=\"csrf2\"\r\n\r\nx\r\n--XB\r\n";
        assert_eq!(
            first_part_value(named_like.as_bytes(), "XB"),
            FirstPart::NotToken
        );
        assert_eq!(first_part_value(b"garbage", "XB"), FirstPart::NotToken);
    }

    #[test]
    fn form_fields_decode() {
        assert_eq!(
            form_field("a=1&csrf=x%2By+z", "csrf").as_deref(),
            Some("x+y z")
        );
        assert_eq!(form_field("a=1", "csrf"), None);
        assert!(constant_eq("abc", "abc"));
        assert!(!constant_eq("abc", "abd"));
        assert!(!constant_eq("abc", "ab"));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let proxies = [ip("10.0.0.2"), ip("10.0.0.3")];
        // (peer, X-Forwarded-For, trusted proxies, the client's address)
        let cases: [(&str, &str, &[std::net::IpAddr], &str); 7] = [
            // No trusted proxy configured, or a peer that is not one: the header is ignored.
            ("203.0.113.9", "1.2.3.4", &[], "203.0.113.9"),
            ("203.0.113.9", "1.2.3.4", &proxies, "203.0.113.9"),
            // One proxy: the entry it appended.
            ("10.0.0.2", "198.51.100.7", &proxies, "198.51.100.7"),
            // A forged entry on the left is not believed; two proxies in a row are skipped.
            (
                "10.0.0.2",
                "6.6.6.6, 198.51.100.7, 10.0.0.3",
                &proxies,
                "198.51.100.7",
            ),
            // Missing or malformed header: the proxy's own address, never a guess.
            ("10.0.0.2", "", &proxies, "10.0.0.2"),
            ("10.0.0.2", "junk", &proxies, "10.0.0.2"),
            ("10.0.0.2", "6.6.6.6, junk, 10.0.0.3", &proxies, "10.0.0.3"),
        ];
        for (peer, header, trusted, want) in cases {
            assert_eq!(
                client_address(ip(peer), header, trusted),
                ip(want),
                "{peer} / {header:?}"
            );
        }
    }
}

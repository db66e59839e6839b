//! Pages of DingTalk and WeCom sign-in: starting a sign-in or a binding, the callback, the
//! school's app settings and its mapping import.

use crate::kernel::ids::AccountId;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::platforms::{self, Platform, PlatformApp};
use super::web::{base_url, refused, signed_in, user_agent, FLOW_COOKIE, FLOW_MS};
use super::{store, SsoError};
use crate::audit::{self, Event};
use crate::auth::password::{random_token, sha256_hex};
use crate::auth::policy::{Action, Target};
use crate::config::Secret;
use crate::org::access::authorize;
use crate::org::model::{Unit, UnitKind};
use crate::org::store as org_store;
use crate::web::context::{cookie, Ctx, User};
use crate::web::error::{AppError, AppResult};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for p in Platform::ALL {
        let name = p.as_str();
        r = r
            .route(
                &format!("/sso/{{code}}/{name}/start"),
                get(move |st, ctx, jar, h, path, q| start(st, ctx, jar, h, path, q, p, None)),
            )
            .route(
                &format!("/sso/{{code}}/{name}/bind"),
                get(move |st, u: User, jar, h, path, q| {
                    let ctx = u.ctx.clone();
                    start(st, ctx, jar, h, path, q, p, Some(u))
                }),
            )
            .route(
                &format!("/sso/{{code}}/{name}/callback"),
                get(move |st, ctx, jar, h, path, q| callback(st, ctx, jar, h, path, q, p)),
            );
    }
    r.route("/org/unit/{code}/sign-in/platform", post(save_app))
        .route("/org/unit/{code}/sign-in/mapping", post(import_mapping))
}

fn callback_url(st: &AppState, headers: &HeaderMap, school: &Unit, p: Platform) -> String {
    format!(
        "{}/sso/{}/{}/callback",
        base_url(st, headers),
        school.code,
        p.as_str()
    )
}

async fn school_app(st: &AppState, code: &str, p: Platform) -> AppResult<(Unit, PlatformApp)> {
    let unit = org_store::unit_by_code(&st.db, code)
        .await?
        .filter(|u| u.kind == UnitKind::School)
        .ok_or_else(AppError::not_found)?;
    let app = platforms::app_of(&st.db, unit.id, p)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((unit, app))
}

#[derive(Deserialize)]
struct StartQuery {
    /// Where to go once signed in (a path of this site).
    next: Option<String>,
}

/// Starts a sign-in (or, signed in, a binding of this account) at the platform.
#[allow(clippy::too_many_arguments)]
async fn start(
    State(st): State<AppState>,
    _ctx: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<StartQuery>,
    p: Platform,
    binder: Option<User>,
) -> AppResult<Response> {
    let (school, app) = school_app(&st, &code, p).await?;
    let purpose = match &binder {
        // Only an activated account of this school binds an identity of this school's app.
        Some(u) => {
            let acc = crate::auth::store::account_by_id(&st.db, u.p.account_id)
                .await?
                .filter(|a| a.org_id == Some(school.id) && a.activated_at.is_some())
                .ok_or_else(AppError::not_found)?;
            format!("bind:{}", acc.id)
        }
        // A sign-in keeps where the person was going (always a path of this site).
        None => crate::web::context::same_site_path(q.next.as_deref()),
    };
    let state = random_token();
    let now = st.clock.now_ms();
    store::insert_flow(
        &st.db,
        &sha256_hex(&state),
        &store::Flow {
            school_id: school.id,
            nonce: p.as_str().to_string(),
            pkce_verifier: String::new(),
            next_path: purpose,
        },
        now,
        now + FLOW_MS,
    )
    .await?;
    let url = platforms::authorize_url(
        &st.config,
        &app,
        &callback_url(&st, &headers, &school, p),
        &state,
        p.is_client(user_agent(&headers)),
    );
    Ok((jar.add(cookie(&st, FLOW_COOKIE, state)), Redirect::to(&url)).into_response())
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    #[serde(rename = "authCode")]
    auth_code: Option<String>,
    state: Option<String>,
}

async fn callback(
    State(st): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<CallbackQuery>,
    p: Platform,
) -> AppResult<Response> {
    let (school, app) = school_app(&st, &code, p).await?;
    let bound_cookie = jar.get(FLOW_COOKIE).map(|c| c.value().to_string());
    let jar = jar.remove(FLOW_COOKIE);
    let result: Result<Option<(super::SsoSignIn, String)>, SsoError> = async {
        let state = q.state.clone().unwrap_or_default();
        if state.is_empty() || bound_cookie.as_deref() != Some(state.as_str()) {
            return Err(SsoError::Refused(format!("{}_state_mismatch", p.as_str())));
        }
        let flow = store::take_flow(&st.db, &sha256_hex(&state), school.id, st.clock.now_ms())
            .await?
            .filter(|f| f.nonce == p.as_str())
            .ok_or_else(|| SsoError::Refused(format!("{}_state_mismatch", p.as_str())))?;
        let auth_code = q
            .auth_code
            .clone()
            .or_else(|| q.code.clone())
            .unwrap_or_default();
        if auth_code.is_empty() || auth_code.len() > 512 {
            return Err(SsoError::Refused(format!("{}_no_code", p.as_str())));
        }
        // A code is taken once, whatever the platform would say.
        let key = sha256_hex(&format!("{}:{auth_code}", p.as_str()));
        if !store::take_ticket(&st.db, &key, school.id, st.clock.now_ms()).await? {
            return Err(SsoError::Refused(format!("{}_code_reused", p.as_str())));
        }
        let uid = platforms::user_id(&super::http_client(), &st.config, &app, &auth_code).await?;
        if let Some(account) = flow.next_path.strip_prefix("bind:") {
            let account: AccountId = account
                .parse()
                .map_err(|_| SsoError::Refused("bad_flow".into()))?;
            // The binding finishes in the session that started it.
            if ctx.principal.as_ref().map(|p| p.account_id) != Some(account) {
                return Err(SsoError::Refused(format!("{}_state_mismatch", p.as_str())));
            }
            if !platforms::bind(&st.db, school.id, p, &uid, account, st.clock.now_ms()).await? {
                return Err(SsoError::Refused(format!("{}_already_bound", p.as_str())));
            }
            audit::record(
                &st.db.pool,
                &st.clock,
                &ctx.actor(),
                Event {
                    action: "auth.platform_bound",
                    target_kind: "account",
                    target_id: account.to_string(),
                    unit_path: school.path.clone(),
                    detail: serde_json::json!({ "platform": p.as_str() }),
                },
            )
            .await?;
            return Ok(None);
        }
        let account = platforms::bound_account(&st.db, school.id, p, &uid)
            .await?
            .ok_or(SsoError::NotBound)?;
        let s = super::sign_in_account(
            &st.db,
            &st.clock,
            &st.config,
            school.id,
            account,
            &ctx.ip,
            user_agent(&headers),
        )
        .await?;
        Ok(Some((s, flow.next_path)))
    }
    .await;
    match result {
        Ok(Some((s, next))) => {
            let next = crate::web::context::same_site_path(Some(&next));
            signed_in(&st, &ctx, jar, &school, p.as_str(), s, &next).await
        }
        Ok(None) => Ok((jar, Redirect::to("/account?bound=1")).into_response()),
        Err(e) => {
            let r = refused(&st, &ctx, &school, p.as_str(), e).await?;
            Ok((jar, r).into_response())
        }
    }
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
struct AppForm {
    platform: String,
    #[serde(default)]
    app_id: String,
    #[serde(default)]
    agent_id: String,
    #[serde(default)]
    app_secret: String,
    remove: Option<String>,
}

fn id_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Saves (or removes) a school's DingTalk / WeCom app. A blank secret keeps the stored one.
async fn save_app(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    Form(f): Form<AppForm>,
) -> AppResult<Response> {
    let unit = school_for_settings(&st, &u, &code).await?;
    let p =
        Platform::parse(&f.platform).ok_or_else(|| AppError::unprocessable("sso-err-platform"))?;
    if f.remove.is_some() {
        platforms::remove_app(&st.db, unit.id, p).await?;
    } else {
        let existing = platforms::app_of(&st.db, unit.id, p).await?;
        let secret = if f.app_secret.is_empty() {
            existing.map(|e| e.app_secret)
        } else {
            Some(Secret::new(f.app_secret.clone()))
        };
        let agent_ok = p == Platform::DingTalk || id_ok(f.agent_id.trim());
        let Some(secret) = secret.filter(|s| s.expose().len() <= 256) else {
            return Err(AppError::unprocessable("sso-err-platform-app"));
        };
        if !id_ok(f.app_id.trim()) || !agent_ok {
            return Err(AppError::unprocessable("sso-err-platform-app"));
        }
        platforms::save_app(
            &st.db,
            &PlatformApp {
                school_id: unit.id,
                platform: p,
                app_id: f.app_id.trim().to_string(),
                agent_id: f.agent_id.trim().to_string(),
                app_secret: secret,
            },
            st.clock.now_ms(),
        )
        .await?;
    }
    audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        Event {
            action: "auth.platform_configured",
            target_kind: "unit",
            target_id: unit.code.clone(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({
                "platform": p.as_str(),
                "removed": f.remove.is_some(),
                "app_id": f.app_id.trim(),
                "secret_changed": !f.app_secret.is_empty(),
            }),
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/org/unit/{}/sign-in", unit.code)).into_response())
}

/// Imports a CSV of `platform_user_id,number` for one platform: all or nothing, the first bad
/// line named.
async fn import_mapping(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    mp: Multipart,
) -> AppResult<Response> {
    let unit = school_for_settings(&st, &u, &code).await?;
    let fields = crate::web::multipart::fields(mp, "sso-err-mapping-upload").await?;
    let mut platform = None;
    let mut file = None;
    for (name, data) in fields {
        match name.as_str() {
            "platform" => platform = Platform::parse(&crate::web::multipart::text(&data)),
            "file" => file = Some(String::from_utf8_lossy(&data).into_owned()),
            _ => {}
        }
    }
    let (Some(p), Some(file)) = (platform, file) else {
        return Err(AppError::unprocessable("sso-err-mapping-upload"));
    };
    match platforms::import_mapping(&st.db, unit.id, p, &file, st.clock.now_ms()).await? {
        Ok(n) => {
            audit::record(
                &st.db.pool,
                &st.clock,
                &u.ctx.actor(),
                Event {
                    action: "auth.platform_mapping_imported",
                    target_kind: "unit",
                    target_id: unit.code.clone(),
                    unit_path: unit.path.clone(),
                    detail: serde_json::json!({ "platform": p.as_str(), "rows": n }),
                },
            )
            .await?;
            Ok(
                Redirect::to(&format!("/org/unit/{}/sign-in?mapped={n}", unit.code))
                    .into_response(),
            )
        }
        Err(e) => Err(AppError::unprocessable(e.key).arg("line", e.line)),
    }
}

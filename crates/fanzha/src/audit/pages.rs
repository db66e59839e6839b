//! The audit log page and API, filtered to the caller's scope.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::{list, Entry, Filter};
use crate::auth::model::Scope;
use crate::auth::policy::{self, Action};
use crate::error::{AppError, AppResult};
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(page))
        .route("/api/v1/audit", get(api_list))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Action prefix, e.g. `person.` or `roster.import`.
    pub action: Option<String>,
    /// Part of the actor's username.
    pub actor: Option<String>,
    /// Exact target id.
    pub target: Option<String>,
    /// Exact target kind, e.g. `student`, `warning`, `report`, `case`.
    pub kind: Option<String>,
    /// Local date `YYYY-MM-DD` (viewer's zone), inclusive.
    #[param(format = Date)]
    pub from: Option<String>,
    #[param(format = Date)]
    pub to: Option<String>,
    /// Page of entries (default 1).
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
}

use crate::kernel::time::day_start;

const PAGE: i64 = 100;

fn filter(u: &User, q: &AuditQuery) -> AppResult<Filter> {
    let scope_paths = policy::scopes_for(&u.p, Action::ViewAudit);
    if scope_paths.is_empty() {
        return Err(AppError::forbidden());
    }
    let tz: chrono_tz::Tz = u.p.time_zone;
    let parse = |v: &Option<String>, end: bool| -> AppResult<Option<i64>> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => day_start(s, tz)
                .map(|t| Some(if end { t + 86_400_000 - 1 } else { t }))
                .ok_or_else(|| AppError::bad_request("audit-err-date").arg("value", s)),
        }
    };
    let page = q.page.unwrap_or(1);
    if !(1..=10_000).contains(&page) {
        return Err(AppError::bad_request("err-bad-paging"));
    }
    Ok(Filter {
        scope_paths,
        action: q.action.clone().unwrap_or_default(),
        actor: q.actor.clone().unwrap_or_default(),
        target: q.target.clone().unwrap_or_default(),
        kind: q.kind.clone().unwrap_or_default(),
        from: parse(&q.from, false)?,
        to: parse(&q.to, true)?,
        limit: PAGE,
        offset: (page - 1) * PAGE,
    })
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    ctx: PageCtx,
    entries: Vec<Entry>,
    action: String,
    actor: String,
    target: String,
    kind: String,
    from: String,
    to: String,
    page: i64,
    more: bool,
}

async fn page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<AuditQuery>,
) -> AppResult<Html<String>> {
    let f = filter(&u, &q)?;
    let entries = list(&st.db, &f).await?;
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        AuditPage {
            ctx,
            more: entries.len() as i64 == PAGE,
            entries,
            action: f.action,
            actor: f.actor,
            target: f.target,
            kind: f.kind,
            from: q.from.unwrap_or_default(),
            to: q.to.unwrap_or_default(),
            page: q.page.unwrap_or(1).max(1),
        }
        .render()?,
    ))
}

/// Audit entries in the caller's scope, newest first (100 per page).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), responses((status = 200, body = [Entry]), (status = 403)))]
pub async fn api_list(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<AuditQuery>,
) -> AppResult<Json<Vec<Entry>>> {
    require_scope(&u.p, Scope::AuditRead)?;
    let f = filter(&u, &q)?;
    Ok(Json(list(&st.db, &f).await?))
}

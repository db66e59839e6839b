//! The warning list taken elsewhere: CSV and .xlsx export of everything the overview's filter
//! keeps (all pages), in words, audited as an export.

use axum::extract::{Query, State};
use axum::response::Response;

use crate::auth::policy::{self, Action};
use crate::warnings::service::{self, ListQuery, EXPORT_MAX};
use crate::web::context::User;
use crate::web::error::{AppError, AppResult};
use crate::web::layout::page_ctx;
use crate::web::AppState;

use crate::web::context::urlencode as enc;

/// The filter of a list as a query string (status, unit, period), without page or limit.
pub fn query_of(q: &ListQuery) -> String {
    let v = |o: &Option<String>| enc(o.as_deref().unwrap_or(""));
    format!(
        "status={}&unit={}&from={}&to={}&q={}",
        v(&q.status),
        v(&q.unit),
        v(&q.from),
        v(&q.to),
        v(&q.q)
    )
}

async fn export(st: &AppState, u: &User, q: ListQuery, xlsx: bool) -> AppResult<Response> {
    use crate::csv_export::{Cell, Kind};
    if policy::scopes_for(&u.p, Action::ViewWarnings).is_empty() {
        return Err(AppError::forbidden());
    }
    let q = ListQuery {
        limit: Some(EXPORT_MAX),
        page: Some(1),
        ..q
    };
    let (_, ws) = service::list_page(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q, true).await?;
    let ctx = page_ctx(st, u).await;
    let rows = super::rows_for(st, &ctx, ws).await?;
    let headers = [
        ctx.t("warn-student"),
        ctx.t("warn-severity"),
        ctx.t("warn-fraud-type"),
        ctx.t("warn-status"),
        ctx.t("warn-level"),
        ctx.t("warn-created"),
        ctx.t("warn-deadline"),
    ];
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let texts: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.who.clone(),
                r.severity.clone(),
                r.fraud_type.clone(),
                r.status.clone(),
                r.level.clone(),
                ctx.time(&r.w.created_at),
                r.countdown.clone(),
            ]
        })
        .collect();
    let cells: Vec<Vec<Cell<'_>>> = texts
        .iter()
        .map(|r| r.iter().map(|c| Cell::Text(c)).collect())
        .collect();
    crate::web::download::table(
        Kind::of(xlsx),
        &ctx.t("warn-list"),
        &headers,
        &cells,
        "warnings",
    )
}

/// `/warnings/export.csv` and `/warnings/export.xlsx`.
pub async fn export_file(
    State(st): State<AppState>,
    u: User,
    format: crate::web::download::Format,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    export(&st, &u, q, format.xlsx()).await
}

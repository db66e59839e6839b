//! Public pages of contests, open without signing in: the receipt check, the published results
//! and the ballot log export.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::pages::Words;
use super::service;
use super::store::Contest;
use crate::error::AppResult;
use crate::web::context::Ctx;
use crate::web::i18n::Lang;
use crate::web::AppState;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/contests/{id}/results", get(results_page))
        .route("/contests/{id}/ballots.jsonl", get(export))
        .route("/contests/{id}/receipts", get(receipt_page))
}

/// What the public pages know: the reader's language.
struct PublicCtx {
    lang: Lang,
    signed_in: bool,
}

impl PublicCtx {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    fn ta(&self, key: &str, args: &[(&str, String)]) -> String {
        self.lang.ta(key, args)
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
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ReceiptQuery {
    hash: String,
    new: Option<String>,
}

#[derive(Template)]
#[template(path = "contests/receipt.html")]
struct ReceiptPage {
    ctx: PublicCtx,
    id: i64,
    hash: String,
    fresh: bool,
    found: Option<super::model::BallotLine>,
    bad: bool,
    cast_at: String,
}

async fn receipt_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ReceiptQuery>,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let tz = ctx
        .principal
        .as_ref()
        .map_or(chrono_tz::Asia::Shanghai, |p| p.time_zone);
    let (found, bad) = if q.hash.trim().is_empty() {
        (None, false)
    } else {
        match service::receipt(&st.db, id, &q.hash).await {
            Ok(f) => (f, false),
            Err(service::ContestError::Invalid(_)) => (None, true),
            Err(e) => return Err(e.into()),
        }
    };
    let status = if bad {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if !q.hash.trim().is_empty() && found.is_none() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let cast_at = found
        .as_ref()
        .map(|b| crate::web::layout::fmt_time(b.cast_at, tz))
        .unwrap_or_default();
    let html = ReceiptPage {
        ctx: PublicCtx {
            lang,
            signed_in: ctx.principal.is_some(),
        },
        id,
        hash: q.hash.trim().to_string(),
        fresh: q.new.is_some() && found.is_some(),
        found,
        bad,
        cast_at,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

#[derive(Template)]
#[template(path = "contests/results.html")]
struct ResultsPage {
    ctx: PublicCtx,
    w: Words,
    c: Contest,
    r: service::Results,
    published: String,
}

async fn results_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (c, r) = service::published(&st.db, id).await?;
    let tz = ctx
        .principal
        .as_ref()
        .map_or(chrono_tz::Asia::Shanghai, |p| p.time_zone);
    let published = crate::web::layout::fmt_time(c.published_at.unwrap_or_default(), tz);
    Ok(Html(
        ResultsPage {
            ctx: PublicCtx {
                lang: ctx.lang,
                signed_in: ctx.principal.is_some(),
            },
            w: Words(ctx.lang),
            c,
            r,
            published,
        }
        .render()?,
    ))
}

async fn export(State(st): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> AppResult<Response> {
    use futures::TryStreamExt;
    let pages = service::export(&st.db, &st.clock, ctx.principal.as_ref(), id).await?;
    // A failure after the first page ends the download short; the file then fails to verify.
    let body = axum::body::Body::from_stream(pages.map_err(|e| {
        tracing::warn!(error = %e, "ballot log export stopped");
        std::io::Error::other(e.to_string())
    }));
    Ok(crate::web::download::attachment(
        body,
        "application/x-ndjson; charset=utf-8",
        &format!("contest-{id}-ballots.jsonl"),
    ))
}

//! The review queue: content waiting for the caller's review, oldest first.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;

use crate::campaigns::review::{queue_for, QUEUE};
use crate::campaigns::store::Content;
use crate::error::AppResult;
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route(QUEUE, get(page))
}

pub struct QueueRow {
    pub c: Content,
    pub kind_label: String,
    pub types: String,
    pub editor: String,
}

#[derive(Template)]
#[template(path = "campaigns/review.html")]
struct QueuePage {
    ctx: PageCtx,
    rows: Vec<QueueRow>,
}

async fn page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    crate::campaigns::service::require_manager(&u.p)?;
    let ctx = page_ctx(&st, &u).await;
    let mut rows = Vec::new();
    for c in queue_for(&st.db, &u.p).await? {
        let editor = crate::auth::store::account_by_id(&st.db, c.editor_account_id)
            .await?
            .map(|a| a.display_name)
            .unwrap_or_default();
        rows.push(QueueRow {
            kind_label: ctx.t(&format!("camp-kind-{}", c.kind)),
            types: c
                .fraud_types
                .iter()
                .map(|t| ctx.t(&format!("camp-type-{t}")))
                .collect::<Vec<_>>()
                .join("、"),
            editor,
            c,
        });
    }
    Ok(Html(QueuePage { ctx, rows }.render()?))
}

//! Pages: the risk check (`/check`, everyone, phone first), the police console (`/intel`) with
//! import and export, and the review queue (`/intel/reviews`).

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use fanzha_detect::FraudType;
use serde::Deserialize;

use super::check::{self, Answer, Input};
use super::formats::{self, Format};
use super::model::{FraudTypes, Indicator, IndicatorKey, Status, Tlp};
use super::service::{self, By, ConflictOutcome, ImportSummary, Outcome};
use super::store::{self, Conflict, Filter, Review, StoredCheck};
use crate::auth::model::Principal;
use crate::auth::policy::{self, Action};
use crate::error::{AppError, AppResult};
use crate::web::context::User;
use crate::web::i18n::Lang;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/check", get(check_page).post(check_submit))
        .route("/check/{id}", get(check_result))
        .route("/check/{id}/wrong", post(check_wrong))
        .route("/intel", get(console))
        .route("/intel/new", post(console_new))
        .route("/intel/merge", post(console_merge))
        .route("/intel/import", post(console_import))
        .route("/intel/export", get(console_export))
        .route("/intel/{id}", post(console_decide))
        .route("/intel/reviews", get(reviews_page))
        .route("/intel/reviews/{id}", post(review_resolve))
        .route("/intel/conflicts/{id}", post(conflict_resolve))
        .route("/intel/examples.jsonl", get(examples_jsonl))
}

/// Police (and province admins) curate the indicator store.
pub fn is_curator(p: &Principal) -> bool {
    !policy::scopes_for(p, Action::CurateIntel).is_empty()
}

/// The caller as a curator, or 403 (written to the audit log like every refused access).
pub(crate) async fn curator(st: &AppState, u: &User) -> AppResult<By> {
    let scopes = policy::scopes_for(&u.p, Action::CurateIntel);
    match scopes.first() {
        Some(path) => Ok(By {
            actor: u.ctx.actor(),
            unit_path: path.clone(),
        }),
        None => {
            let path =
                u.p.grants
                    .first()
                    .and_then(|g| g.scope_paths.first().cloned())
                    .unwrap_or_default();
            crate::audit::record(
                &st.db.pool,
                &st.clock,
                &u.ctx.actor(),
                crate::audit::Event {
                    action: "access.denied",
                    target_kind: "intel",
                    target_id: String::new(),
                    unit_path: path,
                    detail: serde_json::json!({ "action": "CurateIntel", "path": u.ctx.path }),
                },
            )
            .await?;
            Err(AppError::forbidden())
        }
    }
}

mod console;
mod review;
mod risk_check;

use console::*;
use review::*;
use risk_check::*;

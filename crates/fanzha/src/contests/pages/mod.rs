//! Pages of contests: the list, the organiser's form (open, change rules until voting opens), the
//! contest page (phase, rules and their hash, entries, the organiser's review, judges and
//! publishing, the judge's sheets, one's own entries and receipts), the entry form, an entry (vote,
//! score), the receipt check, and the public results with the ballot log export.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

use super::model::{
    Category, EntryStatus, Licence, MediaKind, Phase, RulesInput, TieBreak, VotePeriod,
    PHASE_FIELDS,
};
use super::service::{self, ContestInput, EntryInput, Standing};
use super::store::{Contest, Entry};
use crate::error::{AppError, AppResult};
use crate::web::context::{Ctx, User};
use crate::web::i18n::Lang;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

mod entry;
mod form;
mod show;

use entry::*;
use form::*;
use show::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contests", get(list_page))
        .route("/contests/new", get(new_page).post(new_submit))
        .route("/contests/{id}", get(show_page))
        .route("/contests/{id}/edit", get(edit_page).post(edit_submit))
        .route("/contests/{id}/enter", get(enter_page).post(enter_submit))
        .route("/contests/{id}/judges", post(judges_submit))
        .route("/contests/{id}/assign", post(assign_submit))
        .route("/contests/{id}/publish", post(publish_submit))
        .route("/contests/{id}/entries/{eid}", get(entry_page))
        .route("/contests/{id}/entries/{eid}/image", get(image))
        .route("/contests/{id}/entries/{eid}/review", post(review_submit))
        .route("/contests/{id}/entries/{eid}/vote", post(vote_submit))
        .route("/contests/{id}/entries/{eid}/score", post(score_submit))
        .route(
            "/contests/{id}/entries/{eid}/withdraw",
            post(withdraw_submit),
        )
        .route("/contests/{id}/entries/{eid}/move", post(move_submit))
        .route("/contests/{id}/push", post(push_submit))
        .merge(super::public::routes())
}

/// Words for the contest's keys in the reader's language.
pub(super) struct Words(pub(super) Lang);

impl Words {
    pub(super) fn category(&self, c: &Category) -> String {
        self.0.t(&format!("contests-cat-{}", c.as_str()))
    }
    fn phase(&self, p: &Phase) -> String {
        self.0.t(&format!("contests-phase-{}", p.as_str()))
    }
    fn status(&self, s: &EntryStatus) -> String {
        self.0.t(&format!("contests-status-{}", s.as_str()))
    }
    fn media(&self, m: &MediaKind) -> String {
        self.0.t(&format!("contests-media-{}", m.as_str()))
    }
    fn licence(&self, l: &Licence) -> String {
        self.0.t(&format!("contests-licence-{}", l.as_str()))
    }
    fn period(&self, p: &VotePeriod) -> String {
        self.0.t(&format!("contests-period-{}", p.as_str()))
    }
    fn tie(&self, t: &TieBreak) -> String {
        self.0.t(&format!("contests-tie-{}", t.as_str()))
    }
    pub(super) fn pct(&self, x: &f64) -> String {
        format!("{:.1}", x * 100.0)
    }
}

fn msgs(lang: Lang, e: &AppError) -> Vec<String> {
    let mut v: Vec<String> = e.details.iter().map(|m| m.render(lang)).collect();
    if v.is_empty() {
        v.push(e.msg.render(lang));
    }
    v
}

/// A refused form shows again with its problems (422/409/403 with the page); other errors are
/// the error page.
fn refused(e: &AppError) -> bool {
    e.is_invalid() || e.status == StatusCode::CONFLICT || e.status == StatusCode::FORBIDDEN
}

// ---- list ----

#[derive(Template)]
#[template(path = "contests/list.html")]
struct ListPage {
    ctx: PageCtx,
    w: Words,
    items: Vec<(Contest, Phase, Standing)>,
    may_organise: bool,
}

async fn list_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let list = service::list(&st.db, &u.p).await?;
    let items = list
        .into_iter()
        .map(|(c, s)| {
            let ph = service::phase(&st.clock, &c);
            (c, ph, s)
        })
        .collect();
    let may_organise = !service::organiser_units(&st.db, &u.p).await?.is_empty();
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        ListPage {
            ctx,
            w: Words(u.ctx.lang),
            items,
            may_organise,
        }
        .render()?,
    ))
}

//! HTML pages of warnings: the responsible person's "my warnings" (phone first), one warning with
//! its timeline and actions, the police console, the jurisdiction/school view with the
//! identification queue, deadline settings and the appraisal.
//!
//! By page: `detail` (one warning, its timeline and the forms that act on it), `issue` (the police
//! console and CSV batches), `overview` (the scoped list with the identification queue),
//! `settings` (a school's deadlines and weights) and `chain` (the appraisal of the chain). Every
//! handler parses, calls one use case of `service`, and renders.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::appraisal::{Appraisal, Figures};
use super::model::*;
use super::service::{self, Act};
use super::service::{AppraisalQuery, ContactInput, ListQuery, OutcomeInput, SettingsInput};
use super::store;
use crate::auth::policy::{self, Action};
use crate::clock::Millis;
use crate::error::{AppError, AppResult};
use crate::kernel::ids::{StudentId, WarningId};
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

mod chain;
mod detail;
mod export;
mod issue;
mod overview;
mod settings;

use chain::*;
use detail::*;
use issue::*;
use overview::*;
use settings::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/warnings", get(mine))
        .route("/warnings/issue", get(issue_page).post(issue_submit))
        .route("/warnings/batch", post(batch_submit))
        .route("/warnings/overview", get(overview))
        .route("/warnings/export.csv", get(export::export_file))
        .route("/warnings/export.xlsx", get(export::export_file))
        .route(
            "/warnings/settings",
            get(settings_page).post(settings_submit),
        )
        .route("/warnings/appraisal", get(appraisal_page))
        .route("/warnings/appraisal.csv", get(appraisal_csv))
        .route("/warnings/{id}", get(detail))
        .route("/warnings/{id}/acknowledge", post(ack))
        .route("/warnings/{id}/contact", post(contact))
        .route("/warnings/{id}/outcome", post(outcome))
        .route("/warnings/{id}/identify", post(identify))
}

/// A warning as a row of a page, with its texts ready.
pub struct Row {
    pub w: Warning,
    pub severity: String,
    pub status: String,
    pub fraud_type: String,
    pub level: String,
    pub countdown: String,
    pub overdue: bool,
    pub who: String,
}

/// "in 8 min" / "overdue 3 min" for a deadline.
pub fn countdown(ctx: &PageCtx, deadline: Option<Millis>, now: Millis) -> (String, bool) {
    let Some(d) = deadline else {
        return (String::new(), false);
    };
    let diff = d - now;
    let mins = diff.abs() / 60_000;
    let text = if mins >= 120 {
        ctx.ta1("warn-hours", "n", &(mins / 60).to_string())
    } else {
        ctx.ta1(
            "warn-minutes",
            "n",
            &mins.max(if diff.abs() > 0 { 1 } else { 0 }).to_string(),
        )
    };
    if diff < 0 {
        (ctx.ta1("warn-overdue", "t", &text), true)
    } else {
        (ctx.ta1("warn-due-in", "t", &text), false)
    }
}

async fn rows(st: &AppState, ctx: &PageCtx, ws: Vec<Warning>) -> AppResult<Vec<Row>> {
    let now = st.clock.now_ms();
    let mut out = Vec::with_capacity(ws.len());
    let mut c = st.db.pool.acquire().await?;
    for w in ws {
        let (countdown, overdue) = countdown(ctx, w.next_deadline_at, now);
        let who = match w.student_id {
            Some(s) => store::student_ref(&mut c, s)
                .await?
                .map(|s| format!("{} {}", s.name, s.student_no))
                .unwrap_or_default(),
            None => w.phone.clone().or(w.student_no.clone()).unwrap_or_default(),
        };
        out.push(Row {
            severity: ctx.t(&format!("warn-sev-{}", w.severity)),
            status: ctx.t(&format!("warn-status-{}", w.status)),
            fraud_type: match w.kind {
                WarnKind::MuleRisk => ctx.t("mule-kind"),
                WarnKind::Fraud => ctx.fraud_type(w.fraud_type.id()),
            },
            level: ctx.t(level_key(w.level)),
            countdown,
            overdue,
            who,
            w,
        });
    }
    Ok(out)
}

/// One warning of a student's anti-fraud history, in people's words: when (viewer's time
/// zone), the fraud type, the status and the outcome (empty while none is recorded).
pub struct HistoryRow {
    pub id: WarningId,
    pub when: String,
    pub fraud_type: String,
    pub status: String,
    pub outcome: String,
}

/// The warnings about one student, newest first, for the student's record.
pub async fn history_of_student(
    st: &AppState,
    ctx: &PageCtx,
    student_id: StudentId,
) -> AppResult<Vec<HistoryRow>> {
    let mut c = st.db.pool.acquire().await?;
    let ws = store::of_student(&mut c, student_id, 100).await?;
    Ok(ws
        .into_iter()
        .map(|w| HistoryRow {
            id: w.id,
            when: ctx.time(&w.created_at),
            fraud_type: match w.kind {
                WarnKind::MuleRisk => ctx.t("mule-kind"),
                WarnKind::Fraud => ctx.fraud_type(w.fraud_type.id()),
            },
            status: ctx.t(&format!("warn-status-{}", w.status)),
            outcome: w
                .outcome
                .as_deref()
                .map(|o| ctx.t(&format!("warn-outcome-{o}")))
                .unwrap_or_default(),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "warnings/mine.html")]
struct MinePage {
    ctx: PageCtx,
    rows: Vec<Row>,
    links: Vec<(&'static str, String)>,
}

async fn mine(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let ws = service::mine(&st.db, &st.clock, &u.p, &u.ctx.actor()).await?;
    let ctx = page_ctx(&st, &u).await;
    let rows = rows(&st, &ctx, ws).await?;
    let has = |a: Action| !policy::scopes_for(&u.p, a).is_empty();
    Ok(Html(
        MinePage {
            links: [
                (Action::IssueWarning, "/warnings/issue", "warn-issue"),
                (Action::ViewWarnings, "/warnings/overview", "warn-overview"),
                (
                    Action::ViewAppraisal,
                    "/warnings/appraisal",
                    "warn-appraisal",
                ),
                (
                    Action::ConfigureWarnings,
                    "/warnings/settings",
                    "warn-settings",
                ),
            ]
            .into_iter()
            .filter(|(a, _, _)| has(*a))
            .map(|(_, href, key)| (href, ctx.t(key)))
            .collect(),
            ctx,
            rows,
        }
        .render()?,
    ))
}

pub async fn rows_for(st: &AppState, ctx: &PageCtx, ws: Vec<Warning>) -> AppResult<Vec<Row>> {
    rows(st, ctx, ws).await
}

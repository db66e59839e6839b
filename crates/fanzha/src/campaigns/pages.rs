//! Pages of campaigns: the list, one campaign's reach (tree, funnel, chart, recall), the gap
//! finder, and the reader's own delivery (read, acknowledge, answer, follow links).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api::{self, DeliveryOut, GapQuery, GapsOut};
use super::service as svc;
use super::store;
use crate::auth::policy::{self, Action};
use crate::error::{AppError, AppResult};
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list))
        .route("/campaigns/gaps", get(gaps))
        .route("/campaigns/{id}", get(campaign))
        .route("/campaigns/{id}/recall", post(recall))
        .route("/campaigns/c/{id}", get(from_robot))
        .route("/campaigns/d/{id}", get(delivery))
        .route("/campaigns/d/{id}/ack", post(ack))
        .route("/campaigns/d/{id}/quiz", post(quiz))
        .route("/campaigns/d/{id}/go/{n}", get(go))
}

#[derive(Template)]
#[template(path = "campaigns/list.html")]
struct ListPage {
    ctx: PageCtx,
    campaigns: Vec<store::Campaign>,
    units: Vec<(String, String)>,
    can_manage: bool,
}

async fn list(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    api::require_viewer(&u.p)?;
    let scopes = policy::scopes_for(&u.p, Action::ViewReach);
    let campaigns = store::campaigns_visible(&st.db, &scopes).await?;
    let units = crate::org::store::units_by_paths(&st.db, &scopes)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let ctx = page_ctx(&st, &u).await;
    let can_manage = !policy::scopes_for(&u.p, Action::ManageCampaigns).is_empty();
    Ok(Html(
        ListPage {
            ctx,
            campaigns,
            units,
            can_manage,
        }
        .render()?,
    ))
}

/// One row of the rendered tree: depth for indentation, the node, and its colour band.
pub struct Row {
    pub depth: usize,
    pub node: svc::ReachNode,
    pub band: &'static str,
    pub pct: String,
}

fn band(reach: f64) -> &'static str {
    if reach >= 0.8 {
        "fz-reach-good"
    } else if reach >= 0.5 {
        "fz-reach-mid"
    } else {
        "fz-reach-low"
    }
}

fn flatten(n: &svc::ReachNode, depth: usize, out: &mut Vec<Row>) {
    let mut leaf = n.clone();
    leaf.children.clear();
    out.push(Row {
        depth,
        band: band(n.funnel.reach),
        pct: format!("{:.0}%", n.funnel.reach * 100.0),
        node: leaf,
    });
    for c in &n.children {
        flatten(c, depth + 1, out);
    }
}

#[derive(Template)]
#[template(path = "campaigns/campaign.html")]
struct CampaignPage {
    ctx: PageCtx,
    c: store::Campaign,
    funnel: svc::Funnel,
    reach_pct: String,
    rows: Vec<Row>,
    chart_json: String,
    can_manage: bool,
    robots: Vec<store::RobotDelivery>,
    email: api::EmailCounts,
    type_label: String,
    status_label: String,
}

async fn campaign(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (c, roots) = svc::visible_campaign(&st.db, &u.p, id).await?;
    let mut trees = Vec::new();
    for r in &roots {
        trees.extend(svc::reach_tree(&st.db, id, r).await?);
    }
    let funnel = svc::total(&trees);
    let mut rows = Vec::new();
    for t in &trees {
        flatten(t, 0, &mut rows);
    }
    let tl = svc::timeline(&st.db, id, &roots).await?;
    // Data for the chart goes in a JSON block (CSP forbids inline scripts); `<` is escaped so
    // the block cannot be closed from inside.
    let chart_json = serde_json::json!({
        "days": tl.iter().map(|d| crate::web::layout::fmt_time(d.day, chrono_tz::UTC).chars().take(10).collect::<String>()).collect::<Vec<_>>(),
        "opened": tl.iter().map(|d| d.opened).collect::<Vec<_>>(),
        "acknowledged": tl.iter().map(|d| d.acknowledged).collect::<Vec<_>>(),
        "labels": [u.ctx.lang.t("camp-opened"), u.ctx.lang.t("camp-acknowledged")],
    })
    .to_string()
    .replace('<', "\\u003c");
    let can_manage = policy::allows(
        &u.p,
        Action::ManageCampaigns,
        &policy::Target::Unit(&c.unit_path),
    );
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        CampaignPage {
            ctx,
            reach_pct: format!("{:.1}%", funnel.reach * 100.0),
            funnel,
            rows,
            chart_json,
            can_manage,
            robots: store::robot_deliveries(&st.db, id).await?,
            email: api::email_counts(&st, id).await?,
            type_label: u.ctx.lang.t(&format!("camp-type-{}", c.fraud_type)),
            status_label: u.ctx.lang.t(&format!("camp-status-{}", c.status)),
            c,
        }
        .render()?,
    ))
}

async fn recall(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> AppResult<Response> {
    api::require_manager(&u.p)?;
    svc::recall(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}")).into_response())
}

/// Links in robot and webhook messages: the reader's own delivery when they have one, the reach
/// page for staff who may see it, else not found.
async fn from_robot(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let recipients = u.p.recipients();
    if let Some(d) = store::deliveries_for_people(&st.db, id, &recipients)
        .await?
        .into_iter()
        .next()
    {
        return Ok(Redirect::to(&format!("/campaigns/d/{d}")).into_response());
    }
    svc::visible_campaign(&st.db, &u.p, id).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "campaigns/delivery.html")]
struct DeliveryPage {
    ctx: PageCtx,
    d: DeliveryOut,
    quiz_failed: bool,
}

#[derive(Deserialize)]
struct DeliveryQuery {
    quiz: Option<String>,
}

async fn delivery(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Query(q): Query<DeliveryQuery>,
) -> AppResult<Html<String>> {
    let d = svc::open(&st.db, &st.clock, &u.p, id).await?;
    let d = api::delivery_out(&st, d).await?;
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        DeliveryPage {
            ctx,
            d,
            quiz_failed: q.quiz.as_deref() == Some("wrong"),
        }
        .render()?,
    ))
}

async fn ack(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> AppResult<Response> {
    svc::acknowledge(&st.db, &st.clock, &u.p, id).await?;
    Ok(Redirect::to(&format!("/campaigns/d/{id}")).into_response())
}

async fn quiz(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let mut answers: Vec<(usize, usize)> = Vec::new();
    for (k, v) in &f {
        if let Some(i) = k.strip_prefix('q').and_then(|i| i.parse().ok()) {
            let a = v
                .parse()
                .map_err(|_| AppError::unprocessable("camp-err-answers").arg("value", ""))?;
            answers.push((i, a));
        }
    }
    answers.sort();
    let answers: Vec<usize> = answers.into_iter().map(|(_, a)| a).collect();
    let passed = svc::answer_quiz(&st.db, &st.clock, &u.p, id, &answers).await?;
    let suffix = if passed { "" } else { "?quiz=wrong" };
    Ok(Redirect::to(&format!("/campaigns/d/{id}{suffix}")).into_response())
}

async fn go(
    State(st): State<AppState>,
    u: User,
    Path((id, n)): Path<(i64, usize)>,
) -> AppResult<Response> {
    let url = svc::click(&st.db, &st.clock, &u.p, id, n).await?;
    Ok(Redirect::to(&url).into_response())
}

#[derive(Template)]
#[template(path = "campaigns/gaps.html")]
struct GapsPage {
    ctx: PageCtx,
    unit: String,
    days: i64,
    g: GapsOut,
}

async fn gaps(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<GapQuery>,
) -> AppResult<Html<String>> {
    api::require_viewer(&u.p)?;
    let g = api::gaps_for(&st, &u, &q).await?;
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        GapsPage {
            ctx,
            unit: q.unit.clone(),
            days: q.days.unwrap_or(30),
            g,
        }
        .render()?,
    ))
}

//! Pages of campaigns: the list, one campaign's reach (tree, funnel, chart, recall), the gap
//! finder, and the reader's own delivery (read, acknowledge, answer, follow links).

pub mod channels;
pub mod manage;
pub mod review;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::auth::policy::{self, Action};
use crate::campaigns::service as svc;
use crate::campaigns::service::{DeliveryOut, GapQuery, GapsOut};
use crate::campaigns::store;
use crate::error::{AppError, AppResult};
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list))
        .route("/campaigns/gaps", get(gaps))
        .route("/campaigns/gaps/export.csv", get(gaps_file))
        .route("/campaigns/gaps/export.xlsx", get(gaps_file))
        .route("/campaigns/gaps/remind", post(gaps_remind))
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
    svc::require_viewer(&u.p)?;
    let scopes = policy::scopes_for(&u.p, Action::ViewReach);
    let campaigns = svc::list_campaigns(&st.db, &u.p).await?;
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
    email: svc::EmailCounts,
    type_label: String,
    status_label: String,
}

async fn campaign(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (c, roots) = svc::campaign_visible_to(&st.db, &u.p, id).await?;
    let mut trees = Vec::new();
    for r in &roots {
        trees.extend(svc::reach_tree(&st.db, &st.unit_trees, id, r).await?);
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
            email: svc::email_counts(&st.db, id).await?,
            type_label: u.ctx.lang.t(&format!("camp-type-{}", c.fraud_type)),
            status_label: u.ctx.lang.t(&format!("camp-status-{}", c.status)),
            c,
        }
        .render()?,
    ))
}

async fn recall(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> AppResult<Response> {
    svc::require_manager(&u.p)?;
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
    svc::campaign_visible_to(&st.db, &u.p, id).await?;
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
    let d = svc::open_delivery(&st.db, &st.clock, &u.p, id).await?;
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

/// People per page of the gap finder.
const GAP_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "campaigns/gaps.html")]
struct GapsPage {
    ctx: PageCtx,
    unit: String,
    unit_name: String,
    days: i64,
    q: String,
    g: GapsOut,
    pages: i64,
    /// Query string of this list without the page (for page links and exports).
    base: String,
    can_remind: bool,
    reminded: Option<String>,
}

impl GapsPage {
    fn page_link(&self, page: i64) -> String {
        format!("/campaigns/gaps?{}&page={page}", self.base)
    }
}

/// What a reminder just did (shown once after the redirect).
#[derive(Deserialize)]
struct RemindedQuery {
    reminded: Option<usize>,
    told: Option<usize>,
}

fn gaps_base(unit: &str, days: i64, q: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!("unit={}&days={days}&q={}", enc(unit), enc(q))
}

async fn gaps(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<GapQuery>,
    Query(pq): Query<RemindedQuery>,
) -> AppResult<Html<String>> {
    svc::require_viewer(&u.p)?;
    let g = svc::gaps(
        &st.db,
        &st.unit_trees,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        &q.parse(GAP_PAGE)?,
    )
    .await?;
    let unit = svc::unit_in_scope(&st.db, &u.p, policy::Action::ViewReach, &q.unit).await?;
    let ctx = page_ctx(&st, &u).await;
    let days = q.days.unwrap_or(30);
    let search = q.q.clone().unwrap_or_default();
    let reminded = pq.reminded.map(|n| {
        let told = pq.told.unwrap_or(0);
        ctx.ta(
            if told == n {
                "camp-remind-done-all"
            } else {
                "camp-remind-done"
            },
            &[
                ("listed", n.to_string()),
                ("told", pq.told.unwrap_or(0).to_string()),
            ],
        )
    });
    Ok(Html(
        GapsPage {
            pages: ((g.never_reached_total + GAP_PAGE - 1) / GAP_PAGE).max(1),
            base: gaps_base(&q.unit, days, &search),
            can_remind: crate::campaigns::gaps::may_remind(&u.p, &unit.path),
            unit_name: unit.name,
            reminded,
            ctx,
            unit: q.unit.clone(),
            days,
            q: search,
            g,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
struct GapExportQuery {
    #[serde(default)]
    unit: String,
    days: Option<i64>,
    q: Option<String>,
}

async fn gaps_export(
    st: &AppState,
    u: &User,
    q: &GapExportQuery,
    xlsx: bool,
) -> AppResult<Response> {
    use crate::csv_export::{Cell, Kind};
    svc::require_viewer(&u.p)?;
    if q.unit.trim().is_empty() {
        return Err(AppError::bad_request("camp-err-gap-unit"));
    }
    let days = q.days.unwrap_or(30);
    if !(1..=3650).contains(&days) {
        return Err(AppError::bad_request("camp-err-gap-params"));
    }
    let unit = svc::unit_in_scope(&st.db, &u.p, policy::Action::ViewReach, &q.unit).await?;
    let people = crate::campaigns::gaps::all_never_reached(
        &st.db,
        &st.clock,
        &unit.path,
        days,
        q.q.as_deref().unwrap_or(""),
    )
    .await?;
    crate::audit::list_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        crate::audit::Listed {
            export: true,
            kind: "student",
            rows: vec![],
            scope: vec![&unit.path],
            filter: serde_json::json!({"gaps": q.unit, "days": days, "q": q.q}),
            ids: people.iter().map(|g| g.student_id.get()).collect(),
        },
    )
    .await?;
    let headers = [
        u.ctx.lang.t("camp-student-no"),
        u.ctx.lang.t("camp-name"),
        u.ctx.lang.t("camp-unit"),
    ];
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let rows: Vec<Vec<Cell<'_>>> = people
        .iter()
        .map(|g| {
            vec![
                Cell::Text(&g.student_no),
                Cell::Text(&g.name),
                Cell::Text(&g.class_name),
            ]
        })
        .collect();
    let stem = format!("gaps-{}-{days}d", unit.code);
    crate::web::download::table(
        Kind::of(xlsx),
        &u.ctx.lang.t("camp-gaps"),
        &headers,
        &rows,
        &stem,
    )
}

/// `/campaigns/gaps/export.csv` and `…/export.xlsx`.
async fn gaps_file(
    State(st): State<AppState>,
    u: User,
    format: crate::web::download::Format,
    Query(q): Query<GapExportQuery>,
) -> AppResult<Response> {
    gaps_export(&st, &u, &q, format.xlsx()).await
}

#[derive(Deserialize)]
struct RemindForm {
    unit: String,
    days: String,
    #[serde(default)]
    q: String,
}

async fn gaps_remind(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<RemindForm>,
) -> AppResult<Response> {
    svc::require_viewer(&u.p)?;
    let days: i64 = f
        .days
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("camp-err-gap-params"))?;
    let r = crate::campaigns::gaps::remind(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        &f.unit,
        days,
        &f.q,
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/campaigns/gaps?{}&reminded={}&told={}",
        gaps_base(&f.unit, days, &f.q),
        r.listed,
        r.told
    ))
    .into_response())
}

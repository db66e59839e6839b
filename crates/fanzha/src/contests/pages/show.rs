//! The contest page and the organiser's actions from it (judges, assignment, review, publishing).

use super::*;
use crate::kernel::ids::AccountId;

// ---- the contest page ----

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct ShowQuery {
    opened: Option<String>,
    saved: Option<String>,
    entered: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "contests/show.html")]
pub(super) struct ShowPage {
    ctx: PageCtx,
    w: Words,
    c: Contest,
    s: Standing,
    me: AccountId,
    phase: Phase,
    frozen: bool,
    entries_open: bool,
    voting_open: bool,
    closed: bool,
    /// Accepted entries by category (what voters see).
    board: Vec<(Category, Vec<Entry>)>,
    mine: Vec<Entry>,
    /// Entries waiting for review (organisers).
    queue: Vec<Entry>,
    receipts: Vec<crate::contests::model::BallotLine>,
    assigned: Vec<(Entry, bool)>,
    progress: Option<service::Progress>,
    judges: Vec<String>,
    anomalies: Option<service::Report>,
    /// The bursts in words: (what they share, the sentence).
    bursts: Vec<(String, String)>,
    /// Winners carried into campaigns: (title, content id).
    pushed: Vec<(String, i64)>,
    /// Fraud types to name in the carried content: (id, name).
    fraud_types: Vec<(&'static str, String)>,
    notice: String,
    error: String,
}

pub(super) async fn show_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Html<String>> {
    let lang = u.ctx.lang;
    let notice = [
        (q.opened.is_some(), "contests-opened"),
        (q.saved.is_some(), "contests-saved"),
        (q.entered.is_some(), "contests-entered"),
    ]
    .iter()
    .find(|(on, _)| *on)
    .map(|(_, k)| lang.t(k))
    .or_else(|| {
        q.done
            .as_deref()
            .map(|d| lang.t(&format!("contests-done-{}", safe_key(d))))
    })
    .unwrap_or_default();
    render_show(&st, &u, id, notice, String::new()).await
}

pub(super) async fn render_show(
    st: &AppState,
    u: &User,
    id: i64,
    notice: String,
    error: String,
) -> AppResult<Html<String>> {
    let st = st.clone();
    let (c, s) = service::open(&st.db, &u.p, id).await?;
    let now = st.clock.now_ms();
    let entries = service::entries_for(&st.db, &st.clock, &u.p, &c, &s).await?;
    let mine: Vec<Entry> = entries
        .iter()
        .filter(|e| service::is_own(&u.p, e))
        .cloned()
        .collect();
    let queue: Vec<Entry> = if s.organiser {
        entries
            .iter()
            .filter(|e| e.status == EntryStatus::Submitted)
            .cloned()
            .collect()
    } else {
        vec![]
    };
    let visible_board = c.rules.phases.frozen_at(now) || s.organiser || s.judge;
    let board = c
        .rules
        .categories
        .iter()
        .map(|cat| {
            let list = entries
                .iter()
                .filter(|e| {
                    visible_board && e.category == *cat && e.status == EntryStatus::Accepted
                })
                .cloned()
                .collect();
            (*cat, list)
        })
        .collect();
    let receipts = if s.may_vote {
        service::my_ballots(&st.db, &u.p, &c).await?
    } else {
        vec![]
    };
    let assigned = if s.judge {
        service::my_assignments(&st.db, &u.p, &c).await?
    } else {
        vec![]
    };
    let progress = if s.organiser {
        Some(service::progress(&st.db, &u.p, id).await?)
    } else {
        None
    };
    let judges = progress
        .as_ref()
        .map(|p| p.judges.iter().map(|j| j.name.clone()).collect())
        .unwrap_or_default();
    let lang = u.ctx.lang;
    let ctx = page_ctx(&st, u).await;
    let anomalies = if s.organiser && c.rules.phases.frozen_at(now) {
        Some(service::anomalies(&st.db, &u.p, id).await?)
    } else {
        None
    };
    let bursts = anomalies
        .as_ref()
        .map(|a| {
            a.bursts
                .iter()
                .map(|b| {
                    let text = lang.ta(
                        &format!("contests-burst-{}", b.shared),
                        &[
                            ("n", b.ballots.to_string()),
                            ("class", b.class_name.clone()),
                            ("from", ctx.time(&b.from)),
                            ("to", ctx.time(&b.to)),
                        ],
                    );
                    (b.shared.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default();
    let (pushed, fraud_types) = if s.organiser && c.published_at.is_some() {
        let done = service::pushed(&st.db, &c).await?;
        let titles: Vec<(String, i64)> = done
            .iter()
            .filter_map(|(eid, cid)| {
                entries
                    .iter()
                    .find(|e| e.id == *eid)
                    .map(|e| (e.title.clone(), *cid))
            })
            .collect();
        let types = fanzha_detect::FraudType::ALL
            .into_iter()
            .filter(|t| t.is_fraud())
            .map(|t| (t.id(), lang.t(&format!("camp-type-{}", t.id()))))
            .collect();
        (titles, types)
    } else {
        (vec![], vec![])
    };
    Ok(Html(
        ShowPage {
            anomalies,
            bursts,
            pushed,
            fraud_types,
            ctx,
            w: Words(lang),
            phase: service::phase(&st.clock, &c),
            me: u.p.account_id,
            frozen: c.rules.phases.frozen_at(now),
            entries_open: c.rules.phases.entries_open_at(now),
            voting_open: c.rules.phases.voting_open_at(now),
            closed: c.rules.phases.closed_at(now),
            c,
            s,
            board,
            mine,
            queue,
            receipts,
            assigned,
            progress,
            judges,
            notice,
            error,
        }
        .render()?,
    ))
}

/// A message key from a query: letters, digits and dashes only.
pub(super) fn safe_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .take(40)
        .collect()
}

/// After an organiser's action: back to the contest with what happened; a refusal shows the
/// contest page with the reason under the refusal's status.
pub(super) async fn back(
    st: &AppState,
    u: &User,
    id: i64,
    r: Result<&str, AppError>,
) -> AppResult<Response> {
    match r {
        Ok(done) => {
            Ok(Redirect::to(&format!("/contests/{id}?done={done}#organiser")).into_response())
        }
        Err(e) if refused(&e) => {
            let html =
                render_show(st, u, id, String::new(), msgs(u.ctx.lang, &e).join(" ")).await?;
            Ok((e.status, html).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct JudgesForm {
    usernames: String,
}

pub(super) async fn judges_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<JudgesForm>,
) -> AppResult<Response> {
    let r = service::add_judges(&st.db, &st.clock, &u.p, id, &f.usernames).await;
    back(&st, &u, id, r.map(|_| "judges").map_err(Into::into)).await
}

pub(super) async fn assign_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let r = service::assign_judges(&st.db, &st.clock, &u.p, id).await;
    back(&st, &u, id, r.map(|_| "assigned").map_err(Into::into)).await
}

pub(super) async fn publish_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    match service::publish(&st.db, &st.clock, &u.p, id).await {
        Ok(()) => Ok(Redirect::to(&format!("/contests/{id}/results")).into_response()),
        Err(e) => back(&st, &u, id, Err(e.into())).await,
    }
}

#[derive(serde::Deserialize)]
pub(super) struct ReviewForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn review_submit(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(i64, i64)>,
    Form(f): Form<ReviewForm>,
) -> AppResult<Response> {
    let r = service::review(&st.db, &st.clock, &u.p, id, eid, &f.decision, &f.reason).await;
    back(&st, &u, id, r.map(|_| "reviewed").map_err(Into::into)).await
}

#[derive(serde::Deserialize)]
pub(super) struct PushForm {
    fraud_type: String,
}

pub(super) async fn push_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<PushForm>,
) -> AppResult<Response> {
    let r = service::push_winners(
        &st.db,
        &st.clock,
        &st.config,
        &u.p,
        &u.ctx.actor(),
        id,
        &f.fraud_type,
    )
    .await;
    back(&st, &u, id, r.map(|_| "pushed").map_err(Into::into)).await
}

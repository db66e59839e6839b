//! Pages of contests: the list, the organiser's form (open, change rules until voting opens), the
//! contest page (phase, rules and their hash, entries, the organiser's review, judges and
//! publishing, the judge's sheets, one's own entries and receipts), the entry form, an entry (vote,
//! score), the receipt check, and the public results with the ballot log export.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
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
    let list = service::list(&st, &u.p).await?;
    let items = list
        .into_iter()
        .map(|(c, s)| {
            let ph = service::phase(&st, &c);
            (c, ph, s)
        })
        .collect();
    let may_organise = !service::organiser_units(&st, &u.p).await?.is_empty();
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

// ---- the organiser's form ----

/// The organiser's form as typed (every value text; lists from repeated fields).
#[derive(Clone, Debug, Default)]
struct ContestForm {
    unit_code: String,
    title: String,
    description: String,
    categories: Vec<String>,
    phases: [String; 6],
    entrant_units: String,
    team_min: String,
    team_max: String,
    media: Vec<String>,
    max_image_kb: String,
    voter_units: String,
    votes_per_person: String,
    vote_period: String,
    weight_public: String,
    criteria: String,
    tie_break: Vec<String>,
}

fn codes(s: &str) -> Vec<String> {
    s.split([',', '\u{FF0C}', '、', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl ContestForm {
    fn from_pairs(pairs: &[(String, String)]) -> ContestForm {
        let mut f = ContestForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "unit_code" => f.unit_code = v.clone(),
                "title" => f.title = v.clone(),
                "description" => f.description = v.clone(),
                "category" => f.categories.push(v.clone()),
                "entrant_units" => f.entrant_units = v.clone(),
                "team_min" => f.team_min = v.clone(),
                "team_max" => f.team_max = v.clone(),
                "media" => f.media.push(v.clone()),
                "max_image_kb" => f.max_image_kb = v.clone(),
                "voter_units" => f.voter_units = v.clone(),
                "votes_per_person" => f.votes_per_person = v.clone(),
                "vote_period" => f.vote_period = v.clone(),
                "weight_public" => f.weight_public = v.clone(),
                "criteria" => f.criteria = v.clone(),
                "tie_break" => f.tie_break.push(v.clone()),
                other => {
                    if let Some(i) = PHASE_FIELDS.iter().position(|p| *p == other) {
                        f.phases[i] = v.clone();
                    }
                }
            }
        }
        f
    }

    fn input(&self) -> ContestInput {
        ContestInput {
            unit_code: self.unit_code.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            rules: RulesInput {
                categories: self.categories.clone(),
                phases: self.phases.clone(),
                entrant_units: codes(&self.entrant_units),
                team_min: self.team_min.clone(),
                team_max: self.team_max.clone(),
                media: self.media.clone(),
                max_image_kb: self.max_image_kb.clone(),
                voter_units: codes(&self.voter_units),
                votes_per_person: self.votes_per_person.clone(),
                vote_period: self.vote_period.clone(),
                weight_public: self.weight_public.clone(),
                criteria: self.criteria.clone(),
                tie_break: self.tie_break.clone(),
            },
        }
    }

    fn of_contest(c: &Contest, tz: chrono_tz::Tz) -> ContestForm {
        let r = &c.rules;
        let p = &r.phases;
        let local = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|d| d.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default()
        };
        ContestForm {
            unit_code: String::new(),
            title: c.title.clone(),
            description: c.description.clone(),
            categories: r
                .categories
                .iter()
                .map(|c| c.as_str().to_string())
                .collect(),
            phases: [
                local(p.entries_open),
                local(p.entries_close),
                local(p.voting_open),
                local(p.voting_close),
                local(p.judging_open),
                local(p.judging_close),
            ],
            entrant_units: r
                .entrant_units
                .iter()
                .map(|u| u.code.clone())
                .collect::<Vec<_>>()
                .join(", "),
            team_min: r.team_min.to_string(),
            team_max: r.team_max.to_string(),
            media: r.media.iter().map(|m| m.as_str().to_string()).collect(),
            max_image_kb: (r.max_image_bytes / 1024).to_string(),
            voter_units: r
                .voter_units
                .iter()
                .map(|u| u.code.clone())
                .collect::<Vec<_>>()
                .join(", "),
            votes_per_person: r.votes_per_person.to_string(),
            vote_period: r.vote_period.as_str().to_string(),
            weight_public: r.weight_public.to_string(),
            criteria: r
                .criteria
                .iter()
                .map(|c| format!("{}: {}", c.name, c.weight))
                .collect::<Vec<_>>()
                .join("\n"),
            tie_break: r.tie_break.iter().map(|t| t.as_str().to_string()).collect(),
        }
    }

    fn has_category(&self, c: &Category) -> bool {
        self.categories.iter().any(|x| x == c.as_str())
    }
    fn has_media(&self, m: &MediaKind) -> bool {
        self.media.iter().any(|x| x == m.as_str())
    }
    fn tie_at(&self, i: &usize) -> String {
        self.tie_break.get(*i).cloned().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "contests/form.html")]
struct FormPage {
    ctx: PageCtx,
    w: Words,
    f: ContestForm,
    errors: Vec<String>,
    /// None: a new contest; else the contest being changed.
    editing: Option<i64>,
    units: Vec<(String, String)>,
    phase_fields: [&'static str; 6],
    categories: &'static [Category],
    media: &'static [MediaKind],
    periods: &'static [VotePeriod],
    ties: &'static [TieBreak],
}

async fn render_form(
    st: &AppState,
    u: &User,
    f: ContestForm,
    errors: Vec<String>,
    editing: Option<i64>,
) -> AppResult<Html<String>> {
    let units = service::organiser_units(st, &u.p)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let ctx = page_ctx(st, u).await;
    Ok(Html(
        FormPage {
            ctx,
            w: Words(u.ctx.lang),
            f,
            errors,
            editing,
            units,
            phase_fields: PHASE_FIELDS,
            categories: Category::ALL,
            media: MediaKind::ALL,
            periods: VotePeriod::ALL,
            ties: TieBreak::ALL,
        }
        .render()?,
    ))
}

async fn new_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    if service::organiser_units(&st, &u.p).await?.is_empty() {
        return Err(AppError::forbidden());
    }
    let codes = service::default_unit_codes(&st, &u.p).await?.join(", ");
    let f = ContestForm {
        entrant_units: codes.clone(),
        voter_units: codes,
        team_min: "1".into(),
        team_max: "6".into(),
        media: vec!["video_link".into()],
        max_image_kb: "2048".into(),
        votes_per_person: "1".into(),
        vote_period: "category".into(),
        weight_public: "40".into(),
        criteria: u.ctx.lang.t("contests-default-criteria"),
        tie_break: vec!["judges".into(), "public".into(), "earliest".into()],
        ..Default::default()
    };
    render_form(&st, &u, f, vec![], None).await
}

async fn new_submit(
    State(st): State<AppState>,
    u: User,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let f = ContestForm::from_pairs(&pairs);
    match service::create(&st, &u.p, &f.input()).await {
        Ok(id) => Ok(Redirect::to(&format!("/contests/{id}?opened=1")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if !refused(&e) {
                return Err(e);
            }
            let html = render_form(&st, &u, f, msgs(u.ctx.lang, &e), None).await?;
            Ok((e.status, html).into_response())
        }
    }
}

async fn edit_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (c, s) = service::open(&st, &u.p, id).await?;
    if !s.organiser {
        return Err(AppError::forbidden());
    }
    let f = ContestForm::of_contest(&c, u.p.time_zone);
    render_form(&st, &u, f, vec![], Some(id)).await
}

async fn edit_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let f = ContestForm::from_pairs(&pairs);
    match service::update(&st, &u.p, id, &f.input()).await {
        Ok(()) => Ok(Redirect::to(&format!("/contests/{id}?saved=1")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if !refused(&e) {
                return Err(e);
            }
            let html = render_form(&st, &u, f, msgs(u.ctx.lang, &e), Some(id)).await?;
            Ok((e.status, html).into_response())
        }
    }
}

// ---- the contest page ----

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    opened: Option<String>,
    saved: Option<String>,
    entered: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "contests/show.html")]
struct ShowPage {
    ctx: PageCtx,
    w: Words,
    c: Contest,
    s: Standing,
    me: i64,
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
    receipts: Vec<super::model::BallotLine>,
    assigned: Vec<(Entry, bool)>,
    progress: Option<service::Progress>,
    judges: Vec<String>,
    notice: String,
    error: String,
}

async fn show_page(
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

async fn render_show(
    st: &AppState,
    u: &User,
    id: i64,
    notice: String,
    error: String,
) -> AppResult<Html<String>> {
    let st = st.clone();
    let (c, s) = service::open(&st, &u.p, id).await?;
    let now = st.clock.now_ms();
    let entries = service::entries_for(&st, &u.p, &c, &s).await?;
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
        service::my_ballots(&st, &u.p, &c).await?
    } else {
        vec![]
    };
    let assigned = if s.judge {
        service::my_assignments(&st, &u.p, &c).await?
    } else {
        vec![]
    };
    let progress = if s.organiser {
        Some(service::progress(&st, &u.p, id).await?)
    } else {
        None
    };
    let judges = progress
        .as_ref()
        .map(|p| p.judges.iter().map(|j| j.name.clone()).collect())
        .unwrap_or_default();
    let lang = u.ctx.lang;
    let ctx = page_ctx(&st, u).await;
    Ok(Html(
        ShowPage {
            ctx,
            w: Words(lang),
            phase: service::phase(&st, &c),
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
fn safe_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .take(40)
        .collect()
}

/// After an organiser's action: back to the contest with what happened; a refusal shows the
/// contest page with the reason under the refusal's status.
async fn back(st: &AppState, u: &User, id: i64, r: Result<&str, AppError>) -> AppResult<Response> {
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
struct JudgesForm {
    usernames: String,
}

async fn judges_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<JudgesForm>,
) -> AppResult<Response> {
    let r = service::add_judges(&st, &u.p, id, &f.usernames).await;
    back(&st, &u, id, r.map(|_| "judges").map_err(Into::into)).await
}

async fn assign_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let r = service::assign_judges(&st, &u.p, id).await;
    back(&st, &u, id, r.map(|_| "assigned").map_err(Into::into)).await
}

async fn publish_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    match service::publish(&st, &u.p, id).await {
        Ok(()) => Ok(Redirect::to(&format!("/contests/{id}/results")).into_response()),
        Err(e) => back(&st, &u, id, Err(e.into())).await,
    }
}

#[derive(serde::Deserialize)]
struct ReviewForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn review_submit(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(i64, i64)>,
    Form(f): Form<ReviewForm>,
) -> AppResult<Response> {
    let r = service::review(&st, &u.p, id, eid, &f.decision, &f.reason).await;
    back(&st, &u, id, r.map(|_| "reviewed").map_err(Into::into)).await
}

// ---- entries ----

#[derive(Clone, Debug, Default)]
struct EntryForm {
    category: String,
    title: String,
    description: String,
    members: String,
    media_kind: String,
    video_url: String,
    licence: String,
    show_names: bool,
}

#[derive(Template)]
#[template(path = "contests/enter.html")]
struct EnterPage {
    ctx: PageCtx,
    w: Words,
    c: Contest,
    f: EntryForm,
    revising: Option<i64>,
    errors: Vec<String>,
    licences: &'static [Licence],
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct EnterQuery {
    entry: Option<i64>,
}

async fn render_enter(
    st: &AppState,
    u: &User,
    c: Contest,
    f: EntryForm,
    revising: Option<i64>,
    errors: Vec<String>,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(st, u).await;
    Ok(Html(
        EnterPage {
            ctx,
            w: Words(u.ctx.lang),
            c,
            f,
            revising,
            errors,
            licences: Licence::ALL,
        }
        .render()?,
    ))
}

async fn enter_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Query(q): Query<EnterQuery>,
) -> AppResult<Html<String>> {
    let (c, s) = service::open(&st, &u.p, id).await?;
    if !s.may_enter {
        return Err(AppError::from(service::ContestError::Refused(
            "contests-err-not-entrant",
        )));
    }
    if !c.rules.phases.entries_open_at(st.clock.now_ms()) {
        return Err(AppError::from(service::ContestError::State(
            "contests-err-entries-closed",
        )));
    }
    let mut f = EntryForm {
        category: c.rules.categories[0].as_str().to_string(),
        media_kind: c.rules.media[0].as_str().to_string(),
        licence: "cc_by_nc".into(),
        ..Default::default()
    };
    if let Some(eid) = q.entry {
        let (_, _, e) = service::entry_for(&st, &u.p, id, eid).await?;
        f = EntryForm {
            category: e.category.as_str().into(),
            title: e.title.clone(),
            description: e.description.clone(),
            members: e
                .members
                .iter()
                .skip(1)
                .map(|m| m.student_id.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            media_kind: e.media_kind.as_str().into(),
            video_url: e.video_url.clone(),
            licence: e.licence.as_str().into(),
            show_names: e.show_names,
        };
        // Team members are typed by student number; the stored ids are not shown.
        f.members.clear();
    }
    render_enter(&st, &u, c, f, q.entry, vec![]).await
}

async fn enter_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Query(q): Query<EnterQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    let fields = crate::web::multipart::fields(mp, "contests-err-upload").await?;
    let mut f = EntryForm::default();
    let mut image = None;
    for (k, v) in &fields {
        let t = || crate::web::multipart::text(v);
        match k.as_str() {
            "category" => f.category = t(),
            "title" => f.title = t(),
            "description" => f.description = t(),
            "members" => f.members = t(),
            "media_kind" => f.media_kind = t(),
            "video_url" => f.video_url = t(),
            "licence" => f.licence = t(),
            "show_names" => f.show_names = !t().is_empty(),
            "image" if !v.is_empty() => image = Some(v.to_vec()),
            _ => {}
        }
    }
    let input = EntryInput {
        category: f.category.clone(),
        title: f.title.clone(),
        description: f.description.clone(),
        members: codes(&f.members),
        media_kind: f.media_kind.clone(),
        video_url: f.video_url.clone(),
        image,
        licence: f.licence.clone(),
        show_names: f.show_names,
    };
    let r = match q.entry {
        Some(eid) => service::revise_entry(&st, &u.p, id, eid, &input)
            .await
            .map(|_| eid),
        None => service::submit_entry(&st, &u.p, id, &input).await,
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/contests/{id}?entered=1#mine")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if !refused(&e) {
                return Err(e);
            }
            let (c, _) = service::open(&st, &u.p, id).await?;
            let html = render_enter(&st, &u, c, f, q.entry, msgs(u.ctx.lang, &e)).await?;
            Ok((e.status, html).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "contests/entry.html")]
struct EntryPage {
    ctx: PageCtx,
    w: Words,
    c: Contest,
    s: Standing,
    e: Entry,
    own: bool,
    has_image: bool,
    voting_open: bool,
    judging_open: bool,
    may_score: bool,
    /// The receipt of the caller's vote for this entry, if they voted for it.
    my_receipt: Option<String>,
    error: String,
}

async fn entry_page(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(i64, i64)>,
) -> AppResult<Html<String>> {
    render_entry(&st, &u, id, eid, String::new()).await
}

async fn render_entry(
    st: &AppState,
    u: &User,
    id: i64,
    eid: i64,
    error: String,
) -> AppResult<Html<String>> {
    let (c, s, e) = service::entry_for(st, &u.p, id, eid).await?;
    let now = st.clock.now_ms();
    let has_image =
        e.media_kind == MediaKind::Image && service::image(st, Some(&u.p), id, eid).await.is_ok();
    let may_score = s.judge
        && service::my_assignments(st, &u.p, &c)
            .await?
            .iter()
            .any(|(a, _)| a.id == e.id);
    let my_receipt = if s.may_vote {
        service::my_ballots(st, &u.p, &c)
            .await?
            .into_iter()
            .rev()
            // In the current period only: a per-day limit opens a new vote each day.
            .find(|b| {
                b.entry == e.id
                    && super::model::period_key(&c.rules, e.category, b.cast_at)
                        == super::model::period_key(&c.rules, e.category, now)
            })
            .map(|b| b.hash)
    } else {
        None
    };
    let ctx = page_ctx(st, u).await;
    Ok(Html(
        EntryPage {
            my_receipt,
            ctx,
            w: Words(u.ctx.lang),
            own: service::is_own(&u.p, &e),
            voting_open: c.rules.phases.voting_open_at(now),
            judging_open: c.rules.phases.judging_open_at(now),
            has_image,
            may_score,
            c,
            s,
            e,
            error,
        }
        .render()?,
    ))
}

/// A refused vote or score sheet shows the entry again with the reason, under the refusal's status.
async fn entry_refused(
    st: &AppState,
    u: &User,
    id: i64,
    eid: i64,
    e: AppError,
) -> AppResult<Response> {
    if !refused(&e) {
        return Err(e);
    }
    // An entry the person may not see yet answers with the refusal itself.
    match render_entry(st, u, id, eid, msgs(u.ctx.lang, &e).join(" ")).await {
        Ok(html) => Ok((e.status, html).into_response()),
        Err(_) => Err(e),
    }
}

async fn image(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, eid)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (t, b) = service::image(&st, ctx.principal.as_ref(), id, eid).await?;
    Ok((
        [
            (header::CONTENT_TYPE, t),
            (header::CACHE_CONTROL, "private, max-age=300".to_string()),
        ],
        b,
    )
        .into_response())
}

async fn vote_submit(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(i64, i64)>,
) -> AppResult<Response> {
    match service::vote(&st, &u.p, id, eid).await {
        Ok(b) => Ok(
            Redirect::to(&format!("/contests/{id}/receipts?hash={}&new=1", b.hash)).into_response(),
        ),
        Err(e) => entry_refused(&st, &u, id, eid, e.into()).await,
    }
}

async fn score_submit(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let marks: Vec<(String, String)> = pairs
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix("mark:").map(|k| (k.to_string(), v)))
        .collect();
    match service::score(&st, &u.p, id, eid, &marks).await {
        Ok(()) => Ok(Redirect::to(&format!("/contests/{id}?done=scored#judge")).into_response()),
        Err(e) => entry_refused(&st, &u, id, eid, e.into()).await,
    }
}

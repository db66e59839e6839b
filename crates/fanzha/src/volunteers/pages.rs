//! Pages: the volunteer's own page and registration (`/volunteers`), the task board
//! (`/volunteers/tasks`), publishing, one task with its actions and review, the place screen with
//! the rotating code, rewards, leaderboards, and the public certificate check.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::model::{hours_text, ClaimStatus, Decision, Proof, TaskInput, TaskStatus};
use super::service::{self, Board, BoardItem, ProofIn};
use super::store::{Certificate, Claim, Entry, Reward, Task, Volunteer};
use crate::error::{AppError, AppResult, Msg};
use crate::web::context::{Ctx, User};
use crate::web::i18n::Lang;
use crate::web::layout::{fmt_time, page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/volunteers", get(home))
        .route("/volunteers/register", post(register))
        .route("/volunteers/tasks", get(board))
        .route("/volunteers/tasks/new", get(new_page).post(new_submit))
        .route("/volunteers/tasks/{id}", get(task_page))
        .route("/volunteers/tasks/{id}/claim", post(claim))
        .route("/volunteers/tasks/{id}/withdraw", post(withdraw))
        .route("/volunteers/tasks/{id}/check", post(check))
        .route("/volunteers/tasks/{id}/proof", post(proof))
        .route("/volunteers/tasks/{id}/photo", post(photo_submit))
        .route("/volunteers/tasks/{id}/status", post(status))
        .route("/volunteers/tasks/{id}/place", get(place))
        .route("/volunteers/claims/{id}/review", post(review))
        .route("/volunteers/claims/{id}/photo", get(photo))
        .route("/volunteers/rewards", get(rewards).post(add_reward))
        .route("/volunteers/rewards/{id}/redeem", post(redeem))
        .route("/volunteers/leaderboard", get(leaderboard))
        .route("/volunteers/certificates", post(issue))
        .route("/volunteers/certificates/{number}", get(verify))
}

/// Words for people: a claim's state, a proof kind, a task's state.
pub struct Words(pub Lang);

impl Words {
    pub fn claim(&self, s: &ClaimStatus) -> String {
        self.0.t(&format!("vol-claim-{}", s.as_str()))
    }
    pub fn proof(&self, p: &Proof) -> String {
        self.0.t(&format!("vol-proof-{}", p.as_str()))
    }
    pub fn task(&self, t: &Task, now: &i64) -> String {
        let now = *now;
        if t.status == TaskStatus::Open && t.finished(now) {
            return self.0.t("vol-task-finished");
        }
        if t.status == TaskStatus::Open && t.full() {
            return self.0.t("vol-task-full");
        }
        self.0.t(&format!("vol-task-{}", t.status.as_str()))
    }
    pub fn hours(&self, minutes: &i64) -> String {
        hours_text(*minutes)
    }
}

fn err_page(e: AppError) -> Response {
    e.into_response()
}

// ---- the volunteer's page ----

/// Team names of the volunteers a staff member sees.
struct TeamNames(std::collections::HashMap<i64, String>);

impl TeamNames {
    fn label(&self, id: &i64) -> String {
        self.0
            .get(id)
            .map(|t| format!(" · {t}"))
            .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "volunteers/home.html")]
struct HomePage {
    ctx: PageCtx,
    w: Words,
    student: bool,
    me: Option<Volunteer>,
    claims: Vec<Claim>,
    certs: Vec<Certificate>,
    entries: Vec<Entry>,
    staff_list: Vec<Volunteer>,
    teams: TeamNames,
    can_publish: bool,
    key: String,
}

async fn home(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let ctx = page_ctx(&st, &u).await;
    let student = u.p.student_id.is_some();
    let me = service::me(&st.db, &u.p).await?;
    let (claims, certs, entries) = match &me {
        Some(v) => {
            let (c, certs) = service::profile(&st.db, v).await?;
            let (_, e) = service::my_ledger(&st.db, &u.p).await?;
            (c, certs, e)
        }
        None => (vec![], vec![], vec![]),
    };
    let staff = u.p.roles().iter().any(|r| r.is_staff());
    let staff_list = if staff {
        service::volunteers_in_scope(&st.db, &st.clock, &u.p, &u.ctx.actor())
            .await
            .unwrap_or_default()
    } else {
        vec![]
    };
    let ids: Vec<i64> = staff_list.iter().map(|v| v.id).collect();
    let teams = service::team_names(&st.db, &ids).await?;
    Ok(Html(
        HomePage {
            w: Words(ctx.lang),
            ctx,
            student,
            me,
            claims,
            certs,
            entries,
            staff_list,
            teams: TeamNames(teams),
            can_publish: service::publishing_unit(&u.p).is_some(),
            key: crate::auth::password::random_token(),
        }
        .render()?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RegisterForm {
    contact: String,
    consent: String,
}

async fn register(State(st): State<AppState>, u: User, Form(f): Form<RegisterForm>) -> Response {
    match service::register(&st.db, &st.clock, &u.p, &f.contact, f.consent == "yes").await {
        Ok(_) => Redirect::to("/volunteers").into_response(),
        Err(e) => err_page(e.into()),
    }
}

// ---- the board ----

#[derive(Template)]
#[template(path = "volunteers/board.html")]
struct BoardPage {
    ctx: PageCtx,
    w: Words,
    items: Vec<BoardItem>,
    now: i64,
    near: bool,
    finished: bool,
    date: String,
    can_publish: bool,
    registered: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BoardQ {
    near: String,
    finished: String,
    date: String,
}

async fn board(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<BoardQ>,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(&st, &u).await;
    let day = if q.date.trim().is_empty() {
        None
    } else {
        Some(super::api::day_range(&q.date, u.p.time_zone)?)
    };
    let f = Board {
        near: q.near == "1",
        day,
        finished: q.finished == "1",
    };
    let items = service::board(&st.db, &st.clock, &u.p, &f).await?;
    let registered = service::me(&st.db, &u.p).await?.is_some();
    Ok(Html(
        BoardPage {
            w: Words(ctx.lang),
            ctx,
            items,
            now: st.clock.now_ms(),
            near: f.near,
            finished: f.finished,
            date: q.date.trim().to_string(),
            can_publish: service::publishing_unit(&u.p).is_some(),
            registered,
        }
        .render()?,
    ))
}

// ---- publishing ----

#[derive(Template)]
#[template(path = "volunteers/new.html")]
struct NewPage {
    ctx: PageCtx,
    f: TaskForm,
    errors: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct TaskForm {
    title: String,
    description: String,
    place: String,
    starts_at: String,
    ends_at: String,
    withdraw_until: String,
    slots: String,
    points: String,
    hours: String,
    proof: String,
    targets: String,
}

impl TaskForm {
    fn input(&self, tz: chrono_tz::Tz) -> Result<TaskInput, Vec<Msg>> {
        let mut e = Vec::new();
        let mut time = |s: &str, required: bool| -> Option<i64> {
            if s.trim().is_empty() && !required {
                return None;
            }
            let t = crate::kernel::time::parse_local(s, tz);
            if t.is_none() {
                e.push(Msg::new("vol-err-time"));
            }
            t
        };
        let starts_at = time(&self.starts_at, true).unwrap_or(0);
        let ends_at = time(&self.ends_at, true).unwrap_or(0);
        let withdraw_until = time(&self.withdraw_until, false);
        let mut num = |s: &str, key: &str| -> i64 {
            match s.trim().parse::<i64>() {
                Ok(n) => n,
                Err(_) => {
                    e.push(Msg::new(key));
                    0
                }
            }
        };
        let slots = num(&self.slots, "vol-err-slots");
        let points = num(&self.points, "vol-err-points");
        let minutes = if self.hours.trim().is_empty() {
            None
        } else {
            match self.hours.trim().parse::<f64>() {
                Ok(h) if h.is_finite() && h >= 0.0 => Some((h * 60.0).round() as i64),
                _ => {
                    e.push(Msg::new("vol-err-minutes"));
                    None
                }
            }
        };
        if !e.is_empty() {
            return Err(e);
        }
        Ok(TaskInput {
            title: self.title.clone(),
            description: self.description.clone(),
            place: self.place.clone(),
            starts_at,
            ends_at,
            withdraw_until,
            slots,
            points,
            minutes,
            proof: self.proof.clone(),
            targets: self
                .targets
                .split([',', '，', ' ', '\n'])
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        })
    }
}

async fn new_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    if service::publishing_unit(&u.p).is_none() {
        return Err(AppError::forbidden());
    }
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        NewPage {
            ctx,
            f: TaskForm {
                slots: "10".into(),
                points: "10".into(),
                proof: "checkin".into(),
                ..Default::default()
            },
            errors: vec![],
        }
        .render()?,
    ))
}

async fn new_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<TaskForm>,
) -> AppResult<Response> {
    let result = match f.input(u.p.time_zone) {
        Ok(input) => service::publish(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input)
            .await
            .map_err(AppError::from),
        Err(e) => Err(AppError::refused("vol-err-invalid", e)),
    };
    match result {
        Ok(t) => Ok(Redirect::to(&format!("/volunteers/tasks/{}", t.id)).into_response()),
        Err(e) if e.is_invalid() => {
            let ctx = page_ctx(&st, &u).await;
            let lang = ctx.lang;
            let mut errors: Vec<String> = e.details.iter().map(|m| m.render(lang)).collect();
            if errors.is_empty() {
                errors.push(e.msg.render(lang));
            }
            let mut r = Html(NewPage { ctx, f, errors }.render()?).into_response();
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

// ---- one task ----

#[derive(Template)]
#[template(path = "volunteers/task.html")]
struct TaskPage {
    ctx: PageCtx,
    w: Words,
    t: Task,
    now: i64,
    registered: bool,
    mine: Option<Claim>,
    manage: bool,
    claims: Vec<Claim>,
    offered: bool,
}

impl TaskPage {
    fn can_claim(&self) -> bool {
        self.registered
            && self.offered
            && self.t.status == TaskStatus::Open
            && !self.t.finished(self.now)
            && self
                .mine
                .as_ref()
                .is_none_or(|c| c.status == ClaimStatus::Withdrawn)
    }
    fn status_is(&self, c: &Claim, s: &str) -> bool {
        c.status.as_str() == s
    }
    fn masked(&self, n: &str) -> String {
        crate::org::model::mask_name(n)
    }
}

async fn task_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (t, vol) = service::task_for(&st.db, &u.p, id).await?;
    let mine = match &vol {
        Some(v) => service::my_claim(&st.db, v, id).await?,
        None => None,
    };
    let manage = service::can_manage(&u.p, &t.unit_path);
    let claims = if manage {
        service::claims_for_reviewer(&st.db, &u.p, &t).await?
    } else {
        vec![]
    };
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        TaskPage {
            w: Words(ctx.lang),
            ctx,
            offered: vol.as_ref().is_some_and(|v| t.offered_to(&v.class_path)),
            registered: vol.is_some(),
            t,
            now: st.clock.now_ms(),
            mine,
            manage,
            claims,
        }
        .render()?,
    ))
}

fn back(id: i64) -> Response {
    Redirect::to(&format!("/volunteers/tasks/{id}")).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ClaimForm {
    wait: String,
}

async fn claim(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ClaimForm>,
) -> Response {
    match service::claim(&st.vol_claims, &st.clock, &u.p, id, f.wait == "1").await {
        Ok(_) => back(id),
        Err(e) => err_page(e.into()),
    }
}

async fn withdraw(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> Response {
    match service::withdraw(&st.db, &st.clock, &u.p, id).await {
        Ok(()) => back(id),
        Err(e) => err_page(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CheckForm {
    code: String,
    out: String,
}

async fn check(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<CheckForm>,
) -> Response {
    match service::check(&st.db, &st.clock, &u.p, id, &f.code, f.out == "1").await {
        Ok(_) => back(id),
        Err(e) => err_page(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProofForm {
    text: String,
}

async fn proof(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ProofForm>,
) -> Response {
    match service::submit_proof(&st.db, &st.clock, &u.p, id, ProofIn::Text(f.text)).await {
        Ok(_) => back(id),
        Err(e) => err_page(e.into()),
    }
}

/// A photo handed in from the page (a multipart form: `csrf` first, then `photo`).
async fn photo_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    mp: axum::extract::Multipart,
) -> Response {
    let fields = match crate::web::multipart::fields(mp, "vol-err-photo-type").await {
        Ok(f) => f,
        Err(e) => return err_page(e),
    };
    let Some((_, bytes)) = fields
        .into_iter()
        .find(|(n, b)| n == "photo" && !b.is_empty())
    else {
        return err_page(AppError::refused(
            "vol-err-invalid",
            vec![Msg::new("vol-err-photo-type")],
        ));
    };
    match service::submit_proof(&st.db, &st.clock, &u.p, id, ProofIn::Photo(bytes.to_vec())).await {
        Ok(_) => back(id),
        Err(e) => err_page(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusForm {
    status: String,
}

async fn status(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> Response {
    let Some(to) = TaskStatus::parse(&f.status) else {
        return err_page(AppError::refused(
            "vol-err-invalid",
            vec![Msg::new("vol-err-status")],
        ));
    };
    match service::set_status(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, to).await {
        Ok(_) => back(id),
        Err(e) => err_page(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReviewForm {
    decision: String,
    reason: String,
}

async fn review(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ReviewForm>,
) -> Response {
    let Some(d) = Decision::parse(&f.decision) else {
        return err_page(AppError::refused(
            "vol-err-invalid",
            vec![Msg::new("vol-err-decision")],
        ));
    };
    match service::review(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, d, &f.reason).await {
        Ok(c) => back(c.task_id),
        Err(e) => err_page(e.into()),
    }
}

async fn photo(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (bytes, kind) = service::proof_photo(&st.db, &u.p, id).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, kind),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "volunteers/place.html")]
struct PlacePage {
    ctx: PageCtx,
    t: Task,
    code: String,
    token: String,
    valid_until: String,
}

async fn place(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (t, s) = service::place_code(&st.db, &st.clock, &u.p, id).await?;
    let ctx = page_ctx(&st, &u).await;
    let valid_until = chrono::DateTime::from_timestamp_millis(s.next_at)
        .map(|d| d.with_timezone(&ctx.tz).format("%H:%M:%S").to_string())
        .unwrap_or_default();
    Ok(Html(
        PlacePage {
            ctx,
            t,
            code: s.short_code,
            token: s.token,
            valid_until,
        }
        .render()?,
    ))
}

// ---- rewards, leaderboards, certificates ----

#[derive(Template)]
#[template(path = "volunteers/rewards.html")]
struct RewardsPage {
    ctx: PageCtx,
    me: Option<Volunteer>,
    rewards: Vec<Reward>,
    can_publish: bool,
    key: String,
}

async fn rewards(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        RewardsPage {
            ctx,
            me: service::me(&st.db, &u.p).await?,
            rewards: service::rewards_for(&st.db, &u.p).await?,
            can_publish: service::publishing_unit(&u.p).is_some(),
            key: crate::auth::password::random_token(),
        }
        .render()?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RewardForm {
    name: String,
    cost: String,
    stock: String,
}

async fn add_reward(State(st): State<AppState>, u: User, Form(f): Form<RewardForm>) -> Response {
    let (Ok(cost), Ok(stock)) = (f.cost.trim().parse::<i64>(), f.stock.trim().parse::<i64>())
    else {
        return err_page(AppError::refused(
            "vol-err-invalid",
            vec![Msg::new("vol-err-cost")],
        ));
    };
    match service::add_reward(&st.db, &st.clock, &u.p, &f.name, cost, stock).await {
        Ok(_) => Redirect::to("/volunteers/rewards").into_response(),
        Err(e) => err_page(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RedeemForm {
    key: String,
}

async fn redeem(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<RedeemForm>,
) -> Response {
    match service::redeem(&st.db, &st.clock, &u.p, id, &f.key).await {
        Ok(_) => Redirect::to("/volunteers").into_response(),
        Err(e) => err_page(e.into()),
    }
}

#[derive(Template)]
#[template(path = "volunteers/leaderboard.html")]
struct BoardsPage {
    ctx: PageCtx,
    w: Words,
    lists: Vec<(&'static str, Vec<super::store::Standing>)>,
    reach: super::model::Reach,
    period: super::model::Period,
    reaches: &'static [super::model::Reach],
    periods: &'static [super::model::Period],
    period_label: String,
    area: service::PeriodBoard,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BoardArgs {
    reach: String,
    period: String,
}

async fn leaderboard(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<BoardArgs>,
) -> AppResult<Html<String>> {
    let (reach, period) = super::api_calls::board_args(&q.reach, &q.period)?;
    let area = service::period_board(&st.db, &st.clock, &u.p, reach, period).await?;
    let ctx = page_ctx(&st, &u).await;
    let b = service::leaderboards(&st.db, &u.p).await?;
    let lists = vec![
        ("vol-lb-people", b.people),
        ("vol-lb-classes", b.classes),
        ("vol-lb-schools", b.schools),
    ];
    let period_label = ctx.t(&format!("vol-period-{}", period.as_str()));
    Ok(Html(
        BoardsPage {
            w: Words(ctx.lang),
            ctx,
            lists,
            reach,
            period,
            reaches: super::model::Reach::ALL,
            periods: super::model::Period::ALL,
            period_label,
            area,
        }
        .render()?,
    ))
}

async fn issue(State(st): State<AppState>, u: User) -> Response {
    match service::issue_certificate(&st.db, &st.clock, &u.p).await {
        Ok(c) => Redirect::to(&format!("/volunteers/certificates/{}", c.number)).into_response(),
        Err(e) => err_page(e.into()),
    }
}

/// The public page of a certificate: every printed field, no login needed.
#[derive(Template)]
#[template(path = "volunteers/certificate.html")]
struct CertPage {
    lang: Lang,
    c: Certificate,
    hours: String,
    date: String,
    url: String,
}

impl CertPage {
    fn t(&self, k: &str) -> String {
        self.lang.t(k)
    }
}

async fn verify(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(number): Path<String>,
) -> AppResult<Html<String>> {
    let c = service::certificate(&st.db, &number).await?;
    let tz = ctx
        .principal
        .as_ref()
        .map_or(chrono_tz::Asia::Shanghai, |p| p.time_zone);
    let date = fmt_time(c.issued_at, tz).chars().take(10).collect();
    Ok(Html(
        CertPage {
            lang: ctx.lang,
            hours: hours_text(c.minutes),
            url: format!("/volunteers/certificates/{}", c.number),
            c,
            date,
        }
        .render()?,
    ))
}

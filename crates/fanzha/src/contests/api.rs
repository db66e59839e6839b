//! `/api/v1/contests…`: the contests a person may see, their entries, voting (cast, withdraw,
//! change, one's receipts), judging (score sheets, progress), the organisers' anomaly report,
//! publishing, the published results and carrying the winners into campaigns. Tokens need
//! `contests:read` or `contests:write`. Pages call the same service functions.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::model::BallotLine;
use super::service::{self, Origin, Progress, Pushed, Report, Results, Standing};
use super::store::{Contest, Entry};
use crate::auth::model::Scope;
use crate::error::AppResult;
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/contests", get(list))
        .route("/api/v1/contests/{id}", get(show))
        .route("/api/v1/contests/{id}/entries", get(entries))
        .route("/api/v1/contests/{id}/entries/{eid}/vote", post(vote))
        .route(
            "/api/v1/contests/{id}/entries/{eid}/withdraw",
            post(withdraw),
        )
        .route("/api/v1/contests/{id}/entries/{eid}/score", post(score))
        .route("/api/v1/contests/{id}/votes/change", post(change))
        .route("/api/v1/contests/{id}/ballots/mine", get(mine))
        .route("/api/v1/contests/{id}/progress", get(progress))
        .route("/api/v1/contests/{id}/anomalies", get(anomalies))
        .route("/api/v1/contests/{id}/publish", post(publish))
        .route("/api/v1/contests/{id}/results", get(results))
        .route("/api/v1/contests/{id}/push", post(push))
}

/// What the caller is to a contest.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ContestStanding)]
pub struct StandingOut {
    pub organiser: bool,
    pub may_enter: bool,
    pub may_vote: bool,
    pub judge: bool,
}

/// A contest with the rules people act on.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ContestOut)]
pub struct ContestOut {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// `upcoming`, `entries`, `review`, `voting`, `judging`, `counting` or `published`.
    pub phase: String,
    /// SHA-256 of the rules text; frozen from the opening of voting.
    pub rules_hash: String,
    pub categories: Vec<String>,
    /// Phase dates, UTC milliseconds.
    pub entries_open: i64,
    pub entries_close: i64,
    pub voting_open: i64,
    pub voting_close: i64,
    pub judging_open: i64,
    pub judging_close: i64,
    pub votes_per_person: i64,
    /// `contest`, `category` or `day`.
    pub vote_period: String,
    /// Voters may withdraw or move a vote while voting is open.
    pub allow_withdraw: bool,
    pub weight_public: i64,
    pub weight_judges: i64,
    pub published: bool,
    pub standing: StandingOut,
}

fn contest_out(st: &AppState, c: &Contest, s: &Standing) -> ContestOut {
    let r = &c.rules;
    ContestOut {
        id: c.id,
        title: c.title.clone(),
        description: c.description.clone(),
        phase: service::phase(&st.clock, c).as_str().to_string(),
        rules_hash: c.rules_hash.clone(),
        categories: r
            .categories
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        entries_open: r.phases.entries_open,
        entries_close: r.phases.entries_close,
        voting_open: r.phases.voting_open,
        voting_close: r.phases.voting_close,
        judging_open: r.phases.judging_open,
        judging_close: r.phases.judging_close,
        votes_per_person: r.votes_per_person,
        vote_period: r.vote_period.as_str().to_string(),
        allow_withdraw: r.allow_withdraw,
        weight_public: r.weight_public,
        weight_judges: r.weight_judges,
        published: c.published_at.is_some(),
        standing: StandingOut {
            organiser: s.organiser,
            may_enter: s.may_enter,
            may_vote: s.may_vote,
            judge: s.judge,
        },
    }
}

#[utoipa::path(get, path = "/api/v1/contests", tag = "contests",
    responses((status = 200, body = Vec<ContestOut>)))]
pub async fn list(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<ContestOut>>> {
    require_scope(&u.p, Scope::ContestsRead)?;
    let list = service::list(&st.db, &u.p).await?;
    Ok(Json(
        list.iter().map(|(c, s)| contest_out(&st, c, s)).collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/contests/{id}", tag = "contests", params(("id" = i64, Path)),
    responses((status = 200, body = ContestOut), (status = 404, description = "Absent or not visible to the caller")))]
pub async fn show(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<ContestOut>> {
    require_scope(&u.p, Scope::ContestsRead)?;
    let (c, s) = service::open(&st.db, &u.p, id).await?;
    Ok(Json(contest_out(&st, &c, &s)))
}

/// An entry as the caller may see it (the team's names when they agreed, or to the team and
/// organisers).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ContestEntryOut)]
pub struct EntryOut {
    pub id: i64,
    pub category: String,
    pub title: String,
    pub description: String,
    /// `submitted`, `returned`, `accepted` or `rejected` (others see accepted entries only).
    pub status: String,
    /// `video_link` or `image`.
    pub media_kind: String,
    pub video_url: String,
    pub licence: String,
    pub names: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/contests/{id}/entries", tag = "contests", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EntryOut>), (status = 404, description = "Absent or not visible to the caller")))]
pub async fn entries(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<EntryOut>>> {
    require_scope(&u.p, Scope::ContestsRead)?;
    let (c, s) = service::open(&st.db, &u.p, id).await?;
    let list = service::entries_for(&st.db, &st.clock, &u.p, &c, &s).await?;
    Ok(Json(
        list.into_iter()
            .map(|e: Entry| EntryOut {
                names: if e.show_names || s.organiser || service::is_own(&u.p, &e) {
                    e.members.iter().map(|m| m.name.clone()).collect()
                } else {
                    vec![]
                },
                id: e.id,
                category: e.category.as_str().into(),
                title: e.title,
                description: e.description,
                status: e.status.as_str().into(),
                media_kind: e.media_kind.as_str().into(),
                video_url: e.video_url,
                licence: e.licence.as_str().into(),
            })
            .collect(),
    ))
}

/// A record of the ballot log: a vote, or a withdrawal. `hash` is the receipt.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ContestBallotOut)]
pub struct BallotOut {
    pub seq: i64,
    pub entry: i64,
    pub category: String,
    pub cast_at: i64,
    pub withdraw: bool,
    pub prev: String,
    pub hash: String,
}

impl From<BallotLine> for BallotOut {
    fn from(b: BallotLine) -> Self {
        BallotOut {
            seq: b.seq,
            entry: b.entry,
            category: b.category,
            cast_at: b.cast_at,
            withdraw: b.withdraw,
            prev: b.prev,
            hash: b.hash,
        }
    }
}

fn origin(u: &User, h: &HeaderMap) -> Origin {
    Origin {
        ip: u.ctx.ip.clone(),
        user_agent: h
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(300)
            .collect(),
    }
}

#[utoipa::path(post, path = "/api/v1/contests/{id}/entries/{eid}/vote", tag = "contests",
    params(("id" = i64, Path), ("eid" = i64, Path)),
    responses((status = 201, body = BallotOut), (status = 403, description = "Not a voter under the rules"),
              (status = 404, description = "No such accepted entry"),
              (status = 409, description = "Outside the voting window, a second vote for the entry, or the vote limit reached")))]
pub async fn vote(
    State(st): State<AppState>,
    u: User,
    h: HeaderMap,
    Path((id, eid)): Path<(i64, i64)>,
) -> AppResult<(StatusCode, Json<BallotOut>)> {
    require_scope(&u.p, Scope::ContestsWrite)?;
    let b = service::vote_from(
        &st.db,
        &st.clock,
        &st.contests,
        &u.p,
        id,
        eid,
        &origin(&u, &h),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(b.into())))
}

#[utoipa::path(post, path = "/api/v1/contests/{id}/entries/{eid}/withdraw", tag = "contests",
    params(("id" = i64, Path), ("eid" = i64, Path)),
    responses((status = 201, body = BallotOut), (status = 403, description = "Not a voter under the rules"),
              (status = 404, description = "No such accepted entry"),
              (status = 409, description = "The rules allow no withdrawal, voting is closed, or no vote for the entry to withdraw")))]
pub async fn withdraw(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(i64, i64)>,
) -> AppResult<(StatusCode, Json<BallotOut>)> {
    require_scope(&u.p, Scope::ContestsWrite)?;
    let b = service::withdraw(&st.db, &st.clock, &st.contests, &u.p, id, eid).await?;
    Ok((StatusCode::CREATED, Json(b.into())))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ContestChangeBody)]
pub struct ChangeBody {
    /// The entry the vote is taken from.
    pub from: i64,
    /// The entry it goes to.
    pub to: i64,
}

/// The withdrawal and the new vote, appended together.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ContestChangeOut)]
pub struct ChangeOut {
    pub withdrawal: BallotOut,
    pub vote: BallotOut,
}

#[utoipa::path(post, path = "/api/v1/contests/{id}/votes/change", tag = "contests",
    params(("id" = i64, Path)), request_body = ChangeBody,
    responses((status = 201, body = ChangeOut), (status = 403, description = "Not a voter under the rules"),
              (status = 404, description = "No such accepted entry"),
              (status = 409, description = "The rules allow no change, voting is closed, no vote to move, or the limit reached"),
              (status = 422, description = "The same entry twice")))]
pub async fn change(
    State(st): State<AppState>,
    u: User,
    h: HeaderMap,
    Path(id): Path<i64>,
    Json(b): Json<ChangeBody>,
) -> AppResult<(StatusCode, Json<ChangeOut>)> {
    require_scope(&u.p, Scope::ContestsWrite)?;
    let (w, v) = service::change_vote(
        &st.db,
        &st.clock,
        &st.contests,
        &u.p,
        id,
        b.from,
        b.to,
        &origin(&u, &h),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ChangeOut {
            withdrawal: w.into(),
            vote: v.into(),
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/contests/{id}/ballots/mine", tag = "contests", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<BallotOut>), (status = 404, description = "Absent or not visible to the caller")))]
pub async fn mine(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<BallotOut>>> {
    require_scope(&u.p, Scope::ContestsRead)?;
    let (c, _) = service::open(&st.db, &u.p, id).await?;
    let list = service::my_ballots(&st.db, &u.p, &c).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ContestScoreBody)]
pub struct ScoreBody {
    /// Each criterion's mark, 0–10, by the criterion's name.
    pub marks: BTreeMap<String, i64>,
}

#[utoipa::path(post, path = "/api/v1/contests/{id}/entries/{eid}/score", tag = "contests",
    params(("id" = i64, Path), ("eid" = i64, Path)), request_body = ScoreBody,
    responses((status = 204, description = "Sheet saved (a later sheet replaces it)"),
              (status = 403, description = "Not a judge, not assigned, or a conflict of interest"),
              (status = 404, description = "No such accepted entry"),
              (status = 409, description = "Outside the judging window"),
              (status = 422, description = "A criterion's mark missing or outside 0–10")))]
pub async fn score(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(i64, i64)>,
    Json(b): Json<ScoreBody>,
) -> AppResult<StatusCode> {
    require_scope(&u.p, Scope::ContestsWrite)?;
    let marks: Vec<(String, String)> = b
        .marks
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    service::score(&st.db, &st.clock, &u.p, id, eid, &marks).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/contests/{id}/progress", tag = "contests", params(("id" = i64, Path)),
    responses((status = 200, body = Progress), (status = 403, description = "Not an organiser"),
              (status = 404, description = "Absent or not visible to the caller")))]
pub async fn progress(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<Progress>> {
    require_scope(&u.p, Scope::ContestsRead)?;
    Ok(Json(service::progress(&st.db, &u.p, id).await?))
}

#[utoipa::path(get, path = "/api/v1/contests/{id}/anomalies", tag = "contests", params(("id" = i64, Path)),
    responses((status = 200, body = Report), (status = 403, description = "Not an organiser"),
              (status = 404, description = "Absent or not visible to the caller")))]
pub async fn anomalies(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<Report>> {
    require_scope(&u.p, Scope::ContestsRead)?;
    Ok(Json(service::anomalies(&st.db, &u.p, id).await?))
}

#[utoipa::path(post, path = "/api/v1/contests/{id}/publish", tag = "contests", params(("id" = i64, Path)),
    responses((status = 204, description = "Published"), (status = 403, description = "Not an organiser"),
              (status = 404, description = "Absent or not visible to the caller"),
              (status = 409, description = "Voting or judging still open, or already published")))]
pub async fn publish(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    require_scope(&u.p, Scope::ContestsWrite)?;
    service::publish(&st.db, &st.clock, &u.p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/contests/{id}/results", tag = "contests", params(("id" = i64, Path)),
    responses((status = 200, body = Results), (status = 404, description = "Absent or not published")))]
pub async fn results(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Json<Results>> {
    require_scope(&u.p, Scope::ContestsRead)?;
    Ok(Json(service::published(&st.db, id).await?.1))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ContestPushBody)]
pub struct PushBody {
    /// The fraud type the winning works warn of (an id of the typology, e.g. `rebate`).
    pub fraud_type: String,
}

#[utoipa::path(post, path = "/api/v1/contests/{id}/push", tag = "contests", params(("id" = i64, Path)),
    request_body = PushBody,
    responses((status = 200, body = Pushed), (status = 403, description = "Not an organiser"),
              (status = 404, description = "Absent or not visible to the caller"),
              (status = 409, description = "Results not published"),
              (status = 422, description = "Unknown fraud type")))]
pub async fn push(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Json(b): Json<PushBody>,
) -> AppResult<Json<Pushed>> {
    require_scope(&u.p, Scope::ContestsWrite)?;
    Ok(Json(
        service::push_winners(
            &st.db,
            &st.clock,
            &st.config,
            &u.p,
            &u.ctx.actor(),
            id,
            &b.fraud_type,
        )
        .await?,
    ))
}

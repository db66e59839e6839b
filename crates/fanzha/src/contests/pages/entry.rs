//! The entry form (enter, revise), an entry's page, its image, the vote and the score sheet.

use super::*;

// ---- entries ----

#[derive(Clone, Debug, Default)]
pub(super) struct EntryForm {
    category: String,
    title: String,
    description: String,
    members: String,
    media_kind: String,
    video_url: String,
    licence: String,
    show_names: bool,
    advisors: String,
}

#[derive(Template)]
#[template(path = "contests/enter.html")]
pub(super) struct EnterPage {
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
pub(super) struct EnterQuery {
    entry: Option<i64>,
}

pub(super) async fn render_enter(
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

pub(super) async fn enter_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Query(q): Query<EnterQuery>,
) -> AppResult<Html<String>> {
    let (c, s) = service::open(&st.db, &u.p, id).await?;
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
        let (_, _, e) = service::entry_for(&st.db, &st.clock, &u.p, id, eid).await?;
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
            advisors: String::new(),
        };
        // Team members are typed by student number; the stored ids are not shown.
        f.members.clear();
    }
    render_enter(&st, &u, c, f, q.entry, vec![]).await
}

pub(super) async fn enter_submit(
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
            "advisors" => f.advisors = t(),
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
        advisors: codes(&f.advisors),
    };
    let r = match q.entry {
        Some(eid) => service::revise_entry(&st.db, &st.clock, &u.p, id, eid, &input)
            .await
            .map(|_| eid),
        None => service::submit_entry(&st.db, &st.clock, &u.p, id, &input).await,
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/contests/{id}?entered=1#mine")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if !refused(&e) {
                return Err(e);
            }
            let (c, _) = service::open(&st.db, &u.p, id).await?;
            let html = render_enter(&st, &u, c, f, q.entry, msgs(u.ctx.lang, &e)).await?;
            Ok((e.status, html).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "contests/entry.html")]
pub(super) struct EntryPage {
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
    /// The receipt of the caller's vote for this entry, if it stands.
    my_receipt: Option<String>,
    /// Votes the caller may still cast in this entry's period.
    votes_left: i64,
    /// The caller's standing votes of that period (entry id, title): a vote may move from them.
    my_live: Vec<(i64, String)>,
    error: String,
}

pub(super) async fn entry_page(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(i64, i64)>,
) -> AppResult<Html<String>> {
    render_entry(&st, &u, id, eid, String::new()).await
}

pub(super) async fn render_entry(
    st: &AppState,
    u: &User,
    id: i64,
    eid: i64,
    error: String,
) -> AppResult<Html<String>> {
    let (c, s, e) = service::entry_for(&st.db, &st.clock, &u.p, id, eid).await?;
    let now = st.clock.now_ms();
    let has_image = e.media_kind == MediaKind::Image
        && service::image(&st.db, &st.clock, Some(&u.p), id, eid)
            .await
            .is_ok();
    let may_score = s.judge
        && service::my_assignments(&st.db, &u.p, &c)
            .await?
            .iter()
            .any(|(a, _)| a.id == e.id);
    let (votes_left, live) = if s.may_vote {
        service::votes_left(&st.db, &st.clock, &u.p, &c, e.category).await?
    } else {
        (0, vec![])
    };
    // The receipt of the standing vote for this entry (a per-day limit opens a new one each day).
    let my_receipt = if live.contains(&e.id) {
        service::my_ballots(&st.db, &u.p, &c)
            .await?
            .into_iter()
            .rev()
            .find(|b| b.entry == e.id && !b.withdraw)
            .map(|b| b.hash)
    } else {
        None
    };
    let mut my_live = Vec::new();
    if !live.is_empty() {
        let all = service::entries_for(&st.db, &st.clock, &u.p, &c, &s).await?;
        for id in &live {
            if let Some(x) = all.iter().find(|x| x.id == *id) {
                my_live.push((x.id, x.title.clone()));
            }
        }
    }
    let _ = now;
    let ctx = page_ctx(st, u).await;
    Ok(Html(
        EntryPage {
            my_receipt,
            votes_left,
            my_live,
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
pub(super) async fn entry_refused(
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

pub(super) async fn image(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, eid)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (t, b) = service::image(&st.db, &st.clock, ctx.principal.as_ref(), id, eid).await?;
    Ok((
        [
            (header::CONTENT_TYPE, t),
            (header::CACHE_CONTROL, "private, max-age=300".to_string()),
        ],
        b,
    )
        .into_response())
}

fn origin(u: &User, h: &HeaderMap) -> service::Origin {
    service::Origin {
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

pub(super) async fn vote_submit(
    State(st): State<AppState>,
    u: User,
    h: HeaderMap,
    Path((id, eid)): Path<(i64, i64)>,
) -> AppResult<Response> {
    match service::vote_from(
        &st.db,
        &st.clock,
        &st.contests,
        &u.p,
        id,
        eid,
        &origin(&u, &h),
    )
    .await
    {
        Ok(b) => Ok(
            Redirect::to(&format!("/contests/{id}/receipts?hash={}&new=1", b.hash)).into_response(),
        ),
        Err(e) => entry_refused(&st, &u, id, eid, e.into()).await,
    }
}

pub(super) async fn score_submit(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let marks: Vec<(String, String)> = pairs
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix("mark:").map(|k| (k.to_string(), v)))
        .collect();
    match service::score(&st.db, &st.clock, &u.p, id, eid, &marks).await {
        Ok(()) => Ok(Redirect::to(&format!("/contests/{id}?done=scored#judge")).into_response()),
        Err(e) => entry_refused(&st, &u, id, eid, e.into()).await,
    }
}

pub(super) async fn withdraw_submit(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(i64, i64)>,
) -> AppResult<Response> {
    match service::withdraw(&st.db, &st.clock, &st.contests, &u.p, id, eid).await {
        Ok(b) => Ok(
            Redirect::to(&format!("/contests/{id}/receipts?hash={}&new=1", b.hash)).into_response(),
        ),
        Err(e) => entry_refused(&st, &u, id, eid, e.into()).await,
    }
}

#[derive(serde::Deserialize)]
pub(super) struct MoveForm {
    from: String,
}

pub(super) async fn move_submit(
    State(st): State<AppState>,
    u: User,
    h: HeaderMap,
    Path((id, eid)): Path<(i64, i64)>,
    Form(f): Form<MoveForm>,
) -> AppResult<Response> {
    let Ok(from) = f.from.trim().parse::<i64>() else {
        let e = AppError::from(service::ContestError::Invalid(vec![
            crate::error::Msg::new("contests-err-change-same"),
        ]));
        return entry_refused(&st, &u, id, eid, e).await;
    };
    match service::change_vote(
        &st.db,
        &st.clock,
        &st.contests,
        &u.p,
        id,
        from,
        eid,
        &origin(&u, &h),
    )
    .await
    {
        Ok((_, b)) => Ok(
            Redirect::to(&format!("/contests/{id}/receipts?hash={}&new=1", b.hash)).into_response(),
        ),
        Err(e) => entry_refused(&st, &u, id, eid, e.into()).await,
    }
}

//! The organiser's form: open a contest, change its rules until voting opens.

use super::*;

// ---- the organiser's form ----

/// The organiser's form as typed (every value text; lists from repeated fields).
#[derive(Clone, Debug, Default)]
pub(super) struct ContestForm {
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
    allow_withdraw: bool,
}

pub(super) fn codes(s: &str) -> Vec<String> {
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
                "allow_withdraw" => f.allow_withdraw = !v.is_empty(),
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
                allow_withdraw: self.allow_withdraw,
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
            allow_withdraw: r.allow_withdraw,
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
pub(super) struct FormPage {
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

pub(super) async fn render_form(
    st: &AppState,
    u: &User,
    f: ContestForm,
    errors: Vec<String>,
    editing: Option<i64>,
) -> AppResult<Html<String>> {
    let units = service::organiser_units(&st.db, &u.p)
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

pub(super) async fn new_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    if service::organiser_units(&st.db, &u.p).await?.is_empty() {
        return Err(AppError::forbidden());
    }
    let codes = service::default_unit_codes(&st.db, &u.p).await?.join(", ");
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

pub(super) async fn new_submit(
    State(st): State<AppState>,
    u: User,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let f = ContestForm::from_pairs(&pairs);
    match service::create(&st.db, &st.clock, &u.p, &f.input()).await {
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

pub(super) async fn edit_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (c, s) = service::open(&st.db, &u.p, id).await?;
    if !s.organiser {
        return Err(AppError::forbidden());
    }
    let f = ContestForm::of_contest(&c, u.p.time_zone);
    render_form(&st, &u, f, vec![], Some(id)).await
}

pub(super) async fn edit_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let f = ContestForm::from_pairs(&pairs);
    match service::update(&st.db, &st.clock, &u.p, id, &f.input()).await {
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

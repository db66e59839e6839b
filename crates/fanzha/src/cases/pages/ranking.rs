//! The Campus Without Fraud ranking of a province, the selection and publication of awardees.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "cases/ranking.html")]
pub(super) struct RankingPage {
    ctx: PageCtx,
    province: Unit,
    year: i32,
    rows: Vec<(RankRow, String)>,
    eligible: Vec<(RankRow, String)>,
    can_select: bool,
    can_open: bool,
    published: bool,
    max: usize,
    error: Option<String>,
    charts_json: String,
    from: String,
    to: String,
}

#[derive(Deserialize)]
pub(super) struct RankForm {
    #[serde(default)]
    province: String,
    year: i32,
    #[serde(default)]
    schools: Vec<String>,
}

pub(super) async fn render_ranking(
    st: &AppState,
    u: &User,
    province: Unit,
    year: i32,
    error: Option<String>,
) -> AppResult<Html<String>> {
    service::authorize_ranking(&st.db, &st.clock, &u.p, &u.ctx.actor(), &province).await?;
    let ctx = page_ctx(st, u).await;
    let rows = service::ranking(&st.db, &province, year)
        .await
        .map_err(AppError::from)?;
    let chart = Chart {
        id: "chart-ranking".into(),
        kind: "bar",
        title: ctx.t("cases-ranking-chart"),
        labels: rows.iter().map(|r| r.school_name.clone()).collect(),
        series: vec![Series {
            name: ctx.t("cases-per-10k"),
            values: rows.iter().map(|r| r.victims_per_10k).collect(),
        }],
    };
    let published = rows.iter().any(|r| r.published);
    let can_select = policy::allows(&u.p, Action::ManageAwards, &Target::Unit(&province.path));
    let can_open = policy::allows(&u.p, Action::ViewCases, &Target::Unit(&province.path));
    let rows: Vec<(RankRow, String)> = rows
        .into_iter()
        .map(|r| {
            let lost = yuan(r.lost_cents);
            (r, lost)
        })
        .collect();
    let mut eligible: Vec<(RankRow, String)> =
        rows.iter().filter(|(r, _)| r.eligible).cloned().collect();
    eligible.sort_by_key(|(r, _)| r.award_rank);
    Ok(Html(
        RankingPage {
            ctx,
            province,
            year,
            rows,
            eligible,
            can_select,
            can_open,
            published,
            max: service::MAX_AWARDS,
            error,
            charts_json: json_block(&vec![chart]),
            from: format!("{year:04}-01-01"),
            to: format!("{year:04}-12-31"),
        }
        .render()?,
    ))
}

pub(super) async fn ranking_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<RankQuery>,
) -> AppResult<Html<String>> {
    let province = service::province(&st.db, &u.p, q.province.as_deref()).await?;
    let year = service::year_or(q.year, service::this_year(&st.clock, &u.p) - 1)?;
    render_ranking(&st, &u, province, year, None).await
}

pub(super) async fn ranking_select(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<RankForm>,
) -> AppResult<Response> {
    let input = AwardInput {
        province: f.province.clone(),
        year: f.year,
        schools: f.schools.clone(),
    };
    after_award(
        &st,
        &u,
        &f,
        service::select_awards(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input)
            .await
            .map(|_| ())
            .map_err(AppError::from),
    )
    .await
}

pub(super) async fn ranking_publish(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<RankForm>,
) -> AppResult<Response> {
    let input = AwardInput {
        province: f.province.clone(),
        year: f.year,
        schools: vec![],
    };
    after_award(
        &st,
        &u,
        &f,
        service::publish_awards(&st.db, &st.clock, &u.p, &u.ctx.actor(), &input)
            .await
            .map(|_| ())
            .map_err(AppError::from),
    )
    .await
}

pub(super) async fn after_award(
    st: &AppState,
    u: &User,
    f: &RankForm,
    r: AppResult<()>,
) -> AppResult<Response> {
    let province = service::province(
        &st.db,
        &u.p,
        Some(f.province.as_str()).filter(|s| !s.is_empty()),
    )
    .await?;
    match r {
        Ok(()) => Ok(Redirect::to(&format!(
            "/cases/ranking?province={}&year={}",
            province.code, f.year
        ))
        .into_response()),
        Err(e) if e.is_invalid() => {
            let msg = rendered(&e, u.ctx.lang).join(" ");
            let mut r = render_ranking(st, u, province, f.year, Some(msg))
                .await?
                .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/awards.html")]
pub(super) struct AwardsPage {
    ctx: PageCtx,
    province: Unit,
    year: i32,
    awardees: Vec<service::Awardee>,
}

pub(super) async fn awards_page(
    State(st): State<AppState>,
    u: User,
    Path((code, year)): Path<(String, i32)>,
) -> AppResult<Html<String>> {
    let province = service::province(&st.db, &u.p, Some(&code)).await?;
    let awardees = service::awardees(&st.db, &province, year).await?;
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        AwardsPage {
            ctx,
            province,
            year,
            awardees,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "cases/certificate.html")]
pub(super) struct CertificatePage {
    ctx: PageCtx,
    province: Unit,
    year: i32,
    school: String,
    date: String,
    text: String,
}

pub(super) async fn certificate_page(
    State(st): State<AppState>,
    u: User,
    Path((code, year, school)): Path<(String, i32, String)>,
) -> AppResult<Html<String>> {
    let province = service::province(&st.db, &u.p, Some(&code)).await?;
    let a = service::awardees(&st.db, &province, year)
        .await?
        .into_iter()
        .find(|a| a.school_code == school)
        .ok_or_else(AppError::not_found)?;
    let ctx = page_ctx(&st, &u).await;
    let text = ctx.ta(
        "cases-certificate-text",
        &[
            ("year", year.to_string()),
            ("province", province.name.clone()),
        ],
    );
    Ok(Html(
        CertificatePage {
            ctx,
            province,
            year,
            school: a.school_name,
            date: date_in(a.published_at, u.p.time_zone).to_string(),
            text,
        }
        .render()?,
    ))
}

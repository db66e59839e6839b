//! Briefings of a police station: the archive, the draft form, one briefing and its publication.

#[allow(unused_imports)]
use super::*;

pub struct BriefingRow {
    pub id: i64,
    pub month: String,
    pub title: String,
    pub station: String,
    pub published: bool,
}

#[derive(Template)]
#[template(path = "cases/briefings.html")]
pub(super) struct BriefingsPage {
    ctx: PageCtx,
    rows: Vec<BriefingRow>,
    stations: Vec<Unit>,
    month: String,
    candidates: Vec<(CaseRow, String)>,
    error: Option<String>,
    advice: String,
}

#[derive(Deserialize, Default)]
pub(super) struct BriefingsQuery {
    month: Option<String>,
    station: Option<String>,
}

pub(super) async fn briefings_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<BriefingsQuery>,
) -> AppResult<Html<String>> {
    render_briefings(&st, &u, q, None).await
}

pub(super) async fn render_briefings(
    st: &AppState,
    u: &User,
    q: BriefingsQuery,
    error: Option<String>,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(st, u).await;
    let mut rows = Vec::new();
    for b in service::readable_briefings(&st.db, &u.p).await? {
        let station = org_store::unit_by_id(&st.db, b.station_id)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        rows.push(BriefingRow {
            id: b.id,
            month: b.month,
            title: b.title,
            station,
            published: b.status == "published",
        });
    }
    // Police: stations they may brief, and the chosen month's cases to pick typical ones from.
    let mut stations = Vec::new();
    for g in &u.p.grants {
        if g.role == Role::Police && g.unit_kind == UnitKind::PoliceStation.as_str() {
            if let Some(s) = org_store::unit_by_id(&st.db, g.unit_id).await? {
                stations.push(s);
            }
        }
    }
    let today = date_in(st.clock.now_ms(), u.p.time_zone);
    let default_month = {
        let m = Month::of(today);
        if m.month == 1 {
            Month {
                year: m.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: m.year,
                month: m.month - 1,
            }
        }
    };
    let month = q
        .month
        .as_deref()
        .and_then(Month::parse)
        .unwrap_or(default_month);
    let station = match q.station.as_deref() {
        Some(code) => stations.iter().find(|s| s.code == code).cloned(),
        None => stations.first().cloned(),
    };
    let mut candidates = Vec::new();
    if let Some(s) = &station {
        let paths = service::unit_paths(&st.db, s)
            .await
            .map_err(AppError::from)?;
        let w = Window {
            paths,
            from: ms_of_date(month.first_day()),
            to: ms_of_date(month.next().first_day()),
        };
        let (cases, _) = store::list_cases(&st.db, &w, 200, 0).await?;
        for c in &cases {
            candidates.push((case_row(&ctx, c), c.narrative.clone()));
        }
    }
    let advice = ctx.t("cases-briefing-advice-default");
    Ok(Html(
        BriefingsPage {
            ctx,
            rows,
            stations,
            month: month.to_string(),
            candidates,
            error,
            advice,
        }
        .render()?,
    ))
}

pub(super) async fn briefing_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<BriefingInput>,
) -> AppResult<Response> {
    match service::save_briefing(&st.db, &st.clock, &u.p, &u.ctx.actor(), &f)
        .await
        .map_err(AppError::from)
    {
        Ok(id) => Ok(Redirect::to(&format!("/cases/briefings/{id}")).into_response()),
        Err(e) if e.is_invalid() => {
            let msg = rendered(&e, u.ctx.lang).join(" ");
            let q = BriefingsQuery {
                month: Some(f.month.clone()),
                station: Some(f.station.clone()).filter(|s| !s.is_empty()),
            };
            let mut r = render_briefings(&st, &u, q, Some(msg))
                .await?
                .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cases/briefing.html")]
pub(super) struct BriefingPage {
    ctx: PageCtx,
    b: Briefing,
    station_name: String,
    cases: Vec<(TypicalCase, String, String, String, String)>,
    v: AnalysisView,
    can_publish: bool,
    published_at: String,
    /// Suspects of 帮信 / 两卡 in the month's cases.
    suspects: i64,
}

pub(super) async fn briefing_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Html<String>> {
    let (d, station) = service::briefing_detail(&st.db, &st.clock, &u.p, id).await?;
    let ctx = page_ctx(&st, &u).await;
    let can_publish = d.briefing.status == "draft"
        && policy::allows(&u.p, Action::ManageCases, &Target::Unit(&station.path));
    let cases = d
        .cases
        .into_iter()
        .map(|c| {
            let t = ctx.fraud_type(&c.fraud_type);
            let ch = bucket_label(&ctx, "channel", &c.channel);
            let when = fmt_local(c.occurred_at, ctx.tz);
            let lost = yuan(c.amount_lost_cents);
            (c, t, ch, when, lost)
        })
        .collect();
    let published_at = d
        .briefing
        .published_at
        .map(|t| fmt_local(t, ctx.tz))
        .unwrap_or_default();
    let v = analysis_view(&ctx, d.analysis);
    Ok(Html(
        BriefingPage {
            ctx,
            b: d.briefing,
            station_name: d.station_name,
            suspects: d.suspects,
            cases,
            v,
            can_publish,
            published_at,
        }
        .render()?,
    ))
}

pub(super) async fn briefing_publish(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::publish_briefing(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
    Ok(Redirect::to(&format!("/cases/briefings/{id}")).into_response())
}

//! The police KPIs page: the year month by month, and the form to enter a month.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "cases/kpis.html")]
pub(super) struct KpiPage {
    ctx: PageCtx,
    unit: Unit,
    y: KpiYear,
    rows: Vec<Vec<String>>,
    yoy: Vec<String>,
    can_edit: bool,
    charts_json: String,
    error: Option<String>,
    month: String,
}

pub(super) async fn render_kpis(
    st: &AppState,
    u: &User,
    unit: Unit,
    year: i32,
    error: Option<String>,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(st, u).await;
    let y = service::kpi_year(&st.db, &unit, year, local_date(st.clock.now_ms()))
        .await
        .map_err(AppError::from)?;
    let fmt = |k: &store::Kpi| {
        vec![
            k.month.clone(),
            k.cases_solved.to_string(),
            k.suspects_arrested.to_string(),
            yuan(k.funds_frozen_cents),
            yuan(k.losses_avoided_cents),
            yuan(k.funds_returned_cents),
            k.student_suspects.to_string(),
        ]
    };
    let mut rows: Vec<Vec<String>> = y.months.iter().map(fmt).collect();
    rows.push(fmt(&y.total));
    rows.push(fmt(&y.prev_total));
    let yoy = y.yoy_pct.iter().map(|p| yoy_text(&ctx, *p)).collect();
    let chart = Chart {
        id: "chart-kpi".into(),
        kind: "bar",
        title: ctx.t("cases-kpi-chart"),
        labels: y.months.iter().map(|k| k.month.clone()).collect(),
        series: vec![
            Series {
                name: ctx.t("cases-kpi-solved"),
                values: y.months.iter().map(|k| k.cases_solved as f64).collect(),
            },
            Series {
                name: ctx.t("cases-kpi-arrested"),
                values: y
                    .months
                    .iter()
                    .map(|k| k.suspects_arrested as f64)
                    .collect(),
            },
        ],
    };
    let money = Chart {
        id: "chart-kpi-money".into(),
        kind: "line",
        title: ctx.t("cases-kpi-money-chart"),
        labels: y.months.iter().map(|k| k.month.clone()).collect(),
        series: vec![
            Series {
                name: ctx.t("cases-kpi-frozen"),
                values: y
                    .months
                    .iter()
                    .map(|k| k.funds_frozen_cents as f64 / 100.0)
                    .collect(),
            },
            Series {
                name: ctx.t("cases-kpi-avoided"),
                values: y
                    .months
                    .iter()
                    .map(|k| k.losses_avoided_cents as f64 / 100.0)
                    .collect(),
            },
            Series {
                name: ctx.t("cases-kpi-returned"),
                values: y
                    .months
                    .iter()
                    .map(|k| k.funds_returned_cents as f64 / 100.0)
                    .collect(),
            },
        ],
    };
    let can_edit = unit.kind == UnitKind::PoliceStation
        && policy::allows(&u.p, Action::ManageCases, &Target::Unit(&unit.path));
    let month = Month::of(date_in(st.clock.now_ms(), u.p.time_zone)).to_string();
    Ok(Html(
        KpiPage {
            ctx,
            unit,
            y,
            rows,
            yoy,
            can_edit,
            charts_json: json_block(&vec![chart, money]),
            error,
            month,
        }
        .render()?,
    ))
}

pub(super) async fn kpi_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<KpiQuery>,
) -> AppResult<Html<String>> {
    let unit = service::unit_visible_to(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        q.unit.as_deref(),
        Action::ViewCases,
    )
    .await?;
    let year = service::year_or(q.year, service::this_year(&st.clock, &u.p))?;
    render_kpis(&st, &u, unit, year, None).await
}

pub(super) async fn kpi_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<KpiInput>,
) -> AppResult<Response> {
    match service::save_kpi(&st.db, &st.clock, &u.p, &u.ctx.actor(), &f)
        .await
        .map_err(AppError::from)
    {
        Ok(unit) => {
            let year = Month::parse(&f.month)
                .map_or_else(|| service::this_year(&st.clock, &u.p), |m| m.year);
            Ok(
                Redirect::to(&format!("/cases/kpis?unit={}&year={year}", unit.code))
                    .into_response(),
            )
        }
        Err(e) if e.is_invalid() => {
            let unit = service::unit_visible_to(
                &st.db,
                &st.clock,
                &u.p,
                &u.ctx.actor(),
                Some(&f.unit),
                Action::ViewCases,
            )
            .await?;
            let msg = rendered(&e, u.ctx.lang).join(" ");
            let mut r = render_kpis(
                &st,
                &u,
                unit,
                service::this_year(&st.clock, &u.p),
                Some(msg),
            )
            .await?
            .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

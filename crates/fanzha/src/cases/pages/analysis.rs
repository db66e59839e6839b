//! The analysis page of a unit and period, with its charts.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "cases/analysis.html")]
pub(super) struct AnalysisPage {
    ctx: PageCtx,
    unit: Unit,
    from: String,
    to: String,
    v: AnalysisView,
    picker: String,
}

pub(super) async fn analysis_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Html<String>> {
    let per = period(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q).await?;
    let ctx = page_ctx(&st, &u).await;
    let a = service::analyse(&st.db, &per.unit, per.from, per.to, st.clock.now_ms())
        .await
        .map_err(AppError::from)?;
    let v = analysis_view(&ctx, a);
    let picker = crate::org::picker::render(
        &st,
        &u,
        &ctx,
        crate::org::picker::Spec {
            id: "analysis-unit",
            name: "unit",
            label: &ctx.t("cases-unit"),
            action: Action::ViewCases,
            kinds: &[
                UnitKind::Province,
                UnitKind::City,
                UnitKind::PoliceStation,
                UnitKind::School,
                UnitKind::College,
            ],
            multiple: false,
            required: false,
        },
        std::slice::from_ref(&per.unit.code),
    )
    .await?;
    Ok(Html(
        AnalysisPage {
            ctx,
            picker,
            unit: per.unit,
            from: per.from.to_string(),
            to: per.to.to_string(),
            v,
        }
        .render()?,
    ))
}

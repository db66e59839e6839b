//! The coverage tree with drill-down.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

// ---------- coverage ----------

#[derive(Template)]
#[template(path = "learning/coverage.html")]
pub(super) struct CoveragePage {
    ctx: PageCtx,
    c: Coverage,
    total: FigRow,
    rows: Vec<(Unit, FigRow)>,
    is_class: bool,
    can_run: bool,
    required: Vec<Course>,
    reminded: Option<i64>,
    /// Server-drawn SVG: the unit's shares, and the first lesson and pledge per child unit.
    charts: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct CoverageQuery {
    #[serde(default)]
    unit: Option<UnitId>,
    #[serde(default)]
    reminded: Option<i64>,
}

pub(super) async fn coverage(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<CoverageQuery>,
) -> AppResult<Response> {
    let unit_id = match q.unit {
        Some(id) => id,
        None => {
            let roots = service::coverage_roots(&st.db, &u.p).await?;
            roots
                .first()
                .map(|r| r.id)
                .ok_or_else(AppError::forbidden)?
        }
    };
    let c = service::coverage(&st.db, &st.clock, &u.p, &u.ctx.actor(), unit_id).await?;
    let ctx = page_ctx(&st, &u).await;
    let can_run = policy::allows(
        &u.p,
        Action::RunActivities,
        &policy::Target::Unit(&c.unit.path),
    );
    let required = match service::school_of(&st.db, &c.unit).await {
        Ok(s) => crate::learning::store::courses_of_school(&st.db, s.id)
            .await?
            .into_iter()
            .filter(|c| c.required)
            .collect(),
        Err(_) => vec![],
    };
    let charts = charts(&ctx, &c);
    let rows = c
        .children
        .iter()
        .map(|r| (r.unit.clone(), FigRow::from(&r.figures)))
        .collect();
    Ok(Html(
        CoveragePage {
            ctx,
            total: FigRow::from(&c.total),
            is_class: c.unit.kind == crate::org::model::UnitKind::Class,
            rows,
            c,
            can_run,
            required,
            reminded: q.reminded,
            charts,
        }
        .render()?,
    )
    .into_response())
}

/// The coverage charts (inline SVG, no script; they scale to a phone's width).
fn charts(ctx: &PageCtx, c: &Coverage) -> Vec<String> {
    use crate::cases::svg::percent_bars;
    let t = &c.total;
    let no_data = ctx.t("learning-chart-none");
    let mut out = vec![percent_bars(
        "chart-total",
        &ctx.t("learning-chart-total"),
        &[
            (
                ctx.t("learning-course-pct"),
                share(t.course_done, t.course_assigned),
            ),
            (
                ctx.t("learning-first-pct"),
                share(t.first_done, t.first_assigned),
            ),
            (
                ctx.t("learning-attendance-pct"),
                share(t.attended, t.attendance_expected),
            ),
            (ctx.t("learning-pledge-pct"), share(t.signed, t.students)),
            (
                ctx.t("learning-app-declared-pct"),
                share(t.app_declared, t.students),
            ),
            (
                ctx.t("learning-app-verified-pct"),
                share(t.app_verified, t.students),
            ),
            (
                ctx.t("learning-quiz-avg"),
                share(t.quiz_right, t.quiz_answered),
            ),
        ],
        &no_data,
    )];
    if !c.children.is_empty() {
        let per = |f: fn(&super::ClassFigures) -> Option<f64>| -> Vec<(String, Option<f64>)> {
            c.children
                .iter()
                .map(|r| (r.unit.name.clone(), f(&r.figures)))
                .collect()
        };
        out.push(percent_bars(
            "chart-first",
            &ctx.t("learning-first-pct"),
            &per(|f| share(f.first_done, f.first_assigned)),
            &no_data,
        ));
        out.push(percent_bars(
            "chart-pledge",
            &ctx.t("learning-pledge-pct"),
            &per(|f| share(f.signed, f.students)),
            &no_data,
        ));
    }
    out
}

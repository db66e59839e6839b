//! The appraisal of the responsibility chain (包保考核): the page and its CSV.

use super::*;

#[derive(Template)]
#[template(path = "warnings/appraisal.html")]
pub(super) struct AppraisalPage {
    pub(super) ctx: PageCtx,
    pub(super) unit: crate::org::model::Unit,
    pub(super) a: Appraisal,
    /// (title, people rather than units, rows): a unit's row is its own name, so the unit table
    /// has no second name column.
    pub(super) sections: Vec<(String, bool, Vec<crate::warnings::appraisal::AppraisalRow>)>,
    /// The period shown, as the caller's days (`YYYY-MM-DD`, both inclusive).
    pub(super) from_day: String,
    pub(super) to_day: String,
    pub(super) period: String,
    pub(super) chart: String,
    pub(super) csv_link: String,
    /// The unit picker (units of the caller's appraisal scope, by name).
    pub(super) picker: String,
}

impl AppraisalPage {
    fn pct(&self, v: &f64) -> String {
        format!("{:.0}%", v * 100.0)
    }
    /// A share, or "—" when there is nothing to measure.
    fn share(&self, v: &Option<f64>) -> String {
        v.map_or("—".into(), |v| self.pct(&v))
    }
    fn mins(&self, v: &Option<i64>) -> String {
        mins(&self.ctx, *v)
    }
}

pub(super) async fn appraisal_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<AppraisalQuery>,
) -> AppResult<Html<String>> {
    let (unit, a) = service::appraisal_of(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q).await?;
    let ctx = page_ctx(&st, &u).await;
    let top: Vec<&crate::warnings::appraisal::AppraisalRow> = a.people.iter().take(20).collect();
    let chart = serde_json::json!({
        "names": top.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        "scores": top.iter().map(|r| r.score).collect::<Vec<_>>(),
        "label": ctx.t("warn-score"),
    })
    .to_string();
    let mut csv_link = format!(
        "/warnings/appraisal.csv?unit={}",
        crate::web::context::urlencode(&unit.code)
    );
    // The period as days in the caller's time zone: what was asked for, else the default one.
    let day = |ms: Millis| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.with_timezone(&ctx.tz).format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let from_day = day(a.from);
    let to_day = day(a.to - 1);
    for (k, v) in [("from", &from_day), ("to", &to_day)] {
        csv_link.push_str(&format!("&{k}={}", crate::web::context::urlencode(v)));
    }
    use crate::org::model::UnitKind as K;
    let picker = crate::org::picker::render(
        &st,
        &u,
        &ctx,
        crate::org::picker::Spec {
            id: "appraisal-unit",
            name: "unit",
            label: &ctx.t("org-picker-unit"),
            action: Action::ViewAppraisal,
            kinds: &[
                K::Province,
                K::City,
                K::PoliceStation,
                K::School,
                K::College,
                K::Class,
            ],
            multiple: false,
            required: false,
        },
        std::slice::from_ref(&unit.code),
    )
    .await?;
    Ok(Html(
        AppraisalPage {
            picker,
            sections: vec![
                (ctx.t("warn-people"), true, a.people.clone()),
                (ctx.t("warn-units"), false, a.units.clone()),
            ],
            period: ctx.ta(
                "warn-period",
                &[("from", from_day.clone()), ("to", to_day.clone())],
            ),
            from_day,
            to_day,
            ctx,
            unit,
            a,
            chart,
            csv_link,
        }
        .render()?,
    ))
}

pub(super) async fn appraisal_csv(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<AppraisalQuery>,
) -> AppResult<Response> {
    let (unit, a) = service::appraisal_of(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q).await?;
    crate::audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        crate::audit::Event {
            action: "warning.appraisal_export",
            target_kind: "unit",
            target_id: unit.id.to_string(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({"from": a.from, "to": a.to}),
        },
    )
    .await?;
    Ok(crate::web::download::file(
        crate::csv_export::Kind::Csv,
        crate::warnings::appraisal::to_csv(&a).into_bytes(),
        &format!("appraisal-{}", unit.code),
    ))
}

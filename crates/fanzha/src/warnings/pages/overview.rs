//! The scoped list of warnings with its figures and the identification queue.

use super::*;

#[derive(Template)]
#[template(path = "warnings/overview.html")]
pub(super) struct OverviewPage {
    pub(super) ctx: PageCtx,
    /// Warnings the filter keeps, the page shown and the number of pages.
    pub(super) total: i64,
    pub(super) page: i64,
    pub(super) pages: i64,
    pub(super) figures: Figures,
    pub(super) rows: Vec<Row>,
    pub(super) queue: Vec<Row>,
    pub(super) q: ListQuery,
    pub(super) statuses: Vec<(&'static str, String)>,
    /// The unit picker (units of the caller's scope, by name).
    pub(super) picker: String,
    pub(super) share: String,
    pub(super) median_ack: String,
    pub(super) median_contact: String,
}

impl OverviewPage {
    /// The filter as a query string, without the page.
    fn query(&self) -> String {
        super::export::query_of(&self.q)
    }
    fn page_link(&self, page: i64) -> String {
        format!("/warnings/overview?{}&page={page}", self.query())
    }
}

pub(super) fn mins(ctx: &PageCtx, v: Option<i64>) -> String {
    v.map_or("—".into(), |m| {
        ctx.ta1("warn-minutes", "n", &format!("{:.0}", m as f64 / 60_000.0))
    })
}

pub(super) async fn overview(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<ListQuery>,
) -> AppResult<Html<String>> {
    if policy::scopes_for(&u.p, Action::ViewWarnings).is_empty() {
        return Err(AppError::forbidden());
    }
    let figures = service::figures(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q).await?;
    let q = ListQuery {
        limit: q.limit.or(Some(50)),
        ..q
    };
    let (total, list) =
        service::list_page(&st.db, &st.clock, &u.p, &u.ctx.actor(), &q, false).await?;
    let queue_q = ListQuery {
        status: Some("unidentified".into()),
        unit: q.unit.clone(),
        ..ListQuery::default()
    };
    let mut queue = if policy::scopes_for(&u.p, Action::IdentifyWarning).is_empty() {
        vec![]
    } else {
        service::list(
            &st.db,
            &st.clock,
            &u.p,
            &u.ctx.actor(),
            &ListQuery {
                from: Some("2000-01-01".into()),
                ..queue_q
            },
        )
        .await?
    };
    // Partners' warnings about nobody on a roster wait for the police of the partner's region.
    if q.unit.as_deref().is_none_or(|u| u.trim().is_empty()) {
        let held = service::held_by_police(&st.db, &st.clock, &u.p, &u.ctx.actor()).await?;
        queue.retain(|w| !held.iter().any(|h| h.id == w.id));
        queue.extend(held);
    }
    let ctx = page_ctx(&st, &u).await;
    let rows = rows(&st, &ctx, list).await?;
    let queue = rows_for(&st, &ctx, queue).await?;
    use crate::org::model::UnitKind as K;
    let picker = crate::org::picker::render(
        &st,
        &u,
        &ctx,
        crate::org::picker::Spec {
            id: "overview-unit",
            name: "unit",
            label: &ctx.t("org-picker-unit"),
            action: Action::ViewWarnings,
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
        q.unit.as_slice(),
    )
    .await?;
    Ok(Html(
        OverviewPage {
            picker,
            total,
            page: q.page.unwrap_or(1),
            pages: ((total + q.limit.unwrap_or(50) - 1) / q.limit.unwrap_or(50)).max(1),
            share: if figures.routed > 0 {
                format!("{:.0}%", figures.acted_in_time_share * 100.0)
            } else {
                "—".into()
            },
            median_ack: mins(&ctx, figures.median_ack_ms),
            median_contact: mins(&ctx, figures.median_contact_ms),
            statuses: Status::ALL
                .iter()
                .map(|s| (s.as_str(), ctx.t(&format!("warn-status-{}", s.as_str()))))
                .collect(),
            ctx,
            figures,
            rows,
            queue,
            q,
        }
        .render()?,
    ))
}

//! The case list taken elsewhere: CSV and .xlsx export of every case of the unit and period
//! (all pages), in words, audited as an export.

use axum::extract::{Query, State};
use axum::response::Response;

use crate::cases::model::{ms_of_date, DAY_MS};
use crate::cases::store::{self, Window};
use crate::cases::{period, service, PeriodQuery};
use crate::web::context::User;
use crate::web::error::{AppError, AppResult};
use crate::web::layout::page_ctx;
use crate::web::AppState;

/// Most cases one export holds.
pub const MAX_EXPORT: i64 = 100_000;

async fn export(
    st: &AppState,
    u: &User,
    q: &PeriodQuery,
    lq: &crate::cases::CaseListQuery,
    xlsx: bool,
) -> AppResult<Response> {
    use crate::csv_export::{Cell, Kind};
    let f = lq.filter()?;
    let per = period(&st.db, &st.clock, &u.p, &u.ctx.actor(), q).await?;
    let ctx = page_ctx(st, u).await;
    let paths = service::unit_paths(&st.db, &per.unit)
        .await
        .map_err(AppError::from)?;
    let w = Window {
        paths,
        from: ms_of_date(per.from),
        to: ms_of_date(per.to) + DAY_MS,
    };
    let (cases, total) = store::list_cases_filtered(&st.db, &w, &f, MAX_EXPORT, 0).await?;
    crate::audit::list_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        crate::audit::Listed {
            export: true,
            kind: "case",
            rows: vec![],
            scope: vec![&per.unit.path],
            filter: serde_json::json!({
                "from": w.from, "to": w.to, "total": total,
                "fraud_type": f.fraud_type, "status": f.status, "q": f.search,
            }),
            ids: cases.iter().map(|c| c.id.get()).collect(),
        },
    )
    .await?;
    let headers = [
        ctx.t("cases-occurred-at"),
        ctx.t("cases-school"),
        ctx.t("cases-fraud-type"),
        ctx.t("cases-channel"),
        ctx.t("cases-victim"),
        ctx.t("cases-amount-lost"),
        ctx.t("cases-status"),
    ];
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let rows: Vec<_> = cases.iter().map(|c| super::case_row(&ctx, c)).collect();
    let cells: Vec<Vec<Cell<'_>>> = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(&r.when),
                Cell::Text(&r.school),
                Cell::Text(&r.fraud_type),
                Cell::Text(&r.channel),
                Cell::Text(&r.victim),
                Cell::Text(&r.lost),
                Cell::Text(&r.status),
            ]
        })
        .collect();
    let stem = format!("cases-{}-{}-{}", per.unit.code, per.from, per.to);
    crate::web::download::table(
        Kind::of(xlsx),
        &ctx.t("cases-list"),
        &headers,
        &cells,
        &stem,
    )
}

/// `/cases/export.csv` and `/cases/export.xlsx`.
pub async fn export_file(
    State(st): State<AppState>,
    u: User,
    format: crate::web::download::Format,
    Query(q): Query<PeriodQuery>,
    Query(lq): Query<crate::cases::CaseListQuery>,
) -> AppResult<Response> {
    export(&st, &u, &q, &lq, format.xlsx()).await
}

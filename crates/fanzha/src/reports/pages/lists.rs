//! The long list of reports: pages, a status filter, search by reference number or student name,
//! and CSV / .xlsx export of the whole filtered list for staff.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::auth::policy::{self, Action};
use crate::reports::service::scope_of;
use crate::reports::store::ListFilter;
use crate::web::context::User;
use crate::web::error::{AppError, AppResult};
use crate::web::layout::PageCtx;
use crate::web::AppState;

/// Reports per page.
pub const PAGE: i64 = 50;
/// Most reports one export holds.
pub const MAX_EXPORT: i64 = 100_000;

const STATUSES: [&str; 5] = ["new", "confirmed", "not_fraud", "merged", "case_opened"];

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub status: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
}

impl ListQuery {
    /// The filter and the page (from 1); a bad status or page is a 400 in words.
    pub fn parse(&self) -> AppResult<(ListFilter, i64)> {
        let status = self.status.clone().unwrap_or_default();
        if !status.is_empty() && !STATUSES.contains(&status.as_str()) {
            return Err(AppError::bad_request("reports-err-list-status"));
        }
        let page = match self.page.as_deref().map(str::trim) {
            None | Some("") => 1,
            Some(p) => p
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=1_000_000).contains(p))
                .ok_or_else(|| AppError::bad_request("err-bad-paging"))?,
        };
        let search = self
            .q
            .clone()
            .unwrap_or_default()
            .trim()
            .chars()
            .take(100)
            .collect();
        Ok((ListFilter { status, search }, page))
    }
}

use crate::web::context::urlencode as enc;

/// The filter form, pages and export links of the list.
pub struct ListNav {
    pub status: String,
    pub q: String,
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub statuses: Vec<(&'static str, String)>,
}

impl ListNav {
    pub fn new(ctx: &PageCtx, f: &ListFilter, page: i64, total: i64) -> ListNav {
        ListNav {
            status: f.status.clone(),
            q: f.search.clone(),
            page,
            pages: ((total + PAGE - 1) / PAGE).max(1),
            total,
            statuses: STATUSES
                .iter()
                .map(|s| (*s, ctx.t(&format!("reports-status-{s}"))))
                .collect(),
        }
    }
    /// The query string of the filter (for page and export links).
    pub fn query(&self) -> String {
        format!("status={}&q={}", enc(&self.status), enc(&self.q))
    }
    pub fn link(&self, page: i64) -> String {
        format!("/reports?{}&page={page}", self.query())
    }
}

async fn export(st: &AppState, u: &User, lq: &ListQuery, xlsx: bool) -> AppResult<Response> {
    use crate::csv_export::{Cell, Kind};
    // Staff take the list elsewhere; a student's own reports are on their page.
    if policy::scopes_for(&u.p, Action::ViewReports).is_empty() {
        return Err(AppError::forbidden());
    }
    let (f, _) = lq.parse()?;
    let scope = scope_of(&u.p);
    let (_, items) = crate::reports::service::report_page(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        &scope,
        crate::reports::service::Page {
            filter: &f,
            limit: MAX_EXPORT,
            offset: 0,
            export: true,
        },
    )
    .await?;
    let lang = u.ctx.lang;
    let t = |k: &str| lang.t(k);
    let headers = [
        t("reports-col-ref"),
        t("reports-col-time"),
        t("reports-col-student"),
        t("reports-col-type"),
        t("reports-status"),
        t("reports-col-stop-payment"),
    ];
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let tz: chrono_tz::Tz = u.p.time_zone;
    let texts: Vec<[String; 6]> = items
        .iter()
        .map(|i| {
            [
                i.report.ref_no.clone(),
                crate::web::layout::fmt_time(i.report.created_at, tz),
                i.student_name.clone().unwrap_or_default(),
                crate::web::layout::fraud_type_name(lang, i.report.fraud_type.id()),
                t(&format!("reports-status-{}", i.report.status)),
                i.stop_payment_status
                    .as_deref()
                    .map(|s| t(&format!("reports-sp-{s}")))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let rows: Vec<Vec<Cell<'_>>> = texts
        .iter()
        .map(|r| r.iter().map(|c| Cell::Text(c)).collect())
        .collect();
    crate::web::download::table(
        Kind::of(xlsx),
        &t("reports-title"),
        &headers,
        &rows,
        "reports",
    )
}

/// `/reports/export.csv` and `/reports/export.xlsx`.
pub async fn export_file(
    State(st): State<AppState>,
    u: User,
    format: crate::web::download::Format,
    Query(lq): Query<ListQuery>,
) -> AppResult<Response> {
    export(&st, &u, &lq, format.xlsx()).await
}

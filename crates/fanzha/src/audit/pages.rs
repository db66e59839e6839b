//! The audit log page and API, filtered to the caller's scope.

use crate::kernel::ids::AccountId;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::{list, Entry, Filter};
use crate::auth::model::Scope;
use crate::auth::policy::{self, Action};
use crate::error::{AppError, AppResult};
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(page))
        .route("/api/v1/audit", get(api_list))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Action prefix, e.g. `person.` or `roster.import`.
    pub action: Option<String>,
    /// Part of the actor's username.
    pub actor: Option<String>,
    /// Exact target id.
    pub target: Option<String>,
    /// Exact target kind, e.g. `student`, `warning`, `report`, `case`.
    pub kind: Option<String>,
    /// Local date `YYYY-MM-DD` (viewer's zone), inclusive.
    #[param(format = Date)]
    pub from: Option<String>,
    #[param(format = Date)]
    pub to: Option<String>,
    /// Page of entries (default 1).
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
}

use crate::kernel::time::day_start;

const PAGE: i64 = 100;

fn filter(u: &User, q: &AuditQuery) -> AppResult<Filter> {
    let scope_paths = policy::scopes_for(&u.p, Action::ViewAudit);
    if scope_paths.is_empty() {
        return Err(AppError::forbidden());
    }
    let tz: chrono_tz::Tz = u.p.time_zone;
    let parse = |v: &Option<String>, end: bool| -> AppResult<Option<i64>> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => day_start(s, tz)
                .map(|t| Some(if end { t + 86_400_000 - 1 } else { t }))
                .ok_or_else(|| AppError::bad_request("audit-err-date").arg("value", s)),
        }
    };
    let page = q.page.unwrap_or(1);
    if !(1..=10_000).contains(&page) {
        return Err(AppError::bad_request("err-bad-paging"));
    }
    Ok(Filter {
        scope_paths,
        action: q.action.clone().unwrap_or_default(),
        actor: q.actor.clone().unwrap_or_default(),
        target: q.target.clone().unwrap_or_default(),
        kind: q.kind.clone().unwrap_or_default(),
        from: parse(&q.from, false)?,
        to: parse(&q.to, true)?,
        limit: PAGE,
        offset: (page - 1) * PAGE,
    })
}

/// The actions written to the log, for the filter and so that each is shown in words.
pub const ACTIONS: &[&str] = &[
    "access.denied",
    "account.created",
    "account.password_reset",
    "activation.codes_issued",
    "activation.list_read",
    "auth.activated",
    "auth.activation_failed",
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "auth.password_changed",
    "auth.password_reset",
    "auth.token_created",
    "auth.token_revoked",
    "award.publish",
    "award.select",
    "briefing.publish",
    "briefing.save",
    "campaign.channel.create",
    "campaign.content.create",
    "campaign.content.edit",
    "campaign.content.status",
    "campaign.create",
    "campaign.recall",
    "campaign.sent",
    "case.create",
    "case.import",
    "case.update",
    "intel.conflict",
    "intel.create",
    "intel.export",
    "intel.import",
    "intel.merge",
    "intel.review",
    "intel.status",
    "intel.tlp",
    "kpi.save",
    "org.unit_created",
    "person.export",
    "person.list",
    "person.view",
    "reports.case",
    "reports.escalate",
    "reports.escalated",
    "reports.evidence",
    "reports.file",
    "reports.stop_payment",
    "reports.triage",
    "roster.export",
    "roster.import",
    "warning.appraisal_export",
    "warning.batch",
    "warning.denied",
    "warning.issue",
    "warning.notice",
    "warning.receive",
    "warning.settings",
];

/// The kinds of object the log names.
pub const KINDS: &[&str] = &[
    "account",
    "api_token",
    "award",
    "briefing",
    "campaign",
    "campaign_channel",
    "campaign_content",
    "case",
    "indicator",
    "indicators",
    "intel",
    "intel_import",
    "intel_review",
    "person",
    "report",
    "stop_payment",
    "unit",
    "warning",
    "warning_receipt",
    "student",
    "staff",
];

/// An action in the viewer's language ("登录" for `auth.login`); an action without a message is
/// "other action", never its key.
pub fn action_label(lang: crate::web::i18n::Lang, action: &str) -> String {
    let key = format!("audit-action-{}", action.replace('.', "-"));
    let t = lang.t(&key);
    if t == key {
        lang.t("audit-action-other")
    } else {
        t
    }
}

/// A kind of object in the viewer's language.
pub fn kind_label(lang: crate::web::i18n::Lang, kind: &str) -> String {
    let key = format!("audit-kind-{kind}");
    let t = lang.t(&key);
    if t == key {
        lang.t("audit-kind-other")
    } else {
        t
    }
}

/// One entry as the page shows it: who (display name, or "system"), what, on what.
pub struct Row {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub ip: String,
    pub request_id: String,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    ctx: PageCtx,
    entries: Vec<Row>,
    actions: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    action: String,
    actor: String,
    target: String,
    kind: String,
    from: String,
    to: String,
    page: i64,
    more: bool,
}

async fn page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<AuditQuery>,
) -> AppResult<Html<String>> {
    let f = filter(&u, &q)?;
    let entries = list(&st.db, &f).await?;
    let ctx = page_ctx(&st, &u).await;
    let more = entries.len() as i64 == PAGE;
    let lang = ctx.lang;
    let mut names: std::collections::HashMap<AccountId, String> = Default::default();
    let mut rows = Vec::with_capacity(entries.len());
    for e in entries {
        let actor = match e.actor_account_id {
            Some(id) => match names.get(&id) {
                Some(n) => n.clone(),
                None => {
                    let n = crate::auth::store::account_by_id(&st.db, id)
                        .await?
                        .map(|a| a.display_name)
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| lang.t("audit-actor-system"));
                    names.insert(id, n.clone());
                    n
                }
            },
            None => lang.t("audit-actor-system"),
        };
        let target = if e.target_id.is_empty() {
            kind_label(lang, &e.target_kind)
        } else {
            format!("{} {}", kind_label(lang, &e.target_kind), e.target_id)
        };
        rows.push(Row {
            at: e.at,
            actor,
            action: action_label(lang, &e.action),
            target,
            ip: e.ip,
            request_id: e.request_id,
        });
    }
    let actions = ACTIONS
        .iter()
        .map(|a| (a.to_string(), action_label(lang, a)))
        .collect();
    let kinds = KINDS
        .iter()
        .map(|k| (k.to_string(), kind_label(lang, k)))
        .collect();
    Ok(Html(
        AuditPage {
            ctx,
            more,
            entries: rows,
            actions,
            kinds,
            action: f.action,
            actor: f.actor,
            target: f.target,
            kind: f.kind,
            from: q.from.unwrap_or_default(),
            to: q.to.unwrap_or_default(),
            page: q.page.unwrap_or(1).max(1),
        }
        .render()?,
    ))
}

/// Audit entries in the caller's scope, newest first (100 per page).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery), responses((status = 200, body = [Entry]), (status = 403)))]
pub async fn api_list(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<AuditQuery>,
) -> AppResult<Json<Vec<Entry>>> {
    require_scope(&u.p, Scope::AuditRead)?;
    let f = filter(&u, &q)?;
    Ok(Json(list(&st.db, &f).await?))
}

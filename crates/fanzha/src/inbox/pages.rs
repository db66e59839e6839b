//! The inbox page and API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::Message;
use crate::auth::model::Scope;
use crate::error::{AppError, AppResult};
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inbox", get(page))
        .route("/inbox/{id}/read", post(mark_read))
        .route("/inbox/read-all", post(mark_all))
        .route("/api/v1/inbox", get(api_list))
        .route("/api/v1/inbox/{id}/read", post(api_mark_read))
}

#[derive(Template)]
#[template(path = "inbox/list.html")]
struct InboxPage {
    ctx: PageCtx,
    messages: Vec<Message>,
    /// Kinds to filter by: (key, words), and the chosen one.
    kinds: Vec<(&'static str, String)>,
    kind: String,
    unread: bool,
    q: String,
    total: i64,
    page: i64,
    pages: i64,
}

impl InboxPage {
    fn page_link(&self, page: i64) -> String {
        let enc: String = url_enc(&self.q);
        format!(
            "/inbox?kind={}&unread={}&q={enc}&page={page}",
            self.kind,
            u8::from(self.unread)
        )
    }
    fn kind_label(&self, kind: &str) -> String {
        self.kinds
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }
}

fn url_enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Kinds of messages a person can filter by.
const KINDS: [&str; 9] = [
    "warning",
    "stop_payment",
    "report",
    "report_reply",
    "campaign",
    "review",
    "reminder",
    "briefing",
    "system",
];

/// Messages per page of the inbox.
const PAGE: i64 = 30;

#[derive(Deserialize)]
struct PageQuery {
    kind: Option<String>,
    unread: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

impl InboxPage {
    fn plain(&self, body: &str) -> String {
        plain_text(body)
    }
}

/// A message body as plain text: notices that carry Markdown (campaign articles) lose its marks
/// (`**bold**`, `# heading`, `> quote`, `[text](url)` becomes "text"), so no raw `**` reaches a
/// person.
pub fn plain_text(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    for (i, line) in md.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let l = line.trim_start();
        let l = l
            .trim_start_matches('#')
            .trim_start_matches('>')
            .trim_start();
        let l = l
            .strip_prefix("- ")
            .or_else(|| l.strip_prefix("* "))
            .unwrap_or(l);
        // [text](url) → text
        let mut rest = l;
        let mut line_out = String::new();
        while let Some(a) = rest.find('[') {
            let after = &rest[a + 1..];
            match after
                .find("](")
                .and_then(|b| after[b + 2..].find(')').map(|c| (b, b + 2 + c)))
            {
                Some((b, c)) => {
                    line_out.push_str(&rest[..a]);
                    line_out.push_str(&after[..b]);
                    rest = &after[c + 1..];
                }
                None => {
                    line_out.push_str(&rest[..=a]);
                    rest = after;
                }
            }
        }
        line_out.push_str(rest);
        out.push_str(
            &line_out
                .replace("**", "")
                .replace("__", "")
                .replace('`', ""),
        );
    }
    out
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct Paging {
    /// At most this many messages (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

async fn page(
    State(st): State<AppState>,
    u: User,
    Query(pq): Query<PageQuery>,
) -> AppResult<Html<String>> {
    let kind = pq.kind.unwrap_or_default();
    if !kind.is_empty() && !KINDS.contains(&kind.as_str()) {
        return Err(AppError::bad_request("inbox-err-kind"));
    }
    let page: i64 = match pq.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(p) => p
            .parse()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .ok_or_else(|| AppError::bad_request("err-bad-paging"))?,
    };
    let unread = matches!(pq.unread.as_deref(), Some("1" | "on" | "true"));
    let q: String = pq.q.unwrap_or_default().trim().chars().take(100).collect();
    let f = super::Filter {
        kind: Some(kind.clone()).filter(|k| !k.is_empty()),
        unread_only: unread,
        search: q.clone(),
    };
    let r = u.p.recipients();
    let total = super::count(&st.db, &r, &f).await?;
    let messages = super::list_filtered(&st.db, &r, &f, PAGE, (page - 1) * PAGE).await?;
    let ctx = page_ctx(&st, &u).await;
    let kinds = KINDS
        .iter()
        .map(|k| (*k, ctx.t(&format!("inbox-kind-{k}"))))
        .collect();
    Ok(Html(
        InboxPage {
            ctx,
            messages,
            kinds,
            kind,
            unread,
            q,
            total,
            page,
            pages: ((total + PAGE - 1) / PAGE).max(1),
        }
        .render()?,
    ))
}

async fn mark_read(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    if !super::mark_read(&st.db, &st.clock, &u.p.recipients(), id).await? {
        return Err(AppError::not_found());
    }
    Ok(Redirect::to("/inbox").into_response())
}

async fn mark_all(State(st): State<AppState>, u: User) -> AppResult<Response> {
    super::mark_all_read(&st.db, &st.clock, &u.p.recipients()).await?;
    Ok(Redirect::to("/inbox").into_response())
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InboxOut {
    pub unread: i64,
    pub messages: Vec<Message>,
}

/// The caller's inbox, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox", params(Paging), responses((status = 200, body = InboxOut)))]
pub async fn api_list(
    State(st): State<AppState>,
    u: User,
    Query(p): Query<Paging>,
) -> AppResult<Json<InboxOut>> {
    require_scope(&u.p, Scope::InboxRead)?;
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) || p.offset.is_some_and(|o| o < 0) {
        return Err(AppError::bad_request("err-bad-paging"));
    }
    let r = u.p.recipients();
    Ok(Json(InboxOut {
        unread: super::unread_count(&st.db, &r).await?,
        messages: super::list(&st.db, &r, limit, p.offset.unwrap_or(0)).await?,
    }))
}

/// Marks one of the caller's messages read.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/read", tag = "inbox", params(("id" = i64, Path)), responses((status = 204), (status = 404)))]
pub async fn api_mark_read(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    require_scope(&u.p, Scope::InboxRead)?;
    if !super::mark_read(&st.db, &st.clock, &u.p.recipients(), id).await? {
        return Err(AppError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

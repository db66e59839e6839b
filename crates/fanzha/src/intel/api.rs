//! `POST /api/v1/risk/check`: one text, one indicator, or a batch of up to 1000, with per-token
//! rate limits and daily quotas. API checks are answered from memory and not stored (partners
//! check their own customers' payees; we keep only the count).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;

use super::check::{self, Answer, Input};
use super::quota::Refusal;
use crate::auth::model::{Scope, Via};
use crate::error::{AppError, AppResult, Msg};
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/risk/check", post(risk_check))
        .route("/api/v1/intel/import", post(import))
}

/// Most items of one batch.
pub const MAX_BATCH: usize = 1000;

/// One thing to check: a text, or an indicator of a kind.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CheckItem {
    /// A message, or one number / link / account as typed.
    pub text: Option<String>,
    /// phone, url, domain, ip, bank_card, alipay, wechat, qq, app, other_account.
    pub kind: Option<String>,
    pub value: Option<String>,
    /// With `text`: the number or 106 port the SMS came from (`95533`, `10690000`); the answer
    /// says whether the sender, the link, or both are suspect.
    pub sender: Option<String>,
}

/// A single item (`text` or `kind`+`value`), or `items` with up to 1000 of them.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CheckRequest {
    pub text: Option<String>,
    pub kind: Option<String>,
    pub value: Option<String>,
    /// With `text`: the number or 106 port the SMS came from.
    pub sender: Option<String>,
    pub items: Option<Vec<CheckItem>>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BatchAnswer {
    pub results: Vec<Answer>,
}

fn item(v: &Value) -> Result<(Input, Option<String>), Msg> {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let bad_type = ["text", "kind", "value", "sender"]
        .iter()
        .any(|k| v.get(*k).is_some_and(|x| !x.is_string() && !x.is_null()));
    if bad_type || !v.is_object() {
        return Err(Msg::new("intel-err-shape"));
    }
    let sender = match (s("sender").map(str::trim), s("text")) {
        (None | Some(""), _) => None,
        (Some(_), None) => return Err(Msg::new("intel-err-sender-kind")),
        (Some(x), Some(_)) => Some(check::parse_sender(x).map_err(Msg::new)?),
    };
    let r = match (s("text"), s("kind"), s("value")) {
        (Some(t), None, None) => Input::text(t),
        (None, Some(k), Some(val)) => Input::indicator(k, val),
        _ => return Err(Msg::new("intel-err-shape")),
    };
    r.map(|i| (i, sender)).map_err(|(key, reason)| {
        Msg::new(key)
            .arg("reason", reason)
            .arg("max", check::MAX_TEXT_BYTES)
    })
}

/// Risk of a text or an indicator: level (high, medium, low, none), fraud type with how it works,
/// the known indicators that matched (reports and police confirmation), the rules that fired, the
/// combined `risk` the level is derived from and the classifier's own `model_risk`, and the
/// `model_version` that judged it. A pasted SMS may carry its `sender` (a number or 106 port):
/// `sender_suspect`, `link_suspect` and `brand_mismatch` say what is suspect. Tokens need the `risk:check` scope; each token has a rate limit
/// per second and a daily quota of items (429 with `Retry-After` past them). A batch with any
/// invalid item is refused whole, with one detail per bad item.
#[utoipa::path(post, path = "/api/v1/risk/check", tag = "risk", request_body = CheckRequest,
    responses((status = 200, description = "An Answer for a single item; {\"results\": [Answer]} for a batch", body = Answer),
              (status = 400, description = "Invalid item(s)"), (status = 429, description = "Rate limit or daily quota")))]
pub async fn risk_check(
    State(st): State<AppState>,
    u: User,
    Json(body): Json<Value>,
) -> AppResult<Json<Value>> {
    require_scope(&u.p, Scope::RiskCheck)?;
    let (inputs, batch) = match body.get("items") {
        Some(items) => {
            let Some(list) = items.as_array() else {
                return Err(AppError::bad_request("intel-err-shape"));
            };
            if list.is_empty() || list.len() > MAX_BATCH {
                return Err(AppError::bad_request("intel-err-batch").arg("max", MAX_BATCH));
            }
            let mut ok = Vec::with_capacity(list.len());
            let mut errors = Vec::new();
            for (i, v) in list.iter().enumerate() {
                match item(v) {
                    Ok(x) => ok.push(x),
                    Err(m) => errors.push(
                        Msg::new("intel-err-item")
                            .arg("n", i + 1)
                            .arg("reason", m.render(u.ctx.lang)),
                    ),
                }
            }
            if !errors.is_empty() {
                return Err(AppError::bad_request("intel-err-items").details(errors));
            }
            (ok, true)
        }
        None => {
            let x = item(&body).map_err(|m| {
                let mut e = AppError::bad_request(&m.key);
                e.msg = m;
                e
            })?;
            (vec![x], false)
        }
    };
    if let Via::Token { token_id, .. } = &u.p.via {
        match st
            .intel
            .quota
            .admit(&st.db, &st.clock, *token_id, inputs.len() as i64)
            .await?
        {
            Ok(()) => {}
            Err(Refusal::Rate(s)) => return Err(AppError::too_many("intel-err-rate", s)),
            Err(Refusal::Daily(s)) => {
                return Err(
                    AppError::too_many("intel-err-quota", s).arg("quota", st.intel.quota.daily)
                )
            }
        }
    }
    let live = st.intel.live();
    let answers: Vec<Answer> = inputs
        .iter()
        .map(|(i, sender)| {
            check::check_with(
                &live.engine,
                &live.model_version,
                &st.intel.index,
                i,
                sender.as_deref(),
                true,
            )
        })
        .collect();
    let v = if batch {
        serde_json::to_value(BatchAnswer { results: answers })
    } else {
        serde_json::to_value(&answers[0])
    };
    Ok(Json(v.map_err(|_| AppError::internal())?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// `csv`, `stix` or `misp`.
    pub format: String,
    /// `true`: report what the import would do and write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// What an import did (or would do), with every skipped entry and its reason.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = IntelImportOut)]
pub struct ImportOut {
    pub dry_run: bool,
    #[serde(flatten)]
    pub summary: super::service::ImportSummary,
    pub skipped: Vec<super::formats::Skipped>,
}

/// Imports a threat-intel file (the request body: CSV, a STIX 2.1 bundle or a MISP event) under
/// the merge rules of docs/INTEL.md: an import never changes a status or sharing level a person
/// set; disagreements go to the review queue. Entries of a STIX or MISP feed that fanzha cannot
/// hold are skipped and listed with their reason; `dry_run=true` reports all this and writes
/// nothing. Police and province admins; tokens need `intel:write`. A file with nothing to import
/// (or a CSV with any invalid line) is refused with 422, one detail per problem.
#[utoipa::path(post, path = "/api/v1/intel/import", tag = "intel", params(ImportQuery),
    request_body(content = String, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, description = "What the import did or would do", body = ImportOut),
              (status = 400, description = "Unknown format"), (status = 403, description = "Not a curator"),
              (status = 422, description = "Nothing to import, or an invalid CSV line")))]
pub async fn import(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> AppResult<Json<ImportOut>> {
    require_scope(&u.p, Scope::IntelWrite)?;
    let by = super::pages::curator(&st, &u).await?;
    let fmt = super::formats::Format::parse(&q.format)
        .ok_or_else(|| AppError::bad_request("intel-err-format"))?;
    let parsed = super::formats::parse(fmt, &body, st.clock.now_ms())
        .map_err(|errors| AppError::from(super::service::IntelError::Invalid(errors)))?;
    let summary =
        super::service::run_import(&st.db, &st.clock, &by, fmt.id(), &parsed.entries, q.dry_run)
            .await
            .map_err(AppError::from)?;
    if !q.dry_run {
        st.intel.refresh(&st.db, &st.clock).await?;
    }
    Ok(Json(ImportOut {
        dry_run: q.dry_run,
        summary,
        skipped: parsed.skipped,
    }))
}

//! `POST /api/v1/risk/check`: one text, one indicator, or a batch of up to 1000, with per-token
//! rate limits and daily quotas. API checks are answered from memory and not stored (partners
//! check their own customers' payees; we keep only the count).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;

use super::check::{self, Answer, Input};
use super::quota::Refusal;
use crate::auth::model::{Scope, Via};
use crate::org::access::require_scope;
use crate::web::context::User;
use crate::web::error::{AppError, AppResult, Msg};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/risk/check", post(risk_check))
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
}

/// A single item (`text` or `kind`+`value`), or `items` with up to 1000 of them.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CheckRequest {
    pub text: Option<String>,
    pub kind: Option<String>,
    pub value: Option<String>,
    pub items: Option<Vec<CheckItem>>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BatchAnswer {
    pub results: Vec<Answer>,
}

fn item(v: &Value) -> Result<Input, Msg> {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    let bad_type = ["text", "kind", "value"]
        .iter()
        .any(|k| v.get(*k).is_some_and(|x| !x.is_string()));
    if bad_type || !v.is_object() {
        return Err(Msg::new("intel-err-shape"));
    }
    let r = match (s("text"), s("kind"), s("value")) {
        (Some(t), None, None) => Input::text(t),
        (None, Some(k), Some(val)) => Input::indicator(k, val),
        _ => return Err(Msg::new("intel-err-shape")),
    };
    r.map_err(|(key, reason)| {
        Msg::new(key)
            .arg("reason", reason)
            .arg("max", check::MAX_TEXT_BYTES)
    })
}

/// Risk of a text or an indicator: level (high, medium, low, none), fraud type with how it works,
/// the known indicators that matched (reports and police confirmation), the rules that fired and
/// the classifier's probability. Tokens need the `risk:check` scope; each token has a rate limit
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
    let answers: Vec<Answer> = inputs
        .iter()
        .map(|i| check::check(&st.intel.engine, &st.intel.index, i, true))
        .collect();
    let v = if batch {
        serde_json::to_value(BatchAnswer { results: answers })
    } else {
        serde_json::to_value(&answers[0])
    };
    Ok(Json(v.map_err(|_| AppError::internal())?))
}

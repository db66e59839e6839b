//! Operations endpoints: liveness, readiness, Prometheus metrics, the OpenAPI document and its
//! browsable page.

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::{AppError, AppResult};
use super::i18n::Lang;
use super::AppState;
use crate::web::context::Ctx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(openapi))
        .route("/api/docs", get(docs))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(st): State<AppState>) -> Response {
    match st.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn metrics(State(st): State<AppState>) -> Response {
    let pool = &st.db.pool;
    let queued = crate::db::jobs::count_with_status(&st.db, "queued")
        .await
        .unwrap_or(-1);
    let failed = crate::db::jobs::count_with_status(&st.db, "failed")
        .await
        .unwrap_or(-1);
    let body = st.metrics.render(&super::metrics::Gauges {
        db_pool_size: pool.size() as f64,
        db_pool_idle: pool.num_idle() as f64,
        jobs_queued: queued as f64,
        jobs_failed: failed as f64,
    });
    ([(header::CONTENT_TYPE, super::metrics::CONTENT_TYPE)], body).into_response()
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let comps = openapi.components.get_or_insert_with(Default::default);
        comps.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("API token `fz_…` created with `fanzha token create` or on the account page"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "fanzha API", description = "Police, universities and students fighting telecom and online fraud together. Every call needs an API token (`Authorization: Bearer fz_…`) whose scopes and whose account's roles allow it; errors are `{\"error\": {\"code\", \"message\", \"details\"}}`."),
    paths(
        crate::org::api::list_units,
        crate::org::api::get_unit,
        crate::org::api::create_unit,
        crate::org::api::list_students,
        crate::org::api::get_student,
        crate::org::api::student_responsible,
        crate::org::api::import_roster,
        crate::org::api::export_roster,
        crate::auth::activation_web::api_issue,
        crate::audit::pages::api_list,
        crate::inbox::pages::api_list,
        crate::inbox::pages::api_mark_read,
        crate::auth::pages::api_me,
        crate::auth::pages::api_tokens,
        crate::auth::pages::api_revoke_token,
        crate::intel::api::risk_check,
        crate::intel::api::import,
        crate::warnings::api::api_issue,
        crate::warnings::api::api_batch,
        crate::warnings::api::api_list,
        crate::warnings::api::api_mine,
        crate::warnings::api::api_get,
        crate::warnings::api::api_ack,
        crate::warnings::api::api_contact,
        crate::warnings::api::api_outcome,
        crate::warnings::api::api_identify,
        crate::warnings::api::api_figures,
        crate::warnings::api::api_appraisal,
        crate::warnings::api::api_settings,
        crate::warnings::api::api_save_settings,
        crate::cases::api::list_cases,
        crate::cases::api::create_case,
        crate::cases::api::get_case,
        crate::cases::api::update_case,
        crate::cases::api::import_cases,
        crate::cases::api::analysis,
        crate::cases::api::get_kpis,
        crate::cases::api::put_kpi,
        crate::cases::api::list_briefings,
        crate::cases::api::save_briefing,
        crate::cases::api::get_briefing,
        crate::cases::api::publish_briefing,
        crate::cases::api::ranking,
        crate::cases::api::select_awards,
        crate::cases::api::publish_awards,
        crate::cases::api::published_awards,
        crate::campaigns::api::list_contents,
        crate::campaigns::api::create_content,
        crate::campaigns::api::get_content,
        crate::campaigns::api::update_content,
        crate::campaigns::api::content_step,
        crate::campaigns::api::list_channels,
        crate::campaigns::api::create_channel,
        crate::campaigns::api::preview,
        crate::campaigns::api::list,
        crate::campaigns::api::create,
        crate::campaigns::api::get_campaign,
        crate::campaigns::api::recall,
        crate::campaigns::api::reach,
        crate::campaigns::api::gaps,
        crate::campaigns::api::exposure,
        crate::campaigns::api::open_delivery,
        crate::campaigns::api::ack,
        crate::campaigns::api::quiz,
        crate::reports::api::create_report,
        crate::reports::api::list_reports,
        crate::reports::api::get_report,
        crate::reports::api::triage,
        crate::reports::api::upload_evidence,
        crate::reports::api::evidence_file,
        crate::reports::api::stop_payment_queue,
        crate::reports::api::stop_payment_action,
        crate::reports::api::clusters,
        crate::reports::api::figures,
        crate::reports::api::prefill,
        crate::volunteers::api::register,
        crate::volunteers::api::me,
        crate::volunteers::api::balance,
        crate::volunteers::api::list_tasks,
        crate::volunteers::api::publish,
        crate::volunteers::api::get_task,
        crate::volunteers::api::claim,
        crate::volunteers::api::withdraw,
        crate::volunteers::api::set_status,
        crate::volunteers::api::code,
        crate::volunteers::api::check,
        crate::volunteers::api::proof,
        crate::volunteers::api::review,
        crate::volunteers::api::redeem,
        crate::contests::api::list,
        crate::contests::api::show,
        crate::contests::api::entries,
        crate::contests::api::vote,
        crate::contests::api::withdraw,
        crate::contests::api::change,
        crate::contests::api::mine,
        crate::contests::api::score,
        crate::contests::api::progress,
        crate::contests::api::anomalies,
        crate::contests::api::publish,
        crate::contests::api::results,
        crate::contests::api::push,
        crate::volunteers::api_calls::list_calls,
        crate::volunteers::api_calls::publish_call,
        crate::volunteers::api_calls::get_call,
        crate::volunteers::api_calls::close_call,
        crate::volunteers::api_calls::submit_work,
        crate::volunteers::api_calls::review_work,
        crate::volunteers::api_calls::promote,
        crate::volunteers::api_calls::library,
        crate::volunteers::api_calls::library_item,
        crate::volunteers::api_calls::reuse,
        crate::volunteers::api_calls::from_contest,
        crate::volunteers::api_calls::list_teams,
        crate::volunteers::api_calls::create_team,
        crate::volunteers::api_calls::join_team,
        crate::volunteers::api_calls::leave_team,
        crate::volunteers::api_calls::adjust,
        crate::volunteers::api_calls::leaderboard,
        crate::mules::api::api_signal,
        crate::mules::api::api_receipt,
        crate::mules::api::api_police,
        crate::mules::api::api_figures,
        crate::mules::api::api_facts,
        crate::mules::api::api_rule,
        crate::mules::api::api_starter,
        crate::mules::api::api_adopt_starter,
    ),
    components(schemas(
        crate::auth::activation::IssuedCode,
        crate::auth::activation_web::IssueBody,
        crate::intel::api::CheckRequest,
        crate::intel::api::CheckItem,
        crate::intel::api::BatchAnswer,
        crate::intel::api::ImportOut,
        crate::intel::service::ImportSummary,
        crate::intel::formats::Skipped,
        crate::intel::check::Answer,
        crate::intel::check::Hit,
        crate::intel::check::RuleOut,
        crate::intel::check::Extracted,
        crate::intel::check::BrandMismatchOut,
        crate::reports::model::ReportInput,
        crate::reports::model::Sections,
        crate::reports::model::CallSection,
        crate::reports::model::SmsSection,
        crate::reports::model::LinkSection,
        crate::reports::model::SocialSection,
        crate::reports::model::AppSection,
        crate::reports::model::TransactionSection,
        crate::reports::model::ReportIndicator,
        crate::reports::service::Filed,
        crate::reports::store::Report,
        crate::reports::store::ReportItem,
        crate::reports::store::StopPayment,
        crate::reports::store::QueueItem,
        crate::reports::store::Cluster,
        crate::reports::store::Figures,
        crate::reports::store::Evidence,
        crate::reports::api::ReportDetail,
        crate::reports::api::TriageRequest,
        crate::reports::api::TriageAnswer,
        crate::reports::api::ActionRequest,
        crate::reports::api::PrefillRequest,
        crate::reports::api::PrefillAnswer,
        crate::warnings::model::Receipt,
        crate::warnings::model::ReceiptStatus,
        crate::warnings::api::Issued,
        crate::warnings::api::WarningView,
        crate::volunteers::model::TaskInput,
        crate::volunteers::model::Proof,
        crate::volunteers::model::TaskStatus,
        crate::volunteers::model::ClaimStatus,
        crate::volunteers::model::Contact,
        crate::volunteers::model::EntryKind,
        crate::volunteers::store::Volunteer,
        crate::volunteers::store::Task,
        crate::volunteers::store::Claim,
        crate::volunteers::store::Entry,
        crate::volunteers::service::BoardItem,
        crate::volunteers::api::RegisterBody,
        crate::volunteers::api::MeOut,
        crate::volunteers::api::BalanceOut,
        crate::volunteers::api::TaskOut,
        crate::volunteers::api::ClaimBody,
        crate::volunteers::api::StatusBody,
        crate::volunteers::api::CodeOut,
        crate::volunteers::api::CheckBody,
        crate::volunteers::api::ProofBody,
        crate::volunteers::api::ReviewBody,
        crate::volunteers::api::RedeemBody,
        crate::contests::api::ContestOut,
        crate::contests::api::StandingOut,
        crate::contests::api::EntryOut,
        crate::contests::api::BallotOut,
        crate::contests::api::ChangeBody,
        crate::contests::api::ChangeOut,
        crate::contests::api::ScoreBody,
        crate::contests::api::PushBody,
        crate::contests::service::Progress,
        crate::contests::service::JudgeProgress,
        crate::contests::service::Report,
        crate::contests::service::BurstLine,
        crate::contests::service::Results,
        crate::contests::service::CategoryResults,
        crate::contests::service::ResultRow,
        crate::contests::service::Pushed,
        crate::contests::service::PushedWinner,
        crate::contests::anomaly::Counts,
        crate::volunteers::model::CallInput,
        crate::volunteers::model::WorkKind,
        crate::volunteers::model::Audience,
        crate::volunteers::model::WorkLicence,
        crate::volunteers::model::WorkStatus,
        crate::volunteers::model::CallStatus,
        crate::volunteers::store::Call,
        crate::volunteers::store::Work,
        crate::volunteers::store::Item,
        crate::volunteers::store::Team,
        crate::volunteers::store::Standing,
        crate::volunteers::api_calls::CallOut,
        crate::volunteers::api_calls::WorkBody,
        crate::volunteers::api_calls::WorkReviewBody,
        crate::volunteers::api_calls::PromoteBody,
        crate::volunteers::api_calls::PromoteOut,
        crate::volunteers::api_calls::LibraryItemOut,
        crate::volunteers::api_calls::ReuseOut,
        crate::volunteers::api_calls::FromContestOut,
        crate::volunteers::api_calls::TeamBody,
        crate::volunteers::api_calls::AdjustBody,
        crate::volunteers::api_calls::LeaderboardOut,
        crate::mules::model::SignalInput,
        crate::mules::model::SignalFacts,
        crate::mules::service::Count,
        crate::mules::service::Figures,
        crate::mules::api::StarterOut,
        crate::mules::api::AdoptBody,
        crate::mules::starter::StarterItem,
        crate::mules::api::PoliceItem,
        crate::mules::api::RuleBody,
    )),
    modifiers(&BearerAuth),
    security(("token" = []))
)]
pub struct ApiDoc;

/// The served document: what the handlers' annotations say, completed by [`complete`].
pub fn document() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        complete(&mut doc);
        doc
    })
}

async fn openapi() -> Json<&'static serde_json::Value> {
    Json(document())
}

/// The JSON body of every API error (see `AppError::json_body`).
fn error_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "description": "Every error answer of the API (any 4xx or 5xx status).",
        "required": ["error"],
        "additionalProperties": false,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "additionalProperties": false,
                "properties": {
                    "code": {
                        "type": "string",
                        "enum": crate::error::Code::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                        "description": "What kind of error, from a fixed set that never changes with the input (see docs/API.md, Errors)."
                    },
                    "message": {
                        "type": "string",
                        "description": "The problem in the caller's language (the `fz_lang` cookie, else the account's language, else zh-CN)."
                    },
                    "details": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["code", "message"],
                            "additionalProperties": false,
                            "properties": {
                                "code": {
                                    "type": "string",
                                    "minLength": 1,
                                    "description": "The problem's own stable key, e.g. `roster-err-line`, `bad-token`, `intel-err-rate`."
                                },
                                "message": {
                                    "type": "string",
                                    "description": "The problem in the caller's language."
                                }
                            }
                        },
                        "description": "One entry per problem found (for example one per invalid field or line); the headline's own key first when it says more than `code`; empty for a plain 401, 403 or 404."
                    }
                }
            }
        }
    })
}

/// Statuses the shared layers answer, whatever the handler: the context middleware (token check,
/// CSRF), the extractors (path, query, body) and the body limit. Each is added to the operations
/// it can reach, so that a client sees every status it may get.
fn layer_statuses(method: &str, op: &serde_json::Value) -> Vec<(&'static str, &'static str)> {
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let has = |place: &str| params.iter().any(|p| p["in"] == place);
    let body = op.get("requestBody");
    let mut v = vec![
        (
            "401",
            "No token, or a token that is unknown, expired or revoked.",
        ),
        (
            "403",
            "The token's scopes or the account's roles do not allow this operation.",
        ),
    ];
    if has("path") || has("query") || body.is_some() {
        v.push((
            "400",
            "A malformed parameter or body, or text the database cannot store (NUL).",
        ));
        v.push((
            "404",
            "The record or unit does not exist or is outside the caller's scope (never told apart).",
        ));
    }
    if let Some(b) = body {
        v.push((
            "413",
            "The body is larger than the configured upload limit.",
        ));
        // JSON bodies are decoded by the `Json` extractor, which refuses another content type.
        if b["content"].get("application/json").is_some() {
            v.push(("415", "The body is not `application/json`."));
        }
        v.push((
            "422",
            "The body is well-formed but its values are refused; `details` names each problem.",
        ));
    }
    if matches!(method, "post" | "put" | "patch" | "delete") {
        v.push((
            "409",
            "The record is not in a state that allows this, or a duplicate exists.",
        ));
    }
    v
}

/// Completes the generated document: one error schema for every error answer, the statuses the
/// shared layers answer, unique operation ids, and tuple arrays written the OpenAPI 3.1 way.
fn complete(doc: &mut serde_json::Value) {
    use serde_json::{json, Value};
    doc["components"]["schemas"]["Error"] = error_schema();
    let error_ref = json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}});
    let mut seen = std::collections::HashMap::<String, usize>::new();
    if let Some(paths) = doc["paths"].as_object() {
        for ops in paths.values() {
            for op in ops.as_object().into_iter().flat_map(|o| o.values()) {
                if let Some(id) = op["operationId"].as_str() {
                    *seen.entry(id.to_string()).or_default() += 1;
                }
            }
        }
    }
    if let Some(paths) = doc["paths"].as_object_mut() {
        for ops in paths.values_mut() {
            let Some(ops) = ops.as_object_mut() else {
                continue;
            };
            for (method, op) in ops.iter_mut() {
                // Operation ids must be unique: `list` of two modules becomes `<tag>_list`.
                if let Some(id) = op["operationId"].as_str().map(str::to_string) {
                    if seen.get(&id).copied().unwrap_or(0) > 1 {
                        let tag = op["tags"][0].as_str().unwrap_or("api").to_string();
                        op["operationId"] = Value::String(format!("{tag}_{id}"));
                    }
                }
                empty_dates(op);
                for (status, description) in layer_statuses(method, op) {
                    let responses = &mut op["responses"];
                    if responses.get(status).is_none() {
                        responses[status] = json!({"description": description});
                    }
                }
                if let Some(responses) = op["responses"].as_object_mut() {
                    for (status, r) in responses.iter_mut() {
                        if status.starts_with('4') || status.starts_with('5') {
                            r["content"] = error_ref.clone();
                            if r["description"].as_str().is_none_or(str::is_empty) {
                                r["description"] = Value::String("An error.".into());
                            }
                        }
                    }
                }
            }
        }
    }
    tuples(doc);
}

/// Date filters of pages and API share their query types: an empty value (what an empty form
/// field sends) means the default, so the schema says so.
fn empty_dates(op: &mut serde_json::Value) {
    let params = op.get_mut("parameters").and_then(|p| p.as_array_mut());
    for p in params.into_iter().flatten() {
        let schema = &mut p["schema"];
        if schema["format"] == "date" {
            *schema = serde_json::json!({
                "type": "string",
                "anyOf": [{"format": "date"}, {"maxLength": 0}],
            });
        }
    }
}

/// A tuple (`items: [a, b, c]` in JSON Schema draft 4–2019, `prefixItems` in 2020-12) becomes an
/// array of exactly that many items, each one of the members' schemas: what OpenAPI 3.1 tools that
/// still read schemas as draft 4 (the contract test's among them) understand alike.
fn tuples(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let members = match (m.get("prefixItems"), m.get("items")) {
                (Some(Value::Array(a)), _) | (None, Some(Value::Array(a))) => Some(a.clone()),
                _ => None,
            };
            if let Some(members) = members {
                let n = members.len();
                let mut any: Vec<Value> = Vec::new();
                for s in members {
                    if !any.contains(&s) {
                        any.push(s);
                    }
                }
                m.remove("prefixItems");
                m.insert("items".into(), serde_json::json!({ "anyOf": any }));
                m.insert("minItems".into(), n.into());
                m.insert("maxItems".into(), n.into());
            }
            m.values_mut().for_each(tuples);
        }
        Value::Array(a) => a.iter_mut().for_each(tuples),
        _ => {}
    }
}

#[derive(Template)]
#[template(path = "web/api_docs.html")]
struct DocsPage {
    lang: Lang,
    version: &'static str,
}

impl DocsPage {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
}

async fn docs(ctx: Ctx) -> AppResult<Html<String>> {
    Ok(Html(
        DocsPage {
            lang: ctx.lang,
            version: super::assets::VERSION,
        }
        .render()?,
    ))
}

pub async fn not_found() -> AppError {
    AppError::not_found()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn operations(doc: &Value) -> Vec<(String, &Value)> {
        let mut v = Vec::new();
        for (path, ops) in doc["paths"].as_object().expect("paths") {
            for (method, op) in ops.as_object().expect("operations") {
                v.push((format!("{} {path}", method.to_uppercase()), op));
            }
        }
        v
    }

    #[test]
    fn every_operation_documents_the_shared_statuses_with_the_error_schema() {
        let doc = document();
        let mut ids = std::collections::BTreeSet::new();
        for (name, op) in operations(doc) {
            let id = op["operationId"].as_str().expect("operation id");
            assert!(
                ids.insert(id.to_string()),
                "{name}: operation id {id} twice"
            );
            let responses = op["responses"].as_object().expect("responses");
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{name}: no {status}");
            }
            let has_input = op["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["in"] == "path" || p["in"] == "query"))
                || op.get("requestBody").is_some();
            if has_input {
                assert!(responses.contains_key("400"), "{name}: no 400");
                assert!(responses.contains_key("404"), "{name}: no 404");
            }
            if let Some(body) = op.get("requestBody") {
                for status in ["413", "422"] {
                    assert!(responses.contains_key(status), "{name}: no {status}");
                }
                if body["content"].get("application/json").is_some() {
                    assert!(responses.contains_key("415"), "{name}: no 415");
                }
            }
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/Error",
                        "{name} {status}"
                    );
                }
            }
        }
        assert_eq!(
            doc["components"]["schemas"]["Error"]["properties"]["error"]["required"],
            serde_json::json!(["code", "message", "details"])
        );
    }

    #[test]
    fn tuples_are_arrays_of_fixed_length() {
        fn walk(v: &Value, at: &str) {
            match v {
                Value::Object(m) => {
                    assert!(!m.contains_key("prefixItems"), "prefixItems at {at}");
                    assert!(
                        !m.get("items").is_some_and(Value::is_array),
                        "tuple at {at}"
                    );
                    for (k, x) in m {
                        walk(x, &format!("{at}/{k}"));
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, at)),
                _ => {}
            }
        }
        let doc = document();
        walk(doc, "");
        let per_day = &doc["components"]["schemas"]["ReportFigures"]["properties"]["per_day"];
        assert_eq!(per_day["items"]["minItems"], 3);
        assert_eq!(per_day["items"]["maxItems"], 3);
    }

    #[test]
    fn every_reference_resolves_and_typed_ids_read_as_integers() {
        fn walk(v: &Value, at: &str, schemas: &serde_json::Map<String, Value>) {
            match v {
                Value::Object(m) => {
                    if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                        let name = r.trim_start_matches("#/components/schemas/");
                        assert!(schemas.contains_key(name), "{r} at {at} has no schema");
                    }
                    for (k, x) in m {
                        walk(x, &format!("{at}/{k}"), schemas);
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, at, schemas)),
                _ => {}
            }
        }
        let doc = document();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        walk(doc, "", schemas);
        // Every `{name}` of a path is a documented path parameter of each of its operations (a
        // typed id in a handler's `Path` is not inferred, so it is declared).
        for (path, ops) in doc["paths"].as_object().expect("paths") {
            let names: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            for (method, op) in ops.as_object().expect("operations") {
                for n in &names {
                    let declared = op["parameters"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "path" && p["name"] == *n));
                    assert!(
                        declared,
                        "{method} {path}: path parameter {n} is not declared"
                    );
                }
            }
        }
        // A typed id is a bare integer to a client, wherever it appears.
        for id in [
            "AccountId",
            "StudentId",
            "UnitId",
            "ReportId",
            "WarningId",
            "CaseId",
        ] {
            if let Some(s) = schemas.get(id) {
                assert_eq!(s["type"], "integer", "{id}: {s}");
                assert_eq!(s["format"], "int64", "{id}: {s}");
            }
        }
        for (schema, field, id) in [("Case", "id", "CaseId"), ("Report", "id", "ReportId")] {
            let f = &schemas[schema]["properties"][field];
            assert_eq!(
                f["$ref"],
                format!("#/components/schemas/{id}"),
                "{schema}.{field}"
            );
        }
    }

    #[test]
    fn enforced_limits_are_in_the_schemas() {
        let doc = document();
        let param = |path: &str, name: &str| -> Value {
            doc["paths"][path]["get"]["parameters"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["name"] == name).cloned())
                .unwrap_or_else(|| panic!("{path} has no parameter {name}"))
        };
        for (path, name, min, max) in [
            ("/api/v1/inbox", "limit", 1, 500),
            ("/api/v1/units/{code}/students", "limit", 1, 1000),
            ("/api/v1/warnings", "limit", 1, 1000),
            ("/api/v1/reports", "limit", 1, 1000),
            ("/api/v1/audit", "page", 1, 10_000),
            ("/api/v1/cases", "page", 1, 10_000),
            ("/api/v1/cases/kpis", "year", 1970, 9999),
            ("/api/v1/campaigns/gaps", "days", 1, 3650),
            ("/api/v1/campaigns/exposure", "limit", 1, 10_000),
        ] {
            let p = param(path, name);
            let schema = &p["schema"];
            assert_eq!(schema["minimum"], min, "{path} {name}: {p}");
            assert_eq!(schema["maximum"], max, "{path} {name}: {p}");
        }
        // Dates: a date or empty (the default).
        let from = param("/api/v1/cases", "from");
        assert_eq!(from["schema"]["anyOf"][0]["format"], "date", "{from}");
        // The report's idempotency key: header or body, at most 100 characters.
        let create = &doc["paths"]["/api/v1/reports"]["post"];
        assert!(create["parameters"].as_array().is_some_and(|ps| ps
            .iter()
            .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")));
        assert_eq!(
            doc["components"]["schemas"]["ReportInput"]["allOf"][1]["properties"]
                ["idempotency_key"]["maxLength"],
            100
        );
    }
}

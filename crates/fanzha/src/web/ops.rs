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
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'queued'")
        .fetch_one(pool)
        .await
        .unwrap_or(-1);
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'failed'")
        .fetch_one(pool)
        .await
        .unwrap_or(-1);
    let body = st.metrics.render(&[
        (
            "fanzha_db_pool_size",
            "Open database connections.",
            pool.size() as f64,
        ),
        (
            "fanzha_db_pool_idle",
            "Idle database connections.",
            pool.num_idle() as f64,
        ),
        ("fanzha_jobs_queued", "Jobs waiting to run.", queued as f64),
        ("fanzha_jobs_failed", "Jobs that gave up.", failed as f64),
    ]);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
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
    ),
    components(schemas(
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
    )),
    modifiers(&BearerAuth),
    security(("token" = []))
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
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

//! Pages: the report form (`/reports/new`, phone first), one report (`/reports/{id}`, with the
//! "call 110 / 96110 now" screen of a loss), the list (`/reports`: own reports, the counselor's
//! students, the police queue and clusters) and the police figures (`/reports/dashboard`).

use crate::kernel::ids::ReportId;
pub mod lists;
mod queue;

use queue::{dashboard, list_page};

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use fanzha_detect::FraudType;
use serde::Deserialize;

use super::model::{self, ReportInput, Sections};
use super::render_msgs;
use super::service::{self as actions, ActionRequest, TriageRequest};
use super::service::{can_triage, scope_of};
use super::store::{self, Cluster, Evidence, QueueItem, ReportItem};
use crate::auth::model::Role;
use crate::error::{AppError, AppResult};
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

/// An evidence image as its own response, never cached and never sniffed (pages and API).
impl IntoResponse for actions::EvidenceFile {
    fn into_response(self) -> Response {
        use axum::http::header;
        (
            [
                (header::CONTENT_TYPE, self.media_type),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
                (
                    header::HeaderName::from_static("x-content-type-options"),
                    "nosniff".to_string(),
                ),
            ],
            self.bytes,
        )
            .into_response()
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(list_page))
        .route("/reports/export.csv", get(lists::export_file))
        .route("/reports/export.xlsx", get(lists::export_file))
        .route("/reports/new", get(new_page).post(new_submit))
        .route("/reports/dashboard", get(dashboard))
        .route("/reports/stop-payments/{id}", post(sp_action))
        .route("/reports/{id}", get(show_page))
        .route("/reports/{id}/triage", post(triage_submit))
        .route("/reports/{id}/evidence", post(evidence_submit))
        .route("/reports/{id}/evidence/{eid}", get(evidence_get))
}

/// The form's fields, flat (all text, as the browser sends them).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ReportForm {
    pub idempotency_key: String,
    pub risk_check_id: String,
    pub paste: String,
    pub prefill: String,
    pub call_number: String,
    pub call_time: String,
    pub call_duration: String,
    pub sms_sender: String,
    pub sms_content: String,
    pub sms_time: String,
    pub link_address: String,
    pub social_platform: String,
    pub social_account: String,
    pub app_name: String,
    pub app_package: String,
    pub app_link: String,
    pub tx_type: String,
    pub tx_account: String,
    pub tx_bank: String,
    pub tx_amount: String,
    pub tx_time: String,
    pub description: String,
    pub fraud_type: String,
    pub lost: String,
}

/// An optional local time field: empty is `None`, anything else must parse.
fn parse_local(s: &str, tz: chrono_tz::Tz) -> Result<Option<i64>, ()> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    crate::kernel::time::parse_local(s, tz).map(Some).ok_or(())
}

fn fmt_local(ms: Option<i64>, tz: chrono_tz::Tz) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

impl ReportForm {
    /// The report this form describes; field errors (unparsable times, amounts) are listed.
    fn input(&self, tz: chrono_tz::Tz) -> Result<ReportInput, Vec<crate::error::Msg>> {
        use crate::error::Msg;
        let mut errors = Vec::new();
        let mut time = |field: &str, s: &str| match parse_local(s, tz) {
            Ok(t) => t,
            Err(()) => {
                errors.push(
                    Msg::new("reports-err-value")
                        .arg("field", field)
                        .arg("reason", "YYYY-MM-DDTHH:MM"),
                );
                None
            }
        };
        let call_time = time("call.time", &self.call_time);
        let sms_time = time("sms.time", &self.sms_time);
        let tx_time = time("transaction.time", &self.tx_time);
        let amount = if self.tx_amount.trim().is_empty() {
            None
        } else {
            match model::parse_yuan(&self.tx_amount) {
                Some(a) => Some(a),
                None => {
                    errors.push(Msg::new("reports-err-amount-format"));
                    None
                }
            }
        };
        let duration = if self.call_duration.trim().is_empty() {
            None
        } else {
            match self.call_duration.trim().parse::<i64>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(
                        Msg::new("reports-err-value")
                            .arg("field", "call.duration_seconds")
                            .arg("reason", "0 – 86400"),
                    );
                    None
                }
            }
        };
        let risk_check_id = self.risk_check_id.trim().parse().ok();
        let s = Sections {
            call: Some(model::CallSection {
                number: self.call_number.clone(),
                time: call_time,
                duration_seconds: duration,
            }),
            sms: Some(model::SmsSection {
                sender: self.sms_sender.clone(),
                content: self.sms_content.clone(),
                time: sms_time,
            }),
            link: Some(model::LinkSection {
                address: self.link_address.clone(),
            }),
            social: Some(model::SocialSection {
                platform: self.social_platform.clone(),
                account: self.social_account.clone(),
            }),
            app: Some(model::AppSection {
                name: self.app_name.clone(),
                package: self.app_package.clone(),
                download_link: self.app_link.clone(),
            }),
            transaction: Some(model::TransactionSection {
                payment_type: self.tx_type.clone(),
                account: self.tx_account.clone(),
                bank: self.tx_bank.clone(),
                amount_cents: amount,
                time: tx_time,
            }),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ReportInput {
            idempotency_key: self.idempotency_key.clone(),
            sections: s,
            description: self.description.clone(),
            fraud_type: Some(self.fraud_type.clone()).filter(|t| !t.trim().is_empty()),
            lost_money: !self.lost.is_empty(),
            risk_check_id,
        })
    }

    /// Fills empty fields from pre-filled sections (never overwrites what the person typed).
    fn fill(&mut self, s: &Sections, t: Option<FraudType>) {
        fn set(f: &mut String, v: &str) {
            if f.trim().is_empty() {
                *f = v.to_string();
            }
        }
        if let Some(c) = &s.call {
            set(&mut self.call_number, &c.number);
        }
        if let Some(c) = &s.link {
            set(&mut self.link_address, &c.address);
        }
        if let Some(c) = &s.social {
            set(&mut self.social_platform, &c.platform);
            set(&mut self.social_account, &c.account);
        }
        if let Some(c) = &s.app {
            set(&mut self.app_name, &c.name);
        }
        if let Some(c) = &s.transaction {
            set(&mut self.tx_type, &c.payment_type);
            set(&mut self.tx_account, &c.account);
        }
        if let Some(t) = t {
            set(&mut self.fraud_type, t.id());
        }
    }
}

#[derive(Template)]
#[template(path = "reports/new.html")]
struct NewPage {
    ctx: PageCtx,
    f: ReportForm,
    errors: Vec<String>,
    types: Vec<(&'static str, String)>,
    platforms: Vec<&'static str>,
    prefilled: bool,
}

async fn render_new(
    st: &AppState,
    u: &User,
    f: ReportForm,
    errors: Vec<String>,
    prefilled: bool,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(st, u).await;
    let types = FraudType::ALL
        .iter()
        .filter(|t| t.is_fraud())
        .map(|t| {
            (
                t.id(),
                crate::web::layout::fraud_type_name(u.ctx.lang, t.id()),
            )
        })
        .collect();
    Ok(Html(
        NewPage {
            ctx,
            f,
            errors,
            types,
            platforms: model::PLATFORMS.iter().map(|(p, _)| *p).collect(),
            prefilled,
        }
        .render()?,
    ))
}

#[derive(Deserialize, Default)]
struct NewQuery {
    check: Option<i64>,
    lost: Option<String>,
}

async fn new_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<NewQuery>,
) -> AppResult<Html<String>> {
    let mut f = ReportForm {
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        lost: q.lost.unwrap_or_default(),
        ..Default::default()
    };
    let mut prefilled = false;
    if let Some(id) = q.check {
        // Only the student's own check pre-fills the form.
        if let Some(c) = crate::intel::store::check_by_id(&st.db, id).await? {
            if c.account_id == u.p.account_id {
                let (s, t) = model::prefill(&st.intel.engine(), &c.text);
                f.fill(
                    &s,
                    t.or_else(|| {
                        c.fraud_type
                            .parse()
                            .ok()
                            .filter(|t: &FraudType| t.is_fraud())
                    }),
                );
                if c.input_kind == "text" {
                    f.sms_content = c.text.clone();
                } else {
                    f.description = c.text.clone();
                }
                f.risk_check_id = id.to_string();
                prefilled = true;
            }
        }
    }
    render_new(&st, &u, f, vec![], prefilled).await
}

async fn new_submit(
    State(st): State<AppState>,
    u: User,
    Form(mut f): Form<ReportForm>,
) -> AppResult<Response> {
    let tz: chrono_tz::Tz = u.p.time_zone;
    if !f.prefill.is_empty() {
        let (s, t) = model::prefill(&st.intel.engine(), &f.paste);
        f.fill(&s, t);
        if f.description.trim().is_empty() {
            f.description = f.paste.clone();
        }
        f.prefill.clear();
        return Ok(render_new(&st, &u, f, vec![], true).await?.into_response());
    }
    let input = match f.input(tz) {
        Ok(i) => i,
        Err(e) => {
            let html = render_new(&st, &u, f, render_msgs(u.ctx.lang, &e), false).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
        }
    };
    let filed = actions::file_report(
        &st.db,
        &st.clock,
        actions::Filing::new(&st.intel, &st.reports, &st.config),
        &u.p,
        &u.ctx.actor(),
        &input,
    )
    .await
    .map_err(AppError::from);
    match filed {
        Ok(filed) => {
            Ok(Redirect::to(&format!("/reports/{}?filed=1", filed.report_id)).into_response())
        }
        Err(e) if e.is_invalid() => {
            let mut msgs = render_msgs(u.ctx.lang, &e.details);
            if msgs.is_empty() {
                msgs.push(e.msg.render(u.ctx.lang));
            }
            let html = render_new(&st, &u, f, msgs, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e),
    }
}

struct SectionRow {
    label: String,
    value: String,
}

#[derive(Template)]
#[template(path = "reports/show.html")]
struct ShowPage {
    ctx: PageCtx,
    r: store::Report,
    type_name: String,
    rows: Vec<SectionRow>,
    indicators: Vec<model::ReportIndicator>,
    sp: Option<store::StopPayment>,
    evidence: Vec<Evidence>,
    own: bool,
    police: bool,
    /// Who lost money or was targeted, for the police: name, phone, school and class.
    victim: Option<Victim>,
    filed: bool,
    now: i64,
}

/// The student a report is about, as the police need to reach them.
struct Victim {
    name: String,
    phone: Option<String>,
    school: String,
    class: String,
}

/// The victim of a report for the police. The read is audited by `service::report_detail` (a `person.view`
/// entry naming the report and the student).
async fn victim_of(st: &AppState, r: &store::Report) -> AppResult<Option<Victim>> {
    let Some(id) = r.student_id else {
        return Ok(None);
    };
    let Some(s) = crate::org::store::student_by_id(&st.db, id).await? else {
        return Ok(None);
    };
    let school = crate::org::store::unit_by_id(&st.db, s.school_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    Ok(Some(Victim {
        name: s.name,
        phone: s.phone,
        school,
        class: s.class_name,
    }))
}

/// The home page's panel of urgent stop-payment requests (police): those still open, nearest
/// deadline first. `None` for everybody else and when none is open.
pub async fn home_panel(st: &AppState, u: &User, ctx: &PageCtx) -> AppResult<Option<String>> {
    let Ok(scope) = actions::police_scope(&u.p) else {
        return Ok(None);
    };
    if !u.p.has_role(Role::Police) {
        return Ok(None);
    }
    let open: Vec<QueueItem> = store::queue(&st.db, &scope, 20)
        .await?
        .into_iter()
        .filter(|q| q.stop_payment.status.is_pending())
        .collect();
    if open.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        UrgentPanel {
            ctx,
            queue: open,
            now: st.clock.now_ms(),
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "reports/urgent_panel.html")]
struct UrgentPanel<'a> {
    ctx: &'a PageCtx,
    queue: Vec<QueueItem>,
    now: i64,
}

impl UrgentPanel<'_> {
    fn money(&self, c: &i64) -> String {
        super::service::cents_str(*c)
    }
}

impl ShowPage {
    fn money(&self, c: &i64) -> String {
        super::service::cents_str(*c)
    }
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    filed: Option<String>,
}

fn rows_of(
    lang: crate::web::i18n::Lang,
    tz: chrono_tz::Tz,
    v: &serde_json::Value,
) -> Vec<SectionRow> {
    let s: Sections = serde_json::from_value(v.clone()).unwrap_or_default();
    let mut out = Vec::new();
    let mut row = |key: &str, value: String| {
        if !value.trim().is_empty() {
            out.push(SectionRow {
                label: lang.t(key),
                value,
            })
        }
    };
    let time = |t: Option<i64>| {
        t.map(|t| crate::web::layout::fmt_time(t, tz))
            .unwrap_or_default()
    };
    if let Some(c) = s.call {
        row("reports-call", format!("{} {}", c.number, time(c.time)));
    }
    if let Some(c) = s.sms {
        row(
            "reports-sms",
            format!("{} {} {}", c.sender, time(c.time), c.content),
        );
    }
    if let Some(c) = s.link {
        row("reports-link", c.address);
    }
    if let Some(c) = s.social {
        row("reports-social", format!("{}: {}", c.platform, c.account));
    }
    if let Some(c) = s.app {
        row(
            "reports-app",
            format!("{} {} {}", c.name, c.package, c.download_link),
        );
    }
    if let Some(c) = s.transaction {
        row(
            "reports-transaction",
            format!(
                "{} {} {} {} {}",
                lang.t(&format!("reports-pay-{}", c.payment_type)),
                c.account,
                c.bank,
                c.amount_cents
                    .map(super::service::cents_str)
                    .unwrap_or_default(),
                time(c.time)
            ),
        );
    }
    out
}

async fn show_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<ReportId>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Html<String>> {
    let d = actions::report_detail(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
    let ctx = page_ctx(&st, &u).await;
    let police = can_triage(&u.p, &d.report.unit_path);
    let victim = if police {
        victim_of(&st, &d.report).await?
    } else {
        None
    };
    Ok(Html(
        ShowPage {
            victim,
            type_name: crate::web::layout::fraud_type_name(u.ctx.lang, d.report.fraud_type.id()),
            rows: rows_of(u.ctx.lang, ctx.tz, &d.report.sections),
            own: d.report.reporter_account_id == u.p.account_id,
            r: d.report,
            indicators: d.indicators,
            sp: d.stop_payment,
            evidence: d.evidence,
            police,
            filed: q.filed.is_some(),
            now: st.clock.now_ms(),
            ctx,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
struct TriageForm {
    decision: String,
    #[serde(default)]
    into: String,
    #[serde(default)]
    officer: String,
    #[serde(default)]
    text: String,
}

async fn triage_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<ReportId>,
    Form(f): Form<TriageForm>,
) -> AppResult<Response> {
    let req = TriageRequest {
        decision: f.decision,
        into: f.into.trim().parse().ok(),
        officer: f.officer.trim().parse().ok(),
        text: Some(f.text),
    };
    actions::triage_report(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, &req).await?;
    Ok(Redirect::to(&format!("/reports/{id}")).into_response())
}

#[derive(Deserialize)]
struct ActionForm {
    action: String,
    #[serde(default)]
    frozen: String,
    #[serde(default)]
    reason: String,
}

async fn sp_action(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> AppResult<Response> {
    let frozen = if f.frozen.trim().is_empty() {
        None
    } else {
        Some(
            model::parse_yuan(&f.frozen)
                .ok_or_else(|| AppError::unprocessable("reports-err-amount-format"))?,
        )
    };
    let sp = actions::stop_payment_action(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        id,
        &ActionRequest {
            action: f.action,
            frozen_cents: frozen,
            reason: f.reason,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/reports/{}", sp.report_id)).into_response())
}

async fn evidence_submit(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<ReportId>,
    mut mp: Multipart,
) -> AppResult<Response> {
    let mut got = false;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| AppError::bad_request("reports-err-image-type"))?
    {
        if field.name() != Some("image") {
            continue;
        }
        let bytes = field.bytes().await.map_err(|_| {
            AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "reports-err-image-size")
                .arg("max", st.config.report_image_max_bytes / (1024 * 1024))
        })?;
        if bytes.is_empty() {
            continue;
        }
        actions::add_evidence(
            &st.db,
            &st.clock,
            &st.config,
            &u.p,
            &u.ctx.actor(),
            id,
            &bytes,
        )
        .await?;
        got = true;
    }
    if !got {
        return Err(AppError::bad_request("reports-err-image-type"));
    }
    Ok(Redirect::to(&format!("/reports/{id}")).into_response())
}

async fn evidence_get(
    State(st): State<AppState>,
    u: User,
    Path((id, eid)): Path<(ReportId, i64)>,
) -> AppResult<Response> {
    Ok(
        actions::evidence_file(&st.db, &st.clock, &st.config, &u.p, &u.ctx.actor(), id, eid)
            .await?
            .into_response(),
    )
}

//! HTML pages of warnings: the responsible person's "my warnings" (phone first), one warning with
//! its timeline and actions, the police console, the jurisdiction/school view with the
//! identification queue, deadline settings and the appraisal.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api::{self, AppraisalQuery, ContactInput, ListQuery, OutcomeInput, SettingsInput};
use super::appraisal::{Appraisal, Figures};
use super::model::*;
use super::service::{self, Act};
use super::store;
use crate::auth::policy::{self, Action};
use crate::clock::Millis;
use crate::error::{AppError, AppResult};
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/warnings", get(mine))
        .route("/warnings/issue", get(issue_page).post(issue_submit))
        .route("/warnings/batch", post(batch_submit))
        .route("/warnings/overview", get(overview))
        .route("/warnings/export.csv", get(super::lists::export_csv))
        .route("/warnings/export.xlsx", get(super::lists::export_xlsx))
        .route(
            "/warnings/settings",
            get(settings_page).post(settings_submit),
        )
        .route("/warnings/appraisal", get(appraisal_page))
        .route("/warnings/appraisal.csv", get(appraisal_csv))
        .route("/warnings/{id}", get(detail))
        .route("/warnings/{id}/acknowledge", post(ack))
        .route("/warnings/{id}/contact", post(contact))
        .route("/warnings/{id}/outcome", post(outcome))
        .route("/warnings/{id}/identify", post(identify))
}

/// A warning as a row of a page, with its texts ready.
pub struct Row {
    pub w: Warning,
    pub severity: String,
    pub status: String,
    pub fraud_type: String,
    pub level: String,
    pub countdown: String,
    pub overdue: bool,
    pub who: String,
}

/// "in 8 min" / "overdue 3 min" for a deadline.
pub fn countdown(ctx: &PageCtx, deadline: Option<Millis>, now: Millis) -> (String, bool) {
    let Some(d) = deadline else {
        return (String::new(), false);
    };
    let diff = d - now;
    let mins = diff.abs() / 60_000;
    let text = if mins >= 120 {
        ctx.ta1("warn-hours", "n", &(mins / 60).to_string())
    } else {
        ctx.ta1(
            "warn-minutes",
            "n",
            &mins.max(if diff.abs() > 0 { 1 } else { 0 }).to_string(),
        )
    };
    if diff < 0 {
        (ctx.ta1("warn-overdue", "t", &text), true)
    } else {
        (ctx.ta1("warn-due-in", "t", &text), false)
    }
}

async fn rows(st: &AppState, ctx: &PageCtx, ws: Vec<Warning>) -> AppResult<Vec<Row>> {
    let now = st.clock.now_ms();
    let mut out = Vec::with_capacity(ws.len());
    let mut c = st.db.pool.acquire().await?;
    for w in ws {
        let (countdown, overdue) = countdown(ctx, w.next_deadline_at, now);
        let who = match w.student_id {
            Some(s) => store::student_ref(&mut c, s)
                .await?
                .map(|s| format!("{} {}", s.name, s.student_no))
                .unwrap_or_default(),
            None => w.phone.clone().or(w.student_no.clone()).unwrap_or_default(),
        };
        out.push(Row {
            severity: ctx.t(&format!("warn-sev-{}", w.severity)),
            status: ctx.t(&format!("warn-status-{}", w.status)),
            fraud_type: match w.kind {
                WarnKind::MuleRisk => ctx.t("mule-kind"),
                WarnKind::Fraud => ctx.fraud_type(w.fraud_type.id()),
            },
            level: ctx.t(level_key(w.level)),
            countdown,
            overdue,
            who,
            w,
        });
    }
    Ok(out)
}

/// One warning of a student's anti-fraud history, in people's words: when (viewer's time
/// zone), the fraud type, the status and the outcome (empty while none is recorded).
pub struct HistoryRow {
    pub id: i64,
    pub when: String,
    pub fraud_type: String,
    pub status: String,
    pub outcome: String,
}

/// The warnings about one student, newest first, for the student's record.
pub async fn history_of_student(
    st: &AppState,
    ctx: &PageCtx,
    student_id: i64,
) -> AppResult<Vec<HistoryRow>> {
    let mut c = st.db.pool.acquire().await?;
    let ws = store::of_student(&mut c, student_id, 100).await?;
    Ok(ws
        .into_iter()
        .map(|w| HistoryRow {
            id: w.id,
            when: ctx.time(&w.created_at),
            fraud_type: match w.kind {
                WarnKind::MuleRisk => ctx.t("mule-kind"),
                WarnKind::Fraud => ctx.fraud_type(w.fraud_type.id()),
            },
            status: ctx.t(&format!("warn-status-{}", w.status)),
            outcome: w
                .outcome
                .as_deref()
                .map(|o| ctx.t(&format!("warn-outcome-{o}")))
                .unwrap_or_default(),
        })
        .collect())
}

#[derive(Template)]
#[template(path = "warnings/mine.html")]
struct MinePage {
    ctx: PageCtx,
    rows: Vec<Row>,
    links: Vec<(&'static str, String)>,
}

async fn mine(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let ws = api::load_mine(&st, &u).await?;
    let ctx = page_ctx(&st, &u).await;
    let rows = rows(&st, &ctx, ws).await?;
    let has = |a: Action| !policy::scopes_for(&u.p, a).is_empty();
    Ok(Html(
        MinePage {
            links: [
                (Action::IssueWarning, "/warnings/issue", "warn-issue"),
                (Action::ViewWarnings, "/warnings/overview", "warn-overview"),
                (
                    Action::ViewAppraisal,
                    "/warnings/appraisal",
                    "warn-appraisal",
                ),
                (
                    Action::ConfigureWarnings,
                    "/warnings/settings",
                    "warn-settings",
                ),
            ]
            .into_iter()
            .filter(|(a, _, _)| has(*a))
            .map(|(_, href, key)| (href, ctx.t(key)))
            .collect(),
            ctx,
            rows,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "warnings/detail.html")]
struct DetailPage {
    ctx: PageCtx,
    row: Row,
    /// The viewer is the student the warning is about: they get what to do, in their words.
    own: bool,
    timeline: Vec<(String, String, String, String)>,
    can_act: bool,
    can_identify: bool,
    student: Option<crate::org::model::Student>,
    /// The viewer may open the student's record (their anti-fraud history).
    record_link: bool,
    chain: Vec<(String, String, Option<String>)>,
    errors: Vec<String>,
    methods: Vec<(&'static str, String)>,
    outcomes: Vec<(&'static str, String)>,
    now_local: String,
    money: String,
    /// (report number, link, stop-payment status text, frozen amount text) of the loss report.
    loss_report: Option<(String, String, String, String)>,
    /// Outside notices: (channel, address, status, reason).
    notifications: Vec<(String, String, String, String)>,
    payment_types: Vec<(&'static str, String)>,
    /// What a mule-risk warning adds: the facts, the counselor's script, the student's steps.
    mule: Option<crate::mules::pages::MuleBlock>,
}

async fn render_detail(
    st: &AppState,
    u: &User,
    id: i64,
    errors: Vec<String>,
) -> AppResult<Response> {
    let d = api::load_detail(st, u, id).await?;
    let ctx = page_ctx(st, u).await;
    let student = match d.warning.student_id {
        Some(s) => crate::org::store::student_by_id(&st.db, s).await?,
        None => None,
    };
    let record_link = student.as_ref().is_some_and(|s| {
        policy::allows(
            &u.p,
            Action::ViewPerson,
            &crate::auth::policy::Target::Student {
                id: s.id,
                unit_path: &s.class_path,
            },
        )
    });
    let mut chain = Vec::new();
    if let Some(s) = &student {
        let mut c = st.db.pool.acquire().await?;
        for l in store::chain_for_class(&mut c, &s.class_path).await? {
            chain.push((ctx.t(&format!("duty-{}", l.duty.as_str())), l.name, l.phone));
        }
    }
    // The student the warning is about sees what happened, not staff notes, the issuer's source
    // or the addresses notices went to.
    let subject_view = u.p.student_id.is_some() && d.warning.student_id == u.p.student_id;
    let timeline = d
        .timeline
        .iter()
        .map(|e| {
            let mut extra = String::new();
            for k in [
                "method",
                "outcome",
                "notes",
                "missed",
                "source",
                "student_no",
                "ref_no",
            ] {
                if subject_view && matches!(k, "notes" | "source") {
                    continue;
                }
                if let Some(v) = e
                    .detail
                    .get(k)
                    .and_then(|v| v.as_str())
                    .filter(|v| !v.is_empty())
                {
                    let v = match k {
                        "method" => ctx.t(&format!("warn-method-{v}")),
                        "outcome" => ctx.t(&format!("warn-outcome-{v}")),
                        "missed" => ctx.t(&format!("warn-deadline-{v}")),
                        _ => v.to_string(),
                    };
                    extra.push_str(&format!("{v} "));
                }
            }
            if let Some(to) = e.detail.get("to_level").and_then(|v| v.as_i64()) {
                extra.push_str(&format!("→ {}", ctx.t(level_key(to))));
            }
            for k in ["loss_cents", "protected_cents"] {
                if let Some(c) = e.detail.get(k).and_then(|v| v.as_i64()) {
                    extra.push_str(&format!(" {}: ¥{}", ctx.t(&format!("warn-{k}")), yuan(c)));
                }
            }
            (
                ctx.time(&e.at),
                ctx.t(&format!("warn-event-{}", e.kind)),
                if !e.actor_name.is_empty() {
                    e.actor_name.clone()
                } else if e.actor == "system" || e.actor.is_empty() {
                    ctx.t("audit-actor-system")
                } else {
                    e.actor.clone()
                },
                extra,
            )
        })
        .collect();
    let can_identify = d.warning.status() == Status::Unidentified
        && policy::allows(
            &u.p,
            Action::IdentifyWarning,
            &crate::auth::policy::Target::Unit(&d.warning.unit_path),
        );
    let loss_report = d.loss_report.as_ref().map(|l| {
        (
            l.ref_no.clone(),
            format!("/reports/{}", l.report_id),
            ctx.t(&format!("reports-sp-{}", l.stop_payment_status)),
            if l.frozen_cents > 0 {
                format!(
                    "{} ¥{}",
                    ctx.t("reports-sp-frozen-amount"),
                    yuan(l.frozen_cents)
                )
            } else {
                String::new()
            },
        )
    });
    let mule = crate::mules::pages::block(st, &ctx, &d.warning).await?;
    let kind = d.warning.kind;
    let mut r = rows(st, &ctx, vec![d.warning]).await?;
    let row = r.pop().ok_or_else(AppError::not_found)?;
    let tz: chrono_tz::Tz = u.p.time_zone;
    let now_local = chrono::DateTime::from_timestamp_millis(st.clock.now_ms())
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default();
    let mut money = Vec::new();
    if let Some(p) = row.w.protected_cents {
        money.push(format!("{} ¥{}", ctx.t("warn-protected"), yuan(p)));
    }
    if let Some(l) = row.w.loss_cents {
        money.push(format!("{} ¥{}", ctx.t("warn-loss"), yuan(l)));
    }
    let notifications = d
        .notifications
        .iter()
        .filter(|_| !subject_view)
        .map(|n| {
            (
                format!("{} ({})", n.channel_name, n.kind),
                n.address.clone(),
                ctx.t(&format!("warn-notif-{}", n.status)),
                n.reason.clone().unwrap_or_default(),
            )
        })
        .collect();
    let page = DetailPage {
        own: subject_view,
        notifications,
        loss_report,
        payment_types: ["bank_card", "alipay", "wechat", "other"]
            .into_iter()
            .map(|k| (k, ctx.t(&format!("warn-pay-{k}"))))
            .collect(),
        money: money.join(" · "),
        methods: ContactMethod::ALL
            .iter()
            .map(|m| (m.as_str(), ctx.t(&format!("warn-method-{}", m.as_str()))))
            .collect(),
        mule,
        outcomes: kind
            .outcomes()
            .iter()
            .map(|m| (m.as_str(), ctx.t(&format!("warn-outcome-{}", m.as_str()))))
            .collect(),
        ctx,
        row,
        timeline,
        can_act: d.can_act,
        can_identify,
        student,
        record_link,
        chain,
        errors,
        now_local,
    };
    Ok(Html(page.render()?).into_response())
}

async fn detail(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> AppResult<Response> {
    render_detail(&st, &u, id, vec![]).await
}

/// Runs an act from a form: back to the warning, with refusals shown on it.
async fn form_act(st: &AppState, u: &User, id: i64, a: AppResult<Act>) -> AppResult<Response> {
    let result = match a {
        Ok(a) => api::do_act(st, u, id, a).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/warnings/{id}")).into_response()),
        Err(e)
            if matches!(
                e.code(),
                crate::error::Code::Invalid
                    | crate::error::Code::Conflict
                    | crate::error::Code::RateLimited
            ) =>
        {
            let mut msgs = vec![e.msg.render(u.ctx.lang)];
            msgs.extend(e.details.iter().map(|d| d.render(u.ctx.lang)));
            let mut r = render_detail(st, u, id, msgs).await?;
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

async fn ack(State(st): State<AppState>, u: User, Path(id): Path<i64>) -> AppResult<Response> {
    form_act(&st, &u, id, Ok(Act::Acknowledge)).await
}

#[derive(Deserialize)]
struct ContactForm {
    method: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    notes: String,
}

async fn contact(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ContactForm>,
) -> AppResult<Response> {
    let at = if f.at.trim().is_empty() {
        Ok(None)
    } else {
        local_ms(&u, &f.at)
            .map(Some)
            .ok_or_else(|| AppError::unprocessable("warn-err-contact-time"))
    };
    let a = at.and_then(|at| {
        api::parse_contact(
            &ContactInput {
                method: f.method,
                at,
                notes: f.notes,
            },
            st.clock.now_ms(),
        )
    });
    form_act(&st, &u, id, a).await
}

/// The outcome form: the API's fields, with the transfer time as local `datetime-local` text.
#[derive(Deserialize)]
struct OutcomeForm {
    outcome: String,
    #[serde(default)]
    loss_yuan: Option<String>,
    #[serde(default)]
    protected_yuan: Option<String>,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    payment_type: Option<String>,
    #[serde(default)]
    payee_account: Option<String>,
    #[serde(default)]
    bank: Option<String>,
    #[serde(default)]
    transfer_at: String,
    #[serde(default)]
    description: Option<String>,
}

/// Local time text in the caller's zone as UTC milliseconds.
fn local_ms(u: &User, text: &str) -> Option<i64> {
    crate::kernel::time::parse_local(text, u.p.time_zone)
}

async fn outcome(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<OutcomeForm>,
) -> AppResult<Response> {
    let lost = f.outcome.trim() == Outcome::AlreadyLost.as_str();
    let transfer_at = if f.transfer_at.trim().is_empty() {
        Ok(None)
    } else {
        local_ms(&u, &f.transfer_at)
            .map(Some)
            .ok_or_else(|| AppError::unprocessable("warn-err-transfer-time"))
    };
    let a = transfer_at.and_then(|transfer_at| {
        api::parse_outcome(
            &OutcomeInput {
                outcome: f.outcome,
                loss_yuan: f.loss_yuan,
                protected_yuan: f.protected_yuan,
                notes: f.notes,
                payment_type: f.payment_type.filter(|_| lost),
                payee_account: f.payee_account.filter(|_| lost),
                bank: f.bank.filter(|_| lost),
                transfer_at: transfer_at.filter(|_| lost),
                description: f.description.filter(|_| lost),
            },
            Some(crate::reports::service::Deadlines::from_config(&st.config)),
        )
    });
    form_act(&st, &u, id, a).await
}

#[derive(Deserialize)]
struct IdentifyForm {
    student_no: String,
}

async fn identify(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<IdentifyForm>,
) -> AppResult<Response> {
    match api::do_identify(&st, &u, id, &f.student_no).await {
        Ok(_) => Ok(Redirect::to(&format!("/warnings/{id}")).into_response()),
        Err(e) if e.status.as_u16() == 422 || e.status.as_u16() == 409 => {
            let mut msgs = vec![e.msg.render(u.ctx.lang)];
            msgs.extend(e.details.iter().map(|d| d.render(u.ctx.lang)));
            let mut r = render_detail(&st, &u, id, msgs).await?;
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "warnings/issue.html")]
struct IssuePage {
    ctx: PageCtx,
    errors: Vec<String>,
    done: Option<String>,
    types: Vec<(&'static str, String)>,
    form: IssueForm,
    /// The school, picked by name (optional: a phone number finds the student anywhere).
    school_picker: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct IssueForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    student_no: String,
    #[serde(default)]
    school_code: String,
    #[serde(default)]
    fraud_type: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    source: String,
}

fn types(ctx: &PageCtx) -> Vec<(&'static str, String)> {
    fanzha_detect::FraudType::ALL
        .iter()
        .filter(|t| t.is_fraud())
        .map(|t| (t.id(), ctx.fraud_type(t.id())))
        .collect()
}

async fn render_issue(
    st: &AppState,
    u: &User,
    errors: Vec<String>,
    done: Option<String>,
    form: IssueForm,
) -> AppResult<Html<String>> {
    api::staff_issuer_of(&u.p)?;
    let ctx = page_ctx(st, u).await;
    let school_picker = crate::org::picker::render(
        st,
        u,
        &ctx,
        crate::org::picker::Spec {
            id: "issue-school",
            name: "school_code",
            label: &ctx.t("warn-school-code"),
            action: Action::IssueWarning,
            kinds: &[crate::org::model::UnitKind::School],
            multiple: false,
            required: false,
        },
        std::slice::from_ref(&form.school_code),
    )
    .await?;
    Ok(Html(
        IssuePage {
            school_picker,
            types: types(&ctx),
            ctx,
            errors,
            done,
            form,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
struct DoneQuery {
    created: Option<usize>,
}

async fn issue_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<DoneQuery>,
) -> AppResult<Html<String>> {
    let done = q
        .created
        .map(|n| u.ctx.lang.ta("warn-batch-done", &[("n", n.to_string())]));
    render_issue(&st, &u, vec![], done, IssueForm::default()).await
}

async fn issue_submit(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<IssueForm>,
) -> AppResult<Response> {
    let issuer = api::staff_issuer_of(&u.p)?;
    let input = service::WarningInput {
        phone: Some(f.phone.clone()),
        student_no: Some(f.student_no.clone()),
        school_code: Some(f.school_code.clone()),
        fraud_type: f.fraud_type.clone(),
        severity: f.severity.clone(),
        detail: f.detail.clone(),
        source: f.source.clone(),
        reference: None,
    };
    let lang = u.ctx.lang;
    let refused = |details: Vec<String>| async {
        let mut r = render_issue(&st, &u, details, None, f.clone())
            .await?
            .into_response();
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok::<Response, AppError>(r)
    };
    let nw = match service::parse_input(&input) {
        Ok(nw) => nw,
        Err(d) => return refused(d.iter().map(|m| m.render(lang)).collect()).await,
    };
    match service::issue(&st.db, &st.clock, &issuer, nw).await {
        Ok((w, _)) => {
            api::audit_issue(&st, &u, &w).await?;
            Ok(Redirect::to(&format!("/warnings/{}", w.id)).into_response())
        }
        Err(service::WarnError::Refused(d)) => {
            refused(d.iter().map(|m| m.render(lang)).collect()).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn batch_submit(
    State(st): State<AppState>,
    u: User,
    mut mp: Multipart,
) -> AppResult<Response> {
    api::staff_issuer_of(&u.p)?;
    let mut data = Vec::new();
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("file") {
            data = field
                .bytes()
                .await
                .map_err(|_| AppError::bad_request("warn-err-csv-encoding"))?
                .to_vec();
        }
    }
    match api::run_batch(&st, &u, &data).await {
        Ok(out) => {
            Ok(Redirect::to(&format!("/warnings/issue?created={}", out.created)).into_response())
        }
        Err(e) if e.status.as_u16() == 422 => {
            let mut msgs = vec![e.msg.render(u.ctx.lang)];
            msgs.extend(e.details.iter().map(|d| d.render(u.ctx.lang)));
            let mut r = render_issue(&st, &u, msgs, None, IssueForm::default())
                .await?
                .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "warnings/overview.html")]
struct OverviewPage {
    ctx: PageCtx,
    /// Warnings the filter keeps, the page shown and the number of pages.
    total: i64,
    page: i64,
    pages: i64,
    figures: Figures,
    rows: Vec<Row>,
    queue: Vec<Row>,
    q: ListQuery,
    statuses: Vec<(&'static str, String)>,
    /// The unit picker (units of the caller's scope, by name).
    picker: String,
    share: String,
    median_ack: String,
    median_contact: String,
}

impl OverviewPage {
    /// The filter as a query string, without the page.
    fn query(&self) -> String {
        super::lists::query_of(&self.q)
    }
    fn page_link(&self, page: i64) -> String {
        format!("/warnings/overview?{}&page={page}", self.query())
    }
}

fn mins(ctx: &PageCtx, v: Option<i64>) -> String {
    v.map_or("—".into(), |m| {
        ctx.ta1("warn-minutes", "n", &format!("{:.0}", m as f64 / 60_000.0))
    })
}

async fn overview(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<ListQuery>,
) -> AppResult<Html<String>> {
    if policy::scopes_for(&u.p, Action::ViewWarnings).is_empty() {
        return Err(AppError::forbidden());
    }
    let figures = api::load_figures(&st, &u, &q).await?;
    let q = ListQuery {
        limit: q.limit.or(Some(50)),
        ..q
    };
    let (total, list) = api::load_page(&st, &u, &q, false).await?;
    let queue_q = ListQuery {
        status: Some("unidentified".into()),
        unit: q.unit.clone(),
        ..ListQuery::default()
    };
    let queue = if policy::scopes_for(&u.p, Action::IdentifyWarning).is_empty() {
        vec![]
    } else {
        api::load_list(
            &st,
            &u,
            &ListQuery {
                from: Some("2000-01-01".into()),
                ..queue_q
            },
        )
        .await?
    };
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

pub async fn rows_for(st: &AppState, ctx: &PageCtx, ws: Vec<Warning>) -> AppResult<Vec<Row>> {
    rows(st, ctx, ws).await
}

#[derive(Template)]
#[template(path = "warnings/settings.html")]
struct SettingsPage {
    ctx: PageCtx,
    school: crate::org::model::Unit,
    f: SettingsInput,
    errors: Vec<String>,
    saved: bool,
    /// The school's channels: (id, kind, name, chosen for warning notices).
    channels: Vec<(i64, String, String, bool)>,
}

/// The school's channels for the settings form, `chosen` ticked.
async fn channel_choices(
    st: &AppState,
    school: &crate::org::model::Unit,
    chosen: &[i64],
) -> AppResult<Vec<(i64, String, String, bool)>> {
    Ok(
        crate::campaigns::store::channels_under(&st.db, std::slice::from_ref(&school.path))
            .await?
            .into_iter()
            .filter(|c| c.enabled())
            .map(|c| (c.id, c.kind, c.name, chosen.contains(&c.id)))
            .collect(),
    )
}

#[derive(Deserialize)]
struct SchoolQuery {
    unit: Option<String>,
    saved: Option<u8>,
}

fn settings_form(s: &Settings) -> SettingsInput {
    let m = |ms: i64| (ms / 60_000).to_string();
    SettingsInput {
        high_ack_min: m(s.high.ack_ms),
        high_contact_min: m(s.high.contact_ms),
        medium_ack_min: m(s.medium.ack_ms),
        medium_contact_min: m(s.medium.contact_ms),
        low_ack_min: m(s.low.ack_ms),
        low_contact_min: m(s.low.contact_ms),
        weight_ack: s.weights.ack.to_string(),
        weight_contact: s.weights.contact.to_string(),
        weight_escalations: s.weights.escalations.to_string(),
        weight_victims: s.weights.victims.to_string(),
        weight_campaigns: s.weights.campaigns.to_string(),
        channels: None,
    }
}

async fn settings_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<SchoolQuery>,
) -> AppResult<Html<String>> {
    let school = api::school_for(&st, &u, Action::ConfigureWarnings, q.unit.as_deref()).await?;
    let school = crate::org::store::school_of(&st.db, &school)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut c = st.db.pool.acquire().await?;
    let s = store::settings_of(&mut c, school.id).await?;
    let chosen: Vec<i64> = super::notify::channels_of_school(&mut c, school.id)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    drop(c);
    let channels = channel_choices(&st, &school, &chosen).await?;
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        SettingsPage {
            ctx,
            school,
            f: settings_form(&s),
            errors: vec![],
            saved: q.saved.is_some(),
            channels,
        }
        .render()?,
    ))
}

struct SettingsForm {
    school: String,
    f: SettingsInput,
}

/// The settings form: single fields by name, every ticked `channel` checkbox.
fn settings_form_of(pairs: Vec<(String, String)>) -> SettingsForm {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    SettingsForm {
        school: get("school"),
        f: SettingsInput {
            high_ack_min: get("high_ack_min"),
            high_contact_min: get("high_contact_min"),
            medium_ack_min: get("medium_ack_min"),
            medium_contact_min: get("medium_contact_min"),
            low_ack_min: get("low_ack_min"),
            low_contact_min: get("low_contact_min"),
            weight_ack: get("weight_ack"),
            weight_contact: get("weight_contact"),
            weight_escalations: get("weight_escalations"),
            weight_victims: get("weight_victims"),
            weight_campaigns: get("weight_campaigns"),
            // An unparsable id becomes -1, which no channel has: refused with the others.
            channels: Some(
                pairs
                    .iter()
                    .filter(|(n, _)| n == "channel")
                    .map(|(_, v)| v.trim().parse().unwrap_or(-1))
                    .collect(),
            ),
        },
    }
}

async fn settings_submit(
    State(st): State<AppState>,
    u: User,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let f = settings_form_of(pairs);
    match api::save_settings(&st, &u, &f.school, &f.f).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/warnings/settings?unit={}&saved=1",
            crate::web::context::urlencode(&f.school)
        ))
        .into_response()),
        Err(e) if e.status.as_u16() == 422 => {
            let school = crate::org::store::unit_by_code(&st.db, &f.school)
                .await?
                .ok_or_else(AppError::not_found)?;
            let mut errors = vec![e.msg.render(u.ctx.lang)];
            errors.extend(e.details.iter().map(|d| d.render(u.ctx.lang)));
            let chosen = f.f.channels.clone().unwrap_or_default();
            let channels = channel_choices(&st, &school, &chosen).await?;
            let ctx = page_ctx(&st, &u).await;
            let mut r = Html(
                SettingsPage {
                    ctx,
                    school,
                    f: f.f,
                    errors,
                    saved: false,
                    channels,
                }
                .render()?,
            )
            .into_response();
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "warnings/appraisal.html")]
struct AppraisalPage {
    ctx: PageCtx,
    unit: crate::org::model::Unit,
    a: Appraisal,
    /// (title, people rather than units, rows): a unit's row is its own name, so the unit table
    /// has no second name column.
    sections: Vec<(String, bool, Vec<super::appraisal::AppraisalRow>)>,
    /// The period shown, as the caller's days (`YYYY-MM-DD`, both inclusive).
    from_day: String,
    to_day: String,
    period: String,
    chart: String,
    csv_link: String,
    /// The unit picker (units of the caller's appraisal scope, by name).
    picker: String,
}

impl AppraisalPage {
    fn pct(&self, v: &f64) -> String {
        format!("{:.0}%", v * 100.0)
    }
    /// A share, or "—" when there is nothing to measure.
    fn share(&self, v: &Option<f64>) -> String {
        v.map_or("—".into(), |v| self.pct(&v))
    }
    fn mins(&self, v: &Option<i64>) -> String {
        mins(&self.ctx, *v)
    }
}

async fn appraisal_page(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<AppraisalQuery>,
) -> AppResult<Html<String>> {
    let (unit, a) = api::load_appraisal(&st, &u, &q).await?;
    let ctx = page_ctx(&st, &u).await;
    let top: Vec<&super::appraisal::AppraisalRow> = a.people.iter().take(20).collect();
    let chart = serde_json::json!({
        "names": top.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        "scores": top.iter().map(|r| r.score).collect::<Vec<_>>(),
        "label": ctx.t("warn-score"),
    })
    .to_string();
    let mut csv_link = format!(
        "/warnings/appraisal.csv?unit={}",
        crate::web::context::urlencode(&unit.code)
    );
    // The period as days in the caller's time zone: what was asked for, else the default one.
    let day = |ms: Millis| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.with_timezone(&ctx.tz).format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let from_day = day(a.from);
    let to_day = day(a.to - 1);
    for (k, v) in [("from", &from_day), ("to", &to_day)] {
        csv_link.push_str(&format!("&{k}={}", crate::web::context::urlencode(v)));
    }
    use crate::org::model::UnitKind as K;
    let picker = crate::org::picker::render(
        &st,
        &u,
        &ctx,
        crate::org::picker::Spec {
            id: "appraisal-unit",
            name: "unit",
            label: &ctx.t("org-picker-unit"),
            action: Action::ViewAppraisal,
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
        std::slice::from_ref(&unit.code),
    )
    .await?;
    Ok(Html(
        AppraisalPage {
            picker,
            sections: vec![
                (ctx.t("warn-people"), true, a.people.clone()),
                (ctx.t("warn-units"), false, a.units.clone()),
            ],
            period: ctx.ta(
                "warn-period",
                &[("from", from_day.clone()), ("to", to_day.clone())],
            ),
            from_day,
            to_day,
            ctx,
            unit,
            a,
            chart,
            csv_link,
        }
        .render()?,
    ))
}

async fn appraisal_csv(
    State(st): State<AppState>,
    u: User,
    Query(q): Query<AppraisalQuery>,
) -> AppResult<Response> {
    let (unit, a) = api::load_appraisal(&st, &u, &q).await?;
    crate::audit::record(
        &st.db.pool,
        &st.clock,
        &u.ctx.actor(),
        crate::audit::Event {
            action: "warning.appraisal_export",
            target_kind: "unit",
            target_id: unit.id.to_string(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({"from": a.from, "to": a.to}),
        },
    )
    .await?;
    let name = format!("appraisal-{}.csv", unit.code);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        super::appraisal::to_csv(&a),
    )
        .into_response())
}

//! One warning: its page (in the viewer's words, phone first), and the forms that acknowledge,
//! record the contact and the outcome, and attach a student.

use super::*;

#[derive(Template)]
#[template(path = "warnings/detail.html")]
pub(super) struct DetailPage {
    pub(super) ctx: PageCtx,
    pub(super) row: Row,
    /// The viewer is the student the warning is about: they get what to do, in their words.
    pub(super) own: bool,
    pub(super) timeline: Vec<(String, String, String, String)>,
    pub(super) can_act: bool,
    pub(super) can_identify: bool,
    pub(super) student: Option<crate::org::model::Student>,
    /// The viewer may open the student's record (their anti-fraud history).
    pub(super) record_link: bool,
    pub(super) chain: Vec<(String, String, Option<String>)>,
    pub(super) errors: Vec<String>,
    pub(super) methods: Vec<(&'static str, String)>,
    pub(super) outcomes: Vec<(&'static str, String)>,
    pub(super) now_local: String,
    pub(super) money: String,
    /// (report number, link, stop-payment status text, frozen amount text) of the loss report.
    pub(super) loss_report: Option<(String, String, String, String)>,
    /// Outside notices: (channel, address, status, reason).
    pub(super) notifications: Vec<(String, String, String, String)>,
    pub(super) payment_types: Vec<(&'static str, String)>,
    /// What a mule-risk warning adds: the facts, the counselor's script, the student's steps.
    pub(super) mule: Option<crate::mules::pages::MuleBlock>,
}

pub(super) async fn render_detail(
    st: &AppState,
    u: &User,
    id: WarningId,
    errors: Vec<String>,
) -> AppResult<Response> {
    let d = service::detail(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
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
    let can_identify = service::may_identify(&u.p, &d.warning);
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

pub(super) async fn detail(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<WarningId>,
) -> AppResult<Response> {
    render_detail(&st, &u, id, vec![]).await
}

/// Runs an act from a form: back to the warning, with refusals shown on it.
pub(super) async fn form_act(
    st: &AppState,
    u: &User,
    id: WarningId,
    a: AppResult<Act>,
) -> AppResult<Response> {
    let result = match a {
        Ok(a) => service::act(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, a)
            .await
            .map(|_| ())
            .map_err(AppError::from),
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

pub(super) async fn ack(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<WarningId>,
) -> AppResult<Response> {
    form_act(&st, &u, id, Ok(Act::Acknowledge)).await
}

#[derive(Deserialize)]
pub(super) struct ContactForm {
    pub(super) method: String,
    #[serde(default)]
    pub(super) at: String,
    #[serde(default)]
    pub(super) notes: String,
}

pub(super) async fn contact(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<WarningId>,
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
        service::parse_contact(
            &ContactInput {
                method: f.method,
                at,
                notes: f.notes,
            },
            st.clock.now_ms(),
        )
        .map_err(AppError::from)
    });
    form_act(&st, &u, id, a).await
}

/// The outcome form: the API's fields, with the transfer time as local `datetime-local` text.
#[derive(Deserialize)]
pub(super) struct OutcomeForm {
    pub(super) outcome: String,
    #[serde(default)]
    pub(super) loss_yuan: Option<String>,
    #[serde(default)]
    pub(super) protected_yuan: Option<String>,
    #[serde(default)]
    pub(super) notes: String,
    #[serde(default)]
    pub(super) payment_type: Option<String>,
    #[serde(default)]
    pub(super) payee_account: Option<String>,
    #[serde(default)]
    pub(super) bank: Option<String>,
    #[serde(default)]
    pub(super) transfer_at: String,
    #[serde(default)]
    pub(super) description: Option<String>,
}

/// Local time text in the caller's zone as UTC milliseconds.
pub(super) fn local_ms(u: &User, text: &str) -> Option<i64> {
    crate::kernel::time::parse_local(text, u.p.time_zone)
}

pub(super) async fn outcome(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<WarningId>,
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
        service::parse_outcome(
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
        .map_err(AppError::from)
    });
    form_act(&st, &u, id, a).await
}

#[derive(Deserialize)]
pub(super) struct IdentifyForm {
    pub(super) student_no: String,
}

pub(super) async fn identify(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<WarningId>,
    Form(f): Form<IdentifyForm>,
) -> AppResult<Response> {
    match service::identify(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, &f.student_no)
        .await
        .map_err(AppError::from)
    {
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

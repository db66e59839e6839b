//! What the responsible people do to a warning: attach a student to an unmatched one, and
//! acknowledge, record the contact and the outcome (with the loss report of "already lost
//! money"), within the chain's rules.

use super::*;
use crate::kernel::ids::{AccountId, ReportId, WarningId};

/// Attaches a student to an unmatched warning the caller may see and identify, and routes it;
/// the clocks start now.
pub async fn identify(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    warning_id: WarningId,
    student_no: &str,
) -> Result<Warning, WarnError> {
    let w = warning_visible_to(db, clock, p, actor, warning_id).await?;
    if !held_by_police_of_region(p, &w) {
        authorize(
            db,
            clock,
            p,
            actor,
            Action::IdentifyWarning,
            Target::Unit(&w.unit_path),
        )
        .await?;
    }
    let scopes = policy::scopes_for(p, Action::IdentifyWarning);
    let mut tx = db.begin_write().await.map_err(DbError::from)?;
    let w = store::warning_by_id(&mut tx, warning_id)
        .await?
        .ok_or(WarnError::NotFound)?;
    if !in_scope(&w.unit_path, &scopes) && !held_by_police_of_region(p, &w) {
        return Err(WarnError::NotFound);
    }
    if w.status() != Status::Unidentified {
        return Err(WarnError::Conflict("warn-err-already-identified"));
    }
    let no = crate::org::model::PersonNo::parse(student_no).ok_or_else(|| {
        WarnError::Refused(vec![
            Msg::new("warn-err-student-no").arg("value", student_no)
        ])
    })?;
    let found: Vec<StudentRef> = store::students_by_no(&mut tx, no.as_str(), w.school_id)
        .await?
        .into_iter()
        .filter(|s| in_scope(&s.class_path, &scopes))
        .collect();
    let [student] = found.as_slice() else {
        return Err(WarnError::Refused(vec![Msg::new(
            "warn-err-unknown-student",
        )
        .arg("value", no.as_str())]));
    };
    store::add_event(
        &mut tx,
        w.id,
        clock.now_ms(),
        "identified",
        (Some(p.account_id), &p.username),
        0,
        None,
        Some("identified"),
        serde_json::json!({"student_no": student.student_no}),
    )
    .await?;
    let mut cache = RouteCache::default();
    let sev = Severity::parse(&w.severity).unwrap_or(Severity::Low);
    let w = route(
        &mut tx,
        clock,
        &mut cache,
        w.id,
        sev,
        student,
        (Some(p.account_id), &p.username),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    inbox::bump();
    Ok(w)
}

/// May this caller act on this warning now? Staff of the chain at or below the warning's level
/// may; school admins always; unit leaders once it reached the college; police once it reached
/// them. Everybody else is refused (and the refusal audited by the caller).
pub async fn may_act(c: &mut AnyConnection, p: &Principal, w: &Warning) -> Result<bool, DbError> {
    let path = w.unit_path.as_str();
    let holds = |role: Role| {
        p.grants
            .iter()
            .any(|g| g.role == role && g.scope_paths.iter().any(|s| path.starts_with(s.as_str())))
    };
    if holds(Role::SchoolAdmin) {
        return Ok(true);
    }
    if holds(Role::Police) && w.level >= LEVEL_POLICE {
        return Ok(true);
    }
    if holds(Role::UnitLeader) && w.level >= LEVEL_COLLEGE {
        return Ok(true);
    }
    let Some(staff) = p.staff_id else {
        return Ok(false);
    };
    let chain = store::chain_for_class(c, path).await?;
    Ok(chain
        .iter()
        .any(|l| l.staff_id == staff && l.level <= w.level.max(LEVEL_COUNSELOR)))
}

/// What a caller does to a warning.
#[derive(Clone, Debug)]
pub enum Act {
    Acknowledge,
    Contact {
        method: ContactMethod,
        at: Millis,
        notes: String,
    },
    Outcome {
        outcome: Outcome,
        loss: Option<Money>,
        protected: Option<Money>,
        notes: String,
        /// What the stop-payment request needs when the outcome is "already lost money".
        transfer: Option<LossTransfer>,
    },
}

/// Where the lost money went, as the counselor records it with the outcome "already lost money".
/// Checked by the reports module's own validation when the loss report is filed.
#[derive(Clone, Debug, Default)]
pub struct LossTransfer {
    /// bank_card, alipay, wechat or other.
    pub payment_type: String,
    pub payee_account: String,
    pub bank: String,
    /// UTC milliseconds.
    pub transfer_at: Option<Millis>,
    pub description: String,
    /// The server's stop-payment deadlines.
    pub deadlines: Option<crate::reports::service::Deadlines>,
}

/// The loss report a warning handed over to, with its stop-payment request as it stands now.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LossReportLink {
    pub report_id: ReportId,
    pub ref_no: String,
    pub stop_payment_id: i64,
    /// open, bank_contacted, frozen or failed.
    pub stop_payment_status: String,
    pub frozen_cents: i64,
    pub deadline_at: i64,
}

/// The loss report a warning opened, if any: the report named by its `loss_report` event, with
/// the stop-payment request as it stands now.
pub async fn loss_report_of(
    c: &mut AnyConnection,
    timeline: &[WarnEvent],
) -> Result<Option<LossReportLink>, DbError> {
    let Some(report_id) = timeline
        .iter()
        .find(|e| e.kind == "loss_report")
        .and_then(|e| e.detail.get("report_id"))
        .and_then(|v| v.as_i64())
    else {
        return Ok(None);
    };
    link_of_report(c, ReportId(report_id)).await
}

/// The loss report `report_id` with its stop-payment request as it stands now, read through
/// the reports module's store.
pub(super) async fn link_of_report(
    c: &mut AnyConnection,
    report_id: ReportId,
) -> Result<Option<LossReportLink>, DbError> {
    let Some(r) = crate::reports::store::report(c, report_id).await? else {
        return Ok(None);
    };
    let Some(sp) = crate::reports::store::stop_payment_of(c, report_id).await? else {
        return Ok(None);
    };
    Ok(Some(LossReportLink {
        report_id: r.id,
        ref_no: r.ref_no,
        stop_payment_id: sp.id,
        stop_payment_status: sp.status.as_str().to_string(),
        frozen_cents: sp.frozen_cents,
        deadline_at: sp.deadline_at,
    }))
}

/// Applies an act of the caller to a warning they may see: allowed by the matrix (or by being in
/// the student's chain), then by the chain rules of [`may_act`] (refusals audited).
pub async fn act(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    warning_id: WarningId,
    a: Act,
) -> Result<Warning, WarnError> {
    let w = warning_visible_to(db, clock, p, actor, warning_id).await?;
    let mut c = db.pool.acquire().await.map_err(DbError::from)?;
    let member = in_chain(&mut c, p, &w).await?;
    drop(c);
    if !member {
        authorize(
            db,
            clock,
            p,
            actor,
            Action::ActOnWarning,
            Target::Unit(&w.unit_path),
        )
        .await?;
    }
    apply_act(db, clock, p, actor, warning_id, a).await
}

/// Applies an act after `may_act` allowed it. Refuses acts that make no sense in the state.
async fn apply_act(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    warning_id: WarningId,
    a: Act,
) -> Result<Warning, WarnError> {
    let now = clock.now_ms();
    let mut tx = db.begin_write().await.map_err(DbError::from)?;
    let w = store::warning_by_id(&mut tx, warning_id)
        .await?
        .ok_or(WarnError::NotFound)?;
    let status = w.status();
    if status == Status::Unidentified {
        return Err(WarnError::Conflict("warn-err-unidentified"));
    }
    if !may_act(&mut tx, p, &w).await? {
        drop(tx);
        crate::audit::record(
            &db.pool,
            clock,
            actor,
            crate::audit::Event {
                action: "warning.denied",
                target_kind: "warning",
                target_id: w.id.to_string(),
                unit_path: w.unit_path.clone(),
                detail: serde_json::json!({"act": format!("{a:?}").split([' ', '{']).next().unwrap_or("")}),
            },
        )
        .await?;
        return Err(WarnError::Forbidden);
    }
    let me = (Some(p.account_id), p.username.as_str());
    // The one who acts becomes the responsible person of record (follows a changed counselor).
    let staff = p.staff_id;
    match a {
        Act::Acknowledge => {
            if w.acknowledged_at.is_some() || status == Status::Closed {
                return Err(WarnError::Conflict("warn-err-already-acknowledged"));
            }
            let pending = w.contacted_at.is_none();
            let next = w.contact_due_at.filter(|_| pending);
            store::acknowledge(&mut tx, w.id, now, p.account_id, next).await?;
            store::add_event(
                &mut tx,
                w.id,
                now,
                "acknowledged",
                me,
                w.level,
                staff,
                Some("acknowledged"),
                serde_json::json!({}),
            )
            .await?;
            if let Some(d) = w.contact_due_at {
                schedule_tick(&mut tx, clock, d).await?;
            }
        }
        Act::Contact { method, at, notes } => {
            if w.contacted_at.is_some() || status == Status::Closed {
                return Err(WarnError::Conflict("warn-err-already-contacted"));
            }
            if at > now + 5 * 60_000 || at < w.created_at - 60_000 {
                return Err(refuse("warn-err-contact-time"));
            }
            store::record_contact(&mut tx, w.id, at, method, p.account_id, now).await?;
            store::add_event(
                &mut tx,
                w.id,
                now,
                "contacted",
                me,
                w.level,
                staff,
                Some("contacted"),
                serde_json::json!({"method": method.as_str(), "at": at, "notes": notes}),
            )
            .await?;
        }
        Act::Outcome {
            outcome,
            loss,
            protected,
            notes,
            transfer,
        } => {
            if status == Status::Closed {
                return Err(WarnError::Conflict("warn-err-outcome-twice"));
            }
            if !w.kind.outcomes().contains(&outcome) {
                return Err(refuse("warn-err-outcome-kind"));
            }
            if outcome == Outcome::AlreadyLost && loss.is_none() {
                return Err(refuse("warn-err-loss-needed"));
            }
            store::close(&mut tx, w.id, outcome, now, loss, protected).await?;
            store::add_event(&mut tx, w.id, now, "outcome", me, w.level, staff, Some("outcome"), serde_json::json!({"outcome": outcome.as_str(), "loss_cents": loss.map(Money::cents), "protected_cents": protected.map(Money::cents), "notes": notes})).await?;
            // In the same transaction: bad transfer details (refused by the reports module's own
            // validation) roll the outcome back too, so nothing is written.
            if outcome == Outcome::AlreadyLost {
                open_loss_report(
                    &mut tx,
                    clock,
                    actor,
                    &w,
                    me,
                    staff,
                    loss.map_or(0, Money::cents),
                    transfer.unwrap_or_default(),
                )
                .await?;
            }
        }
    }
    tx.commit().await.map_err(DbError::from)?;
    let mut conn = db.pool.acquire().await.map_err(DbError::from)?;
    store::warning_by_id(&mut conn, warning_id)
        .await?
        .ok_or(WarnError::NotFound)
}

/// "Already lost money": files a loss report for the student with its stop-payment request,
/// pre-filled from the warning (student, fraud type, amount, what happened) and the transfer the
/// counselor recorded, through `reports::service::create_loss_report` in the caller's
/// transaction, and links it on the timeline (`loss_report` event with the report number). Bad
/// transfer details are refused with the reports module's reasons.
#[allow(clippy::too_many_arguments)]
pub async fn open_loss_report(
    c: &mut AnyConnection,
    clock: &Clock,
    actor: &Actor,
    w: &Warning,
    me: (Option<AccountId>, &str),
    staff: Option<i64>,
    loss_cents: i64,
    t: LossTransfer,
) -> Result<LossReportLink, WarnError> {
    use crate::reports::service::{create_loss_report, LossInput, ReportError};
    let student_id = w
        .student_id
        .ok_or_else(|| refuse("warn-err-unidentified"))?;
    let fraud_type = w.fraud_type;
    let Some(transfer_at) = t.transfer_at else {
        return Err(refuse("reports-err-loss-needs"));
    };
    let description = if t.description.trim().is_empty() {
        format!("预警 #{} · {}", w.id, w.detail)
    } else {
        t.description.trim().to_string()
    };
    let (report_id, sp_id) = create_loss_report(
        c,
        clock,
        actor,
        student_id,
        LossInput {
            idempotency_key: format!("warning:{}", w.id),
            payment_type: t.payment_type,
            payee_account: t.payee_account,
            bank: t.bank,
            amount_cents: loss_cents,
            transfer_at,
            fraud_type,
            description: description.chars().take(4000).collect(),
            deadlines: t.deadlines,
        },
    )
    .await
    .map_err(|e| match e {
        ReportError::Invalid(ms) => WarnError::Refused(ms),
        ReportError::NotFound => refuse("warn-err-unknown-student"),
        ReportError::Db(e) => WarnError::Db(e),
        e => WarnError::Db(DbError::Config(format!("loss report: {e}"))),
    })?;
    let link = link_of_report(c, report_id).await?.ok_or_else(|| {
        WarnError::Db(DbError::Config(format!(
            "loss report {report_id} not found"
        )))
    })?;
    let ref_no = link.ref_no.clone();
    store::add_event(
        c,
        w.id,
        clock.now_ms(),
        "loss_report",
        me,
        w.level,
        staff,
        Some("loss_report"),
        serde_json::json!({"report_id": report_id, "ref_no": ref_no, "stop_payment_id": sp_id, "loss_cents": loss_cents}),
    )
    .await?;
    Ok(link)
}

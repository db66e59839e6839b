//! Loss reports and the stop-payment race: creating the request, acting on it, escalating it.

use super::*;
use crate::kernel::ids::{ReportId, StudentId};

/// Input of [`create_loss_report`]: a student said "I already lost money" somewhere else (the
/// warnings module's follow-up).
#[derive(Clone, Debug)]
pub struct LossInput {
    /// The caller's idempotency key (e.g. `warning:<id>`): the same key returns the same report.
    pub idempotency_key: String,
    /// bank_card, alipay, wechat, other.
    pub payment_type: String,
    pub payee_account: String,
    pub bank: String,
    pub amount_cents: i64,
    pub transfer_at: i64,
    pub fraud_type: FraudType,
    pub description: String,
    /// The server's stop-payment deadlines ([`Deadlines::from_config`]); the defaults (30 min,
    /// escalated 10 min before) when `None`.
    pub deadlines: Option<Deadlines>,
}

/// Files a loss report for a student inside the caller's transaction (the student is the
/// reporter of record through their account if they have one, else account 0 is not used: the
/// report is filed with `reporter_account_id` of the student's account or the actor's).
/// Returns (report id, stop-payment id).
pub async fn create_loss_report(
    tx: &mut AnyConnection,
    clock: &Clock,
    actor: &Actor,
    student_id: StudentId,
    input: LossInput,
) -> ReportResult<(ReportId, i64)> {
    let (path, class_id, school_id) = student_place(tx, student_id).await?;
    let account = store::account_of_student(tx, student_id).await?;
    let account = account.or(actor.account_id).ok_or(ReportError::NotFound)?;
    let ri = ReportInput {
        idempotency_key: input.idempotency_key.clone(),
        sections: model::Sections {
            transaction: Some(TransactionSection {
                payment_type: input.payment_type,
                account: input.payee_account,
                bank: input.bank,
                amount_cents: Some(input.amount_cents),
                time: Some(input.transfer_at),
            }),
            ..Default::default()
        },
        description: input.description,
        fraud_type: Some(input.fraud_type.id().to_string()),
        lost_money: true,
        risk_check_id: None,
    };
    let v = model::validate(&ri, clock.now_ms(), None).map_err(ReportError::Invalid)?;
    let reporter = Reporter {
        account_id: account,
        student_id: Some(student_id),
        school_id: Some(school_id),
        class_id: Some(class_id),
        unit_path: path,
    };
    let deadlines = input.deadlines.unwrap_or_default();
    let f = file(
        tx,
        clock,
        actor,
        &reporter,
        &input.idempotency_key,
        &v,
        deadlines,
    )
    .await?;
    Ok((f.report_id, f.stop_payment_id.ok_or(ReportError::NotFound)?))
}

/// What police record on a stop-payment request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpAction {
    BankContacted,
    Frozen(i64),
    Failed(String),
}

impl SpAction {
    pub fn parse(action: &str, frozen_cents: Option<i64>, reason: &str) -> Result<SpAction, Msg> {
        match action {
            "bank_contacted" => Ok(SpAction::BankContacted),
            "frozen" => match frozen_cents {
                Some(c) if c > 0 => Ok(SpAction::Frozen(c)),
                _ => Err(Msg::new("reports-err-frozen-amount")),
            },
            "failed" => {
                let r = reason.trim();
                if r.is_empty() || r.chars().count() > 500 {
                    Err(Msg::new("reports-err-reason"))
                } else {
                    Ok(SpAction::Failed(r.to_string()))
                }
            }
            _ => Err(Msg::new("reports-err-action")),
        }
    }
    fn id(&self) -> &'static str {
        match self {
            SpAction::BankContacted => "bank_contacted",
            SpAction::Frozen(_) => "frozen",
            SpAction::Failed(_) => "failed",
        }
    }
}

/// Records a police action on a stop-payment request; the student is told.
pub async fn act_on_stop_payment(
    tx: &mut AnyConnection,
    clock: &Clock,
    actor: &Actor,
    sp_id: i64,
    action: &SpAction,
) -> ReportResult<store::StopPayment> {
    let sp = store::stop_payment(tx, sp_id)
        .await?
        .ok_or(ReportError::NotFound)?;
    let now = clock.now_ms();
    if let SpAction::Frozen(c) = action {
        if *c > sp.amount_cents {
            return Err(ReportError::Invalid(vec![Msg::new(
                "reports-err-frozen-more",
            )
            .arg("amount", cents_str(sp.amount_cents))]));
        }
    }
    let (status, frozen, reason) = match action {
        SpAction::BankContacted => (
            if sp.status == StopStatus::Open {
                StopStatus::BankContacted
            } else {
                sp.status
            },
            sp.frozen_cents,
            sp.reason.clone(),
        ),
        SpAction::Frozen(c) => (StopStatus::Frozen, *c, sp.reason.clone()),
        SpAction::Failed(r) => (StopStatus::Failed, sp.frozen_cents, r.clone()),
    };
    let action_id = store::record_stop_action(
        tx,
        sp_id,
        actor.account_id.unwrap_or_default(),
        action.id(),
        match action {
            SpAction::Failed(r) => r.as_str(),
            _ => "",
        },
        status.as_str(),
        frozen,
        &reason,
        now,
    )
    .await?;
    first_action(tx, sp.report_id, now).await?;
    let r = store::report(tx, sp.report_id)
        .await?
        .ok_or(ReportError::NotFound)?;
    let body = match action {
        SpAction::BankContacted => Msg::new("reports-notice-sp-bank"),
        SpAction::Frozen(c) => Msg::new("reports-notice-sp-frozen").arg("amount", cents_str(*c)),
        SpAction::Failed(why) => Msg::new("reports-notice-sp-failed").arg("reason", why),
    };
    notify_in_lang(
        tx,
        clock,
        &Recipient::Account(r.reporter_account_id),
        "stop_payment",
        &Msg::new("reports-notice-sp-progress-title").arg("ref", &r.ref_no),
        Some(&body),
        None,
        format!("/reports/{}", r.id),
        Some(&format!("stop_payment_action:{action_id}")),
    )
    .await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "reports.stop_payment",
            target_kind: "stop_payment",
            target_id: sp_id.to_string(),
            unit_path: r.unit_path.clone(),
            detail: serde_json::json!({"action": action.id(), "frozen_cents": frozen, "reason": reason}),
        },
    )
    .await?;
    store::stop_payment(tx, sp_id)
        .await?
        .ok_or(ReportError::NotFound)
}

pub(super) async fn first_action(
    tx: &mut AnyConnection,
    report_id: ReportId,
    now: i64,
) -> ReportResult<()> {
    Ok(store::first_action(tx, report_id, now).await?)
}

/// The escalation job: when nobody acted on a stop-payment request shortly before its deadline,
/// the leader of each station whose jurisdiction has the student's school is told (police of the
/// station when it has no leader on record). Runs at most once per request, also across restarts
/// and retries: `escalated_at` and the inbox source make a second run a no-op.
pub async fn escalate(tx: &mut AnyConnection, clock: &Clock, sp_id: i64) -> ReportResult<bool> {
    let Some(sp) = store::stop_payment(tx, sp_id).await? else {
        return Ok(false);
    };
    if sp.first_action_at.is_some() || sp.escalated_at.is_some() || sp.status != StopStatus::Open {
        return Ok(false);
    }
    let r = store::report(tx, sp.report_id)
        .await?
        .ok_or(ReportError::NotFound)?;
    let now = clock.now_ms();
    let title = Msg::new("reports-notice-escalate-title").arg("ref", &r.ref_no);
    let body = Msg::new("reports-notice-escalate-body")
        .arg("amount", cents_str(sp.amount_cents))
        .arg("bank", &sp.bank)
        .arg("account", &sp.payee_account)
        .arg("minutes", ((sp.deadline_at - now).max(0) + 59_999) / 60_000);
    let source = format!("stop_payment:{sp_id}:escalated");
    let mut told = 0;
    if let Some(school) = r.school_id {
        let stations = store::stations_of_school(tx, school).await?;
        for st in stations {
            let leaders = store::station_leaders(tx, st).await?;
            let recipients: Vec<Recipient> = if leaders.is_empty() {
                let accs = store::station_police(tx, st).await?;
                accs.into_iter().map(Recipient::Account).collect()
            } else {
                leaders.into_iter().map(Recipient::Staff).collect()
            };
            for to in recipients {
                if notify_in_lang(
                    tx,
                    clock,
                    &to,
                    "stop_payment",
                    &title,
                    Some(&body),
                    None,
                    format!("/reports/{}", r.id),
                    Some(&source),
                )
                .await?
                .is_some()
                {
                    told += 1;
                }
            }
        }
    }
    store::mark_escalated(tx, sp_id, now).await?;
    audit::record(
        &mut *tx,
        clock,
        &Actor {
            name: "job:reports.escalate".into(),
            ..Actor::default()
        },
        Event {
            action: "reports.escalated",
            target_kind: "stop_payment",
            target_id: sp_id.to_string(),
            unit_path: r.unit_path.clone(),
            detail: serde_json::json!({"told": told}),
        },
    )
    .await?;
    Ok(true)
}

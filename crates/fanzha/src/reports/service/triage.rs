//! Triage of a filed report by police and opening a case from it.

use super::stop_payment::first_action;
use super::*;
use crate::kernel::ids::{AccountId, CaseId, ReportId};

/// A police decision on a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Triage {
    /// The report is fraud: its indicators become confirmed in the indicator store.
    Confirm,
    NotFraud,
    /// Merge into another report (same scam, same victim or same cluster).
    Merge(ReportId),
    /// Assign to a police officer's account.
    Assign(AccountId),
    /// A reply that reaches the reporter's inbox.
    Reply(String),
}

impl Triage {
    fn id(&self) -> &'static str {
        match self {
            Triage::Confirm => "confirm",
            Triage::NotFraud => "not_fraud",
            Triage::Merge(_) => "merge",
            Triage::Assign(_) => "assign",
            Triage::Reply(_) => "reply",
        }
    }
}

/// Applies a triage decision of `by` (police, filed under the officer's unit path).
pub async fn triage(
    tx: &mut AnyConnection,
    clock: &Clock,
    by: &crate::intel::service::By,
    report_id: ReportId,
    t: &Triage,
) -> ReportResult<store::Report> {
    let r = store::report(tx, report_id)
        .await?
        .ok_or(ReportError::NotFound)?;
    let now = clock.now_ms();
    let detail;
    match t {
        Triage::Confirm => {
            let types = [r.fraud_type];
            let inds = store::indicators_of(tx, report_id).await?;
            for i in &inds {
                crate::intel::service::confirm(
                    tx,
                    clock,
                    by,
                    &i.kind,
                    &i.value,
                    &types,
                    &format!("report:{report_id}"),
                )
                .await?;
            }
            set_status(tx, report_id, ReportStatus::Confirmed, now).await?;
            crate::intel::learn::record_report_example(
                tx,
                now,
                by,
                report_id,
                &r.sections,
                &r.description,
                r.fraud_type.id(),
            )
            .await?;
            detail = serde_json::json!({"confirmed_indicators": inds.len()});
        }
        Triage::NotFraud => {
            set_status(tx, report_id, ReportStatus::NotFraud, now).await?;
            detail = serde_json::json!({});
        }
        Triage::Merge(into) => {
            if *into == report_id {
                return Err(invalid("reports-err-merge-self"));
            }
            let target = store::report(tx, *into)
                .await?
                .ok_or_else(|| invalid("reports-err-merge-target"))?;
            if target.status == ReportStatus::Merged {
                return Err(invalid("reports-err-merge-target"));
            }
            store::merge_report(tx, report_id, *into, now).await?;
            detail = serde_json::json!({"into": into});
        }
        Triage::Assign(officer) => {
            if !store::is_police(tx, *officer).await? {
                return Err(invalid("reports-err-assign"));
            }
            store::assign_report(tx, report_id, *officer, now).await?;
            notify_in_lang(
                tx,
                clock,
                &Recipient::Account(*officer),
                "report",
                &Msg::new("reports-notice-assign-title").arg("ref", &r.ref_no),
                None,
                None,
                format!("/reports/{report_id}"),
                None,
            )
            .await?;
            detail = serde_json::json!({"officer": officer});
        }
        Triage::Reply(text) => {
            let text = text.trim();
            if text.is_empty() || text.chars().count() > 2000 {
                return Err(invalid("reports-err-reply"));
            }
            // The officer's own words, under a title in the reporter's language.
            notify_in_lang(
                tx,
                clock,
                &Recipient::Account(r.reporter_account_id),
                "report_reply",
                &Msg::new("reports-notice-reply-title").arg("ref", &r.ref_no),
                None,
                Some(text),
                format!("/reports/{report_id}"),
                None,
            )
            .await?;
            detail = serde_json::json!({"reply": text});
        }
    }
    first_action(tx, report_id, now).await?;
    audit::record(
        &mut *tx,
        clock,
        &by.actor,
        Event {
            action: "reports.triage",
            target_kind: "report",
            target_id: report_id.to_string(),
            unit_path: r.unit_path.clone(),
            detail: serde_json::json!({"decision": t.id(), "detail": detail}),
        },
    )
    .await?;
    store::report(tx, report_id)
        .await?
        .ok_or(ReportError::NotFound)
}

async fn set_status(
    tx: &mut AnyConnection,
    id: ReportId,
    status: ReportStatus,
    now: i64,
) -> ReportResult<()> {
    Ok(store::set_report_status(tx, id, status.as_str(), now).await?)
}

/// The case channel of a report: the social platform when it is one cases know, else a call,
/// else an SMS, else other.
fn case_channel(sections: &serde_json::Value) -> crate::cases::model::Channel {
    use crate::cases::model::Channel;
    let platform = sections["social"]["platform"].as_str().unwrap_or("");
    match platform {
        "qq" => return Channel::Qq,
        "wechat" => return Channel::Wechat,
        "game" => return Channel::Game,
        _ => {}
    }
    if sections["call"].is_object() {
        Channel::Phone
    } else if sections["sms"].is_object() {
        Channel::Sms
    } else {
        Channel::Other
    }
}

/// Opens a case (cases module, `cases::store::insert_case`, which keeps the case summaries) from
/// a report: the victim is the reporting student (grade, major and gender from the roster), the
/// loss is the report's amount, the time is the transfer time of a loss else the report's time,
/// the narrative is the report's description and the report's indicators become the case's (and
/// police-confirmed in the indicator store, as for every case). The case keeps `report_id`; the
/// report gets `case_id` and status `case_opened`. A report with a case returns that case; a
/// report marked not fraud or merged, or one without a school, is refused. Returns the case id.
pub async fn open_case_from_report(
    tx: &mut AnyConnection,
    clock: &Clock,
    by: &crate::intel::service::By,
    report_id: ReportId,
) -> ReportResult<CaseId> {
    use crate::cases::model::{CaseStatus, Money, ValidCase, VictimRole};
    let r = store::report(tx, report_id)
        .await?
        .ok_or(ReportError::NotFound)?;
    if let Some(c) = r.case_id {
        return Ok(c);
    }
    if r.status.is_closed() {
        return Err(invalid("reports-err-case-status"));
    }
    let school_id = r
        .school_id
        .ok_or_else(|| invalid("reports-err-case-school"))?;
    let fraud_type: FraudType = r.fraud_type;
    let fraud_type = if fraud_type.is_fraud() {
        fraud_type
    } else {
        FraudType::OtherFraud
    };
    let (unit_id, role, year, major, gender) = match r.student_id {
        Some(s) => {
            let (class_id, year, major, gender) = store::student_cohort(tx, s).await?;
            (
                class_id,
                VictimRole::Student,
                Some(year),
                Some(major).filter(|m| !m.is_empty()),
                Some(gender).filter(|g| g == "male" || g == "female"),
            )
        }
        None => (school_id, VictimRole::Other, None, None, None),
    };
    let sp = store::stop_payment_of(tx, report_id).await?;
    let now = clock.now_ms();
    let occurred = sp.as_ref().map_or(r.created_at, |s| s.transfer_at).min(now);
    let mut indicators: Vec<(String, String)> = store::indicators_of(tx, report_id)
        .await?
        .into_iter()
        .map(|i| (i.kind, i.value))
        .collect();
    indicators.sort();
    indicators.dedup();
    let c = ValidCase {
        school_id,
        unit_id,
        unit_path: r.unit_path.clone(),
        victim_student_id: r.student_id,
        victim_staff_id: None,
        victim_role: role,
        victim_enroll_year: year,
        victim_major: major,
        victim_gender: gender,
        fraud_type,
        channel: case_channel(&r.sections),
        occurred_at: occurred,
        amount_lost: Money::from_cents(r.amount_cents.max(0)).unwrap_or_default(),
        amount_recovered: Money::default(),
        status: CaseStatus::Open,
        narrative: r.description.chars().take(4000).collect(),
        indicators,
        person_role: Default::default(),
        lent_account: None,
    };
    let account = by.actor.account_id.unwrap_or_default();
    let case_id = crate::cases::store::insert_case(tx, &c, Some(report_id), account, now).await?;
    let source = format!("case:{case_id}");
    for (kind, value) in &c.indicators {
        crate::intel::service::confirm(tx, clock, by, kind, value, &[fraud_type], &source).await?;
    }
    store::link_case(tx, report_id, case_id, now).await?;
    first_action(tx, report_id, now).await?;
    audit::record(
        &mut *tx,
        clock,
        &by.actor,
        Event {
            action: "reports.case",
            target_kind: "report",
            target_id: report_id.to_string(),
            unit_path: r.unit_path.clone(),
            detail: serde_json::json!({"case_id": case_id}),
        },
    )
    .await?;
    Ok(case_id)
}

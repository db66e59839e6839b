//! Rules of reports: filing (durable, idempotent, sightings in the indicator store), the
//! stop-payment request of a loss with its escalation job, police actions and triage. Every write
//! is one transaction; every decision is audited.

use crate::kernel::ids::{AccountId, ReportId, StudentId, UnitId};
use fanzha_detect::FraudType;
use serde::Serialize;
use sqlx::AnyConnection;

use super::model::{self, ReportInput, ReportStatus, StopStatus, TransactionSection, Valid};
use super::store;
use crate::audit::{self, Actor, Event};
use crate::clock::Clock;
use crate::db::jobs::{enqueue_with, NewJob};
use crate::db::DbError;
use crate::error::Msg;
use crate::i18n::Lang;
use crate::inbox::{self, Notice, Recipient};

/// The job that escalates an unanswered stop-payment request to the station leader.
pub const ESCALATE_JOB: &str = "reports.escalate";

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("invalid report: {0:?}")]
    Invalid(Vec<Msg>),
    #[error("not found")]
    NotFound,
    /// The caller may see the report but not do this to it.
    #[error("forbidden")]
    Forbidden,
    /// One problem with the request, in words (with its arguments).
    #[error("unprocessable: {0:?}")]
    Unprocessable(Msg),
    /// An evidence image larger than the configured limit.
    #[error("image too large")]
    ImageTooLarge { max_mib: usize },
    /// An evidence file that is not a JPEG, PNG or WebP image.
    #[error("image type")]
    ImageType,
    #[error(transparent)]
    Evidence(#[from] super::evidence_store::StoreError),
    #[error(transparent)]
    Auth(#[from] crate::auth::service::AuthError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<ReportError> for crate::error::AppError {
    fn from(e: ReportError) -> Self {
        use crate::error::AppError;
        use axum::http::StatusCode;
        match e {
            ReportError::Invalid(v) => AppError::unprocessable("reports-err-invalid").details(v),
            ReportError::NotFound => AppError::not_found(),
            ReportError::Forbidden => AppError::forbidden(),
            ReportError::Unprocessable(m) => {
                let mut e = AppError::unprocessable(&m.key);
                e.msg = m;
                e
            }
            ReportError::ImageTooLarge { max_mib } => {
                AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "reports-err-image-size")
                    .arg("max", max_mib)
            }
            ReportError::ImageType => {
                AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "reports-err-image-type")
            }
            ReportError::Evidence(e) => e.into(),
            ReportError::Auth(e) => e.into(),
            ReportError::Db(e) => e.into(),
        }
    }
}

impl From<sqlx::Error> for ReportError {
    fn from(e: sqlx::Error) -> Self {
        ReportError::Db(e.into())
    }
}

impl From<crate::intel::service::IntelError> for ReportError {
    fn from(e: crate::intel::service::IntelError) -> Self {
        use crate::intel::service::IntelError as E;
        match e {
            E::Invalid(v) => ReportError::Invalid(
                v.into_iter()
                    .map(|m| Msg::new("err-detail").arg("text", m))
                    .collect(),
            ),
            E::NotFound => ReportError::NotFound,
            E::Db(e) => ReportError::Db(e),
        }
    }
}

pub type ReportResult<T> = Result<T, ReportError>;

fn invalid(key: &str) -> ReportError {
    ReportError::Invalid(vec![Msg::new(key)])
}

/// Unique violations (a racing retry of the same key, or of the same new indicator) and write
/// conflicts (SQLite busy, PG serialization failure or deadlock) are worth another round.
pub fn retryable(e: &DbError) -> bool {
    if e.is_unique_violation() {
        return true;
    }
    let s = e.to_string().to_ascii_lowercase();
    s.contains("database is locked")
        || s.contains("busy")
        || s.contains("deadlock")
        || s.contains("could not serialize")
}

/// Deadlines of stop-payment requests.
#[derive(Clone, Copy, Debug)]
pub struct Deadlines {
    /// From the report to the deadline.
    pub deadline_ms: i64,
    /// Escalate this long before the deadline when nobody acted.
    pub escalate_before_ms: i64,
}

impl Deadlines {
    pub fn from_config(c: &crate::config::Config) -> Deadlines {
        Deadlines {
            deadline_ms: c.stop_payment_minutes.max(1) * 60_000,
            escalate_before_ms: c.stop_payment_escalate_minutes.max(0) * 60_000,
        }
    }
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            deadline_ms: 30 * 60_000,
            escalate_before_ms: 10 * 60_000,
        }
    }
}

/// Who files: the account, and the student it is (if any) with the unit the report belongs to.
#[derive(Clone, Debug)]
pub struct Reporter {
    pub account_id: AccountId,
    pub student_id: Option<StudentId>,
    pub school_id: Option<UnitId>,
    pub class_id: Option<UnitId>,
    /// Path of the student's class; for staff reporters the path of their first unit.
    pub unit_path: String,
}

/// A student's class path, class id and school, read in the caller's transaction.
pub async fn student_place(
    tx: &mut AnyConnection,
    student_id: StudentId,
) -> ReportResult<(String, UnitId, UnitId)> {
    store::student_place(tx, student_id)
        .await?
        .ok_or(ReportError::NotFound)
}

/// What filing returned.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Filed {
    pub report_id: ReportId,
    pub ref_no: String,
    pub stop_payment_id: Option<i64>,
    /// True when the idempotency key had been used: this is the report filed then.
    pub replayed: bool,
}

/// The report number people read out on the phone: FZ-<date>-<id>.
pub fn ref_no(id: ReportId, now: i64) -> String {
    let day = chrono::DateTime::from_timestamp_millis(now)
        .map(|d| {
            d.with_timezone(&chrono_tz::Asia::Shanghai)
                .format("%Y%m%d")
                .to_string()
        })
        .unwrap_or_default();
    format!("FZ-{day}-{id:06}")
}

async fn replay(
    tx: &mut AnyConnection,
    account: AccountId,
    key: &str,
) -> ReportResult<Option<Filed>> {
    Ok(store::report_by_key(tx, account, key)
        .await?
        .map(|(report_id, ref_no, stop_payment_id)| Filed {
            report_id,
            ref_no,
            stop_payment_id,
            replayed: true,
        }))
}

/// Files a validated report inside `tx` (the caller commits before answering). A key used
/// before by this reporter returns that report. Records a sighting of every indicator in the
/// indicator store; a loss creates the stop-payment request, tells the police of the student's
/// school and the counselor, and schedules the escalation.
pub async fn file(
    tx: &mut AnyConnection,
    clock: &Clock,
    actor: &Actor,
    reporter: &Reporter,
    key: &str,
    v: &Valid,
    deadlines: Deadlines,
) -> ReportResult<Filed> {
    let key = key.trim();
    let now = clock.now_ms();
    let sections = serde_json::to_string(&v.sections).map_err(|_| invalid("err-internal"))?;
    // The insert comes first: it is the statement that takes the write lock (SQLite waits for it
    // instead of failing a read-then-write upgrade), and a key already used answers nothing here
    // (on PostgreSQL after the racing transaction committed), so the report filed then is returned.
    let id = store::insert_report(
        tx,
        &store::NewReport {
            reporter_account_id: reporter.account_id,
            idempotency_key: key,
            student_id: reporter.student_id,
            school_id: reporter.school_id,
            unit_path: &reporter.unit_path,
            fraud_type: v.fraud_type.id(),
            has_loss: v.loss.is_some(),
            amount_cents: v.amount_cents,
            description: &v.description,
            sections: &sections,
            now,
        },
    )
    .await?;
    let Some(id) = id else {
        return replay(tx, reporter.account_id, key)
            .await?
            .ok_or(ReportError::NotFound);
    };
    let number = ref_no(id, now);
    store::set_ref_no(tx, id, &number).await?;
    let source = format!("report:{id}");
    let types = [v.fraud_type];
    insert_indicators(tx, &[(id, v)]).await?;
    let sightings: Vec<crate::intel::service::Sighting> = v
        .indicators
        .iter()
        .map(|i| crate::intel::service::Sighting {
            kind: &i.kind,
            value: &i.value,
            fraud_types: &types,
            source: &source,
        })
        .collect();
    crate::intel::service::record_sightings(tx, clock, &sightings).await?;
    let stop_payment_id = finish(tx, clock, reporter, id, &number, v, deadlines).await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "reports.file",
            target_kind: "report",
            target_id: id.to_string(),
            unit_path: reporter.unit_path.clone(),
            detail: serde_json::json!({"ref_no": number, "loss": v.loss.is_some(), "indicators": v.indicators.len()}),
        },
    )
    .await?;
    Ok(Filed {
        report_id: id,
        ref_no: number,
        stop_payment_id,
        replayed: false,
    })
}

/// The report rows of the channel indicators of new reports, in one multi-row statement per chunk.
pub(crate) async fn insert_indicators(
    tx: &mut AnyConnection,
    reports: &[(ReportId, &Valid)],
) -> ReportResult<()> {
    let rows: Vec<(ReportId, &model::ReportIndicator)> = reports
        .iter()
        .flat_map(|(id, v)| v.indicators.iter().map(move |i| (*id, i)))
        .collect();
    Ok(store::insert_indicators(tx, &rows).await?)
}

/// What follows the report row of a new report: the stop-payment request of a loss (with its
/// notices and escalation job), the counselor's notice and the follow-up of a report without a
/// loss. Returns the stop-payment id.
pub(crate) async fn finish(
    tx: &mut AnyConnection,
    clock: &Clock,
    reporter: &Reporter,
    id: ReportId,
    number: &str,
    v: &Valid,
    deadlines: Deadlines,
) -> ReportResult<Option<i64>> {
    let now = clock.now_ms();
    let mut stop_payment_id = None;
    if let Some(l) = &v.loss {
        let deadline = now + deadlines.deadline_ms;
        let sp = store::insert_stop_payment(
            tx,
            &store::NewStopPayment {
                report_id: id,
                payee_kind: &l.payee_kind,
                payee_account: &l.payee_account,
                bank: &l.bank,
                amount_cents: l.amount_cents,
                transfer_at: l.transfer_at,
                deadline_at: deadline,
                now,
            },
        )
        .await?;
        stop_payment_id = Some(sp);
        enqueue_with(
            &mut *tx,
            clock,
            NewJob::new(ESCALATE_JOB, serde_json::json!({"stop_payment_id": sp}))
                .dedup(format!("{ESCALATE_JOB}:{sp}"))
                .run_at((deadline - deadlines.escalate_before_ms).max(now)),
        )
        .await?;
        let title = Msg::new("reports-notice-sp-new-title").arg("ref", number);
        let body = Msg::new("reports-notice-sp-new-body")
            .arg("amount", cents_str(l.amount_cents))
            .arg("bank", &l.bank)
            .arg("account", &l.payee_account)
            .arg("minutes", deadlines.deadline_ms / 60_000);
        if let Some(school) = reporter.school_id {
            for acc in store::police_of_school(tx, school).await? {
                notify_in_lang(
                    tx,
                    clock,
                    &Recipient::Account(acc),
                    "stop_payment",
                    &title,
                    Some(&body),
                    None,
                    format!("/reports/{id}"),
                    Some(&format!("stop_payment:{sp}:new")),
                )
                .await?;
            }
        }
    }
    if let Some(class) = reporter.class_id {
        let counselors = store::counselors_of_class(tx, class).await?;
        let title = Msg::new("reports-notice-counselor-title").arg("ref", number);
        let body = Msg::new(if v.loss.is_some() {
            "reports-notice-counselor-loss"
        } else {
            "reports-notice-counselor-body"
        });
        for c in counselors {
            notify_in_lang(
                tx,
                clock,
                &Recipient::Staff(c),
                "report",
                &title,
                Some(&body),
                None,
                format!("/reports/{id}"),
                Some(&format!("report:{id}:counselor")),
            )
            .await?;
        }
    }
    // A report without a loss still means a student was targeted: their counselor follows up
    // (a loss has the stop-payment path and its own notices instead).
    if let (None, Some(student_id)) = (&v.loss, reporter.student_id) {
        crate::warnings::service::followup_once(
            tx,
            clock,
            student_id,
            v.fraud_type.id(),
            "report",
            &format!("report:{id} {number}"),
        )
        .await
        .map_err(|e| match e {
            crate::warnings::service::WarnError::Db(e) => ReportError::Db(e),
            other => ReportError::Db(DbError::Config(other.to_string())),
        })?;
    }
    Ok(stop_payment_id)
}

/// The language of an inbox recipient: the locale of their account (for staff and students the
/// first account linked to them), zh-CN when they have none.
pub async fn lang_of(tx: &mut AnyConnection, to: &Recipient) -> ReportResult<Lang> {
    let locale = store::locale_of(tx, to).await?;
    Ok(locale.map(|l| Lang::from_code(&l)).unwrap_or_default())
}

/// An inbox notice written in the recipient's language (Fluent messages `reports-notice-*`).
/// `body` is `None` for a notice without text of its own (a reply carries the officer's text
/// instead, see [`triage`]).
#[allow(clippy::too_many_arguments)]
async fn notify_in_lang(
    tx: &mut AnyConnection,
    clock: &Clock,
    to: &Recipient,
    kind: &str,
    title: &Msg,
    body: Option<&Msg>,
    raw_body: Option<&str>,
    link: String,
    source: Option<&str>,
) -> ReportResult<Option<i64>> {
    let lang = lang_of(tx, to).await?;
    let notice = Notice {
        kind: kind.into(),
        title: title.render(lang),
        body: match (body, raw_body) {
            (Some(b), _) => b.render(lang),
            (None, Some(r)) => r.to_string(),
            (None, None) => String::new(),
        },
        link: Some(link),
    };
    Ok(inbox::notify_once(&mut *tx, clock, to, &notice, source).await?)
}

pub use crate::kernel::money::yuan_plain as cents_str;

mod actions;
mod stop_payment;
mod triage;

pub use actions::*;
pub use stop_payment::*;
pub use triage::*;

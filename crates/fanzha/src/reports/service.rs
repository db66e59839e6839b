//! Rules of reports: filing (durable, idempotent, sightings in the indicator store), the
//! stop-payment request of a loss with its escalation job, police actions and triage. Every write
//! is one transaction; every decision is audited.

use fanzha_detect::FraudType;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

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
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<ReportError> for crate::error::AppError {
    fn from(e: ReportError) -> Self {
        use crate::error::AppError;
        match e {
            ReportError::Invalid(v) => AppError::unprocessable("reports-err-invalid").details(v),
            ReportError::NotFound => AppError::not_found(),
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
    pub account_id: i64,
    pub student_id: Option<i64>,
    pub school_id: Option<i64>,
    pub class_id: Option<i64>,
    /// Path of the student's class; for staff reporters the path of their first unit.
    pub unit_path: String,
}

/// A student's class path, class id and school, read in the caller's transaction.
pub async fn student_place(
    tx: &mut AnyConnection,
    student_id: i64,
) -> ReportResult<(String, i64, i64)> {
    let row = sqlx::query(
        "SELECT u.path, s.class_id, s.school_id FROM students s JOIN units u ON u.id = s.class_id WHERE s.id = $1",
    )
    .bind(student_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ReportError::NotFound)?;
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
}

/// What filing returned.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Filed {
    pub report_id: i64,
    pub ref_no: String,
    pub stop_payment_id: Option<i64>,
    /// True when the idempotency key had been used: this is the report filed then.
    pub replayed: bool,
}

/// The report number people read out on the phone: FZ-<date>-<id>.
pub fn ref_no(id: i64, now: i64) -> String {
    let day = chrono::DateTime::from_timestamp_millis(now)
        .map(|d| {
            d.with_timezone(&chrono_tz::Asia::Shanghai)
                .format("%Y%m%d")
                .to_string()
        })
        .unwrap_or_default();
    format!("FZ-{day}-{id:06}")
}

async fn replay(tx: &mut AnyConnection, account: i64, key: &str) -> ReportResult<Option<Filed>> {
    let row = sqlx::query(
        "SELECT r.id, r.ref_no, sp.id FROM reports r LEFT JOIN stop_payments sp ON sp.report_id = r.id \
         WHERE r.reporter_account_id = $1 AND r.idempotency_key = $2",
    )
    .bind(account)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(match row {
        None => None,
        Some(r) => Some(Filed {
            report_id: r.try_get(0)?,
            ref_no: r.try_get(1)?,
            stop_payment_id: r.try_get(2)?,
            replayed: true,
        }),
    })
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
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO reports (ref_no, reporter_account_id, idempotency_key, student_id, school_id, unit_path, fraud_type, \
         has_loss, amount_cents, description, sections, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'new', $12, $12) \
         ON CONFLICT (reporter_account_id, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(format!("pending-{}", uuid::Uuid::new_v4().simple()))
    .bind(reporter.account_id)
    .bind(key)
    .bind(reporter.student_id)
    .bind(reporter.school_id)
    .bind(&reporter.unit_path)
    .bind(v.fraud_type.id())
    .bind(i64::from(v.loss.is_some()))
    .bind(v.amount_cents)
    .bind(&v.description)
    .bind(&sections)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return replay(tx, reporter.account_id, key)
            .await?
            .ok_or(ReportError::NotFound);
    };
    let number = ref_no(id, now);
    sqlx::query("UPDATE reports SET ref_no = $1 WHERE id = $2")
        .bind(&number)
        .bind(id)
        .execute(&mut *tx)
        .await?;
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
    reports: &[(i64, &Valid)],
) -> ReportResult<()> {
    let backend = if tx.backend_name() == "PostgreSQL" {
        crate::db::Backend::Postgres
    } else {
        crate::db::Backend::Sqlite
    };
    let rows: Vec<(i64, &model::ReportIndicator)> = reports
        .iter()
        .flat_map(|(id, v)| v.indicators.iter().map(move |i| (*id, i)))
        .collect();
    for chunk in rows.chunks(500) {
        let sql = format!(
            "INSERT INTO report_indicators (report_id, kind, value, section) VALUES {}",
            crate::db::values_rows(chunk.len(), 4, 1)
        );
        let sql = crate::db::bulk_sql(backend, &sql);
        let mut q = sqlx::query(&sql);
        for (id, i) in chunk {
            q = q.bind(*id).bind(&i.kind).bind(&i.value).bind(&i.section);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// What follows the report row of a new report: the stop-payment request of a loss (with its
/// notices and escalation job), the counselor's notice and the follow-up of a report without a
/// loss. Returns the stop-payment id.
pub(crate) async fn finish(
    tx: &mut AnyConnection,
    clock: &Clock,
    reporter: &Reporter,
    id: i64,
    number: &str,
    v: &Valid,
    deadlines: Deadlines,
) -> ReportResult<Option<i64>> {
    let now = clock.now_ms();
    let mut stop_payment_id = None;
    if let Some(l) = &v.loss {
        let deadline = now + deadlines.deadline_ms;
        let sp: i64 = sqlx::query_scalar(
            "INSERT INTO stop_payments (report_id, payee_kind, payee_account, bank, amount_cents, transfer_at, deadline_at, \
             status, frozen_cents, reason, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', 0, '', $8, $8) RETURNING id",
        )
        .bind(id)
        .bind(&l.payee_kind)
        .bind(&l.payee_account)
        .bind(&l.bank)
        .bind(l.amount_cents)
        .bind(l.transfer_at)
        .bind(deadline)
        .bind(now)
        .fetch_one(&mut *tx)
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
            for acc in police_of_school(tx, school).await? {
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
        let counselors: Vec<i64> = sqlx::query_scalar(
            "SELECT staff_id FROM responsibilities WHERE unit_id = $1 AND duty = 'counselor'",
        )
        .bind(class)
        .fetch_all(&mut *tx)
        .await?;
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
    let (sql, id) = match to {
        Recipient::Account(id) => ("SELECT locale FROM accounts WHERE id = $1", *id),
        Recipient::Staff(id) => (
            "SELECT locale FROM accounts WHERE staff_id = $1 ORDER BY id LIMIT 1",
            *id,
        ),
        Recipient::Student(id) => (
            "SELECT locale FROM accounts WHERE student_id = $1 ORDER BY id LIMIT 1",
            *id,
        ),
    };
    let locale: Option<String> = sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
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

/// Police accounts of the stations whose jurisdiction has this school.
async fn police_of_school(tx: &mut AnyConnection, school_id: i64) -> ReportResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT ra.account_id FROM role_assignments ra JOIN jurisdictions j ON j.station_id = ra.unit_id \
         WHERE j.school_id = $1 AND ra.role = 'police' ORDER BY ra.account_id",
    )
    .bind(school_id)
    .fetch_all(&mut *tx)
    .await?)
}

pub use crate::kernel::money::yuan_plain as cents_str;

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
    student_id: i64,
    input: LossInput,
) -> ReportResult<(i64, i64)> {
    let (path, class_id, school_id) = student_place(tx, student_id).await?;
    let account: Option<i64> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE student_id = $1 ORDER BY id LIMIT 1")
            .bind(student_id)
            .fetch_optional(&mut *tx)
            .await?;
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
    let action_id: i64 = sqlx::query_scalar(
        "INSERT INTO stop_payment_actions (stop_payment_id, account_id, action, frozen_cents, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(sp_id)
    .bind(actor.account_id.unwrap_or_default())
    .bind(action.id())
    .bind(frozen)
    .bind(match action {
        SpAction::Failed(r) => r.as_str(),
        _ => "",
    })
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE stop_payments SET status = $1, frozen_cents = $2, reason = $3, first_action_at = COALESCE(first_action_at, $4), updated_at = $4 WHERE id = $5",
    )
    .bind(status.as_str())
    .bind(frozen)
    .bind(&reason)
    .bind(now)
    .bind(sp_id)
    .execute(&mut *tx)
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

async fn first_action(tx: &mut AnyConnection, report_id: i64, now: i64) -> ReportResult<()> {
    sqlx::query("UPDATE reports SET first_action_at = COALESCE(first_action_at, $1), updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(report_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
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
        let stations: Vec<i64> = sqlx::query_scalar(
            "SELECT station_id FROM jurisdictions WHERE school_id = $1 ORDER BY station_id",
        )
        .bind(school)
        .fetch_all(&mut *tx)
        .await?;
        for st in stations {
            let leaders: Vec<i64> = sqlx::query_scalar(
                "SELECT staff_id FROM responsibilities WHERE unit_id = $1 AND duty = 'station_leader' ORDER BY staff_id",
            )
            .bind(st)
            .fetch_all(&mut *tx)
            .await?;
            let recipients: Vec<Recipient> = if leaders.is_empty() {
                let accs: Vec<i64> = sqlx::query_scalar(
                    "SELECT account_id FROM role_assignments WHERE unit_id = $1 AND role = 'police' ORDER BY account_id",
                )
                .bind(st)
                .fetch_all(&mut *tx)
                .await?;
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
    sqlx::query("UPDATE stop_payments SET escalated_at = $1, updated_at = $1 WHERE id = $2 AND escalated_at IS NULL")
        .bind(now)
        .bind(sp_id)
        .execute(&mut *tx)
        .await?;
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

/// A police decision on a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Triage {
    /// The report is fraud: its indicators become confirmed in the indicator store.
    Confirm,
    NotFraud,
    /// Merge into another report (same scam, same victim or same cluster).
    Merge(i64),
    /// Assign to a police officer's account.
    Assign(i64),
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
    report_id: i64,
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
            sqlx::query("UPDATE reports SET status = 'merged', merged_into = $1, updated_at = $2 WHERE id = $3")
                .bind(into)
                .bind(now)
                .bind(report_id)
                .execute(&mut *tx)
                .await?;
            detail = serde_json::json!({"into": into});
        }
        Triage::Assign(officer) => {
            let police: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM role_assignments WHERE account_id = $1 AND role = 'police'",
            )
            .bind(officer)
            .fetch_one(&mut *tx)
            .await?;
            if police == 0 {
                return Err(invalid("reports-err-assign"));
            }
            sqlx::query("UPDATE reports SET assigned_to = $1, updated_at = $2 WHERE id = $3")
                .bind(officer)
                .bind(now)
                .bind(report_id)
                .execute(&mut *tx)
                .await?;
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
    id: i64,
    status: ReportStatus,
    now: i64,
) -> ReportResult<()> {
    sqlx::query("UPDATE reports SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
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
    report_id: i64,
) -> ReportResult<i64> {
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
            let row = sqlx::query(
                "SELECT class_id, enrollment_year, major, gender FROM students WHERE id = $1",
            )
            .bind(s)
            .fetch_one(&mut *tx)
            .await?;
            let gender: String = row.try_get(3)?;
            (
                row.try_get::<i64, _>(0)?,
                VictimRole::Student,
                Some(row.try_get::<i64, _>(1)?),
                Some(row.try_get::<String, _>(2)?).filter(|m| !m.is_empty()),
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
    sqlx::query(
        "UPDATE reports SET case_id = $1, status = 'case_opened', updated_at = $2 WHERE id = $3",
    )
    .bind(case_id)
    .bind(now)
    .bind(report_id)
    .execute(&mut *tx)
    .await?;
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

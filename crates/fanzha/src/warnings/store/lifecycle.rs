//! SQL of a warning's life: writing it (one, or a batch already routed), routing it to a student,
//! the escalation's compare-and-set, the acts of the responsible person, and the events and
//! lookups these need inside the service's transaction.

use crate::kernel::ids::{AccountId, StudentId, UnitId, WarningId};
use sqlx::{AnyConnection, Row};

use super::super::model::*;
use super::{returning_cols, warning_from};
use crate::clock::Millis;
use crate::db::{Backend, DbResult};
use crate::inbox::Recipient;

pub use crate::org::store::lookups::{unit_ref_by_code as unit_by_code, UnitRef};

/// The locale of a recipient's account (for staff and students the first account linked to
/// them), if they have one.
pub async fn locale_of(c: &mut AnyConnection, to: &Recipient) -> DbResult<Option<String>> {
    use crate::auth::store::lookups::{locale_of, AccountOf};
    let who = match to {
        Recipient::Account(id) => AccountOf::Account(*id),
        Recipient::Staff(id) => AccountOf::Staff(*id),
        Recipient::Student(id) => AccountOf::Student(*id),
    };
    locale_of(c, who).await
}

/// Who writes a warning: `police`, `partner` or `internal`, the account and its unit path.
#[derive(Clone, Copy, Debug)]
pub struct IssuedBy<'a> {
    pub kind: &'a str,
    pub account_id: Option<AccountId>,
    pub home_path: &'a str,
}

/// Writes a new warning, unidentified (no student yet), held at `unit_path`.
pub async fn insert_unidentified(
    c: &mut AnyConnection,
    by: IssuedBy<'_>,
    nw: &NewWarning,
    school_id: Option<UnitId>,
    unit_path: &str,
    now: Millis,
) -> DbResult<Warning> {
    let row = sqlx::query(&format!(
        "INSERT INTO warnings (source_kind, origin, issued_by_account_id, issuer_unit_path, idempotency_key, \
         student_id, school_id, unit_path, phone, student_no, fraud_type, severity, status, detail, level, \
         ack_window_ms, contact_window_ms, escalations, created_at, updated_at, kind) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'unidentified', $13, 0, 0, 0, 0, $14, $14, $15) RETURNING {}",
        returning_cols()
    ))
    .bind(by.kind)
    .bind(&nw.origin)
    .bind(by.account_id)
    .bind(by.home_path)
    .bind(nw.idempotency_key.as_deref())
    .bind(None::<i64>)
    .bind(school_id)
    .bind(unit_path)
    .bind(nw.subject.phone.as_ref().map(|p| p.as_str().to_string()))
    .bind(nw.subject.student_no.as_ref().map(|p| p.as_str().to_string()))
    .bind(nw.fraud_type.id())
    .bind(nw.severity.as_str())
    .bind(&nw.detail)
    .bind(now)
    .bind(nw.kind.as_str())
    .fetch_one(&mut *c)
    .await?;
    Ok(warning_from(&row)?)
}

/// Where and to whom a warning is routed, with both clocks.
#[derive(Clone, Debug)]
pub struct Routing {
    pub student_id: StudentId,
    pub school_id: UnitId,
    pub unit_path: String,
    pub level: i64,
    pub assignee: Option<i64>,
    pub win: Windows,
    pub now: Millis,
}

impl Routing {
    pub fn ack_due(&self) -> Millis {
        self.now + self.win.ack_ms
    }
    pub fn contact_due(&self) -> Millis {
        self.now + self.win.contact_ms
    }
}

/// Routes a written warning: the student, the level and the responsible person, both clocks
/// started `now` (the acknowledgement's is the next deadline).
pub async fn route_to(c: &mut AnyConnection, id: WarningId, r: &Routing) -> DbResult<Warning> {
    let row = sqlx::query(&format!(
        "UPDATE warnings SET student_id = $2, school_id = $3, unit_path = $4, status = 'open', level = $5, \
         assignee_staff_id = $6, ack_window_ms = $7, contact_window_ms = $8, routed_at = $9, ack_due_at = $10, \
         contact_due_at = $11, next_deadline_at = $10, next_deadline_kind = 'ack', updated_at = $9 WHERE id = $1 RETURNING {}",
        returning_cols()
    ))
    .bind(id)
    .bind(r.student_id)
    .bind(r.school_id)
    .bind(&r.unit_path)
    .bind(r.level)
    .bind(r.assignee)
    .bind(r.win.ack_ms)
    .bind(r.win.contact_ms)
    .bind(r.now)
    .bind(r.ack_due())
    .bind(r.contact_due())
    .fetch_one(&mut *c)
    .await?;
    Ok(warning_from(&row)?)
}

/// Columns of one warning of a batch written already routed.
const ROUTED_COLS: usize = 25;

/// Writes warnings of a batch already routed, with one multi-row INSERT; returns them in the
/// order of their ids (which is the order of `rows`).
pub async fn insert_routed(
    c: &mut AnyConnection,
    backend: Backend,
    by: IssuedBy<'_>,
    rows: &[(&NewWarning, Routing)],
) -> DbResult<Vec<Warning>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "INSERT INTO warnings (source_kind, origin, issued_by_account_id, issuer_unit_path, student_id, school_id, \
         unit_path, phone, student_no, fraud_type, severity, detail, level, assignee_staff_id, ack_window_ms, \
         contact_window_ms, routed_at, ack_due_at, contact_due_at, next_deadline_at, created_at, updated_at, \
         status, next_deadline_kind, escalations) VALUES {} RETURNING {}",
        crate::db::values_rows(rows.len(), ROUTED_COLS, 1),
        returning_cols()
    );
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql);
    for (nw, r) in rows {
        q = q
            .bind(by.kind)
            .bind(nw.origin.clone())
            .bind(by.account_id)
            .bind(by.home_path)
            .bind(r.student_id)
            .bind(r.school_id)
            .bind(r.unit_path.clone())
            .bind(nw.subject.phone.as_ref().map(|x| x.as_str().to_string()))
            .bind(
                nw.subject
                    .student_no
                    .as_ref()
                    .map(|x| x.as_str().to_string()),
            )
            .bind(nw.fraud_type.id())
            .bind(nw.severity.as_str())
            .bind(nw.detail.clone())
            .bind(r.level)
            .bind(r.assignee)
            .bind(r.win.ack_ms)
            .bind(r.win.contact_ms)
            .bind(r.now)
            .bind(r.ack_due())
            .bind(r.contact_due())
            .bind(r.ack_due())
            .bind(r.now)
            .bind(r.now)
            .bind(Status::Open.as_str())
            .bind("ack")
            .bind(0i64);
    }
    let rows = q.fetch_all(&mut *c).await?;
    let mut ws = rows
        .iter()
        .map(warning_from)
        .collect::<Result<Vec<_>, _>>()?;
    // Ids are given in the order of the VALUES; RETURNING's order is not promised, the ids' is.
    ws.sort_by_key(|w| w.id);
    Ok(ws)
}

/// Holds an unmatched warning in a school's identification queue.
pub async fn hold_at_school(
    c: &mut AnyConnection,
    id: WarningId,
    school_id: UnitId,
    school_path: &str,
    now: Millis,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE warnings SET school_id = $2, unit_path = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(school_id)
    .bind(school_path)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The internal warning this origin raised about this student since `since`, if any.
pub async fn recent_internal(
    c: &mut AnyConnection,
    student_id: StudentId,
    origin: &str,
    since: Millis,
) -> DbResult<Option<WarningId>> {
    let r = sqlx::query(
        "SELECT id FROM warnings WHERE student_id = $1 AND source_kind = 'internal' \
         AND origin = $2 AND created_at > $3 LIMIT 1",
    )
    .bind(student_id)
    .bind(origin)
    .bind(since)
    .fetch_optional(&mut *c)
    .await?;
    Ok(match r {
        Some(r) => Some(r.try_get("id")?),
        None => None,
    })
}

/// An event buffered by a batch (the columns of `warning_events`).
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub warning_id: WarningId,
    pub at: Millis,
    pub kind: String,
    pub actor_account_id: Option<AccountId>,
    pub actor: String,
    pub level: i64,
    pub staff_id: Option<i64>,
    pub dedup: String,
    pub detail: String,
}

/// Writes buffered events, 400 rows per statement; an event already written (same dedup) is
/// skipped.
pub async fn insert_events(
    c: &mut AnyConnection,
    backend: Backend,
    events: &[NewEvent],
) -> DbResult<()> {
    for chunk in events.chunks(400) {
        let sql = format!(
            "INSERT INTO warning_events (warning_id, at, kind, actor_account_id, actor, level, staff_id, dedup, detail) \
             VALUES {} ON CONFLICT (warning_id, dedup) DO NOTHING",
            crate::db::values_rows(chunk.len(), 9, 1)
        );
        let sql = crate::db::bulk_sql(backend, &sql);
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q
                .bind(e.warning_id)
                .bind(e.at)
                .bind(e.kind.clone())
                .bind(e.actor_account_id)
                .bind(e.actor.clone())
                .bind(e.level)
                .bind(e.staff_id)
                .bind(e.dedup.clone())
                .bind(e.detail.clone());
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// Clears a deadline of no known kind (compare-and-set on it), so the scan moves on.
pub async fn clear_deadline(
    c: &mut AnyConnection,
    id: WarningId,
    deadline: Millis,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE warnings SET next_deadline_at = NULL WHERE id = $1 AND next_deadline_at = $2",
    )
    .bind(id)
    .bind(deadline)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The acknowledgement and contact windows a warning was routed with.
pub async fn windows_of(c: &mut AnyConnection, id: WarningId) -> DbResult<Windows> {
    let r = sqlx::query("SELECT ack_window_ms, contact_window_ms FROM warnings WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *c)
        .await?;
    Ok(super::windows_from(&r)?)
}

/// One escalation of a missed deadline.
#[derive(Clone, Debug)]
pub struct Escalation {
    pub id: WarningId,
    /// The deadline handled (the compare-and-set's expected value).
    pub deadline: Millis,
    pub level: i64,
    pub next: Option<Millis>,
    pub next_kind: Option<String>,
    pub ack_due: Option<Millis>,
    pub contact_due: Option<Millis>,
    /// 1, or 0 at the top of the chain.
    pub counted: i64,
    pub assignee: Option<i64>,
    pub now: Millis,
}

/// Applies an escalation as a compare-and-set on the deadline it handles; true when this call
/// changed the warning (a second scan finds nothing to do).
pub async fn escalate(c: &mut AnyConnection, e: &Escalation) -> DbResult<bool> {
    let changed = sqlx::query(
        "UPDATE warnings SET level = $3, next_deadline_at = $4, next_deadline_kind = $5, ack_due_at = $6, \
         contact_due_at = $7, escalations = escalations + $8, \
         assignee_staff_id = COALESCE($9, assignee_staff_id), updated_at = $10 \
         WHERE id = $1 AND next_deadline_at = $2",
    )
    .bind(e.id)
    .bind(e.deadline)
    .bind(e.level)
    .bind(e.next)
    .bind(e.next_kind.clone())
    .bind(e.ack_due)
    .bind(e.contact_due)
    .bind(e.counted)
    .bind(e.assignee)
    .bind(e.now)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Records the acknowledgement; the contact deadline (when still pending) becomes the next one.
pub async fn acknowledge(
    c: &mut AnyConnection,
    id: WarningId,
    now: Millis,
    by: AccountId,
    next_deadline: Option<Millis>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE warnings SET status = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3, \
         next_deadline_at = $4, next_deadline_kind = $5, updated_at = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .bind(by)
    .bind(next_deadline)
    .bind(next_deadline.map(|_| "contact"))
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Records the contact with the student (acknowledging it too when that was skipped).
pub async fn record_contact(
    c: &mut AnyConnection,
    id: WarningId,
    at: Millis,
    method: ContactMethod,
    by: AccountId,
    now: Millis,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE warnings SET status = 'contacted', contacted_at = $2, contact_method = $3, \
         acknowledged_at = COALESCE(acknowledged_at, $2), acknowledged_by = COALESCE(acknowledged_by, $4), \
         next_deadline_at = NULL, next_deadline_kind = NULL, updated_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(at)
    .bind(method.as_str())
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Closes a warning with its outcome (once: a closed warning is left as it is).
pub async fn close(
    c: &mut AnyConnection,
    id: WarningId,
    outcome: Outcome,
    now: Millis,
    loss: Option<Money>,
    protected: Option<Money>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE warnings SET status = 'closed', outcome = $2, outcome_at = $3, loss_cents = $4, \
         protected_cents = $5, next_deadline_at = NULL, next_deadline_kind = NULL, updated_at = $3 \
         WHERE id = $1 AND status <> 'closed'",
    )
    .bind(id)
    .bind(outcome.as_str())
    .bind(now)
    .bind(loss.map(Money::cents))
    .bind(protected.map(Money::cents))
    .execute(&mut *c)
    .await?;
    Ok(())
}

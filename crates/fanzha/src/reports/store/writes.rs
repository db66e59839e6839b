//! The writes of reports: filing (the report row, its number, its indicators), stop-payment
//! requests and their actions, escalation, and the police's triage steps. Run inside the
//! caller's transaction.

use crate::kernel::ids::{AccountId, CaseId, ReportId, StudentId, UnitId};
use sqlx::{AnyConnection, Row};

use crate::db::DbResult;
use crate::reports::model::ReportIndicator;

/// A report row as filed.
pub struct NewReport<'a> {
    pub reporter_account_id: AccountId,
    pub idempotency_key: &'a str,
    pub student_id: Option<StudentId>,
    pub school_id: Option<UnitId>,
    pub unit_path: &'a str,
    pub fraud_type: &'a str,
    pub has_loss: bool,
    pub amount_cents: i64,
    pub description: &'a str,
    /// The sections as JSON.
    pub sections: &'a str,
    pub now: i64,
}

/// Inserts a new report with a provisional number; its id, or `None` when this reporter used
/// the idempotency key before (nothing is written then).
pub async fn insert_report(
    tx: &mut AnyConnection,
    r: &NewReport<'_>,
) -> DbResult<Option<ReportId>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO reports (ref_no, reporter_account_id, idempotency_key, student_id, school_id, unit_path, fraud_type, \
         has_loss, amount_cents, description, sections, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'new', $12, $12) \
         ON CONFLICT (reporter_account_id, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(format!("pending-{}", uuid::Uuid::new_v4().simple()))
    .bind(r.reporter_account_id)
    .bind(r.idempotency_key)
    .bind(r.student_id)
    .bind(r.school_id)
    .bind(r.unit_path)
    .bind(r.fraud_type)
    .bind(i64::from(r.has_loss))
    .bind(r.amount_cents)
    .bind(r.description)
    .bind(r.sections)
    .bind(r.now)
    .fetch_optional(&mut *tx)
    .await?)
}

/// The report a reporter filed with an idempotency key: (id, number, stop-payment id).
pub async fn report_by_key(
    tx: &mut AnyConnection,
    account: AccountId,
    key: &str,
) -> DbResult<Option<(ReportId, String, Option<i64>)>> {
    let Some(r) = sqlx::query(
        "SELECT r.id AS report_id, r.ref_no AS ref_no, sp.id AS stop_payment_id FROM reports r LEFT JOIN stop_payments sp ON sp.report_id = r.id \
         WHERE r.reporter_account_id = $1 AND r.idempotency_key = $2",
    )
    .bind(account)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some((
        r.try_get("report_id")?,
        r.try_get("ref_no")?,
        r.try_get("stop_payment_id")?,
    )))
}

/// Gives a new report its number.
pub async fn set_ref_no(tx: &mut AnyConnection, id: ReportId, ref_no: &str) -> DbResult<()> {
    sqlx::query("UPDATE reports SET ref_no = $1 WHERE id = $2")
        .bind(ref_no)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The report rows of channel indicators (report id, indicator), in one multi-row statement per
/// chunk.
pub async fn insert_indicators(
    tx: &mut AnyConnection,
    rows: &[(ReportId, &ReportIndicator)],
) -> DbResult<()> {
    let backend = if tx.backend_name() == "PostgreSQL" {
        crate::db::Backend::Postgres
    } else {
        crate::db::Backend::Sqlite
    };
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

/// A stop-payment request as created.
pub struct NewStopPayment<'a> {
    pub report_id: ReportId,
    pub payee_kind: &'a str,
    pub payee_account: &'a str,
    pub bank: &'a str,
    pub amount_cents: i64,
    pub transfer_at: i64,
    pub deadline_at: i64,
    pub now: i64,
}

/// Inserts an open stop-payment request; its id.
pub async fn insert_stop_payment(tx: &mut AnyConnection, s: &NewStopPayment<'_>) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO stop_payments (report_id, payee_kind, payee_account, bank, amount_cents, transfer_at, deadline_at, \
         status, frozen_cents, reason, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', 0, '', $8, $8) RETURNING id",
    )
    .bind(s.report_id)
    .bind(s.payee_kind)
    .bind(s.payee_account)
    .bind(s.bank)
    .bind(s.amount_cents)
    .bind(s.transfer_at)
    .bind(s.deadline_at)
    .bind(s.now)
    .fetch_one(&mut *tx)
    .await?)
}

/// Records an action on a stop-payment request and moves the request to its outcome; the
/// action's id.
#[allow(clippy::too_many_arguments)]
pub async fn record_stop_action(
    tx: &mut AnyConnection,
    sp_id: i64,
    account_id: AccountId,
    action: &str,
    action_reason: &str,
    status: &str,
    frozen_cents: i64,
    reason: &str,
    now: i64,
) -> DbResult<i64> {
    let action_id: i64 = sqlx::query_scalar(
        "INSERT INTO stop_payment_actions (stop_payment_id, account_id, action, frozen_cents, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(sp_id)
    .bind(account_id)
    .bind(action)
    .bind(frozen_cents)
    .bind(action_reason)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE stop_payments SET status = $1, frozen_cents = $2, reason = $3, first_action_at = COALESCE(first_action_at, $4), updated_at = $4 WHERE id = $5",
    )
    .bind(status)
    .bind(frozen_cents)
    .bind(reason)
    .bind(now)
    .bind(sp_id)
    .execute(&mut *tx)
    .await?;
    Ok(action_id)
}

/// Stamps the first action on a report (kept when there was one).
pub async fn first_action(tx: &mut AnyConnection, report_id: ReportId, now: i64) -> DbResult<()> {
    sqlx::query("UPDATE reports SET first_action_at = COALESCE(first_action_at, $1), updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(report_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Marks a stop-payment request escalated (once).
pub async fn mark_escalated(tx: &mut AnyConnection, sp_id: i64, now: i64) -> DbResult<()> {
    sqlx::query("UPDATE stop_payments SET escalated_at = $1, updated_at = $1 WHERE id = $2 AND escalated_at IS NULL")
        .bind(now)
        .bind(sp_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Sets the status of a report.
pub async fn set_report_status(
    tx: &mut AnyConnection,
    id: ReportId,
    status: &str,
    now: i64,
) -> DbResult<()> {
    sqlx::query("UPDATE reports SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Merges report `id` into report `into`.
pub async fn merge_report(
    tx: &mut AnyConnection,
    id: ReportId,
    into: ReportId,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE reports SET status = 'merged', merged_into = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(into)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Assigns a report to an officer.
pub async fn assign_report(
    tx: &mut AnyConnection,
    id: ReportId,
    officer: AccountId,
    now: i64,
) -> DbResult<()> {
    sqlx::query("UPDATE reports SET assigned_to = $1, updated_at = $2 WHERE id = $3")
        .bind(officer)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Links a report to the case opened from it.
pub async fn link_case(
    tx: &mut AnyConnection,
    id: ReportId,
    case_id: CaseId,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE reports SET case_id = $1, status = 'case_opened', updated_at = $2 WHERE id = $3",
    )
    .bind(case_id)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// How many evidence images a report has.
pub async fn evidence_count(tx: &mut AnyConnection, report_id: ReportId) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM report_evidence WHERE report_id = $1")
            .bind(report_id)
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// Records a stored evidence image of a report; its id.
pub async fn insert_evidence(
    tx: &mut AnyConnection,
    report_id: ReportId,
    media_type: &str,
    file_name: &str,
    bytes: i64,
    sha256: &str,
    now: i64,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO report_evidence (report_id, media_type, file_name, bytes, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(report_id)
    .bind(media_type)
    .bind(file_name)
    .bind(bytes)
    .bind(sha256)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?)
}

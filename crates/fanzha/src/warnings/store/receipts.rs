//! SQL of partners' receipts: what a partner system is answered when it sends a warning, and the
//! payload the intake job matches later.

use crate::kernel::ids::{AccountId, WarningId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::super::model::*;
use crate::clock::Millis;
use crate::db::DbResult;

const RECEIPT_COLS: &str = "r.warning_id, r.reference, r.received_at, r.status";

fn receipt_from(r: &AnyRow) -> DbResult<Receipt> {
    let status: String = r.try_get("status")?;
    Ok(Receipt {
        id: r.try_get("warning_id")?,
        reference: r.try_get("reference")?,
        received_at: r.try_get("received_at")?,
        status: ReceiptStatus::parse(&status).ok_or_else(|| {
            crate::db::DbError::Config(format!("unknown receipt status `{status}`"))
        })?,
    })
}

/// A partner's receipt by the idempotency key of its warning.
pub async fn receipt_by_key(
    c: &mut AnyConnection,
    account_id: AccountId,
    key: &str,
) -> DbResult<Option<Receipt>> {
    let r = sqlx::query(&format!(
        "SELECT {RECEIPT_COLS} FROM warning_receipts r JOIN warnings w ON w.id = r.warning_id \
         WHERE w.issued_by_account_id = $1 AND w.idempotency_key = $2 AND r.account_id = $1"
    ))
    .bind(account_id)
    .bind(key)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(receipt_from).transpose()
}

/// One receipt of this partner account (another account's receipt is not found).
pub async fn receipt_of(
    c: &mut AnyConnection,
    account_id: AccountId,
    id: i64,
) -> DbResult<Option<Receipt>> {
    let r = sqlx::query(&format!(
        "SELECT {RECEIPT_COLS} FROM warning_receipts r WHERE r.account_id = $1 AND r.warning_id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(receipt_from).transpose()
}

pub async fn insert_receipt(
    c: &mut AnyConnection,
    warning_id: WarningId,
    account_id: AccountId,
    reference: Option<&str>,
    payload: &str,
    now: Millis,
) -> DbResult<Receipt> {
    let r = sqlx::query(
        "INSERT INTO warning_receipts (warning_id, account_id, reference, payload, status, received_at) \
         VALUES ($1, $2, $3, $4, 'received', $5) RETURNING warning_id, reference, received_at, status",
    )
    .bind(warning_id)
    .bind(account_id)
    .bind(reference)
    .bind(payload)
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    receipt_from(&r)
}

/// The account and payload of a receipt still waiting for the intake job.
pub async fn receipt_pending(
    c: &mut AnyConnection,
    warning_id: WarningId,
) -> DbResult<Option<(AccountId, String)>> {
    let r = sqlx::query(
        "SELECT account_id, payload FROM warning_receipts WHERE warning_id = $1 AND status = 'received'",
    )
    .bind(warning_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(match r {
        Some(r) => Some((r.try_get("account_id")?, r.try_get("payload")?)),
        None => None,
    })
}

pub async fn receipt_processed(
    c: &mut AnyConnection,
    warning_id: WarningId,
    now: Millis,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE warning_receipts SET status = 'processed', processed_at = $2 WHERE warning_id = $1",
    )
    .bind(warning_id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

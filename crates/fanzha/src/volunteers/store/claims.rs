//! The statements of a batch of claims on one task (see `service::claims`): the task's row lock
//! first, then the batch's volunteers and their earlier claims in one read each, the new claims in
//! one multi-row insert and the places taken in one update.

use crate::kernel::ids::AccountId;
use sqlx::AnyConnection;

use super::{
    claim_from, volunteer_from, Claim, Volunteer, CLAIM_COLS, CLAIM_FROM, R, VOL_COLS, VOL_FROM,
};
use crate::db::{bulk_sql, params_list, values_rows, Backend};
use crate::volunteers::model::ClaimStatus;

/// Takes the task's row lock (PostgreSQL; SQLite's `BEGIN IMMEDIATE` already holds the write
/// lock) before its places are read, so no other process changes them until the commit.
pub async fn lock_task(c: &mut AnyConnection, task_id: i64) -> R<()> {
    sqlx::query("UPDATE vol_tasks SET taken = taken WHERE id = $1")
        .bind(task_id)
        .execute(c)
        .await?;
    Ok(())
}

/// The volunteer records of these accounts (accounts that are not volunteers are left out).
pub async fn volunteers_by_accounts(
    c: &mut AnyConnection,
    accounts: &[AccountId],
) -> R<Vec<Volunteer>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {VOL_COLS} {} WHERE v.account_id IN ({})",
        *VOL_FROM,
        params_list(accounts.len(), 1)
    );
    let mut q = sqlx::query(&sql);
    for a in accounts {
        q = q.bind(*a);
    }
    q.fetch_all(c).await?.iter().map(volunteer_from).collect()
}

/// The claims these volunteers hold on a task, in any state.
pub async fn claims_on_task_of(
    c: &mut AnyConnection,
    task_id: i64,
    volunteers: &[i64],
) -> R<Vec<Claim>> {
    if volunteers.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {CLAIM_COLS} {} WHERE cl.task_id = $1 AND cl.volunteer_id IN ({})",
        *CLAIM_FROM,
        params_list(volunteers.len(), 2)
    );
    let mut q = sqlx::query(&sql).bind(task_id);
    for v in volunteers {
        q = q.bind(*v);
    }
    q.fetch_all(c).await?.iter().map(claim_from).collect()
}

/// A new claim of a batch: volunteer, account, state (claimed or waiting), time of the request.
pub struct NewClaim {
    pub volunteer_id: i64,
    pub account_id: AccountId,
    pub status: ClaimStatus,
    pub at: i64,
}

/// Inserts the batch's new claims in its order (ids, and so the waiting list, follow it).
pub async fn insert_claims(
    c: &mut AnyConnection,
    backend: Backend,
    task_id: i64,
    rows: &[NewClaim],
) -> R<()> {
    for chunk in rows.chunks(100) {
        let sql = format!(
            "INSERT INTO vol_claims (task_id, volunteer_id, account_id, status, claimed_at, minutes) VALUES {}",
            values_rows(chunk.len(), 6, 1)
        );
        let sql = bulk_sql(backend, &sql);
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(task_id)
                .bind(r.volunteer_id)
                .bind(r.account_id)
                .bind(r.status.as_str())
                .bind(r.at)
                .bind(0i64);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// A withdrawn claim taken up again, as a new claim in `status` at `at`.
pub async fn reopen_claim(
    c: &mut AnyConnection,
    task_id: i64,
    volunteer_id: i64,
    status: ClaimStatus,
    at: i64,
) -> R<bool> {
    let n = sqlx::query(
        "UPDATE vol_claims SET status = $3, claimed_at = $4, checkin_at = NULL, checkout_at = NULL, reason = NULL \
         WHERE task_id = $1 AND volunteer_id = $2 AND status = 'withdrawn'",
    )
    .bind(task_id)
    .bind(volunteer_id)
    .bind(status.as_str())
    .bind(at)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Counts `n` more places taken, under the lock [`lock_task`] took; false (nothing changed) if
/// that would take more places than the task has.
pub async fn take_slots(c: &mut AnyConnection, task_id: i64, n: i64) -> R<bool> {
    let changed = sqlx::query(
        "UPDATE vol_tasks SET taken = taken + $2 WHERE id = $1 AND status = 'open' AND taken + $2 <= slots",
    )
    .bind(task_id)
    .bind(n)
    .execute(c)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

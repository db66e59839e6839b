//! Reads of the demo seed only (accounts picked for the demo's stories).

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use sqlx::AnyConnection;

use crate::db::{Db, DbResult};

/// The first `limit` accounts (by id) held by students: (account id, student id).
pub async fn first_student_accounts(
    tx: &mut AnyConnection,
    limit: i64,
) -> DbResult<Vec<(AccountId, Option<StudentId>)>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.student_id FROM accounts a WHERE a.student_id IS NOT NULL ORDER BY a.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?)
}

/// The id of the account with this user name.
pub async fn account_id_by_username(db: &Db, username: &str) -> DbResult<Option<AccountId>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM accounts WHERE username = $1")
            .bind(username)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Every other account of a class (even student ids, except `keep`) made not yet activated, for
/// the accounts page and the printed activation sheet.
pub async fn unactivate_half_of_class(
    tx: &mut AnyConnection,
    class_id: UnitId,
    keep: &str,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE accounts SET activated_at = NULL, password_hash = '' WHERE student_id IN \
         (SELECT id FROM students WHERE class_id = $1 AND student_no <> $2 AND id % 2 = 0)",
    )
    .bind(class_id)
    .bind(keep)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The ids of the logins the demo's banner names.
pub async fn demo_login_ids(tx: &mut AnyConnection) -> DbResult<Vec<AccountId>> {
    Ok(sqlx::query_scalar("SELECT id FROM accounts WHERE username IN ('s001-admin', 's001-c01-2023', 'police1', 'province-admin')")
        .fetch_all(&mut *tx)
        .await?)
}

/// (id, display name) of the account with this user name.
pub async fn account_name_by_username(
    db: &Db,
    username: &str,
) -> DbResult<Option<(AccountId, String)>> {
    Ok(
        sqlx::query_as("SELECT id, display_name FROM accounts WHERE username = $1")
            .bind(username)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// The first account (by id) holding `role`, with the unit of that grant.
pub async fn first_holder_of(db: &Db, role: &str) -> DbResult<Option<(AccountId, UnitId)>> {
    Ok(sqlx::query_as(
        "SELECT account_id, unit_id FROM role_assignments WHERE role = $1 ORDER BY account_id LIMIT 1",
    )
    .bind(role)
    .fetch_optional(&db.pool)
    .await?)
}

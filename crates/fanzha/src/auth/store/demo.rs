//! Reads of the demo seed only (accounts picked for the demo's stories).

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::db::{Db, DbResult};
use crate::org::store::sql;

/// The first `limit` accounts (by id) held by students: (account id, student id).
pub async fn first_student_accounts(
    tx: &mut AnyConnection,
    limit: i64,
) -> DbResult<Vec<(AccountId, Option<StudentId>)>> {
    let rows = sqlx::query(
        "SELECT a.id, a.student_id FROM accounts a WHERE a.student_id IS NOT NULL ORDER BY a.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    crate::db::named(&rows, ["id", "student_id"])
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

/// The accounts of these students made not yet activated, for the accounts page and the printed
/// activation sheet.
pub async fn unactivate_accounts_of_students(
    tx: &mut AnyConnection,
    students: &[StudentId],
) -> DbResult<()> {
    for chunk in students.chunks(500) {
        let sql = format!(
            "UPDATE accounts SET activated_at = NULL, password_hash = '' WHERE student_id IN ({})",
            crate::db::params_list(chunk.len(), 1)
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// The account of a student, if they have one.
pub async fn account_of_student(db: &Db, student: StudentId) -> DbResult<Option<AccountId>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM accounts WHERE student_id = $1")
            .bind(student)
            .fetch_optional(&db.pool)
            .await?,
    )
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
    let row = sqlx::query("SELECT id, display_name FROM accounts WHERE username = $1")
        .bind(username)
        .fetch_optional(&db.pool)
        .await?;
    crate::db::named_opt(row.as_ref(), ["id", "display_name"])
}

/// The first account (by id) holding `role`, with the unit of that grant.
pub async fn first_holder_of(db: &Db, role: &str) -> DbResult<Option<(AccountId, UnitId)>> {
    let row = sqlx::query(
        "SELECT account_id, unit_id FROM role_assignments WHERE role = $1 ORDER BY account_id LIMIT 1",
    )
    .bind(role)
    .fetch_optional(&db.pool)
    .await?;
    crate::db::named_opt(row.as_ref(), ["account_id", "unit_id"])
}

/// Inserts demo accounts, one row of cells per account in the order of the columns below.
pub async fn insert_accounts(
    tx: &mut AnyConnection,
    backend: crate::db::Backend,
    rows: Vec<Vec<crate::db::Cell>>,
) -> DbResult<()> {
    crate::db::insert_rows(
        tx,
        backend,
        "accounts",
        &[
            "username",
            "display_name",
            "password_hash",
            "student_id",
            "staff_id",
            "locale",
            "time_zone",
            "failed_logins",
            "disabled",
            "created_at",
            "password_changed_at",
            "activated_at",
        ],
        rows,
    )
    .await
}

/// For the demo: the first `n` activated student accounts of a school (account id, student id, name, class
/// path).
pub async fn activated_students_of_school(
    conn: &mut AnyConnection,
    school_id: UnitId,
    n: i64,
) -> DbResult<Vec<(AccountId, StudentId, String, String)>> {
    let rows = sqlx::query(&format!(
        "SELECT a.id AS account_id, s.id AS student_id, s.name AS name, u.path AS class_path \
         FROM accounts a {} \
         WHERE s.school_id = $1 AND a.activated_at IS NOT NULL ORDER BY s.id LIMIT $2",
        sql::join_student_in_class("s", "u", "a.student_id")
    ))
    .bind(school_id)
    .bind(n)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(student_from).collect::<Result<_, _>>()?)
}

/// (account, student, name, class path)
fn student_from(r: &AnyRow) -> Result<(AccountId, StudentId, String, String), sqlx::Error> {
    Ok((
        r.try_get("account_id")?,
        r.try_get("student_id")?,
        r.try_get("name")?,
        r.try_get("class_path")?,
    ))
}

/// For the demo: an account's id and display name by username.
pub async fn account_name_by_username_in(
    conn: &mut AnyConnection,
    username: &str,
) -> DbResult<Option<(AccountId, String)>> {
    let r = sqlx::query("SELECT id, display_name FROM accounts WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match r {
        Some(r) => Some((r.try_get("id")?, r.try_get("display_name")?)),
        None => None,
    })
}

/// For the demo: the unit paths of an account's roles.
pub async fn role_paths_of(
    conn: &mut AnyConnection,
    account_id: AccountId,
) -> DbResult<Vec<String>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT u.path FROM role_assignments r {} WHERE r.account_id = $1",
        sql::join_unit("u", "r.unit_id")
    ))
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?)
}

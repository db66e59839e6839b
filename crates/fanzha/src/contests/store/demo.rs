//! The few reads and writes the demo needs beyond the module's own.

use super::*;
use crate::kernel::ids::{AccountId, StudentId, UnitId};

/// For the demo: the first `n` schools (id, code, name, path).
pub async fn demo_schools(
    conn: &mut AnyConnection,
    n: i64,
) -> DbResult<Vec<(UnitId, String, String, String)>> {
    let rows = sqlx::query(
        "SELECT id, code, name, path FROM units WHERE kind = 'school' ORDER BY id LIMIT $1",
    )
    .bind(n)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(school_from).collect::<Result<_, _>>()?)
}

/// (id, code, name, path)
fn school_from(r: &AnyRow) -> Result<(UnitId, String, String, String), sqlx::Error> {
    Ok((
        r.try_get("id")?,
        r.try_get("code")?,
        r.try_get("name")?,
        r.try_get("path")?,
    ))
}

/// For the demo: activated student accounts of a school (account id, student id, name, class
/// path).
pub async fn demo_students(
    conn: &mut AnyConnection,
    school_id: UnitId,
    n: i64,
) -> DbResult<Vec<(AccountId, StudentId, String, String)>> {
    let rows = sqlx::query(
        "SELECT a.id AS account_id, s.id AS student_id, s.name AS name, u.path AS class_path \
         FROM accounts a JOIN students s ON s.id = a.student_id \
         JOIN units u ON u.id = s.class_id \
         WHERE s.school_id = $1 AND a.activated_at IS NOT NULL ORDER BY s.id LIMIT $2",
    )
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
pub async fn demo_account(
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
pub async fn demo_role_paths(
    conn: &mut AnyConnection,
    account_id: AccountId,
) -> DbResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT u.path FROM role_assignments r JOIN units u ON u.id = r.unit_id WHERE r.account_id = $1",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// For the demo: a unit (id, path) by code.
pub async fn demo_unit(conn: &mut AnyConnection, code: &str) -> DbResult<Option<(UnitId, String)>> {
    let r = sqlx::query("SELECT id, path FROM units WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match r {
        Some(r) => Some((r.try_get("id")?, r.try_get("path")?)),
        None => None,
    })
}

/// For the demo: sets an entry's creation time (entries were made during the entry window).
pub async fn demo_entry_time(tx: &mut AnyConnection, id: i64, at: i64) -> DbResult<()> {
    sqlx::query("UPDATE contest_entries SET created_at = $2, updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// For the demo: sets an entry's advisors (JSON).
pub async fn demo_set_advisors(tx: &mut AnyConnection, id: i64, json: &str) -> DbResult<()> {
    sqlx::query("UPDATE contest_entries SET advisors = $2 WHERE id = $1")
        .bind(id)
        .bind(json)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

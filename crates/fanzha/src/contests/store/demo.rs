//! The few reads and writes the demo needs beyond the module's own.

use super::*;
use crate::kernel::ids::UnitId;

pub use crate::auth::store::demo::{
    account_name_by_username_in as demo_account, activated_students_of_school as demo_students,
    role_paths_of as demo_role_paths,
};

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

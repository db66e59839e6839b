//! The few reads and writes the demo needs beyond the module's own.

use super::*;
use crate::kernel::ids::UnitId;
use crate::org::store::lookups;

pub use crate::auth::store::demo::{
    account_name_by_username_in as demo_account, activated_students_of_school as demo_students,
    role_paths_of as demo_role_paths,
};

/// For the demo: the first `n` schools (id, code, name, path).
pub async fn demo_schools(
    conn: &mut AnyConnection,
    n: i64,
) -> DbResult<Vec<(UnitId, String, String, String)>> {
    Ok(lookups::first_schools(conn, n)
        .await?
        .into_iter()
        .map(|u| (u.id, u.code, u.name, u.path))
        .collect())
}

/// For the demo: a unit (id, path) by code.
pub async fn demo_unit(conn: &mut AnyConnection, code: &str) -> DbResult<Option<(UnitId, String)>> {
    Ok(lookups::unit_ref_by_code(conn, code)
        .await?
        .map(|u| (u.id, u.path)))
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

//! SQL of account administration in a unit: the role grants held on its subtree.

use sqlx::Row;

use crate::db::{Db, DbResult};

/// One grant on a unit of the subtree, as the administration page lists it.
pub struct GrantHeld {
    pub username: String,
    pub display_name: String,
    /// The role's key.
    pub role: String,
    pub unit_name: String,
}

/// The grants on units under `path` with their account, by unit path then login name, at most
/// 2,000.
pub async fn grants_under(db: &Db, path: &str) -> DbResult<Vec<GrantHeld>> {
    let rows = sqlx::query(&format!(
        "SELECT a.username, a.display_name, r.role, x.name AS unit_name FROM role_assignments r JOIN accounts a ON a.id = r.account_id \
         {} WHERE x.path LIKE $1 ORDER BY x.path, a.username LIMIT 2000",
        crate::org::store::sql::join_unit("x", "r.unit_id")
    ))
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(GrantHeld {
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                role: r.try_get("role")?,
                unit_name: r.try_get("unit_name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

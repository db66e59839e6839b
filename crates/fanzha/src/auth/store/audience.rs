//! Who holds a role under a unit: the accounts a notice to "every holder of this role in this
//! unit" reaches (the inbox's fan-out).

use crate::db::{Db, DbResult};
use crate::kernel::ids::{AccountId, UnitId};

/// Every account holding `role` on `unit_id` or on a unit below it, each once.
pub async fn accounts_with_role_under(
    db: &Db,
    role: &str,
    unit_id: UnitId,
) -> DbResult<Vec<AccountId>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT r.account_id FROM role_assignments r JOIN units u ON u.id = r.unit_id \
         WHERE r.role = $1 AND u.path LIKE (SELECT path FROM units WHERE id = $2) || '%'",
    )
    .bind(role)
    .bind(unit_id)
    .fetch_all(&db.pool)
    .await?)
}

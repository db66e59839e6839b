//! The SQL of the appraisal registry: the weights a school set for its components.

use crate::kernel::ids::UnitId;

use sqlx::Row;

use crate::db::{Db, DbResult};
use crate::org::store::sql;

/// (component key, weight) set by the school a path lies in.
pub async fn weights_on_path(db: &Db, path: &str) -> DbResult<Vec<(String, i64)>> {
    let rows = sqlx::query(&format!(
        "SELECT w.component, w.weight FROM appraisal_weights w {} \
         WHERE $1 LIKE (u.path || '%')",
        sql::join_unit("u", "w.school_id")
    ))
    .bind(path)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("component")?, r.try_get("weight")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Sets a school's weight of a component, in its own write transaction.
pub async fn set_weight(db: &Db, school_id: UnitId, key: &str, weight: i64) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO appraisal_weights (school_id, component, weight) VALUES ($1, $2, $3) \
         ON CONFLICT (school_id, component) DO UPDATE SET weight = excluded.weight",
    )
    .bind(school_id)
    .bind(key)
    .bind(weight)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

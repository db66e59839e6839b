//! SQL of the figures and the appraisal of the chain: the windows warnings were routed with, the
//! responsible people and units under a path, the escalations each person caused, and the
//! victims and campaign reach the appraisal weighs in.

use crate::kernel::ids::WarningId;
use std::collections::HashMap;

use sqlx::Row;

use super::super::model::Windows;
use crate::clock::Millis;
use crate::db::{Db, DbResult};

/// The windows these warnings were routed with, by warning id (500 ids per query).
pub async fn windows_of_many(
    c: &mut sqlx::AnyConnection,
    ids: &[WarningId],
) -> DbResult<HashMap<WarningId, Windows>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let list = crate::db::params_list(chunk.len(), 1);
        let sql = format!(
            "SELECT id, ack_window_ms, contact_window_ms FROM warnings WHERE id IN ({list})"
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await? {
            out.insert(r.try_get("id")?, super::windows_from(&r)?);
        }
    }
    Ok(out)
}

/// Escalations caused per person (the one who missed the deadline) among the warnings under
/// `path` issued in [from, to).
pub async fn escalations_caused(
    db: &Db,
    path: &str,
    from: Millis,
    to: Millis,
) -> DbResult<HashMap<i64, i64>> {
    let rows = sqlx::query(
        "SELECT e.staff_id AS staff_id, COUNT(*) AS n FROM warning_events e JOIN warnings w ON w.id = e.warning_id \
         WHERE e.kind = 'escalated' AND w.unit_path LIKE $1 AND w.created_at >= $2 AND w.created_at < $3 \
         GROUP BY e.staff_id",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    let mut out = HashMap::new();
    for r in &rows {
        if let Some(s) = r.try_get::<Option<i64>, _>("staff_id")? {
            out.insert(s, r.try_get("n")?);
        }
    }
    Ok(out)
}

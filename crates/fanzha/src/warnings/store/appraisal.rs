//! SQL of the figures and the appraisal of the chain: the windows warnings were routed with, the
//! responsible people and units under a path, the escalations each person caused, and the
//! victims and campaign reach the appraisal weighs in.

use std::collections::HashMap;

use sqlx::Row;

use super::super::model::Windows;
use crate::clock::Millis;
use crate::db::{Db, DbResult};

/// The windows these warnings were routed with, by warning id (500 ids per query).
pub async fn windows_of_many(
    c: &mut sqlx::AnyConnection,
    ids: &[i64],
) -> DbResult<HashMap<i64, Windows>> {
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
            out.insert(
                r.try_get("id")?,
                Windows {
                    ack_ms: r.try_get("ack_window_ms")?,
                    contact_ms: r.try_get("contact_window_ms")?,
                },
            );
        }
    }
    Ok(out)
}

/// Recorded cases per unit path under `path` that occurred in [from, to).
pub async fn victims_by_unit(
    db: &Db,
    path: &str,
    from: Millis,
    to: Millis,
) -> DbResult<HashMap<String, i64>> {
    let rows = sqlx::query(
        "SELECT unit_path, COUNT(*) AS n FROM cases WHERE unit_path LIKE $1 AND occurred_at >= $2 \
         AND occurred_at < $3 GROUP BY unit_path",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("unit_path")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Per class path under `path`: (enrolled students, enrolled students without an active account).
pub async fn enrolled_by_class(db: &Db, path: &str) -> DbResult<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT u.path AS path, COUNT(*) AS enrolled, CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM accounts a \
         WHERE a.student_id = s.id AND a.activated_at IS NOT NULL AND a.disabled = 0 \
         AND a.roster_status = 'current') THEN 0 ELSE 1 END), 0) AS BIGINT) AS unreachable \
         FROM students s JOIN units u ON u.id = s.class_id \
         WHERE u.path LIKE $1 AND s.status = 'enrolled' GROUP BY u.path",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("path")?,
                r.try_get("enrolled")?,
                r.try_get("unreachable")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Per class path under `path`: students who acknowledged at least one campaign delivery in
/// [from, to).
pub async fn acknowledged_by_class(
    db: &Db,
    path: &str,
    from: Millis,
    to: Millis,
) -> DbResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT unit_path, COUNT(DISTINCT student_id) AS n FROM campaign_deliveries \
         WHERE unit_path LIKE $1 AND student_id IS NOT NULL AND acknowledged_at >= $2 AND acknowledged_at < $3 \
         GROUP BY unit_path",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("unit_path")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// One responsibility of a person under a path.
#[derive(Clone, Debug)]
pub struct DutyHolder {
    pub staff_id: i64,
    pub name: String,
    pub unit_name: String,
    pub unit_path: String,
}

/// Every responsibility held on a unit under `path`, by person.
pub async fn duties_under(db: &Db, path: &str) -> DbResult<Vec<DutyHolder>> {
    let rows = sqlx::query(
        "SELECT s.id AS staff_id, s.name AS name, u.name AS unit_name, u.path AS unit_path \
         FROM responsibilities r JOIN staff s ON s.id = r.staff_id \
         JOIN units u ON u.id = r.unit_id WHERE u.path LIKE $1 ORDER BY s.id",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DutyHolder {
                staff_id: r.try_get("staff_id")?,
                name: r.try_get::<Option<String>, _>("name")?.unwrap_or_default(),
                unit_name: r
                    .try_get::<Option<String>, _>("unit_name")?
                    .unwrap_or_default(),
                unit_path: r.try_get("unit_path")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Classes, colleges and schools under `path`: (id, name, path), by path.
pub async fn appraised_units_under(db: &Db, path: &str) -> DbResult<Vec<(i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT id, name, path FROM units WHERE path LIKE $1 AND kind IN ('class', 'college', 'school') \
         ORDER BY path",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("path")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
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

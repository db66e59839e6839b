//! Read-only queries of campaigns that other modules need (as `campaigns::reads`): who
//! acknowledged a campaign per class (the warnings' appraisal weighs campaign reach in) and the
//! outside channels by id (warning notices go out through them).

use sqlx::{AnyConnection, Row};

use crate::clock::Millis;
use crate::db::{Db, DbResult};

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

/// An outside channel as another module shows and uses it.
#[derive(Clone, Debug)]
pub struct ChannelRef {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub enabled: bool,
}

/// The channels of these ids that exist, by id (500 ids per query).
pub async fn channels_by_ids(c: &mut AnyConnection, ids: &[i64]) -> DbResult<Vec<ChannelRef>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let list = crate::db::params_list(chunk.len(), 1);
        let sql = format!(
            "SELECT id, name, kind, disabled_at FROM campaign_channels WHERE id IN ({list}) ORDER BY id"
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await? {
            out.push(ChannelRef {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
                enabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_none(),
            });
        }
    }
    out.sort_by_key(|ch| ch.id);
    Ok(out)
}

/// Reach of the campaigns sent in `[from, to)` per delivery unit path under `prefix` (a `LIKE`
/// pattern): (unit path, audience, acknowledged).
pub async fn reach_by_unit_path(
    db: &Db,
    prefix: &str,
    from: i64,
    to: i64,
) -> DbResult<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT r.unit_path, CAST(SUM(r.audience) AS BIGINT) AS audience, CAST(SUM(r.acknowledged) AS BIGINT) AS acknowledged \
         FROM campaign_reach r JOIN campaigns c ON c.id = r.campaign_id \
         WHERE c.status = 'sent' AND c.sent_at >= $2 AND c.sent_at < $3 AND r.unit_path LIKE $1 GROUP BY r.unit_path",
    )
    .bind(prefix)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    crate::db::named(&rows, ["unit_path", "audience", "acknowledged"])
}

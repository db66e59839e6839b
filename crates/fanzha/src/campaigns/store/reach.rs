//! SQL of reach: the funnel rollup per unit path, opens and acknowledgements per day, and the
//! gap lists (students never reached, victims never warned of their case's fraud type).

use crate::kernel::ids::StudentId;
use std::collections::HashSet;

use sqlx::Row;

use crate::db::{bulk_sql, Db, DbResult};
use crate::org::store::lookups as org_lookups;
use crate::org::store::sql::STUDENTS_IN_CLASSES;

/// One row of the reach rollup: the funnel of the deliveries of one unit path.
pub struct ReachRow {
    pub unit_path: String,
    pub audience: i64,
    pub sent: i64,
    pub opened: i64,
    pub acknowledged: i64,
    pub quiz_passed: i64,
    pub clicked: i64,
    pub unreachable: i64,
}

/// The rollup rows of a campaign under `root`.
pub async fn reach_rows(db: &Db, campaign_id: i64, root: &str) -> DbResult<Vec<ReachRow>> {
    let rows = sqlx::query(
        "SELECT unit_path, audience, sent, opened, acknowledged, quiz_passed, clicked, unreachable FROM campaign_reach \
         WHERE campaign_id = $1 AND unit_path LIKE $2",
    )
    .bind(campaign_id)
    .bind(format!("{root}%"))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ReachRow {
                unit_path: r.try_get("unit_path")?,
                audience: r.try_get("audience")?,
                sent: r.try_get("sent")?,
                opened: r.try_get("opened")?,
                acknowledged: r.try_get("acknowledged")?,
                quiz_passed: r.try_get("quiz_passed")?,
                clicked: r.try_get("clicked")?,
                unreachable: r.try_get("unreachable")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// (day start ms, opened, acknowledged) of a whole campaign, from the per-day rollup.
pub async fn reach_days(db: &Db, campaign_id: i64) -> DbResult<Vec<(i64, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT day, opened, acknowledged FROM campaign_reach_days WHERE campaign_id = $1 ORDER BY day",
    )
    .bind(campaign_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("day")?,
                r.try_get("opened")?,
                r.try_get("acknowledged")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// (day number since the epoch, deliveries) under `root` opened (or, with `acknowledged`,
/// acknowledged) that day, counted from the deliveries.
pub async fn delivery_days(
    db: &Db,
    campaign_id: i64,
    root: &str,
    acknowledged: bool,
) -> DbResult<Vec<(i64, i64)>> {
    let col = if acknowledged {
        "acknowledged_at"
    } else {
        "opened_at"
    };
    let rows = sqlx::query(&format!(
        "SELECT {col} / 86400000 AS day, COUNT(*) AS n FROM campaign_deliveries WHERE campaign_id = $1 AND channel = 'inbox' \
         AND unit_path LIKE $2 AND {col} IS NOT NULL GROUP BY {col} / 86400000"
    ))
    .bind(campaign_id)
    .bind(format!("{root}%"))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("day")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A student of a gap list (the name unmasked: the service masks it).
pub use crate::org::store::lookups::StudentInClass as GapRow;

/// Enrolled students under `path` who acknowledged no campaign since `since`, whose name or
/// student number contains `search` (all when empty): how many, and one page of them (by class,
/// then student number).
pub async fn never_reached(
    db: &Db,
    path: &str,
    since: i64,
    search: &str,
    limit: i64,
    offset: i64,
) -> DbResult<(i64, Vec<GapRow>)> {
    let like = format!("%{}%", search.replace(['%', '_'], ""));
    let cond = format!(
        "FROM {STUDENTS_IN_CLASSES} WHERE u.path LIKE $1 AND s.status = 'enrolled' \
         AND ($3 = '' OR s.name LIKE $4 OR s.student_no LIKE $4) \
         AND NOT EXISTS (SELECT 1 FROM campaign_deliveries d WHERE d.person = 'student:' || s.id AND d.channel = 'inbox' AND d.acknowledged_at >= $2)"
    );
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {cond}"))
        .bind(format!("{path}%"))
        .bind(since)
        .bind(search)
        .bind(&like)
        .fetch_one(&db.pool)
        .await?;
    let rows = sqlx::query(&format!(
        "SELECT s.id AS student_id, s.student_no AS student_no, s.name AS name, u.name AS class_name {cond} \
         ORDER BY u.path, s.student_no LIMIT $5 OFFSET $6"
    ))
    .bind(format!("{path}%"))
    .bind(since)
    .bind(search)
    .bind(&like)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let v = rows
        .iter()
        .map(|r| {
            Ok(GapRow {
                student_id: r.try_get("student_id")?,
                student_no: r.try_get("student_no")?,
                name: r.try_get("name")?,
                class_name: r.try_get("class_name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((n, v))
}

/// Of `students`, (student, fraud type) pairs where the student acknowledged a campaign of
/// that fraud type in their inbox.
pub async fn acknowledged_fraud_types(
    db: &Db,
    students: &[StudentId],
) -> DbResult<HashSet<(StudentId, String)>> {
    let mut out = HashSet::new();
    for chunk in students.chunks(500) {
        let list = crate::db::params_list(chunk.len(), 1);
        let sql = format!(
            "SELECT DISTINCT d.person AS person, k.fraud_type AS fraud_type FROM campaign_deliveries d JOIN campaigns k ON k.id = d.campaign_id \
             WHERE d.person IN ({list}) AND d.channel = 'inbox' AND d.acknowledged_at IS NOT NULL"
        );
        let sql = bulk_sql(db.backend, &sql);
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(format!("student:{id}"));
        }
        for r in q.fetch_all(&db.pool).await? {
            let person: String = r.try_get("person")?;
            if let Some(id) = person
                .strip_prefix("student:")
                .and_then(|x| x.parse::<StudentId>().ok())
            {
                out.insert((id, r.try_get("fraud_type")?));
            }
        }
    }
    Ok(out)
}

/// Students by id with their student number, name (unmasked) and class, in id order.
pub async fn gap_students(db: &Db, ids: &[StudentId]) -> DbResult<Vec<GapRow>> {
    org_lookups::students_in_class_by_ids(db, ids).await
}

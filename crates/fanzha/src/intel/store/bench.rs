//! Statements of the indicator benchmark only: the table's size and generated indicators.

use crate::db::{Backend, Db, DbResult};

/// How many indicators the table holds.
pub async fn count(db: &Db) -> DbResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM indicators")
        .fetch_one(&db.pool)
        .await?)
}

/// Inserts the generated indicators `i` in `[from, to)`: kind and value follow
/// `intel::bench::generated` (phone, QQ, domain in turn), one in ten confirmed.
pub async fn insert_generated(db: &Db, from: i64, to: i64) -> DbResult<()> {
    let sql = match db.backend {
        Backend::Sqlite => {
            "WITH RECURSIVE s(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < $2) \
             INSERT INTO indicators (kind, value, status, fraud_types, tlp, sightings, first_seen, last_seen, note, created_at, updated_at) \
             SELECT CASE i % 3 WHEN 0 THEN 'phone' WHEN 1 THEN 'qq' ELSE 'domain' END, \
                    CASE i % 3 WHEN 0 THEN '13' || printf('%09d', i / 3) WHEN 1 THEN CAST(10000 + i / 3 AS TEXT) ELSE 'd' || (i / 3) || '.example.cn' END, \
                    CASE WHEN i % 10 = 0 THEN 'confirmed' ELSE 'reported' END, 'rebate_task', 'green', 1 + i % 5, 0, 0, '', 0, 0 FROM s"
        }
        Backend::Postgres => {
            "INSERT INTO indicators (kind, value, status, fraud_types, tlp, sightings, first_seen, last_seen, note, created_at, updated_at) \
             SELECT CASE i % 3 WHEN 0 THEN 'phone' WHEN 1 THEN 'qq' ELSE 'domain' END, \
                    CASE i % 3 WHEN 0 THEN '13' || lpad((i / 3)::text, 9, '0') WHEN 1 THEN (10000 + i / 3)::text ELSE 'd' || (i / 3) || '.example.cn' END, \
                    CASE WHEN i % 10 = 0 THEN 'confirmed' ELSE 'reported' END, 'rebate_task', 'green', 1 + i % 5, 0, 0, '', 0, 0 \
             FROM generate_series($1::bigint, $2::bigint - 1) AS i"
        }
    };
    sqlx::query(sql)
        .bind(from)
        .bind(to)
        .execute(&db.pool)
        .await?;
    Ok(())
}

//! Reads behind every process's indicator index: the whole table in id ranges (on SQLite through
//! the native driver, a chunk packed into one row) and the change log since a cursor.

use futures::TryStreamExt;
use sqlx::Row;

use crate::db::{Db, DbResult};

/// The id of the newest change-log row (0 when the log is empty).
pub async fn latest_change(db: &Db) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM indicator_changes")
            .fetch_one(&db.pool)
            .await?,
    )
}

/// The id of the oldest change-log row still kept, if any.
pub async fn oldest_change(db: &Db) -> DbResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT MIN(id) FROM indicator_changes")
        .fetch_one(&db.pool)
        .await?)
}

/// The lowest and highest indicator id (0, 0 when the table is empty).
pub async fn id_range(db: &Db) -> DbResult<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COALESCE(MIN(id), 0) AS lo, COALESCE(MAX(id), 0) AS hi FROM indicators",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok((row.try_get("lo")?, row.try_get("hi")?))
}

/// What an indicator looks like now, as the index keeps it.
#[derive(Clone, Debug)]
pub struct Current {
    pub status: String,
    pub fraud_types: String,
    pub tlp: String,
    pub sightings: i64,
}

/// One change-log row with the indicator it names as it is now (`None`: deleted).
#[derive(Clone, Debug)]
pub struct Change {
    pub id: i64,
    pub kind: String,
    pub value: String,
    pub current: Option<Current>,
}

/// Changes after `cursor` or logged at `since` (ms) or later, oldest first, at most 100,000.
pub async fn changes_since(db: &Db, cursor: i64, since: i64) -> DbResult<Vec<Change>> {
    let rows = sqlx::query(
        "SELECT c.id, c.kind, c.value, i.status, i.fraud_types, i.tlp, i.sightings \
         FROM indicator_changes c LEFT JOIN indicators i ON i.kind = c.kind AND i.value = c.value \
         WHERE c.id > $1 OR c.at >= $2 ORDER BY c.id LIMIT 100000",
    )
    .bind(cursor)
    .bind(since)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let status: Option<String> = r.try_get("status")?;
        let current = match status {
            None => None,
            Some(status) => Some(Current {
                status,
                fraud_types: r.try_get("fraud_types")?,
                tlp: r.try_get("tlp")?,
                sightings: r.try_get("sightings")?,
            }),
        };
        out.push(Change {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            value: r.try_get("value")?,
            current,
        });
    }
    Ok(out)
}

const LOAD_SQL: &str = "SELECT kind, value, status, fraud_types, tlp, sightings FROM indicators WHERE id > $1 AND id <= $2";

/// Ids per query of the SQLite load: each query returns one row holding the whole chunk.
const SQLITE_CHUNK: i64 = 20_000;

/// The whole chunk as one text: rows joined by U+001E, fields by U+001F. The SQLite driver hands
/// every row from its worker thread over a channel, and at millions of rows those hand-overs (and
/// their wake-ups) cost more than reading the table; one row per chunk leaves the reading.
const LOAD_CHUNK_SQL: &str =
    "SELECT COUNT(*) AS n, group_concat(kind || char(31) || value || char(31) || status || char(31) \
     || fraud_types || char(31) || tlp || char(31) || sightings, char(30)) AS packed \
     FROM indicators WHERE id > $1 AND id <= $2";

/// A read-only pool of `parts` connections through the native SQLite driver, for a parallel load
/// (`None` on PostgreSQL).
pub async fn sqlite_reader(db: &Db, parts: u32) -> DbResult<Option<sqlx::SqlitePool>> {
    match db.backend {
        crate::db::Backend::Sqlite => {
            let url = db.pool.connect_options().database_url.clone();
            let opts: sqlx::sqlite::SqliteConnectOptions = url
                .as_str()
                .parse::<sqlx::sqlite::SqliteConnectOptions>()?
                .read_only(true);
            Ok(Some(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(parts)
                    .connect_with(opts)
                    .await?,
            ))
        }
        crate::db::Backend::Postgres => Ok(None),
    }
}

/// The indicators with ids in `(a, b]`, each turned into an entry by `entry` from (kind, value,
/// status, fraud types, TLP, sightings); `None` skips the row.
pub async fn load_range_sqlite<T>(
    pool: &sqlx::SqlitePool,
    a: i64,
    b: i64,
    mut entry: impl FnMut(&str, &str, &str, &str, &str, i64) -> Option<T>,
) -> DbResult<Vec<T>> {
    let mut out = Vec::with_capacity((b - a).max(0) as usize);
    let mut lo = a;
    while lo < b {
        let hi = (lo + SQLITE_CHUNK).min(b);
        let row = sqlx::query(LOAD_CHUNK_SQL)
            .bind(lo)
            .bind(hi)
            .fetch_one(pool)
            .await?;
        let n: i64 = row.try_get("n")?;
        let text: Option<&str> = row.try_get("packed")?;
        let before = out.len();
        let mut complete = true;
        let mut parsed = 0i64;
        for rec in text.unwrap_or("").split('\u{1e}').filter(|r| !r.is_empty()) {
            let f: Vec<&str> = rec.split('\u{1f}').collect();
            let sightings = f.get(5).and_then(|v| v.parse::<i64>().ok());
            let (6, Some(sightings)) = (f.len(), sightings) else {
                complete = false;
                break;
            };
            parsed += 1;
            if let Some(e) = entry(f[0], f[1], f[2], f[3], f[4], sightings) {
                out.push(e);
            }
        }
        if !complete || parsed != n {
            // A value holding a separator (or a NULL column): read this chunk row by row.
            out.truncate(before);
            load_rows_sqlite(pool, lo, hi, &mut entry, &mut out).await?;
        }
        lo = hi;
    }
    Ok(out)
}

async fn load_rows_sqlite<T>(
    pool: &sqlx::SqlitePool,
    a: i64,
    b: i64,
    entry: &mut impl FnMut(&str, &str, &str, &str, &str, i64) -> Option<T>,
    out: &mut Vec<T>,
) -> DbResult<()> {
    let mut rows = sqlx::query(LOAD_SQL).bind(a).bind(b).fetch(pool);
    while let Some(r) = rows.try_next().await? {
        if let Some(e) = entry(
            r.try_get::<&str, _>("kind")?,
            r.try_get::<&str, _>("value")?,
            r.try_get::<&str, _>("status")?,
            r.try_get::<&str, _>("fraud_types")?,
            r.try_get::<&str, _>("tlp")?,
            r.try_get::<i64, _>("sightings")?,
        ) {
            out.push(e);
        }
    }
    Ok(())
}

/// [`load_range_sqlite`] through the `Any` pool (PostgreSQL).
pub async fn load_range_any<T>(
    db: &Db,
    a: i64,
    b: i64,
    mut entry: impl FnMut(&str, &str, &str, &str, &str, i64) -> Option<T>,
) -> DbResult<Vec<T>> {
    let mut out = Vec::with_capacity((b - a).max(0) as usize);
    let mut rows = sqlx::query(LOAD_SQL).bind(a).bind(b).fetch(&db.pool);
    while let Some(r) = rows.try_next().await? {
        let (kind, value, status, types, tlp): (String, String, String, String, String) = (
            r.try_get("kind")?,
            r.try_get("value")?,
            r.try_get("status")?,
            r.try_get("fraud_types")?,
            r.try_get("tlp")?,
        );
        if let Some(e) = entry(
            &kind,
            &value,
            &status,
            &types,
            &tlp,
            r.try_get("sightings")?,
        ) {
            out.push(e);
        }
    }
    Ok(out)
}

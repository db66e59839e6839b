//! Scratch databases for the benchmarks: a fresh schema on the configured PostgreSQL, else SQLite
//! in a temporary directory, migrated, and removed afterwards; and `ANALYZE` after a bulk load, so
//! the timings that follow use the planner's statistics of the data just written.

use std::path::PathBuf;

use super::{Db, DbOptions, DbResult};
use crate::config::Config;

/// A migrated scratch database and what to remove when the benchmark is done.
pub struct Scratch {
    pub db: Db,
    tmp: PathBuf,
    /// The PostgreSQL server and the schema made on it; `None` for SQLite.
    schema: Option<(String, String)>,
}

/// The server itself (no `search_path`), for making and dropping a schema.
async fn admin(url: &str) -> DbResult<Db> {
    Db::connect(&DbOptions {
        url: url.to_string(),
        schema: None,
        max_connections: 1,
    })
    .await
}

/// A fresh migrated database named after `name` (`bench_<name>_<pid>` on PostgreSQL,
/// `fanzha-bench-<name>-<pid>` in the temporary directory for SQLite).
pub async fn scratch(cfg: &Config, name: &str) -> anyhow::Result<Scratch> {
    let pid = std::process::id();
    let tmp = std::env::temp_dir().join(format!("fanzha-bench-{name}-{pid}"));
    let (opts, schema) = match &cfg.database_url {
        Some(url) => {
            let url = url.expose().to_string();
            let schema = format!("bench_{name}_{pid}");
            let a = admin(&url).await?;
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&a.pool)
                .await?;
            a.pool.close().await;
            (
                DbOptions {
                    url: url.clone(),
                    schema: Some(schema.clone()),
                    max_connections: cfg.db_max_connections,
                },
                Some((url, schema)),
            )
        }
        None => {
            std::fs::create_dir_all(&tmp)?;
            let mut o = DbOptions::sqlite_in(&tmp);
            o.max_connections = cfg.db_max_connections;
            (o, None)
        }
    };
    let db = Db::connect(&opts).await?;
    db.migrate().await?;
    Ok(Scratch { db, tmp, schema })
}

impl Scratch {
    /// Closes the pool and removes the schema (PostgreSQL) or the directory (SQLite).
    pub async fn remove(self) -> anyhow::Result<()> {
        self.db.pool.close().await;
        match self.schema {
            Some((url, schema)) => {
                let a = admin(&url).await?;
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&a.pool)
                    .await?;
            }
            None => {
                let _ = std::fs::remove_dir_all(&self.tmp);
            }
        }
        Ok(())
    }
}

/// Refreshes the planner's statistics of every table (both backends know `ANALYZE`).
pub async fn analyze(db: &Db) -> DbResult<()> {
    sqlx::query("ANALYZE").execute(&db.pool).await?;
    Ok(())
}

/// Inserts `rows`, each the SQL literal of one row (`(1,'a',NULL)`), into `table (cols)`, 1,000
/// rows a statement: a benchmark's bulk load of hundreds of thousands of generated rows, past
/// the parameter limits of both backends. Only for values the program generated itself.
pub async fn insert_literal(db: &Db, table: &str, rows: &[String]) -> DbResult<()> {
    for chunk in rows.chunks(1000) {
        let sql = format!("INSERT INTO {table} VALUES {}", chunk.join(","));
        sqlx::query(&sql).execute(&db.pool).await?;
    }
    Ok(())
}

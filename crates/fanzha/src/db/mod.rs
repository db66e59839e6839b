//! The database: one pool over SQLite or PostgreSQL, the migrations of each backend, and the job queue.
//!
//! Queries are written once with `$n` placeholders and portable types (BIGINT unix milliseconds, TEXT)
//! and run unchanged on both backends through sqlx's `Any` driver. Where a backend must differ (row
//! locking when claiming jobs) the code branches on [`Backend`].

pub mod jobs;
pub mod keys;
pub mod maintenance;
mod named;
mod scratch;

pub use named::{named, named_one, named_opt, Named};
pub use scratch::{analyze, insert_literal, scratch, Scratch};

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Connection, Executor};

/// Which database engine a pool talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Errors of the storage layer. Callers see a message; the raw driver error is kept for logs.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: sqlx::Error,
    },
    #[error("{0}")]
    Config(String),
}

/// A stored value read back into its type: a value the type does not know is an error naming the
/// column, never a default (a corrupt row must not read as, say, an open warning).
pub fn decode<T>(
    raw: &str,
    parse: impl Fn(&str) -> Option<T>,
    column: &str,
) -> Result<T, sqlx::Error> {
    parse(raw).ok_or_else(|| sqlx::Error::Decode(format!("{column}: unknown value {raw:?}").into()))
}

impl DbError {
    /// True when the error is a violated UNIQUE constraint (both backends).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }

    /// True when PostgreSQL refused a text value it cannot store: a NUL character (SQLSTATE
    /// 22021) or one outside the database encoding (22P05). SQLite stores any text.
    pub fn is_unstorable_text(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => {
                matches!(e.code().as_deref(), Some("22021" | "22P05"))
            }
            _ => false,
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// How to connect: a database URL, plus for PostgreSQL an optional schema used as `search_path`
/// (the test harness gives every test a fresh schema).
#[derive(Clone, Debug)]
pub struct DbOptions {
    pub url: String,
    pub schema: Option<String>,
    pub max_connections: u32,
}

impl DbOptions {
    /// The default embedded database: `fanzha.db` inside `data_dir`.
    pub fn sqlite_in(data_dir: &Path) -> Self {
        let file = data_dir.join("fanzha.db");
        DbOptions {
            url: format!("sqlite://{}?mode=rwc", file.display()),
            schema: None,
            max_connections: 8,
        }
    }
}

fn valid_schema_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Db {
    pub async fn connect(opts: &DbOptions) -> DbResult<Db> {
        sqlx::any::install_default_drivers();
        let backend =
            if opts.url.starts_with("postgres://") || opts.url.starts_with("postgresql://") {
                Backend::Postgres
            } else if opts.url.starts_with("sqlite:") {
                Backend::Sqlite
            } else {
                return Err(DbError::Config(format!(
                    "unsupported database URL (use sqlite:// or postgres://): {}",
                    redact_url(&opts.url)
                )));
            };
        let schema = opts.schema.clone();
        if let Some(s) = &schema {
            if !valid_schema_name(s) {
                return Err(DbError::Config(format!("invalid schema name {s:?}")));
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                let schema = schema.clone();
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                                 PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL; \
                                 PRAGMA case_sensitive_like = ON;",
                            )
                            .await?;
                        }
                        Backend::Postgres => {
                            if let Some(s) = schema {
                                conn.execute(format!("SET search_path TO {s}").as_str())
                                    .await?;
                            }
                        }
                    }
                    Ok(())
                })
            })
            .connect(&opts.url)
            .await?;
        Ok(Db { pool, backend })
    }

    /// Begins a transaction that writes: `BEGIN IMMEDIATE` on SQLite, an ordinary transaction on
    /// PostgreSQL. On SQLite a deferred transaction that reads and then writes fails at once with
    /// "database is locked" when another connection committed in between (the busy timeout does
    /// not apply to upgrading a read snapshot); taking the write lock at the start makes it wait
    /// its turn instead. Every transaction that writes begins here.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Applies every migration of this backend not yet applied, in order, each in a transaction.
    pub async fn migrate(&self) -> DbResult<Vec<i64>> {
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Postgres {
            // Several app processes may start at once; one migrates, the others wait.
            conn.execute("SELECT pg_advisory_lock(7734261)").await?;
        }
        let result = self.migrate_locked(&mut conn).await;
        if self.backend == Backend::Postgres {
            conn.execute("SELECT pg_advisory_unlock(7734261)").await?;
        }
        result
    }

    async fn migrate_locked(&self, conn: &mut sqlx::AnyConnection) -> DbResult<Vec<i64>> {
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await?;
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
            .fetch_all(&mut *conn)
            .await?;
        let mut done = Vec::new();
        for m in MIGRATIONS {
            if applied.contains(&m.version) {
                continue;
            }
            let sql = match self.backend {
                Backend::Sqlite => m.sqlite,
                Backend::Postgres => m.postgres,
            };
            let mut tx = conn.begin().await?;
            let run = async {
                sqlx::raw_sql(sql).execute(&mut *tx).await?;
                sqlx::query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                )
                .bind(m.version)
                .bind(m.name)
                .bind(crate::clock::system_now_ms())
                .execute(&mut *tx)
                .await?;
                Ok::<(), sqlx::Error>(())
            };
            if let Err(source) = run.await {
                return Err(DbError::Migration {
                    version: m.version,
                    name: m.name,
                    source,
                });
            }
            tx.commit().await?;
            tracing::info!(version = m.version, name = m.name, "migration applied");
            done.push(m.version);
        }
        Ok(done)
    }

    /// Tables and their columns as the database reports them, sorted; used to prove both schemas agree.
    pub async fn schema_columns(&self) -> DbResult<Vec<(String, String)>> {
        let rows: Vec<AnyRow> = match self.backend {
            Backend::Sqlite => {
                sqlx::query(
                    "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.name",
                )
                .fetch_all(&self.pool)
                .await?
            }
            Backend::Postgres => {
                sqlx::query(
                    "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
                     WHERE table_schema = current_schema() ORDER BY 1, 2",
                )
                .fetch_all(&self.pool)
                .await?
            }
        };
        use sqlx::Row;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?));
        }
        Ok(out)
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> DbResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// One value of a multi-row insert ([`insert_rows`]).
#[derive(Clone, Debug)]
pub enum Cell {
    I(i64),
    S(String),
    /// A NULL in an integer column (PostgreSQL needs the type of a NULL parameter).
    N,
}

/// Inserts `rows` into `table (cols)` with multi-row statements, in chunks that stay under both
/// backends' parameter limits, within the caller's transaction. The one bulk insert of the stores
/// whose rows are plain values (demo seeds); `table` and `cols` come from the calling store.
pub async fn insert_rows(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    table: &str,
    cols: &[&str],
    rows: Vec<Vec<Cell>>,
) -> DbResult<()> {
    let per = (30_000 / cols.len()).min(1000);
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        let chunk: Vec<Vec<Cell>> = it.by_ref().take(per).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            cols.join(", "),
            values_rows(chunk.len(), cols.len(), 1)
        );
        let sql = bulk_sql(backend, &sql);
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    Cell::I(i) => q.bind(i),
                    Cell::S(s) => q.bind(s),
                    Cell::N => q.bind(None::<i64>),
                };
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The `VALUES` rows of a multi-row statement: `rows` groups of `cols` parameters numbered in
/// order from `$first`, as `($1, $2), ($3, $4)`. With [`bulk_sql`] they become `?` on SQLite.
pub fn values_rows(rows: usize, cols: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 6);
    let mut n = first;
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&n.to_string());
            n += 1;
        }
        out.push(')');
    }
    out
}

/// A list of `n` parameters numbered from `$first` (`$2, $3, $4`), for `IN (…)`.
pub fn params_list(n: usize, first: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The text of a bulk statement for this backend. Bulk statements are written once with `$1…$n`
/// in order; on SQLite they become anonymous `?` placeholders, because binding numbered parameters
/// costs SQLite a linear search per parameter (quadratic in a multi-row INSERT of thousands).
pub fn bulk_sql(backend: Backend, sql: &str) -> std::borrow::Cow<'_, str> {
    if backend == Backend::Postgres {
        return sql.into();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.char_indices().peekable();
    let mut expected = 1usize;
    while let Some((_, c)) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) {
            let mut n = 0usize;
            while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                n = n * 10 + d.to_digit(10).unwrap_or(0) as usize;
                chars.next();
            }
            debug_assert_eq!(
                n, expected,
                "bulk statements number their parameters in order"
            );
            expected += 1;
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Hides the password of a database URL for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

macro_rules! migration {
    ($v:expr, $name:literal) => {
        Migration {
            version: $v,
            name: $name,
            sqlite: include_str!(concat!("../../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../../migrations/postgres/", $name, ".sql")),
        }
    };
}

const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_foundation"),
    migration!(2, "0002_intel"),
    migration!(3, "0003_warnings"),
    migration!(4, "0004_cases"),
    migration!(5, "0005_campaigns"),
    migration!(6, "0006_reports"),
    migration!(8, "0008_warnings_more"),
    migration!(9, "0009_campaigns_more"),
    migration!(10, "0010_more_indexes"),
    migration!(11, "0011_intel_exchange"),
    migration!(12, "0012_login_limits"),
    migration!(13, "0013_warning_receipts"),
    migration!(16, "0016_roster_accounts"),
    migration!(17, "0017_detect_registry"),
    migration!(18, "0018_school_sign_in"),
    migration!(19, "0019_channels_admin"),
    migration!(20, "0020_case_solved_at"),
    migration!(21, "0021_server_keys"),
    migration!(22, "0022_learning"),
    migration!(23, "0023_volunteers"),
    migration!(24, "0024_contests"),
    migration!(25, "0025_mules"),
    migration!(26, "0026_volunteer_calls"),
    migration!(27, "0027_contests_more"),
    migration!(28, "0028_learning_terms"),
    migration!(29, "0029_volunteer_totals"),
    migration!(31, "0031_mule_starter"),
    migration!(32, "0032_volunteer_periods"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password() {
        assert_eq!(
            redact_url("postgres://fz:secret@localhost/fz"),
            "postgres://fz:***@localhost/fz"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn values_and_params() {
        assert_eq!(values_rows(2, 2, 1), "($1, $2), ($3, $4)");
        assert_eq!(values_rows(1, 3, 4), "($4, $5, $6)");
        assert_eq!(values_rows(0, 3, 1), "");
        assert_eq!(params_list(3, 2), "$2, $3, $4");
        assert_eq!(
            bulk_sql(Backend::Sqlite, &format!("IN ($1, {})", params_list(2, 2))),
            "IN (?, ?, ?)"
        );
    }

    #[test]
    fn bulk_placeholders() {
        assert_eq!(
            bulk_sql(Backend::Sqlite, "VALUES ($1, $2), ($3, $4)"),
            "VALUES (?, ?), (?, ?)"
        );
        assert_eq!(bulk_sql(Backend::Postgres, "VALUES ($1)"), "VALUES ($1)");
        assert_eq!(bulk_sql(Backend::Sqlite, "x = '$'"), "x = '$'");
    }

    #[test]
    fn schema_names_are_checked() {
        assert!(valid_schema_name("t_abc123"));
        assert!(!valid_schema_name("x; DROP"));
    }
}

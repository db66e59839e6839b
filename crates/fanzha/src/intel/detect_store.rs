//! SQL of the detection state kept in the database: the brand registry, the version counters each
//! process polls, classifier models (candidates, the active one, history) and the export of
//! police-confirmed labelled examples.

use crate::kernel::ids::{AccountId, ReportId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::db::{Db, DbResult};

/// The counter of the brand registry in `detect_versions`.
pub const BRANDS: &str = "brands";
/// The counter of the promoted model in `detect_versions`.
pub const MODEL: &str = "model";

/// The version counters (brands, model); 0 when a counter does not exist yet.
pub async fn versions(db: &Db) -> DbResult<(i64, i64)> {
    let rows = sqlx::query("SELECT name, version FROM detect_versions")
        .fetch_all(&db.pool)
        .await?;
    let (mut b, mut m) = (0, 0);
    for r in &rows {
        let name: String = r.try_get("name")?;
        let v: i64 = r.try_get("version")?;
        match name.as_str() {
            BRANDS => b = v,
            MODEL => m = v,
            _ => {}
        }
    }
    Ok((b, m))
}

/// Bumps a counter inside the caller's transaction and announces it on PostgreSQL.
pub async fn bump(c: &mut AnyConnection, pg: bool, name: &str) -> DbResult<()> {
    let n = sqlx::query("UPDATE detect_versions SET version = version + 1 WHERE name = $1")
        .bind(name)
        .execute(&mut *c)
        .await?
        .rows_affected();
    if n == 0 {
        sqlx::query("INSERT INTO detect_versions (name, version) VALUES ($1, 1)")
            .bind(name)
            .execute(&mut *c)
            .await?;
    }
    if pg {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(super::CHANNEL)
            .bind(name)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

// ---- brands ----

/// One stored brand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrandRow {
    pub id: i64,
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub sector: String,
    pub aliases: Vec<String>,
    pub domains: Vec<String>,
    pub numbers: Vec<String>,
    pub enabled: bool,
    pub updated_at: i64,
}

const BRAND_COLS: &str =
    "id, key, name_zh, name_en, sector, aliases, domains, numbers, enabled, updated_at";

fn list(r: &AnyRow, column: &str) -> Result<Vec<String>, sqlx::Error> {
    let s: String = r.try_get(column)?;
    serde_json::from_str(&s).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn brand_row(r: &AnyRow) -> Result<BrandRow, sqlx::Error> {
    Ok(BrandRow {
        id: r.try_get("id")?,
        key: r.try_get("key")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        sector: r.try_get("sector")?,
        aliases: list(r, "aliases")?,
        domains: list(r, "domains")?,
        numbers: list(r, "numbers")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Every brand, by sector then key.
pub async fn brands(c: &mut AnyConnection) -> DbResult<Vec<BrandRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {BRAND_COLS} FROM brands ORDER BY sector, key"
    ))
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(brand_row)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn brand_by_id(c: &mut AnyConnection, id: i64) -> DbResult<Option<BrandRow>> {
    let row = sqlx::query(&format!("SELECT {BRAND_COLS} FROM brands WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await?;
    Ok(row.as_ref().map(brand_row).transpose()?)
}

/// The fields a person edits.
pub struct BrandFields<'a> {
    pub key: &'a str,
    pub name_zh: &'a str,
    pub name_en: &'a str,
    pub sector: &'a str,
    pub aliases: &'a [String],
    pub domains: &'a [String],
    pub numbers: &'a [String],
    pub enabled: bool,
}

fn json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

pub async fn insert_brand(
    c: &mut AnyConnection,
    b: &BrandFields<'_>,
    by: Option<AccountId>,
    now: i64,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO brands (key, name_zh, name_en, sector, aliases, domains, numbers, enabled, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(b.key)
    .bind(b.name_zh)
    .bind(b.name_en)
    .bind(b.sector)
    .bind(json(b.aliases))
    .bind(json(b.domains))
    .bind(json(b.numbers))
    .bind(i64::from(b.enabled))
    .bind(by)
    .bind(now)
    .fetch_one(c)
    .await?)
}

pub async fn update_brand(
    c: &mut AnyConnection,
    id: i64,
    b: &BrandFields<'_>,
    by: Option<AccountId>,
    now: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE brands SET key = $1, name_zh = $2, name_en = $3, sector = $4, aliases = $5, domains = $6, \
         numbers = $7, enabled = $8, updated_by = $9, updated_at = $10 WHERE id = $11",
    )
    .bind(b.key)
    .bind(b.name_zh)
    .bind(b.name_en)
    .bind(b.sector)
    .bind(json(b.aliases))
    .bind(json(b.domains))
    .bind(json(b.numbers))
    .bind(i64::from(b.enabled))
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn delete_all_brands(c: &mut AnyConnection) -> DbResult<()> {
    sqlx::query("DELETE FROM brands").execute(c).await?;
    Ok(())
}

/// Claims the first seeding of the registry: true for the one transaction that creates the
/// counter (later and concurrent callers get false).
pub async fn claim_seed(c: &mut AnyConnection) -> DbResult<bool> {
    let n = sqlx::query(
        "INSERT INTO detect_versions (name, version) VALUES ($1, 1) ON CONFLICT (name) DO NOTHING",
    )
    .bind(BRANDS)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

// ---- models ----

/// A stored model without its bytes.
#[derive(Clone, Debug)]
pub struct ModelRow {
    pub id: i64,
    pub version: String,
    pub status: String,
    pub base_version: String,
    pub figures: String,
    pub examples: i64,
    pub created_by: Option<AccountId>,
    pub created_at: i64,
    pub promoted_by: Option<AccountId>,
    pub promoted_at: Option<i64>,
}

const MODEL_COLS: &str = "id, version, status, base_version, figures, examples, created_by, created_at, promoted_by, promoted_at";

fn model_row(r: &AnyRow) -> Result<ModelRow, sqlx::Error> {
    Ok(ModelRow {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        status: r.try_get("status")?,
        base_version: r.try_get("base_version")?,
        figures: r.try_get("figures")?,
        examples: r.try_get("examples")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        promoted_by: r.try_get("promoted_by")?,
        promoted_at: r.try_get("promoted_at")?,
    })
}

pub struct NewModel<'a> {
    pub version: &'a str,
    pub bytes: &'a [u8],
    pub base_version: &'a str,
    pub figures: &'a str,
    pub examples: i64,
    pub created_by: Option<AccountId>,
}

pub async fn insert_model(c: &mut AnyConnection, m: &NewModel<'_>, now: i64) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO detect_models (version, status, model, base_version, figures, examples, created_by, created_at) \
         VALUES ($1, 'candidate', $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(m.version)
    .bind(m.bytes.to_vec())
    .bind(m.base_version)
    .bind(m.figures)
    .bind(m.examples)
    .bind(m.created_by)
    .bind(now)
    .fetch_one(c)
    .await?)
}

/// The newest models first (history of the console page).
pub async fn models(db: &Db, limit: i64) -> DbResult<Vec<ModelRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {MODEL_COLS} FROM detect_models ORDER BY id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(model_row)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn model_by_id(c: &mut AnyConnection, id: i64) -> DbResult<Option<ModelRow>> {
    let row = sqlx::query(&format!(
        "SELECT {MODEL_COLS} FROM detect_models WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await?;
    Ok(row.as_ref().map(model_row).transpose()?)
}

/// The active model (at most one), without bytes.
pub async fn active_model(c: &mut AnyConnection) -> DbResult<Option<ModelRow>> {
    let row = sqlx::query(&format!(
        "SELECT {MODEL_COLS} FROM detect_models WHERE status = 'active' ORDER BY id DESC LIMIT 1"
    ))
    .fetch_optional(c)
    .await?;
    Ok(row.as_ref().map(model_row).transpose()?)
}

/// The active model's version and bytes.
pub async fn active_model_bytes(db: &Db) -> DbResult<Option<(String, Vec<u8>)>> {
    let row = sqlx::query(
        "SELECT version, model FROM detect_models WHERE status = 'active' ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => Ok(Some((r.try_get("version")?, r.try_get("model")?))),
        None => Ok(None),
    }
}

/// Moves a model from one status to another; false when it was not in `from`.
pub async fn set_model_status(
    c: &mut AnyConnection,
    id: i64,
    from: &str,
    to: &str,
) -> DbResult<bool> {
    let n = sqlx::query("UPDATE detect_models SET status = $1 WHERE id = $2 AND status = $3")
        .bind(to)
        .bind(id)
        .bind(from)
        .execute(c)
        .await?
        .rows_affected();
    Ok(n == 1)
}

pub async fn mark_promoted(
    c: &mut AnyConnection,
    id: i64,
    by: AccountId,
    now: i64,
) -> DbResult<()> {
    sqlx::query("UPDATE detect_models SET promoted_by = $1, promoted_at = $2 WHERE id = $3")
        .bind(by)
        .bind(now)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// The model that was active before the current one: the latest promoted among the retired.
pub async fn previous_active(c: &mut AnyConnection) -> DbResult<Option<ModelRow>> {
    let row = sqlx::query(&format!(
        "SELECT {MODEL_COLS} FROM detect_models WHERE status = 'retired' AND promoted_at IS NOT NULL \
         ORDER BY promoted_at DESC, id DESC LIMIT 1"
    ))
    .fetch_optional(c)
    .await?;
    Ok(row.as_ref().map(model_row).transpose()?)
}

/// How many waiting candidates, and how many earlier models a rollback can return to, keep
/// their weights; older ones keep their row (history and figures) without the weights.
pub const MODELS_KEPT: i64 = 3;

/// Drops the weights of models that can no longer serve: rejected and rolled-back ones, waiting
/// candidates beyond the newest [`MODELS_KEPT`] (they become `expired`: a newer candidate
/// replaced them), and replaced models beyond the newest [`MODELS_KEPT`] a rollback could return
/// to (they become `archived`). Returns how many rows lost their weights.
pub async fn prune_models(c: &mut AnyConnection) -> DbResult<u64> {
    let empty: Vec<u8> = Vec::new();
    sqlx::query(
        "UPDATE detect_models SET status = 'expired' WHERE status = 'candidate' AND id NOT IN \
         (SELECT id FROM (SELECT id FROM detect_models WHERE status = 'candidate' \
          ORDER BY id DESC LIMIT $1) AS newest)",
    )
    .bind(MODELS_KEPT)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE detect_models SET status = 'archived' WHERE status = 'retired' AND id NOT IN \
         (SELECT id FROM (SELECT id FROM detect_models WHERE status = 'retired' \
          ORDER BY promoted_at DESC, id DESC LIMIT $1) AS newest)",
    )
    .bind(MODELS_KEPT)
    .execute(&mut *c)
    .await?;
    let dropped = sqlx::query(
        "UPDATE detect_models SET model = $1 \
         WHERE status IN ('rejected', 'rolled_back', 'expired', 'archived') AND model <> $1",
    )
    .bind(empty)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(dropped)
}

// ---- labelled examples ----

/// A police-confirmed labelled example.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ExampleRow {
    pub id: i64,
    pub text: String,
    pub label: String,
    pub source: String,
    /// The police account that confirmed the label.
    pub confirmed_by: Option<AccountId>,
}

/// Every example a police account confirmed (reviewed wrong results, confirmed reports).
pub async fn confirmed_examples(db: &Db) -> DbResult<Vec<ExampleRow>> {
    let rows = sqlx::query(
        "SELECT id, text, label, source, created_by FROM labelled_examples \
         WHERE created_by IS NOT NULL ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ExampleRow {
                id: r.try_get("id")?,
                text: r.try_get("text")?,
                label: r.try_get("label")?,
                source: r.try_get("source")?,
                confirmed_by: r.try_get("created_by")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Records the text of a report police confirmed as a labelled example (once per report).
pub async fn insert_report_example(
    c: &mut AnyConnection,
    report_id: ReportId,
    text: &str,
    label: &str,
    by: AccountId,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO labelled_examples (text, label, review_id, created_by, created_at, source, report_id) \
         VALUES ($1, $2, NULL, $3, $4, 'report', $5) ON CONFLICT (report_id) DO NOTHING",
    )
    .bind(text)
    .bind(label)
    .bind(by)
    .bind(now)
    .bind(report_id)
    .execute(c)
    .await?;
    Ok(())
}

//! The brand registry in the database: official domains and service numbers of banks, operators,
//! couriers, e-commerce and payment platforms and government services, edited by curators in the
//! console (`/intel/brands`) or replaced whole by a file import. A fresh database is seeded with
//! the registry built into fanzha-detect. Every change bumps the `brands` counter, which every
//! process polls (and, on PostgreSQL, is told of) to hand the new registry to its engine.
//! Every change is audited (`intel.brand_create`, `intel.brand_update`, `intel.brand_import`).

use std::sync::Arc;

use fanzha_detect::{Brand, BrandRegistry};

use super::detect_store::{self as ds, BrandFields, BrandRow};
use super::service::By;
use super::Intel;
use crate::audit::{self, Event};
use crate::clock::Clock;
use crate::db::{Backend, Db, DbError, DbResult};

#[derive(Debug, thiserror::Error)]
pub enum BrandsError {
    /// A brand or a registry file that cannot be used; `line` is the file's line (0 for a form).
    #[error("line {line}: {message}")]
    Invalid { line: usize, message: String },
    /// Another brand already has this key.
    #[error("a brand with this key exists")]
    KeyTaken,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for BrandsError {
    fn from(e: sqlx::Error) -> Self {
        BrandsError::Db(e.into())
    }
}

/// One brand as a person enters it.
#[derive(Clone, Debug, Default)]
pub struct BrandInput {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub sector: String,
    pub aliases: Vec<String>,
    pub domains: Vec<String>,
    pub numbers: Vec<String>,
    pub enabled: bool,
}

/// Splits a list typed in a form: one per line, or separated by commas, 、 or ；.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(['\n', ',', '，', '、', ';', '；'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn brand_of(r: &BrandRow) -> Brand {
    Brand {
        key: r.key.clone(),
        name_zh: r.name_zh.clone(),
        name_en: r.name_en.clone(),
        sector: r.sector.clone(),
        aliases: r.aliases.clone(),
        domains: r.domains.clone(),
        numbers: r.numbers.clone(),
    }
}

fn fields(b: &Brand, enabled: bool) -> BrandFields<'_> {
    BrandFields {
        key: &b.key,
        name_zh: &b.name_zh,
        name_en: &b.name_en,
        sector: &b.sector,
        aliases: &b.aliases,
        domains: &b.domains,
        numbers: &b.numbers,
        enabled,
    }
}

/// The registry of the enabled rows.
pub fn registry_of(rows: &[BrandRow]) -> Result<BrandRegistry, fanzha_detect::BrandError> {
    BrandRegistry::from_brands(rows.iter().filter(|r| r.enabled).map(brand_of).collect())
}

/// Seeds an empty registry with the built-in brands, once per database (the first process to
/// claim the counter does it; the others find it done).
pub async fn seed_once(db: &Db, clock: &Clock) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    if ds::claim_seed(&mut tx).await? {
        let now = clock.now_ms();
        for b in BrandRegistry::builtin().brands() {
            ds::insert_brand(&mut tx, &fields(b, true), None, now).await?;
        }
        tracing::info!("brand registry seeded with the built-in brands");
    }
    tx.commit().await?;
    Ok(())
}

/// Hands the stored registry to this process's engine. A stored registry that does not build
/// (not expected: every write is checked) leaves the engine's registry as it is.
pub async fn apply(intel: &Intel, db: &Db) -> DbResult<()> {
    let mut c = db.pool.acquire().await?;
    let rows = ds::brands(&mut c).await?;
    match registry_of(&rows) {
        Ok(reg) => intel.set_brands(Arc::new(reg)),
        Err(e) => tracing::error!(error = %e, "the stored brand registry does not build"),
    }
    Ok(())
}

async fn audit_brand(
    tx: &mut sqlx::AnyConnection,
    clock: &Clock,
    by: &By,
    action: &'static str,
    target: String,
    detail: serde_json::Value,
) -> Result<(), BrandsError> {
    audit::record(
        &mut *tx,
        clock,
        &by.actor,
        Event {
            action,
            target_kind: "brand",
            target_id: target,
            unit_path: by.unit_path.clone(),
            detail,
        },
    )
    .await?;
    Ok(())
}

/// Adds (`id` None) or edits a brand. The brand is checked as the registry checks it (and stored
/// in its canonical form), and so is the whole registry it would make: nothing changes when
/// either is refused.
pub async fn save(
    db: &Db,
    clock: &Clock,
    by: &By,
    id: Option<i64>,
    input: &BrandInput,
) -> Result<i64, BrandsError> {
    let one = BrandRegistry::from_brands(vec![Brand {
        key: input.key.clone(),
        name_zh: input.name_zh.clone(),
        name_en: input.name_en.clone(),
        sector: input.sector.clone(),
        aliases: input.aliases.clone(),
        domains: input.domains.clone(),
        numbers: input.numbers.clone(),
    }])
    .map_err(|e| BrandsError::Invalid {
        line: 0,
        message: e.message,
    })?;
    let b = one.brands()[0].clone();
    let mut tx = db.begin_write().await?;
    let mut rows = ds::brands(&mut tx).await?;
    if rows.iter().any(|r| r.key == b.key && Some(r.id) != id) {
        return Err(BrandsError::KeyTaken);
    }
    let before = match id {
        Some(id) => Some(
            rows.iter()
                .find(|r| r.id == id)
                .cloned()
                .ok_or(BrandsError::NotFound)?,
        ),
        None => None,
    };
    // The registry this change would make must build (e.g. an alias may not be shared).
    rows.retain(|r| Some(r.id) != id);
    rows.push(BrandRow {
        id: id.unwrap_or(0),
        key: b.key.clone(),
        name_zh: b.name_zh.clone(),
        name_en: b.name_en.clone(),
        sector: b.sector.clone(),
        aliases: b.aliases.clone(),
        domains: b.domains.clone(),
        numbers: b.numbers.clone(),
        enabled: input.enabled,
        updated_at: 0,
    });
    registry_of(&rows).map_err(|e| BrandsError::Invalid {
        line: 0,
        message: e.message,
    })?;
    let now = clock.now_ms();
    let account = by.actor.account_id;
    let id = match id {
        Some(id) => {
            match ds::update_brand(&mut tx, id, &fields(&b, input.enabled), account, now).await {
                Ok(true) => {}
                Ok(false) => return Err(BrandsError::NotFound),
                Err(e) if e.is_unique_violation() => return Err(BrandsError::KeyTaken),
                Err(e) => return Err(e.into()),
            }
            id
        }
        // Two curators adding the same key at once: the second meets the unique key.
        None => match ds::insert_brand(&mut tx, &fields(&b, input.enabled), account, now).await {
            Err(e) if e.is_unique_violation() => return Err(BrandsError::KeyTaken),
            r => r?,
        },
    };
    ds::bump(&mut tx, db.backend == Backend::Postgres, ds::BRANDS).await?;
    let (action, detail) = match &before {
        None => (
            "intel.brand_create",
            serde_json::json!({"key": b.key, "domains": b.domains, "numbers": b.numbers}),
        ),
        Some(old) => (
            "intel.brand_update",
            serde_json::json!({
                "key": b.key,
                "before": {"name_zh": old.name_zh, "aliases": old.aliases, "domains": old.domains, "numbers": old.numbers, "enabled": old.enabled},
                "after": {"name_zh": b.name_zh, "aliases": b.aliases, "domains": b.domains, "numbers": b.numbers, "enabled": input.enabled},
            }),
        ),
    };
    audit_brand(&mut tx, clock, by, action, id.to_string(), detail).await?;
    tx.commit().await?;
    Ok(id)
}

/// Replaces the registry with a file's (the TOML that [`export`] writes). A bad file is refused
/// with its line and the registry in use stays. Returns how many brands it holds.
pub async fn import(db: &Db, clock: &Clock, by: &By, text: &str) -> Result<usize, BrandsError> {
    let entries = BrandRegistry::parse_entries(text).map_err(|e| BrandsError::Invalid {
        line: e.line,
        message: e.message,
    })?;
    let mut tx = db.begin_write().await?;
    let before = ds::brands(&mut tx).await?.len();
    ds::delete_all_brands(&mut tx).await?;
    let now = clock.now_ms();
    for (b, enabled) in &entries {
        ds::insert_brand(&mut tx, &fields(b, *enabled), by.actor.account_id, now).await?;
    }
    ds::bump(&mut tx, db.backend == Backend::Postgres, ds::BRANDS).await?;
    audit_brand(
        &mut tx,
        clock,
        by,
        "intel.brand_import",
        String::new(),
        serde_json::json!({"brands": entries.len(), "replaced": before}),
    )
    .await?;
    tx.commit().await?;
    Ok(entries.len())
}

/// Every brand as a registry file; those not in use carry `enabled = false`, so an import of the
/// export gives back the same registry.
pub async fn export(db: &Db) -> Result<String, BrandsError> {
    let mut c = db.pool.acquire().await?;
    let rows = ds::brands(&mut c).await?;
    let brands: Vec<(Brand, bool)> = rows.iter().map(|r| (brand_of(r), r.enabled)).collect();
    Ok(BrandRegistry::entries_to_text(
        brands.iter().map(|(b, on)| (b, *on)),
    ))
}

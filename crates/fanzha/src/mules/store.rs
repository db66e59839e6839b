//! SQL of the mules module: the facts of mule-risk signals, the provinces' award rules and which
//! school adopted which starter item.
//! Warnings and cases are read through their own modules.

use crate::kernel::ids::{AccountId, UnitId, WarningId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::model::{AccountKind, Pattern, SignalFacts};
use super::starter::StarterItem;
use crate::clock::Millis;
use crate::db::{Db, DbResult};

const COLS: &str = "warning_id, account_kind, pattern, created_at";

fn facts_from(r: &AnyRow) -> Result<SignalFacts, sqlx::Error> {
    Ok(SignalFacts {
        warning_id: r.try_get("warning_id")?,
        account_kind: crate::db::decode(
            &r.try_get::<String, _>("account_kind")?,
            AccountKind::parse,
            "mule_signals.account_kind",
        )?,
        pattern: crate::db::decode(
            &r.try_get::<String, _>("pattern")?,
            Pattern::parse,
            "mule_signals.pattern",
        )?,
        created_at: r.try_get("created_at")?,
    })
}

/// Writes the facts of a signal, in the transaction that writes its warning.
pub async fn insert_signal(
    c: &mut AnyConnection,
    warning_id: WarningId,
    partner_account_id: AccountId,
    kind: AccountKind,
    pattern: Pattern,
    now: Millis,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO mule_signals (warning_id, partner_account_id, account_kind, pattern, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(warning_id)
    .bind(partner_account_id)
    .bind(kind.as_str())
    .bind(pattern.as_str())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn facts_of(
    c: &mut AnyConnection,
    warning_id: WarningId,
) -> DbResult<Option<SignalFacts>> {
    let r = sqlx::query(&format!(
        "SELECT {COLS} FROM mule_signals WHERE warning_id = $1"
    ))
    .bind(warning_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(r.as_ref().map(facts_from).transpose()?)
}

/// The facts of many warnings at once.
pub async fn facts_of_many(c: &mut AnyConnection, ids: &[WarningId]) -> DbResult<Vec<SignalFacts>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let list = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT {COLS} FROM mule_signals WHERE warning_id IN ({list})");
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await? {
            out.push(facts_from(&r)?);
        }
    }
    Ok(out)
}

/// A province's limit of suspects for Campus Without Fraud (None: the default applies).
pub async fn max_suspects(db: &Db, province_id: UnitId) -> DbResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT max_suspects FROM mule_award_rules WHERE province_id = $1")
            .bind(province_id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

pub async fn set_max_suspects(
    c: &mut AnyConnection,
    province_id: UnitId,
    max: i64,
    by: AccountId,
    now: Millis,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO mule_award_rules (province_id, max_suspects, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (province_id) DO UPDATE SET \
         max_suspects = excluded.max_suspects, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
    )
    .bind(province_id)
    .bind(max)
    .bind(by)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A school's adoption of a starter item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adoption {
    pub school_id: UnitId,
    pub item: StarterItem,
    /// The content (article) or lesson made; None while it is being made.
    pub target_id: Option<i64>,
    pub course_id: Option<i64>,
    pub account_id: AccountId,
    pub adopted_at: Millis,
}

const ADOPTION_COLS: &str = "school_id, item, target_id, course_id, account_id, adopted_at";

fn adoption_from(r: &AnyRow) -> Result<Adoption, sqlx::Error> {
    Ok(Adoption {
        school_id: r.try_get("school_id")?,
        item: crate::db::decode(
            &r.try_get::<String, _>("item")?,
            StarterItem::parse,
            "mule_starter_adoptions.item",
        )?,
        target_id: r.try_get("target_id")?,
        course_id: r.try_get("course_id")?,
        account_id: r.try_get("account_id")?,
        adopted_at: r.try_get("adopted_at")?,
    })
}

/// Claims a starter item for a school: true when this call wrote the claim, false when the school
/// had it already (two claims at once: one wins).
pub async fn claim_starter(
    c: &mut AnyConnection,
    school_id: UnitId,
    item: StarterItem,
    account_id: AccountId,
    now: Millis,
) -> DbResult<bool> {
    let n = sqlx::query(
        "INSERT INTO mule_starter_adoptions (school_id, item, account_id, adopted_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (school_id, item) DO NOTHING",
    )
    .bind(school_id)
    .bind(item.as_str())
    .bind(account_id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records what a claim made.
pub async fn complete_starter(
    c: &mut AnyConnection,
    school_id: UnitId,
    item: StarterItem,
    target_id: i64,
    course_id: Option<i64>,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE mule_starter_adoptions SET target_id = $1, course_id = $2 \
         WHERE school_id = $3 AND item = $4",
    )
    .bind(target_id)
    .bind(course_id)
    .bind(school_id)
    .bind(item.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Drops a claim whose making failed, so the school may try again.
pub async fn release_starter(
    c: &mut AnyConnection,
    school_id: UnitId,
    item: StarterItem,
) -> DbResult<()> {
    sqlx::query(
        "DELETE FROM mule_starter_adoptions WHERE school_id = $1 AND item = $2 AND target_id IS NULL",
    )
    .bind(school_id)
    .bind(item.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The starter items a school adopted.
pub async fn adoptions_of(db: &Db, school_id: UnitId) -> DbResult<Vec<Adoption>> {
    let rows = sqlx::query(&format!(
        "SELECT {ADOPTION_COLS} FROM mule_starter_adoptions WHERE school_id = $1 ORDER BY item"
    ))
    .bind(school_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(adoption_from).collect::<Result<_, _>>()?)
}

//! SQL of the mules module: the facts of mule-risk signals and the provinces' award rules.
//! Warnings and cases are read through their own modules.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::model::{AccountKind, Pattern, SignalFacts};
use crate::clock::Millis;
use crate::db::{Db, DbResult};

const COLS: &str = "warning_id, account_kind, pattern, created_at";

fn facts_from(r: &AnyRow) -> Result<SignalFacts, sqlx::Error> {
    Ok(SignalFacts {
        warning_id: r.try_get(0)?,
        account_kind: crate::db::decode(
            &r.try_get::<String, _>(1)?,
            AccountKind::parse,
            "mule_signals.account_kind",
        )?,
        pattern: crate::db::decode(
            &r.try_get::<String, _>(2)?,
            Pattern::parse,
            "mule_signals.pattern",
        )?,
        created_at: r.try_get(3)?,
    })
}

/// Writes the facts of a signal, in the transaction that writes its warning.
pub async fn insert_signal(
    c: &mut AnyConnection,
    warning_id: i64,
    partner_account_id: i64,
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

pub async fn facts_of(c: &mut AnyConnection, warning_id: i64) -> DbResult<Option<SignalFacts>> {
    let r = sqlx::query(&format!(
        "SELECT {COLS} FROM mule_signals WHERE warning_id = $1"
    ))
    .bind(warning_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(r.as_ref().map(facts_from).transpose()?)
}

/// The facts of many warnings at once.
pub async fn facts_of_many(c: &mut AnyConnection, ids: &[i64]) -> DbResult<Vec<SignalFacts>> {
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
pub async fn max_suspects(db: &Db, province_id: i64) -> DbResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT max_suspects FROM mule_award_rules WHERE province_id = $1")
            .bind(province_id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

pub async fn set_max_suspects(
    c: &mut AnyConnection,
    province_id: i64,
    max: i64,
    by: i64,
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

//! SQL of a batch of sightings: indicators upserted, sources and change-log rows added in
//! multi-row statements, inside the caller's transaction.

use sqlx::{AnyConnection, Row};

use crate::db::{Backend, DbResult};
use crate::intel::model::{FraudTypes, Status, Tlp};

/// One indicator a batch names: (kind, value) and (its number of sightings, its fraud types).
pub type Sighted<'r> = (&'r (String, String), &'r (i64, FraudTypes));

/// An indicator as the upsert left it, with the fraud types it had stored.
#[derive(Clone, Debug)]
pub struct Upserted {
    pub id: i64,
    pub kind: String,
    pub value: String,
    pub fraud_types: String,
}

/// Inserts the indicators of `chunk` as `reported`, or adds their sightings to the existing ones.
pub async fn upsert(
    tx: &mut AnyConnection,
    backend: Backend,
    chunk: &[Sighted<'_>],
    now: i64,
) -> DbResult<Vec<Upserted>> {
    let mut sql = String::from(
        "INSERT INTO indicators (kind, value, status, fraud_types, tlp, sightings, first_seen, last_seen, note, created_at, updated_at) VALUES ",
    );
    sql.push_str(&crate::db::values_rows(chunk.len(), 11, 1));
    sql.push_str(
        " ON CONFLICT (kind, value) DO UPDATE SET sightings = indicators.sightings + excluded.sightings, \
         last_seen = excluded.last_seen, updated_at = excluded.updated_at RETURNING id, kind, value, fraud_types",
    );
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql);
    for ((kind, value), (n, types)) in chunk {
        q = q
            .bind(kind.as_str())
            .bind(value.as_str())
            .bind(Status::Reported.as_str())
            .bind(types.to_db())
            .bind(Tlp::Green.as_str())
            .bind(*n)
            .bind(now)
            .bind(now)
            .bind("")
            .bind(now)
            .bind(now);
    }
    let returned = q.fetch_all(&mut *tx).await?;
    returned
        .iter()
        .map(|r| {
            Ok(Upserted {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                value: r.try_get("value")?,
                fraud_types: r.try_get("fraud_types")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Sets the fraud types of indicator `id`.
pub async fn set_fraud_types(tx: &mut AnyConnection, id: i64, types: FraudTypes) -> DbResult<()> {
    sqlx::query("UPDATE indicators SET fraud_types = $1 WHERE id = $2")
        .bind(types.to_db())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Records (indicator id, source) pairs; a pair already recorded is kept as it is.
pub async fn add_sources(
    tx: &mut AnyConnection,
    backend: Backend,
    chunk: &[(i64, &str)],
    now: i64,
) -> DbResult<()> {
    let sql = format!(
        "INSERT INTO indicator_sources (indicator_id, source, at) VALUES {} ON CONFLICT (indicator_id, source) DO NOTHING",
        crate::db::values_rows(chunk.len(), 3, 1)
    );
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql);
    for (id, source) in chunk {
        q = q.bind(*id).bind(*source).bind(now);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// One change-log row per indicator of `chunk`, for every process's index.
pub async fn log_changes(
    tx: &mut AnyConnection,
    backend: Backend,
    chunk: &[Sighted<'_>],
    now: i64,
) -> DbResult<()> {
    let sql = format!(
        "INSERT INTO indicator_changes (kind, value, at) VALUES {}",
        crate::db::values_rows(chunk.len(), 3, 1)
    );
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql);
    for ((kind, value), _) in chunk {
        q = q.bind(kind.as_str()).bind(value.as_str()).bind(now);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// Announces a change to every process listening (PostgreSQL only; delivered at commit).
pub async fn announce(tx: &mut AnyConnection) -> DbResult<()> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(crate::intel::CHANNEL)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

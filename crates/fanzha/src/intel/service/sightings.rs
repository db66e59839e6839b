//! Sightings from reports and cases: one indicator at a time or a whole batch in a few multi-row statements.

use super::*;

/// Creates or bumps an indicator as `reported` (sighting count + 1, fraud types added, source
/// recorded), for reports and cases. A value that is not valid for its kind is refused.
/// Returns the indicator id. One `INSERT … ON CONFLICT (kind, value) DO UPDATE`, so two
/// concurrent first sightings of the same new indicator cannot collide.
pub async fn record_sighting(
    tx: &mut AnyConnection,
    clock: &Clock,
    kind: &str,
    value: &str,
    fraud_types: &[FraudType],
    source: &str,
) -> IntelResult<i64> {
    let ids = record_sightings(
        tx,
        clock,
        &[Sighting {
            kind,
            value,
            fraud_types,
            source,
        }],
    )
    .await?;
    ids.into_iter().next().ok_or(IntelError::NotFound)
}

/// The set-based [`record_sighting`]: every sighting of `items` in a few multi-row statements
/// (indicators upserted in (kind, value) order — the same order in every process, so concurrent
/// batches cannot deadlock — then sources and change-log rows). The same indicator may appear
/// several times: its count goes up by its number of sightings. All or nothing: one invalid
/// value refuses the whole call. Returns the indicator id of each item, in order.
pub async fn record_sightings(
    tx: &mut AnyConnection,
    clock: &Clock,
    items: &[Sighting<'_>],
) -> IntelResult<Vec<i64>> {
    use std::collections::{BTreeMap, BTreeSet};
    let now = clock.now_ms();
    let mut keys = Vec::with_capacity(items.len());
    let mut bad = Vec::new();
    for s in items {
        match IndicatorKey::parse(s.kind, s.value) {
            Ok(k) => keys.push(k),
            Err(e) => bad.push(e),
        }
    }
    if !bad.is_empty() {
        return Err(IntelError::Invalid(bad));
    }
    // (kind, value) -> (sightings, fraud types)
    let mut agg: BTreeMap<(String, String), (i64, FraudTypes)> = BTreeMap::new();
    for (k, s) in keys.iter().zip(items) {
        let e = agg
            .entry((k.kind().id().to_string(), k.value().to_string()))
            .or_insert((0, FraudTypes::default()));
        e.0 += 1;
        e.1 = e.1.union(types_of(s.fraud_types));
    }
    let backend = if tx.backend_name() == "PostgreSQL" {
        crate::db::Backend::Postgres
    } else {
        crate::db::Backend::Sqlite
    };
    let mut ids: BTreeMap<(String, String), i64> = BTreeMap::new();
    let rows: Vec<store::sightings::Sighted> = agg.iter().collect();
    for chunk in rows.chunks(BULK_ROWS) {
        let returned = store::sightings::upsert(&mut *tx, backend, chunk, now).await?;
        for r in returned {
            let key = (r.kind, r.value);
            // A bumped indicator keeps its fraud types: add the new ones (the row is locked by
            // the upsert until commit, so this read-modify-write cannot race).
            if let Some((_, new)) = agg.get(&key) {
                let old = FraudTypes::parse(&r.fraud_types).unwrap_or_default();
                let merged = old.union(*new);
                if merged != old {
                    store::sightings::set_fraud_types(&mut *tx, r.id, merged).await?;
                }
            }
            ids.insert(key, r.id);
        }
    }
    // Sources, once per (indicator, source).
    let sources: BTreeSet<(i64, &str)> = keys
        .iter()
        .zip(items)
        .filter_map(|(k, s)| {
            ids.get(&(k.kind().id().to_string(), k.value().to_string()))
                .map(|id| (*id, s.source))
        })
        .collect();
    let sources: Vec<(i64, &str)> = sources.into_iter().collect();
    for chunk in sources.chunks(BULK_ROWS) {
        store::sightings::add_sources(&mut *tx, backend, chunk, now).await?;
    }
    // One change-log row per indicator, for every process's index.
    for chunk in rows.chunks(BULK_ROWS) {
        store::sightings::log_changes(&mut *tx, backend, chunk, now).await?;
    }
    if backend == crate::db::Backend::Postgres && !rows.is_empty() {
        // Delivered at commit; every process listening refreshes at once.
        store::sightings::announce(&mut *tx).await?;
    }
    keys.iter()
        .map(|k| {
            ids.get(&(k.kind().id().to_string(), k.value().to_string()))
                .copied()
                .ok_or(IntelError::NotFound)
        })
        .collect()
}

//! Rules of the indicator store: sightings, police decisions (confirm, clear, sharing level,
//! merge), imports that write all or nothing, and the review queue. Every status change is audited
//! and logged in `indicator_changes` so every process's index follows.

use fanzha_detect::FraudType;
use sqlx::AnyConnection;

use super::model::{Entry, FraudTypes, Indicator, IndicatorKey, SetBy, Status, Tlp};
use super::store::{self, NewIndicator};
use crate::audit::{self, Actor, Event};
use crate::clock::Clock;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum IntelError {
    /// Input refused; one message per problem (an import lists every bad entry).
    #[error("invalid input: {0:?}")]
    Invalid(Vec<String>),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<IntelError> for crate::error::AppError {
    fn from(e: IntelError) -> Self {
        use crate::error::{AppError, Msg};
        match e {
            IntelError::Invalid(v) => AppError::unprocessable("intel-err-invalid").details(
                v.into_iter()
                    .map(|m| Msg::new("err-detail").arg("text", m))
                    .collect(),
            ),
            IntelError::NotFound => AppError::not_found(),
            IntelError::Db(e) => e.into(),
        }
    }
}

impl From<sqlx::Error> for IntelError {
    fn from(e: sqlx::Error) -> Self {
        IntelError::Db(e.into())
    }
}

pub type IntelResult<T> = Result<T, IntelError>;

/// Who decides, for the audit log: the actor and the unit path the entry is filed under (the
/// officer's own unit, so their station and province can read it).
#[derive(Clone, Debug)]
pub struct By {
    pub actor: Actor,
    pub unit_path: String,
}

fn types_of(v: &[FraudType]) -> FraudTypes {
    let mut t = FraudTypes::default();
    for x in v {
        t.insert(*x);
    }
    t
}

/// One sighting for [`record_sightings`].
#[derive(Clone, Debug)]
pub struct Sighting<'a> {
    pub kind: &'a str,
    pub value: &'a str,
    pub fraud_types: &'a [FraudType],
    pub source: &'a str,
}

/// Rows per multi-row statement (11 parameters a row stays far below both backends' limits).
const BULK_ROWS: usize = 400;

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
    type Row<'r> = (&'r (String, String), &'r (i64, FraudTypes));
    let rows: Vec<Row> = agg.iter().collect();
    for chunk in rows.chunks(BULK_ROWS) {
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
        for r in returned {
            use sqlx::Row;
            let id: i64 = r.try_get(0)?;
            let kind: String = r.try_get(1)?;
            let value: String = r.try_get(2)?;
            let stored: String = r.try_get(3)?;
            let key = (kind, value);
            // A bumped indicator keeps its fraud types: add the new ones (the row is locked by
            // the upsert until commit, so this read-modify-write cannot race).
            if let Some((_, new)) = agg.get(&key) {
                let old = FraudTypes::parse(&stored).unwrap_or_default();
                let merged = old.union(*new);
                if merged != old {
                    sqlx::query("UPDATE indicators SET fraud_types = $1 WHERE id = $2")
                        .bind(merged.to_db())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            ids.insert(key, id);
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
    }
    // One change-log row per indicator, for every process's index.
    for chunk in rows.chunks(BULK_ROWS) {
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
    }
    if backend == crate::db::Backend::Postgres && !rows.is_empty() {
        // Delivered at commit; every process listening refreshes at once.
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(super::CHANNEL)
            .execute(&mut *tx)
            .await?;
    }
    keys.iter()
        .map(|k| {
            ids.get(&(k.kind().id().to_string(), k.value().to_string()))
                .copied()
                .ok_or(IntelError::NotFound)
        })
        .collect()
}

/// Marks (kind, value) confirmed by police (creating it when new), with these fraud types added;
/// audited. For cases and the police console.
pub async fn confirm(
    tx: &mut AnyConnection,
    clock: &Clock,
    by: &By,
    kind: &str,
    value: &str,
    fraud_types: &[FraudType],
    source: &str,
) -> IntelResult<i64> {
    let key = IndicatorKey::parse(kind, value).map_err(|e| IntelError::Invalid(vec![e]))?;
    let now = clock.now_ms();
    let id = match store::by_key(tx, &key).await? {
        Some(i) => i.id,
        None => {
            store::insert(
                tx,
                &NewIndicator {
                    key: &key,
                    status: Status::Reported,
                    types: FraudTypes::default(),
                    tlp: Tlp::Green,
                    sightings: 0,
                    note: "",
                },
                now,
            )
            .await?
        }
    };
    store::add_source(tx, id, source, now).await?;
    decide(
        tx,
        clock,
        by,
        id,
        Some(Status::Confirmed),
        types_of(fraud_types),
        None,
    )
    .await?;
    Ok(id)
}

/// A police decision on one indicator: a new status and/or sharing level, fraud types added.
/// Audited as `intel.status` / `intel.tlp` when they change.
pub async fn decide(
    tx: &mut AnyConnection,
    clock: &Clock,
    by: &By,
    id: i64,
    status: Option<Status>,
    add_types: FraudTypes,
    tlp: Option<Tlp>,
) -> IntelResult<Indicator> {
    let i = store::by_id(tx, id).await?.ok_or(IntelError::NotFound)?;
    let now = clock.now_ms();
    let new_status = status.unwrap_or(i.status);
    let new_tlp = tlp.unwrap_or(i.tlp);
    let types = FraudTypes::from_list(&i.fraud_types)
        .unwrap_or_default()
        .union(add_types);
    store::update(tx, id, new_status, types, new_tlp, now).await?;
    store::set_by_of(
        tx,
        id,
        status.map(|_| SetBy::Person),
        tlp.map(|_| SetBy::Person),
    )
    .await?;
    let key = IndicatorKey::parse(&i.kind, &i.value).map_err(|e| IntelError::Invalid(vec![e]))?;
    store::log_change(tx, &key, now).await?;
    if new_status != i.status {
        audit::record(
            &mut *tx,
            clock,
            &by.actor,
            Event {
                action: "intel.status",
                target_kind: "indicator",
                target_id: id.to_string(),
                unit_path: by.unit_path.clone(),
                detail: serde_json::json!({"kind": i.kind, "value": i.value, "from": i.status.as_str(), "to": new_status.as_str()}),
            },
        )
        .await?;
    }
    if new_tlp != i.tlp {
        audit::record(
            &mut *tx,
            clock,
            &by.actor,
            Event {
                action: "intel.tlp",
                target_kind: "indicator",
                target_id: id.to_string(),
                unit_path: by.unit_path.clone(),
                detail: serde_json::json!({"kind": i.kind, "value": i.value, "from": i.tlp.as_str(), "to": new_tlp.as_str()}),
            },
        )
        .await?;
    }
    store::by_id(tx, id).await?.ok_or(IntelError::NotFound)
}

/// Police enter an indicator by hand (source `police:<account>`).
pub async fn enter(
    tx: &mut AnyConnection,
    clock: &Clock,
    by: &By,
    key: &IndicatorKey,
    status: Status,
    types: FraudTypes,
    tlp: Tlp,
) -> IntelResult<i64> {
    let now = clock.now_ms();
    let id = match store::by_key(tx, key).await? {
        Some(i) => i.id,
        None => {
            let id = store::insert(
                tx,
                &NewIndicator {
                    key,
                    status: Status::Reported,
                    types: FraudTypes::default(),
                    tlp,
                    sightings: 1,
                    note: "",
                },
                now,
            )
            .await?;
            audit::record(
                &mut *tx,
                clock,
                &by.actor,
                Event {
                    action: "intel.create",
                    target_kind: "indicator",
                    target_id: id.to_string(),
                    unit_path: by.unit_path.clone(),
                    detail: serde_json::json!({"kind": key.kind().id(), "value": key.value()}),
                },
            )
            .await?;
            id
        }
    };
    let source = format!("police:{}", by.actor.account_id.unwrap_or_default());
    store::add_source(tx, id, &source, now).await?;
    decide(tx, clock, by, id, Some(status), types, Some(tlp)).await?;
    Ok(id)
}

/// Merges indicator `from` into `into`: sightings add up, fraud types and sources join, the higher
/// status and the stricter sharing level win; `from` is deleted. Audited.
pub async fn merge(
    tx: &mut AnyConnection,
    clock: &Clock,
    by: &By,
    from: i64,
    into: i64,
) -> IntelResult<Indicator> {
    if from == into {
        return Err(IntelError::Invalid(vec![
            "an indicator cannot be merged into itself".into(),
        ]));
    }
    let a = store::by_id(tx, from).await?.ok_or(IntelError::NotFound)?;
    let b = store::by_id(tx, into).await?.ok_or(IntelError::NotFound)?;
    let now = clock.now_ms();
    let types = FraudTypes::from_list(&a.fraud_types)
        .unwrap_or_default()
        .union(FraudTypes::from_list(&b.fraud_types).unwrap_or_default());
    store::move_sources(tx, from, into).await?;
    store::bump(tx, into, types, a.sightings, now).await?;
    let status = merged_status(a.status, b.status);
    store::update(tx, into, status, types, a.tlp.max(b.tlp), now).await?;
    store::set_by_of(tx, into, Some(SetBy::Person), Some(SetBy::Person)).await?;
    store::delete(tx, from).await?;
    for i in [&a, &b] {
        if let Ok(k) = IndicatorKey::parse(&i.kind, &i.value) {
            store::log_change(tx, &k, now).await?;
        }
    }
    audit::record(
        &mut *tx,
        clock,
        &by.actor,
        Event {
            action: "intel.merge",
            target_kind: "indicator",
            target_id: into.to_string(),
            unit_path: by.unit_path.clone(),
            detail: serde_json::json!({"from": from, "from_value": a.value, "into_value": b.value, "status": status.as_str()}),
        },
    )
    .await?;
    store::by_id(tx, into).await?.ok_or(IntelError::NotFound)
}

/// Confirmed beats suspected beats reported; cleared only when both were cleared.
fn merged_status(a: Status, b: Status) -> Status {
    let rank = |s: Status| match s {
        Status::Cleared => 0,
        Status::Reported => 1,
        Status::Suspected => 2,
        Status::Confirmed => 3,
    };
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

/// What an import did (or, in a dry run, would do).
#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// The batch id (`intel_imports`); none in a dry run, which writes nothing.
    pub batch: Option<i64>,
    /// Entries read (one per value: a STIX pattern joined with OR gives one per value).
    pub entries: usize,
    /// Indicators the import creates.
    pub created: usize,
    /// Known indicators whose status, sharing level or fraud types the feed changes.
    pub updated: usize,
    /// Known indicators the feed leaves as they are.
    pub unchanged: usize,
    /// Sightings added: once per (feed, entry id), never again on a re-import.
    pub sightings: usize,
    /// Entries the feed withdrew (revoked, expired, deleted): imported as cleared, not live.
    pub withdrawn: usize,
    /// Disagreements with a person's decision queued for review.
    pub conflicts: usize,
}

/// Is the status a verdict of fraud (anything but cleared)?
fn malicious(s: Status) -> bool {
    s != Status::Cleared
}

/// Writes parsed entries of an import under the merge rules:
///
/// * a status or sharing level a person set is never changed by an import, in either direction;
///   where the feed disagrees (it calls fraud what police cleared or the reverse, or it shares
///   more strictly than police chose), the disagreement is queued for review with both values;
/// * a status or sharing level set by an import (or the default of an indicator seen in reports)
///   takes the feed's value, except that a feed never clears what reports raised (queued instead);
/// * fraud types join;
/// * a sighting is added once per (feed source, entry id): re-importing the same feed adds none.
///
/// Source `import:<batch>`. Returns what it did.
pub async fn import(
    tx: &mut AnyConnection,
    clock: &Clock,
    by: &By,
    format: &str,
    entries: &[Entry],
) -> IntelResult<ImportSummary> {
    let now = clock.now_ms();
    let batch =
        store::new_import(tx, format, entries.len() as i64, by.actor.account_id, now).await?;
    let source = format!("import:{batch}");
    let mut sum = ImportSummary {
        batch: Some(batch),
        entries: entries.len(),
        ..Default::default()
    };
    // In (kind, value) order, the order `record_sightings` locks rows in, so concurrent imports
    // and report batches cannot deadlock (a stable sort: of one value twice, the last entry wins).
    let mut ordered: Vec<&Entry> = entries.iter().collect();
    ordered.sort_by_key(|e| (e.key.kind().id(), e.key.value()));
    for e in ordered {
        if e.withdrawn.is_some() {
            sum.withdrawn += 1;
        }
        let types = e.types();
        let found = store::by_key(tx, &e.key).await?;
        let created = match found {
            Some(_) => None,
            None => {
                store::insert_if_absent(
                    tx,
                    &NewIndicator {
                        key: &e.key,
                        status: e.status,
                        types,
                        tlp: e.tlp,
                        sightings: 0,
                        note: "",
                    },
                    now,
                )
                .await?
            }
        };
        let found = match (created, found) {
            (Some(_), _) => None,
            (None, Some(i)) => Some(i),
            // Created by another import since it was looked up.
            (None, None) => Some(
                store::by_key(tx, &e.key)
                    .await?
                    .ok_or(IntelError::NotFound)?,
            ),
        };
        let id = match (created, found) {
            (None, None) => return Err(IntelError::NotFound),
            (Some(id), _) => {
                store::set_by_of(tx, id, Some(SetBy::Import), Some(SetBy::Import)).await?;
                audit::record(
                    &mut *tx,
                    clock,
                    &by.actor,
                    Event {
                        action: "intel.create",
                        target_kind: "indicator",
                        target_id: id.to_string(),
                        unit_path: by.unit_path.clone(),
                        detail: serde_json::json!({"kind": e.key.kind().id(), "value": e.key.value(), "status": e.status.as_str(), "tlp": e.tlp.as_str(), "import": batch}),
                    },
                )
                .await?;
                sum.created += 1;
                id
            }
            (None, Some(i)) => {
                // Lock the row, then read it again: a concurrent import of the same value waits
                // here and sees this one's result (no lost update, no twice-queued disagreement).
                store::lock(tx, i.id).await?;
                let i = store::by_id(tx, i.id).await?.ok_or(IntelError::NotFound)?;
                let conflict = |field: &'static str, ours: &str, theirs: &str| {
                    (field, ours.to_string(), theirs.to_string())
                };
                let mut queued = Vec::new();
                let (status, status_by) = match i.status_by {
                    SetBy::Person => {
                        if malicious(i.status) != malicious(e.status) {
                            queued.push(conflict("status", i.status.as_str(), e.status.as_str()));
                        }
                        (i.status, SetBy::Person)
                    }
                    SetBy::Report if e.status == Status::Cleared && i.status != Status::Cleared => {
                        queued.push(conflict("status", i.status.as_str(), e.status.as_str()));
                        (i.status, SetBy::Report)
                    }
                    SetBy::Report if e.status == i.status => (i.status, SetBy::Report),
                    _ => (e.status, SetBy::Import),
                };
                let (tlp, tlp_by) = match i.tlp_by {
                    SetBy::Person => {
                        if e.tlp > i.tlp {
                            queued.push(conflict("tlp", i.tlp.as_str(), e.tlp.as_str()));
                        }
                        (i.tlp, SetBy::Person)
                    }
                    SetBy::Report if e.tlp == i.tlp => (i.tlp, SetBy::Report),
                    _ => (e.tlp, SetBy::Import),
                };
                let old_types = FraudTypes::from_list(&i.fraud_types).unwrap_or_default();
                let new_types = old_types.union(types);
                for (field, ours, theirs) in &queued {
                    if store::insert_conflict(
                        tx,
                        &store::NewConflict {
                            indicator_id: i.id,
                            import_id: batch,
                            source: &e.source,
                            entry_id: &e.entry_id,
                            field,
                            ours,
                            theirs,
                            reason: e.withdrawn.unwrap_or(""),
                        },
                        now,
                    )
                    .await?
                    {
                        sum.conflicts += 1;
                    }
                }
                if status != i.status || tlp != i.tlp || new_types != old_types {
                    store::update(tx, i.id, status, new_types, tlp, now).await?;
                    sum.updated += 1;
                } else {
                    sum.unchanged += 1;
                }
                store::set_by_of(
                    tx,
                    i.id,
                    (status_by != i.status_by).then_some(status_by),
                    (tlp_by != i.tlp_by).then_some(tlp_by),
                )
                .await?;
                for (action, from, to) in [
                    ("intel.status", i.status.as_str(), status.as_str()),
                    ("intel.tlp", i.tlp.as_str(), tlp.as_str()),
                ] {
                    if from != to {
                        audit::record(
                            &mut *tx,
                            clock,
                            &by.actor,
                            Event {
                                action,
                                target_kind: "indicator",
                                target_id: i.id.to_string(),
                                unit_path: by.unit_path.clone(),
                                detail: serde_json::json!({"kind": i.kind, "value": i.value, "from": from, "to": to, "import": batch}),
                            },
                        )
                        .await?;
                    }
                }
                i.id
            }
        };
        store::add_source(tx, id, &source, now).await?;
        if store::add_feed_sighting(tx, &e.source, &e.entry_id, id, now).await? {
            sum.sightings += 1;
        }
        store::log_change(tx, &e.key, now).await?;
    }
    audit::record(
        &mut *tx,
        clock,
        &by.actor,
        Event {
            action: "intel.import",
            target_kind: "intel_import",
            target_id: batch.to_string(),
            unit_path: by.unit_path.clone(),
            detail: serde_json::json!({"format": format, "entries": entries.len(), "created": sum.created,
                "updated": sum.updated, "conflicts": sum.conflicts, "sightings": sum.sightings}),
        },
    )
    .await?;
    Ok(sum)
}

/// Imports parsed entries in one transaction; a dry run rolls it back, so its summary is exactly
/// what the import would do and nothing is written.
pub async fn run_import(
    db: &crate::db::Db,
    clock: &Clock,
    by: &By,
    format: &str,
    entries: &[Entry],
    dry_run: bool,
) -> IntelResult<ImportSummary> {
    let mut tx = db.begin_write().await?;
    let mut sum = import(&mut tx, clock, by, format, entries).await?;
    if dry_run {
        tx.rollback().await?;
        sum.batch = None;
    } else {
        tx.commit().await?;
    }
    Ok(sum)
}

/// What police decide about a feed's disagreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictOutcome {
    /// Keep the person's value.
    Keep,
    /// Take the feed's value, as a person's decision.
    Accept,
}

/// Resolves an open disagreement; audited (`intel.conflict`, and `intel.status`/`intel.tlp`
/// when the feed's value is taken).
pub async fn resolve_conflict(
    tx: &mut AnyConnection,
    clock: &Clock,
    by: &By,
    id: i64,
    outcome: ConflictOutcome,
) -> IntelResult<()> {
    let x = store::conflict_by_id(tx, id)
        .await?
        .ok_or(IntelError::NotFound)?;
    if x.status != "open" {
        return Err(IntelError::Invalid(vec!["already resolved".into()]));
    }
    let now = clock.now_ms();
    if outcome == ConflictOutcome::Accept {
        let (status, tlp) = match x.field.as_str() {
            "status" => (
                Some(
                    x.theirs
                        .parse::<Status>()
                        .map_err(|e| IntelError::Invalid(vec![e]))?,
                ),
                None,
            ),
            _ => (
                None,
                Some(
                    x.theirs
                        .parse::<Tlp>()
                        .map_err(|e| IntelError::Invalid(vec![e]))?,
                ),
            ),
        };
        decide(
            tx,
            clock,
            by,
            x.indicator_id,
            status,
            FraudTypes::default(),
            tlp,
        )
        .await?;
    }
    let status = match outcome {
        ConflictOutcome::Keep => "kept",
        ConflictOutcome::Accept => "accepted",
    };
    if !store::resolve_conflict(tx, id, status, by.actor.account_id.unwrap_or_default(), now)
        .await?
    {
        return Err(IntelError::Invalid(vec!["already resolved".into()]));
    }
    audit::record(
        &mut *tx,
        clock,
        &by.actor,
        Event {
            action: "intel.conflict",
            target_kind: "indicator",
            target_id: x.indicator_id.to_string(),
            unit_path: by.unit_path.clone(),
            detail: serde_json::json!({"conflict": id, "field": x.field, "ours": x.ours, "theirs": x.theirs, "outcome": status}),
        },
    )
    .await?;
    Ok(())
}

/// What police decide about a "this answer is wrong" item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Clear these indicators of the check as false positives.
    Clear(Vec<i64>),
    /// Keep the text as a labelled example for retraining.
    Label(FraudType),
    Dismiss,
}

/// Resolves an open review; audited.
pub async fn resolve_review(
    tx: &mut AnyConnection,
    clock: &Clock,
    by: &By,
    review_id: i64,
    outcome: &Outcome,
) -> IntelResult<()> {
    let r = store::review_by_id(tx, review_id)
        .await?
        .ok_or(IntelError::NotFound)?;
    if r.status != "open" {
        return Err(IntelError::Invalid(vec!["review already resolved".into()]));
    }
    let account = by.actor.account_id.unwrap_or_default();
    let now = clock.now_ms();
    let (status, detail) = match outcome {
        Outcome::Clear(ids) => {
            if ids.is_empty() {
                return Err(IntelError::Invalid(vec![
                    "choose an indicator to clear".into()
                ]));
            }
            for id in ids {
                decide(
                    tx,
                    clock,
                    by,
                    *id,
                    Some(Status::Cleared),
                    FraudTypes::default(),
                    None,
                )
                .await?;
            }
            ("cleared", format!("cleared indicators {ids:?}"))
        }
        Outcome::Label(t) => {
            store::insert_example(tx, &r.check_text, t.id(), Some(review_id), account, now).await?;
            ("labelled", format!("labelled {}", t.id()))
        }
        Outcome::Dismiss => ("dismissed", String::new()),
    };
    if !store::resolve_review(tx, review_id, status, &detail, account, now).await? {
        return Err(IntelError::Invalid(vec!["review already resolved".into()]));
    }
    audit::record(
        &mut *tx,
        clock,
        &by.actor,
        Event {
            action: "intel.review",
            target_kind: "intel_review",
            target_id: review_id.to_string(),
            unit_path: by.unit_path.clone(),
            detail: serde_json::json!({"outcome": status, "detail": detail}),
        },
    )
    .await?;
    Ok(())
}

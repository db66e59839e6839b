//! Imports of parsed feed entries under the merge rules, all or nothing, with a dry run.

use super::*;

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
pub(super) fn malicious(s: Status) -> bool {
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

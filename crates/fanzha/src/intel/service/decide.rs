//! Police decisions on indicators: confirm, decide (status, sharing level, fraud types), enter by hand, merge.

use super::*;

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
pub(super) fn merged_status(a: Status, b: Status) -> Status {
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

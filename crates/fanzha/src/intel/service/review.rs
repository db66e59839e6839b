//! The review queue: disagreements of a feed with police decisions, and "this answer is wrong" items.

use super::*;

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

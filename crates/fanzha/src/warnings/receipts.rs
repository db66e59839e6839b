//! Warnings from partner systems (banks, loan platforms): a partner learns nothing about people.
//!
//! `POST /api/v1/warnings` with a partner's token checks only the syntax of the warning, writes it
//! unidentified (in the partner's own queue, told to nobody) with its receipt and queues the
//! `warnings.intake` job in one transaction, and answers the receipt (id, the partner's
//! reference, received time, `received`). The receipt's id is the warning's id, so a partner's
//! ids and other issuers' ids never overlap. The job then matches the person and
//! routes the warning like any other; the receipt turns `processed` whether or not anybody
//! matched. So neither the answer, nor its status code, nor its timing depends on a match, and an
//! unknown phone or student number is no reason to refuse. A partner reads back its own receipts
//! only; warnings themselves are never visible to it.

use crate::kernel::ids::{AccountId, WarningId};
use sqlx::AnyConnection;

use futures::future::BoxFuture;

use super::model::{NewWarning, Receipt, WarnKind};
use super::service::{self, is_busy, Issuer, WarnError, WarningInput};
use super::store;
use crate::audit::{self, Actor};
use crate::clock::Clock;
use crate::db::jobs::{enqueue_with, JobRegistry, NewJob};
use crate::db::{Db, DbError};
use crate::error::Msg;
use crate::inbox;

/// The job that matches and routes one received partner warning.
pub const INTAKE_JOB: &str = "warnings.intake";

/// What the intake job needs: the input as sent and the issuer as it was when received.
#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    input: WarningInput,
    name: String,
    scopes: Vec<String>,
    home_path: String,
}

/// A partner's reference: up to 100 visible characters.
fn reference(i: &WarningInput) -> Result<Option<String>, Msg> {
    let Some(raw) = i.reference.as_deref() else {
        return Ok(None);
    };
    let r = crate::text::name(raw).map_err(|e| Msg::new(e.key()))?;
    if r.chars().count() > 100 {
        return Err(Msg::new("warn-err-reference"));
    }
    Ok((!r.is_empty()).then(|| r.to_string()))
}

/// Writes what another kind of warning keeps of its own (e.g. the facts of a mule-risk signal)
/// in the transaction that writes the warning; given the warning's id.
pub type ExtraWrite = dyn for<'c> Fn(&'c mut AnyConnection, WarningId) -> BoxFuture<'c, Result<(), DbError>>
    + Send
    + Sync;

/// Receives a partner's warning: syntax checked, written unidentified with its receipt, intake
/// job queued, one commit. With an idempotency key, a repeat returns the first receipt (and
/// `false`).
pub async fn receive(
    db: &Db,
    clock: &Clock,
    issuer: &Issuer,
    key: Option<String>,
    input: &WarningInput,
) -> Result<(Receipt, bool), WarnError> {
    receive_with(db, clock, issuer, key, input, WarnKind::Fraud, &|_, _| {
        Box::pin(async { Ok(()) })
    })
    .await
}

/// [`receive`] for a warning of another kind: the same receipt, job and answer; `extra` writes
/// the kind's own facts in the same transaction (not on a repeat of the key).
pub async fn receive_with(
    db: &Db,
    clock: &Clock,
    issuer: &Issuer,
    key: Option<String>,
    input: &WarningInput,
    kind: WarnKind,
    extra: &ExtraWrite,
) -> Result<(Receipt, bool), WarnError> {
    if issuer.account_id.is_none() {
        return Err(WarnError::Forbidden);
    }
    let (mut nw, mut errs) = match service::parse_input(input) {
        Ok(nw) => (Some(nw), vec![]),
        Err(errs) => (None, errs),
    };
    let reference = match reference(input) {
        Ok(r) => r,
        Err(m) => {
            errs.push(m);
            None
        }
    };
    let Some(nw) = nw.as_mut().filter(|_| errs.is_empty()) else {
        return Err(WarnError::Refused(errs));
    };
    nw.idempotency_key = key;
    nw.kind = kind;
    let payload = serde_json::to_string(&Payload {
        input: input.clone(),
        name: issuer.name.clone(),
        scopes: issuer.scopes.clone(),
        home_path: issuer.home_path.clone(),
    })
    .map_err(|e| WarnError::Db(DbError::Config(e.to_string())))?;
    let mut attempt = 0;
    loop {
        match receive_once(db, clock, issuer, nw, reference.as_deref(), &payload, extra).await {
            Err(WarnError::Db(e)) if is_busy(&e) && attempt < 8 => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(5 << attempt)).await;
            }
            r => return r,
        }
    }
}

async fn receive_once(
    db: &Db,
    clock: &Clock,
    issuer: &Issuer,
    nw: &NewWarning,
    reference: Option<&str>,
    payload: &str,
    extra: &ExtraWrite,
) -> Result<(Receipt, bool), WarnError> {
    let account = issuer.account_id.unwrap_or_default();
    let key = nw.idempotency_key.as_deref();
    let mut conn = db.pool.acquire().await.map_err(DbError::from)?;
    if let Some(k) = key {
        if let Some(r) = store::receipt_by_key(&mut conn, account, k).await? {
            return Ok((r, false));
        }
    }
    drop(conn);
    let mut tx = db.begin_write().await.map_err(DbError::from)?;
    let now = clock.now_ms();
    let written = async {
        let w = service::insert_received(&mut tx, clock, issuer, nw).await?;
        let r = store::insert_receipt(&mut tx, w.id, account, reference, payload, now).await?;
        extra(&mut tx, w.id).await?;
        enqueue_with(
            &mut *tx,
            clock,
            NewJob::new(INTAKE_JOB, serde_json::json!({ "warning": w.id }))
                .dedup(format!("{INTAKE_JOB}:{}", w.id)),
        )
        .await?;
        Ok::<_, WarnError>(r)
    }
    .await;
    match written {
        Ok(r) => {
            tx.commit().await.map_err(DbError::from)?;
            Ok((r, true))
        }
        Err(WarnError::Db(e)) if e.is_unique_violation() && key.is_some() => {
            // Two requests with one key raced; the other one won.
            drop(tx);
            let mut conn = db.pool.acquire().await.map_err(DbError::from)?;
            let r = store::receipt_by_key(&mut conn, account, key.unwrap_or_default())
                .await?
                .ok_or(WarnError::Db(e))?;
            Ok((r, false))
        }
        Err(e) => Err(e),
    }
}

/// One receipt of the caller's partner account; any other id is not found.
pub async fn receipt(db: &Db, account_id: AccountId, id: i64) -> Result<Receipt, WarnError> {
    let mut c = db.pool.acquire().await.map_err(DbError::from)?;
    store::receipt_of(&mut c, account_id, id)
        .await?
        .ok_or(WarnError::NotFound)
}

/// The intake job: matches and routes the received warning, marks the receipt processed and
/// audits the issuance, in one transaction (a retry after a crash finds it still `received`).
pub async fn process(db: &Db, clock: &Clock, warning_id: WarningId) -> Result<(), WarnError> {
    let mut tx = db.begin_write().await.map_err(DbError::from)?;
    let Some((account, payload)) = store::receipt_pending(&mut tx, warning_id).await? else {
        return Ok(());
    };
    let p: Payload = serde_json::from_str(&payload)
        .map_err(|e| WarnError::Db(DbError::Config(format!("receipt {warning_id}: {e}"))))?;
    let issuer = Issuer {
        account_id: Some(account),
        name: p.name,
        kind: "partner",
        scopes: p.scopes,
        home_path: p.home_path,
    };
    // Checked when received; should a later rule refuse it, it stays in the queue unrouted.
    if let Ok(mut nw) = service::parse_input(&p.input) {
        nw.kind = store::warning_by_id(&mut tx, warning_id)
            .await?
            .map_or(WarnKind::Fraud, |w| w.kind);
        route(&mut tx, clock, &issuer, &nw, warning_id).await?;
    }
    store::receipt_processed(&mut tx, warning_id, clock.now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    inbox::bump();
    Ok(())
}

async fn route(
    c: &mut AnyConnection,
    clock: &Clock,
    issuer: &Issuer,
    nw: &NewWarning,
    warning_id: WarningId,
) -> Result<(), WarnError> {
    let w = service::route_received(c, clock, issuer, nw, warning_id).await?;
    let actor = Actor {
        account_id: issuer.account_id,
        name: issuer.name.clone(),
        ip: String::new(),
        request_id: format!("{INTAKE_JOB}:{warning_id}"),
    };
    audit::record(
        &mut *c,
        clock,
        &actor,
        audit::Event {
            action: "warning.issue",
            target_kind: "warning",
            target_id: w.id.to_string(),
            unit_path: w.unit_path.clone(),
            detail: serde_json::json!({"severity": w.severity, "fraud_type": w.fraud_type,
                "status": w.status, "via": "partner"}),
        },
    )
    .await?;
    Ok(())
}

/// Registers the intake job.
pub fn register_jobs(reg: &mut JobRegistry, db: Db, clock: Clock) {
    reg.register(INTAKE_JOB, move |job| {
        let (db, clock) = (db.clone(), clock.clone());
        async move {
            let id = job.payload["warning"]
                .as_i64()
                .ok_or_else(|| format!("job {}: no warning id", job.id))?;
            process(&db, &clock, WarningId(id))
                .await
                .map_err(|e| e.to_string())
        }
    });
}

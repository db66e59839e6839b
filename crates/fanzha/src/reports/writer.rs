//! Group commit of reports: one writer task per process takes the validated reports that arrive
//! within a short window (or up to a batch size) and writes them in one transaction with
//! set-based statements, then answers each submitter — only after the commit, so a report is
//! durable before its success response. Validation and indicator extraction run on the
//! submitter's task; the writer only writes.
//!
//! Idempotency holds across batches, processes and inside a batch: the report insert is
//! `ON CONFLICT (reporter_account_id, idempotency_key) DO NOTHING`, a key already stored answers
//! the report filed then, and two submits with the same key in one batch both get the report of
//! the first. When a batch fails as a whole for a reason other than a write conflict, its reports
//! are written one by one (each in its own transaction) so one bad report cannot fail the others.

use crate::kernel::ids::{AccountId, ReportId};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::AnyConnection;
use tokio::sync::{mpsc, oneshot};

use super::model::Valid;
use super::service::{self, Deadlines, Filed, ReportError, ReportResult, Reporter};
use super::store::{self, NewReport};
use crate::audit::Actor;
use crate::clock::Clock;
use crate::db::{Backend, Db, DbError};

/// A validated report waiting for the writer.
#[derive(Clone, Debug)]
pub struct Submission {
    pub actor: Actor,
    pub reporter: Reporter,
    pub idempotency_key: String,
    pub valid: Valid,
    pub deadlines: Deadlines,
}

/// How the writer batches.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// After the first report of a batch, wait at most this long for more.
    pub window: Duration,
    /// Reports per transaction at most.
    pub max_batch: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            window: Duration::from_millis(2),
            max_batch: 256,
        }
    }
}

type Reply = oneshot::Sender<ReportResult<Filed>>;

struct Inner {
    db: Db,
    clock: Clock,
    settings: Settings,
    queue: OnceLock<mpsc::Sender<(Submission, Reply)>>,
}

/// The handle of the process's report writer (cheap to clone). The task starts on the first
/// submit, on the runtime of that submit, and ends when every handle is dropped.
#[derive(Clone)]
pub struct Writer {
    inner: Arc<Inner>,
}

impl Writer {
    pub fn new(db: Db, clock: Clock, settings: Settings) -> Writer {
        Writer {
            inner: Arc::new(Inner {
                db,
                clock,
                settings,
                queue: OnceLock::new(),
            }),
        }
    }

    fn queue(&self) -> &mpsc::Sender<(Submission, Reply)> {
        self.inner.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(self.inner.settings.max_batch.max(1) * 16);
            tokio::spawn(run(
                self.inner.db.clone(),
                self.inner.clock.clone(),
                self.inner.settings,
                rx,
            ));
            tx
        })
    }

    /// Files a validated report; answers after the batch holding it committed.
    pub async fn submit(&self, s: Submission) -> ReportResult<Filed> {
        let (tx, rx) = oneshot::channel();
        self.queue()
            .send((s, tx))
            .await
            .map_err(|_| ReportError::Db(DbError::Config("report writer stopped".into())))?;
        rx.await
            .map_err(|_| ReportError::Db(DbError::Config("report writer stopped".into())))?
    }
}

async fn run(
    db: Db,
    clock: Clock,
    settings: Settings,
    mut rx: mpsc::Receiver<(Submission, Reply)>,
) {
    let max = settings.max_batch.max(1);
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let until = tokio::time::Instant::now() + settings.window;
        while batch.len() < max {
            match rx.try_recv() {
                Ok(x) => batch.push(x),
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    match tokio::time::timeout_at(until, rx.recv()).await {
                        Ok(Some(x)) => batch.push(x),
                        _ => break,
                    }
                }
            }
        }
        let (subs, replies): (Vec<Submission>, Vec<Reply>) = batch.into_iter().unzip();
        let results = write_with_retries(&db, &clock, &subs).await;
        let wrote = results.iter().any(|r| r.is_ok());
        for (reply, r) in replies.into_iter().zip(results) {
            let _ = reply.send(r);
        }
        if wrote {
            crate::inbox::bump();
        }
    }
}

/// The batch in one transaction, retried on write conflicts; else one by one.
async fn write_with_retries(
    db: &Db,
    clock: &Clock,
    subs: &[Submission],
) -> Vec<ReportResult<Filed>> {
    let mut attempt = 0u64;
    loop {
        attempt += 1;
        let r = async {
            let mut tx = db.begin_write().await?;
            let out = write_batch(&mut tx, clock, subs).await?;
            tx.commit().await.map_err(DbError::from)?;
            Ok::<_, ReportError>(out)
        }
        .await;
        match r {
            Ok(out) => return out.into_iter().map(Ok).collect(),
            Err(ReportError::Db(e)) if attempt < 8 && service::retryable(&e) => {
                tokio::time::sleep(Duration::from_millis(5 * attempt)).await;
            }
            Err(e) => {
                if subs.len() == 1 {
                    return vec![Err(e)];
                }
                tracing::warn!(error = %e, reports = subs.len(), "report batch failed; writing one by one");
                let mut out = Vec::with_capacity(subs.len());
                for s in subs {
                    out.push(write_one(db, clock, s).await);
                }
                return out;
            }
        }
    }
}

/// One report in its own transaction (the path of a failed batch).
async fn write_one(db: &Db, clock: &Clock, s: &Submission) -> ReportResult<Filed> {
    let mut attempt = 0u64;
    loop {
        attempt += 1;
        let r = async {
            let mut tx = db.begin_write().await?;
            let f = service::file(
                &mut tx,
                clock,
                &s.actor,
                &s.reporter,
                &s.idempotency_key,
                &s.valid,
                s.deadlines,
            )
            .await?;
            tx.commit().await.map_err(DbError::from)?;
            Ok::<_, ReportError>(f)
        }
        .await;
        match r {
            Err(ReportError::Db(e)) if attempt < 8 && service::retryable(&e) => {
                tokio::time::sleep(Duration::from_millis(5 * attempt)).await;
            }
            r => return r,
        }
    }
}

fn backend_of(tx: &mut AnyConnection) -> Backend {
    if tx.backend_name() == "PostgreSQL" {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// Rows per multi-row report insert (13 parameters a row).
const CHUNK: usize = 256;

/// Writes a batch inside `tx` (the caller commits): every report, its indicators, the
/// indicator-store sightings, the stop-payment requests of losses and the audit rows.
/// Returns one answer per submission, in order.
pub async fn write_batch(
    tx: &mut AnyConnection,
    clock: &Clock,
    subs: &[Submission],
) -> ReportResult<Vec<Filed>> {
    let backend = backend_of(tx);
    let now = clock.now_ms();
    // The first submission of each (reporter, key); later ones answer its report.
    let mut first_of: HashMap<(AccountId, String), usize> = HashMap::new();
    let mut unique: Vec<usize> = Vec::new();
    for (i, s) in subs.iter().enumerate() {
        let k = (s.reporter.account_id, s.idempotency_key.trim().to_string());
        if let std::collections::hash_map::Entry::Vacant(e) = first_of.entry(k) {
            e.insert(i);
            unique.push(i);
        }
    }
    let mut sections = Vec::with_capacity(unique.len());
    for &i in &unique {
        sections.push(
            serde_json::to_string(&subs[i].valid.sections)
                .map_err(|_| ReportError::Invalid(vec![crate::error::Msg::new("err-internal")]))?,
        );
    }
    // 1. The report rows; a key already stored inserts nothing.
    let mut new_ids: HashMap<(AccountId, String), ReportId> = HashMap::new();
    for (ci, chunk) in unique.chunks(CHUNK).enumerate() {
        let rows: Vec<NewReport<'_>> = chunk
            .iter()
            .enumerate()
            .map(|(r, &i)| {
                let s = &subs[i];
                let v = &s.valid;
                NewReport {
                    reporter_account_id: s.reporter.account_id,
                    idempotency_key: s.idempotency_key.trim(),
                    student_id: s.reporter.student_id,
                    school_id: s.reporter.school_id,
                    unit_path: &s.reporter.unit_path,
                    fraud_type: v.fraud_type.id(),
                    has_loss: v.loss.is_some(),
                    amount_cents: v.amount_cents,
                    description: &v.description,
                    sections: &sections[ci * CHUNK + r],
                    now,
                }
            })
            .collect();
        for (id, acc, key) in store::insert_reports(tx, backend, &rows).await? {
            new_ids.insert((acc, key), id);
        }
    }
    // 2. Report numbers, in one statement per chunk.
    let mut fresh: Vec<(usize, ReportId, String)> = Vec::new();
    for &i in &unique {
        let s = &subs[i];
        if let Some(id) =
            new_ids.get(&(s.reporter.account_id, s.idempotency_key.trim().to_string()))
        {
            fresh.push((i, *id, service::ref_no(*id, now)));
        }
    }
    for chunk in fresh.chunks(CHUNK) {
        let numbers: Vec<(ReportId, String)> = chunk
            .iter()
            .map(|(_, id, number)| (*id, number.clone()))
            .collect();
        store::set_ref_nos(tx, backend, &numbers).await?;
    }
    // 3. Report indicators and the indicator-store sightings, set-based.
    let pairs: Vec<(ReportId, &Valid)> = fresh
        .iter()
        .map(|(i, id, _)| (*id, &subs[*i].valid))
        .collect();
    service::insert_indicators(tx, &pairs).await?;
    let sources: Vec<String> = fresh
        .iter()
        .map(|(_, id, _)| format!("report:{id}"))
        .collect();
    let types: Vec<[fanzha_detect::FraudType; 1]> = fresh
        .iter()
        .map(|(i, _, _)| [subs[*i].valid.fraud_type])
        .collect();
    let mut sightings = Vec::new();
    for (k, (i, _, _)) in fresh.iter().enumerate() {
        for ind in &subs[*i].valid.indicators {
            sightings.push(crate::intel::service::Sighting {
                kind: &ind.kind,
                value: &ind.value,
                fraud_types: &types[k],
                source: &sources[k],
            });
        }
    }
    crate::intel::service::record_sightings(tx, clock, &sightings).await?;
    // 4. Stop-payment requests, notices and follow-ups (only reports that have them write here).
    let mut answers: HashMap<usize, Filed> = HashMap::new();
    for (i, id, number) in &fresh {
        let s = &subs[*i];
        let sp =
            service::finish(tx, clock, &s.reporter, *id, number, &s.valid, s.deadlines).await?;
        answers.insert(
            *i,
            Filed {
                report_id: *id,
                ref_no: number.clone(),
                stop_payment_id: sp,
                replayed: false,
            },
        );
    }
    // 5. Audit, one multi-row statement per chunk.
    for chunk in fresh.chunks(CHUNK) {
        let events: Vec<(&Actor, crate::audit::Event<'_>)> = chunk
            .iter()
            .map(|(i, id, number)| {
                let s = &subs[*i];
                (
                    &s.actor,
                    crate::audit::Event {
                        action: "reports.file",
                        target_kind: "report",
                        target_id: id.to_string(),
                        unit_path: s.reporter.unit_path.clone(),
                        detail: serde_json::json!({"ref_no": number, "loss": s.valid.loss.is_some(), "indicators": s.valid.indicators.len()}),
                    },
                )
            })
            .collect();
        crate::audit::record_many(tx, backend, now, events).await?;
    }
    // 6. Keys stored before (another batch, process or an earlier request): the report filed then.
    for &i in &unique {
        if answers.contains_key(&i) {
            continue;
        }
        let s = &subs[i];
        let f = replay(tx, s.reporter.account_id, s.idempotency_key.trim()).await?;
        answers.insert(i, f);
    }
    // Duplicates inside the batch answer the report of the first.
    let mut out = Vec::with_capacity(subs.len());
    for (i, s) in subs.iter().enumerate() {
        let first = first_of[&(s.reporter.account_id, s.idempotency_key.trim().to_string())];
        let mut f = answers.get(&first).cloned().ok_or(ReportError::NotFound)?;
        if first != i {
            f.replayed = true;
        }
        out.push(f);
    }
    Ok(out)
}

async fn replay(tx: &mut AnyConnection, account: AccountId, key: &str) -> ReportResult<Filed> {
    let (report_id, ref_no, stop_payment_id) = super::store::report_by_key(tx, account, key)
        .await?
        .ok_or(ReportError::NotFound)?;
    Ok(Filed {
        report_id,
        ref_no,
        stop_payment_id,
        replayed: true,
    })
}

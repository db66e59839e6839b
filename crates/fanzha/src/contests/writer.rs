//! Appends to the ballot logs: one writer task per contest in this process while votes come, group commit.
//!
//! A vote, a withdrawal or a move (an *append*: one voter's records that go in together or not
//! at all) is checked for who may vote on the caller's task, then sent to its contest's writer.
//! The writer takes what arrived together (up to [`MAX_BATCH`]) and writes it in one
//! transaction: it takes the contest row's write lock and reads the log's head from the row
//! (so another process, or this one after a restart, always continues the chain where it
//! stands), reads the records of the batch's voters, checks each append against the rules'
//! limit in arrival order — two tries of one voter in one batch see each other — chains the
//! accepted records, inserts them and their origins with multi-row statements, moves the head
//! and commits. Only then is each caller answered, with its records (their hashes are the
//! receipts) or why it was refused. The unique keys of the log (a position, a voter's n-th
//! record in a period) still refuse what the counts would let through. A batch that fails as a
//! whole for another reason is written again one append per transaction, so one bad append
//! cannot fail the others.

use crate::kernel::ids::AccountId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::anomaly::{network_of, Origin};
use super::model::{keyed_hash, period_key, voter_pseudonym, BallotLine, Category, Rules};
use super::service::{ContestError, Result};
use super::store::{self, NewBallot};
use crate::clock::Clock;
use crate::db::{Db, DbError};

/// Appends per transaction at most.
pub const MAX_BATCH: usize = 256;

/// Where a vote came from and who cast it, as known before the write (kept for the anomaly
/// report, never exported).
#[derive(Clone, Debug, Default)]
pub struct SeenOrigin {
    pub ip: String,
    pub user_agent: String,
    pub unit_path: String,
    pub account_since: i64,
}

/// One voter's records to append together: (entry, is a withdrawal), in order.
pub struct Append {
    pub rules: Arc<Rules>,
    pub account_id: AccountId,
    pub steps: Vec<(i64, bool)>,
    /// Recorded for each vote of the append.
    pub origin: Option<SeenOrigin>,
    /// When it was cast, where not at the write (the demo's history, written afterwards);
    /// the window, the period and the records' time follow it.
    pub at: Option<i64>,
}

type Reply = oneshot::Sender<Result<Vec<BallotLine>>>;
type Queue = mpsc::Sender<(Append, Reply)>;

/// How the writers behave.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// A contest's writer stops after this long without an append (the next append starts a
    /// new one).
    pub idle: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            idle: Duration::from_secs(60),
        }
    }
}

/// The writers' queues by contest, each with the number of the task that reads it.
type Queues = Mutex<HashMap<i64, (u64, Queue)>>;

/// The contests' writers of this process (cheap to clone). A contest's task starts with its
/// first append, on the runtime of that append, and stops after [`Settings::idle`] without an
/// append, once its contest's voting has closed, or when every handle is dropped.
///
/// Stopping never loses or doubles an append: the task first takes its queue out of the map
/// (under the map's lock, so no append finds it afterwards), then closes the queue and writes
/// what was already queued. An append that found the queue before it was taken out either got
/// in before the close (and is written by the stopping task) or is refused by the closed queue
/// and sent again, to a new task.
#[derive(Clone)]
pub struct Writers {
    db: Db,
    clock: Clock,
    settings: Settings,
    queues: Arc<Queues>,
    started: Arc<AtomicU64>,
}

impl Writers {
    pub fn new(db: Db, clock: Clock) -> Writers {
        Writers::with_settings(db, clock, Settings::default())
    }

    pub fn with_settings(db: Db, clock: Clock, settings: Settings) -> Writers {
        Writers {
            db,
            clock,
            settings,
            queues: Arc::new(Mutex::new(HashMap::new())),
            started: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The contests whose writer runs now.
    pub fn running(&self) -> usize {
        let m = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        m.values().filter(|(_, q)| !q.is_closed()).count()
    }

    /// How many writer tasks were started by this handle and its clones.
    pub fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    /// The contest's queue; a new task when there is none or its task has ended (a runtime
    /// that ended takes its tasks with it).
    fn queue(&self, contest_id: i64) -> Queue {
        let mut m = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, q)) = m.get(&contest_id) {
            if !q.is_closed() {
                return q.clone();
            }
        }
        let n = self.started.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = mpsc::channel(MAX_BATCH * 4);
        let task = Task {
            db: self.db.clone(),
            clock: self.clock.clone(),
            idle: self.settings.idle,
            contest_id,
            n,
            queues: Arc::downgrade(&self.queues),
        };
        tokio::spawn(task.run(rx));
        m.insert(contest_id, (n, tx.clone()));
        tx
    }

    /// Appends one voter's records to a contest's log; answers after the commit.
    pub async fn append(&self, contest_id: i64, a: Append) -> Result<Vec<BallotLine>> {
        let stopped = || ContestError::Db(DbError::Config("ballot writer stopped".into()));
        let (reply, answer) = oneshot::channel();
        let mut item = (a, reply);
        // A queue closed between finding it and sending (its task stopping) refuses the append
        // whole; it goes to the task that replaces it.
        for _ in 0..4 {
            match self.queue(contest_id).send(item).await {
                Ok(()) => return answer.await.map_err(|_| stopped())?,
                Err(mpsc::error::SendError(back)) => item = back,
            }
        }
        Err(stopped())
    }
}

/// One contest's writer task.
struct Task {
    db: Db,
    clock: Clock,
    idle: Duration,
    contest_id: i64,
    /// Its number, to take out of the map only its own queue.
    n: u64,
    queues: Weak<Queues>,
}

impl Task {
    async fn run(self, mut rx: mpsc::Receiver<(Append, Reply)>) {
        // The task looks at the clock at least this often, to stop when voting has closed.
        let tick = self.idle.min(Duration::from_secs(1));
        let mut last = tokio::time::Instant::now();
        let mut closes = i64::MAX;
        loop {
            match tokio::time::timeout(tick, rx.recv()).await {
                Ok(Some(first)) => {
                    closes = first.0.rules.phases.voting_close;
                    self.write(first, &mut rx).await;
                    last = tokio::time::Instant::now();
                }
                // Every handle was dropped: nothing more can come.
                Ok(None) => return,
                Err(_) => {
                    if last.elapsed() >= self.idle || self.clock.now_ms() >= closes {
                        break;
                    }
                }
            }
        }
        // Out of the map first (no append finds this queue afterwards), then closed; what was
        // sent before the close is written, then the task ends.
        if let Some(queues) = self.queues.upgrade() {
            let mut m = queues.lock().unwrap_or_else(|e| e.into_inner());
            if m.get(&self.contest_id).is_some_and(|(n, _)| *n == self.n) {
                m.remove(&self.contest_id);
            }
        }
        rx.close();
        while let Some(first) = rx.recv().await {
            self.write(first, &mut rx).await;
        }
    }

    /// Writes `first` and whatever queued while the last batch was written (nothing waits),
    /// then answers each caller.
    async fn write(&self, first: (Append, Reply), rx: &mut mpsc::Receiver<(Append, Reply)>) {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(x) => batch.push(x),
                Err(_) => break,
            }
        }
        let (appends, replies): (Vec<Append>, Vec<Reply>) = batch.into_iter().unzip();
        let results = write_with_retries(&self.db, &self.clock, self.contest_id, &appends).await;
        for (reply, r) in replies.into_iter().zip(results) {
            let _ = reply.send(r);
        }
    }
}

fn retryable(e: &DbError) -> bool {
    let s = e.to_string().to_ascii_lowercase();
    s.contains("database is locked")
        || s.contains("busy")
        || s.contains("deadlock")
        || s.contains("could not serialize")
}

/// The batch in one transaction, retried on write conflicts; else one append per transaction.
async fn write_with_retries(
    db: &Db,
    clock: &Clock,
    contest_id: i64,
    appends: &[Append],
) -> Vec<Result<Vec<BallotLine>>> {
    let mut attempt = 0u64;
    loop {
        attempt += 1;
        match write_once(db, clock, contest_id, appends).await {
            Ok(out) => return out,
            Err(e) if attempt < 8 && retryable(&e) => {
                tokio::time::sleep(Duration::from_millis(5 * attempt)).await;
            }
            Err(e) if appends.len() == 1 => {
                return vec![Err(if e.is_unique_violation() {
                    ContestError::State("contests-err-vote-limit")
                } else {
                    e.into()
                })]
            }
            Err(e) => {
                tracing::warn!(error = %e, appends = appends.len(), "ballot batch failed; writing one by one");
                let mut out = Vec::with_capacity(appends.len());
                for a in appends {
                    let one = Box::pin(write_with_retries(
                        db,
                        clock,
                        contest_id,
                        std::slice::from_ref(a),
                    ))
                    .await;
                    out.extend(one);
                }
                return out;
            }
        }
    }
}

async fn write_once(
    db: &Db,
    clock: &Clock,
    contest_id: i64,
    appends: &[Append],
) -> std::result::Result<Vec<Result<Vec<BallotLine>>>, DbError> {
    let mut tx = db.begin_write().await?;
    let out = write_batch(&mut tx, clock.now_ms(), contest_id, appends).await?;
    tx.commit().await?;
    Ok(out)
}

/// What a voter has in a period: records written, standing votes, standing votes per entry.
#[derive(Clone, Default)]
struct Held {
    records: i64,
    live: i64,
    for_entry: HashMap<i64, i64>,
}

/// Writes a batch inside `tx` (the caller commits); one answer per append, in order.
pub async fn write_batch(
    tx: &mut sqlx::AnyConnection,
    now: i64,
    contest_id: i64,
    appends: &[Append],
) -> std::result::Result<Vec<Result<Vec<BallotLine>>>, DbError> {
    let (mut seq, mut prev) = store::lock_head(tx, contest_id).await?;
    let key = store::vote_key(tx, contest_id).await?;
    let entries = store::accepted_entries(tx, contest_id).await?;
    let voters: Vec<String> = appends
        .iter()
        .map(|a| voter_pseudonym(key.as_bytes(), a.account_id))
        .collect();
    let mut distinct: Vec<&str> = voters.iter().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut held: HashMap<(String, String), Held> = HashMap::new();
    for (voter, period, entry, withdraw, n) in
        store::voters_records(tx, contest_id, &distinct).await?
    {
        let h = held.entry((voter, period)).or_default();
        let d = if withdraw { -n } else { n };
        h.records += n;
        h.live += d;
        *h.for_entry.entry(entry).or_default() += d;
    }
    let pseudo = |kind: &str, v: &str| {
        if v.is_empty() {
            String::new()
        } else {
            keyed_hash(key.as_bytes(), &format!("{kind}:{v}"))
        }
    };
    let mut rows: Vec<NewBallot> = Vec::new();
    let mut origins: Vec<Origin> = Vec::new();
    let mut out = Vec::with_capacity(appends.len());
    for (a, voter) in appends.iter().zip(voters) {
        let now = a.at.unwrap_or(now);
        // Checked on copies: an append that fails leaves nothing behind.
        let mut touched: HashMap<(String, String), Held> = HashMap::new();
        let mut mine: Vec<NewBallot> = Vec::new();
        let (mut s, mut p) = (seq, prev.clone());
        let mut refused = None;
        for &(entry, withdraw) in &a.steps {
            let Some(cat) = entries.get(&entry).and_then(|c| Category::parse(c)) else {
                refused = Some(ContestError::NotFound);
                break;
            };
            if !a.rules.phases.voting_open_at(now) {
                refused = Some(ContestError::State("contests-err-voting-closed"));
                break;
            }
            if withdraw && !a.rules.allow_withdraw {
                refused = Some(ContestError::State("contests-err-no-withdraw"));
                break;
            }
            let period = period_key(&a.rules, cat, now);
            let k = (voter.clone(), period.clone());
            let h = touched
                .entry(k.clone())
                .or_insert_with(|| held.get(&k).cloned().unwrap_or_default());
            let for_entry = h.for_entry.get(&entry).copied().unwrap_or(0);
            if withdraw {
                if for_entry <= 0 {
                    refused = Some(ContestError::State("contests-err-not-voted"));
                    break;
                }
            } else {
                if for_entry > 0 {
                    refused = Some(ContestError::State("contests-err-already-voted"));
                    break;
                }
                if h.live >= a.rules.votes_per_person {
                    refused = Some(ContestError::State("contests-err-vote-limit"));
                    break;
                }
            }
            let d = if withdraw { -1 } else { 1 };
            let slot = h.records;
            h.records += 1;
            h.live += d;
            *h.for_entry.entry(entry).or_default() += d;
            s += 1;
            let mut line = BallotLine {
                hash: String::new(),
                seq: s,
                voter: voter.clone(),
                entry,
                category: cat.as_str().to_string(),
                cast_at: now,
                prev: p,
                withdraw,
            };
            line.hash = line.expected_hash(contest_id);
            p = line.hash.clone();
            mine.push(NewBallot { line, period, slot });
        }
        if let Some(e) = refused {
            out.push(Err(e));
            continue;
        }
        held.extend(touched);
        (seq, prev) = (s, p);
        if let Some(o) = &a.origin {
            for b in mine.iter().filter(|b| !b.line.withdraw) {
                origins.push(Origin {
                    seq: b.line.seq,
                    net: pseudo("net", &network_of(&o.ip)),
                    device: pseudo("ua", o.user_agent.trim()),
                    unit_path: o.unit_path.clone(),
                    account_since: o.account_since,
                    cast_at: now,
                });
            }
        }
        out.push(Ok(mine.iter().map(|b| b.line.clone()).collect()));
        rows.extend(mine);
    }
    if !rows.is_empty() {
        store::insert_ballots(tx, contest_id, &rows).await?;
        store::insert_origins(tx, contest_id, &origins).await?;
        store::set_head_at(tx, contest_id, seq, &prev).await?;
    }
    Ok(out)
}

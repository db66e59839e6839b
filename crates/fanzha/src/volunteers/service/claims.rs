//! Claims of a task's places, group-committed: one writer per task in this process while claims
//! come.
//!
//! Many people race for the few places of a popular task the moment it is published. Written one
//! transaction per claim, they queue on the task's row lock one after another (the one place they
//! all meet), and the last of 64 waits for 63 commits. Here a claim joins its task's queue; the
//! task's writer takes what arrived together (up to [`MAX_BATCH`]) and decides it in one
//! transaction: it takes the task's row lock, reads the task, the claimants' volunteer records and
//! their earlier claims on it (one read each), decides every claim in arrival order against the
//! places left — two claims of one person in one batch see each other —, inserts the new claims
//! in one statement, counts the places taken in one update and commits. Only then is each caller
//! answered. The unique (task, person) key still refuses what another process would let through;
//! a batch that fails as a whole is decided again one claim per transaction, so one bad claim
//! cannot fail the others.
//!
//! The writer is a task started by the first claim that finds its queue idle; it ends when the
//! queue is empty (decided under the queue's lock, so a claim either finds it running or starts a
//! new one). If it ended abnormally, its queue is removed and the claims in it are answered with
//! an error instead of waiting forever.

use crate::kernel::ids::AccountId;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::db::{Db, DbError};
use crate::volunteers::model::{ClaimStatus, TaskStatus, VolError};
use crate::volunteers::store::{self, Claim, NewClaim, Volunteer};

/// Claims decided per transaction at most.
pub const MAX_BATCH: usize = 256;

type Outcome = Result<Claim, VolError>;

/// One claim as asked: who, whether to join the waiting list when the task is full, and when.
#[derive(Clone, Copy, Debug)]
struct Ask {
    account_id: AccountId,
    wait: bool,
    at: i64,
}

struct Request {
    ask: Ask,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Default)]
struct Lane {
    queue: Vec<Request>,
    running: bool,
}

type Lanes = Mutex<HashMap<i64, Lane>>;

/// The claim writers of this process, one per task with claims in flight (cheap to clone).
#[derive(Clone)]
pub struct ClaimWriter {
    db: Db,
    lanes: Arc<Lanes>,
}

impl ClaimWriter {
    pub fn new(db: Db) -> ClaimWriter {
        ClaimWriter {
            db,
            lanes: Arc::default(),
        }
    }

    /// Tasks whose writer runs now.
    pub fn running(&self) -> usize {
        lock(&self.lanes).values().filter(|l| l.running).count()
    }

    /// Claims a place of `task_id` for `account_id` at `at`; with `wait`, a full task puts the
    /// volunteer on its waiting list. Answers after the commit.
    pub async fn claim(&self, task_id: i64, account_id: AccountId, wait: bool, at: i64) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let ask = Ask {
            account_id,
            wait,
            at,
        };
        let start = {
            let mut m = lock(&self.lanes);
            let lane = m.entry(task_id).or_default();
            lane.queue.push(Request { ask, reply });
            !std::mem::replace(&mut lane.running, true)
        };
        if start {
            tokio::spawn(self.clone().run(task_id));
        }
        answer
            .await
            .map_err(|_| VolError::Db(DbError::Config("the claim writer stopped".into())))?
    }

    /// Decides the task's queue batch by batch until it is empty.
    async fn run(self, task_id: i64) {
        let mut guard = LaneGuard {
            lanes: self.lanes.clone(),
            task_id,
            armed: true,
        };
        loop {
            let batch: Vec<Request> = {
                let mut m = lock(&self.lanes);
                match m.get_mut(&task_id) {
                    Some(l) if !l.queue.is_empty() => {
                        let n = l.queue.len().min(MAX_BATCH);
                        l.queue.drain(..n).collect()
                    }
                    _ => {
                        m.remove(&task_id);
                        guard.armed = false;
                        return;
                    }
                }
            };
            self.write(task_id, batch).await;
        }
    }

    async fn write(&self, task_id: i64, batch: Vec<Request>) {
        let asks: Vec<Ask> = batch.iter().map(|r| r.ask).collect();
        match decide(&self.db, task_id, &asks).await {
            Ok(outcomes) => {
                for (r, o) in batch.into_iter().zip(outcomes) {
                    let _ = r.reply.send(o);
                }
            }
            Err(e) if batch.len() == 1 => {
                if let Some(r) = batch.into_iter().next() {
                    let _ = r.reply.send(Err(refusal(e)));
                }
            }
            // One claim at a time, so one bad claim cannot fail the others.
            Err(_) => {
                for r in batch {
                    let o = match decide(&self.db, task_id, &[r.ask]).await {
                        Ok(mut v) => v.pop().unwrap_or(Err(VolError::NotFound)),
                        Err(e) => Err(refusal(e)),
                    };
                    let _ = r.reply.send(o);
                }
            }
        }
    }
}

/// A failed write as the caller sees it: a claim another process wrote first is a second claim.
fn refusal(e: VolError) -> VolError {
    match e {
        VolError::Db(d) if d.is_unique_violation() => VolError::AlreadyClaimed,
        e => e,
    }
}

fn lock(lanes: &Lanes) -> std::sync::MutexGuard<'_, HashMap<i64, Lane>> {
    lanes.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes the task's queue if its writer ends other than by finding it empty (a panic, or a
/// runtime shutting down): the claims waiting in it are answered with an error.
struct LaneGuard {
    lanes: Arc<Lanes>,
    task_id: i64,
    armed: bool,
}

impl Drop for LaneGuard {
    fn drop(&mut self) {
        if self.armed {
            lock(&self.lanes).remove(&self.task_id);
        }
    }
}

enum Plan {
    Refused(VolError),
    /// A new claim row, or a withdrawn one taken up again, in this state.
    Write {
        volunteer: i64,
        reopen: bool,
        status: ClaimStatus,
    },
}

/// Decides a batch of claims on one task in one transaction: each claim's outcome in order, or
/// an error if the batch as a whole could not be written (nothing changed then).
async fn decide(db: &Db, task_id: i64, asks: &[Ask]) -> Result<Vec<Outcome>, VolError> {
    let mut tx = db.begin_write().await?;
    store::lock_task(&mut tx, task_id).await?;
    let Some(t) = store::task(&mut tx, task_id).await? else {
        return Ok(asks.iter().map(|_| Err(VolError::NotFound)).collect());
    };
    let mut accounts: Vec<AccountId> = asks.iter().map(|a| a.account_id).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let vols: HashMap<AccountId, Volunteer> = store::volunteers_by_accounts(&mut tx, &accounts)
        .await?
        .into_iter()
        .map(|v| (v.account_id, v))
        .collect();
    let ids: Vec<i64> = vols.values().map(|v| v.id).collect();
    let held: HashMap<i64, ClaimStatus> = store::claims_on_task_of(&mut tx, task_id, &ids)
        .await?
        .into_iter()
        .map(|c| (c.volunteer_id, c.status))
        .collect();

    let mut free = (t.slots - t.taken).max(0);
    let mut claimed_now: HashSet<i64> = HashSet::new();
    let plans: Vec<Plan> = asks
        .iter()
        .map(|a| {
            let Some(v) = vols.get(&a.account_id) else {
                return Plan::Refused(VolError::NotVolunteer);
            };
            if !t.offered_to(&v.class_path) {
                return Plan::Refused(VolError::NotFound);
            }
            if t.status != TaskStatus::Open || a.at >= t.ends_at {
                return Plan::Refused(VolError::NotOpen);
            }
            let earlier = held.get(&v.id);
            if claimed_now.contains(&v.id) || earlier.is_some_and(|s| *s != ClaimStatus::Withdrawn)
            {
                return Plan::Refused(VolError::AlreadyClaimed);
            }
            let status = if free > 0 {
                free -= 1;
                ClaimStatus::Claimed
            } else if a.wait {
                ClaimStatus::Waiting
            } else {
                return Plan::Refused(VolError::Full);
            };
            claimed_now.insert(v.id);
            Plan::Write {
                volunteer: v.id,
                reopen: earlier.is_some(),
                status,
            }
        })
        .collect();

    let mut new_rows = Vec::new();
    let mut places = 0i64;
    for (a, p) in asks.iter().zip(&plans) {
        if let Plan::Write {
            volunteer,
            reopen,
            status,
        } = p
        {
            if *status == ClaimStatus::Claimed {
                places += 1;
            }
            if *reopen {
                if !store::reopen_claim(&mut tx, task_id, *volunteer, *status, a.at).await? {
                    return Err(VolError::Db(DbError::Config(
                        "a claim changed during its batch".into(),
                    )));
                }
            } else {
                new_rows.push(NewClaim {
                    volunteer_id: *volunteer,
                    account_id: a.account_id,
                    status: *status,
                    at: a.at,
                });
            }
        }
    }
    store::insert_claims(&mut tx, db.backend, task_id, &new_rows).await?;
    if places > 0 && !store::take_slots(&mut tx, task_id, places).await? {
        return Err(VolError::Db(DbError::Config(
            "the task's places changed during its batch".into(),
        )));
    }
    let written: Vec<i64> = claimed_now.iter().copied().collect();
    let mut rows: HashMap<i64, Claim> = store::claims_on_task_of(&mut tx, task_id, &written)
        .await?
        .into_iter()
        .map(|c| (c.volunteer_id, c))
        .collect();
    tx.commit().await?;
    Ok(plans
        .into_iter()
        .map(|p| match p {
            Plan::Refused(e) => Err(e),
            Plan::Write { volunteer, .. } => rows.remove(&volunteer).ok_or(VolError::NotFound),
        })
        .collect())
}

//! Per-token limits of the risk-check API: a token bucket of requests per second (per process)
//! and a daily quota of checked items (a batch counts each item) shared by every process through
//! the `api_usage` table. Counting happens in memory on the hot path; the background task adds
//! each process's new calls to the table every quarter second and reads back the total, so the
//! daily quota may overshoot by what other processes served in the last quarter second.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::Clock;
use crate::db::{Db, DbResult};

const DAY_MS: i64 = 86_400_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Too many requests this second; retry after this many seconds.
    Rate(u64),
    /// Daily quota used up; retry after this many seconds (next UTC midnight).
    Daily(u64),
}

#[derive(Debug)]
struct Use {
    bucket: f64,
    at_ms: i64,
    day: i64,
    /// Calls of the day in the table at the last flush (every process).
    base: i64,
    /// Calls of this process not yet in the table.
    pending: i64,
}

pub struct Quota {
    pub rate: u32,
    pub daily: i64,
    uses: Mutex<HashMap<i64, Use>>,
    /// One flush at a time: two overlapping flushes would both write the same pending calls.
    flushing: tokio::sync::Mutex<()>,
}

impl Quota {
    pub fn new(rate: u32, daily: i64) -> Quota {
        Quota {
            rate: rate.max(1),
            daily,
            uses: Mutex::new(HashMap::new()),
            flushing: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Use>> {
        self.uses.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits one request of `items` checks for `token_id`, or says why not.
    pub async fn admit(
        &self,
        db: &Db,
        clock: &Clock,
        token_id: i64,
        items: i64,
    ) -> DbResult<Result<(), Refusal>> {
        let now = clock.now_ms();
        let day = now.div_euclid(DAY_MS);
        let known = self.lock().get(&token_id).is_some_and(|u| u.day == day);
        if !known {
            // First call of the day in this process: start from what other processes used.
            let base = super::store::quota::calls_of_day(db, token_id, day).await?;
            let mut m = self.lock();
            let u = m.entry(token_id).or_insert(Use {
                bucket: f64::from(self.rate),
                at_ms: now,
                day,
                base,
                pending: 0,
            });
            if u.day != day {
                u.day = day;
                u.base = base;
                u.pending = 0;
            }
        }
        let mut m = self.lock();
        let Some(u) = m.get_mut(&token_id) else {
            return Ok(Ok(()));
        };
        let rate = f64::from(self.rate);
        let elapsed = (now - u.at_ms).max(0) as f64 / 1000.0;
        u.bucket = (u.bucket + elapsed * rate).min(rate);
        u.at_ms = now;
        if u.base + u.pending + items > self.daily {
            let next = (day + 1) * DAY_MS;
            return Ok(Err(Refusal::Daily(((next - now) / 1000).max(1) as u64)));
        }
        if u.bucket < 1.0 {
            let wait = ((1.0 - u.bucket) / rate).ceil().max(1.0) as u64;
            return Ok(Err(Refusal::Rate(wait)));
        }
        u.bucket -= 1.0;
        u.pending += items;
        Ok(Ok(()))
    }

    /// Adds this process's new calls to the table and reads back the totals.
    pub async fn flush(&self, db: &Db, _clock: &Clock) -> DbResult<()> {
        let _one = self.flushing.lock().await;
        let work: Vec<(i64, i64, i64)> = self
            .lock()
            .iter()
            .filter(|(_, u)| u.pending > 0)
            .map(|(t, u)| (*t, u.day, u.pending))
            .collect();
        for (token, day, n) in work {
            let total = super::store::quota::add_calls(db, token, day, n).await?;
            let mut m = self.lock();
            if let Some(u) = m.get_mut(&token).filter(|u| u.day == day) {
                u.pending -= n;
                u.base = total;
            }
        }
        Ok(())
    }
}

//! The job queue with a manual clock: dedup keys, scheduled jobs, retries with exponential backoff
//! until `max_attempts`, reclaiming a job whose worker died, and two runners never running the same
//! job twice.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::*;
use fanzha::clock::Clock;
use fanzha::db::jobs::{JobQueue, JobRegistry, JobRow, NewJob};
use fanzha::db::Db;
use serde_json::json;

struct Queue {
    db: Db,
    clock: Clock,
    queue: JobQueue,
    _guard: DbGuard,
    _dir: tempfile::TempDir,
}

async fn queue() -> Queue {
    let dir = tempfile::tempdir().unwrap();
    let (db, guard) = fresh_db(dir.path()).await;
    let clock = Clock::manual(START_MS);
    let queue = JobQueue::new(db.clone(), clock.clone());
    Queue {
        db,
        clock,
        queue,
        _guard: guard,
        _dir: dir,
    }
}

async fn row(q: &Queue, id: i64) -> JobRow {
    q.queue
        .list(None)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .expect("job row")
}

/// A registry whose `count` handler counts its calls and succeeds.
fn counting(calls: Arc<AtomicUsize>) -> JobRegistry {
    let mut reg = JobRegistry::new();
    reg.register("count", move |_job| {
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    reg
}

#[tokio::test]
async fn a_dedup_key_makes_enqueueing_idempotent() {
    let q = queue().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let runner = counting(calls.clone()).build(q.queue.clone());
    let first = q
        .queue
        .enqueue(NewJob::new("count", json!({"n": 1})).dedup("report:42"))
        .await
        .unwrap();
    assert!(first.is_some());
    let second = q
        .queue
        .enqueue(NewJob::new("count", json!({"n": 2})).dedup("report:42"))
        .await
        .unwrap();
    assert_eq!(second, None);
    // Without a key, every enqueue is a job.
    assert!(q
        .queue
        .enqueue(NewJob::new("count", json!({})))
        .await
        .unwrap()
        .is_some());
    assert!(q
        .queue
        .enqueue(NewJob::new("count", json!({})))
        .await
        .unwrap()
        .is_some());
    assert_eq!(q.queue.list(Some("count")).await.unwrap().len(), 3);
    assert_eq!(runner.run_until_idle().await.unwrap(), 3);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // The key stays taken after the job is done.
    let again = q
        .queue
        .enqueue(NewJob::new("count", json!({})).dedup("report:42"))
        .await
        .unwrap();
    assert_eq!(again, None);
    assert_eq!(runner.run_until_idle().await.unwrap(), 0);
    assert_eq!(row(&q, first.unwrap()).await.status, "done");
}

#[tokio::test]
async fn a_job_scheduled_later_waits_for_the_clock() {
    let q = queue().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let runner = counting(calls.clone()).build(q.queue.clone());
    let at = q.clock.now_ms() + 10_000;
    let id = q
        .queue
        .enqueue(NewJob::new("count", json!({})).run_at(at))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(runner.run_until_idle().await.unwrap(), 0);
    q.clock.advance_ms(9_999);
    assert_eq!(runner.run_until_idle().await.unwrap(), 0);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(row(&q, id).await.status, "queued");
    q.clock.advance_ms(1);
    assert_eq!(runner.run_until_idle().await.unwrap(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let r = row(&q, id).await;
    assert_eq!((r.status.as_str(), r.attempts), ("done", 1));
}

#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_then_given_up() {
    let q = queue().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let mut reg = JobRegistry::new();
    let c = calls.clone();
    reg.register("flaky", move |job| {
        let c = c.clone();
        async move {
            let n = c.fetch_add(1, Ordering::SeqCst) + 1;
            Err(format!("boom {n} (attempt {})", job.attempt))
        }
    });
    let runner = reg.build(q.queue.clone());
    let id = q
        .queue
        .enqueue(NewJob::new("flaky", json!({})).max_attempts(3))
        .await
        .unwrap()
        .unwrap();
    let t0 = q.clock.now_ms();
    assert_eq!(runner.run_until_idle().await.unwrap(), 1);
    let r = row(&q, id).await;
    assert_eq!(r.status, "queued");
    assert_eq!(r.attempts, 1);
    assert_eq!(r.run_at, t0 + 2_000, "first retry after 2 s");
    assert_eq!(r.last_error.as_deref(), Some("boom 1 (attempt 1)"));
    q.clock.advance_ms(1_999);
    assert_eq!(runner.run_until_idle().await.unwrap(), 0);
    q.clock.advance_ms(1);
    assert_eq!(runner.run_until_idle().await.unwrap(), 1);
    let r = row(&q, id).await;
    assert_eq!(r.attempts, 2);
    assert_eq!(r.run_at, t0 + 2_000 + 4_000, "second retry after 4 s");
    q.clock.advance_ms(3_999);
    assert_eq!(runner.run_until_idle().await.unwrap(), 0);
    q.clock.advance_ms(1);
    assert_eq!(runner.run_until_idle().await.unwrap(), 1);
    let r = row(&q, id).await;
    assert_eq!(r.status, "failed");
    assert_eq!(r.attempts, 3);
    assert_eq!(r.last_error.as_deref(), Some("boom 3 (attempt 3)"));
    // Given up: never runs again.
    q.clock.advance_ms(86_400_000);
    assert_eq!(runner.run_until_idle().await.unwrap(), 0);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn panics_and_unknown_kinds_fail_the_job_not_the_worker() {
    let q = queue().await;
    let mut reg = JobRegistry::new();
    reg.register("panics", |_job| async move {
        if true {
            panic!("handler bug");
        }
        Ok(())
    });
    let runner = reg.build(q.queue.clone());
    let p = q
        .queue
        .enqueue(NewJob::new("panics", json!({})).max_attempts(1))
        .await
        .unwrap()
        .unwrap();
    let u = q
        .queue
        .enqueue(NewJob::new("nobody.handles", json!({})).max_attempts(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(runner.run_until_idle().await.unwrap(), 2);
    let r = row(&q, p).await;
    assert_eq!(r.status, "failed");
    assert!(r.last_error.unwrap().contains("panicked"));
    let r = row(&q, u).await;
    assert_eq!(r.status, "failed");
    assert!(r.last_error.unwrap().contains("no handler"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_died_is_reclaimed_after_its_lease() {
    let q = queue().await;
    // Worker A takes the job and never finishes (it "dies" holding it).
    let mut hang = JobRegistry::new();
    hang.register("count", |_job| std::future::pending::<Result<(), String>>());
    let a = hang.build(q.queue.clone());
    let id = q
        .queue
        .enqueue(NewJob::new("count", json!({})))
        .await
        .unwrap()
        .unwrap();
    let dying = tokio::spawn(async move { a.run_one().await });
    let mut waited = 0;
    while row(&q, id).await.status != "running" {
        waited += 1;
        assert!(waited < 2_000, "worker A never claimed the job");
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    dying.abort();
    // Worker B does not touch it while the lease holds …
    let calls = Arc::new(AtomicUsize::new(0));
    let b = counting(calls.clone()).build(q.queue.clone());
    assert_eq!(b.run_until_idle().await.unwrap(), 0);
    q.clock.advance_ms(5 * 60_000 - 1);
    assert_eq!(b.run_until_idle().await.unwrap(), 0);
    // … and takes it over once the lease has expired.
    q.clock.advance_ms(2);
    assert_eq!(b.run_until_idle().await.unwrap(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let r = row(&q, id).await;
    assert_eq!((r.status.as_str(), r.attempts), ("done", 2));

    // A job that had used its last attempt when its worker died is given up, not run again.
    let last = q
        .queue
        .enqueue(NewJob::new("count", json!({})).max_attempts(1))
        .await
        .unwrap()
        .unwrap();
    sqlx::query(
        "UPDATE jobs SET status = 'running', attempts = 1, locked_until = $1 WHERE id = $2",
    )
    .bind(q.clock.now_ms() + 1_000)
    .bind(last)
    .execute(&q.db.pool)
    .await
    .unwrap();
    q.clock.advance_ms(1_001);
    assert_eq!(b.run_until_idle().await.unwrap(), 1);
    let r = row(&q, last).await;
    assert_eq!(r.status, "failed");
    assert!(r.last_error.unwrap().contains("gave up"));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "not run again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runners_never_run_the_same_job_twice() {
    let q = queue().await;
    let seen = Arc::new(Mutex::new(Vec::<i64>::new()));
    let runner = |seen: Arc<Mutex<Vec<i64>>>| {
        let mut reg = JobRegistry::new();
        reg.register("once", move |job| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(job.id);
                tokio::task::yield_now().await;
                Ok(())
            }
        });
        reg.build(q.queue.clone())
    };
    let (a, b) = (runner(seen.clone()), runner(seen.clone()));
    let n = 60;
    for i in 0..n {
        q.queue
            .enqueue(NewJob::new("once", json!({ "i": i })))
            .await
            .unwrap()
            .unwrap();
    }
    let (ra, rb) = tokio::join!(
        tokio::spawn(async move { a.run_until_idle().await.unwrap() }),
        tokio::spawn(async move { b.run_until_idle().await.unwrap() }),
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra + rb, n);
    let mut ids = seen.lock().unwrap().clone();
    assert_eq!(ids.len(), n, "every job ran");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "no job ran twice");
    let rows = q.queue.list(Some("once")).await.unwrap();
    assert!(rows.iter().all(|r| r.status == "done" && r.attempts == 1));
}

#[tokio::test]
async fn pruning_removes_old_finished_jobs_and_keeps_the_rest() {
    use fanzha::db::maintenance::{prune, Pruned, Retention};
    let q = queue().await;
    let mut reg = JobRegistry::new();
    reg.register("ok", |_job| async { Ok(()) });
    reg.register("fail", |_job| async { Err("receiver down".to_string()) });
    let runner = reg.build(q.queue.clone());
    let old_done = q
        .queue
        .enqueue(NewJob::new("ok", json!({})).dedup("tick:1"))
        .await
        .unwrap()
        .unwrap();
    let old_failed = q
        .queue
        .enqueue(NewJob::new("fail", json!({})).max_attempts(1))
        .await
        .unwrap()
        .unwrap();
    runner.run_until_idle().await.unwrap();
    assert_eq!(row(&q, old_failed).await.status, "failed");
    let day = 24 * 60 * 60 * 1000;
    q.clock.advance_ms(10 * day);
    let recent_done = q
        .queue
        .enqueue(NewJob::new("ok", json!({})))
        .await
        .unwrap()
        .unwrap();
    runner.run_until_idle().await.unwrap();
    let waiting = q
        .queue
        .enqueue(NewJob::new("ok", json!({})).run_at(q.clock.now_ms() + 30 * day))
        .await
        .unwrap()
        .unwrap();
    q.clock.advance_ms(5 * day);
    let r = Retention {
        done_jobs_days: 14,
        indicator_changes_days: 7,
    };
    let p = prune(&q.db, &q.clock, r).await.unwrap();
    assert_eq!(
        p,
        Pruned {
            jobs: 1,
            indicator_changes: 0,
            login_limits: 0
        }
    );
    let ids: Vec<i64> = q
        .queue
        .list(None)
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert!(!ids.contains(&old_done), "the 15-day-old done job stays");
    for kept in [old_failed, recent_done, waiting] {
        assert!(ids.contains(&kept), "job {kept} was pruned");
    }
    // Nothing more to prune the second time.
    assert_eq!(prune(&q.db, &q.clock, r).await.unwrap(), Pruned::default());
}

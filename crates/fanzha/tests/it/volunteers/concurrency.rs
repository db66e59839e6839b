//! N concurrent claims on M slots accept exactly min(N, M), at most one per person, on SQLite and
//! PostgreSQL: every claim is released at once behind a barrier and the test checks that they
//! overlapped in time. Some people send two claims at once.

use std::sync::Arc;
use std::time::Instant;

use super::*;
use fanzha::volunteers::service;

async fn race(app: &TestApp, people: &[Principal], task: i64, twice: usize) -> (usize, Vec<i64>) {
    let calls: Vec<(usize, Principal)> = people
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let n = if i < twice { 2 } else { 1 };
            std::iter::repeat_n((i, p.clone()), n)
        })
        .collect();
    let barrier = Arc::new(tokio::sync::Barrier::new(calls.len()));
    let mut handles = Vec::new();
    for (i, p) in calls {
        let (st, b) = (app.state.clone(), barrier.clone());
        handles.push(tokio::spawn(async move {
            b.wait().await;
            let start = Instant::now();
            let r = service::claim(&st, &p, task, false).await;
            (
                i,
                r.is_ok(),
                start,
                Instant::now(),
                r.err().map(|e| e.to_string()),
            )
        }));
    }
    let mut accepted = 0;
    let mut winners = Vec::new();
    let (mut latest_start, mut earliest_end) = (None::<Instant>, None::<Instant>);
    for h in handles {
        let (i, ok, s, e, err) = h.await.expect("join");
        if ok {
            accepted += 1;
            winners.push(people[i].account_id);
        } else {
            let err = err.unwrap_or_default();
            assert!(
                err.contains("full") || err.contains("already claimed"),
                "unexpected refusal: {err}"
            );
        }
        latest_start = Some(latest_start.map_or(s, |l| l.max(s)));
        earliest_end = Some(earliest_end.map_or(e, |l| l.min(e)));
    }
    assert!(
        latest_start.unwrap() < earliest_end.unwrap(),
        "the claims did not overlap"
    );
    (accepted, winners)
}

#[tokio::test]
async fn concurrent_claims_fill_exactly_the_slots_once_per_person() {
    let app = spawn_seeded().await;
    let police = tok(&app, "police1").await;
    let people = many_volunteers(&app, 60, "c").await;
    for (n, m, twice) in [(60usize, 13i64, 10usize), (12, 40, 12), (30, 30, 5)] {
        let id = publish(&app, &police, task_body(&app, m, 3_600_000, 60, "checkin")).await;
        let who = &people[..n];
        let (accepted, mut winners) = race(&app, who, id, twice).await;
        let expected = n.min(m as usize);
        assert_eq!(accepted, expected, "N={n} M={m}");
        winners.sort();
        winners.dedup();
        assert_eq!(winners.len(), expected, "one claim per person");
        assert_eq!(
            count(&app, "SELECT taken FROM vol_tasks WHERE id = $1", id).await,
            expected as i64
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM vol_claims WHERE task_id = $1 AND status = 'claimed'",
                id
            )
            .await,
            expected as i64
        );
    }
}

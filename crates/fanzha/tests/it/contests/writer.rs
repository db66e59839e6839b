//! The ballot writers: votes of one contest appended in batches (group commit) by one writer
//! per process, the head read from the database in every batch under the contest's row lock —
//! so two processes appending at once, or a process restarted, keep exactly one ballot per
//! person and one unbroken chain.

use super::*;
use crate::common::*;
use fanzha::auth::model::Principal;
use std::time::Duration;

use fanzha::contests::service::{self, ContestError};
use fanzha::contests::writer::{Append, Settings, Writers};
use fanzha::web::AppState;

async fn principal(app: &TestApp, who: &str) -> Principal {
    fanzha::auth::service::principal_for_account(&app.state.db, app.fx.account(who))
        .await
        .unwrap()
        .expect("an active account")
}

/// A second process on the same database: its own state and ballot writers.
fn second_process(app: &TestApp) -> AppState {
    fanzha::web::App::new(
        (*app.state.config).clone(),
        app.state.db.clone(),
        app.state.clock.clone(),
    )
    .state
}

async fn export_verifies(app: &TestApp, id: i64) -> fanzha::contests::verify::Verified {
    app.state.clock.advance_ms(2 * DAY);
    let org = app.login("admin1").await;
    let (s, text) = app
        .get(&org, &format!("/contests/{id}/ballots.jsonl"))
        .await;
    assert_eq!(s, reqwest::StatusCode::OK);
    fanzha::contests::verify::verify(&text).expect("the log verifies")
}

#[tokio::test]
async fn two_processes_appending_at_once_keep_one_ballot_per_person_and_one_chain() {
    let app = spawn_seeded().await;
    let (id, entries) = voting_contest(&app, &["student1", "student2"]).await;
    let other = second_process(&app);
    let voters = ["counselor1", "counselor2", "admin1", "leader1", "student1"];
    let mut tasks = Vec::new();
    for v in voters {
        let p = principal(&app, v).await;
        // Each person taps six times, alternating between the two processes and the two
        // entries of the category (the limit is one vote per category).
        for k in 0..6 {
            let st = if k % 2 == 0 {
                app.state.clone()
            } else {
                other.clone()
            };
            let (p, e) = (p.clone(), entries[k / 2 % 2]);
            tasks.push(tokio::spawn(async move {
                service::vote(&st.db, &st.clock, &st.contests, &p, id, e).await
            }));
        }
    }
    let (mut ok, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(b) => {
                assert_eq!(b.hash.len(), 64);
                ok += 1;
            }
            Err(ContestError::State(_)) => refused += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!((ok, refused), (voters.len(), voters.len() * 5));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM contest_ballots").await,
        voters.len() as i64
    );
    assert_eq!(
        app.scalar("SELECT COUNT(DISTINCT voter) FROM contest_ballots")
            .await,
        voters.len() as i64
    );
    assert_eq!(
        app.scalar("SELECT ballot_seq FROM contests").await,
        voters.len() as i64
    );
    // Every vote's origin was kept for the anomaly report, once.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM contest_ballot_origins")
            .await,
        voters.len() as i64
    );
    let v = export_verifies(&app, id).await;
    assert_eq!((v.ballots, v.voters), (voters.len(), voters.len()));
}

#[tokio::test]
async fn after_a_restart_the_writer_continues_the_chain_from_the_database() {
    let app = spawn_seeded().await;
    let (id, entries) = voting_contest(&app, &["student1", "student2"]).await;
    let first = service::vote(
        &app.state.db,
        &app.state.clock,
        &app.state.contests,
        &principal(&app, "counselor1").await,
        id,
        entries[0],
    )
    .await
    .unwrap();
    assert_eq!(first.seq, 1);
    // A new process (fresh writers, nothing in memory) continues after the stored head.
    let restarted = second_process(&app);
    let second = service::vote(
        &restarted.db,
        &restarted.clock,
        &restarted.contests,
        &principal(&app, "counselor2").await,
        id,
        entries[1],
    )
    .await
    .unwrap();
    assert_eq!((second.seq, second.prev.as_str()), (2, first.hash.as_str()));
    // The first process's writer reads the head again too: it follows the second.
    let third = service::vote(
        &app.state.db,
        &app.state.clock,
        &app.state.contests,
        &principal(&app, "leader1").await,
        id,
        entries[0],
    )
    .await
    .unwrap();
    assert_eq!((third.seq, third.prev.as_str()), (3, second.hash.as_str()));
    // The person who voted before the restart is still refused a second vote after it.
    let again = service::vote(
        &restarted.db,
        &restarted.clock,
        &restarted.contests,
        &principal(&app, "counselor1").await,
        id,
        entries[1],
    )
    .await;
    assert!(matches!(again, Err(ContestError::State(_))), "{again:?}");
    let v = export_verifies(&app, id).await;
    assert_eq!((v.ballots, v.head.as_str()), (3, third.hash.as_str()));
}

#[tokio::test]
async fn a_refused_append_in_a_batch_leaves_the_others_and_the_chain_whole() {
    let app = spawn_seeded().await;
    let id = open_contest(&app, "admin1", contest_fields()).await;
    let mut entries = Vec::new();
    for (who, title) in [("student1", "作品0"), ("student2", "作品1")] {
        let e = enter_video(&app, who, id, title).await;
        decide(&app, "admin1", id, e, "accept", "").await;
        entries.push(e);
    }
    let pending = enter_video(&app, "student1", id, "未审作品").await;
    app.state.clock.advance_ms(2 * DAY + HOUR);
    // Sent together: good votes, a vote for an entry never accepted, a withdrawal the rules do
    // not allow; only the good ones are appended, in one chain.
    let mut tasks = Vec::new();
    for (who, e, withdraw) in [
        ("counselor1", entries[0], false),
        ("counselor2", pending, false),
        ("admin1", entries[1], false),
        ("leader1", entries[0], true),
        ("student2", entries[0], false),
    ] {
        let p = principal(&app, who).await;
        let st = app.state.clone();
        tasks.push(tokio::spawn(async move {
            if withdraw {
                service::withdraw(&st.db, &st.clock, &st.contests, &p, id, e).await
            } else {
                service::vote(&st.db, &st.clock, &st.contests, &p, id, e).await
            }
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    assert!(results[0].is_ok() && results[2].is_ok() && results[4].is_ok());
    assert!(matches!(results[1], Err(ContestError::NotFound)));
    assert!(matches!(results[3], Err(ContestError::State(_))));
    let v = export_verifies(&app, id).await;
    assert_eq!(v.ballots, 3);
}

async fn rules_of(app: &TestApp, id: i64) -> std::sync::Arc<fanzha::contests::model::Rules> {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    std::sync::Arc::new(
        fanzha::contests::store::contest(&mut conn, id)
            .await
            .unwrap()
            .unwrap()
            .rules,
    )
}

fn vote_of(
    rules: &std::sync::Arc<fanzha::contests::model::Rules>,
    account_id: fanzha::kernel::ids::AccountId,
    entry: i64,
) -> Append {
    Append {
        rules: rules.clone(),
        account_id,
        steps: vec![(entry, false)],
        origin: None,
        at: None,
    }
}

/// Waits (at most `within`) until no writer of `w` runs.
async fn all_stopped(w: &Writers, within: Duration) -> bool {
    let until = std::time::Instant::now() + within;
    while std::time::Instant::now() < until {
        if w.running() == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w.running() == 0
}

#[tokio::test]
async fn votes_arriving_as_an_idle_writer_stops_are_each_written_once() {
    let app = spawn_seeded().await;
    let (id, entries) = voting_contest(&app, &["student1", "student2"]).await;
    let rules = rules_of(&app, id).await;
    let idle = Duration::from_millis(20);
    let w = Writers::with_settings(
        app.state.db.clone(),
        app.state.clock.clone(),
        Settings { idle },
    );
    // Pairs of votes sent at once, the pairs spaced a little under, about and a little over the
    // idle time (and now and then well over it), so votes keep arriving just as the writer
    // decides to stop, takes its queue out and closes it.
    let gaps = [10u64, 18, 20, 21, 22, 25, 45];
    let n = 240usize;
    let mut tasks = Vec::new();
    for i in 0..n {
        if i % 2 == 0 {
            tokio::time::sleep(Duration::from_millis(gaps[i / 2 % gaps.len()])).await;
        }
        let (w, a) = (
            w.clone(),
            vote_of(
                &rules,
                fanzha::kernel::ids::AccountId(2_000_000 + i as i64),
                entries[i % 2],
            ),
        );
        tasks.push(tokio::spawn(async move { w.append(id, a).await }));
    }
    for t in tasks {
        let lines = t.await.unwrap().expect("every vote is written");
        assert_eq!(lines.len(), 1);
    }
    assert!(
        w.started() > 1,
        "the writer stopped and was started again ({} starts)",
        w.started()
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM contest_ballots").await,
        n as i64
    );
    assert_eq!(
        app.scalar("SELECT COUNT(DISTINCT voter) FROM contest_ballots")
            .await,
        n as i64
    );
    assert_eq!(
        app.scalar("SELECT ballot_seq FROM contests").await,
        n as i64
    );
    // The limit holds across writers: a voter of the first one is refused by a later one.
    assert!(all_stopped(&w, Duration::from_secs(3)).await);
    let again = w
        .append(
            id,
            vote_of(
                &rules,
                fanzha::kernel::ids::AccountId(2_000_000),
                entries[1],
            ),
        )
        .await;
    assert!(matches!(again, Err(ContestError::State(_))), "{again:?}");
    assert_eq!(w.running(), 1);
    assert!(all_stopped(&w, Duration::from_secs(3)).await);
    let v = export_verifies(&app, id).await;
    assert_eq!((v.ballots, v.voters), (n, n));
}

#[tokio::test]
async fn the_writer_of_a_contest_whose_voting_closed_stops() {
    let app = spawn_seeded().await;
    let (id, entries) = voting_contest(&app, &["student1", "student2"]).await;
    let rules = rules_of(&app, id).await;
    let w = Writers::with_settings(
        app.state.db.clone(),
        app.state.clock.clone(),
        Settings {
            idle: Duration::from_secs(60),
        },
    );
    w.append(
        id,
        vote_of(
            &rules,
            fanzha::kernel::ids::AccountId(3_000_001),
            entries[0],
        ),
    )
    .await
    .unwrap();
    // Voting still open, not idle long enough: it keeps running.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(w.running(), 1);
    app.state.clock.advance_ms(2 * DAY);
    assert!(all_stopped(&w, Duration::from_secs(4)).await);
    assert_eq!(w.started(), 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contest_ballots").await, 1);
}

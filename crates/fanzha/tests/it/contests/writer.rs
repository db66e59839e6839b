//! The ballot writers: votes of one contest appended in batches (group commit) by one writer
//! per process, the head read from the database in every batch under the contest's row lock —
//! so two processes appending at once, or a process restarted, keep exactly one ballot per
//! person and one unbroken chain.

use super::*;
use crate::common::*;
use fanzha::auth::model::Principal;
use fanzha::contests::service::{self, ContestError};
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
            tasks.push(tokio::spawn(
                async move { service::vote(&st, &p, id, e).await },
            ));
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
        &app.state,
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
        &restarted,
        &principal(&app, "counselor2").await,
        id,
        entries[1],
    )
    .await
    .unwrap();
    assert_eq!((second.seq, second.prev.as_str()), (2, first.hash.as_str()));
    // The first process's writer reads the head again too: it follows the second.
    let third = service::vote(
        &app.state,
        &principal(&app, "leader1").await,
        id,
        entries[0],
    )
    .await
    .unwrap();
    assert_eq!((third.seq, third.prev.as_str()), (3, second.hash.as_str()));
    // The person who voted before the restart is still refused a second vote after it.
    let again = service::vote(
        &restarted,
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
                service::withdraw(&st, &p, id, e).await
            } else {
                service::vote(&st, &p, id, e).await
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

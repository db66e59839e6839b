//! Public voting: the limit of the rules held under concurrent submissions, the chained and
//! pseudonymised ballot log, receipts, the export and `fanzha contests verify`.

use super::*;
use crate::common::*;
use reqwest::StatusCode;

async fn ballots(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM contest_ballots").await
}

#[tokio::test]
async fn a_voter_gets_a_receipt_found_in_the_log_and_a_second_vote_is_refused() {
    let app = spawn_seeded().await;
    let (id, entries) = voting_contest(&app, &["student1", "student2"]).await;
    let c = app.login("counselor1").await;
    let (s, loc, body) = vote(&app, &c, id, entries[0]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let hash = loc
        .split("hash=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(hash.len(), 64);
    let (s, page) = app.get(&c, &loc).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"vote-counted\"") && page.contains(&hash));
    // Anyone may check a receipt, signed in or not; an unknown one is not found, a malformed one
    // is refused.
    let anon = client();
    let r = anon
        .get(app.url(&format!("/contests/{id}/receipts?hash={hash}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("data-seq=\"1\""));
    let r = anon
        .get(app.url(&format!("/contests/{id}/receipts?hash={}", "0".repeat(64))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = anon
        .get(app.url(&format!("/contests/{id}/receipts?hash=xyz")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The log holds a pseudonym, not the account; and links to the genesis of the contest.
    let voter: String = sqlx::query_scalar("SELECT voter FROM contest_ballots")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(voter.len(), 64);
    assert_ne!(voter, app.fx.account("counselor1").to_string());
    // One vote per category: the second, for the other entry of the same category, is refused.
    let (s, _, body) = vote(&app, &c, id, entries[1]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("entry-error"));
    let (s, _, _) = vote(&app, &c, id, entries[0]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(ballots(&app).await, 1);
    // A second voter's ballot follows the first in the chain.
    let c2 = app.login("admin1").await;
    let (s, _, _) = vote(&app, &c2, id, entries[1]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (prev, first): (String, String) = sqlx::query_as(
        "SELECT b2.prev_hash, b1.hash FROM contest_ballots b1 JOIN contest_ballots b2 ON b2.seq = b1.seq + 1",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(prev, first);
    // The voter's own receipts are listed on the contest page.
    let (_, page) = app.get(&c, &format!("/contests/{id}")).await;
    assert!(page.contains("my-receipts") && page.contains(&hash));
}

#[tokio::test]
async fn ballots_outside_the_window_or_the_rules_change_nothing() {
    let app = spawn_seeded().await;
    let id = open_contest(&app, "admin1", contest_fields()).await;
    let e = enter_video(&app, "student1", id, "作品").await;
    let pending = enter_video(&app, "student2", id, "未审作品").await;
    decide(&app, "admin1", id, e, "accept", "").await;
    let c = app.login("student2").await;
    // Before voting opens.
    let (s, _, _) = vote(&app, &c, id, e).await;
    assert_eq!(s, StatusCode::CONFLICT);
    app.state.clock.advance_ms(2 * DAY + HOUR);
    let c = app.login("student2").await;
    // A person outside the voter units: another school's student does not see the contest; the
    // police officer of the station (no unit of theirs is named) is refused.
    let out = app.login("student3").await;
    let (s, _, _) = vote(&app, &out, id, e).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let police = app.login("police1").await;
    let (s, _, _) = vote(&app, &police, id, e).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // An entry never accepted cannot be voted for.
    let (s, _, _) = vote(&app, &c, id, pending).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // After voting closes.
    app.state.clock.advance_ms(2 * DAY);
    let c = app.login("student2").await;
    let (s, _, _) = vote(&app, &c, id, e).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(ballots(&app).await, 0);
    let seq = app.scalar("SELECT ballot_seq FROM contests").await;
    assert_eq!(seq, 0, "the log's head did not move");
}

#[tokio::test]
async fn concurrent_ballots_of_one_person_count_once_and_the_chain_stays_whole() {
    let app = spawn_seeded().await;
    let (id, entries) = voting_contest(&app, &["student1", "student2"]).await;
    let voters = ["counselor1", "counselor2", "admin1", "leader1"];
    let mut clients = Vec::new();
    for v in voters {
        let c = app.login(v).await;
        let csrf = app.page_csrf(&c).await;
        clients.push((c, csrf));
    }
    // Each voter fires eight ballots at once, for both entries (the limit is one per category).
    let mut tasks = Vec::new();
    for (c, csrf) in &clients {
        for k in 0..8 {
            let (c, csrf) = (c.clone(), csrf.clone());
            let url = app.url(&format!("/contests/{id}/entries/{}/vote", entries[k % 2]));
            tasks.push(tokio::spawn(async move {
                c.post(url)
                    .form(&[("csrf", csrf.as_str())])
                    .send()
                    .await
                    .map(|r| r.status())
            }));
        }
    }
    let mut ok = 0;
    for t in tasks {
        let s = t.await.unwrap().unwrap();
        if s == StatusCode::SEE_OTHER {
            ok += 1;
        } else {
            assert_eq!(s, StatusCode::CONFLICT);
        }
    }
    assert_eq!(ok, voters.len(), "exactly one ballot per person");
    assert_eq!(ballots(&app).await, voters.len() as i64);
    let distinct = app
        .scalar("SELECT COUNT(DISTINCT voter) FROM contest_ballots")
        .await;
    assert_eq!(distinct, voters.len() as i64);
    assert_eq!(
        app.scalar("SELECT ballot_seq FROM contests").await,
        voters.len() as i64
    );
    // The export of the log checks out.
    app.state.clock.advance_ms(2 * DAY);
    let c = app.login("admin1").await;
    let (s, text) = app.get(&c, &format!("/contests/{id}/ballots.jsonl")).await;
    assert_eq!(s, StatusCode::OK);
    let v = fanzha::contests::verify::verify(&text).expect("the log verifies");
    assert_eq!(v.ballots, voters.len());
}

#[tokio::test]
async fn the_export_verifies_from_the_file_alone_and_an_altered_ballot_fails() {
    let app = spawn_seeded().await;
    let (id, entries) = voting_contest(&app, &["student1", "student2"]).await;
    for (k, v) in [
        "counselor1",
        "counselor2",
        "counselor3",
        "leader1",
        "admin1",
    ]
    .iter()
    .enumerate()
    {
        let c = app.login(v).await;
        let (s, _, _) = vote(&app, &c, id, entries[usize::from(k == 4)]).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        app.state.clock.advance_ms(60_000);
    }
    // Before the close the export is refused, to the organiser too; others never see it.
    let org = app.login("admin1").await;
    let (s, _) = app
        .get(&org, &format!("/contests/{id}/ballots.jsonl"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    app.state.clock.advance_ms(2 * DAY);
    let org = app.login("admin1").await;
    let st = app.login("student1").await;
    let (s, _) = app.get(&st, &format!("/contests/{id}/ballots.jsonl")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, text) = app
        .get(&org, &format!("/contests/{id}/ballots.jsonl"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let v = fanzha::contests::verify::verify(&text).expect("verifies");
    assert_eq!(v.ballots, 5);
    assert_eq!(v.voters, 5);
    assert_eq!(v.tally[0], (entries[0], "作品0".to_string(), 4));

    // The command line reads the file and nothing else.
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("log.jsonl");
    std::fs::write(&good, &text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fanzha"))
        .args(["contests", "verify"])
        .arg(&good)
        .env("FANZHA_DATA_DIR", dir.path().join("none"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 ballots from 5 voters"));

    // One ballot moved to the other entry: its hash no longer matches.
    let lines: Vec<&str> = text.lines().collect();
    let mut b: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    b["entry"] = serde_json::json!(entries[1]);
    let mut altered: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    altered[2] = b.to_string();
    let altered = altered.join("\n");
    let err = fanzha::contests::verify::verify(&altered).unwrap_err();
    assert!(err.contains("line 3"), "{err}");
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, &altered).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fanzha"))
        .args(["contests", "verify"])
        .arg(&bad)
        .env("FANZHA_DATA_DIR", dir.path().join("none"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3"));
    // A ballot dropped, or a tally rewritten, fails too.
    let dropped: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, l)| *l)
        .collect();
    assert!(fanzha::contests::verify::verify(&dropped.join("\n")).is_err());
    let forged = text.replace(
        &format!("\"{}\":4", entries[0]),
        &format!("\"{}\":5", entries[0]),
    );
    assert_ne!(forged, text);
    assert!(fanzha::contests::verify::verify(&forged).is_err());
}

//! Withdrawing and moving a vote where the rules allow it: new chained records in the
//! append-only log, counted by the tally and by offline verification; refused when the rules do
//! not allow it, when voting is over or when there is no vote; a move racing other votes never
//! takes a voter over the limit.

use super::*;
use crate::common::*;
use reqwest::StatusCode;

async fn records(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM contest_ballots").await
}

/// A voting contest whose rules allow withdrawing (one vote per category).
async fn withdrawable(app: &TestApp, entrants: &[&str]) -> (i64, Vec<i64>) {
    let id = open_contest(
        app,
        "admin1",
        with(contest_fields(), &[("allow_withdraw", "1")]),
    )
    .await;
    let mut entries = Vec::new();
    for (i, who) in entrants.iter().enumerate() {
        let e = enter_video(app, who, id, &format!("作品{i}")).await;
        decide(app, "admin1", id, e, "accept", "").await;
        entries.push(e);
    }
    app.state.clock.advance_ms(2 * DAY + HOUR);
    (id, entries)
}

async fn post(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    f: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let fields: Vec<(String, String)> = f
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    post_form(app, c, path, &fields).await
}

#[tokio::test]
async fn a_withdrawn_or_moved_vote_is_a_new_record_and_the_tally_and_verify_follow() {
    let app = spawn_seeded().await;
    let (id, e) = withdrawable(&app, &["student1", "student2"]).await;
    let c = app.login("counselor1").await;
    // The rules say so on the contest page.
    let (_, page) = app.get(&c, &format!("/contests/{id}")).await;
    assert!(page.contains("id=\"rule-withdraw\""));
    let (s, _, body) = vote(&app, &c, id, e[0]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    // The voted entry offers to withdraw; the other says the votes are used and offers a move,
    // not a vote button.
    let (_, page) = app
        .get(&c, &format!("/contests/{id}/entries/{}", e[0]))
        .await;
    assert!(page.contains("id=\"withdraw\"") && page.contains("id=\"voted\""));
    let (_, page) = app
        .get(&c, &format!("/contests/{id}/entries/{}", e[1]))
        .await;
    assert!(page.contains("id=\"votes-used\"") && page.contains("id=\"move-form\""));
    assert!(
        !page.contains("id=\"vote\""),
        "no vote button once the votes are used"
    );
    // Withdraw: a receipt of its own, chained after the vote; the vote stays in the log.
    let (s, loc, body) = post(
        &app,
        &c,
        &format!("/contests/{id}/entries/{}/withdraw", e[0]),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(loc.contains("hash="));
    assert_eq!(records(&app).await, 2);
    let (_, page) = app
        .get(&c, &format!("/contests/{id}/entries/{}", e[1]))
        .await;
    assert!(page.contains("id=\"vote\"") && page.contains("id=\"votes-left\""));
    // Vote again for the first, then move it to the second in one step.
    let (s, _, _) = vote(&app, &c, id, e[0]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let from = e[0].to_string();
    let (s, _, body) = post(
        &app,
        &c,
        &format!("/contests/{id}/entries/{}/move", e[1]),
        &[("from", &from)],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(records(&app).await, 5);
    let (_, page) = app.get(&c, &format!("/contests/{id}")).await;
    assert_eq!(page.matches("receipt-withdrawal").count(), 2);
    // Another voter's plain vote.
    let c2 = app.login("admin1").await;
    vote(&app, &c2, id, e[1]).await;
    // The export's tally and the offline check both count votes less withdrawals.
    app.state.clock.advance_ms(2 * DAY);
    let c2 = app.login("admin1").await;
    let (s, text) = app.get(&c2, &format!("/contests/{id}/ballots.jsonl")).await;
    assert_eq!(s, StatusCode::OK);
    let v = fanzha::contests::verify::verify(&text).expect("verifies");
    assert_eq!(v.ballots, 6);
    assert_eq!(v.voters, 2);
    let votes = |entry: i64| v.tally.iter().find(|t| t.0 == entry).map(|t| t.2);
    assert_eq!((votes(e[0]), votes(e[1])), (Some(0), Some(2)));
    // A withdrawal turned into a vote (or the reverse) breaks its hash; a withdrawal of a vote
    // never cast is caught even with a recomputed hash.
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let w = lines
        .iter()
        .position(|l| l.contains("\"withdraw\":true"))
        .unwrap();
    let mut forged = lines.clone();
    forged[w] = forged[w].replace(",\"withdraw\":true", "");
    assert!(fanzha::contests::verify::verify(&forged.join("\n"))
        .unwrap_err()
        .contains(&format!("line {}", w + 1)));
    let mut b: fanzha::contests::model::BallotLine = serde_json::from_str(&lines[1]).unwrap();
    b.withdraw = true;
    b.hash = b.expected_hash(id);
    let mut v = serde_json::to_value(&b).unwrap();
    v["kind"] = "ballot".into();
    let mut forged = lines.clone();
    forged[1] = v.to_string();
    assert!(fanzha::contests::verify::verify(&forged.join("\n")).is_err());
}

#[tokio::test]
async fn withdrawing_is_refused_by_the_rules_without_a_vote_outside_voting_and_to_outsiders() {
    let app = spawn_seeded().await;
    // Rules without withdrawal: the vote stands, nothing is appended.
    let (id, e) = voting_contest(&app, &["student1"]).await;
    let c = app.login("counselor1").await;
    vote(&app, &c, id, e[0]).await;
    let (s, _, body) = post(
        &app,
        &c,
        &format!("/contests/{id}/entries/{}/withdraw", e[0]),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(body.contains("entry-error"));
    let (_, page) = app
        .get(&c, &format!("/contests/{id}/entries/{}", e[0]))
        .await;
    assert!(!page.contains("id=\"withdraw\""));
    assert_eq!(records(&app).await, 1);

    let app = spawn_seeded().await;
    let (id, e) = withdrawable(&app, &["student1", "student2"]).await;
    let c = app.login("counselor1").await;
    // Nothing to withdraw; a move from an entry not voted for; a move to the same entry.
    let (s, _, _) = post(
        &app,
        &c,
        &format!("/contests/{id}/entries/{}/withdraw", e[0]),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let from = e[0].to_string();
    let (s, _, _) = post(
        &app,
        &c,
        &format!("/contests/{id}/entries/{}/move", e[1]),
        &[("from", &from)],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    vote(&app, &c, id, e[0]).await;
    let (s, _, _) = post(
        &app,
        &c,
        &format!("/contests/{id}/entries/{}/move", e[0]),
        &[("from", &from)],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _, _) = post(
        &app,
        &c,
        &format!("/contests/{id}/entries/{}/move", e[0]),
        &[("from", "x")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Outsiders: another school's student does not see it; a police officer is no voter.
    let out = app.login("student3").await;
    let (s, _, _) = post(
        &app,
        &out,
        &format!("/contests/{id}/entries/{}/withdraw", e[0]),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let police = app.login("police1").await;
    let (s, _, _) = post(
        &app,
        &police,
        &format!("/contests/{id}/entries/{}/withdraw", e[0]),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(records(&app).await, 1);
    // After voting closes the vote can no longer be withdrawn.
    app.state.clock.advance_ms(2 * DAY);
    let c = app.login("counselor1").await;
    let (s, _, _) = post(
        &app,
        &c,
        &format!("/contests/{id}/entries/{}/withdraw", e[0]),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(records(&app).await, 1);
    assert_eq!(app.scalar("SELECT ballot_seq FROM contests").await, 1);
}

#[tokio::test]
async fn moves_racing_votes_and_withdrawals_never_take_a_voter_over_the_limit() {
    let app = spawn_seeded().await;
    let (id, e) = withdrawable(&app, &["student1", "student2"]).await;
    let voters = ["counselor2", "admin1", "leader1"];
    let mut clients = Vec::new();
    for v in voters {
        let c = app.login(v).await;
        let (s, _, _) = vote(&app, &c, id, e[0]).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let csrf = app.page_csrf(&c).await;
        clients.push((c, csrf));
    }
    // Each voter at once: moves from the first entry to the second, fresh votes for the second,
    // withdrawals of the first.
    let mut tasks = Vec::new();
    for (c, csrf) in &clients {
        for k in 0..9 {
            let (c, csrf) = (c.clone(), csrf.clone());
            let target = e[1];
            let (path, from) = match k % 3 {
                0 => (
                    format!("/contests/{id}/entries/{target}/move"),
                    e[0].to_string(),
                ),
                1 => (
                    format!("/contests/{id}/entries/{target}/vote"),
                    String::new(),
                ),
                _ => (
                    format!("/contests/{id}/entries/{}/withdraw", e[0]),
                    String::new(),
                ),
            };
            let url = app.url(&path);
            tasks.push(tokio::spawn(async move {
                c.post(url)
                    .form(&[("csrf", csrf.as_str()), ("from", from.as_str())])
                    .send()
                    .await
                    .map(|r| r.status())
            }));
        }
    }
    for t in tasks {
        let s = t.await.unwrap().unwrap();
        assert!(
            s == StatusCode::SEE_OTHER || s == StatusCode::CONFLICT,
            "unexpected {s}"
        );
    }
    // Every voter ends with at most one standing vote, and the log verifies.
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT voter, SUM(CASE WHEN kind = 'vote' THEN 1 ELSE -1 END) FROM contest_ballots GROUP BY voter",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), voters.len());
    for (_, live) in &rows {
        assert!((0..=1).contains(live), "a voter holds {live} votes");
    }
    app.state.clock.advance_ms(2 * DAY);
    let c = app.login("admin1").await;
    let (_, text) = app.get(&c, &format!("/contests/{id}/ballots.jsonl")).await;
    let v = fanzha::contests::verify::verify(&text).expect("the log verifies");
    let total: i64 = v.tally.iter().map(|t| t.2).sum();
    assert_eq!(total, rows.iter().map(|r| r.1).sum::<i64>());
}

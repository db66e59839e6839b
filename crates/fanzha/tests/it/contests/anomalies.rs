//! The anomaly report: ten votes within ten minutes from one network, one device or one class
//! are a burst; votes from accounts activated just before or during voting are counted. The
//! organisers read it in words; the results publish the counts only.

use super::*;
use crate::common::*;
use fanzha::auth::model::{Role, Scope};
use fanzha::contests::service::{self, Origin};
use reqwest::StatusCode;

/// A new account with a counselor's role on CLS1A1 (a voter of SCH1), activated now.
async fn voter(app: &TestApp, k: usize) -> fanzha::auth::model::Principal {
    let now = app.state.clock.now_ms();
    let id = fanzha::auth::store::insert_account(
        &app.state.db.pool,
        &fanzha::auth::store::NewAccount {
            username: &format!("voter{k}"),
            display_name: &format!("投票人{k}"),
            password_hash: "",
            student_id: None,
            staff_id: None,
            locale: "zh-CN",
            time_zone: "Asia/Shanghai",
        },
        now,
    )
    .await
    .unwrap();
    fanzha::auth::store::insert_grant(
        &app.state.db.pool,
        id,
        Role::Counselor,
        app.fx.unit("CLS1A1").id,
        now,
    )
    .await
    .unwrap();
    fanzha::auth::service::principal_for_account(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_burst_from_one_network_is_reported_in_words_and_counted_with_the_results() {
    let app = spawn_seeded().await;
    let (id, e) = voting_contest(&app, &["student1", "student2"]).await;
    // Nine votes in ten minutes from one network are not a burst…
    let mut people = Vec::new();
    for k in 0..12 {
        people.push(voter(&app, k).await);
    }
    for p in &people[..9] {
        let o = Origin {
            ip: "10.9.8.7".into(),
            user_agent: format!("phone {}", p.account_id),
        };
        service::vote_from(
            &app.state.db,
            &app.state.clock,
            &app.state.contests,
            p,
            id,
            e[0],
            &o,
        )
        .await
        .unwrap();
        app.state.clock.advance_ms(60_000);
    }
    let token = app.token("admin1", &[Scope::ContestsRead]).await;
    let (s, r) = get_json(&app, &token, &format!("/api/v1/contests/{id}/anomalies")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        r["bursts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["shared"] == "network")
            .count(),
        0
    );
    // …the tenth makes one (another address of the same /24 network, another phone).
    let o = Origin {
        ip: "10.9.8.200".into(),
        user_agent: "another phone".into(),
    };
    service::vote_from(
        &app.state.db,
        &app.state.clock,
        &app.state.contests,
        &people[9],
        id,
        e[1],
        &o,
    )
    .await
    .unwrap();
    // Two votes later and elsewhere stay outside it.
    app.state.clock.advance_ms(3 * HOUR);
    for (k, p) in people[10..].iter().enumerate() {
        let o = Origin {
            ip: format!("172.16.{k}.1"),
            user_agent: format!("laptop {k}"),
        };
        service::vote_from(
            &app.state.db,
            &app.state.clock,
            &app.state.contests,
            p,
            id,
            e[0],
            &o,
        )
        .await
        .unwrap();
    }
    let (_, r) = get_json(&app, &token, &format!("/api/v1/contests/{id}/anomalies")).await;
    let net: Vec<&serde_json::Value> = r["bursts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["shared"] == "network")
        .collect();
    assert_eq!(net.len(), 1, "{r}");
    assert_eq!(net[0]["ballots"], 10);
    assert_eq!(r["counts"]["network_burst_ballots"], 10);
    assert_eq!(
        r["counts"]["device_burst_ballots"], 0,
        "every vote came from its own phone"
    );
    // All twelve voters share the class and their accounts were activated during voting.
    assert_eq!(r["counts"]["class_burst_ballots"], 10);
    assert_eq!(r["counts"]["new_account_ballots"], 12);
    assert_eq!(r["counts"]["ballots"], 12);
    // The log keeps no address: the origin is a keyed pseudonym, and it is not exported.
    let net_stored: String = sqlx::query_scalar("SELECT net FROM contest_ballot_origins LIMIT 1")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(!net_stored.contains("10.9") && net_stored.len() == 64);
    // The organiser reads it in words on the contest page; others do not see it.
    let org = app.login("admin1").await;
    let (_, page) = app.get(&org, &format!("/contests/{id}")).await;
    assert!(page.contains("id=\"anomalies\"") && page.contains("data-shared=\"network\""));
    assert!(page.contains("同一网络投出 10 票"), "the burst in words");
    assert!(page.contains("计科2301"), "the class named");
    let st = app.login("student1").await;
    let (_, page) = app.get(&st, &format!("/contests/{id}")).await;
    assert!(!page.contains("id=\"anomalies\""));
    let t = app.token("student1", &[Scope::ContestsRead]).await;
    let (s, _) = get_json(&app, &t, &format!("/api/v1/contests/{id}/anomalies")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Published: the counts go with the results, the bursts do not.
    app.state.clock.advance_ms(3 * DAY);
    let org = app.login("admin1").await;
    let (s, _, _) = post_form(&app, &org, &format!("/contests/{id}/publish"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, res) = get_json(&app, &t, &format!("/api/v1/contests/{id}/results")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(res["anomalies"]["network_burst_ballots"], 10);
    let page = client()
        .get(app.url(&format!("/contests/{id}/results")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("同一网络集中投票 10 票"));
    assert!(!page.contains("10.9.8"));
}

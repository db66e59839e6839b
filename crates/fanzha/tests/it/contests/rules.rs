//! Opening a contest and its rules: who may organise, bad rules refused whole, the rules frozen
//! and their hash published when voting opens.

use super::*;
use crate::common::*;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn an_organiser_opens_a_contest_and_its_rules_freeze_with_a_published_hash() {
    let app = spawn_seeded().await;
    let id = open_contest(&app, "admin1", contest_fields()).await;
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, &format!("/contests/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("反诈情景剧大赛"));
    // Before voting: no hash shown yet, and the rules may change.
    assert!(!page.contains("id=\"rules-hash\""));
    let (s, _, body) = post_form(
        &app,
        &c,
        &format!("/contests/{id}/edit"),
        &with(contest_fields(), &[("votes_per_person", "2")]),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let rules: String = sqlx::query_scalar("SELECT rules FROM contests WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(rules.contains("\"votes_per_person\":2"), "{rules}");
    let hash: String = sqlx::query_scalar("SELECT rules_hash FROM contests WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        hash,
        sha256_hex(&rules),
        "the hash is of the stored rules text"
    );

    // Voting opens: the hash is on the page, and a change is refused with nothing changed.
    app.state.clock.advance_ms(2 * DAY);
    let c = app.login("admin1").await;
    let (_, page) = app.get(&c, &format!("/contests/{id}")).await;
    assert!(
        page.contains(&hash),
        "the hash is published when voting opens"
    );
    let (s, _, body) = post_form(
        &app,
        &c,
        &format!("/contests/{id}/edit"),
        &with(contest_fields(), &[("votes_per_person", "5")]),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("contest-errors"));
    let after: String = sqlx::query_scalar("SELECT rules FROM contests WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(after, rules);
    // Police of the station over SCH1 may organise too.
    let pid = open_contest(
        &app,
        "police1",
        with(
            contest_fields(),
            &[
                ("voting_open", "2025-03-04T08:00"),
                ("judging_open", "2025-03-04T08:00"),
            ],
        ),
    )
    .await;
    assert!(pid > id);
}

#[tokio::test]
async fn bad_rules_are_refused_with_every_problem_and_nothing_is_saved() {
    let app = spawn_seeded().await;
    let c = app.login("admin1").await;
    let bad = with(
        contest_fields(),
        &[
            ("-category", ""),
            ("voting_open", "2025-03-01T09:00"),
            ("entrant_units", "SCH2"),
            ("team_min", "4"),
            ("weight_public", "140"),
            ("criteria", "主题 60"),
            ("max_image_kb", "999999"),
        ],
    );
    let (s, _, body) = post_form(&app, &c, "/contests/new", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = between(&body, "id=\"contest-errors\"", "</div>").expect("errors shown");
    let problems = errors.matches("<li>").count();
    assert!(problems >= 7, "every problem listed: {body}");
    assert!(
        errors.contains("SCH2"),
        "the unit outside the scope is named"
    );
    // Voting must open in the future.
    let past = with(
        contest_fields(),
        &[
            ("entries_open", "2025-02-01T08:00"),
            ("entries_close", "2025-02-02T08:00"),
            ("voting_open", "2025-02-03T08:00"),
            ("judging_open", "2025-02-03T08:00"),
        ],
    );
    let (s, _, _) = post_form(&app, &c, "/contests/new", &past).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contests").await, 0);
}

#[tokio::test]
async fn students_counselors_and_province_admins_cannot_open_or_change_a_contest() {
    let app = spawn_seeded().await;
    for who in ["student1", "counselor1", "leader1", "province1"] {
        let c = app.login(who).await;
        let (s, _, _) = post_form(&app, &c, "/contests/new", &contest_fields()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        let (s, _) = app.get(&c, "/contests/new").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contests").await, 0);
    let id = open_contest(&app, "admin1", contest_fields()).await;
    // A student of the school sees the contest but may not change it; another school's admin
    // does not learn it exists.
    let c = app.login("student1").await;
    let (s, _, _) = post_form(&app, &c, &format!("/contests/{id}/edit"), &contest_fields()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let c = app.login("admin2").await;
    let (s, _) = app.get(&c, &format!("/contests/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = post_form(&app, &c, &format!("/contests/{id}/edit"), &contest_fields()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

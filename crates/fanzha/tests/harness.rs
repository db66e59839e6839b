//! The harness itself: a fresh database per app, the fixture as described, every seeded account
//! able to sign in, and the backend chosen by `FANZHA_TEST_DATABASE_URL`.

mod common;

use common::*;
use fanzha::db::Backend;
use reqwest::StatusCode;

#[tokio::test]
async fn empty_app_serves_and_has_an_empty_database() {
    let app = spawn_app().await;
    let r = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM units").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM accounts").await, 0);
    let expected = if pg_url().is_some() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    assert_eq!(app.backend(), expected);
}

#[tokio::test]
async fn fixture_is_seeded_as_described() {
    let app = spawn_seeded().await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM units").await,
        UNITS.len() as i64
    );
    assert_eq!(app.count_students().await, 6);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM staff").await, 7);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM responsibilities").await, 7);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM jurisdictions").await, 2);
    // Every person on a roster has one account (the named fixture accounts, and roster accounts
    // not yet activated for the others); police, province and partner accounts have no person.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE student_id IS NOT NULL")
            .await,
        6
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE staff_id IS NOT NULL")
            .await,
        7
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE student_id IS NULL AND staff_id IS NULL")
            .await,
        4
    );
    assert!(app.scalar("SELECT COUNT(*) FROM accounts").await >= ACCOUNTS.len() as i64);
    // Paths nest: a class lies under its college, school, city and province.
    let class = app.fx.unit("CLS1A1");
    for ancestor in ["COL1A", "SCH1", "C1", "P1"] {
        assert!(
            class.path.starts_with(&app.fx.unit(ancestor).path),
            "{} not under {ancestor}",
            class.path
        );
    }
    // The three named student accounts are linked to their roster records and activated.
    let linked: i64 = app
        .scalar(
            "SELECT COUNT(*) FROM accounts WHERE student_id IS NOT NULL AND activated_at IS NOT NULL",
        )
        .await;
    assert_eq!(linked, 3);
}

#[tokio::test]
async fn two_apps_do_not_share_a_database() {
    let a = spawn_seeded().await;
    let b = spawn_app().await;
    assert_eq!(a.count_students().await, 6);
    assert_eq!(b.count_students().await, 0);
}

#[tokio::test]
async fn every_seeded_account_signs_in_and_sees_its_name() {
    let app = spawn_seeded().await;
    for (username, ..) in ACCOUNTS {
        let c = app.login(username).await;
        let (status, body) = app.get(&c, "/").await;
        assert_eq!(status, StatusCode::OK, "home of {username}");
        assert!(body.contains(username), "home of {username} names them");
        assert!(!app.page_csrf(&c).await.is_empty());
    }
}

//! The harness itself: a fresh database per app, the fixture as described, every seeded account
//! able to sign in, and the backend chosen by `FANZHA_TEST_DATABASE_URL`.

use crate::common::*;
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

/// `Db::begin_write`: transactions that read and then write, run at the same time, each wait
/// their turn and all commit. On SQLite a deferred transaction (`pool.begin()`) would fail here
/// with "database is locked" whenever another one committed between its read and its write.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_read_then_write_transactions_all_commit() {
    let app = spawn_app().await;
    let db = app.state.db.clone();
    sqlx::query("CREATE TABLE write_turns (n BIGINT NOT NULL)")
        .execute(&db.pool)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin_write().await?;
            let (seen,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM write_turns")
                .fetch_one(&mut *tx)
                .await?;
            // Give the others time to commit between this read and this write.
            tokio::time::sleep(std::time::Duration::from_millis(15)).await;
            sqlx::query("INSERT INTO write_turns (n) VALUES ($1)")
                .bind(seen)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("a writer failed");
    }
    // Each writer saw the ones before it: the counts it read are 0, 1, …, 11.
    let mut seen: Vec<i64> = sqlx::query_scalar("SELECT n FROM write_turns")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    seen.sort();
    if db.backend == Backend::Sqlite {
        assert_eq!(seen, (0..12).collect::<Vec<i64>>());
    } else {
        // PostgreSQL's READ COMMITTED lets writers overlap; what matters there is that all commit.
        assert_eq!(seen.len(), 12);
    }
}

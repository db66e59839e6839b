//! Group commit of reports (`reports::writer`) and the set-based indicator-store sightings:
//! concurrent submits land in shared transactions, every key answers exactly one report (also two
//! submits with the same key in one batch), sightings add up per indicator, a concurrent first
//! sighting of a new indicator cannot collide, and a bad indicator refuses the whole bulk call.

use crate::common::*;
use fanzha::auth::model::Scope;
use fanzha::clock::Clock;
use fanzha::intel::service::{record_sighting, record_sightings, IntelError, Sighting};
use fanzha_detect::FraudType;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn report(key: &str, n: usize) -> Value {
    json!({
        "idempotency_key": key,
        "call": {"number": format!("170 8888 {:04}", 6000 + n), "time": START_MS - 1_800_000, "duration_seconds": 60},
        "description": "自称客服，要我下载会议软件共享屏幕"
    })
}

#[tokio::test]
async fn concurrent_submits_share_batches_and_each_key_answers_one_report() {
    let app = spawn_seeded().await;
    let t = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    // 20 keys, each submitted twice at the same moment (a double tap and its retry).
    let mut tasks = Vec::new();
    for i in 0..40usize {
        let (url, t) = (app.url("/api/v1/reports"), t.clone());
        tasks.push(tokio::spawn(async move {
            let r = client()
                .post(url)
                .bearer_auth(t)
                .json(&report(&format!("burst-{}", i % 20), i % 20))
                .send()
                .await
                .unwrap();
            let status = r.status();
            (i % 20, status, r.json::<Value>().await.unwrap())
        }));
    }
    let mut by_key: std::collections::BTreeMap<usize, Vec<i64>> = Default::default();
    for task in tasks {
        let (k, status, body) = task.await.unwrap();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status} {body}"
        );
        by_key
            .entry(k)
            .or_default()
            .push(body["report_id"].as_i64().unwrap());
    }
    assert_eq!(by_key.len(), 20);
    for (k, ids) in &by_key {
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0], ids[1], "key {k} answered two reports");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, 20);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reports WHERE ref_no LIKE 'pending-%'")
            .await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'reports.file'")
            .await,
        20
    );
    // One phone indicator per key, one sighting each.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM indicators WHERE kind = 'phone' AND value LIKE '170888%'")
            .await,
        20
    );
    assert_eq!(
        app.scalar("SELECT CAST(SUM(sightings) AS BIGINT) FROM indicators WHERE kind = 'phone' AND value LIKE '170888%'")
            .await,
        20
    );
    // A later retry of any key still returns its report.
    let r = client()
        .post(app.url("/api/v1/reports"))
        .bearer_auth(&t)
        .json(&report("burst-3", 3))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["report_id"].as_i64().unwrap(), by_key[&3][0]);
    assert_eq!(body["replayed"], json!(true));
}

#[tokio::test]
async fn bulk_sightings_add_up_and_merge_fraud_types() {
    let app = spawn_seeded().await;
    let clock = Clock::system();
    let mut tx = app.state.db.pool.begin().await.unwrap();
    let a = [FraudType::ImpersonatePolice];
    let b = [FraudType::ImpersonateCustomerService];
    let ids = record_sightings(
        &mut tx,
        &clock,
        &[
            Sighting {
                kind: "phone",
                value: "17088880001",
                fraud_types: &a,
                source: "report:1",
            },
            Sighting {
                kind: "phone",
                value: "+86 170 8888 0001",
                fraud_types: &b,
                source: "report:2",
            },
            Sighting {
                kind: "domain",
                value: "jd-refund.top",
                fraud_types: &b,
                source: "report:2",
            },
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2]);
    // A second round bumps the stored rows and adds the new type.
    let mut tx = app.state.db.pool.begin().await.unwrap();
    let c = [FraudType::FakeInvestment];
    record_sightings(
        &mut tx,
        &clock,
        &[Sighting {
            kind: "phone",
            value: "17088880001",
            fraud_types: &c,
            source: "report:3",
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let row: (i64, String) =
        sqlx::query_as("SELECT sightings, fraud_types FROM indicators WHERE id = $1")
            .bind(ids[0])
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(row.0, 3);
    for t in [a[0], b[0], c[0]] {
        assert!(row.1.contains(t.id()), "{} missing in {}", t.id(), row.1);
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM indicator_sources WHERE indicator_id = {}",
            ids[0]
        ))
        .await,
        3
    );
    assert!(app.scalar("SELECT COUNT(*) FROM indicator_changes").await >= 3);
}

#[tokio::test]
async fn a_bad_value_refuses_the_whole_bulk_call() {
    let app = spawn_seeded().await;
    let before = app.scalar("SELECT COUNT(*) FROM indicators").await;
    let clock = Clock::system();
    let mut tx = app.state.db.pool.begin().await.unwrap();
    let t = [FraudType::OtherFraud];
    let r = record_sightings(
        &mut tx,
        &clock,
        &[
            Sighting {
                kind: "phone",
                value: "17088880002",
                fraud_types: &t,
                source: "x",
            },
            Sighting {
                kind: "phone",
                value: "not a number",
                fraud_types: &t,
                source: "x",
            },
        ],
    )
    .await;
    assert!(matches!(r, Err(IntelError::Invalid(ref v)) if v.len() == 1));
    drop(tx);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, before);
}

#[tokio::test]
async fn concurrent_first_sightings_of_a_new_indicator_do_not_collide() {
    let app = spawn_seeded().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let db = app.state.db.clone();
        tasks.push(tokio::spawn(async move {
            let clock = Clock::system();
            let mut tx = db.pool.begin().await.unwrap();
            let id = record_sighting(
                &mut tx,
                &clock,
                "phone",
                "17088880003",
                &[FraudType::OtherFraud],
                &format!("report:{i}"),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            id
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(
        app.scalar(
            "SELECT sightings FROM indicators WHERE kind = 'phone' AND value = '17088880003'"
        )
        .await,
        8
    );
}

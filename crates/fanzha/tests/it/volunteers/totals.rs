//! The stored totals of each volunteer (the balance, and the points earned the leaderboards rank
//! by) always equal the sums of the ledger: after awards, revocations, redemptions and
//! adjustments drawn at random, after replays of every cause, under concurrent writes, and after
//! a rebuild. The all-time boards read them; a balance read returns them.

use std::sync::Arc;

use super::*;
use fanzha::volunteers::model::EntryKind;
use fanzha::volunteers::service;
use fanzha::volunteers::store::{self, NewEntry};
use rand::{Rng, SeedableRng};

async fn mismatches(app: &TestApp) -> Vec<(i64, i64, i64, i64, i64)> {
    let mut c = app.state.db.pool.acquire().await.unwrap();
    store::totals_mismatches(&mut c).await.unwrap()
}

/// Posts one entry through the service path in its own transaction; whether it was appended
/// (a refusal rolls everything back).
async fn post(app: &TestApp, volunteer: i64, kind: EntryKind, points: i64, cause: &str) -> bool {
    let mut tx = app.state.db.begin_write().await.unwrap();
    let e = NewEntry {
        volunteer_id: volunteer,
        kind,
        points,
        cause,
        task_id: None,
        reward_id: None,
        reverses: None,
        note: "测试",
        by: None,
    };
    match service::post(&mut tx, &e, app.state.clock.now_ms()).await {
        Ok(true) => {
            tx.commit().await.unwrap();
            true
        }
        Ok(false) => false,
        Err(_) => false,
    }
}

async fn volunteer_ids(app: &TestApp, people: &[Principal]) -> Vec<i64> {
    let mut out = Vec::new();
    for p in people {
        out.push(
            service::me(&app.state, p)
                .await
                .unwrap()
                .expect("registered")
                .id,
        );
    }
    out
}

/// The property: random awards, revocations, redemptions (refused below zero) and adjustments
/// of either sign, each cause replayed at random, keep every stored total equal to its sum; a
/// replay of the whole log changes nothing.
#[tokio::test]
async fn stored_totals_equal_the_sums_after_random_entries_replays_and_refusals() {
    let app = spawn_seeded().await;
    let people = many_volunteers(&app, 6, "t").await;
    let ids = volunteer_ids(&app, &people).await;
    let seed: u64 = std::env::var("FANZHA_TOTALS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(29);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut log: Vec<(i64, EntryKind, i64, String)> = Vec::new();
    let mut refused = 0;
    for i in 0..120 {
        let v = ids[rng.gen_range(0..ids.len())];
        let (kind, points) = match rng.gen_range(0..4) {
            0 => (EntryKind::Award, rng.gen_range(1..=30)),
            1 => (EntryKind::Revoke, -rng.gen_range(1..=20)),
            2 => (EntryKind::Redeem, -rng.gen_range(1..=40)),
            _ => (EntryKind::Adjust, rng.gen_range(-15..=15i64)),
        };
        let cause = format!("prop:{i}");
        if post(&app, v, kind, points, &cause).await {
            log.push((v, kind, points, cause));
        } else {
            refused += 1;
        }
        // A replay of an earlier cause, now and then: nothing moves.
        if !log.is_empty() && rng.gen_bool(0.3) {
            let (v, k, p, c) = log[rng.gen_range(0..log.len())].clone();
            assert!(
                !post(&app, v, k, p, &c).await,
                "seed {seed}: a replay appended"
            );
        }
        if i % 20 == 0 {
            assert_eq!(mismatches(&app).await, vec![], "seed {seed} after {i}");
        }
    }
    assert!(
        refused > 0,
        "seed {seed}: some entry should have been refused below zero"
    );
    assert_eq!(mismatches(&app).await, vec![], "seed {seed}");
    let before: Vec<(i64, i64)> = {
        let mut out = Vec::new();
        for p in &people {
            out.push(service::balance(&app.state, p).await.unwrap());
        }
        out
    };
    // The whole log replayed three times: every balance unchanged.
    for _ in 0..3 {
        for (v, k, p, c) in &log {
            assert!(!post(&app, *v, *k, *p, c).await);
        }
    }
    for (p, b) in people.iter().zip(&before) {
        assert_eq!(service::balance(&app.state, p).await.unwrap(), *b);
        assert!(b.0 >= 0, "never below zero");
    }
    // The expected figures from the log itself.
    for (p, v) in people.iter().zip(&ids) {
        let balance: i64 = log.iter().filter(|e| e.0 == *v).map(|e| e.2).sum();
        let earned: i64 = log
            .iter()
            .filter(|e| e.0 == *v && e.1 != EntryKind::Redeem)
            .map(|e| e.2)
            .sum();
        assert_eq!(
            service::balance(&app.state, p).await.unwrap(),
            (balance, earned)
        );
    }
}

/// Writes to the same volunteers from many tasks at once (credits, debits that may be refused,
/// replays of the same causes racing each other): the totals still equal the sums and no
/// balance went below zero.
#[tokio::test]
async fn stored_totals_hold_under_concurrent_writes() {
    let app = Arc::new(spawn_seeded().await);
    let people = many_volunteers(&app, 4, "w").await;
    let ids = volunteer_ids(&app, &people).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(48));
    let mut handles = Vec::new();
    for i in 0..48usize {
        let (app, b) = (app.clone(), barrier.clone());
        let v = ids[i % ids.len()];
        handles.push(tokio::spawn(async move {
            b.wait().await;
            // Two tasks share each cause: one of them appends.
            let cause = format!("race:{}", i / 2);
            let (kind, points) = match i % 6 {
                0 | 1 => (EntryKind::Award, 10),
                2 | 3 => (EntryKind::Redeem, -7),
                _ => (EntryKind::Adjust, -3),
            };
            post(&app, v, kind, points, &cause).await
        }));
    }
    let mut appended = 0;
    for h in handles {
        if h.await.unwrap() {
            appended += 1;
        }
    }
    assert!((1..=24).contains(&appended), "{appended}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM vol_ledger WHERE cause LIKE 'race:%'")
            .await,
        appended
    );
    assert_eq!(mismatches(&app).await, vec![]);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM vol_volunteers WHERE balance < 0")
            .await,
        0
    );
}

/// Approvals, a revocation and a redemption through the real flows: the totals follow, the
/// all-time board ranks by what was earned (a redemption does not lower it), the balance API
/// returns the stored figures, and a rebuild from the ledger (what migration 0029 ran) repairs
/// totals damaged outside the service.
#[tokio::test]
async fn flows_move_the_totals_the_boards_rank_by_them_and_a_rebuild_repairs_them() {
    let app = spawn_seeded().await;
    let police = tok(&app, "police1").await;
    let s1 = join(&app, "student1").await;
    let s2 = join(&app, "student2").await;
    let (_, me1) = get_json(&app, &s1, "/api/v1/volunteers/me").await;
    let (_, me2) = get_json(&app, &s2, "/api/v1/volunteers/me").await;
    let (v1, v2) = (
        me1["volunteer"]["id"].as_i64().unwrap(),
        me2["volunteer"]["id"].as_i64().unwrap(),
    );
    // Awards through accepted works of a call (20 points each): student1 two, student2 one.
    let call = super::calls::open_call(&app, &police, super::calls::call_body(&app, 10)).await;
    for (t, title) in [(&s1, "甲"), (&s1, "乙"), (&s2, "丙")] {
        let (s, w) = super::calls::hand_in(&app, t, call, super::calls::slogan(title)).await;
        assert_eq!(s, 201, "{w}");
        let (s, _) =
            super::calls::decide_work(&app, &police, w["id"].as_i64().unwrap(), "accept", "").await;
        assert_eq!(s, 200);
    }
    // student1 spends 30 of 40; student2 is adjusted down by 5.
    let u = app.fx.unit("SCH1");
    let reward = {
        let mut c = app.state.db.pool.acquire().await.unwrap();
        store::insert_reward(&mut c, u.id, &u.path, "校园文创徽章", 30, 5, 0)
            .await
            .unwrap()
    };
    let (s, e) = post_json_read(
        &app,
        &s1,
        &format!("/api/v1/volunteers/rewards/{reward}/redeem"),
        json!({"key": "r1"}),
    )
    .await;
    assert_eq!(s, 200, "{e}");
    let admin1 = tok(&app, "admin1").await;
    let (s, e) = post_json_read(
        &app,
        &admin1,
        &format!("/api/v1/volunteers/volunteers/{v2}/adjust"),
        json!({"points": -5, "reason": "重复计分更正", "key": "adj1"}),
    )
    .await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(mismatches(&app).await, vec![]);
    let (s, b1) = get_json(&app, &s1, "/api/v1/volunteers/balance").await;
    assert_eq!(s, 200);
    assert_eq!(
        (b1["balance"].as_i64(), b1["earned"].as_i64()),
        (Some(10), Some(40))
    );
    let (_, b2) = get_json(&app, &s2, "/api/v1/volunteers/balance").await;
    assert_eq!(
        (b2["balance"].as_i64(), b2["earned"].as_i64()),
        (Some(15), Some(15))
    );
    // The all-time board: student1 first on what was earned, though they spent most of it.
    let (_, all) = get_json(&app, &s1, "/api/v1/volunteers/leaderboard?period=all").await;
    let points: Vec<i64> = all["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["points"].as_i64().unwrap())
        .collect();
    assert_eq!(points, vec![40, 15], "{all}");
    assert_eq!(all["classes"][0]["points"], 40, "{all}");
    assert_eq!(all["classes"][1]["points"], 15, "{all}");
    assert_eq!(all["schools"][0]["points"], 55, "{all}");
    // Someone who is not a volunteer has no balance: a clear refusal.
    let (st, code, _, _) =
        api_error(app.api_get(&police, "/api/v1/volunteers/balance").await).await;
    assert_eq!((st.as_u16(), code.as_str()), (409, "vol-err-not-volunteer"));
    // Totals damaged behind the service's back are caught, and a rebuild repairs them.
    sqlx::query("UPDATE vol_volunteers SET balance = balance + 7, earned = 0 WHERE id = $1")
        .bind(v1)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(mismatches(&app).await, vec![(v1, 17, 10, 0, 40)]);
    let mut c = app.state.db.pool.acquire().await.unwrap();
    store::rebuild_totals(&mut c).await.unwrap();
    drop(c);
    assert_eq!(mismatches(&app).await, vec![]);
}

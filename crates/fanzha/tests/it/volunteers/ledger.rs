//! The points ledger: append-only entries with one idempotency key per cause, the stored balance
//! always equal to the sum of entries, redemption that never goes below zero or past the stock
//! (also under concurrent redemptions), and the replay property.

use std::sync::Arc;

use super::*;
use fanzha::volunteers::model::EntryKind;
use fanzha::volunteers::service;
use fanzha::volunteers::store::{self, NewEntry};
use rand::{Rng, SeedableRng};

async fn reward(app: &TestApp, unit: &str, cost: i64, stock: i64) -> i64 {
    let u = app.fx.unit(unit);
    let mut c = app.state.db.pool.acquire().await.unwrap();
    store::insert_reward(&mut c, u.id, &u.path, "校园文创帆布包", cost, stock, 0)
        .await
        .unwrap()
}

async fn credit(app: &TestApp, volunteer: i64, points: i64, cause: &str) {
    let mut tx = app.state.db.begin_write().await.unwrap();
    let e = NewEntry {
        volunteer_id: volunteer,
        kind: EntryKind::Adjust,
        points,
        cause,
        task_id: None,
        reward_id: None,
        reverses: None,
        note: "补录",
        by: None,
    };
    assert!(service::post(&mut tx, &e, 0).await.unwrap());
    tx.commit().await.unwrap();
}

async fn balance_and_sum(app: &TestApp, volunteer: i64) -> (i64, i64) {
    let mut c = app.state.db.pool.acquire().await.unwrap();
    let v = store::volunteer(&mut c, volunteer).await.unwrap().unwrap();
    (
        v.balance,
        store::ledger_sum(&mut c, volunteer).await.unwrap(),
    )
}

#[tokio::test]
async fn redemption_checks_balance_and_stock_and_a_retry_redeems_once() {
    let app = spawn_seeded().await;
    let s1 = join(&app, "student1").await;
    let (_, me) = get_json(&app, &s1, "/api/v1/volunteers/me").await;
    let vid = me["volunteer"]["id"].as_i64().unwrap();
    let bag = reward(&app, "SCH1", 30, 1).await;
    let other_school = reward(&app, "SCH2", 1, 5).await;
    credit(&app, vid, 20, "test:1").await;
    let url = format!("/api/v1/volunteers/rewards/{bag}/redeem");
    let (st, c, _, _) = api_error(post_json(&app, &s1, &url, json!({"key": "k1"})).await).await;
    assert_eq!((st.as_u16(), c.as_str()), (409, "vol-err-insufficient"));
    assert_eq!(balance_and_sum(&app, vid).await, (20, 20));
    credit(&app, vid, 50, "test:2").await;
    let (s, e) = post_json_read(&app, &s1, &url, json!({"key": "k1"})).await;
    assert_eq!((s.as_u16(), e["points"].as_i64()), (200, Some(-30)), "{e}");
    // The same key again: the same entry, nothing more taken.
    let (s, e2) = post_json_read(&app, &s1, &url, json!({"key": "k1"})).await;
    assert_eq!((s.as_u16(), &e2["id"]), (200, &e["id"]));
    assert_eq!(balance_and_sum(&app, vid).await, (40, 40));
    // Out of stock, and a reward of another school: refused, nothing changed.
    let (st, c, _, _) = api_error(post_json(&app, &s1, &url, json!({"key": "k2"})).await).await;
    assert_eq!((st.as_u16(), c.as_str()), (409, "vol-err-stock"));
    let r = post_json(
        &app,
        &s1,
        &format!("/api/v1/volunteers/rewards/{other_school}/redeem"),
        json!({"key": "k3"}),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(balance_and_sum(&app, vid).await, (40, 40));
    let r = post_json(&app, &s1, &url, json!({"key": ""})).await;
    assert_eq!(r.status(), 422);
    // Volunteers see their own ledger only; staff have none of their own.
    let c1 = tok(&app, "counselor1").await;
    let (st, c, _, _) = api_error(app.api_get(&c1, "/api/v1/volunteers/me").await).await;
    assert_eq!((st.as_u16(), c.as_str()), (409, "vol-err-not-volunteer"));
}

#[tokio::test]
async fn concurrent_redemptions_never_overdraw_points_or_stock() {
    let app = spawn_seeded().await;
    let people = many_volunteers(&app, 4, "r").await;
    let mut c = app.state.db.pool.acquire().await.unwrap();
    let first = store::volunteer_by_account(&mut c, people[0].account_id)
        .await
        .unwrap()
        .unwrap()
        .id;
    drop(c);
    // One volunteer with 35 points races eight redemptions of a 10-point reward: three succeed.
    credit(&app, first, 35, "seed:first").await;
    let pin = reward(&app, "SCH1", 10, 100).await;
    let run = |who: Vec<(Principal, String)>, reward: i64| {
        let st = app.state.clone();
        async move {
            let b = Arc::new(tokio::sync::Barrier::new(who.len()));
            // Redemptions in flight now, and the most at once.
            let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let hs: Vec<_> = who
                .into_iter()
                .map(|(p, key)| {
                    let (st, b) = (st.clone(), b.clone());
                    let (in_flight, most) = (in_flight.clone(), most.clone());
                    tokio::spawn(async move {
                        use std::sync::atomic::Ordering::SeqCst;
                        b.wait().await;
                        most.fetch_max(in_flight.fetch_add(1, SeqCst) + 1, SeqCst);
                        let ok = service::redeem(&st.db, &st.clock, &p, reward, &key)
                            .await
                            .is_ok();
                        in_flight.fetch_sub(1, SeqCst);
                        ok
                    })
                })
                .collect();
            let mut ok = 0;
            for h in hs {
                ok += h.await.unwrap() as usize;
            }
            let most = most.load(std::sync::atomic::Ordering::SeqCst);
            assert!(
                most >= 2,
                "the redemptions did not overlap (at most {most} at once)"
            );
            ok
        }
    };
    let ok = run(
        (0..8)
            .map(|k| (people[0].clone(), format!("r{k}")))
            .collect(),
        pin,
    )
    .await;
    assert_eq!(ok, 3);
    assert_eq!(balance_and_sum(&app, first).await, (5, 5));
    // Stock 2, four rich volunteers racing twice each: two succeed.
    let mut ids = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let mut c = app.state.db.pool.acquire().await.unwrap();
        let v = store::volunteer_by_account(&mut c, p.account_id)
            .await
            .unwrap()
            .unwrap()
            .id;
        drop(c);
        credit(&app, v, 100, &format!("seed:{i}")).await;
        ids.push(v);
    }
    let scarce = reward(&app, "SCH1", 10, 2).await;
    let ok = run(
        people
            .iter()
            .flat_map(|p| [(p.clone(), "a".to_string()), (p.clone(), "b".to_string())])
            .collect(),
        scarce,
    )
    .await;
    assert_eq!(ok, 2);
    assert_eq!(
        app.scalar(&format!(
            "SELECT stock FROM vol_rewards WHERE id = {scarce}"
        ))
        .await,
        0
    );
    for v in ids {
        let (b, s) = balance_and_sum(&app, v).await;
        assert_eq!(b, s);
        assert!(b >= 0);
    }
}

#[tokio::test]
async fn replaying_the_event_log_k_times_leaves_every_balance_unchanged() {
    let app = spawn_seeded().await;
    let people = many_volunteers(&app, 5, "p").await;
    let mut c = app.state.db.pool.acquire().await.unwrap();
    let mut vids = Vec::new();
    for p in &people {
        vids.push(
            store::volunteer_by_account(&mut c, p.account_id)
                .await
                .unwrap()
                .unwrap()
                .id,
        );
    }
    drop(c);
    for seed in 0..6u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        // A random event log: awards, adjustments and redemptions of random people.
        let mut log = Vec::new();
        for n in 0..rng.gen_range(5..30) {
            let v = vids[rng.gen_range(0..vids.len())];
            let (kind, pts) = match rng.gen_range(0..3) {
                0 => (EntryKind::Award, rng.gen_range(1..20)),
                1 => (EntryKind::Adjust, rng.gen_range(1..10)),
                _ => (EntryKind::Redeem, -rng.gen_range(1..15)),
            };
            log.push((v, kind, pts, format!("prop:{seed}:{n}")));
        }
        let apply = |log: Vec<(i64, EntryKind, i64, String)>| {
            let db = app.state.db.clone();
            async move {
                let mut accepted = Vec::new();
                for (v, kind, pts, cause) in log {
                    let mut tx = db.begin_write().await.unwrap();
                    let e = NewEntry {
                        volunteer_id: v,
                        kind,
                        points: pts,
                        cause: &cause,
                        task_id: None,
                        reward_id: None,
                        reverses: None,
                        note: "",
                        by: None,
                    };
                    // A redemption beyond the balance is refused and leaves nothing behind.
                    match service::post(&mut tx, &e, 0).await {
                        Ok(_) => {
                            tx.commit().await.unwrap();
                            accepted.push((v, kind, pts, cause.clone()));
                        }
                        Err(_) => tx.rollback().await.unwrap(),
                    }
                }
                accepted
            }
        };
        // The log of what was accepted is what a replay sends again.
        let log = apply(log).await;
        let mut before = Vec::new();
        for v in &vids {
            let (b, s) = balance_and_sum(&app, *v).await;
            assert_eq!(b, s, "balance = sum of entries");
            assert!(b >= 0);
            before.push(b);
        }
        let k = rng.gen_range(1..4);
        for _ in 0..k {
            let mut again = log.clone();
            for i in (1..again.len()).rev() {
                again.swap(i, rng.gen_range(0..=i));
            }
            let replayed = apply(again).await;
            assert_eq!(replayed.len(), log.len(), "a replay is accepted as a no-op");
        }
        for (v, b) in vids.iter().zip(&before) {
            assert_eq!(
                balance_and_sum(&app, *v).await,
                (*b, *b),
                "seed {seed}, replayed {k} times"
            );
        }
    }
}

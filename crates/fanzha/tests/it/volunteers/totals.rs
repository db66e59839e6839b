//! The stored totals of each volunteer (the balance, the points earned the leaderboards rank by,
//! and those points per week, month and term) always equal the sums of the ledger: after awards,
//! revocations, redemptions and adjustments drawn at random over two years, after replays of
//! every cause, under concurrent writes, and after a rebuild. The boards read them and equal a
//! recount of the ledger for every period; a balance read returns them.

use std::sync::Arc;

use super::*;
use fanzha::volunteers::model::{period_start, EntryKind, Period, BOARD_ZONE};
use fanzha::volunteers::service;
use fanzha::volunteers::store::{self, NewEntry};
use rand::{Rng, SeedableRng};

async fn mismatches(app: &TestApp) -> Vec<store::Mismatch> {
    let mut c = app.state.db.pool.acquire().await.unwrap();
    store::totals_mismatches(&mut c).await.unwrap()
}

/// Posts one entry through the service path in its own transaction; whether it was appended
/// (a refusal rolls everything back).
async fn post(app: &TestApp, volunteer: i64, kind: EntryKind, points: i64, cause: &str) -> bool {
    post_at(
        app,
        volunteer,
        kind,
        points,
        cause,
        app.state.clock.now_ms(),
    )
    .await
}

/// [`post`] made at `at`.
async fn post_at(
    app: &TestApp,
    volunteer: i64,
    kind: EntryKind,
    points: i64,
    cause: &str,
    at: i64,
) -> bool {
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
    match service::post(&mut tx, &e, at).await {
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
            service::me(&app.state.db, p)
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
            out.push(service::balance(&app.state.db, p).await.unwrap());
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
        assert_eq!(service::balance(&app.state.db, p).await.unwrap(), *b);
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
            service::balance(&app.state.db, p).await.unwrap(),
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
    let term_start = period_start(Period::Term, app.state.clock.now_ms(), BOARD_ZONE);
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
            // Either side of a term's start (and so of a week and a month) in Shanghai: both
            // periods' totals are written at once.
            let at = term_start + if i % 4 < 2 { -1 } else { 0 };
            post_at(&app, v, kind, points, &cause, at).await
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
    sqlx::query("UPDATE vol_period_totals SET earned = earned + 1 WHERE volunteer_id = $1 AND period = 'term'")
        .bind(v2)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let found: Vec<(i64, String, i64, i64)> = mismatches(&app)
        .await
        .into_iter()
        .map(|m| (m.volunteer_id, m.total, m.stored, m.sum))
        .collect();
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0], (v1, "balance".into(), 17, 10));
    assert_eq!(found[1], (v1, "earned".into(), 0, 40));
    assert_eq!((found[2].0, found[2].2, found[2].3), (v2, 16, 15));
    assert!(found[2].1.starts_with("term "), "{found:?}");
    let mut c = app.state.db.pool.acquire().await.unwrap();
    store::rebuild_totals(&mut c).await.unwrap();
    drop(c);
    assert_eq!(mismatches(&app).await, vec![]);
}

type PeriodRows = Vec<(String, i64, i64, i64)>;

async fn period_rows(app: &TestApp) -> PeriodRows {
    sqlx::query_as(
        "SELECT period, starts_at, volunteer_id, earned FROM vol_period_totals \
         ORDER BY period, starts_at, volunteer_id",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
}

/// The property per period: entries of every kind drawn at random over two years (many of them
/// a millisecond either side of a local midnight, where a day, a week, a month or a term turns),
/// each cause replayed at random at another time: the stored week, month and term totals equal
/// the ledger's sums; for every period a board shows at instants drawn from the same years, the
/// people and the classes equal a recount of the ledger from the period's start; a rebuild from
/// the ledger (the statement migration 0032 ran) gives back exactly the rows the writes built.
#[tokio::test]
async fn period_totals_equal_the_ledger_sums_of_every_period() {
    let app = spawn_seeded().await;
    let people = many_volunteers(&app, 5, "q").await;
    let mut ids = volunteer_ids(&app, &people).await;
    for who in ["student1", "student2", "student3"] {
        let t = join(&app, who).await;
        let (_, me) = get_json(&app, &t, "/api/v1/volunteers/me").await;
        ids.push(me["volunteer"]["id"].as_i64().unwrap());
    }
    let seed: u64 = std::env::var("FANZHA_TOTALS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let now = app.state.clock.now_ms();
    let day = 86_400_000i64;
    let span = 2 * 365 * day;
    let mut log: Vec<(i64, EntryKind, i64, String)> = Vec::new();
    for i in 0..160 {
        let v = ids[rng.gen_range(0..ids.len())];
        let at = if rng.gen_bool(0.4) {
            // A local midnight (16:00 UTC) give or take a millisecond.
            let d = (now - rng.gen_range(0..span)) / day * day + 16 * 3_600_000;
            d + rng.gen_range(-1..=1)
        } else {
            now - rng.gen_range(0..span)
        };
        let (kind, points) = match rng.gen_range(0..4) {
            0 | 1 => (EntryKind::Award, rng.gen_range(1..=30)),
            2 => (EntryKind::Revoke, -rng.gen_range(1..=10)),
            _ => match rng.gen_bool(0.5) {
                true => (EntryKind::Redeem, -rng.gen_range(1..=20)),
                false => (EntryKind::Adjust, rng.gen_range(-8..=8i64)),
            },
        };
        let cause = format!("per:{i}");
        if post_at(&app, v, kind, points, &cause, at).await {
            log.push((v, kind, points, cause));
        }
        if !log.is_empty() && rng.gen_bool(0.3) {
            let (v, k, p, c) = log[rng.gen_range(0..log.len())].clone();
            let later = now - rng.gen_range(0..span);
            assert!(
                !post_at(&app, v, k, p, &c, later).await,
                "seed {seed}: a replay appended"
            );
        }
    }
    assert!(log.len() > 100, "seed {seed}: {}", log.len());
    assert_eq!(mismatches(&app).await, vec![], "seed {seed}");
    let built = period_rows(&app).await;
    assert!(
        built.iter().any(|r| r.0 == "term") && built.iter().any(|r| r.0 == "week"),
        "{built:?}"
    );

    // Boards at instants across the two years, for every period: what a recount finds.
    let province = app.fx.unit("P1").path.clone();
    let mut c = app.state.db.pool.acquire().await.unwrap();
    let mut compared = 0;
    for k in 0..12 {
        let t = now - k * span / 12;
        for period in [Period::Week, Period::Month, Period::Term, Period::All] {
            let since = period_start(period, t, BOARD_ZONE);
            let mut people: Vec<i64> = store::earned_people(&mut c, &province, period, since, 1000)
                .await
                .unwrap()
                .iter()
                .map(|s| s.points)
                .collect();
            people.sort_unstable();
            let mut recount: Vec<i64> = sqlx::query_scalar(
                "SELECT CAST(SUM(l.points) AS BIGINT) FROM vol_ledger l JOIN vol_volunteers v ON v.id = l.volunteer_id \
                 WHERE v.class_path LIKE $2 AND l.created_at >= $1 AND l.kind <> 'redeem' \
                 GROUP BY l.volunteer_id HAVING SUM(l.points) <> 0",
            )
            .bind(since)
            .bind(format!("{province}%"))
            .fetch_all(&mut *c)
            .await
            .unwrap();
            recount.sort_unstable();
            assert_eq!(people, recount, "seed {seed}: {period:?} at {t}");
            let classes: Vec<(String, i64)> =
                store::earned_groups(&mut c, &province, store::Group::Class, period, since, 1000)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|s| s.points != 0)
                    .map(|s| (s.label, s.points))
                    .collect();
            let by_class: Vec<(String, i64)> = sqlx::query_as(
                "SELECT u.name, CAST(SUM(l.points) AS BIGINT) AS earned FROM vol_ledger l \
                 JOIN vol_volunteers v ON v.id = l.volunteer_id JOIN units u ON u.id = v.class_id \
                 WHERE v.class_path LIKE $2 AND l.created_at >= $1 AND l.kind <> 'redeem' \
                 GROUP BY u.name HAVING SUM(l.points) <> 0 ORDER BY earned DESC, u.name",
            )
            .bind(since)
            .bind(format!("{province}%"))
            .fetch_all(&mut *c)
            .await
            .unwrap();
            assert_eq!(classes, by_class, "seed {seed}: {period:?} at {t}");
            compared += usize::from(!recount.is_empty());
        }
    }
    assert!(compared > 24, "most boards have someone: {compared}");

    // Damage, then a rebuild from the ledger: the same rows the writes built.
    sqlx::query("DELETE FROM vol_period_totals WHERE period = 'week'")
        .execute(&mut *c)
        .await
        .unwrap();
    sqlx::query("UPDATE vol_period_totals SET earned = earned * 2 + 1 WHERE period = 'month'")
        .execute(&mut *c)
        .await
        .unwrap();
    assert!(!mismatches(&app).await.is_empty());
    store::rebuild_totals(&mut c).await.unwrap();
    drop(c);
    assert_eq!(mismatches(&app).await, vec![], "seed {seed}");
    assert_eq!(period_rows(&app).await, built, "seed {seed}");
}

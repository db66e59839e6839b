//! Class leaderboards by period: for the week, the month, the term and all time, the classes of
//! the area rank by what their volunteers earned in the period, equal to a recount of the
//! ledger; the page shows them in words; a partner system is refused.

use super::*;
use fanzha::volunteers::model::EntryKind;
use fanzha::volunteers::service;
use fanzha::volunteers::store::NewEntry;

async fn post_at(
    app: &TestApp,
    volunteer: i64,
    kind: EntryKind,
    points: i64,
    at: i64,
    cause: &str,
) {
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
    assert!(service::post(&mut tx, &e, at).await.unwrap());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn class_boards_by_period_match_a_recount_of_the_ledger() {
    let app = spawn_seeded().await;
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    for who in ["student1", "student2", "student3"] {
        let t = join(&app, who).await;
        let (_, me) = get_json(&app, &t, "/api/v1/volunteers/me").await;
        ids.push(me["volunteer"]["id"].as_i64().unwrap());
        tokens.push(t);
    }
    for p in many_volunteers(&app, 2, "b").await {
        ids.push(service::me(&app.state.db, &p).await.unwrap().unwrap().id);
    }
    let now = app.state.clock.now_ms();
    let day = 86_400_000;
    // Entries spread over 400 days, every kind; a redemption never lowers a standing.
    let ages = [400 * day, 100 * day, 20 * day, 3 * day, 3_600_000];
    let mut n = 0;
    for (i, v) in ids.iter().enumerate() {
        for (j, age) in ages.iter().enumerate() {
            n += 1;
            let points = 5 + ((i * 7 + j * 3) % 11) as i64;
            post_at(
                &app,
                *v,
                EntryKind::Award,
                points,
                now - age,
                &format!("b:{n}"),
            )
            .await;
            if (i + j) % 3 == 0 {
                n += 1;
                post_at(
                    &app,
                    *v,
                    EntryKind::Revoke,
                    -2,
                    now - age + 1,
                    &format!("b:{n}"),
                )
                .await;
            }
        }
        n += 1;
        post_at(
            &app,
            *v,
            EntryKind::Redeem,
            -4,
            now - 60_000,
            &format!("b:{n}"),
        )
        .await;
    }
    let s1 = &tokens[0];
    let mut shapes = std::collections::BTreeSet::new();
    for period in ["week", "month", "term", "all"] {
        let (s, b) = get_json(
            &app,
            s1,
            &format!("/api/v1/volunteers/leaderboard?reach=province&period={period}"),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        let since = b["since"].as_i64().unwrap();
        let recount: Vec<(String, i64)> = sqlx::query_as(
            "SELECT u.name, CAST(SUM(l.points) AS BIGINT) AS earned FROM vol_ledger l \
             JOIN vol_volunteers v ON v.id = l.volunteer_id JOIN units u ON u.id = v.class_id \
             WHERE l.created_at >= $1 AND l.kind <> 'redeem' GROUP BY u.name \
             HAVING SUM(l.points) <> 0 ORDER BY earned DESC, u.name",
        )
        .bind(since)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
        let shown: Vec<(String, i64)> = b["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["label"].as_str().unwrap().to_string(),
                    c["points"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(shown, recount, "{period}: {b}");
        assert!(!shown.is_empty(), "{period}");
        shapes.insert(shown);
    }
    assert!(shapes.len() >= 3, "the periods differ: {shapes:?}");

    // The page shows the class board of the chosen period in words.
    let c = app.login("student1").await;
    for period in ["week", "all"] {
        let (s, html) = app
            .get(
                &c,
                &format!("/volunteers/leaderboard?reach=school&period={period}"),
            )
            .await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"vol-lb-period-classes\""), "{period}");
        assert!(html.contains("班级排行"), "{period}");
        assert!(html.contains("计科"), "a class by its name: {period}");
        assert!(!html.contains("CLS1A"), "no unit codes on the page");
    }
    let (s, _) = app.get(&c, "/volunteers/leaderboard?period=decade").await;
    assert_eq!(s, 422);
    // A partner system sees no leaderboard.
    let partner = app.token("partner1", SCOPES).await;
    let r = app
        .api_get(&partner, "/api/v1/volunteers/leaderboard?period=week")
        .await;
    assert!(matches!(r.status().as_u16(), 401 | 403), "{}", r.status());
}

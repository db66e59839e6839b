//! Teams within a school, who sees which volunteers and teams, staff adjustments of points
//! (a reason, once per key, never below zero, staff in reach only), and the leaderboards by
//! school and province over a period, checked against a recount of the ledger.

use super::calls::*;
use super::*;

#[tokio::test]
async fn a_student_joins_a_team_of_their_school_and_staff_and_police_see_their_schools_only() {
    let app = spawn_seeded().await;
    let admin1 = tok(&app, "admin1").await;
    let (s, t) = post_json_read(
        &app,
        &admin1,
        "/api/v1/volunteers/teams",
        json!({"name": "计科反诈宣讲队"}),
    )
    .await;
    assert_eq!(s, 201, "{t}");
    let team = t["id"].as_i64().unwrap();
    // Bad input and refused roles: nothing made.
    let (s, _) = post_json_read(
        &app,
        &admin1,
        "/api/v1/volunteers/teams",
        json!({"name": "计科反诈宣讲队"}),
    )
    .await;
    assert_eq!(s, 422, "a name taken in the school");
    let (s, _) = post_json_read(
        &app,
        &admin1,
        "/api/v1/volunteers/teams",
        json!({"name": "  "}),
    )
    .await;
    assert_eq!(s, 422);
    for who in ["student1", "police1", "counselor1"] {
        let t = tok(&app, who).await;
        let (s, _) = post_json_read(
            &app,
            &t,
            "/api/v1/volunteers/teams",
            json!({"name": "别的队"}),
        )
        .await;
        assert_eq!(s, 403, "{who}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_teams").await, 1);
    let admin2 = tok(&app, "admin2").await;
    let (s, other) = post_json_read(
        &app,
        &admin2,
        "/api/v1/volunteers/teams",
        json!({"name": "法学宣讲队"}),
    )
    .await;
    assert_eq!(s, 201);

    let s1 = join(&app, "student1").await;
    let r = post_json(
        &app,
        &s1,
        &format!("/api/v1/volunteers/teams/{}/join", other["id"]),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 404, "a team of another school");
    let (s, v) = post_json_read(
        &app,
        &s1,
        &format!("/api/v1/volunteers/teams/{team}/join"),
        json!({}),
    )
    .await;
    assert_eq!((s.as_u16(), v["members"].as_i64()), (200, Some(1)));
    let (_, mine) = get_json(&app, &s1, "/api/v1/volunteers/teams").await;
    assert_eq!(
        mine.as_array().unwrap().len(),
        1,
        "only the teams of the student's school"
    );
    // Staff see their school's teams; police the teams of the schools in their jurisdiction.
    for (who, school_team) in [
        ("admin1", team),
        ("counselor1", team),
        ("police1", team),
        ("police2", other["id"].as_i64().unwrap()),
    ] {
        let t = tok(&app, who).await;
        let (s, list) = get_json(&app, &t, "/api/v1/volunteers/teams").await;
        assert_eq!(s, 200, "{who}");
        let ids: Vec<i64> = list
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["id"].as_i64())
            .collect();
        assert_eq!(ids, vec![school_team], "{who}");
    }
    assert_eq!(
        post_json(&app, &s1, "/api/v1/volunteers/teams/leave", json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(
        post_json(&app, &s1, "/api/v1/volunteers/teams/leave", json!({}))
            .await
            .status(),
        409
    );
}

#[tokio::test]
async fn staff_adjust_points_with_a_reason_once_per_key_and_never_below_zero() {
    let app = spawn_seeded().await;
    let s1 = join(&app, "student1").await;
    let (_, me) = get_json(&app, &s1, "/api/v1/volunteers/me").await;
    let vid = me["volunteer"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/volunteers/volunteers/{vid}/adjust");
    let counselor = tok(&app, "counselor1").await;
    let (s, e) = post_json_read(
        &app,
        &counselor,
        &path,
        json!({"points": 15, "reason": "补录线下宣传", "key": "k1"}),
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["kind"].as_str(), e["points"].as_i64()),
        (200, Some("adjust"), Some(15)),
        "{e}"
    );
    // A retry with the same key adjusts once.
    let (_, again) = post_json_read(
        &app,
        &counselor,
        &path,
        json!({"points": 15, "reason": "补录线下宣传", "key": "k1"}),
    )
    .await;
    assert_eq!(again["id"], e["id"]);
    let balance = || async {
        get_json(&app, &s1, "/api/v1/volunteers/me").await.1["volunteer"]["balance"].as_i64()
    };
    assert_eq!(balance().await, Some(15));
    // Bad input: no reason, zero, no key; below zero: refused, nothing changed.
    for body in [
        json!({"points": 5, "reason": "", "key": "k2"}),
        json!({"points": 0, "reason": "x", "key": "k3"}),
        json!({"points": 5, "reason": "x", "key": ""}),
    ] {
        let (s, _) = post_json_read(&app, &counselor, &path, body).await;
        assert_eq!(s, 422);
    }
    let (st, code, _, _) = api_error(
        post_json(
            &app,
            &counselor,
            &path,
            json!({"points": -16, "reason": "更正", "key": "k4"}),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (409, "vol-err-insufficient"));
    assert_eq!(balance().await, Some(15));
    // Police of the school's station may; the student, the other station, the other school's
    // counselor get not-found.
    let police1 = tok(&app, "police1").await;
    let (s, _) = post_json_read(
        &app,
        &police1,
        &path,
        json!({"points": -5, "reason": "重复记录", "key": "p1"}),
    )
    .await;
    assert_eq!(s, 200);
    for who in ["student1", "police2", "counselor4", "admin2"] {
        let t = tok(&app, who).await;
        let (s, _) = post_json_read(
            &app,
            &t,
            &path,
            json!({"points": 5, "reason": "x", "key": "z"}),
        )
        .await;
        assert_eq!(s, 404, "{who}");
    }
    assert_eq!(balance().await, Some(10));
    let sum = app.scalar(&format!("SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM vol_ledger WHERE volunteer_id = {vid}")).await;
    assert_eq!(sum, 10, "the balance is the sum of the entries");
}

#[tokio::test]
async fn leaderboards_by_school_and_province_over_a_period_match_a_recount_of_the_ledger() {
    let app = spawn_seeded().await;
    let police = tok(&app, "police1").await;
    let s1 = join(&app, "student1").await;
    let s2 = join(&app, "student2").await;
    let s3 = join(&app, "student3").await;
    let call = open_call(&app, &police, call_body(&app, 60)).await;
    let police2 = tok(&app, "police2").await;
    let call2 = open_call(&app, &police2, call_body(&app, 60)).await;
    // Earned long ago: student1 20 points, student3 (the other school) 20.
    for (t, c, title) in [(&s1, call, "旧作一"), (&s3, call2, "旧作三")] {
        let (_, w) = hand_in(&app, t, c, slogan(title)).await;
        let reviewer = if c == call { &police } else { &police2 };
        assert_eq!(
            decide_work(&app, reviewer, w["id"].as_i64().unwrap(), "accept", "")
                .await
                .0,
            200
        );
    }
    app.state.clock.advance_ms(40 * 86_400_000);
    // This week: student2 40, student1 20, student3 20 + an adjustment of 5.
    for (t, title) in [(&s2, "新作甲"), (&s2, "新作乙"), (&s1, "新作丙")] {
        let (_, w) = hand_in(&app, t, call, slogan(title)).await;
        assert_eq!(
            decide_work(&app, &police, w["id"].as_i64().unwrap(), "accept", "")
                .await
                .0,
            200
        );
    }
    let (_, w) = hand_in(&app, &s3, call2, slogan("新作丁")).await;
    decide_work(&app, &police2, w["id"].as_i64().unwrap(), "accept", "").await;
    let (_, me3) = get_json(&app, &s3, "/api/v1/volunteers/me").await;
    let admin2 = tok(&app, "admin2").await;
    let (s, _) = post_json_read(
        &app,
        &admin2,
        &format!(
            "/api/v1/volunteers/volunteers/{}/adjust",
            me3["volunteer"]["id"]
        ),
        json!({"points": 5, "reason": "补录", "key": "a"}),
    )
    .await;
    assert_eq!(s, 200);

    let board = |q: &'static str| {
        let (app, t) = (&app, s1.clone());
        async move {
            get_json(app, &t, &format!("/api/v1/volunteers/leaderboard?{q}"))
                .await
                .1
        }
    };
    let points = |v: &Value, list: &str| -> Vec<i64> {
        v[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["points"].as_i64().unwrap())
            .collect()
    };
    let week = board("reach=school&period=week").await;
    assert_eq!(week["area"], "第一大学");
    assert_eq!(points(&week, "people"), vec![40, 20]);
    let all = board("reach=school&period=all").await;
    assert_eq!(points(&all, "people"), vec![40, 40]);
    let province = board("reach=province&period=month").await;
    assert_eq!(province["area"], "测试省");
    assert_eq!(points(&province, "schools"), vec![60, 25], "{province}");
    assert_eq!(points(&province, "people"), vec![40, 25, 20]);
    // A recount from the ledger rows themselves agrees.
    let since = week["since"].as_i64().unwrap();
    let recount: Vec<(i64,)> = sqlx::query_as(
        "SELECT CAST(SUM(l.points) AS BIGINT) FROM vol_ledger l JOIN vol_volunteers v ON v.id = l.volunteer_id \
         WHERE l.created_at >= $1 AND l.kind <> 'redeem' GROUP BY v.school_id ORDER BY 1 DESC",
    )
    .bind(since)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    let recount: Vec<i64> = recount.into_iter().map(|r| r.0).collect();
    assert_eq!(recount, vec![60, 25]);
    let (st, _, _, _) = api_error(
        app.api_get(&s1, "/api/v1/volunteers/leaderboard?period=year")
            .await,
    )
    .await;
    assert_eq!(st.as_u16(), 422);
    let (st, _, _, _) = api_error(
        app.api_get(&s1, "/api/v1/volunteers/leaderboard?reach=planet")
            .await,
    )
    .await;
    assert_eq!(st.as_u16(), 422);
}

//! Calls for works: publishing, handing in works before the deadline, review and acceptance
//! (points credited once, the work in the shared library and in the organiser's content review),
//! the limits of five works and of the deadline, the roles that are refused.

use super::*;

const DAY: i64 = 86_400_000;

/// A call body by the station, closing in `days`.
pub fn call_body(app: &TestApp, days: i64) -> Value {
    json!({
        "title": "反诈标语征集", "theme": "识破刷单返利", "rules": "每人至多五件,标语不超过二十字",
        "kinds": ["slogan", "poster", "idea", "script"], "fraud_type": "rebate_task",
        "audience": "students", "licence": "cc_by", "points": 20,
        "closes_at": app.state.clock.now_ms() + days * DAY, "targets": []
    })
}

/// Publishes a call as `token`; its id.
pub async fn open_call(app: &TestApp, token: &str, body: Value) -> i64 {
    let (s, v) = post_json_read(app, token, "/api/v1/volunteers/calls", body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().expect("id")
}

/// Hands in a work; status and body.
pub async fn hand_in(app: &TestApp, token: &str, call: i64, body: Value) -> (u16, Value) {
    let (s, v) = post_json_read(
        app,
        token,
        &format!("/api/v1/volunteers/calls/{call}/works"),
        body,
    )
    .await;
    (s.as_u16(), v)
}

pub fn slogan(title: &str) -> Value {
    json!({"kind": "slogan", "title": title, "body": "刷单返利,先返后骗。"})
}

/// Decides on a work; status and body.
pub async fn decide_work(
    app: &TestApp,
    token: &str,
    work: i64,
    d: &str,
    reason: &str,
) -> (u16, Value) {
    let (s, v) = post_json_read(
        app,
        token,
        &format!("/api/v1/volunteers/works/{work}/review"),
        json!({"decision": d, "reason": reason}),
    )
    .await;
    (s.as_u16(), v)
}

/// An accepted work of student1 in a call of the station; (call, work, library item id).
pub async fn accepted_work(app: &TestApp) -> (i64, i64, i64) {
    let police = tok(app, "police1").await;
    let s1 = join(app, "student1").await;
    let call = open_call(app, &police, call_body(app, 10)).await;
    let (s, w) = hand_in(app, &s1, call, slogan("刷单就是诈骗")).await;
    assert_eq!(s, 201, "{w}");
    let work = w["id"].as_i64().unwrap();
    assert_eq!(decide_work(app, &police, work, "accept", "").await.0, 200);
    let item = app
        .scalar(&format!(
            "SELECT id FROM vol_library WHERE source = 'work:{work}'"
        ))
        .await;
    (call, work, item)
}

#[tokio::test]
async fn a_call_takes_works_and_an_accepted_work_credits_once_and_joins_the_library_and_content_review(
) {
    let app = spawn_seeded().await;
    let police = tok(&app, "police1").await;
    // Bad input: every problem listed, nothing stored.
    let mut bad = call_body(&app, 10);
    bad["title"] = json!(" ");
    bad["kinds"] = json!(["song"]);
    bad["licence"] = json!("all rights reserved");
    bad["closes_at"] = json!(0);
    let (st, code, _, details) =
        api_error(post_json(&app, &police, "/api/v1/volunteers/calls", bad).await).await;
    assert_eq!((st.as_u16(), code.as_str()), (422, "vol-err-invalid"));
    assert!(details.len() >= 4, "{details:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_calls").await, 0);
    // A student cannot open a call.
    let s1 = join(&app, "student1").await;
    let (st, _, _, _) =
        api_error(post_json(&app, &s1, "/api/v1/volunteers/calls", call_body(&app, 10)).await)
            .await;
    assert_eq!(st.as_u16(), 403);

    let call = open_call(&app, &police, call_body(&app, 10)).await;
    let (_, list) = get_json(&app, &s1, "/api/v1/volunteers/calls").await;
    assert!(
        list.as_array().unwrap().iter().any(|c| c["id"] == call),
        "{list}"
    );
    // Not a volunteer yet: refused until registered.
    let s2 = tok(&app, "student2").await;
    let (st, code, _, _) = api_error(
        post_json(
            &app,
            &s2,
            &format!("/api/v1/volunteers/calls/{call}/works"),
            slogan("x"),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (409, "vol-err-not-volunteer"));
    // Bad works: a poster without its picture, a file too large, a file of an unknown type.
    let (s, v) = hand_in(
        &app,
        &s1,
        call,
        json!({"kind": "poster", "title": "海报", "body": ""}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    use base64::Engine as _;
    let big = base64::engine::general_purpose::STANDARD.encode(vec![0xFFu8; 5 * 1024 * 1024 + 1]);
    let (s, _) = hand_in(
        &app,
        &s1,
        call,
        json!({"kind": "poster", "title": "大海报", "file_base64": big}),
    )
    .await;
    assert_eq!(s, 422);
    let exe = base64::engine::general_purpose::STANDARD.encode(b"MZ\x90\x00");
    let (s, _) = hand_in(
        &app,
        &s1,
        call,
        json!({"kind": "poster", "title": "怪海报", "file_base64": exe}),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_works").await, 0);
    // A good slogan and a poster with its PNG.
    let (s, w) = hand_in(&app, &s1, call, slogan("刷单就是诈骗")).await;
    assert_eq!(s, 201, "{w}");
    assert_eq!(w["status"], "submitted");
    let work = w["id"].as_i64().unwrap();
    let png = base64::engine::general_purpose::STANDARD.encode(super::png(false));
    let (s, p) = hand_in(
        &app,
        &s1,
        call,
        json!({"kind": "poster", "title": "海报一", "file_base64": png}),
    )
    .await;
    assert_eq!(
        (s, p["file_type"].as_str()),
        (201, Some("image/png")),
        "{p}"
    );
    // The same title twice is refused.
    let (s, _) = hand_in(&app, &s1, call, slogan("刷单就是诈骗")).await;
    assert_eq!(s, 422);

    // Only the organiser's unit reviews: the other station, the other school, the author.
    for who in ["police2", "admin2", "student1"] {
        let t = tok(&app, who).await;
        let (s, _) = decide_work(&app, &t, work, "accept", "").await;
        assert_eq!(s, 404, "{who}");
    }
    let (s, _) = decide_work(&app, &police, work, "reject", "").await;
    assert_eq!(s, 422, "a rejection needs its reason");
    let (s, v) = decide_work(&app, &police, work, "shortlist", "").await;
    assert_eq!((s, v["status"].as_str()), (200, Some("shortlisted")));
    let (s, v) = decide_work(&app, &police, work, "accept", "").await;
    assert_eq!((s, v["status"].as_str()), (200, Some("accepted")), "{v}");
    let content = v["content_id"].as_i64().expect("content made");
    // A replayed acceptance changes nothing and credits nothing twice.
    let (s, _) = decide_work(&app, &police, work, "accept", "").await;
    assert_eq!(s, 409);
    let (_, me) = get_json(&app, &s1, "/api/v1/volunteers/me").await;
    assert_eq!(me["volunteer"]["balance"], 20, "{me}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM vol_ledger WHERE cause = 'award:work:{work}:volunteer:{}'",
            me["volunteer"]["id"]
        ))
        .await,
        1
    );
    // The work is in the organiser's content library, sent to its review, credited.
    let (status, body): (String, String) =
        sqlx::query_as("SELECT status, body_md FROM campaign_contents WHERE id = $1")
            .bind(content)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(status, "review");
    assert!(
        body.contains("张三") && body.contains("CC BY 4.0"),
        "{body}"
    );
    // …and in the shared library, found by fraud type and kind, not by another kind.
    let (s, items) = get_json(
        &app,
        &police,
        "/api/v1/volunteers/library?fraud_type=rebate_task&kind=slogan",
    )
    .await;
    assert_eq!(s, 200);
    let items = items.as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["author"], "张三");
    assert_eq!(items[0]["licence"], "cc_by");
    assert_eq!(items[0]["uses"], 0);
    let (_, none) = get_json(&app, &police, "/api/v1/volunteers/library?kind=poster").await;
    assert!(none.as_array().unwrap().is_empty());
    let (_, found) = get_json(
        &app,
        &police,
        "/api/v1/volunteers/library?q=%E8%AF%88%E9%AA%97",
    )
    .await;
    assert_eq!(found.as_array().unwrap().len(), 1, "text search");
    let (st, _, _, _) = api_error(
        app.api_get(&police, "/api/v1/volunteers/library?kind=song")
            .await,
    )
    .await;
    assert_eq!(st.as_u16(), 422);
    // The poster, rejected with a reason, stays out of the library.
    let poster = p["id"].as_i64().unwrap();
    let (s, v) = decide_work(&app, &police, poster, "reject", "图片不清楚").await;
    assert_eq!((s, v["reason"].as_str()), (200, Some("图片不清楚")));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_library").await, 1);
}

#[tokio::test]
async fn a_call_closes_at_its_deadline_and_a_targeted_call_is_not_found_elsewhere() {
    let app = spawn_seeded().await;
    let police = tok(&app, "police1").await;
    let s1 = join(&app, "student1").await;
    let s3 = join(&app, "student3").await;
    let call = open_call(&app, &police, call_body(&app, 1)).await;
    let mut targeted = call_body(&app, 5);
    targeted["targets"] = json!(["SCH1"]);
    let only_sch1 = open_call(&app, &police, targeted).await;
    let (s, _) = hand_in(&app, &s3, only_sch1, slogan("别信刷单")).await;
    assert_eq!(s, 404, "not addressed to the other school");
    let (s, _) = get_json(&app, &s3, &format!("/api/v1/volunteers/calls/{only_sch1}")).await;
    assert_eq!(s, 404);
    let (s, _) = hand_in(&app, &s1, only_sch1, slogan("别信刷单")).await;
    assert_eq!(s, 201);

    app.state.clock.advance_ms(DAY + 1);
    let before = app.scalar("SELECT COUNT(*) FROM vol_works").await;
    let (st, code, _, _) = api_error(
        post_json(
            &app,
            &s1,
            &format!("/api/v1/volunteers/calls/{call}/works"),
            slogan("晚了"),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (409, "vol-err-deadline"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_works").await, before);
    // Closing early: by the organiser only, once.
    let other = tok(&app, "police2").await;
    assert_eq!(
        post_json(
            &app,
            &other,
            &format!("/api/v1/volunteers/calls/{only_sch1}/close"),
            json!({})
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        post_json(
            &app,
            &police,
            &format!("/api/v1/volunteers/calls/{only_sch1}/close"),
            json!({})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        post_json(
            &app,
            &police,
            &format!("/api/v1/volunteers/calls/{only_sch1}/close"),
            json!({})
        )
        .await
        .status(),
        409
    );
    let (s, _) = hand_in(&app, &s1, only_sch1, slogan("又一条")).await;
    assert_eq!(s, 409, "closed");
}

#[tokio::test]
async fn five_works_per_person_and_call_hold_when_sent_at_once() {
    let app = spawn_seeded().await;
    let police = tok(&app, "police1").await;
    let s1 = join(&app, "student1").await;
    let call = open_call(&app, &police, call_body(&app, 10)).await;
    let sends = (0..9).map(|i| {
        let (app, s1) = (&app, s1.clone());
        async move { hand_in(app, &s1, call, slogan(&format!("标语{i}"))).await.0 }
    });
    let codes = futures::future::join_all(sends).await;
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 5, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 201 || *c == 409), "{codes:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_works").await, 5);
}

#[tokio::test]
async fn the_pages_of_calls_library_teams_and_leaderboards_render_for_each_role_and_refuse_the_rest(
) {
    let app = spawn_seeded().await;
    let (_, work, item) = accepted_work(&app).await;
    let call = app
        .scalar(&format!("SELECT call_id FROM vol_works WHERE id = {work}"))
        .await;
    for who in ["student1", "counselor1", "admin1", "police1", "province1"] {
        let c = app.login(who).await;
        for path in [
            "/volunteers/calls".to_string(),
            "/volunteers/library".to_string(),
            "/volunteers/library?kind=slogan&fraud_type=rebate_task".to_string(),
            format!("/volunteers/library/{item}"),
            "/volunteers/teams".to_string(),
            "/volunteers/leaderboard?reach=province&period=term".to_string(),
        ] {
            let (s, body) = app.get(&c, &path).await;
            assert_eq!(s, 200, "{who} {path}");
            // Fraud types, kinds and licences read as words, never as their ids.
            for id in [">rebate_task", ">slogan", ">cc_by", ">students"] {
                assert!(!body.contains(id), "{id} shown on {path}");
            }
        }
    }
    // The organiser sees the works with their author; the author sees their own; another
    // station's officer gets not-found.
    let police = app.login("police1").await;
    let (_, body) = app.get(&police, &format!("/volunteers/calls/{call}")).await;
    assert!(
        body.contains("张三") && body.contains("刷单就是诈骗"),
        "organiser view"
    );
    let s1 = app.login("student1").await;
    let (_, body) = app.get(&s1, &format!("/volunteers/calls/{call}")).await;
    assert!(body.contains("已入选"), "the author's own work");
    let police2 = app.login("police2").await;
    let (s, _) = app
        .get(&police2, &format!("/volunteers/calls/{call}"))
        .await;
    assert_eq!(s, 404);
    // Only police and school admins open calls; a bad filter is a clear 422.
    let (s, _) = app.get(&s1, "/volunteers/calls/new").await;
    assert_eq!(s, 403);
    let (s, _) = app.get(&police, "/volunteers/calls/new").await;
    assert_eq!(s, 200);
    let (s, _) = app.get(&police, "/volunteers/library?kind=song").await;
    assert_eq!(s, 422);
    let (s, _) = app
        .get(&police, "/volunteers/leaderboard?period=year")
        .await;
    assert_eq!(s, 422);
}

//! Hours: approved check-in/out intervals capped at the task's credited minutes, recomputable from
//! the records, no-shows counting zero; the certificate and its public verify page; the
//! appraisal figure; leaderboards.

use super::*;
use fanzha::volunteers::{appraisal, store};

/// student1 serves a check-in task of 60 minutes, staying 40; returns (volunteer token, police).
async fn served(app: &TestApp) -> (String, String) {
    let s1 = join(app, "student1").await;
    let police = tok(app, "police1").await;
    let id = publish(app, &police, task_body(app, 3, 60_000, 60, "checkin")).await;
    let (s, _) = post_json_read(
        app,
        &s1,
        &format!("/api/v1/volunteers/tasks/{id}/claim"),
        json!({}),
    )
    .await;
    assert_eq!(s, 201);
    app.state.clock.advance_ms(2 * 60_000);
    for out in [false, true] {
        let (_, c) = get_json(app, &police, &format!("/api/v1/volunteers/tasks/{id}/code")).await;
        let (s, v) = post_json_read(
            app,
            &s1,
            &format!("/api/v1/volunteers/tasks/{id}/check"),
            json!({"code": c["short_code"], "out": out}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        app.state.clock.advance_ms(40 * 60_000);
    }
    let (_, t) = get_json(app, &police, &format!("/api/v1/volunteers/tasks/{id}")).await;
    let claim = t["claims"][0]["id"].as_i64().unwrap();
    let (s, _) = post_json_read(
        app,
        &police,
        &format!("/api/v1/volunteers/claims/{claim}/review"),
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(s, 200);
    (s1, police)
}

#[tokio::test]
async fn hours_are_recomputable_and_the_certificate_verifies_without_login() {
    let app = spawn_seeded().await;
    let (s1, _) = served(&app).await;
    let (_, me) = get_json(&app, &s1, "/api/v1/volunteers/me").await;
    assert_eq!(me["volunteer"]["minutes"], 40);
    let vid = me["volunteer"]["id"].as_i64().unwrap();
    let mut c = app.state.db.pool.acquire().await.unwrap();
    assert_eq!(store::minutes_from_records(&mut c, vid).await.unwrap(), 40);
    drop(c);

    // Issued from the volunteer's page; the public page shows every printed field.
    let browser = app.login("student1").await;
    let csrf = app.page_csrf(&browser).await;
    let r = browser
        .post(app.url("/volunteers/certificates"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let url = r.headers()["location"].to_str().unwrap().to_string();
    assert!(url.starts_with("/volunteers/certificates/VH"), "{url}");
    let anonymous = client();
    let html = anonymous
        .get(app.url(&url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let number = url.rsplit('/').next().unwrap();
    for field in [
        number,
        "张三",
        "2023****01",
        "第一大学",
        "0.7",
        "第一大学 反诈志愿服务队",
    ] {
        assert!(html.contains(field), "{field} missing");
    }
    assert!(!html.contains("2023010101"), "the student number is masked");
    let r = anonymous
        .get(app.url("/volunteers/certificates/VH2025-NOSUCH"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Without approved hours there is nothing to certify.
    let s2 = join(&app, "student2").await;
    let _ = s2;
    let b2 = app.login("student2").await;
    let csrf = app.page_csrf(&b2).await;
    let r = b2
        .post(app.url("/volunteers/certificates"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_certificates").await, 1);
}

#[tokio::test]
async fn the_appraisal_figure_is_the_share_of_students_who_served() {
    let app = spawn_seeded().await;
    let start = app.state.clock.now_ms();
    served(&app).await;
    let end = app.state.clock.now_ms() + 1;
    let school = app.fx.unit("SCH1").path.clone();
    let f = appraisal::figures(&app.state.db, &school, start, end)
        .await
        .unwrap();
    let class = |code: &str| {
        f.iter()
            .find(|c| c.class_path == app.fx.unit(code).path)
            .expect(code)
    };
    // CLS1A1 has 张三 (served) and 李四; CLS1B1 has 赵六.
    assert_eq!(class("CLS1A1").figure, 0.5);
    assert_eq!(
        class("CLS1A1").students,
        vec![
            (app.fx.student("2023010101").get(), 1.0),
            (app.fx.student("2023010102").get(), 0.0)
        ]
    );
    assert_eq!(class("CLS1B1").figure, 0.0);
    assert!(f.iter().all(|c| (0.0..=1.0).contains(&c.figure)));
    // Outside the period nobody served; another school is not included.
    let before = appraisal::figures(&app.state.db, &school, 0, start)
        .await
        .unwrap();
    assert!(before.iter().all(|c| c.figure == 0.0));
    assert!(f.iter().all(|c| c.class_path.starts_with(&school)));
}

#[tokio::test]
async fn leaderboards_rank_people_classes_and_schools() {
    let app = spawn_seeded().await;
    served(&app).await;
    join(&app, "student2").await;
    let c = app.login("student2").await;
    let (s, html) = app.get(&c, "/volunteers/leaderboard").await;
    assert_eq!(s, 200);
    let people = html.split("id=\"vol-lb-people\"").nth(1).unwrap();
    assert!(
        people.find("张*").unwrap() < people.find("赵*").unwrap(),
        "the one with points first"
    );
    assert!(html.contains("计科2301") && html.contains("第一大学"));
    assert!(!html.contains("张三"));
}

/// Volunteering is a component of the appraisal registry: a served student moves their
/// counselor's score, with the weight the school sets (0 takes it out).
#[tokio::test]
async fn volunteering_counts_in_the_appraisal_through_the_registry() {
    let app = spawn_seeded().await;
    let c = fanzha::appraisal::COMPONENTS
        .iter()
        .find(|c| c.key == "volunteers.served")
        .expect("registered");
    let school = app.fx.unit("SCH1").path.clone();
    let start = app.state.clock.now_ms();
    // Nobody served yet: nothing to count, so the component stays out.
    assert!((c.figures)(&app.state.db, &school, 0, start + 1)
        .await
        .unwrap()
        .is_empty());
    served(&app).await;
    let end = app.state.clock.now_ms() + 1;
    let by_class = (c.figures)(&app.state.db, &school, start, end)
        .await
        .unwrap();
    assert_eq!(by_class.get(&app.fx.unit("CLS1A1").path), Some(&(1, 2)));
    assert_eq!(by_class.get(&app.fx.unit("CLS1B1").path), Some(&(0, 1)));
    // The school takes it out of the appraisal with weight 0.
    fanzha::appraisal::set_weight(
        &app.state.db,
        app.fx.unit("SCH1").id,
        "volunteers.served",
        0,
    )
    .await
    .unwrap();
    let figures = fanzha::appraisal::figures(&app.state.db, &school, start, end)
        .await
        .unwrap();
    assert!(figures.iter().all(|(c, _, _)| c.key != "volunteers.served"));
}

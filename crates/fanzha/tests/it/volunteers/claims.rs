//! Registering, publishing, claiming, the waiting list, withdrawing, closing: the happy path, bad
//! input that changes nothing, and the roles that are refused.

use super::*;

const TAKEN: &str = "SELECT taken FROM vol_tasks WHERE id = $1";
const CLAIMS: &str = "SELECT COUNT(*) FROM vol_claims WHERE task_id = $1";

#[tokio::test]
async fn a_full_task_refuses_a_second_claim_is_refused_and_the_waiting_list_moves_up() {
    let app = spawn_seeded().await;
    let s1 = join(&app, "student1").await;
    let s2 = join(&app, "student2").await;
    let police = tok(&app, "police1").await;
    let id = publish(
        &app,
        &police,
        task_body(&app, 1, 2 * 3_600_000, 120, "text"),
    )
    .await;

    let (s, c) = post_json_read(
        &app,
        &s1,
        &format!("/api/v1/volunteers/tasks/{id}/claim"),
        json!({}),
    )
    .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["status"], "claimed");
    // A second claim by the same person, and a claim on the full task: refused, nothing changed.
    let (st, code, _, _) = api_error(
        post_json(
            &app,
            &s1,
            &format!("/api/v1/volunteers/tasks/{id}/claim"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (409, "vol-err-claimed"));
    let (st, code, msg, _) = api_error(
        post_json(
            &app,
            &s2,
            &format!("/api/v1/volunteers/tasks/{id}/claim"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (409, "vol-err-full"));
    assert!(msg.contains("full"), "{msg}");
    assert_eq!(count(&app, TAKEN, id).await, 1);
    assert_eq!(count(&app, CLAIMS, id).await, 1);

    // The waiting list, then a withdrawal hands the slot to the first waiting.
    let (s, c) = post_json_read(
        &app,
        &s2,
        &format!("/api/v1/volunteers/tasks/{id}/claim"),
        json!({"wait": true}),
    )
    .await;
    assert_eq!((s.as_u16(), c["status"].as_str()), (201, Some("waiting")));
    let r = post_json(
        &app,
        &s1,
        &format!("/api/v1/volunteers/tasks/{id}/withdraw"),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 204);
    let (_, t) = get_json(&app, &s2, &format!("/api/v1/volunteers/tasks/{id}")).await;
    assert_eq!(t["mine"]["status"], "claimed", "{t}");
    assert_eq!(t["task"]["taken"], 1);
    let notices: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM inbox_messages WHERE recipient = $1 AND kind = 'volunteers'",
    )
    .bind(format!("account:{}", app.fx.account("student2")))
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(notices, 1);

    // Withdrawn, student1 may claim again only while there is room: the task is full again.
    let (st, code, _, _) = api_error(
        post_json(
            &app,
            &s1,
            &format!("/api/v1/volunteers/tasks/{id}/claim"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (409, "vol-err-full"));

    // Past the cut-off nobody withdraws.
    app.state.clock.advance_ms(2 * 3_600_000);
    let (st, code, _, _) = api_error(
        post_json(
            &app,
            &s2,
            &format!("/api/v1/volunteers/tasks/{id}/withdraw"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (409, "vol-err-too-late"));
    assert_eq!(count(&app, TAKEN, id).await, 1);
}

#[tokio::test]
async fn a_closed_task_and_a_task_for_other_units_take_no_claims() {
    let app = spawn_seeded().await;
    let s1 = join(&app, "student1").await;
    let s3 = join(&app, "student3").await; // SCH2
    let police = tok(&app, "police1").await;
    let mut body = task_body(&app, 5, 3_600_000, 60, "checkin");
    body["targets"] = json!(["SCH1"]);
    let only_sch1 = publish(&app, &police, body).await;
    // Not offered to SCH2: not even visible.
    let (st, _, _, _) = api_error(
        post_json(
            &app,
            &s3,
            &format!("/api/v1/volunteers/tasks/{only_sch1}/claim"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(st, 404);
    let (_, list) = get_json(&app, &s3, "/api/v1/volunteers/tasks").await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["task"]["id"] != only_sch1));
    let (_, list) = get_json(&app, &s1, "/api/v1/volunteers/tasks?near=true").await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["task"]["id"] == only_sch1));

    // Closed: refused, nothing changed; reopened: claimable.
    let (s, t) = post_json_read(
        &app,
        &police,
        &format!("/api/v1/volunteers/tasks/{only_sch1}/status"),
        json!({"status": "closed"}),
    )
    .await;
    assert_eq!((s.as_u16(), t["status"].as_str()), (200, Some("closed")));
    let (st, code, _, _) = api_error(
        post_json(
            &app,
            &s1,
            &format!("/api/v1/volunteers/tasks/{only_sch1}/claim"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (409, "vol-err-not-open"));
    assert_eq!(count(&app, CLAIMS, only_sch1).await, 0);
    // Another station's officer may not close or reopen it.
    let police2 = tok(&app, "police2").await;
    let r = post_json(
        &app,
        &police2,
        &format!("/api/v1/volunteers/tasks/{only_sch1}/status"),
        json!({"status": "open"}),
    )
    .await;
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());
    let (s, _) = post_json_read(
        &app,
        &police,
        &format!("/api/v1/volunteers/tasks/{only_sch1}/status"),
        json!({"status": "open"}),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = post_json_read(
        &app,
        &s1,
        &format!("/api/v1/volunteers/tasks/{only_sch1}/claim"),
        json!({}),
    )
    .await;
    assert_eq!(s, 201);
    // The task's day filter.
    let day = chrono::DateTime::from_timestamp_millis(app.state.clock.now_ms() + 3_600_000)
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string();
    let (_, list) = get_json(&app, &s1, &format!("/api/v1/volunteers/tasks?date={day}")).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = get_json(&app, &s1, "/api/v1/volunteers/tasks?date=2031-01-01").await;
    assert!(list.as_array().unwrap().is_empty());
    let (st, code, _, _) = api_error(
        app.api_get(&s1, "/api/v1/volunteers/tasks?date=tomorrow")
            .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (422, "vol-err-date"));
}

#[tokio::test]
async fn bad_tasks_and_registrations_change_nothing_and_roles_are_refused() {
    let app = spawn_seeded().await;
    let police = tok(&app, "police1").await;
    let mut bad = task_body(&app, 0, 3_600_000, 60, "video");
    bad["title"] = json!("  ");
    bad["targets"] = json!(["SCH2"]); // outside police1's jurisdiction
    let (st, _, _, details) =
        api_error(post_json(&app, &police, "/api/v1/volunteers/tasks", &bad).await).await;
    assert_eq!(st, 422);
    assert!(details.len() >= 3, "{details:?}");
    let mut outside = task_body(&app, 3, 3_600_000, 60, "text");
    outside["targets"] = json!(["SCH2"]);
    let (st, code, _, _) =
        api_error(post_json(&app, &police, "/api/v1/volunteers/tasks", &outside).await).await;
    assert_eq!((st.as_u16(), code.as_str()), (422, "vol-err-target"));
    let mut past = task_body(&app, 3, -3 * 3_600_000, 60, "text");
    past["title"] = json!("过去的任务");
    let (st, code, _, _) =
        api_error(post_json(&app, &police, "/api/v1/volunteers/tasks", &past).await).await;
    assert_eq!((st.as_u16(), code.as_str()), (422, "vol-err-past"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_tasks").await, 0);

    // Counselors and students do not publish.
    for who in ["counselor1", "student1"] {
        let t = tok(&app, who).await;
        let r = post_json(
            &app,
            &t,
            "/api/v1/volunteers/tasks",
            task_body(&app, 3, 3_600_000, 60, "text"),
        )
        .await;
        assert_eq!(r.status(), 403, "{who}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_tasks").await, 0);

    // Only students register; consent is required; once only.
    let c = tok(&app, "counselor1").await;
    let r = post_json(
        &app,
        &c,
        "/api/v1/volunteers/register",
        json!({"contact": "inbox", "consent": true}),
    )
    .await;
    assert_eq!(r.status(), 403);
    let s = tok(&app, "student1").await;
    let (st, code, _, _) = api_error(
        post_json(
            &app,
            &s,
            "/api/v1/volunteers/register",
            json!({"contact": "inbox", "consent": false}),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (422, "vol-err-consent"));
    let (st, code, _, _) = api_error(
        post_json(
            &app,
            &s,
            "/api/v1/volunteers/register",
            json!({"contact": "pigeon", "consent": true}),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (422, "vol-err-contact"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_volunteers").await, 0);
    join(&app, "student1").await;
    let (st, code, _, _) = api_error(
        post_json(
            &app,
            &s,
            "/api/v1/volunteers/register",
            json!({"contact": "inbox", "consent": true}),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), code.as_str()), (409, "vol-err-registered"));
    // A token without the volunteer scopes is refused.
    let narrow = app.token("student1", &[Scope::ReportsRead]).await;
    assert_eq!(
        app.api_get(&narrow, "/api/v1/volunteers/me").await.status(),
        403
    );
}

#[tokio::test]
async fn staff_see_their_units_volunteers_and_police_their_jurisdictions() {
    let app = spawn_seeded().await;
    for s in ["student1", "student2", "student3"] {
        join(&app, s).await;
    }
    let page = |user: &'static str| {
        let app = &app;
        async move {
            let c = app.login(user).await;
            app.get(&c, "/volunteers").await
        }
    };
    // counselor1 holds CLS1A1 (张三 only); admin1 SCH1 (张三, 赵六); police1 SCH1; police2 SCH2 (钱七).
    let (s, html) = page("counselor1").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("张*") && !html.contains("赵*") && !html.contains("钱*"),
        "counselor"
    );
    let (_, html) = page("admin1").await;
    assert!(
        html.contains("张*") && html.contains("赵*") && !html.contains("钱*"),
        "admin"
    );
    let (_, html) = page("police1").await;
    assert!(
        html.contains("张*") && html.contains("赵*") && !html.contains("钱*"),
        "police1"
    );
    let (_, html) = page("police2").await;
    assert!(html.contains("钱*") && !html.contains("张*"), "police2");
    assert!(!html.contains("张三"), "names are masked in lists");
    assert!(!app.audit("person.list").await.is_empty());
}

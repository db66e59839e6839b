//! Deadlines: escalation exactly once across a restart, acknowledgement moving the clock.

use super::*;

pub(super) async fn escalations(app: &TestApp, id: i64) -> i64 {
    count(
        app,
        &format!(
            "SELECT COUNT(*) FROM warning_events WHERE warning_id = {id} AND kind = 'escalated'"
        ),
    )
    .await
}

#[tokio::test]
pub(super) async fn a_missed_deadline_escalates_exactly_once_even_across_a_restart() {
    let app = spawn_seeded().await;
    let w = issue_zhangsan(&app, "high").await;
    let id = w["id"].as_i64().unwrap();
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 0);
    // 9 minutes: nothing yet.
    app.state.clock.advance_ms(9 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 0);
    // 11 minutes: the acknowledgement deadline passed → the college leader.
    app.state.clock.advance_ms(2 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 1);
    assert_eq!(
        count(&app, &format!("SELECT level FROM warnings WHERE id = {id}")).await,
        1
    );
    assert_eq!(inbox_of_staff(&app, "T1004").await, 1);
    // A restart: a fresh app on the same database and clock runs its queue and scans again.
    let again = App::new(
        Config {
            data_dir: app.dir.path().to_path_buf(),
            ..Config::default()
        },
        app.state.db.clone(),
        app.state.clock.clone(),
    );
    again.runner.run_until_idle().await.unwrap();
    fanzha::warnings::service::scan(&app.state.db, &app.state.clock)
        .await
        .unwrap();
    assert_eq!(escalations(&app, id).await, 1);
    assert_eq!(inbox_of_staff(&app, "T1004").await, 1);
    // The next deadline (10 minutes after the missed one) passes → the school.
    app.state.clock.advance_ms(10 * MIN);
    again.runner.run_until_idle().await.unwrap();
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 2);
    assert_eq!(
        count(&app, &format!("SELECT level FROM warnings WHERE id = {id}")).await,
        2
    );
    assert_eq!(inbox_of_staff(&app, "T1005").await, 1);
    let admin = app.fx.account("admin1");
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'account:{admin}' AND kind = 'warning'")).await, 1);
    // Long after: the issuing police are the last level; nothing escalates beyond them.
    app.state.clock.advance_ms(120 * MIN);
    again.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 3);
    assert_eq!(
        count(&app, &format!("SELECT level FROM warnings WHERE id = {id}")).await,
        3
    );
    let police = app.fx.account("police1");
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'account:{police}' AND kind = 'warning'")).await, 1);
    app.state.clock.advance_ms(24 * 60 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 3);
    // The counselor missed the first deadline; that is who caused it.
    assert_eq!(count(&app, &format!("SELECT staff_id FROM warning_events WHERE warning_id = {id} AND kind = 'escalated' ORDER BY id LIMIT 1")).await, app.fx.staff["T1001"]);
    // The police can act now.
    let t = app.token("police1", &[Scope::WarningsWrite]).await;
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id}/acknowledge"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
pub(super) async fn acknowledging_in_time_moves_the_clock_to_the_contact_deadline() {
    let app = spawn_seeded().await;
    let w = issue_zhangsan(&app, "high").await;
    let id = w["id"].as_i64().unwrap();
    let t = app
        .token("counselor1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    app.state.clock.advance_ms(3 * MIN);
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id}/acknowledge"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "acknowledged");
    assert_eq!(v["next_deadline_at"], START_MS + 60 * MIN);
    // Twice is refused.
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id}/acknowledge"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    app.state.clock.advance_ms(30 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 0);
    // The contact deadline passes: one escalation for it.
    app.state.clock.advance_ms(30 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 1);
}

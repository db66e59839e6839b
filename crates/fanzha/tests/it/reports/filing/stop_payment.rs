//! The stop-payment race: police actions, escalation exactly once across a restart, loss reports from other modules.

use super::*;

#[tokio::test]
pub(super) async fn a_loss_starts_the_stop_payment_race_and_police_act() {
    let app = spawn_seeded().await;
    let s1 = app.token("student1", &rw()).await;
    let a: Value = post_json(&app, &s1, "/api/v1/reports", loss_report("l-1"))
        .await
        .json()
        .await
        .unwrap();
    let sp = a["stop_payment_id"].as_i64().expect("stop payment");
    let deadline = app
        .scalar(&format!(
            "SELECT deadline_at FROM stop_payments WHERE id = {sp}"
        ))
        .await;
    assert_eq!(deadline, START_MS + 30 * MIN);
    // Police of the school's station are told at once; the other station is not.
    let p1 = app.fx.account("police1");
    let p2 = app.fx.account("police2");
    assert_eq!(
        inbox_count(&app, &format!("account:{p1}"), "紧急止付%").await,
        1
    );
    assert_eq!(
        inbox_count(&app, &format!("account:{p2}"), "紧急止付%").await,
        0
    );
    // The queue (police1) lists it; police2 does not.
    let t1 = app.token("police1", &Scope::ALL).await;
    let q: Value = app
        .api_get(&t1, "/api/v1/reports/stop-payments")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(q[0]["id"].as_i64(), Some(sp));
    assert_eq!(q[0]["status"], "open");
    let t2 = app.token("police2", &Scope::ALL).await;
    let q2: Value = app
        .api_get(&t2, "/api/v1/reports/stop-payments")
        .await
        .json()
        .await
        .unwrap();
    assert!(q2.as_array().unwrap().is_empty());
    let act = format!("/api/v1/reports/stop-payments/{sp}/actions");
    // Bad actions change nothing.
    for (body, code) in [
        (
            json!({"action": "frozen", "frozen_cents": 3_000_000}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"action": "frozen"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"action": "failed", "reason": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"action": "teleport"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        assert_eq!(
            post_json(&app, &t1, &act, body.clone()).await.status(),
            code,
            "{body}"
        );
    }
    assert_eq!(
        post_json(&app, &t2, &act, json!({"action": "bank_contacted"}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let st = app.token("student1", &Scope::ALL).await;
    assert_eq!(
        post_json(&app, &st, &act, json!({"action": "bank_contacted"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM stop_payment_actions")
            .await,
        0
    );
    app.state.clock.advance_ms(4 * MIN);
    let r = post_json(&app, &t1, &act, json!({"action": "bank_contacted"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = post_json(
        &app,
        &t1,
        &act,
        json!({"action": "frozen", "frozen_cents": 1_500_000}),
    )
    .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "frozen");
    assert_eq!(v["frozen_cents"], 1_500_000);
    assert_eq!(v["first_action_at"].as_i64(), Some(START_MS + 4 * MIN));
    // The student is told each step and sees the status; so does the counselor.
    let me = app.fx.account("student1");
    assert_eq!(
        inbox_count(&app, &format!("account:{me}"), "止付进展%").await,
        2
    );
    let c = app.token("counselor1", &Scope::ALL).await;
    let list: Value = app
        .api_get(&c, "/api/v1/reports")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["stop_payment_status"], "frozen");
    // Acted on: no escalation when its time comes.
    app.state.clock.advance_ms(30 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM stop_payments WHERE escalated_at IS NOT NULL")
            .await,
        0
    );
    assert!(app.audit("reports.escalated").await.is_empty());
    // Figures: acted on before the deadline, amount frozen, median minutes to first action.
    let f: Value = app
        .api_get(&t1, "/api/v1/reports/figures")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f["stop_payments"], 1);
    assert_eq!(f["acted_before_deadline"], 1);
    assert_eq!(f["frozen_cents"], 1_500_000);
    assert_eq!(f["median_first_action_minutes"].as_f64(), Some(4.0));
}

#[tokio::test]
pub(super) async fn an_unanswered_request_escalates_to_the_station_leader_exactly_once_across_a_restart(
) {
    let app = spawn_seeded().await;
    let leader = station_leader(&app).await;
    let s1 = app.token("student1", &rw()).await;
    let a: Value = post_json(&app, &s1, "/api/v1/reports", loss_report("e-1"))
        .await
        .json()
        .await
        .unwrap();
    let sp = a["stop_payment_id"].as_i64().unwrap();
    let to_leader = format!("staff:{leader}");
    // Not yet: 19 minutes in, the job is not due (escalation 10 minutes before the deadline).
    app.state.clock.advance_ms(19 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(inbox_count(&app, &to_leader, "止付请求无人处理%").await, 0);
    // A second app on the same database (a restart) runs the due job: once.
    app.state.clock.advance_ms(2 * MIN);
    let restarted = App::new(
        app.state.config.as_ref().clone(),
        app.state.db.clone(),
        app.state.clock.clone(),
    );
    assert_eq!(restarted.runner.run_until_idle().await.unwrap(), 1);
    assert_eq!(inbox_count(&app, &to_leader, "止付请求无人处理%").await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM stop_payments WHERE id = {sp} AND escalated_at IS NOT NULL"
        ))
        .await,
        1
    );
    // Running again (either process), or the job being retried, tells nobody twice.
    app.state.clock.advance_ms(30 * MIN);
    app.runner.run_until_idle().await.unwrap();
    restarted.runner.run_until_idle().await.unwrap();
    let mut tx = app.state.db.pool.begin().await.unwrap();
    assert!(
        !fanzha::reports::service::escalate(&mut tx, &app.state.clock, sp)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert_eq!(inbox_count(&app, &to_leader, "止付请求无人处理%").await, 1);
    assert_eq!(app.audit("reports.escalated").await.len(), 1);
    // Ordinary officers of the other station heard nothing.
    let p2 = app.fx.account("police2");
    assert_eq!(
        inbox_count(&app, &format!("account:{p2}"), "止付%").await,
        0
    );
}

#[tokio::test]
pub(super) async fn create_loss_report_for_other_modules_is_idempotent() {
    let app = spawn_seeded().await;
    let st = &app.state;
    let student = app.fx.student("2023010101");
    let input = LossInput {
        idempotency_key: "warning:7".into(),
        payment_type: "alipay".into(),
        payee_account: "13912345678".into(),
        bank: String::new(),
        amount_cents: 50_000,
        transfer_at: START_MS - 5 * MIN,
        fraud_type: FraudType::FakeShopping,
        description: "预警回访：学生已转账".into(),
        // The server's configured deadlines, not the defaults (30 / 10 minutes).
        deadlines: Some(fanzha::reports::service::Deadlines {
            deadline_ms: 20 * MIN,
            escalate_before_ms: 4 * MIN,
        }),
    };
    let actor = fanzha::audit::Actor::cli("test");
    let mut tx = st.db.pool.begin().await.unwrap();
    let (r1, sp1) = create_loss_report(&mut tx, &st.clock, &actor, student, input.clone())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = st.db.pool.begin().await.unwrap();
    let (r2, sp2) = create_loss_report(&mut tx, &st.clock, &actor, student, input.clone())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((r1, sp1), (r2, sp2));
    assert_eq!(
        app.scalar(&format!(
            "SELECT deadline_at FROM stop_payments WHERE id = {sp1}"
        ))
        .await,
        START_MS + 20 * MIN
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT run_at FROM jobs WHERE dedup_key = 'reports.escalate:{sp1}'"
        ))
        .await,
        START_MS + 16 * MIN,
        "escalated the configured 4 minutes before the deadline"
    );
    assert_eq!(app.scalar("SELECT has_loss FROM reports").await, 1);
    // Bad input: nothing written.
    let mut bad = input;
    bad.idempotency_key = "warning:8".into();
    bad.amount_cents = 0;
    let mut tx = st.db.pool.begin().await.unwrap();
    assert!(create_loss_report(&mut tx, &st.clock, &actor, student, bad)
        .await
        .is_err());
    // Rolled back explicitly: a dropped transaction keeps its locks on PostgreSQL until the
    // connection is reused, which would block dropping the test's schema.
    tx.rollback().await.unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, 1);
}

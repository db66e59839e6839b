//! Scope of police and schools, the identification queue, internal follow-ups and a school's deadline settings.

use super::*;

#[tokio::test]
pub(super) async fn scope_police_and_schools_see_only_their_jurisdiction() {
    let app = spawn_seeded().await;
    let id = issue_zhangsan(&app, "low").await["id"].as_i64().unwrap();
    for (who, visible) in [
        ("police1", true),
        ("police2", false),
        ("admin1", true),
        ("admin2", false),
        ("leader1", true),
        ("counselor4", false),
        ("province1", true),
    ] {
        let t = app.token(who, &[Scope::WarningsRead]).await;
        let r = app.api_get(&t, &format!("/api/v1/warnings/{id}")).await;
        assert_eq!(r.status() == StatusCode::OK, visible, "{who}");
        let list: Value = app
            .api_get(&t, "/api/v1/warnings")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            list.as_array().map_or(0, |l| l.len()),
            visible as usize,
            "{who} list"
        );
    }
    // Police of another station cannot narrow to a school outside their jurisdiction.
    let t = app.token("police2", &[Scope::WarningsRead]).await;
    let r = app.api_get(&t, "/api/v1/warnings?unit=SCH1").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The overview page works for the police and refuses a student.
    let c = app.login("police1").await;
    let (s, page) = app.get(&c, "/warnings/overview").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"fig-total\">1<"), "{page}");
    let c = app.login("student1").await;
    let (s, _) = app.get(&c, "/warnings/overview").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
pub(super) async fn unmatched_warnings_wait_for_identification() {
    let app = spawn_seeded().await;
    let t = police_token(&app).await;
    // With a school: the school admin's queue.
    let r = post_json_key(&app, &t, "/api/v1/warnings", json!({"phone": "13912345678", "school_code": "SCH1", "fraud_type": "romance", "severity": "high"}), None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "unidentified");
    assert!(v["next_deadline_at"].is_null());
    let id = v["id"].as_i64().unwrap();
    let admin = app.fx.account("admin1");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'account:{admin}'")
        )
        .await,
        1
    );
    // A counselor cannot act on it; the admin of the other school cannot identify it.
    let t2 = app.token("admin2", &[Scope::WarningsWrite]).await;
    let r = post_json_key(
        &app,
        &t2,
        &format!("/api/v1/warnings/{id}/identify"),
        json!({"student_no": "2023010101"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let ta = app
        .token("admin1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = post_json_key(
        &app,
        &ta,
        &format!("/api/v1/warnings/{id}/identify"),
        json!({"student_no": "2023510101"}),
        None,
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a student of another school"
    );
    app.state.clock.advance_ms(MIN);
    let r = post_json_key(
        &app,
        &ta,
        &format!("/api/v1/warnings/{id}/identify"),
        json!({"student_no": "2023010201"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "open");
    assert_eq!(
        v["ack_due_at"],
        START_MS + 11 * MIN,
        "clocks start at identification"
    );
    assert_eq!(inbox_of_staff(&app, "T1003").await, 1);
    let r = post_json_key(
        &app,
        &ta,
        &format!("/api/v1/warnings/{id}/identify"),
        json!({"student_no": "2023010201"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Without a school: the issuing police's own queue.
    let r = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        json!({"phone": "13912345679", "fraud_type": "romance", "severity": "low"}),
        None,
    )
    .await;
    let v: Value = r.json().await.unwrap();
    let id2 = v["id"].as_i64().unwrap();
    assert_eq!(v["unit_path"], app.fx.unit("ST1").path);
    let c = app.login("police1").await;
    let (_, page) = app.get(&c, "/warnings/overview").await;
    assert!(page.contains("id=\"queue\""), "{page}");
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id2}/identify"),
        json!({"student_no": "2023020101"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(inbox_of_staff(&app, "T1002").await, 1);
}

#[tokio::test]
pub(super) async fn an_internal_follow_up_is_a_low_severity_warning_for_the_counselor() {
    let app = spawn_seeded().await;
    let sid = app.fx.student("2023020101");
    let mut tx = app.state.db.pool.begin().await.unwrap();
    let id = fanzha::warnings::service::create_followup(
        &mut tx,
        &app.state.clock,
        sid,
        "rebate_task",
        "risk_check:17",
        "风险自查结果为高危",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let row: (String, String, String) =
        sqlx::query_as("SELECT severity, status, source_kind FROM warnings WHERE id = $1")
            .bind(id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(row, ("low".into(), "open".into(), "internal".into()));
    assert_eq!(inbox_of_staff(&app, "T1002").await, 1);
    // A bad fraud type or unknown student is refused.
    let mut tx = app.state.db.pool.begin().await.unwrap();
    assert!(fanzha::warnings::service::create_followup(
        &mut tx,
        &app.state.clock,
        sid,
        "nope",
        "x",
        ""
    )
    .await
    .is_err());
    assert!(fanzha::warnings::service::create_followup(
        &mut tx,
        &app.state.clock,
        fanzha::kernel::ids::StudentId(999_999),
        "fake_loan",
        "x",
        ""
    )
    .await
    .is_err());
    tx.rollback().await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 1);
}

pub(super) fn settings_body(high_ack: &str) -> Value {
    json!({"high_ack_min": high_ack, "high_contact_min": "30", "medium_ack_min": "60", "medium_contact_min": "1440",
           "low_ack_min": "1440", "low_contact_min": "4320", "weight_ack": "25", "weight_contact": "25",
           "weight_escalations": "25", "weight_victims": "25"})
}

#[tokio::test]
pub(super) async fn a_school_admin_sets_the_deadlines_of_their_school() {
    let app = spawn_seeded().await;
    let ta = app
        .token("admin1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = put_json(
        &app,
        &ta,
        "/api/v1/warnings/settings/SCH1",
        settings_body("5"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let w = issue_zhangsan(&app, "high").await;
    assert_eq!(w["ack_due_at"], START_MS + 5 * MIN);
    assert_eq!(w["contact_due_at"], START_MS + 30 * MIN);
    // Bad values, another school, a counselor, the police: refused and unchanged.
    let r = put_json(
        &app,
        &ta,
        "/api/v1/warnings/settings/SCH1",
        settings_body("-1"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = put_json(
        &app,
        &ta,
        "/api/v1/warnings/settings/SCH1",
        settings_body("90"),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "contact before ack"
    );
    let r = put_json(
        &app,
        &ta,
        "/api/v1/warnings/settings/SCH2",
        settings_body("5"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for who in ["counselor1", "police1", "leader1"] {
        let t = app.token(who, &[Scope::WarningsWrite]).await;
        let r = put_json(
            &app,
            &t,
            "/api/v1/warnings/settings/SCH1",
            settings_body("7"),
        )
        .await;
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}"
        );
    }
    let s: Value = app
        .api_get(&ta, "/api/v1/warnings/settings/SCH1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["high"]["ack_ms"], 5 * MIN);
    // The page form too.
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, "/warnings/settings").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("name=\"high_ack_min\" value=\"5\""));
}

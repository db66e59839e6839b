//! Issuing a warning: matching by phone, bad input, CSV batches, the partner API's idempotency.

use super::*;

#[tokio::test]
pub(super) async fn a_police_warning_is_matched_by_phone_routed_to_the_counselor_and_told() {
    let app = spawn_seeded().await;
    let w = issue_zhangsan(&app, "high").await;
    assert_eq!(w["status"], "open");
    assert_eq!(w["student_id"], app.fx.student("2023010101").get());
    assert_eq!(w["level"], 0);
    assert_eq!(w["assignee_staff_id"], app.fx.staff["T1001"]);
    assert_eq!(w["ack_due_at"], START_MS + 10 * MIN);
    assert_eq!(w["contact_due_at"], START_MS + 60 * MIN);
    assert_eq!(w["phone"], "13800001111");
    assert_eq!(inbox_of_staff(&app, "T1001").await, 1);
    assert_eq!(inbox_of_staff(&app, "T1003").await, 0);
    // The counselor sees it on their phone page with a countdown; the student's phone is a tel: link.
    let c = app.login("counselor1").await;
    let (s, page) = app.get(&c, "/warnings").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&format!("warning-{}", w["id"])), "{page}");
    assert!(page.contains("剩余 10 分钟"), "{page}");
    let (s, page) = app.get(&c, &format!("/warnings/{}", w["id"])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("tel:13800001111"));
    assert!(page.contains("id=\"ack\""));
    // Another counselor's page does not list it.
    let c3 = app.login("counselor3").await;
    let (_, page) = app.get(&c3, "/warnings").await;
    assert!(!page.contains(&format!("warning-{}", w["id"])));
    assert_eq!(app.audit("warning.issue").await.len(), 1);
}

#[tokio::test]
pub(super) async fn bad_input_is_refused_with_reasons_and_nothing_is_written() {
    let app = spawn_seeded().await;
    let t = police_token(&app).await;
    let cases = [
        (
            json!({"student_no": "2099999999", "fraud_type": "fake_loan", "severity": "high"}),
            "2099999999",
        ),
        (
            json!({"phone": "12345", "fraud_type": "fake_loan", "severity": "high"}),
            "12345",
        ),
        (
            json!({"phone": "13800001111", "fraud_type": "fake_loan", "severity": "urgent"}),
            "urgent",
        ),
        (
            json!({"phone": "13800001111", "fraud_type": "lottery", "severity": "low"}),
            "lottery",
        ),
        (
            json!({"fraud_type": "fake_loan", "severity": "low"}),
            "phone number or a student number",
        ),
        (
            json!({"phone": "13800001111", "school_code": "SCH2", "fraud_type": "fake_loan", "severity": "low"}),
            "SCH2",
        ),
    ];
    for (body, needle) in cases {
        let r = post_json_key(&app, &t, "/api/v1/warnings", body.clone(), None).await;
        let (status, _, _, details) = api_error(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            details.iter().any(|d| d.contains(needle)),
            "{body}: {details:?}"
        );
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warning_events").await, 0);
    // Roles that may not issue: a counselor, a school admin, a student.
    for who in ["counselor1", "admin1", "student1"] {
        let t = app.token(who, &[Scope::WarningsWrite]).await;
        let r = post_json_key(
            &app,
            &t,
            "/api/v1/warnings",
            warning("13800001111", "high"),
            None,
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
    // A token without the scope.
    let t = app.token("police1", &[Scope::OrgRead]).await;
    let r = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        warning("13800001111", "high"),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
}

#[tokio::test]
pub(super) async fn a_csv_batch_is_all_or_nothing_with_line_numbers() {
    let app = spawn_seeded().await;
    let t = police_token(&app).await;
    let bad = "手机号,学号,诈骗类型,级别,情况,来源\n13800001111,,fake_loan,high,贷款,96110\n,2023010102,rebate_task,中,刷单,96110\n13800001121,,fake_loan,urgent,x,y\n1380,,fake_loan,low,x,y\n";
    let r = app
        .api_post(&t, "/api/v1/warnings/batch", bad.as_bytes().to_vec())
        .await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        details
            .iter()
            .any(|d| d.contains("line 4") && d.contains("urgent")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("line 5") && d.contains("1380")),
        "{details:?}"
    );
    assert!(!details.iter().any(|d| d.contains("line 2")), "{details:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
    // A row that matches nobody by student number refuses the batch too.
    let unknown = "学号,诈骗类型,级别\n2023010101,fake_loan,high\n2099000000,fake_loan,high\n";
    let r = app
        .api_post(&t, "/api/v1/warnings/batch", unknown.as_bytes().to_vec())
        .await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        details
            .iter()
            .any(|d| d.contains("line 3") && d.contains("2099000000")),
        "{details:?}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM inbox_messages").await, 0);
    let good = "手机号,学号,诈骗类型,级别,情况,来源\n13800001111,,fake_loan,high,贷款,96110\n,2023010102,rebate_task,中,刷单,96110\n13812340000,,romance,低,未知号码,96110\n";
    let r = app
        .api_post(&t, "/api/v1/warnings/batch", good.as_bytes().to_vec())
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["created"], 3);
    assert_eq!(v["unidentified"], 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM warnings WHERE status = 'open'").await,
        2
    );
    // Events and notices of a batch are written with multi-row inserts: all of them are there.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM warning_events WHERE kind = 'issued'"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM warning_events WHERE kind = 'routed'"
        )
        .await,
        2
    );
    assert_eq!(inbox_of_staff(&app, "T1001").await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'warnings.tick'"
        )
        .await,
        2
    );
}

#[tokio::test]
pub(super) async fn the_partner_api_with_a_repeated_idempotency_key_gives_the_same_receipt() {
    let app = spawn_seeded().await;
    let t = app.token("partner1", &[Scope::WarningsWrite]).await;
    let body = json!({"student_no": "2023510101", "fraud_type": "fake_loan", "severity": "medium",
                      "detail": "联系标记账户后立即申请贷款", "source": "某银行"});
    let r1 = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        body.clone(),
        Some("loan-7781"),
    )
    .await;
    assert_eq!(r1.status(), StatusCode::CREATED);
    let v1: Value = r1.json().await.unwrap();
    let r2 = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        body.clone(),
        Some("loan-7781"),
    )
    .await;
    assert_eq!(r2.status(), StatusCode::OK);
    let v2: Value = r2.json().await.unwrap();
    assert_eq!(v1["id"], v2["id"]);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 1);
    // The partner got a receipt; the intake job matches and routes.
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(inbox_of_staff(&app, "T2001").await, 1, "told once");
    // Concurrent repeats still make one warning.
    let mut hs = Vec::new();
    for _ in 0..4 {
        let (app_url, t, body) = (app.url("/api/v1/warnings"), t.clone(), body.clone());
        hs.push(tokio::spawn(async move {
            client()
                .post(app_url)
                .bearer_auth(t)
                .header("Idempotency-Key", "loan-9")
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut created = 0;
    for h in hs {
        let s = h.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::OK, "{s}");
        created += (s == StatusCode::CREATED) as i32;
    }
    assert_eq!(created, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 2);
    // Another key is another warning; an empty key is refused.
    let r3 = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        body.clone(),
        Some("loan-7782"),
    )
    .await;
    assert_eq!(r3.status(), StatusCode::CREATED);
    let r4 = post_json_key(&app, &t, "/api/v1/warnings", body, Some(" ")).await;
    assert_eq!(r4.status(), StatusCode::BAD_REQUEST);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 3);
}

//! The appraisal of people and units and the police console's issuing form.

use super::*;

#[tokio::test]
pub(super) async fn the_appraisal_ranks_people_and_units_and_exports_csv() {
    let app = spawn_seeded().await;
    // One acted on in time (CLS1A1), one missed (CLS1B1).
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let t = police_token(&app).await;
    let r = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        json!({"student_no": "2023020101", "fraud_type": "romance", "severity": "high"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let tc = app.token("counselor1", &[Scope::WarningsWrite]).await;
    app.state.clock.advance_ms(2 * MIN);
    post_json_key(
        &app,
        &tc,
        &format!("/api/v1/warnings/{id}/contact"),
        json!({"method": "in_person"}),
        None,
    )
    .await;
    app.state.clock.advance_ms(120 * MIN);
    app.runner.run_until_idle().await.unwrap();
    let ta = app.token("admin1", &[Scope::WarningsRead]).await;
    let a: Value = app
        .api_get(&ta, "/api/v1/warnings/appraisal?unit=SCH1")
        .await
        .json()
        .await
        .unwrap();
    let people = a["people"].as_array().unwrap();
    let chen = people.iter().find(|p| p["name"] == "陈老师").unwrap();
    let lin = people.iter().find(|p| p["name"] == "林老师").unwrap();
    assert_eq!(chen["warnings"], 1);
    assert_eq!(chen["contact_in_time_share"], 1.0);
    assert!(lin["escalations_caused"].as_i64().unwrap() >= 1);
    assert!(chen["rank"].as_i64() < lin["rank"].as_i64());
    assert!(a["units"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["name"] == "计科2301"));
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, "/warnings/appraisal").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("appraisal-chart"));
    let r = c
        .get(app.url("/warnings/appraisal.csv?unit=SCH1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.text().await.unwrap().contains("陈老师"));
    assert_eq!(app.audit("warning.appraisal_export").await.len(), 1);
    // A counselor may not see the appraisal; a bad period is refused.
    let tcr = app.token("counselor1", &[Scope::WarningsRead]).await;
    assert_eq!(
        app.api_get(&tcr, "/api/v1/warnings/appraisal")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api_get(&ta, "/api/v1/warnings/appraisal?from=2025-13-01")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
pub(super) async fn the_police_console_issues_and_refuses_with_reasons() {
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    let (s, page) = app.get(&c, "/warnings/issue").await;
    assert_eq!(s, StatusCode::OK);
    let csrf = form_csrf(&page);
    let issue = |phone: &'static str| {
        c.post(app.url("/warnings/issue"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("phone", phone),
                ("student_no", ""),
                ("school_code", ""),
                ("fraud_type", "fake_loan"),
                ("severity", "high"),
                ("detail", "x"),
                ("source", "96110"),
            ])
            .send()
    };
    let r = issue("1380000").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("1380000"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
    let r = issue("13800001111").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 1);
    // A counselor has no console.
    let c = app.login("counselor1").await;
    let (s, _) = app.get(&c, "/warnings/issue").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The API is documented.
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/api/v1/warnings",
        "/api/v1/warnings/{id}/outcome",
        "/api/v1/warnings/appraisal",
        "/api/v1/warnings/batch",
    ] {
        assert!(doc["paths"][p].is_object(), "{p}");
    }
}

pub(super) async fn send_json(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = post_json_key(app, token, path, body, None).await;
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
pub(super) async fn the_appraisal_counts_victims_from_cases_campaign_coverage_and_rolls_up_units() {
    let app = spawn_seeded().await;
    // 张三 (CLS1A1) is warned and contacted in time.
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let tc = app.token("counselor1", &[Scope::WarningsWrite]).await;
    app.state.clock.advance_ms(2 * MIN);
    let (s, _) = send_json(
        &app,
        &tc,
        &format!("/api/v1/warnings/{id}/contact"),
        json!({"method": "phone"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // A case recorded for a student of CLS1A1 (李四) in the period.
    let police = app
        .token("police1", &[Scope::CasesRead, Scope::CasesWrite])
        .await;
    let (s, c) = send_json(
        &app,
        &police,
        "/api/v1/cases",
        json!({
        "unit": "SCH1", "student_no": "2023010102", "fraud_type": "rebate_task", "channel": "qq",
        "occurred_at": "2025-02-20 10:00", "amount_lost": "1200", "status": "open",
        "narrative": "刷单返利,垫付后无法提现。"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    // A campaign to the school; 张三 acknowledges it (1 of the 2 students of CLS1A1).
    let rw = [
        Scope::CampaignsRead,
        Scope::CampaignsWrite,
        Scope::InboxRead,
    ];
    let pc = app.token("police1", &rw).await;
    let admin = app.token("admin1", &rw).await;
    let (s, c) = send_json(
        &app,
        &pc,
        "/api/v1/campaigns/contents",
        json!({
        "unit": "SCH1", "kind": "article", "title": "刷单返利防范", "body_md": "## 别信刷单",
        "fraud_types": ["rebate_task"], "target_hint": "新生",
        "quiz": [{"q": "先垫付吗?", "choices": ["垫付", "拒绝"], "answer": 1}]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let content = c["id"].as_i64().unwrap();
    let (s, _) = send_json(
        &app,
        &pc,
        &format!("/api/v1/campaigns/contents/{content}/submit"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = send_json(
        &app,
        &admin,
        &format!("/api/v1/campaigns/contents/{content}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, c) = send_json(&app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": "开学季防刷单", "content_id": content, "fraud_type": "rebate_task"})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    app.runner.run_until_idle().await.unwrap();
    let student = app.fx.student("2023010101");
    let delivery = app
        .scalar(&format!(
            "SELECT id FROM campaign_deliveries WHERE student_id = {student} AND channel = 'inbox'"
        ))
        .await;
    let ts = app.token("student1", &rw).await;
    let (s, c) = send_json(
        &app,
        &ts,
        &format!("/api/v1/campaigns/deliveries/{delivery}/ack"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");

    let ta = app.token("admin1", &[Scope::WarningsRead]).await;
    let a: Value = app
        .api_get(&ta, "/api/v1/warnings/appraisal?unit=SCH1")
        .await
        .json()
        .await
        .unwrap();
    assert!(a["weights"]["campaigns"].as_i64().unwrap() > 0);
    let person = |name: &str| {
        a["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    let unit = |name: &str| {
        a["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("unit {name}: {a}"))
            .clone()
    };
    // The victim counts for the counselor of the class, the class, its college and the school.
    assert_eq!(person("陈老师")["victims"], 1);
    assert_eq!(person("林老师")["victims"], 0);
    assert_eq!(unit("计科2301")["victims"], 1);
    assert_eq!(unit("计算机学院")["victims"], 1);
    assert_eq!(unit("第一大学")["victims"], 1);
    assert_eq!(unit("数学2301")["victims"], 0);
    // Coverage: 1 of the 2 students of CLS1A1; 1 of the college's 3; 1 of the school's 4.
    assert_eq!(person("陈老师")["campaign_coverage"], 0.5);
    assert_eq!(unit("计科2301")["campaign_coverage"], 0.5);
    assert_eq!(unit("计算机学院")["students"], 3);
    assert_eq!(unit("第一大学")["students"], 4);
    assert_eq!(unit("第一大学")["campaign_coverage"], 0.25);
    assert_eq!(person("林老师")["campaign_coverage"], 0.0);
    // The counselor's warning rolls up into the college and the school.
    assert_eq!(unit("计科2301")["warnings"], 1);
    assert_eq!(unit("计算机学院")["warnings"], 1);
    assert_eq!(unit("第一大学")["warnings"], 1);
    assert_eq!(unit("数学学院")["warnings"], 0);
    // The weight of coverage is configurable; course, pledge and app install are said missing.
    let (s, _) = {
        let r = put_json(
            &app,
            &app.token("admin1", &[Scope::WarningsWrite]).await,
            "/api/v1/warnings/settings/SCH1",
            json!({"high_ack_min": "10", "high_contact_min": "60", "medium_ack_min": "60",
                   "medium_contact_min": "1440", "low_ack_min": "1440", "low_contact_min": "4320",
                   "weight_ack": "0", "weight_contact": "0", "weight_escalations": "0",
                   "weight_victims": "0", "weight_campaigns": "101"}),
        )
        .await;
        (r.status(), ())
    };
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let r = put_json(
        &app,
        &app.token("admin1", &[Scope::WarningsWrite]).await,
        "/api/v1/warnings/settings/SCH1",
        json!({"high_ack_min": "10", "high_contact_min": "60", "medium_ack_min": "60",
               "medium_contact_min": "1440", "low_ack_min": "1440", "low_contact_min": "4320",
               "weight_ack": "0", "weight_contact": "0", "weight_escalations": "0",
               "weight_victims": "0", "weight_campaigns": "100"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let a: Value = app
        .api_get(&ta, "/api/v1/warnings/appraisal?unit=SCH1")
        .await
        .json()
        .await
        .unwrap();
    let chen = a["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "陈老师")
        .unwrap()
        .clone();
    assert_eq!(chen["score"], 50.0);
    let c = app.login("admin1").await;
    let (_, page) = app.get(&c, "/warnings/appraisal").await;
    assert!(page.contains("id=\"missing-components\""));
    let csv = c
        .get(app.url("/warnings/appraisal.csv?unit=SCH1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.lines().next().unwrap().contains("宣传覆盖率"));
}

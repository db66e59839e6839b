//! The risk-check API: contract, bad input, partner scopes, rate limit and quota.

use super::*;

#[tokio::test]
pub(super) async fn api_contract_single_indicator_and_batch() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    let t = app.token("partner1", &[Scope::RiskCheck]).await;
    let r = risk(
        &app,
        &t,
        json!({"kind": "phone", "value": "+86 17088886666"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["level"], "high");
    assert_eq!(v["fraud_type"], "impersonate_police");
    assert_eq!(v["indicators"][0]["confirmed"], true);
    assert!(v["description"].as_str().unwrap().len() > 10);
    let r = risk(&app, &t, json!({"text": SCAM})).await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["level"], "high");
    assert!(v["risk"].as_f64().unwrap() > 0.5);
    assert!(v["extracted"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "url"));
    let items: Vec<Value> = (0..1000)
        .map(|i| json!({"kind": "qq", "value": format!("{}", 100000 + i)}))
        .collect();
    let r = risk(&app, &t, json!({"items": items})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["results"].as_array().unwrap().len(), 1000);
    assert_eq!(v["results"][0]["level"], "none");
    // The API stores no checks.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM risk_checks").await, 0);
    // Documented in OpenAPI.
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/risk/check"]["post"].is_object());
}

#[tokio::test]
pub(super) async fn api_bad_input_is_a_clear_4xx() {
    let app = spawn_seeded().await;
    let t = app.token("partner1", &[Scope::RiskCheck]).await;
    let big = "a".repeat(100 * 1024);
    for (body, code) in [
        (json!({"text": ""}), "intel-err-empty"),
        (json!({"text": big}), "intel-err-too-long"),
        (json!({"text": "\u{0}\u{1}\u{2}\u{3}"}), "intel-err-binary"),
        (
            json!({"kind": "url", "value": "http://a.cn/\u{7}x"}),
            "intel-err-value",
        ),
        (
            json!({"kind": "bank_card", "value": "1234567890123456789012345"}),
            "intel-err-value",
        ),
        (json!({"kind": "fax", "value": "123"}), "intel-err-kind"),
        (json!({"what": 1}), "intel-err-shape"),
        (json!({"items": []}), "intel-err-batch"),
    ] {
        let r = risk(&app, &t, body).await;
        let (s, c, m, _) = api_error(r).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{code}");
        assert_eq!(c, code.trim_start_matches("err-"), "{m}");
        assert!(!m.is_empty());
    }
    let items: Vec<Value> = (0..1001).map(|_| json!({"text": "x"})).collect();
    let (s, c, _, _) = api_error(risk(&app, &t, json!({"items": items})).await).await;
    assert_eq!(
        (s, c.as_str()),
        (StatusCode::BAD_REQUEST, "intel-err-batch")
    );
    let (s, c, _, details) = api_error(
        risk(&app, &t, json!({"items": [{"text": "ok"}, {"kind": "fax", "value": "1"}, {"kind": "qq", "value": "0"}]})).await,
    )
    .await;
    assert_eq!(
        (s, c.as_str()),
        (StatusCode::BAD_REQUEST, "intel-err-items")
    );
    assert_eq!(details.len(), 2);
    assert!(details[0].starts_with("item 2"), "{details:?}");
    let r = client()
        .post(app.url("/api/v1/risk/check"))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body(vec![0xff, 0xfe, 0x00, 0x01])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
}

#[tokio::test]
pub(super) async fn partner_token_scopes_and_what_it_cannot_read() {
    let app = spawn_seeded().await;
    let no_scope = app.token("partner1", &[Scope::OrgRead]).await;
    let (s, _, _, _) = api_error(risk(&app, &no_scope, json!({"text": "hi"})).await).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Even with every scope, a partner account reads no people or units.
    let all = app.token("partner1", &Scope::ALL).await;
    let sid = app.fx.student("2023010101");
    for path in [
        format!("/api/v1/students/{sid}"),
        "/api/v1/units/CLS1A1/students".to_string(),
        "/api/v1/audit".to_string(),
    ] {
        let r = app.api_get(&all, &path).await;
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}: {}",
            r.status()
        );
    }
    // The unit list is refused: `org:read` lies outside a partner's role, so the token written
    // with every scope does not carry it at use.
    let r = app.api_get(&all, "/api/v1/units").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a partner lists no unit");
    // Reports and the stop-payment queue refuse partner tokens the same way.
    let report_id = app
        .scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM reports")
        .await;
    for path in [
        "/api/v1/reports".to_string(),
        "/api/v1/reports/stop-payments".to_string(),
        format!("/api/v1/reports/{report_id}"),
    ] {
        let r = app.api_get(&all, &path).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
pub(super) async fn rate_limit_and_daily_quota_answer_429_with_retry_after() {
    let app = spawn_app_with(
        |c| {
            c.risk_rate_per_second = 3;
            c.risk_daily_quota = 10;
        },
        true,
    )
    .await;
    let t = app.token("partner1", &[Scope::RiskCheck]).await;
    for _ in 0..3 {
        assert_eq!(
            risk(&app, &t, json!({"text": "hello"})).await.status(),
            StatusCode::OK
        );
    }
    let r = risk(&app, &t, json!({"text": "hello"})).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "1");
    let (_, code, _, _) = api_error(r).await;
    assert_eq!(code, "intel-err-rate");
    // Another token has its own bucket.
    let t2 = app.token("partner1", &[Scope::RiskCheck]).await;
    assert_eq!(
        risk(&app, &t2, json!({"text": "hello"})).await.status(),
        StatusCode::OK
    );
    // A second later: 3 more; then the daily quota (10 items) stops a batch of 5.
    app.state.clock.advance_ms(1_000);
    assert_eq!(
        risk(&app, &t, json!({"items": [{"text": "a"}, {"text": "b"}]}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        risk(
            &app,
            &t,
            json!({"items": [{"text": "a"}, {"text": "b"}, {"text": "c"}]})
        )
        .await
        .status(),
        StatusCode::OK
    );
    let r = risk(
        &app,
        &t,
        json!({"items": [{"text": "a"}, {"text": "b"}, {"text": "c"}]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 3600, "until the next UTC day: {retry}");
    let (_, code, _, _) = api_error(r).await;
    assert_eq!(code, "intel-err-quota");
    // Usage reaches the table, shared by every process.
    app.state
        .intel
        .quota
        .flush(&app.state.db, &app.state.clock)
        .await
        .unwrap();
    assert_eq!(
        app.scalar("SELECT CAST(SUM(calls) AS BIGINT) FROM api_usage")
            .await,
        9
    );
    // The next day the quota is fresh.
    app.state.clock.advance_ms(86_400_000);
    assert_eq!(
        risk(&app, &t, json!({"text": "hello"})).await.status(),
        StatusCode::OK
    );
}

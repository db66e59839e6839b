//! Filing: a retry returns the same report, bad input stores nothing, scope and refused partners.

use super::*;

#[tokio::test]
pub(super) async fn a_student_files_a_report_and_a_retry_returns_the_same_one() {
    let app = spawn_seeded().await;
    let t = app.token("student1", &rw()).await;
    let r = post_json(&app, &t, "/api/v1/reports", call_report("k-1")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let a: Value = r.json().await.unwrap();
    let id = a["report_id"].as_i64().unwrap();
    assert!(
        a["ref_no"].as_str().unwrap().starts_with("FZ-20250301-"),
        "{a}"
    );
    assert_eq!(a["replayed"], false);
    // Canonical indicators of the sections and of the SMS text, each a sighting in the store.
    let inds: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, value FROM report_indicators WHERE report_id = $1 ORDER BY kind, value",
    )
    .bind(id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert!(
        inds.contains(&("phone".into(), "17088886666".into())),
        "{inds:?}"
    );
    assert!(
        inds.contains(&("qq".into(), "2847561039".into())),
        "{inds:?}"
    );
    let sightings = app
        .scalar("SELECT sightings FROM indicators WHERE kind = 'phone' AND value = '17088886666'")
        .await;
    assert_eq!(sightings, 1);
    let src = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM indicator_sources WHERE source = 'report:{id}'"
        ))
        .await;
    assert_eq!(src as usize, inds.len());
    // No loss: the student's counselor gets a low-severity follow-up warning for them.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warnings WHERE origin = 'report' AND severity = 'low' \
             AND student_id = {} AND detail LIKE 'report:{id} %'",
            app.fx.student("2023010101")
        ))
        .await,
        1
    );
    // The retry (same key, also through the header) answers with the same report.
    let before = counts(&app).await;
    let r = post_json(&app, &t, "/api/v1/reports", call_report("k-1")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["report_id"], a["report_id"]);
    assert_eq!(b["replayed"], true);
    let mut body = call_report("");
    body.as_object_mut().unwrap().remove("idempotency_key");
    let r = client()
        .post(app.url("/api/v1/reports"))
        .bearer_auth(&t)
        .header("idempotency-key", "k-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(counts(&app).await, before);
    assert_eq!(
        app.scalar(
            "SELECT sightings FROM indicators WHERE kind = 'phone' AND value = '17088886666'"
        )
        .await,
        1
    );
    // Concurrent retries of a new key: one report.
    let mut handles = Vec::new();
    for _ in 0..6 {
        let (url, t) = (app.url("/api/v1/reports"), t.clone());
        handles.push(tokio::spawn(async move {
            client()
                .post(url)
                .bearer_auth(t)
                .json(&call_report("k-race"))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for h in handles {
        ids.insert(h.await.unwrap()["report_id"].as_i64().unwrap());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM reports WHERE idempotency_key = 'k-race'")
            .await,
        1
    );
    // The counselor was told, and the filing is audited.
    let counselor = app.fx.staff["T1001"];
    assert!(inbox_count(&app, &format!("staff:{counselor}"), "学生举报%").await >= 1);
    assert_eq!(app.audit("reports.file").await.len(), 2);
    // The reporter reads it back.
    let r = app.api_get(&t, &format!("/api/v1/reports/{id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["report"]["status"], "new");
    assert_ne!(d["report"]["fraud_type"], "normal");
}

#[tokio::test]
pub(super) async fn bad_input_is_refused_with_reasons_and_stores_nothing() {
    let app = spawn_seeded().await;
    let t = app.token("student1", &rw()).await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"idempotency_key": "b1", "description": "有人骗我"}),
            "at least one section",
        ),
        (
            json!({"idempotency_key": "b2", "transaction": {"payment_type": "bank_card", "account": "6222 0202 0011 2233 447"}}),
            "transaction.account",
        ),
        (
            json!({"idempotency_key": "b3", "call": {"number": "12345"}}),
            "call.number",
        ),
        (
            json!({"idempotency_key": "b4", "transaction": {"payment_type": "alipay", "account": "a@b.cn", "amount_cents": 0}}),
            "more than 0",
        ),
        (
            json!({"idempotency_key": "b5", "transaction": {"payment_type": "alipay", "account": "a@b.cn", "amount_cents": -500}}),
            "more than 0",
        ),
        (
            json!({"idempotency_key": "b6", "transaction": {"payment_type": "alipay", "account": "a@b.cn", "amount_cents": 90_000_000_000i64}}),
            "check it",
        ),
        (
            json!({"idempotency_key": "b7", "transaction": {"payment_type": "alipay", "account": "a@b.cn", "amount_cents": 100, "time": START_MS + 3_600_000}}),
            "in the future",
        ),
        (
            json!({"idempotency_key": "b8", "lost_money": true, "call": {"number": "17088886666"}}),
            "payee account",
        ),
        (
            json!({"idempotency_key": "b9", "link": {"address": "not a link"}}),
            "link.address",
        ),
        (
            json!({"idempotency_key": "", "call": {"number": "17088886666"}}),
            "idempotency",
        ),
        (
            json!({"idempotency_key": "b10", "call": {"number": "17088886666"}, "fraud_type": "pony"}),
            "fraud_type",
        ),
        (
            json!({"idempotency_key": "b11", "social": {"platform": "myspace", "account": "x"}}),
            "social.platform",
        ),
    ];
    for (body, expect) in cases {
        let r = post_json(&app, &t, "/api/v1/reports", body.clone()).await;
        let (status, code, message, details) = api_error(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(code, "reports-err-invalid");
        assert!(!message.is_empty());
        assert!(
            details.iter().any(|d| d.contains(expect)),
            "{body}: {details:?}"
        );
    }
    assert_eq!(counts(&app).await, (0, 0, 0, 0));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs").await, 0);
    // Malformed JSON.
    let r = client()
        .post(app.url("/api/v1/reports"))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    assert_eq!(counts(&app).await, (0, 0, 0, 0));
}

#[tokio::test]
pub(super) async fn reports_are_seen_in_scope_only_and_partners_are_refused() {
    let app = spawn_seeded().await;
    let s1 = app.token("student1", &rw()).await;
    let id = post_json(&app, &s1, "/api/v1/reports", call_report("s-1"))
        .await
        .json::<Value>()
        .await
        .unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/reports/{id}");
    for (user, expect) in [
        ("counselor1", StatusCode::OK),
        ("leader1", StatusCode::OK),
        ("admin1", StatusCode::OK),
        ("police1", StatusCode::OK),
        ("counselor2", StatusCode::NOT_FOUND),
        ("admin2", StatusCode::NOT_FOUND),
        ("police2", StatusCode::NOT_FOUND),
        ("student2", StatusCode::NOT_FOUND),
        ("partner1", StatusCode::FORBIDDEN),
    ] {
        let t = app.token(user, &Scope::ALL).await;
        assert_eq!(app.api_get(&t, &path).await.status(), expect, "{user}");
        // The list answers everyone the detail does not refuse outright (403 for partners).
        let r = app.api_get(&t, "/api/v1/reports").await;
        if expect == StatusCode::FORBIDDEN {
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user} list");
            continue;
        }
        assert_eq!(r.status(), StatusCode::OK, "{user} list");
        let list: Value = r.json().await.unwrap();
        let seen = list
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"].as_i64() == Some(id));
        assert_eq!(seen, expect == StatusCode::OK, "{user} list");
    }
    // A token without the reports scopes is refused even for the reporter.
    let t = app.token("student1", &[Scope::InboxRead]).await;
    assert_eq!(app.api_get(&t, &path).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        post_json(&app, &t, "/api/v1/reports", call_report("x"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // The partner cannot file either, nor see clusters; counselors cannot triage.
    let p = app.token("partner1", &Scope::ALL).await;
    assert_eq!(
        post_json(&app, &p, "/api/v1/reports", call_report("p"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let c = app.token("counselor1", &Scope::ALL).await;
    assert_eq!(
        app.api_get(&c, "/api/v1/reports/clusters").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = post_json(
        &app,
        &c,
        &format!("{path}/triage"),
        json!({"decision": "confirm"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Police of the other station: not found (the report is not revealed).
    let p2 = app.token("police2", &Scope::ALL).await;
    let r = post_json(
        &app,
        &p2,
        &format!("{path}/triage"),
        json!({"decision": "confirm"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE status <> 'new' AND id = {id}"
        ))
        .await,
        0
    );
}

//! Warnings from partner systems: a partner gets a receipt and learns nothing about people. The
//! answer to a matching phone, an unknown phone and an unknown student number is the same; the
//! partner reads back its own receipt only; the intake job then matches and routes; every
//! issuance is audited. Police keep the warning itself.

use std::collections::BTreeSet;

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn post(app: &TestApp, token: &str, body: Value, key: Option<&str>) -> reqwest::Response {
    let mut r = client()
        .post(app.url("/api/v1/warnings"))
        .bearer_auth(token)
        .header("cookie", "fz_lang=en")
        .json(&body);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    r.send().await.expect("POST")
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

fn receipt_keys() -> BTreeSet<String> {
    ["id", "reference", "received_at", "status"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

async fn partner(app: &TestApp) -> String {
    app.token("partner1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await
}

#[tokio::test]
async fn a_partner_gets_the_same_receipt_whether_or_not_anybody_matches() {
    let app = spawn_seeded().await;
    let t = partner(&app).await;
    let bodies = [
        // 张三's phone: matches.
        json!({"phone": "138-0000-1111", "fraud_type": "fake_loan", "severity": "high",
               "reference": "BANK-1"}),
        // Nobody has this phone.
        json!({"phone": "13999990000", "fraud_type": "fake_loan", "severity": "high",
               "reference": "BANK-2"}),
        // Nobody has this student number (police would get 422 for it).
        json!({"student_no": "2099999999", "fraud_type": "fake_loan", "severity": "high",
               "reference": "BANK-3"}),
        // A school code that does not exist: no oracle either.
        json!({"student_no": "2023010101", "school_code": "NOPE", "fraud_type": "fake_loan",
               "severity": "high", "reference": "BANK-4"}),
    ];
    let mut ids = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        let r = post(&app, &t, b.clone(), None).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{b}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(keys(&v), receipt_keys(), "{v}");
        assert_eq!(v["status"], "received");
        assert_eq!(v["reference"], format!("BANK-{}", i + 1));
        assert_eq!(v["received_at"], START_MS);
        ids.push(v["id"].as_i64().unwrap());
    }
    // Nothing is matched before the answer: four unidentified warnings in the partner's queue,
    // nobody told, one intake job per receipt.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM warnings WHERE status = 'unidentified' AND student_id IS NULL \
             AND school_id IS NULL"
        )
        .await,
        4
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM inbox_messages").await, 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'warnings.intake'")
            .await,
        4
    );
    // Every issuance is audited when received, with the receipt as target.
    let received = app.audit("warning.receive").await;
    assert_eq!(received.len(), 4);
    assert!(received.iter().all(
        |a| a.actor_account_id == Some(app.fx.account("partner1").get())
            && a.target_kind == "warning_receipt"
    ));

    // The job matches and routes: 张三's warnings (by phone, and by student number once the
    // unknown school code is dropped) reach his counselor.
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM warnings").await, 4);
    let routed = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM warnings w JOIN warning_receipts r ON r.warning_id = w.id \
             WHERE r.warning_id IN ({}, {}) AND w.status = 'open' AND w.student_id = {} AND w.assignee_staff_id = {}",
            ids[0],
            ids[3],
            app.fx.student("2023010101"),
            app.fx.staff["T1001"]
        ))
        .await;
    assert_eq!(
        routed, 2,
        "the matching warnings are routed to the counselor"
    );
    let told = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'staff:{}' AND kind = 'warning'",
            app.fx.staff["T1001"]
        ))
        .await;
    assert_eq!(told, 2);
    // The partner is told nothing, not even that nobody matched.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'account:{}'",
            app.fx.account("partner1")
        ))
        .await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM warning_receipts WHERE status = 'processed'")
            .await,
        4
    );
    let issued = app.audit("warning.issue").await;
    assert_eq!(issued.len(), 4, "the job audits each issuance");
    assert!(issued
        .iter()
        .all(|a| a.actor_account_id == Some(app.fx.account("partner1").get())));

    // Read back: the same four keys, `processed` for matched and unmatched alike.
    for id in &ids {
        let r = app.api_get(&t, &format!("/api/v1/warnings/{id}")).await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        assert_eq!(keys(&v), receipt_keys(), "{v}");
        assert_eq!(v["status"], "processed");
        assert_eq!(v["id"].as_i64(), Some(*id));
    }
}

#[tokio::test]
async fn a_partner_reads_its_own_receipts_only_and_no_warning() {
    let app = spawn_seeded().await;
    let t = partner(&app).await;
    let police = app
        .token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    // A police warning: police keep the full answer.
    let r = post(
        &app,
        &police,
        json!({"phone": "13800001111", "fraud_type": "fake_loan", "severity": "high"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let w: Value = r.json().await.unwrap();
    assert_eq!(w["student_id"], app.fx.student("2023010101").get());
    let police_id = w["id"].as_i64().unwrap();
    // The partner's own warning, once routed, is a warning row the partner never sees.
    let r = post(
        &app,
        &t,
        json!({"phone": "13800001112", "fraud_type": "fake_loan", "severity": "low"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["reference"], Value::Null);
    app.runner.run_until_idle().await.unwrap();
    let own_warning = receipt["id"].as_i64().unwrap();
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warnings WHERE id = {own_warning} AND status = 'open'"
        ))
        .await,
        1,
        "routed by the job"
    );
    // Its receipt is readable; no field names a person, a unit or a timeline.
    let r = app
        .api_get(&t, &format!("/api/v1/warnings/{}", receipt["id"]))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(keys(&v), receipt_keys());
    // A police warning and an id that exists nowhere read 404, with one body.
    let mut bodies = BTreeSet::new();
    for id in [police_id, 999_999] {
        let r = app.api_get(&t, &format!("/api/v1/warnings/{id}")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "warning {id}");
        let (_, code, _, _) = api_error(r).await;
        bodies.insert(code);
    }
    assert_eq!(bodies.len(), 1);
    // Acting on the partner's own warning is the same 404 (not a 403 that would confirm it).
    let r = client()
        .post(app.url(&format!("/api/v1/warnings/{own_warning}/acknowledge")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Lists, figures, the appraisal and settings give a partner nothing: 403, whatever the unit.
    for path in [
        "/api/v1/warnings",
        "/api/v1/warnings?unit=SCH1",
        "/api/v1/warnings/mine",
        "/api/v1/warnings/figures",
        "/api/v1/warnings/figures?unit=SCH1",
        "/api/v1/warnings/appraisal",
        "/api/v1/warnings/settings/SCH1",
        "/api/v1/warnings/settings/NOPE",
    ] {
        let r = app.api_get(&t, path).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // Acting on any id is 404, its own warning included.
    for (step, body) in [
        ("contact", json!({"method": "phone"})),
        ("outcome", json!({"outcome": "dissuaded"})),
        ("identify", json!({"student_no": "2023010101"})),
    ] {
        for id in [own_warning, police_id] {
            let r = client()
                .post(app.url(&format!("/api/v1/warnings/{id}/{step}")))
                .bearer_auth(&t)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{step} {id}");
        }
    }
    // Another partner account cannot read this partner's receipt.
    let other = fanzha::auth::service::create_user(
        &app.state.db,
        &app.state.clock,
        &fanzha::auth::service::NewUser {
            username: "partner2",
            display_name: "partner2",
            password: PASSWORD,
            role: fanzha::auth::model::Role::Partner,
            unit_code: "P1",
            person_no: None,
        },
    )
    .await
    .unwrap();
    assert!(other.get() > 0);
    let t2 = partner_token(&app, "partner2").await;
    let r = app
        .api_get(&t2, &format!("/api/v1/warnings/{}", receipt["id"]))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Batches and the console are not a way around receipts.
    let r = app
        .api_post(
            &t,
            "/api/v1/warnings/batch",
            "手机号,诈骗类型,级别\n13800001111,fake_loan,high\n".into(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn partner_token(app: &TestApp, username: &str) -> String {
    app.token(username, &[Scope::WarningsWrite, Scope::WarningsRead])
        .await
}

#[tokio::test]
async fn only_malformed_partner_input_is_refused_and_keys_repeat_the_receipt() {
    let app = spawn_seeded().await;
    let t = partner(&app).await;
    for body in [
        json!({"phone": "12345", "fraud_type": "fake_loan", "severity": "high"}),
        json!({"student_no": "20-23", "fraud_type": "fake_loan", "severity": "high"}),
        json!({"phone": "13800001111", "fraud_type": "nonsense", "severity": "high"}),
        json!({"phone": "13800001111", "fraud_type": "fake_loan", "severity": "high",
               "reference": "x".repeat(101)}),
        json!({"phone": "13800001111", "fraud_type": "fake_loan", "severity": "high",
               "source": "银\u{0}行"}),
    ] {
        let r = post(&app, &t, body.clone(), None).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM warning_receipts").await
            + app.scalar("SELECT COUNT(*) FROM warnings").await,
        0,
        "nothing written"
    );
    // One key, one receipt: a repeat answers 200 with the first receipt.
    let body = json!({"student_no": "2023510101", "fraud_type": "fake_loan", "severity": "medium",
                      "reference": "LOAN-7781"});
    let r1 = post(&app, &t, body.clone(), Some("loan-7781")).await;
    assert_eq!(r1.status(), StatusCode::CREATED);
    let v1: Value = r1.json().await.unwrap();
    let r2 = post(&app, &t, body.clone(), Some("loan-7781")).await;
    assert_eq!(r2.status(), StatusCode::OK);
    let v2: Value = r2.json().await.unwrap();
    assert_eq!(v1, v2);
    // Concurrent repeats still make one receipt.
    let mut hs = Vec::new();
    for _ in 0..4 {
        let (url, t, body) = (app.url("/api/v1/warnings"), t.clone(), body.clone());
        hs.push(tokio::spawn(async move {
            client()
                .post(url)
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
    assert_eq!(app.scalar("SELECT COUNT(*) FROM warning_receipts").await, 2);
    app.runner.run_until_idle().await.unwrap();
    // 钱七's counselor is told once per receipt.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM warnings").await, 2);
    // A job run again changes nothing.
    fanzha::warnings::receipts::process(
        &app.state.db,
        &app.state.clock,
        fanzha::kernel::ids::WarningId(v1["id"].as_i64().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM warnings").await, 2);
}

#[tokio::test]
async fn a_foreign_number_in_a_warning_is_never_a_mainland_student() {
    // 14155550100 would be a mainland mobile; give one student that phone.
    let app = spawn_seeded().await;
    sqlx::query("UPDATE students SET phone = '14155550100' WHERE student_no = '2023010102'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let police = app
        .token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = post(
        &app,
        &police,
        json!({"phone": "+1 415 555 0100", "fraud_type": "fake_loan", "severity": "high"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let w: Value = r.json().await.unwrap();
    assert_eq!(w["phone"], "+14155550100");
    assert_eq!(w["status"], "unidentified");
    assert_eq!(w["student_id"], Value::Null);
    // Through a partner and the job: the same, nobody is routed.
    let t = partner(&app).await;
    let r = post(
        &app,
        &t,
        json!({"phone": "+1 (415) 555-0100", "fraud_type": "fake_loan", "severity": "high"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM warnings WHERE student_id IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM warnings WHERE phone = '+14155550100'")
            .await,
        2
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_receipt() {
    let app = spawn_app().await;
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let receipt = &doc["components"]["schemas"]["Receipt"];
    let props: BTreeSet<String> = receipt["properties"]
        .as_object()
        .expect("Receipt properties")
        .keys()
        .cloned()
        .collect();
    assert_eq!(props, receipt_keys());
    let status = doc["components"]["schemas"]["ReceiptStatus"].to_string();
    assert!(
        status.contains("received") && status.contains("processed"),
        "{status}"
    );
    let post = doc["paths"]["/api/v1/warnings"]["post"]["responses"]["201"].to_string();
    assert!(post.contains("Issued"), "{post}");
    let issued = doc["components"]["schemas"]["Issued"].to_string();
    assert!(
        issued.contains("Receipt") && issued.contains("Warning"),
        "{issued}"
    );
    let get = doc["paths"]["/api/v1/warnings/{id}"]["get"]["responses"]["200"].to_string();
    assert!(get.contains("WarningView"), "{get}");
}

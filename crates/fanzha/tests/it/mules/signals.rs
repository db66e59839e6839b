//! A partner's signal: answered with the partner's receipt only (no person data), the same for a
//! student on the roster and for nobody; routed by the intake job as a mule-risk warning; a signal
//! about nobody stays with the police; a repeat of a reference (even at once) is one warning.

use std::collections::BTreeSet;

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub async fn partner(app: &TestApp) -> String {
    app.token("partner1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await
}

pub fn zhangsan_card(reference: &str) -> Value {
    json!({"reference": reference, "school_code": "SCH1", "student_no": "2023010101",
           "account_kind": "bank_card", "pattern": "frozen",
           "detail": "23 unknown transfers in, all moved out within minutes"})
}

/// The status and the problem codes (`details[].code`) of an error answer.
pub async fn problems(r: reqwest::Response) -> (StatusCode, Vec<String>) {
    let s = r.status();
    let v: Value = r.json().await.expect("a JSON error body");
    let codes = v["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect();
    (s, codes)
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

#[tokio::test]
async fn a_signal_about_a_student_becomes_a_routed_mule_risk_warning() {
    let app = spawn_seeded().await;
    let t = partner(&app).await;
    let (s, r) = post_json_read(&app, &t, "/api/v1/mules/signals", zhangsan_card("BANK-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    // The receipt and nothing else: no person, no unit, no status of a match.
    assert_eq!(
        keys(&r),
        ["id", "reference", "received_at", "status"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert_eq!(r["status"], "received");
    assert_eq!(r["reference"], "BANK-1");
    let text = r.to_string();
    for secret in ["2023010101", "SCH1", "张三", "13800001111", "bank_card"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let id = r["id"].as_i64().unwrap();
    app.runner.run_until_idle().await.unwrap();
    // Routed to 张三's counselor with the severity of a frozen account, deadlines running.
    let c1 = app
        .token("counselor1", &[Scope::WarningsRead, Scope::WarningsWrite])
        .await;
    let (s, w) = get_json(&app, &c1, &format!("/api/v1/warnings/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let w = &w["warning"];
    assert_eq!(w["kind"], "mule_risk");
    assert_eq!(w["status"], "open");
    assert_eq!(w["severity"], "high");
    assert_eq!(w["student_id"], app.fx.student("2023010101").get());
    assert!(w["ack_due_at"].as_i64().is_some());
    let (s, f) = get_json(&app, &c1, &format!("/api/v1/mules/warnings/{id}/facts")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(f["account_kind"], "bank_card");
    assert_eq!(f["pattern"], "frozen");
    // The receipt turned processed; the partner reads it back, on both paths.
    for path in [
        format!("/api/v1/mules/signals/{id}"),
        format!("/api/v1/warnings/{id}"),
    ] {
        let (s, r) = get_json(&app, &t, &path).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(r["status"], "processed");
        assert_eq!(keys(&r).len(), 4);
    }
    // The counselor was told in the inbox; the issuance is audited.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM inbox_messages WHERE source = 'warning:{id}:routed'"
        ))
        .await,
        1
    );
    assert_eq!(app.audit("mule.signal.receive").await.len(), 1);
}

#[tokio::test]
async fn a_partner_reads_its_own_receipts_only() {
    let app = spawn_seeded().await;
    let t = partner(&app).await;
    let (_, r) = post_json_read(&app, &t, "/api/v1/mules/signals", zhangsan_card("BANK-2")).await;
    let own = r["id"].as_i64().unwrap();
    // A police warning and an id that exists nowhere: 404 with one body, on both paths.
    let police = app
        .token("police1", &[Scope::WarningsRead, Scope::WarningsWrite])
        .await;
    let (s, w) = post_json_read(
        &app,
        &police,
        "/api/v1/warnings",
        json!({"student_no": "2023010102", "fraud_type": "fake_loan", "severity": "high"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let theirs = w["id"].as_i64().unwrap();
    let mut bodies = BTreeSet::new();
    for id in [theirs, 999_999] {
        for path in [
            format!("/api/v1/mules/signals/{id}"),
            format!("/api/v1/warnings/{id}"),
        ] {
            let r = app.api_get(&t, &path).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            bodies.insert(r.text().await.unwrap());
        }
    }
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    // Another partner account does not read this one's receipt either.
    let (s, _) = get_json(&app, &police, &format!("/api/v1/mules/signals/{own}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The facts of the warning are not the partner's to read.
    let (s, _) = get_json(&app, &t, &format!("/api/v1/mules/warnings/{own}/facts")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Only partners send signals: police are refused (403), nothing written.
    let before = app.scalar("SELECT COUNT(*) FROM warnings").await;
    let r = post_json(&app, &police, "/api/v1/mules/signals", zhangsan_card("P-1")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM warnings").await, before);
}

#[tokio::test]
async fn a_signal_about_nobody_on_a_roster_gets_the_same_receipt_and_stays_with_the_police() {
    let app = spawn_seeded().await;
    let t = partner(&app).await;
    let bodies = [
        zhangsan_card("BANK-A"),
        json!({"reference": "BANK-B", "phone": "13999990000", "account_kind": "phone_card",
               "pattern": "large_flows"}),
        json!({"reference": "BANK-C", "school_code": "SCH1", "student_no": "2099999999",
               "account_kind": "payment_account", "pattern": "night_flows"}),
        json!({"reference": "BANK-D", "school_code": "NOPE", "student_no": "2099999998",
               "account_kind": "im_account", "pattern": "remote_login"}),
    ];
    let mut ids = vec![];
    for b in &bodies {
        let (s, r) = post_json_read(&app, &t, "/api/v1/mules/signals", b.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(keys(&r).len(), 4);
        assert_eq!(r["status"], "received");
        ids.push(r["id"].as_i64().unwrap());
    }
    app.runner.run_until_idle().await.unwrap();
    // 张三 is matched; the three others are nobody and no school holds them (not even SCH1,
    // which was named): nobody at a school is told.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM warnings WHERE kind = 'mule_risk' AND status = 'unidentified' \
             AND school_id IS NULL"
        )
        .await,
        3
    );
    let admin = app.fx.account("admin1");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'account:{admin}'"
        ))
        .await,
        0
    );
    // The police of the partner's region see them, with what was reported.
    let police = app
        .token("police1", &[Scope::WarningsRead, Scope::WarningsWrite])
        .await;
    let (s, list) = get_json(&app, &police, "/api/v1/mules/police").await;
    assert_eq!(s, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "{list:?}");
    assert!(list
        .iter()
        .any(|i| i["warning"]["phone"] == "13999990000"
            && i["facts"]["account_kind"] == "phone_card"));
    // A school admin and a counselor are refused the police list.
    for who in ["admin1", "counselor1"] {
        let tk = app.token(who, &[Scope::WarningsRead]).await;
        let (s, _) = get_json(&app, &tk, "/api/v1/mules/police").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
}

#[tokio::test]
async fn a_malformed_signal_is_refused_with_reasons_and_nothing_is_written() {
    let app = spawn_seeded().await;
    let t = partner(&app).await;
    let cases = [
        (
            json!({"reference": "", "school_code": "SCH1", "student_no": "2023010101",
                "account_kind": "bank_card", "pattern": "frozen"}),
            "mule-err-reference",
        ),
        (
            json!({"reference": "X1", "school_code": "SCH1", "student_no": "2023010101",
                "account_kind": "id_card", "pattern": "frozen"}),
            "mule-err-account",
        ),
        (
            json!({"reference": "X2", "school_code": "SCH1", "student_no": "2023010101",
                "account_kind": "bank_card", "pattern": "weird"}),
            "mule-err-pattern",
        ),
        (
            json!({"reference": "X3", "account_kind": "bank_card", "pattern": "frozen"}),
            "warn-err-who",
        ),
        (
            json!({"reference": "X4", "student_no": "2023010101",
                "account_kind": "bank_card", "pattern": "frozen"}),
            "mule-err-school-needed",
        ),
        (
            json!({"reference": "X5", "phone": "12345", "account_kind": "bank_card",
                "pattern": "frozen"}),
            "warn-err-phone",
        ),
    ];
    for (body, code) in cases {
        let r = post_json(&app, &t, "/api/v1/mules/signals", body.clone()).await;
        let (s, codes) = problems(r).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(codes.iter().any(|c| c == code), "{body}: {codes:?}");
    }
    // Not JSON of the right shape: 4xx too.
    let r = post_json(
        &app,
        &t,
        "/api/v1/mules/signals",
        json!({"reference": "X6"}),
    )
    .await;
    assert!(r.status().is_client_error());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM warnings").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM mule_signals").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM warning_receipts").await, 0);
}

#[tokio::test]
async fn the_same_signal_sent_twice_at_once_is_one_warning() {
    let app = spawn_seeded().await;
    let t = partner(&app).await;
    let mut hs = vec![];
    for _ in 0..6 {
        let (app_url, t) = (app.url("/api/v1/mules/signals"), t.clone());
        hs.push(tokio::spawn(async move {
            let r = client()
                .post(app_url)
                .bearer_auth(t)
                .json(&zhangsan_card("BANK-SAME"))
                .send()
                .await
                .unwrap();
            let s = r.status();
            let v: Value = r.json().await.unwrap();
            (s, v["id"].as_i64().unwrap())
        }));
    }
    let mut created = 0;
    let mut ids = BTreeSet::new();
    for h in hs {
        let (s, id) = h.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::OK, "{s}");
        created += (s == StatusCode::CREATED) as i32;
        ids.insert(id);
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM warnings").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM mule_signals").await, 1);
    // Another reference is another signal.
    let (s, _) = post_json_read(
        &app,
        &t,
        "/api/v1/mules/signals",
        zhangsan_card("BANK-OTHER"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM mule_signals").await, 2);
}

#[tokio::test]
async fn the_openapi_document_names_the_mule_types() {
    let app = spawn_app().await;
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for name in [
        "MuleSignalInput",
        "MuleSignalFacts",
        "MuleFigures",
        "MuleCount",
        "Receipt",
    ] {
        assert!(doc["components"]["schemas"][name].is_object(), "{name}");
    }
    assert!(doc["paths"]["/api/v1/mules/signals"]["post"].is_object());
    // The receipt stays the partner warning's receipt.
    let props = doc["components"]["schemas"]["Receipt"]["properties"]
        .as_object()
        .unwrap()
        .len();
    assert_eq!(props, 4);
}

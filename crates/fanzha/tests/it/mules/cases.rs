//! Suspects in cases: the case records the person's role and the account lent; a suspect is no
//! victim; the figures count suspects per school and per kind of account, year on year; a school
//! with a suspect is not eligible for Campus Without Fraud unless its province's rule allows it.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

const RW: [Scope; 2] = [Scope::CasesRead, Scope::CasesWrite];

fn case(student: &str, role: &str, lent: &str, when: &str) -> Value {
    json!({
        "unit": "SCH1", "student_no": student, "fraud_type": "rebate_task", "channel": "qq",
        "occurred_at": when, "amount_lost": "0", "status": "open",
        "narrative": "学生以800元出售本人银行卡，该卡被用于接收刷单诈骗资金。",
        "person_role": role, "lent_account": lent
    })
}

fn row<'a>(rows: &'a Value, code: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["school_code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {rows}"))
}

#[tokio::test]
async fn a_suspect_case_is_counted_apart_and_bars_the_school_from_the_award() {
    let app = spawn_seeded().await;
    let t = app.token("police1", &RW).await;
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases",
        case("2023010101", "suspect", "bank_card", "2025-02-14 21:30"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (_, c) = get_json(&app, &t, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(c["person_role"], "suspect");
    assert_eq!(c["lent_account"], "bank_card");
    // Last year: one case that was both (a victim too) with a phone card.
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases",
        case("2023010102", "both", "phone_card", "2024-05-02 10:00"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // A suspect only is not a victim of the school; the case that was both is.
    let p = app
        .token("province1", &[Scope::CasesRead, Scope::CasesWrite])
        .await;
    let (s, rows) = get_json(&app, &p, "/api/v1/cases/ranking?province=P1&year=2025").await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    let sch1 = row(&rows, "SCH1");
    assert_eq!(sch1["victims"], 0);
    assert_eq!(sch1["suspects"], 1);
    assert_eq!(sch1["eligible"], false);
    assert_eq!(row(&rows, "SCH2")["eligible"], true);
    let (_, rows) = get_json(&app, &p, "/api/v1/cases/ranking?province=P1&year=2024").await;
    assert_eq!(row(&rows, "SCH1")["victims"], 1);
    // The analysis counts the suspect apart: no case of a victim this year, one suspect; last
    // year's case that was both is a victim's case and a suspect.
    for (unit, from, to, cases, suspects) in [
        ("SCH1", "2025-01-01", "2025-02-28", 0, 1),
        ("CLS1A1", "2024-01-01", "2024-12-31", 1, 1),
    ] {
        let (s, a) = get_json(
            &app,
            &t,
            &format!("/api/v1/cases/analysis?unit={unit}&from={from}&to={to}"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{a}");
        assert_eq!(a["cases"], cases, "{unit} {from}: {a}");
        assert_eq!(a["suspects"], suspects, "{unit} {from}: {a}");
    }
    // The police KPIs count students as suspects apart, month by month, with the year before.
    let (s, y) = get_json(&app, &t, "/api/v1/cases/kpis?unit=ST1&year=2025").await;
    assert_eq!(s, StatusCode::OK, "{y}");
    assert_eq!(y["months"][1]["student_suspects"], 1, "{y}");
    assert_eq!(y["months"][0]["student_suspects"], 0, "{y}");
    let (_, y24) = get_json(&app, &t, "/api/v1/cases/kpis?unit=ST1&year=2024").await;
    assert_eq!(y24["months"][4]["student_suspects"], 1, "{y24}");
    let pc = app.login("police1").await;
    let (_, page) = app.get(&pc, "/cases/kpis?unit=ST1&year=2025").await;
    assert!(page.contains("学生涉帮信/两卡嫌疑人"), "{page}");
    // The province allows one suspect: SCH1 is eligible again in 2025.
    let r = client()
        .put(app.url("/api/v1/mules/rules/P1"))
        .bearer_auth(&p)
        .json(&json!({"max_suspects": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, rows) = get_json(&app, &p, "/api/v1/cases/ranking?province=P1&year=2025").await;
    assert_eq!(row(&rows, "SCH1")["eligible"], true);
    assert_eq!(app.audit("mule.award_rule").await.len(), 1);
    // The figures: suspects per school and per kind of account, this year and last.
    let a = app.token("admin1", &[Scope::WarningsRead]).await;
    let (s, f) = get_json(&app, &a, "/api/v1/mules/figures?year=2025").await;
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!(f["suspects"], 1);
    assert_eq!(f["suspects_last_year"], 1);
    assert_eq!(f["suspects_by_school"][0]["label"], "第一大学");
    let by_account = f["suspects_by_account"].as_array().unwrap();
    let bank = by_account.iter().find(|c| c["key"] == "bank_card").unwrap();
    assert_eq!(
        (bank["this_year"].as_i64(), bank["last_year"].as_i64()),
        (Some(1), Some(0))
    );
    let phone = by_account
        .iter()
        .find(|c| c["key"] == "phone_card")
        .unwrap();
    assert_eq!(
        (phone["this_year"].as_i64(), phone["last_year"].as_i64()),
        (Some(0), Some(1))
    );
}

#[tokio::test]
async fn a_role_without_its_account_or_an_unknown_role_is_refused_and_nothing_is_written() {
    let app = spawn_seeded().await;
    let t = app.token("police1", &RW).await;
    for (role, lent, code) in [
        ("suspect", "", "mule-err-lent-needed"),
        ("victim", "bank_card", "mule-err-lent-victim"),
        ("witness", "", "mule-err-role"),
        ("both", "fax", "mule-err-account"),
    ] {
        let r = post_json(
            &app,
            &t,
            "/api/v1/cases",
            case("2023010101", role, lent, "2025-02-14 21:30"),
        )
        .await;
        let (s, codes) = super::signals::problems(r).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{role} {lent}");
        assert!(codes.iter().any(|c| c == code), "{role} {lent}: {codes:?}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM cases").await, 0);
    // A case with no role given is a victim's, as before.
    let mut body = case("2023010101", "", "", "2025-02-14 21:30");
    body.as_object_mut().unwrap().remove("person_role");
    body.as_object_mut().unwrap().remove("lent_account");
    let r = post_json(&app, &t, "/api/v1/cases", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (_, c) = get_json(&app, &t, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(c["person_role"], "victim");
    assert_eq!(c["lent_account"], Value::Null);
}

#[tokio::test]
async fn only_a_province_admin_of_that_province_sets_the_rule() {
    let app = spawn_seeded().await;
    for who in ["police1", "admin1"] {
        let t = app.token(who, &RW).await;
        let r = client()
            .put(app.url("/api/v1/mules/rules/P1"))
            .bearer_auth(&t)
            .json(&json!({"max_suspects": 3}))
            .send()
            .await
            .unwrap();
        // Refused without telling whether the province exists.
        assert!(
            r.status() == StatusCode::NOT_FOUND || r.status() == StatusCode::FORBIDDEN,
            "{who}: {}",
            r.status()
        );
    }
    let p = app.token("province1", &RW).await;
    for (code, max, status) in [
        ("P2", 3, StatusCode::NOT_FOUND),
        ("P1", -1, StatusCode::UNPROCESSABLE_ENTITY),
        ("C1", 1, StatusCode::NOT_FOUND),
    ] {
        let r = client()
            .put(app.url(&format!("/api/v1/mules/rules/{code}")))
            .bearer_auth(&p)
            .json(&json!({"max_suspects": max}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{code} {max}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM mule_award_rules").await, 0);
}

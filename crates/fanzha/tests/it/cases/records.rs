//! Cases: recording (scope, bad input, refused roles), CSV import (all or nothing, line numbers)
//! and the case form. The analysis of a fixed data set is in `analysis.rs`.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub(super) const RW: [Scope; 2] = [Scope::CasesRead, Scope::CasesWrite];

fn case(unit: &str, student: &str, when: &str, lost: &str) -> Value {
    json!({
        "unit": unit, "student_no": student, "fraud_type": "rebate_task", "channel": "qq",
        "occurred_at": when, "amount_lost": lost, "status": "open",
        "narrative": "受害人在QQ群看到刷单广告，垫付后无法提现。",
        "indicators": [{"kind": "phone", "value": "+86 138-0000-9999"}]
    })
}

async fn count_cases(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM cases").await
}

#[tokio::test]
async fn police_record_a_case_in_their_jurisdiction_with_the_victim_linked() {
    let app = spawn_seeded().await;
    let t = app.token("police1", &RW).await;
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases",
        &case("SCH1", "2023010101", "2025-02-14 21:30", "12000.50"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (s, c) = get_json(&app, &t, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["victim_role"], "student");
    assert_eq!(c["victim_student_id"], app.fx.student("2023010101").get());
    assert_eq!(c["victim_enroll_year"], 2023);
    assert_eq!(c["victim_major"], "计算机科学");
    assert_eq!(c["victim_gender"], "male");
    assert_eq!(c["unit_path"], app.fx.unit("CLS1A1").path.as_str());
    assert_eq!(c["school_id"], app.fx.unit("SCH1").id.get());
    assert_eq!(c["amount_lost_cents"], 1_200_050);
    assert_eq!(c["report_id"], Value::Null);
    // 21:30 in UTC+8 is 13:30 UTC.
    assert_eq!(c["occurred_at"], 1_739_539_800_000i64);
    assert_eq!(c["indicators"][0]["kind"], "phone");
    assert_eq!(c["indicators"][0]["value"], "13800009999");
    // The case's indicators are police-confirmed in the indicator store, with the case as source.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM indicators WHERE kind = 'phone' AND value = '13800009999' AND status = 'confirmed'"
        )
        .await,
        1
    );
    assert_eq!(app.audit("case.create").await.len(), 1);
    assert_eq!(
        app.scalar("SELECT CAST(SUM(victims) AS BIGINT) FROM case_daily")
            .await,
        1
    );
    // Editing keeps the summary in step.
    let mut edit = case("SCH1", "", "2025-02-15 10:00", "100");
    edit["victim_role"] = json!("other");
    let r = client()
        .put(app.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(&t)
        .json(&edit)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["victim_role"], "other");
    assert_eq!(c["victim_student_id"], Value::Null);
    // The school's rows and, above it, the province's.
    let (sch1, p1) = (app.fx.unit("SCH1").id, app.fx.unit("P1").id);
    for (dim, bucket, n) in [
        ("total", "", 1),
        ("role", "other", 1),
        ("role", "student", 0),
        ("hour", "10", 1),
        ("hour", "21", 0),
    ] {
        let got = app
            .scalar(&format!("SELECT CAST(SUM(cases) AS BIGINT) FROM case_monthly WHERE unit_id = {sch1} AND dim = '{dim}' AND bucket = '{bucket}'"))
            .await;
        assert_eq!(got, n, "{dim} {bucket}");
        let got = app
            .scalar(&format!("SELECT CAST(SUM(cases) AS BIGINT) FROM case_daily_dims WHERE unit_id = {p1} AND dim = '{dim}' AND bucket = '{bucket}'"))
            .await;
        assert_eq!(got, n, "daily {dim} {bucket}");
    }
    assert_eq!(
        app.scalar("SELECT CAST(SUM(victims) AS BIGINT) FROM case_daily")
            .await,
        0
    );
    assert_eq!(
        app.scalar("SELECT CAST(SUM(cases) AS BIGINT) FROM case_daily")
            .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT CAST(SUM(lost_cents) AS BIGINT) FROM case_daily")
            .await,
        10_000
    );
}

#[tokio::test]
async fn bad_cases_are_refused_with_a_clear_message_and_nothing_is_written() {
    let app = spawn_seeded().await;
    let t = app.token("police1", &RW).await;
    let bad: Vec<(Value, &str)> = vec![
        (
            case("SCH1", "2023010101", "2025-03-02 10:00", "10"),
            "The date is in the future.",
        ),
        (
            case("SCH1", "2023010101", "2025-02-01 10:00", "-10"),
            "Wrong amount",
        ),
        (
            {
                let mut c = case("SCH1", "2023010101", "2025-02-01 10:00", "10");
                c["fraud_type"] = json!("lottery");
                c
            },
            "Unknown fraud type.",
        ),
        (
            {
                let mut c = case("SCH1", "2023010101", "2025-02-01 10:00", "10");
                c["channel"] = json!("fax");
                c
            },
            "Unknown channel",
        ),
        // A victim of the other station's school.
        (
            case("SCH2", "2023510101", "2025-02-01 10:00", "10"),
            "outside your jurisdiction",
        ),
        (
            case("SCH1", "2023510101", "2025-02-01 10:00", "10"),
            "No student with this number",
        ),
        (
            case("NOPE", "", "2025-02-01 10:00", "10"),
            "outside your jurisdiction",
        ),
    ];
    for (body, expected) in bad {
        let (status, code, message, details) =
            api_error(post_json(&app, &t, "/api/v1/cases", &body).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let all = format!("{message} {}", details.join(" "));
        assert!(all.contains(expected), "{body}: {code} {all}");
    }
    assert_eq!(count_cases(&app).await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM case_daily").await, 0);
}

#[tokio::test]
async fn students_partners_counselors_schools_and_provinces_cannot_record_cases() {
    let app = spawn_seeded().await;
    for user in [
        "student1",
        "partner1",
        "counselor1",
        "leader1",
        "admin1",
        "province1",
    ] {
        let t = app.token(user, &RW).await;
        let r = post_json(
            &app,
            &t,
            "/api/v1/cases",
            &case("SCH1", "2023010101", "2025-02-01 10:00", "10"),
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
        let r = app.api_post(&t, "/api/v1/cases/import", b"unit,fraud_type,channel,occurred_at,amount_lost\nSCH1,rebate_task,qq,2025-01-01 10:00,1\n".to_vec()).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user} import");
        let c = app.login(user).await;
        let (s, _) = app.get(&c, "/cases/new").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user} page");
    }
    // Students and partners do not see cases either.
    for user in ["student1", "partner1", "counselor1"] {
        let t = app.token(user, &RW).await;
        let (s, _) = get_json(&app, &t, "/api/v1/cases/analysis?unit=SCH1").await;
        assert!(
            s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
            "{user}: {s}"
        );
    }
    // A token without cases:write cannot record even for police.
    let t = app.token("police1", &[Scope::CasesRead]).await;
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases",
        &case("SCH1", "2023010101", "2025-02-01 10:00", "10"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(count_cases(&app).await, 0);
}

#[tokio::test]
async fn csv_import_is_all_or_nothing_and_lists_every_bad_line() {
    let app = spawn_seeded().await;
    let t = app.token("police1", &RW).await;
    let bad = "单位代码,学号,诈骗类型,接触渠道,发案时间,损失金额,状态,简要案情\n\
SCH1,2023010101,刷单返利,QQ,2024-05-01 20:00,1000,已结案,刷单\n\
SCH1,2023010102,rebate_task,qq,2026-01-01 20:00,1000,,刷单\n\
SCH1,,fake_loan,fax,2024-05-03 20:00,-5,,贷款\n\
SCH2,2023510101,fake_loan,sms,2024-05-03 20:00,5,,贷款\n";
    let (status, _, _, details) = api_error(
        app.api_post(&t, "/api/v1/cases/import", bad.as_bytes().to_vec())
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let all = details.join("\n");
    assert!(all.contains("Line 3: The date is in the future."), "{all}");
    assert!(all.contains("Line 4: Unknown channel"), "{all}");
    assert!(all.contains("Line 4: Wrong amount"), "{all}");
    assert!(
        all.contains("Line 5: The unit does not exist or is outside your jurisdiction."),
        "{all}"
    );
    assert!(!all.contains("Line 2"), "{all}");
    assert_eq!(count_cases(&app).await, 0);
    let good = "unit,student_no,fraud_type,channel,occurred_at,amount_lost,amount_recovered,status,indicators\n\
SCH1,2023010101,刷单返利,QQ,2024-05-01 20:00,1000,200,已结案,phone:13800001111; qq:123456\n\
CLS1B1,,fake_loan,短信,2024-05-03 08:00,500,,open,\n";
    let r = app
        .api_post(&t, "/api/v1/cases/import", good.as_bytes().to_vec())
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["imported"], 2);
    assert_eq!(count_cases(&app).await, 2);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM case_indicators").await, 2);
    assert_eq!(app.audit("case.import").await.len(), 1);
    // The page shows the same line-numbered errors, in Chinese by default.
    let c = app.login("police1").await;
    let csrf = app.page_csrf(&c).await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(bad.as_bytes().to_vec()).file_name("cases.csv"),
    );
    let r = c
        .post(app.url("/cases/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("第 3 行:发案时间不能晚于现在。"), "{body}");
    assert_eq!(count_cases(&app).await, 2);
}

#[tokio::test]
async fn the_case_form_records_and_shows_errors() {
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    let (s, page) = app.get(&c, "/cases/new").await;
    assert_eq!(s, StatusCode::OK);
    let csrf = form_csrf(&page);
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("unit", "SCH1"),
        ("student_no", "2023010101"),
        ("fraud_type", "rebate_task"),
        ("channel", "qq"),
        ("occurred_at", "2025-04-01T10:00"),
        ("amount_lost", "100"),
        ("status", "open"),
        ("narrative", "刷单"),
        ("indicators", "phone:13800001111"),
    ];
    let r = c
        .post(app.url("/cases/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("发案时间不能晚于现在。"), "{body}");
    assert_eq!(count_cases(&app).await, 0);
    form[5] = ("occurred_at", "2025-02-01T10:00");
    let r = c
        .post(app.url("/cases/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let (s, page) = app.get(&c, &loc).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("13800001111"));
    assert_eq!(count_cases(&app).await, 1);
    let (_, list) = app.get(&c, "/cases?unit=ST1").await;
    assert!(list.contains(&loc));
    let (_, home) = app.get(&c, "/").await;
    assert!(home.contains("id=\"cases-panel\""));
    // OpenAPI documents the cases API.
    let v: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["paths"]["/api/v1/cases/analysis"].is_object());
    assert!(v["paths"]["/api/v1/cases/briefings/{id}/publish"].is_object());
}

//! Cases: the analysis of a small fixed data set against hand-computed figures (year on year,
//! hours, weekdays, months, streaks), a school's own view, KPIs, briefings delivered to the right
//! people, and the Campus Without Fraud ranking (ties) and awards.

use super::records::RW;
use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The fixed data set: (police account, csv lines). Times are UTC+8.
const SCH1_CSV: &str = "unit,student_no,staff_no,victim_role,enroll_year,major,gender,fraud_type,channel,occurred_at,amount_lost\n\
SCH1,2023010101,,,,,,rebate_task,qq,2024-01-15 20:30,1000\n\
SCH1,2023010102,,,,,,rebate_task,qq,2024-01-20 19:00,500\n\
SCH1,2023010102,,,,,,fake_investment,wechat,2024-02-10 21:00,5000\n\
SCH1,,,other,,,,game_trade,game,2024-02-20 12:00,300\n\
SCH1,,,other,,,,game_trade,game,2024-06-01 10:00,300\n\
SCH1,2023010201,,,,,,rebate_task,qq,2025-01-06 20:15,2000\n\
COL1A,,T1004,,,,,rebate_task,wechat,2025-01-10 22:40,800.50\n\
SCH1,,,student,2024,法学,女,impersonate_customer_service,phone,2025-02-03 09:05,1200\n";

const SCH2_CSV: &str = "unit,student_no,staff_no,fraud_type,channel,occurred_at,amount_lost\n\
SCH2,2023510101,,fake_loan,sms,2024-03-05 10:00,100\n\
SCH2,2023510102,,romance,dating,2024-07-07 23:00,200\n\
SCH2,,T2001,fake_shopping,shopping,2024-12-25 15:00,50\n";

async fn seed_cases(app: &TestApp) {
    for (user, csv) in [("police1", SCH1_CSV), ("police2", SCH2_CSV)] {
        let t = app.token(user, &RW).await;
        let r = app
            .api_post(&t, "/api/v1/cases/import", csv.as_bytes().to_vec())
            .await;
        let s = r.status();
        assert_eq!(
            s,
            StatusCode::CREATED,
            "{user}: {}",
            r.text().await.unwrap()
        );
    }
}

fn bucket(v: &Value, dim: &str, key: &str) -> i64 {
    v[dim]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == key)
        .map_or(0, |b| b["cases"].as_i64().unwrap())
}

#[tokio::test]
async fn analysis_matches_hand_computed_figures() {
    let app = spawn_seeded().await;
    seed_cases(&app).await;
    let t = app.token("police1", &[Scope::CasesRead]).await;
    for unit in ["SCH1", "ST1"] {
        let (s, a) = get_json(
            &app,
            &t,
            &format!("/api/v1/cases/analysis?unit={unit}&from=2025-01-01&to=2025-02-28"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{a}");
        assert_eq!(a["cases"], 3, "{unit}");
        assert_eq!(a["lost_cents"], 400_050);
        assert_eq!(a["prev_cases"], 4);
        assert_eq!(a["prev_lost_cents"], 680_000);
        assert_eq!(a["yoy_cases_pct"], -25.0);
        assert_eq!(a["yoy_lost_pct"], -41.2);
        assert_eq!(bucket(&a, "by_channel", "qq"), 1);
        assert_eq!(bucket(&a, "by_channel", "wechat"), 1);
        assert_eq!(bucket(&a, "by_channel", "phone"), 1);
        assert_eq!(bucket(&a, "by_fraud_type", "rebate_task"), 2);
        assert_eq!(bucket(&a, "by_hour", "20"), 1);
        assert_eq!(bucket(&a, "by_hour", "22"), 1);
        assert_eq!(bucket(&a, "by_hour", "9"), 1);
        assert_eq!(a["by_hour"].as_array().unwrap().len(), 24);
        // 2025-01-06 and 2025-02-03 are Mondays, 2025-01-10 a Friday.
        assert_eq!(bucket(&a, "by_weekday", "0"), 2);
        assert_eq!(bucket(&a, "by_weekday", "4"), 1);
        assert_eq!(bucket(&a, "by_grade", "2023"), 1);
        assert_eq!(bucket(&a, "by_grade", "2024"), 1);
        assert_eq!(bucket(&a, "by_grade", ""), 1);
        assert_eq!(bucket(&a, "by_gender", "male"), 1);
        assert_eq!(bucket(&a, "by_gender", "female"), 1);
        assert_eq!(bucket(&a, "by_major", "法学"), 1);
        assert_eq!(bucket(&a, "by_role", "student"), 2);
        assert_eq!(bucket(&a, "by_role", "staff"), 1);
        let months = a["months"].as_array().unwrap();
        assert_eq!(months.len(), 2);
        assert_eq!(months[0]["month"], "2025-01");
        assert_eq!(months[0]["cases"], 2);
        assert_eq!(months[0]["prev_year_cases"], 2);
        assert_eq!(months[1]["cases"], 1);
        assert_eq!(months[1]["prev_year_cases"], 2);
    }
    // Partial months come from the cases, whole months from the summary; both agree.
    for (q, n, months) in [
        ("from=2024-01-10&to=2024-02-15", 3, vec![2, 1]),
        ("from=2024-01-10&to=2024-03-10", 4, vec![2, 2, 0]),
        (
            "from=2024-01-01&to=2024-12-31",
            5,
            vec![2, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
        ),
    ] {
        for unit in ["SCH1", "ST1", "C1", "P1"] {
            let (_, a) =
                get_json(&app, &t, &format!("/api/v1/cases/analysis?unit={unit}&{q}")).await;
            if unit == "C1" || unit == "P1" {
                assert_eq!(a["error"]["code"], "not-found", "{unit}: {a}");
                continue;
            }
            assert_eq!(a["cases"], n, "{unit} {q}");
            let got: Vec<i64> = a["months"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["cases"].as_i64().unwrap())
                .collect();
            assert_eq!(got, months, "{unit} {q}");
        }
    }
    let tp = app.token("province1", &[Scope::CasesRead]).await;
    let (_, a) = get_json(
        &app,
        &tp,
        "/api/v1/cases/analysis?unit=P1&from=2024-01-10&to=2024-03-10",
    )
    .await;
    // SCH1's four plus SCH2's 5 March case.
    assert_eq!(a["cases"], 5);
    assert_eq!(bucket(&a, "by_channel", "sms"), 1);
    assert_eq!(bucket(&a, "by_role", "other"), 1);
    let (_, a) = get_json(
        &app,
        &tp,
        "/api/v1/cases/analysis?unit=COL1A&from=2024-01-01&to=2025-02-28",
    )
    .await;
    assert_eq!(a["cases"], 5);
    // Streaks at 2025-03-01: SCH1's last case 2025-02-03 (26 days); SCH2's 2024-12-25 (2 months).
    let (_, a) = get_json(&app, &t, "/api/v1/cases/analysis?unit=SCH1").await;
    let s = &a["streaks"][0];
    assert_eq!(s["unit_code"], "SCH1");
    assert_eq!(s["months_without_case"], 0);
    assert_eq!(s["days_without_case"], 26);
    let t2 = app.token("province1", &[Scope::CasesRead]).await;
    let (_, a) = get_json(&app, &t2, "/api/v1/cases/analysis?unit=SCH2").await;
    assert_eq!(a["streaks"][0]["months_without_case"], 2);
    assert_eq!(a["cases"], 0);
    assert_eq!(a["yoy_cases_pct"], Value::Null);
    // The page: charts data, year-on-year text and streaks in words.
    let c = app.login("police1").await;
    let (s, page) = app
        .get(
            &c,
            "/cases/analysis?unit=SCH1&from=2025-01-01&to=2025-02-28",
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"cases-charts\""));
    assert!(page.contains("echarts.min.js"));
    assert!(page.contains("同比下降 25.0%"), "{page}");
    assert!(page.contains("已 26 天无案件"));
    let c = app.login("province1").await;
    let (_, page) = app.get(&c, "/cases/analysis?unit=SCH2").await;
    assert!(page.contains("已连续 2 个月无案件"));
    // Bad periods.
    for q in ["from=2025-02-01&to=2025-01-01", "from=yesterday"] {
        let r = app
            .api_get(&t, &format!("/api/v1/cases/analysis?unit=SCH1&{q}"))
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{q}");
    }
}

#[tokio::test]
async fn a_school_sees_only_its_own_cases() {
    let app = spawn_seeded().await;
    seed_cases(&app).await;
    let sch2_case = app
        .scalar(&format!(
            "SELECT MIN(id) FROM cases WHERE school_id = {}",
            app.fx.unit("SCH2").id
        ))
        .await;
    let t = app.token("admin1", &[Scope::CasesRead]).await;
    let (s, v) = get_json(
        &app,
        &t,
        "/api/v1/cases?unit=SCH1&from=2024-01-01&to=2025-02-28",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["total"], 8);
    assert!(v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["school_code"] == "SCH1"));
    for path in [
        "/api/v1/cases?unit=SCH2".to_string(),
        "/api/v1/cases/analysis?unit=SCH2".to_string(),
        format!("/api/v1/cases/{sch2_case}"),
    ] {
        let (s, _) = get_json(&app, &t, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
    // The default unit is the caller's own school.
    let (_, v) = get_json(
        &app,
        &t,
        "/api/v1/cases/analysis?from=2024-01-01&to=2024-12-31",
    )
    .await;
    assert_eq!(v["unit_code"], "SCH1");
    assert_eq!(v["cases"], 5);
    // A college leader sees the college's cases only.
    let t = app.token("leader1", &[Scope::CasesRead]).await;
    let (s, v) = get_json(
        &app,
        &t,
        "/api/v1/cases?unit=COL1A&from=2024-01-01&to=2025-02-28",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // Students of CLS1A1/CLS1A2 and the staff member of COL1A; not the school-level cases.
    assert_eq!(v["total"], 5);
    let (s, _) = get_json(&app, &t, "/api/v1/cases?unit=SCH1").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The other station's officer does not see SCH1.
    let t = app.token("police2", &[Scope::CasesRead]).await;
    let (s, _) = get_json(&app, &t, "/api/v1/cases/analysis?unit=SCH1").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!app.audit("access.denied").await.is_empty());
    // The province sees both.
    let t = app.token("province1", &[Scope::CasesRead]).await;
    let (_, v) = get_json(
        &app,
        &t,
        "/api/v1/cases?unit=P1&from=2024-01-01&to=2025-02-28",
    )
    .await;
    assert_eq!(v["total"], 11);
    // The home page of a school admin carries the case panel of the school.
    let c = app.login("admin1").await;
    let (_, home) = app.get(&c, "/").await;
    assert!(home.contains("id=\"cases-panel\""), "{home}");
    assert!(home.contains("第一大学"));
    let c = app.login("student1").await;
    let (_, home) = app.get(&c, "/").await;
    assert!(!home.contains("cases-panel"));
}

#[tokio::test]
async fn a_published_briefing_reaches_the_admins_and_counselors_of_the_jurisdiction() {
    let app = spawn_seeded().await;
    seed_cases(&app).await;
    let feb = app
        .scalar("SELECT id FROM cases WHERE occurred_at = 1738544700000")
        .await;
    let sch2_case = app
        .scalar(&format!(
            "SELECT MIN(id) FROM cases WHERE school_id = {}",
            app.fx.unit("SCH2").id
        ))
        .await;
    let t = app.token("police1", &RW).await;
    // A case outside the month or jurisdiction is refused.
    let r = post_json(&app, &t, "/api/v1/cases/briefings", &json!({"station": "ST1", "month": "2025-02", "title": "二月通报", "case_ids": [sch2_case]})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases/briefings",
        &json!({"station": "ST1", "month": "2025-04", "title": "四月通报"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases/briefings",
        &json!({"station": "ST2", "month": "2025-02", "title": "x"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM case_briefings").await,
        0,
        "refused briefings wrote nothing"
    );
    let r = post_json(&app, &t, "/api/v1/cases/briefings", &json!({"station": "ST1", "month": "2025-02", "title": "二月典型案例通报", "advice": "接到自称客服的电话先挂断。", "case_ids": [feb]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // A draft is not visible to schools.
    let c1 = app.login("counselor1").await;
    let (s, _) = app.get(&c1, &format!("/cases/briefings/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Only police publish; a refused publication changes nothing.
    let state = || async {
        sqlx::query_scalar::<_, String>(&format!(
            "SELECT status || '|' || COALESCE(CAST(published_at AS TEXT), '-') || '|' || \
             CAST((SELECT COUNT(*) FROM inbox_messages) AS TEXT) || '|' || \
             CAST((SELECT COUNT(*) FROM jobs) AS TEXT) FROM case_briefings WHERE id = {id}"
        ))
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
    };
    let draft = state().await;
    assert!(draft.starts_with("draft|-|"), "{draft}");
    let ta = app.token("admin1", &RW).await;
    let r = post_json(
        &app,
        &ta,
        &format!("/api/v1/cases/briefings/{id}/publish"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        state().await,
        draft,
        "a refused publication changed nothing"
    );
    let r = post_json(
        &app,
        &t,
        &format!("/api/v1/cases/briefings/{id}/publish"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["deliveries"], 2);
    let published = state().await;
    let r = post_json(
        &app,
        &t,
        &format!("/api/v1/cases/briefings/{id}/publish"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        state().await,
        published,
        "a second publication changed nothing"
    );
    app.runner.run_until_idle().await.unwrap();
    let told = |user: &'static str| {
        let acc = app.fx.account(user);
        let app = &app;
        async move {
            app.scalar(&format!("SELECT COUNT(*) FROM inbox_messages WHERE kind = 'briefing' AND recipient = 'account:{acc}'")).await
        }
    };
    for user in ["admin1", "counselor1", "counselor2", "counselor3"] {
        assert_eq!(told(user).await, 1, "{user}");
    }
    for user in ["admin2", "counselor4", "student1", "leader1", "police2"] {
        assert_eq!(told(user).await, 0, "{user}");
    }
    // The counselor reads it: the narrative, the month's analysis, the advice, print CSS.
    let (s, page) = app.get(&c1, &format!("/cases/briefings/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("二月典型案例通报"));
    assert!(page.contains("接到自称客服的电话先挂断。"));
    assert!(page.contains("cases.css"));
    assert!(!page.contains("publish-form"));
    let (_, list) = app.get(&c1, "/cases/briefings").await;
    assert!(list.contains(&format!("/cases/briefings/{id}")));
    // Not the other school's counselor.
    let c4 = app.login("counselor4").await;
    let (s, _) = app.get(&c4, &format!("/cases/briefings/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get(&c4, "/cases/briefings").await;
    assert!(!list.contains(&format!("/cases/briefings/{id}")));
    assert_eq!(app.audit("briefing.publish").await.len(), 1);
}

#[tokio::test]
async fn police_kpis_per_month_with_year_on_year() {
    let app = spawn_seeded().await;
    let t = app.token("police1", &RW).await;
    // Arrests are entered; the rest is derived from the records (see tests/days_b.rs).
    for (month, arrested) in [
        ("2024-01", 4),
        ("2024-02", 4),
        ("2024-06", 9),
        ("2025-01", 3),
        ("2025-02", 3),
    ] {
        let r = post_json(
            &app,
            &t,
            "/api/v1/cases/kpis",
            &json!({"unit": "ST1", "month": month, "suspects_arrested": arrested}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK, "{month}");
    }
    // On 1 March 2025, January to March 2025 is compared with January to March 2024 (June is
    // not: the year is not over).
    let (s, y) = get_json(&app, &t, "/api/v1/cases/kpis?unit=ST1&year=2025").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(y["compared_months"], 3);
    assert_eq!(y["total"]["suspects_arrested"], 6);
    assert_eq!(y["prev_total"]["suspects_arrested"], 8);
    assert_eq!(y["yoy_pct"][1], -25.0);
    assert_eq!(y["months"].as_array().unwrap().len(), 12);
    let (_, y24) = get_json(&app, &t, "/api/v1/cases/kpis?unit=ST1&year=2024").await;
    assert_eq!(y24["compared_months"], 12);
    assert_eq!(y24["total"]["suspects_arrested"], 17);
    // Typing a figure the platform records is refused.
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases/kpis",
        &json!({"unit": "ST1", "month": "2025-01", "funds_frozen": "1500"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Bad input and refused roles.
    for body in [
        json!({"unit": "ST1", "month": "2025-13", "suspects_arrested": 1}),
        json!({"unit": "ST1", "month": "2025-01", "suspects_arrested": -1}),
        json!({"unit": "ST1", "month": "2025-06", "suspects_arrested": 1}),
        json!({"unit": "SCH1", "month": "2025-01", "suspects_arrested": 1}),
    ] {
        let r = post_json(&app, &t, "/api/v1/cases/kpis", &body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases/kpis",
        &json!({"unit": "ST2", "month": "2025-01", "suspects_arrested": 1}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let ta = app.token("admin1", &RW).await;
    let r = post_json(
        &app,
        &ta,
        "/api/v1/cases/kpis",
        &json!({"unit": "ST1", "month": "2025-01", "suspects_arrested": 1}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.scalar("SELECT CAST(SUM(suspects_arrested) AS BIGINT) FROM police_kpis")
            .await,
        23
    );
    let c = app.login("police1").await;
    let (s, page) = app.get(&c, "/cases/kpis?unit=ST1&year=2025").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("同比下降 25.0%"));
    assert!(page.contains("chart-kpi"));
    assert!(page.contains("1 月至 3 月与上一年同期相比"));
    assert!(!page.contains("name=\"funds_frozen\""));
}

#[tokio::test]
async fn campus_without_fraud_ranking_ties_selection_and_certificate() {
    let app = spawn_seeded().await;
    fanzha::org::service::create_unit(
        &app.state.db,
        &app.state.clock,
        &fanzha::org::service::NewUnit {
            parent_code: Some("C1".into()),
            kind: "school".into(),
            code: "SCH3".into(),
            name: "第三学院".into(),
        },
    )
    .await
    .unwrap();
    seed_cases(&app).await;
    let t = app.token("province1", &RW).await;
    let (s, rows) = get_json(&app, &t, "/api/v1/cases/ranking?province=P1&year=2024").await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    let rows = rows.as_array().unwrap();
    let got: Vec<(String, i64, i64, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["school_code"].as_str().unwrap().to_string(),
                r["rank"].as_i64().unwrap(),
                r["victims"].as_i64().unwrap(),
                r["eligible"].as_bool().unwrap(),
            )
        })
        .collect();
    // SCH1 and SCH2 both had 3 victims in 2024 (SCH1's two "other" cases are not victims), but
    // SCH1 has 9 people (4 students, 5 staff in the school and its colleges) and SCH2 4: the
    // table ranks by victims per 10,000 people, 3,333.3 against 7,500.
    assert_eq!(
        got,
        vec![
            ("SCH3".to_string(), 1, 0, true),
            ("SCH1".to_string(), 2, 3, false),
            ("SCH2".to_string(), 3, 3, false),
        ]
    );
    assert_eq!(rows[1]["cases"], 5);
    assert_eq!(rows[1]["staff"], 5);
    assert_eq!(rows[1]["victims_per_10k"], 3333.3);
    assert_eq!(rows[2]["students"], 2);
    assert_eq!(rows[2]["victims_per_10k"], 7500.0);
    assert_eq!(rows[0]["award_rank"], 1);
    assert_eq!(rows[1]["award_rank"], Value::Null);
    // Selection: only eligible schools, only province admins.
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases/awards",
        &json!({"province": "P1", "year": 2024, "schools": ["SCH1"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let tp = app.token("police1", &RW).await;
    let r = post_json(
        &app,
        &tp,
        "/api/v1/cases/awards",
        &json!({"province": "P1", "year": 2024, "schools": ["SCH3"]}),
    )
    .await;
    assert!(r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::NOT_FOUND);
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases/awards",
        &json!({"province": "P1", "year": 2024, "schools": ["SCH3"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases/awards/publish",
        &json!({"province": "P1", "year": 2025}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases/awards/publish",
        &json!({"province": "P1", "year": 2024}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases/awards",
        &json!({"province": "P1", "year": 2024, "schools": []}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = get_json(
        &app,
        &app.token("admin1", &[Scope::CasesRead]).await,
        "/api/v1/cases/awards?province=P1&year=2024",
    )
    .await;
    assert_eq!(list[0]["school_code"], "SCH3");
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Pages: the ranking links each figure to the school's cases; the certificate prints.
    let c = app.login("province1").await;
    let (s, page) = app.get(&c, "/cases/ranking?province=P1&year=2024").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("/cases?unit=SCH1&amp;from=2024-01-01&amp;to=2024-12-31"),
        "{page}"
    );
    let (s, _) = app
        .get(&c, "/cases?unit=SCH1&from=2024-01-01&to=2024-12-31")
        .await;
    assert_eq!(s, StatusCode::OK);
    let c = app.login("admin1").await;
    let (s, cert) = app.get(&c, "/cases/awards/P1/2024/SCH3").await;
    assert_eq!(s, StatusCode::OK);
    assert!(cert.contains("第三学院"));
    let (s, _) = app.get(&c, "/cases/awards/P1/2024/SCH1").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A school admin reads the province ranking but cannot select.
    let (s, page) = app.get(&c, "/cases/ranking?province=P1&year=2024").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"ranking-readonly\""));
    assert!(!page.contains("name=\"schools\""));
    // A student does not.
    let c = app.login("student1").await;
    let (s, _) = app.get(&c, "/cases/ranking?province=P1&year=2024").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

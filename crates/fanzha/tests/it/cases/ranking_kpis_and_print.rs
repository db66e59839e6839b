//! Campus Without Fraud ranked as the award defines it (the full table by victims per 10,000
//! people, the eligible schools by their prevention figures) and readable by police, school
//! admins and unit leaders; the printable briefing and award list as official documents; the
//! province dashboard of a province admin's home page.

use crate::common::*;
use fanzha::auth::model::Scope;
use fanzha::cases::service::{rank_rows, RankRow};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

const RW: [Scope; 2] = [Scope::CasesRead, Scope::CasesWrite];

async fn post_json(app: &TestApp, token: &str, path: &str, body: &Value) -> Response {
    client()
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("POST")
}

const CASES_CSV: &str = "unit,student_no,staff_no,victim_role,enroll_year,major,gender,fraud_type,channel,occurred_at,amount_lost\n\
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
    for (user, csv) in [("police1", CASES_CSV), ("police2", SCH2_CSV)] {
        let t = app.token(user, &RW).await;
        let r = app
            .api_post(&t, "/api/v1/cases/import", csv.as_bytes().to_vec())
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
}

async fn add_school(app: &TestApp, code: &str, name: &str) {
    fanzha::org::service::create_unit(
        &app.state.db,
        &app.state.clock,
        &fanzha::org::service::NewUnit {
            parent_code: Some("C1".into()),
            kind: "school".into(),
            code: code.into(),
            name: name.into(),
        },
    )
    .await
    .unwrap();
}

fn row(code: &str, people: i64, victims: i64) -> RankRow {
    RankRow {
        rank: 0,
        award_rank: None,
        school_id: fanzha::kernel::ids::UnitId(0),
        school_code: code.into(),
        school_name: code.into(),
        victims,
        cases: victims,
        lost_cents: 0,
        students: people,
        staff: 0,
        victims_per_10k: if people > 0 {
            (victims as f64 * 100_000.0 / people as f64).round() / 10.0
        } else {
            0.0
        },
        warnings_routed: 0,
        warnings_in_time: 0,
        warnings_in_time_pct: None,
        campaign_audience: 0,
        campaign_acknowledged: 0,
        campaign_reach_pct: None,
        reports: 0,
        suspects: 0,
        eligible: victims == 0,
        selected: false,
        published: false,
    }
}

/// The full table by victims per 10,000 people (a big school with more victims ranks above a
/// small one with fewer), competition ranks for equal rates; the eligible schools by warnings in
/// time, then reach, then reports per 10,000 people, "no data" last.
#[test]
fn the_table_ranks_by_rate_and_the_eligible_by_prevention() {
    let mut rows = vec![
        row("BIG", 30_000, 300), // 100.0 per 10,000
        row("SMALL", 1_000, 20), // 200.0
        row("Z1", 2_000, 0),     // eligible, no data at all
        row("Z2", 2_000, 0),     // eligible, warnings 90 %
        row("Z3", 1_000, 0),     // eligible, warnings 90 %, reach 50 %, no report
        row("Z4", 1_000, 0),     // eligible, no warnings, reach 99 %
        row("Z5", 4_000, 0),     // eligible, warnings 90 %, reach 50 %, 2 reports (5 per 10k)
        row("Z6", 500, 0),       // eligible, warnings 90 %, reach 50 %, 1 report (20 per 10k)
    ];
    rows[3].warnings_in_time_pct = Some(90.0);
    rows[4].warnings_in_time_pct = Some(90.0);
    rows[4].campaign_reach_pct = Some(50.0);
    rows[5].campaign_reach_pct = Some(99.0);
    rows[6].warnings_in_time_pct = Some(90.0);
    rows[6].campaign_reach_pct = Some(50.0);
    rows[6].reports = 2;
    rows[7].warnings_in_time_pct = Some(90.0);
    rows[7].campaign_reach_pct = Some(50.0);
    rows[7].reports = 1;
    rank_rows(&mut rows);
    let table: Vec<(&str, i64)> = rows
        .iter()
        .map(|r| (r.school_code.as_str(), r.rank))
        .collect();
    assert_eq!(
        table,
        vec![
            ("Z1", 1),
            ("Z2", 1),
            ("Z3", 1),
            ("Z4", 1),
            ("Z5", 1),
            ("Z6", 1),
            ("BIG", 7),
            ("SMALL", 8),
        ]
    );
    let mut eligible: Vec<(&str, i64)> = rows
        .iter()
        .filter_map(|r| r.award_rank.map(|n| (r.school_code.as_str(), n)))
        .collect();
    eligible.sort_by_key(|e| e.1);
    assert_eq!(
        eligible,
        vec![
            ("Z6", 1),
            ("Z5", 2),
            ("Z3", 3),
            ("Z2", 4),
            ("Z4", 5),
            ("Z1", 6)
        ]
    );
    assert!(rows.iter().all(|r| r.eligible == r.award_rank.is_some()));
}

#[tokio::test]
async fn the_ranking_is_read_only_for_police_school_admins_and_unit_leaders() {
    let app = spawn_seeded().await;
    add_school(&app, "SCH3", "第三学院").await;
    seed_cases(&app).await;
    // The province admin selects among the eligible schools.
    let c = app.login("province1").await;
    let (s, page) = app.get(&c, "/cases/ranking?year=2024").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("name=\"schools\" value=\"SCH3\""), "{page}");
    assert!(!page.contains("ranking-readonly"));
    assert!(page.contains("3333.3") && page.contains("7500.0"));
    // Police, school admins and unit leaders of the province read it, without selection and
    // without links into schools they may not open.
    for user in ["police1", "admin1", "leader1"] {
        let c = app.login(user).await;
        let (s, page) = app.get(&c, "/cases/ranking?year=2024").await;
        assert_eq!(s, StatusCode::OK, "{user}");
        assert!(page.contains("id=\"ranking-readonly\""), "{user}");
        assert!(page.contains("第三学院") && page.contains("第二大学"));
        assert!(!page.contains("name=\"schools\""), "{user}");
        assert!(!page.contains("/cases?unit=SCH2"), "{user}");
        assert!(!page.contains("/cases/ranking/publish"), "{user}");
        // The eligible school comes first in both tables.
        let eligible = between(&page, "id=\"eligible\"", "</table>").unwrap();
        assert!(eligible.contains("第三学院") && !eligible.contains("第一大学"));
    }
    // Nobody else: students, counselors, partners.
    for user in ["student1", "counselor1", "partner1"] {
        let c = app.login(user).await;
        let (s, _) = app.get(&c, "/cases/ranking?province=P1&year=2024").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{user}");
    }
    // Nor police of another province's ranking.
    let c = app.login("police1").await;
    let (s, _) = app.get(&c, "/cases/ranking?province=P2&year=2024").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A read-only viewer cannot select: the POST is refused and nothing is written.
    let (_, page) = app.get(&c, "/cases/ranking?year=2024").await;
    let csrf = meta_csrf(&page);
    let r = c
        .post(app.url("/cases/ranking/select"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("province", "P1"),
            ("year", "2024"),
            ("schools", "SCH3"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::NOT_FOUND,
        "{}",
        r.status()
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM campus_awards").await, 0);
    // Bad input: a unit that is not a province, an unknown one, a year out of range.
    let (s, _) = app.get(&c, "/cases/ranking?province=SCH1&year=2024").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app.get(&c, "/cases/ranking?province=NOPE&year=2024").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&c, "/cases/ranking?year=123456").await;
    assert!(s.is_client_error(), "{s}");
}

#[tokio::test]
async fn a_briefing_prints_as_an_official_document() {
    let app = spawn_seeded().await;
    let t = app.token("police1", &RW).await;
    let mut ids = vec![];
    for (month, title) in [
        ("2025-02", "二月典型案例通报"),
        ("2025-01", "一月典型案例通报"),
    ] {
        let r = post_json(
            &app,
            &t,
            "/api/v1/cases/briefings",
            &json!({"station": "ST1", "month": month, "title": title, "advice": "先挂断，再核实。"}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let c = app.login("police1").await;
    let (s, page) = app.get(&c, &format!("/cases/briefings/{}", ids[0])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&format!("/cases/briefings/{}/print", ids[0])));
    let (s, doc) = app
        .get(&c, &format!("/cases/briefings/{}/print", ids[0]))
        .await;
    assert_eq!(s, StatusCode::OK);
    // Issuing unit, number (February is the station's second briefing of 2025), title, date.
    assert!(doc.contains("id=\"doc-issuer\">城东派出所<"), "{doc}");
    assert!(doc.contains("id=\"doc-no\">ST1通〔2025〕2号<"));
    assert!(doc.contains("id=\"doc-title\">二月典型案例通报<"));
    assert!(doc.contains("id=\"doc-date\">2025年3月1日<"));
    assert!(doc.contains("id=\"doc-draft\""), "a draft says so");
    assert!(doc.contains("先挂断，再核实。"));
    // No UI chrome, no time-zone note.
    assert!(!doc.contains("fz-top") && !doc.contains("fz-nav-links"));
    assert!(!doc.contains("cases-zone") && !doc.contains("Asia/Shanghai"));
    let (_, jan) = app
        .get(&c, &format!("/cases/briefings/{}/print", ids[1]))
        .await;
    assert!(jan.contains("ST1通〔2025〕1号"));
    // Published: the publication date, no draft mark; the school's counselor may print it.
    let r = post_json(
        &app,
        &t,
        &format!("/api/v1/cases/briefings/{}/publish", ids[0]),
        &json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let c1 = app.login("counselor1").await;
    let (s, doc) = app
        .get(&c1, &format!("/cases/briefings/{}/print", ids[0]))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!doc.contains("id=\"doc-draft\""));
    // Refused: another school's counselor, a draft for schools; bad input: no such briefing.
    let c4 = app.login("counselor4").await;
    let (s, _) = app
        .get(&c4, &format!("/cases/briefings/{}/print", ids[0]))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .get(&c1, &format!("/cases/briefings/{}/print", ids[1]))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&c, "/cases/briefings/abc/print").await;
    assert!(s.is_client_error(), "{s}");
    let (s, _) = app.get(&c, "/cases/briefings/999999/print").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_award_list_prints_as_the_provinces_notice() {
    let app = spawn_seeded().await;
    add_school(&app, "SCH3", "第三学院").await;
    seed_cases(&app).await;
    let c = app.login("police1").await;
    // Nothing to print before the list is published.
    let (s, _) = app.get(&c, "/cases/awards/P1/2024/print").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let t = app.token("province1", &RW).await;
    for (path, body) in [
        (
            "/api/v1/cases/awards",
            json!({"province": "P1", "year": 2024, "schools": ["SCH3"]}),
        ),
        (
            "/api/v1/cases/awards/publish",
            json!({"province": "P1", "year": 2024}),
        ),
    ] {
        let r = post_json(&app, &t, path, &body).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    let (s, list) = app.get(&c, "/cases/awards/P1/2024").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("/cases/awards/P1/2024/print"));
    let (s, doc) = app.get(&c, "/cases/awards/P1/2024/print").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc.contains("id=\"doc-issuer\">测试省无诈校园评选办公室<"),
        "{doc}"
    );
    assert!(doc.contains("id=\"doc-no\">P1评〔2025〕1号<"));
    assert!(doc.contains("关于公布 2024 年度“无诈校园”名单的通知"));
    assert!(doc.contains("id=\"doc-date\">2025年3月1日<"));
    let awardees = between(&doc, "id=\"awardees\"", "</ol>").unwrap();
    assert!(awardees.contains("第三学院") && !awardees.contains("第一大学"));
    assert!(!doc.contains("fz-top") && !doc.contains("Asia/Shanghai"));
    // In English.
    let csrf = app.page_csrf(&c).await;
    let r = c
        .post(app.url("/lang"))
        .form(&[("csrf", csrf.as_str()), ("set", "en"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let (_, en) = app.get(&c, "/cases/awards/P1/2024/print").await;
    assert!(
        en.contains("1 March 2025") && en.contains("Notice of the 2024"),
        "{en}"
    );
    // Bad input: not a province, a year out of range; signed out: sent to sign in.
    let (s, _) = app.get(&c, "/cases/awards/SCH1/2024/print").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app.get(&c, "/cases/awards/P1/123456/print").await;
    assert!(s.is_client_error(), "{s}");
    let r = client()
        .get(app.url("/cases/awards/P1/2024/print"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert!(!r.text().await.unwrap().contains("第三学院"));
}

#[tokio::test]
async fn the_province_admin_home_is_a_dashboard() {
    let app = spawn_seeded().await;
    add_school(&app, "SCH3", "第三学院").await;
    seed_cases(&app).await;
    let c = app.login("province1").await;
    let (s, home) = app.get(&c, "/").await;
    assert_eq!(s, StatusCode::OK);
    let dash = between(&home, "id=\"province-dashboard\"", "</section>").expect("dashboard");
    // The last 12 months (April 2024 to March 2025): 6 cases and 4,550.50 yuan lost; the same
    // months a year earlier had 4 cases.
    assert!(dash.contains("id=\"dash-cases\">6<"), "{dash}");
    assert!(dash.contains("id=\"dash-lost\">4,550.50<"));
    assert!(dash.contains("50.0%"));
    // The charts are inline SVG, drawn without script.
    for id in [
        "dash-trend-cases",
        "dash-trend-lost",
        "dash-city-warnings",
        "dash-school-reach",
    ] {
        assert!(
            dash.contains(&format!("<svg class=\"fz-svg\" id=\"{id}\"")),
            "{id}"
        );
    }
    assert!(!dash.contains("<script"));
    // By city and school, with "no data" where nothing was sent; streaks per school; last
    // year's eligible school.
    let cities = between(dash.as_str(), "id=\"dash-cities\"", "</table>").unwrap();
    assert!(cities.contains("测试市") && cities.contains("无数据"));
    let streaks = between(dash.as_str(), "id=\"dash-streaks\"", "</table>").unwrap();
    assert!(streaks.contains("第二大学") && streaks.contains("第三学院"));
    let eligible = between(dash.as_str(), "id=\"dash-eligible\"", "</ol>").unwrap();
    assert!(eligible.contains("第三学院") && !eligible.contains("第一大学"));
    // Other roles keep their own home.
    for user in ["police1", "admin1", "student1"] {
        let c = app.login(user).await;
        let (s, home) = app.get(&c, "/").await;
        assert_eq!(s, StatusCode::OK);
        assert!(!home.contains("province-dashboard"), "{user}");
    }
}

/// A dissuasion outcome recorded with the amount it protected, at `at`.
async fn dissuaded(app: &TestApp, unit: &str, at: i64, protected_cents: i64) {
    let u = app.fx.unit(unit);
    sqlx::query(
        "INSERT INTO warnings (source_kind, origin, issuer_unit_path, school_id, unit_path, fraud_type, severity, status, detail, level, \
         ack_window_ms, contact_window_ms, escalations, outcome, outcome_at, protected_cents, created_at, updated_at) \
         VALUES ('police', 'test', '/', $1, $2, 'rebate_task', 'high', 'closed', '', 0, 3600000, 14400000, 0, 'dissuaded', $3, $4, $3, $3)",
    )
    .bind(app.fx.unit("SCH1").id)
    .bind(&u.path)
    .bind(at)
    .bind(protected_cents)
    .execute(&app.state.db.pool)
    .await
    .expect("warning");
}

/// 1 March 2025 08:00 in China is the test clock's start; `days` before it.
fn days_ago(days: i64) -> i64 {
    START_MS - days * 86_400_000
}

#[tokio::test]
async fn kpis_come_from_the_records_and_compare_like_periods() {
    let app = spawn_seeded().await;
    let sc = [
        Scope::ReportsRead,
        Scope::ReportsWrite,
        Scope::CasesRead,
        Scope::CasesWrite,
    ];
    // A student's loss report of 20,000; police freeze 18,000 of it and open a case from it.
    let ts = app.token("student1", &sc).await;
    let r = post_json(
        &app,
        &ts,
        "/api/v1/reports",
        &json!({
            "idempotency_key": "kpi-1",
            "lost_money": true,
            "transaction": {"payment_type": "bank_card", "account": "6222020200112233446", "bank": "工商银行",
                            "amount_cents": 2_000_000, "time": START_MS - 600_000},
            "fraud_type": "impersonate_police",
            "description": "冒充公安说我涉嫌洗钱"
        }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let report = r.json::<Value>().await.unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let tp = app.token("police1", &Scope::ALL).await;
    let q: Value = app
        .api_get(&tp, "/api/v1/reports/stop-payments")
        .await
        .json()
        .await
        .unwrap();
    let sp = q[0]["id"].as_i64().expect("stop-payment");
    let r = post_json(
        &app,
        &tp,
        &format!("/api/v1/reports/stop-payments/{sp}/actions"),
        &json!({"action": "frozen", "frozen_cents": 1_800_000}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = post_json(
        &app,
        &tp,
        &format!("/api/v1/reports/{report}/triage"),
        &json!({"decision": "open_case"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let case_id = r.json::<Value>().await.unwrap()["case_id"]
        .as_i64()
        .unwrap();
    // The case shows what the stop-payment froze.
    let c = app.login("police1").await;
    let (s, page) = app.get(&c, &format!("/cases/{case_id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"case-frozen\">18,000.00<"), "{page}");
    // Solved cases: one recorded solved now (March), with 300 returned, occurring in February.
    let r = post_json(
        &app,
        &tp,
        "/api/v1/cases",
        &json!({
            "unit": "SCH1", "student_no": "2023010102", "fraud_type": "rebate_task", "channel": "qq",
            "occurred_at": "2025-02-14 21:30", "amount_lost": "1000", "amount_recovered": "300",
            "status": "solved", "narrative": "刷单返利。"
        }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Dissuasion: 5,000 avoided in February 2025, 2,000 in February 2024 and 9,000 in June 2024.
    dissuaded(&app, "CLS1A1", days_ago(10), 500_000).await;
    dissuaded(&app, "CLS1A1", days_ago(366 + 10), 200_000).await;
    dissuaded(&app, "CLS1A1", days_ago(366 - 100), 900_000).await;
    // Another station's dissuasion does not count for ST1.
    dissuaded(&app, "CLS2A1", days_ago(10), 700_000).await;
    // Arrests are entered.
    let r = post_json(
        &app,
        &tp,
        "/api/v1/cases/kpis",
        &json!({"unit": "ST1", "month": "2025-02", "suspects_arrested": 2}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (s, y) = app
        .api_get(&tp, "/api/v1/cases/kpis?unit=ST1&year=2025")
        .await
        .json::<Value>()
        .await
        .map(|v| (StatusCode::OK, v))
        .unwrap();
    assert_eq!(s, StatusCode::OK);
    let m = |i: usize, k: &str| y["months"][i][k].as_i64().unwrap();
    // February: 5,000 avoided, 300 returned, 2 arrests; March: the case solved, 18,000 frozen.
    assert_eq!(m(1, "losses_avoided_cents"), 500_000, "{y}");
    assert_eq!(m(1, "funds_returned_cents"), 30_000);
    assert_eq!(m(1, "suspects_arrested"), 2);
    assert_eq!(m(2, "cases_solved"), 1);
    assert_eq!(m(2, "funds_frozen_cents"), 1_800_000);
    // Like periods: January to March against January to March 2024 (2,000, not June's 9,000).
    assert_eq!(y["compared_months"], 3);
    assert_eq!(y["prev_total"]["losses_avoided_cents"], 200_000);
    assert_eq!(y["yoy_pct"][3], 150.0);
    // Typed figures the platform records are refused and change nothing.
    for body in [
        json!({"unit": "ST1", "month": "2025-02", "funds_frozen": "100"}),
        json!({"unit": "ST1", "month": "2025-02", "cases_solved": 3}),
        json!({"unit": "ST1", "month": "2025-02", "losses_avoided": "1"}),
    ] {
        let r = post_json(&app, &tp, "/api/v1/cases/kpis", &body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    assert_eq!(
        app.scalar("SELECT CAST(SUM(suspects_arrested) AS BIGINT) FROM police_kpis")
            .await,
        2
    );
    // The page explains where the figures come from; a school admin cannot enter arrests.
    let (s, page) = app.get(&c, "/cases/kpis?unit=ST1&year=2025").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"kpi-sources\""));
    assert!(page.contains("18,000.00"));
    let ta = app.token("admin1", &RW).await;
    let r = post_json(
        &app,
        &ta,
        "/api/v1/cases/kpis",
        &json!({"unit": "ST1", "month": "2025-02", "suspects_arrested": 9}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// Units are picked by name from the caller's part of the tree, never typed as codes: the case
/// form offers the station's schools and their colleges and classes, the appraisal a school
/// admin's school and what is below it; a unit outside the list is refused.
#[tokio::test]
async fn units_are_picked_from_the_tree_by_name() {
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    let (s, page) = app.get(&c, "/cases/new").await;
    assert_eq!(s, StatusCode::OK);
    let picker = between(&page, "<select id=\"case-unit\"", "</select>").expect("case picker");
    for (code, name) in [
        ("SCH1", "第一大学"),
        ("COL1A", "计算机学院"),
        ("CLS1A1", "计科2301"),
    ] {
        assert!(picker.contains(&format!("value=\"{code}\"")), "{code}");
        assert!(picker.contains(name), "{name}");
    }
    assert!(!picker.contains("SCH2") && !picker.contains("第二大学"));
    assert!(page.contains("picker.js"));
    // A unit that is not offered is refused and nothing is written.
    let csrf = form_csrf(&page);
    let before = app.scalar("SELECT COUNT(*) FROM cases").await;
    for unit in ["SCH2", "NOPE"] {
        let r = c
            .post(app.url("/cases/new"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("unit", unit),
                ("fraud_type", "rebate_task"),
                ("channel", "qq"),
                ("occurred_at", "2025-02-14T21:30"),
                ("amount_lost", "100"),
                ("status", "open"),
                ("victim_role", "other"),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{unit}: {}", r.status());
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM cases").await, before);
    // The appraisal of a school admin: their school, selected, and its colleges and classes.
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, "/warnings/appraisal").await;
    assert_eq!(s, StatusCode::OK);
    let picker =
        between(&page, "<select id=\"appraisal-unit\"", "</select>").expect("appraisal picker");
    assert!(picker.contains("value=\"SCH1\" selected"), "{picker}");
    assert!(picker.contains("计算机学院") && picker.contains("数学2301"));
    assert!(!picker.contains("第二大学"));
    // The analysis of the province admin: the province and everything below, by name.
    let c = app.login("province1").await;
    let (s, page) = app.get(&c, "/cases/analysis").await;
    assert_eq!(s, StatusCode::OK);
    let picker = between(&page, "<select id=\"analysis-unit\"", "</select>").expect("picker");
    assert!(picker.contains("第一大学") && picker.contains("第二大学"));
    // A campaign's audience: several units of the school admin's school, by name.
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, "/campaigns/new").await;
    assert_eq!(s, StatusCode::OK);
    let picker =
        between(&page, "<select id=\"audience-units\"", "</select>").expect("audience picker");
    assert!(picker.contains(" multiple"));
    assert!(picker.contains("value=\"COL1A\"") && picker.contains("计科2302"));
    assert!(!picker.contains("第二大学"));
    // A student gets no picker: the pages are refused.
    let c = app.login("student1").await;
    for path in [
        "/cases/new",
        "/warnings/appraisal",
        "/cases/analysis",
        "/campaigns/new",
    ] {
        let (s, page) = app.get(&c, path).await;
        assert!(s.is_client_error(), "{path}: {s}");
        assert!(!page.contains("第一大学"), "{path}");
    }
}

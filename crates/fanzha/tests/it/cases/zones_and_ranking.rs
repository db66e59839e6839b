//! Cases, continued: times in the viewer's zone (a case near midnight seen from London and from
//! Shanghai), briefing notices in each recipient's language, and the prevention figures of the
//! Campus Without Fraud ranking against hand-computed expectations.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

const RW: [Scope; 2] = [Scope::CasesRead, Scope::CasesWrite];

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sql)
        .execute(&app.state.db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn case(when: &str) -> Value {
    json!({
        "unit": "SCH1", "student_no": "2023010101", "fraud_type": "rebate_task", "channel": "qq",
        "occurred_at": when, "amount_lost": "100", "status": "open", "narrative": "刷单返利。"
    })
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
async fn a_case_near_midnight_is_entered_and_shown_in_the_viewers_zone() {
    let app = spawn_seeded().await;
    // The officer works in London; the province admin keeps the default (Asia/Shanghai).
    exec(
        &app,
        "UPDATE accounts SET time_zone = 'Europe/London' WHERE username = 'police1'",
    )
    .await;
    // Now: 2025-03-31 22:30 UTC = 23:30 in London (summer time) = 06:30 on 1 April in China.
    app.state.clock.advance_ms(2_673_000_000);
    let t = app.token("police1", &RW).await;
    let r = post_json(&app, &t, "/api/v1/cases", &case("2025-03-31 23:00")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (_, c) = get_json(&app, &t, &format!("/api/v1/cases/{id}")).await;
    // 23:00 in London (BST, UTC+1) is 22:00 UTC.
    assert_eq!(c["occurred_at"], 1_743_458_400_000i64);
    // An explicit offset is taken as given.
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases",
        &case("2025-04-01T06:10:00+08:00"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // A CSV is read in the importer's zone: 23:20 London = 22:20 UTC.
    let csv = "unit,student_no,fraud_type,channel,occurred_at,amount_lost\nSCH1,2023010101,rebate_task,qq,2025-03-31 23:20,100\n";
    let r = app
        .api_post(&t, "/api/v1/cases/import", csv.as_bytes().to_vec())
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM cases WHERE occurred_at = 1743459600000")
            .await,
        1
    );
    // Bad input: 01:30 on 30 March does not exist in London (clocks went forward), and 23:45
    // London is still in the future; nothing is written.
    for when in ["2025-03-30 01:30", "2025-03-31 23:45"] {
        let r = post_json(&app, &t, "/api/v1/cases", &case(when)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{when}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM cases").await, 3);

    // The case page: London sees 23:00 on 31 March, Shanghai 06:00 on 1 April; both are told
    // which zone the figures use and which zone the times are in.
    let london = app.login("police1").await;
    let (s, page) = app.get(&london, &format!("/cases/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("2025-03-31 23:00"), "{page}");
    assert!(
        page.contains("value=\"2025-03-31T23:00\""),
        "edit form in London time"
    );
    assert!(page.contains("Europe/London"));
    let shanghai = app.login("province1").await;
    let (_, page) = app.get(&shanghai, &format!("/cases/{id}")).await;
    assert!(page.contains("2025-04-01 06:00"), "{page}");
    assert!(!page.contains("2025-03-31 23:00"));
    let (_, list) = app
        .get(&shanghai, "/cases?unit=SCH1&from=2025-04-01&to=2025-04-01")
        .await;
    assert!(list.contains("2025-04-01 06:00"));
    assert!(list.contains("id=\"cases-zone\""));
    assert!(list.contains("Asia/Shanghai"));

    // The figures count China Standard Time days for everyone: the three cases are on 1 April,
    // hour 6, a Tuesday, whoever asks.
    let tp = app.token("province1", &[Scope::CasesRead]).await;
    for tok in [&t, &tp] {
        let (s, a) = get_json(
            &app,
            tok,
            "/api/v1/cases/analysis?unit=SCH1&from=2025-04-01&to=2025-04-01",
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{a}");
        assert_eq!(a["time_zone"], "Asia/Shanghai");
        assert_eq!(a["cases"], 3);
        assert_eq!(bucket(&a, "by_hour", "6"), 3);
        assert_eq!(bucket(&a, "by_weekday", "1"), 3);
        assert_eq!(a["months"][0]["month"], "2025-04");
        let (_, a) = get_json(
            &app,
            tok,
            "/api/v1/cases/analysis?unit=SCH1&from=2025-03-31&to=2025-03-31",
        )
        .await;
        assert_eq!(a["cases"], 0);
    }
    let (_, page) = app
        .get(
            &london,
            "/cases/analysis?unit=SCH1&from=2025-04-01&to=2025-04-01",
        )
        .await;
    assert!(page.contains("Asia/Shanghai") && page.contains("Europe/London"));

    // Defaults follow the viewer's calendar: in London it is still 31 March, so the default
    // period ends on 31 March and the default briefing month is February; in Shanghai it is
    // 1 April, so March.
    let (_, page) = app.get(&london, "/cases/analysis?unit=SCH1").await;
    assert!(page.contains("name=\"to\" value=\"2025-03-31\""), "{page}");
    let (_, page) = app.get(&london, "/cases/briefings").await;
    assert!(page.contains("name=\"month\" value=\"2025-02\""), "{page}");
    exec(
        &app,
        "UPDATE accounts SET time_zone = 'Asia/Shanghai' WHERE username = 'police1'",
    )
    .await;
    let london = app.login("police1").await;
    let (_, page) = app.get(&london, "/cases/analysis?unit=SCH1").await;
    assert!(page.contains("name=\"to\" value=\"2025-04-01\""));
    let (_, page) = app.get(&london, "/cases/briefings").await;
    assert!(page.contains("name=\"month\" value=\"2025-03\""));
    let (_, page) = app.get(&london, &format!("/cases/{id}")).await;
    assert!(page.contains("2025-04-01 06:00"));
}

#[tokio::test]
async fn briefing_notices_are_in_each_recipients_language() {
    let app = spawn_seeded().await;
    let t = app.token("police1", &RW).await;
    let r = post_json(&app, &t, "/api/v1/cases", &case("2025-02-10 20:00")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    exec(
        &app,
        "UPDATE accounts SET locale = 'en' WHERE username IN ('counselor1', 'counselor2')",
    )
    .await;
    let r = post_json(
        &app,
        &t,
        "/api/v1/cases/briefings",
        &json!({"station": "ST1", "month": "2025-02", "title": "二月通报"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = post_json(
        &app,
        &t,
        &format!("/api/v1/cases/briefings/{id}/publish"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    app.runner.run_until_idle().await.unwrap();
    let message = |user: &'static str| {
        let acc = app.fx.account(user);
        let app = &app;
        async move {
            let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(&format!(
                "SELECT title, body, link FROM inbox_messages WHERE kind = 'briefing' AND recipient = 'account:{acc}'"
            ))
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
            rows
        }
    };
    for user in ["counselor1", "counselor2"] {
        let m = message(user).await;
        assert_eq!(m.len(), 1, "{user}");
        assert!(m[0].0.contains("Case briefing from"), "{user}: {:?}", m[0]);
        assert!(m[0].0.contains("二月通报"));
        assert!(
            m[0].1.contains("published the case briefing of"),
            "{:?}",
            m[0]
        );
        assert!(m[0].1.contains("2025-02"));
        assert_eq!(
            m[0].2.as_deref(),
            Some(format!("/cases/briefings/{id}").as_str())
        );
    }
    for user in ["admin1", "counselor3"] {
        let m = message(user).await;
        assert_eq!(m.len(), 1, "{user}");
        assert!(m[0].0.contains("案例通报"), "{user}: {:?}", m[0]);
        assert!(m[0].1.contains("发布了"), "{:?}", m[0]);
    }
    for user in ["admin2", "counselor4", "student1", "police1"] {
        assert!(message(user).await.is_empty(), "{user}");
    }
    // The printable page follows the reader's language (the briefing's own text stays as written).
    let c1 = app.login("counselor1").await;
    let (s, page) = app.get(&c1, &format!("/cases/briefings/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("二月通报"));
    assert!(
        page.contains("Typical cases") || page.contains("typical"),
        "{page}"
    );
}

/// UTC milliseconds of a China Standard Time date and time.
fn cst(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
        - 8 * 3_600_000
}

const H: i64 = 3_600_000;

/// A warning about a person of `unit` (of SCH1) created at `at`: routed then (unless `routed` is false),
/// 1 h to acknowledge, 4 h to contact; acknowledged / contacted after the given delays.
async fn warning(
    app: &TestApp,
    unit: &str,
    at: i64,
    routed: bool,
    ack: Option<i64>,
    contact: Option<i64>,
) {
    let u = app.fx.unit(unit);
    let school = app.fx.unit("SCH1").id;
    sqlx::query(
        "INSERT INTO warnings (source_kind, origin, issuer_unit_path, school_id, unit_path, fraud_type, severity, status, detail, level, \
         ack_window_ms, contact_window_ms, routed_at, ack_due_at, contact_due_at, escalations, acknowledged_at, contacted_at, created_at, updated_at) \
         VALUES ('police', 'test', '/', $1, $2, 'rebate_task', 'high', 'routed', '', 0, $3, $4, $5, $6, $7, 0, $8, $9, $10, $10)",
    )
    .bind(school)
    .bind(&u.path)
    .bind(H)
    .bind(4 * H)
    .bind(routed.then_some(at))
    .bind(routed.then_some(at + H))
    .bind(routed.then_some(at + 4 * H))
    .bind(ack.map(|d| at + d))
    .bind(contact.map(|d| at + d))
    .bind(at)
    .execute(&app.state.db.pool)
    .await
    .expect("warning");
}

async fn campaign(app: &TestApp, status: &str, sent_at: i64, reach: &[(&str, i64, i64)]) {
    let author = app.fx.account("province1");
    let content: i64 = sqlx::query_scalar(
        "INSERT INTO campaign_contents (unit_path, kind, title, body_md, body_html, fraud_types, target_hint, quiz, status, version, \
         author_account_id, editor_account_id, created_at, updated_at) VALUES ('/', 'article', 't', '', '', '', '', '', 'published', 1, $1, $1, 0, 0) RETURNING id",
    )
    .bind(author)
    .fetch_one(&app.state.db.pool)
    .await
    .expect("content");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (unit_path, title, content_id, content_version, fraud_type, audience, audience_size, channels, status, \
         created_by, created_at, sent_at) VALUES ('/', 't', $1, 1, 'rebate_task', '', 0, 'inbox', $2, $3, $4, $4) RETURNING id",
    )
    .bind(content)
    .bind(status)
    .bind(author)
    .bind(sent_at)
    .fetch_one(&app.state.db.pool)
    .await
    .expect("campaign");
    for (unit, audience, ack) in reach {
        sqlx::query(
            "INSERT INTO campaign_reach (campaign_id, unit_path, audience, sent, opened, acknowledged, quiz_passed, clicked) \
             VALUES ($1, $2, $3, $3, $4, $4, 0, 0)",
        )
        .bind(id)
        .bind(&app.fx.unit(unit).path)
        .bind(*audience)
        .bind(*ack)
        .execute(&app.state.db.pool)
        .await
        .expect("reach");
    }
}

async fn report(app: &TestApp, school: &str, unit: &str, n: i64, at: i64) {
    let u = app.fx.unit(unit);
    sqlx::query(
        "INSERT INTO reports (ref_no, reporter_account_id, idempotency_key, school_id, unit_path, fraud_type, has_loss, amount_cents, \
         description, sections, status, created_at, updated_at) VALUES ($1, $2, $1, $3, $4, 'rebate_task', 0, 0, '', '{}', 'new', $5, $5)",
    )
    .bind(format!("R{school}-{n}"))
    .bind(app.fx.account("student1"))
    .bind(app.fx.unit(school).id)
    .bind(&u.path)
    .bind(at)
    .execute(&app.state.db.pool)
    .await
    .expect("report");
}

#[tokio::test]
async fn the_ranking_shows_each_schools_prevention_figures() {
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
    let t0 = cst(2024, 5, 10, 20, 0);
    // SCH1's warnings of 2024 (1 h to acknowledge, 4 h to contact):
    warning(&app, "CLS1A1", t0, true, Some(H / 2), Some(2 * H)).await; // in time
    warning(&app, "CLS1A1", t0, true, Some(H / 2), Some(5 * H)).await; // contacted late
    warning(&app, "CLS1B1", t0, true, Some(2 * H), Some(3 * H)).await; // acknowledged late
    warning(&app, "CLS1A2", t0, true, Some(H), Some(4 * H)).await; // in time (on the deadlines)
    warning(&app, "CLS1A2", t0, true, None, None).await; // never acted on
    warning(&app, "CLS1A1", t0, false, None, None).await; // not routed: not counted
                                                          // 00:30 on 1 January 2024 in China is still 2023 in UTC: counted in 2024, in time.
    warning(
        &app,
        "CLS1A1",
        cst(2024, 1, 1, 0, 30),
        true,
        Some(H / 4),
        Some(H),
    )
    .await;
    // 00:30 on 1 January 2025 in China is 2024 in UTC: not counted in 2024.
    warning(
        &app,
        "CLS1A1",
        cst(2025, 1, 1, 0, 30),
        true,
        Some(H / 4),
        Some(H),
    )
    .await;
    // Routed 6 (the 2024 ones but the unrouted), in time 3: 50.0 %.
    // Campaign reach: a sent campaign reaching two classes and the school's own staff (audience
    // 3 + 2 + 1, acknowledged 2 + 0 + 1) and a second one (4, 3): 6 of 10, 60.0 %. A recalled
    // campaign and one sent on 31 December 2023 are not counted.
    campaign(
        &app,
        "sent",
        cst(2024, 3, 1, 9, 0),
        &[("CLS1A1", 3, 2), ("CLS1B1", 2, 0), ("SCH1", 1, 1)],
    )
    .await;
    campaign(&app, "sent", cst(2024, 9, 1, 9, 0), &[("CLS1A2", 4, 3)]).await;
    campaign(&app, "recalled", cst(2024, 4, 1, 9, 0), &[("CLS1A1", 3, 0)]).await;
    campaign(&app, "sent", cst(2023, 12, 31, 23, 0), &[("CLS1A1", 3, 3)]).await;
    // Reports: SCH1 two in 2024 and one in 2025; SCH2 one in 2024; SCH3 none.
    report(&app, "SCH1", "SCH1", 1, cst(2024, 2, 1, 10, 0)).await;
    report(&app, "SCH1", "CLS1A1", 2, cst(2024, 12, 31, 23, 59)).await;
    report(&app, "SCH1", "SCH1", 3, cst(2025, 1, 1, 0, 1)).await;
    report(&app, "SCH2", "CLS2A1", 4, cst(2024, 6, 1, 10, 0)).await;

    let t = app.token("province1", &RW).await;
    let (s, rows) = get_json(&app, &t, "/api/v1/cases/ranking?province=P1&year=2024").await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    let row = |code: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["school_code"] == code)
            .unwrap()
            .clone()
    };
    let s1 = row("SCH1");
    assert_eq!(s1["warnings_routed"], 6, "{s1}");
    assert_eq!(s1["warnings_in_time"], 3);
    assert_eq!(s1["warnings_in_time_pct"], 50.0);
    assert_eq!(s1["campaign_audience"], 10);
    assert_eq!(s1["campaign_acknowledged"], 6);
    assert_eq!(s1["campaign_reach_pct"], 60.0);
    assert_eq!(s1["reports"], 2);
    // SCH2: a report but no warning and no campaign: "no data", not 0 %.
    let s2 = row("SCH2");
    assert_eq!(s2["warnings_routed"], 0);
    assert_eq!(s2["warnings_in_time_pct"], Value::Null);
    assert_eq!(s2["campaign_reach_pct"], Value::Null);
    assert_eq!(s2["reports"], 1);
    let s3 = row("SCH3");
    assert_eq!(s3["warnings_in_time_pct"], Value::Null);
    assert_eq!(s3["campaign_reach_pct"], Value::Null);
    assert_eq!(s3["reports"], 0);
    // 2025 so far: SCH1's 1 January warning (in time) and report.
    let (_, rows25) = get_json(&app, &t, "/api/v1/cases/ranking?province=P1&year=2025").await;
    let s1 = rows25
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["school_code"] == "SCH1")
        .unwrap();
    assert_eq!(s1["warnings_in_time_pct"], 100.0);
    assert_eq!(s1["campaign_reach_pct"], Value::Null);
    assert_eq!(s1["reports"], 1);

    // The page shows the same figures, and "no data" where there is none.
    let c = app.login("province1").await;
    let (s, page) = app.get(&c, "/cases/ranking?province=P1&year=2024").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("50.0% <span class=\"fz-muted\">(3/6)"),
        "{page}"
    );
    assert!(page.contains("60.0% <span class=\"fz-muted\">(6/10)"));
    assert!(page.contains("无数据"));
    assert!(page.contains("id=\"ranking-prevention-help\""));
    // Police of a station inside the province read the same figures; a counselor does not.
    let tp = app.token("police1", &RW).await;
    let (s, rows_p) = get_json(&app, &tp, "/api/v1/cases/ranking?province=P1&year=2024").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(rows_p, rows);
    let tc = app.token("counselor1", &RW).await;
    let (s, _) = get_json(&app, &tc, "/api/v1/cases/ranking?province=P1&year=2024").await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
        "{s}"
    );
}

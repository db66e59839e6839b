//! Cases, continued: times in the viewer's zone (a case near midnight seen from London and from
//! Shanghai), briefing notices in each recipient's language, and the prevention figures of the
//! Campus Without Fraud ranking against hand-computed expectations.

mod common;

use common::*;
use fanzha::auth::model::Scope;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

const RW: [Scope; 2] = [Scope::CasesRead, Scope::CasesWrite];

async fn post_json(app: &TestApp, token: &str, path: &str, body: &Value) -> Response {
    client()
        .post(app.url(path))
        .bearer_auth(token)
        .header("cookie", "fz_lang=en")
        .json(body)
        .send()
        .await
        .expect("POST")
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let r = app.api_get(token, path).await;
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

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
    let r = post_json(&app, &t, "/api/v1/cases", &case("2025-04-01T06:10:00+08:00")).await;
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
    assert!(page.contains("value=\"2025-03-31T23:00\""), "edit form in London time");
    assert!(page.contains("Europe/London"));
    let shanghai = app.login("province1").await;
    let (_, page) = app.get(&shanghai, &format!("/cases/{id}")).await;
    assert!(page.contains("2025-04-01 06:00"), "{page}");
    assert!(!page.contains("2025-03-31 23:00"));
    let (_, list) = app.get(&shanghai, "/cases?unit=SCH1&from=2025-04-01&to=2025-04-01").await;
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
        .get(&london, "/cases/analysis?unit=SCH1&from=2025-04-01&to=2025-04-01")
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
        assert!(m[0].1.contains("published the case briefing of"), "{:?}", m[0]);
        assert!(m[0].1.contains("2025-02"));
        assert_eq!(m[0].2.as_deref(), Some(format!("/cases/briefings/{id}").as_str()));
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
    assert!(page.contains("Typical cases") || page.contains("typical"), "{page}");
}

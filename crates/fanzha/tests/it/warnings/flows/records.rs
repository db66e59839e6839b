//! The appraisal without data and what a student and the counselor read on the record.

use super::*;

/// Someone without warnings in the period has no on-time figure (shown "—", left out of the
/// score's average); the unit table has one name column; the default period is filled in.
#[tokio::test]
pub(super) async fn the_appraisal_treats_no_warnings_as_no_data_and_shows_its_period() {
    let app = spawn_seeded().await;
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let tc = app.token("counselor1", &[Scope::WarningsWrite]).await;
    app.state.clock.advance_ms(2 * MIN);
    let r = post_json_key(
        &app,
        &tc,
        &format!("/api/v1/warnings/{id}/contact"),
        json!({"method": "in_person"}),
        None,
    )
    .await;
    assert!(r.status().is_success());
    let ta = app.token("admin1", &[Scope::WarningsRead]).await;
    let a: Value = app
        .api_get(&ta, "/api/v1/warnings/appraisal?unit=SCH1")
        .await
        .json()
        .await
        .unwrap();
    let person = |name: &str| {
        a["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {a}"))
            .clone()
    };
    let chen = person("陈老师");
    assert_eq!(chen["warnings"], 1);
    assert_eq!(chen["ack_in_time_share"], 1.0);
    let lin = person("林老师");
    assert_eq!(lin["warnings"], 0);
    assert!(lin["ack_in_time_share"].is_null(), "{lin}");
    assert!(lin["contact_in_time_share"].is_null(), "{lin}");
    // Lin's score is the average of the components there is data for: victims and campaigns.
    let w = &a["weights"];
    let (wv, wc) = (
        w["victims"].as_f64().unwrap(),
        w["campaigns"].as_f64().unwrap(),
    );
    let victims = lin["victims"].as_f64().unwrap();
    let cov = lin["campaign_coverage"].as_f64().unwrap();
    let want = ((wv / (1.0 + victims) + wc * cov) / (wv + wc) * 1000.0).round() / 10.0;
    assert_eq!(lin["score"].as_f64().unwrap(), want, "{lin} {w}");
    assert!(want > 0.0);
    // The page: "—" for Lin, the period filled in and shown, one name column for units.
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, "/warnings/appraisal").await;
    assert_eq!(s, StatusCode::OK);
    let lin_row = page
        .split("<tr>")
        .find(|r| r.starts_with("<td") && r.contains("林老师"))
        .expect("Lin's row");
    assert_eq!(lin_row.matches("\">—</td>").count(), 4, "{lin_row}");
    let today = chrono_day(app.state.clock.now_ms());
    let month_ago = chrono_day(app.state.clock.now_ms() - 30 * 86_400_000);
    assert!(
        page.contains(&format!("name=\"from\" value=\"{month_ago}\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!("name=\"to\" value=\"{today}\"")),
        "{page}"
    );
    let period = page.split("id=\"appraisal-period\">").nth(1).unwrap();
    let period = period.split("</p>").next().unwrap();
    assert!(
        period.contains(&today) && period.contains(&month_ago),
        "{period}"
    );
    let tables: Vec<&str> = page.split("<table").skip(1).collect();
    assert_eq!(tables.len(), 2);
    let heads = |t: &str| t.split("</thead>").next().unwrap().matches("<th>").count();
    assert_eq!(heads(tables[0]), heads(tables[1]) + 1);
    // The CSV leaves Lin's shares empty, not 0.
    let csv = c
        .get(app.url("/warnings/appraisal.csv?unit=SCH1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = csv.lines().find(|l| l.contains("林老师")).unwrap();
    assert!(line.contains(",0,,,"), "{line}");
}

/// A day in Shanghai time, as the pages show it.
pub(super) fn chrono_day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
pub(super) async fn a_student_reads_their_own_warnings_and_the_counselor_sees_the_history_on_the_record(
) {
    let app = spawn_seeded().await;
    let t = police_token(&app).await;
    // Two warnings about 张三 (the first closed as dissuaded), one about 李四.
    let first = issue_zhangsan(&app, "medium").await["id"].as_i64().unwrap();
    let c = app.login("counselor1").await;
    let csrf = app.page_csrf(&c).await;
    for (path, form) in [
        ("acknowledge", vec![("csrf", csrf.as_str())]),
        (
            "contact",
            vec![
                ("csrf", csrf.as_str()),
                ("method", "phone"),
                ("at", ""),
                ("notes", "已电话提醒"),
            ],
        ),
    ] {
        let r = c
            .post(app.url(&format!("/warnings/{first}/{path}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    }
    let ct = app
        .token("counselor1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = post_json_key(
        &app,
        &ct,
        &format!("/api/v1/warnings/{first}/outcome"),
        json!({"outcome": "dissuaded"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    app.state.clock.advance_ms(MIN);
    let second = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let r = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        warning("138-0000-1112", "low"),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let lisi = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    // The student's menu leads to their warnings; the page lists theirs and no one else's.
    let s = app.login("student1").await;
    let (st, home) = app.get(&s, "/").await;
    assert_eq!(st, StatusCode::OK);
    assert!(home.contains("href=\"/warnings\""), "{home}");
    let (st, page) = app.get(&s, "/warnings").await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains(&format!("id=\"warning-{first}\"")), "{page}");
    assert!(page.contains(&format!("id=\"warning-{second}\"")), "{page}");
    assert!(!page.contains(&format!("id=\"warning-{lisi}\"")), "{page}");
    let (st, _) = app.get(&s, &format!("/warnings/{second}")).await;
    assert_eq!(st, StatusCode::OK);
    // The student sees that they were contacted, not the counselor's notes about them.
    let (st, detail) = app.get(&s, &format!("/warnings/{first}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(detail.contains("id=\"timeline\""), "{detail}");
    // The student is told what to do, in words, with the one-click report and the hotline.
    assert!(detail.contains("id=\"what-to-do\""), "{detail}");
    assert!(detail.contains("你现在该做什么"), "{detail}");
    assert!(detail.contains("href=\"/reports/new\""), "{detail}");
    assert!(detail.contains("tel:96110"), "{detail}");
    assert!(
        !detail.contains("已电话提醒"),
        "staff notes shown to the student"
    );
    let (_, staff_view) = app.get(&c, &format!("/warnings/{first}")).await;
    assert!(
        staff_view.contains("已电话提醒"),
        "the counselor sees their notes"
    );
    assert!(!staff_view.contains("id=\"what-to-do\""), "{staff_view}");
    let (st, _) = app.get(&s, &format!("/warnings/{lisi}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Another student sees the link and none of these.
    let s2 = app.login("student2").await;
    let (_, home) = app.get(&s2, "/").await;
    assert!(home.contains("href=\"/warnings\""));
    let (st, page) = app.get(&s2, "/warnings").await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("id=\"warn-empty\""), "{page}");
    let (st, _) = app.get(&s2, &format!("/warnings/{first}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // 张三 files a report; 李四 none.
    let rt = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let r = post_json_key(
        &app,
        &rt,
        "/api/v1/reports",
        json!({"idempotency_key": "k-1", "fraud_type": "impersonate_police",
               "call": {"number": "170 8888 6666", "time": START_MS - 30 * MIN, "duration_seconds": 300},
               "description": "冒充公安说我涉嫌洗钱"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // 张三 checks a number on the check page.
    let scsrf = app.page_csrf(&s).await;
    let r = s
        .post(app.url("/check"))
        .form(&[("csrf", scsrf.as_str()), ("q", "17088886666")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM risk_checks").await, 1);

    // The counselor's view of the record: the warnings in people's words, newest first.
    let zs = app.fx.student("2023010101");
    let reads = app.audit("person.view").await.len();
    let (st, rec) = app.get(&c, &format!("/org/student/{zs}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(app.audit("person.view").await.len(), reads + 1);
    let list = between(&rec, "id=\"history-warnings\">", "</ul>").expect("history");
    let fake_loan = fanzha::warnings::model::parse_fraud_type("fake_loan")
        .unwrap()
        .name_zh();
    // The two police warnings and the follow-up the report opened.
    assert_eq!(list.matches("<li>").count(), 3, "{list}");
    assert_eq!(list.matches(fake_loan).count(), 2, "{list}");
    let (a, b) = (
        list.find(&format!("/warnings/{second}\"")).unwrap(),
        list.find(&format!("/warnings/{first}\"")).unwrap(),
    );
    assert!(a < b, "newest first: {list}");
    assert!(list.contains("劝阻成功"), "{list}");
    assert!(list.contains("待签收"), "{list}");
    for raw in ["fake_loan", "dissuaded", "closed", "open"] {
        assert!(!list.contains(&format!(" {raw}")), "{raw} in {list}");
    }
    let reports = between(&rec, "id=\"history-reports\">", "</ul>").expect("reports");
    assert_eq!(reports.matches("<li>").count(), 1, "{reports}");
    let status: String = sqlx::query_scalar("SELECT status FROM reports")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let zh = fanzha::web::i18n::Lang::ZhCn;
    assert!(
        reports.contains(&fanzha::web::layout::fraud_type_name(
            zh,
            "impersonate_police"
        )) && reports.contains(&zh.t(&format!("reports-status-{status}"))),
        "{reports}"
    );
    assert!(!reports.contains("impersonate_police") && !reports.contains("FZ-"));
    let checks = between(&rec, "id=\"history-checks\">", "</ul>").expect("checks");
    assert_eq!(checks.matches("<li>").count(), 1, "{checks}");
    let level: String = sqlx::query_scalar("SELECT level FROM risk_checks")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(
        checks.contains(&zh.t(&format!("check-level-{level}"))),
        "{checks}"
    );
    assert!(
        !checks.contains("17088886666"),
        "what was checked stays the student's"
    );
    assert!(rec.contains("id=\"history-campaigns-empty\""));
    // 李四's record has only theirs; another school's counselor gets 404 and nothing.
    let (_, rec) = app
        .get(
            &c,
            &format!("/org/student/{}", app.fx.student("2023010102")),
        )
        .await;
    let list = between(&rec, "id=\"history-warnings\">", "</ul>").expect("history");
    assert_eq!(list.matches("<li>").count(), 1, "{list}");
    assert!(rec.contains("id=\"history-reports-empty\""));
    assert!(rec.contains("id=\"history-checks-empty\""));
    let c4 = app.login("counselor4").await;
    let (st, rec) = app.get(&c4, &format!("/org/student/{zs}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(!rec.contains("history-warnings") && !rec.contains("张三"));
}

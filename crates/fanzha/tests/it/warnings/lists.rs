//! The warning overview's long list: pages, and the CSV / .xlsx export of everything the filter
//! keeps (all pages), in words; refused to roles without warnings.

use std::io::Cursor;

use crate::common::*;
use calamine::{Reader, Xlsx};
use fanzha::auth::model::Scope;
use fanzha::web::context::urlencode;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_overview_pages_and_exports_every_warning_of_the_filter() {
    let app = spawn_seeded().await;
    let t = app
        .token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    for (i, phone) in ["138-0000-1111", "138-0000-1112"]
        .iter()
        .cycle()
        .take(70)
        .enumerate()
    {
        let r = client()
            .post(app.url("/api/v1/warnings"))
            .bearer_auth(&t)
            .json(&json!({"phone": phone, "fraud_type": "fake_loan", "severity": if i % 2 == 0 { "high" } else { "low" },
                          "detail": format!("第 {i} 次来电"), "source": "96110"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap()
        );
    }
    let admin = app.login("admin1").await;
    let (s, p1) = app.get(&admin, "/warnings/overview").await;
    assert_eq!(s, StatusCode::OK);
    assert!(p1.contains("共 70 条预警"), "total shown");
    let table = |h: &str| {
        between(h, "<table id=\"warnings\" class=\"fz-cards\">", "</table>")
            .unwrap_or_default()
            .matches("<tr><td>")
            .count()
    };
    assert_eq!(table(&p1), 50);
    assert!(p1.contains("id=\"warnings-next\""));
    let (_, p2) = app
        .get(&admin, "/warnings/overview?status=&unit=&from=&to=&page=2")
        .await;
    assert_eq!(table(&p2), 20);
    let (s, _) = app.get(&admin, "/warnings/overview?page=0").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Export: all 70, in words (severity and type names, not keys), audited as an export.
    let r = admin
        .get(app.url("/warnings/export.csv?status=&unit=&from=&to="))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 71);
    assert!(
        !csv.contains("fake_loan") && !csv.contains(",high,"),
        "{csv}"
    );
    let r = admin
        .get(app.url("/warnings/export.xlsx?status=open"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    let n = wb.worksheet_range_at(0).unwrap().unwrap().rows().count();
    assert!(n > 1 && n <= 71, "{n}");
    assert!(!app.audit("person.export").await.is_empty());
    // A bad status is a clear 400; a student has no export.
    let r = admin
        .get(app.url("/warnings/export.csv?status=bogus"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let student = app.login("student1").await;
    let r = student
        .get(app.url("/warnings/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Another school's admin exports none of these.
    let other = app.login("admin2").await;
    let r = other
        .get(app.url("/warnings/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap().lines().count(), 1);
}

#[tokio::test]
async fn the_overview_searches_by_name_number_and_phone_and_picks_units_by_name() {
    let app = spawn_seeded().await;
    let t = app
        .token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let mut ids = vec![];
    for phone in ["13800001111", "13800001112", "13800001112"] {
        let r = client()
            .post(app.url("/api/v1/warnings"))
            .bearer_auth(&t)
            .json(
                &json!({"phone": phone, "fraud_type": "fake_loan", "severity": "high",
                          "detail": "来电", "source": "96110"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        ids.push(json_of(r).await.1["id"].as_i64().unwrap());
    }
    let admin = app.login("admin1").await;
    let rows = |h: &str| {
        between(h, "<table id=\"warnings\" class=\"fz-cards\">", "</table>")
            .unwrap_or_default()
            .matches("<tr><td>")
            .count()
    };
    // The student's name (part of it), number, a part of a phone, a warning's number.
    for (q, n) in [
        ("张", 1),
        ("2023010101", 1),
        ("00001112", 2),
        (ids[1].to_string().as_str(), 1),
        (format!("#{}", ids[2]).as_str(), 1),
        ("无此人", 0),
    ] {
        let (s, page) = app
            .get(&admin, &format!("/warnings/overview?q={}", urlencode(q)))
            .await;
        assert_eq!(s, StatusCode::OK, "{q}");
        assert_eq!(rows(&page), n, "search {q}");
        assert!(page.contains(&format!("共 {n} 条预警")), "total for {q}");
    }
    // The export keeps the search.
    let csv = admin
        .get(app.url("/warnings/export.csv?q=00001112"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    // The unit is picked from the tree by name, not typed as a code.
    let (_, page) = app.get(&admin, "/warnings/overview").await;
    assert!(page.contains("id=\"overview-unit\"") && page.contains("data-picker-select"));
    assert!(!page.contains("单位代码"), "no typed unit code");
    // Too long a search is a clear 400 and reads nothing.
    let long = "字".repeat(101);
    let (s, page) = app
        .get(
            &admin,
            &format!("/warnings/overview?q={}", urlencode(&long)),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("搜索内容过长"), "{page}");
    // The API takes the same search; a student is refused.
    let r = client()
        .get(app.url("/api/v1/warnings?q=00001112"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let student = app.login("student1").await;
    let (s, _) = app.get(&student, "/warnings/overview?q=张").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_issue_form_picks_the_school_by_name_and_a_pick_issues_there() {
    let app = spawn_seeded().await;
    let police = app.login("police1").await;
    let (s, page) = app.get(&police, "/warnings/issue").await;
    assert_eq!(s, StatusCode::OK);
    let picker = between(&page, "id=\"issue-school\"", "</select>").unwrap();
    assert!(
        picker.contains("第一大学") && picker.contains("value=\"SCH1\""),
        "{picker}"
    );
    assert!(
        !picker.contains("计科2301"),
        "only schools are offered: {picker}"
    );
    assert!(
        !page.contains("<input name=\"school_code\""),
        "no code to type"
    );
    let csrf = form_csrf(&page);
    let r = police
        .post(app.url("/warnings/issue"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("phone", ""),
            ("student_no", "2023010102"),
            ("school_code", "SCH1"),
            ("fraud_type", "fake_loan"),
            ("severity", "high"),
            ("detail", "来电"),
            ("source", "96110"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let admin = app.login("admin1").await;
    let (_, overview) = app.get(&admin, "/warnings/overview?q=2023010102").await;
    assert!(
        overview.contains("李四"),
        "issued to the picked school's student"
    );
}

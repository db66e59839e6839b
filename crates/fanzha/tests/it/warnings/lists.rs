//! The warning overview's long list: pages, and the CSV / .xlsx export of everything the filter
//! keeps (all pages), in words; refused to roles without warnings.

use std::io::Cursor;

use crate::common::*;
use calamine::{Reader, Xlsx};
use fanzha::auth::model::Scope;
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
        between(h, "<table id=\"warnings\">", "</table>")
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

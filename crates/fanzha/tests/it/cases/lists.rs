//! The case list taken elsewhere: CSV and .xlsx export of every case of a unit and period, in
//! words, audited; refused outside the caller's scope and to roles without cases.

use std::io::Cursor;

use crate::common::*;
use calamine::{Reader, Xlsx};
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_school_exports_its_cases_in_words() {
    let app = spawn_seeded().await;
    let t = app
        .token("police1", &[Scope::CasesRead, Scope::CasesWrite])
        .await;
    for (student, when) in [
        ("2023010101", "2025-02-14 21:30"),
        ("2023010102", "2025-02-15 10:00"),
        ("2023020101", "2025-02-16 09:15"),
    ] {
        let r = client()
            .post(app.url("/api/v1/cases"))
            .bearer_auth(&t)
            .json(&json!({
                "unit": "SCH1", "student_no": student, "fraud_type": "rebate_task", "channel": "qq",
                "occurred_at": when, "amount_lost": "1200.50", "status": "open",
                "narrative": "受害人在QQ群看到刷单广告,垫付后无法提现。", "indicators": []
            }))
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
    let (_, page) = app
        .get(&admin, "/cases?unit=SCH1&from=2025-01-01&to=2025-02-28")
        .await;
    assert!(page.contains("id=\"cases-csv\""));
    let r = admin
        .get(app.url("/cases/export.csv?unit=SCH1&from=2025-01-01&to=2025-02-28"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(
        csv.contains("刷单返利") && !csv.contains("rebate_task") && !csv.contains(",qq,"),
        "{csv}"
    );
    let r = admin
        .get(app.url("/cases/export.xlsx?unit=SCH1&from=2025-02-15&to=2025-02-28"))
        .send()
        .await
        .unwrap();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(wb.worksheet_range_at(0).unwrap().unwrap().rows().count(), 3);
    assert!(!app.audit("person.export").await.is_empty());
    // A bad date is a clear 422; another school and a counselor get nothing.
    let r = admin
        .get(app.url("/cases/export.csv?unit=SCH1&from=yesterday"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let other = app.login("admin2").await;
    let r = other
        .get(app.url("/cases/export.csv?unit=SCH1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let counselor = app.login("counselor1").await;
    let r = counselor
        .get(app.url("/cases/export.csv?unit=SCH1"))
        .send()
        .await
        .unwrap();
    assert!(matches!(
        r.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
}

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

#[tokio::test]
async fn the_case_list_filters_by_type_status_and_words_and_pages() {
    let app = spawn_seeded().await;
    let t = app
        .token("police1", &[Scope::CasesRead, Scope::CasesWrite])
        .await;
    let cases = [
        ("2023010101", "rebate_task", "open", "在QQ群看到刷单广告"),
        (
            "2023010102",
            "fake_loan",
            "solved",
            "网贷平台要求先交保证金",
        ),
        ("2023020101", "fake_loan", "open", "自称客服要求注销校园贷"),
    ];
    for (student, ty, status, story) in cases {
        let r = client()
            .post(app.url("/api/v1/cases"))
            .bearer_auth(&t)
            .json(&json!({
                "unit": "SCH1", "student_no": student, "fraud_type": ty, "channel": "qq",
                "occurred_at": "2025-02-10 10:00", "amount_lost": "800", "status": status,
                "narrative": story, "indicators": []
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
    let rows = |h: &str| {
        between(h, "<tbody>", "</tbody>")
            .unwrap_or_default()
            .matches("<tr>")
            .count()
    };
    let base = "/cases?unit=SCH1&from=2025-01-01&to=2025-12-31";
    for (filter, n) in [
        ("", 3),
        ("&fraud_type=fake_loan", 2),
        ("&fraud_type=fake_loan&status=solved", 1),
        ("&q=%E4%BF%9D%E8%AF%81%E9%87%91", 1), // 保证金, in the narrative
        ("&q=%E5%BC%A0%E4%B8%89", 1),          // 张三, the victim's name
        ("&q=2023020101", 1),
        ("&q=%E6%97%A0%E6%AD%A4", 0),
    ] {
        let (s, page) = app.get(&admin, &format!("{base}{filter}")).await;
        assert_eq!(s, StatusCode::OK, "{filter}");
        assert_eq!(rows(&page), n, "{filter}");
    }
    // The filter form offers types and statuses in words and the unit by name.
    let (_, page) = app.get(&admin, base).await;
    assert!(page.contains("id=\"cases-unit\"") && page.contains("id=\"cases-search\""));
    assert!(
        page.contains("虚假贷款") || page.contains("贷"),
        "fraud types in words"
    );
    // The export keeps the filter.
    let csv =
        admin
            .get(app.url(
                "/cases/export.csv?unit=SCH1&from=2025-01-01&to=2025-12-31&fraud_type=fake_loan",
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    // The API too.
    let r = client()
        .get(app.url("/api/v1/cases?unit=SCH1&from=2025-01-01&to=2025-12-31&status=solved"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(r).await.1["total"], 1);
    // An unknown type or status is a clear 400 and reads nothing.
    for bad in ["&fraud_type=bogus", "&status=lost", "&fraud_type=normal"] {
        let (s, _) = app.get(&admin, &format!("{base}{bad}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = client()
        .get(app.url("/api/v1/cases?unit=SCH1&status=lost"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    let (s, code, _, _) = api_error(r).await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::BAD_REQUEST, "cases-err-status")
    );
    // A counselor has no case list.
    let counselor = app.login("counselor1").await;
    let (s, _) = app.get(&counselor, base).await;
    assert!(matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND));
}

//! The long list of reports: pages, status filter, search by reference or student name, and the
//! CSV / .xlsx export of the whole filtered list for staff (refused to students).

use std::io::Cursor;

use crate::common::*;
use calamine::{Reader, Xlsx};
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn file(app: &TestApp, token: &str, key: &str) -> String {
    let r = client()
        .post(app.url("/api/v1/reports"))
        .bearer_auth(token)
        .json(&json!({
            "idempotency_key": key,
            "call": {"number": "170 8888 6666", "time": START_MS - 1_800_000, "duration_seconds": 300},
            "description": "自称京东客服,要我下载会议软件共享屏幕"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    v["ref_no"].as_str().unwrap().to_string()
}

fn rows(html: &str) -> usize {
    between(html, "<table id=\"reports\"", "</table>")
        .unwrap_or_default()
        .matches("<tr>")
        .count()
}

#[tokio::test]
async fn staff_page_filter_search_and_export_the_reports_list() {
    let app = spawn_seeded().await;
    let rw = [Scope::ReportsRead, Scope::ReportsWrite];
    let t1 = app.token("student1", &rw).await;
    let t2 = app.token("student2", &rw).await;
    let mut refs = Vec::new();
    for i in 0..40 {
        refs.push(file(&app, &t1, &format!("a-{i}")).await);
        refs.push(file(&app, &t2, &format!("b-{i}")).await);
    }
    let admin = app.login("admin1").await;
    let (s, p1) = app.get(&admin, "/reports").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(rows(&p1), 50);
    assert!(p1.contains("共 80 条举报") && p1.contains("id=\"reports-next\""));
    let (_, p2) = app.get(&admin, "/reports?status=&q=&page=2").await;
    assert_eq!(rows(&p2), 30);
    assert!(p2.contains("id=\"reports-prev\""));
    // Search by reference number and by student name; filter by status.
    let (_, one) = app.get(&admin, &format!("/reports?q={}", refs[7])).await;
    assert_eq!(rows(&one), 1);
    let (_, zs) = app.get(&admin, "/reports?q=%E5%BC%A0%E4%B8%89").await;
    assert!(zs.contains("共 40 条举报"), "张三's reports");
    let (_, none) = app.get(&admin, "/reports?status=case_opened").await;
    assert!(none.contains("共 0 条举报"));
    let (s, body) = app.get(&admin, "/reports?status=bogus").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("未知的举报状态"));
    let (s, _) = app.get(&admin, "/reports?page=-1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The export holds the whole filtered list, in words, and is audited.
    let r = admin
        .get(app.url("/reports/export.csv?status=&q="))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 81);
    assert!(csv.contains("已受理") && !csv.contains(",new,"));
    let r = admin
        .get(app.url("/reports/export.xlsx?q=%E5%BC%A0%E4%B8%89"))
        .send()
        .await
        .unwrap();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(
        wb.worksheet_range_at(0).unwrap().unwrap().rows().count(),
        41
    );
    assert!(!app.audit("person.export").await.is_empty());
    // Another school's admin sees none of them; a student cannot export.
    let other = app.login("admin2").await;
    let (_, theirs) = app.get(&other, "/reports").await;
    assert!(theirs.contains("共 0 条举报"));
    let student = app.login("student1").await;
    let (_, mine) = app.get(&student, "/reports").await;
    assert!(mine.contains("共 40 条举报") && !mine.contains("id=\"reports-csv\""));
    let r = student
        .get(app.url("/reports/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

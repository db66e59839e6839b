//! Rosters in Excel: an .xlsx roster imports like a CSV (all or nothing, accounts as before),
//! identifier columns must be text (a number cell is refused with its line), the template and the
//! .xlsx export download, and the export re-imports unchanged.

use std::io::Cursor;

use crate::common::*;
use calamine::{Data, Reader, Xlsx};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use rust_xlsxwriter::{Format, Workbook};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn page_import(
    app: &TestApp,
    c: &Client,
    school: &str,
    file: Vec<u8>,
) -> (StatusCode, String) {
    let (status, html) = app.get(c, "/org/import").await;
    assert_eq!(status, StatusCode::OK, "import page");
    let form = Form::new()
        .text("csrf", meta_csrf(&html))
        .text("school", school.to_string())
        .text("kind", "students")
        .part(
            "file",
            Part::bytes(file)
                .file_name("名单.xlsx")
                .mime_str(XLSX)
                .unwrap(),
        );
    let r = c
        .post(app.url("/org/import"))
        .multipart(form)
        .send()
        .await
        .expect("POST /org/import");
    let s = r.status();
    (s, r.text().await.unwrap())
}

/// A cell value for the test workbook: text, or a number as Excel stores a typed number.
enum V<'a> {
    T(&'a str),
    N(f64),
}

fn workbook(rows: &[Vec<V<'_>>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let headers = [
        "学号",
        "姓名",
        "性别",
        "入学年份",
        "专业",
        "班级代码",
        "手机号",
        "邮箱",
        "状态",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let text = Format::new().set_num_format("@");
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = ((r + 1) as u32, c as u16);
            match v {
                V::T(s) => ws.write_string_with_format(r, c, *s, &text).unwrap(),
                V::N(n) => ws.write_number(r, c, *n).unwrap(),
            };
        }
    }
    wb.save_to_buffer().unwrap()
}

fn student(no: &str, name: &str, phone: &str) -> Vec<V<'static>> {
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    vec![
        V::T(leak(no)),
        V::T(leak(name)),
        V::T("女"),
        V::N(2024.0),
        V::T("法学"),
        V::T("CLS1A1"),
        V::T(leak(phone)),
        V::T(""),
        V::T("在读"),
    ]
}

fn sheet(bytes: &[u8]) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an xlsx file");
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

#[tokio::test]
async fn an_xlsx_roster_imports_with_its_leading_zeros_and_accounts() {
    let app = spawn_seeded().await;
    let admin = app.login("admin1").await;
    let before = app.count_students().await;
    let file = workbook(&[
        student("0024010101", "钱七", "13800002221"),
        student("0024010102", "孙八", "13800002222"),
    ]);
    let (s, html) = page_import(&app, &admin, "SCH1", file.clone()).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"import-summary\""), "{html}");
    assert_eq!(app.count_students().await, before + 2);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM students WHERE student_no IN ('0024010101', '0024010102') AND enrollment_year = 2024")
            .await,
        2
    );
    // Roster accounts follow the roster as with a CSV: created, not activated.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts a JOIN students s ON s.id = a.student_id WHERE s.student_no IN ('0024010101', '0024010102')")
            .await,
        2
    );
    // The same file again changes nothing.
    let (s, _) = page_import(&app, &admin, "SCH1", file).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.count_students().await, before + 2);
}

#[tokio::test]
async fn a_number_cell_in_an_identifier_column_refuses_the_file_with_its_line() {
    let app = spawn_seeded().await;
    let admin = app.login("admin1").await;
    let before = app.count_students().await;
    let mut typed = student("", "周九", "");
    typed[0] = V::N(24010103.0); // a student number typed as a number
    let mut phone = student("0024010104", "吴十", "");
    phone[6] = V::N(13800002224.0);
    let file = workbook(&[student("0024010101", "钱七", "13800002221"), typed, phone]);
    let (s, html) = page_import(&app, &admin, "SCH1", file).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"import-errors\""));
    assert!(
        html.contains("第 3 行") && html.contains("学号") && html.contains("数字单元格"),
        "{html}"
    );
    assert!(
        html.contains("第 4 行") && html.contains("手机号"),
        "{html}"
    );
    assert!(!html.contains("第 2 行"), "the good row is not blamed");
    // All or nothing: the good row was not imported either.
    assert_eq!(app.count_students().await, before);
    // A file that looks like a zip but is no workbook: a clear refusal, nothing changed.
    let (s, html) = page_import(&app, &admin, "SCH1", b"PK\x03\x04 not really".to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("不是可读取的 Excel 表格"), "{html}");
    assert_eq!(app.count_students().await, before);
    // Through the API too, with the line.
    let token = app
        .token("admin1", &[fanzha::auth::model::Scope::OrgWrite])
        .await;
    let mut typed = student("", "周九", "");
    typed[0] = V::N(24010103.0);
    let r = app
        .api_post(
            &token,
            "/api/v1/units/SCH1/roster?kind=students",
            workbook(&[typed]),
        )
        .await;
    let (s, _, _, details) = api_error(r).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        details
            .iter()
            .any(|d| d.contains("line 2") && d.contains("学号") && d.contains("number cell")),
        "{details:?}"
    );
    assert_eq!(app.count_students().await, before);
}

#[tokio::test]
async fn the_template_and_the_xlsx_export_download_and_reimport() {
    let app = spawn_seeded().await;
    let admin = app.login("admin1").await;
    let (_, page) = app.get(&admin, "/org/import").await;
    assert!(page.contains("href=\"/org/import/template.xlsx?kind=students\""));
    let r = admin
        .get(app.url("/org/import/template.xlsx?kind=students"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], XLSX);
    let rows = sheet(&r.bytes().await.unwrap());
    assert_eq!(rows[0][0], Data::String("学号".into()));
    assert_eq!(
        rows.len(),
        1,
        "headers only: nothing to delete before importing"
    );
    let r = admin
        .get(app.url("/org/import/template.xlsx?kind=staff"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        sheet(&r.bytes().await.unwrap())[0][0],
        Data::String("工号".into())
    );
    let r = admin
        .get(app.url("/org/import/template.xlsx?kind=nonsense"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // The export: identifiers are text cells; importing it back changes nothing.
    let r = admin
        .get(app.url("/org/unit/SCH1/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap().to_vec();
    let rows = sheet(&bytes);
    assert_eq!(rows.len(), 5, "header and four students");
    assert!(rows[1..].iter().all(|r| matches!(r[0], Data::String(_))));
    assert!(rows[1..]
        .iter()
        .any(|r| r[0] == Data::String("2023010101".into())));
    assert!(rows[1..]
        .iter()
        .any(|r| r[7] == Data::String("13800001111".into())));
    assert!(
        !app.audit("person.export").await.is_empty(),
        "the export is audited"
    );
    let before = app.count_students().await;
    let (s, html) = page_import(&app, &admin, "SCH1", bytes).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert_eq!(app.count_students().await, before);
}

#[tokio::test]
async fn a_counselor_gets_no_template_and_another_school_no_export() {
    let app = spawn_seeded().await;
    let counselor = app.login("counselor1").await;
    let r = counselor
        .get(app.url("/org/import/template.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let other = app.login("admin2").await;
    let r = other
        .get(app.url("/org/unit/SCH1/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert!(matches!(
        r.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    // A counselor's upload is refused and changes nothing.
    let before = app.count_students().await;
    let (s, _) = app.get(&counselor, "/org/import").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(app.count_students().await, before);
}

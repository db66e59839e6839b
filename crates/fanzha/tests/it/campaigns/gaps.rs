//! The gap finder's long list: every person, page by page (no cap), search, CSV and .xlsx export of
//! the whole filtered list, and "remind these people" (inbox, once a day, audited, refused to roles
//! that do not reach students).

use std::io::Cursor;

use crate::common::*;
use calamine::{Reader, Xlsx};
use fanzha::org::roster::RosterKind;
use reqwest::StatusCode;

const DIGITS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// Adds `n` students to class CLS1A1 through the roster import.
async fn many_students(app: &TestApp, n: usize) {
    let mut csv = String::from("学号,姓名,性别,入学年份,专业,班级代码,手机号,邮箱,状态\n");
    for i in 0..n {
        let name = format!(
            "钱{}{}{}",
            DIGITS[i / 100 % 10],
            DIGITS[i / 10 % 10],
            DIGITS[i % 10]
        );
        csv.push_str(&format!("2024{i:06},{name},男,2024,法学,CLS1A1,,,在读\n"));
    }
    let school = app.fx.unit("SCH1").clone();
    fanzha::org::service::import_roster(
        &app.state.db,
        &app.state.clock,
        &school,
        csv.as_bytes(),
        Some(RosterKind::Students),
    )
    .await
    .expect("roster");
}

async fn form(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let csrf = app.page_csrf(c).await;
    let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(fields);
    let r = c.post(app.url(path)).form(&f).send().await.unwrap();
    let loc = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (r.status(), r.text().await.unwrap(), loc)
}

fn rows_of(html: &str) -> usize {
    let t = between(html, "id=\"never-reached\"", "</table>").unwrap_or_default();
    t.matches("<tr><td").count()
}

#[tokio::test]
async fn the_gap_list_pages_through_everyone_and_exports_all_of_it() {
    let app = spawn_seeded().await;
    many_students(&app, 620).await;
    let counselor = app.login("counselor1").await;
    // CLS1A1 had two students; 620 more, none reached: 622, beyond the old 500 cap.
    let (s, p1) = app
        .get(&counselor, "/campaigns/gaps?unit=CLS1A1&days=30")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(p1.contains("id=\"never-reached-total\">622<"), "{p1}");
    assert_eq!(rows_of(&p1), 50);
    assert!(p1.contains("id=\"gap-next\"") && !p1.contains("id=\"gap-prev\""));
    let (_, last) = app
        .get(&counselor, "/campaigns/gaps?unit=CLS1A1&days=30&q=&page=13")
        .await;
    assert_eq!(rows_of(&last), 22);
    assert!(last.contains("id=\"gap-prev\"") && !last.contains("id=\"gap-next\""));
    assert!(
        last.contains("第 13 / 13 页"),
        "{}",
        between(&last, "gap-pages", "</nav>").unwrap_or_default()
    );
    // Search by name or number.
    let (_, one) = app
        .get(
            &counselor,
            "/campaigns/gaps?unit=CLS1A1&days=30&q=2024000619",
        )
        .await;
    assert!(one.contains("id=\"never-reached-total\">1<"));
    assert_eq!(rows_of(&one), 1);
    // Bad paging: a clear 400, in words.
    let (s, body) = app
        .get(&counselor, "/campaigns/gaps?unit=CLS1A1&days=30&page=0")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("分页参数不正确"), "{body}");

    // The export holds the whole filtered list, not one page.
    let r = counselor
        .get(app.url("/campaigns/gaps/export.csv?unit=CLS1A1&days=30&q="))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 1 + 622);
    assert!(csv.contains("2024000619"));
    let r = counselor
        .get(app.url("/campaigns/gaps/export.xlsx?unit=CLS1A1&days=30&q=钱"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.rows().count(), 1 + 620, "钱 matches the 620 added");
    assert!(!app.audit("person.export").await.is_empty());
    // Another counselor's class is not theirs: not found, nothing exported.
    let r = counselor
        .get(app.url("/campaigns/gaps/export.csv?unit=CLS1B1&days=30"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // No unit picked: a clear 400 that says so.
    let (s, body) = app
        .get(&counselor, "/campaigns/gaps/export.csv?days=30")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("请先选择要导出缺口名单的单位"), "{body}");
}

#[tokio::test]
async fn remind_these_people_tells_each_once_a_day_and_is_refused_to_police() {
    let app = spawn_seeded().await;
    many_students(&app, 60).await;
    let reminders = "SELECT COUNT(*) FROM inbox_messages WHERE kind = 'reminder'";
    // Police see the gaps of their jurisdiction but do not message students.
    let police = app.login("police1").await;
    let (s, page) = app.get(&police, "/campaigns/gaps?unit=SCH1&days=30").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains("id=\"remind-form\""));
    let (s, _, _) = form(
        &app,
        &police,
        "/campaigns/gaps/remind",
        &[("unit", "SCH1"), ("days", "30"), ("q", "")],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(app.scalar(reminders).await, 0);

    let counselor = app.login("counselor1").await;
    // Bad input: nothing sent.
    let (s, _, _) = form(
        &app,
        &counselor,
        "/campaigns/gaps/remind",
        &[("unit", "CLS1A1"), ("days", "lots"), ("q", "")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = form(
        &app,
        &counselor,
        "/campaigns/gaps/remind",
        &[("unit", "CLS1B1"), ("days", "30"), ("q", "")],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another counselor's class");
    assert_eq!(app.scalar(reminders).await, 0);

    // A filtered reminder tells only the people the filter keeps.
    let (s, _, _) = form(
        &app,
        &counselor,
        "/campaigns/gaps/remind",
        &[("unit", "CLS1A1"), ("days", "30"), ("q", "张")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar(reminders).await, 1);
    // Everyone on the list (all pages): 62 on the list, 61 told now, 张三 already was today.
    let (s, _, loc) = form(
        &app,
        &counselor,
        "/campaigns/gaps/remind",
        &[("unit", "CLS1A1"), ("days", "30"), ("q", "")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(app.scalar(reminders).await, 62);
    let (_, page) = app.get(&counselor, &loc.unwrap()).await;
    assert!(page.contains("id=\"remind-done\""));
    assert!(page.contains("名单共 62 人;本次提醒 61 人"), "{page}");
    // The student sees it in their inbox.
    let student = app.login("student1").await;
    let (_, inbox) = app.get(&student, "/inbox").await;
    assert!(inbox.contains("请阅读反诈宣传"));
    assert_eq!(app.audit("campaign.gaps.remind").await.len(), 2);
    // The next day they may be reminded again.
    app.state.clock.advance_ms(86_400_000);
    let counselor = app.login("counselor1").await;
    form(
        &app,
        &counselor,
        "/campaigns/gaps/remind",
        &[("unit", "CLS1A1"), ("days", "30"), ("q", "")],
    )
    .await;
    assert_eq!(app.scalar(reminders).await, 124);
}

#[tokio::test]
async fn two_staff_reminding_at_once_tell_each_person_once() {
    let app = spawn_seeded().await;
    many_students(&app, 30).await;
    let a = app.login("counselor1").await;
    let b = app.login("admin1").await;
    let (ra, rb) = tokio::join!(
        form(
            &app,
            &a,
            "/campaigns/gaps/remind",
            &[("unit", "CLS1A1"), ("days", "30"), ("q", "")]
        ),
        form(
            &app,
            &b,
            "/campaigns/gaps/remind",
            &[("unit", "CLS1A1"), ("days", "30"), ("q", "")]
        ),
    );
    assert_eq!(ra.0, StatusCode::SEE_OTHER);
    assert_eq!(rb.0, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM inbox_messages WHERE kind = 'reminder'")
            .await,
        32
    );
}

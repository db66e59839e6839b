//! The volunteers module: tasks and claims, concurrency of slots, check-in and review, the points
//! ledger, hours and certificates, calls for works and the shared library, teams, adjustments and
//! period leaderboards, and the browser journey.

mod boards;
mod browser;
mod calls;
mod checkin_review;
mod claims;
mod concurrency;
mod drafts;
mod hours;
mod ledger;
mod library;
mod photos;
mod teams;
mod totals;

use crate::common::*;
use fanzha::auth::model::{Grant, Principal, Role, Scope, Via};
use serde_json::{json, Value};

pub const SCOPES: &[Scope] = &[Scope::VolunteersRead, Scope::VolunteersWrite];

/// A token of `user` with the volunteer scopes.
pub async fn tok(app: &TestApp, user: &str) -> String {
    app.token(user, SCOPES).await
}

/// Registers `user` as a volunteer through the API.
pub async fn join(app: &TestApp, user: &str) -> String {
    let t = tok(app, user).await;
    let (s, v) = post_json_read(
        app,
        &t,
        "/api/v1/volunteers/register",
        json!({"contact": "inbox", "consent": true}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    t
}

/// A task body starting `start_in` ms from now, `minutes` long.
pub fn task_body(app: &TestApp, slots: i64, start_in: i64, minutes: i64, proof: &str) -> Value {
    let now = app.state.clock.now_ms();
    json!({
        "title": "食堂门口反诈宣传", "description": "发放传单,讲解刷单返利骗局", "place": "一食堂门口",
        "starts_at": now + start_in, "ends_at": now + start_in + minutes * 60_000,
        "slots": slots, "points": 10, "proof": proof, "targets": []
    })
}

/// Publishes a task as `token`, returning its id.
/// Claims task `id` as the holder of `token`: accepted (201).
pub async fn claim_task(app: &TestApp, token: &str, id: i64) {
    let (s, v) = post_json_read(
        app,
        token,
        &format!("/api/v1/volunteers/tasks/{id}/claim"),
        json!({}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
}

/// A task published by `publisher` (three slots, an hour from now, an hour long, asking for
/// `proof`) and claimed by `volunteer`: its id.
pub async fn claimed_task(app: &TestApp, publisher: &str, volunteer: &str, proof: &str) -> i64 {
    let id = publish(app, publisher, task_body(app, 3, 3_600_000, 60, proof)).await;
    claim_task(app, volunteer, id).await;
    id
}

/// A review of claim `claim` by the holder of `token` (`{"decision": …, "reason": …}`).
pub async fn review(app: &TestApp, token: &str, claim: i64, body: Value) -> reqwest::Response {
    post_json(
        app,
        token,
        &format!("/api/v1/volunteers/claims/{claim}/review"),
        body,
    )
    .await
}

pub async fn publish(app: &TestApp, token: &str, body: Value) -> i64 {
    let (s, v) = post_json_read(app, token, "/api/v1/volunteers/tasks", body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().expect("id")
}

/// `n` extra students of SCH1 (class CLS1A1) with accounts, registered as volunteers; returns a
/// principal per person for calling the service directly.
pub async fn many_volunteers(app: &TestApp, n: usize, tag: &str) -> Vec<Principal> {
    let db = &app.state.db;
    let school = app.fx.unit("SCH1").id;
    let class = app.fx.unit("CLS1A1").id;
    let mut out = Vec::new();
    for i in 0..n {
        let no = format!("9{tag}{i:05}");
        let sid: i64 = sqlx::query_scalar(
            "INSERT INTO students (school_id, class_id, student_no, name, gender, enrollment_year, major, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, '女', 2024, '法学', '在读', 0, 0) RETURNING id",
        )
        .bind(school).bind(class).bind(&no).bind(format!("同学{i}"))
        .fetch_one(&db.pool).await.expect("student");
        let aid: fanzha::kernel::ids::AccountId = sqlx::query_scalar(
            "INSERT INTO accounts (username, display_name, password_hash, student_id, locale, time_zone, failed_logins, disabled, created_at, password_changed_at) \
             VALUES ($1, $2, '', $3, 'zh-CN', 'Asia/Shanghai', 0, 0, 0, 0) RETURNING id",
        )
        .bind(&no).bind(format!("同学{i}")).bind(sid)
        .fetch_one(&db.pool).await.expect("account");
        let p = Principal {
            account_id: aid,
            username: no.clone(),
            display_name: no.clone(),
            student_id: Some(fanzha::kernel::ids::StudentId(sid)),
            staff_id: None,
            grants: vec![Grant {
                role: Role::Student,
                unit_id: school,
                unit_name: "第一大学".into(),
                unit_code: "SCH1".into(),
                unit_kind: "school".into(),
                scope_paths: vec![],
            }],
            via: Via::Token {
                token_id: 0,
                scopes: SCOPES.to_vec(),
            },
            time_zone: chrono_tz::Asia::Shanghai,
            locale: "zh-CN".into(),
            must_change_password: false,
        };
        fanzha::volunteers::service::register(&app.state.db, &app.state.clock, &p, "inbox", true)
            .await
            .expect("register");
        out.push(p);
    }
    out
}

/// One count from SQL.
pub async fn count(app: &TestApp, sql: &str, id: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .expect("count")
}

fn png_chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    c.extend_from_slice(&[0, 0, 0, 0]);
    c
}

/// A small PNG, with an author's name in a text chunk and an `eXIf` chunk when `metadata`.
pub fn png(metadata: bool) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend(png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
    if metadata {
        b.extend(png_chunk(b"tEXt", b"Author\0Zhang San"));
        b.extend(png_chunk(b"eXIf", b"MM\0*GPS 25.04N 102.71E"));
    }
    b.extend(png_chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]));
    b.extend(png_chunk(b"IEND", &[]));
    b
}

/// A small JPEG as a phone writes it: JFIF, then EXIF with the place it was taken, a comment,
/// a table and the scan.
pub fn jpeg_with_exif() -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let exif = b"Exif\0\0MM\0*GPS 25.04N 102.71E Phone X";
    b.extend_from_slice(&[0xFF, 0xE1, 0x00, (exif.len() + 2) as u8]);
    b.extend_from_slice(exif);
    b.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x09]);
    b.extend_from_slice(b"comment");
    b.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x04, 0x00, 0x01]);
    b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0x56, 0xFF, 0xD9]);
    b
}

//! Inbox notices of the reports module are written in the recipient's language (the account's
//! locale, zh-CN by default): stop-payment request to police, progress to the reporter, the
//! police reply, and the escalation to the station leader.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

const MIN: i64 = 60_000;

async fn titles(app: &TestApp, recipient: &str) -> Vec<(String, String)> {
    sqlx::query_as::<_, (String, String)>(
        "SELECT title, body FROM inbox_messages WHERE recipient = $1 ORDER BY id",
    )
    .bind(recipient)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
}

async fn set_locale(app: &TestApp, account: fanzha::kernel::ids::AccountId, locale: &str) {
    sqlx::query("UPDATE accounts SET locale = $1 WHERE id = $2")
        .bind(locale)
        .bind(account)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn notices_follow_the_recipients_language() {
    let app = spawn_seeded().await;
    let student = app.fx.account("student1");
    let police = app.fx.account("police1");
    // The student reads English; police1 keeps the default (zh-CN).
    set_locale(&app, student, "en").await;
    let s = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let r = post_json(
        &app,
        &s,
        "/api/v1/reports",
        json!({
            "idempotency_key": "n-1",
            "lost_money": true,
            "transaction": {"payment_type": "bank_card", "account": "6222020200112233446", "bank": "工商银行",
                            "amount_cents": 150_000, "time": START_MS - 10 * MIN},
            "description": "冒充公安说我涉嫌洗钱"
        }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let filed: Value = r.json().await.unwrap();
    let (id, sp, ref_no) = (
        filed["report_id"].as_i64().unwrap(),
        filed["stop_payment_id"].as_i64().unwrap(),
        filed["ref_no"].as_str().unwrap().to_string(),
    );
    // Police (zh-CN): the stop-payment request in Chinese.
    let pol = titles(&app, &format!("account:{police}")).await;
    assert!(
        pol.iter()
            .any(|(t, b)| *t == format!("紧急止付 {ref_no}") && b.contains("1500.00 元")),
        "{pol:?}"
    );
    // Police act and reply; the student (en) reads English.
    let p = app.token("police1", &Scope::ALL).await;
    let r = post_json(
        &app,
        &p,
        &format!("/api/v1/reports/stop-payments/{sp}/actions"),
        json!({"action": "frozen", "frozen_cents": 100_000}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = post_json(
        &app,
        &p,
        &format!("/api/v1/reports/{id}/triage"),
        json!({"decision": "reply", "text": "已冻结部分款项，请保持电话畅通。"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let stu = titles(&app, &format!("account:{student}")).await;
    assert!(
        stu.iter()
            .any(|(t, b)| *t == format!("Stop-payment update {ref_no}") && b == "¥1000.00 frozen."),
        "{stu:?}"
    );
    assert!(
        stu.iter()
            .any(|(t, b)| *t == format!("Police reply {ref_no}")
                && b == "已冻结部分款项，请保持电话畅通。"),
        "{stu:?}"
    );
    assert!(
        !stu.iter()
            .any(|(t, _)| t.contains("止付进展") || t.contains("警方回复")),
        "{stu:?}"
    );
    // Back to the default: the next notice is Chinese again.
    set_locale(&app, student, "zh-CN").await;
    let r = post_json(
        &app,
        &p,
        &format!("/api/v1/reports/stop-payments/{sp}/actions"),
        json!({"action": "failed", "reason": "资金已转出"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let stu = titles(&app, &format!("account:{student}")).await;
    assert!(
        stu.iter()
            .any(|(t, b)| *t == format!("止付进展 {ref_no}") && b == "止付未成功：资金已转出"),
        "{stu:?}"
    );
}

#[tokio::test]
async fn the_escalation_reaches_the_leader_in_their_language() {
    let app = spawn_seeded().await;
    let st = app.fx.unit("ST1").id;
    // A station leader with an English account.
    let staff: i64 = sqlx::query_scalar(
        "INSERT INTO staff (org_id, unit_id, staff_no, name, phone, email, title, created_at, updated_at) \
         VALUES ($1, $1, 'ST1-009', 'Leader', NULL, NULL, 'leader', 0, 0) RETURNING id",
    )
    .bind(st)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO responsibilities (unit_id, staff_id, duty, created_at) VALUES ($1, $2, 'station_leader', 0)")
        .bind(st)
        .bind(staff)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let police = app.fx.account("police1");
    sqlx::query("UPDATE accounts SET staff_id = $1, locale = 'en' WHERE id = $2")
        .bind(staff)
        .bind(police)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let s = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let filed: Value = post_json(
        &app,
        &s,
        "/api/v1/reports",
        json!({
            "idempotency_key": "n-2",
            "lost_money": true,
            "transaction": {"payment_type": "bank_card", "account": "6222020200112233446", "bank": "工商银行",
                            "amount_cents": 150_000, "time": START_MS - 10 * MIN},
            "description": "冒充公安"
        }),
    )
    .await
    .json()
    .await
    .unwrap();
    let sp = filed["stop_payment_id"].as_i64().unwrap();
    let mut tx = app.state.db.pool.begin().await.unwrap();
    assert!(
        fanzha::reports::service::escalate(&mut tx, &app.state.clock, sp)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let leader = titles(&app, &format!("staff:{staff}")).await;
    assert!(
        leader
            .iter()
            .any(|(t, b)| t.starts_with("Stop-payment request unanswered")
                && b.contains("no officer has acted")),
        "{leader:?}"
    );
}

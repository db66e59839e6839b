//! Reports and the stop-payment race: filing (happy path, idempotent retries, bad input that
//! stores nothing), sightings in the indicator store, the stop-payment request with police
//! actions and the escalation job (exactly once, also across a restart), triage, evidence images,
//! scope (counselor, police of another station, partner tokens), and the pages.

use crate::common::*;
use fanzha::auth::model::Scope;
use fanzha::reports::service::{create_loss_report, LossInput};
use fanzha::web::App;
use fanzha_detect::FraudType;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const MIN: i64 = 60_000;

fn rw() -> [Scope; 2] {
    [Scope::ReportsRead, Scope::ReportsWrite]
}

fn call_report(key: &str) -> Value {
    json!({
        "idempotency_key": key,
        "call": {"number": "170 8888 6666", "time": START_MS - 30 * MIN, "duration_seconds": 300},
        "sms": {"sender": "10690012", "content": "您的订单异常可办理退款，请加QQ 2847561039 并访问 http://jd-refund.top/claim", "time": START_MS - 40 * MIN},
        "description": "自称京东客服，要我下载会议软件共享屏幕"
    })
}

fn loss_report(key: &str) -> Value {
    json!({
        "idempotency_key": key,
        "lost_money": true,
        "transaction": {"payment_type": "bank_card", "account": "6222020200112233446", "bank": "工商银行",
                        "amount_cents": 2_000_000, "time": START_MS - 10 * MIN},
        "fraud_type": "impersonate_police",
        "description": "冒充公安说我涉嫌洗钱"
    })
}

async fn counts(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.scalar("SELECT COUNT(*) FROM reports").await,
        app.scalar("SELECT COUNT(*) FROM report_indicators").await,
        app.scalar("SELECT COUNT(*) FROM indicators").await,
        app.scalar("SELECT COUNT(*) FROM stop_payments").await,
    )
}

/// Makes a station leader for ST1 (staff record, duty, police account).
async fn station_leader(app: &TestApp) -> i64 {
    let st = app.fx.unit("ST1").id;
    let staff: i64 = sqlx::query_scalar(
        "INSERT INTO staff (org_id, unit_id, staff_no, name, phone, email, title, created_at, updated_at) \
         VALUES ($1, $1, 'ST1-001', '王所长', NULL, NULL, '所长', 0, 0) RETURNING id",
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
    staff
}

async fn inbox_count(app: &TestApp, recipient: &str, like: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM inbox_messages WHERE recipient = $1 AND title LIKE $2",
    )
    .bind(recipient)
    .bind(like)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
}

mod evidence;
mod pages;
mod stop_payment;
mod submit;
mod triage;

use evidence::*;

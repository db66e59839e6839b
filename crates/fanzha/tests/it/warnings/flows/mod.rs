//! Warnings: issuing (console, CSV batch, partner API with idempotency keys), matching and routing
//! down the chain, deadlines and escalation across a restart, the counselor's workflow, scope,
//! the identification queue, internal follow-ups, settings, figures and the appraisal.

use crate::common::*;
use fanzha::auth::model::Scope;
use fanzha::config::Config;
use fanzha::org::model::Duty;
use fanzha::web::App;
use reqwest::StatusCode;
use serde_json::{json, Value};

const MIN: i64 = 60_000;

async fn put_json(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    client()
        .put(app.url(path))
        .bearer_auth(token)
        .header("cookie", "fz_lang=en")
        .json(&body)
        .send()
        .await
        .expect("PUT")
}

fn warning(phone: &str, severity: &str) -> Value {
    json!({"phone": phone, "fraud_type": "fake_loan", "severity": severity,
           "detail": "正在与冒充网贷客服的人通话", "source": "96110"})
}

async fn police_token(app: &TestApp) -> String {
    app.token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await
}

/// Issues a warning about 张三 (CLS1A1, counselor T1001) and returns its JSON.
async fn issue_zhangsan(app: &TestApp, severity: &str) -> Value {
    let t = police_token(app).await;
    let r = post_json_key(
        app,
        &t,
        "/api/v1/warnings",
        warning("138-0000-1111", severity),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar(sql).await
}

async fn inbox_of_staff(app: &TestApp, staff_no: &str) -> i64 {
    let id = app.fx.staff[staff_no];
    count(app, &format!("SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'staff:{id}' AND kind = 'warning'")).await
}

mod appraisal;
mod counselor;
mod deadlines;
mod issuing;
mod notices;
mod records;
mod scope;

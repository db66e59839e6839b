//! Risk check and indicator intelligence: the store and its audited status changes, the check page
//! (happy path, bad input, who sees what), the API (contract, bad input, scopes, rate limit and
//! quota), the police console (roles, import all-or-nothing, STIX/MISP/CSV round trip), the review
//! queue, and the index refresh across two app instances on one database.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::*;
use fanzha::audit::Actor;
use fanzha::auth::model::Scope;
use fanzha::intel::service::{self, By};
use fanzha_detect::FraudType;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const SCAM: &str = "【京东客服】您的订单商品存在质量问题,可办理双倍赔付,请访问 http://jd-refund.top/claim 并加微信 tb_kefu888 办理退款";

fn police_by(app: &TestApp) -> By {
    By {
        actor: Actor {
            account_id: Some(app.fx.account("police1")),
            name: "police1".into(),
            ip: "test".into(),
            request_id: String::new(),
        },
        unit_path: app.fx.unit("ST1").path.clone(),
    }
}

/// Seeds indicators through the service functions other modules call.
async fn seed_indicators(app: &TestApp) {
    let st = &app.state;
    let mut tx = st.db.pool.begin().await.unwrap();
    for n in 0..3 {
        service::record_sighting(
            &mut tx,
            &st.clock,
            "wechat",
            "TB_kefu888",
            &[FraudType::ImpersonateCustomerService],
            &format!("report:{n}"),
        )
        .await
        .unwrap();
    }
    service::confirm(
        &mut tx,
        &st.clock,
        &police_by(app),
        "phone",
        "+86 170-8888-6666",
        &[FraudType::ImpersonatePolice],
        "case:1",
    )
    .await
    .unwrap();
    service::record_sighting(
        &mut tx,
        &st.clock,
        "domain",
        "quick-loan-cn.xyz",
        &[FraudType::FakeLoan],
        "report:9",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Amber: its sources are for police only.
    let id: i64 = app
        .scalar("SELECT id FROM indicators WHERE value = 'quick-loan-cn.xyz'")
        .await;
    let mut tx = st.db.pool.begin().await.unwrap();
    service::decide(
        &mut tx,
        &st.clock,
        &police_by(app),
        id,
        Some(fanzha::intel::model::Status::Suspected),
        Default::default(),
        Some(fanzha::intel::model::Tlp::Amber),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    st.intel.refresh(&st.db, &st.clock).await.unwrap();
}

async fn post_form(
    app: &TestApp,
    c: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let csrf = app.page_csrf(c).await;
    let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(form);
    let r = c.post(app.url(path)).form(&f).send().await.unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, loc, r.text().await.unwrap())
}

async fn risk(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    client()
        .post(app.url("/api/v1/risk/check"))
        .bearer_auth(token)
        .header("cookie", "fz_lang=en")
        .json(&body)
        .send()
        .await
        .unwrap()
}

mod api;
mod check_page;
mod console;
mod processes;
mod review;

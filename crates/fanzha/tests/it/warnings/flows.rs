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

#[tokio::test]
async fn a_police_warning_is_matched_by_phone_routed_to_the_counselor_and_told() {
    let app = spawn_seeded().await;
    let w = issue_zhangsan(&app, "high").await;
    assert_eq!(w["status"], "open");
    assert_eq!(w["student_id"], app.fx.student("2023010101"));
    assert_eq!(w["level"], 0);
    assert_eq!(w["assignee_staff_id"], app.fx.staff["T1001"]);
    assert_eq!(w["ack_due_at"], START_MS + 10 * MIN);
    assert_eq!(w["contact_due_at"], START_MS + 60 * MIN);
    assert_eq!(w["phone"], "13800001111");
    assert_eq!(inbox_of_staff(&app, "T1001").await, 1);
    assert_eq!(inbox_of_staff(&app, "T1003").await, 0);
    // The counselor sees it on their phone page with a countdown; the student's phone is a tel: link.
    let c = app.login("counselor1").await;
    let (s, page) = app.get(&c, "/warnings").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&format!("warning-{}", w["id"])), "{page}");
    assert!(page.contains("剩余 10 分钟"), "{page}");
    let (s, page) = app.get(&c, &format!("/warnings/{}", w["id"])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("tel:13800001111"));
    assert!(page.contains("id=\"ack\""));
    // Another counselor's page does not list it.
    let c3 = app.login("counselor3").await;
    let (_, page) = app.get(&c3, "/warnings").await;
    assert!(!page.contains(&format!("warning-{}", w["id"])));
    assert_eq!(app.audit("warning.issue").await.len(), 1);
}

#[tokio::test]
async fn bad_input_is_refused_with_reasons_and_nothing_is_written() {
    let app = spawn_seeded().await;
    let t = police_token(&app).await;
    let cases = [
        (
            json!({"student_no": "2099999999", "fraud_type": "fake_loan", "severity": "high"}),
            "2099999999",
        ),
        (
            json!({"phone": "12345", "fraud_type": "fake_loan", "severity": "high"}),
            "12345",
        ),
        (
            json!({"phone": "13800001111", "fraud_type": "fake_loan", "severity": "urgent"}),
            "urgent",
        ),
        (
            json!({"phone": "13800001111", "fraud_type": "lottery", "severity": "low"}),
            "lottery",
        ),
        (
            json!({"fraud_type": "fake_loan", "severity": "low"}),
            "phone number or a student number",
        ),
        (
            json!({"phone": "13800001111", "school_code": "SCH2", "fraud_type": "fake_loan", "severity": "low"}),
            "SCH2",
        ),
    ];
    for (body, needle) in cases {
        let r = post_json_key(&app, &t, "/api/v1/warnings", body.clone(), None).await;
        let (status, _, _, details) = api_error(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            details.iter().any(|d| d.contains(needle)),
            "{body}: {details:?}"
        );
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warning_events").await, 0);
    // Roles that may not issue: a counselor, a school admin, a student.
    for who in ["counselor1", "admin1", "student1"] {
        let t = app.token(who, &[Scope::WarningsWrite]).await;
        let r = post_json_key(
            &app,
            &t,
            "/api/v1/warnings",
            warning("13800001111", "high"),
            None,
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
    // A token without the scope.
    let t = app.token("police1", &[Scope::OrgRead]).await;
    let r = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        warning("13800001111", "high"),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
}

#[tokio::test]
async fn a_csv_batch_is_all_or_nothing_with_line_numbers() {
    let app = spawn_seeded().await;
    let t = police_token(&app).await;
    let bad = "手机号,学号,诈骗类型,级别,情况,来源\n13800001111,,fake_loan,high,贷款,96110\n,2023010102,rebate_task,中,刷单,96110\n13800001121,,fake_loan,urgent,x,y\n1380,,fake_loan,low,x,y\n";
    let r = app
        .api_post(&t, "/api/v1/warnings/batch", bad.as_bytes().to_vec())
        .await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        details
            .iter()
            .any(|d| d.contains("line 4") && d.contains("urgent")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("line 5") && d.contains("1380")),
        "{details:?}"
    );
    assert!(!details.iter().any(|d| d.contains("line 2")), "{details:?}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
    // A row that matches nobody by student number refuses the batch too.
    let unknown = "学号,诈骗类型,级别\n2023010101,fake_loan,high\n2099000000,fake_loan,high\n";
    let r = app
        .api_post(&t, "/api/v1/warnings/batch", unknown.as_bytes().to_vec())
        .await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        details
            .iter()
            .any(|d| d.contains("line 3") && d.contains("2099000000")),
        "{details:?}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM inbox_messages").await, 0);
    let good = "手机号,学号,诈骗类型,级别,情况,来源\n13800001111,,fake_loan,high,贷款,96110\n,2023010102,rebate_task,中,刷单,96110\n13812340000,,romance,低,未知号码,96110\n";
    let r = app
        .api_post(&t, "/api/v1/warnings/batch", good.as_bytes().to_vec())
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["created"], 3);
    assert_eq!(v["unidentified"], 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM warnings WHERE status = 'open'").await,
        2
    );
    // Events and notices of a batch are written with multi-row inserts: all of them are there.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM warning_events WHERE kind = 'issued'"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM warning_events WHERE kind = 'routed'"
        )
        .await,
        2
    );
    assert_eq!(inbox_of_staff(&app, "T1001").await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'warnings.tick'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn the_partner_api_with_a_repeated_idempotency_key_gives_the_same_receipt() {
    let app = spawn_seeded().await;
    let t = app.token("partner1", &[Scope::WarningsWrite]).await;
    let body = json!({"student_no": "2023510101", "fraud_type": "fake_loan", "severity": "medium",
                      "detail": "联系标记账户后立即申请贷款", "source": "某银行"});
    let r1 = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        body.clone(),
        Some("loan-7781"),
    )
    .await;
    assert_eq!(r1.status(), StatusCode::CREATED);
    let v1: Value = r1.json().await.unwrap();
    let r2 = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        body.clone(),
        Some("loan-7781"),
    )
    .await;
    assert_eq!(r2.status(), StatusCode::OK);
    let v2: Value = r2.json().await.unwrap();
    assert_eq!(v1["id"], v2["id"]);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 1);
    // The partner got a receipt; the intake job matches and routes.
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(inbox_of_staff(&app, "T2001").await, 1, "told once");
    // Concurrent repeats still make one warning.
    let mut hs = Vec::new();
    for _ in 0..4 {
        let (app_url, t, body) = (app.url("/api/v1/warnings"), t.clone(), body.clone());
        hs.push(tokio::spawn(async move {
            client()
                .post(app_url)
                .bearer_auth(t)
                .header("Idempotency-Key", "loan-9")
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut created = 0;
    for h in hs {
        let s = h.await.unwrap();
        assert!(s == StatusCode::CREATED || s == StatusCode::OK, "{s}");
        created += (s == StatusCode::CREATED) as i32;
    }
    assert_eq!(created, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 2);
    // Another key is another warning; an empty key is refused.
    let r3 = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        body.clone(),
        Some("loan-7782"),
    )
    .await;
    assert_eq!(r3.status(), StatusCode::CREATED);
    let r4 = post_json_key(&app, &t, "/api/v1/warnings", body, Some(" ")).await;
    assert_eq!(r4.status(), StatusCode::BAD_REQUEST);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 3);
}

async fn escalations(app: &TestApp, id: i64) -> i64 {
    count(
        app,
        &format!(
            "SELECT COUNT(*) FROM warning_events WHERE warning_id = {id} AND kind = 'escalated'"
        ),
    )
    .await
}

#[tokio::test]
async fn a_missed_deadline_escalates_exactly_once_even_across_a_restart() {
    let app = spawn_seeded().await;
    let w = issue_zhangsan(&app, "high").await;
    let id = w["id"].as_i64().unwrap();
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 0);
    // 9 minutes: nothing yet.
    app.state.clock.advance_ms(9 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 0);
    // 11 minutes: the acknowledgement deadline passed → the college leader.
    app.state.clock.advance_ms(2 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 1);
    assert_eq!(
        count(&app, &format!("SELECT level FROM warnings WHERE id = {id}")).await,
        1
    );
    assert_eq!(inbox_of_staff(&app, "T1004").await, 1);
    // A restart: a fresh app on the same database and clock runs its queue and scans again.
    let again = App::new(
        Config {
            data_dir: app.dir.path().to_path_buf(),
            ..Config::default()
        },
        app.state.db.clone(),
        app.state.clock.clone(),
    );
    again.runner.run_until_idle().await.unwrap();
    fanzha::warnings::service::scan(&app.state.db, &app.state.clock)
        .await
        .unwrap();
    assert_eq!(escalations(&app, id).await, 1);
    assert_eq!(inbox_of_staff(&app, "T1004").await, 1);
    // The next deadline (10 minutes after the missed one) passes → the school.
    app.state.clock.advance_ms(10 * MIN);
    again.runner.run_until_idle().await.unwrap();
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 2);
    assert_eq!(
        count(&app, &format!("SELECT level FROM warnings WHERE id = {id}")).await,
        2
    );
    assert_eq!(inbox_of_staff(&app, "T1005").await, 1);
    let admin = app.fx.account("admin1");
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'account:{admin}' AND kind = 'warning'")).await, 1);
    // Long after: the issuing police are the last level; nothing escalates beyond them.
    app.state.clock.advance_ms(120 * MIN);
    again.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 3);
    assert_eq!(
        count(&app, &format!("SELECT level FROM warnings WHERE id = {id}")).await,
        3
    );
    let police = app.fx.account("police1");
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'account:{police}' AND kind = 'warning'")).await, 1);
    app.state.clock.advance_ms(24 * 60 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 3);
    // The counselor missed the first deadline; that is who caused it.
    assert_eq!(count(&app, &format!("SELECT staff_id FROM warning_events WHERE warning_id = {id} AND kind = 'escalated' ORDER BY id LIMIT 1")).await, app.fx.staff["T1001"]);
    // The police can act now.
    let t = app.token("police1", &[Scope::WarningsWrite]).await;
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id}/acknowledge"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn acknowledging_in_time_moves_the_clock_to_the_contact_deadline() {
    let app = spawn_seeded().await;
    let w = issue_zhangsan(&app, "high").await;
    let id = w["id"].as_i64().unwrap();
    let t = app
        .token("counselor1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    app.state.clock.advance_ms(3 * MIN);
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id}/acknowledge"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "acknowledged");
    assert_eq!(v["next_deadline_at"], START_MS + 60 * MIN);
    // Twice is refused.
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id}/acknowledge"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    app.state.clock.advance_ms(30 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 0);
    // The contact deadline passes: one escalation for it.
    app.state.clock.advance_ms(30 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(escalations(&app, id).await, 1);
}

#[tokio::test]
async fn the_counselor_workflow_contact_outcome_once_and_a_timeline() {
    let app = spawn_seeded().await;
    let w = issue_zhangsan(&app, "medium").await;
    let id = w["id"].as_i64().unwrap();
    let c = app.login("counselor1").await;
    let csrf = app.page_csrf(&c).await;
    app.state.clock.advance_ms(5 * MIN);
    let r = c
        .post(app.url(&format!("/warnings/{id}/acknowledge")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A bad contact method is refused on the page, nothing changes.
    let r = c
        .post(app.url(&format!("/warnings/{id}/contact")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("method", "telegram"),
            ("notes", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("telegram"));
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM warnings WHERE id = {id} AND contacted_at IS NULL")
        )
        .await,
        1
    );
    app.state.clock.advance_ms(10 * MIN);
    let r = c
        .post(app.url(&format!("/warnings/{id}/contact")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("method", "phone"),
            ("at", ""),
            ("notes", "已电话提醒,对方已挂断骗子电话"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // already_lost needs an amount.
    let t = app
        .token("counselor1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id}/outcome"),
        json!({"outcome": "already_lost"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id}/outcome"),
        json!({"outcome": "dissuaded", "protected_yuan": "abc"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id}/outcome"),
        json!({"outcome": "dissuaded", "protected_yuan": "5000"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "closed");
    assert_eq!(v["protected_cents"], 500000);
    assert!(v["next_deadline_at"].is_null());
    // Recorded twice: refused.
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id}/outcome"),
        json!({"outcome": "not_fraud"}),
        None,
    )
    .await;
    let (status, code, _, _) = api_error(r).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code, "warn-err-outcome-twice");
    // The timeline has every event in order.
    let d: Value = client()
        .get(app.url(&format!("/api/v1/warnings/{id}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["issued", "routed", "acknowledged", "contacted", "outcome"]
    );
    let (_, page) = app.get(&c, &format!("/warnings/{id}")).await;
    assert!(page.contains("已电话提醒"));
    assert!(page.contains("劝阻成功"));
    // The figures count it in time.
    let t = app.token("police1", &[Scope::WarningsRead]).await;
    let f: Value = app
        .api_get(&t, "/api/v1/warnings/figures")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f["total"], 1);
    assert_eq!(f["acted_in_time_share"], 1.0);
    assert_eq!(f["median_ack_ms"], 5 * MIN);
    assert_eq!(f["median_contact_ms"], 15 * MIN);
}

fn lost(extra: Value) -> Value {
    let mut v = json!({"outcome": "already_lost", "loss_yuan": "12,000.50",
        "payment_type": "bank_card", "payee_account": "6222020200112233446", "bank": "中国工商银行"});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

async fn nothing_written(app: &TestApp, id: i64) {
    assert_eq!(
        count(app, &format!("SELECT COUNT(*) FROM warnings WHERE id = {id} AND status <> 'closed' AND outcome IS NULL")).await,
        1
    );
    assert_eq!(count(app, "SELECT COUNT(*) FROM reports").await, 0);
    assert_eq!(count(app, "SELECT COUNT(*) FROM stop_payments").await, 0);
    assert_eq!(count(app, &format!("SELECT COUNT(*) FROM warning_events WHERE warning_id = {id} AND kind IN ('outcome', 'loss_report')")).await, 0);
}

#[tokio::test]
async fn already_lost_money_files_a_loss_report_and_a_stop_payment_request() {
    let app = spawn_seeded().await;
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let t = app
        .token("counselor1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let now = app.state.clock.now_ms();
    let path = format!("/api/v1/warnings/{id}/outcome");
    // Bad transfer details are refused with the reports module's reasons; nothing is written.
    for (body, reason) in [
        (
            lost(
                json!({"transfer_at": now - 20 * MIN, "payee_account": "6222 0202 0011 2233 447"}),
            ),
            "transaction.account",
        ),
        (
            lost(json!({"transfer_at": now - 20 * MIN, "payment_type": "paypal"})),
            "transaction.payment_type",
        ),
        (
            lost(json!({"transfer_at": now + 3_600 * 1000 * 24})),
            "transaction.time",
        ),
        (lost(json!({})), ""),
        (
            lost(json!({"transfer_at": now - 20 * MIN, "loss_yuan": "0"})),
            "",
        ),
    ] {
        let r = post_json_key(&app, &t, &path, body.clone(), None).await;
        let (status, _, _, details) = api_error(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            details.iter().any(|d| d.contains(reason)),
            "{body}: {details:?}"
        );
        nothing_written(&app, id).await;
    }
    // The role that must be refused: a student cannot record the outcome.
    let ts = app.token("student1", &[Scope::WarningsWrite]).await;
    let r = post_json_key(
        &app,
        &ts,
        &path,
        lost(json!({"transfer_at": now - 20 * MIN})),
        None,
    )
    .await;
    assert!(
        matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        r.status()
    );
    nothing_written(&app, id).await;

    let r = post_json_key(
        &app,
        &t,
        &path,
        lost(json!({"transfer_at": now - 20 * MIN, "description": "冒充网贷客服,要求转账解冻"})),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "closed");
    assert_eq!(v["loss_cents"], 1_200_050);
    // One report for the student, with the warning's fraud type and the transfer, and its
    // stop-payment request pre-filled.
    let student = app.fx.student("2023010101");
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM reports WHERE student_id = {student} AND has_loss = 1 AND fraud_type = 'fake_loan' AND amount_cents = 1200050")).await, 1);
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM stop_payments WHERE amount_cents = 1200050 AND payee_account = '6222020200112233446' AND transfer_at = {} AND status = 'open'", now - 20 * MIN)).await, 1);
    // Linked on the timeline and shown with the stop-payment status on the warning.
    let d: Value = app
        .api_get(&t, &format!("/api/v1/warnings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let lr = &d["loss_report"];
    assert_eq!(lr["stop_payment_status"], "open");
    let ref_no = lr["ref_no"].as_str().unwrap().to_string();
    assert!(ref_no.starts_with("FZ-"));
    let ev = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "loss_report")
        .expect("loss_report event");
    assert_eq!(ev["detail"]["ref_no"], ref_no.as_str());
    assert_eq!(ev["detail"]["report_id"], lr["report_id"]);
    // The police freeze the money: the counselor sees it on the warning page.
    let sp = lr["stop_payment_id"].as_i64().unwrap();
    sqlx::query("UPDATE stop_payments SET status = 'frozen', frozen_cents = 1200050 WHERE id = $1")
        .bind(sp)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let c = app.login("counselor1").await;
    let (status, html) = app.get(&c, &format!("/warnings/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&ref_no), "{html}");
    assert!(html.contains(&format!("/reports/{}", lr["report_id"])));
    assert!(
        html.contains("id=\"stop-payment-status\">已冻结<"),
        "{html}"
    );
    // Recorded twice: refused, still one report.
    let r = post_json_key(
        &app,
        &t,
        &path,
        lost(json!({"transfer_at": now - 20 * MIN})),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM reports").await, 1);
}

#[tokio::test]
async fn the_outcome_page_files_the_loss_report_from_the_form() {
    let app = spawn_seeded().await;
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let c = app.login("counselor1").await;
    let csrf = app.page_csrf(&c).await;
    let url = app.url(&format!("/warnings/{id}/outcome"));
    let form = |account: &'static str, at: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("outcome", "already_lost".to_string()),
            ("loss_yuan", "800".to_string()),
            ("payment_type", "alipay".to_string()),
            ("payee_account", account.to_string()),
            ("bank", "支付宝".to_string()),
            ("transfer_at", at.to_string()),
            ("notes", "".to_string()),
            ("description", "".to_string()),
        ]
    };
    // A bad transfer time and a bad account are refused on the page; nothing is written.
    let r = c
        .post(&url)
        .form(&form("13800001111", "yesterday"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    nothing_written(&app, id).await;
    let r = c.post(&url).form(&form("", "")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    nothing_written(&app, id).await;
    // The fixture clock's local time minus a few minutes.
    let at = chrono::DateTime::from_timestamp_millis(app.state.clock.now_ms() - 10 * MIN)
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let at: &'static str = Box::leak(at.into_boxed_str());
    let r = c
        .post(&url)
        .form(&form("13800001111", at))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM stop_payments WHERE amount_cents = 80000 AND payee_kind = 'alipay'").await, 1);
    let (_, html) = app.get(&c, &format!("/warnings/{id}")).await;
    assert!(html.contains("id=\"loss-report\""), "{html}");
    assert!(html.contains("等待民警处理"), "{html}");
}

#[tokio::test]
async fn another_counselor_is_refused_and_audited() {
    let app = spawn_seeded().await;
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    // counselor2 (another college's class) cannot even see it.
    let t2 = app
        .token("counselor2", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = post_json_key(
        &app,
        &t2,
        &format!("/api/v1/warnings/{id}/acknowledge"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.audit("access.denied").await.len(), 1);
    let r = app.api_get(&t2, &format!("/api/v1/warnings/{id}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A counselor of the same college who holds a role over the class but is not its counselor.
    let admin = app.state.db.clone();
    fanzha::auth::store::insert_grant(
        &admin.pool,
        app.fx.account("counselor3"),
        fanzha::auth::model::Role::Counselor,
        app.fx.unit("CLS1A1").id,
        START_MS,
    )
    .await
    .unwrap();
    let t3 = app
        .token("counselor3", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = post_json_key(
        &app,
        &t3,
        &format!("/api/v1/warnings/{id}/acknowledge"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let denied = app.audit("warning.denied").await;
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].target_id, id.to_string());
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM warnings WHERE id = {id} AND acknowledged_at IS NULL")
        )
        .await,
        1
    );
    // A student sees only the warnings about themself (张三 is student1).
    let c = app.login("student2").await;
    let (s, _) = app.get(&c, &format!("/warnings/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn when_the_counselor_changes_mid_warning_the_warning_follows_the_new_one() {
    let app = spawn_seeded().await;
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let class = app.fx.unit("CLS1A1").id;
    let (old, new) = (app.fx.staff["T1001"], app.fx.staff["T1003"]);
    fanzha::org::store::remove_responsible(&app.state.db, class, old, Duty::Counselor)
        .await
        .unwrap();
    fanzha::org::store::set_responsible(&app.state.db.pool, class, new, Duty::Counselor, START_MS)
        .await
        .unwrap();
    // The old counselor no longer sees it on "my warnings" and is refused.
    let c1 = app.login("counselor1").await;
    let (_, page) = app.get(&c1, "/warnings").await;
    assert!(!page.contains(&format!("warning-{id}")));
    let t1 = app.token("counselor1", &[Scope::WarningsWrite]).await;
    let r = post_json_key(
        &app,
        &t1,
        &format!("/api/v1/warnings/{id}/acknowledge"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The new one sees it and acts.
    let c3 = app.login("counselor3").await;
    let (_, page) = app.get(&c3, "/warnings").await;
    assert!(page.contains(&format!("warning-{id}")), "{page}");
    let t3 = app.token("counselor3", &[Scope::WarningsWrite]).await;
    let r = post_json_key(
        &app,
        &t3,
        &format!("/api/v1/warnings/{id}/acknowledge"),
        json!({}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    // A missed contact deadline now names the new counselor.
    app.state.clock.advance_ms(61 * MIN);
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(count(&app, &format!("SELECT staff_id FROM warning_events WHERE warning_id = {id} AND kind = 'escalated'")).await, new);
    assert_eq!(
        count(
            &app,
            &format!("SELECT assignee_staff_id FROM warnings WHERE id = {id}")
        )
        .await,
        new
    );
}

#[tokio::test]
async fn scope_police_and_schools_see_only_their_jurisdiction() {
    let app = spawn_seeded().await;
    let id = issue_zhangsan(&app, "low").await["id"].as_i64().unwrap();
    for (who, visible) in [
        ("police1", true),
        ("police2", false),
        ("admin1", true),
        ("admin2", false),
        ("leader1", true),
        ("counselor4", false),
        ("province1", true),
    ] {
        let t = app.token(who, &[Scope::WarningsRead]).await;
        let r = app.api_get(&t, &format!("/api/v1/warnings/{id}")).await;
        assert_eq!(r.status() == StatusCode::OK, visible, "{who}");
        let list: Value = app
            .api_get(&t, "/api/v1/warnings")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            list.as_array().map_or(0, |l| l.len()),
            visible as usize,
            "{who} list"
        );
    }
    // Police of another station cannot narrow to a school outside their jurisdiction.
    let t = app.token("police2", &[Scope::WarningsRead]).await;
    let r = app.api_get(&t, "/api/v1/warnings?unit=SCH1").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The overview page works for the police and refuses a student.
    let c = app.login("police1").await;
    let (s, page) = app.get(&c, "/warnings/overview").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"fig-total\">1<"), "{page}");
    let c = app.login("student1").await;
    let (s, _) = app.get(&c, "/warnings/overview").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn unmatched_warnings_wait_for_identification() {
    let app = spawn_seeded().await;
    let t = police_token(&app).await;
    // With a school: the school admin's queue.
    let r = post_json_key(&app, &t, "/api/v1/warnings", json!({"phone": "13912345678", "school_code": "SCH1", "fraud_type": "romance", "severity": "high"}), None).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "unidentified");
    assert!(v["next_deadline_at"].is_null());
    let id = v["id"].as_i64().unwrap();
    let admin = app.fx.account("admin1");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'account:{admin}'")
        )
        .await,
        1
    );
    // A counselor cannot act on it; the admin of the other school cannot identify it.
    let t2 = app.token("admin2", &[Scope::WarningsWrite]).await;
    let r = post_json_key(
        &app,
        &t2,
        &format!("/api/v1/warnings/{id}/identify"),
        json!({"student_no": "2023010101"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let ta = app
        .token("admin1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = post_json_key(
        &app,
        &ta,
        &format!("/api/v1/warnings/{id}/identify"),
        json!({"student_no": "2023510101"}),
        None,
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a student of another school"
    );
    app.state.clock.advance_ms(MIN);
    let r = post_json_key(
        &app,
        &ta,
        &format!("/api/v1/warnings/{id}/identify"),
        json!({"student_no": "2023010201"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "open");
    assert_eq!(
        v["ack_due_at"],
        START_MS + 11 * MIN,
        "clocks start at identification"
    );
    assert_eq!(inbox_of_staff(&app, "T1003").await, 1);
    let r = post_json_key(
        &app,
        &ta,
        &format!("/api/v1/warnings/{id}/identify"),
        json!({"student_no": "2023010201"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Without a school: the issuing police's own queue.
    let r = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        json!({"phone": "13912345679", "fraud_type": "romance", "severity": "low"}),
        None,
    )
    .await;
    let v: Value = r.json().await.unwrap();
    let id2 = v["id"].as_i64().unwrap();
    assert_eq!(v["unit_path"], app.fx.unit("ST1").path);
    let c = app.login("police1").await;
    let (_, page) = app.get(&c, "/warnings/overview").await;
    assert!(page.contains("id=\"queue\""), "{page}");
    let r = post_json_key(
        &app,
        &t,
        &format!("/api/v1/warnings/{id2}/identify"),
        json!({"student_no": "2023020101"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(inbox_of_staff(&app, "T1002").await, 1);
}

#[tokio::test]
async fn an_internal_follow_up_is_a_low_severity_warning_for_the_counselor() {
    let app = spawn_seeded().await;
    let sid = app.fx.student("2023020101");
    let mut tx = app.state.db.pool.begin().await.unwrap();
    let id = fanzha::warnings::service::create_followup(
        &mut tx,
        &app.state.clock,
        sid,
        "rebate_task",
        "risk_check:17",
        "风险自查结果为高危",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let row: (String, String, String) =
        sqlx::query_as("SELECT severity, status, source_kind FROM warnings WHERE id = $1")
            .bind(id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(row, ("low".into(), "open".into(), "internal".into()));
    assert_eq!(inbox_of_staff(&app, "T1002").await, 1);
    // A bad fraud type or unknown student is refused.
    let mut tx = app.state.db.pool.begin().await.unwrap();
    assert!(fanzha::warnings::service::create_followup(
        &mut tx,
        &app.state.clock,
        sid,
        "nope",
        "x",
        ""
    )
    .await
    .is_err());
    assert!(fanzha::warnings::service::create_followup(
        &mut tx,
        &app.state.clock,
        999_999,
        "fake_loan",
        "x",
        ""
    )
    .await
    .is_err());
    tx.rollback().await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 1);
}

fn settings_body(high_ack: &str) -> Value {
    json!({"high_ack_min": high_ack, "high_contact_min": "30", "medium_ack_min": "60", "medium_contact_min": "1440",
           "low_ack_min": "1440", "low_contact_min": "4320", "weight_ack": "25", "weight_contact": "25",
           "weight_escalations": "25", "weight_victims": "25"})
}

#[tokio::test]
async fn a_school_admin_sets_the_deadlines_of_their_school() {
    let app = spawn_seeded().await;
    let ta = app
        .token("admin1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = put_json(
        &app,
        &ta,
        "/api/v1/warnings/settings/SCH1",
        settings_body("5"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let w = issue_zhangsan(&app, "high").await;
    assert_eq!(w["ack_due_at"], START_MS + 5 * MIN);
    assert_eq!(w["contact_due_at"], START_MS + 30 * MIN);
    // Bad values, another school, a counselor, the police: refused and unchanged.
    let r = put_json(
        &app,
        &ta,
        "/api/v1/warnings/settings/SCH1",
        settings_body("-1"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = put_json(
        &app,
        &ta,
        "/api/v1/warnings/settings/SCH1",
        settings_body("90"),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "contact before ack"
    );
    let r = put_json(
        &app,
        &ta,
        "/api/v1/warnings/settings/SCH2",
        settings_body("5"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for who in ["counselor1", "police1", "leader1"] {
        let t = app.token(who, &[Scope::WarningsWrite]).await;
        let r = put_json(
            &app,
            &t,
            "/api/v1/warnings/settings/SCH1",
            settings_body("7"),
        )
        .await;
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}"
        );
    }
    let s: Value = app
        .api_get(&ta, "/api/v1/warnings/settings/SCH1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["high"]["ack_ms"], 5 * MIN);
    // The page form too.
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, "/warnings/settings").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("name=\"high_ack_min\" value=\"5\""));
}

#[tokio::test]
async fn the_appraisal_ranks_people_and_units_and_exports_csv() {
    let app = spawn_seeded().await;
    // One acted on in time (CLS1A1), one missed (CLS1B1).
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let t = police_token(&app).await;
    let r = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        json!({"student_no": "2023020101", "fraud_type": "romance", "severity": "high"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let tc = app.token("counselor1", &[Scope::WarningsWrite]).await;
    app.state.clock.advance_ms(2 * MIN);
    post_json_key(
        &app,
        &tc,
        &format!("/api/v1/warnings/{id}/contact"),
        json!({"method": "in_person"}),
        None,
    )
    .await;
    app.state.clock.advance_ms(120 * MIN);
    app.runner.run_until_idle().await.unwrap();
    let ta = app.token("admin1", &[Scope::WarningsRead]).await;
    let a: Value = app
        .api_get(&ta, "/api/v1/warnings/appraisal?unit=SCH1")
        .await
        .json()
        .await
        .unwrap();
    let people = a["people"].as_array().unwrap();
    let chen = people.iter().find(|p| p["name"] == "陈老师").unwrap();
    let lin = people.iter().find(|p| p["name"] == "林老师").unwrap();
    assert_eq!(chen["warnings"], 1);
    assert_eq!(chen["contact_in_time_share"], 1.0);
    assert!(lin["escalations_caused"].as_i64().unwrap() >= 1);
    assert!(chen["rank"].as_i64() < lin["rank"].as_i64());
    assert!(a["units"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["name"] == "计科2301"));
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, "/warnings/appraisal").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("appraisal-chart"));
    let r = c
        .get(app.url("/warnings/appraisal.csv?unit=SCH1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.text().await.unwrap().contains("陈老师"));
    assert_eq!(app.audit("warning.appraisal_export").await.len(), 1);
    // A counselor may not see the appraisal; a bad period is refused.
    let tcr = app.token("counselor1", &[Scope::WarningsRead]).await;
    assert_eq!(
        app.api_get(&tcr, "/api/v1/warnings/appraisal")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api_get(&ta, "/api/v1/warnings/appraisal?from=2025-13-01")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_police_console_issues_and_refuses_with_reasons() {
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    let (s, page) = app.get(&c, "/warnings/issue").await;
    assert_eq!(s, StatusCode::OK);
    let csrf = form_csrf(&page);
    let issue = |phone: &'static str| {
        c.post(app.url("/warnings/issue"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("phone", phone),
                ("student_no", ""),
                ("school_code", ""),
                ("fraud_type", "fake_loan"),
                ("severity", "high"),
                ("detail", "x"),
                ("source", "96110"),
            ])
            .send()
    };
    let r = issue("1380000").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("1380000"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
    let r = issue("13800001111").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 1);
    // A counselor has no console.
    let c = app.login("counselor1").await;
    let (s, _) = app.get(&c, "/warnings/issue").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The API is documented.
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/api/v1/warnings",
        "/api/v1/warnings/{id}/outcome",
        "/api/v1/warnings/appraisal",
        "/api/v1/warnings/batch",
    ] {
        assert!(doc["paths"][p].is_object(), "{p}");
    }
}

async fn send_json(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let r = post_json_key(app, token, path, body, None).await;
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_appraisal_counts_victims_from_cases_campaign_coverage_and_rolls_up_units() {
    let app = spawn_seeded().await;
    // 张三 (CLS1A1) is warned and contacted in time.
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let tc = app.token("counselor1", &[Scope::WarningsWrite]).await;
    app.state.clock.advance_ms(2 * MIN);
    let (s, _) = send_json(
        &app,
        &tc,
        &format!("/api/v1/warnings/{id}/contact"),
        json!({"method": "phone"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // A case recorded for a student of CLS1A1 (李四) in the period.
    let police = app
        .token("police1", &[Scope::CasesRead, Scope::CasesWrite])
        .await;
    let (s, c) = send_json(
        &app,
        &police,
        "/api/v1/cases",
        json!({
        "unit": "SCH1", "student_no": "2023010102", "fraud_type": "rebate_task", "channel": "qq",
        "occurred_at": "2025-02-20 10:00", "amount_lost": "1200", "status": "open",
        "narrative": "刷单返利,垫付后无法提现。"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    // A campaign to the school; 张三 acknowledges it (1 of the 2 students of CLS1A1).
    let rw = [
        Scope::CampaignsRead,
        Scope::CampaignsWrite,
        Scope::InboxRead,
    ];
    let pc = app.token("police1", &rw).await;
    let admin = app.token("admin1", &rw).await;
    let (s, c) = send_json(
        &app,
        &pc,
        "/api/v1/campaigns/contents",
        json!({
        "unit": "SCH1", "kind": "article", "title": "刷单返利防范", "body_md": "## 别信刷单",
        "fraud_types": ["rebate_task"], "target_hint": "新生",
        "quiz": [{"q": "先垫付吗?", "choices": ["垫付", "拒绝"], "answer": 1}]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let content = c["id"].as_i64().unwrap();
    let (s, _) = send_json(
        &app,
        &pc,
        &format!("/api/v1/campaigns/contents/{content}/submit"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = send_json(
        &app,
        &admin,
        &format!("/api/v1/campaigns/contents/{content}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, c) = send_json(&app, &admin, "/api/v1/campaigns", json!({"unit": "SCH1", "title": "开学季防刷单", "content_id": content, "fraud_type": "rebate_task"})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    app.runner.run_until_idle().await.unwrap();
    let student = app.fx.student("2023010101");
    let delivery = app
        .scalar(&format!(
            "SELECT id FROM campaign_deliveries WHERE student_id = {student} AND channel = 'inbox'"
        ))
        .await;
    let ts = app.token("student1", &rw).await;
    let (s, c) = send_json(
        &app,
        &ts,
        &format!("/api/v1/campaigns/deliveries/{delivery}/ack"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");

    let ta = app.token("admin1", &[Scope::WarningsRead]).await;
    let a: Value = app
        .api_get(&ta, "/api/v1/warnings/appraisal?unit=SCH1")
        .await
        .json()
        .await
        .unwrap();
    assert!(a["weights"]["campaigns"].as_i64().unwrap() > 0);
    let person = |name: &str| {
        a["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    let unit = |name: &str| {
        a["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("unit {name}: {a}"))
            .clone()
    };
    // The victim counts for the counselor of the class, the class, its college and the school.
    assert_eq!(person("陈老师")["victims"], 1);
    assert_eq!(person("林老师")["victims"], 0);
    assert_eq!(unit("计科2301")["victims"], 1);
    assert_eq!(unit("计算机学院")["victims"], 1);
    assert_eq!(unit("第一大学")["victims"], 1);
    assert_eq!(unit("数学2301")["victims"], 0);
    // Coverage: 1 of the 2 students of CLS1A1; 1 of the college's 3; 1 of the school's 4.
    assert_eq!(person("陈老师")["campaign_coverage"], 0.5);
    assert_eq!(unit("计科2301")["campaign_coverage"], 0.5);
    assert_eq!(unit("计算机学院")["students"], 3);
    assert_eq!(unit("第一大学")["students"], 4);
    assert_eq!(unit("第一大学")["campaign_coverage"], 0.25);
    assert_eq!(person("林老师")["campaign_coverage"], 0.0);
    // The counselor's warning rolls up into the college and the school.
    assert_eq!(unit("计科2301")["warnings"], 1);
    assert_eq!(unit("计算机学院")["warnings"], 1);
    assert_eq!(unit("第一大学")["warnings"], 1);
    assert_eq!(unit("数学学院")["warnings"], 0);
    // The weight of coverage is configurable; course, pledge and app install are said missing.
    let (s, _) = {
        let r = put_json(
            &app,
            &app.token("admin1", &[Scope::WarningsWrite]).await,
            "/api/v1/warnings/settings/SCH1",
            json!({"high_ack_min": "10", "high_contact_min": "60", "medium_ack_min": "60",
                   "medium_contact_min": "1440", "low_ack_min": "1440", "low_contact_min": "4320",
                   "weight_ack": "0", "weight_contact": "0", "weight_escalations": "0",
                   "weight_victims": "0", "weight_campaigns": "101"}),
        )
        .await;
        (r.status(), ())
    };
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let r = put_json(
        &app,
        &app.token("admin1", &[Scope::WarningsWrite]).await,
        "/api/v1/warnings/settings/SCH1",
        json!({"high_ack_min": "10", "high_contact_min": "60", "medium_ack_min": "60",
               "medium_contact_min": "1440", "low_ack_min": "1440", "low_contact_min": "4320",
               "weight_ack": "0", "weight_contact": "0", "weight_escalations": "0",
               "weight_victims": "0", "weight_campaigns": "100"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let a: Value = app
        .api_get(&ta, "/api/v1/warnings/appraisal?unit=SCH1")
        .await
        .json()
        .await
        .unwrap();
    let chen = a["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "陈老师")
        .unwrap()
        .clone();
    assert_eq!(chen["score"], 50.0);
    let c = app.login("admin1").await;
    let (_, page) = app.get(&c, "/warnings/appraisal").await;
    assert!(page.contains("id=\"missing-components\""));
    let csv = c
        .get(app.url("/warnings/appraisal.csv?unit=SCH1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.lines().next().unwrap().contains("宣传覆盖率"));
}

async fn inbox_titles(app: &TestApp, recipient: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT title FROM inbox_messages WHERE recipient = $1 AND kind = 'warning' ORDER BY id",
    )
    .bind(recipient)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn inbox_notices_are_written_in_the_recipients_language() {
    let app = spawn_seeded().await;
    // The counselor reads English; the college leader keeps the default (zh-CN).
    sqlx::query("UPDATE accounts SET locale = 'en' WHERE username = 'counselor1'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let counselor = format!("staff:{}", app.fx.staff["T1001"]);
    let t = inbox_titles(&app, &counselor).await;
    assert_eq!(t.len(), 1);
    assert!(t[0].starts_with("[High"), "{t:?}");
    assert!(!t[0].contains("预警"), "{t:?}");
    // A batch writes its notices in the recipient's language too.
    let police = police_token(&app).await;
    let r = app
        .api_post(
            &police,
            "/api/v1/warnings/batch",
            "手机号,诈骗类型,级别\n13800001112,fake_loan,low\n"
                .as_bytes()
                .to_vec(),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let t = inbox_titles(&app, &counselor).await;
    assert_eq!(t.len(), 2);
    assert!(t[1].starts_with("[Low"), "{t:?}");
    // Missed: the escalation reaches the college leader in Chinese.
    app.state.clock.advance_ms(11 * MIN);
    app.runner.run_until_idle().await.unwrap();
    let leader = format!("staff:{}", app.fx.staff["T1004"]);
    let t = inbox_titles(&app, &leader).await;
    assert!(
        t.iter()
            .any(|x| x.contains("预警升级") && x.contains(&format!("#{id}"))),
        "{t:?}"
    );
}

/// The page's CSV upload carries the form token as the multipart body's first part; a body without
/// it, or with it after the file, is refused before anything is read or written.
#[tokio::test]
async fn the_batch_upload_page_takes_the_token_from_the_first_part_only() {
    use reqwest::multipart::{Form, Part};
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    let csrf = app.page_csrf(&c).await;
    let csv = "手机号,学号,诈骗类型,级别,情况,来源\n,2023010102,rebate_task,中,刷单,96110\n";
    let file = || Part::bytes(csv.as_bytes().to_vec()).file_name("w.csv");
    let post = |form: Form, path: &'static str| {
        let c = c.clone();
        let url = app.url(path);
        async move { c.post(url).multipart(form).send().await.unwrap() }
    };
    // Without the token, with it after the file, with a wrong one, or only in the URL: 403.
    let refused = [
        (Form::new().part("file", file()), "/warnings/batch"),
        (
            Form::new().part("file", file()).text("csrf", csrf.clone()),
            "/warnings/batch",
        ),
        (
            Form::new()
                .text("csrf", "x".repeat(csrf.len()))
                .part("file", file()),
            "/warnings/batch",
        ),
    ];
    for (form, path) in refused {
        let r = post(form, path).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    let in_url = c
        .post(app.url(&format!("/warnings/batch?csrf={csrf}")))
        .multipart(Form::new().part("file", file()))
        .send()
        .await
        .unwrap();
    assert_eq!(in_url.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
    // The token first: the batch is issued.
    let r = post(
        Form::new().text("csrf", csrf.clone()).part("file", file()),
        "/warnings/batch",
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 1);
    // The page's form sends the token as its first field, not in its address.
    let (_, html) = app.get(&c, "/warnings/issue").await;
    let form = html
        .split("<form")
        .find(|f| f.contains("action=\"/warnings/batch\""))
        .expect("batch form");
    assert!(
        form.contains(
            "multipart/form-data\" class=\"fz-narrow\"><input type=\"hidden\" name=\"csrf\""
        ),
        "{form}"
    );
    // No template puts the token into a form's address.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut stack = vec![dir];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for action in text.split("action=\"").skip(1) {
                seen += 1;
                let url = action.split('"').next().unwrap();
                assert!(!url.contains("csrf"), "{}: {url}", p.display());
            }
        }
    }
    assert!(seen > 20, "{seen}");
}

/// The police queue ("my warnings"): what reached the police level in their jurisdiction, and
/// what their own station issued and nobody closed yet, the longest waiting first.
#[tokio::test]
async fn the_police_queue_shows_escalated_warnings_oldest_deadline_first() {
    let app = spawn_seeded().await;
    let ids = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|w| w["id"].as_i64().unwrap())
            .collect()
    };
    let p1 = police_token(&app).await;
    let p2 = app
        .token("police2", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let mine = |t: String| {
        let app = &app;
        async move {
            let r = app.api_get(&t, "/api/v1/warnings/mine").await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(ids(&mine(p1.clone()).await), Vec::<i64>::new());
    // A partner issues a warning about a student of station 1's school.
    let partner = app.token("partner1", &[Scope::WarningsWrite]).await;
    let r = post_json_key(
        &app,
        &partner,
        "/api/v1/warnings",
        warning("138-0000-1111", "high"),
        Some("q-1"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let first = count(&app, "SELECT MAX(id) FROM warnings").await;
    app.runner.run_until_idle().await.unwrap();
    // It waits for the school first: not yet the police's.
    assert_eq!(ids(&mine(p1.clone()).await), Vec::<i64>::new());
    // Nobody at the school acts: it climbs to the police level.
    for step in [11, 10, 120] {
        app.state.clock.advance_ms(step * MIN);
        app.runner.run_until_idle().await.unwrap();
    }
    assert_eq!(
        count(
            &app,
            &format!("SELECT level FROM warnings WHERE id = {first}")
        )
        .await,
        3
    );
    assert_eq!(ids(&mine(p1.clone()).await), vec![first]);
    // The police of another jurisdiction do not get it.
    assert_eq!(ids(&mine(p2.clone()).await), Vec::<i64>::new());
    // A newer warning of station 1 itself, with a later deadline, comes after it.
    let second = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(ids(&mine(p1.clone()).await), vec![first, second]);
    // The page shows both, the escalated one first.
    let c = app.login("police1").await;
    let (s, html) = app.get(&c, "/warnings").await;
    assert_eq!(s, StatusCode::OK);
    let at = |id: i64| html.find(&format!("id=\"warning-{id}\"")).expect("listed");
    assert!(at(first) < at(second), "{html}");
    assert!(!html.contains("warn-empty"));
    // Closed warnings leave the queue.
    let r = post_json_key(
        &app,
        &p1,
        &format!("/api/v1/warnings/{first}/outcome"),
        json!({"outcome": "not_fraud"}),
        None,
    )
    .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    assert_eq!(ids(&mine(p1.clone()).await), vec![second]);
    // A counselor's queue is unchanged by any of this: only the counselor's own class.
    let t = app.token("counselor4", &[Scope::WarningsRead]).await;
    assert_eq!(ids(&mine(t).await), Vec::<i64>::new());
}

/// Someone without warnings in the period has no on-time figure (shown "—", left out of the
/// score's average); the unit table has one name column; the default period is filled in.
#[tokio::test]
async fn the_appraisal_treats_no_warnings_as_no_data_and_shows_its_period() {
    let app = spawn_seeded().await;
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let tc = app.token("counselor1", &[Scope::WarningsWrite]).await;
    app.state.clock.advance_ms(2 * MIN);
    let r = post_json_key(
        &app,
        &tc,
        &format!("/api/v1/warnings/{id}/contact"),
        json!({"method": "in_person"}),
        None,
    )
    .await;
    assert!(r.status().is_success());
    let ta = app.token("admin1", &[Scope::WarningsRead]).await;
    let a: Value = app
        .api_get(&ta, "/api/v1/warnings/appraisal?unit=SCH1")
        .await
        .json()
        .await
        .unwrap();
    let person = |name: &str| {
        a["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {a}"))
            .clone()
    };
    let chen = person("陈老师");
    assert_eq!(chen["warnings"], 1);
    assert_eq!(chen["ack_in_time_share"], 1.0);
    let lin = person("林老师");
    assert_eq!(lin["warnings"], 0);
    assert!(lin["ack_in_time_share"].is_null(), "{lin}");
    assert!(lin["contact_in_time_share"].is_null(), "{lin}");
    // Lin's score is the average of the components there is data for: victims and campaigns.
    let w = &a["weights"];
    let (wv, wc) = (
        w["victims"].as_f64().unwrap(),
        w["campaigns"].as_f64().unwrap(),
    );
    let victims = lin["victims"].as_f64().unwrap();
    let cov = lin["campaign_coverage"].as_f64().unwrap();
    let want = ((wv / (1.0 + victims) + wc * cov) / (wv + wc) * 1000.0).round() / 10.0;
    assert_eq!(lin["score"].as_f64().unwrap(), want, "{lin} {w}");
    assert!(want > 0.0);
    // The page: "—" for Lin, the period filled in and shown, one name column for units.
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, "/warnings/appraisal").await;
    assert_eq!(s, StatusCode::OK);
    let lin_row = page
        .split("<tr>")
        .find(|r| r.starts_with("<td>") && r.contains("林老师"))
        .expect("Lin's row");
    assert_eq!(lin_row.matches("<td>—</td>").count(), 4, "{lin_row}");
    let today = chrono_day(app.state.clock.now_ms());
    let month_ago = chrono_day(app.state.clock.now_ms() - 30 * 86_400_000);
    assert!(
        page.contains(&format!("name=\"from\" value=\"{month_ago}\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!("name=\"to\" value=\"{today}\"")),
        "{page}"
    );
    let period = page.split("id=\"appraisal-period\">").nth(1).unwrap();
    let period = period.split("</p>").next().unwrap();
    assert!(
        period.contains(&today) && period.contains(&month_ago),
        "{period}"
    );
    let tables: Vec<&str> = page.split("<table").skip(1).collect();
    assert_eq!(tables.len(), 2);
    let heads = |t: &str| t.split("</thead>").next().unwrap().matches("<th>").count();
    assert_eq!(heads(tables[0]), heads(tables[1]) + 1);
    // The CSV leaves Lin's shares empty, not 0.
    let csv = c
        .get(app.url("/warnings/appraisal.csv?unit=SCH1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = csv.lines().find(|l| l.contains("林老师")).unwrap();
    assert!(line.contains(",0,,,"), "{line}");
}

/// A day in Shanghai time, as the pages show it.
fn chrono_day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn a_student_reads_their_own_warnings_and_the_counselor_sees_the_history_on_the_record() {
    let app = spawn_seeded().await;
    let t = police_token(&app).await;
    // Two warnings about 张三 (the first closed as dissuaded), one about 李四.
    let first = issue_zhangsan(&app, "medium").await["id"].as_i64().unwrap();
    let c = app.login("counselor1").await;
    let csrf = app.page_csrf(&c).await;
    for (path, form) in [
        ("acknowledge", vec![("csrf", csrf.as_str())]),
        (
            "contact",
            vec![
                ("csrf", csrf.as_str()),
                ("method", "phone"),
                ("at", ""),
                ("notes", "已电话提醒"),
            ],
        ),
    ] {
        let r = c
            .post(app.url(&format!("/warnings/{first}/{path}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    }
    let ct = app
        .token("counselor1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = post_json_key(
        &app,
        &ct,
        &format!("/api/v1/warnings/{first}/outcome"),
        json!({"outcome": "dissuaded"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    app.state.clock.advance_ms(MIN);
    let second = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let r = post_json_key(
        &app,
        &t,
        "/api/v1/warnings",
        warning("138-0000-1112", "low"),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let lisi = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    // The student's menu leads to their warnings; the page lists theirs and no one else's.
    let s = app.login("student1").await;
    let (st, home) = app.get(&s, "/").await;
    assert_eq!(st, StatusCode::OK);
    assert!(home.contains("href=\"/warnings\""), "{home}");
    let (st, page) = app.get(&s, "/warnings").await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains(&format!("id=\"warning-{first}\"")), "{page}");
    assert!(page.contains(&format!("id=\"warning-{second}\"")), "{page}");
    assert!(!page.contains(&format!("id=\"warning-{lisi}\"")), "{page}");
    let (st, _) = app.get(&s, &format!("/warnings/{second}")).await;
    assert_eq!(st, StatusCode::OK);
    // The student sees that they were contacted, not the counselor's notes about them.
    let (st, detail) = app.get(&s, &format!("/warnings/{first}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(detail.contains("id=\"timeline\""), "{detail}");
    // The student is told what to do, in words, with the one-click report and the hotline.
    assert!(detail.contains("id=\"what-to-do\""), "{detail}");
    assert!(detail.contains("你现在该做什么"), "{detail}");
    assert!(detail.contains("href=\"/reports/new\""), "{detail}");
    assert!(detail.contains("tel:96110"), "{detail}");
    assert!(
        !detail.contains("已电话提醒"),
        "staff notes shown to the student"
    );
    let (_, staff_view) = app.get(&c, &format!("/warnings/{first}")).await;
    assert!(
        staff_view.contains("已电话提醒"),
        "the counselor sees their notes"
    );
    assert!(!staff_view.contains("id=\"what-to-do\""), "{staff_view}");
    let (st, _) = app.get(&s, &format!("/warnings/{lisi}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Another student sees the link and none of these.
    let s2 = app.login("student2").await;
    let (_, home) = app.get(&s2, "/").await;
    assert!(home.contains("href=\"/warnings\""));
    let (st, page) = app.get(&s2, "/warnings").await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("id=\"warn-empty\""), "{page}");
    let (st, _) = app.get(&s2, &format!("/warnings/{first}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // 张三 files a report; 李四 none.
    let rt = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let r = post_json_key(
        &app,
        &rt,
        "/api/v1/reports",
        json!({"idempotency_key": "k-1", "fraud_type": "impersonate_police",
               "call": {"number": "170 8888 6666", "time": START_MS - 30 * MIN, "duration_seconds": 300},
               "description": "冒充公安说我涉嫌洗钱"}),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // 张三 checks a number on the check page.
    let scsrf = app.page_csrf(&s).await;
    let r = s
        .post(app.url("/check"))
        .form(&[("csrf", scsrf.as_str()), ("q", "17088886666")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM risk_checks").await, 1);

    // The counselor's view of the record: the warnings in people's words, newest first.
    let zs = app.fx.student("2023010101");
    let reads = app.audit("person.view").await.len();
    let (st, rec) = app.get(&c, &format!("/org/student/{zs}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(app.audit("person.view").await.len(), reads + 1);
    let list = between(&rec, "id=\"history-warnings\">", "</ul>").expect("history");
    let fake_loan = fanzha::warnings::model::parse_fraud_type("fake_loan")
        .unwrap()
        .name_zh();
    // The two police warnings and the follow-up the report opened.
    assert_eq!(list.matches("<li>").count(), 3, "{list}");
    assert_eq!(list.matches(fake_loan).count(), 2, "{list}");
    let (a, b) = (
        list.find(&format!("/warnings/{second}\"")).unwrap(),
        list.find(&format!("/warnings/{first}\"")).unwrap(),
    );
    assert!(a < b, "newest first: {list}");
    assert!(list.contains("劝阻成功"), "{list}");
    assert!(list.contains("待签收"), "{list}");
    for raw in ["fake_loan", "dissuaded", "closed", "open"] {
        assert!(!list.contains(&format!(" {raw}")), "{raw} in {list}");
    }
    let reports = between(&rec, "id=\"history-reports\">", "</ul>").expect("reports");
    assert_eq!(reports.matches("<li>").count(), 1, "{reports}");
    let status: String = sqlx::query_scalar("SELECT status FROM reports")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let zh = fanzha::web::i18n::Lang::ZhCn;
    assert!(
        reports.contains(&fanzha::web::layout::fraud_type_name(
            zh,
            "impersonate_police"
        )) && reports.contains(&zh.t(&format!("reports-status-{status}"))),
        "{reports}"
    );
    assert!(!reports.contains("impersonate_police") && !reports.contains("FZ-"));
    let checks = between(&rec, "id=\"history-checks\">", "</ul>").expect("checks");
    assert_eq!(checks.matches("<li>").count(), 1, "{checks}");
    let level: String = sqlx::query_scalar("SELECT level FROM risk_checks")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(
        checks.contains(&zh.t(&format!("check-level-{level}"))),
        "{checks}"
    );
    assert!(
        !checks.contains("17088886666"),
        "what was checked stays the student's"
    );
    assert!(rec.contains("id=\"history-campaigns-empty\""));
    // 李四's record has only theirs; another school's counselor gets 404 and nothing.
    let (_, rec) = app
        .get(
            &c,
            &format!("/org/student/{}", app.fx.student("2023010102")),
        )
        .await;
    let list = between(&rec, "id=\"history-warnings\">", "</ul>").expect("history");
    assert_eq!(list.matches("<li>").count(), 1, "{list}");
    assert!(rec.contains("id=\"history-reports-empty\""));
    assert!(rec.contains("id=\"history-checks-empty\""));
    let c4 = app.login("counselor4").await;
    let (st, rec) = app.get(&c4, &format!("/org/student/{zs}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(!rec.contains("history-warnings") && !rec.contains("张三"));
}

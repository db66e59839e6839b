//! The counselor's workflow: contact and outcome, a loss reported on the way, refusals and a change of counselor.

use super::*;

#[tokio::test]
pub(super) async fn the_counselor_workflow_contact_outcome_once_and_a_timeline() {
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

pub(super) fn lost(extra: Value) -> Value {
    let mut v = json!({"outcome": "already_lost", "loss_yuan": "12,000.50",
        "payment_type": "bank_card", "payee_account": "6222020200112233446", "bank": "中国工商银行"});
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

pub(super) async fn nothing_written(app: &TestApp, id: i64) {
    assert_eq!(
        count(app, &format!("SELECT COUNT(*) FROM warnings WHERE id = {id} AND status <> 'closed' AND outcome IS NULL")).await,
        1
    );
    assert_eq!(count(app, "SELECT COUNT(*) FROM reports").await, 0);
    assert_eq!(count(app, "SELECT COUNT(*) FROM stop_payments").await, 0);
    assert_eq!(count(app, &format!("SELECT COUNT(*) FROM warning_events WHERE warning_id = {id} AND kind IN ('outcome', 'loss_report')")).await, 0);
}

#[tokio::test]
pub(super) async fn already_lost_money_files_a_loss_report_and_a_stop_payment_request() {
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
pub(super) async fn the_outcome_page_files_the_loss_report_from_the_form() {
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
pub(super) async fn another_counselor_is_refused_and_audited() {
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
pub(super) async fn when_the_counselor_changes_mid_warning_the_warning_follows_the_new_one() {
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

//! The report pages, the demo's reports and what police see first.

use super::*;

#[tokio::test]
pub(super) async fn pages_check_prefill_loss_screen_and_counselor_view() {
    let app = spawn_seeded().await;
    let c = app.login("student1").await;
    // A risk check links to the form, which comes pre-filled from it.
    let (_, loc, _) = form(
        &app,
        &c,
        "/check",
        &[(
            "q",
            "【京东客服】可办理双倍赔付,请访问 http://jd-refund.top/claim 或致电 17088886666",
        )],
    )
    .await;
    let check: i64 = loc.trim_start_matches("/check/").parse().unwrap();
    let (s, page) = app.get(&c, &format!("/reports/new?check={check}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("17088886666"), "phone pre-filled");
    assert!(page.contains("jd-refund.top"), "link pre-filled");
    assert!(page.contains("id=\"report-prefilled\""));
    // Someone else's check pre-fills nothing.
    let other = app.login("student2").await;
    let (_, page) = app
        .get(&other, &format!("/reports/new?check={check}"))
        .await;
    assert!(!page.contains("17088886666"));
    // Pasted text fills the sections.
    let (s, _, page) = form(
        &app,
        &c,
        "/reports/new",
        &[("prefill", "1"), ("paste", "加QQ 2847561039 领取返利")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("value=\"2847561039\""));
    // Bad input re-renders the form with reasons; nothing stored.
    let (s, _, page) = form(
        &app,
        &c,
        "/reports/new",
        &[
            ("idempotency_key", "f-0"),
            ("lost", "1"),
            ("call_number", "17088886666"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"report-errors\""));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM reports").await, 0);
    // The loss path: the "call 110 / 96110" screen with the report number.
    let (s, loc, _) = form(
        &app,
        &c,
        "/reports/new",
        &[
            ("idempotency_key", "f-1"),
            ("lost", "1"),
            ("tx_type", "bank_card"),
            ("tx_account", "6222020200112233446"),
            ("tx_bank", "工商银行"),
            ("tx_amount", "20,000"),
            ("tx_time", "2025-03-01T07:50"),
            ("description", "冒充公安"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    let (_, page) = app.get(&c, &loc).await;
    assert!(
        page.contains("id=\"urgent\"") && page.contains("tel:110") && page.contains("tel:96110")
    );
    let ref_no: String = sqlx::query_scalar("SELECT ref_no FROM reports")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(page.contains(&ref_no));
    assert_eq!(
        app.scalar("SELECT amount_cents FROM stop_payments").await,
        2_000_000
    );
    // The same form posted again (double tap): the same report.
    let (_, loc2, _) = form(
        &app,
        &c,
        "/reports/new",
        &[
            ("idempotency_key", "f-1"),
            ("lost", "1"),
            ("tx_type", "bank_card"),
            ("tx_account", "6222020200112233446"),
            ("tx_amount", "20000"),
            ("tx_time", "2025-03-01T07:50"),
        ],
    )
    .await;
    assert_eq!(loc2, loc);
    // The counselor sees the report of their student with its status; the other counselor not.
    let cc = app.login("counselor1").await;
    let (_, page) = app.get(&cc, "/reports").await;
    assert!(page.contains(&ref_no));
    let c2 = app.login("counselor2").await;
    let (_, page) = app.get(&c2, "/reports").await;
    assert!(!page.contains(&ref_no));
    let id: i64 = app.scalar("SELECT id FROM reports").await;
    let (s, _) = app.get(&c2, &format!("/reports/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Police: queue with countdown, action from the page, dashboard.
    let pc = app.login("police1").await;
    let (_, page) = app.get(&pc, "/reports").await;
    assert!(page.contains("id=\"sp-queue\"") && page.contains("data-deadline"));
    let sp: i64 = app.scalar("SELECT id FROM stop_payments").await;
    let (s, _, _) = form(
        &app,
        &pc,
        &format!("/reports/stop-payments/{sp}"),
        &[("action", "frozen"), ("frozen", "5000")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT frozen_cents FROM stop_payments").await,
        500_000
    );
    let (s, page) = app.get(&pc, "/reports/dashboard").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"reports-chart\"") && page.contains("5000.00"));
    let (s, _) = app.get(&cc, "/reports/dashboard").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
pub(super) async fn the_demo_has_reports_a_cluster_and_an_open_stop_payment() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _guard) = fresh_db(dir.path()).await;
    let clock = fanzha::clock::Clock::manual(START_MS);
    fanzha::demo::seed(&db, &clock, fanzha::demo::Scale::School)
        .await
        .unwrap();
    // Four filed by students, two loss reports filed from warnings ("already lost money").
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(n, 6);
    let from_warnings: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM reports WHERE idempotency_key LIKE 'warning:%' AND has_loss = 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(from_warnings, 2);
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stop_payments WHERE status = 'open'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(open, 1);
    let scope = fanzha::reports::store::Scope {
        reporter: None,
        paths: vec!["/".into()],
    };
    let clusters = fanzha::reports::store::clusters(&db, &scope, 100)
        .await
        .unwrap();
    // The payee account of the warnings' two losses is the one a student reported: one cluster of
    // three around it, and the two reports of the same 400 number.
    assert_eq!(clusters[0].size, 3, "{clusters:?}");
    assert_eq!(clusters[0].shared, ["bank_card:6222020200112233446"]);
    assert_eq!(clusters[1].size, 2, "{clusters:?}");
    // Police worked the warnings' requests: one partly frozen, one failed.
    let worked: Vec<(String, i64)> = sqlx::query_as(
        "SELECT sp.status, sp.frozen_cents FROM stop_payments sp JOIN reports r ON r.id = sp.report_id \
         WHERE r.idempotency_key LIKE 'warning:%' ORDER BY sp.id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        worked,
        [("frozen".to_string(), 200_000), ("failed".to_string(), 0)]
    );
}

/// The police see who the victim is (audited), urgent stop-payments on their home page, and an
/// open stop-payment notice above newer notices in their inbox until it is settled.
#[tokio::test]
pub(super) async fn police_see_the_victim_the_urgent_panel_and_the_stop_payment_first_in_the_inbox()
{
    let app = spawn_seeded().await;
    let s1 = app.token("student1", &rw()).await;
    let a: Value = post_json(&app, &s1, "/api/v1/reports", loss_report("v-1"))
        .await
        .json()
        .await
        .unwrap();
    let id = a["report_id"].as_i64().expect("report id");
    let sp = a["stop_payment_id"].as_i64().expect("stop payment");
    let ref_no: String = sqlx::query_scalar("SELECT ref_no FROM reports WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    // A later, ordinary notice to the same officer.
    app.state.clock.advance_ms(MIN);
    let p1 = app.fx.account("police1");
    fanzha::inbox::notify(
        &app.state.db.pool,
        &app.state.clock,
        &fanzha::inbox::Recipient::Account(p1),
        &fanzha::inbox::Notice {
            kind: "system".into(),
            title: "每周通报".into(),
            body: String::new(),
            link: None,
        },
    )
    .await
    .unwrap();
    let titles = |v: &Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["title"].as_str().unwrap().to_string())
            .collect()
    };
    let t1 = app.token("police1", &Scope::ALL).await;
    let inbox: Value = app
        .api_get(&t1, "/api/v1/inbox")
        .await
        .json()
        .await
        .unwrap();
    let t = titles(&inbox);
    assert!(t[0].starts_with("紧急止付"), "{t:?}");
    assert_eq!(t[1], "每周通报", "{t:?}");
    // The report page names the victim, with phone and school, and the read is audited.
    let c = app.login("police1").await;
    let (s, page) = app.get(&c, &format!("/reports/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"victim-name\">张三<"), "{page}");
    assert!(page.contains("href=\"tel:13800001111\""), "{page}");
    assert!(page.contains("第一大学 · 计科2301"), "{page}");
    let views = app.audit("person.view").await;
    assert!(
        views
            .iter()
            .any(|e| e.target_kind == "report" && e.target_id == id.to_string()),
        "{views:?}"
    );
    // The student's own page has no victim block; the other station does not see the report.
    let cs = app.login("student1").await;
    let (_, own) = app.get(&cs, &format!("/reports/{id}")).await;
    assert!(!own.contains("id=\"victim\""));
    let c2 = app.login("police2").await;
    let (s, _) = app.get(&c2, &format!("/reports/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The home page of the police carries the urgent request; others' do not.
    let (_, home) = app.get(&c, "/").await;
    let panel = home
        .split("id=\"urgent-stop-payments\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no urgent panel: {home}"));
    assert!(panel.contains(&ref_no) && panel.contains("张三"), "{panel}");
    for other in [&c2, &cs] {
        let (_, home) = app.get(other, "/").await;
        assert!(!home.contains("urgent-stop-payments"));
    }
    // Once frozen, the request leaves the panel and the inbox is newest first again.
    let r = post_json(
        &app,
        &t1,
        &format!("/api/v1/reports/stop-payments/{sp}/actions"),
        json!({"action": "frozen", "frozen_cents": 1_800_000}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let (_, home) = app.get(&c, "/").await;
    assert!(!home.contains("urgent-stop-payments"));
    let inbox: Value = app
        .api_get(&t1, "/api/v1/inbox")
        .await
        .json()
        .await
        .unwrap();
    let t = titles(&inbox);
    assert_eq!(t[0], "每周通报", "{t:?}");
}

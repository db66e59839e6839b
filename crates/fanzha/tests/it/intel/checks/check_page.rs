//! The indicator store's audited changes and the check page: happy path, mule offers, sources withheld, bad input.

use super::*;

#[tokio::test]
pub(super) async fn sightings_and_confirmation_are_stored_canonical_and_audited() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    assert_eq!(
        app.scalar(
            "SELECT sightings FROM indicators WHERE kind = 'wechat' AND value = 'tb_kefu888'"
        )
        .await,
        3,
        "one canonical row, three sightings"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM indicators WHERE kind = 'phone' AND value = '17088886666' AND status = 'confirmed'").await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM indicator_sources").await,
        5
    );
    let audits = app.audit("intel.status").await;
    assert_eq!(audits.len(), 2, "confirm and suspect");
    assert!(audits[0].detail.contains("confirmed"));
    // Bad value: refused, nothing stored.
    let before = app.scalar("SELECT COUNT(*) FROM indicators").await;
    let mut tx = app.state.db.pool.begin().await.unwrap();
    let e = service::record_sighting(
        &mut tx,
        &app.state.clock,
        "bank_card",
        "1234567890123456789012345",
        &[],
        "report:1",
    )
    .await;
    assert!(e.is_err());
    let e = service::record_sighting(&mut tx, &app.state.clock, "fax", "1", &[], "report:1").await;
    assert!(e.is_err());
    // Rolled back explicitly: a dropped transaction keeps its locks on PostgreSQL until the
    // connection is reused, which would block dropping the test's schema.
    tx.rollback().await.unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, before);
}

#[tokio::test]
pub(super) async fn student_checks_a_message_and_sees_why_and_what_to_do() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    let c = app.login("student1").await;
    let (s, loc, _) = post_form(&app, &c, "/check", &[("q", SCAM)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc.starts_with("/check/"), "{loc}");
    let (s, html) = app.get(&c, &loc).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-level=\"high\""), "{html}");
    assert!(html.contains("tb_kefu888"));
    assert!(html.contains("96110"));
    let id = loc.trim_start_matches("/check/");
    assert!(html.contains(&format!("/reports/new?check={id}")));
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM risk_checks WHERE id = {id} AND level = 'high' AND account_id = {}", app.fx.account("student1"))).await,
        1
    );
    // The counselor gets one follow-up warning for the student, however many checks follow.
    let followups = "SELECT COUNT(*) FROM warnings w JOIN accounts a ON a.student_id = w.student_id \
                     WHERE a.username = 'student1' AND w.origin = 'risk_check' AND w.severity = 'low'";
    assert_eq!(app.scalar(followups).await, 1);
    let (_, again, _) = post_form(&app, &c, "/check", &[("q", SCAM)]).await;
    assert!(again.starts_with("/check/"), "{again}");
    assert_eq!(app.scalar(followups).await, 1);
    // A police-confirmed number typed alone.
    let (_, loc2, _) = post_form(&app, &c, "/check", &[("q", "170 8888 6666")]).await;
    let (_, html2) = app.get(&c, &loc2).await;
    // Spaces inside do not hide it: the verdict is high, never "none" (which would reassure).
    assert!(html2.contains("data-level=\"high\""), "{html2}");
    let (_, loc3, _) = post_form(&app, &c, "/check", &[("q", "17088886666")]).await;
    let (_, html3) = app.get(&c, &loc3).await;
    assert!(html3.contains("data-level=\"high\""), "{html3}");
    assert!(html3.contains("警方已确认"));
    // History lists the checks.
    let (_, page) = app.get(&c, "/check").await;
    assert!(page.contains(&format!("href=\"/check/{id}\"")));
    // Another student cannot open it.
    let other = app.login("student2").await;
    let (s, _) = app.get(&other, &loc).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
pub(super) async fn a_student_who_checks_a_mule_offer_is_told_it_is_a_crime() {
    let app = spawn_seeded().await;
    let c = app.login("student1").await;
    let lure =
        "学生兼职：把你不用的银行卡租给我们走账，每月给你1200，不用做任何事，加微信 zk_pay01";
    let (s, loc, _) = post_form(&app, &c, "/check", &[("q", lure)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = app.get(&c, &loc).await;
    assert!(
        !html.contains("data-level=\"none\"") && !html.contains("data-level=\"low\""),
        "{html}"
    );
    assert!(html.contains("帮信/两卡招揽"), "{html}");
    assert!(html.contains("id=\"check-mule-crime\""), "{html}");
    assert!(html.contains("刑法第287条之二"), "{html}");
    assert!(
        !html.contains("mule_recruitment"),
        "internal key shown: {html}"
    );
    // Stored with its type, which the counselor and campaign targeting read.
    let id = loc.trim_start_matches("/check/");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM risk_checks WHERE id = {id} AND fraud_type = 'mule_recruitment'"
        ))
        .await,
        1
    );
    // A school's warning about such offers is not one.
    let notice = "【保卫处】提醒：出租出借银行卡、电话卡涉嫌帮信罪，切勿因小利参与。";
    let (_, loc2, _) = post_form(&app, &c, "/check", &[("q", notice)]).await;
    let (_, html2) = app.get(&c, &loc2).await;
    assert!(!html2.contains("check-mule-crime"), "{html2}");
}

#[tokio::test]
pub(super) async fn student_does_not_see_sources_of_amber_indicators() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    let c = app.login("student1").await;
    let (_, loc, _) = post_form(&app, &c, "/check", &[("q", "quick-loan-cn.xyz")]).await;
    let (_, html) = app.get(&c, &loc).await;
    assert!(html.contains("TLP:AMBER"), "{html}");
    assert!(!html.contains("来源:"), "no source list for amber");
    let (_, loc, _) = post_form(&app, &c, "/check", &[("q", "tb_kefu888")]).await;
    let (_, html) = app.get(&c, &loc).await;
    assert!(html.contains("群众举报"), "green sources are shown: {html}");
    // Police see the amber sources of the same check.
    let police = app.login("police1").await;
    let first = app.scalar("SELECT MIN(id) FROM risk_checks").await;
    let (s, html) = app.get(&police, &format!("/check/{first}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("群众举报 #9"), "{html}");
}

#[tokio::test]
pub(super) async fn bad_check_input_is_refused_and_nothing_stored() {
    let app = spawn_seeded().await;
    let c = app.login("student1").await;
    let big = "诈".repeat(40_000);
    for q in ["", "   ", big.as_str(), "\u{0}\u{1}\u{2}\u{3}PK\u{4}"] {
        let (s, _, body) = post_form(&app, &c, "/check", &[("q", q)]).await;
        assert_eq!(
            s,
            StatusCode::BAD_REQUEST,
            "{:?}",
            q.chars().take(10).collect::<String>()
        );
        assert!(body.contains("check-error"));
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM risk_checks").await, 0);
}

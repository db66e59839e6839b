//! Wrong results go to review and feed back.

use super::*;

#[tokio::test]
pub(super) async fn wrong_answer_goes_to_review_and_feeds_back() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    let s1 = app.login("student1").await;
    let (_, loc, _) = post_form(&app, &s1, "/check", &[("q", "tb_kefu888")]).await;
    let check_id = loc.trim_start_matches("/check/").to_string();
    let wrong = format!("/check/{check_id}/wrong");
    let (s, loc2, _) = post_form(
        &app,
        &s1,
        &wrong,
        &[("claim", "false_positive"), ("comment", "我同学的微信")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc2.ends_with("?sent=1"));
    let (s, _, _) = post_form(&app, &s1, &wrong, &[("claim", "false_positive")]).await;
    assert_eq!(s, StatusCode::CONFLICT, "once per check");
    let (s, _, _) = post_form(&app, &s1, &wrong, &[("claim", "maybe")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let s2 = app.login("student2").await;
    let (s, _, _) = post_form(&app, &s2, &wrong, &[("claim", "false_positive")]).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not their check");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM intel_reviews").await, 1);
    // A second item, labelled for retraining.
    let (_, loc3, _) = post_form(
        &app,
        &s1,
        "/check",
        &[(
            "q",
            "学长,帮我在这个平台投点钱,稳赚不赔,老师带单每天收益百分之二十",
        )],
    )
    .await;
    post_form(
        &app,
        &s1,
        &format!("{loc3}/wrong"),
        &[("claim", "false_negative")],
    )
    .await;

    // Counselors may not resolve.
    let counselor = app.login("counselor1").await;
    let (s, _) = app.get(&counselor, "/intel/reviews").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let police = app.login("police1").await;
    let (s, html) = app.get(&police, "/intel/reviews").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("我同学的微信"));
    let r1 = app
        .scalar(&format!(
            "SELECT id FROM intel_reviews WHERE check_id = {check_id}"
        ))
        .await;
    let ind = app
        .scalar("SELECT id FROM indicators WHERE kind = 'wechat'")
        .await;
    let (s, _, _) = post_form(
        &app,
        &police,
        &format!("/intel/reviews/{r1}"),
        &[("outcome", "clear"), ("indicator", &ind.to_string())],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM indicators WHERE id = {ind} AND status = 'cleared'"
        ))
        .await,
        1
    );
    let (s, _, _) = post_form(
        &app,
        &police,
        &format!("/intel/reviews/{r1}"),
        &[("outcome", "dismiss")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "already resolved");
    let r2 = app.scalar("SELECT MAX(id) FROM intel_reviews").await;
    let (s, _, _) = post_form(
        &app,
        &police,
        &format!("/intel/reviews/{r2}"),
        &[("outcome", "label"), ("label", "nope")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = post_form(
        &app,
        &police,
        &format!("/intel/reviews/{r2}"),
        &[("outcome", "label"), ("label", "fake_investment")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, jsonl) = app.get(&police, "/intel/examples.jsonl").await;
    assert_eq!(s, StatusCode::OK);
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["label"], "fake_investment");
    assert!(lines[0]["text"].as_str().unwrap().contains("稳赚不赔"));
    // The file is what `fanzha train` reads.
    let path = app.dir.path().join("examples.jsonl");
    std::fs::write(&path, &jsonl).unwrap();
    let ex = fanzha_detect::model::read_jsonl(&path, None).unwrap();
    assert_eq!(ex[0].label, FraudType::FakeInvestment);
    assert_eq!(app.audit("intel.review").await.len(), 2);
}

//! The registry of appraisal components: the learning components join the appraisal score with
//! the weights the school sets, and leave it alone where there is nothing to count.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;

async fn score_of(app: &TestApp, token: &str, name: &str) -> f64 {
    let (s, v) = get_json(app, token, "/api/v1/warnings/appraisal?unit=SCH1").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["people"]
        .as_array()
        .expect("people")
        .iter()
        .find(|r| r["name"] == name)
        .and_then(|r| r["score"].as_f64())
        .unwrap_or_else(|| panic!("no {name} in {v}"))
}

#[tokio::test]
async fn the_pledge_counts_in_the_appraisal_with_the_schools_weight() {
    let app = spawn_seeded().await;
    let token = app.token("admin1", &[Scope::WarningsRead]).await;
    // Nothing to count yet: the learning components are left out.
    let before = score_of(&app, &token, "陈老师").await;
    // A pledge, signed by one of the counselor's two students.
    let admin = app.login("admin1").await;
    let school = app.fx.unit("SCH1").id.to_string();
    let (s, _) = app
        .post_form(
            &admin,
            "/learning/pledge/publish",
            &[
                ("school", &school),
                ("body", "自觉防诈、拒绝参诈、坚决反诈。"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let st = app.login("student1").await;
    let (_, page) = app.get(&st, "/learning/pledge").await;
    let hash = between(&page, "name=\"hash\" value=\"", "\"").expect("hash");
    let (s, _) = app
        .post_form(
            &st,
            "/learning/pledge/sign",
            &[("full_name", "张三"), ("consent", "1"), ("hash", &hash)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let with_pledge = score_of(&app, &token, "陈老师").await;
    assert_ne!(with_pledge, before, "the pledge component counts");
    // The school sets the pledge's weight to 0: back to the score without it.
    let (s, _) = app
        .post_form(
            &admin,
            "/learning/weights",
            &[("school", &school), ("learning.pledge", "0")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(score_of(&app, &token, "陈老师").await, before);
    // A weight out of range is refused and nothing changes; a counselor may not set weights.
    let (s, _) = app
        .post_form(
            &admin,
            "/learning/weights",
            &[("school", &school), ("learning.pledge", "500")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let c1 = app.login("counselor1").await;
    let (s, _) = app
        .post_form(
            &c1,
            "/learning/weights",
            &[("school", &school), ("learning.pledge", "50")],
        )
        .await;
    assert!(
        s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
        "{s}"
    );
    assert_eq!(
        app.scalar("SELECT weight FROM appraisal_weights WHERE component = 'learning.pledge'")
            .await,
        0
    );
    // The appraisal page names the components instead of "no module yet".
    let (_, page) = app.get(&admin, "/warnings/appraisal").await;
    assert!(page.contains("学习管理页"), "{page}");
}

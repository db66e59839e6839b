//! The JSON API: reading contests and entries, voting, withdrawing and moving a vote, receipts,
//! score sheets, progress, publishing, the stored results and carrying winners into campaigns,
//! under the `contests:read` / `contests:write` scopes and the same rules as the pages.

use super::*;
use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::json;

const RW: &[Scope] = &[Scope::ContestsRead, Scope::ContestsWrite];

#[tokio::test]
async fn voters_vote_withdraw_and_move_through_the_api_within_the_rules_and_scopes() {
    let app = spawn_seeded().await;
    let id = open_contest(
        &app,
        "admin1",
        with(contest_fields(), &[("allow_withdraw", "1")]),
    )
    .await;
    let mut e = Vec::new();
    for (i, who) in ["student1", "student2"].iter().enumerate() {
        let x = enter_video(&app, who, id, &format!("作品{i}")).await;
        decide(&app, "admin1", id, x, "accept", "").await;
        e.push(x);
    }
    app.state.clock.advance_ms(2 * DAY + HOUR);
    let t = app.token("counselor1", RW).await;
    let (s, list) = get_json(&app, &t, "/api/v1/contests").await;
    assert_eq!(s, StatusCode::OK);
    let c = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap();
    assert_eq!(c["phase"], "voting");
    assert_eq!(c["allow_withdraw"], true);
    assert_eq!(c["standing"]["may_vote"], true);
    assert_eq!(c["rules_hash"].as_str().unwrap().len(), 64);
    let (s, entries) = get_json(&app, &t, &format!("/api/v1/contests/{id}/entries")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(entries.as_array().unwrap().len(), 2);
    // Vote: 201 with the receipt; a second vote in the category is a conflict, nothing logged.
    let (s, b) = post_json_read(
        &app,
        &t,
        &format!("/api/v1/contests/{id}/entries/{}/vote", e[0]),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["seq"], 1);
    let (s, code, _, _) = api_error(
        post_json(
            &app,
            &t,
            &format!("/api/v1/contests/{id}/entries/{}/vote", e[1]),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::CONFLICT, "contests-err-vote-limit")
    );
    // Move the vote; the same entry twice is refused.
    let (s, _, _, _) = api_error(
        post_json(
            &app,
            &t,
            &format!("/api/v1/contests/{id}/votes/change"),
            json!({"from": e[0], "to": e[0]}),
        )
        .await,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, ch) = post_json_read(
        &app,
        &t,
        &format!("/api/v1/contests/{id}/votes/change"),
        json!({"from": e[0], "to": e[1]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{ch}");
    assert_eq!(
        (
            ch["withdrawal"]["withdraw"].as_bool(),
            ch["vote"]["entry"].as_i64()
        ),
        (Some(true), Some(e[1]))
    );
    assert_eq!(ch["vote"]["prev"], ch["withdrawal"]["hash"]);
    let (s, mine) = get_json(&app, &t, &format!("/api/v1/contests/{id}/ballots/mine")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine.as_array().unwrap().len(), 3);
    // Withdraw it; a second withdrawal has nothing to withdraw.
    let (s, w) = post_json_read(
        &app,
        &t,
        &format!("/api/v1/contests/{id}/entries/{}/withdraw", e[1]),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let (s, code, _, _) = api_error(
        post_json(
            &app,
            &t,
            &format!("/api/v1/contests/{id}/entries/{}/withdraw", e[1]),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, code.as_str()),
        (StatusCode::CONFLICT, "contests-err-not-voted")
    );
    // A read-only token cannot vote; another school's student does not see the contest; the
    // anomaly report is the organisers'.
    let ro = app.token("counselor2", &[Scope::ContestsRead]).await;
    let r = post_json(
        &app,
        &ro,
        &format!("/api/v1/contests/{id}/entries/{}/vote", e[0]),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let other = app.token("student3", RW).await;
    let (s, _) = get_json(&app, &other, &format!("/api/v1/contests/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get_json(&app, &t, &format!("/api/v1/contests/{id}/anomalies")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contest_ballots").await, 4);
    // Unknown contest; results before publishing.
    let (s, _) = get_json(&app, &t, "/api/v1/contests/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get_json(&app, &t, &format!("/api/v1/contests/{id}/results")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn judges_score_organisers_publish_results_are_stored_and_winners_go_to_campaigns() {
    let app = spawn_seeded().await;
    let (id, e) = voting_contest(&app, &["student1", "student2"]).await;
    for (who, x) in [
        ("counselor1", e[0]),
        ("counselor2", e[0]),
        ("leader1", e[1]),
    ] {
        let c = app.login(who).await;
        vote(&app, &c, id, x).await;
    }
    let org = app.login("admin1").await;
    post_form(
        &app,
        &org,
        &format!("/contests/{id}/judges"),
        &[("usernames".into(), "police1 police2 province1".into())],
    )
    .await;
    post_form(&app, &org, &format!("/contests/{id}/assign"), &[]).await;
    for j in ["police1", "police2", "province1"] {
        let t = app.token(j, RW).await;
        for (x, m) in [(e[0], 9), (e[1], 4)] {
            let r = post_json(
                &app,
                &t,
                &format!("/api/v1/contests/{id}/entries/{x}/score"),
                json!({"marks": {"主题": m, "创意": m}}),
            )
            .await;
            assert_eq!(r.status(), StatusCode::NO_CONTENT);
        }
        // A mark out of range, or a criterion missing: 422, the sheet unchanged.
        let (s, _, _, _) = api_error(
            post_json(
                &app,
                &t,
                &format!("/api/v1/contests/{id}/entries/{}/score", e[0]),
                json!({"marks": {"主题": 11, "创意": 1}}),
            )
            .await,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM contest_scores WHERE total = 900")
            .await,
        3
    );
    let admin = app.token("admin1", RW).await;
    let (s, p) = get_json(&app, &admin, &format!("/api/v1/contests/{id}/progress")).await;
    assert_eq!((s, p["sheets_done"].as_i64()), (StatusCode::OK, Some(6)));
    // Publishing before the close is a conflict; a student may not publish.
    let r = post_json(
        &app,
        &admin,
        &format!("/api/v1/contests/{id}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    app.state.clock.advance_ms(3 * DAY);
    let st = app.token("student1", RW).await;
    let r = post_json(
        &app,
        &st,
        &format!("/api/v1/contests/{id}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Carrying winners before publishing is refused.
    let r = post_json(
        &app,
        &admin,
        &format!("/api/v1/contests/{id}/push"),
        json!({"fraud_type": "fake_loan"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = post_json(
        &app,
        &admin,
        &format!("/api/v1/contests/{id}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (s, res) = get_json(&app, &st, &format!("/api/v1/contests/{id}/results")).await;
    assert_eq!(s, StatusCode::OK, "{res}");
    let skit = res["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "skit")
        .unwrap()
        .clone();
    assert_eq!(skit["rows"][0]["entry_id"], e[0]);
    assert_eq!(skit["rows"][0]["votes"], 2);
    assert_eq!(res["ballots"], 3);
    // The results were stored when published: later reads do not recompute them (a sheet
    // removed behind the app's back changes nothing shown).
    sqlx::query("DELETE FROM contest_scores")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let (_, again) = get_json(&app, &st, &format!("/api/v1/contests/{id}/results")).await;
    assert_eq!(again, res);
    let anon = client();
    let page = anon
        .get(app.url(&format!("/contests/{id}/results")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("results-anomalies"));
    // Winners into campaigns: a student may not; an unknown fraud type changes nothing; then
    // one draft content per category winner, and a second push adds none.
    let r = post_json(
        &app,
        &st,
        &format!("/api/v1/contests/{id}/push"),
        json!({"fraud_type": "fake_loan"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let contents = || app.scalar("SELECT COUNT(*) FROM campaign_contents");
    let before = contents().await;
    let r = post_json(
        &app,
        &admin,
        &format!("/api/v1/contests/{id}/push"),
        json!({"fraud_type": "nonsense"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(contents().await, before);
    let (s, pushed) = post_json_read(
        &app,
        &admin,
        &format!("/api/v1/contests/{id}/push"),
        json!({"fraud_type": "fake_loan"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{pushed}");
    let created = pushed["created"].as_array().unwrap();
    assert_eq!(created.len(), 1, "one category has a winner");
    assert_eq!(created[0]["entry_id"], e[0]);
    assert_eq!(contents().await, before + 1);
    let (kind, status, title): (String, String, String) = sqlx::query_as(&format!(
        "SELECT kind, status, title FROM campaign_contents WHERE id = {}",
        created[0]["content_id"]
    ))
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (kind.as_str(), status.as_str(), title.as_str()),
        ("video", "draft", "作品0")
    );
    let (_, again) = post_json_read(
        &app,
        &admin,
        &format!("/api/v1/contests/{id}/push"),
        json!({"fraud_type": "fake_loan"}),
    )
    .await;
    assert_eq!(
        (
            again["created"].as_array().unwrap().len(),
            again["already"].as_i64()
        ),
        (0, Some(1))
    );
    assert_eq!(contents().await, before + 1);
    // The organiser's page lists the carried winner and links to its content.
    let org = app.login("admin1").await;
    let (_, page) = app.get(&org, &format!("/contests/{id}")).await;
    assert!(
        page.contains("id=\"pushed\"")
            && page.contains(&format!("/campaigns/content/{}", created[0]["content_id"]))
    );
}

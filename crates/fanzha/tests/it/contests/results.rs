//! Results: published by the organiser once voting and judging have closed; per category public
//! = votes ÷ most votes, judges = mean percentile rank, final = weighted sum; the public page
//! shows the counts and only the names entrants agreed to show.

use super::*;
use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn results_are_published_after_the_close_with_counts_and_only_agreed_names() {
    let app = spawn_seeded().await;
    let id = open_contest(&app, "admin1", contest_fields()).await;
    let shown = enter_video(&app, "student1", id, "公开署名的作品").await;
    // student2 enters without agreeing to show names.
    let c2 = app.login("student2").await;
    let (s, _, _) = post_entry(
        &app,
        &c2,
        &format!("/contests/{id}/enter"),
        &[
            ("category", "skit"),
            ("title", "匿名的作品"),
            ("media_kind", "video_link"),
            ("video_url", "https://v.example.cn/2"),
            ("licence", "organiser_use"),
        ],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let hidden = app.scalar("SELECT MAX(id) FROM contest_entries").await;
    for e in [shown, hidden] {
        decide(&app, "admin1", id, e, "accept", "").await;
    }
    app.state.clock.advance_ms(2 * DAY + HOUR);
    for (who, e) in [
        ("counselor1", hidden),
        ("counselor2", hidden),
        ("leader1", shown),
    ] {
        let c = app.login(who).await;
        assert_eq!(vote(&app, &c, id, e).await.0, StatusCode::SEE_OTHER);
    }
    let org = app.login("admin1").await;
    post_form(
        &app,
        &org,
        &format!("/contests/{id}/judges"),
        &[("usernames".into(), "police1 police2 province1".into())],
    )
    .await;
    assert_eq!(
        post_form(&app, &org, &format!("/contests/{id}/assign"), &[])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    // Every judge prefers the first entry: judges 1.0 vs 0.0.
    for j in ["police1", "police2", "province1"] {
        let c = app.login(j).await;
        for (e, m) in [(shown, "9"), (hidden, "3")] {
            let (s, _, body) = post_form(
                &app,
                &c,
                &format!("/contests/{id}/entries/{e}/score"),
                &[
                    ("mark:主题".into(), m.into()),
                    ("mark:创意".into(), m.into()),
                ],
            )
            .await;
            assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
        }
    }
    // Not before the close; not by anyone else.
    let (s, _, _) = post_form(&app, &org, &format!("/contests/{id}/publish"), &[]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let anon = client();
    let r = anon
        .get(app.url(&format!("/contests/{id}/results")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "nothing public before publishing"
    );
    app.state.clock.advance_ms(3 * DAY);
    let org = app.login("admin1").await;
    let st = app.login("student1").await;
    let (s, _, _) = post_form(&app, &st, &format!("/contests/{id}/publish"), &[]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, loc, _) = post_form(&app, &org, &format!("/contests/{id}/publish"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc.ends_with("/results"));
    let (s, _, _) = post_form(&app, &org, &format!("/contests/{id}/publish"), &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "published once");

    // The public page, signed out: ranks, scores, counts, names only where agreed.
    let r = anon
        .get(app.url(&format!("/contests/{id}/results")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let skit = between(&page, "data-category=\"skit\"", "</section>").expect("skit results");
    let first = skit.find("公开署名的作品").unwrap();
    let second = skit.find("匿名的作品").unwrap();
    // public 0.5 / judges 1.0 → 0.4·0.5 + 0.6·1 = 0.8; public 1.0 / judges 0 → 0.4.
    assert!(first < second, "the judges' favourite wins: {skit}");
    assert!(skit.contains(">80.0<") && skit.contains(">40.0<"), "{skit}");
    assert!(page.contains("张三"), "names shown where agreed");
    assert!(!page.contains("赵六"), "no name where not agreed");
    assert!(
        !page.contains("2023010101") && !page.contains("13800001111"),
        "no personal data"
    );
    assert!(page.contains("id=\"count-ballots\">3<") && page.contains("id=\"count-voters\">3<"));
    assert!(page.contains("id=\"count-sheets\">6<"));
    // The export is public now, and its head is the one on the page.
    let r = anon
        .get(app.url(&format!("/contests/{id}/ballots.jsonl")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v = fanzha::contests::verify::verify(&r.text().await.unwrap()).expect("verifies");
    assert!(page.contains(&v.head));
}

/// A contest of admin1 in SCH1 whose votes may be withdrawn, with two accepted entries;
/// counselor1 votes and withdraws, counselor2 and leader1 vote; then published.
async fn published_with_a_withdrawal(app: &TestApp) -> (i64, Vec<i64>) {
    let id = open_contest(
        app,
        "admin1",
        with(contest_fields(), &[("allow_withdraw", "1")]),
    )
    .await;
    let mut e = Vec::new();
    for (who, title) in [("student1", "作品0"), ("student2", "作品1")] {
        let x = enter_video(app, who, id, title).await;
        decide(app, "admin1", id, x, "accept", "").await;
        e.push(x);
    }
    app.state.clock.advance_ms(2 * DAY + HOUR);
    for (who, x) in [
        ("counselor1", e[0]),
        ("counselor2", e[0]),
        ("leader1", e[1]),
    ] {
        let c = app.login(who).await;
        assert_eq!(vote(app, &c, id, x).await.0, StatusCode::SEE_OTHER);
    }
    let c = app.login("counselor1").await;
    let (s, _, body) = post_form(
        app,
        &c,
        &format!("/contests/{id}/entries/{}/withdraw", e[0]),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    app.state.clock.advance_ms(3 * DAY);
    let org = app.login("admin1").await;
    let (s, _, _) = post_form(app, &org, &format!("/contests/{id}/publish"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    (id, e)
}

#[tokio::test]
async fn the_published_counts_are_of_votes_that_stand_and_withdrawals_are_said_apart() {
    let app = spawn_seeded().await;
    let (id, e) = published_with_a_withdrawal(&app).await;
    let page = client()
        .get(app.url(&format!("/contests/{id}/results")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Three votes cast, one withdrawn: two stand, from two people; the log holds four records.
    assert!(
        page.contains("id=\"count-ballots\">2<") && page.contains("id=\"count-voters\">2<"),
        "{page}"
    );
    let words = between(&page, "id=\"results-withdrawn\"", "</p>").expect("withdrawals");
    assert!(words.contains(" 1 ") && words.contains(" 4 "), "{words}");
    let skit = between(&page, "data-category=\"skit\"", "</section>").expect("skit results");
    assert!(skit.contains("作品0") && skit.contains("作品1"));
    // The API says the same.
    let t = app
        .token("student1", &[fanzha::auth::model::Scope::ContestsRead])
        .await;
    let (s, res) = get_json(&app, &t, &format!("/api/v1/contests/{id}/results")).await;
    assert_eq!(s, StatusCode::OK, "{res}");
    assert_eq!(
        (
            &res["ballots"],
            &res["voters"],
            &res["withdrawn"],
            &res["records"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!(2),
            &serde_json::json!(1),
            &serde_json::json!(4)
        )
    );
    let rows = res["categories"][0]["rows"].as_array().unwrap();
    let votes_of = |x: i64| {
        rows.iter()
            .find(|r| r["entry_id"] == x)
            .map(|r| r["votes"].as_i64().unwrap())
    };
    assert_eq!((votes_of(e[0]), votes_of(e[1])), (Some(1), Some(1)));
}

#[tokio::test]
async fn two_organisers_carrying_the_winners_at_once_make_one_draft_per_winner() {
    let app = spawn_seeded().await;
    let (id, _) = published_with_a_withdrawal(&app).await;
    let (_, res) = fanzha::contests::service::published(&app.state.db, id)
        .await
        .unwrap();
    let winners = fanzha::contests::service::winners(&res).len();
    assert!(winners >= 1);
    let contents = || app.scalar("SELECT COUNT(*) FROM campaign_contents");
    let before = contents().await;
    let mut tasks = Vec::new();
    for k in 0..6 {
        // The organiser pressing in six tabs at once (the race of two organisers).
        let _ = k;
        let who = "admin1";
        let p = fanzha::auth::service::principal_for_account(&app.state.db, app.fx.account(who))
            .await
            .unwrap()
            .unwrap();
        let st = app.state.clone();
        tasks.push(tokio::spawn(async move {
            let actor = fanzha::audit::Actor {
                account_id: Some(p.account_id),
                name: who.into(),
                ip: "127.0.0.1".into(),
                request_id: String::new(),
            };
            fanzha::contests::service::push_winners(
                &st.db,
                &st.clock,
                &st.config,
                &p,
                &actor,
                id,
                "fake_loan",
            )
            .await
        }));
    }
    let (mut created, mut already) = (0, 0);
    for t in tasks {
        let r = t
            .await
            .unwrap()
            .expect("an organiser may carry the winners");
        created += r.created.len();
        already += r.already;
    }
    // Each winner made into one draft, by whichever organiser claimed it first.
    assert_eq!(created, winners);
    assert_eq!(already, 6 * winners - winners);
    assert_eq!(contents().await, before + winners as i64);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM contest_pushes WHERE content_id <> 0")
            .await,
        winners as i64
    );
}

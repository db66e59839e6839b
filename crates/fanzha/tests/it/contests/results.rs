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

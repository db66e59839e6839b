//! The shared library: a unit reuses a work in one step (one draft per unit, counted once even
//! when asked at once), who may browse and reuse; and the links to contests: a shortlisted work
//! entered in a contest by its author, a published contest's winners added to the library.

use super::calls::*;
use super::*;
use reqwest::StatusCode;

#[tokio::test]
async fn a_unit_reuses_a_work_once_in_one_step_credited_and_counted_even_at_once() {
    let app = spawn_seeded().await;
    let (_, _, item) = accepted_work(&app).await;
    let admin2 = tok(&app, "admin2").await;
    let r = post_json(
        &app,
        &admin2,
        &format!("/api/v1/volunteers/library/{item}/reuse"),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let (_, v) = json_of(r).await;
    let content = v["content_id"].as_i64().unwrap();
    let (unit_path, status, body): (String, String, String) =
        sqlx::query_as("SELECT unit_path, status, body_md FROM campaign_contents WHERE id = $1")
            .bind(content)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(
        unit_path,
        app.fx.unit("SCH2").path,
        "a draft of the reusing school"
    );
    assert_eq!(status, "draft");
    assert!(
        body.contains("作者:张三") && body.contains("CC BY 4.0"),
        "{body}"
    );
    // Asking again answers the same draft; nothing counted twice.
    let r = post_json(
        &app,
        &admin2,
        &format!("/api/v1/volunteers/library/{item}/reuse"),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let (_, again) = json_of(r).await;
    assert_eq!(again["content_id"].as_i64(), Some(content));
    // Another unit's reuses, sent at once: counted once.
    let admin1 = tok(&app, "admin1").await;
    let sends = (0..6).map(|_| {
        let (app, t) = (&app, admin1.clone());
        async move {
            post_json(
                app,
                &t,
                &format!("/api/v1/volunteers/library/{item}/reuse"),
                json!({}),
            )
            .await
            .status()
            .as_u16()
        }
    });
    let codes = futures::future::join_all(sends).await;
    assert!(codes.iter().all(|c| *c == 201 || *c == 200), "{codes:?}");
    let (_, one) = get_json(&app, &admin1, &format!("/api/v1/volunteers/library/{item}")).await;
    assert_eq!(one["item"]["uses"], 2, "{one}");
    assert!(one["reused_as"].is_i64());
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM vol_library_uses WHERE item_id = {item}"
        ))
        .await,
        2
    );
    // A student browses but cannot reuse.
    let s3 = join(&app, "student3").await;
    let (s, _) = get_json(&app, &s3, "/api/v1/volunteers/library").await;
    assert_eq!(s, 200);
    let (st, _, _, _) = api_error(
        post_json(
            &app,
            &s3,
            &format!("/api/v1/volunteers/library/{item}/reuse"),
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(st.as_u16(), 403);
    let (s, _) = get_json(&app, &admin2, "/api/v1/volunteers/library/999999").await;
    assert_eq!(s, 404);
}

async fn login_form(
    app: &TestApp,
    who: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let c = app.login(who).await;
    let f: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (s, loc, body) = crate::contests::post_form(app, &c, path, &f).await;
    (s, if loc.is_empty() { body } else { loc })
}

#[tokio::test]
async fn a_shortlisted_work_enters_a_contest_and_the_published_winners_join_the_library() {
    use crate::contests::{contest_fields, decide, open_contest, DAY, HOUR};
    let app = spawn_seeded().await;
    let police = tok(&app, "police1").await;
    let s1 = join(&app, "student1").await;
    let s2 = join(&app, "student2").await;
    let call = open_call(&app, &police, call_body(&app, 10)).await;
    let (_, video) = hand_in(&app, &s1, call, json!({"kind": "script", "title": "刷单小品", "body": "第一幕:宿舍里", "video_url": "https://v.example.cn/skit"})).await;
    let (_, text) = hand_in(&app, &s1, call, slogan("只有文字")).await;
    let video = video["id"].as_i64().unwrap();
    let text = text["id"].as_i64().unwrap();
    let contest = open_contest(&app, "admin1", contest_fields()).await;
    let promote = |who: String, work: i64| {
        let app = &app;
        async move {
            api_error(
                post_json(
                    app,
                    &who,
                    &format!("/api/v1/volunteers/works/{work}/contest"),
                    json!({"contest_id": contest}),
                )
                .await,
            )
            .await
        }
    };
    // Not shortlisted yet; then not the author's; then no picture or video.
    assert_eq!(promote(s1.clone(), video).await.0.as_u16(), 409);
    decide_work(&app, &police, video, "shortlist", "").await;
    decide_work(&app, &police, text, "shortlist", "").await;
    assert_eq!(promote(s2.clone(), video).await.0.as_u16(), 404);
    let (st, code, _, _) = promote(s1.clone(), text).await;
    assert_eq!((st.as_u16(), code.as_str()), (422, "vol-err-no-media"));
    // The author enters it: an entry under the contest's own rules.
    let r = post_json(
        &app,
        &s1,
        &format!("/api/v1/volunteers/works/{video}/contest"),
        json!({"contest_id": contest}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let (_, v) = json_of(r).await;
    let entry = v["entry_id"].as_i64().unwrap();
    let (title, url, category): (String, String, String) =
        sqlx::query_as("SELECT title, video_url, category FROM contest_entries WHERE id = $1")
            .bind(entry)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(
        (title.as_str(), url.as_str(), category.as_str()),
        ("刷单小品", "https://v.example.cn/skit", "skit")
    );
    let (st, code, _, _) = promote(s1.clone(), video).await;
    assert_eq!((st.as_u16(), code.as_str()), (409, "vol-err-promoted"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM contest_entries WHERE contest_id = {contest}"
        ))
        .await,
        1
    );

    // The contest runs to published results.
    decide(&app, "admin1", contest, entry, "accept", "").await;
    app.state.clock.advance_ms(2 * DAY + HOUR);
    login_form(
        &app,
        "admin1",
        &format!("/contests/{contest}/judges"),
        &[("usernames", "police1 police2 province1")],
    )
    .await;
    login_form(&app, "admin1", &format!("/contests/{contest}/assign"), &[]).await;
    for j in ["police1", "police2", "province1"] {
        login_form(
            &app,
            j,
            &format!("/contests/{contest}/entries/{entry}/score"),
            &[("mark:主题", "8"), ("mark:创意", "7")],
        )
        .await;
    }
    let admin1 = tok(&app, "admin1").await;
    let early = post_json(
        &app,
        &admin1,
        &format!("/api/v1/volunteers/library/contests/{contest}"),
        json!({}),
    )
    .await;
    assert!(
        early.status().is_client_error(),
        "not before the results are published"
    );
    app.state.clock.advance_ms(3 * DAY);
    let (s, loc) = login_form(&app, "admin1", &format!("/contests/{contest}/publish"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    // Only the contest's organisers push its winners; twice adds nothing twice.
    let admin2 = tok(&app, "admin2").await;
    let r = post_json(
        &app,
        &admin2,
        &format!("/api/v1/volunteers/library/contests/{contest}"),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 404);
    let (s, v) = post_json_read(
        &app,
        &admin1,
        &format!("/api/v1/volunteers/library/contests/{contest}"),
        json!({}),
    )
    .await;
    assert_eq!((s.as_u16(), v["added"].as_u64()), (200, Some(1)), "{v}");
    let (_, v) = post_json_read(
        &app,
        &admin1,
        &format!("/api/v1/volunteers/library/contests/{contest}"),
        json!({}),
    )
    .await;
    assert_eq!(v["added"].as_u64(), Some(0));
    let (_, items) = get_json(&app, &admin2, "/api/v1/volunteers/library?kind=script").await;
    let items = items.as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(
        items[0]["source"],
        format!("contest:{contest}:entry:{entry}")
    );
    assert_eq!(items[0]["licence"], "cc_by");
    assert_eq!(items[0]["author"], "张三");
}

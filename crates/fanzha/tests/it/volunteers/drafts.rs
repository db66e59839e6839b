//! Campaign drafts made from works, exactly once: reuses of one library item by one unit at the
//! same instant leave one draft; an accepted work whose draft could not be made gets it when the
//! acceptance is sent again, once. And uploaded images are stored without their metadata.

use super::calls::*;
use super::*;

async fn drafts_titled(app: &TestApp, unit: &str, title: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM campaign_contents WHERE unit_path = $1 AND title = $2",
    )
    .bind(&app.fx.unit(unit).path)
    .bind(title)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn reuses_of_one_work_by_one_unit_at_the_same_instant_leave_exactly_one_draft() {
    let app = spawn_seeded().await;
    let (_, _, item) = accepted_work(&app).await;
    let admin2 = tok(&app, "admin2").await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let sends = (0..8).map(|_| {
        let (app, t, b) = (&app, admin2.clone(), barrier.clone());
        async move {
            b.wait().await;
            let r = post_json(
                app,
                &t,
                &format!("/api/v1/volunteers/library/{item}/reuse"),
                json!({}),
            )
            .await;
            let s = r.status().as_u16();
            let (_, v) = json_of(r).await;
            (s, v["content_id"].as_i64())
        }
    });
    let answers = futures::future::join_all(sends).await;
    assert!(
        answers.iter().all(|(s, _)| *s == 201 || *s == 200),
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "one made it: {answers:?}"
    );
    let first = answers[0].1.expect("a draft");
    assert!(
        answers.iter().all(|(_, c)| *c == Some(first)),
        "{answers:?}"
    );
    assert_eq!(drafts_titled(&app, "SCH2", "刷单就是诈骗").await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM vol_library_uses WHERE item_id = {item}"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn an_accepted_work_whose_draft_failed_gets_it_once_when_accepted_again() {
    let app = spawn_seeded().await;
    let police = tok(&app, "police1").await;
    let s1 = join(&app, "student1").await;
    let call = open_call(&app, &police, call_body(&app, 10)).await;
    let (s, w) = hand_in(&app, &s1, call, slogan("先返后骗")).await;
    assert_eq!(s, 201, "{w}");
    let work = w["id"].as_i64().unwrap();
    // The content library is out of reach when the draft is made.
    let pool = &app.state.db.pool;
    sqlx::query("ALTER TABLE campaign_contents RENAME TO campaign_contents_away")
        .execute(pool)
        .await
        .unwrap();
    let (s, _) = decide_work(&app, &police, work, "accept", "").await;
    assert!(s >= 500, "the draft step failed: {s}");
    sqlx::query("ALTER TABLE campaign_contents_away RENAME TO campaign_contents")
        .execute(pool)
        .await
        .unwrap();
    // The acceptance itself held: accepted, credited, in the library, without a draft yet.
    let status: String = sqlx::query_scalar("SELECT status FROM vol_works WHERE id = $1")
        .bind(work)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(status, "accepted");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM vol_works WHERE id = {work} AND content_id IS NULL"
        ))
        .await,
        1
    );
    // Accepting again makes the draft (sent at once twice: still one), credits nothing more.
    // The two overlap: one that reads the work while the other makes the draft waits for that
    // draft and answers it; one that reads it after the draft is made is a replay (409).
    let (a, b) = tokio::join!(
        decide_work(&app, &police, work, "accept", ""),
        decide_work(&app, &police, work, "accept", "")
    );
    let answered: Vec<_> = [&a, &b].into_iter().filter(|r| r.0 == 200).collect();
    assert!(!answered.is_empty(), "{a:?} {b:?}");
    assert!(
        [&a, &b].iter().all(|r| r.0 == 200 || r.0 == 409),
        "{a:?} {b:?}"
    );
    let content = answered[0].1["content_id"].as_i64().expect("a draft now");
    assert!(
        answered
            .iter()
            .all(|r| r.1["content_id"].as_i64() == Some(content)),
        "{a:?} {b:?}"
    );
    assert_eq!(drafts_titled(&app, "ST1", "先返后骗").await, 1);
    let (_, me) = get_json(&app, &s1, "/api/v1/volunteers/me").await;
    assert_eq!(me["volunteer"]["balance"], 20, "{me}");
    // With its draft made, another acceptance is a conflict again, nothing changed.
    let (s, _) = decide_work(&app, &police, work, "accept", "").await;
    assert_eq!(s, 409);
    assert_eq!(drafts_titled(&app, "ST1", "先返后骗").await, 1);
}

#[tokio::test]
async fn uploaded_photos_and_posters_are_stored_without_exif_or_text_metadata() {
    use fanzha::volunteers::images::has_metadata;
    let app = spawn_seeded().await;
    let police = tok(&app, "police1").await;
    let s1 = join(&app, "student1").await;
    let id = claimed_task(&app, &police, &s1, "photo").await;
    let jpeg = jpeg_with_exif();
    assert!(has_metadata(&jpeg));
    let b64 = |b: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b);
    let (s, v) = post_json_read(
        &app,
        &s1,
        &format!("/api/v1/volunteers/tasks/{id}/proof"),
        json!({"photo_base64": b64(&jpeg)}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT proof_photo FROM vol_claims WHERE task_id = $1")
            .bind(id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert!(!stored.windows(4).any(|w| w == b"Exif"), "EXIF stored");
    assert!(!stored.windows(3).any(|w| w == b"GPS"), "GPS stored");
    assert!(!has_metadata(&stored));
    assert!(stored.starts_with(&[0xFF, 0xD8]) && stored.ends_with(&[0x56, 0xFF, 0xD9]));

    // A poster with an author's name and EXIF in its chunks: stored clean, the picture kept.
    let call = open_call(&app, &police, call_body(&app, 10)).await;
    let (s, w) = hand_in(
        &app,
        &s1,
        call,
        json!({"kind": "poster", "title": "海报", "file_base64": b64(&png(true))}),
    )
    .await;
    assert_eq!(s, 201, "{w}");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT file_bytes FROM vol_works WHERE id = $1")
        .bind(w["id"].as_i64().unwrap())
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, png(false));
    // An image cut short is refused, nothing handed in.
    let mut cut = png(true);
    cut.truncate(40);
    let (s, _) = hand_in(
        &app,
        &s1,
        call,
        json!({"kind": "poster", "title": "残图", "file_base64": b64(&cut)}),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM vol_works WHERE call_id = {call}"
        ))
        .await,
        1
    );
}

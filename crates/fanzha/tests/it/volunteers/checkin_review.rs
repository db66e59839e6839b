//! Check-in and out with the place screen's rotating code, proof of the required kind, and the
//! publisher's review: approve (points and capped hours, once), reject with a reason, no-show,
//! revoke by a reversing entry; a publisher never reviews their own claim.

use super::*;

async fn code(app: &TestApp, token: &str, id: i64) -> String {
    let (s, v) = get_json(app, token, &format!("/api/v1/volunteers/tasks/{id}/code")).await;
    assert_eq!(s, 200, "{v}");
    v["short_code"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn check_in_and_out_with_the_screen_code_then_approval_credits_points_and_capped_hours_once()
{
    let app = spawn_seeded().await;
    let s1 = join(&app, "student1").await;
    let police = tok(&app, "police1").await;
    let mut body = task_body(&app, 3, 10 * 60_000, 60, "checkin");
    body["minutes"] = json!(45);
    let id = publish(&app, &police, body).await;
    claim_task(&app, &s1, id).await;
    let check = |out: bool, c: String| {
        let (app, s1) = (&app, s1.clone());
        async move {
            post_json(
                app,
                &s1,
                &format!("/api/v1/volunteers/tasks/{id}/check"),
                json!({"code": c, "out": out}),
            )
            .await
        }
    };
    // Only the publisher's unit reads the screen code.
    let r = app
        .api_get(&s1, &format!("/api/v1/volunteers/tasks/{id}/code"))
        .await;
    assert_eq!(r.status(), 404);
    let police2 = tok(&app, "police2").await;
    assert_eq!(
        app.api_get(&police2, &format!("/api/v1/volunteers/tasks/{id}/code"))
            .await
            .status(),
        404
    );

    // A wrong code, and an expired one, change nothing.
    let (st, c, _, _) = api_error(check(false, "000000".into()).await).await;
    assert_eq!((st.as_u16(), c.as_str()), (422, "vol-err-code"));
    let old = code(&app, &police, id).await;
    app.state.clock.advance_ms(25_000);
    let (st, c, _, _) = api_error(check(false, old).await).await;
    assert_eq!((st.as_u16(), c.as_str()), (422, "vol-err-code"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM vol_claims WHERE task_id = $1 AND checkin_at IS NOT NULL",
            id
        )
        .await,
        0
    );

    // The current code checks in; a proof of another kind is refused.
    let r = check(false, code(&app, &police, id).await).await;
    assert_eq!(r.status(), 200);
    let (st, c, _, _) = api_error(
        post_json(
            &app,
            &s1,
            &format!("/api/v1/volunteers/tasks/{id}/proof"),
            json!({"text": "done"}),
        )
        .await,
    )
    .await;
    assert_eq!((st.as_u16(), c.as_str()), (422, "vol-err-wrong-proof"));
    // An hour later (longer than the 45 credited minutes) the volunteer checks out: handed in.
    app.state.clock.advance_ms(70 * 60_000);
    let (s, cl) = json_of(check(true, code(&app, &police, id).await).await).await;
    assert_eq!(
        (s.as_u16(), cl["status"].as_str()),
        (200, Some("submitted")),
        "{cl}"
    );
    let claim = cl["id"].as_i64().unwrap();

    // Reviewers: not a counselor, not another station.
    for who in ["counselor1", "police2", "student2"] {
        let t = tok(&app, who).await;
        let r = review(&app, &t, claim, json!({"decision": "approve"})).await;
        assert!(
            matches!(r.status().as_u16(), 403 | 404),
            "{who}: {}",
            r.status()
        );
    }
    let (s, cl) = json_of(review(&app, &police, claim, json!({"decision": "approve"})).await).await;
    assert_eq!(
        (s.as_u16(), cl["status"].as_str()),
        (200, Some("approved")),
        "{cl}"
    );
    assert_eq!(cl["minutes"], 45, "capped at the task's credited minutes");
    // A replayed approval credits nothing twice.
    let (st, c, _, _) =
        api_error(review(&app, &police, claim, json!({"decision": "approve"})).await).await;
    assert_eq!((st.as_u16(), c.as_str()), (409, "vol-err-state"));
    let (_, me) = get_json(&app, &s1, "/api/v1/volunteers/me").await;
    assert_eq!(me["volunteer"]["balance"], 10);
    assert_eq!(me["volunteer"]["minutes"], 45);
    assert_eq!(me["entries"].as_array().unwrap().len(), 1);
    // The same award through the ledger again: nothing appended.
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let task = fanzha::volunteers::store::task(&mut conn, id)
        .await
        .unwrap()
        .unwrap();
    let vid = me["volunteer"]["id"].as_i64().unwrap();
    assert!(!fanzha::volunteers::service::award(
        &mut conn,
        &task,
        vid,
        fanzha::kernel::ids::AccountId(1),
        0
    )
    .await
    .unwrap());
    drop(conn);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_ledger").await, 1);

    // Revoking needs a reason and is a reversing entry; the balance is the sum.
    let r = review(&app, &police, claim, json!({"decision": "revoke"})).await;
    assert_eq!(r.status(), 422);
    let (s, _) = json_of(
        review(
            &app,
            &police,
            claim,
            json!({"decision": "revoke", "reason": "照片不是本人"}),
        )
        .await,
    )
    .await;
    assert_eq!(s, 200);
    let (_, me) = get_json(&app, &s1, "/api/v1/volunteers/me").await;
    assert_eq!(me["volunteer"]["balance"], 0);
    assert_eq!(me["volunteer"]["minutes"], 0);
    let kinds: Vec<&str> = me["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["revoke", "award"]);
}

#[tokio::test]
async fn text_proof_reject_with_reason_and_no_show() {
    let app = spawn_seeded().await;
    let s1 = join(&app, "student1").await;
    let s2 = join(&app, "student2").await;
    let police = tok(&app, "police1").await;
    let id = publish(&app, &police, task_body(&app, 3, 3_600_000, 120, "text")).await;
    for t in [&s1, &s2] {
        claim_task(&app, t, id).await;
    }
    let proof = |t: &String, b: Value| {
        let (app, t) = (&app, t.clone());
        async move { post_json(app, &t, &format!("/api/v1/volunteers/tasks/{id}/proof"), b).await }
    };
    let (st, c, _, _) = api_error(proof(&s1, json!({"text": "   "})).await).await;
    assert_eq!((st.as_u16(), c.as_str()), (422, "vol-err-proof-text"));
    let (st, c, _, _) = api_error(proof(&s1, json!({"photo_base64": "iVBORw0KGgo="})).await).await;
    assert_eq!((st.as_u16(), c.as_str()), (422, "vol-err-wrong-proof"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM vol_claims WHERE task_id = $1 AND status = 'submitted'",
            id
        )
        .await,
        0
    );
    let (s, cl) = json_of(proof(&s1, json!({"text": "在食堂门口发放传单 120 份"})).await).await;
    assert_eq!(
        (s.as_u16(), cl["status"].as_str()),
        (200, Some("submitted"))
    );
    let claim = cl["id"].as_i64().unwrap();
    // Reject needs a reason.
    let (st, c, _, _) =
        api_error(review(&app, &police, claim, json!({"decision": "reject"})).await).await;
    assert_eq!((st.as_u16(), c.as_str()), (422, "vol-err-reason"));
    let (s, cl) = json_of(
        review(
            &app,
            &police,
            claim,
            json!({"decision": "reject", "reason": "没有现场照片"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (s.as_u16(), cl["status"].as_str(), cl["reason"].as_str()),
        (200, Some("rejected"), Some("没有现场照片"))
    );
    // No-show only once the task has started; it counts zero.
    let (_, t2) = get_json(&app, &police, &format!("/api/v1/volunteers/tasks/{id}")).await;
    let c2 = t2["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "claimed")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = review(&app, &police, c2, json!({"decision": "no_show"})).await;
    assert_eq!(r.status(), 409);
    app.state.clock.advance_ms(2 * 3_600_000);
    let (s, cl) = json_of(review(&app, &police, c2, json!({"decision": "no_show"})).await).await;
    assert_eq!(
        (s.as_u16(), cl["status"].as_str(), cl["minutes"].as_i64()),
        (200, Some("no_show"), Some(0))
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_ledger").await, 0);
}

#[tokio::test]
async fn a_publisher_never_approves_their_own_claim() {
    let app = spawn_seeded().await;
    // student1 also administers SCH1: they publish as the school and claim as a student.
    sqlx::query("INSERT INTO role_assignments (account_id, role, unit_id, created_at) VALUES ($1, 'school_admin', $2, 0)")
        .bind(app.fx.account("student1"))
        .bind(app.fx.unit("SCH1").id)
        .execute(&app.state.db.pool).await.unwrap();
    let s1 = join(&app, "student1").await;
    let id = claimed_task(&app, &s1, &s1, "text").await;
    let (s, cl) = post_json_read(
        &app,
        &s1,
        &format!("/api/v1/volunteers/tasks/{id}/proof"),
        json!({"text": "张贴海报 20 张"}),
    )
    .await;
    assert_eq!(s, 200);
    let claim = cl["id"].as_i64().unwrap();
    let (st, c, _, _) =
        api_error(review(&app, &s1, claim, json!({"decision": "approve"})).await).await;
    assert_eq!((st.as_u16(), c.as_str()), (403, "vol-err-own-claim"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM vol_ledger").await, 0);
    // Another admin of the school, and police over it, may.
    let police = tok(&app, "police1").await;
    let (s, cl) = json_of(review(&app, &police, claim, json!({"decision": "approve"})).await).await;
    assert_eq!((s.as_u16(), cl["status"].as_str()), (200, Some("approved")));
}

#[tokio::test]
async fn a_photo_is_handed_in_from_the_page_and_seen_only_by_the_volunteer_and_reviewers() {
    let app = spawn_seeded().await;
    let s1 = join(&app, "student1").await;
    join(&app, "student2").await;
    let police = tok(&app, "police1").await;
    let id = claimed_task(&app, &police, &s1, "photo").await;
    let browser = app.login("student1").await;
    let csrf = app.page_csrf(&browser).await;
    let upload = |bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part(
                "photo",
                reqwest::multipart::Part::bytes(bytes).file_name("p.png"),
            );
        browser
            .post(app.url(&format!("/volunteers/tasks/{id}/photo")))
            .multipart(form)
            .send()
    };
    // Not an image: refused, nothing handed in.
    let r = upload(b"GIF89a not accepted".to_vec()).await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM vol_claims WHERE task_id = $1 AND status = 'submitted'",
            id
        )
        .await,
        0
    );
    // Over 5 MiB: refused with the limit named, nothing handed in.
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(fanzha::volunteers::model::MAX_PHOTO_BYTES + 1, 0);
    let (st, c, msg, _) = api_error(post_json(&app, &s1, &format!("/api/v1/volunteers/tasks/{id}/proof"), json!({"photo_base64": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &big)})).await).await;
    assert!(
        matches!(
            (st.as_u16(), c.as_str()),
            (422, "vol-err-photo-size") | (413, "too-large")
        ),
        "{st} {c} {msg}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM vol_claims WHERE task_id = $1 AND status = 'submitted'",
            id
        )
        .await,
        0
    );
    let png = super::png(false);
    let r = upload(png.clone()).await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let (_, t) = get_json(&app, &police, &format!("/api/v1/volunteers/tasks/{id}")).await;
    let claim = t["claims"][0]["id"].as_i64().unwrap();
    assert_eq!(t["claims"][0]["status"], "submitted");
    assert_eq!(t["claims"][0]["has_photo"], true);
    let photo = format!("/volunteers/claims/{claim}/photo");
    let officer = app.login("police1").await;
    let r = officer.get(app.url(&photo)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    assert_eq!(
        browser.get(app.url(&photo)).send().await.unwrap().status(),
        200
    );
    for who in ["student2", "counselor1", "police2"] {
        let c = app.login(who).await;
        assert_eq!(
            c.get(app.url(&photo)).send().await.unwrap().status(),
            404,
            "{who}"
        );
    }
}

#[tokio::test]
async fn a_task_not_offered_to_the_caller_is_not_found_for_check_in_proof_and_withdrawal() {
    let app = spawn_seeded().await;
    let police = tok(&app, "police2").await;
    let s1 = join(&app, "student1").await;
    let mut body = task_body(&app, 3, 0, 120, "text");
    body["targets"] = json!(["SCH2"]);
    let id = publish(&app, &police, body).await;
    for (path, body) in [
        ("check", json!({"code": "000000"})),
        ("check", json!({"code": "000000", "out": true})),
        ("proof", json!({"text": "做完了"})),
        ("withdraw", json!({})),
    ] {
        let r = post_json(
            &app,
            &s1,
            &format!("/api/v1/volunteers/tasks/{id}/{path}"),
            body,
        )
        .await;
        assert_eq!(r.status(), 404, "{path}");
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM vol_claims WHERE task_id = $1",
            id
        )
        .await,
        0
    );
}

//! Activities with check-in: the room's screen pulls a code that rotates every 10 s; the current
//! and previous windows are accepted and nothing older (replay); one check-in per student; another
//! unit's activity is refused; a device used for a second account is flagged to the organiser.

use super::id_of;
use crate::common::*;
use reqwest::StatusCode;

/// The counselor of CLS1A1 (or whoever `who` is) schedules an activity for `unit` starting now.
async fn activity(app: &TestApp, who: &str, unit: &str) -> i64 {
    let c = app.login(who).await;
    let unit = app.fx.unit(unit).id.to_string();
    let (s, loc) = app
        .post_form(
            &c,
            "/learning/activities",
            &[
                ("unit", &unit),
                ("kind", "class_meeting"),
                ("title", "反诈主题班会"),
                ("place", "教学楼 A201"),
                ("starts_at", "2025-03-01 08:00"),
                ("minutes", "90"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    id_of(&loc)
}

/// What the screen shows now: (QR token, six digits), read from the fragment the screen pulls.
async fn screen(app: &TestApp, c: &reqwest::Client, id: i64) -> (String, String) {
    let (s, page) = app.get(c, &format!("/learning/activities/{id}/code")).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let digits = between(&page, "id=\"short-code\">", "<").expect("digits");
    let (s, full) = app
        .get(c, &format!("/learning/activities/{id}/screen"))
        .await;
    assert_eq!(s, StatusCode::OK, "{full}");
    assert!(full.contains(&digits), "the screen shows the same code");
    assert!(full.contains("hx-trigger=\"every 3s\""), "{full}");
    assert!(full.contains("<svg"), "QR code: {full}");
    // The token is in the QR code only; the service computes it the same way.
    let key = fanzha::db::keys::server_key(&app.state.db, "checkin")
        .await
        .expect("key");
    let r = fanzha::kernel::rotating::Rotating::new(&key, &format!("activity:{id}"));
    let shown = r.shown(app.state.clock.now_ms());
    assert_eq!(shown.short_code, digits);
    // The QR code carries an absolute link a phone's camera opens, with this window's token.
    let link = between(&page, "data-link=\"", "\"").expect("link");
    assert_eq!(
        link,
        app.url(&format!("/learning/activities/{id}?t={}", shown.token))
    );
    (shown.token, digits)
}

#[tokio::test]
async fn a_signed_in_student_checks_in_once_with_the_screens_code() {
    let app = spawn_seeded().await;
    // The clock of the fixture is 2025-03-01 00:00 UTC = 08:00 in Shanghai.
    let id = activity(&app, "counselor1", "CLS1A1").await;
    let c1 = app.login("counselor1").await;
    let (_, digits) = screen(&app, &c1, id).await;
    // Signed out: to the login page, nothing written.
    let anon = client();
    let r = anon
        .get(app.url(&format!("/learning/activities/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let st = app.login("student1").await;
    let (s, page) = app.get(&st, "/learning").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("反诈主题班会"), "{page}");
    let (s, body) = app
        .post_form(
            &st,
            &format!("/learning/activities/{id}/checkin"),
            &[("code", "000000")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, _) = app
        .post_form(
            &st,
            &format!("/learning/activities/{id}/checkin"),
            &[("code", &digits)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = app.get(&st, &format!("/learning/activities/{id}")).await;
    assert!(page.contains("id=\"checked-in\""), "{page}");
    let (s, _) = app
        .post_form(
            &st,
            &format!("/learning/activities/{id}/checkin"),
            &[("code", &digits)],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_checkins").await,
        1
    );
    // The organiser's attendance list.
    let (_, page) = app.get(&c1, &format!("/learning/activities/{id}")).await;
    assert!(page.contains("张三"), "{page}");
    assert!(page.contains("已签到 1 / 应到 2"), "{page}");
    // Another counselor may not run the screen.
    let c3 = app.login("counselor3").await;
    let (s, _) = app
        .get(&c3, &format!("/learning/activities/{id}/code"))
        .await;
    assert!(
        s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
        "{s}"
    );
    // A student of another class is refused at this class's meeting.
    let other = app.login("student2").await;
    let (s, body) = app
        .post_form(
            &other,
            &format!("/learning/activities/{id}/checkin"),
            &[("code", &digits)],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_checkins").await,
        1
    );
    // A counselor cannot create an activity for another counselor's class.
    let c = app.login("counselor1").await;
    let unit = app.fx.unit("CLS1B1").id.to_string();
    let (s, _) = app
        .post_form(
            &c,
            "/learning/activities",
            &[
                ("unit", &unit),
                ("kind", "lecture"),
                ("title", "x"),
                ("place", "y"),
                ("starts_at", "2025-03-01 08:00"),
                ("minutes", "60"),
            ],
        )
        .await;
    assert!(
        s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
        "{s}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_activities").await,
        1
    );
}

#[tokio::test]
async fn a_replayed_code_is_accepted_in_the_next_window_and_refused_after() {
    let app = spawn_seeded().await;
    let id = activity(&app, "admin1", "SCH1").await;
    let admin = app.login("admin1").await;
    let (token, digits) = screen(&app, &admin, id).await;
    // 10 s later (the next window) the QR link still works.
    app.state.clock.advance_ms(10_000);
    let st = app.login("student1").await;
    let (s, page) = app
        .get(&st, &format!("/learning/activities/{id}?t={token}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(&token),
        "the scanned token is carried: {page}"
    );
    let (s, _) = app
        .post_form(
            &st,
            &format!("/learning/activities/{id}/checkin"),
            &[("code", &token)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // Another 10 s: the same token and digits relayed to a friend are refused.
    app.state.clock.advance_ms(10_000);
    let friend = app.login("student2").await;
    for code in [&token, &digits] {
        let (s, body) = app
            .post_form(
                &friend,
                &format!("/learning/activities/{id}/checkin"),
                &[("code", code)],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("签到码无效或已过期"), "{body}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_checkins").await,
        1
    );
    // A code of another activity is worthless here.
    let other = activity(&app, "admin1", "SCH1").await;
    let (other_token, _) = screen(&app, &admin, other).await;
    let (s, _) = app
        .post_form(
            &friend,
            &format!("/learning/activities/{id}/checkin"),
            &[("code", &other_token)],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // After the activity (and its grace) nothing is taken, even the current code.
    app.state.clock.advance_ms(3 * 3_600_000);
    let (admin, friend) = (app.login("admin1").await, app.login("student2").await);
    let (_, digits) = screen(&app, &admin, id).await;
    let (s, _) = app
        .post_form(
            &friend,
            &format!("/learning/activities/{id}/checkin"),
            &[("code", &digits)],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_checkins").await,
        1
    );
}

#[tokio::test]
async fn a_device_used_for_a_second_account_is_flagged_to_the_organiser() {
    let app = spawn_seeded().await;
    let id = activity(&app, "admin1", "SCH1").await;
    let admin = app.login("admin1").await;
    let (_, digits) = screen(&app, &admin, id).await;
    let a = app.login("student1").await;
    let (s, _) = app
        .post_form(
            &a,
            &format!("/learning/activities/{id}/checkin"),
            &[("code", &digits)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let device: String = sqlx::query_scalar("SELECT device FROM learning_checkins")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    // The same phone, another account: the check-in counts but is flagged.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(
        &format!("fz_device={device}; Path=/"),
        &app.url("/").parse().unwrap(),
    );
    let b = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    app.submit_login(&b, "student2", PASSWORD).await;
    let (s, _) = app
        .post_form(
            &b,
            &format!("/learning/activities/{id}/checkin"),
            &[("code", &digits)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_checkins WHERE shared_device = 1")
            .await,
        1
    );
    let organiser = app.fx.account("admin1");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'account:{organiser}' AND kind = 'learning'"
        ))
        .await,
        1
    );
    let (_, page) = app.get(&admin, &format!("/learning/activities/{id}")).await;
    assert!(page.contains("shared-device"), "{page}");
}

#[tokio::test]
async fn concurrent_check_ins_of_one_student_record_one() {
    let app = spawn_seeded().await;
    let id = activity(&app, "counselor1", "CLS1A1").await;
    let c1 = app.login("counselor1").await;
    let (_, digits) = screen(&app, &c1, id).await;
    let st = app.login("student1").await;
    let csrf = app.page_csrf(&st).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let c = st.clone();
        let url = app.url(&format!("/learning/activities/{id}/checkin"));
        let form = vec![("csrf", csrf.clone()), ("code", digits.clone())];
        tasks.push(tokio::spawn(async move {
            c.post(url).form(&form).send().await.expect("POST").status()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let s = t.await.expect("task");
        if s == StatusCode::SEE_OTHER {
            ok += 1;
        } else {
            assert_eq!(s, StatusCode::CONFLICT);
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_checkins").await,
        1
    );
}

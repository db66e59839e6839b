//! Login: the session cookie, wrong passwords in both languages, lockout, rate limit, CSRF.

use super::*;

#[tokio::test]
pub(super) async fn login_sets_a_session_cookie_and_audits() {
    let app = spawn_seeded().await;
    let c = client();
    let r = app.submit_login(&c, "counselor1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    let cookies = set_cookies(r.headers());
    let session = cookies
        .iter()
        .find(|c| c.starts_with("fz_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    // The cookie value is not what the database stores (only its hash is kept).
    let value = session
        .trim_start_matches("fz_session=")
        .split(';')
        .next()
        .unwrap();
    let stored: String = sqlx::query_scalar("SELECT id FROM sessions")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_ne!(stored, value);
    let (status, body) = app.get(&c, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("counselor1"));
    let logins = app.audit("auth.login").await;
    assert_eq!(logins.len(), 1);
    assert_eq!(
        logins[0].actor_account_id,
        Some(app.fx.account("counselor1").get())
    );
    assert_eq!(logins[0].ip, "127.0.0.1");
    // The pre-login CSRF cookie is also HttpOnly and Lax.
    let c2 = client();
    let r = c2.get(app.url("/login")).send().await.unwrap();
    let pre = set_cookies(r.headers());
    let csrf = pre
        .iter()
        .find(|c| c.starts_with("fz_csrf="))
        .expect("csrf cookie");
    assert!(
        csrf.contains("HttpOnly") && csrf.contains("SameSite=Lax"),
        "{csrf}"
    );
}

#[tokio::test]
pub(super) async fn wrong_password_and_unknown_user_get_401_in_the_callers_language() {
    let app = spawn_seeded().await;
    let c = client();
    let r = app.submit_login(&c, "counselor1", "wrong-password").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookies(r.headers())
        .iter()
        .all(|c| !c.starts_with("fz_session=")));
    let body = r.text().await.unwrap();
    assert!(
        body.contains("用户名或密码错误"),
        "zh-CN by default: {body}"
    );
    let r = app.submit_login(&c, "nobody", "wrong-password").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let unknown = r.text().await.unwrap();
    assert!(
        unknown.contains("用户名或密码错误"),
        "same message for unknown users"
    );
    // English with the language cookie.
    let en = client();
    let r = en
        .get(app.url("/lang?set=en&next=/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.submit_login(&en, "counselor1", "wrong-password").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body = r.text().await.unwrap();
    assert!(body.contains("Wrong username or password"), "{body}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0);
    let failed = app.audit("auth.login_failed").await;
    assert_eq!(failed.len(), 3);
    assert!(failed[0].detail.contains("bad_credentials"));
}

#[tokio::test]
pub(super) async fn lockout_after_repeated_failures_then_unlock_with_time() {
    let app = spawn_seeded().await;
    let max = app.state.config.login_max_failures;
    let c = client();
    for i in 1..=max {
        let r = app.submit_login(&c, "admin1", "wrong-password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // The right password is refused while locked, with the answer of a wrong one.
    let r = app.submit_login(&c, "admin1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body = r.text().await.unwrap();
    assert!(body.contains("用户名或密码错误"), "{body}");
    assert_eq!(sessions(&app, "admin1").await, 0);
    // Other accounts are not locked.
    app.login("admin2").await;
    // Almost over: still locked.
    let lock_ms = app.state.config.lockout_minutes * 60_000;
    app.state.clock.advance_ms(lock_ms - 1_000);
    let r = app.submit_login(&c, "admin1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.state.clock.advance_ms(2_000);
    let r = app.submit_login(&c, "admin1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let left = app
        .scalar("SELECT COUNT(*) FROM login_failures WHERE username = 'admin1'")
        .await;
    assert_eq!(left, 0, "a successful login clears the count");
    let reasons: Vec<String> = app
        .audit("auth.login_failed")
        .await
        .into_iter()
        .map(|a| a.detail)
        .collect();
    assert!(
        reasons.iter().any(|d| d.contains("\"locked\"")),
        "{reasons:?}"
    );
}

#[tokio::test]
pub(super) async fn an_expired_lockout_starts_a_fresh_count() {
    // Once the lock has run out, one more typo is an ordinary wrong password, not a new lock.
    let app = spawn_seeded().await;
    let max = app.state.config.login_max_failures;
    let c = client();
    for _ in 0..max {
        app.submit_login(&c, "admin1", "wrong-password").await;
    }
    app.state
        .clock
        .advance_ms(app.state.config.lockout_minutes * 60_000 + 1);
    let r = app.submit_login(&c, "admin1", "wrong-password").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app.submit_login(&c, "admin1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "not locked again");
}

#[tokio::test]
pub(super) async fn login_attempts_per_address_are_rate_limited() {
    let app = spawn_app_with(|c| c.login_attempts_per_ip = 3, true).await;
    let c = client();
    for _ in 0..3 {
        let r = app.submit_login(&c, "nobody", "wrong-password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = app.submit_login(&c, "counselor1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry), "retry-after {retry}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0);
    // The window slides with the clock.
    app.state.clock.advance_ms(5 * 60_000 + 1);
    let r = app.submit_login(&c, "counselor1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
pub(super) async fn form_posts_without_the_right_csrf_token_are_refused() {
    let app = spawn_seeded().await;
    // The login form itself.
    let c = client();
    c.get(app.url("/login")).send().await.unwrap();
    let r = c
        .post(app.url("/login"))
        .form(&[("username", "admin1"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0);
    // A signed-in form: password change without / with a wrong token.
    let c = app.login("admin1").await;
    let hash_before: String =
        sqlx::query_scalar("SELECT password_hash FROM accounts WHERE username = 'admin1'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    for csrf in [None, Some("not-the-token")] {
        let mut form = vec![
            ("old_password", PASSWORD),
            ("new_password", "new-password-123"),
            ("confirm", "new-password-123"),
        ];
        if let Some(t) = csrf {
            form.push(("csrf", t));
        }
        let r = c
            .post(app.url("/account/password"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "csrf {csrf:?}");
    }
    // The API refuses a cookie-authenticated POST without the header too.
    let r = c
        .post(app.url("/api/v1/tokens/1/revoke"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let hash_after: String =
        sqlx::query_scalar("SELECT password_hash FROM accounts WHERE username = 'admin1'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(hash_before, hash_after);
    app.login("admin1").await;
}

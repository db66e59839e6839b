//! Sign-in and sessions: login, wrong passwords in both languages, lockout, per-address rate
//! limit, CSRF, expiry, logout, password change, cookie flags, security headers, and the
//! operations endpoints.

mod common;

use common::*;
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::StatusCode;

fn set_cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

async fn sessions(app: &TestApp, username: &str) -> i64 {
    let id = app.fx.account(username);
    app.scalar(&format!(
        "SELECT COUNT(*) FROM sessions WHERE account_id = {id}"
    ))
    .await
}

#[tokio::test]
async fn login_sets_a_session_cookie_and_audits() {
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
        Some(app.fx.account("counselor1"))
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
async fn wrong_password_and_unknown_user_get_401_in_the_callers_language() {
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
async fn lockout_after_repeated_failures_then_unlock_with_time() {
    let app = spawn_seeded().await;
    let max = app.state.config.login_max_failures;
    let c = client();
    for i in 1..=max {
        let r = app.submit_login(&c, "admin1", "wrong-password").await;
        let expected = if i < max {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(r.status(), expected, "attempt {i}");
    }
    // The right password is refused while locked.
    let r = app.submit_login(&c, "admin1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body = r.text().await.unwrap();
    assert!(body.contains("账户已临时锁定"), "{body}");
    assert_eq!(sessions(&app, "admin1").await, 0);
    // Other accounts are not locked.
    app.login("admin2").await;
    // Almost over: still locked.
    let lock_ms = app.state.config.lockout_minutes * 60_000;
    app.state.clock.advance_ms(lock_ms - 1_000);
    let r = app.submit_login(&c, "admin1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.state.clock.advance_ms(2_000);
    let r = app.submit_login(&c, "admin1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let failures = app
        .scalar(&format!(
            "SELECT failed_logins FROM accounts WHERE id = {}",
            app.fx.account("admin1")
        ))
        .await;
    assert_eq!(failures, 0, "a successful login resets the count");
}

#[tokio::test]
async fn an_expired_lockout_starts_a_fresh_count() {
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
async fn login_attempts_per_address_are_rate_limited() {
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
async fn form_posts_without_the_right_csrf_token_are_refused() {
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

#[tokio::test]
async fn idle_sessions_expire() {
    let app = spawn_seeded().await;
    let c = app.login("admin1").await;
    let idle = app.state.config.session_idle_minutes * 60_000;
    // Activity keeps the session alive.
    app.state.clock.advance_ms(idle - 60_000);
    assert_eq!(app.get(&c, "/").await.0, StatusCode::OK);
    app.state.clock.advance_ms(idle - 60_000);
    assert_eq!(app.get(&c, "/").await.0, StatusCode::OK);
    // Then idle past the timeout.
    app.state.clock.advance_ms(idle + 1);
    let r = c.get(app.url("/org")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/login?"), "{loc}");
    assert!(loc.contains("expired=1"), "{loc}");
    assert!(loc.contains("next=/org"), "{loc}");
    assert_eq!(sessions(&app, "admin1").await, 0, "expired session deleted");
    // The login page says why.
    let (status, body) = app.get(&c, &loc).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("登录已过期"), "{body}");
}

#[tokio::test]
async fn expired_sessions_get_a_json_401_on_the_api() {
    let app = spawn_seeded().await;
    let c = app.login("admin1").await;
    let r = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["username"], "admin1");
    // Absolute lifetime, whatever the activity.
    app.state
        .clock
        .advance_ms(app.state.config.session_hours * 3_600_000 + 1);
    let r = c.get(app.url("/api/v1/me")).send().await.unwrap();
    let (status, code, _, _) = api_error(r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code, "session-expired");
    // Without any credentials: plain unauthorized.
    let r = client().get(app.url("/api/v1/me")).send().await.unwrap();
    let (status, code, _, _) = api_error(r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code, "unauthorized");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_seeded().await;
    let c = app.login("counselor1").await;
    let csrf = app.page_csrf(&c).await;
    assert_eq!(sessions(&app, "counselor1").await, 1);
    let r = c
        .post(app.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(sessions(&app, "counselor1").await, 0);
    let r = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    assert_eq!(app.audit("auth.logout").await.len(), 1);
}

#[tokio::test]
async fn password_change_checks_the_old_password_and_ends_other_sessions() {
    let app = spawn_seeded().await;
    let phone = app.login("leader1").await;
    let laptop = app.login("leader1").await;
    assert_eq!(sessions(&app, "leader1").await, 2);
    let csrf = app.page_csrf(&laptop).await;
    let change = |old: &'static str, new: &'static str, confirm: &'static str| {
        let csrf = csrf.clone();
        let laptop = laptop.clone();
        let url = app.url("/account/password");
        async move {
            laptop
                .post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("old_password", old),
                    ("new_password", new),
                    ("confirm", confirm),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = change("wrong-old-password", "brand-new-pass", "brand-new-pass").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("当前密码不正确"));
    let r = change(PASSWORD, "short", "short").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = change(PASSWORD, "brand-new-pass", "different-pass").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(sessions(&app, "leader1").await, 2, "nothing changed yet");
    app.login("leader1").await;
    assert_eq!(sessions(&app, "leader1").await, 3);

    let r = change(PASSWORD, "brand-new-pass", "brand-new-pass").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        sessions(&app, "leader1").await,
        1,
        "only this session remains"
    );
    assert_eq!(app.get(&laptop, "/").await.0, StatusCode::OK);
    let r = phone.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "other session ended");
    let r = app.submit_login(&client(), "leader1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "old password gone");
    app.login_with("leader1", "brand-new-pass").await;
    assert_eq!(app.audit("auth.password_changed").await.len(), 1);
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_seeded().await;
    let c = app.login("admin1").await;
    for path in [
        "/",
        "/login",
        "/org/unit/SCH1",
        "/nope",
        "/api/v1/me",
        "/healthz",
    ] {
        let r = c.get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(!h["x-request-id"].is_empty(), "{path}");
    }
    // A request id given by the caller is kept.
    let r = c
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
}

#[tokio::test]
async fn pages_need_nothing_the_csp_forbids() {
    // The CSP allows no inline styles or scripts: a page that has them is broken in browsers.
    let app = spawn_seeded().await;
    let c = app.login("admin1").await;
    let mut pages = vec![(
        "/login".to_string(),
        client()
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )];
    for path in [
        "/",
        "/org/unit/SCH1",
        "/org/import",
        "/account",
        "/inbox",
        "/audit",
        "/nope",
    ] {
        pages.push((path.to_string(), app.get(&c, path).await.1));
    }
    for (path, html) in pages {
        assert!(
            !html.contains(" style=\""),
            "{path} has an inline style attribute"
        );
        assert!(
            !html.contains("<style"),
            "{path} has an inline style element"
        );
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..i + html[i..].find('>').unwrap()];
            assert!(tag.contains(" src="), "{path} has an inline script: {tag}");
        }
        assert!(!html.contains(" onclick="), "{path} has an inline handler");
    }
}

#[tokio::test]
async fn operations_endpoints() {
    let app = spawn_seeded().await;
    let c = client();
    let r = c.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "ok");
    let r = c.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(
        text.contains(
            "fanzha_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("fanzha_jobs_queued 0"), "{text}");
    let r = c.get(app.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: serde_json::Value = r.json().await.expect("valid JSON");
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/units",
        "/api/v1/units/{code}/roster",
        "/api/v1/audit",
        "/api/v1/inbox",
    ] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    // Unknown pages are 404 pages, unknown API paths JSON.
    let r = c.get(app.url("/api/v1/nope")).send().await.unwrap();
    let (status, code, _, _) = api_error(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "not-found")
    );
}

/// Submits the login form as if through a reverse proxy that appended `forwarded`.
async fn login_via_proxy(
    app: &TestApp,
    c: &reqwest::Client,
    forwarded: &str,
    user: &str,
    pw: &str,
) -> StatusCode {
    app.submit_login_with(c, user, pw, &[("x-forwarded-for", forwarded)])
        .await
        .status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    // The test client connects from 127.0.0.1: configured as the reverse proxy.
    let app = spawn_app_with(
        |c| {
            c.login_attempts_per_ip = 2;
            c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        },
        true,
    )
    .await;
    let c = client();
    for _ in 0..2 {
        let s = login_via_proxy(&app, &c, "198.51.100.7", "nobody", "wrong-password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // That address is now limited...
    let s = login_via_proxy(&app, &c, "198.51.100.7", "counselor1", PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // ...but another user behind the same proxy is not; a forged left-hand entry changes nothing.
    let s = login_via_proxy(
        &app,
        &c,
        "198.51.100.7, 203.0.113.20",
        "counselor1",
        PASSWORD,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let logins = app.audit("auth.login").await;
    assert_eq!(logins.last().unwrap().ip, "203.0.113.20");
}

#[tokio::test]
async fn without_trusted_proxies_the_forwarded_header_is_ignored() {
    let app = spawn_app_with(|c| c.login_attempts_per_ip = 2, true).await;
    let c = client();
    for fake in ["198.51.100.1", "198.51.100.2"] {
        let s = login_via_proxy(&app, &c, fake, "nobody", "wrong-password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // A client cannot dodge the limit by writing a new address into the header.
    let s = login_via_proxy(&app, &c, "198.51.100.3", "counselor1", PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_navigation_offers_reports_to_people_not_to_partner_accounts() {
    let app = spawn_seeded().await;
    for (user, expected) in [
        ("student1", true),
        ("counselor1", true),
        ("police1", true),
        ("partner1", false),
    ] {
        let c = app.login(user).await;
        let (s, html) = app.get(&c, "/account").await;
        assert_eq!(s, StatusCode::OK, "{user}");
        assert_eq!(html.contains("href=\"/reports\""), expected, "{user}");
    }
}

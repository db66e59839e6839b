//! Sign-in and sessions: login, wrong passwords in both languages, lockout, per-address rate
//! limit, CSRF, expiry, logout, password change, cookie flags, security headers, and the
//! operations endpoints.

use crate::common::*;
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
    // Two types of one name would share one schema, the later silently replacing the earlier:
    // every type that is a component has a name of its own.
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["Entry"]["properties"]["action"].is_object(),
        "the audit entry"
    );
    assert!(schemas["LedgerEntry"]["properties"]["volunteer_id"].is_object());
    assert!(schemas["ImportOut"].is_object() && schemas["IntelImportOut"].is_object());
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

/// The text of the error on a login page answer.
fn login_error(html: &str) -> String {
    between(html, "id=\"login-error\">", "</p>").unwrap_or_else(|| panic!("no login error: {html}"))
}

#[tokio::test]
async fn parallel_wrong_passwords_cannot_open_the_lock_for_the_right_one() {
    // 24 wrong passwords at once, then the right one 50 ms later: every attempt is counted before
    // its password is checked, so the right one finds the pair locked.
    let app = spawn_seeded().await;
    let mut forms = Vec::new();
    for _ in 0..25 {
        let c = client();
        let page = c.get(app.url("/login")).send().await.unwrap();
        let csrf = form_csrf(&page.text().await.unwrap());
        forms.push((c, csrf));
    }
    let right = forms.pop().unwrap();
    let send = |c: reqwest::Client, csrf: String, pw: &'static str, url: String| async move {
        c.post(url)
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "counselor1"),
                ("password", pw),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap()
            .status()
    };
    let mut wrong = Vec::new();
    for (c, csrf) in forms {
        wrong.push(tokio::spawn(send(
            c,
            csrf,
            "wrong-password",
            app.url("/login"),
        )));
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let right = tokio::spawn(send(right.0, right.1, PASSWORD, app.url("/login")));
    for h in wrong {
        assert_eq!(h.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        right.await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "signed in while locked"
    );
    assert_eq!(sessions(&app, "counselor1").await, 0);
    let locked = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM login_failures WHERE username = 'counselor1' AND locked_until > {}",
            app.state.clock.now_ms()
        ))
        .await;
    assert_eq!(locked, 1);
    // Once the lock ran out the right password works again.
    app.state
        .clock
        .advance_ms(app.state.config.lockout_minutes * 60_000 + 1);
    let r = app.submit_login(&client(), "counselor1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_lock_holds_one_address_and_never_refuses_the_right_password_from_another() {
    // Behind a trusted proxy, so each test request can come from the address it names.
    let app = spawn_app_with(
        |c| {
            c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            c.login_max_failures = 2;
        },
        true,
    )
    .await;
    let max = app.state.config.login_max_failures;
    let c = client();
    let attacker = "198.51.100.7";
    for _ in 0..max {
        let s = login_via_proxy(&app, &c, attacker, "student1", "wrong-password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // Locked for that address...
    let s = login_via_proxy(&app, &c, attacker, "student1", PASSWORD).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // ...but the student signs in from their own phone.
    let s = login_via_proxy(&app, &client(), "203.0.113.20", "student1", PASSWORD).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // Guessing from many addresses locks each address; the owner still gets in from a clean one
    // (the account-wide figure only slows answers down).
    for i in 0..2 {
        let addr = format!("198.51.100.{}", 20 + i);
        for _ in 0..max {
            login_via_proxy(&app, &client(), &addr, "student1", "wrong-password").await;
        }
    }
    let started = std::time::Instant::now();
    let s = login_via_proxy(&app, &client(), "203.0.113.21", "student1", PASSWORD).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "the account-wide figure slows answers down"
    );
    assert_eq!(sessions(&app, "student1").await, 2);
}

#[tokio::test]
async fn unknown_locked_disabled_and_unactivated_accounts_get_one_identical_answer() {
    let app = spawn_seeded().await;
    let max = app.state.config.login_max_failures;
    // admin2 is locked (from this address), leader1 disabled, counselor3 has no password yet.
    for _ in 0..max {
        app.submit_login(&client(), "admin2", "wrong-password")
            .await;
    }
    sqlx::query("UPDATE accounts SET disabled = 1 WHERE username = 'leader1'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE accounts SET password_hash = '' WHERE username = 'counselor3'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let cases = [
        ("nobody-at-all", PASSWORD),
        ("counselor1", "wrong-password"),
        ("admin2", PASSWORD),
        ("leader1", PASSWORD),
        ("counselor3", PASSWORD),
    ];
    // Rounds interleave the cases, so whatever else the machine is doing disturbs each case alike;
    // each case keeps its fastest time, the least disturbed.
    let mut took = vec![std::time::Duration::MAX; cases.len()];
    let mut answers_seen = vec![None; cases.len()];
    // Five rounds: with the locking attempts above, as many as one address may make in a window.
    for _ in 0..5 {
        for (i, (user, pw)) in cases.iter().enumerate() {
            let c = client();
            let page = c.get(app.url("/login")).send().await.unwrap();
            let csrf = form_csrf(&page.text().await.unwrap());
            let started = std::time::Instant::now();
            let r = c
                .post(app.url("/login"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("username", *user),
                    ("password", *pw),
                ])
                .send()
                .await
                .unwrap();
            took[i] = took[i].min(started.elapsed());
            let status = r.status();
            answers_seen[i] = Some((status, login_error(&r.text().await.unwrap())));
        }
    }
    let answers: Vec<_> = cases
        .iter()
        .zip(answers_seen)
        .zip(took)
        .map(|(((user, _), a), t)| (*user, a.unwrap(), t))
        .collect();
    let first = &answers[0].1;
    assert_eq!(first.0, StatusCode::UNAUTHORIZED);
    for (user, answer, _) in &answers {
        assert_eq!(answer, first, "{user} is answered differently");
    }
    // The same hashing work on every path: each answer takes at least a good part of one
    // password check. The check's cost is the smaller of one measured here (fastest of five) and
    // the fastest wrong password for a real account; load only makes either slower, and without
    // the dummy hash an unknown username answers in well under a millisecond.
    let phc = fanzha::auth::password::hash_password("a-password-to-time");
    let measured = (0..5)
        .map(|_| {
            let started = std::time::Instant::now();
            assert!(!fanzha::auth::password::verify_password("another", &phc));
            started.elapsed()
        })
        .min()
        .unwrap();
    let one_check = measured.min(answers[1].2);
    for (user, _, took) in &answers {
        assert!(
            took.as_secs_f64() >= one_check.as_secs_f64() * 0.3,
            "{user}: {took:?} against {one_check:?} for one password check"
        );
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn login_limits_survive_a_restart_and_hold_across_processes() {
    let a = spawn_app_with(
        |c| {
            c.login_max_failures = 2;
            c.login_attempts_per_ip = 5;
        },
        true,
    )
    .await;
    // Two wrong passwords on the first process lock the pair...
    for _ in 0..2 {
        let r = a.submit_login(&client(), "police1", "wrong-password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // ...and a second process (or the first after a restart: its memory is empty) honours it.
    let b = a.second_process().await;
    let r = b.submit_login(&client(), "police1", PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "lock lost across processes"
    );
    // The per-address window counts attempts made on both: 3 so far, 2 more allowed.
    let r = b
        .submit_login(&client(), "nobody", "x-wrong-password")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = a
        .submit_login(&client(), "nobody", "x-wrong-password")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = b.submit_login(&client(), "province1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = a.submit_login(&client(), "province1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.scalar("SELECT COUNT(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn next_goes_only_to_paths_of_this_site() {
    let app = spawn_seeded().await;
    let c = client();
    for (next, want) in [
        ("/%09/evil.example", "/"),
        ("/%0d%0aX:1", "/"),
        ("//evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("https://evil.example", "/"),
        ("/org%3Fx%3D1", "/org?x=1"),
        ("/org", "/org"),
    ] {
        let r = c
            .get(app.url(&format!("/lang?set=en&next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(r.headers()["location"], want, "{next}");
    }
    // After login, from the form and from the query of a signed-in visit to /login.
    let page = c
        .get(app.url("/login?next=/%09/evil.example"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"next\" value=\"/\""), "{html}");
    let csrf = form_csrf(&html);
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "counselor1"),
            ("password", PASSWORD),
            ("next", "/\t/evil.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    let r = c
        .get(app.url("/login?next=/%5C%5Cevil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");
    let r = c
        .get(app.url("/login?next=/org/unit/SCH1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/org/unit/SCH1");
}

#[tokio::test]
async fn the_stored_language_changes_only_by_a_form_with_its_csrf_token() {
    let app = spawn_seeded().await;
    let locale = |app: &TestApp| {
        let id = app.fx.account("counselor1");
        let pool = app.state.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(&format!("SELECT locale FROM accounts WHERE id = {id}"))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let c = app.login("counselor1").await;
    // A link (or another site) can set this browser's cookie, never the account's setting.
    let r = c
        .get(app.url("/lang?set=en&next=/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(set_cookies(r.headers())
        .iter()
        .any(|c| c.starts_with("fz_lang=en")));
    assert_eq!(locale(&app).await, "zh-CN");
    // The switcher on every signed-in page is a form with the session's token.
    let (s, html) = app.get(&c, "/account").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("action=\"/lang\""), "{html}");
    assert!(html.contains("name=\"set\" value=\"en\""));
    let r = c
        .post(app.url("/lang"))
        .form(&[("set", "en"), ("next", "/account")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(locale(&app).await, "zh-CN");
    let csrf = meta_csrf(&html);
    let r = c
        .post(app.url("/lang"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("set", "en"),
            ("next", "/%0d%0aX:1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    assert_eq!(locale(&app).await, "en");
}

/// Steps both clocks by one second and asks the second process for a page.
async fn tick_and_get(a: &TestApp, b: &TestApp, c: &reqwest::Client, path: &str) -> StatusCode {
    a.state.clock.advance_ms(1_000);
    b.state.clock.advance_ms(1_000);
    c.get(b.url(path)).send().await.unwrap().status()
}

/// Signs in with a client that keeps no cookies; returns the session cookie's value, which the
/// test then sends by hand (a browser's jar would drop it at logout; an attacker's would not).
async fn session_cookie(app: &TestApp, username: &str) -> String {
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = raw.get(app.url("/login")).send().await.unwrap();
    let pre = set_cookies(page.headers())
        .into_iter()
        .find(|c| c.starts_with("fz_csrf="))
        .unwrap();
    let pre = pre.split(';').next().unwrap().to_string();
    let csrf = form_csrf(&page.text().await.unwrap());
    let r = raw
        .post(app.url("/login"))
        .header("cookie", &pre)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = set_cookies(r.headers())
        .into_iter()
        .find(|c| c.starts_with("fz_session="))
        .unwrap();
    session.split(';').next().unwrap().to_string()
}

/// GET with a session cookie sent by hand.
async fn get_with(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn logout_on_one_process_ends_the_session_on_another_within_5_seconds_of_steady_use() {
    let a = spawn_seeded().await;
    let b = a.second_process().await;
    let cookie = session_cookie(&a, "police1").await;
    // Used on B once a second, B's copy of the session is always warm.
    let step = || async {
        a.state.clock.advance_ms(1_000);
        b.state.clock.advance_ms(1_000);
        get_with(&b, &cookie, "/account").await.status()
    };
    for _ in 0..3 {
        assert_eq!(step().await, StatusCode::OK);
    }
    let page = get_with(&a, &cookie, "/account").await;
    let csrf = meta_csrf(&page.text().await.unwrap());
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(a.url("/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A refuses at once; B within 5 s although the cookie keeps coming.
    assert_eq!(
        get_with(&a, &cookie, "/account").await.status(),
        StatusCode::SEE_OTHER
    );
    let mut refused_at = None;
    for second in 1..=8 {
        let s = step().await;
        if s != StatusCode::OK {
            assert_eq!(s, StatusCode::SEE_OTHER);
            refused_at = Some(second);
            break;
        }
    }
    let at = refused_at.expect("the other process still honours the session after 8 s");
    assert!(at <= 5, "refused only after {at} s");
}

#[tokio::test]
async fn password_change_disable_and_role_change_reach_another_process_within_5_seconds() {
    let a = spawn_seeded().await;
    let b = a.second_process().await;
    // Three sessions used on B: leader1 (will change password elsewhere), counselor1 (will be
    // disabled), admin1 (will lose the school admin role).
    let leader_b = a.login("leader1").await;
    let leader_a = a.login("leader1").await;
    let counselor = a.login("counselor1").await;
    let admin = a.login("admin1").await;
    for c in [&leader_b, &counselor] {
        assert_eq!(
            c.get(b.url("/account")).send().await.unwrap().status(),
            StatusCode::OK
        );
    }
    assert_eq!(c_status(&admin, &b, "/audit").await, StatusCode::OK);
    let csrf = a.page_csrf(&leader_a).await;
    let r = leader_a
        .post(a.url("/account/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("old_password", PASSWORD),
            ("new_password", "another-horse-43"),
            ("confirm", "another-horse-43"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    sqlx::query("UPDATE accounts SET disabled = 1 WHERE username = 'counselor1'")
        .execute(&a.state.db.pool)
        .await
        .unwrap();
    let admin_id = a.fx.account("admin1");
    sqlx::query(&format!(
        "DELETE FROM role_assignments WHERE account_id = {admin_id}"
    ))
    .execute(&a.state.db.pool)
    .await
    .unwrap();
    let (mut leader_ok, mut counselor_ok, mut admin_ok) = (true, true, true);
    for _ in 0..5 {
        leader_ok = tick_and_get(&a, &b, &leader_b, "/account").await == StatusCode::OK;
        counselor_ok = c_status(&counselor, &b, "/account").await == StatusCode::OK;
        admin_ok = c_status(&admin, &b, "/audit").await == StatusCode::OK;
    }
    assert!(!leader_ok, "a session ended by a password change lives on");
    assert!(!counselor_ok, "a disabled account's session lives on");
    assert!(!admin_ok, "a removed role still opens the audit log");
    // The leader's session that changed the password stays.
    assert_eq!(c_status(&leader_a, &b, "/account").await, StatusCode::OK);
}

async fn c_status(c: &reqwest::Client, app: &TestApp, path: &str) -> StatusCode {
    c.get(app.url(path)).send().await.unwrap().status()
}

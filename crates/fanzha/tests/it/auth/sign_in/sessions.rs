//! Sessions: expiry, logout, password change, security headers and the CSP.

use super::*;

#[tokio::test]
pub(super) async fn idle_sessions_expire() {
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
pub(super) async fn expired_sessions_get_a_json_401_on_the_api() {
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
pub(super) async fn logout_ends_the_session() {
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
pub(super) async fn password_change_checks_the_old_password_and_ends_other_sessions() {
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
pub(super) async fn security_headers_are_on_every_response() {
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
pub(super) async fn pages_need_nothing_the_csp_forbids() {
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

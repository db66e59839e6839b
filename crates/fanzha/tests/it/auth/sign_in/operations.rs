//! Operations endpoints, trusted proxies and the navigation of partner accounts.

use super::*;

#[tokio::test]
pub(super) async fn operations_endpoints() {
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
pub(super) async fn login_via_proxy(
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
pub(super) async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
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
pub(super) async fn without_trusted_proxies_the_forwarded_header_is_ignored() {
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
pub(super) async fn the_navigation_offers_reports_to_people_not_to_partner_accounts() {
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
pub(super) fn login_error(html: &str) -> String {
    between(html, "id=\"login-error\">", "</p>").unwrap_or_else(|| panic!("no login error: {html}"))
}

//! API tokens: created once and stored as a hash, bearer authentication, scopes, revocation,
//! expiry, garbage, and the JSON error body.

mod common;

use common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;

#[tokio::test]
async fn token_created_on_the_account_page_is_shown_once_and_stored_hashed() {
    let app = spawn_seeded().await;
    let c = app.login("admin1").await;
    let csrf = app.page_csrf(&c).await;
    let r = c
        .post(app.url("/account/tokens"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "sync"),
            ("scopes", "org:read"),
            ("scopes", "audit:read"),
            ("ttl_days", "30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let token = between(&page, "class=\"fz-token\">", "<").expect("token shown once");
    assert!(token.starts_with("fz_") && token.len() > 40, "{token}");
    // Only a hash and a short prefix are stored.
    let (hash, prefix, scopes): (String, String, String) =
        sqlx::query_as("SELECT token_hash, prefix, scopes FROM api_tokens")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_ne!(hash, token);
    assert!(!hash.contains(&token[3..]));
    assert_eq!(hash.len(), 64, "sha-256 hex");
    assert!(token.starts_with(&prefix) && prefix.len() < 16);
    assert_eq!(scopes, "org:read,audit:read");
    // The account page shows it again without its secret.
    let (_, again) = app.get(&c, "/account").await;
    assert!(again.contains(&prefix));
    assert!(!again.contains(&token));
    // The token works.
    let r = app.api_get(&token, "/api/v1/me").await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["username"], "admin1");
    assert_eq!(me["roles"][0]["role"], "school_admin");
    assert_eq!(app.audit("auth.token_created").await.len(), 1);
    // Bad input: no scope, bad lifetime, no name — 422 and nothing stored.
    for form in [
        vec![("name", "x")],
        vec![("name", "x"), ("scopes", "org:read"), ("ttl_days", "0")],
        vec![("name", "x"), ("scopes", "org:read"), ("ttl_days", "soon")],
        vec![("name", " "), ("scopes", "org:read")],
        vec![("name", "x"), ("scopes", "root")],
    ] {
        let mut form = form;
        form.push(("csrf", csrf.as_str()));
        let r = c
            .post(app.url("/account/tokens"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM api_tokens").await, 1);
}

#[tokio::test]
async fn bearer_tokens_authenticate_api_calls() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::OrgRead]).await;
    let r = app.api_get(&t, "/api/v1/units").await;
    assert_eq!(r.status(), StatusCode::OK);
    let units: serde_json::Value = r.json().await.unwrap();
    let codes: Vec<&str> = units
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["SCH1"]);
    assert_eq!(units[0]["students"], 4);
    // Use is recorded.
    let used = app
        .scalar("SELECT COUNT(*) FROM api_tokens WHERE last_used_at IS NOT NULL")
        .await;
    assert_eq!(used, 1);
    // Bearer calls need no CSRF token.
    let w = app.token("admin1", &[Scope::OrgWrite]).await;
    let r = app
        .api_post(
            &w,
            "/api/v1/units/SCH1/roster",
            "学号,姓名,班级代码\n2023019901,新生甲,CLS1A1\n".into(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_without_the_scope_gets_403_naming_it() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::InboxRead]).await;
    let r = app.api_get(&t, "/api/v1/units").await;
    let (status, code, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(code, "forbidden");
    assert!(
        details.iter().any(|d| d.contains("org:read")),
        "{details:?}"
    );
    let r = app.api_get(&t, "/api/v1/audit").await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        details.iter().any(|d| d.contains("audit:read")),
        "{details:?}"
    );
    // The scope it has works.
    assert_eq!(
        app.api_get(&t, "/api/v1/inbox").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn revoked_expired_and_garbage_tokens_get_401() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::OrgRead]).await;
    assert_eq!(app.api_get(&t, "/api/v1/me").await.status(), StatusCode::OK);
    // Revoked through the API (by the owner, with another token).
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens ORDER BY id LIMIT 1")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let other = app.token("admin1", &[Scope::OrgRead]).await;
    // Someone else's token cannot revoke it.
    let stranger = app.token("admin2", &[Scope::OrgRead]).await;
    let r = client()
        .post(app.url(&format!("/api/v1/tokens/{id}/revoke")))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.api_get(&t, "/api/v1/me").await.status(), StatusCode::OK);
    let r = client()
        .post(app.url(&format!("/api/v1/tokens/{id}/revoke")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app.api_get(&t, "/api/v1/me").await;
    let (status, code, _, _) = api_error(r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code, "bad-token");
    // Expired.
    let short = app.token_ttl("admin1", &[Scope::OrgRead], Some(1)).await;
    assert_eq!(
        app.api_get(&short, "/api/v1/me").await.status(),
        StatusCode::OK
    );
    app.state.clock.advance_ms(86_400_000 + 1);
    let (status, code, _, _) = api_error(app.api_get(&short, "/api/v1/me").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "bad-token")
    );
    assert_eq!(
        app.api_get(&other, "/api/v1/me").await.status(),
        StatusCode::OK
    );
    // Garbage.
    let long = "x".repeat(5000);
    for garbage in ["fz_nope", "", long.as_str()] {
        let r = app.api_get(garbage, "/api/v1/me").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{garbage:.20}");
    }
    // A bad bearer token on a page is refused too, not treated as anonymous.
    let r = client()
        .get(app.url("/"))
        .bearer_auth("fz_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn api_errors_are_json_with_code_message_and_details() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::OrgRead]).await;
    let r = app.api_get(&t, "/api/v1/units/NOPE").await;
    assert_eq!(r.headers()["content-type"], "application/json");
    let (status, code, message, details) = api_error(r).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(code, "not-found");
    assert!(!message.is_empty());
    assert!(details.is_empty());
    let r = app.api_get(&t, "/api/v1/units/SCH1/students?limit=0").await;
    let (status, code, _, _) = api_error(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "bad-paging")
    );
    // Messages follow the language cookie.
    let r = client()
        .get(app.url("/api/v1/units/NOPE"))
        .bearer_auth(&t)
        .header("cookie", "fz_lang=en")
        .send()
        .await
        .unwrap();
    let (_, _, message, _) = api_error(r).await;
    assert_eq!(message, "No such page or record");
}

//! API tokens: created once and stored as a hash, bearer authentication, scopes, revocation,
//! expiry, garbage, and the JSON error body.

use crate::common::*;
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
    // A copy button copies exactly that text (shown by script where the clipboard is writable).
    assert!(page.contains("id=\"new-token-value\""), "{page}");
    assert!(page.contains("data-copy=\"new-token-value\""), "{page}");
    assert!(page.contains("复制令牌"), "{page}");
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
    assert_eq!(code, "token-scope");
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

/// The paths of every route of the app's router, read from the router itself (its `Debug`
/// output lists them), so a new route is walked without anyone adding it here.
fn router_paths(app: &TestApp) -> Vec<String> {
    let dump = format!("{:?}", fanzha::web::router(app.state.clone()));
    // Routes first; the fallback router (not a route) comes after.
    let routes = dump.split("fallback_router").next().unwrap();
    let mut out: Vec<String> = routes
        .split(": \"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|p| p.starts_with('/'))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A concrete path for a route pattern (`{id}` → `1`).
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "1".to_string()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn a_bearer_token_is_refused_on_every_route_outside_the_api() {
    let app = spawn_seeded().await;
    let paths = router_paths(&app);
    for known in [
        "/",
        "/login",
        "/lang",
        "/intel/new",
        "/intel/export",
        "/audit",
        "/warnings",
        "/reports",
        "/api/v1/me",
    ] {
        assert!(
            paths.iter().any(|p| p == known),
            "{known} not found in {paths:?}"
        );
    }
    let pages: Vec<&String> = paths.iter().filter(|p| !p.starts_with("/api/")).collect();
    assert!(
        pages.len() >= 40,
        "only {} page routes: {pages:?}",
        pages.len()
    );
    // A token of an account that can hold every scope its roles allow, and a garbage one.
    let police_scopes: Vec<Scope> = Scope::ALL
        .into_iter()
        .filter(|s| s.usable_by(&[fanzha::auth::model::Role::Police]))
        .collect();
    let good = app.token("police1", &police_scopes).await;
    let c = client();
    for pattern in pages {
        let path = concrete(pattern);
        for token in [good.as_str(), "fz_garbage"] {
            for method in [reqwest::Method::GET, reqwest::Method::POST] {
                let r = c
                    .request(method.clone(), app.url(&path))
                    .bearer_auth(token)
                    .header("cookie", "fz_csrf=self-set; fz_lang=en")
                    .form(&[("csrf", "self-set")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
                let body = r.text().await.unwrap();
                assert!(body.contains("only under /api/"), "{method} {path}: {body}");
            }
        }
    }
    // The API still takes the token.
    assert_eq!(
        app.api_get(&good, "/api/v1/me").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_police_token_reads_and_writes_nothing_through_pages() {
    // The reproduction: a token with only inbox:read against the console pages.
    let app = spawn_seeded().await;
    let t = app.token("police1", &[Scope::InboxRead]).await;
    for path in [
        "/intel/export?format=csv",
        "/audit",
        "/warnings",
        "/reports",
        "/intel",
    ] {
        let r = app.api_get(&t, path).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let r = client()
        .post(app.url("/intel/new"))
        .bearer_auth(&t)
        .header("cookie", "fz_csrf=self-set")
        .form(&[
            ("csrf", "self-set"),
            ("kind", "phone"),
            ("value", "17088886666"),
            ("status", "confirmed"),
            ("tlp", "green"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, 0);
    // The API twin answers 403 naming the missing scope, as before.
    let (status, _, _, details) = api_error(app.api_get(&t, "/api/v1/audit").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        details.iter().any(|d| d.contains("audit:read")),
        "{details:?}"
    );
}

#[tokio::test]
async fn token_scopes_must_lie_within_the_accounts_roles() {
    let app = spawn_seeded().await;
    // The service refuses, naming the scope.
    let student = app.fx.account("student1");
    let e = fanzha::auth::service::create_token(
        &app.state.db,
        &app.state.clock,
        student,
        "x",
        &[Scope::ReportsWrite, Scope::CasesWrite],
        None,
    )
    .await
    .err()
    .expect("a student cannot hold cases:write");
    assert!(
        matches!(
            e,
            fanzha::auth::service::AuthError::ScopeBeyondRoles(Scope::CasesWrite)
        ),
        "{e:?}"
    );
    // The account page offers only what the roles can use, and refuses the rest.
    let c = app.login("student1").await;
    let (s, html) = app.get(&c, "/account").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("value=\"reports:write\""));
    assert!(!html.contains("value=\"cases:write\""), "{html}");
    let csrf = meta_csrf(&html);
    let r = c
        .post(app.url("/account/tokens"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "mine"),
            ("scopes", "cases:write"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("该账户的角色不能使用权限") && body.contains("cases:write"),
        "{body}"
    );
    let r = c
        .post(app.url("/account/tokens"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "mine"),
            ("scopes", "reports:write"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE account_id = {student}"
        ))
        .await,
        1
    );
    // Police may hold cases:write; a partner may not file reports.
    app.token("police1", &[Scope::CasesWrite]).await;
    let partner = app.fx.account("partner1");
    assert!(fanzha::auth::service::create_token(
        &app.state.db,
        &app.state.clock,
        partner,
        "x",
        &[Scope::ReportsWrite],
        None,
    )
    .await
    .is_err());
    // The command line refuses too (it runs on the SQLite file of this test's app).
    if app.backend() == fanzha::db::Backend::Sqlite {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fanzha"))
            .args([
                "token",
                "create",
                "--username",
                "student1",
                "--name",
                "cli",
                "--scopes",
                "cases:write",
            ])
            .env("FANZHA_DATA_DIR", app.dir.path())
            .env("FANZHA_LANG", "en")
            .env_remove("FANZHA_DATABASE_URL")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("cases:write"), "{err}");
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM api_tokens WHERE account_id = {student}"
            ))
            .await,
            1
        );
    }
}

#[tokio::test]
async fn a_token_loses_the_scopes_of_a_role_its_account_lost() {
    let app = spawn_seeded().await;
    let police = app.fx.account("police1");
    // police1 also counsels a class; its token reads the audit log (a police scope, not a
    // counselor's) and units.
    fanzha::auth::store::insert_grant(
        &app.state.db.pool,
        police,
        fanzha::auth::model::Role::Counselor,
        app.fx.unit("CLS1A1").id,
        app.state.clock.now_ms(),
    )
    .await
    .unwrap();
    let t = app
        .token("police1", &[Scope::AuditRead, Scope::OrgRead])
        .await;
    assert_eq!(
        app.api_get(&t, "/api/v1/audit").await.status(),
        StatusCode::OK
    );
    sqlx::query(&format!(
        "DELETE FROM role_assignments WHERE account_id = {police} AND role = 'police'"
    ))
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    app.state.clock.advance_ms(5_000);
    let (status, _, _, details) = api_error(app.api_get(&t, "/api/v1/audit").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        details.iter().any(|d| d.contains("audit:read")),
        "{details:?}"
    );
    // What the remaining role can use still works.
    assert_eq!(
        app.api_get(&t, "/api/v1/units").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_revoked_token_is_refused_by_another_process_within_5_seconds() {
    let a = spawn_seeded().await;
    let b = a.second_process().await;
    let t = a.token("admin1", &[Scope::OrgRead]).await;
    let ids = a.scalar("SELECT MAX(id) FROM api_tokens").await;
    let step = || async {
        a.state.clock.advance_ms(1_000);
        b.state.clock.advance_ms(1_000);
        b.api_get(&t, "/api/v1/units").await.status()
    };
    for _ in 0..2 {
        assert_eq!(step().await, StatusCode::OK);
    }
    let r = client()
        .post(a.url(&format!("/api/v1/tokens/{ids}/revoke")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        a.api_get(&t, "/api/v1/units").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let mut refused_at = None;
    for second in 1..=8 {
        if step().await == StatusCode::UNAUTHORIZED {
            refused_at = Some(second);
            break;
        }
    }
    let at = refused_at.expect("the other process still takes the token after 8 s");
    assert!(at <= 5, "refused only after {at} s");
}

#[test]
fn token_create_help_lists_every_scope_once() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fanzha"))
        .args(["token", "create", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for s in Scope::ALL {
        let lines = help
            .lines()
            .filter(|l| l.trim_start().starts_with(&format!("{} ", s.as_str())))
            .count();
        assert_eq!(lines, 1, "{} in:\n{help}", s.as_str());
    }
    assert!(help.contains("reports:read") && help.contains("reports:write"));
    assert_eq!(help.matches("Comma-separated").count(), 1, "{help}");
}

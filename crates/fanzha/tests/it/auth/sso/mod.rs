//! Campus single sign-on against real local servers: the test CAS (ticket issuing and
//! validation, attributes) and an OpenID Connect provider written here (discovery, JWKS, PKCE,
//! RS256-signed ID tokens, and the forged tokens fanzha must refuse). Each refusal has its own
//! test; none creates or activates anything, and each is audited.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::common::*;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use fanzha::auth::sso::test_cas::{self, TestCas};
use fanzha::auth::sso::{store as sso_store, CasVersion, Protocol, SchoolSignIn};
use fanzha::config::Secret;
use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    AdditionalClaims, Audience, IdToken, IdTokenClaims, IssuerUrl, JsonWebKeyId, Nonce,
    PrivateSigningKey, StandardClaims, SubjectIdentifier,
};
use reqwest::{Client, StatusCode};
use sha2::Digest;

// ---------------------------------------------------------------- helpers

/// Accounts, activated accounts and sessions: none of them may change on a refusal.
async fn footprint(app: &TestApp) -> (i64, i64, i64) {
    (
        app.scalar("SELECT COUNT(*) FROM accounts").await,
        app.scalar("SELECT COUNT(*) FROM accounts WHERE activated_at IS NOT NULL")
            .await,
        app.scalar("SELECT COUNT(*) FROM sessions").await,
    )
}

async fn activated(app: &TestApp, school: &str, no: &str) -> bool {
    let id = app.fx.unit(school).id;
    sqlx::query_scalar::<_, Option<i64>>(
        "SELECT activated_at FROM accounts WHERE org_id = $1 AND person_no = $2",
    )
    .bind(id)
    .bind(no)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
    .is_some()
}

/// The reasons of the audited refusals, in order.
async fn refusals(app: &TestApp) -> Vec<String> {
    app.audit("auth.sso_refused")
        .await
        .into_iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_str(&r.detail).unwrap();
            v["reason"].as_str().unwrap_or("").to_string()
        })
        .collect()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn save(app: &TestApp, school: &str, cfg: SchoolSignIn) {
    let cfg = SchoolSignIn {
        school_id: app.fx.unit(school).id,
        ..cfg
    };
    sso_store::save(&app.state.db, &cfg, None, START_MS)
        .await
        .unwrap();
}

fn cas_cfg(url: &str, version: CasVersion, attribute: &str) -> SchoolSignIn {
    SchoolSignIn {
        school_id: fanzha::kernel::ids::UnitId(0),
        protocol: Protocol::Cas,
        server_url: url.to_string(),
        cas_version: version,
        client_id: String::new(),
        client_secret: Secret::new(""),
        number_attribute: attribute.to_string(),
        local_passwords: true,
        builtin_test: false,
    }
}

/// A CAS server and SCH1 configured against it (CAS 3.0, number in `studentNo`).
async fn with_cas() -> (TestApp, Arc<TestCas>, String) {
    let app = spawn_seeded().await;
    let cas = TestCas::new("cas-pw");
    let (url, _task) = test_cas::start(cas.clone(), 0).await.unwrap();
    save(&app, "SCH1", cas_cfg(&url, CasVersion::V3, "studentNo")).await;
    (app, cas, url)
}

/// Follows a CAS sign-in as far as the ticket: returns the service URL with the ticket.
async fn cas_ticket_url(app: &TestApp, c: &Client, school: &str, user: &str) -> String {
    let r = c
        .get(app.url(&format!("/sso/{school}/start")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let login = location(&r);
    let service = app.url(&format!("/sso/cas/{school}"));
    assert!(
        login.ends_with(&format!(
            "/login?service={}",
            fanzha::web::context::urlencode(&service)
        )),
        "{login}"
    );
    let cas_base = login.split("/login?").next().unwrap().to_string();
    let r = c
        .post(format!("{cas_base}/login"))
        .form(&[
            ("service", service.as_str()),
            ("username", user),
            ("password", "cas-pw"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = location(&r);
    assert!(back.starts_with(&service), "{back}");
    back
}

// ---------------------------------------------------------------- CAS

mod cas;
mod housekeeping;
mod oidc;

use cas::*;

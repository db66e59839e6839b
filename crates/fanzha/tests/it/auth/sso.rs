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
        school_id: 0,
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

#[tokio::test]
async fn cas_first_sign_in_activates_the_roster_account_and_opens_a_session() {
    let (app, _cas, _) = with_cas().await;
    assert!(!activated(&app, "SCH1", "2023010102").await);
    let accounts = app.scalar("SELECT COUNT(*) FROM accounts").await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010102").await;
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/");
    assert!(activated(&app, "SCH1", "2023010102").await);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM accounts").await, accounts);
    let (s, page) = app.get(&c, "/account").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("2023010102@SCH1"),
        "signed in as the roster account"
    );
    let log = app.audit("auth.sso_login").await;
    assert_eq!(log.len(), 1);
    assert!(
        log[0].detail.contains("\"activated\":true"),
        "{}",
        log[0].detail
    );
    assert!(log[0].detail.contains("\"protocol\":\"cas\""));
    // A second sign-in does not activate again.
    let c2 = client();
    let back = cas_ticket_url(&app, &c2, "SCH1", "2023010102").await;
    assert_eq!(
        c2.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(app.audit("auth.sso_login").await[1]
        .detail
        .contains("\"activated\":false"));
}

#[tokio::test]
async fn cas_2_uses_the_cas_user_when_no_attribute_is_named() {
    let app = spawn_seeded().await;
    let cas = TestCas::new("cas-pw");
    let (url, _task) = test_cas::start(cas.clone(), 0).await.unwrap();
    save(&app, "SCH1", cas_cfg(&url, CasVersion::V2, "")).await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023020101").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(activated(&app, "SCH1", "2023020101").await);
    // CAS 2.0 answers carry no attributes: a school that names one gets a refusal, not a guess.
    save(&app, "SCH1", cas_cfg(&url, CasVersion::V2, "studentNo")).await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010201").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert!(!activated(&app, "SCH1", "2023010201").await);
    assert_eq!(refusals(&app).await, ["cas_no_number_attribute"]);
}

#[tokio::test]
async fn a_replayed_cas_ticket_is_refused() {
    let (app, _cas, _) = with_cas().await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010102").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let before = footprint(&app).await;
    // The same ticket again, from another browser.
    let other = client();
    let r = other.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r
        .headers()
        .get("set-cookie")
        .is_none_or(|v| !v.to_str().unwrap().starts_with("fz_session=")));
    assert_eq!(footprint(&app).await, before);
    assert_eq!(refusals(&app).await, ["cas_ticket_replayed"]);
}

#[tokio::test]
async fn a_ticket_the_cas_server_already_took_is_refused() {
    let (app, cas, url) = with_cas().await;
    let service = app.url("/sso/cas/SCH1");
    let ticket = cas.issue("2023010102", &service);
    // Someone else validated it first (the CAS server answers a ticket once).
    let first = client()
        .get(format!("{url}/p3/serviceValidate"))
        .query(&[("service", service.as_str()), ("ticket", ticket.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(first.contains("authenticationSuccess"));
    let before = footprint(&app).await;
    let r = client()
        .get(format!("{service}?ticket={ticket}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(footprint(&app).await, before);
    assert!(!activated(&app, "SCH1", "2023010102").await);
    assert_eq!(refusals(&app).await, ["cas_invalid_ticket"]);
}

#[tokio::test]
async fn a_ticket_issued_for_another_service_is_refused() {
    let (app, cas, _) = with_cas().await;
    let ticket = cas.issue("2023010102", "https://other-app.example.edu.cn/login");
    let before = footprint(&app).await;
    let r = client()
        .get(app.url(&format!("/sso/cas/SCH1?ticket={ticket}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(footprint(&app).await, before);
    assert!(!activated(&app, "SCH1", "2023010102").await);
    assert_eq!(refusals(&app).await, ["cas_invalid_service"]);
}

#[tokio::test]
async fn a_person_not_on_the_roster_sees_whom_to_ask_and_nothing_is_created() {
    let (app, _cas, _) = with_cas().await;
    let before = footprint(&app).await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2099999999").await;
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"sso-refused\""), "{page}");
    assert!(page.contains("第一大学"), "names the school");
    assert!(page.contains("保卫处"), "says whom to ask: {page}");
    assert_eq!(footprint(&app).await, before);
    assert_eq!(refusals(&app).await, ["not_on_roster"]);
}

#[tokio::test]
async fn a_schools_cas_never_signs_in_a_person_of_another_school() {
    let (app, _cas, _) = with_cas().await;
    let before = footprint(&app).await;
    // 孙八 is on SCH2's roster; SCH1's identity service vouches for that number.
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023510102").await;
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!activated(&app, "SCH2", "2023510102").await);
    assert_eq!(footprint(&app).await, before);
    assert_eq!(refusals(&app).await, ["not_on_roster"]);
    // SCH2 has no identity service at all: its SSO routes do not exist.
    let r = client()
        .get(app.url("/sso/SCH2/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_graduated_person_is_refused_by_sso_too() {
    let (app, _cas, _) = with_cas().await;
    sqlx::query("UPDATE accounts SET roster_status = 'left' WHERE person_no = '2023010102'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let before = footprint(&app).await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010102").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(footprint(&app).await, before);
    assert_eq!(refusals(&app).await, ["not_current"]);
}

#[tokio::test]
async fn cas_single_logout_ends_the_session_of_that_ticket() {
    let (app, _cas, _) = with_cas().await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010102").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get(&c, "/account").await.0, StatusCode::OK);
    let ticket = back.split("ticket=").nth(1).unwrap().to_string();
    let saml = format!(
        r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="LR-1" Version="2.0" IssueInstant="2025-03-01T00:00:00Z"><saml:NameID>@NOT_USED@</saml:NameID><samlp:SessionIndex>{ticket}</samlp:SessionIndex></samlp:LogoutRequest>"#
    );
    // An unknown ticket changes nothing (and answers the same).
    let r = reqwest::Client::new()
        .post(app.url("/sso/cas/SCH1"))
        .form(&[("logoutRequest", saml.replace(&ticket, "ST-unknown"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get(&c, "/account").await.0, StatusCode::OK);
    let r = reqwest::Client::new()
        .post(app.url("/sso/cas/SCH1"))
        .form(&[("logoutRequest", saml)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (s, _) = app.get(&c, "/account").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "signed out");
    assert_eq!(app.audit("auth.sso_logout").await.len(), 1);
}

// ---------------------------------------------------------------- settings and local passwords

#[tokio::test]
async fn a_school_admin_configures_their_school_only_and_the_secret_is_never_shown() {
    let app = spawn_seeded().await;
    // Another school's admin and a counselor: 404; the police of the school's station see the
    // school but may not change it: 403. Nothing saved.
    for (who, status) in [
        ("admin2", StatusCode::NOT_FOUND),
        ("counselor1", StatusCode::NOT_FOUND),
        ("police1", StatusCode::FORBIDDEN),
    ] {
        let c = app.login(who).await;
        assert_eq!(
            app.get(&c, "/org/unit/SCH1/sign-in").await.0,
            status,
            "{who}"
        );
        let csrf = app.page_csrf(&c).await;
        let r = c
            .post(app.url("/org/unit/SCH1/sign-in"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("protocol", "cas"),
                ("server_url", "https://cas.evil.example/cas"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{who}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM school_sign_in").await, 0);
    assert!(!app.audit("access.denied").await.is_empty());

    let c = app.login("admin1").await;
    let (_, accounts) = app.get(&c, "/org/unit/SCH1/activation").await;
    assert!(
        accounts.contains("href=\"/org/unit/SCH1/sign-in\""),
        "linked from the accounts page"
    );
    let (s, page) = app.get(&c, "/org/unit/SCH1/sign-in").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("/sso/cas/SCH1"),
        "shows the service URL to register"
    );
    let csrf = app.page_csrf(&c).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = app.url("/org/unit/SCH1/sign-in");
        let csrf = csrf.clone();
        async move {
            let mut f = vec![("csrf", csrf)];
            f.extend(fields);
            let r = c.post(url).form(&f).send().await.unwrap();
            let s = r.status();
            (s, r.text().await.unwrap())
        }
    };
    // Bad input: 422, nothing saved.
    for bad in [
        vec![
            ("protocol", "cas".to_string()),
            ("server_url", "ftp://cas.example/cas".into()),
        ],
        vec![
            ("protocol", "cas".to_string()),
            ("server_url", "http://cas.example.edu.cn/cas".into()),
        ],
        vec![
            ("protocol", "cas".to_string()),
            ("server_url", "https://cas.example.edu.cn/cas".into()),
            ("number_attribute", "a b".into()),
        ],
        vec![
            ("protocol", "oidc".to_string()),
            ("server_url", "https://idp.example.edu.cn".into()),
            ("client_id", "fanzha".into()),
        ],
        vec![
            ("protocol", "saml".to_string()),
            ("server_url", "https://idp.example.edu.cn".into()),
        ],
    ] {
        let (s, _) = post(bad.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM school_sign_in").await, 0);
    // OIDC with a secret; the page never shows it back, a blank secret keeps it.
    let (s, page) = post(vec![
        ("protocol", "oidc".into()),
        (
            "server_url",
            "https://idp.example.edu.cn/realms/campus".into(),
        ),
        ("client_id", "fanzha".into()),
        ("client_secret", "s3cret-Value-123".into()),
        ("number_attribute", "student_no".into()),
    ])
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(!page.contains("s3cret-Value-123"));
    let (s, page) = post(vec![
        ("protocol", "oidc".into()),
        (
            "server_url",
            "https://idp.example.edu.cn/realms/campus".into(),
        ),
        ("client_id", "fanzha".into()),
        ("client_secret", "".into()),
        ("number_attribute", "student_no".into()),
    ])
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let cfg = sso_store::school_sign_in(&app.state.db, app.fx.unit("SCH1").id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cfg.client_secret.expose(), "s3cret-Value-123");
    assert!(!cfg.local_passwords, "the box was not ticked");
    assert!(
        !format!("{cfg:?}").contains("s3cret"),
        "Debug hides the secret"
    );
    let log = app.audit("auth.sign_in_configured").await;
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|l| !l.detail.contains("s3cret")));
}

#[tokio::test]
async fn with_local_passwords_off_only_school_admins_sign_in_with_a_password() {
    let (app, _cas, url) = with_cas().await;
    save(
        &app,
        "SCH1",
        SchoolSignIn {
            local_passwords: false,
            ..cas_cfg(&url, CasVersion::V3, "studentNo")
        },
    )
    .await;
    let c = client();
    let r = app.submit_login(&c, "student1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The school admin keeps a break-glass sign-in; another school is unaffected.
    app.login("admin1").await;
    app.login("student3").await;
    let log = app.audit("auth.login_failed").await;
    assert!(log.iter().any(|l| l.detail.contains("local_passwords_off")));
    // The login page of the school folds the form away for administrators, under the SSO button.
    let (s, page) = app.get(&client(), "/login?school=SCH1").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"sso-start\""));
    assert!(page.contains("id=\"local-login\""));
}

#[tokio::test]
async fn the_login_page_offers_a_picker_and_each_schools_button() {
    let (app, _cas, _) = with_cas().await;
    let (_, page) = app.get(&client(), "/login").await;
    assert!(page.contains("id=\"school-picker\""));
    assert!(page.contains("value=\"SCH1\""));
    assert!(
        !page.contains("value=\"SCH2\""),
        "only schools with an identity service"
    );
    let (_, page) = app.get(&client(), "/login?school=SCH1").await;
    assert!(page.contains("href=\"/sso/SCH1/start?next=/\""));
    // The language links come back to the same school.
    assert!(page.contains("next=/login%3Fschool%3DSCH1"));
    let r = client()
        .get(app.url("/lang?set=en&next=/login%3Fschool%3DSCH1"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/login?school=SCH1");
    assert!(page.contains("id=\"login-submit\""), "local form stays");
    assert!(!page.contains("sso-test-marker"));
    let (_, page) = app.get(&client(), "/login?school=SCH2").await;
    assert!(!page.contains("sso-start"));
}

#[tokio::test]
async fn a_reset_password_locks_the_session_until_a_new_one_is_set() {
    let app = spawn_seeded().await;
    let admin = app.login("admin1").await;
    let csrf = app.page_csrf(&admin).await;
    let r = admin
        .post(app.url("/org/unit/SCH1/activation/reset"))
        .form(&[("csrf", csrf.as_str()), ("person_no", "2023010101")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let temporary = between(&page, "id=\"reset-password\">", "<").unwrap();
    let c = client();
    let r = app.submit_login(&c, "student1", &temporary).await;
    assert_eq!(location(&r), "/account?must_change=1");
    // Every other page leads back; every API call is refused.
    for path in ["/", "/reports/new", "/inbox", "/intel/check"] {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), "/account?must_change=1", "{path}");
    }
    let r = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let csrf = app.page_csrf(&c).await;
    let r = c
        .post(app.url("/account/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("old_password", temporary.as_str()),
            ("new_password", "a-new-Passw0rd-here"),
            ("confirm", "a-new-Passw0rd-here"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get(&c, "/").await.0, StatusCode::OK, "free again");
    assert_eq!(
        c.get(app.url("/api/v1/me")).send().await.unwrap().status(),
        StatusCode::OK
    );
}

// ---------------------------------------------------------------- OpenID Connect provider

/// What the provider puts into (or does to) the next ID token.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Forge {
    Good,
    AlgNone,
    WrongKid,
    OtherKey,
    WrongAud,
    WrongIss,
    Expired,
    WrongNonce,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct CampusClaims {
    student_no: String,
}
impl AdditionalClaims for CampusClaims {}

type CampusIdToken = IdToken<
    CampusClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

struct Pending {
    nonce: String,
    challenge: String,
    redirect_uri: String,
    user: String,
}

struct Provider {
    issuer: String,
    forge: Mutex<Forge>,
    /// The user the next authorization signs in (its number goes into `student_no`).
    user: Mutex<String>,
    codes: Mutex<HashMap<String, Pending>>,
    key: CoreRsaPrivateSigningKey,
    other: CoreRsaPrivateSigningKey,
    wrong_kid: CoreRsaPrivateSigningKey,
}

const CLIENT_ID: &str = "fanzha-test";
const CLIENT_SECRET: &str = "test-client-secret";

async fn start_provider() -> Arc<Provider> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let pem = include_str!("../../fixtures/oidc/provider_key.pem");
    let other = include_str!("../../fixtures/oidc/other_key.pem");
    let p = Arc::new(Provider {
        issuer,
        forge: Mutex::new(Forge::Good),
        user: Mutex::new(String::new()),
        codes: Mutex::new(HashMap::new()),
        key: CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("k1".into()))).unwrap(),
        other: CoreRsaPrivateSigningKey::from_pem(other, Some(JsonWebKeyId::new("k1".into())))
            .unwrap(),
        wrong_kid: CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("k9".into())))
            .unwrap(),
    });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(p.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    p
}

async fn discovery(State(p): State<Arc<Provider>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "issuer": p.issuer,
        "authorization_endpoint": format!("{}/authorize", p.issuer),
        "token_endpoint": format!("{}/token", p.issuer),
        "jwks_uri": format!("{}/jwks", p.issuer),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    }))
}

async fn jwks(State(p): State<Arc<Provider>>) -> Json<CoreJsonWebKeySet> {
    Json(CoreJsonWebKeySet::new(vec![p.key.as_verification_key()]))
}

async fn authorize(
    State(p): State<Arc<Provider>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q.get("response_type").map(String::as_str), Some("code"));
    assert_eq!(q.get("client_id").map(String::as_str), Some(CLIENT_ID));
    assert_eq!(
        q.get("code_challenge_method").map(String::as_str),
        Some("S256")
    );
    assert!(q
        .get("scope")
        .is_some_and(|s| s.split(' ').any(|s| s == "openid")));
    let code = format!("code-{}", rand_hex());
    let redirect_uri = q["redirect_uri"].clone();
    p.codes.lock().unwrap().insert(
        code.clone(),
        Pending {
            nonce: q["nonce"].clone(),
            challenge: q["code_challenge"].clone(),
            redirect_uri: redirect_uri.clone(),
            user: p.user.lock().unwrap().clone(),
        },
    );
    Redirect::to(&format!("{redirect_uri}?code={code}&state={}", q["state"])).into_response()
}

fn rand_hex() -> String {
    use rand::Rng;
    hex::encode(rand::thread_rng().gen::<[u8; 12]>())
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

async fn token(
    State(p): State<Arc<Provider>>,
    headers: axum::http::HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let bad = |e: &str| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": e })),
        )
            .into_response()
    };
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
        return bad("invalid_client");
    }
    // A code is taken once.
    let Some(pending) = p
        .codes
        .lock()
        .unwrap()
        .remove(f.get("code").map_or("", |s| s))
    else {
        return bad("invalid_grant");
    };
    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
    if b64(&sha2::Sha256::digest(verifier.as_bytes())) != pending.challenge
        || f.get("redirect_uri") != Some(&pending.redirect_uri)
    {
        return bad("invalid_grant");
    }
    let forge = *p.forge.lock().unwrap();
    let now = chrono::Utc::now();
    let (iss, aud, exp, nonce) = match forge {
        Forge::WrongAud => (
            p.issuer.clone(),
            "another-app".to_string(),
            now + chrono::Duration::minutes(5),
            pending.nonce,
        ),
        Forge::WrongIss => (
            "http://127.0.0.1:1".to_string(),
            CLIENT_ID.into(),
            now + chrono::Duration::minutes(5),
            pending.nonce,
        ),
        Forge::Expired => (
            p.issuer.clone(),
            CLIENT_ID.into(),
            now - chrono::Duration::minutes(10),
            pending.nonce,
        ),
        Forge::WrongNonce => (
            p.issuer.clone(),
            CLIENT_ID.into(),
            now + chrono::Duration::minutes(5),
            "not-the-nonce".into(),
        ),
        _ => (
            p.issuer.clone(),
            CLIENT_ID.into(),
            now + chrono::Duration::minutes(5),
            pending.nonce,
        ),
    };
    let claims = IdTokenClaims::new(
        IssuerUrl::new(iss).unwrap(),
        vec![Audience::new(aud)],
        exp,
        now - chrono::Duration::minutes(11),
        StandardClaims::new(SubjectIdentifier::new(format!("uid-{}", pending.user))),
        CampusClaims {
            student_no: pending.user.clone(),
        },
    )
    .set_nonce(Some(Nonce::new(nonce)));
    let id_token = match forge {
        Forge::AlgNone => {
            let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
            let payload = b64(serde_json::to_string(&claims).unwrap().as_bytes());
            format!("{header}.{payload}.")
        }
        _ => {
            let key = match forge {
                Forge::WrongKid => &p.wrong_kid,
                Forge::OtherKey => &p.other,
                _ => &p.key,
            };
            let t = CampusIdToken::new(
                claims,
                key,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                None,
                None,
            )
            .unwrap();
            t.to_string()
        }
    };
    Json(serde_json::json!({
        "access_token": format!("at-{}", rand_hex()),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}

async fn with_oidc() -> (TestApp, Arc<Provider>) {
    let app = spawn_seeded().await;
    let p = start_provider().await;
    save(
        &app,
        "SCH1",
        SchoolSignIn {
            school_id: 0,
            protocol: Protocol::Oidc,
            server_url: p.issuer.clone(),
            cas_version: CasVersion::V3,
            client_id: CLIENT_ID.into(),
            client_secret: Secret::new(CLIENT_SECRET),
            number_attribute: "student_no".into(),
            local_passwords: true,
            builtin_test: false,
        },
    )
    .await;
    (app, p)
}

/// Starts an OIDC sign-in in `c` and follows the provider's redirect; returns the callback URL.
async fn oidc_callback_url(app: &TestApp, p: &Provider, c: &Client, user: &str) -> String {
    *p.user.lock().unwrap() = user.to_string();
    let r = c.get(app.url("/sso/SCH1/start")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let auth = location(&r);
    assert!(
        auth.starts_with(&format!("{}/authorize?", p.issuer)),
        "{auth}"
    );
    assert!(auth.contains("code_challenge="), "PKCE");
    assert!(auth.contains("nonce="));
    let r = c.get(&auth).send().await.unwrap();
    let back = location(&r);
    assert!(back.starts_with(&app.url("/sso/oidc/SCH1?")), "{back}");
    back
}

async fn oidc_refused(forge: Forge, reason_part: &str) {
    let (app, p) = with_oidc().await;
    *p.forge.lock().unwrap() = forge;
    let before = footprint(&app).await;
    let c = client();
    let back = oidc_callback_url(&app, &p, &c, "2023010102").await;
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "{forge:?}");
    assert_eq!(footprint(&app).await, before, "{forge:?}");
    assert!(!activated(&app, "SCH1", "2023010102").await);
    let reasons = refusals(&app).await;
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains(reason_part), "{forge:?}: {reasons:?}");
}

#[tokio::test]
async fn oidc_sign_in_with_pkce_activates_the_roster_account() {
    let (app, p) = with_oidc().await;
    let c = client();
    let back = oidc_callback_url(&app, &p, &c, "2023010102").await;
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert!(activated(&app, "SCH1", "2023010102").await);
    let (s, page) = app.get(&c, "/account").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("2023010102@SCH1"));
    assert!(app.audit("auth.sso_login").await[0]
        .detail
        .contains("\"protocol\":\"oidc\""));
    // The callback cannot be used twice (state taken, code taken).
    let before = footprint(&app).await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(footprint(&app).await, before);
}

#[tokio::test]
async fn oidc_id_token_with_alg_none_is_refused() {
    oidc_refused(Forge::AlgNone, "oidc_id_token").await;
}

#[tokio::test]
async fn oidc_id_token_with_an_unknown_kid_is_refused() {
    oidc_refused(Forge::WrongKid, "oidc_id_token").await;
}

#[tokio::test]
async fn oidc_id_token_signed_by_another_key_is_refused() {
    oidc_refused(Forge::OtherKey, "oidc_id_token").await;
}

#[tokio::test]
async fn oidc_id_token_for_another_audience_is_refused() {
    oidc_refused(Forge::WrongAud, "oidc_id_token").await;
}

#[tokio::test]
async fn oidc_id_token_from_another_issuer_is_refused() {
    oidc_refused(Forge::WrongIss, "oidc_id_token").await;
}

#[tokio::test]
async fn oidc_expired_id_token_is_refused() {
    oidc_refused(Forge::Expired, "oidc_id_token").await;
}

#[tokio::test]
async fn oidc_nonce_mismatch_is_refused() {
    oidc_refused(Forge::WrongNonce, "oidc_id_token").await;
}

#[tokio::test]
async fn oidc_state_mismatch_is_refused() {
    let (app, p) = with_oidc().await;
    let before = footprint(&app).await;
    let c = client();
    let back = oidc_callback_url(&app, &p, &c, "2023010102").await;
    // The state altered; then a callback in a browser that never started a sign-in.
    let state = back.split("state=").nth(1).unwrap().to_string();
    let altered = back.replace(&state, "forged-state");
    assert_eq!(
        c.get(&altered).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        client().get(&back).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(footprint(&app).await, before);
    assert_eq!(
        refusals(&app).await,
        ["oidc_state_mismatch", "oidc_state_mismatch"]
    );
}

#[tokio::test]
async fn oidc_person_of_another_school_is_refused() {
    let (app, p) = with_oidc().await;
    let before = footprint(&app).await;
    let c = client();
    let back = oidc_callback_url(&app, &p, &c, "2023510101").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(footprint(&app).await, before);
    assert_eq!(refusals(&app).await, ["not_on_roster"]);
}

#[tokio::test]
async fn tickets_and_flows_are_pruned_after_a_day() {
    let (app, _cas, _) = with_cas().await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010102").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sso_tickets").await, 1);
    let r = fanzha::db::maintenance::Retention::of(&app.state.config);
    fanzha::db::maintenance::prune(&app.state.db, &app.state.clock, r)
        .await
        .unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sso_tickets").await,
        1,
        "kept for a day"
    );
    app.state.clock.advance_ms(2 * 86_400_000);
    fanzha::db::maintenance::prune(&app.state.db, &app.state.clock, r)
        .await
        .unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sso_tickets").await, 0);
}

/// A CAS sign-in started from a page lands back on that page: the destination rides in the
/// service URL the CAS server binds its ticket to, so changing it on the way back is refused.
#[tokio::test]
async fn cas_sign_in_returns_to_where_the_person_was_going() {
    let (app, _cas, _) = with_cas().await;
    let c = client();
    let r = c
        .get(app.url("/sso/SCH1/start?next=/reports/new"))
        .send()
        .await
        .unwrap();
    let login = location(&r);
    let service = app.url("/sso/cas/SCH1?next=/reports/new");
    assert!(
        login.ends_with(&format!(
            "/login?service={}",
            fanzha::web::context::urlencode(&service)
        )),
        "{login}"
    );
    let cas_base = login.split("/login?").next().unwrap().to_string();
    let ticket_for = |c: Client, service: String| {
        let cas_base = cas_base.clone();
        async move {
            let r = c
                .post(format!("{cas_base}/login"))
                .form(&[
                    ("service", service.as_str()),
                    ("username", "2023010102"),
                    ("password", "cas-pw"),
                ])
                .send()
                .await
                .unwrap();
            location(&r)
        }
    };
    let back = ticket_for(c.clone(), service.clone()).await;
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/reports/new");

    // The same kind of ticket, with the destination changed on the way back: the CAS server
    // refuses the other service, nobody is signed in.
    let other = client();
    let back = ticket_for(other.clone(), service.clone()).await;
    let before = app.scalar("SELECT COUNT(*) FROM sessions").await;
    let r = other
        .get(back.replace("next=/reports/new", "next=/org"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, before);
    // A destination off the site is never used.
    let r = client()
        .get(app.url("/sso/SCH1/start?next=//evil.example/"))
        .send()
        .await
        .unwrap();
    assert!(
        location(&r).ends_with(&fanzha::web::context::urlencode(&app.url("/sso/cas/SCH1"))),
        "{}",
        location(&r)
    );
}

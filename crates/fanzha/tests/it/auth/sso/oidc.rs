//! OpenID Connect against a provider written here: PKCE sign-in and every forged token refused.

use super::*;

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct CampusClaims {
    student_no: String,
}
impl AdditionalClaims for CampusClaims {}

pub(super) type CampusIdToken = IdToken<
    CampusClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

pub(super) struct Pending {
    nonce: String,
    challenge: String,
    redirect_uri: String,
    user: String,
}

pub(super) struct Provider {
    issuer: String,
    forge: Mutex<Forge>,
    /// The user the next authorization signs in (its number goes into `student_no`).
    user: Mutex<String>,
    codes: Mutex<HashMap<String, Pending>>,
    key: CoreRsaPrivateSigningKey,
    other: CoreRsaPrivateSigningKey,
    wrong_kid: CoreRsaPrivateSigningKey,
}

pub(super) const CLIENT_ID: &str = "fanzha-test";
pub(super) const CLIENT_SECRET: &str = "test-client-secret";

pub(super) async fn start_provider() -> Arc<Provider> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let pem = include_str!("../../../fixtures/oidc/provider_key.pem");
    let other = include_str!("../../../fixtures/oidc/other_key.pem");
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

pub(super) async fn discovery(State(p): State<Arc<Provider>>) -> Json<serde_json::Value> {
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

pub(super) async fn jwks(State(p): State<Arc<Provider>>) -> Json<CoreJsonWebKeySet> {
    Json(CoreJsonWebKeySet::new(vec![p.key.as_verification_key()]))
}

pub(super) async fn authorize(
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

pub(super) fn rand_hex() -> String {
    use rand::Rng;
    hex::encode(rand::thread_rng().gen::<[u8; 12]>())
}

pub(super) fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub(super) async fn token(
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

pub(super) async fn with_oidc() -> (TestApp, Arc<Provider>) {
    let app = spawn_seeded().await;
    let p = start_provider().await;
    save(
        &app,
        "SCH1",
        SchoolSignIn {
            school_id: fanzha::kernel::ids::UnitId(0),
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
pub(super) async fn oidc_callback_url(
    app: &TestApp,
    p: &Provider,
    c: &Client,
    user: &str,
) -> String {
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

pub(super) async fn oidc_refused(forge: Forge, reason_part: &str) {
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
pub(super) async fn oidc_sign_in_with_pkce_activates_the_roster_account() {
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
pub(super) async fn oidc_id_token_with_alg_none_is_refused() {
    oidc_refused(Forge::AlgNone, "oidc_id_token").await;
}

#[tokio::test]
pub(super) async fn oidc_id_token_with_an_unknown_kid_is_refused() {
    oidc_refused(Forge::WrongKid, "oidc_id_token").await;
}

#[tokio::test]
pub(super) async fn oidc_id_token_signed_by_another_key_is_refused() {
    oidc_refused(Forge::OtherKey, "oidc_id_token").await;
}

#[tokio::test]
pub(super) async fn oidc_id_token_for_another_audience_is_refused() {
    oidc_refused(Forge::WrongAud, "oidc_id_token").await;
}

#[tokio::test]
pub(super) async fn oidc_id_token_from_another_issuer_is_refused() {
    oidc_refused(Forge::WrongIss, "oidc_id_token").await;
}

#[tokio::test]
pub(super) async fn oidc_expired_id_token_is_refused() {
    oidc_refused(Forge::Expired, "oidc_id_token").await;
}

#[tokio::test]
pub(super) async fn oidc_nonce_mismatch_is_refused() {
    oidc_refused(Forge::WrongNonce, "oidc_id_token").await;
}

#[tokio::test]
pub(super) async fn oidc_state_mismatch_is_refused() {
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
pub(super) async fn oidc_person_of_another_school_is_refused() {
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

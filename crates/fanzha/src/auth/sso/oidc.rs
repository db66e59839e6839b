//! The OpenID Connect client, on the `openidconnect` crate: discovery, the authorization-code flow
//! with PKCE, state and nonce, and the ID token's signature and claims (issuer, audience, expiry,
//! nonce) checked by the crate's verifier. fanzha checks no signature itself.

use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use super::{SchoolSignIn, SsoError};

/// The start of a sign-in: where to send the browser, and what to keep until it comes back.
pub struct Started {
    pub authorize_url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

async fn metadata(
    http: &reqwest::Client,
    cfg: &SchoolSignIn,
) -> Result<CoreProviderMetadata, SsoError> {
    let issuer = IssuerUrl::new(cfg.server_url.clone())
        .map_err(|e| SsoError::Unavailable(format!("issuer URL: {e}")))?;
    CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| SsoError::Unavailable(format!("discovery: {e}")))
}

/// Discovers the provider and builds the authorization URL (code flow, PKCE S256, fresh state and
/// nonce; scopes `openid profile`).
pub async fn start(
    http: &reqwest::Client,
    cfg: &SchoolSignIn,
    redirect_uri: &str,
) -> Result<Started, SsoError> {
    let meta = metadata(http, cfg).await?;
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(cfg.client_id.clone()),
        Some(ClientSecret::new(cfg.client_secret.expose().to_string())),
    )
    .set_redirect_uri(
        RedirectUrl::new(redirect_uri.to_string())
            .map_err(|e| SsoError::Unavailable(format!("redirect URL: {e}")))?,
    );
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".to_string()))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Started {
        authorize_url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// Exchanges the code (with the PKCE verifier) and verifies the ID token: signature against the
/// provider's JWKS (asymmetric algorithms only; `none` and a key id not in the set are refused),
/// issuer, audience, expiry and nonce. Returns the number from the configured claim.
pub async fn finish(
    http: &reqwest::Client,
    cfg: &SchoolSignIn,
    redirect_uri: &str,
    code: &str,
    nonce: &str,
    pkce_verifier: &str,
) -> Result<String, SsoError> {
    let meta = metadata(http, cfg).await?;
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(cfg.client_id.clone()),
        Some(ClientSecret::new(cfg.client_secret.expose().to_string())),
    )
    .set_redirect_uri(
        RedirectUrl::new(redirect_uri.to_string())
            .map_err(|e| SsoError::Unavailable(format!("redirect URL: {e}")))?,
    );
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| SsoError::Unavailable(format!("token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
        .request_async(http)
        .await
        .map_err(|e| SsoError::Refused(format!("oidc_token_exchange: {e}")))?;
    let id_token = response
        .id_token()
        .ok_or_else(|| SsoError::Refused("oidc_no_id_token".into()))?;
    let verifier = client.id_token_verifier().set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
        CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        CoreJwsSigningAlgorithm::EcdsaP384Sha384,
        CoreJwsSigningAlgorithm::EdDsa,
    ]);
    let claims = id_token
        .claims(&verifier, &Nonce::new(nonce.to_string()))
        .map_err(|e| SsoError::Refused(format!("oidc_id_token: {e}")))?;
    let attribute = cfg.number_attribute.trim();
    let number = match attribute {
        "" | "sub" => Some(claims.subject().to_string()),
        "preferred_username" => claims.preferred_username().map(|u| u.to_string()),
        _ => claim_of_verified(&id_token.to_string(), attribute),
    };
    number
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| SsoError::Refused("oidc_no_number_claim".into()))
}

/// Reads one claim (a string or a number) from the payload of an ID token whose signature and
/// claims the verifier above already accepted.
fn claim_of_verified(jwt: &str, name: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    match v.get(name)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

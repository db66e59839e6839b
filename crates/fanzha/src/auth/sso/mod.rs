//! Campus single sign-on, configured per school: CAS 2.0/3.0 and OpenID Connect.
//!
//! A school admin names the school's identity service (统一身份认证), the attribute or claim that
//! carries the student/staff number, and whether local passwords stay allowed. A sign-in through
//! it finds the account by (this school, number) only — an identity service can never sign in a
//! person of another school — and the first one activates the account. Nobody is created: a number
//! that is not on the school's roster gets a page saying whom to ask.
//!
//! Every flow's state lives in the database (OIDC state, nonce and PKCE verifier; CAS tickets seen),
//! so any process may finish what another started, and a ticket or state is taken once.

use crate::kernel::ids::{AccountId, UnitId};
pub mod cas;
pub mod oidc;
pub mod platform_web;
pub mod platforms;
pub mod store;
pub mod test_cas;
pub mod web;

use crate::auth::password::{random_token, sha256_hex};
use crate::auth::service::NewSession;
use crate::clock::Clock;
use crate::config::{Config, Secret};
use crate::db::{Db, DbError};

/// The kind of identity service a school runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Cas,
    Oidc,
}

impl Protocol {
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "cas" => Some(Protocol::Cas),
            "oidc" => Some(Protocol::Oidc),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Cas => "cas",
            Protocol::Oidc => "oidc",
        }
    }
}

/// Which CAS validation endpoint to call: `serviceValidate` (2.0) or `p3/serviceValidate` (3.0,
/// with attributes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CasVersion {
    V2,
    V3,
}

impl CasVersion {
    pub fn parse(s: &str) -> Option<CasVersion> {
        match s {
            "2" => Some(CasVersion::V2),
            "3" => Some(CasVersion::V3),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CasVersion::V2 => "2",
            CasVersion::V3 => "3",
        }
    }
}

/// A school's sign-in settings. The client secret is a [`Secret`]: never printed, never shown
/// back on the settings page.
#[derive(Clone, Debug)]
pub struct SchoolSignIn {
    pub school_id: UnitId,
    pub protocol: Protocol,
    /// CAS base URL (`https://cas.example.edu.cn/cas`) or OIDC issuer.
    pub server_url: String,
    pub cas_version: CasVersion,
    pub client_id: String,
    pub client_secret: Secret,
    /// The CAS attribute or ID-token claim carrying the number; empty: the CAS user / `sub`.
    pub number_attribute: String,
    /// False: only school admins may still sign in with a password (break-glass).
    pub local_passwords: bool,
    /// The built-in test CAS of `fanzha demo`.
    pub builtin_test: bool,
}

/// Why an SSO sign-in was refused. The person sees a page in words; the reason goes to the audit
/// log.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The identity service vouched for a number that is not on this school's roster.
    #[error("not on the roster")]
    NotOnRoster,
    /// A DingTalk/WeCom identity bound to nobody at this school.
    #[error("platform identity not bound")]
    NotBound,
    /// On the roster, but graduated, withdrawn, suspended or disabled.
    #[error("account not usable")]
    NotCurrent,
    /// The identity service or the browser's answer was refused (bad ticket, state, token…).
    #[error("refused: {0}")]
    Refused(String),
    /// The identity service could not be reached or answered nonsense.
    #[error("identity service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for SsoError {
    fn from(e: sqlx::Error) -> Self {
        SsoError::Db(e.into())
    }
}

impl SsoError {
    /// The short reason written to the audit log.
    pub fn reason(&self) -> String {
        match self {
            SsoError::NotOnRoster => "not_on_roster".into(),
            SsoError::NotCurrent => "not_current".into(),
            SsoError::NotBound => "not_bound".into(),
            SsoError::Refused(r) => r.clone(),
            SsoError::Unavailable(_) => "unavailable".into(),
            SsoError::Db(_) => "error".into(),
        }
    }
}

/// A successful SSO sign-in.
pub struct SsoSignIn {
    pub session: NewSession,
    /// The person's number as the identity service gave it.
    pub person_no: String,
    /// This sign-in activated the account.
    pub activated: bool,
    /// The session's id hash (for CAS single logout).
    pub session_hash: String,
}

/// Signs in the person of `school_id` with `number` (as vouched for by the school's identity
/// service): the account keyed by (school, number), activated now if it was not. Nothing is
/// created.
pub async fn sign_in_number(
    db: &Db,
    clock: &Clock,
    cfg: &Config,
    school_id: UnitId,
    number: &str,
    ip: &str,
    user_agent: &str,
) -> Result<SsoSignIn, SsoError> {
    let number = number.trim();
    if number.is_empty() || number.chars().count() > 64 {
        return Err(SsoError::NotOnRoster);
    }
    let mut tx = db.begin_write().await?;
    let Some(acc) = store::roster_account(&mut tx, school_id, number).await? else {
        tx.rollback().await?;
        return Err(SsoError::NotOnRoster);
    };
    open_session(tx, clock, cfg, acc, number, ip, user_agent).await
}

/// Signs in the account bound to a DingTalk/WeCom identity at `school_id` (never an account of
/// another school), activating it if the school's mapping bound it before it was activated.
pub async fn sign_in_account(
    db: &Db,
    clock: &Clock,
    cfg: &Config,
    school_id: UnitId,
    account_id: AccountId,
    ip: &str,
    user_agent: &str,
) -> Result<SsoSignIn, SsoError> {
    let mut tx = db.begin_write().await?;
    let Some((acc, number)) = store::roster_account_by_id(&mut tx, school_id, account_id).await?
    else {
        tx.rollback().await?;
        return Err(SsoError::NotOnRoster);
    };
    open_session(tx, clock, cfg, acc, &number, ip, user_agent).await
}

async fn open_session(
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    clock: &Clock,
    cfg: &Config,
    acc: store::RosterAccount,
    number: &str,
    ip: &str,
    user_agent: &str,
) -> Result<SsoSignIn, SsoError> {
    let now = clock.now_ms();
    if acc.disabled || acc.roster_status != crate::auth::roster_accounts::RosterStatus::Current {
        tx.rollback().await?;
        return Err(SsoError::NotCurrent);
    }
    let activated = store::activate_if_new(&mut tx, acc.id, now).await?;
    let token = random_token();
    let session_hash = sha256_hex(&token);
    let expires_at = now + cfg.session_hours * 3_600_000;
    store::insert_session(
        &mut tx,
        &session_hash,
        acc.id,
        &random_token(),
        now,
        expires_at,
        ip,
        &user_agent.chars().take(200).collect::<String>(),
    )
    .await?;
    tx.commit().await?;
    Ok(SsoSignIn {
        session: NewSession {
            token,
            account_id: acc.id,
            expires_at,
            must_change_password: false,
        },
        person_no: number.to_string(),
        activated,
        session_hash,
    })
}

/// The HTTP client for identity services: short timeouts, and no redirects followed (an OIDC
/// token endpoint that redirects is refused rather than followed somewhere else).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

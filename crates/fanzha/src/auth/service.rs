//! Rules of accounts: login with lockout, sessions with expiry, password change, users and tokens.

use super::model::{Principal, Role, Scope, Via};
use super::password::{self, random_token, sha256_hex};
use super::store::{self, NewAccount};
use crate::clock::{Clock, Millis};
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::kernel::ids::AccountId;
use crate::org::store as org_store;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    #[error("session expired")]
    Expired,
    #[error("{0}")]
    Invalid(&'static str),
    #[error("the account's roles cannot use the scope {}", .0.as_str())]
    ScopeBeyondRoles(Scope),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The window of the per-address attempt limit.
const LIMIT_WINDOW_MS: Millis = 5 * 60_000;

/// How long a sign-in waits once a username collected more failures, from all addresses, than
/// this many times the per-address limit: the account-wide limit slows guessing from many
/// addresses down, and never refuses anyone.
const ACCOUNT_SLOWDOWN_FACTOR: i64 = 2;
const ACCOUNT_SLOWDOWN: std::time::Duration = std::time::Duration::from_secs(1);

/// Refuses a new password that is too short or too long, with the message key to show.
fn acceptable_password(pw: &str) -> Result<(), AuthError> {
    match password::check_new_password(pw) {
        Err(password::WeakPassword::TooShort) => Err(AuthError::Invalid("auth-err-password-short")),
        Err(password::WeakPassword::TooLong) => Err(AuthError::Invalid("auth-err-password-long")),
        Ok(()) => Ok(()),
    }
}

/// A successful login: the cookie value to hand to the browser.
pub struct NewSession {
    pub token: String,
    pub account_id: AccountId,
    pub expires_at: Millis,
    /// The password was reset by staff: the person must choose a new one now.
    pub must_change_password: bool,
}

pub struct LoginRequest<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

/// Signs in with a password.
///
/// Limits, all held in the database so they survive restarts and hold across processes:
/// attempts per client address in a window (429 above it); failures per (username, address),
/// counted before the password is checked so parallel guesses are each counted, locking that pair
/// (never the account) for `lockout_minutes`; and an account-wide figure that only slows attempts.
/// Unknown usernames, wrong passwords, locks and disabled accounts all end in
/// [`AuthError::BadCredentials`] after the same password-hashing work, so the answer tells nobody
/// whether a username exists; the specific reason is returned only in
/// [`LoginRefusal::reason`] for the audit log.
pub async fn login(
    db: &Db,
    clock: &Clock,
    cfg: &Config,
    req: &LoginRequest<'_>,
) -> Result<NewSession, LoginRefusal> {
    let now = clock.now_ms();
    let refuse = |reason: &'static str| LoginRefusal {
        reason,
        error: AuthError::BadCredentials,
    };
    let (hits, window_start) =
        store::count_address_attempt(db, req.ip, now, LIMIT_WINDOW_MS).await?;
    if hits > i64::from(cfg.login_attempts_per_ip) {
        return Err(LoginRefusal {
            reason: "rate_limited",
            error: AuthError::RateLimited {
                retry_after_secs: ((window_start + LIMIT_WINDOW_MS - now) / 1000).max(1) as u64,
            },
        });
    }
    let username: String = req.username.trim().chars().take(64).collect();
    let max = cfg.login_max_failures.max(1);
    let lock_ms = cfg.lockout_minutes * 60_000;
    let count = store::count_failure(db, &username, req.ip, now, max, lock_ms).await?;
    let account = store::account_by_username(db, &username).await?;
    if store::recent_failures(db, &username, now - lock_ms).await? > ACCOUNT_SLOWDOWN_FACTOR * max {
        tokio::time::sleep(ACCOUNT_SLOWDOWN).await;
    }
    let locked = count.locked_until.is_some_and(|l| l > now);
    // The hash is computed on every path (a dummy for unknown or locked accounts, or an account
    // without a usable password), so the time taken tells nothing either.
    let hash = match &account {
        Some(a) if !locked && password::is_hash(&a.password_hash) => a.password_hash.clone(),
        _ => password::dummy_hash().to_string(),
    };
    let pw = req.password.to_string();
    let matches = tokio::task::spawn_blocking(move || password::verify_password(&pw, &hash))
        .await
        .unwrap_or(false);
    let Some(acc) = account else {
        return Err(refuse("unknown_account"));
    };
    if locked {
        return Err(refuse("locked"));
    }
    if !matches {
        if count.failures >= max {
            store::lock_pair(db, &username, req.ip, now + lock_ms).await?;
            return Err(refuse("locked"));
        }
        return Err(refuse("bad_credentials"));
    }
    if acc.disabled {
        return Err(refuse("disabled"));
    }
    if acc.roster_status != super::roster_accounts::RosterStatus::Current {
        return Err(refuse("roster_status"));
    }
    // A school that signs its people in through its identity service may switch local passwords
    // off; its school admins keep theirs (break-glass).
    if !super::sso::web::local_password_allowed(db, &acc).await? {
        return Err(refuse("local_passwords_off"));
    }
    // The right password: take back this attempt's count, unless parallel attempts locked the
    // pair meanwhile (the lock wins).
    if store::clear_failures(db, &username, req.ip, now)
        .await?
        .is_some()
    {
        return Err(refuse("locked"));
    }
    let token = random_token();
    let expires_at = now + cfg.session_hours * 3_600_000;
    store::insert_session(
        db,
        &sha256_hex(&token),
        acc.id,
        &random_token(),
        now,
        expires_at,
        req.ip,
        &req.user_agent.chars().take(200).collect::<String>(),
    )
    .await?;
    Ok(NewSession {
        token,
        account_id: acc.id,
        expires_at,
        must_change_password: acc.must_change_password,
    })
}

/// A refused sign-in: the error the caller sees, and the reason kept for the audit log only.
#[derive(Debug)]
pub struct LoginRefusal {
    pub reason: &'static str,
    pub error: AuthError,
}

impl From<DbError> for LoginRefusal {
    fn from(e: DbError) -> Self {
        LoginRefusal {
            reason: "error",
            error: AuthError::Db(e),
        }
    }
}

async fn principal_of(
    db: &Db,
    account_id: AccountId,
    via: Via,
) -> Result<Option<Principal>, AuthError> {
    let Some(acc) = store::account_by_id(db, account_id).await? else {
        return Ok(None);
    };
    if !acc.usable() {
        return Ok(None);
    }
    let mut grants = store::grants_of(db, account_id).await?;
    if let Some(sid) = acc.student_id {
        // A student's own role is implied by the link to their record, scoped to their class.
        if let Some(s) = org_store::student_by_id(db, sid).await? {
            grants.push(super::model::Grant {
                role: Role::Student,
                unit_id: s.class_id,
                unit_name: s.class_name,
                unit_code: s.class_code,
                unit_kind: "class".into(),
                scope_paths: vec![],
            });
        }
    }
    Ok(Some(Principal {
        account_id,
        username: acc.username,
        display_name: acc.display_name,
        student_id: acc.student_id,
        staff_id: acc.staff_id,
        grants,
        via,
        time_zone: crate::kernel::time::zone(&acc.time_zone),
        locale: acc.locale,
        must_change_password: acc.must_change_password,
    }))
}

/// The principal of an account as a signed-in session would build it (benchmarks and the CLI act
/// as people without a browser); None when the account is unusable.
pub async fn principal_for_account(
    db: &Db,
    account_id: AccountId,
) -> Result<Option<Principal>, AuthError> {
    principal_of(
        db,
        account_id,
        Via::Session {
            session_id: String::new(),
            csrf: String::new(),
        },
    )
    .await
}

/// Whether an account as it is now (enabled, with its roles and their scopes) passes `check`:
/// records are assigned only to people who can see and act on them.
pub async fn account_can(
    db: &Db,
    account_id: AccountId,
    check: impl FnOnce(&Principal) -> bool,
) -> Result<bool, AuthError> {
    let via = Via::Session {
        session_id: String::new(),
        csrf: String::new(),
    };
    Ok(principal_of(db, account_id, via)
        .await?
        .is_some_and(|p| check(&p)))
}

/// A signed-in principal kept for a few seconds so a page view costs no session queries.
///
/// An entry's age counts from the database read that made it, never from its last use, so
/// whatever ends or changes a session — logout, password change, account disabled, a role or
/// grant changed — takes effect in every process at most [`PRINCIPAL_CACHE_MS`] after its
/// commit (at once in the process that made the change). Expiry and idle timeout are checked on
/// every request.
#[derive(Clone)]
pub struct CachedSession {
    pub principal: Principal,
    pub expires_at: Millis,
    pub last_seen_at: Millis,
}

/// How long a principal read from the database may be used without reading it again.
pub const PRINCIPAL_CACHE_MS: Millis = 5_000;

pub type SessionCache = crate::cache::TtlCache<String, CachedSession>;

pub fn session_cache() -> SessionCache {
    crate::cache::TtlCache::new(PRINCIPAL_CACHE_MS, 200_000)
}

/// The principal behind a session cookie. Expired or idle sessions are deleted and reported.
pub async fn principal_for_session(
    db: &Db,
    clock: &Clock,
    cfg: &Config,
    cache: &SessionCache,
    token: &str,
) -> Result<Option<Principal>, AuthError> {
    let id = sha256_hex(token);
    let now = clock.now_ms();
    let idle_ms = cfg.session_idle_minutes * 60_000;
    if let Some(c) = cache.get(clock, &id) {
        if c.expires_at <= now || c.last_seen_at + idle_ms <= now {
            cache.remove(&id);
            store::delete_session(db, &id).await?;
            return Err(AuthError::Expired);
        }
        if now - c.last_seen_at > 60_000 {
            store::touch_session(db, &id, now).await?;
            // The entry keeps the age of its database read.
            cache.replace(
                &id,
                CachedSession {
                    last_seen_at: now,
                    ..c.clone()
                },
            );
        }
        return Ok(Some(c.principal));
    }
    let Some(s) = store::session(db, &id).await? else {
        return Ok(None);
    };
    if s.expires_at <= now || s.last_seen_at + idle_ms <= now {
        store::delete_session(db, &id).await?;
        return Err(AuthError::Expired);
    }
    // Touch at most once a minute: a write per request would serialise SQLite.
    let last_seen_at = if now - s.last_seen_at > 60_000 {
        store::touch_session(db, &id, now).await?;
        now
    } else {
        s.last_seen_at
    };
    let via = Via::Session {
        session_id: id.clone(),
        csrf: s.csrf,
    };
    let Some(principal) = principal_of(db, s.account_id, via).await? else {
        return Ok(None);
    };
    cache.put(
        clock,
        id,
        CachedSession {
            principal: principal.clone(),
            expires_at: s.expires_at,
            last_seen_at,
        },
    );
    Ok(Some(principal))
}

/// An API token's principal kept for a few seconds, so partner traffic (thousands of calls a
/// second) costs no token queries. As for sessions, an entry's age counts from its database read:
/// revoking a token, or changing its account's roles, takes effect everywhere within
/// [`PRINCIPAL_CACHE_MS`]. Expiry is checked on every call.
#[derive(Clone)]
pub struct CachedToken {
    pub principal: Principal,
    pub expires_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
}

pub type TokenCache = crate::cache::TtlCache<String, CachedToken>;

pub fn token_cache() -> TokenCache {
    crate::cache::TtlCache::new(PRINCIPAL_CACHE_MS, 100_000)
}

/// Forgets a token in this process's cache (after revocation).
pub fn forget_token(cache: &TokenCache, token_id: i64) {
    cache.remove_where(
        |c| matches!(c.principal.via, Via::Token { token_id: t, .. } if t == token_id),
    );
}

/// The principal behind an API token (`fz_…`). Unknown, revoked and expired tokens give `None`.
/// The token's scopes are cut to what its account's roles can use now (an account that lost a
/// role loses the scopes that came with it).
pub async fn principal_for_token(
    db: &Db,
    clock: &Clock,
    cache: &TokenCache,
    token: &str,
) -> Result<Option<Principal>, AuthError> {
    let hash = sha256_hex(token.trim());
    let now = clock.now_ms();
    if let Some(c) = cache.get(clock, &hash) {
        if c.expires_at.is_some_and(|e| e <= now) {
            cache.remove(&hash);
            return Ok(None);
        }
        if c.last_used_at.is_none_or(|l| now - l > 60_000) {
            if let Via::Token { token_id, .. } = c.principal.via {
                store::touch_token(db, token_id, now).await?;
            }
            cache.replace(
                &hash,
                CachedToken {
                    last_used_at: Some(now),
                    ..c.clone()
                },
            );
        }
        return Ok(Some(c.principal));
    }
    let Some(t) = store::token_by_hash(db, &hash).await? else {
        return Ok(None);
    };
    if t.revoked_at.is_some() || t.expires_at.is_some_and(|e| e <= now) {
        return Ok(None);
    }
    let scopes = t
        .scopes
        .split(',')
        .filter_map(|s| s.parse::<Scope>().ok())
        .collect();
    // Recorded at most once a minute: a write per API call would serialise SQLite.
    let last_used_at = if t.last_used_at.is_none_or(|l| now - l > 60_000) {
        store::touch_token(db, t.id, now).await?;
        Some(now)
    } else {
        t.last_used_at
    };
    let mut principal = principal_of(
        db,
        t.account_id,
        Via::Token {
            token_id: t.id,
            scopes,
        },
    )
    .await?;
    if let Some(p) = &mut principal {
        let roles = p.roles();
        if let Via::Token { scopes, .. } = &mut p.via {
            scopes.retain(|s| s.usable_by(&roles));
        }
        cache.put(
            clock,
            hash,
            CachedToken {
                principal: p.clone(),
                expires_at: t.expires_at,
                last_used_at,
            },
        );
    }
    Ok(principal)
}

pub async fn logout(db: &Db, cache: &SessionCache, p: &Principal) -> Result<(), AuthError> {
    if let Via::Session { session_id, .. } = &p.via {
        cache.remove(session_id);
        store::delete_session(db, session_id).await?;
    }
    Ok(())
}

pub async fn change_password(
    db: &Db,
    clock: &Clock,
    cache: &SessionCache,
    p: &Principal,
    old: &str,
    new: &str,
) -> Result<(), AuthError> {
    let acc = store::account_by_id(db, p.account_id)
        .await?
        .ok_or(AuthError::BadCredentials)?;
    if !password::verify_password(old, &acc.password_hash) {
        return Err(AuthError::BadCredentials);
    }
    acceptable_password(new)?;
    let hash = tokio::task::spawn_blocking({
        let new = new.to_string();
        move || password::hash_password(&new)
    })
    .await
    .map_err(|_| AuthError::Invalid("err-internal"))?;
    store::set_password(db, p.account_id, &hash, clock.now_ms()).await?;
    // Other sessions (a stolen cookie, a forgotten browser) end with the old password.
    let keep = match &p.via {
        Via::Session { session_id, .. } => session_id.clone(),
        Via::Token { .. } => String::new(),
    };
    store::delete_sessions_of(db, p.account_id, &keep).await?;
    let account = p.account_id;
    // After a forced change the current session is read again too, so the lock lifts at once.
    let forced = p.must_change_password;
    cache.remove_where(|c| {
        c.principal.account_id == account
            && (forced
                || !matches!(&c.principal.via, Via::Session { session_id, .. } if *session_id == keep))
    });
    Ok(())
}

/// Input of `fanzha user create` and the admin form.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: Role,
    pub unit_code: &'a str,
    /// Links the account to a student (by student number in the unit's school) or staff record.
    pub person_no: Option<&'a str>,
}

/// Creates an account with one role over one unit; refuses bad input with a message key.
pub async fn create_user(db: &Db, clock: &Clock, u: &NewUser<'_>) -> Result<AccountId, AuthError> {
    let username = u.username.trim();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err(AuthError::Invalid("auth-err-username"));
    }
    let display_name =
        crate::text::name(u.display_name).map_err(|e| AuthError::Invalid(e.key()))?;
    if display_name.chars().count() > 64 {
        return Err(AuthError::Invalid("auth-err-display-name"));
    }
    acceptable_password(u.password)?;
    let unit = org_store::unit_by_code(db, u.unit_code.trim())
        .await?
        .ok_or(AuthError::Invalid("auth-err-unit"))?;
    use crate::org::model::UnitKind::*;
    let fits = match u.role {
        Role::Student => matches!(unit.kind, School),
        Role::Counselor => matches!(unit.kind, Class | College),
        Role::UnitLeader => matches!(unit.kind, College | School),
        Role::SchoolAdmin => matches!(unit.kind, School),
        Role::Police => matches!(unit.kind, PoliceStation | City | Province),
        Role::ProvinceAdmin => matches!(unit.kind, Province),
        Role::Partner => matches!(unit.kind, Province | City),
    };
    if !fits {
        return Err(AuthError::Invalid("auth-err-role-unit"));
    }
    if store::account_by_username(db, username).await?.is_some() {
        return Err(AuthError::Invalid("auth-err-username-taken"));
    }
    let (mut student_id, mut staff_id) = (None, None);
    if let Some(no) = u.person_no.map(str::trim).filter(|s| !s.is_empty()) {
        if u.role == Role::Student {
            let id = store::student_id_by_no(db, unit.id, no).await?;
            student_id = Some(id.ok_or(AuthError::Invalid("auth-err-person"))?);
        } else {
            let org = org_store::ancestors(db, &unit)
                .await?
                .into_iter()
                .rev()
                .find(|a| matches!(a.kind, School | PoliceStation | City | Province))
                .ok_or(AuthError::Invalid("auth-err-person"))?;
            let staff = org_store::staff_by_no(db, org.id, no).await?;
            staff_id = Some(staff.ok_or(AuthError::Invalid("auth-err-person"))?.id);
        }
    } else if u.role == Role::Student {
        return Err(AuthError::Invalid("auth-err-person"));
    }
    let hash = tokio::task::spawn_blocking({
        let pw = u.password.to_string();
        move || password::hash_password(&pw)
    })
    .await
    .map_err(|_| AuthError::Invalid("err-internal"))?;
    let now = clock.now_ms();
    // A person on a roster already has an account: while it is not activated, it becomes this
    // one (one account per person); once activated, an extra account made by hand stays apart
    // from the roster key. Looked up inside the write transaction, so two creations cannot both
    // take it.
    let display = if display_name.is_empty() {
        username
    } else {
        display_name
    };
    let mut tx = db.begin_write().await.map_err(DbError::from)?;
    let roster_account = match (student_id, staff_id) {
        (None, None) => None,
        _ => store::unactivated_account_of(&mut tx, student_id, staff_id).await?,
    };
    let id = if let Some(existing) = roster_account {
        if !store::adopt_account(&mut tx, existing, username, display, &hash, now).await? {
            return Err(AuthError::Invalid("auth-err-person-account"));
        }
        existing
    } else {
        store::insert_account(
            &mut *tx,
            &NewAccount {
                username,
                display_name: display,
                password_hash: &hash,
                student_id,
                staff_id,
                locale: "zh-CN",
                time_zone: "Asia/Shanghai",
            },
            now,
        )
        .await?
    };
    if u.role != Role::Student {
        store::insert_grant(&mut *tx, id, u.role, unit.id, now).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(id)
}

/// Sets a new password for a user (operator command); unlocks the account and ends its sessions.
pub async fn reset_password(
    db: &Db,
    clock: &Clock,
    username: &str,
    new: &str,
) -> Result<(), AuthError> {
    let acc = store::account_by_username(db, username.trim())
        .await?
        .ok_or(AuthError::Invalid("auth-err-no-user"))?;
    acceptable_password(new)?;
    store::set_password(db, acc.id, &password::hash_password(new), clock.now_ms()).await?;
    store::delete_sessions_of(db, acc.id, "").await?;
    store::forget_failures(db, &acc.username).await?;
    Ok(())
}

/// A new API token: the secret is returned once and only its hash is kept.
pub struct IssuedToken {
    pub id: i64,
    pub token: String,
}

pub async fn create_token(
    db: &Db,
    clock: &Clock,
    account_id: AccountId,
    name: &str,
    scopes: &[Scope],
    ttl_days: Option<i64>,
) -> Result<IssuedToken, AuthError> {
    let name = crate::text::name(name).map_err(|e| AuthError::Invalid(e.key()))?;
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AuthError::Invalid("auth-err-token-name"));
    }
    if scopes.is_empty() {
        return Err(AuthError::Invalid("auth-err-token-scopes"));
    }
    if ttl_days.is_some_and(|d| !(1..=3650).contains(&d)) {
        return Err(AuthError::Invalid("auth-err-token-ttl"));
    }
    // A token never carries more than its account's roles can use.
    let roles = principal_of(
        db,
        account_id,
        Via::Token {
            token_id: 0,
            scopes: vec![],
        },
    )
    .await?
    .map(|p| p.roles())
    .unwrap_or_default();
    if let Some(s) = scopes.iter().find(|s| !s.usable_by(&roles)) {
        return Err(AuthError::ScopeBeyondRoles(*s));
    }
    let secret = random_token();
    let prefix: String = secret.chars().take(8).collect();
    let token = format!("fz_{secret}");
    let now = clock.now_ms();
    let id = store::insert_token(
        db,
        account_id,
        name,
        &sha256_hex(&token),
        &format!("fz_{prefix}"),
        scopes,
        now,
        ttl_days.map(|d| now + d * 86_400_000),
    )
    .await?;
    Ok(IssuedToken { id, token })
}

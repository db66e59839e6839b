//! One-time activation codes: how a person on the roster sets their first password without any
//! outside system.
//!
//! A counselor (their classes), a unit leader (their college) or a school admin (the school)
//! issues codes for the people of a unit who are not activated yet. A code is 12 characters from an
//! alphabet without look-alikes (about 59 bits), printed in groups of four; only a hash salted with
//! the account id is stored. Issuing again revokes the person's earlier code. A code is used once
//! and expires after `activation_code_days`.
//!
//! At `/activate` the person names their school, types their number, the code and a new password.
//! A wrong, expired, used or revoked code and an unknown number all get the same answer; attempts
//! are limited per address and per (school, number) with the database-held login limits, so the
//! limits hold across processes and restarts.

use crate::kernel::ids::AccountId;
use rand::Rng;

use super::password::{self, random_token, sha256_hex};
use super::roster_accounts::RosterStatus;
use super::service::NewSession;
use super::store;
use crate::clock::{Clock, Millis};
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::org::model::Unit;

/// Characters of a code: digits and capitals without 0/O, 1/I/L.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters of a code (12 × log2(31) ≈ 59 bits).
pub const CODE_CHARS: usize = 12;

/// A fresh code, grouped for reading aloud and typing: `ABCD-EFGH-JKMN`.
pub fn new_code() -> String {
    let mut rng = rand::thread_rng();
    let mut out = String::with_capacity(CODE_CHARS + 2);
    for i in 0..CODE_CHARS {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char);
    }
    out
}

/// A typed code in its stored form: case, spaces and dashes ignored; `None` if it cannot be one.
pub fn normalize_code(typed: &str) -> Option<String> {
    let c: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == CODE_CHARS && c.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(c)
}

fn code_hash(account_id: AccountId, normalized: &str) -> String {
    sha256_hex(&format!("activation:{account_id}:{normalized}"))
}

/// Passwords too common to accept (a committed list; compared without case).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Why a new password is refused: the message key.
pub fn password_problem(pw: &str, person_no: &str) -> Option<&'static str> {
    match password::check_new_password(pw) {
        Err(password::WeakPassword::TooShort) => return Some("auth-err-password-short"),
        Err(password::WeakPassword::TooLong) => return Some("auth-err-password-long"),
        Ok(()) => {}
    }
    let lower = pw.trim().to_lowercase();
    let no = person_no.trim().to_lowercase();
    if !no.is_empty() && lower.contains(&no) {
        return Some("activation-err-password-number");
    }
    if COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .any(|c| !c.is_empty() && !c.starts_with('#') && c == lower)
    {
        return Some("activation-err-password-common");
    }
    None
}

#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    /// Wrong, expired, used or revoked code, unknown number, account not awaiting activation:
    /// one answer for all.
    #[error("the number or the code is not right")]
    Refused,
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    WeakPassword(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ActivationError {
    fn from(e: sqlx::Error) -> Self {
        ActivationError::Db(e.into())
    }
}

/// One code handed out: shown once, on the sheet, in the CSV or in the API answer.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct IssuedCode {
    pub person_no: String,
    pub name: String,
    /// The class (students) or unit (staff) the person belongs to.
    #[serde(skip)]
    pub unit_name: String,
    pub code: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// A person of a unit's subtree who has not activated their account.
pub use super::store::activation::PendingActivation as Pending;

/// The people under `unit_path` whose accounts await activation (current on the roster), by
/// unit then number.
pub async fn pending_under(db: &Db, unit_path: &str) -> Result<Vec<Pending>, DbError> {
    super::store::activation::pending_activation_under(db, unit_path).await
}

/// Issues a new code to each person under `unit` not activated yet (narrowed to `only` when
/// given), revoking their earlier codes, in one transaction. The caller's right to do so over
/// `unit` is checked at the edge.
pub async fn issue(
    db: &Db,
    clock: &Clock,
    cfg: &Config,
    issuer: AccountId,
    unit: &Unit,
    only: Option<&[String]>,
) -> Result<Vec<IssuedCode>, ActivationError> {
    let mut people = pending_under(db, &unit.path).await?;
    if let Some(only) = only {
        people.retain(|p| only.iter().any(|n| n.trim() == p.person_no));
    }
    let now = clock.now_ms();
    let expires_at = now + cfg.activation_code_days.max(1) * 86_400_000;
    let mut out = Vec::with_capacity(people.len());
    let mut tx = db.begin_write().await?;
    for chunk in people.chunks(200) {
        let accounts: Vec<AccountId> = chunk.iter().map(|p| p.account_id).collect();
        store::activation::revoke_open_codes(&mut tx, db.backend, &accounts, now).await?;
        let mut codes = Vec::with_capacity(chunk.len());
        for p in chunk {
            let code = new_code();
            let hash = code_hash(p.account_id, &normalize_code(&code).unwrap_or_default());
            codes.push((p.account_id, hash));
            out.push(IssuedCode {
                person_no: p.person_no.clone(),
                name: p.name.clone(),
                unit_name: p.unit_name.clone(),
                code,
                expires_at,
            });
        }
        store::activation::insert_codes(&mut tx, db.backend, &codes, issuer, now, expires_at)
            .await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// A student under `unit_path` (enrolled, current on the roster) whose account was never
/// activated: nothing sent to the in-app inbox can reach them.
pub use super::store::activation::NeverActivated;

/// How many students under `unit_path` never activated their account, and the first `limit`.
pub async fn never_activated(
    db: &Db,
    unit_path: &str,
    limit: i64,
) -> Result<(i64, Vec<NeverActivated>), DbError> {
    super::store::activation::never_activated_under(db, unit_path, limit).await
}

/// What a person typed at `/activate`.
pub struct ActivateRequest<'a> {
    pub org: &'a Unit,
    pub person_no: &'a str,
    pub code: &'a str,
    pub password: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

/// The window of the per-address attempt limit.
const LIMIT_WINDOW_MS: Millis = 5 * 60_000;

/// Activates an account with a code and a first password, and signs it in. Exactly one of
/// several parallel attempts with the same code wins (the code is claimed by one conditional
/// update in the same transaction that sets the password).
pub async fn activate(
    db: &Db,
    clock: &Clock,
    cfg: &Config,
    req: &ActivateRequest<'_>,
) -> Result<NewSession, ActivationError> {
    let now = clock.now_ms();
    let (hits, window_start) =
        store::count_address_attempt(db, &format!("activate {}", req.ip), now, LIMIT_WINDOW_MS)
            .await?;
    if hits > i64::from(cfg.login_attempts_per_ip) {
        return Err(ActivationError::RateLimited {
            retry_after_secs: ((window_start + LIMIT_WINDOW_MS - now) / 1000).max(1) as u64,
        });
    }
    let person_no: String = req.person_no.trim().chars().take(64).collect();
    // Per (school, number), from every address together.
    let key = format!("activate {} {}", req.org.id, person_no);
    let max = cfg.login_max_failures.max(1);
    let lock_ms = cfg.lockout_minutes * 60_000;
    let count = store::count_failure(db, &key, "*", now, max, lock_ms).await?;
    if count.locked_until.is_some_and(|l| l > now) {
        return Err(ActivationError::RateLimited {
            retry_after_secs: ((count.locked_until.unwrap_or(now) - now) / 1000).max(1) as u64,
        });
    }
    if let Some(problem) = password_problem(req.password, &person_no) {
        return Err(ActivationError::WeakPassword(problem));
    }
    let refused = || async {
        if count.failures >= max {
            store::lock_pair(db, &key, "*", now + lock_ms).await?;
        }
        Err::<NewSession, ActivationError>(ActivationError::Refused)
    };
    let Some(code) = normalize_code(req.code) else {
        return refused().await;
    };
    let accounts = store::activation::accounts_awaiting_activation(
        db,
        req.org.id,
        &person_no,
        RosterStatus::Current,
    )
    .await?;
    let mut found = None;
    for account in accounts {
        let hash = code_hash(account, &code);
        let id = store::activation::open_code(db, &hash, account, now).await?;
        if let Some(id) = id {
            found = Some((id, account));
            break;
        }
    }
    let Some((code_id, account_id)) = found else {
        return refused().await;
    };
    let hash = tokio::task::spawn_blocking({
        let pw = req.password.to_string();
        move || password::hash_password(&pw)
    })
    .await
    .map_err(|_| ActivationError::Refused)?;
    let mut tx = db.begin_write().await?;
    let claimed = store::activation::claim_code(&mut tx, code_id, now).await?;
    let set =
        claimed && store::activation::set_first_password(&mut tx, account_id, &hash, now).await?;
    if !set {
        tx.rollback().await?;
        return refused().await;
    }
    tx.commit().await?;
    store::forget_failures(db, &key).await?;
    let token = random_token();
    let expires_at = now + cfg.session_hours * 3_600_000;
    store::insert_session(
        db,
        &sha256_hex(&token),
        account_id,
        &random_token(),
        now,
        expires_at,
        req.ip,
        &req.user_agent.chars().take(200).collect::<String>(),
    )
    .await?;
    Ok(NewSession {
        token,
        account_id,
        expires_at,
        must_change_password: false,
    })
}

/// Staff reset of an activated person's password, for someone under `unit_path`: a temporary
/// password (shown once) that must be changed at the next sign-in; the person's sessions end.
/// Returns the login name and the temporary password, or `None` when no activated account of that
/// number is there.
pub async fn reset_password(
    db: &Db,
    clock: &Clock,
    unit_path: &str,
    person_no: &str,
) -> Result<Option<(String, String)>, ActivationError> {
    let account =
        store::activation::activated_account_under(db, unit_path, person_no.trim()).await?;
    let Some((id, username)) = account else {
        return Ok(None);
    };
    let temporary = new_code();
    let hash = tokio::task::spawn_blocking({
        let pw = temporary.clone();
        move || password::hash_password(&pw)
    })
    .await
    .map_err(|_| ActivationError::Refused)?;
    store::activation::set_temporary_password(db, id, &hash, clock.now_ms()).await?;
    store::delete_sessions_of(db, id, "").await?;
    store::forget_failures(db, &username).await?;
    Ok(Some((username, temporary)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_readable_and_normalised() {
        let c = new_code();
        assert_eq!(c.len(), 14);
        assert_eq!(c.matches('-').count(), 2);
        let n = normalize_code(&c.to_lowercase().replace('-', " ")).unwrap();
        assert_eq!(n.len(), CODE_CHARS);
        assert_ne!(new_code(), c);
        // ≥ 50 bits.
        assert!((CODE_CHARS as f64) * (CODE_ALPHABET.len() as f64).log2() >= 50.0);
        assert!(normalize_code("ABCD-EFGH-JKM0").is_none());
        assert!(normalize_code("ABCD").is_none());
    }

    #[test]
    fn password_policy() {
        assert_eq!(
            password_problem("short", "1"),
            Some("auth-err-password-short")
        );
        assert_eq!(
            password_problem("x2023010101y", "2023010101"),
            Some("activation-err-password-number")
        );
        assert_eq!(
            password_problem("Password123", "2023010101"),
            Some("activation-err-password-common")
        );
        assert_eq!(password_problem("绿色的山和蓝色的河", "2023010101"), None);
    }
}

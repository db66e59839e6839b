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

use crate::kernel::ids::{AccountId, StudentId};
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
#[derive(Clone, Debug)]
pub struct Pending {
    pub account_id: AccountId,
    pub person_no: String,
    pub name: String,
    pub unit_name: String,
}

/// The people under `unit_path` whose accounts await activation (current on the roster), by
/// unit then number.
pub async fn pending_under(db: &Db, unit_path: &str) -> Result<Vec<Pending>, DbError> {
    use sqlx::Row;
    let like = format!("{unit_path}%");
    let rows = sqlx::query(
        "SELECT a.id, a.person_no, s.name, c.name AS unit_name FROM accounts a \
         JOIN students s ON s.id = a.student_id JOIN units c ON c.id = s.class_id \
         WHERE c.path LIKE $1 AND a.activated_at IS NULL AND a.roster_status = 'current' AND a.disabled = 0 \
         UNION ALL \
         SELECT a.id, a.person_no, t.name, u.name AS unit_name FROM accounts a \
         JOIN staff t ON t.id = a.staff_id JOIN units u ON u.id = t.unit_id \
         WHERE u.path LIKE $1 AND a.activated_at IS NULL AND a.roster_status = 'current' AND a.disabled = 0 \
         ORDER BY unit_name, person_no",
    )
    .bind(like)
    .fetch_all(&db.pool)
    .await
    .map_err(DbError::from)?;
    rows.iter()
        .map(|r| {
            Ok(Pending {
                account_id: r.try_get("id")?,
                person_no: r.try_get::<Option<String>, _>(1)?.unwrap_or_default(),
                name: r.try_get("name")?,
                unit_name: r.try_get("unit_name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)
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
        let revoke = format!(
            "UPDATE activation_codes SET revoked_at = $1 WHERE used_at IS NULL AND revoked_at IS NULL AND account_id IN ({})",
            crate::db::params_list(chunk.len(), 2)
        );
        let insert = format!(
            "INSERT INTO activation_codes (account_id, code_hash, issued_by, created_at, expires_at) VALUES {}",
            crate::db::values_rows(chunk.len(), 5, 1)
        );
        let revoke = crate::db::bulk_sql(db.backend, &revoke);
        let mut q = sqlx::query(&revoke).bind(now);
        for p in chunk {
            q = q.bind(p.account_id);
        }
        q.execute(&mut *tx).await?;
        let insert = crate::db::bulk_sql(db.backend, &insert);
        let mut q = sqlx::query(&insert);
        for p in chunk {
            let code = new_code();
            let hash = code_hash(p.account_id, &normalize_code(&code).unwrap_or_default());
            q = q
                .bind(p.account_id)
                .bind(hash)
                .bind(issuer)
                .bind(now)
                .bind(expires_at);
            out.push(IssuedCode {
                person_no: p.person_no.clone(),
                name: p.name.clone(),
                unit_name: p.unit_name.clone(),
                code,
                expires_at,
            });
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// A student under `unit_path` (enrolled, current on the roster) whose account was never
/// activated: nothing sent to the in-app inbox can reach them.
pub struct NeverActivated {
    pub student_id: StudentId,
    pub student_no: String,
    pub name: String,
    pub class_name: String,
}

/// How many students under `unit_path` never activated their account, and the first `limit`.
pub async fn never_activated(
    db: &Db,
    unit_path: &str,
    limit: i64,
) -> Result<(i64, Vec<NeverActivated>), DbError> {
    use sqlx::Row;
    let cond = "FROM accounts a JOIN students s ON s.id = a.student_id JOIN units c ON c.id = s.class_id \
         WHERE c.path LIKE $1 AND s.status = 'enrolled' AND a.activated_at IS NULL AND a.roster_status = 'current'";
    let like = format!("{unit_path}%");
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {cond}"))
        .bind(&like)
        .fetch_one(&db.pool)
        .await
        .map_err(DbError::from)?;
    let rows = sqlx::query(&format!(
        "SELECT s.id, s.student_no, s.name, c.name AS class_name {cond} ORDER BY c.path, s.student_no LIMIT $2"
    ))
    .bind(&like)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
    .map_err(DbError::from)?;
    let v = rows
        .iter()
        .map(|r| {
            Ok(NeverActivated {
                student_id: r.try_get("id")?,
                student_no: r.try_get("student_no")?,
                name: r.try_get("name")?,
                class_name: r.try_get("class_name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::from)?;
    Ok((n, v))
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
    let accounts: Vec<AccountId> = sqlx::query_scalar(
        "SELECT id FROM accounts WHERE org_id = $1 AND person_no = $2 AND activated_at IS NULL \
         AND roster_status = $3 AND disabled = 0",
    )
    .bind(req.org.id)
    .bind(&person_no)
    .bind(RosterStatus::Current.as_str())
    .fetch_all(&db.pool)
    .await?;
    let mut found = None;
    for account in accounts {
        let hash = code_hash(account, &code);
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM activation_codes WHERE code_hash = $1 AND account_id = $2 \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3",
        )
        .bind(&hash)
        .bind(account)
        .bind(now)
        .fetch_optional(&db.pool)
        .await?;
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
    let claimed = sqlx::query(
        "UPDATE activation_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(code_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let set = if claimed == 1 {
        sqlx::query(
            "UPDATE accounts SET password_hash = $1, activated_at = $2, password_changed_at = $2, must_change_password = 0 \
             WHERE id = $3 AND activated_at IS NULL",
        )
        .bind(&hash)
        .bind(now)
        .bind(account_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
    } else {
        0
    };
    if set != 1 {
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
    let like = format!("{unit_path}%");
    let account: Option<(AccountId, String)> = sqlx::query_as(
        "SELECT a.id, a.username FROM accounts a JOIN students s ON s.id = a.student_id JOIN units c ON c.id = s.class_id \
         WHERE c.path LIKE $1 AND a.person_no = $2 AND a.activated_at IS NOT NULL \
         UNION ALL \
         SELECT a.id, a.username FROM accounts a JOIN staff t ON t.id = a.staff_id JOIN units u ON u.id = t.unit_id \
         WHERE u.path LIKE $1 AND a.person_no = $2 AND a.activated_at IS NOT NULL",
    )
    .bind(like)
    .bind(person_no.trim())
    .fetch_optional(&db.pool)
    .await?;
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
    sqlx::query(
        "UPDATE accounts SET password_hash = $1, password_changed_at = $2, must_change_password = 1 WHERE id = $3",
    )
    .bind(hash)
    .bind(clock.now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?;
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

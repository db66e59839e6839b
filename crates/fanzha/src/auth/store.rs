//! SQL of accounts, role grants, sessions and API tokens.

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use sqlx::Row;

use super::model::{Grant, Role, Scope};
use crate::db::{Db, DbResult};
use crate::org::store::sql;

pub mod activation;
pub mod admin;
pub mod bench;
pub mod demo;
pub mod lookups;
pub mod roster;
use crate::org::store as org_store;

#[derive(Clone, Debug)]
pub struct AccountRow {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub student_id: Option<StudentId>,
    pub staff_id: Option<i64>,
    pub locale: String,
    pub time_zone: String,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub disabled: bool,
    /// When the person set their first password; `None`: not activated yet.
    pub activated_at: Option<i64>,
    pub roster_status: super::roster_accounts::RosterStatus,
    pub must_change_password: bool,
    pub org_id: Option<UnitId>,
    pub person_no: Option<String>,
}

impl AccountRow {
    /// May this account be used at all now (enabled, activated, and current on its roster)?
    pub fn usable(&self) -> bool {
        !self.disabled
            && self.activated_at.is_some()
            && self.roster_status == super::roster_accounts::RosterStatus::Current
    }
}

const ACCOUNT_COLS: &str = "id, username, display_name, password_hash, student_id, staff_id, locale, time_zone, failed_logins, locked_until, disabled, activated_at, roster_status, must_change_password, org_id, person_no";

fn account_from(r: &AnyRow) -> Result<AccountRow, sqlx::Error> {
    Ok(AccountRow {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        password_hash: r.try_get("password_hash")?,
        student_id: r.try_get("student_id")?,
        staff_id: r.try_get("staff_id")?,
        locale: r.try_get("locale")?,
        time_zone: r.try_get("time_zone")?,
        failed_logins: r.try_get("failed_logins")?,
        locked_until: r.try_get("locked_until")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        activated_at: r.try_get("activated_at")?,
        roster_status: {
            let s: String = r.try_get("roster_status")?;
            super::roster_accounts::RosterStatus::parse(&s)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown roster status {s:?}").into()))?
        },
        must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
        org_id: r.try_get("org_id")?,
        person_no: r.try_get("person_no")?,
    })
}

pub async fn account_by_username(db: &Db, username: &str) -> DbResult<Option<AccountRow>> {
    let r = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLS} FROM accounts WHERE username = $1"
    ))
    .bind(username)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(account_from).transpose()?)
}

pub async fn account_by_id(db: &Db, id: AccountId) -> DbResult<Option<AccountRow>> {
    let r = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(account_from).transpose()?)
}

/// Accounts linked to a student or staff record (for notifications and for the policy tests).
pub async fn account_of_person(
    db: &Db,
    student_id: Option<StudentId>,
    staff_id: Option<i64>,
) -> DbResult<Option<AccountId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM accounts WHERE (student_id = $1 AND $1 IS NOT NULL) OR (staff_id = $2 AND $2 IS NOT NULL) ORDER BY id LIMIT 1",
    )
    .bind(student_id)
    .bind(staff_id)
    .fetch_optional(&db.pool)
    .await?)
}

pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub student_id: Option<StudentId>,
    pub staff_id: Option<i64>,
    pub locale: &'a str,
    pub time_zone: &'a str,
}

/// The id of the student with this number on this school's roster.
pub async fn student_id_by_no(db: &Db, school_id: UnitId, no: &str) -> DbResult<Option<StudentId>> {
    crate::org::store::student_id_by_no(db, school_id, no).await
}

/// The roster account of a student or staff member that nobody has activated yet.
pub async fn unactivated_account_of(
    c: &mut AnyConnection,
    student_id: Option<StudentId>,
    staff_id: Option<i64>,
) -> DbResult<Option<AccountId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM accounts WHERE ((student_id = $1 AND $1 IS NOT NULL) OR (staff_id = $2 AND $2 IS NOT NULL)) \
         AND activated_at IS NULL ORDER BY id LIMIT 1",
    )
    .bind(student_id)
    .bind(staff_id)
    .fetch_optional(c)
    .await?)
}

/// Makes a roster account not yet activated the account created by hand (name, password,
/// activated now); false when it was activated meanwhile.
pub async fn adopt_account(
    c: &mut AnyConnection,
    id: AccountId,
    username: &str,
    display_name: &str,
    password_hash: &str,
    now: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE accounts SET username = $1, display_name = $2, password_hash = $3, activated_at = $4, password_changed_at = $4 \
         WHERE id = $5 AND activated_at IS NULL",
    )
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .bind(now)
    .bind(id)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn insert_account<'e, E>(exec: E, a: &NewAccount<'_>, now: i64) -> DbResult<AccountId>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar(
        "INSERT INTO accounts (username, display_name, password_hash, student_id, staff_id, locale, time_zone, failed_logins, locked_until, disabled, created_at, password_changed_at, activated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL, 0, $8, $8, $8) RETURNING id",
    )
    .bind(a.username)
    .bind(a.display_name)
    .bind(a.password_hash)
    .bind(a.student_id)
    .bind(a.staff_id)
    .bind(a.locale)
    .bind(a.time_zone)
    .bind(now)
    .fetch_one(exec)
    .await?)
}

pub async fn insert_grant<'e, E>(
    exec: E,
    account_id: AccountId,
    role: Role,
    unit_id: UnitId,
    now: i64,
) -> DbResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO role_assignments (account_id, role, unit_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(role.as_str())
    .bind(unit_id)
    .bind(now)
    .execute(exec)
    .await?;
    Ok(())
}

/// The grants of an account with their scope paths; a police grant on a station also covers the
/// schools of its jurisdiction.
pub async fn grants_of(db: &Db, account_id: AccountId) -> DbResult<Vec<Grant>> {
    let rows = sqlx::query(&format!(
        "SELECT r.role, u.id, u.name, u.path, u.kind, u.code FROM role_assignments r {} \
         WHERE r.account_id = $1 ORDER BY r.id",
        sql::join_unit("u", "r.unit_id")
    ))
    .bind(account_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let role: String = r.try_get("role")?;
        let Ok(role) = role.parse::<Role>() else {
            continue;
        };
        let unit_id: UnitId = r.try_get("id")?;
        let kind: String = r.try_get("kind")?;
        let mut scope_paths = vec![r.try_get::<String, _>("path")?];
        if role == Role::Police {
            let stations: Vec<UnitId> = if kind == "police_station" {
                vec![unit_id]
            } else {
                // A police grant on a city or province covers every station below it.
                org_store::units_of_kind_in(
                    db,
                    &scope_paths[0],
                    crate::org::model::UnitKind::PoliceStation,
                )
                .await?
                .into_iter()
                .map(|u| u.id)
                .collect()
            };
            for st in stations {
                for school in org_store::jurisdiction_schools(db, st).await? {
                    scope_paths.push(school.path);
                }
            }
            // The grant's own unit stays first; the jurisdiction schools follow, sorted.
            let own = scope_paths.remove(0);
            scope_paths.sort();
            scope_paths.dedup();
            scope_paths.retain(|p| *p != own);
            scope_paths.insert(0, own);
        }
        out.push(Grant {
            role,
            unit_id,
            unit_name: r.try_get("name")?,
            unit_code: r.try_get("code")?,
            unit_kind: kind,
            scope_paths,
        });
    }
    Ok(out)
}

/// Counts one sign-in attempt from `address`; returns the attempts of the current window and when
/// that window started. The window starts at the first attempt and lasts `window_ms`; one
/// statement, so parallel attempts from any process are each counted.
pub async fn count_address_attempt(
    db: &Db,
    address: &str,
    now: i64,
    window_ms: i64,
) -> DbResult<(i64, i64)> {
    let r = sqlx::query(
        "INSERT INTO login_address_hits (address, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (address) DO UPDATE SET \
         hits = CASE WHEN login_address_hits.window_start <= $3 THEN 1 ELSE login_address_hits.hits + 1 END, \
         window_start = CASE WHEN login_address_hits.window_start <= $3 THEN $2 ELSE login_address_hits.window_start END \
         RETURNING hits, window_start",
    )
    .bind(address)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(&db.pool)
    .await?;
    Ok((r.try_get("hits")?, r.try_get("window_start")?))
}

/// The failure count of a (username, address) pair after an attempt was counted, and its lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureCount {
    pub failures: i64,
    pub locked_until: Option<i64>,
}

/// Counts an attempt of `username` from `address` as a failure before its password is checked
/// (a success takes it back with [`clear_failures`]). One statement, so attempts sent in parallel
/// are each counted: the attempt that would go past `max` sets the lock itself. A lock in force is
/// left as it is; a lock that ran out, or failures older than `lock_ms`, start a fresh count.
pub async fn count_failure(
    db: &Db,
    username: &str,
    address: &str,
    now: i64,
    max: i64,
    lock_ms: i64,
) -> DbResult<FailureCount> {
    let r = sqlx::query(
        "INSERT INTO login_failures (username, address, failures, locked_until, last_at) VALUES ($1, $2, 1, NULL, $3) \
         ON CONFLICT (username, address) DO UPDATE SET \
         failures = CASE WHEN login_failures.locked_until > $3 THEN login_failures.failures \
                         WHEN login_failures.locked_until IS NOT NULL OR login_failures.last_at <= $6 THEN 1 \
                         ELSE login_failures.failures + 1 END, \
         locked_until = CASE WHEN login_failures.locked_until > $3 THEN login_failures.locked_until \
                             WHEN login_failures.locked_until IS NOT NULL OR login_failures.last_at <= $6 THEN NULL \
                             WHEN login_failures.failures + 1 > $4 THEN $5 \
                             ELSE NULL END, \
         last_at = $3 \
         RETURNING failures, locked_until",
    )
    .bind(username)
    .bind(address)
    .bind(now)
    .bind(max)
    .bind(now + lock_ms)
    .bind(now - lock_ms)
    .fetch_one(&db.pool)
    .await?;
    Ok(FailureCount {
        failures: r.try_get("failures")?,
        locked_until: r.try_get("locked_until")?,
    })
}

/// Locks the pair after a wrong password that reached the limit (unless a lock is already set).
pub async fn lock_pair(db: &Db, username: &str, address: &str, until: i64) -> DbResult<()> {
    sqlx::query(
        "UPDATE login_failures SET locked_until = $3 WHERE username = $1 AND address = $2 AND locked_until IS NULL",
    )
    .bind(username)
    .bind(address)
    .bind(until)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// After a right password: clears the pair's count unless a lock is in force (set meanwhile by a
/// parallel attempt). Returns the lock that refuses this sign-in, if any.
pub async fn clear_failures(
    db: &Db,
    username: &str,
    address: &str,
    now: i64,
) -> DbResult<Option<i64>> {
    let cleared = sqlx::query(
        "DELETE FROM login_failures WHERE username = $1 AND address = $2 AND (locked_until IS NULL OR locked_until <= $3)",
    )
    .bind(username)
    .bind(address)
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if cleared == 1 {
        return Ok(None);
    }
    let lock: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT locked_until FROM login_failures WHERE username = $1 AND address = $2",
    )
    .bind(username)
    .bind(address)
    .fetch_optional(&db.pool)
    .await?;
    Ok(lock.flatten().filter(|l| *l > now))
}

/// Failures of a username from every address since `since` (the account-wide figure that only
/// slows sign-in down).
pub async fn recent_failures(db: &Db, username: &str, since: i64) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(failures), 0) AS BIGINT) FROM login_failures WHERE username = $1 AND last_at > $2",
    )
    .bind(username)
    .bind(since)
    .fetch_one(&db.pool)
    .await?)
}

/// Ends every lock and count of a username (an operator's password reset).
pub async fn forget_failures(db: &Db, username: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Deletes counts, locks and windows that ended before `before`. Reads first: on SQLite a
/// write statement takes the one write lock even when it matches nothing.
pub async fn prune_login_limits(db: &Db, before: i64) -> DbResult<u64> {
    let mut n = 0;
    let stale = "last_at < $1 AND (locked_until IS NULL OR locked_until < $1)";
    let any: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT failures FROM login_failures WHERE {stale} LIMIT 1"
    ))
    .bind(before)
    .fetch_optional(&db.pool)
    .await?;
    if any.is_some() {
        n += sqlx::query(&format!("DELETE FROM login_failures WHERE {stale}"))
            .bind(before)
            .execute(&db.pool)
            .await?
            .rows_affected();
    }
    let any: Option<i64> =
        sqlx::query_scalar("SELECT hits FROM login_address_hits WHERE window_start < $1 LIMIT 1")
            .bind(before)
            .fetch_optional(&db.pool)
            .await?;
    if any.is_some() {
        n += sqlx::query("DELETE FROM login_address_hits WHERE window_start < $1")
            .bind(before)
            .execute(&db.pool)
            .await?
            .rows_affected();
    }
    Ok(n)
}

pub async fn set_password(db: &Db, id: AccountId, hash: &str, now: i64) -> DbResult<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1, password_changed_at = $2, failed_logins = 0, locked_until = NULL, must_change_password = 0 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn set_locale(db: &Db, id: AccountId, locale: &str) -> DbResult<()> {
    sqlx::query("UPDATE accounts SET locale = $1 WHERE id = $2")
        .bind(locale)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub struct SessionRow {
    pub account_id: AccountId,
    pub csrf: String,
    pub expires_at: i64,
    pub last_seen_at: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_session(
    db: &Db,
    id_hash: &str,
    account_id: AccountId,
    csrf: &str,
    now: i64,
    expires_at: i64,
    ip: &str,
    user_agent: &str,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO sessions (id, account_id, csrf_token, created_at, expires_at, last_seen_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $4, $6, $7)",
    )
    .bind(id_hash)
    .bind(account_id)
    .bind(csrf)
    .bind(now)
    .bind(expires_at)
    .bind(ip)
    .bind(user_agent)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn session(db: &Db, id_hash: &str) -> DbResult<Option<SessionRow>> {
    let r = sqlx::query(
        "SELECT account_id, csrf_token, expires_at, last_seen_at FROM sessions WHERE id = $1",
    )
    .bind(id_hash)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match r {
        Some(r) => Some(SessionRow {
            account_id: r.try_get("account_id")?,
            csrf: r.try_get("csrf_token")?,
            expires_at: r.try_get("expires_at")?,
            last_seen_at: r.try_get("last_seen_at")?,
        }),
        None => None,
    })
}

pub async fn touch_session(db: &Db, id_hash: &str, now: i64) -> DbResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn delete_session(db: &Db, id_hash: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends every session of an account except `keep` (after a password change).
pub async fn delete_sessions_of(db: &Db, account_id: AccountId, keep: &str) -> DbResult<()> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id <> $2")
        .bind(account_id)
        .bind(keep)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_token(
    db: &Db,
    account_id: AccountId,
    name: &str,
    hash: &str,
    prefix: &str,
    scopes: &[Scope],
    now: i64,
    expires_at: Option<i64>,
) -> DbResult<i64> {
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (account_id, name, token_hash, prefix, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(account_id)
    .bind(name)
    .bind(hash)
    .bind(prefix)
    .bind(scopes.join(","))
    .bind(now)
    .bind(expires_at)
    .fetch_one(&db.pool)
    .await?)
}

pub struct TokenRow {
    pub id: i64,
    pub account_id: AccountId,
    pub scopes: String,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

pub async fn token_by_hash(db: &Db, hash: &str) -> DbResult<Option<TokenRow>> {
    let r = sqlx::query("SELECT id, account_id, scopes, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1")
        .bind(hash)
        .fetch_optional(&db.pool)
        .await?;
    Ok(match r {
        Some(r) => Some(TokenRow {
            id: r.try_get("id")?,
            account_id: r.try_get("account_id")?,
            scopes: r.try_get("scopes")?,
            expires_at: r.try_get("expires_at")?,
            revoked_at: r.try_get("revoked_at")?,
            last_used_at: r.try_get("last_used_at")?,
        }),
        None => None,
    })
}

pub async fn touch_token(db: &Db, id: i64, now: i64) -> DbResult<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn tokens_of(db: &Db, account_id: AccountId) -> DbResult<Vec<TokenInfo>> {
    let rows = sqlx::query(
        "SELECT id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE account_id = $1 ORDER BY id DESC",
    )
    .bind(account_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenInfo {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                prefix: r.try_get("prefix")?,
                scopes: r
                    .try_get::<String, _>("scopes")?
                    .split(',')
                    .map(str::to_string)
                    .collect(),
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
                last_used_at: r.try_get("last_used_at")?,
                revoked_at: r.try_get("revoked_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Revokes a token of this account; returns false when there is no such live token.
pub async fn revoke_token(db: &Db, account_id: AccountId, id: i64, now: i64) -> DbResult<bool> {
    Ok(sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .bind(account_id)
        .execute(&db.pool)
        .await?
        .rows_affected()
        == 1)
}

/// The unit path an account's own events belong to (its first grant, or its student's class), so
/// the audit entries of a login are visible to the admins of that unit.
pub async fn home_path(db: &Db, account_id: AccountId) -> DbResult<String> {
    let p: Option<String> = sqlx::query_scalar(&format!(
        "SELECT u.path FROM role_assignments r {} WHERE r.account_id = $1 ORDER BY r.id LIMIT 1",
        sql::join_unit("u", "r.unit_id")
    ))
    .bind(account_id)
    .fetch_optional(&db.pool)
    .await?;
    if let Some(p) = p {
        return Ok(p);
    }
    let p: Option<String> = sqlx::query_scalar(&format!(
        "SELECT u.path FROM accounts a {} WHERE a.id = $1",
        sql::join_student_in_class("s", "u", "a.student_id")
    ))
    .bind(account_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(p.unwrap_or_default())
}

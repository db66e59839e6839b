//! SQL of campus sign-in: school settings, OIDC flows under way, CAS tickets seen, and the
//! DingTalk and WeCom apps of schools with the platform identities bound to accounts.

use crate::kernel::ids::{AccountId, UnitId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::platforms::{Platform, PlatformApp};
use super::{CasVersion, Protocol, SchoolSignIn};
use crate::auth::roster_accounts::RosterStatus;
use crate::config::Secret;
use crate::db::{Db, DbError, DbResult};

const COLS: &str = "school_id, protocol, server_url, cas_version, client_id, client_secret, \
                    number_attribute, local_passwords, builtin_test";

fn from_row(r: &AnyRow) -> DbResult<SchoolSignIn> {
    let protocol: String = r.try_get("protocol")?;
    let version: String = r.try_get("cas_version")?;
    Ok(SchoolSignIn {
        school_id: r.try_get("school_id")?,
        protocol: Protocol::parse(&protocol).ok_or_else(|| {
            DbError::from(sqlx::Error::Decode(
                format!("unknown sign-in protocol {protocol:?}").into(),
            ))
        })?,
        server_url: r.try_get("server_url")?,
        cas_version: CasVersion::parse(&version).ok_or_else(|| {
            DbError::from(sqlx::Error::Decode(
                format!("unknown CAS version {version:?}").into(),
            ))
        })?,
        client_id: r.try_get("client_id")?,
        client_secret: Secret::new(r.try_get::<String, _>("client_secret")?),
        number_attribute: r.try_get("number_attribute")?,
        local_passwords: r.try_get::<i64, _>("local_passwords")? != 0,
        builtin_test: r.try_get::<i64, _>("builtin_test")? != 0,
    })
}

pub async fn school_sign_in(db: &Db, school_id: UnitId) -> DbResult<Option<SchoolSignIn>> {
    let r = sqlx::query(&format!(
        "SELECT {COLS} FROM school_sign_in WHERE school_id = $1"
    ))
    .bind(school_id)
    .fetch_optional(&db.pool)
    .await?;
    r.as_ref().map(from_row).transpose()
}

/// Schools that have an identity service, for the login page's picker: (code, name).
pub async fn schools_with_sign_in(db: &Db) -> DbResult<Vec<(String, String)>> {
    let rows = sqlx::query(&format!(
        "SELECT u.code, u.name FROM school_sign_in s {} ORDER BY u.name",
        crate::org::store::sql::join_unit("u", "s.school_id")
    ))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("code")?, r.try_get("name")?)))
        .collect()
}

/// Creates or replaces a school's settings.
pub async fn save(db: &Db, s: &SchoolSignIn, by: Option<AccountId>, now: i64) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM school_sign_in WHERE school_id = $1")
        .bind(s.school_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO school_sign_in ({COLS}, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(s.school_id)
    .bind(s.protocol.as_str())
    .bind(&s.server_url)
    .bind(s.cas_version.as_str())
    .bind(&s.client_id)
    .bind(s.client_secret.expose())
    .bind(&s.number_attribute)
    .bind(i64::from(s.local_passwords))
    .bind(i64::from(s.builtin_test))
    .bind(now)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove(db: &Db, school_id: UnitId) -> DbResult<bool> {
    Ok(
        sqlx::query("DELETE FROM school_sign_in WHERE school_id = $1")
            .bind(school_id)
            .execute(&db.pool)
            .await?
            .rows_affected()
            > 0,
    )
}

/// The account an SSO sign-in may open.
pub struct RosterAccount {
    pub id: AccountId,
    pub disabled: bool,
    pub roster_status: RosterStatus,
}

/// The roster account of `number` at `school_id`, and only there. A number on both the student
/// and the staff roster of one school is refused as ambiguous (the caller sees "not on roster").
pub async fn roster_account(
    tx: &mut AnyConnection,
    school_id: UnitId,
    number: &str,
) -> DbResult<Option<RosterAccount>> {
    let rows = sqlx::query(
        "SELECT id, disabled, roster_status FROM accounts WHERE org_id = $1 AND person_no = $2 \
         AND person_kind IS NOT NULL ORDER BY id LIMIT 2",
    )
    .bind(school_id)
    .bind(number)
    .fetch_all(&mut *tx)
    .await?;
    if rows.len() != 1 {
        return Ok(None);
    }
    let r = &rows[0];
    let status: String = r.try_get("roster_status")?;
    Ok(Some(RosterAccount {
        id: r.try_get("id")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        roster_status: RosterStatus::parse(&status).ok_or_else(|| {
            DbError::from(sqlx::Error::Decode(
                format!("unknown roster status {status:?}").into(),
            ))
        })?,
    }))
}

/// A roster account of `school_id` by id, with its number; `None` for an account of another
/// school or none at all.
pub async fn roster_account_by_id(
    tx: &mut AnyConnection,
    school_id: UnitId,
    account_id: AccountId,
) -> DbResult<Option<(RosterAccount, String)>> {
    let r = sqlx::query(
        "SELECT id, disabled, roster_status, person_no FROM accounts WHERE id = $1 AND org_id = $2 \
         AND person_kind IS NOT NULL",
    )
    .bind(account_id)
    .bind(school_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(r) = r else {
        return Ok(None);
    };
    let status: String = r.try_get("roster_status")?;
    Ok(Some((
        RosterAccount {
            id: r.try_get("id")?,
            disabled: r.try_get::<i64, _>("disabled")? != 0,
            roster_status: RosterStatus::parse(&status).ok_or_else(|| {
                DbError::from(sqlx::Error::Decode(
                    format!("unknown roster status {status:?}").into(),
                ))
            })?,
        },
        r.try_get::<Option<String>, _>("person_no")?
            .unwrap_or_default(),
    )))
}

/// Marks the account activated if it was not; true when this call did it.
pub async fn activate_if_new(
    tx: &mut AnyConnection,
    account_id: AccountId,
    now: i64,
) -> DbResult<bool> {
    Ok(
        sqlx::query("UPDATE accounts SET activated_at = $2 WHERE id = $1 AND activated_at IS NULL")
            .bind(account_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1,
    )
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_session(
    tx: &mut AnyConnection,
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
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// An OIDC sign-in under way.
pub struct Flow {
    pub school_id: UnitId,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
}

pub async fn insert_flow(
    db: &Db,
    state_hash: &str,
    flow: &Flow,
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO sso_flows (state_hash, school_id, nonce, pkce_verifier, next_path, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(state_hash)
    .bind(flow.school_id)
    .bind(&flow.nonce)
    .bind(&flow.pkce_verifier)
    .bind(&flow.next_path)
    .bind(now)
    .bind(expires_at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Takes the flow of `state_hash` for `school_id` once: a second call, an expired flow or one of
/// another school gives `None`.
pub async fn take_flow(
    db: &Db,
    state_hash: &str,
    school_id: UnitId,
    now: i64,
) -> DbResult<Option<Flow>> {
    let mut tx = db.begin_write().await?;
    let taken = sqlx::query(
        "UPDATE sso_flows SET used_at = $3 WHERE state_hash = $1 AND school_id = $2 \
         AND used_at IS NULL AND expires_at > $3",
    )
    .bind(state_hash)
    .bind(school_id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if taken != 1 {
        tx.rollback().await?;
        return Ok(None);
    }
    let r = sqlx::query(
        "SELECT school_id, nonce, pkce_verifier, next_path FROM sso_flows WHERE state_hash = $1",
    )
    .bind(state_hash)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(Flow {
        school_id: r.try_get("school_id")?,
        nonce: r.try_get("nonce")?,
        pkce_verifier: r.try_get("pkce_verifier")?,
        next_path: r.try_get("next_path")?,
    }))
}

/// Records a CAS ticket as presented; false if it was presented before (a replay).
pub async fn take_ticket(
    db: &Db,
    ticket_hash: &str,
    school_id: UnitId,
    now: i64,
) -> DbResult<bool> {
    Ok(sqlx::query(
        "INSERT INTO sso_tickets (ticket_hash, school_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(ticket_hash)
    .bind(school_id)
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

pub async fn link_ticket_session(db: &Db, ticket_hash: &str, session_hash: &str) -> DbResult<()> {
    sqlx::query("UPDATE sso_tickets SET session_hash = $2 WHERE ticket_hash = $1")
        .bind(ticket_hash)
        .bind(session_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Single logout: ends the session opened with this ticket at this school. Returns the account
/// whose session ended.
pub async fn end_ticket_session(
    db: &Db,
    ticket_hash: &str,
    school_id: UnitId,
) -> DbResult<Option<AccountId>> {
    let mut tx = db.begin_write().await?;
    let session: Option<Option<String>> = sqlx::query_scalar(
        "SELECT session_hash FROM sso_tickets WHERE ticket_hash = $1 AND school_id = $2",
    )
    .bind(ticket_hash)
    .bind(school_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(Some(session)) = session else {
        tx.rollback().await?;
        return Ok(None);
    };
    let account: Option<AccountId> =
        sqlx::query_scalar("SELECT account_id FROM sessions WHERE id = $1")
            .bind(&session)
            .fetch_optional(&mut *tx)
            .await?;
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(&session)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(account)
}

/// Flows and tickets older than `before` (they are minutes long; tickets are kept for a day so a
/// replay is still recognised and single logout still finds its session).
pub async fn prune(db: &Db, before: i64) -> DbResult<u64> {
    // Read first: a write statement would take SQLite's write lock even when it deletes nothing.
    let any: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM sso_flows WHERE expires_at < $1 UNION ALL \
         SELECT 1 FROM sso_tickets WHERE created_at < $1 LIMIT 1",
    )
    .bind(before)
    .fetch_optional(&db.pool)
    .await?;
    if any.is_none() {
        return Ok(0);
    }
    let a = sqlx::query("DELETE FROM sso_flows WHERE expires_at < $1")
        .bind(before)
        .execute(&db.pool)
        .await?
        .rows_affected();
    let b = sqlx::query("DELETE FROM sso_tickets WHERE created_at < $1")
        .bind(before)
        .execute(&db.pool)
        .await?
        .rows_affected();
    Ok(a + b)
}

// ---------------------------------------------------------------- DingTalk and WeCom

pub async fn app_of(
    db: &Db,
    school_id: UnitId,
    platform: Platform,
) -> DbResult<Option<PlatformApp>> {
    let r = sqlx::query(
        "SELECT app_id, agent_id, app_secret FROM school_platforms WHERE school_id = $1 AND platform = $2",
    )
    .bind(school_id)
    .bind(platform.as_str())
    .fetch_optional(&db.pool)
    .await?;
    r.map(|r| {
        Ok(PlatformApp {
            school_id,
            platform,
            app_id: r.try_get("app_id")?,
            agent_id: r.try_get("agent_id")?,
            app_secret: Secret::new(r.try_get::<String, _>("app_secret")?),
        })
    })
    .transpose()
}

/// The platforms a school configured.
pub async fn platforms_of(db: &Db, school_id: UnitId) -> DbResult<Vec<Platform>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT platform FROM school_platforms WHERE school_id = $1 ORDER BY platform",
    )
    .bind(school_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().filter_map(|p| Platform::parse(p)).collect())
}

pub async fn save_app(db: &Db, app: &PlatformApp, now: i64) -> DbResult<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM school_platforms WHERE school_id = $1 AND platform = $2")
        .bind(app.school_id)
        .bind(app.platform.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO school_platforms (school_id, platform, app_id, agent_id, app_secret, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(app.school_id)
    .bind(app.platform.as_str())
    .bind(&app.app_id)
    .bind(&app.agent_id)
    .bind(app.app_secret.expose())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_app(db: &Db, school_id: UnitId, platform: Platform) -> DbResult<()> {
    sqlx::query("DELETE FROM school_platforms WHERE school_id = $1 AND platform = $2")
        .bind(school_id)
        .bind(platform.as_str())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The account bound to a platform user id at this school.
pub async fn bound_account(
    db: &Db,
    school_id: UnitId,
    platform: Platform,
    user_id: &str,
) -> DbResult<Option<AccountId>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM platform_identities WHERE school_id = $1 AND platform = $2 AND platform_user_id = $3",
    )
    .bind(school_id)
    .bind(platform.as_str())
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// The platforms an account is bound on.
pub async fn bindings_of(db: &Db, account_id: AccountId) -> DbResult<Vec<Platform>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT platform FROM platform_identities WHERE account_id = $1 ORDER BY platform",
    )
    .bind(account_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().filter_map(|p| Platform::parse(p)).collect())
}

/// Binds once: false when this platform identity or this account is already bound.
pub async fn bind(
    db: &Db,
    school_id: UnitId,
    platform: Platform,
    user_id: &str,
    account_id: AccountId,
    now: i64,
) -> DbResult<bool> {
    Ok(sqlx::query(
        "INSERT INTO platform_identities (school_id, platform, platform_user_id, account_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(school_id)
    .bind(platform.as_str())
    .bind(user_id)
    .bind(account_id)
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

/// The roster account of `number` at `school_id` a mapping line names (the first by id).
pub async fn roster_account_id_by_number(
    tx: &mut AnyConnection,
    school_id: UnitId,
    number: &str,
) -> DbResult<Option<AccountId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM accounts WHERE org_id = $1 AND person_no = $2 AND person_kind IS NOT NULL ORDER BY id LIMIT 1",
    )
    .bind(school_id)
    .bind(number)
    .fetch_optional(&mut *tx)
    .await?)
}

/// The account bound at this school and platform to `user_id`, or `account_id` when it is bound
/// there under any id; `None` when neither is.
pub async fn platform_identity_of(
    tx: &mut AnyConnection,
    school_id: UnitId,
    platform: Platform,
    user_id: &str,
    account_id: AccountId,
) -> DbResult<Option<AccountId>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM platform_identities WHERE school_id = $1 AND platform = $2 \
         AND (platform_user_id = $3 OR account_id = $4) LIMIT 1",
    )
    .bind(school_id)
    .bind(platform.as_str())
    .bind(user_id)
    .bind(account_id)
    .fetch_optional(&mut *tx)
    .await?)
}

/// Binds a platform user id to an account inside the caller's transaction (a conflict fails it).
pub async fn insert_platform_identity(
    tx: &mut AnyConnection,
    school_id: UnitId,
    platform: Platform,
    user_id: &str,
    account_id: AccountId,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO platform_identities (school_id, platform, platform_user_id, account_id, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(school_id)
    .bind(platform.as_str())
    .bind(user_id)
    .bind(account_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

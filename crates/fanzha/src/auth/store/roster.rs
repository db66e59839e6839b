//! SQL of the accounts that follow the roster: linking, creating and updating them from a
//! school's or station's roster, and ending the sessions and tokens of those who may no longer
//! sign in. Every statement runs inside the roster import's transaction and is set-based.

use crate::kernel::ids::UnitId;
use sqlx::AnyConnection;

use crate::auth::roster_accounts::PersonKind;
use crate::db::{Backend, DbResult};
use crate::org::store::sql;

/// (the org people as the `FROM` item `p`, number column, organisation column, account link
/// column, roster status → account status)
fn person_sql(
    kind: PersonKind,
) -> (
    String,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
) {
    match kind {
        PersonKind::Student => (
            sql::students("p"),
            "student_no",
            "school_id",
            "student_id",
            "CASE p.status WHEN 'graduated' THEN 'left' WHEN 'withdrawn' THEN 'left' \
             WHEN 'suspended' THEN 'paused' ELSE 'current' END",
        ),
        PersonKind::Staff => (
            sql::staff("p"),
            "staff_no",
            "org_id",
            "staff_id",
            "CASE p.status WHEN 'left' THEN 'left' ELSE 'current' END",
        ),
    }
}

/// Gives accounts made by hand for a person of this roster the roster's key (organisation, kind,
/// number).
pub async fn link_hand_made_accounts(
    tx: &mut AnyConnection,
    kind: PersonKind,
    org_id: UnitId,
) -> DbResult<()> {
    let (table, no, org, link, _) = person_sql(kind);
    let k = kind.as_str();
    sqlx::query(&format!(
        "UPDATE accounts SET org_id = $1, person_kind = '{k}', \
         person_no = (SELECT p.{no} FROM {table} WHERE p.id = accounts.{link}) \
         WHERE person_no IS NULL AND {link} IN (SELECT p.id FROM {table} WHERE p.{org} = $1)"
    ))
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Creates one account for each person of the roster who has none: no password, not
/// activated, the login name `number@unit-code`. Returns how many were created.
pub async fn create_missing_accounts(
    tx: &mut AnyConnection,
    kind: PersonKind,
    org_id: UnitId,
    now: i64,
) -> DbResult<usize> {
    let (table, no, org, link, status) = person_sql(kind);
    let unit = sql::join_unit("u", &format!("p.{org}"));
    let k = kind.as_str();
    Ok(sqlx::query(&format!(
        "INSERT INTO accounts (username, display_name, password_hash, {link}, locale, time_zone, \
         failed_logins, locked_until, disabled, created_at, password_changed_at, org_id, \
         person_kind, person_no, activated_at, roster_status, must_change_password) \
         SELECT p.{no} || '@' || u.code, p.name, '', p.id, 'zh-CN', 'Asia/Shanghai', 0, NULL, 0, \
         $2, $2, p.{org}, '{k}', p.{no}, NULL, {status}, 0 \
         FROM {table} {unit} \
         WHERE p.{org} = $1 AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.{link} = p.id) \
         ON CONFLICT DO NOTHING"
    ))
    .bind(org_id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected() as usize)
}

/// Sets the roster status (and, before activation, the name) of the accounts of these numbers
/// from the roster (one statement; at most a few hundred numbers).
pub async fn apply_roster_status(
    tx: &mut AnyConnection,
    backend: Backend,
    kind: PersonKind,
    org_id: UnitId,
    numbers: &[&str],
) -> DbResult<()> {
    let (table, _, _, link, status) = person_sql(kind);
    let k = kind.as_str();
    let mut sql = format!(
        "UPDATE accounts SET \
         roster_status = (SELECT {status} FROM {table} WHERE p.id = accounts.{link}), \
         display_name = CASE WHEN activated_at IS NULL \
           THEN (SELECT p.name FROM {table} WHERE p.id = accounts.{link}) ELSE display_name END \
         WHERE org_id = $1 AND person_kind = '{k}' AND person_no IN ("
    );
    sql.push_str(&crate::db::params_list(numbers.len(), 2));
    sql.push(')');
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql).bind(org_id);
    for n in numbers {
        q = q.bind(n.to_string());
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// Ends the sessions of the roster's accounts that are not current (paused or left).
pub async fn end_sessions_off_roster(
    tx: &mut AnyConnection,
    kind: PersonKind,
    org_id: UnitId,
) -> DbResult<()> {
    let k = kind.as_str();
    sqlx::query(&format!(
        "DELETE FROM sessions WHERE account_id IN (SELECT id FROM accounts \
         WHERE org_id = $1 AND person_kind = '{k}' AND roster_status <> 'current')"
    ))
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Revokes the API tokens of the roster's accounts that left.
pub async fn revoke_tokens_of_leavers(
    tx: &mut AnyConnection,
    kind: PersonKind,
    org_id: UnitId,
    now: i64,
) -> DbResult<()> {
    let k = kind.as_str();
    sqlx::query(&format!(
        "UPDATE api_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND account_id IN \
         (SELECT id FROM accounts WHERE org_id = $1 AND person_kind = '{k}' AND roster_status = 'left')"
    ))
    .bind(org_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

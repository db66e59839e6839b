//! SQL of activation codes: issuing and revoking them, claiming one with the first password, the
//! staff reset of an activated person's password, and the roster accounts under a unit (with the
//! names of their students or staff and units) that the activation pages list.

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use sqlx::{AnyConnection, Row};

use crate::auth::roster_accounts::RosterStatus;
use crate::db::{Backend, Db, DbResult};
use crate::org::store::sql;

/// Revokes the codes of these accounts not used or revoked yet (one statement; at most a few
/// hundred accounts).
pub async fn revoke_open_codes(
    tx: &mut AnyConnection,
    backend: Backend,
    accounts: &[AccountId],
    now: i64,
) -> DbResult<()> {
    let revoke = format!(
        "UPDATE activation_codes SET revoked_at = $1 WHERE used_at IS NULL AND revoked_at IS NULL AND account_id IN ({})",
        crate::db::params_list(accounts.len(), 2)
    );
    let revoke = crate::db::bulk_sql(backend, &revoke);
    let mut q = sqlx::query(&revoke).bind(now);
    for a in accounts {
        q = q.bind(*a);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// Stores a new code for each (account, code hash), issued by `issuer` (one statement; at most a
/// few hundred codes).
pub async fn insert_codes(
    tx: &mut AnyConnection,
    backend: Backend,
    codes: &[(AccountId, String)],
    issuer: AccountId,
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    let insert = format!(
        "INSERT INTO activation_codes (account_id, code_hash, issued_by, created_at, expires_at) VALUES {}",
        crate::db::values_rows(codes.len(), 5, 1)
    );
    let insert = crate::db::bulk_sql(backend, &insert);
    let mut q = sqlx::query(&insert);
    for (account, hash) in codes {
        q = q
            .bind(*account)
            .bind(hash)
            .bind(issuer)
            .bind(now)
            .bind(expires_at);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// The accounts of `person_no` at `org_id` that await activation with this roster status and
/// are not disabled.
pub async fn accounts_awaiting_activation(
    db: &Db,
    org_id: UnitId,
    person_no: &str,
    status: RosterStatus,
) -> DbResult<Vec<AccountId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM accounts WHERE org_id = $1 AND person_no = $2 AND activated_at IS NULL \
         AND roster_status = $3 AND disabled = 0",
    )
    .bind(org_id)
    .bind(person_no)
    .bind(status.as_str())
    .fetch_all(&db.pool)
    .await?)
}

/// The id of the account's code with this hash, if it is neither used, revoked nor expired.
pub async fn open_code(
    db: &Db,
    code_hash: &str,
    account_id: AccountId,
    now: i64,
) -> DbResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM activation_codes WHERE code_hash = $1 AND account_id = $2 \
         AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3",
    )
    .bind(code_hash)
    .bind(account_id)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?)
}

/// Marks a code used if it is still open; true when this call did it.
pub async fn claim_code(tx: &mut AnyConnection, code_id: i64, now: i64) -> DbResult<bool> {
    Ok(sqlx::query(
        "UPDATE activation_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(code_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1)
}

/// Sets the first password of an account not activated yet and activates it; true when this
/// call did it.
pub async fn set_first_password(
    tx: &mut AnyConnection,
    account_id: AccountId,
    password_hash: &str,
    now: i64,
) -> DbResult<bool> {
    Ok(sqlx::query(
        "UPDATE accounts SET password_hash = $1, activated_at = $2, password_changed_at = $2, must_change_password = 0 \
         WHERE id = $3 AND activated_at IS NULL",
    )
    .bind(password_hash)
    .bind(now)
    .bind(account_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1)
}

/// The activated account of `person_no` among the students and staff under `unit_path`: its id
/// and login name.
pub async fn activated_account_under(
    db: &Db,
    unit_path: &str,
    person_no: &str,
) -> DbResult<Option<(AccountId, String)>> {
    let like = format!("{unit_path}%");
    let st = sql::join_student_in_class("s", "c", "a.student_id");
    let sf = sql::join_staff_in_unit("t", "u", "a.staff_id");
    let r = sqlx::query(&format!(
        "SELECT a.id, a.username FROM accounts a {st} \
         WHERE c.path LIKE $1 AND a.person_no = $2 AND a.activated_at IS NOT NULL \
         UNION ALL \
         SELECT a.id, a.username FROM accounts a {sf} \
         WHERE u.path LIKE $1 AND a.person_no = $2 AND a.activated_at IS NOT NULL"
    ))
    .bind(like)
    .bind(person_no)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match r {
        Some(r) => Some((r.try_get("id")?, r.try_get("username")?)),
        None => None,
    })
}

/// Gives an account a temporary password that must be changed at the next sign-in.
pub async fn set_temporary_password(
    db: &Db,
    account_id: AccountId,
    password_hash: &str,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE accounts SET password_hash = $1, password_changed_at = $2, must_change_password = 1 WHERE id = $3",
    )
    .bind(password_hash)
    .bind(now)
    .bind(account_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A person of a unit's subtree whose account awaits activation, with their name and unit.
#[derive(Clone, Debug)]
pub struct PendingActivation {
    pub account_id: crate::kernel::ids::AccountId,
    pub person_no: String,
    pub name: String,
    pub unit_name: String,
}

/// The students and staff under `path` whose accounts await activation (current on the roster,
/// not disabled), by unit then number.
pub async fn pending_activation_under(db: &Db, path: &str) -> DbResult<Vec<PendingActivation>> {
    let like = format!("{path}%");
    let st = sql::join_student_in_class("s", "c", "a.student_id");
    let sf = sql::join_staff_in_unit("t", "u", "a.staff_id");
    let rows = sqlx::query(&format!(
        "SELECT a.id, a.person_no, s.name, c.name AS unit_name FROM accounts a \
         {st} \
         WHERE c.path LIKE $1 AND a.activated_at IS NULL AND a.roster_status = 'current' AND a.disabled = 0 \
         UNION ALL \
         SELECT a.id, a.person_no, t.name, u.name AS unit_name FROM accounts a \
         {sf} \
         WHERE u.path LIKE $1 AND a.activated_at IS NULL AND a.roster_status = 'current' AND a.disabled = 0 \
         ORDER BY unit_name, person_no"
    ))
    .bind(like)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PendingActivation {
                account_id: r.try_get("id")?,
                person_no: r
                    .try_get::<Option<String>, _>("person_no")?
                    .unwrap_or_default(),
                name: r.try_get("name")?,
                unit_name: r.try_get("unit_name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A student under a path (enrolled, current on the roster) whose account was never activated.
pub struct NeverActivated {
    pub student_id: StudentId,
    pub student_no: String,
    pub name: String,
    pub class_name: String,
}

/// How many enrolled students under `path` never activated their account (current on the
/// roster), and the first `limit` by class and number.
pub async fn never_activated_under(
    db: &Db,
    path: &str,
    limit: i64,
) -> DbResult<(i64, Vec<NeverActivated>)> {
    let st = sql::join_student_in_class("s", "c", "a.student_id");
    let cond = format!(
        "FROM accounts a {st} \
         WHERE c.path LIKE $1 AND s.status = 'enrolled' AND a.activated_at IS NULL AND a.roster_status = 'current'"
    );
    let like = format!("{path}%");
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {cond}"))
        .bind(&like)
        .fetch_one(&db.pool)
        .await?;
    let rows = sqlx::query(&format!(
        "SELECT s.id, s.student_no, s.name, c.name AS class_name {cond} ORDER BY c.path, s.student_no LIMIT $2"
    ))
    .bind(&like)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
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
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((n, v))
}

/// A roster account under a path as the accounts page lists it.
pub struct RosterAccountUnder {
    pub person_no: String,
    pub name: String,
    pub unit_name: String,
    pub activated_at: Option<i64>,
    pub roster_status: String,
    pub disabled: bool,
}

/// Every roster account of a student or staff member under `path`, by unit then number.
pub async fn roster_accounts_under(db: &Db, path: &str) -> DbResult<Vec<RosterAccountUnder>> {
    let st = sql::join_student_in_class("s", "c", "a.student_id");
    let sf = sql::join_staff_in_unit("t", "u", "a.staff_id");
    let rows = sqlx::query(&format!(
        "SELECT a.person_no, s.name, c.name AS unit_name, a.activated_at, a.roster_status, a.disabled FROM accounts a \
         {st} WHERE c.path LIKE $1 \
         UNION ALL \
         SELECT a.person_no, t.name, u.name AS unit_name, a.activated_at, a.roster_status, a.disabled FROM accounts a \
         {sf} WHERE u.path LIKE $1 \
         ORDER BY unit_name, person_no"
    ))
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RosterAccountUnder {
                person_no: r
                    .try_get::<Option<String>, _>("person_no")?
                    .unwrap_or_default(),
                name: r.try_get("name")?,
                unit_name: r.try_get("unit_name")?,
                activated_at: r.try_get("activated_at")?,
                roster_status: r.try_get("roster_status")?,
                disabled: r.try_get::<i64, _>("disabled")? != 0,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

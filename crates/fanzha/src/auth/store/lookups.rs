//! Reads of accounts and role grants that other modules make, most on a connection so they run
//! inside the caller's transaction.

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use sqlx::{AnyConnection, Row};

use crate::db::{Db, DbResult};
use crate::org::store::sql;

/// SQL fragment for other modules' set-based statements over a students row aliased `s`: the
/// student has an account the in-app inbox reaches (activated, enabled, current on the roster).
pub const STUDENT_REACHABLE: &str = "EXISTS (SELECT 1 FROM accounts a WHERE a.student_id = s.id AND a.activated_at IS NOT NULL AND a.disabled = 0 AND a.roster_status = 'current')";

/// SQL fragment for other modules' set-based statements over role grants: the grants `r` with
/// the unit `u` each is held on (a staff audience is a condition on `r.role` and `u.path`).
pub fn grants_on_units() -> String {
    format!("role_assignments r {}", sql::join_unit("u", "r.unit_id"))
}
/// SQL fragment joining the account `c` of each grant `r` of [`GRANTS_ON_UNITS`].
pub const GRANT_ACCOUNT: &str = "JOIN accounts c ON c.id = r.account_id";

/// Whose account: the account itself, or the first account linked to a staff or student record.
#[derive(Clone, Copy, Debug)]
pub enum AccountOf {
    Account(AccountId),
    Staff(i64),
    Student(i64),
}

/// The locale of an account, if it has one and exists.
pub async fn locale_of(c: &mut AnyConnection, who: AccountOf) -> DbResult<Option<String>> {
    let (sql, id) = match who {
        AccountOf::Account(id) => ("SELECT locale FROM accounts WHERE id = $1", id.get()),
        AccountOf::Staff(id) => (
            "SELECT locale FROM accounts WHERE staff_id = $1 ORDER BY id LIMIT 1",
            id,
        ),
        AccountOf::Student(id) => (
            "SELECT locale FROM accounts WHERE student_id = $1 ORDER BY id LIMIT 1",
            id,
        ),
    };
    let r = sqlx::query(sql).bind(id).fetch_optional(&mut *c).await?;
    Ok(match r {
        Some(r) => r.try_get("locale")?,
        None => None,
    })
}

/// The staff record an account belongs to, if any.
pub async fn staff_id_of_account(
    c: &mut AnyConnection,
    account_id: AccountId,
) -> DbResult<Option<i64>> {
    let r = sqlx::query("SELECT staff_id FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(&mut *c)
        .await?;
    Ok(match r {
        Some(r) => r.try_get("staff_id")?,
        None => None,
    })
}

/// Accounts holding `role` directly on one of these units.
pub async fn accounts_with_role_on(
    c: &mut AnyConnection,
    role: &str,
    unit_ids: &[UnitId],
) -> DbResult<Vec<AccountId>> {
    let mut out = Vec::new();
    for u in unit_ids {
        let v: Vec<AccountId> = sqlx::query_scalar(
            "SELECT account_id FROM role_assignments WHERE role = $1 AND unit_id = $2 ORDER BY account_id",
        )
        .bind(role)
        .bind(*u)
        .fetch_all(&mut *c)
        .await?;
        out.extend(v);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The accounts (id, language) holding `role` on the unit `unit_id` or a unit below it: who is
/// told of a published briefing.
pub async fn accounts_with_role_under(
    db: &Db,
    role: &str,
    unit_id: UnitId,
) -> DbResult<Vec<(AccountId, String)>> {
    let rows = sqlx::query(&format!(
        "SELECT DISTINCT r.account_id, a.locale FROM role_assignments r \
         {} JOIN accounts a ON a.id = r.account_id \
         WHERE r.role = $1 AND u.path LIKE {} || '%'",
        sql::join_unit("u", "r.unit_id"),
        sql::unit_path_of("$2")
    ))
    .bind(role)
    .bind(unit_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((r.try_get("account_id")?, r.try_get("locale")?));
    }
    Ok(out)
}

/// The display names of these accounts (500 ids per query); an account without one is absent.
pub async fn display_names(
    c: &mut AnyConnection,
    ids: &[AccountId],
) -> DbResult<std::collections::HashMap<AccountId, String>> {
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let list = crate::db::params_list(chunk.len(), 1);
        let sql = format!("SELECT id, display_name FROM accounts WHERE id IN ({list})");
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await? {
            if let Some(name) = r.try_get::<Option<String>, _>("display_name")? {
                out.insert(r.try_get("id")?, name);
            }
        }
    }
    Ok(out)
}

/// The account of a username, if any.
pub async fn account_id_by_username(
    c: &mut AnyConnection,
    username: &str,
) -> DbResult<Option<AccountId>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM accounts WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *c)
            .await?,
    )
}

/// The grants of the account `username`: (unit id, account id) each.
pub async fn grants_of_username(
    c: &mut AnyConnection,
    username: &str,
) -> DbResult<Vec<(UnitId, AccountId)>> {
    let rows = sqlx::query(
        "SELECT r.unit_id, a.id FROM role_assignments r JOIN accounts a ON a.id = r.account_id \
         WHERE a.username = $1",
    )
    .bind(username)
    .fetch_all(&mut *c)
    .await?;
    crate::db::named(&rows, ["unit_id", "id"])
}

/// Every grant of `role`: (unit id, account id), by unit then account.
pub async fn grants_of_role(
    c: &mut AnyConnection,
    role: &str,
) -> DbResult<Vec<(UnitId, AccountId)>> {
    let rows = sqlx::query(
        "SELECT unit_id, account_id FROM role_assignments WHERE role = $1 ORDER BY unit_id, account_id",
    )
    .bind(role)
    .fetch_all(&mut *c)
    .await?;
    crate::db::named(&rows, ["unit_id", "account_id"])
}

/// The activated accounts linked to these students: (account id, student id) each (500 ids per
/// query).
pub async fn activated_accounts_of_students(
    c: &mut AnyConnection,
    student_ids: &[StudentId],
) -> DbResult<Vec<(AccountId, StudentId)>> {
    let mut out = Vec::new();
    for chunk in student_ids.chunks(500) {
        let list = crate::db::params_list(chunk.len(), 1);
        let sql = format!(
            "SELECT id, student_id FROM accounts WHERE activated_at IS NOT NULL AND student_id IN ({list}) ORDER BY id"
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&mut *c).await?;
        out.extend(crate::db::named::<(AccountId, StudentId), 2>(
            &rows,
            ["id", "student_id"],
        )?);
    }
    Ok(out)
}

/// Enabled accounts holding one of `roles` anywhere, with their locale.
pub async fn accounts_with_roles(db: &Db, roles: &[&str]) -> DbResult<Vec<(AccountId, String)>> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let list = (1..=roles.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT DISTINCT a.id, a.locale FROM role_assignments r JOIN accounts a ON a.id = r.account_id \
         WHERE r.role IN ({list}) AND a.disabled = 0 ORDER BY a.id"
    );
    let mut q = sqlx::query(&sql);
    for r in roles {
        q = q.bind(*r);
    }
    let rows = q.fetch_all(&db.pool).await?;
    crate::db::named(&rows, ["id", "locale"])
}

/// The first account of a student.
pub async fn account_of_student(
    tx: &mut AnyConnection,
    student_id: StudentId,
) -> DbResult<Option<AccountId>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM accounts WHERE student_id = $1 ORDER BY id LIMIT 1")
            .bind(student_id)
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// The police accounts of a station (a unit where they hold the police role).
pub async fn station_police(
    tx: &mut AnyConnection,
    station_id: UnitId,
) -> DbResult<Vec<AccountId>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM role_assignments WHERE unit_id = $1 AND role = 'police' ORDER BY account_id",
    )
    .bind(station_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// Whether the account is police anywhere.
pub async fn is_police(tx: &mut AnyConnection, account_id: AccountId) -> DbResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM role_assignments WHERE account_id = $1 AND role = 'police'",
    )
    .bind(account_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(n > 0)
}

/// The first `limit` student accounts (by id): account id and student id.
pub async fn student_accounts(
    tx: &mut AnyConnection,
    limit: i64,
) -> DbResult<Vec<(AccountId, StudentId)>> {
    let rows = sqlx::query(
        "SELECT a.id AS account_id, a.student_id AS student_id FROM accounts a \
         WHERE a.student_id IS NOT NULL ORDER BY a.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("account_id")?, r.try_get("student_id")?)))
        .collect()
}

/// The police accounts of any of these stations, each once, by id.
pub async fn police_of_stations(
    tx: &mut AnyConnection,
    stations: &[UnitId],
) -> DbResult<Vec<AccountId>> {
    let mut out = std::collections::BTreeSet::new();
    for st in stations {
        out.extend(station_police(tx, *st).await?);
    }
    Ok(out.into_iter().collect())
}

/// Students under `path` whose account reads English (everyone else is written to in Chinese).
pub async fn english_students_under(
    db: &Db,
    path: &str,
) -> DbResult<std::collections::HashSet<StudentId>> {
    let ids: Vec<StudentId> = sqlx::query_scalar(&format!(
        "SELECT a.student_id FROM accounts a {} \
         WHERE u.path LIKE $1 AND a.locale = 'en'",
        sql::join_student_in_class("s", "u", "a.student_id")
    ))
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    Ok(ids.into_iter().collect())
}

//! Accounts that follow the roster.
//!
//! Every person on a school's (or police station's) roster has one account, keyed by
//! (organisation, kind, person number): student numbers are unique only within a school. A roster
//! import creates the missing accounts — no password, not activated, so nobody can sign in with
//! them yet — and applies the roster status of every person in the file: 毕业/退学/离职 disable
//! the account and end its sessions and tokens, 休学 pauses it, a return re-enables it. A person
//! absent from a partial re-import keeps their account as it is; nothing is ever deleted.
//!
//! Everything runs inside the import's transaction in a handful of set-based statements (no
//! statement per row, no password hash), so 30,000 students import in seconds. Every way of
//! signing in (password after activation, and later campus SSO or DingTalk/WeCom) finds the
//! account by [`PersonKind`], organisation and number.

use crate::kernel::ids::UnitId;
use sqlx::AnyConnection;

use crate::db::{Backend, DbResult};

/// Which roster a person is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PersonKind {
    Student,
    Staff,
}

impl PersonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonKind::Student => "student",
            PersonKind::Staff => "staff",
        }
    }

    /// (person table, number column, organisation column, account link column, roster status → account status)
    fn sql(
        self,
    ) -> (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ) {
        match self {
            PersonKind::Student => (
                "students",
                "student_no",
                "school_id",
                "student_id",
                "CASE p.status WHEN 'graduated' THEN 'left' WHEN 'withdrawn' THEN 'left' \
                 WHEN 'suspended' THEN 'paused' ELSE 'current' END",
            ),
            PersonKind::Staff => (
                "staff",
                "staff_no",
                "org_id",
                "staff_id",
                "CASE p.status WHEN 'left' THEN 'left' ELSE 'current' END",
            ),
        }
    }
}

/// An account's standing on the roster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RosterStatus {
    /// On the roster and studying or working: may sign in once activated.
    Current,
    /// 休学: no sign-in until the roster says they are back.
    Paused,
    /// 毕业/退学/离职: disabled, sessions and tokens ended.
    Left,
}

impl RosterStatus {
    pub fn parse(s: &str) -> Option<RosterStatus> {
        match s {
            "current" => Some(RosterStatus::Current),
            "paused" => Some(RosterStatus::Paused),
            "left" => Some(RosterStatus::Left),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            RosterStatus::Current => "current",
            RosterStatus::Paused => "paused",
            RosterStatus::Left => "left",
        }
    }
}

/// Numbers per statement: well under both databases' parameter limits.
const BATCH: usize = 500;

/// Brings the accounts of one organisation's roster in line with it, inside the import's
/// transaction: links accounts made by hand for people of this roster, creates the missing
/// accounts (not activated), and applies the roster status of the people in `numbers` (the rows
/// of the file), ending the sessions and tokens of those who left. Returns how many accounts
/// were created.
pub async fn sync(
    tx: &mut AnyConnection,
    backend: Backend,
    kind: PersonKind,
    org_id: UnitId,
    numbers: &[&str],
    now: i64,
) -> DbResult<usize> {
    let (table, no, org, link, status) = kind.sql();
    let k = kind.as_str();
    // Accounts made by hand (`fanzha user create`) for a person of this roster get its key.
    sqlx::query(&format!(
        "UPDATE accounts SET org_id = $1, person_kind = '{k}', \
         person_no = (SELECT p.{no} FROM {table} p WHERE p.id = accounts.{link}) \
         WHERE person_no IS NULL AND {link} IN (SELECT id FROM {table} WHERE {org} = $1)"
    ))
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    // One account per person who has none: no password, not activated. The username for later
    // password sign-ins is `number@unit-code`.
    let created = sqlx::query(&format!(
        "INSERT INTO accounts (username, display_name, password_hash, {link}, locale, time_zone, \
         failed_logins, locked_until, disabled, created_at, password_changed_at, org_id, \
         person_kind, person_no, activated_at, roster_status, must_change_password) \
         SELECT p.{no} || '@' || u.code, p.name, '', p.id, 'zh-CN', 'Asia/Shanghai', 0, NULL, 0, \
         $2, $2, p.{org}, '{k}', p.{no}, NULL, {status}, 0 \
         FROM {table} p JOIN units u ON u.id = p.{org} \
         WHERE p.{org} = $1 AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.{link} = p.id) \
         ON CONFLICT DO NOTHING"
    ))
    .bind(org_id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected() as usize;
    // The status (and, before activation, the name) of every person in the file.
    for chunk in numbers.chunks(BATCH) {
        let mut sql = format!(
            "UPDATE accounts SET \
             roster_status = (SELECT {status} FROM {table} p WHERE p.id = accounts.{link}), \
             display_name = CASE WHEN activated_at IS NULL \
               THEN (SELECT p.name FROM {table} p WHERE p.id = accounts.{link}) ELSE display_name END \
             WHERE org_id = $1 AND person_kind = '{k}' AND person_no IN ("
        );
        sql.push_str(&crate::db::params_list(chunk.len(), 2));
        sql.push(')');
        let sql = crate::db::bulk_sql(backend, &sql);
        let mut q = sqlx::query(&sql).bind(org_id);
        for n in chunk {
            q = q.bind(n.to_string());
        }
        q.execute(&mut *tx).await?;
    }
    // Whoever may not sign in any more loses their sessions (paused or left) and tokens (left).
    // The principal cache forgets them within its few seconds in every process.
    sqlx::query(&format!(
        "DELETE FROM sessions WHERE account_id IN (SELECT id FROM accounts \
         WHERE org_id = $1 AND person_kind = '{k}' AND roster_status <> 'current')"
    ))
    .bind(org_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!(
        "UPDATE api_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND account_id IN \
         (SELECT id FROM accounts WHERE org_id = $1 AND person_kind = '{k}' AND roster_status = 'left')"
    ))
    .bind(org_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(created)
}

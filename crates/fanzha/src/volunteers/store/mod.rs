//! Every SQL statement of the volunteers module, rows read by column name. One text for both
//! databases; the slot and stock limits are single conditional UPDATEs, so the row lock
//! (PostgreSQL) or the write lock (SQLite, `BEGIN IMMEDIATE`) makes concurrent callers take turns.

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::sync::LazyLock;

use super::model::{ClaimStatus, Contact, Proof, TaskStatus, ValidTask};
use crate::org::store::sql;

pub(super) type R<T> = Result<T, sqlx::Error>;

/// Builds a row struct from the columns of the same names, read by name: `field` as it is,
/// `field: Word` a word parsed by `Word::parse` (a bad word is an error, never a default),
/// `field = expr` anything else.
macro_rules! from_row {
    ($r:ident => $ty:ident { $($f:ident $(: $word:ident)? $(= $e:expr)?),* $(,)? }) => {
        Ok($ty { $($f: from_row!(@col $r, $f $(: $word)? $(= $e)?)),* })
    };
    (@col $r:ident, $f:ident) => {
        $r.try_get(stringify!($f))?
    };
    (@col $r:ident, $f:ident : $word:ident) => {
        crate::db::decode(&$r.try_get::<String, _>(stringify!($f))?, $word::parse, stringify!($f))?
    };
    (@col $r:ident, $f:ident = $e:expr) => {
        $e
    };
}

/// The non-empty lines of a stored list (targets, kinds).
fn lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Volunteer {
    pub id: i64,
    pub student_id: StudentId,
    pub account_id: AccountId,
    pub school_id: UnitId,
    pub class_id: UnitId,
    pub class_path: String,
    pub contact: Contact,
    pub consent_at: i64,
    /// Points: always the sum of the volunteer's ledger entries.
    pub balance: i64,
    /// Points earned (awards less revocations, with adjustments): always the sum of those
    /// entries; redemptions do not lower it. What the leaderboards rank by.
    pub earned: i64,
    pub name: String,
    pub student_no: String,
    pub class_name: String,
    pub school_name: String,
    pub school_path: String,
    /// Approved hours, in minutes.
    pub minutes: i64,
}

const VOL_COLS: &str = "v.id, v.student_id, v.account_id, v.school_id, v.class_id, v.class_path, v.contact, \
    v.consent_at, v.balance, v.earned, s.name, s.student_no, c.name AS class_name, sch.name AS school_name, sch.path AS school_path, \
    (SELECT CAST(COALESCE(SUM(cl.minutes), 0) AS BIGINT) FROM vol_claims cl WHERE cl.volunteer_id = v.id AND cl.status = 'approved') AS minutes";
/// The volunteers `v` with their student `s`, class `c` and school `sch`.
static VOL_FROM: LazyLock<String> = LazyLock::new(|| {
    format!(
        "FROM vol_volunteers v {} {} {}",
        sql::join_student("s", "v.student_id"),
        sql::join_unit("c", "v.class_id"),
        sql::join_unit("sch", "v.school_id")
    )
});

fn volunteer_from(r: &AnyRow) -> R<Volunteer> {
    from_row!(r => Volunteer {
        id,
        student_id,
        account_id,
        school_id,
        class_id,
        class_path,
        contact: Contact,
        consent_at,
        balance,
        earned,
        name,
        student_no,
        class_name,
        school_name,
        school_path,
        minutes,
    })
}

pub async fn insert_volunteer(
    c: &mut AnyConnection,
    s: &crate::org::model::Student,
    account_id: AccountId,
    contact: Contact,
    now: i64,
) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO vol_volunteers (student_id, account_id, school_id, class_id, class_path, contact, consent_at, balance, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7) RETURNING id",
    )
    .bind(s.id)
    .bind(account_id)
    .bind(s.school_id)
    .bind(s.class_id)
    .bind(&s.class_path)
    .bind(contact.as_str())
    .bind(now)
    .fetch_one(c)
    .await
}

pub async fn volunteer_by_account(
    c: &mut AnyConnection,
    account_id: AccountId,
) -> R<Option<Volunteer>> {
    let sql = format!("SELECT {VOL_COLS} {} WHERE v.account_id = $1", *VOL_FROM);
    sqlx::query(&sql)
        .bind(account_id)
        .fetch_optional(c)
        .await?
        .map(|r| volunteer_from(&r))
        .transpose()
}

pub async fn volunteer(c: &mut AnyConnection, id: i64) -> R<Option<Volunteer>> {
    let sql = format!("SELECT {VOL_COLS} {} WHERE v.id = $1", *VOL_FROM);
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| volunteer_from(&r))
        .transpose()
}

/// Volunteers whose class lies under one of `paths`, most points first.
pub async fn volunteers_under(
    c: &mut AnyConnection,
    paths: &[String],
    limit: i64,
) -> R<Vec<Volunteer>> {
    let mut out = Vec::new();
    for p in paths {
        let sql = format!(
            "SELECT {VOL_COLS} {} WHERE v.class_path LIKE $1 ORDER BY v.balance DESC, v.id LIMIT $2",
            *VOL_FROM
        );
        for r in sqlx::query(&sql)
            .bind(format!("{p}%"))
            .bind(limit)
            .fetch_all(&mut *c)
            .await?
        {
            out.push(volunteer_from(&r)?);
        }
    }
    out.sort_by(|a, b| b.balance.cmp(&a.balance).then(a.id.cmp(&b.id)));
    out.truncate(limit as usize);
    Ok(out)
}

// ---- tasks ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub id: i64,
    pub unit_id: UnitId,
    pub unit_path: String,
    pub unit_name: String,
    pub created_by: AccountId,
    pub title: String,
    pub description: String,
    pub place: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub withdraw_until: i64,
    pub slots: i64,
    pub taken: i64,
    pub points: i64,
    pub minutes: i64,
    pub proof: Proof,
    /// Unit paths the task is offered to; empty = open to every volunteer.
    pub targets: Vec<String>,
    pub status: TaskStatus,
    pub waiting: i64,
    pub created_at: i64,
}

impl Task {
    /// Whether a volunteer in this class may see and claim the task.
    pub fn offered_to(&self, class_path: &str) -> bool {
        self.targets.is_empty() || self.targets.iter().any(|t| class_path.starts_with(t))
    }
    pub fn finished(&self, now: i64) -> bool {
        now >= self.ends_at
    }
    pub fn full(&self) -> bool {
        self.taken >= self.slots
    }
}

const TASK_COLS: &str = "t.id, t.unit_id, t.unit_path, u.name AS unit_name, t.created_by, t.title, t.description, \
    t.place, t.starts_at, t.ends_at, t.withdraw_until, t.slots, t.taken, t.points, t.minutes, t.proof, t.targets, \
    t.status, t.created_at, (SELECT COUNT(*) FROM vol_claims w WHERE w.task_id = t.id AND w.status = 'waiting') AS waiting";

fn task_from(r: &AnyRow) -> R<Task> {
    let targets: String = r.try_get("targets")?;
    from_row!(r => Task {
        id,
        unit_id,
        unit_path,
        unit_name,
        created_by,
        title,
        description,
        place,
        starts_at,
        ends_at,
        withdraw_until,
        slots,
        taken,
        points,
        minutes,
        proof: Proof,
        targets = lines(&targets),
        status: TaskStatus,
        waiting,
        created_at,
    })
}

pub async fn insert_task(
    c: &mut AnyConnection,
    unit_id: UnitId,
    unit_path: &str,
    by: AccountId,
    t: &ValidTask,
    target_paths: &[String],
    now: i64,
) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO vol_tasks (unit_id, unit_path, created_by, title, description, place, starts_at, ends_at, \
         withdraw_until, slots, taken, points, minutes, proof, targets, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $13, $14, 'open', $15) RETURNING id",
    )
    .bind(unit_id)
    .bind(unit_path)
    .bind(by)
    .bind(&t.title)
    .bind(&t.description)
    .bind(&t.place)
    .bind(t.starts_at)
    .bind(t.ends_at)
    .bind(t.withdraw_until)
    .bind(t.slots)
    .bind(t.points)
    .bind(t.minutes)
    .bind(t.proof.as_str())
    .bind(target_paths.join("\n"))
    .bind(now)
    .fetch_one(c)
    .await
}

pub async fn task(c: &mut AnyConnection, id: i64) -> R<Option<Task>> {
    let sql = format!(
        "SELECT {TASK_COLS} FROM vol_tasks t {} WHERE t.id = $1",
        sql::join_unit("u", "t.unit_id")
    );
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| task_from(&r))
        .transpose()
}

/// Tasks ending after `from` (all when `None`), earliest first; callers filter by who may see them.
pub async fn tasks(c: &mut AnyConnection, ending_after: Option<i64>, limit: i64) -> R<Vec<Task>> {
    let sql = format!(
        "SELECT {TASK_COLS} FROM vol_tasks t {} \
         WHERE t.ends_at > $1 ORDER BY t.starts_at, t.id LIMIT $2",
        sql::join_unit("u", "t.unit_id")
    );
    sqlx::query(&sql)
        .bind(ending_after.unwrap_or(i64::MIN))
        .bind(limit)
        .fetch_all(c)
        .await?
        .iter()
        .map(task_from)
        .collect()
}

/// Takes one slot if the task is open and not full; false when it is not.
pub async fn take_slot(c: &mut AnyConnection, task_id: i64) -> R<bool> {
    let n = sqlx::query(
        "UPDATE vol_tasks SET taken = taken + 1 WHERE id = $1 AND status = 'open' AND taken < slots",
    )
    .bind(task_id)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn free_slot(c: &mut AnyConnection, task_id: i64) -> R<()> {
    sqlx::query("UPDATE vol_tasks SET taken = taken - 1 WHERE id = $1 AND taken > 0")
        .bind(task_id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn set_task_status(c: &mut AnyConnection, id: i64, s: TaskStatus) -> R<()> {
    sqlx::query("UPDATE vol_tasks SET status = $2 WHERE id = $1")
        .bind(id)
        .bind(s.as_str())
        .execute(c)
        .await?;
    Ok(())
}

// ---- claims ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Claim {
    pub id: i64,
    pub task_id: i64,
    pub volunteer_id: i64,
    pub account_id: AccountId,
    pub status: ClaimStatus,
    pub claimed_at: i64,
    pub checkin_at: Option<i64>,
    pub checkout_at: Option<i64>,
    pub proof_text: Option<String>,
    pub has_photo: bool,
    pub proof_at: Option<i64>,
    pub reason: Option<String>,
    pub reviewed_by: Option<AccountId>,
    pub reviewed_at: Option<i64>,
    /// Credited minutes (set on approval).
    pub minutes: i64,
    /// The volunteer's name (masked in lists for reviewers) and class.
    pub name: String,
    pub class_name: String,
    pub task_title: String,
    pub task_starts_at: i64,
}

const CLAIM_COLS: &str = "cl.id, cl.task_id, cl.volunteer_id, cl.account_id, cl.status, cl.claimed_at, cl.checkin_at, \
    cl.checkout_at, cl.proof_text, CAST(CASE WHEN cl.proof_photo IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_photo, cl.proof_at, \
    cl.reason, cl.reviewed_by, cl.reviewed_at, cl.minutes, s.name, c.name AS class_name, t.title AS task_title, \
    t.starts_at AS task_starts_at";
/// The claims `cl` with their volunteer `v`, student `s`, class `c` and task `t`.
static CLAIM_FROM: LazyLock<String> = LazyLock::new(|| {
    format!(
        "FROM vol_claims cl JOIN vol_volunteers v ON v.id = cl.volunteer_id {} {} \
         JOIN vol_tasks t ON t.id = cl.task_id",
        sql::join_student("s", "v.student_id"),
        sql::join_unit("c", "v.class_id")
    )
});

fn claim_from(r: &AnyRow) -> R<Claim> {
    from_row!(r => Claim {
        id,
        task_id,
        volunteer_id,
        account_id,
        status: ClaimStatus,
        claimed_at,
        checkin_at,
        checkout_at,
        proof_text,
        has_photo = r.try_get::<i64, _>("has_photo")? != 0,
        proof_at,
        reason,
        reviewed_by,
        reviewed_at,
        minutes,
        name,
        class_name,
        task_title,
        task_starts_at,
    })
}

pub async fn claim_of(c: &mut AnyConnection, task_id: i64, volunteer_id: i64) -> R<Option<Claim>> {
    let sql = format!(
        "SELECT {CLAIM_COLS} {} WHERE cl.task_id = $1 AND cl.volunteer_id = $2",
        *CLAIM_FROM
    );
    sqlx::query(&sql)
        .bind(task_id)
        .bind(volunteer_id)
        .fetch_optional(c)
        .await?
        .map(|r| claim_from(&r))
        .transpose()
}

pub async fn claim(c: &mut AnyConnection, id: i64) -> R<Option<Claim>> {
    let sql = format!("SELECT {CLAIM_COLS} {} WHERE cl.id = $1", *CLAIM_FROM);
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| claim_from(&r))
        .transpose()
}

/// Claims of a task, claimed first, the waiting list in its order.
pub async fn claims_of_task(c: &mut AnyConnection, task_id: i64) -> R<Vec<Claim>> {
    let sql = format!(
        "SELECT {CLAIM_COLS} {} WHERE cl.task_id = $1 ORDER BY cl.claimed_at, cl.id",
        *CLAIM_FROM
    );
    sqlx::query(&sql)
        .bind(task_id)
        .fetch_all(c)
        .await?
        .iter()
        .map(claim_from)
        .collect()
}

pub async fn claims_of_volunteer(c: &mut AnyConnection, volunteer_id: i64) -> R<Vec<Claim>> {
    let sql = format!(
        "SELECT {CLAIM_COLS} {} WHERE cl.volunteer_id = $1 ORDER BY t.starts_at DESC, cl.id DESC",
        *CLAIM_FROM
    );
    sqlx::query(&sql)
        .bind(volunteer_id)
        .fetch_all(c)
        .await?
        .iter()
        .map(claim_from)
        .collect()
}

/// A new claim, or a withdrawn one taken up again (same row: one claim per person and task).
pub async fn upsert_claim(
    c: &mut AnyConnection,
    task_id: i64,
    volunteer_id: i64,
    account_id: AccountId,
    status: ClaimStatus,
    now: i64,
) -> R<i64> {
    let existing: Option<i64> = sqlx::query_scalar(
        "UPDATE vol_claims SET status = $3, claimed_at = $4, checkin_at = NULL, checkout_at = NULL, reason = NULL \
         WHERE task_id = $1 AND volunteer_id = $2 AND status = 'withdrawn' RETURNING id",
    )
    .bind(task_id)
    .bind(volunteer_id)
    .bind(status.as_str())
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    sqlx::query_scalar(
        "INSERT INTO vol_claims (task_id, volunteer_id, account_id, status, claimed_at, minutes) \
         VALUES ($1, $2, $3, $4, $5, 0) RETURNING id",
    )
    .bind(task_id)
    .bind(volunteer_id)
    .bind(account_id)
    .bind(status.as_str())
    .bind(now)
    .fetch_one(c)
    .await
}

/// Moves a claim from `from` to `to`; false when it was no longer in `from` (a concurrent change).
pub async fn move_claim(
    c: &mut AnyConnection,
    id: i64,
    from: ClaimStatus,
    to: ClaimStatus,
) -> R<bool> {
    Ok(
        sqlx::query("UPDATE vol_claims SET status = $3 WHERE id = $1 AND status = $2")
            .bind(id)
            .bind(from.as_str())
            .bind(to.as_str())
            .execute(c)
            .await?
            .rows_affected()
            == 1,
    )
}

/// The first on a task's waiting list, moved up to a slot.
pub async fn promote_first_waiting(
    c: &mut AnyConnection,
    task_id: i64,
    now: i64,
) -> R<Option<Claim>> {
    let first: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM vol_claims WHERE task_id = $1 AND status = 'waiting' ORDER BY claimed_at, id LIMIT 1",
    )
    .bind(task_id)
    .fetch_optional(&mut *c)
    .await?;
    let Some(id) = first else { return Ok(None) };
    sqlx::query("UPDATE vol_claims SET status = 'claimed', claimed_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    claim(c, id).await
}

pub async fn set_checkin(c: &mut AnyConnection, id: i64, at: i64) -> R<bool> {
    Ok(sqlx::query(
        "UPDATE vol_claims SET checkin_at = $2 WHERE id = $1 AND checkin_at IS NULL AND status = 'claimed'",
    )
    .bind(id)
    .bind(at)
    .execute(c)
    .await?
    .rows_affected()
        == 1)
}

pub async fn set_checkout(c: &mut AnyConnection, id: i64, at: i64) -> R<bool> {
    Ok(sqlx::query(
        "UPDATE vol_claims SET checkout_at = $2 WHERE id = $1 AND checkin_at IS NOT NULL AND checkout_at IS NULL",
    )
    .bind(id)
    .bind(at)
    .execute(c)
    .await?
    .rows_affected()
        == 1)
}

pub async fn set_proof(
    c: &mut AnyConnection,
    id: i64,
    text: Option<&str>,
    photo: Option<(&[u8], &str)>,
    at: i64,
) -> R<bool> {
    Ok(sqlx::query(
        "UPDATE vol_claims SET status = 'submitted', proof_text = $2, proof_photo = $3, proof_type = $4, proof_at = $5 \
         WHERE id = $1 AND status = 'claimed'",
    )
    .bind(id)
    .bind(text)
    .bind(photo.map(|(b, _)| b.to_vec()))
    .bind(photo.map(|(_, t)| t.to_string()))
    .bind(at)
    .execute(c)
    .await?
    .rows_affected()
        == 1)
}

pub async fn proof_photo(c: &mut AnyConnection, id: i64) -> R<Option<(Vec<u8>, String)>> {
    Ok(sqlx::query(
        "SELECT proof_photo, proof_type FROM vol_claims WHERE id = $1 AND proof_photo IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(c)
    .await?
    .map(|r| {
        (
            r.get::<Vec<u8>, _>("proof_photo"),
            r.get::<String, _>("proof_type"),
        )
    }))
}

/// Records a decision on a claim that is still in `from`; false otherwise.
/// A reviewer's decision as stored: the new state, credited minutes, reason, who and when.
pub struct Decided<'a> {
    pub to: ClaimStatus,
    pub minutes: i64,
    pub reason: Option<&'a str>,
    pub by: AccountId,
    pub at: i64,
}

pub async fn decide(
    c: &mut AnyConnection,
    id: i64,
    from: &[ClaimStatus],
    d: &Decided<'_>,
) -> R<bool> {
    let list: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let sql = format!(
        "UPDATE vol_claims SET status = $2, minutes = $3, reason = $4, reviewed_by = $5, reviewed_at = $6 \
         WHERE id = $1 AND status IN ({})",
        list.join(", ")
    );
    Ok(sqlx::query(&sql)
        .bind(id)
        .bind(d.to.as_str())
        .bind(d.minutes)
        .bind(d.reason)
        .bind(d.by)
        .bind(d.at)
        .execute(c)
        .await?
        .rows_affected()
        == 1)
}

/// Approved minutes of a volunteer recomputed from the check-in and check-out records: each
/// approved claim's interval capped at its task's minutes; no-shows and others count zero.
pub async fn minutes_from_records(c: &mut AnyConnection, volunteer_id: i64) -> R<i64> {
    let rows = sqlx::query(
        "SELECT cl.checkin_at, cl.checkout_at, t.minutes FROM vol_claims cl JOIN vol_tasks t ON t.id = cl.task_id \
         WHERE cl.volunteer_id = $1 AND cl.status = 'approved'",
    )
    .bind(volunteer_id)
    .fetch_all(c)
    .await?;
    let mut sum = 0;
    for r in rows {
        let (i, o): (Option<i64>, Option<i64>) =
            (r.try_get("checkin_at")?, r.try_get("checkout_at")?);
        sum += super::service::credited_minutes(i, o, r.try_get("minutes")?);
    }
    Ok(sum)
}

/// The file kept in a row of `table` (a work or a library item), with its media type.
async fn stored_file(
    c: &mut AnyConnection,
    table: &'static str,
    id: i64,
) -> R<Option<(Vec<u8>, String)>> {
    let sql = format!(
        "SELECT file_bytes, file_type FROM {table} WHERE id = $1 AND file_bytes IS NOT NULL"
    );
    let r = sqlx::query(&sql).bind(id).fetch_optional(c).await?;
    Ok(match r {
        Some(r) => Some((r.try_get("file_bytes")?, r.try_get("file_type")?)),
        None => None,
    })
}

mod ledger;
pub use ledger::*;
mod calls;
pub use calls::*;
mod library;
pub use library::*;
mod teams;
pub use teams::*;
mod periods;
pub use periods::*;
mod claims;
pub use claims::*;
mod demo;
pub use demo::*;

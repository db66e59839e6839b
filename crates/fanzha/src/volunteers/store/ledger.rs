//! The ledger, rewards, certificates and the appraisal's rows of the volunteers module.

use crate::kernel::ids::{AccountId, UnitId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::periods::Mismatch;
use super::R;
use crate::org::store::sql;
use crate::volunteers::model::EntryKind;

// ---- ledger ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LedgerEntry)]
pub struct Entry {
    pub id: i64,
    pub volunteer_id: i64,
    pub kind: EntryKind,
    pub points: i64,
    pub cause: String,
    pub task_id: Option<i64>,
    pub reward_id: Option<i64>,
    pub reverses: Option<i64>,
    pub note: String,
    pub created_at: i64,
}

fn entry_from(r: &AnyRow) -> R<Entry> {
    from_row!(r => Entry {
        id,
        volunteer_id,
        kind: EntryKind,
        points,
        cause,
        task_id,
        reward_id,
        reverses,
        note,
        created_at,
    })
}

/// A ledger entry to append.
#[derive(Clone, Debug)]
pub struct NewEntry<'a> {
    pub volunteer_id: i64,
    pub kind: EntryKind,
    pub points: i64,
    pub cause: &'a str,
    pub task_id: Option<i64>,
    pub reward_id: Option<i64>,
    pub reverses: Option<i64>,
    pub note: &'a str,
    pub by: Option<AccountId>,
}

/// What appending an entry did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Posted {
    /// Appended with this id; the stored totals moved with it.
    Appended(i64),
    /// An entry with the same cause exists: nothing changed (a retry or a replay).
    Replayed,
    /// It would take the balance below zero. The entry row was written, so the caller must roll
    /// the transaction back.
    Insufficient,
}

/// Appends an entry unless one with the same cause exists, and moves the volunteer's stored
/// totals with it in the same transaction: `balance` by every entry, `earned` and the entry's
/// week, month and term totals (`vol_period_totals`) by awards, revocations and adjustments. The
/// update checks the balance stays at or above zero.
pub async fn post_entry(c: &mut AnyConnection, e: &NewEntry<'_>, now: i64) -> R<Posted> {
    let Some(id) = append_entry(&mut *c, e, now).await? else {
        return Ok(Posted::Replayed);
    };
    let earned = if e.kind.counts_as_earned() {
        e.points
    } else {
        0
    };
    let n = sqlx::query(
        "UPDATE vol_volunteers SET balance = balance + $2, earned = earned + $3 \
         WHERE id = $1 AND balance + $2 >= 0",
    )
    .bind(e.volunteer_id)
    .bind(e.points)
    .bind(earned)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n != 1 {
        return Ok(Posted::Insufficient);
    }
    if e.kind.counts_as_earned() {
        super::periods::add_to_periods(c, e.volunteer_id, e.points, now).await?;
    }
    Ok(Posted::Appended(id))
}

async fn append_entry(c: &mut AnyConnection, e: &NewEntry<'_>, now: i64) -> R<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO vol_ledger (volunteer_id, kind, points, cause, task_id, reward_id, reverses, note, by_account, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (cause) DO NOTHING RETURNING id",
    )
    .bind(e.volunteer_id)
    .bind(e.kind.as_str())
    .bind(e.points)
    .bind(e.cause)
    .bind(e.task_id)
    .bind(e.reward_id)
    .bind(e.reverses)
    .bind(e.note)
    .bind(e.by)
    .bind(now)
    .fetch_optional(c)
    .await
}

/// Takes the volunteer's row lock (PostgreSQL; on SQLite the write transaction already holds
/// the database) so that two requests of one person take turns.
pub async fn lock_volunteer(c: &mut AnyConnection, volunteer_id: i64) -> R<()> {
    sqlx::query("UPDATE vol_volunteers SET balance = balance WHERE id = $1")
        .bind(volunteer_id)
        .execute(c)
        .await?;
    Ok(())
}

/// The stored balance and standing of a volunteer by their account: one indexed row.
pub async fn balance_by_account(
    c: &mut AnyConnection,
    account_id: AccountId,
) -> R<Option<(i64, i64)>> {
    sqlx::query("SELECT balance, earned FROM vol_volunteers WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(c)
        .await?
        .map(|r| -> R<(i64, i64)> { Ok((r.try_get("balance")?, r.try_get("earned")?)) })
        .transpose()
}

/// Rebuilds every volunteer's stored totals, all time and per period, from the ledger (what
/// migrations 0029 and 0032 ran once; also for a bulk load that wrote entries directly).
pub async fn rebuild_totals(c: &mut AnyConnection) -> R<u64> {
    let n = sqlx::query(
        "UPDATE vol_volunteers SET \
           balance = (SELECT COALESCE(SUM(l.points), 0) FROM vol_ledger l WHERE l.volunteer_id = vol_volunteers.id), \
           earned = (SELECT COALESCE(SUM(l.points), 0) FROM vol_ledger l \
                     WHERE l.volunteer_id = vol_volunteers.id AND l.kind IN ('award', 'revoke', 'adjust'))",
    )
    .execute(&mut *c)
    .await?
    .rows_affected();
    super::periods::rebuild_periods(c).await?;
    Ok(n)
}

/// Stored totals that differ from the sums of their entries: each volunteer's balance and
/// earned points, and their earned points per week, month and term. Empty when the ledger and
/// the totals agree.
pub async fn totals_mismatches(c: &mut AnyConnection) -> R<Vec<Mismatch>> {
    let rows = sqlx::query(
        "SELECT v.id, v.balance, v.earned, \
           (SELECT CAST(COALESCE(SUM(l.points), 0) AS BIGINT) FROM vol_ledger l WHERE l.volunteer_id = v.id) AS sum_all, \
           (SELECT CAST(COALESCE(SUM(l.points), 0) AS BIGINT) FROM vol_ledger l \
            WHERE l.volunteer_id = v.id AND l.kind IN ('award', 'revoke', 'adjust')) AS sum_earned \
         FROM vol_volunteers v ORDER BY v.id",
    )
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let volunteer_id: i64 = r.try_get("id")?;
        for (total, stored, sum) in [
            ("balance", "balance", "sum_all"),
            ("earned", "earned", "sum_earned"),
        ] {
            let (stored, sum): (i64, i64) = (r.try_get(stored)?, r.try_get(sum)?);
            if stored != sum {
                out.push(Mismatch {
                    volunteer_id,
                    total: total.into(),
                    stored,
                    sum,
                });
            }
        }
    }
    out.extend(super::periods::period_mismatches(c).await?);
    Ok(out)
}

pub async fn entry_by_cause(c: &mut AnyConnection, cause: &str) -> R<Option<Entry>> {
    sqlx::query("SELECT * FROM vol_ledger WHERE cause = $1")
        .bind(cause)
        .fetch_optional(c)
        .await?
        .map(|r| entry_from(&r))
        .transpose()
}

pub async fn entries(c: &mut AnyConnection, volunteer_id: i64) -> R<Vec<Entry>> {
    sqlx::query("SELECT * FROM vol_ledger WHERE volunteer_id = $1 ORDER BY id DESC")
        .bind(volunteer_id)
        .fetch_all(c)
        .await?
        .iter()
        .map(entry_from)
        .collect()
}

/// The sum of a volunteer's entries (what the stored balance must equal).
pub async fn ledger_sum(c: &mut AnyConnection, volunteer_id: i64) -> R<i64> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM vol_ledger WHERE volunteer_id = $1",
    )
    .bind(volunteer_id)
    .fetch_one(c)
    .await
}

/// One row of a leaderboard: a group (a class or a school) or a volunteer, with points earned
/// (awards less revocations) and approved minutes.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerStanding)]
pub struct Standing {
    pub label: String,
    pub sub: String,
    pub points: i64,
    pub minutes: i64,
}

/// How a group leaderboard gathers volunteers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Class,
    School,
}

impl Group {
    pub(super) fn column(self) -> &'static str {
        match self {
            Group::Class => "class_id",
            Group::School => "school_id",
        }
    }
}

/// Volunteers under `path` by points earned (their stored standing), best first, with approved
/// minutes. A top-N scan of `vol_volunteers_earned`; the minutes are read for those rows only.
pub async fn leaderboard_people(c: &mut AnyConnection, path: &str, limit: i64) -> R<Vec<Standing>> {
    let rows = sqlx::query(&format!(
        "SELECT s.name, cu.name AS class_name, top.earned, \
           (SELECT CAST(COALESCE(SUM(cl.minutes), 0) AS BIGINT) FROM vol_claims cl WHERE cl.volunteer_id = top.id AND cl.status = 'approved') AS minutes \
         FROM (SELECT v.id, v.student_id, v.class_id, v.earned FROM vol_volunteers v WHERE v.class_path LIKE $1 \
               ORDER BY v.earned DESC, v.id LIMIT $2) top \
         {} {} \
         ORDER BY top.earned DESC, minutes DESC, top.id",
        sql::join_student("s", "top.student_id"),
        sql::join_unit("cu", "top.class_id")
    ))
    .bind(format!("{path}%"))
    .bind(limit)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Standing {
                label: crate::org::model::mask_name(&r.try_get::<String, _>("name")?),
                sub: r.try_get("class_name")?,
                points: r.try_get("earned")?,
                minutes: r.try_get("minutes")?,
            })
        })
        .collect()
}

/// Classes (or schools) under `path` by the sum of their volunteers' stored standings, best
/// first, with approved minutes for the rows shown.
pub async fn leaderboard_groups(
    c: &mut AnyConnection,
    path: &str,
    group: Group,
    limit: i64,
) -> R<Vec<Standing>> {
    let col = group.column();
    let sql = format!(
        "SELECT g.name, e.gid, e.people, e.earned, \
           (SELECT CAST(COALESCE(SUM(cl.minutes), 0) AS BIGINT) FROM vol_claims cl JOIN vol_volunteers w ON w.id = cl.volunteer_id \
            WHERE w.{col} = e.gid AND w.class_path LIKE $1 AND cl.status = 'approved') AS minutes \
         FROM (SELECT v.{col} AS gid, COUNT(*) AS people, CAST(SUM(v.earned) AS BIGINT) AS earned \
               FROM vol_volunteers v WHERE v.class_path LIKE $1 GROUP BY v.{col} \
               ORDER BY earned DESC, gid LIMIT $2) e \
         {} ORDER BY e.earned DESC, g.name",
        sql::join_unit("g", "e.gid")
    );
    let rows = sqlx::query(&sql)
        .bind(format!("{path}%"))
        .bind(limit)
        .fetch_all(c)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Standing {
                label: r.try_get("name")?,
                sub: r.try_get::<i64, _>("people")?.to_string(),
                points: r.try_get("earned")?,
                minutes: r.try_get("minutes")?,
            })
        })
        .collect()
}

// ---- rewards ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Reward {
    pub id: i64,
    pub unit_id: UnitId,
    pub unit_path: String,
    pub unit_name: String,
    pub name: String,
    pub cost: i64,
    pub stock: i64,
}

fn reward_from(r: &AnyRow) -> R<Reward> {
    from_row!(r => Reward {
        id,
        unit_id,
        unit_path,
        unit_name,
        name,
        cost,
        stock,
    })
}

pub async fn insert_reward(
    c: &mut AnyConnection,
    unit_id: UnitId,
    unit_path: &str,
    name: &str,
    cost: i64,
    stock: i64,
    now: i64,
) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO vol_rewards (unit_id, unit_path, name, cost, stock, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(unit_id)
    .bind(unit_path)
    .bind(name)
    .bind(cost)
    .bind(stock)
    .bind(now)
    .fetch_one(c)
    .await
}

/// Rewards listed by any of the units at `paths` exactly.
pub async fn rewards_of_units(c: &mut AnyConnection, paths: &[String]) -> R<Vec<Reward>> {
    let mut out = Vec::new();
    for p in paths {
        for r in sqlx::query(&format!(
            "SELECT r.*, u.name AS unit_name FROM vol_rewards r {} \
             WHERE r.unit_path = $1 ORDER BY r.cost, r.id",
            sql::join_unit("u", "r.unit_id")
        ))
        .bind(p)
        .fetch_all(&mut *c)
        .await?
        {
            out.push(reward_from(&r)?);
        }
    }
    Ok(out)
}

pub async fn reward(c: &mut AnyConnection, id: i64) -> R<Option<Reward>> {
    sqlx::query(&format!(
        "SELECT r.*, u.name AS unit_name FROM vol_rewards r {} WHERE r.id = $1",
        sql::join_unit("u", "r.unit_id")
    ))
    .bind(id)
    .fetch_optional(c)
    .await?
    .map(|r| reward_from(&r))
    .transpose()
}

/// Takes one from a reward's stock; false when none is left.
pub async fn take_stock(c: &mut AnyConnection, id: i64) -> R<bool> {
    Ok(
        sqlx::query("UPDATE vol_rewards SET stock = stock - 1 WHERE id = $1 AND stock > 0")
            .bind(id)
            .execute(c)
            .await?
            .rows_affected()
            == 1,
    )
}

// ---- certificates ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Certificate {
    pub number: String,
    pub volunteer_id: i64,
    pub name: String,
    pub masked_no: String,
    pub school: String,
    pub organisation: String,
    pub minutes: i64,
    pub tasks: i64,
    pub issued_at: i64,
}

fn certificate_from(r: &AnyRow) -> R<Certificate> {
    from_row!(r => Certificate {
        number,
        volunteer_id,
        name,
        masked_no,
        school,
        organisation,
        minutes,
        tasks,
        issued_at,
    })
}

pub async fn insert_certificate(c: &mut AnyConnection, x: &Certificate) -> R<()> {
    sqlx::query(
        "INSERT INTO vol_certificates (number, volunteer_id, name, masked_no, school, organisation, minutes, tasks, issued_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&x.number)
    .bind(x.volunteer_id)
    .bind(&x.name)
    .bind(&x.masked_no)
    .bind(&x.school)
    .bind(&x.organisation)
    .bind(x.minutes)
    .bind(x.tasks)
    .bind(x.issued_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn certificate(c: &mut AnyConnection, number: &str) -> R<Option<Certificate>> {
    sqlx::query("SELECT * FROM vol_certificates WHERE number = $1")
        .bind(number)
        .fetch_optional(c)
        .await?
        .map(|r| certificate_from(&r))
        .transpose()
}

pub async fn certificates_of(c: &mut AnyConnection, volunteer_id: i64) -> R<Vec<Certificate>> {
    sqlx::query("SELECT * FROM vol_certificates WHERE volunteer_id = $1 ORDER BY issued_at DESC")
        .bind(volunteer_id)
        .fetch_all(c)
        .await?
        .iter()
        .map(certificate_from)
        .collect()
}

// ---- appraisal ----

/// A class's path, its number of students and (student id, served) for each.
pub type ClassRows = (String, i64, Vec<(i64, bool)>);

/// (class path, students in the class, of whom with approved minutes on tasks starting in
/// [from, to)) for every class under a school.
pub async fn class_participation(
    c: &mut AnyConnection,
    school_path: &str,
    from: i64,
    to: i64,
) -> R<Vec<ClassRows>> {
    let rows = sqlx::query(&format!(
        "SELECT u.path, s.id, \
           CAST(CASE WHEN EXISTS (SELECT 1 FROM vol_volunteers v JOIN vol_claims cl ON cl.volunteer_id = v.id \
             JOIN vol_tasks t ON t.id = cl.task_id WHERE v.student_id = s.id AND cl.status = 'approved' \
             AND cl.minutes > 0 AND t.starts_at >= $2 AND t.starts_at < $3) THEN 1 ELSE 0 END AS BIGINT) AS active \
         FROM {} WHERE u.path LIKE $1 ORDER BY u.path, s.id",
        sql::STUDENTS_IN_CLASSES
    ))
    .bind(format!("{school_path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await?;
    let mut out: Vec<ClassRows> = Vec::new();
    for r in rows {
        let path: String = r.try_get("path")?;
        let id: i64 = r.try_get("id")?;
        let active = r.try_get::<i64, _>("active")? != 0;
        match out.last_mut() {
            Some(last) if last.0 == path => {
                last.1 += 1;
                last.2.push((id, active));
            }
            _ => out.push((path, 1, vec![(id, active)])),
        }
    }
    Ok(out)
}

//! Volunteer teams of a school, and the reservations of the campaign drafts made from works:
//! every SQL statement of those parts, rows read by column name.

use crate::kernel::ids::{AccountId, UnitId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::R;
use crate::org::store::sql;

// ---- teams ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerTeam)]
pub struct Team {
    pub id: i64,
    pub school_id: UnitId,
    pub school_path: String,
    pub school_name: String,
    pub name: String,
    pub members: i64,
    pub created_at: i64,
}

const TEAM_COLS: &str =
    "t.id, t.school_id, t.school_path, u.name AS school_name, t.name, t.created_at, \
    (SELECT COUNT(*) FROM vol_team_members m WHERE m.team_id = t.id) AS members";

fn team_from(r: &AnyRow) -> R<Team> {
    from_row!(r => Team {
        id,
        school_id,
        school_path,
        school_name,
        name,
        members,
        created_at,
    })
}

pub async fn insert_team(
    c: &mut AnyConnection,
    school_id: UnitId,
    school_path: &str,
    name: &str,
    by: AccountId,
    now: i64,
) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO vol_teams (school_id, school_path, name, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(school_id)
    .bind(school_path)
    .bind(name)
    .bind(by)
    .bind(now)
    .fetch_one(c)
    .await
}

pub async fn team(c: &mut AnyConnection, id: i64) -> R<Option<Team>> {
    let sql = format!(
        "SELECT {TEAM_COLS} FROM vol_teams t {} WHERE t.id = $1",
        sql::join_unit("u", "t.school_id")
    );
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| team_from(&r))
        .transpose()
}

/// Teams of schools under any of `paths` (or containing one of them).
pub async fn teams_under(c: &mut AnyConnection, paths: &[String]) -> R<Vec<Team>> {
    let mut out: Vec<Team> = Vec::new();
    for p in paths {
        let sql = format!(
            "SELECT {TEAM_COLS} FROM vol_teams t {} \
             WHERE t.school_path LIKE $1 OR $2 LIKE t.school_path || '%' ORDER BY t.school_path, t.name",
            sql::join_unit("u", "t.school_id")
        );
        for r in sqlx::query(&sql)
            .bind(format!("{p}%"))
            .bind(p)
            .fetch_all(&mut *c)
            .await?
        {
            let t = team_from(&r)?;
            if !out.iter().any(|x| x.id == t.id) {
                out.push(t);
            }
        }
    }
    Ok(out)
}

/// Puts a volunteer in a team (leaving any other).
pub async fn join_team(c: &mut AnyConnection, volunteer_id: i64, team_id: i64, now: i64) -> R<()> {
    sqlx::query(
        "INSERT INTO vol_team_members (volunteer_id, team_id, joined_at) VALUES ($1, $2, $3) \
         ON CONFLICT (volunteer_id) DO UPDATE SET team_id = $2, joined_at = $3",
    )
    .bind(volunteer_id)
    .bind(team_id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn leave_team(c: &mut AnyConnection, volunteer_id: i64) -> R<bool> {
    Ok(
        sqlx::query("DELETE FROM vol_team_members WHERE volunteer_id = $1")
            .bind(volunteer_id)
            .execute(c)
            .await?
            .rows_affected()
            == 1,
    )
}

/// The team of a volunteer.
pub async fn team_of(c: &mut AnyConnection, volunteer_id: i64) -> R<Option<Team>> {
    let sql = format!(
        "SELECT {TEAM_COLS} FROM vol_teams t {} \
         JOIN vol_team_members m ON m.team_id = t.id WHERE m.volunteer_id = $1",
        sql::join_unit("u", "t.school_id")
    );
    sqlx::query(&sql)
        .bind(volunteer_id)
        .fetch_optional(c)
        .await?
        .map(|r| team_from(&r))
        .transpose()
}

/// (volunteer id, team name) of every volunteer in a team among `ids`' schools — for lists.
pub async fn team_names(c: &mut AnyConnection, volunteer_ids: &[i64]) -> R<Vec<(i64, String)>> {
    if volunteer_ids.is_empty() {
        return Ok(vec![]);
    }
    let list: Vec<String> = volunteer_ids.iter().map(|i| i.to_string()).collect();
    let sql = format!(
        "SELECT m.volunteer_id, t.name FROM vol_team_members m JOIN vol_teams t ON t.id = m.team_id WHERE m.volunteer_id IN ({})",
        list.join(", ")
    );
    sqlx::query(&sql)
        .fetch_all(c)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("volunteer_id")?, r.try_get("name")?)))
        .collect()
}

// ---- drafts made from works ----

/// What a draft reservation found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draft {
    /// This caller reserved the source and makes the draft.
    Reserved,
    /// The draft exists.
    Made(i64),
    /// Another request reserved it at this time and has not finished.
    Pending(i64),
}

/// Reserves the draft of `source`, or says who holds it. A reservation older than `stale_before`
/// without a draft (its request died) is taken over.
pub async fn reserve_draft(
    c: &mut AnyConnection,
    source: &str,
    now: i64,
    stale_before: i64,
) -> R<Draft> {
    let n = sqlx::query(
        "INSERT INTO vol_drafts (source, content_id, reserved_at) VALUES ($1, NULL, $2) ON CONFLICT (source) DO NOTHING",
    )
    .bind(source)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 1 {
        return Ok(Draft::Reserved);
    }
    let n = sqlx::query(
        "UPDATE vol_drafts SET reserved_at = $2 WHERE source = $1 AND content_id IS NULL AND reserved_at < $3",
    )
    .bind(source)
    .bind(now)
    .bind(stale_before)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 1 {
        return Ok(Draft::Reserved);
    }
    match sqlx::query("SELECT content_id, reserved_at FROM vol_drafts WHERE source = $1")
        .bind(source)
        .fetch_optional(c)
        .await?
    {
        Some(r) => Ok(match r.try_get::<Option<i64>, _>("content_id")? {
            Some(id) => Draft::Made(id),
            None => Draft::Pending(r.try_get("reserved_at")?),
        }),
        // Released between the two statements: the caller tries again.
        None => Ok(Draft::Pending(now)),
    }
}

pub async fn set_draft(c: &mut AnyConnection, source: &str, content_id: i64) -> R<()> {
    sqlx::query("UPDATE vol_drafts SET content_id = $2 WHERE source = $1")
        .bind(source)
        .bind(content_id)
        .execute(c)
        .await?;
    Ok(())
}

/// Gives up a reservation whose draft could not be made.
pub async fn release_draft(c: &mut AnyConnection, source: &str) -> R<()> {
    sqlx::query("DELETE FROM vol_drafts WHERE source = $1 AND content_id IS NULL")
        .bind(source)
        .execute(c)
        .await?;
    Ok(())
}

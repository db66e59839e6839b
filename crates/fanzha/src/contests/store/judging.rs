//! Judges, their assignments and score sheets.

use super::*;
use crate::kernel::ids::AccountId;

#[derive(Clone, Debug)]
pub struct Judge {
    pub account_id: AccountId,
    pub name: String,
    pub own_paths: Vec<String>,
}

pub async fn add_judge(tx: &mut AnyConnection, contest_id: i64, j: &Judge) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO contest_judges (contest_id, account_id, name, own_paths) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (contest_id, account_id) DO UPDATE SET name = $3, own_paths = $4",
    )
    .bind(contest_id)
    .bind(j.account_id)
    .bind(&j.name)
    .bind(j.own_paths.join(","))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn judges(conn: &mut AnyConnection, contest_id: i64) -> DbResult<Vec<Judge>> {
    let rows = sqlx::query(
        "SELECT account_id, name, own_paths FROM contest_judges WHERE contest_id = $1 ORDER BY name, account_id",
    )
    .bind(contest_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(judge_from).collect::<Result<_, _>>()?)
}

fn judge_from(r: &AnyRow) -> Result<Judge, sqlx::Error> {
    let paths: String = r.try_get("own_paths")?;
    Ok(Judge {
        account_id: r.try_get("account_id")?,
        name: r.try_get("name")?,
        own_paths: paths
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// (entry, judge) pairs of a contest.
pub async fn assignments(
    conn: &mut AnyConnection,
    contest_id: i64,
) -> DbResult<Vec<(i64, AccountId)>> {
    let rows = sqlx::query(
        "SELECT entry_id, judge_account_id FROM contest_assignments WHERE contest_id = $1 ORDER BY entry_id, judge_account_id",
    )
    .bind(contest_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(assignment_from).collect::<Result<_, _>>()?)
}

/// (entry, judge)
fn assignment_from(r: &AnyRow) -> Result<(i64, AccountId), sqlx::Error> {
    Ok((r.try_get("entry_id")?, r.try_get("judge_account_id")?))
}

pub async fn assign(
    tx: &mut AnyConnection,
    contest_id: i64,
    entry_id: i64,
    judge: AccountId,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO contest_assignments (contest_id, entry_id, judge_account_id) VALUES ($1, $2, $3)",
    )
    .bind(contest_id)
    .bind(entry_id)
    .bind(judge)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Writes a judge's marks of an entry (a later sheet replaces the earlier one).
pub async fn put_score(
    tx: &mut AnyConnection,
    contest_id: i64,
    entry_id: i64,
    judge: AccountId,
    marks_json: &str,
    total: i64,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO contest_scores (contest_id, entry_id, judge_account_id, marks, total, scored_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (entry_id, judge_account_id) DO UPDATE SET marks = $4, total = $5, scored_at = $6",
    )
    .bind(contest_id)
    .bind(entry_id)
    .bind(judge)
    .bind(marks_json)
    .bind(total)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// (judge, entry, total) of every score sheet of a contest.
pub async fn scores(
    conn: &mut AnyConnection,
    contest_id: i64,
) -> DbResult<Vec<(AccountId, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT judge_account_id, entry_id, total FROM contest_scores WHERE contest_id = $1 ORDER BY judge_account_id, entry_id",
    )
    .bind(contest_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(score_from).collect::<Result<_, _>>()?)
}

/// (judge, entry, total)
fn score_from(r: &AnyRow) -> Result<(AccountId, i64, i64), sqlx::Error> {
    Ok((
        r.try_get("judge_account_id")?,
        r.try_get("entry_id")?,
        r.try_get("total")?,
    ))
}

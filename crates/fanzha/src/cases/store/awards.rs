//! SQL of Campus Without Fraud: the awardees of a province and year, and the people and
//! suspects per school its ranking weighs.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{AccountId, StudentId, UnitId};

/// (school id, published_at) of the awardees of a province and year.
pub async fn awards(
    db: &Db,
    province_id: UnitId,
    year: i32,
) -> DbResult<Vec<(UnitId, Option<i64>)>> {
    let rows = sqlx::query(
        "SELECT school_id, published_at FROM campus_awards WHERE province_id = $1 AND year = $2 ORDER BY school_id",
    )
    .bind(province_id)
    .bind(year as i64)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push((r.try_get("school_id")?, r.try_get("published_at")?));
    }
    Ok(out)
}

/// Replaces the (unpublished) selection of a province and year.
pub async fn replace_awards(
    conn: &mut sqlx::AnyConnection,
    province_id: UnitId,
    year: i32,
    schools: &[UnitId],
    by: AccountId,
    now: i64,
) -> DbResult<()> {
    sqlx::query("DELETE FROM campus_awards WHERE province_id = $1 AND year = $2")
        .bind(province_id)
        .bind(year as i64)
        .execute(&mut *conn)
        .await?;
    for s in schools {
        sqlx::query(
            "INSERT INTO campus_awards (province_id, year, school_id, selected_by, selected_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(province_id)
        .bind(year as i64)
        .bind(s)
        .bind(by)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn publish_awards<'e, E>(
    exec: E,
    province_id: UnitId,
    year: i32,
    now: i64,
) -> DbResult<u64>
where
    E: Executor<'e, Database = Any>,
{
    Ok(sqlx::query(
        "UPDATE campus_awards SET published_at = $1 WHERE province_id = $2 AND year = $3 AND published_at IS NULL",
    )
    .bind(now)
    .bind(province_id)
    .bind(year as i64)
    .execute(exec)
    .await?
    .rows_affected())
}

/// Suspects of 帮信 / 两卡 (cases whose person is a suspect, or both) under `path` that occurred
/// in [from, to): (school id, kind of account lent, number).
pub async fn suspects(
    db: &Db,
    path: &str,
    from: i64,
    to: i64,
) -> DbResult<Vec<(UnitId, String, i64)>> {
    let rows = sqlx::query(
        "SELECT c.school_id, c.lent_account, CAST(COUNT(*) AS BIGINT) AS n FROM cases c \
         WHERE c.unit_path LIKE $1 AND c.person_role IN ('suspect', 'both') \
         AND c.occurred_at >= $2 AND c.occurred_at < $3 GROUP BY c.school_id, c.lent_account",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    let rows: Vec<(UnitId, Option<String>, i64)> =
        crate::db::named(&rows, ["school_id", "lent_account", "n"])?;
    Ok(rows
        .into_iter()
        .map(|(s, k, n)| (s, k.unwrap_or_default(), n))
        .collect())
}

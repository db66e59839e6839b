//! SQL of the monthly briefings of a police station.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{AccountId, CaseId, UnitId};

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Briefing {
    pub id: i64,
    pub station_id: UnitId,
    pub month: String,
    pub title: String,
    pub advice: String,
    pub case_ids: Vec<CaseId>,
    pub status: String,
    pub created_by: AccountId,
    pub created_at: i64,
    pub published_at: Option<i64>,
}

pub(super) const BRIEFING_COLS: &str =
    "id, station_id, month, title, advice, case_ids, status, created_by, created_at, published_at";

pub(super) fn briefing_from(r: &AnyRow) -> Result<Briefing, sqlx::Error> {
    let ids: String = r.try_get("case_ids")?;
    Ok(Briefing {
        id: r.try_get("id")?,
        station_id: r.try_get("station_id")?,
        month: r.try_get("month")?,
        title: r.try_get("title")?,
        advice: r.try_get("advice")?,
        case_ids: serde_json::from_str(&ids).unwrap_or_default(),
        status: r.try_get("status")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        published_at: r.try_get("published_at")?,
    })
}

/// Creates or replaces the draft of a station's month; a published briefing is not replaced.
// The inputs of one action, each used once; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub async fn save_briefing(
    db: &Db,
    station_id: UnitId,
    month: &str,
    title: &str,
    advice: &str,
    case_ids: &[CaseId],
    by: AccountId,
    now: i64,
) -> DbResult<Option<i64>> {
    let ids = serde_json::to_string(case_ids).unwrap_or_else(|_| "[]".into());
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO case_briefings (station_id, month, title, advice, case_ids, status, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7) ON CONFLICT (station_id, month) DO UPDATE SET \
         title = excluded.title, advice = excluded.advice, case_ids = excluded.case_ids, created_by = excluded.created_by \
         WHERE case_briefings.status = 'draft' RETURNING id",
    )
    .bind(station_id)
    .bind(month)
    .bind(title)
    .bind(advice)
    .bind(ids)
    .bind(by)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    Ok(id)
}

pub async fn briefing_by_id(db: &Db, id: i64) -> DbResult<Option<Briefing>> {
    let r = sqlx::query(&format!(
        "SELECT {BRIEFING_COLS} FROM case_briefings WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(briefing_from).transpose()?)
}

/// Briefings of the given stations, newest month first.
pub async fn briefings_of(db: &Db, station_ids: &[UnitId]) -> DbResult<Vec<Briefing>> {
    let mut out = Vec::new();
    for s in station_ids {
        let rows = sqlx::query(&format!(
            "SELECT {BRIEFING_COLS} FROM case_briefings WHERE station_id = $1 ORDER BY month DESC"
        ))
        .bind(s)
        .fetch_all(&db.pool)
        .await?;
        for r in &rows {
            out.push(briefing_from(r)?);
        }
    }
    out.sort_by(|a, b| b.month.cmp(&a.month).then(a.station_id.cmp(&b.station_id)));
    Ok(out)
}

/// Marks a draft published; false when it was already published.
pub async fn publish_briefing<'e, E>(exec: E, id: i64, now: i64) -> DbResult<bool>
where
    E: Executor<'e, Database = Any>,
{
    let n = sqlx::query(
        "UPDATE case_briefings SET status = 'published', published_at = $1 WHERE id = $2 AND status = 'draft'",
    )
    .bind(now)
    .bind(id)
    .execute(exec)
    .await?
    .rows_affected();
    Ok(n == 1)
}

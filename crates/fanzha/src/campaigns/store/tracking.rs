//! SQL of tracking: the times a person opened, acknowledged and passed the check of their
//! delivery, their clicks, and the rollups those counts feed.

use super::{Delivery, Tx};
use crate::db::DbResult;

/// A tracking time of a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Opened,
    Acknowledged,
    QuizPassed,
}

impl Mark {
    /// (delivery column, rollup column, counted per day).
    fn columns(self) -> (&'static str, &'static str, bool) {
        match self {
            Mark::Opened => ("opened_at", "opened", true),
            Mark::Acknowledged => ("acknowledged_at", "acknowledged", true),
            Mark::QuizPassed => ("quiz_passed_at", "quiz_passed", false),
        }
    }
}

/// Sets one tracking time of a delivery if it was unset, and counts it in the rollups; true when
/// this call set it (so a second open, acknowledgement or pass counts nothing).
pub async fn mark(tx: &mut Tx<'_>, now: i64, d: &Delivery, m: Mark) -> DbResult<bool> {
    let (col, stat, per_day) = m.columns();
    let n = sqlx::query(&format!(
        "UPDATE campaign_deliveries SET {col} = $1 WHERE id = $2 AND {col} IS NULL"
    ))
    .bind(now)
    .bind(d.id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Ok(false);
    }
    sqlx::query(&format!(
        "UPDATE campaign_reach SET {stat} = {stat} + 1 WHERE campaign_id = $1 AND unit_path = $2"
    ))
    .bind(d.campaign_id)
    .bind(&d.unit_path)
    .execute(&mut **tx)
    .await?;
    if per_day {
        let (o, a) = if m == Mark::Opened {
            (1i64, 0i64)
        } else {
            (0, 1)
        };
        sqlx::query(&format!(
            "INSERT INTO campaign_reach_days (campaign_id, day, opened, acknowledged) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (campaign_id, day) DO UPDATE SET {stat} = campaign_reach_days.{stat} + 1"
        ))
        .bind(d.campaign_id)
        .bind(now - now.rem_euclid(86_400_000))
        .bind(o)
        .bind(a)
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}

/// Marks the inbox message of a person's campaign delivery read (once).
pub async fn mark_message_read(tx: &mut Tx<'_>, now: i64, d: &Delivery) -> DbResult<()> {
    crate::inbox::store::mark_read_by_source(
        tx,
        &d.person,
        &format!("campaign:{}", d.campaign_id),
        now,
    )
    .await
}

/// Records a click on `url` from a delivery.
pub async fn record_click(tx: &mut Tx<'_>, now: i64, d: &Delivery, url: &str) -> DbResult<()> {
    sqlx::query("INSERT INTO campaign_clicks (delivery_id, url, at) VALUES ($1, $2, $3)")
        .bind(d.id)
        .bind(url)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Counts a click of a delivery: the first counts the person as "clicked" in the rollup.
pub async fn count_click(tx: &mut Tx<'_>, d: &Delivery) -> DbResult<()> {
    let first =
        sqlx::query("UPDATE campaign_deliveries SET clicks = 1 WHERE id = $1 AND clicks = 0")
            .bind(d.id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            == 1;
    if first {
        sqlx::query("UPDATE campaign_reach SET clicked = clicked + 1 WHERE campaign_id = $1 AND unit_path = $2")
            .bind(d.campaign_id)
            .bind(&d.unit_path)
            .execute(&mut **tx)
            .await?;
    } else {
        sqlx::query("UPDATE campaign_deliveries SET clicks = clicks + 1 WHERE id = $1")
            .bind(d.id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

//! SQL of the police KPIs entered per unit and month.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{AccountId, UnitId};

#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Kpi {
    pub month: String,
    pub cases_solved: i64,
    pub suspects_arrested: i64,
    pub funds_frozen_cents: i64,
    pub losses_avoided_cents: i64,
    pub funds_returned_cents: i64,
    /// Students who are suspects of 帮信/两卡 (cases whose person is a suspect, or both victim and
    /// suspect), in the month the case happened; counted apart from victims.
    #[serde(default)]
    pub student_suspects: i64,
}

impl Kpi {
    pub fn add(&mut self, o: &Kpi) {
        self.student_suspects += o.student_suspects;
        self.cases_solved += o.cases_solved;
        self.suspects_arrested += o.suspects_arrested;
        self.funds_frozen_cents += o.funds_frozen_cents;
        self.losses_avoided_cents += o.losses_avoided_cents;
        self.funds_returned_cents += o.funds_returned_cents;
    }
}

pub async fn upsert_kpi(
    db: &Db,
    unit_id: UnitId,
    k: &Kpi,
    by: AccountId,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO police_kpis (unit_id, month, cases_solved, suspects_arrested, funds_frozen_cents, losses_avoided_cents, \
         funds_returned_cents, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (unit_id, month) DO UPDATE SET cases_solved = excluded.cases_solved, suspects_arrested = excluded.suspects_arrested, \
         funds_frozen_cents = excluded.funds_frozen_cents, losses_avoided_cents = excluded.losses_avoided_cents, \
         funds_returned_cents = excluded.funds_returned_cents, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(unit_id)
    .bind(&k.month)
    .bind(k.cases_solved)
    .bind(k.suspects_arrested)
    .bind(k.funds_frozen_cents)
    .bind(k.losses_avoided_cents)
    .bind(k.funds_returned_cents)
    .bind(by)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// KPIs of units under `path` (summed per month) for months in `[from, to]` ("YYYY-MM").
pub async fn kpis(db: &Db, path: &str, from: &str, to: &str) -> DbResult<Vec<Kpi>> {
    let rows = sqlx::query(&format!(
        "SELECT k.month, CAST(SUM(k.cases_solved) AS BIGINT) AS cases_solved, CAST(SUM(k.suspects_arrested) AS BIGINT) AS suspects_arrested, \
         CAST(SUM(k.funds_frozen_cents) AS BIGINT) AS funds_frozen_cents, CAST(SUM(k.losses_avoided_cents) AS BIGINT) AS losses_avoided_cents, \
         CAST(SUM(k.funds_returned_cents) AS BIGINT) AS funds_returned_cents FROM police_kpis k {} \
         WHERE u.path LIKE $1 AND k.month >= $2 AND k.month <= $3 GROUP BY k.month ORDER BY k.month",
        crate::org::store::sql::join_unit("u", "k.unit_id")
    ))
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(Kpi {
            month: r.try_get("month")?,
            cases_solved: r.try_get("cases_solved")?,
            suspects_arrested: r.try_get("suspects_arrested")?,
            funds_frozen_cents: r.try_get("funds_frozen_cents")?,
            losses_avoided_cents: r.try_get("losses_avoided_cents")?,
            funds_returned_cents: r.try_get("funds_returned_cents")?,
            student_suspects: 0,
        });
    }
    Ok(out)
}

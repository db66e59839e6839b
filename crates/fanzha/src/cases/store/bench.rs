//! Statements of `fanzha bench cases` only: cases and their summaries written in bulk, past the
//! write path (which keeps the summaries one case at a time).

use crate::cases::model::TZ_OFFSET_MS;
use crate::db::{Db, DbResult};
use crate::kernel::ids::{AccountId, UnitId};

/// One generated case: closed, nothing recovered, a fixed narrative.
pub struct BenchCase {
    pub school_id: UnitId,
    pub unit_id: UnitId,
    pub unit_path: String,
    pub victim_role: &'static str,
    pub victim_enroll_year: Option<i64>,
    pub victim_major: &'static str,
    pub victim_gender: &'static str,
    pub fraud_type: &'static str,
    pub channel: &'static str,
    pub occurred_at: i64,
    pub lost_cents: i64,
}

/// Inserts `rows` in one statement, recorded by `officer` at `now`.
pub async fn bench_insert_cases(
    db: &Db,
    rows: &[BenchCase],
    officer: AccountId,
    now: i64,
) -> DbResult<()> {
    let sql = format!(
        "INSERT INTO cases (school_id, unit_id, unit_path, victim_role, victim_enroll_year, victim_major, victim_gender, \
         fraud_type, channel, occurred_at, amount_lost_cents, amount_recovered_cents, status, narrative, created_by, created_at, updated_at) VALUES {}",
        crate::db::values_rows(rows.len(), 17, 1)
    );
    let sql = crate::db::bulk_sql(db.backend, &sql);
    let mut q = sqlx::query(&sql);
    for c in rows {
        q = q
            .bind(c.school_id)
            .bind(c.unit_id)
            .bind(c.unit_path.as_str())
            .bind(c.victim_role)
            .bind(c.victim_enroll_year)
            .bind(c.victim_major)
            .bind(c.victim_gender)
            .bind(c.fraud_type)
            .bind(c.channel)
            .bind(c.occurred_at)
            .bind(c.lost_cents)
            .bind(0i64)
            .bind("closed")
            .bind("基准案情")
            .bind(officer)
            .bind(now)
            .bind(now);
    }
    q.execute(&db.pool).await?;
    Ok(())
}

/// A row of the daily summary: ((school, day), (cases, victims, lost cents)).
pub type DailyRow = ((UnitId, i64), (i64, i64, i64));

/// A row of the monthly summary: ((unit, month, dimension, bucket), (cases, lost cents)).
pub type MonthlyRow = ((UnitId, i64, &'static str, String), (i64, i64));

/// The daily summary per school, 1,000 rows a statement.
pub async fn bench_insert_daily(db: &Db, rows: &[DailyRow]) -> DbResult<()> {
    for chunk in rows.chunks(1000) {
        let sql = format!(
            "INSERT INTO case_daily (school_id, day, cases, victims, lost_cents) VALUES {}",
            crate::db::values_rows(chunk.len(), 5, 1)
        );
        let sql = crate::db::bulk_sql(db.backend, &sql);
        let mut q = sqlx::query(&sql);
        for ((s, d), (c, v, l)) in chunk {
            q = q.bind(*s).bind(*d).bind(*c).bind(*v).bind(*l);
        }
        q.execute(&db.pool).await?;
    }
    Ok(())
}

/// The monthly summary by dimension, nothing recovered, 1,000 rows a statement.
pub async fn bench_insert_monthly(db: &Db, rows: &[MonthlyRow]) -> DbResult<()> {
    for chunk in rows.chunks(1000) {
        let sql = format!(
            "INSERT INTO case_monthly (unit_id, month, dim, bucket, cases, lost_cents, recovered_cents) VALUES {}",
            crate::db::values_rows(chunk.len(), 7, 1)
        );
        let sql = crate::db::bulk_sql(db.backend, &sql);
        let mut q = sqlx::query(&sql);
        for ((u, m, d, k), (n, l)) in chunk {
            q = q
                .bind(*u)
                .bind(*m)
                .bind(*d)
                .bind(k.as_str())
                .bind(*n)
                .bind(*l)
                .bind(0i64);
        }
        q.execute(&db.pool).await?;
    }
    Ok(())
}

/// The per-day summary by dimension of every school, grouped by the database from the cases.
pub async fn bench_daily_dims(db: &Db) -> DbResult<()> {
    let off = TZ_OFFSET_MS;
    for (dim, expr) in [
        ("total", "''".to_string()),
        ("fraud_type", "fraud_type".to_string()),
        ("channel", "channel".to_string()),
        (
            "grade",
            "COALESCE(CAST(victim_enroll_year AS TEXT), '')".to_string(),
        ),
        ("major", "COALESCE(victim_major, '')".to_string()),
        ("gender", "COALESCE(victim_gender, '')".to_string()),
        ("role", "victim_role".to_string()),
        (
            "hour",
            format!("CAST(((occurred_at + {off}) / 3600000) % 24 AS TEXT)"),
        ),
        (
            "weekday",
            format!("CAST((((occurred_at + {off}) / 86400000) + 3) % 7 AS TEXT)"),
        ),
    ] {
        // PostgreSQL refuses a constant in GROUP BY: the total groups by school and day only.
        let by = if dim == "total" {
            String::new()
        } else {
            format!(", {expr}")
        };
        sqlx::query(&format!(
            "INSERT INTO case_daily_dims (unit_id, day, dim, bucket, cases, lost_cents, recovered_cents) \
             SELECT school_id, (occurred_at + {off}) / 86400000, '{dim}', {expr}, COUNT(*), SUM(amount_lost_cents), SUM(amount_recovered_cents) \
             FROM cases GROUP BY school_id, (occurred_at + {off}) / 86400000{by}"
        ))
        .execute(&db.pool)
        .await?;
    }
    Ok(())
}

/// The per-day summary rows of `unit_id` as the sums of the rows of `schools`.
pub async fn bench_roll_up(db: &Db, unit_id: UnitId, schools: &[UnitId]) -> DbResult<()> {
    let sql = format!(
        "INSERT INTO case_daily_dims (unit_id, day, dim, bucket, cases, lost_cents, recovered_cents) \
         SELECT CAST($1 AS BIGINT), day, dim, bucket, SUM(cases), SUM(lost_cents), SUM(recovered_cents) FROM case_daily_dims \
         WHERE unit_id IN ({}) GROUP BY day, dim, bucket",
        crate::db::params_list(schools.len(), 2)
    );
    let mut q = sqlx::query(&sql).bind(unit_id);
    for s in schools {
        q = q.bind(*s);
    }
    q.execute(&db.pool).await?;
    Ok(())
}

//! The volunteers' stored totals per period and the leaderboards that read them.
//!
//! Why per-period keys and not per-day buckets: a period board sums, for each volunteer of the
//! area, the points earned in the current week, month or term. With a row per volunteer per day
//! a term board would still read up to ~180 rows per active volunteer; with a row per volunteer
//! per week, per month and per term (keyed by the period's start) it reads one, and an entry
//! touches three rows. The price is that periods are counted in one zone,
//! [`BOARD_ZONE`](crate::volunteers::model::BOARD_ZONE), whoever looks: a shared leaderboard
//! should rank the same for everyone anyway. `post_entry` writes the rows in the entry's
//! transaction; `rebuild_totals` (and migration 0032) back-fill them from the ledger;
//! `totals_mismatches` recounts them from the ledger by another road (day sums in SQL, periods
//! in Rust) so the SQL back-fill and the writes are both checked.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};

use super::ledger::{Group, Standing};
use super::R;
use crate::db::decode;
use crate::org::store::sql;
use crate::volunteers::model::{period_keys, period_start, Period, BOARD_ZONE};

/// The back-fill of `vol_period_totals` from the ledger on SQLite (migration 0032 runs the same).
const BACKFILL_SQLITE: &str = "WITH d AS (\n\
    SELECT volunteer_id, points, date(created_at / 1000, 'unixepoch', '+8 hours') AS day\n\
    FROM vol_ledger WHERE kind IN ('award', 'revoke', 'adjust')\n\
)\n\
INSERT INTO vol_period_totals (period, starts_at, volunteer_id, earned)\n\
SELECT p.period, p.starts_at, p.volunteer_id, CAST(SUM(p.points) AS BIGINT) FROM (\n\
    SELECT 'week' AS period, (CAST(strftime('%s', d.day, 'weekday 0', '-6 days') AS INTEGER) - 28800) * 1000 AS starts_at,\n\
        d.volunteer_id, d.points FROM d\n\
    UNION ALL\n\
    SELECT 'month', (CAST(strftime('%s', d.day, 'start of month') AS INTEGER) - 28800) * 1000, d.volunteer_id, d.points FROM d\n\
    UNION ALL\n\
    SELECT 'term', (CAST(strftime('%s', CASE\n\
            WHEN strftime('%m-%d', d.day) >= '09-01' THEN strftime('%Y', d.day) || '-09-01'\n\
            WHEN strftime('%m-%d', d.day) >= '02-15' THEN strftime('%Y', d.day) || '-02-15'\n\
            ELSE (CAST(strftime('%Y', d.day) AS INTEGER) - 1) || '-09-01' END) AS INTEGER) - 28800) * 1000,\n\
        d.volunteer_id, d.points FROM d\n\
) p GROUP BY p.period, p.starts_at, p.volunteer_id";

/// The back-fill on PostgreSQL (migration 0032 runs the same).
const BACKFILL_POSTGRES: &str = "WITH d AS (\n\
    SELECT volunteer_id, points, DATE '1970-01-01' + CAST((created_at + 28800000) / 86400000 AS INTEGER) AS day\n\
    FROM vol_ledger WHERE kind IN ('award', 'revoke', 'adjust')\n\
)\n\
INSERT INTO vol_period_totals (period, starts_at, volunteer_id, earned)\n\
SELECT p.period, p.starts_at, p.volunteer_id, CAST(SUM(p.points) AS BIGINT) FROM (\n\
    SELECT 'week' AS period, CAST(CAST(date_trunc('week', d.day) AS DATE) - DATE '1970-01-01' AS BIGINT) * 86400000 - 28800000 AS starts_at,\n\
        d.volunteer_id, d.points FROM d\n\
    UNION ALL\n\
    SELECT 'month', CAST(CAST(date_trunc('month', d.day) AS DATE) - DATE '1970-01-01' AS BIGINT) * 86400000 - 28800000, d.volunteer_id, d.points FROM d\n\
    UNION ALL\n\
    SELECT 'term', CAST(CASE\n\
            WHEN to_char(d.day, 'MM-DD') >= '09-01' THEN make_date(CAST(EXTRACT(YEAR FROM d.day) AS INTEGER), 9, 1)\n\
            WHEN to_char(d.day, 'MM-DD') >= '02-15' THEN make_date(CAST(EXTRACT(YEAR FROM d.day) AS INTEGER), 2, 15)\n\
            ELSE make_date(CAST(EXTRACT(YEAR FROM d.day) AS INTEGER) - 1, 9, 1) END - DATE '1970-01-01' AS BIGINT) * 86400000 - 28800000,\n\
        d.volunteer_id, d.points FROM d\n\
) p GROUP BY p.period, p.starts_at, p.volunteer_id";

/// Adds an earned entry (award, revoke, adjust) made at `at` to its week, month and term.
pub(super) async fn add_to_periods(
    c: &mut AnyConnection,
    volunteer_id: i64,
    points: i64,
    at: i64,
) -> R<()> {
    let [w, m, t] = period_keys(at);
    sqlx::query(
        "INSERT INTO vol_period_totals (period, starts_at, volunteer_id, earned) \
         VALUES ($1, $2, $7, $8), ($3, $4, $7, $8), ($5, $6, $7, $8) \
         ON CONFLICT (period, starts_at, volunteer_id) DO UPDATE SET earned = vol_period_totals.earned + excluded.earned",
    )
    .bind(w.0.as_str())
    .bind(w.1)
    .bind(m.0.as_str())
    .bind(m.1)
    .bind(t.0.as_str())
    .bind(t.1)
    .bind(volunteer_id)
    .bind(points)
    .execute(c)
    .await?;
    Ok(())
}

/// Rebuilds every per-period total from the ledger (what migration 0032 ran once).
pub(super) async fn rebuild_periods(c: &mut AnyConnection) -> R<()> {
    sqlx::query("DELETE FROM vol_period_totals")
        .execute(&mut *c)
        .await?;
    let sql = if c.backend_name() == "PostgreSQL" {
        BACKFILL_POSTGRES
    } else {
        BACKFILL_SQLITE
    };
    sqlx::raw_sql(sql).execute(c).await?;
    Ok(())
}

/// A stored total that differs from the sum of its entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub volunteer_id: i64,
    /// `balance`, `earned`, or a period and its first day (`term 2026-09-01`).
    pub total: String,
    pub stored: i64,
    pub sum: i64,
}

/// Per-period totals that differ from a recount of the ledger: the entries' sums per volunteer
/// and local day come from SQL, the periods they fall in from [`period_start`].
pub(super) async fn period_mismatches(c: &mut AnyConnection) -> R<Vec<Mismatch>> {
    const OFFSET: i64 = 8 * 3_600_000;
    const DAY: i64 = 86_400_000;
    let mut want: BTreeMap<(i64, &'static str, i64), i64> = BTreeMap::new();
    let rows = sqlx::query(
        "SELECT volunteer_id, (created_at + 28800000) / 86400000 AS day, CAST(SUM(points) AS BIGINT) AS points \
         FROM vol_ledger WHERE kind IN ('award', 'revoke', 'adjust') \
         GROUP BY volunteer_id, (created_at + 28800000) / 86400000",
    )
    .fetch_all(&mut *c)
    .await?;
    for r in rows {
        let v: i64 = r.try_get("volunteer_id")?;
        let day: i64 = r.try_get("day")?;
        let points: i64 = r.try_get("points")?;
        // Noon of the local day: the same periods as every instant of that day.
        let noon = day * DAY - OFFSET + DAY / 2;
        for p in [Period::Week, Period::Month, Period::Term] {
            *want
                .entry((v, p.as_str(), period_start(p, noon, BOARD_ZONE)))
                .or_default() += points;
        }
    }
    let mut have: BTreeMap<(i64, &'static str, i64), i64> = BTreeMap::new();
    for r in sqlx::query("SELECT period, starts_at, volunteer_id, earned FROM vol_period_totals")
        .fetch_all(&mut *c)
        .await?
    {
        let period: String = r.try_get("period")?;
        let p = decode(&period, Period::parse, "period")?;
        have.insert(
            (
                r.try_get("volunteer_id")?,
                p.as_str(),
                r.try_get("starts_at")?,
            ),
            r.try_get("earned")?,
        );
    }
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<_> = want.keys().chain(have.keys()).copied().collect();
    for k in keys {
        let (stored, sum) = (
            have.get(&k).copied().unwrap_or(0),
            want.get(&k).copied().unwrap_or(0),
        );
        if stored != sum {
            let day = chrono::DateTime::from_timestamp_millis(k.2)
                .map(|d| d.with_timezone(&BOARD_ZONE).format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            out.push(Mismatch {
                volunteer_id: k.0,
                total: format!("{} {day}", k.1),
                stored,
                sum,
            });
        }
    }
    Ok(out)
}

/// Volunteers under `path` by points earned in the period that started at `since` (awards,
/// revocations, adjustments), best first; those with nothing earned in it are left out. All time
/// reads the stored standings (a top-N index scan); a period sums the volunteers' stored totals
/// of that period (one row each).
pub async fn earned_people(
    c: &mut AnyConnection,
    path: &str,
    period: Period,
    since: i64,
    limit: i64,
) -> R<Vec<Standing>> {
    let rows = if period == Period::All {
        sqlx::query(&format!(
            "SELECT s.name, sch.name AS school_name, top.earned FROM \
               (SELECT v.id, v.student_id, v.school_id, v.earned FROM vol_volunteers v \
                WHERE v.class_path LIKE $1 AND v.earned <> 0 ORDER BY v.earned DESC, v.id LIMIT $2) top \
             {} {} \
             ORDER BY top.earned DESC, top.id",
            sql::join_student("s", "top.student_id"),
            sql::join_unit("sch", "top.school_id")
        ))
        .bind(format!("{path}%"))
        .bind(limit)
        .fetch_all(c)
        .await?
    } else {
        sqlx::query(&format!(
            "SELECT s.name, sch.name AS school_name, e.earned FROM \
               (SELECT t.volunteer_id, CAST(SUM(t.earned) AS BIGINT) AS earned FROM vol_period_totals t \
                JOIN vol_volunteers v ON v.id = t.volunteer_id \
                WHERE t.period = $2 AND t.starts_at >= $3 AND v.class_path LIKE $1 \
                GROUP BY t.volunteer_id) e \
             JOIN vol_volunteers v ON v.id = e.volunteer_id {} \
             {} \
             WHERE e.earned <> 0 ORDER BY e.earned DESC, v.id LIMIT $4",
            sql::join_student("s", "v.student_id"),
            sql::join_unit("sch", "v.school_id")
        ))
        .bind(format!("{path}%"))
        .bind(period.as_str())
        .bind(since)
        .bind(limit)
        .fetch_all(c)
        .await?
    };
    rows.iter()
        .map(|r| {
            Ok(Standing {
                label: crate::org::model::mask_name(&r.try_get::<String, _>("name")?),
                sub: r.try_get("school_name")?,
                points: r.try_get("earned")?,
                minutes: 0,
            })
        })
        .collect()
}

/// Schools (or classes) under `path` by points their volunteers earned in the period that
/// started at `since`, best first; `sub` is the number of volunteers who earned. All time sums
/// the stored standings; a period its stored totals.
pub async fn earned_groups(
    c: &mut AnyConnection,
    path: &str,
    group: Group,
    period: Period,
    since: i64,
    limit: i64,
) -> R<Vec<Standing>> {
    let col = group.column();
    let rows = if period == Period::All {
        sqlx::query(&format!(
            "SELECT g.name, e.people, e.earned FROM \
               (SELECT v.{col} AS gid, COUNT(*) AS people, CAST(SUM(v.earned) AS BIGINT) AS earned \
                FROM vol_volunteers v WHERE v.class_path LIKE $1 AND v.earned <> 0 GROUP BY v.{col}) e \
             {} ORDER BY e.earned DESC, g.name LIMIT $2",
            sql::join_unit("g", "e.gid")
        ))
        .bind(format!("{path}%"))
        .bind(limit)
        .fetch_all(c)
        .await?
    } else {
        sqlx::query(&format!(
            "SELECT g.name, e.people, e.earned FROM \
               (SELECT v.{col} AS gid, COUNT(DISTINCT v.id) AS people, CAST(SUM(t.earned) AS BIGINT) AS earned \
                FROM vol_period_totals t JOIN vol_volunteers v ON v.id = t.volunteer_id \
                WHERE t.period = $2 AND t.starts_at >= $3 AND v.class_path LIKE $1 \
                GROUP BY v.{col}) e \
             {} ORDER BY e.earned DESC, g.name LIMIT $4",
            sql::join_unit("g", "e.gid")
        ))
        .bind(format!("{path}%"))
        .bind(period.as_str())
        .bind(since)
        .bind(limit)
        .fetch_all(c)
        .await?
    };
    rows.iter()
        .map(|r| {
            Ok(Standing {
                label: r.try_get("name")?,
                sub: r.try_get::<i64, _>("people")?.to_string(),
                points: r.try_get("earned")?,
                minutes: 0,
            })
        })
        .collect()
}

/// Schools under `path` by points earned in a period (see [`earned_groups`]).
pub async fn earned_schools(
    c: &mut AnyConnection,
    path: &str,
    period: Period,
    since: i64,
    limit: i64,
) -> R<Vec<Standing>> {
    earned_groups(c, path, Group::School, period, since, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The migration back-fills with the very statements `rebuild_totals` runs.
    #[test]
    fn migration_runs_the_rebuild_statements() {
        let sqlite = include_str!("../../../migrations/sqlite/0032_volunteer_periods.sql");
        let postgres = include_str!("../../../migrations/postgres/0032_volunteer_periods.sql");
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words(sqlite).contains(&words(BACKFILL_SQLITE)));
        assert!(words(postgres).contains(&words(BACKFILL_POSTGRES)));
    }

    #[test]
    fn an_entry_counts_in_its_week_month_and_term() {
        // 2026-12-07 01:00 in Shanghai (a Monday) is 2026-12-06 17:00 UTC.
        let at = 1_796_576_400_000;
        let [w, m, t] = period_keys(at);
        let day = |s: &str| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp_millis()
                - 8 * 3_600_000
        };
        assert_eq!(w, (Period::Week, day("2026-12-07")));
        assert_eq!(m, (Period::Month, day("2026-12-01")));
        assert_eq!(t, (Period::Term, day("2026-09-01")));
    }
}

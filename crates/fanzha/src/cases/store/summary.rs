//! SQL of the summaries that keep the analysis fast: cases per school and month (and per day) by
//! dimension, and the facts of single cases for partial months.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{CaseId, UnitId};

/// The dimensions of the analysis, as stored in `case_monthly.dim`.
pub const DIMS: [&str; 9] = [
    "total",
    "fraud_type",
    "channel",
    "grade",
    "major",
    "gender",
    "role",
    "hour",
    "weekday",
];

/// What the analysis needs of one case.
#[derive(Clone, Debug)]
pub struct Facts {
    pub school_id: UnitId,
    /// Path of the victim's unit; the school and the units above it are read from it.
    pub unit_path: String,
    pub occurred_at: i64,
    pub fraud_type: String,
    pub channel: String,
    pub grade: Option<i64>,
    pub major: Option<String>,
    pub gender: Option<String>,
    pub role: String,
    pub lost: i64,
    pub recovered: i64,
}

impl Facts {
    pub fn of_valid(c: &ValidCase) -> Facts {
        Facts {
            school_id: c.school_id,
            unit_path: c.unit_path.clone(),
            occurred_at: c.occurred_at,
            fraud_type: c.fraud_type.id().to_string(),
            channel: c.channel.as_str().to_string(),
            grade: c.victim_enroll_year,
            major: c.victim_major.clone(),
            gender: c.victim_gender.clone(),
            role: c.victim_role.as_str().to_string(),
            lost: c.amount_lost.cents(),
            recovered: c.amount_recovered.cents(),
        }
    }
    pub fn of_case(c: &Case) -> Facts {
        Facts {
            school_id: c.school_id,
            unit_path: c.unit_path.clone(),
            occurred_at: c.occurred_at,
            fraud_type: c.fraud_type.id().to_string(),
            channel: c.channel.clone(),
            grade: c.victim_enroll_year,
            major: c.victim_major.clone(),
            gender: c.victim_gender.clone(),
            role: c.victim_role.clone(),
            lost: c.amount_lost_cents,
            recovered: c.amount_recovered_cents,
        }
    }
    /// The units whose summaries count this case: the school and every unit above it (a path is
    /// the ids of the units from the root down, `/1/2/5/…`).
    pub fn summary_units(&self) -> Vec<UnitId> {
        let mut out = Vec::new();
        for seg in self.unit_path.split('/').filter(|s| !s.is_empty()) {
            match seg.parse::<UnitId>() {
                Ok(id) => {
                    out.push(id);
                    if id == self.school_id {
                        return out;
                    }
                }
                Err(_) => break,
            }
        }
        // A path that does not pass through the school: count the school alone.
        vec![self.school_id]
    }
    /// The local month index (year × 12 + month − 1).
    pub fn month(&self) -> i64 {
        Month::of(local_date(self.occurred_at)).index()
    }
    /// (dim, key) of each dimension, in the order of [`DIMS`].
    pub fn keys(&self) -> [(&'static str, String); 9] {
        let local = self.occurred_at + TZ_OFFSET_MS;
        let day = local.div_euclid(DAY_MS);
        [
            ("total", String::new()),
            ("fraud_type", self.fraud_type.clone()),
            ("channel", self.channel.clone()),
            (
                "grade",
                self.grade.map(|g| g.to_string()).unwrap_or_default(),
            ),
            ("major", self.major.clone().unwrap_or_default()),
            ("gender", self.gender.clone().unwrap_or_default()),
            ("role", self.role.clone()),
            ("hour", (local.div_euclid(3_600_000) % 24).to_string()),
            ("weekday", ((day + 3).rem_euclid(7)).to_string()),
        ]
    }
}

/// Adds (`sign` = 1) or removes (-1) a case from the two summaries by dimension: per month
/// (`case_monthly`) and per day (`case_daily_dims`).
pub(super) async fn bump_dims(
    conn: &mut sqlx::AnyConnection,
    f: &Facts,
    sign: i64,
) -> DbResult<()> {
    const UPSERT: [(&str, &str); 2] = [
        (
            "INSERT INTO case_monthly (unit_id, month, dim, bucket, cases, lost_cents, recovered_cents) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (unit_id, month, dim, bucket) DO UPDATE SET cases = case_monthly.cases + excluded.cases, \
             lost_cents = case_monthly.lost_cents + excluded.lost_cents, recovered_cents = case_monthly.recovered_cents + excluded.recovered_cents",
            "month",
        ),
        (
            "INSERT INTO case_daily_dims (unit_id, day, dim, bucket, cases, lost_cents, recovered_cents) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (unit_id, day, dim, bucket) DO UPDATE SET cases = case_daily_dims.cases + excluded.cases, \
             lost_cents = case_daily_dims.lost_cents + excluded.lost_cents, recovered_cents = case_daily_dims.recovered_cents + excluded.recovered_cents",
            "day",
        ),
    ];
    for (sql, period) in UPSERT {
        let at = if period == "month" {
            f.month()
        } else {
            local_day(f.occurred_at)
        };
        for unit in f.summary_units() {
            for (dim, key) in f.keys() {
                sqlx::query(sql)
                    .bind(unit)
                    .bind(at)
                    .bind(dim)
                    .bind(key)
                    .bind(sign)
                    .bind(sign * f.lost)
                    .bind(sign * f.recovered)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(())
}

pub(super) fn in_list(first: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Summary rows of schools for month indexes `[m_from, m_to]`: (month, dim, key, cases, lost,
/// recovered), grouped over the schools.
pub async fn monthly(
    db: &Db,
    school_ids: &[UnitId],
    m_from: i64,
    m_to: i64,
) -> DbResult<Vec<(i64, String, String, i64, i64, i64)>> {
    if school_ids.is_empty() || m_from > m_to {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT month, dim, bucket, CAST(SUM(cases) AS BIGINT) AS cases, CAST(SUM(lost_cents) AS BIGINT) AS lost, \
         CAST(SUM(recovered_cents) AS BIGINT) AS recovered \
         FROM case_monthly WHERE unit_id IN ({}) AND month >= ${} AND month <= ${} GROUP BY month, dim, bucket",
        in_list(1, school_ids.len()),
        school_ids.len() + 1,
        school_ids.len() + 2
    );
    let mut q = sqlx::query(&sql);
    for s in school_ids {
        q = q.bind(*s);
    }
    let rows = q.bind(m_from).bind(m_to).fetch_all(&db.pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            r.try_get("month")?,
            r.try_get("dim")?,
            r.try_get("bucket")?,
            r.try_get("cases")?,
            r.try_get("lost")?,
            r.try_get("recovered")?,
        ));
    }
    Ok(out)
}

/// The analysis facts of every case of a window (for partial months and units below a school).
pub async fn facts(db: &Db, w: &Window) -> DbResult<Vec<Facts>> {
    let cond = where_window(w, 1);
    let sql = format!(
        "SELECT c.school_id, c.occurred_at, c.fraud_type, c.channel, CAST(c.victim_enroll_year AS BIGINT) AS grade, c.victim_major, \
         c.victim_gender, c.victim_role, c.amount_lost_cents, c.amount_recovered_cents FROM cases c \
         WHERE {cond} AND c.person_role <> 'suspect'"
    );
    let rows = bind_window(sqlx::query(&sql), w)
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(Facts {
            school_id: r.try_get("school_id")?,
            unit_path: String::new(),
            occurred_at: r.try_get("occurred_at")?,
            fraud_type: r.try_get("fraud_type")?,
            channel: r.try_get("channel")?,
            grade: r.try_get("grade")?,
            major: r.try_get("victim_major")?,
            gender: r.try_get("victim_gender")?,
            role: r.try_get("victim_role")?,
            lost: r.try_get("amount_lost_cents")?,
            recovered: r.try_get("amount_recovered_cents")?,
        });
    }
    Ok(out)
}

/// The per-day summary of schools over local days `[d_from, d_to]`, grouped by (dim, bucket).
pub async fn daily_dims(
    db: &Db,
    school_ids: &[UnitId],
    d_from: i64,
    d_to: i64,
) -> DbResult<Vec<(String, String, i64, i64, i64)>> {
    if school_ids.is_empty() || d_from > d_to {
        return Ok(vec![]);
    }
    let n = school_ids.len();
    let sql = format!(
        "SELECT dim, bucket, CAST(SUM(cases) AS BIGINT) AS cases, CAST(SUM(lost_cents) AS BIGINT) AS lost, \
         CAST(SUM(recovered_cents) AS BIGINT) AS recovered \
         FROM case_daily_dims WHERE unit_id IN ({}) AND day >= ${} AND day <= ${} GROUP BY dim, bucket",
        in_list(1, n),
        n + 1,
        n + 2
    );
    let mut q = sqlx::query(&sql);
    for s in school_ids {
        q = q.bind(*s);
    }
    let rows = q.bind(d_from).bind(d_to).fetch_all(&db.pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            r.try_get("dim")?,
            r.try_get("bucket")?,
            r.try_get("cases")?,
            r.try_get("lost")?,
            r.try_get("recovered")?,
        ));
    }
    Ok(out)
}

/// The last local day up to `until_day` with a case in one of the schools.
pub async fn last_day(db: &Db, school_ids: &[UnitId], until_day: i64) -> DbResult<Option<i64>> {
    if school_ids.is_empty() {
        return Ok(None);
    }
    let n = school_ids.len();
    let sql = format!(
        "SELECT MAX(day) AS day FROM case_daily WHERE school_id IN ({}) AND day <= ${} AND cases > 0",
        in_list(1, n),
        n + 1
    );
    let mut q = sqlx::query(&sql);
    for s in school_ids {
        q = q.bind(*s);
    }
    let r = q.bind(until_day).fetch_one(&db.pool).await?;
    Ok(r.try_get::<Option<i64>, _>("day")?)
}

/// Adds a case to the typical cases of a station's briefing of a month (the demo's suspect case);
/// nothing when there is no such briefing.
pub async fn add_to_briefing(
    db: &Db,
    station_id: UnitId,
    month: &str,
    case_id: CaseId,
) -> DbResult<()> {
    let ids: Option<String> = sqlx::query_scalar(
        "SELECT case_ids FROM case_briefings WHERE station_id = $1 AND month = $2",
    )
    .bind(station_id)
    .bind(month)
    .fetch_optional(&db.pool)
    .await?;
    let Some(ids) = ids else {
        return Ok(());
    };
    let mut v: Vec<CaseId> = serde_json::from_str(&ids).unwrap_or_default();
    if !v.contains(&case_id) {
        v.push(case_id);
    }
    sqlx::query("UPDATE case_briefings SET case_ids = $3 WHERE station_id = $1 AND month = $2")
        .bind(station_id)
        .bind(month)
        .bind(serde_json::to_string(&v).unwrap_or_else(|_| "[]".into()))
        .execute(&db.pool)
        .await?;
    Ok(())
}

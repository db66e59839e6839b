//! The analysis of a unit and period: cases, losses and victims by fraud type, channel, grade,
//! major, gender and role, with the same period a year earlier, streaks and trends.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Bucket {
    pub key: String,
    pub cases: i64,
    pub lost_cents: i64,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Streak {
    pub unit_code: String,
    pub unit_name: String,
    /// Local date of the last case (YYYY-MM-DD).
    pub last_case_day: Option<String>,
    /// Whole months since the last case (None when no case is on record).
    pub months_without_case: Option<i64>,
    pub days_without_case: Option<i64>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Analysis {
    /// The zone whose days, hours, weekdays and months the figures count: always
    /// "Asia/Shanghai" (China Standard Time), whatever the caller's own zone.
    pub time_zone: String,
    pub unit_code: String,
    pub unit_name: String,
    pub from: String,
    pub to: String,
    pub cases: i64,
    pub lost_cents: i64,
    pub recovered_cents: i64,
    pub prev_cases: i64,
    pub prev_lost_cents: i64,
    /// Percent change of cases against the same period a year earlier (None when it had none).
    pub yoy_cases_pct: Option<f64>,
    pub yoy_lost_pct: Option<f64>,
    pub by_fraud_type: Vec<Bucket>,
    pub by_channel: Vec<Bucket>,
    pub by_grade: Vec<Bucket>,
    pub by_major: Vec<Bucket>,
    pub by_gender: Vec<Bucket>,
    pub by_role: Vec<Bucket>,
    /// 24 buckets, hour 0–23 of China Standard Time.
    pub by_hour: Vec<Bucket>,
    /// 7 buckets, Monday first (days of China Standard Time).
    pub by_weekday: Vec<Bucket>,
    /// One bucket per month of the period ("YYYY-MM"), with the same month a year earlier.
    pub months: Vec<MonthPoint>,
    pub streaks: Vec<Streak>,
    /// Suspects of 帮信 / 两卡 (cases whose person lent an account), counted apart from the
    /// victims above; and in the same period a year earlier.
    pub suspects: i64,
    pub prev_suspects: i64,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MonthPoint {
    pub month: String,
    pub cases: i64,
    pub lost_cents: i64,
    pub prev_year_cases: i64,
}

/// Percent change from `prev` to `cur`, one decimal; None when `prev` is zero.
pub fn pct_change(cur: i64, prev: i64) -> Option<f64> {
    (prev != 0).then(|| ((cur - prev) as f64 * 1000.0 / prev as f64).round() / 10.0)
}

/// Whole calendar months from `last` to `today` (a month is complete on the same day-of-month).
pub fn months_between(last: NaiveDate, today: NaiveDate) -> i64 {
    let m = (today.year() as i64 * 12 + today.month() as i64)
        - (last.year() as i64 * 12 + last.month() as i64);
    (if today.day() < last.day() { m - 1 } else { m }).max(0)
}

/// Sums of one analysis window: per (dim, key) and per month of the `total` dimension.
#[derive(Default)]
pub(super) struct Agg {
    groups: HashMap<(String, String), (i64, i64, i64)>,
    months: BTreeMap<i64, (i64, i64)>,
}

impl Agg {
    fn add(&mut self, month: i64, dim: &str, key: &str, cases: i64, lost: i64, recovered: i64) {
        let g = self
            .groups
            .entry((dim.to_string(), key.to_string()))
            .or_default();
        g.0 += cases;
        g.1 += lost;
        g.2 += recovered;
        if dim == "total" {
            let m = self.months.entry(month).or_default();
            m.0 += cases;
            m.1 += lost;
        }
    }
    fn add_facts(&mut self, f: &store::Facts) {
        let month = f.month();
        for (dim, key) in f.keys() {
            self.add(month, dim, &key, 1, f.lost, f.recovered);
        }
    }
    fn total(&self) -> (i64, i64, i64) {
        self.groups
            .get(&("total".to_string(), String::new()))
            .copied()
            .unwrap_or_default()
    }
    /// Buckets of a dimension, most cases first (then by key), without empty ones.
    fn buckets(&self, dim: &str) -> Vec<Bucket> {
        let mut v: Vec<Bucket> = self
            .groups
            .iter()
            .filter(|((d, _), (n, _, _))| d == dim && *n > 0)
            .map(|((_, k), (n, l, _))| Bucket {
                key: k.clone(),
                cases: *n,
                lost_cents: *l,
            })
            .collect();
        v.sort_by(|a, b| b.cases.cmp(&a.cases).then(a.key.cmp(&b.key)));
        v
    }
}

/// Which summary rows a unit's figures are made of: the schools of a station's jurisdiction, or the
/// unit's own rows (schools, cities, provinces); `None` below school level (colleges, classes),
/// where the cases are read.
pub(super) async fn summary_schools(
    db: &Db,
    unit: &Unit,
) -> Result<Option<Vec<UnitId>>, CaseError> {
    Ok(match unit.kind {
        UnitKind::School => Some(vec![unit.id]),
        UnitKind::PoliceStation => Some(
            org_store::jurisdiction_schools(db, unit.id)
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect(),
        ),
        // Cities and provinces have summary rows of their own.
        UnitKind::Province | UnitKind::City => Some(vec![unit.id]),
        UnitKind::College | UnitKind::Class => None,
    })
}

/// Sums the local dates `[from, to]`: whole months from the monthly summary, the partial months at
/// either end (and everything below school level) from the cases themselves.
pub(super) async fn aggregate(
    db: &Db,
    paths: &[String],
    schools: Option<&[UnitId]>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Agg, CaseError> {
    let mut agg = Agg::default();
    let raw = |a: NaiveDate, b: NaiveDate| Window {
        paths: paths.to_vec(),
        from: ms_of_date(a),
        to: ms_of_date(b) + DAY_MS,
    };
    let Some(schools) = schools else {
        for f in store::facts(db, &raw(from, to)).await? {
            agg.add_facts(&f);
        }
        return Ok(agg);
    };
    // The first whole month at or after `from`, the last whole month at or before `to`.
    let first_full = if from.day() == 1 {
        Month::of(from)
    } else {
        Month::of(from).next()
    };
    let last_full = {
        let m = Month::of(to);
        if to.succ_opt().is_some_and(|d| d.day() == 1) {
            Some(m)
        } else if m.month == 1 {
            Some(Month {
                year: m.year - 1,
                month: 12,
            })
        } else {
            Some(Month {
                year: m.year,
                month: m.month - 1,
            })
        }
    };
    match last_full.filter(|l| *l >= first_full) {
        Some(last) => {
            for (m, dim, key, n, l, r) in
                store::monthly(db, schools, first_full.index(), last.index()).await?
            {
                agg.add(m, &dim, &key, n, l, r);
            }
            if from < first_full.first_day() {
                let end = first_full.first_day().pred_opt().unwrap_or(from);
                add_days(db, &mut agg, schools, from, end).await?;
            }
            let after = last.next().first_day();
            if after <= to {
                add_days(db, &mut agg, schools, after, to).await?;
            }
        }
        None => {
            // Within at most two calendar months: day by day.
            let mut a = from;
            while a <= to {
                let month_end = Month::of(a).next().first_day().pred_opt().unwrap_or(a);
                let b = month_end.min(to);
                add_days(db, &mut agg, schools, a, b).await?;
                a = b.succ_opt().unwrap_or(to);
                if b == to {
                    break;
                }
            }
        }
    }
    Ok(agg)
}

/// Adds the daily summary of local dates `[a, b]` (within one month) to `agg`.
pub(super) async fn add_days(
    db: &Db,
    agg: &mut Agg,
    schools: &[UnitId],
    a: NaiveDate,
    b: NaiveDate,
) -> Result<(), CaseError> {
    let month = Month::of(a).index();
    for (dim, key, n, l, r) in
        store::daily_dims(db, schools, day_of_date(a), day_of_date(b)).await?
    {
        agg.add(month, &dim, &key, n, l, r);
    }
    Ok(())
}

/// The analysis of `unit` for local dates `[from, to]` (inclusive), seen at `now`.
pub async fn analyse(
    db: &Db,
    unit: &Unit,
    from: NaiveDate,
    to: NaiveDate,
    now: i64,
) -> Result<Analysis, CaseError> {
    let paths = unit_paths(db, unit).await?;
    let schools = summary_schools(db, unit).await?;
    let cur = aggregate(db, &paths, schools.as_deref(), from, to).await?;
    let prev = aggregate(
        db,
        &paths,
        schools.as_deref(),
        year_before(from),
        year_before(to),
    )
    .await?;
    let (cases, lost, recovered) = cur.total();
    let (prev_cases, prev_lost, _) = prev.total();
    let fixed = |dim: &str, n: usize| -> Vec<Bucket> {
        let got = cur.buckets(dim);
        (0..n)
            .map(|i| {
                let key = i.to_string();
                let b = got.iter().find(|b| b.key == key);
                Bucket {
                    cases: b.map_or(0, |b| b.cases),
                    lost_cents: b.map_or(0, |b| b.lost_cents),
                    key,
                }
            })
            .collect()
    };
    let mut months = Vec::new();
    let mut m = Month::of(from);
    while m <= Month::of(to) {
        let (n, l) = cur.months.get(&m.index()).copied().unwrap_or_default();
        let p = prev.months.get(&(m.index() - 12)).map_or(0, |p| p.0);
        months.push(MonthPoint {
            month: m.to_string(),
            cases: n,
            lost_cents: l,
            prev_year_cases: p,
        });
        m = m.next();
    }
    let mut suspects = [0, 0];
    for (i, (a, b)) in [(from, to), (year_before(from), year_before(to))]
        .into_iter()
        .enumerate()
    {
        let (a, b) = (ms_of_date(a), ms_of_date(b.succ_opt().unwrap_or(b)));
        for p in &paths {
            for (_, _, n) in store::suspects(db, p, a, b).await? {
                suspects[i] += n;
            }
        }
    }
    let mut by_grade = cur.buckets("grade");
    by_grade.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Analysis {
        suspects: suspects[0],
        prev_suspects: suspects[1],
        time_zone: STATS_TZ.name().to_string(),
        unit_code: unit.code.clone(),
        unit_name: unit.name.clone(),
        from: from.to_string(),
        to: to.to_string(),
        cases,
        lost_cents: lost,
        recovered_cents: recovered,
        prev_cases,
        prev_lost_cents: prev_lost,
        yoy_cases_pct: pct_change(cases, prev_cases),
        yoy_lost_pct: pct_change(lost, prev_lost),
        by_fraud_type: cur.buckets("fraud_type"),
        by_channel: cur.buckets("channel"),
        by_grade,
        by_major: cur.buckets("major"),
        by_gender: cur.buckets("gender"),
        by_role: cur.buckets("role"),
        by_hour: fixed("hour", 24),
        by_weekday: fixed("weekday", 7),
        months,
        streaks: streaks(db, unit, now).await?,
    })
}

/// Zero-case streaks of a unit and the units right below it (the schools of a station).
pub async fn streaks(db: &Db, unit: &Unit, now: i64) -> Result<Vec<Streak>, CaseError> {
    let mut units = vec![unit.clone()];
    let below = if unit.kind == UnitKind::PoliceStation {
        org_store::jurisdiction_schools(db, unit.id).await?
    } else {
        org_store::children(db, unit.id).await?
    };
    units.extend(below);
    let today = local_date(now);
    let mut out = Vec::new();
    for u in units {
        let last = last_case_day(db, &u, now).await?;
        out.push(streak_of(&u, last, today));
    }
    Ok(out)
}

/// The local date of the last case of a unit up to `now`: from the daily summary for schools and
/// above, from the cases below school level.
pub async fn last_case_day(db: &Db, unit: &Unit, now: i64) -> Result<Option<NaiveDate>, CaseError> {
    let schools = if matches!(unit.kind, UnitKind::Province | UnitKind::City) {
        Some(
            org_store::units_of_kind_in(db, &unit.path, UnitKind::School)
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect(),
        )
    } else {
        summary_schools(db, unit).await?
    };
    Ok(match schools {
        Some(schools) => store::last_day(db, &schools, local_day(now))
            .await?
            .map(date_of_day),
        None => store::last_case_at(db, &unit_paths(db, unit).await?, now)
            .await?
            .map(local_date),
    })
}

pub fn streak_of(u: &Unit, last: Option<NaiveDate>, today: NaiveDate) -> Streak {
    Streak {
        unit_code: u.code.clone(),
        unit_name: u.name.clone(),
        last_case_day: last.map(|d| d.to_string()),
        months_without_case: last.map(|d| months_between(d, today)),
        days_without_case: last.map(|d| (today - d).num_days()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_change_and_months() {
        assert_eq!(pct_change(13, 40), Some(-67.5));
        assert_eq!(pct_change(3, 2), Some(50.0));
        assert_eq!(pct_change(3, 0), None);
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(months_between(d(2025, 1, 15), d(2025, 3, 14)), 1);
        assert_eq!(months_between(d(2025, 1, 15), d(2025, 3, 15)), 2);
        assert_eq!(months_between(d(2024, 12, 31), d(2025, 1, 1)), 0);
    }
}

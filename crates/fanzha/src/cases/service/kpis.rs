//! Police KPIs: entered per unit and month, summed over a subtree, with the student suspects of
//! 帮信/两卡 counted from cases.

#[allow(unused_imports)]
use super::*;

/// Parses KPI figures of one month; money in yuan.
pub fn parse_kpi(month: &str, figures: [&str; 5]) -> Result<Kpi, CaseError> {
    let m = Month::parse(month).ok_or_else(|| refuse("cases-err-month"))?;
    let count = |s: &str| -> Result<i64, CaseError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(0);
        }
        s.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| refuse("cases-err-kpi"))
    };
    let money = |s: &str| -> Result<i64, CaseError> {
        Money::parse_or_zero(s)
            .map(Money::cents)
            .ok_or_else(|| refuse("cases-err-kpi"))
    };
    Ok(Kpi {
        month: m.to_string(),
        cases_solved: count(figures[0])?,
        suspects_arrested: count(figures[1])?,
        funds_frozen_cents: money(figures[2])?,
        losses_avoided_cents: money(figures[3])?,
        funds_returned_cents: money(figures[4])?,
        student_suspects: 0,
    })
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct KpiYear {
    pub unit_code: String,
    pub year: i32,
    /// Solved cases, money frozen, losses avoided and money returned are derived from what the
    /// platform records (cases, stop-payment requests, dissuasion outcomes); arrests are entered.
    pub months: Vec<Kpi>,
    /// The year's totals up to `compared_months`.
    pub total: Kpi,
    /// The same months of the year before.
    pub prev_total: Kpi,
    /// How many months, from January, the comparison covers: 12 for a past year, the months so
    /// far (this one included) for the current year, so that like periods are compared.
    pub compared_months: u32,
    /// Percent change of each figure against the same months of the year before, in the order
    /// of the fields.
    pub yoy_pct: Vec<Option<f64>>,
}

/// KPI figures of `unit` per month ("YYYY-MM") of the local months in `[from, to)`: arrests from
/// the entered KPIs, the rest derived from the records.
pub(super) async fn kpi_months(
    db: &Db,
    unit: &Unit,
    from: Month,
    to: Month,
) -> Result<HashMap<String, Kpi>, CaseError> {
    let mut out: HashMap<String, Kpi> = HashMap::new();
    let last = {
        let mut m = from;
        let mut last = from;
        while m < to {
            last = m;
            m = m.next();
        }
        last
    };
    for k in store::kpis(db, &unit.path, &from.to_string(), &last.to_string()).await? {
        out.entry(k.month.clone()).or_default().suspects_arrested = k.suspects_arrested;
    }
    let (a, b) = (ms_of_date(from.first_day()), ms_of_date(to.first_day()));
    let month_of = |ms: i64| Month::of(local_date(ms)).to_string();
    for path in unit_paths(db, unit).await? {
        let (solved, returned) = store::solved_and_returned(db, &path, a, b).await?;
        for at in solved {
            out.entry(month_of(at)).or_default().cases_solved += 1;
        }
        for at in store::suspects_recorded(db, &path, a, b).await? {
            out.entry(month_of(at)).or_default().student_suspects += 1;
        }
        for (at, c) in returned {
            out.entry(month_of(at)).or_default().funds_returned_cents += c;
        }
        for (at, c) in crate::reports::store::frozen_under(db, &path, a, b).await? {
            out.entry(month_of(at)).or_default().funds_frozen_cents += c;
        }
        for (at, c) in crate::warnings::store::protected_under(db, &path, a, b).await? {
            out.entry(month_of(at)).or_default().losses_avoided_cents += c;
        }
    }
    for (m, k) in out.iter_mut() {
        k.month = m.clone();
    }
    Ok(out)
}

/// The KPIs of `unit` for `year`, month by month, with the year-on-year change over like periods
/// (`today` decides how far the current year has gone).
pub async fn kpi_year(
    db: &Db,
    unit: &Unit,
    year: i32,
    today: NaiveDate,
) -> Result<KpiYear, CaseError> {
    let jan = |y: i32| Month { year: y, month: 1 };
    let by = kpi_months(db, unit, jan(year - 1), jan(year + 1)).await?;
    let month = |y: i32, m: u32| -> Kpi {
        let key = format!("{y:04}-{m:02}");
        by.get(&key).cloned().unwrap_or(Kpi {
            month: key,
            ..Kpi::default()
        })
    };
    let months: Vec<Kpi> = (1..=12).map(|m| month(year, m)).collect();
    let compared_months = if year < today.year() {
        12
    } else if year == today.year() {
        today.month()
    } else {
        0
    };
    let mut total = Kpi {
        month: year.to_string(),
        ..Kpi::default()
    };
    let mut prev_total = Kpi {
        month: (year - 1).to_string(),
        ..Kpi::default()
    };
    for m in 1..=compared_months {
        total.add(&month(year, m));
        prev_total.add(&month(year - 1, m));
    }
    let yoy_pct = vec![
        pct_change(total.cases_solved, prev_total.cases_solved),
        pct_change(total.suspects_arrested, prev_total.suspects_arrested),
        pct_change(total.funds_frozen_cents, prev_total.funds_frozen_cents),
        pct_change(total.losses_avoided_cents, prev_total.losses_avoided_cents),
        pct_change(total.funds_returned_cents, prev_total.funds_returned_cents),
        pct_change(total.student_suspects, prev_total.student_suspects),
    ];
    Ok(KpiYear {
        unit_code: unit.code.clone(),
        year,
        months,
        total,
        prev_total,
        compared_months,
        yoy_pct,
    })
}

/// Enters (or corrects) the KPIs of a police unit for a month.
pub async fn save_kpi(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    input: &KpiInput,
) -> Result<Unit, CaseError> {
    require_manage(p)?;
    let code = Some(input.unit.as_str());
    let unit = unit_visible_to(db, clock, p, actor, code, Action::ManageCases).await?;
    if unit.kind != UnitKind::PoliceStation {
        return Err(CaseError::Unprocessable("cases-err-station"));
    }
    // What the platform records is derived, never typed: only arrests are entered.
    let typed = |v: &str| {
        let v = v.trim();
        !v.is_empty() && v.parse::<f64>().ok() != Some(0.0)
    };
    if [
        &input.cases_solved,
        &input.funds_frozen,
        &input.losses_avoided,
        &input.funds_returned,
    ]
    .iter()
    .any(|v| typed(v))
    {
        return Err(CaseError::Unprocessable("cases-err-kpi-derived"));
    }
    let k = parse_kpi(
        &input.month,
        [
            &input.cases_solved,
            &input.suspects_arrested,
            &input.funds_frozen,
            &input.losses_avoided,
            &input.funds_returned,
        ],
    )?;
    if Month::parse(&k.month).is_some_and(|m| ms_of_date(m.first_day()) > clock.now_ms()) {
        return Err(CaseError::Unprocessable("cases-err-month"));
    }
    store::upsert_kpi(db, unit.id, &k, p.account_id, clock.now_ms()).await?;
    crate::audit::record(
        &db.pool,
        clock,
        actor,
        crate::audit::Event {
            action: "kpi.save",
            target_kind: "unit",
            target_id: unit.id.to_string(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({"month": k.month}),
        },
    )
    .await?;
    Ok(unit)
}

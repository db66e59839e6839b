//! The panel of cases on the home page.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "cases/panel.html")]
pub(super) struct Panel<'a> {
    ctx: &'a PageCtx,
    unit: Unit,
    this_month: i64,
    last_year: i64,
    yoy: String,
    streak: String,
    top: Vec<(String, i64)>,
    month: String,
}

/// The case panel of the home page for police and school staff who may view cases: this month
/// against the same month last year, the zero-case streak and the top fraud types of the year.
pub async fn home_panel(st: &AppState, u: &User, ctx: &PageCtx) -> AppResult<Option<String>> {
    if !(u.p.has_role(Role::Police)
        || u.p.has_role(Role::SchoolAdmin)
        || u.p.has_role(Role::UnitLeader))
    {
        return Ok(None);
    }
    let Some(unit) = service::default_unit(&st.db, &u.p)
        .await
        .map_err(AppError::from)?
    else {
        return Ok(None);
    };
    let now = st.clock.now_ms();
    let today = local_date(now);
    let first = Month::of(today).first_day();
    let paths = service::unit_paths(&st.db, &unit)
        .await
        .map_err(AppError::from)?;
    let cur = Window {
        paths: paths.clone(),
        from: ms_of_date(first),
        to: ms_of_date(today) + DAY_MS,
    };
    let prev = Window {
        paths: paths.clone(),
        from: ms_of_date(year_before(first)),
        to: ms_of_date(year_before(today)) + DAY_MS,
    };
    let (this_month, _, _) = store::totals(&st.db, &cur).await?;
    let (last_year, _, _) = store::totals(&st.db, &prev).await?;
    let year = Window {
        paths: paths.clone(),
        from: ms_of_date(chrono::NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today)),
        to: ms_of_date(today) + DAY_MS,
    };
    let top = store::group_by(&st.db, &year, "c.fraud_type")
        .await?
        .into_iter()
        .take(3)
        .map(|(k, n, _)| (ctx.fraud_type(&k), n))
        .collect();
    let last = service::last_case_day(&st.db, &unit, now)
        .await
        .map_err(AppError::from)?;
    let s = service::streak_of(&unit, last, today);
    let html = Panel {
        ctx,
        yoy: yoy_text(ctx, service::pct_change(this_month, last_year)),
        streak: streak_text(ctx, &s),
        unit,
        this_month,
        last_year,
        top,
        month: Month::of(today).to_string(),
    }
    .render()?;
    Ok(Some(html))
}

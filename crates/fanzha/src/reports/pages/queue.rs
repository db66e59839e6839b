//! The police's and counselors' list of reports (`/reports`: own reports, the counselor's
//! students, the police queue and clusters) and the police figures (`/reports/dashboard`).

use super::*;

#[derive(Template)]
#[template(path = "reports/list.html")]
struct ListPage {
    ctx: PageCtx,
    reports: Vec<ReportItem>,
    list: lists::ListNav,
    queue: Vec<QueueItem>,
    clusters: Vec<Cluster>,
    police: bool,
    staff: bool,
    now: i64,
}

impl ListPage {
    /// Shared indicators ("phone:4008123456") as people read them: "电话 4008123456".
    fn shared_text(&self, shared: &[String]) -> String {
        shared
            .iter()
            .map(|s| match s.split_once(':') {
                Some((k, v)) => format!("{} {v}", self.ctx.t(&format!("intel-kind-{k}"))),
                None => s.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn money(&self, c: &i64) -> String {
        crate::reports::service::cents_str(*c)
    }
}

pub(super) async fn list_page(
    State(st): State<AppState>,
    u: User,
    Query(lq): Query<lists::ListQuery>,
) -> AppResult<Html<String>> {
    let scope = scope_of(&u.p);
    let (f, page) = lq.parse()?;
    let per = lists::PAGE;
    let (total, reports) = actions::report_page(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        &scope,
        actions::Page {
            filter: &f,
            limit: per,
            offset: (page - 1) * per,
            export: false,
        },
    )
    .await?;
    let police_scope = actions::police_scope(&u.p).ok();
    let police = police_scope.is_some();
    let (queue, clusters) = match &police_scope {
        Some(s) => (
            actions::stop_payment_queue(&st.db, &st.clock, &u.p, &u.ctx.actor(), s, 200).await?,
            store::clusters(&st.db, s, 2000)
                .await?
                .into_iter()
                .filter(|c| c.size > 1)
                .take(50)
                .collect(),
        ),
        None => (
            actions::stop_payment_queue(&st.db, &st.clock, &u.p, &u.ctx.actor(), &scope, 50)
                .await?,
            vec![],
        ),
    };
    let staff =
        u.p.roles()
            .iter()
            .any(|r| r.is_staff() && *r != Role::Partner);
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        ListPage {
            list: lists::ListNav::new(&ctx, &f, page, total),
            ctx,
            reports,
            queue,
            clusters,
            police,
            staff,
            now: st.clock.now_ms(),
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "reports/dashboard.html")]
struct DashboardPage {
    ctx: PageCtx,
    f: store::Figures,
    chart: String,
    median: String,
}

impl DashboardPage {
    fn money(&self, c: &i64) -> String {
        crate::reports::service::cents_str(*c)
    }
}

pub(super) async fn dashboard(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let scope = actions::police_scope(&u.p)?;
    let since = st.clock.now_ms() - 30 * 86_400_000;
    let f = store::figures(&st.db, &scope, since).await?;
    let tz: chrono_tz::Tz = u.p.time_zone;
    let mut days: Vec<String> = Vec::new();
    let mut types: Vec<String> = Vec::new();
    for (d, t, _) in &f.per_day {
        let day = fmt_local(Some(*d), tz)[..10].to_string();
        if !days.contains(&day) {
            days.push(day);
        }
        let name = crate::web::layout::fraud_type_name(u.ctx.lang, t);
        if !types.contains(&name) {
            types.push(name);
        }
    }
    let series: Vec<serde_json::Value> = types
        .iter()
        .map(|name| {
            let data: Vec<i64> = days
                .iter()
                .map(|day| {
                    f.per_day
                        .iter()
                        .filter(|(d, t, _)| {
                            fmt_local(Some(*d), tz)[..10] == *day
                                && crate::web::layout::fraud_type_name(u.ctx.lang, t) == *name
                        })
                        .map(|(_, _, n)| *n)
                        .sum()
                })
                .collect();
            serde_json::json!({"name": name, "type": "bar", "stack": "all", "data": data})
        })
        .collect();
    let chart = serde_json::json!({"days": days, "series": series}).to_string();
    let median = f
        .median_first_action_minutes
        .map(|m| format!("{m:.1}"))
        .unwrap_or_else(|| "—".into());
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        DashboardPage {
            ctx,
            f,
            chart,
            median,
        }
        .render()?,
    ))
}

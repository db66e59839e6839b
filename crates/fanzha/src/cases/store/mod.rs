//! SQL of cases: recording, lists, the daily summary and the prevention figures of schools. KPIs,
//! briefings, awards and the monthly summary by dimension each have their file.

use crate::kernel::ids::{AccountId, CaseId, ReportId, UnitId};
mod awards;
pub mod bench;
mod briefings;
mod kpis;
pub mod reads;
mod seed;
mod summary;
pub use awards::*;
pub use briefings::*;
pub use kpis::*;
pub use seed::*;
pub use summary::*;

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use super::model::*;
use crate::db::{Db, DbResult};
use crate::org::store::sql;

/// Unit path prefixes a query covers (a school, or the schools of a station's jurisdiction), and a
/// time window `[from, to)` in UTC milliseconds.
#[derive(Clone, Debug)]
pub struct Window {
    pub paths: Vec<String>,
    pub from: i64,
    pub to: i64,
}

/// ` (c.unit_path LIKE $k OR …) AND c.occurred_at >= $n AND c.occurred_at < $m`, with binds.
fn where_window(w: &Window, first: usize) -> String {
    let likes: Vec<String> = (0..w.paths.len())
        .map(|i| format!("c.unit_path LIKE ${}", first + i))
        .collect();
    let n = first + w.paths.len();
    let likes = if likes.is_empty() {
        "1 = 0".to_string()
    } else {
        likes.join(" OR ")
    };
    format!(
        "({likes}) AND c.occurred_at >= ${n} AND c.occurred_at < ${}",
        n + 1
    )
}

fn bind_window<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    w: &Window,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for p in &w.paths {
        q = q.bind(format!("{p}%"));
    }
    q.bind(w.from).bind(w.to)
}

const CASE_COLS: &str = "c.id, c.school_id, s.code AS school_code, s.name AS school_name, c.unit_id, \
    u.code AS unit_code, c.unit_path, c.victim_student_id, c.victim_staff_id, c.victim_role, \
    CAST(c.victim_enroll_year AS BIGINT) AS victim_enroll_year, \
    c.victim_major, c.victim_gender, c.fraud_type, c.channel, c.occurred_at, c.amount_lost_cents, \
    c.amount_recovered_cents, c.status, c.narrative, c.report_id, c.created_by, c.created_at, c.updated_at, \
    c.person_role, c.lent_account";
/// The cases `c` with their school `s` and unit `u`.
fn case_from_sql() -> String {
    format!(
        "FROM cases c {} {}",
        sql::join_unit("s", "c.school_id"),
        sql::join_unit("u", "c.unit_id")
    )
}

fn case_from(r: &AnyRow) -> Result<Case, sqlx::Error> {
    Ok(Case {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        school_code: r.try_get("school_code")?,
        school_name: r.try_get("school_name")?,
        unit_id: r.try_get("unit_id")?,
        unit_code: r.try_get("unit_code")?,
        unit_path: r.try_get("unit_path")?,
        victim_student_id: r.try_get("victim_student_id")?,
        victim_staff_id: r.try_get("victim_staff_id")?,
        victim_role: r.try_get("victim_role")?,
        victim_enroll_year: r.try_get("victim_enroll_year")?,
        victim_major: r.try_get("victim_major")?,
        victim_gender: r.try_get("victim_gender")?,
        fraud_type: crate::db::decode(
            &r.try_get::<String, _>("fraud_type")?,
            |s| s.parse().ok(),
            "cases.fraud_type",
        )?,
        channel: r.try_get("channel")?,
        occurred_at: r.try_get("occurred_at")?,
        amount_lost_cents: r.try_get("amount_lost_cents")?,
        amount_recovered_cents: r.try_get("amount_recovered_cents")?,
        status: crate::db::decode(
            &r.try_get::<String, _>("status")?,
            CaseStatus::from_stored,
            "cases.status",
        )?,
        narrative: r.try_get("narrative")?,
        report_id: r.try_get("report_id")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        indicators: vec![],
        person_role: r.try_get("person_role")?,
        lent_account: r.try_get("lent_account")?,
    })
}

/// Adds (`sign` = 1) or removes (`sign` = -1) a case from the per school/day summary.
async fn bump_daily<'e, E>(
    exec: E,
    school_id: UnitId,
    occurred_at: i64,
    victim: bool,
    lost: i64,
    sign: i64,
) -> DbResult<()>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO case_daily (school_id, day, cases, victims, lost_cents) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (school_id, day) DO UPDATE SET cases = case_daily.cases + excluded.cases, \
         victims = case_daily.victims + excluded.victims, lost_cents = case_daily.lost_cents + excluded.lost_cents",
    )
    .bind(school_id)
    .bind(local_day(occurred_at))
    .bind(sign)
    .bind(if victim { sign } else { 0 })
    .bind(sign * lost)
    .execute(exec)
    .await?;
    Ok(())
}

/// Whether a case counts as a victim of the school for the award: staff or students.
pub fn is_victim(role: VictimRole) -> bool {
    role != VictimRole::Other
}

pub async fn insert_case(
    conn: &mut sqlx::AnyConnection,
    c: &ValidCase,
    report_id: Option<ReportId>,
    created_by: AccountId,
    now: i64,
) -> DbResult<CaseId> {
    let id: CaseId = sqlx::query_scalar(
        "INSERT INTO cases (school_id, unit_id, unit_path, victim_student_id, victim_staff_id, victim_role, \
         victim_enroll_year, victim_major, victim_gender, fraud_type, channel, occurred_at, amount_lost_cents, \
         amount_recovered_cents, status, narrative, report_id, created_by, created_at, updated_at, person_role, lent_account) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20, $21) RETURNING id",
    )
    .bind(c.school_id)
    .bind(c.unit_id)
    .bind(&c.unit_path)
    .bind(c.victim_student_id)
    .bind(c.victim_staff_id)
    .bind(c.victim_role.as_str())
    .bind(c.victim_enroll_year)
    .bind(&c.victim_major)
    .bind(&c.victim_gender)
    .bind(c.fraud_type.id())
    .bind(c.channel.as_str())
    .bind(c.occurred_at)
    .bind(c.amount_lost.cents())
    .bind(c.amount_recovered.cents())
    .bind(c.status.as_str())
    .bind(&c.narrative)
    .bind(report_id)
    .bind(created_by)
    .bind(now)
    .bind(c.person_role.as_str())
    .bind(c.lent_account.map(|k| k.as_str()))
    .fetch_one(&mut *conn)
    .await?;
    write_indicators(conn, id, &c.indicators).await?;
    bump_daily(
        &mut *conn,
        c.school_id,
        c.occurred_at,
        is_victim(c.victim_role) && c.person_role.is_victim(),
        c.amount_lost.cents(),
        1,
    )
    .await?;
    // A suspect only is counted apart (`suspects`), not in the victim analysis.
    if c.person_role.is_victim() {
        bump_dims(&mut *conn, &Facts::of_valid(c), 1).await?;
    }
    mark_solved(conn, id, now).await?;
    Ok(id)
}

async fn write_indicators(
    conn: &mut sqlx::AnyConnection,
    case_id: CaseId,
    ind: &[(String, String)],
) -> DbResult<()> {
    sqlx::query("DELETE FROM case_indicators WHERE case_id = $1")
        .bind(case_id)
        .execute(&mut *conn)
        .await?;
    for (k, v) in ind {
        sqlx::query(
            "INSERT INTO case_indicators (case_id, kind, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(case_id)
        .bind(k)
        .bind(v)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Replaces the fields of case `old` with `c`, keeping the summary in step.
pub async fn update_case(
    conn: &mut sqlx::AnyConnection,
    old: &Case,
    c: &ValidCase,
    now: i64,
) -> DbResult<()> {
    let old_role = VictimRole::parse(&old.victim_role).unwrap_or(VictimRole::Other);
    bump_daily(
        &mut *conn,
        old.school_id,
        old.occurred_at,
        is_victim(old_role)
            && crate::mules::model::PersonRole::parse(&old.person_role)
                .is_none_or(|r| r.is_victim()),
        old.amount_lost_cents,
        -1,
    )
    .await?;
    if crate::mules::model::PersonRole::parse(&old.person_role).is_none_or(|r| r.is_victim()) {
        bump_dims(&mut *conn, &Facts::of_case(old), -1).await?;
    }
    sqlx::query(
        "UPDATE cases SET school_id = $1, unit_id = $2, unit_path = $3, victim_student_id = $4, victim_staff_id = $5, \
         victim_role = $6, victim_enroll_year = $7, victim_major = $8, victim_gender = $9, fraud_type = $10, channel = $11, \
         occurred_at = $12, amount_lost_cents = $13, amount_recovered_cents = $14, status = $15, narrative = $16, \
         updated_at = $17, person_role = $19, lent_account = $20 WHERE id = $18",
    )
    .bind(c.school_id)
    .bind(c.unit_id)
    .bind(&c.unit_path)
    .bind(c.victim_student_id)
    .bind(c.victim_staff_id)
    .bind(c.victim_role.as_str())
    .bind(c.victim_enroll_year)
    .bind(&c.victim_major)
    .bind(&c.victim_gender)
    .bind(c.fraud_type.id())
    .bind(c.channel.as_str())
    .bind(c.occurred_at)
    .bind(c.amount_lost.cents())
    .bind(c.amount_recovered.cents())
    .bind(c.status.as_str())
    .bind(&c.narrative)
    .bind(now)
    .bind(old.id)
    .bind(c.person_role.as_str())
    .bind(c.lent_account.map(|k| k.as_str()))
    .execute(&mut *conn)
    .await?;
    write_indicators(conn, old.id, &c.indicators).await?;
    bump_daily(
        &mut *conn,
        c.school_id,
        c.occurred_at,
        is_victim(c.victim_role) && c.person_role.is_victim(),
        c.amount_lost.cents(),
        1,
    )
    .await?;
    if c.person_role.is_victim() {
        bump_dims(&mut *conn, &Facts::of_valid(c), 1).await?;
    }
    mark_solved(conn, old.id, now).await?;
    Ok(())
}

/// Keeps when a case became solved: set the first time it is recorded solved, cleared when it is
/// reopened (police KPIs count solved cases by this time).
pub async fn mark_solved(conn: &mut sqlx::AnyConnection, id: CaseId, now: i64) -> DbResult<()> {
    sqlx::query(
        "UPDATE cases SET solved_at = CASE WHEN status = 'solved' THEN COALESCE(solved_at, $2) ELSE NULL END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Figures police KPIs derive from the case records under `path`: the times of cases solved in
/// `[from, to)`, and (occurrence time, amount returned) of cases that occurred then.
pub async fn solved_and_returned(
    db: &Db,
    path: &str,
    from: i64,
    to: i64,
) -> DbResult<(Vec<i64>, Vec<(i64, i64)>)> {
    let solved: Vec<i64> = sqlx::query_scalar(
        "SELECT solved_at FROM cases WHERE unit_path LIKE $1 AND solved_at >= $2 AND solved_at < $3",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    let returned = sqlx::query(
        "SELECT occurred_at, amount_recovered_cents FROM cases WHERE unit_path LIKE $1 \
         AND amount_recovered_cents > 0 AND occurred_at >= $2 AND occurred_at < $3",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    let returned: Vec<(i64, i64)> =
        crate::db::named(&returned, ["occurred_at", "amount_recovered_cents"])?;
    Ok((solved, returned))
}

/// When the cases under `path` whose person is a suspect (or both victim and suspect) happened,
/// within `[from, to)`.
pub async fn suspects_recorded(db: &Db, path: &str, from: i64, to: i64) -> DbResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT occurred_at FROM cases WHERE unit_path LIKE $1 AND person_role IN ('suspect', 'both') \
         AND occurred_at >= $2 AND occurred_at < $3",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn case_by_id(db: &Db, id: CaseId) -> DbResult<Option<Case>> {
    let r = sqlx::query(&format!(
        "SELECT {CASE_COLS} {} WHERE c.id = $1",
        case_from_sql()
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let mut c = case_from(&r)?;
    let rows = sqlx::query(
        "SELECT kind, value FROM case_indicators WHERE case_id = $1 ORDER BY kind, value",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        c.indicators.push(IndicatorIn {
            kind: r.try_get("kind")?,
            value: r.try_get("value")?,
        });
    }
    Ok(Some(c))
}

/// What narrows a case list beyond its window: a fraud type, a status, and words found in the
/// narrative or naming the victim (name or number).
#[derive(Clone, Debug, Default)]
pub struct CaseFilter {
    pub fraud_type: Option<String>,
    pub status: Option<String>,
    pub search: String,
}

/// Cases of a window, newest first.
pub async fn list_cases(
    db: &Db,
    w: &Window,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<Case>, i64)> {
    list_cases_filtered(db, w, &CaseFilter::default(), limit, offset).await
}

/// Cases of a window that pass a filter, newest first, with how many pass it.
pub async fn list_cases_filtered(
    db: &Db,
    w: &Window,
    f: &CaseFilter,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<Case>, i64)> {
    let k = w.paths.len() + 3;
    let cond = format!(
        "{} AND (${k} = '' OR c.fraud_type = ${k}) AND (${s} = '' OR c.status = ${s}) \
         AND (${t} = '' OR c.narrative LIKE ${l} OR c.victim_student_id IN {named})",
        where_window(w, 1),
        named = sql::student_ids_by_name_or_no(&format!("${}", k + 3), &format!("${}", k + 2)),
        s = k + 1,
        t = k + 2,
        l = k + 3,
    );
    let text = f.search.trim();
    let like = if text.is_empty() {
        String::new()
    } else {
        format!("%{text}%")
    };
    fn bind_filter<'q>(
        q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
        f: &CaseFilter,
        text: &str,
        like: &str,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
        q.bind(f.fraud_type.clone().unwrap_or_default())
            .bind(f.status.clone().unwrap_or_default())
            .bind(text.to_string())
            .bind(like.to_string())
    }
    let sql = format!(
        "SELECT {CASE_COLS} {} WHERE {cond} ORDER BY c.occurred_at DESC, c.id DESC LIMIT ${} OFFSET ${}",
        case_from_sql(),
        k + 4,
        k + 5
    );
    let rows = bind_filter(bind_window(sqlx::query(&sql), w), f, text, &like)
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.pool)
        .await?;
    let total_sql = format!("SELECT COUNT(*) AS n FROM cases c WHERE {cond}");
    let total: i64 = bind_filter(bind_window(sqlx::query(&total_sql), w), f, text, &like)
        .fetch_one(&db.pool)
        .await?
        .try_get("n")?;
    Ok((rows.iter().map(case_from).collect::<Result<_, _>>()?, total))
}

/// Count and losses of a window grouped by an expression over `c`.
pub async fn group_by(db: &Db, w: &Window, expr: &str) -> DbResult<Vec<(String, i64, i64)>> {
    let cond = where_window(w, 1);
    let sql = format!(
        "SELECT CAST({expr} AS TEXT) AS k, COUNT(*) AS n, CAST(SUM(c.amount_lost_cents) AS BIGINT) AS lost FROM cases c WHERE {cond} GROUP BY {expr} ORDER BY 2 DESC, 1"
    );
    let rows = bind_window(sqlx::query(&sql), w)
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            r.try_get::<Option<String>, _>("k")?.unwrap_or_default(),
            r.try_get("n")?,
            r.try_get::<Option<i64>, _>("lost")?.unwrap_or(0),
        ));
    }
    Ok(out)
}

/// Count, losses and recovered sums of a window.
pub async fn totals(db: &Db, w: &Window) -> DbResult<(i64, i64, i64)> {
    let cond = where_window(w, 1);
    let sql = format!(
        "SELECT COUNT(*) AS n, CAST(SUM(c.amount_lost_cents) AS BIGINT) AS lost, CAST(SUM(c.amount_recovered_cents) AS BIGINT) AS recovered FROM cases c WHERE {cond}"
    );
    let r = bind_window(sqlx::query(&sql), w)
        .fetch_one(&db.pool)
        .await?;
    Ok((
        r.try_get("n")?,
        r.try_get::<Option<i64>, _>("lost")?.unwrap_or(0),
        r.try_get::<Option<i64>, _>("recovered")?.unwrap_or(0),
    ))
}

/// The time of the last case under `path` at or before `until`.
pub async fn last_case_at(db: &Db, paths: &[String], until: i64) -> DbResult<Option<i64>> {
    let w = Window {
        paths: paths.to_vec(),
        from: i64::MIN / 2,
        to: until + 1,
    };
    let cond = where_window(&w, 1);
    let sql = format!("SELECT MAX(c.occurred_at) AS at FROM cases c WHERE {cond}");
    let r = bind_window(sqlx::query(&sql), &w)
        .fetch_one(&db.pool)
        .await?;
    Ok(r.try_get::<Option<i64>, _>("at")?)
}

/// Per school of a province subtree: (school id, cases, victims, lost) over local days `[from, to)`,
/// read from the summary.
pub async fn school_sums(
    db: &Db,
    province_path: &str,
    from_day: i64,
    to_day: i64,
) -> DbResult<Vec<(UnitId, i64, i64, i64)>> {
    let rows = sqlx::query(&format!(
        "SELECT d.school_id, CAST(SUM(d.cases) AS BIGINT) AS cases, CAST(SUM(d.victims) AS BIGINT) AS victims, CAST(SUM(d.lost_cents) AS BIGINT) AS lost FROM case_daily d \
         {} WHERE u.path LIKE $1 AND d.day >= $2 AND d.day < $3 GROUP BY d.school_id",
        sql::join_unit("u", "d.school_id")
    ))
    .bind(format!("{province_path}%"))
    .bind(from_day)
    .bind(to_day)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push((
            r.try_get("school_id")?,
            r.try_get("cases")?,
            r.try_get("victims")?,
            r.try_get("lost")?,
        ));
    }
    Ok(out)
}

/// Prevention figures of one school for a period, from the warnings, campaigns and reports
/// modules' own tables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prevention {
    /// Warnings about the school's people created in the period that were routed (had a clock).
    pub warnings_routed: i64,
    /// … of which acknowledged and contacted within their original deadlines.
    pub warnings_in_time: i64,
    /// People addressed by campaigns sent in the period (inbox deliveries; recalled campaigns not
    /// counted).
    pub campaign_audience: i64,
    /// … of whom acknowledged.
    pub campaign_acknowledged: i64,
    /// Reports (one-click) filed by the school's people in the period.
    pub reports: i64,
}

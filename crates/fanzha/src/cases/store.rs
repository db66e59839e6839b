//! SQL of cases, their daily summary, KPIs, briefings and awards.

use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use super::model::*;
use crate::db::{Db, DbResult};

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

const CASE_COLS: &str = "c.id, c.school_id, s.code, s.name, c.unit_id, u.code, c.unit_path, \
    c.victim_student_id, c.victim_staff_id, c.victim_role, CAST(c.victim_enroll_year AS BIGINT), \
    c.victim_major, c.victim_gender, c.fraud_type, c.channel, c.occurred_at, c.amount_lost_cents, \
    c.amount_recovered_cents, c.status, c.narrative, c.report_id, c.created_by, c.created_at, c.updated_at, \
    c.person_role, c.lent_account";
const CASE_FROM: &str =
    "FROM cases c JOIN units s ON s.id = c.school_id JOIN units u ON u.id = c.unit_id";

fn case_from(r: &AnyRow) -> Result<Case, sqlx::Error> {
    Ok(Case {
        id: r.try_get(0)?,
        school_id: r.try_get(1)?,
        school_code: r.try_get(2)?,
        school_name: r.try_get(3)?,
        unit_id: r.try_get(4)?,
        unit_code: r.try_get(5)?,
        unit_path: r.try_get(6)?,
        victim_student_id: r.try_get(7)?,
        victim_staff_id: r.try_get(8)?,
        victim_role: r.try_get(9)?,
        victim_enroll_year: r.try_get(10)?,
        victim_major: r.try_get(11)?,
        victim_gender: r.try_get(12)?,
        fraud_type: crate::db::decode(
            &r.try_get::<String, _>(13)?,
            |s| s.parse().ok(),
            "cases.fraud_type",
        )?,
        channel: r.try_get(14)?,
        occurred_at: r.try_get(15)?,
        amount_lost_cents: r.try_get(16)?,
        amount_recovered_cents: r.try_get(17)?,
        status: crate::db::decode(
            &r.try_get::<String, _>(18)?,
            CaseStatus::from_stored,
            "cases.status",
        )?,
        narrative: r.try_get(19)?,
        report_id: r.try_get(20)?,
        created_by: r.try_get(21)?,
        created_at: r.try_get(22)?,
        updated_at: r.try_get(23)?,
        indicators: vec![],
        person_role: r.try_get(24)?,
        lent_account: r.try_get(25)?,
    })
}

/// Adds (`sign` = 1) or removes (`sign` = -1) a case from the per school/day summary.
async fn bump_daily<'e, E>(
    exec: E,
    school_id: i64,
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
    report_id: Option<i64>,
    created_by: i64,
    now: i64,
) -> DbResult<i64> {
    let id: i64 = sqlx::query_scalar(
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
    case_id: i64,
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
pub async fn mark_solved(conn: &mut sqlx::AnyConnection, id: i64, now: i64) -> DbResult<()> {
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
    let returned: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT occurred_at, amount_recovered_cents FROM cases WHERE unit_path LIKE $1 \
         AND amount_recovered_cents > 0 AND occurred_at >= $2 AND occurred_at < $3",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
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

pub async fn case_by_id(db: &Db, id: i64) -> DbResult<Option<Case>> {
    let r = sqlx::query(&format!("SELECT {CASE_COLS} {CASE_FROM} WHERE c.id = $1"))
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
            kind: r.try_get(0)?,
            value: r.try_get(1)?,
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
         AND (${t} = '' OR c.narrative LIKE ${l} OR c.victim_student_id IN \
         (SELECT st.id FROM students st WHERE st.name LIKE ${l} OR st.student_no = ${t}))",
        where_window(w, 1),
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
        "SELECT {CASE_COLS} {CASE_FROM} WHERE {cond} ORDER BY c.occurred_at DESC, c.id DESC LIMIT ${} OFFSET ${}",
        k + 4,
        k + 5
    );
    let rows = bind_filter(bind_window(sqlx::query(&sql), w), f, text, &like)
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.pool)
        .await?;
    let total_sql = format!("SELECT COUNT(*) FROM cases c WHERE {cond}");
    let total: i64 = bind_filter(bind_window(sqlx::query(&total_sql), w), f, text, &like)
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    Ok((rows.iter().map(case_from).collect::<Result<_, _>>()?, total))
}

/// Count and losses of a window grouped by an expression over `c`.
pub async fn group_by(db: &Db, w: &Window, expr: &str) -> DbResult<Vec<(String, i64, i64)>> {
    let cond = where_window(w, 1);
    let sql = format!(
        "SELECT CAST({expr} AS TEXT), COUNT(*), CAST(SUM(c.amount_lost_cents) AS BIGINT) FROM cases c WHERE {cond} GROUP BY {expr} ORDER BY 2 DESC, 1"
    );
    let rows = bind_window(sqlx::query(&sql), w)
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push((
            r.try_get::<Option<String>, _>(0)?.unwrap_or_default(),
            r.try_get(1)?,
            r.try_get::<Option<i64>, _>(2)?.unwrap_or(0),
        ));
    }
    Ok(out)
}

/// Count, losses and recovered sums of a window.
pub async fn totals(db: &Db, w: &Window) -> DbResult<(i64, i64, i64)> {
    let cond = where_window(w, 1);
    let sql = format!(
        "SELECT COUNT(*), CAST(SUM(c.amount_lost_cents) AS BIGINT), CAST(SUM(c.amount_recovered_cents) AS BIGINT) FROM cases c WHERE {cond}"
    );
    let r = bind_window(sqlx::query(&sql), w)
        .fetch_one(&db.pool)
        .await?;
    Ok((
        r.try_get(0)?,
        r.try_get::<Option<i64>, _>(1)?.unwrap_or(0),
        r.try_get::<Option<i64>, _>(2)?.unwrap_or(0),
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
    let sql = format!("SELECT MAX(c.occurred_at) FROM cases c WHERE {cond}");
    let r = bind_window(sqlx::query(&sql), &w)
        .fetch_one(&db.pool)
        .await?;
    Ok(r.try_get::<Option<i64>, _>(0)?)
}

/// Per school of a province subtree: (school id, cases, victims, lost) over local days `[from, to)`,
/// read from the summary.
pub async fn school_sums(
    db: &Db,
    province_path: &str,
    from_day: i64,
    to_day: i64,
) -> DbResult<Vec<(i64, i64, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT d.school_id, CAST(SUM(d.cases) AS BIGINT), CAST(SUM(d.victims) AS BIGINT), CAST(SUM(d.lost_cents) AS BIGINT) FROM case_daily d \
         JOIN units u ON u.id = d.school_id WHERE u.path LIKE $1 AND d.day >= $2 AND d.day < $3 GROUP BY d.school_id",
    )
    .bind(format!("{province_path}%"))
    .bind(from_day)
    .bind(to_day)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
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

/// Per school of a province subtree (by school id), prevention figures for UTC milliseconds
/// `[from, to)`: three grouped queries, one per module; campaign reach is grouped per delivery
/// unit in SQL and rolled up to the school that contains it (`schools`: id and path of each
/// school).
pub async fn prevention(
    db: &Db,
    province_path: &str,
    schools: &[(i64, String)],
    from: i64,
    to: i64,
) -> DbResult<std::collections::HashMap<i64, Prevention>> {
    let mut out: std::collections::HashMap<i64, Prevention> = std::collections::HashMap::new();
    let prefix = format!("{province_path}%");
    // Same test as the warnings module's figures (`warnings::appraisal::in_time`): acknowledged by
    // routed_at + ack window and contacted by routed_at + contact window.
    let rows = sqlx::query(
        "SELECT school_id, COUNT(*), CAST(COALESCE(SUM(CASE WHEN acknowledged_at IS NOT NULL AND acknowledged_at <= routed_at + ack_window_ms \
         AND contacted_at IS NOT NULL AND contacted_at <= routed_at + contact_window_ms THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM warnings WHERE unit_path LIKE $1 AND created_at >= $2 AND created_at < $3 AND routed_at IS NOT NULL \
         AND school_id IS NOT NULL GROUP BY school_id",
    )
    .bind(&prefix)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        let e = out.entry(r.try_get(0)?).or_default();
        e.warnings_routed = r.try_get(1)?;
        e.warnings_in_time = r.try_get(2)?;
    }
    let rows = sqlx::query(
        "SELECT r.unit_path, CAST(SUM(r.audience) AS BIGINT), CAST(SUM(r.acknowledged) AS BIGINT) \
         FROM campaign_reach r JOIN campaigns c ON c.id = r.campaign_id \
         WHERE c.status = 'sent' AND c.sent_at >= $2 AND c.sent_at < $3 AND r.unit_path LIKE $1 GROUP BY r.unit_path",
    )
    .bind(&prefix)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    let by_path: std::collections::HashMap<&str, i64> =
        schools.iter().map(|(id, p)| (p.as_str(), *id)).collect();
    for r in rows {
        let path: String = r.try_get(0)?;
        // The school is the ancestor (or the unit itself) whose path is a prefix of this one.
        let school = path
            .match_indices('/')
            .skip(1)
            .find_map(|(i, _)| by_path.get(&path[..=i]).copied());
        if let Some(id) = school {
            let e = out.entry(id).or_default();
            e.campaign_audience += r.try_get::<i64, _>(1)?;
            e.campaign_acknowledged += r.try_get::<i64, _>(2)?;
        }
    }
    let rows = sqlx::query(
        "SELECT school_id, COUNT(*) FROM reports WHERE unit_path LIKE $1 AND created_at >= $2 AND created_at < $3 \
         AND school_id IS NOT NULL GROUP BY school_id",
    )
    .bind(&prefix)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        out.entry(r.try_get(0)?).or_default().reports = r.try_get(1)?;
    }
    Ok(out)
}

// ---- KPIs ----

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

pub async fn upsert_kpi(db: &Db, unit_id: i64, k: &Kpi, by: i64, now: i64) -> DbResult<()> {
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
    let rows = sqlx::query(
        "SELECT k.month, CAST(SUM(k.cases_solved) AS BIGINT), CAST(SUM(k.suspects_arrested) AS BIGINT), CAST(SUM(k.funds_frozen_cents) AS BIGINT), CAST(SUM(k.losses_avoided_cents) AS BIGINT), \
         CAST(SUM(k.funds_returned_cents) AS BIGINT) FROM police_kpis k JOIN units u ON u.id = k.unit_id \
         WHERE u.path LIKE $1 AND k.month >= $2 AND k.month <= $3 GROUP BY k.month ORDER BY k.month",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(Kpi {
            month: r.try_get(0)?,
            cases_solved: r.try_get(1)?,
            suspects_arrested: r.try_get(2)?,
            funds_frozen_cents: r.try_get(3)?,
            losses_avoided_cents: r.try_get(4)?,
            funds_returned_cents: r.try_get(5)?,
            student_suspects: 0,
        });
    }
    Ok(out)
}

// ---- Briefings ----

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Briefing {
    pub id: i64,
    pub station_id: i64,
    pub month: String,
    pub title: String,
    pub advice: String,
    pub case_ids: Vec<i64>,
    pub status: String,
    pub created_by: i64,
    pub created_at: i64,
    pub published_at: Option<i64>,
}

const BRIEFING_COLS: &str =
    "id, station_id, month, title, advice, case_ids, status, created_by, created_at, published_at";

fn briefing_from(r: &AnyRow) -> Result<Briefing, sqlx::Error> {
    let ids: String = r.try_get(5)?;
    Ok(Briefing {
        id: r.try_get(0)?,
        station_id: r.try_get(1)?,
        month: r.try_get(2)?,
        title: r.try_get(3)?,
        advice: r.try_get(4)?,
        case_ids: serde_json::from_str(&ids).unwrap_or_default(),
        status: r.try_get(6)?,
        created_by: r.try_get(7)?,
        created_at: r.try_get(8)?,
        published_at: r.try_get(9)?,
    })
}

/// Creates or replaces the draft of a station's month; a published briefing is not replaced.
// The inputs of one action, each used once; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub async fn save_briefing(
    db: &Db,
    station_id: i64,
    month: &str,
    title: &str,
    advice: &str,
    case_ids: &[i64],
    by: i64,
    now: i64,
) -> DbResult<Option<i64>> {
    let ids = serde_json::to_string(case_ids).unwrap_or_else(|_| "[]".into());
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO case_briefings (station_id, month, title, advice, case_ids, status, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7) ON CONFLICT (station_id, month) DO UPDATE SET \
         title = excluded.title, advice = excluded.advice, case_ids = excluded.case_ids, created_by = excluded.created_by \
         WHERE case_briefings.status = 'draft' RETURNING id",
    )
    .bind(station_id)
    .bind(month)
    .bind(title)
    .bind(advice)
    .bind(ids)
    .bind(by)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    Ok(id)
}

pub async fn briefing_by_id(db: &Db, id: i64) -> DbResult<Option<Briefing>> {
    let r = sqlx::query(&format!(
        "SELECT {BRIEFING_COLS} FROM case_briefings WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(briefing_from).transpose()?)
}

/// Briefings of the given stations, newest month first.
pub async fn briefings_of(db: &Db, station_ids: &[i64]) -> DbResult<Vec<Briefing>> {
    let mut out = Vec::new();
    for s in station_ids {
        let rows = sqlx::query(&format!(
            "SELECT {BRIEFING_COLS} FROM case_briefings WHERE station_id = $1 ORDER BY month DESC"
        ))
        .bind(s)
        .fetch_all(&db.pool)
        .await?;
        for r in &rows {
            out.push(briefing_from(r)?);
        }
    }
    out.sort_by(|a, b| b.month.cmp(&a.month).then(a.station_id.cmp(&b.station_id)));
    Ok(out)
}

/// Marks a draft published; false when it was already published.
pub async fn publish_briefing<'e, E>(exec: E, id: i64, now: i64) -> DbResult<bool>
where
    E: Executor<'e, Database = Any>,
{
    let n = sqlx::query(
        "UPDATE case_briefings SET status = 'published', published_at = $1 WHERE id = $2 AND status = 'draft'",
    )
    .bind(now)
    .bind(id)
    .execute(exec)
    .await?
    .rows_affected();
    Ok(n == 1)
}

// ---- Awards ----

/// (school id, published_at) of the awardees of a province and year.
pub async fn awards(db: &Db, province_id: i64, year: i32) -> DbResult<Vec<(i64, Option<i64>)>> {
    let rows = sqlx::query(
        "SELECT school_id, published_at FROM campus_awards WHERE province_id = $1 AND year = $2 ORDER BY school_id",
    )
    .bind(province_id)
    .bind(year as i64)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push((r.try_get(0)?, r.try_get(1)?));
    }
    Ok(out)
}

/// Replaces the (unpublished) selection of a province and year.
pub async fn replace_awards(
    conn: &mut sqlx::AnyConnection,
    province_id: i64,
    year: i32,
    schools: &[i64],
    by: i64,
    now: i64,
) -> DbResult<()> {
    sqlx::query("DELETE FROM campus_awards WHERE province_id = $1 AND year = $2")
        .bind(province_id)
        .bind(year as i64)
        .execute(&mut *conn)
        .await?;
    for s in schools {
        sqlx::query(
            "INSERT INTO campus_awards (province_id, year, school_id, selected_by, selected_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(province_id)
        .bind(year as i64)
        .bind(s)
        .bind(by)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn publish_awards<'e, E>(exec: E, province_id: i64, year: i32, now: i64) -> DbResult<u64>
where
    E: Executor<'e, Database = Any>,
{
    Ok(sqlx::query(
        "UPDATE campus_awards SET published_at = $1 WHERE province_id = $2 AND year = $3 AND published_at IS NULL",
    )
    .bind(now)
    .bind(province_id)
    .bind(year as i64)
    .execute(exec)
    .await?
    .rows_affected())
}

/// Student by school and number: (id, class id, class path, enrolment year, major, gender).
pub async fn student_in_school(
    db: &Db,
    school_id: i64,
    student_no: &str,
) -> DbResult<Option<(i64, i64, String, i64, String, String)>> {
    let r = sqlx::query(
        "SELECT s.id, s.class_id, u.path, s.enrollment_year, s.major, s.gender FROM students s \
         JOIN units u ON u.id = s.class_id WHERE s.school_id = $1 AND s.student_no = $2",
    )
    .bind(school_id)
    .bind(student_no)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match r {
        Some(r) => Some((
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
            r.try_get(5)?,
        )),
        None => None,
    })
}

/// Staff by org and number: (id, unit id, unit path).
pub async fn staff_in_org(
    db: &Db,
    org_id: i64,
    staff_no: &str,
) -> DbResult<Option<(i64, i64, String)>> {
    let r = sqlx::query(
        "SELECT s.id, s.unit_id, u.path FROM staff s JOIN units u ON u.id = s.unit_id WHERE s.org_id = $1 AND s.staff_no = $2",
    )
    .bind(org_id)
    .bind(staff_no)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match r {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)),
        None => None,
    })
}

/// Students and staff per school of a subtree: school id → (students, staff).
pub async fn people_per_school(
    db: &Db,
    path: &str,
) -> DbResult<std::collections::HashMap<i64, (i64, i64)>> {
    let mut out: std::collections::HashMap<i64, (i64, i64)> = Default::default();
    let rows = sqlx::query(
        "SELECT s.school_id, COUNT(*) FROM students s JOIN units u ON u.id = s.school_id \
         WHERE u.path LIKE $1 GROUP BY s.school_id",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        out.entry(r.try_get(0)?).or_default().0 = r.try_get(1)?;
    }
    let rows = sqlx::query(
        // Staff belong to the school or to a college below it: count them to the school.
        "SELECT sc.id, COUNT(*) FROM staff s JOIN units u ON u.id = s.org_id \
         JOIN units sc ON sc.kind = 'school' AND u.path LIKE sc.path || '%' \
         WHERE sc.path LIKE $1 GROUP BY sc.id",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        out.entry(r.try_get(0)?).or_default().1 = r.try_get(1)?;
    }
    Ok(out)
}

/// Suspects of 帮信 / 两卡 (cases whose person is a suspect, or both) under `path` that occurred
/// in [from, to): (school id, kind of account lent, number).
pub async fn suspects(
    db: &Db,
    path: &str,
    from: i64,
    to: i64,
) -> DbResult<Vec<(i64, String, i64)>> {
    let rows: Vec<(i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT c.school_id, c.lent_account, CAST(COUNT(*) AS BIGINT) FROM cases c \
         WHERE c.unit_path LIKE $1 AND c.person_role IN ('suspect', 'both') \
         AND c.occurred_at >= $2 AND c.occurred_at < $3 GROUP BY c.school_id, c.lent_account",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(s, k, n)| (s, k.unwrap_or_default(), n))
        .collect())
}

// ---- Monthly summary by dimension ----

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
    pub school_id: i64,
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
    pub fn summary_units(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for seg in self.unit_path.split('/').filter(|s| !s.is_empty()) {
            match seg.parse::<i64>() {
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
async fn bump_dims(conn: &mut sqlx::AnyConnection, f: &Facts, sign: i64) -> DbResult<()> {
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

fn in_list(first: usize, n: usize) -> String {
    (0..n)
        .map(|i| format!("${}", first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Summary rows of schools for month indexes `[m_from, m_to]`: (month, dim, key, cases, lost,
/// recovered), grouped over the schools.
pub async fn monthly(
    db: &Db,
    school_ids: &[i64],
    m_from: i64,
    m_to: i64,
) -> DbResult<Vec<(i64, String, String, i64, i64, i64)>> {
    if school_ids.is_empty() || m_from > m_to {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT month, dim, bucket, CAST(SUM(cases) AS BIGINT), CAST(SUM(lost_cents) AS BIGINT), CAST(SUM(recovered_cents) AS BIGINT) \
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
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
            r.try_get(5)?,
        ));
    }
    Ok(out)
}

/// The analysis facts of every case of a window (for partial months and units below a school).
pub async fn facts(db: &Db, w: &Window) -> DbResult<Vec<Facts>> {
    let cond = where_window(w, 1);
    let sql = format!(
        "SELECT c.school_id, c.occurred_at, c.fraud_type, c.channel, CAST(c.victim_enroll_year AS BIGINT), c.victim_major, \
         c.victim_gender, c.victim_role, c.amount_lost_cents, c.amount_recovered_cents FROM cases c \
         WHERE {cond} AND c.person_role <> 'suspect'"
    );
    let rows = bind_window(sqlx::query(&sql), w)
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(Facts {
            school_id: r.try_get(0)?,
            unit_path: String::new(),
            occurred_at: r.try_get(1)?,
            fraud_type: r.try_get(2)?,
            channel: r.try_get(3)?,
            grade: r.try_get(4)?,
            major: r.try_get(5)?,
            gender: r.try_get(6)?,
            role: r.try_get(7)?,
            lost: r.try_get(8)?,
            recovered: r.try_get(9)?,
        });
    }
    Ok(out)
}

/// The per-day summary of schools over local days `[d_from, d_to]`, grouped by (dim, bucket).
pub async fn daily_dims(
    db: &Db,
    school_ids: &[i64],
    d_from: i64,
    d_to: i64,
) -> DbResult<Vec<(String, String, i64, i64, i64)>> {
    if school_ids.is_empty() || d_from > d_to {
        return Ok(vec![]);
    }
    let n = school_ids.len();
    let sql = format!(
        "SELECT dim, bucket, CAST(SUM(cases) AS BIGINT), CAST(SUM(lost_cents) AS BIGINT), CAST(SUM(recovered_cents) AS BIGINT) \
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
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
        ));
    }
    Ok(out)
}

/// The last local day up to `until_day` with a case in one of the schools.
pub async fn last_day(db: &Db, school_ids: &[i64], until_day: i64) -> DbResult<Option<i64>> {
    if school_ids.is_empty() {
        return Ok(None);
    }
    let n = school_ids.len();
    let sql = format!(
        "SELECT MAX(day) FROM case_daily WHERE school_id IN ({}) AND day <= ${} AND cases > 0",
        in_list(1, n),
        n + 1
    );
    let mut q = sqlx::query(&sql);
    for s in school_ids {
        q = q.bind(*s);
    }
    let r = q.bind(until_day).fetch_one(&db.pool).await?;
    Ok(r.try_get::<Option<i64>, _>(0)?)
}

/// Adds a case to the typical cases of a station's briefing of a month (the demo's suspect case);
/// nothing when there is no such briefing.
pub async fn add_to_briefing(db: &Db, station_id: i64, month: &str, case_id: i64) -> DbResult<()> {
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
    let mut v: Vec<i64> = serde_json::from_str(&ids).unwrap_or_default();
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

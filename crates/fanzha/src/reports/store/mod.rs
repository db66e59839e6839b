//! Reading reports, stop-payment requests, clusters and figures. Lists are filtered by the
//! caller's scope paths (prefix match on the report's unit path) or by the reporter.

use crate::kernel::ids::{AccountId, CaseId, ReportId, StudentId, UnitId};
use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::model::ReportIndicator;
use crate::db::{Db, DbResult};
use crate::org::store::sql;

mod batch;
pub mod bench;
pub mod inbox_reads;
mod people;
mod writes;

pub use batch::*;
pub use people::*;
pub use writes::*;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub id: ReportId,
    pub ref_no: String,
    pub reporter_account_id: AccountId,
    pub student_id: Option<StudentId>,
    pub school_id: Option<UnitId>,
    pub unit_path: String,
    #[schema(value_type = String, example = "rebate_task")]
    pub fraud_type: fanzha_detect::FraudType,
    pub has_loss: bool,
    pub amount_cents: i64,
    pub description: String,
    /// The channel sections as filed (see `Sections`).
    #[schema(value_type = Object)]
    pub sections: serde_json::Value,
    /// new, confirmed, not_fraud, merged, case_opened.
    #[schema(value_type = String, example = "new")]
    pub status: super::model::ReportStatus,
    pub assigned_to: Option<AccountId>,
    pub merged_into: Option<ReportId>,
    pub case_id: Option<CaseId>,
    pub first_action_at: Option<i64>,
    pub created_at: i64,
}

const REPORT_COLS: &str = "r.id, r.ref_no, r.reporter_account_id, r.student_id, r.school_id, r.unit_path, r.fraud_type, \
    r.has_loss, r.amount_cents, r.description, r.sections, r.status, r.assigned_to, r.merged_into, r.case_id, \
    r.first_action_at, r.created_at";

fn report_row(r: &AnyRow) -> Result<Report, sqlx::Error> {
    let sections: String = r.try_get("sections")?;
    Ok(Report {
        id: r.try_get("id")?,
        ref_no: r.try_get("ref_no")?,
        reporter_account_id: r.try_get("reporter_account_id")?,
        student_id: r.try_get("student_id")?,
        school_id: r.try_get("school_id")?,
        unit_path: r.try_get("unit_path")?,
        fraud_type: crate::db::decode(
            &r.try_get::<String, _>("fraud_type")?,
            |s| s.parse().ok(),
            "reports.fraud_type",
        )?,
        has_loss: r.try_get::<i64, _>("has_loss")? != 0,
        amount_cents: r.try_get("amount_cents")?,
        description: r.try_get("description")?,
        sections: serde_json::from_str(&sections).unwrap_or(serde_json::Value::Null),
        status: crate::db::decode(
            &r.try_get::<String, _>("status")?,
            super::model::ReportStatus::parse,
            "reports.status",
        )?,
        assigned_to: r.try_get("assigned_to")?,
        merged_into: r.try_get("merged_into")?,
        case_id: r.try_get("case_id")?,
        first_action_at: r.try_get("first_action_at")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn report(tx: &mut AnyConnection, id: ReportId) -> DbResult<Option<Report>> {
    let row = sqlx::query(&format!(
        "SELECT {REPORT_COLS} FROM reports r WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.as_ref().map(report_row).transpose()?)
}

/// The reports about one student (filed by them or naming them), newest first.
pub async fn of_student(db: &Db, student_id: StudentId, limit: i64) -> DbResult<Vec<Report>> {
    let rows = sqlx::query(&format!(
        "SELECT {REPORT_COLS} FROM reports r WHERE r.student_id = $1 \
         ORDER BY r.created_at DESC, r.id DESC LIMIT $2"
    ))
    .bind(student_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(report_row).collect::<Result<_, _>>()?)
}

/// How many indicators reports name in all (one per report and indicator).
pub async fn indicator_links(db: &Db) -> DbResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM report_indicators")
        .fetch_one(&db.pool)
        .await?;
    Ok(row.try_get("n")?)
}

pub async fn indicators_of(tx: &mut AnyConnection, id: ReportId) -> DbResult<Vec<ReportIndicator>> {
    let rows = sqlx::query(
        "SELECT kind, value, section FROM report_indicators WHERE report_id = $1 ORDER BY kind, value",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ReportIndicator {
                kind: r.try_get("kind")?,
                value: r.try_get("value")?,
                section: r.try_get("section")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StopPayment {
    pub id: i64,
    pub report_id: ReportId,
    pub payee_kind: String,
    pub payee_account: String,
    pub bank: String,
    pub amount_cents: i64,
    pub transfer_at: i64,
    pub deadline_at: i64,
    /// open, bank_contacted, frozen, failed.
    #[schema(value_type = String, example = "open")]
    pub status: super::model::StopStatus,
    pub frozen_cents: i64,
    pub reason: String,
    pub first_action_at: Option<i64>,
    pub escalated_at: Option<i64>,
    pub created_at: i64,
}

const SP_COLS: &str = "sp.id, sp.report_id, sp.payee_kind, sp.payee_account, sp.bank, sp.amount_cents, sp.transfer_at, \
    sp.deadline_at, sp.status, sp.frozen_cents, sp.reason, sp.first_action_at, sp.escalated_at, sp.created_at";

fn sp_row(r: &AnyRow) -> Result<StopPayment, sqlx::Error> {
    Ok(StopPayment {
        id: r.try_get("id")?,
        report_id: r.try_get("report_id")?,
        payee_kind: r.try_get("payee_kind")?,
        payee_account: r.try_get("payee_account")?,
        bank: r.try_get("bank")?,
        amount_cents: r.try_get("amount_cents")?,
        transfer_at: r.try_get("transfer_at")?,
        deadline_at: r.try_get("deadline_at")?,
        status: crate::db::decode(
            &r.try_get::<String, _>("status")?,
            super::model::StopStatus::parse,
            "stop_payments.status",
        )?,
        frozen_cents: r.try_get("frozen_cents")?,
        reason: r.try_get("reason")?,
        first_action_at: r.try_get("first_action_at")?,
        escalated_at: r.try_get("escalated_at")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn stop_payment(tx: &mut AnyConnection, id: i64) -> DbResult<Option<StopPayment>> {
    let row = sqlx::query(&format!(
        "SELECT {SP_COLS} FROM stop_payments sp WHERE sp.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.as_ref().map(sp_row).transpose()?)
}

pub async fn stop_payment_of(
    tx: &mut AnyConnection,
    report_id: ReportId,
) -> DbResult<Option<StopPayment>> {
    let row = sqlx::query(&format!(
        "SELECT {SP_COLS} FROM stop_payments sp WHERE sp.report_id = $1"
    ))
    .bind(report_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.as_ref().map(sp_row).transpose()?)
}

/// The stop-payment request of the report filed under this idempotency key, if any.
pub async fn stop_payment_id_by_report_key(db: &Db, key: &str) -> DbResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT sp.id FROM stop_payments sp JOIN reports r ON r.id = sp.report_id \
         WHERE r.idempotency_key = $1",
    )
    .bind(key)
    .fetch_optional(&db.pool)
    .await?)
}

/// Who may see which reports.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Reports filed by this account.
    pub reporter: Option<AccountId>,
    /// Reports under any of these unit paths.
    pub paths: Vec<String>,
}

impl Scope {
    /// The WHERE clause (parameters from `$first`) and its binds.
    fn clause(&self, first: usize) -> (String, Vec<String>) {
        let mut parts = Vec::new();
        let mut binds = Vec::new();
        let mut n = first;
        if let Some(a) = self.reporter {
            parts.push(format!("r.reporter_account_id = ${n}"));
            binds.push(a.to_string());
            n += 1;
        }
        for p in &self.paths {
            parts.push(format!("r.unit_path LIKE ${n}"));
            binds.push(format!("{p}%"));
            n += 1;
        }
        if parts.is_empty() {
            ("1 = 0".into(), binds)
        } else {
            (format!("({})", parts.join(" OR ")), binds)
        }
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    scope: &Scope,
    binds: Vec<String>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut it = binds.into_iter();
    if scope.reporter.is_some() {
        let v: i64 = it.next().and_then(|s| s.parse().ok()).unwrap_or_default();
        q = q.bind(v);
    }
    for b in it {
        q = q.bind(b);
    }
    q
}

/// A report in a list, with its stop-payment status.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportItem {
    #[serde(flatten)]
    pub report: Report,
    pub student_name: Option<String>,
    pub stop_payment_status: Option<String>,
    pub deadline_at: Option<i64>,
}

/// A list row: the report with its student's name and its stop-payment status and deadline.
fn item_row(r: &AnyRow) -> Result<ReportItem, sqlx::Error> {
    Ok(ReportItem {
        report: report_row(r)?,
        student_name: r.try_get("student_name")?,
        stop_payment_status: r.try_get("stop_payment_status")?,
        deadline_at: r.try_get("deadline_at")?,
    })
}

/// Reports in scope, newest first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    status: Option<&str>,
    limit: i64,
) -> DbResult<Vec<ReportItem>> {
    let (w, binds) = scope.clause(3);
    let student = sql::left_join_student("s", "r.student_id");
    let sql = format!(
        "SELECT {REPORT_COLS}, s.name AS student_name, sp.status AS stop_payment_status, sp.deadline_at AS deadline_at FROM reports r {student} \
         LEFT JOIN stop_payments sp ON sp.report_id = r.id WHERE ($1 = '' OR r.status = $1) AND {w} \
         ORDER BY r.created_at DESC, r.id DESC LIMIT $2"
    );
    let q = sqlx::query(&sql).bind(status.unwrap_or("")).bind(limit);
    let rows = bind_all(q, scope, binds).fetch_all(&db.pool).await?;
    rows.iter()
        .map(item_row)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// What a long list of reports keeps: one status, and reports whose reference number or student
/// name contains `search`.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub status: String,
    pub search: String,
}

/// The reports `r` of a long list with their student `s` and stop-payment `sp`, kept by
/// [`ListFilter`].
fn list_from() -> String {
    format!(
        "FROM reports r {} \
         LEFT JOIN stop_payments sp ON sp.report_id = r.id \
         WHERE ($1 = '' OR r.status = $1) AND ($2 = '' OR r.ref_no LIKE $3 OR s.name LIKE $3)",
        sql::left_join_student("s", "r.student_id")
    )
}

fn bind_filter<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    f: &ListFilter,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let search = f.search.trim().to_string();
    let like = format!("%{}%", search.replace(['%', '_'], ""));
    q.bind(f.status.clone()).bind(search).bind(like)
}

/// How many reports in scope `f` keeps.
pub async fn count_filtered(db: &Db, scope: &Scope, f: &ListFilter) -> DbResult<i64> {
    let (w, binds) = scope.clause(4);
    let sql = format!("SELECT COUNT(*) AS n {} AND {w}", list_from());
    let q = bind_filter(sqlx::query(&sql), f);
    let row = bind_all(q, scope, binds).fetch_one(&db.pool).await?;
    Ok(row.try_get("n")?)
}

/// One page of the reports in scope that `f` keeps, newest first.
pub async fn list_filtered(
    db: &Db,
    scope: &Scope,
    f: &ListFilter,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<ReportItem>> {
    let (w, binds) = scope.clause(6);
    let sql = format!(
        "SELECT {REPORT_COLS}, s.name AS student_name, sp.status AS stop_payment_status, sp.deadline_at AS deadline_at {} AND {w} \
         ORDER BY r.created_at DESC, r.id DESC LIMIT $4 OFFSET $5",
        list_from()
    );
    let q = bind_filter(sqlx::query(&sql), f).bind(limit).bind(offset);
    let rows = bind_all(q, scope, binds).fetch_all(&db.pool).await?;
    rows.iter()
        .map(item_row)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A stop-payment request in the police queue.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    #[serde(flatten)]
    pub stop_payment: StopPayment,
    pub ref_no: String,
    pub student_name: Option<String>,
}

/// Stop-payment requests in scope; open ones first, by deadline.
pub async fn queue(db: &Db, scope: &Scope, limit: i64) -> DbResult<Vec<QueueItem>> {
    let (w, binds) = scope.clause(2);
    let student = sql::left_join_student("s", "r.student_id");
    let sql = format!(
        "SELECT {SP_COLS}, r.ref_no AS ref_no, s.name AS student_name FROM stop_payments sp JOIN reports r ON r.id = sp.report_id \
         {student} WHERE {w} \
         ORDER BY CASE WHEN sp.status IN ('open', 'bank_contacted') THEN 0 ELSE 1 END, sp.deadline_at, sp.id LIMIT $1"
    );
    let q = sqlx::query(&sql).bind(limit);
    let rows = bind_all(q, scope, binds).fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            Ok(QueueItem {
                stop_payment: sp_row(r)?,
                ref_no: r.try_get("ref_no")?,
                student_name: r.try_get("student_name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Reports that share indicators (same number, account, domain…).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Cluster {
    pub report_ids: Vec<ReportId>,
    pub size: usize,
    pub fraud_types: Vec<String>,
    pub newest_at: i64,
    /// The indicators shared by two or more reports of the cluster, as kind:value.
    pub shared: Vec<String>,
}

/// Clusters of the latest `window` reports in scope (not merged, not cleared), biggest first.
pub async fn clusters(db: &Db, scope: &Scope, window: i64) -> DbResult<Vec<Cluster>> {
    let (w, binds) = scope.clause(2);
    let sql = format!(
        "SELECT r.id AS id, r.fraud_type AS fraud_type, r.created_at AS created_at, i.kind AS kind, i.value AS value FROM reports r \
         LEFT JOIN report_indicators i ON i.report_id = r.id \
         WHERE r.id IN (SELECT r.id FROM reports r WHERE r.status IN ('new', 'confirmed', 'case_opened') AND {w} \
         ORDER BY r.created_at DESC LIMIT $1)"
    );
    let q = sqlx::query(&sql).bind(window);
    let rows = bind_all(q, scope, binds).fetch_all(&db.pool).await?;
    let mut meta: HashMap<ReportId, (String, i64)> = HashMap::new();
    let mut by_key: HashMap<String, Vec<ReportId>> = HashMap::new();
    for r in &rows {
        let id: ReportId = r.try_get("id")?;
        meta.insert(id, (r.try_get("fraud_type")?, r.try_get("created_at")?));
        let kind: Option<String> = r.try_get("kind")?;
        let value: Option<String> = r.try_get("value")?;
        if let (Some(k), Some(v)) = (kind, value) {
            by_key.entry(format!("{k}:{v}")).or_default().push(id);
        }
    }
    // Union-find over reports joined by a shared indicator.
    let ids: Vec<ReportId> = meta.keys().copied().collect();
    let mut parent: HashMap<ReportId, ReportId> = ids.iter().map(|i| (*i, *i)).collect();
    fn find(p: &mut HashMap<ReportId, ReportId>, x: ReportId) -> ReportId {
        let mut r = x;
        while p[&r] != r {
            r = p[&r];
        }
        let mut c = x;
        while p[&c] != r {
            let n = p[&c];
            p.insert(c, r);
            c = n;
        }
        r
    }
    for members in by_key.values() {
        for w in members.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            if a != b {
                parent.insert(a, b);
            }
        }
    }
    let mut groups: HashMap<ReportId, Vec<ReportId>> = HashMap::new();
    for id in ids {
        let root = find(&mut parent, id);
        groups.entry(root).or_default().push(id);
    }
    let mut out: Vec<Cluster> = groups
        .into_values()
        .map(|mut members| {
            members.sort_unstable();
            let set: BTreeSet<ReportId> = members.iter().copied().collect();
            let types: BTreeSet<String> = members.iter().map(|m| meta[m].0.clone()).collect();
            let newest = members.iter().map(|m| meta[m].1).max().unwrap_or_default();
            let mut shared: Vec<String> = by_key
                .iter()
                .filter(|(_, v)| v.len() > 1 && v.iter().all(|x| set.contains(x)))
                .map(|(k, _)| k.clone())
                .collect();
            shared.sort();
            Cluster {
                size: members.len(),
                report_ids: members,
                fraud_types: types.into_iter().collect(),
                newest_at: newest,
                shared,
            }
        })
        .collect();
    out.sort_by(|a, b| b.size.cmp(&a.size).then(b.newest_at.cmp(&a.newest_at)));
    Ok(out)
}

/// The figures of the police dashboard.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
#[schema(as = ReportFigures)]
pub struct Figures {
    /// (UTC day start ms, fraud type, reports).
    pub per_day: Vec<(i64, String, i64)>,
    pub reports: i64,
    /// Median minutes from a report to the first police action, over reports acted on.
    pub median_first_action_minutes: Option<f64>,
    pub stop_payments: i64,
    pub acted_before_deadline: i64,
    pub frozen_cents: i64,
}

/// Figures of the reports in scope filed since `since`.
pub async fn figures(db: &Db, scope: &Scope, since: i64) -> DbResult<Figures> {
    let (w, binds) = scope.clause(2);
    let sql = format!(
        "SELECT r.created_at AS created_at, r.fraud_type AS fraud_type, r.first_action_at AS first_action_at, sp.deadline_at AS deadline_at, \
         sp.first_action_at AS sp_first_action_at, sp.frozen_cents AS frozen_cents, sp.id AS stop_payment_id \
         FROM reports r LEFT JOIN stop_payments sp ON sp.report_id = r.id WHERE r.created_at >= $1 AND {w}"
    );
    let q = sqlx::query(&sql).bind(since);
    let rows = bind_all(q, scope, binds).fetch_all(&db.pool).await?;
    let mut f = Figures::default();
    let mut days: HashMap<(i64, String), i64> = HashMap::new();
    let mut waits = Vec::new();
    for r in &rows {
        let at: i64 = r.try_get("created_at")?;
        let t: String = r.try_get("fraud_type")?;
        let first: Option<i64> = r.try_get("first_action_at")?;
        f.reports += 1;
        *days.entry((at - at.rem_euclid(86_400_000), t)).or_default() += 1;
        if let Some(fa) = first {
            waits.push((fa - at) as f64 / 60_000.0);
        }
        let sp: Option<i64> = r.try_get("stop_payment_id")?;
        if sp.is_some() {
            f.stop_payments += 1;
            let deadline: Option<i64> = r.try_get("deadline_at")?;
            let acted: Option<i64> = r.try_get("sp_first_action_at")?;
            if let (Some(d), Some(a)) = (deadline, acted) {
                if a <= d {
                    f.acted_before_deadline += 1;
                }
            }
            f.frozen_cents += r.try_get::<Option<i64>, _>(5)?.unwrap_or(0);
        }
    }
    waits.sort_by(|a, b| a.total_cmp(b));
    if !waits.is_empty() {
        let n = waits.len();
        f.median_first_action_minutes = Some(if n % 2 == 1 {
            waits[n / 2]
        } else {
            (waits[n / 2 - 1] + waits[n / 2]) / 2.0
        });
    }
    let mut per_day: Vec<(i64, String, i64)> =
        days.into_iter().map(|((d, t), n)| (d, t, n)).collect();
    per_day.sort();
    f.per_day = per_day;
    Ok(f)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Evidence {
    pub id: i64,
    pub report_id: ReportId,
    pub media_type: String,
    pub file_name: String,
    pub bytes: i64,
    pub sha256: String,
    pub created_at: i64,
}

pub async fn evidence_of(db: &Db, report_id: ReportId) -> DbResult<Vec<Evidence>> {
    let rows = sqlx::query(
        "SELECT id, report_id, media_type, file_name, bytes, sha256, created_at FROM report_evidence WHERE report_id = $1 ORDER BY id",
    )
    .bind(report_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Evidence {
                id: r.try_get("id")?,
                report_id: r.try_get("report_id")?,
                media_type: r.try_get("media_type")?,
                file_name: r.try_get("file_name")?,
                bytes: r.try_get("bytes")?,
                sha256: r.try_get("sha256")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Money frozen by the stop-payment requests of reports under `path`: per request, the amount
/// frozen now and when it was first frozen, for requests first frozen in `[from, to)` (police
/// KPIs are derived from these).
pub async fn frozen_under(db: &Db, path: &str, from: i64, to: i64) -> DbResult<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT MIN(a.created_at) AS first_frozen_at, sp.frozen_cents FROM stop_payments sp \
         JOIN stop_payment_actions a ON a.stop_payment_id = sp.id AND a.action = 'frozen' \
         JOIN reports r ON r.id = sp.report_id \
         WHERE r.unit_path LIKE $1 AND sp.frozen_cents > 0 \
         GROUP BY sp.id, sp.frozen_cents HAVING MIN(a.created_at) >= $2 AND MIN(a.created_at) < $3",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    crate::db::named(&rows, ["first_frozen_at", "frozen_cents"])
}

/// The amount frozen by the stop-payment request of report `report_id` (0 when none).
pub async fn frozen_of_report(db: &Db, report_id: ReportId) -> DbResult<i64> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT frozen_cents FROM stop_payments WHERE report_id = $1")
            .bind(report_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(v.unwrap_or(0))
}

/// Reports of `fraud_type` filed since `since` (ms) per student under `unit_path`, except those
/// merged into another or judged `not_fraud` (a student's own signals, for the campaigns'
/// exposure score).
pub async fn filed_by_student(
    db: &Db,
    unit_path: &str,
    fraud_type: &str,
    since: i64,
) -> DbResult<std::collections::HashMap<StudentId, i64>> {
    let rows = sqlx::query(&format!(
        "SELECT r.student_id AS student_id, COUNT(*) AS n FROM reports r {} \
         WHERE u.path LIKE $1 || '%' AND r.fraud_type = $2 \
         AND r.status NOT IN ('merged', 'not_fraud') AND r.created_at >= $3 GROUP BY r.student_id",
        sql::join_student_in_class("s", "u", "r.student_id")
    ))
    .bind(unit_path)
    .bind(fraud_type)
    .bind(since)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("student_id")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Reports filed in `[from, to)` per school under `prefix` (a `LIKE` pattern).
pub async fn count_by_school(
    db: &Db,
    prefix: &str,
    from: i64,
    to: i64,
) -> DbResult<Vec<(UnitId, i64)>> {
    let rows = sqlx::query(
        "SELECT school_id, COUNT(*) AS n FROM reports WHERE unit_path LIKE $1 AND created_at >= $2 AND created_at < $3 \
         AND school_id IS NOT NULL GROUP BY school_id",
    )
    .bind(prefix)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    crate::db::named(&rows, ["school_id", "n"])
}

//! SQL of the warnings module. Functions take a connection so the service can run them inside one
//! transaction (routing, escalation and the events they write commit together). This file reads
//! warnings, the people and chains they are routed to, settings, events and lists; the writes of
//! a warning's life are in `lifecycle`, partners' receipts in `receipts`, outside notices in
//! `notify`, the reads of the figures and the appraisal in `appraisal`.

use crate::kernel::ids::{AccountId, StudentId, UnitId, WarningId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::model::*;
use crate::clock::Millis;
use crate::db::DbResult;
use crate::org::model::Duty;

mod appraisal;
pub mod bench;
mod lifecycle;
mod notify;
pub mod reads;
mod receipts;

pub use appraisal::*;
pub use lifecycle::*;
pub use notify::*;
pub use receipts::*;

use crate::org::store::lookups as org_lookups;
pub use crate::org::store::lookups::{
    student_ref, students_by_no, students_by_phone, students_by_phones, StudentRef,
};

pub const W_COLS: &str =
    "w.id, w.source_kind, w.origin, w.issued_by_account_id, w.student_id, w.school_id, \
     w.unit_path, w.phone, w.student_no, w.fraud_type, w.severity, w.status, w.detail, w.level, \
     w.assignee_staff_id, w.routed_at, w.ack_due_at, w.contact_due_at, w.next_deadline_at, \
     w.next_deadline_kind, w.escalations, w.acknowledged_at, w.contacted_at, w.contact_method, \
     w.outcome, w.outcome_at, w.loss_cents, w.protected_cents, w.created_at, w.kind";

/// The columns of [`W_COLS`] without the table alias, for `RETURNING`.
pub fn returning_cols() -> String {
    W_COLS.replace("w.", "")
}

/// The acknowledgement and contact windows a warning was routed with, from its row.
pub(super) fn windows_from(r: &AnyRow) -> Result<Windows, sqlx::Error> {
    Ok(Windows {
        ack_ms: r.try_get("ack_window_ms")?,
        contact_ms: r.try_get("contact_window_ms")?,
    })
}

pub fn warning_from(r: &AnyRow) -> Result<Warning, sqlx::Error> {
    Ok(Warning {
        id: r.try_get("id")?,
        source_kind: r.try_get("source_kind")?,
        origin: r.try_get("origin")?,
        issued_by_account_id: r.try_get("issued_by_account_id")?,
        student_id: r.try_get("student_id")?,
        school_id: r.try_get("school_id")?,
        unit_path: r.try_get("unit_path")?,
        phone: r.try_get("phone")?,
        student_no: r.try_get("student_no")?,
        fraud_type: crate::db::decode(
            &r.try_get::<String, _>("fraud_type")?,
            |s| s.parse().ok(),
            "warnings.fraud_type",
        )?,
        severity: r.try_get("severity")?,
        status: crate::db::decode(
            &r.try_get::<String, _>("status")?,
            Status::parse,
            "warnings.status",
        )?,
        detail: r.try_get("detail")?,
        level: r.try_get("level")?,
        assignee_staff_id: r.try_get("assignee_staff_id")?,
        routed_at: r.try_get("routed_at")?,
        ack_due_at: r.try_get("ack_due_at")?,
        contact_due_at: r.try_get("contact_due_at")?,
        next_deadline_at: r.try_get("next_deadline_at")?,
        next_deadline_kind: r.try_get("next_deadline_kind")?,
        escalations: r.try_get("escalations")?,
        acknowledged_at: r.try_get("acknowledged_at")?,
        contacted_at: r.try_get("contacted_at")?,
        contact_method: r.try_get("contact_method")?,
        outcome: r.try_get("outcome")?,
        outcome_at: r.try_get("outcome_at")?,
        loss_cents: r.try_get("loss_cents")?,
        protected_cents: r.try_get("protected_cents")?,
        created_at: r.try_get("created_at")?,
        kind: crate::db::decode(
            &r.try_get::<String, _>("kind")?,
            WarnKind::parse,
            "warnings.kind",
        )?,
    })
}

pub async fn warning_by_id(c: &mut AnyConnection, id: WarningId) -> DbResult<Option<Warning>> {
    let r = sqlx::query(&format!("SELECT {W_COLS} FROM warnings w WHERE w.id = $1"))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    Ok(r.as_ref().map(warning_from).transpose()?)
}

pub async fn by_idempotency(
    c: &mut AnyConnection,
    account_id: AccountId,
    key: &str,
) -> DbResult<Option<Warning>> {
    let r = sqlx::query(&format!(
        "SELECT {W_COLS} FROM warnings w WHERE w.issued_by_account_id = $1 AND w.idempotency_key = $2"
    ))
    .bind(account_id)
    .bind(key)
    .fetch_optional(&mut *c)
    .await?;
    Ok(r.as_ref().map(warning_from).transpose()?)
}

/// One link of the chain: who, with which duty, at which level.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Link {
    pub level: i64,
    pub staff_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub duty: Duty,
    pub unit_id: UnitId,
}

pub fn duty_level(d: Duty) -> i64 {
    match d {
        Duty::Counselor => LEVEL_COUNSELOR,
        Duty::CollegeLeader => LEVEL_COLLEGE,
        Duty::SchoolLeader | Duty::StationLeader => LEVEL_SCHOOL,
    }
}

/// The responsibility chain of a class, in the order of `org::service::responsible_for_student`
/// (nearest unit first; station leaders left out), in one query so it runs inside a transaction.
pub async fn chain_for_class(c: &mut AnyConnection, class_path: &str) -> DbResult<Vec<Link>> {
    let ids: Vec<UnitId> = class_path
        .split('/')
        .filter_map(|s| s.parse().ok())
        .collect();
    let mut out = Vec::new();
    for m in org_lookups::responsibles_on_units(c, &ids).await? {
        if m.duty == Duty::StationLeader {
            continue;
        }
        out.push(Link {
            level: duty_level(m.duty),
            staff_id: m.staff_id,
            name: m.name,
            phone: m.phone,
            duty: m.duty,
            unit_id: m.unit_id,
        });
    }
    Ok(out)
}

pub use crate::auth::store::lookups::accounts_with_role_on;
pub use crate::org::store::lookups::station_ids_of_school as stations_of_school;

pub async fn settings_of(c: &mut AnyConnection, school_id: UnitId) -> DbResult<Settings> {
    let r = sqlx::query(
        "SELECT high_ack_ms, high_contact_ms, medium_ack_ms, medium_contact_ms, low_ack_ms, low_contact_ms, \
         weight_ack, weight_contact, weight_escalations, weight_victims, weight_campaigns FROM warning_settings WHERE school_id = $1",
    )
    .bind(school_id)
    .fetch_optional(&mut *c)
    .await?;
    let Some(r) = r else {
        return Ok(Settings::default());
    };
    let w = |sev: &str| -> Result<Windows, sqlx::Error> {
        Ok(Windows {
            ack_ms: r.try_get(format!("{sev}_ack_ms").as_str())?,
            contact_ms: r.try_get(format!("{sev}_contact_ms").as_str())?,
        })
    };
    Ok(Settings {
        high: w("high")?,
        medium: w("medium")?,
        low: w("low")?,
        weights: Weights {
            ack: r.try_get("weight_ack")?,
            contact: r.try_get("weight_contact")?,
            escalations: r.try_get("weight_escalations")?,
            victims: r.try_get("weight_victims")?,
            campaigns: r.try_get("weight_campaigns")?,
        },
    })
}

pub async fn save_settings(
    c: &mut AnyConnection,
    school_id: UnitId,
    s: &Settings,
    now: Millis,
    by: AccountId,
) -> DbResult<()> {
    sqlx::query("DELETE FROM warning_settings WHERE school_id = $1")
        .bind(school_id)
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "INSERT INTO warning_settings (school_id, high_ack_ms, high_contact_ms, medium_ack_ms, medium_contact_ms, \
         low_ack_ms, low_contact_ms, weight_ack, weight_contact, weight_escalations, weight_victims, updated_at, updated_by, \
         weight_campaigns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(school_id)
    .bind(s.high.ack_ms)
    .bind(s.high.contact_ms)
    .bind(s.medium.ack_ms)
    .bind(s.medium.contact_ms)
    .bind(s.low.ack_ms)
    .bind(s.low.contact_ms)
    .bind(s.weights.ack)
    .bind(s.weights.contact)
    .bind(s.weights.escalations)
    .bind(s.weights.victims)
    .bind(now)
    .bind(by)
    .bind(s.weights.campaigns)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Writes one event; `dedup` makes a repeated write (a retried escalation) a no-op. True when written.
#[allow(clippy::too_many_arguments)]
pub async fn add_event(
    c: &mut AnyConnection,
    warning_id: WarningId,
    at: Millis,
    kind: &str,
    actor: (Option<AccountId>, &str),
    level: i64,
    staff_id: Option<i64>,
    dedup: Option<&str>,
    detail: serde_json::Value,
) -> DbResult<bool> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO warning_events (warning_id, at, kind, actor_account_id, actor, level, staff_id, dedup, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (warning_id, dedup) DO NOTHING RETURNING id",
    )
    .bind(warning_id)
    .bind(at)
    .bind(kind)
    .bind(actor.0)
    .bind(actor.1)
    .bind(level)
    .bind(staff_id)
    .bind(dedup)
    .bind(detail.to_string())
    .fetch_optional(&mut *c)
    .await?;
    Ok(id.is_some())
}

pub async fn events(c: &mut AnyConnection, warning_id: WarningId) -> DbResult<Vec<WarnEvent>> {
    let rows = sqlx::query(
        "SELECT id, at, kind, actor, actor_account_id, level, staff_id, detail \
         FROM warning_events WHERE warning_id = $1 ORDER BY at, id",
    )
    .bind(warning_id)
    .fetch_all(&mut *c)
    .await?;
    let mut actors = rows
        .iter()
        .map(|r| r.try_get::<Option<AccountId>, _>("actor_account_id"))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect::<Vec<AccountId>>();
    actors.sort_unstable();
    actors.dedup();
    let names = crate::auth::store::lookups::display_names(c, &actors).await?;
    rows.iter()
        .map(|r| {
            let d: String = r.try_get("detail")?;
            let actor_account: Option<AccountId> = r.try_get("actor_account_id")?;
            Ok(WarnEvent {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                kind: r.try_get("kind")?,
                actor: r.try_get("actor")?,
                actor_name: actor_account
                    .and_then(|a| names.get(&a).cloned())
                    .unwrap_or_default(),
                level: r.try_get("level")?,
                staff_id: r.try_get("staff_id")?,
                detail: serde_json::from_str(&d).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Warnings whose next deadline has passed, oldest first: an index range scan on
/// `warnings_deadline`, whatever the number of open warnings.
pub async fn due(c: &mut AnyConnection, now: Millis, limit: i64) -> DbResult<Vec<Warning>> {
    let rows = sqlx::query(&format!(
        "SELECT {W_COLS} FROM warnings w WHERE w.next_deadline_at <= $1 \
         ORDER BY w.next_deadline_at, w.id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows.iter().map(warning_from).collect::<Result<_, _>>()?)
}

/// The warnings about one student, newest first.
pub async fn of_student(
    c: &mut AnyConnection,
    student_id: StudentId,
    limit: i64,
) -> DbResult<Vec<Warning>> {
    let rows = sqlx::query(&format!(
        "SELECT {W_COLS} FROM warnings w WHERE w.student_id = $1 \
         ORDER BY w.created_at DESC, w.id DESC LIMIT $2"
    ))
    .bind(student_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows.iter().map(warning_from).collect::<Result<_, _>>()?)
}

/// Filter of a warning list: under any of these paths, optional status, newest first.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub paths: Vec<String>,
    pub status: Option<Status>,
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    pub limit: i64,
    /// Rows skipped before the first one returned (paging).
    pub offset: i64,
    /// Words to look for (empty: any): the student's name or number, a phone number, or the
    /// warning's number.
    pub search: String,
}

/// ` AND (…)` matching [`ListFilter::search`] with its binds at `$k`…`$k+2`, then the ids of
/// the `students` the words name from `$k+3` on: the words are a student's name or part of it, a
/// student number, a phone number or four or more of its digits, or a warning's number (`12` or
/// `#12`).
fn search_cond(k: usize, students: usize) -> String {
    let named = if students == 0 {
        String::new()
    } else {
        format!(
            " OR w.student_id IN ({})",
            crate::db::params_list(students, k + 3)
        )
    };
    format!(
        " AND (${k} = '' OR w.student_no = ${k} OR CAST(w.id AS TEXT) = ${n} \
         OR (${p} <> '' AND w.phone LIKE ${p}){named})",
        p = k + 1,
        n = k + 2,
    )
}

/// At most this many students named by a search are looked for (the first by id). Their ids are
/// bound one by one, so this stays under SQLite's 32,766 parameters of a statement; a search that
/// names more students (one common surname across a whole province) finds the warnings of the
/// first this many.
pub const SEARCH_STUDENTS: i64 = 20_000;

/// The students whose name contains the words or whose number they are, from the roster (none
/// for empty words).
async fn searched_students(c: &mut AnyConnection, search: &str) -> DbResult<Vec<StudentId>> {
    let s = search.trim();
    if s.is_empty() {
        return Ok(vec![]);
    }
    org_lookups::student_ids_by_name_or_no(c, &format!("%{s}%"), s, SEARCH_STUDENTS).await
}

/// The three binds of [`search_cond`]: the words, a phone pattern (empty under four digits, so a
/// short number does not match every phone), a warning number.
fn search_binds(search: &str) -> [String; 3] {
    let s = search.trim();
    if s.is_empty() {
        return Default::default();
    }
    let digits = s.len() >= 4 && s.bytes().all(|b| b.is_ascii_digit());
    [
        s.to_string(),
        if digits {
            format!("%{s}%")
        } else {
            String::new()
        },
        s.trim_start_matches('#').to_string(),
    ]
}

/// How many warnings the filter keeps (ignoring limit and offset).
pub async fn count(c: &mut AnyConnection, f: &ListFilter) -> DbResult<i64> {
    if f.paths.is_empty() {
        return Ok(0);
    }
    let students = searched_students(c, &f.search).await?;
    let n = f.paths.len();
    let ors = (0..n)
        .map(|i| format!("w.unit_path LIKE ${}", i + 1))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "SELECT COUNT(*) FROM warnings w WHERE ({ors}) AND (${a} = '' OR w.status = ${a}) \
         AND w.created_at >= ${b} AND w.created_at < ${c}{search}",
        a = n + 1,
        b = n + 2,
        c = n + 3,
        search = search_cond(n + 4, students.len()),
    );
    let mut q = sqlx::query_scalar(&sql);
    for p in &f.paths {
        q = q.bind(format!("{p}%"));
    }
    let [text, phone, number] = search_binds(&f.search);
    q = q
        .bind(f.status.map_or("", |s| s.as_str()))
        .bind(f.from.unwrap_or(0))
        .bind(f.to.unwrap_or(i64::MAX))
        .bind(text)
        .bind(phone)
        .bind(number);
    for id in &students {
        q = q.bind(*id);
    }
    Ok(q.fetch_one(&mut *c).await?)
}

pub async fn list(c: &mut AnyConnection, f: &ListFilter) -> DbResult<Vec<Warning>> {
    if f.paths.is_empty() {
        return Ok(vec![]);
    }
    let students = searched_students(c, &f.search).await?;
    let n = f.paths.len();
    let ors = (0..n)
        .map(|i| format!("w.unit_path LIKE ${}", i + 1))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "SELECT {W_COLS} FROM warnings w WHERE ({ors}) AND ($a = '' OR w.status = $a) \
         AND w.created_at >= $b AND w.created_at < $c{search} ORDER BY w.created_at DESC, w.id DESC LIMIT $d OFFSET $e",
        search = search_cond(n + 6, students.len()),
    )
    .replace("$a", &format!("${}", n + 1))
    .replace("$b", &format!("${}", n + 2))
    .replace("$c", &format!("${}", n + 3))
    .replace("$d", &format!("${}", n + 4))
    .replace("$e", &format!("${}", n + 5));
    let mut q = sqlx::query(&sql);
    for p in &f.paths {
        q = q.bind(format!("{p}%"));
    }
    let [text, phone, number] = search_binds(&f.search);
    q = q
        .bind(f.status.map_or("", |s| s.as_str()))
        .bind(f.from.unwrap_or(0))
        .bind(f.to.unwrap_or(i64::MAX))
        .bind(f.limit)
        .bind(f.offset)
        .bind(text)
        .bind(phone)
        .bind(number);
    for id in &students {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&mut *c).await?;
    Ok(rows.iter().map(warning_from).collect::<Result<_, _>>()?)
}

/// What waits for the police of some jurisdictions: warnings under `paths` that reached the police
/// level, and warnings issued by one of `issuers`, in both cases with no outcome yet.
pub async fn police_queue(
    c: &mut AnyConnection,
    paths: &[String],
    issuers: &[AccountId],
    limit: i64,
) -> DbResult<Vec<Warning>> {
    let mut conds: Vec<String> = (0..paths.len())
        .map(|i| format!("(w.unit_path LIKE ${} AND w.level >= $l)", i + 1))
        .collect();
    conds.extend(
        (0..issuers.len()).map(|i| format!("w.issued_by_account_id = ${}", paths.len() + i + 1)),
    );
    if conds.is_empty() {
        return Ok(vec![]);
    }
    let n = paths.len() + issuers.len();
    let sql = format!(
        "SELECT {W_COLS} FROM warnings w WHERE ({}) AND w.status <> 'closed' \
         ORDER BY w.created_at, w.id LIMIT $m",
        conds.join(" OR ")
    )
    .replace("$l", &format!("${}", n + 1))
    .replace("$m", &format!("${}", n + 2));
    let mut q = sqlx::query(&sql);
    for p in paths {
        q = q.bind(format!("{p}%"));
    }
    for a in issuers {
        q = q.bind(*a);
    }
    let rows = q.bind(LEVEL_POLICE).bind(limit).fetch_all(&mut *c).await?;
    Ok(rows.iter().map(warning_from).collect::<Result<_, _>>()?)
}

/// Losses avoided by dissuasion: (outcome time, amount protected) of the warnings under `path`
/// whose outcome "dissuaded" was recorded in `[from, to)` with an amount (police KPIs are derived
/// from these).
pub async fn protected_under(
    db: &crate::db::Db,
    path: &str,
    from: i64,
    to: i64,
) -> DbResult<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT outcome_at, protected_cents FROM warnings WHERE unit_path LIKE $1 \
         AND outcome = 'dissuaded' AND protected_cents > 0 AND outcome_at >= $2 AND outcome_at < $3",
    )
    .bind(format!("{path}%"))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("outcome_at")?, r.try_get("protected_cents")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Warnings of one kind nobody could be matched to and that no school holds, issued in a region
/// containing one of `paths` (a police unit's jurisdiction lies under the partner's region).
pub async fn unidentified_over(
    c: &mut AnyConnection,
    kind: WarnKind,
    paths: &[String],
    limit: i64,
) -> DbResult<Vec<Warning>> {
    unmatched_above(c, Some(kind), paths, limit).await
}

/// Partners' warnings of any kind about nobody on a roster, held at a unit above (or at) one of
/// `paths`: the queue of the police of the partner's region, newest first.
pub async fn partner_unmatched_over(
    c: &mut AnyConnection,
    paths: &[String],
    limit: i64,
) -> DbResult<Vec<Warning>> {
    unmatched_above(c, None, paths, limit).await
}

async fn unmatched_above(
    c: &mut AnyConnection,
    kind: Option<WarnKind>,
    paths: &[String],
    limit: i64,
) -> DbResult<Vec<Warning>> {
    if paths.is_empty() {
        return Ok(vec![]);
    }
    let conds: Vec<String> = (0..paths.len())
        .map(|i| format!("${} LIKE (w.unit_path || '%')", i + 2))
        .collect();
    let sql = format!(
        "SELECT {W_COLS} FROM warnings w WHERE ($1 = '' OR w.kind = $1) AND w.status = 'unidentified' \
         AND w.school_id IS NULL AND w.student_id IS NULL AND w.source_kind = 'partner' AND ({}) \
         ORDER BY w.created_at DESC, w.id DESC LIMIT ${}",
        conds.join(" OR "),
        paths.len() + 2
    );
    let mut q = sqlx::query(&sql).bind(kind.map_or("", |k| k.as_str()));
    for p in paths {
        q = q.bind(p);
    }
    let rows = q.bind(limit).fetch_all(&mut *c).await?;
    Ok(rows.iter().map(warning_from).collect::<Result<_, _>>()?)
}

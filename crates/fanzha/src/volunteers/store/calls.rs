//! Calls for works and their submissions: every SQL statement of those parts, rows read by
//! column name. The shared library is in `library.rs`, teams and drafts in `teams.rs`.

use crate::kernel::ids::{AccountId, UnitId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::sync::LazyLock;

use super::{lines, R};
use crate::db::decode;
use crate::org::store::sql;
use crate::volunteers::model::{
    Audience, CallStatus, ValidCall, ValidWork, WorkKind, WorkLicence, WorkStatus,
};

// ---- calls ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerCall)]
pub struct Call {
    pub id: i64,
    pub unit_id: UnitId,
    pub unit_path: String,
    pub unit_name: String,
    pub created_by: AccountId,
    pub title: String,
    pub theme: String,
    pub rules: String,
    pub kinds: Vec<WorkKind>,
    pub fraud_type: String,
    pub audience: Audience,
    pub licence: WorkLicence,
    pub points: i64,
    pub opens_at: i64,
    pub closes_at: i64,
    /// Unit paths the call is addressed to; empty = every student in reach.
    pub targets: Vec<String>,
    pub status: CallStatus,
    /// Works handed in so far.
    pub works: i64,
    pub created_at: i64,
}

impl Call {
    /// Whether a student of this class may see the call and hand in works.
    pub fn offered_to(&self, class_path: &str) -> bool {
        self.targets.is_empty() || self.targets.iter().any(|t| class_path.starts_with(t))
    }
    /// Whether works are taken now.
    pub fn taking(&self, now: i64) -> bool {
        self.status == CallStatus::Open && now >= self.opens_at && now < self.closes_at
    }
}

const CALL_COLS: &str = "k.id, k.unit_id, k.unit_path, u.name AS unit_name, k.created_by, k.title, k.theme, \
    k.rules, k.kinds, k.fraud_type, k.audience, k.licence, k.points, k.opens_at, k.closes_at, k.targets, k.status, \
    k.created_at, (SELECT COUNT(*) FROM vol_works w WHERE w.call_id = k.id) AS works";

fn call_from(r: &AnyRow) -> R<Call> {
    let kinds: String = r.try_get("kinds")?;
    from_row!(r => Call {
        id,
        unit_id,
        unit_path,
        unit_name,
        created_by,
        title,
        theme,
        rules,
        kinds = lines(&kinds)
            .iter()
            .map(|k| decode(k, WorkKind::parse, "kinds"))
            .collect::<R<_>>()?,
        fraud_type,
        audience: Audience,
        licence: WorkLicence,
        points,
        opens_at,
        closes_at,
        targets = lines(&r.try_get::<String, _>("targets")?),
        status: CallStatus,
        works,
        created_at,
    })
}

pub async fn insert_call(
    c: &mut AnyConnection,
    unit_id: UnitId,
    unit_path: &str,
    by: AccountId,
    v: &ValidCall,
    target_paths: &[String],
    now: i64,
) -> R<i64> {
    let kinds: Vec<&str> = v.kinds.iter().map(|k| k.as_str()).collect();
    sqlx::query_scalar(
        "INSERT INTO vol_calls (unit_id, unit_path, created_by, title, theme, rules, kinds, fraud_type, audience, licence, \
         points, opens_at, closes_at, targets, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'open', $15) RETURNING id",
    )
    .bind(unit_id)
    .bind(unit_path)
    .bind(by)
    .bind(&v.title)
    .bind(&v.theme)
    .bind(&v.rules)
    .bind(kinds.join("\n"))
    .bind(&v.fraud_type)
    .bind(v.audience.as_str())
    .bind(v.licence.as_str())
    .bind(v.points)
    .bind(v.opens_at)
    .bind(v.closes_at)
    .bind(target_paths.join("\n"))
    .bind(now)
    .fetch_one(c)
    .await
}

pub async fn call(c: &mut AnyConnection, id: i64) -> R<Option<Call>> {
    let sql = format!(
        "SELECT {CALL_COLS} FROM vol_calls k {} WHERE k.id = $1",
        sql::join_unit("u", "k.unit_id")
    );
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| call_from(&r))
        .transpose()
}

/// The newest calls, at most `limit`.
pub async fn calls(c: &mut AnyConnection, limit: i64) -> R<Vec<Call>> {
    let sql = format!(
        "SELECT {CALL_COLS} FROM vol_calls k {} ORDER BY k.closes_at DESC, k.id DESC LIMIT $1",
        sql::join_unit("u", "k.unit_id")
    );
    sqlx::query(&sql)
        .bind(limit)
        .fetch_all(c)
        .await?
        .iter()
        .map(call_from)
        .collect()
}

pub async fn set_call_status(c: &mut AnyConnection, id: i64, s: CallStatus) -> R<()> {
    sqlx::query("UPDATE vol_calls SET status = $2 WHERE id = $1")
        .bind(id)
        .bind(s.as_str())
        .execute(c)
        .await?;
    Ok(())
}

// ---- works ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerWork)]
pub struct Work {
    pub id: i64,
    pub call_id: i64,
    pub volunteer_id: i64,
    pub account_id: AccountId,
    pub kind: WorkKind,
    pub title: String,
    pub body: String,
    pub video_url: String,
    /// `image/jpeg`, `image/png` or `application/pdf` when a file is attached.
    pub file_type: Option<String>,
    pub status: WorkStatus,
    pub reason: Option<String>,
    pub reviewed_at: Option<i64>,
    /// The contest entry the work became, if its author entered it in a contest.
    pub contest_entry_id: Option<i64>,
    /// The campaign content the accepted work became in the organiser's library.
    pub content_id: Option<i64>,
    pub created_at: i64,
    /// The author as the roster has them (shown to the call's organisers and the author).
    pub author: String,
    pub school: String,
}

const WORK_COLS: &str = "w.id, w.call_id, w.volunteer_id, w.account_id, w.kind, w.title, w.body, w.video_url, \
    w.file_type, w.status, w.reason, w.reviewed_at, w.contest_entry_id, w.content_id, w.created_at, \
    s.name AS author, sch.name AS school";
/// The works `w` with their volunteer `v`, student `s` and school `sch`.
static WORK_FROM: LazyLock<String> = LazyLock::new(|| {
    format!(
        "FROM vol_works w JOIN vol_volunteers v ON v.id = w.volunteer_id {} {}",
        sql::join_student("s", "v.student_id"),
        sql::join_unit("sch", "v.school_id")
    )
});

fn work_from(r: &AnyRow) -> R<Work> {
    from_row!(r => Work {
        id,
        call_id,
        volunteer_id,
        account_id,
        kind: WorkKind,
        title,
        body,
        video_url,
        file_type,
        status: WorkStatus,
        reason,
        reviewed_at,
        contest_entry_id,
        content_id,
        created_at,
        author,
        school,
    })
}

pub async fn insert_work(
    c: &mut AnyConnection,
    call_id: i64,
    volunteer_id: i64,
    account_id: AccountId,
    w: &ValidWork,
    now: i64,
) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO vol_works (call_id, volunteer_id, account_id, kind, title, body, video_url, file_bytes, file_type, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'submitted', $10) RETURNING id",
    )
    .bind(call_id)
    .bind(volunteer_id)
    .bind(account_id)
    .bind(w.kind.as_str())
    .bind(&w.title)
    .bind(&w.body)
    .bind(&w.video_url)
    .bind(w.file.as_ref().map(|f| f.0.clone()))
    .bind(w.file.as_ref().map(|f| f.1))
    .bind(now)
    .fetch_one(c)
    .await
}

pub async fn work(c: &mut AnyConnection, id: i64) -> R<Option<Work>> {
    let sql = format!("SELECT {WORK_COLS} {} WHERE w.id = $1", *WORK_FROM);
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| work_from(&r))
        .transpose()
}

pub async fn works_of_call(c: &mut AnyConnection, call_id: i64) -> R<Vec<Work>> {
    let sql = format!(
        "SELECT {WORK_COLS} {} WHERE w.call_id = $1 ORDER BY w.id",
        *WORK_FROM
    );
    sqlx::query(&sql)
        .bind(call_id)
        .fetch_all(c)
        .await?
        .iter()
        .map(work_from)
        .collect()
}

pub async fn works_of_volunteer(c: &mut AnyConnection, volunteer_id: i64) -> R<Vec<Work>> {
    let sql = format!(
        "SELECT {WORK_COLS} {} WHERE w.volunteer_id = $1 ORDER BY w.id DESC",
        *WORK_FROM
    );
    sqlx::query(&sql)
        .bind(volunteer_id)
        .fetch_all(c)
        .await?
        .iter()
        .map(work_from)
        .collect()
}

/// Works a volunteer handed in to a call.
pub async fn works_count(c: &mut AnyConnection, call_id: i64, volunteer_id: i64) -> R<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM vol_works WHERE call_id = $1 AND volunteer_id = $2")
        .bind(call_id)
        .bind(volunteer_id)
        .fetch_one(c)
        .await
}

pub async fn work_file(c: &mut AnyConnection, id: i64) -> R<Option<(Vec<u8>, String)>> {
    super::stored_file(c, "vol_works", id).await
}

/// Moves a work from one of `from` to `to`; false when it was in none of them.
pub async fn decide_work(
    c: &mut AnyConnection,
    id: i64,
    from: &[WorkStatus],
    to: WorkStatus,
    reason: Option<&str>,
    by: AccountId,
    now: i64,
) -> R<bool> {
    let list: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let sql = format!(
        "UPDATE vol_works SET status = $2, reason = $3, reviewed_by = $4, reviewed_at = $5 WHERE id = $1 AND status IN ({})",
        list.join(", ")
    );
    Ok(sqlx::query(&sql)
        .bind(id)
        .bind(to.as_str())
        .bind(reason)
        .bind(by)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()
        == 1)
}

pub async fn set_work_content(c: &mut AnyConnection, id: i64, content_id: i64) -> R<()> {
    sqlx::query("UPDATE vol_works SET content_id = $2 WHERE id = $1")
        .bind(id)
        .bind(content_id)
        .execute(c)
        .await?;
    Ok(())
}

/// Records the contest entry a work became, once; false when it already had one.
pub async fn set_work_entry(c: &mut AnyConnection, id: i64, entry_id: i64) -> R<bool> {
    Ok(sqlx::query(
        "UPDATE vol_works SET contest_entry_id = $2 WHERE id = $1 AND contest_entry_id IS NULL",
    )
    .bind(id)
    .bind(entry_id)
    .execute(c)
    .await?
    .rows_affected()
        == 1)
}

//! Calls for works, their submissions, the shared library and its reuses, and teams: every SQL
//! statement of those parts, rows read by column name.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::R;
use crate::db::decode;
use crate::volunteers::model::{
    Audience, CallStatus, ValidCall, ValidWork, WorkKind, WorkLicence, WorkStatus,
};

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

// ---- calls ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerCall)]
pub struct Call {
    pub id: i64,
    pub unit_id: i64,
    pub unit_path: String,
    pub unit_name: String,
    pub created_by: i64,
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

fn call_row(r: &AnyRow) -> R<Call> {
    let kinds: String = r.try_get("kinds")?;
    Ok(Call {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        unit_name: r.try_get("unit_name")?,
        created_by: r.try_get("created_by")?,
        title: r.try_get("title")?,
        theme: r.try_get("theme")?,
        rules: r.try_get("rules")?,
        kinds: lines(&kinds)
            .iter()
            .map(|k| decode(k, WorkKind::parse, "kinds"))
            .collect::<R<_>>()?,
        fraud_type: r.try_get("fraud_type")?,
        audience: decode(
            &r.try_get::<String, _>("audience")?,
            Audience::parse,
            "audience",
        )?,
        licence: decode(
            &r.try_get::<String, _>("licence")?,
            WorkLicence::parse,
            "licence",
        )?,
        points: r.try_get("points")?,
        opens_at: r.try_get("opens_at")?,
        closes_at: r.try_get("closes_at")?,
        targets: lines(&r.try_get::<String, _>("targets")?),
        status: decode(
            &r.try_get::<String, _>("status")?,
            CallStatus::parse,
            "status",
        )?,
        works: r.try_get("works")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn insert_call(
    c: &mut AnyConnection,
    unit_id: i64,
    unit_path: &str,
    by: i64,
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
        "SELECT {CALL_COLS} FROM vol_calls k JOIN units u ON u.id = k.unit_id WHERE k.id = $1"
    );
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| call_row(&r))
        .transpose()
}

/// The newest calls, at most `limit`.
pub async fn calls(c: &mut AnyConnection, limit: i64) -> R<Vec<Call>> {
    let sql = format!(
        "SELECT {CALL_COLS} FROM vol_calls k JOIN units u ON u.id = k.unit_id ORDER BY k.closes_at DESC, k.id DESC LIMIT $1"
    );
    sqlx::query(&sql)
        .bind(limit)
        .fetch_all(c)
        .await?
        .iter()
        .map(call_row)
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
    pub account_id: i64,
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
const WORK_FROM: &str = "FROM vol_works w JOIN vol_volunteers v ON v.id = w.volunteer_id \
    JOIN students s ON s.id = v.student_id JOIN units sch ON sch.id = v.school_id";

fn work_row(r: &AnyRow) -> R<Work> {
    Ok(Work {
        id: r.try_get("id")?,
        call_id: r.try_get("call_id")?,
        volunteer_id: r.try_get("volunteer_id")?,
        account_id: r.try_get("account_id")?,
        kind: decode(&r.try_get::<String, _>("kind")?, WorkKind::parse, "kind")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        video_url: r.try_get("video_url")?,
        file_type: r.try_get("file_type")?,
        status: decode(
            &r.try_get::<String, _>("status")?,
            WorkStatus::parse,
            "status",
        )?,
        reason: r.try_get("reason")?,
        reviewed_at: r.try_get("reviewed_at")?,
        contest_entry_id: r.try_get("contest_entry_id")?,
        content_id: r.try_get("content_id")?,
        created_at: r.try_get("created_at")?,
        author: r.try_get("author")?,
        school: r.try_get("school")?,
    })
}

pub async fn insert_work(
    c: &mut AnyConnection,
    call_id: i64,
    volunteer_id: i64,
    account_id: i64,
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
    let sql = format!("SELECT {WORK_COLS} {WORK_FROM} WHERE w.id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| work_row(&r))
        .transpose()
}

pub async fn works_of_call(c: &mut AnyConnection, call_id: i64) -> R<Vec<Work>> {
    let sql = format!("SELECT {WORK_COLS} {WORK_FROM} WHERE w.call_id = $1 ORDER BY w.id");
    sqlx::query(&sql)
        .bind(call_id)
        .fetch_all(c)
        .await?
        .iter()
        .map(work_row)
        .collect()
}

pub async fn works_of_volunteer(c: &mut AnyConnection, volunteer_id: i64) -> R<Vec<Work>> {
    let sql =
        format!("SELECT {WORK_COLS} {WORK_FROM} WHERE w.volunteer_id = $1 ORDER BY w.id DESC");
    sqlx::query(&sql)
        .bind(volunteer_id)
        .fetch_all(c)
        .await?
        .iter()
        .map(work_row)
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
    let r = sqlx::query(
        "SELECT file_bytes, file_type FROM vol_works WHERE id = $1 AND file_bytes IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(c)
    .await?;
    Ok(match r {
        Some(r) => Some((r.try_get("file_bytes")?, r.try_get("file_type")?)),
        None => None,
    })
}

/// Moves a work from one of `from` to `to`; false when it was in none of them.
pub async fn decide_work(
    c: &mut AnyConnection,
    id: i64,
    from: &[WorkStatus],
    to: WorkStatus,
    reason: Option<&str>,
    by: i64,
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

// ---- the shared library ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LibraryItem)]
pub struct Item {
    pub id: i64,
    /// Where it came from: `work:W` or `contest:C:entry:E`.
    pub source: String,
    pub unit_id: i64,
    pub unit_path: String,
    pub unit_name: String,
    pub kind: WorkKind,
    pub title: String,
    pub body: String,
    pub video_url: String,
    pub file_type: Option<String>,
    /// The credit line: the author (or team) as they agreed to be named.
    pub author: String,
    pub school: String,
    pub licence: WorkLicence,
    pub fraud_type: String,
    pub audience: Audience,
    /// Units that reused it.
    pub uses: i64,
    pub created_at: i64,
}

const ITEM_COLS: &str = "i.id, i.source, i.unit_id, i.unit_path, u.name AS unit_name, i.kind, i.title, i.body, \
    i.video_url, i.file_type, i.author, i.school, i.licence, i.fraud_type, i.audience, i.uses, i.created_at";

fn item_row(r: &AnyRow) -> R<Item> {
    Ok(Item {
        id: r.try_get("id")?,
        source: r.try_get("source")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        unit_name: r.try_get("unit_name")?,
        kind: decode(&r.try_get::<String, _>("kind")?, WorkKind::parse, "kind")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        video_url: r.try_get("video_url")?,
        file_type: r.try_get("file_type")?,
        author: r.try_get("author")?,
        school: r.try_get("school")?,
        licence: decode(
            &r.try_get::<String, _>("licence")?,
            WorkLicence::parse,
            "licence",
        )?,
        fraud_type: r.try_get("fraud_type")?,
        audience: decode(
            &r.try_get::<String, _>("audience")?,
            Audience::parse,
            "audience",
        )?,
        uses: r.try_get("uses")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A library item to add.
pub struct NewItem<'a> {
    pub source: &'a str,
    pub unit_id: i64,
    pub unit_path: &'a str,
    pub kind: WorkKind,
    pub title: &'a str,
    pub body: &'a str,
    pub video_url: &'a str,
    pub file: Option<(Vec<u8>, String)>,
    pub author: &'a str,
    pub school: &'a str,
    pub licence: WorkLicence,
    pub fraud_type: &'a str,
    pub audience: Audience,
}

/// Adds an item unless one from the same source exists; its id when added.
pub async fn insert_item(c: &mut AnyConnection, i: &NewItem<'_>, now: i64) -> R<Option<i64>> {
    let (bytes, ty) = match &i.file {
        Some((b, t)) => (Some(b.clone()), Some(t.clone())),
        None => (None, None),
    };
    sqlx::query_scalar(
        "INSERT INTO vol_library (source, unit_id, unit_path, kind, title, body, video_url, file_bytes, file_type, author, school, \
         licence, fraud_type, audience, uses, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15) ON CONFLICT (source) DO NOTHING RETURNING id",
    )
    .bind(i.source)
    .bind(i.unit_id)
    .bind(i.unit_path)
    .bind(i.kind.as_str())
    .bind(i.title)
    .bind(i.body)
    .bind(i.video_url)
    .bind(bytes)
    .bind(ty)
    .bind(i.author)
    .bind(i.school)
    .bind(i.licence.as_str())
    .bind(i.fraud_type)
    .bind(i.audience.as_str())
    .bind(now)
    .fetch_optional(c)
    .await
}

pub async fn item(c: &mut AnyConnection, id: i64) -> R<Option<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLS} FROM vol_library i JOIN units u ON u.id = i.unit_id WHERE i.id = $1"
    );
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| item_row(&r))
        .transpose()
}

pub async fn item_by_source(c: &mut AnyConnection, source: &str) -> R<Option<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLS} FROM vol_library i JOIN units u ON u.id = i.unit_id WHERE i.source = $1"
    );
    sqlx::query(&sql)
        .bind(source)
        .fetch_optional(c)
        .await?
        .map(|r| item_row(&r))
        .transpose()
}

/// A search of the library: every filter optional; `text` matches the title or the body.
#[derive(Clone, Debug, Default)]
pub struct ItemFilter {
    pub fraud_type: Option<String>,
    pub kind: Option<WorkKind>,
    pub audience: Option<Audience>,
    pub text: Option<String>,
}

/// Items matching a filter, most reused first.
pub async fn items(c: &mut AnyConnection, f: &ItemFilter, limit: i64) -> R<Vec<Item>> {
    let text = f.text.as_ref().map(|t| {
        format!(
            "%{}%",
            t.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    let sql = format!(
        "SELECT {ITEM_COLS} FROM vol_library i JOIN units u ON u.id = i.unit_id \
         WHERE ($1 = '' OR i.fraud_type = $1) AND ($2 = '' OR i.kind = $2) AND ($3 = '' OR i.audience = $3 OR i.audience = 'everyone') \
         AND ($4 = '' OR i.title LIKE $4 ESCAPE '\\' OR i.body LIKE $4 ESCAPE '\\') \
         ORDER BY i.uses DESC, i.id DESC LIMIT $5"
    );
    sqlx::query(&sql)
        .bind(f.fraud_type.clone().unwrap_or_default())
        .bind(f.kind.map(|k| k.as_str()).unwrap_or_default())
        .bind(f.audience.map(|a| a.as_str()).unwrap_or_default())
        .bind(text.unwrap_or_default())
        .bind(limit)
        .fetch_all(c)
        .await?
        .iter()
        .map(item_row)
        .collect()
}

pub async fn item_file(c: &mut AnyConnection, id: i64) -> R<Option<(Vec<u8>, String)>> {
    let r = sqlx::query(
        "SELECT file_bytes, file_type FROM vol_library WHERE id = $1 AND file_bytes IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(c)
    .await?;
    Ok(match r {
        Some(r) => Some((r.try_get("file_bytes")?, r.try_get("file_type")?)),
        None => None,
    })
}

/// The campaign content a unit made from an item, if it reused it.
pub async fn use_of(c: &mut AnyConnection, item_id: i64, unit_id: i64) -> R<Option<i64>> {
    sqlx::query_scalar(
        "SELECT content_id FROM vol_library_uses WHERE item_id = $1 AND unit_id = $2",
    )
    .bind(item_id)
    .bind(unit_id)
    .fetch_optional(c)
    .await
}

/// Records a unit's reuse and counts it, once per unit; false when the unit had reused it.
pub async fn insert_use(
    c: &mut AnyConnection,
    item_id: i64,
    unit_id: i64,
    unit_path: &str,
    account_id: i64,
    content_id: i64,
    now: i64,
) -> R<bool> {
    let added = sqlx::query(
        "INSERT INTO vol_library_uses (item_id, unit_id, unit_path, account_id, content_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (item_id, unit_id) DO NOTHING",
    )
    .bind(item_id)
    .bind(unit_id)
    .bind(unit_path)
    .bind(account_id)
    .bind(content_id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
        == 1;
    if added {
        sqlx::query("UPDATE vol_library SET uses = uses + 1 WHERE id = $1")
            .bind(item_id)
            .execute(c)
            .await?;
    }
    Ok(added)
}

/// The number of reuse rows of an item (what `uses` must equal).
pub async fn uses_counted(c: &mut AnyConnection, item_id: i64) -> R<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM vol_library_uses WHERE item_id = $1")
        .bind(item_id)
        .fetch_one(c)
        .await
}

// ---- teams ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = VolunteerTeam)]
pub struct Team {
    pub id: i64,
    pub school_id: i64,
    pub school_path: String,
    pub school_name: String,
    pub name: String,
    pub members: i64,
    pub created_at: i64,
}

const TEAM_COLS: &str =
    "t.id, t.school_id, t.school_path, u.name AS school_name, t.name, t.created_at, \
    (SELECT COUNT(*) FROM vol_team_members m WHERE m.team_id = t.id) AS members";

fn team_row(r: &AnyRow) -> R<Team> {
    Ok(Team {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        school_path: r.try_get("school_path")?,
        school_name: r.try_get("school_name")?,
        name: r.try_get("name")?,
        members: r.try_get("members")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn insert_team(
    c: &mut AnyConnection,
    school_id: i64,
    school_path: &str,
    name: &str,
    by: i64,
    now: i64,
) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO vol_teams (school_id, school_path, name, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(school_id)
    .bind(school_path)
    .bind(name)
    .bind(by)
    .bind(now)
    .fetch_one(c)
    .await
}

pub async fn team(c: &mut AnyConnection, id: i64) -> R<Option<Team>> {
    let sql = format!(
        "SELECT {TEAM_COLS} FROM vol_teams t JOIN units u ON u.id = t.school_id WHERE t.id = $1"
    );
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| team_row(&r))
        .transpose()
}

/// Teams of schools under any of `paths` (or containing one of them).
pub async fn teams_under(c: &mut AnyConnection, paths: &[String]) -> R<Vec<Team>> {
    let mut out: Vec<Team> = Vec::new();
    for p in paths {
        let sql = format!(
            "SELECT {TEAM_COLS} FROM vol_teams t JOIN units u ON u.id = t.school_id \
             WHERE t.school_path LIKE $1 OR $2 LIKE t.school_path || '%' ORDER BY t.school_path, t.name"
        );
        for r in sqlx::query(&sql)
            .bind(format!("{p}%"))
            .bind(p)
            .fetch_all(&mut *c)
            .await?
        {
            let t = team_row(&r)?;
            if !out.iter().any(|x| x.id == t.id) {
                out.push(t);
            }
        }
    }
    Ok(out)
}

/// Puts a volunteer in a team (leaving any other).
pub async fn join_team(c: &mut AnyConnection, volunteer_id: i64, team_id: i64, now: i64) -> R<()> {
    sqlx::query(
        "INSERT INTO vol_team_members (volunteer_id, team_id, joined_at) VALUES ($1, $2, $3) \
         ON CONFLICT (volunteer_id) DO UPDATE SET team_id = $2, joined_at = $3",
    )
    .bind(volunteer_id)
    .bind(team_id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn leave_team(c: &mut AnyConnection, volunteer_id: i64) -> R<bool> {
    Ok(
        sqlx::query("DELETE FROM vol_team_members WHERE volunteer_id = $1")
            .bind(volunteer_id)
            .execute(c)
            .await?
            .rows_affected()
            == 1,
    )
}

/// The team of a volunteer.
pub async fn team_of(c: &mut AnyConnection, volunteer_id: i64) -> R<Option<Team>> {
    let sql = format!(
        "SELECT {TEAM_COLS} FROM vol_teams t JOIN units u ON u.id = t.school_id \
         JOIN vol_team_members m ON m.team_id = t.id WHERE m.volunteer_id = $1"
    );
    sqlx::query(&sql)
        .bind(volunteer_id)
        .fetch_optional(c)
        .await?
        .map(|r| team_row(&r))
        .transpose()
}

/// (volunteer id, team name) of every volunteer in a team among `ids`' schools — for lists.
pub async fn team_names(c: &mut AnyConnection, volunteer_ids: &[i64]) -> R<Vec<(i64, String)>> {
    if volunteer_ids.is_empty() {
        return Ok(vec![]);
    }
    let list: Vec<String> = volunteer_ids.iter().map(|i| i.to_string()).collect();
    let sql = format!(
        "SELECT m.volunteer_id, t.name FROM vol_team_members m JOIN vol_teams t ON t.id = m.team_id WHERE m.volunteer_id IN ({})",
        list.join(", ")
    );
    sqlx::query(&sql)
        .fetch_all(c)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("volunteer_id")?, r.try_get("name")?)))
        .collect()
}

// ---- drafts made from works ----

/// What a draft reservation found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draft {
    /// This caller reserved the source and makes the draft.
    Reserved,
    /// The draft exists.
    Made(i64),
    /// Another request reserved it at this time and has not finished.
    Pending(i64),
}

/// Reserves the draft of `source`, or says who holds it. A reservation older than `stale_before`
/// without a draft (its request died) is taken over.
pub async fn reserve_draft(
    c: &mut AnyConnection,
    source: &str,
    now: i64,
    stale_before: i64,
) -> R<Draft> {
    let n = sqlx::query(
        "INSERT INTO vol_drafts (source, content_id, reserved_at) VALUES ($1, NULL, $2) ON CONFLICT (source) DO NOTHING",
    )
    .bind(source)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 1 {
        return Ok(Draft::Reserved);
    }
    let n = sqlx::query(
        "UPDATE vol_drafts SET reserved_at = $2 WHERE source = $1 AND content_id IS NULL AND reserved_at < $3",
    )
    .bind(source)
    .bind(now)
    .bind(stale_before)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 1 {
        return Ok(Draft::Reserved);
    }
    match sqlx::query("SELECT content_id, reserved_at FROM vol_drafts WHERE source = $1")
        .bind(source)
        .fetch_optional(c)
        .await?
    {
        Some(r) => Ok(match r.try_get::<Option<i64>, _>("content_id")? {
            Some(id) => Draft::Made(id),
            None => Draft::Pending(r.try_get("reserved_at")?),
        }),
        // Released between the two statements: the caller tries again.
        None => Ok(Draft::Pending(now)),
    }
}

pub async fn set_draft(c: &mut AnyConnection, source: &str, content_id: i64) -> R<()> {
    sqlx::query("UPDATE vol_drafts SET content_id = $2 WHERE source = $1")
        .bind(source)
        .bind(content_id)
        .execute(c)
        .await?;
    Ok(())
}

/// Gives up a reservation whose draft could not be made.
pub async fn release_draft(c: &mut AnyConnection, source: &str) -> R<()> {
    sqlx::query("DELETE FROM vol_drafts WHERE source = $1 AND content_id IS NULL")
        .bind(source)
        .execute(c)
        .await?;
    Ok(())
}

//! Every SQL statement of contests: contests and their ballot-log head, entries and media, the
//! ballot log, judges, assignments and scores. Rows are read by column name and decoded into the model's types (an unknown stored value is an error).

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::model::{Category, EntryStatus, Licence, MediaKind, Rules};
use crate::db::{decode, DbResult};

/// A contest as pages and services see it (its vote key is read apart, see [`vote_key`]).
#[derive(Clone, Debug)]
pub struct Contest {
    pub id: i64,
    pub unit_id: UnitId,
    pub unit_path: String,
    pub title: String,
    pub description: String,
    pub rules: Rules,
    pub rules_json: String,
    pub rules_hash: String,
    pub ballot_seq: i64,
    pub last_hash: String,
    pub judges_assigned_at: Option<i64>,
    pub published_at: Option<i64>,
    pub created_by: AccountId,
    pub created_at: i64,
}

const CONTEST_COLS: &str =
    "id, unit_id, unit_path, title, description, rules, rules_hash, ballot_seq, \
    last_hash, judges_assigned_at, published_at, created_by, created_at";

fn contest_row(r: &AnyRow) -> Result<Contest, sqlx::Error> {
    let rules_json: String = r.try_get("rules")?;
    let rules: Rules = serde_json::from_str(&rules_json)
        .map_err(|e| sqlx::Error::Decode(format!("contests.rules: {e}").into()))?;
    Ok(Contest {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        rules,
        rules_json,
        rules_hash: r.try_get("rules_hash")?,
        ballot_seq: r.try_get("ballot_seq")?,
        last_hash: r.try_get("last_hash")?,
        judges_assigned_at: r.try_get("judges_assigned_at")?,
        published_at: r.try_get("published_at")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

pub struct NewContest<'a> {
    pub unit_id: UnitId,
    pub unit_path: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub rules_json: &'a str,
    pub rules_hash: &'a str,
    pub vote_key: &'a str,
    pub created_by: AccountId,
}

pub async fn insert_contest(tx: &mut AnyConnection, c: &NewContest<'_>, now: i64) -> DbResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO contests (unit_id, unit_path, title, description, rules, rules_hash, vote_key, \
         ballot_seq, last_hash, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, '', $8, $9, $9) RETURNING id",
    )
    .bind(c.unit_id)
    .bind(c.unit_path)
    .bind(c.title)
    .bind(c.description)
    .bind(c.rules_json)
    .bind(c.rules_hash)
    .bind(c.vote_key)
    .bind(c.created_by)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    Ok(id)
}

/// Sets the log's head before any ballot (the genesis hash depends on the id).
pub async fn set_head(tx: &mut AnyConnection, id: i64, hash: &str) -> DbResult<()> {
    sqlx::query("UPDATE contests SET last_hash = $2 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A change of a contest's text and rules.
pub struct RulesChange<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub rules_json: &'a str,
    pub rules_hash: &'a str,
    /// The log's genesis hash under the new rules.
    pub genesis: &'a str,
}

/// Changes the rules, only while no ballot is logged (the caller checks the window too).
pub async fn update_rules(
    tx: &mut AnyConnection,
    id: i64,
    c: &RulesChange<'_>,
    now: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE contests SET title = $2, description = $3, rules = $4, rules_hash = $5, last_hash = $6, \
         updated_at = $7 WHERE id = $1 AND ballot_seq = 0",
    )
    .bind(id)
    .bind(c.title)
    .bind(c.description)
    .bind(c.rules_json)
    .bind(c.rules_hash)
    .bind(c.genesis)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn contest(conn: &mut AnyConnection, id: i64) -> DbResult<Option<Contest>> {
    let r = sqlx::query(&format!(
        "SELECT {CONTEST_COLS} FROM contests WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.as_ref().map(contest_row).transpose()?)
}

pub async fn contests(conn: &mut AnyConnection) -> DbResult<Vec<Contest>> {
    let rows = sqlx::query(&format!(
        "SELECT {CONTEST_COLS} FROM contests ORDER BY created_at DESC, id DESC"
    ))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(contest_row).collect::<Result<_, _>>()?)
}

/// The secret of the voters' pseudonyms.
pub async fn vote_key(conn: &mut AnyConnection, id: i64) -> DbResult<String> {
    Ok(
        sqlx::query_scalar("SELECT vote_key FROM contests WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

pub async fn set_published(tx: &mut AnyConnection, id: i64, now: i64) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE contests SET published_at = $2, updated_at = $2 WHERE id = $1 AND published_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn set_judges_assigned(tx: &mut AnyConnection, id: i64, now: i64) -> DbResult<()> {
    sqlx::query("UPDATE contests SET judges_assigned_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A team member as stored with the entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    pub student_id: StudentId,
    pub name: String,
    /// The member's class (unit path) when they entered: its counselor does not judge the entry.
    #[serde(default)]
    pub class_path: String,
}

/// A staff member who advised an entry (指导老师): they do not judge it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Advisor {
    pub staff_id: i64,
    /// Their account, when they have one.
    pub account_id: Option<AccountId>,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub id: i64,
    pub contest_id: i64,
    pub category: Category,
    pub title: String,
    pub description: String,
    pub submitter_account_id: AccountId,
    pub school_id: UnitId,
    pub school_path: String,
    pub members: Vec<Member>,
    pub show_names: bool,
    pub media_kind: MediaKind,
    pub video_url: String,
    pub licence: Licence,
    pub status: EntryStatus,
    pub review_note: String,
    pub created_at: i64,
    pub advisors: Vec<Advisor>,
}

const ENTRY_COLS: &str = "id, contest_id, category, title, description, submitter_account_id, school_id, \
    school_path, members, show_names, media_kind, video_url, licence, status, review_note, created_at, \
    advisors";

fn entry_row(r: &AnyRow) -> Result<Entry, sqlx::Error> {
    let members: String = r.try_get("members")?;
    Ok(Entry {
        id: r.try_get("id")?,
        contest_id: r.try_get("contest_id")?,
        category: decode(
            &r.try_get::<String, _>("category")?,
            Category::parse,
            "category",
        )?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        submitter_account_id: r.try_get("submitter_account_id")?,
        school_id: r.try_get("school_id")?,
        school_path: r.try_get("school_path")?,
        members: serde_json::from_str(&members)
            .map_err(|e| sqlx::Error::Decode(format!("contest_entries.members: {e}").into()))?,
        show_names: r.try_get::<i64, _>("show_names")? != 0,
        media_kind: decode(
            &r.try_get::<String, _>("media_kind")?,
            MediaKind::parse,
            "media_kind",
        )?,
        video_url: r.try_get("video_url")?,
        licence: decode(
            &r.try_get::<String, _>("licence")?,
            Licence::parse,
            "licence",
        )?,
        status: decode(
            &r.try_get::<String, _>("status")?,
            EntryStatus::parse,
            "status",
        )?,
        review_note: r.try_get("review_note")?,
        created_at: r.try_get("created_at")?,
        advisors: serde_json::from_str(&r.try_get::<String, _>("advisors")?)
            .map_err(|e| sqlx::Error::Decode(format!("contest_entries.advisors: {e}").into()))?,
    })
}

/// An entry's fields as written (new or revised).
pub struct EntryRow<'a> {
    pub category: Category,
    pub title: &'a str,
    pub description: &'a str,
    pub members: &'a [Member],
    pub show_names: bool,
    pub media_kind: MediaKind,
    pub video_url: &'a str,
    pub licence: Licence,
    pub advisors: &'a [Advisor],
}

pub async fn insert_entry(
    tx: &mut AnyConnection,
    contest_id: i64,
    submitter: AccountId,
    school_id: UnitId,
    school_path: &str,
    e: &EntryRow<'_>,
    now: i64,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO contest_entries (contest_id, category, title, description, submitter_account_id, \
         school_id, school_path, members, show_names, media_kind, video_url, licence, status, review_note, \
         created_at, updated_at, advisors) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'submitted', '', $13, $13, $14) \
         RETURNING id",
    )
    .bind(contest_id)
    .bind(e.category.as_str())
    .bind(e.title)
    .bind(e.description)
    .bind(submitter)
    .bind(school_id)
    .bind(school_path)
    .bind(serde_json::to_string(e.members).unwrap_or_default())
    .bind(i64::from(e.show_names))
    .bind(e.media_kind.as_str())
    .bind(e.video_url)
    .bind(e.licence.as_str())
    .bind(now)
    .bind(serde_json::to_string(e.advisors).unwrap_or_else(|_| "[]".into()))
    .fetch_one(&mut *tx)
    .await?)
}

/// Writes a revision of a returned entry; it goes back to review.
pub async fn revise_entry(
    tx: &mut AnyConnection,
    id: i64,
    e: &EntryRow<'_>,
    now: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE contest_entries SET category = $2, title = $3, description = $4, members = $5, show_names = $6, \
         media_kind = $7, video_url = $8, licence = $9, status = 'submitted', updated_at = $10, advisors = $11 \
         WHERE id = $1 AND status = 'returned'",
    )
    .bind(id)
    .bind(e.category.as_str())
    .bind(e.title)
    .bind(e.description)
    .bind(serde_json::to_string(e.members).unwrap_or_default())
    .bind(i64::from(e.show_names))
    .bind(e.media_kind.as_str())
    .bind(e.video_url)
    .bind(e.licence.as_str())
    .bind(now)
    .bind(serde_json::to_string(e.advisors).unwrap_or_else(|_| "[]".into()))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records a review decision, only from the status the caller saw.
pub async fn set_entry_status(
    tx: &mut AnyConnection,
    id: i64,
    from: EntryStatus,
    to: EntryStatus,
    note: &str,
    now: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE contest_entries SET status = $3, review_note = $4, updated_at = $5 WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(note)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn entry(conn: &mut AnyConnection, contest_id: i64, id: i64) -> DbResult<Option<Entry>> {
    let r = sqlx::query(&format!(
        "SELECT {ENTRY_COLS} FROM contest_entries WHERE id = $1 AND contest_id = $2"
    ))
    .bind(id)
    .bind(contest_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.as_ref().map(entry_row).transpose()?)
}

pub async fn entries(conn: &mut AnyConnection, contest_id: i64) -> DbResult<Vec<Entry>> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLS} FROM contest_entries WHERE contest_id = $1 ORDER BY category, created_at, id"
    ))
    .bind(contest_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(entry_row).collect::<Result<_, _>>()?)
}

pub async fn put_media(
    tx: &mut AnyConnection,
    entry_id: i64,
    content_type: &str,
    bytes: &[u8],
) -> DbResult<()> {
    sqlx::query("DELETE FROM contest_media WHERE entry_id = $1")
        .bind(entry_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO contest_media (entry_id, content_type, bytes) VALUES ($1, $2, $3)")
        .bind(entry_id)
        .bind(content_type)
        .bind(bytes.to_vec())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn media(conn: &mut AnyConnection, entry_id: i64) -> DbResult<Option<(String, Vec<u8>)>> {
    let r = sqlx::query("SELECT content_type, bytes FROM contest_media WHERE entry_id = $1")
        .bind(entry_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match r {
        Some(r) => Some((r.try_get("content_type")?, r.try_get("bytes")?)),
        None => None,
    })
}

mod ballots;
mod demo;
mod judging;

pub use ballots::*;
pub use demo::*;
pub use judging::*;

/// Stores the results computed when they were published (JSON).
pub async fn set_results(tx: &mut AnyConnection, id: i64, json: &str) -> DbResult<()> {
    sqlx::query("UPDATE contests SET results = $2 WHERE id = $1")
        .bind(id)
        .bind(json)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The results stored at publishing, if any.
pub async fn results(conn: &mut AnyConnection, id: i64) -> DbResult<Option<String>> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT results FROM contests WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .flatten(),
    )
}

/// The campaign content a winner was carried into, per entry.
pub async fn pushes(conn: &mut AnyConnection, contest_id: i64) -> DbResult<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT entry_id, content_id FROM contest_pushes WHERE contest_id = $1 AND content_id <> 0 \
         ORDER BY entry_id",
    )
    .bind(contest_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(push_from).collect::<Result<_, _>>()?)
}

/// (entry, content)
fn push_from(r: &AnyRow) -> Result<(i64, i64), sqlx::Error> {
    Ok((r.try_get("entry_id")?, r.try_get("content_id")?))
}

/// A claim older than this whose content was never recorded (the process stopped between the
/// claim and the content) may be taken over.
pub const STALE_PUSH_CLAIM_MS: i64 = 10 * 60_000;

/// Claims the carrying of a winner before its content is made (content 0 until
/// [`set_push_content`]): true for the one caller that may make it, false when it was carried or
/// is being carried. Of organisers pressing at once, one claims; a claim left stale is taken over.
pub async fn claim_push(
    tx: &mut AnyConnection,
    contest_id: i64,
    entry_id: i64,
    by: AccountId,
    now: i64,
) -> DbResult<bool> {
    if insert_push(tx, contest_id, entry_id, 0, by, now).await? {
        return Ok(true);
    }
    let n = sqlx::query(
        "UPDATE contest_pushes SET pushed_by = $3, pushed_at = $4 \
         WHERE contest_id = $1 AND entry_id = $2 AND content_id = 0 AND pushed_at < $5",
    )
    .bind(contest_id)
    .bind(entry_id)
    .bind(by)
    .bind(now)
    .bind(now - STALE_PUSH_CLAIM_MS)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records the content a claimed winner was carried into.
pub async fn set_push_content(
    tx: &mut AnyConnection,
    contest_id: i64,
    entry_id: i64,
    content_id: i64,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE contest_pushes SET content_id = $3 WHERE contest_id = $1 AND entry_id = $2 AND content_id = 0",
    )
    .bind(contest_id)
    .bind(entry_id)
    .bind(content_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Gives a claim up (making the content failed), so the winner can be carried later.
pub async fn release_push(tx: &mut AnyConnection, contest_id: i64, entry_id: i64) -> DbResult<()> {
    sqlx::query(
        "DELETE FROM contest_pushes WHERE contest_id = $1 AND entry_id = $2 AND content_id = 0",
    )
    .bind(contest_id)
    .bind(entry_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records that a winner was carried into content; false when it already was.
pub async fn insert_push(
    tx: &mut AnyConnection,
    contest_id: i64,
    entry_id: i64,
    content_id: i64,
    by: AccountId,
    now: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "INSERT INTO contest_pushes (contest_id, entry_id, content_id, pushed_by, pushed_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (contest_id, entry_id) DO NOTHING",
    )
    .bind(contest_id)
    .bind(entry_id)
    .bind(content_id)
    .bind(by)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

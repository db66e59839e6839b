//! SQL of the indicator store, risk checks, reviews and labelled examples.

use crate::kernel::ids::{AccountId, StudentId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::model::{FraudTypes, Indicator, IndicatorKey, SetBy, Status, Tlp};
use crate::db::{Db, DbResult};

pub mod bench;
pub mod changes;
pub mod quota;
pub mod reads;
pub mod sightings;

const COLS: &str =
    "id, kind, value, status, fraud_types, tlp, sightings, first_seen, last_seen, note, status_by, tlp_by";

fn indicator(r: &AnyRow) -> Result<Indicator, sqlx::Error> {
    let status: String = r.try_get("status")?;
    let types: String = r.try_get("fraud_types")?;
    let tlp: String = r.try_get("tlp")?;
    Ok(Indicator {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        value: r.try_get("value")?,
        status: status.parse().unwrap_or(Status::Reported),
        fraud_types: FraudTypes::parse(&types)
            .unwrap_or_default()
            .ids()
            .into_iter()
            .map(str::to_string)
            .collect(),
        tlp: tlp.parse().unwrap_or(Tlp::Green),
        sightings: r.try_get("sightings")?,
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
        note: r.try_get("note")?,
        status_by: set_by(r, 10)?,
        tlp_by: set_by(r, 11)?,
    })
}

fn set_by(r: &AnyRow, i: usize) -> Result<SetBy, sqlx::Error> {
    let s: String = r.try_get(i)?;
    s.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))
}

pub async fn by_key(c: &mut AnyConnection, key: &IndicatorKey) -> DbResult<Option<Indicator>> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM indicators WHERE kind = $1 AND value = $2"
    ))
    .bind(key.kind().id())
    .bind(key.value())
    .fetch_optional(c)
    .await?;
    Ok(row.as_ref().map(indicator).transpose()?)
}

pub async fn by_id(c: &mut AnyConnection, id: i64) -> DbResult<Option<Indicator>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM indicators WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await?;
    Ok(row.as_ref().map(indicator).transpose()?)
}

pub struct NewIndicator<'a> {
    pub key: &'a IndicatorKey,
    pub status: Status,
    pub types: FraudTypes,
    pub tlp: Tlp,
    pub sightings: i64,
    pub note: &'a str,
}

pub async fn insert(c: &mut AnyConnection, n: &NewIndicator<'_>, now: i64) -> DbResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO indicators (kind, value, status, fraud_types, tlp, sightings, first_seen, last_seen, note, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $7, $7) RETURNING id",
    )
    .bind(n.key.kind().id())
    .bind(n.key.value())
    .bind(n.status.as_str())
    .bind(n.types.to_db())
    .bind(n.tlp.as_str())
    .bind(n.sightings)
    .bind(now)
    .bind(n.note)
    .fetch_one(c)
    .await?;
    Ok(id)
}

/// Inserts a new indicator unless (kind, value) exists (another transaction may have created it
/// since it was looked up: the insert then waits for that one and does nothing). Returns the new
/// id, or None when it existed.
pub async fn insert_if_absent(
    c: &mut AnyConnection,
    n: &NewIndicator<'_>,
    now: i64,
) -> DbResult<Option<i64>> {
    let id = sqlx::query_scalar(
        "INSERT INTO indicators (kind, value, status, fraud_types, tlp, sightings, first_seen, last_seen, note, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $7, $7) ON CONFLICT (kind, value) DO NOTHING RETURNING id",
    )
    .bind(n.key.kind().id())
    .bind(n.key.value())
    .bind(n.status.as_str())
    .bind(n.types.to_db())
    .bind(n.tlp.as_str())
    .bind(n.sightings)
    .bind(now)
    .bind(n.note)
    .fetch_optional(c)
    .await?;
    Ok(id)
}

/// Takes the row's write lock until commit (a no-op write; SQLite's writer already holds the
/// database).
pub async fn lock(c: &mut AnyConnection, id: i64) -> DbResult<()> {
    sqlx::query("UPDATE indicators SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

/// Adds sightings and fraud types to an indicator.
pub async fn bump(
    c: &mut AnyConnection,
    id: i64,
    types: FraudTypes,
    add: i64,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE indicators SET sightings = sightings + $1, fraud_types = $2, last_seen = $3, updated_at = $3 WHERE id = $4",
    )
    .bind(add)
    .bind(types.to_db())
    .bind(now)
    .bind(id)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn update(
    c: &mut AnyConnection,
    id: i64,
    status: Status,
    types: FraudTypes,
    tlp: Tlp,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "UPDATE indicators SET status = $1, fraud_types = $2, tlp = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(status.as_str())
    .bind(types.to_db())
    .bind(tlp.as_str())
    .bind(now)
    .bind(id)
    .execute(c)
    .await?;
    Ok(())
}

/// Records who set the status and/or sharing level (`None`: unchanged).
pub async fn set_by_of(
    c: &mut AnyConnection,
    id: i64,
    status_by: Option<SetBy>,
    tlp_by: Option<SetBy>,
) -> DbResult<()> {
    if let Some(b) = status_by {
        sqlx::query("UPDATE indicators SET status_by = $1 WHERE id = $2")
            .bind(b.as_str())
            .bind(id)
            .execute(&mut *c)
            .await?;
    }
    if let Some(b) = tlp_by {
        sqlx::query("UPDATE indicators SET tlp_by = $1 WHERE id = $2")
            .bind(b.as_str())
            .bind(id)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Counts the feed entry `(source, entry_id)` as a sighting of `id` unless it already was: adds
/// one sighting and returns true the first time only (the primary key decides, so two imports of
/// the same feed at once add one).
pub async fn add_feed_sighting(
    c: &mut AnyConnection,
    source: &str,
    entry_id: &str,
    id: i64,
    now: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "INSERT INTO intel_feed_sightings (source, entry_id, indicator_id, at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (source, entry_id, indicator_id) DO NOTHING",
    )
    .bind(source)
    .bind(entry_id)
    .bind(id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 1 {
        sqlx::query(
            "UPDATE indicators SET sightings = sightings + 1, last_seen = $1, updated_at = $1 WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *c)
        .await?;
    }
    Ok(n == 1)
}

/// A feed's disagreement with a person's decision, for the review queue.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Conflict {
    pub id: i64,
    pub indicator_id: i64,
    pub import_id: i64,
    pub source: String,
    pub entry_id: String,
    /// `status` or `tlp`.
    pub field: String,
    /// The person's value (kept until resolved).
    pub ours: String,
    /// The feed's value.
    pub theirs: String,
    /// Why the feed says so when it withdrew the entry (`revoked`, `expired`, `deleted`), else empty.
    pub reason: String,
    pub status: String,
    pub created_at: i64,
    pub kind: String,
    pub value: String,
}

pub struct NewConflict<'a> {
    pub indicator_id: i64,
    pub import_id: i64,
    pub source: &'a str,
    pub entry_id: &'a str,
    pub field: &'a str,
    pub ours: &'a str,
    pub theirs: &'a str,
    pub reason: &'a str,
}

/// Queues a disagreement unless the same one (indicator, field, feed's value) is already open.
/// Returns whether one was queued.
pub async fn insert_conflict(
    c: &mut AnyConnection,
    n: &NewConflict<'_>,
    now: i64,
) -> DbResult<bool> {
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM intel_conflicts WHERE indicator_id = $1 AND field = $2 AND theirs = $3 AND status = 'open'",
    )
    .bind(n.indicator_id)
    .bind(n.field)
    .bind(n.theirs)
    .fetch_optional(&mut *c)
    .await?;
    if open.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO intel_conflicts (indicator_id, import_id, source, entry_id, field, ours, theirs, reason, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9)",
    )
    .bind(n.indicator_id)
    .bind(n.import_id)
    .bind(n.source)
    .bind(n.entry_id)
    .bind(n.field)
    .bind(n.ours)
    .bind(n.theirs)
    .bind(n.reason)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(true)
}

const CONFLICT_SQL: &str = "SELECT x.id, x.indicator_id, x.import_id, x.source, x.entry_id, x.field, x.ours, x.theirs, x.reason, \
     x.status, x.created_at, i.kind, i.value FROM intel_conflicts x JOIN indicators i ON i.id = x.indicator_id";

fn conflict(r: &AnyRow) -> Result<Conflict, sqlx::Error> {
    Ok(Conflict {
        id: r.try_get("id")?,
        indicator_id: r.try_get("indicator_id")?,
        import_id: r.try_get("import_id")?,
        source: r.try_get("source")?,
        entry_id: r.try_get("entry_id")?,
        field: r.try_get("field")?,
        ours: r.try_get("ours")?,
        theirs: r.try_get("theirs")?,
        reason: r.try_get("reason")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        kind: r.try_get("kind")?,
        value: r.try_get("value")?,
    })
}

/// Open disagreements, oldest first.
pub async fn open_conflicts(db: &Db) -> DbResult<Vec<Conflict>> {
    let rows = sqlx::query(&format!(
        "{CONFLICT_SQL} WHERE x.status = 'open' ORDER BY x.id LIMIT 200"
    ))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(conflict)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn conflict_by_id(c: &mut AnyConnection, id: i64) -> DbResult<Option<Conflict>> {
    let row = sqlx::query(&format!("{CONFLICT_SQL} WHERE x.id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await?;
    Ok(row.as_ref().map(conflict).transpose()?)
}

/// Closes an open disagreement as `kept` or `accepted`; false when it was not open.
pub async fn resolve_conflict(
    c: &mut AnyConnection,
    id: i64,
    status: &str,
    by: AccountId,
    now: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE intel_conflicts SET status = $1, resolved_by = $2, resolved_at = $3 WHERE id = $4 AND status = 'open'",
    )
    .bind(status)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn delete(c: &mut AnyConnection, id: i64) -> DbResult<()> {
    sqlx::query("DELETE FROM indicator_sources WHERE indicator_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM intel_feed_sightings WHERE indicator_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM intel_conflicts WHERE indicator_id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM indicators WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn add_source(c: &mut AnyConnection, id: i64, source: &str, now: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO indicator_sources (indicator_id, source, at) VALUES ($1, $2, $3) ON CONFLICT (indicator_id, source) DO NOTHING",
    )
    .bind(id)
    .bind(source)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

/// Moves the sources and the counted feed entries of `from` to `into` (merging): a feed entry
/// counted for either is not counted again.
pub async fn move_sources(c: &mut AnyConnection, from: i64, into: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO intel_feed_sightings (source, entry_id, indicator_id, at) \
         SELECT source, entry_id, $1, at FROM intel_feed_sightings WHERE indicator_id = $2 \
         ON CONFLICT (source, entry_id, indicator_id) DO NOTHING",
    )
    .bind(into)
    .bind(from)
    .execute(&mut *c)
    .await?;
    let rows = sqlx::query("SELECT source, at FROM indicator_sources WHERE indicator_id = $1")
        .bind(from)
        .fetch_all(&mut *c)
        .await?;
    for r in rows {
        let (s, at): (String, i64) = (r.try_get("source")?, r.try_get("at")?);
        add_source(c, into, &s, at).await?;
    }
    Ok(())
}

pub async fn sources(db: &Db, id: i64) -> DbResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT source, at FROM indicator_sources WHERE indicator_id = $1 ORDER BY at DESC, source LIMIT 200",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("source")?, r.try_get("at")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Records that (kind, value) changed, for every process's index.
pub async fn log_change(c: &mut AnyConnection, key: &IndicatorKey, now: i64) -> DbResult<()> {
    sqlx::query("INSERT INTO indicator_changes (kind, value, at) VALUES ($1, $2, $3)")
        .bind(key.kind().id())
        .bind(key.value())
        .bind(now)
        .execute(&mut *c)
        .await?;
    if c.backend_name() == "PostgreSQL" {
        // Delivered at commit; every process listening refreshes at once.
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(super::CHANNEL)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Filter of the police console.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Filter {
    pub q: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub tlp: Option<String>,
    pub offset: Option<i64>,
}

pub async fn list(db: &Db, f: &Filter, limit: i64) -> DbResult<Vec<Indicator>> {
    let mut sql = format!("SELECT {COLS} FROM indicators WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        binds.push(format!("%{}%", q.replace(['%', '_'], "")));
        sql.push_str(&format!(" AND value LIKE ${}", binds.len()));
    }
    for (col, v) in [("kind", &f.kind), ("status", &f.status), ("tlp", &f.tlp)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            binds.push(v.to_string());
            sql.push_str(&format!(" AND {col} = ${}", binds.len()));
        }
    }
    sql.push_str(&format!(
        " ORDER BY last_seen DESC, id DESC LIMIT ${} OFFSET ${}",
        binds.len() + 1,
        binds.len() + 2
    ));
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q
        .bind(limit)
        .bind(f.offset.unwrap_or(0).max(0))
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(indicator)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Every indicator (export), in a stable order.
pub async fn all(db: &Db) -> DbResult<Vec<Indicator>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM indicators ORDER BY kind, value"
    ))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(indicator)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn new_import(
    c: &mut AnyConnection,
    format: &str,
    entries: i64,
    account_id: Option<AccountId>,
    now: i64,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO intel_imports (format, entries, account_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(format)
    .bind(entries)
    .bind(account_id)
    .bind(now)
    .fetch_one(c)
    .await?)
}

// ---- risk checks ----

/// A stored risk check.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StoredCheck {
    pub id: i64,
    pub account_id: AccountId,
    pub student_id: Option<StudentId>,
    pub input_kind: String,
    pub text: String,
    pub level: String,
    pub fraud_type: String,
    pub result: String,
    pub created_at: i64,
}

const CHECK_COLS: &str =
    "id, account_id, student_id, input_kind, text, level, fraud_type, result, created_at";

fn stored_check(r: &AnyRow) -> Result<StoredCheck, sqlx::Error> {
    Ok(StoredCheck {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        student_id: r.try_get("student_id")?,
        input_kind: r.try_get("input_kind")?,
        text: r.try_get("text")?,
        level: r.try_get("level")?,
        fraud_type: r.try_get("fraud_type")?,
        result: r.try_get("result")?,
        created_at: r.try_get("created_at")?,
    })
}

pub struct NewCheck<'a> {
    pub account_id: AccountId,
    pub student_id: Option<StudentId>,
    pub input_kind: &'a str,
    pub text: &'a str,
    pub text_hash: &'a str,
    pub level: &'a str,
    pub fraud_type: &'a str,
    pub risk_pm: i64,
    pub result: &'a str,
    /// The classifier model that judged it.
    pub model_version: &'a str,
    /// The sender of a pasted SMS.
    pub sender: Option<&'a str>,
}

pub async fn insert_check(c: &mut AnyConnection, n: &NewCheck<'_>, now: i64) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO risk_checks (account_id, student_id, input_kind, text, text_hash, level, fraud_type, risk_pm, result, created_at, model_version, sender) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(n.account_id)
    .bind(n.student_id)
    .bind(n.input_kind)
    .bind(n.text)
    .bind(n.text_hash)
    .bind(n.level)
    .bind(n.fraud_type)
    .bind(n.risk_pm)
    .bind(n.result)
    .bind(now)
    .bind(n.model_version)
    .bind(n.sender)
    .fetch_one(c)
    .await?)
}

pub async fn check_by_id(db: &Db, id: i64) -> DbResult<Option<StoredCheck>> {
    let row = sqlx::query(&format!(
        "SELECT {CHECK_COLS} FROM risk_checks WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(stored_check).transpose()?)
}

/// The risk checks a student made (while signed in as themself), newest first.
pub async fn checks_of_student(
    db: &Db,
    student_id: StudentId,
    limit: i64,
) -> DbResult<Vec<StoredCheck>> {
    let rows = sqlx::query(&format!(
        "SELECT {CHECK_COLS} FROM risk_checks WHERE student_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(student_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(stored_check)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn checks_of(db: &Db, account_id: AccountId, limit: i64) -> DbResult<Vec<StoredCheck>> {
    let rows = sqlx::query(&format!(
        "SELECT {CHECK_COLS} FROM risk_checks WHERE account_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(account_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(stored_check)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

// ---- reviews and labelled examples ----

#[derive(Clone, Debug, serde::Serialize)]
pub struct Review {
    pub id: i64,
    pub check_id: i64,
    pub account_id: AccountId,
    pub claim: String,
    pub comment: String,
    pub status: String,
    pub outcome: String,
    pub created_at: i64,
    pub check_text: String,
    pub check_level: String,
    pub check_fraud_type: String,
    pub check_result: String,
}

pub async fn insert_review(
    c: &mut AnyConnection,
    check_id: i64,
    account_id: AccountId,
    claim: &str,
    comment: &str,
    now: i64,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO intel_reviews (check_id, account_id, claim, comment, status, outcome, created_at) \
         VALUES ($1, $2, $3, $4, 'open', '', $5) RETURNING id",
    )
    .bind(check_id)
    .bind(account_id)
    .bind(claim)
    .bind(comment)
    .bind(now)
    .fetch_one(c)
    .await?)
}

const REVIEW_SQL: &str = "SELECT r.id, r.check_id, r.account_id, r.claim, r.comment, r.status, r.outcome, r.created_at, \
     c.text AS check_text, c.level AS check_level, c.fraud_type AS check_fraud_type, \
     c.result AS check_result FROM intel_reviews r JOIN risk_checks c ON c.id = r.check_id";

fn review(r: &AnyRow) -> Result<Review, sqlx::Error> {
    Ok(Review {
        id: r.try_get("id")?,
        check_id: r.try_get("check_id")?,
        account_id: r.try_get("account_id")?,
        claim: r.try_get("claim")?,
        comment: r.try_get("comment")?,
        status: r.try_get("status")?,
        outcome: r.try_get("outcome")?,
        created_at: r.try_get("created_at")?,
        check_text: r.try_get("check_text")?,
        check_level: r.try_get("check_level")?,
        check_fraud_type: r.try_get("check_fraud_type")?,
        check_result: r.try_get("check_result")?,
    })
}

pub async fn reviews(db: &Db, open_only: bool) -> DbResult<Vec<Review>> {
    let sql = if open_only {
        format!("{REVIEW_SQL} WHERE r.status = 'open' ORDER BY r.id LIMIT 200")
    } else {
        format!("{REVIEW_SQL} ORDER BY r.id DESC LIMIT 200")
    };
    let rows = sqlx::query(&sql).fetch_all(&db.pool).await?;
    rows.iter()
        .map(review)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn review_by_id(c: &mut AnyConnection, id: i64) -> DbResult<Option<Review>> {
    let row = sqlx::query(&format!("{REVIEW_SQL} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await?;
    Ok(row.as_ref().map(review).transpose()?)
}

pub async fn resolve_review(
    c: &mut AnyConnection,
    id: i64,
    status: &str,
    outcome: &str,
    by: AccountId,
    now: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE intel_reviews SET status = $1, outcome = $2, resolved_by = $3, resolved_at = $4 WHERE id = $5 AND status = 'open'",
    )
    .bind(status)
    .bind(outcome)
    .bind(by)
    .bind(now)
    .bind(id)
    .execute(c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn insert_example(
    c: &mut AnyConnection,
    text: &str,
    label: &str,
    review_id: Option<i64>,
    by: AccountId,
    now: i64,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO labelled_examples (text, label, review_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(text)
    .bind(label)
    .bind(review_id)
    .bind(by)
    .bind(now)
    .fetch_one(c)
    .await?)
}

pub async fn examples(db: &Db) -> DbResult<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT text, label FROM labelled_examples ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("text")?, r.try_get("label")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

//! SQL of the content library: drafts, their versions and review steps.

use crate::kernel::ids::AccountId;
use sqlx::Row;

use super::Tx;
use crate::db::{Db, DbResult};

/// The text of one version of a piece of content, as written to the row and its version history.
pub struct ContentText<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub media_url: Option<&'a str>,
    /// Comma-separated fraud type ids.
    pub fraud_types: String,
    pub target_hint: &'a str,
    /// The questions as JSON.
    pub quiz: &'a str,
}

/// Inserts a draft (version 1) owned by `unit_path`; its id.
pub async fn insert_content(
    tx: &mut Tx<'_>,
    unit_path: &str,
    t: &ContentText<'_>,
    author: AccountId,
    now: i64,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO campaign_contents (unit_path, kind, title, body_md, body_html, media_url, fraud_types, target_hint, quiz, status, version, author_account_id, editor_account_id, reviewer_account_id, created_at, updated_at, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', 1, $10, $10, $11, $12, $12, $13) RETURNING id",
    )
    .bind(unit_path)
    .bind(t.kind)
    .bind(t.title)
    .bind(t.body_md)
    .bind(t.body_html)
    .bind(t.media_url)
    .bind(&t.fraud_types)
    .bind(t.target_hint)
    .bind(t.quiz)
    .bind(author)
    .bind(None::<i64>)
    .bind(now)
    .bind(None::<i64>)
    .fetch_one(&mut **tx)
    .await?)
}

/// Keeps version `version` of content `id` in its history.
pub async fn insert_version(
    tx: &mut Tx<'_>,
    id: i64,
    version: i64,
    t: &ContentText<'_>,
    editor: AccountId,
    now: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO campaign_content_versions (content_id, version, title, body_md, media_url, fraud_types, target_hint, quiz, editor_account_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(version)
    .bind(t.title)
    .bind(t.body_md)
    .bind(t.media_url)
    .bind(&t.fraud_types)
    .bind(t.target_hint)
    .bind(t.quiz)
    .bind(editor)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes version `version` over content `id` if it is still at `old_version`, back to draft;
/// the rows changed (0 when someone else edited it meanwhile).
pub async fn update_content(
    tx: &mut Tx<'_>,
    id: i64,
    old_version: i64,
    version: i64,
    t: &ContentText<'_>,
    editor: AccountId,
    now: i64,
) -> DbResult<u64> {
    Ok(sqlx::query(
        "UPDATE campaign_contents SET kind = $1, title = $2, body_md = $3, body_html = $4, media_url = $5, fraud_types = $6, target_hint = $7, quiz = $8, \
         status = 'draft', version = $9, editor_account_id = $10, reviewer_account_id = $11, updated_at = $12 WHERE id = $13 AND version = $14",
    )
    .bind(t.kind)
    .bind(t.title)
    .bind(t.body_md)
    .bind(t.body_html)
    .bind(t.media_url)
    .bind(&t.fraud_types)
    .bind(t.target_hint)
    .bind(t.quiz)
    .bind(version)
    .bind(editor)
    .bind(None::<i64>)
    .bind(now)
    .bind(id)
    .bind(old_version)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Moves content `id` from status `from` to `next` (publishing stamps the time and reviewer);
/// the rows changed (0 when its status moved meanwhile).
pub async fn set_content_status(
    tx: &mut Tx<'_>,
    id: i64,
    from: &str,
    next: &str,
    reviewer: Option<AccountId>,
    now: i64,
) -> DbResult<u64> {
    Ok(sqlx::query(
        "UPDATE campaign_contents SET status = $1, reviewer_account_id = COALESCE($2, reviewer_account_id), updated_at = $3, \
         published_at = CASE WHEN $1 = 'published' THEN $3 ELSE published_at END WHERE id = $4 AND status = $5",
    )
    .bind(next)
    .bind(reviewer)
    .bind(now)
    .bind(id)
    .bind(from)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// The text of an earlier version of a piece of content.
pub struct VersionText {
    pub title: String,
    pub body_md: String,
    pub media_url: Option<String>,
    pub fraud_types: String,
    pub target_hint: String,
    pub quiz: String,
}

/// Version `version` of content `content_id` from its history.
pub async fn version_text(db: &Db, content_id: i64, version: i64) -> DbResult<Option<VersionText>> {
    let Some(r) = sqlx::query(
        "SELECT title, body_md, media_url, fraud_types, target_hint, quiz FROM campaign_content_versions WHERE content_id = $1 AND version = $2",
    )
    .bind(content_id)
    .bind(version)
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(VersionText {
        title: r.try_get("title")?,
        body_md: r.try_get("body_md")?,
        media_url: r.try_get("media_url")?,
        fraud_types: r.try_get("fraud_types")?,
        target_hint: r.try_get("target_hint")?,
        quiz: r.try_get("quiz")?,
    }))
}

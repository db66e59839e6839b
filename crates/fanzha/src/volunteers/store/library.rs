//! The shared library of works and campaign content, and its reuses by other units: every SQL
//! statement of that part, rows read by column name.

use crate::kernel::ids::{AccountId, UnitId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::R;
use crate::org::store::sql;
use crate::volunteers::model::{Audience, WorkKind, WorkLicence};

// ---- the shared library ----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = LibraryItem)]
pub struct Item {
    pub id: i64,
    /// Where it came from: `work:W` or `contest:C:entry:E`.
    pub source: String,
    pub unit_id: UnitId,
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

fn item_from(r: &AnyRow) -> R<Item> {
    from_row!(r => Item {
        id,
        source,
        unit_id,
        unit_path,
        unit_name,
        kind: WorkKind,
        title,
        body,
        video_url,
        file_type,
        author,
        school,
        licence: WorkLicence,
        fraud_type,
        audience: Audience,
        uses,
        created_at,
    })
}

/// A library item to add.
pub struct NewItem<'a> {
    pub source: &'a str,
    pub unit_id: UnitId,
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
        "SELECT {ITEM_COLS} FROM vol_library i {} WHERE i.id = $1",
        sql::join_unit("u", "i.unit_id")
    );
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|r| item_from(&r))
        .transpose()
}

pub async fn item_by_source(c: &mut AnyConnection, source: &str) -> R<Option<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLS} FROM vol_library i {} WHERE i.source = $1",
        sql::join_unit("u", "i.unit_id")
    );
    sqlx::query(&sql)
        .bind(source)
        .fetch_optional(c)
        .await?
        .map(|r| item_from(&r))
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
        "SELECT {ITEM_COLS} FROM vol_library i {} \
         WHERE ($1 = '' OR i.fraud_type = $1) AND ($2 = '' OR i.kind = $2) AND ($3 = '' OR i.audience = $3 OR i.audience = 'everyone') \
         AND ($4 = '' OR i.title LIKE $4 ESCAPE '\\' OR i.body LIKE $4 ESCAPE '\\') \
         ORDER BY i.uses DESC, i.id DESC LIMIT $5",
        sql::join_unit("u", "i.unit_id")
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
        .map(item_from)
        .collect()
}

pub async fn item_file(c: &mut AnyConnection, id: i64) -> R<Option<(Vec<u8>, String)>> {
    super::stored_file(c, "vol_library", id).await
}

/// The campaign content a unit made from an item, if it reused it.
pub async fn use_of(c: &mut AnyConnection, item_id: i64, unit_id: UnitId) -> R<Option<i64>> {
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
    unit_id: UnitId,
    unit_path: &str,
    account_id: AccountId,
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

//! Modules, instructors and lesson attachments.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::AccountId;

pub async fn insert_module(
    tx: &mut Tx<'_>,
    course_id: i64,
    title: &str,
    now: Millis,
) -> DbResult<i64> {
    let pos: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM learning_modules WHERE course_id = $1",
    )
    .bind(course_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO learning_modules (course_id, position, title, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(course_id)
    .bind(pos)
    .bind(title)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn modules_of(db: &Db, course_id: i64) -> DbResult<Vec<Module>> {
    let rows = sqlx::query(
        "SELECT id, course_id, position, title FROM learning_modules WHERE course_id = $1 ORDER BY position",
    )
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Module {
                id: r.try_get("id")?,
                course_id: r.try_get("course_id")?,
                position: r.try_get("position")?,
                title: r.try_get("title")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Puts a lesson in a module of its course (None: outside any module).
pub async fn set_lesson_module(
    tx: &mut Tx<'_>,
    lesson_id: i64,
    module_id: Option<i64>,
) -> DbResult<()> {
    sqlx::query("UPDATE learning_lessons SET module_id = $1 WHERE id = $2")
        .bind(module_id)
        .bind(lesson_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Each lesson's module, for grouping: (lesson id, module id).
pub async fn lesson_modules(db: &Db, course_id: i64) -> DbResult<Vec<(i64, Option<i64>)>> {
    let rows = sqlx::query(
        "SELECT id, module_id FROM learning_lessons WHERE course_id = $1 ORDER BY position",
    )
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?;
    crate::db::named(&rows, ["id", "module_id"])
}

/// Adds an instructor; false when the course already shows them.
pub async fn insert_instructor(
    tx: &mut Tx<'_>,
    course_id: i64,
    i: &NewInstructor,
    now: Millis,
) -> DbResult<bool> {
    let r = sqlx::query(
        "INSERT INTO learning_instructors (course_id, kind, name, affiliation, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (course_id, kind, name) DO NOTHING",
    )
    .bind(course_id)
    .bind(i.kind.as_str())
    .bind(&i.name)
    .bind(&i.affiliation)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn instructors_of(db: &Db, course_id: i64) -> DbResult<Vec<Instructor>> {
    let rows = sqlx::query(
        "SELECT id, course_id, kind, name, affiliation FROM learning_instructors WHERE course_id = $1 ORDER BY id",
    )
    .bind(course_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| -> DbResult<Instructor> {
            let kind: String = r.try_get("kind")?;
            Ok(Instructor {
                id: r.try_get("id")?,
                course_id: r.try_get("course_id")?,
                kind: InstructorKind::parse(&kind).ok_or_else(|| bad("instructor kind"))?,
                name: r.try_get("name")?,
                affiliation: r.try_get("affiliation")?,
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_attachment(
    tx: &mut Tx<'_>,
    lesson_id: i64,
    file_name: &str,
    media_type: &str,
    size: i64,
    sha: &str,
    key: &str,
    by: AccountId,
    now: Millis,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO learning_attachments (lesson_id, file_name, media_type, size_bytes, sha256, storage_key, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(lesson_id)
    .bind(file_name)
    .bind(media_type)
    .bind(size)
    .bind(sha)
    .bind(key)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

const ATTACHMENT_COLS: &str = "id, lesson_id, file_name, media_type, size_bytes, storage_key";

fn attachment_from(r: &AnyRow) -> Result<Attachment, sqlx::Error> {
    Ok(Attachment {
        id: r.try_get("id")?,
        lesson_id: r.try_get("lesson_id")?,
        file_name: r.try_get("file_name")?,
        media_type: r.try_get("media_type")?,
        size_bytes: r.try_get("size_bytes")?,
        storage_key: r.try_get("storage_key")?,
    })
}

pub async fn attachments_of_lesson(db: &Db, lesson_id: i64) -> DbResult<Vec<Attachment>> {
    let rows = sqlx::query(&format!(
        "SELECT {ATTACHMENT_COLS} FROM learning_attachments WHERE lesson_id = $1 ORDER BY id"
    ))
    .bind(lesson_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(attachment_from).collect::<Result<_, _>>()?)
}

pub async fn attachment_by_id(db: &Db, id: i64) -> DbResult<Option<Attachment>> {
    let r = sqlx::query(&format!(
        "SELECT {ATTACHMENT_COLS} FROM learning_attachments WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(attachment_from).transpose()?)
}

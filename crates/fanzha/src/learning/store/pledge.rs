//! Pledge versions and signatures.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{AccountId, StudentId, UnitId};

// ---------- pledge ----------

pub(super) fn pledge_from(r: &AnyRow) -> Result<Pledge, sqlx::Error> {
    Ok(Pledge {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        version: r.try_get("version")?,
        body: r.try_get("body")?,
        body_hash: r.try_get("body_hash")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn current_pledge(c: &mut AnyConnection, school_id: UnitId) -> DbResult<Option<Pledge>> {
    let r = sqlx::query(
        "SELECT id, school_id, version, body, body_hash, created_at FROM learning_pledges \
         WHERE school_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(school_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(r.as_ref().map(pledge_from).transpose()?)
}

pub async fn insert_pledge(
    tx: &mut Tx<'_>,
    school_id: UnitId,
    body: &str,
    by: AccountId,
    now: Millis,
) -> DbResult<Pledge> {
    let version: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(version), 0) + 1 AS BIGINT) FROM learning_pledges WHERE school_id = $1",
    )
    .bind(school_id)
    .fetch_one(&mut **tx)
    .await?;
    let hash = pledge_hash(body);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO learning_pledges (school_id, version, body, body_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(school_id)
    .bind(version)
    .bind(body)
    .bind(&hash)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Pledge {
        id,
        school_id,
        version,
        body: body.to_string(),
        body_hash: hash,
        created_at: now,
    })
}

pub(super) fn signature_from(r: &AnyRow) -> Result<Signature, sqlx::Error> {
    Ok(Signature {
        id: r.try_get("id")?,
        pledge_id: r.try_get("pledge_id")?,
        student_id: r.try_get("student_id")?,
        typed_name: r.try_get("typed_name")?,
        body_hash: r.try_get("body_hash")?,
        signed_at: r.try_get("signed_at")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
    })
}

pub async fn live_signature(
    c: &mut AnyConnection,
    pledge_id: i64,
    student_id: StudentId,
) -> DbResult<Option<Signature>> {
    let r = sqlx::query(
        "SELECT id, pledge_id, student_id, typed_name, body_hash, signed_at, withdrawn_at \
         FROM learning_signatures WHERE pledge_id = $1 AND student_id = $2 AND withdrawn_at IS NULL",
    )
    .bind(pledge_id)
    .bind(student_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(r.as_ref().map(signature_from).transpose()?)
}

/// Inserts a live signature; `None` when the person already has one for this version (the
/// partial unique index decides, also between concurrent requests).
pub async fn insert_signature(
    tx: &mut Tx<'_>,
    pledge: &Pledge,
    student_id: StudentId,
    typed_name: &str,
    now: Millis,
) -> DbResult<Option<i64>> {
    let r = sqlx::query_scalar(
        "INSERT INTO learning_signatures (pledge_id, student_id, typed_name, body_hash, signed_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pledge_id, student_id) WHERE withdrawn_at IS NULL DO NOTHING RETURNING id",
    )
    .bind(pledge.id)
    .bind(student_id)
    .bind(typed_name)
    .bind(&pledge.body_hash)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(r)
}

pub async fn withdraw_signature(
    tx: &mut Tx<'_>,
    pledge_id: i64,
    student_id: StudentId,
    now: Millis,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE learning_signatures SET withdrawn_at = $1 WHERE pledge_id = $2 AND student_id = $3 AND withdrawn_at IS NULL",
    )
    .bind(now)
    .bind(pledge_id)
    .bind(student_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Enrolled students under a path without a live signature of their school's current pledge.
pub async fn unsigned_students(db: &Db, under: &str) -> DbResult<Vec<i64>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT s.id FROM {STUDENTS_IN_CLASSES} \
         WHERE u.path LIKE $1 AND s.status = 'enrolled' AND NOT {SIGNED} ORDER BY s.id"
    ))
    .bind(format!("{under}%"))
    .fetch_all(&db.pool)
    .await?)
}

/// "Student `s` has a live signature of their school's current pledge."
pub(super) const SIGNED: &str = "EXISTS (SELECT 1 FROM learning_signatures g JOIN learning_pledges p ON p.id = g.pledge_id \
     WHERE g.student_id = s.id AND g.withdrawn_at IS NULL AND p.school_id = s.school_id \
     AND p.version = (SELECT MAX(p2.version) FROM learning_pledges p2 WHERE p2.school_id = s.school_id))";

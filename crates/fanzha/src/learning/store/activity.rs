//! Activities, check-ins and the app drive.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{AccountId, StudentId, UnitId};

// ---------- activities ----------

pub(super) const ACTIVITY_COLS: &str =
    "a.id, a.school_id, a.unit_id, u.name AS unit_name, u.path AS unit_path, a.kind, \
     a.title, a.organiser_account_id, a.organiser, a.place, a.starts_at, a.ends_at";

pub(super) fn activity_from(r: &AnyRow) -> Result<Activity, DbError> {
    let kind: String = r.try_get("kind")?;
    Ok(Activity {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        unit_path: r.try_get("unit_path")?,
        kind: ActivityKind::parse(&kind).ok_or_else(|| bad("activity kind"))?,
        title: r.try_get("title")?,
        organiser_account_id: r.try_get("organiser_account_id")?,
        organiser: r.try_get("organiser")?,
        place: r.try_get("place")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_activity(
    tx: &mut Tx<'_>,
    school_id: UnitId,
    unit_id: UnitId,
    a: &NewActivity,
    organiser_account_id: AccountId,
    organiser: &str,
    now: Millis,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO learning_activities (school_id, unit_id, kind, title, organiser_account_id, organiser, \
         place, starts_at, ends_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(school_id)
    .bind(unit_id)
    .bind(a.kind.as_str())
    .bind(&a.title)
    .bind(organiser_account_id)
    .bind(organiser)
    .bind(&a.place)
    .bind(a.starts_at)
    .bind(a.ends_at)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn activity_by_id(db: &Db, id: i64) -> DbResult<Option<Activity>> {
    let r = sqlx::query(&format!(
        "SELECT {ACTIVITY_COLS} FROM learning_activities a {} WHERE a.id = $1",
        sql::join_unit("u", "a.unit_id")
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    r.as_ref().map(activity_from).transpose()
}

/// Activities of units under any of `paths`, newest first.
pub async fn activities_under(db: &Db, paths: &[String]) -> DbResult<Vec<Activity>> {
    let mut out = Vec::new();
    for p in paths {
        let rows = sqlx::query(&format!(
            "SELECT {ACTIVITY_COLS} FROM learning_activities a {} \
             WHERE u.path LIKE $1 ORDER BY a.starts_at DESC LIMIT 200",
            sql::join_unit("u", "a.unit_id")
        ))
        .bind(format!("{p}%"))
        .fetch_all(&db.pool)
        .await?;
        for r in &rows {
            out.push(activity_from(r)?);
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.starts_at));
    Ok(out)
}

/// Activities a student is expected at: those of a unit above their class, from `from` on.
pub async fn activities_for_class(
    db: &Db,
    class_path: &str,
    from: Millis,
) -> DbResult<Vec<Activity>> {
    let rows = sqlx::query(&format!(
        "SELECT {ACTIVITY_COLS} FROM learning_activities a {} \
         WHERE $1 LIKE (u.path || '%') AND a.ends_at >= $2 ORDER BY a.starts_at LIMIT 50",
        sql::join_unit("u", "a.unit_id")
    ))
    .bind(class_path)
    .bind(from)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(activity_from).collect()
}

/// Another student already checked in at this activity from this device?
pub async fn device_used_by_other(
    tx: &mut Tx<'_>,
    activity_id: i64,
    device: &str,
    student_id: StudentId,
) -> DbResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM learning_checkins WHERE activity_id = $1 AND device = $2 AND student_id <> $3",
    )
    .bind(activity_id)
    .bind(device)
    .bind(student_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

/// Records a check-in; `None` when the student had already checked in.
#[allow(clippy::too_many_arguments)]
pub async fn insert_checkin(
    tx: &mut Tx<'_>,
    activity_id: i64,
    student_id: StudentId,
    account_id: AccountId,
    device: &str,
    window: i64,
    shared: bool,
    now: Millis,
) -> DbResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO learning_checkins (activity_id, student_id, account_id, device, code_window, shared_device, checked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (activity_id, student_id) DO NOTHING RETURNING id",
    )
    .bind(activity_id)
    .bind(student_id)
    .bind(account_id)
    .bind(device)
    .bind(window)
    .bind(shared as i64)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?)
}

pub async fn checkins_of(db: &Db, activity_id: i64) -> DbResult<Vec<CheckIn>> {
    let rows = sqlx::query(&format!(
        "SELECT k.id, k.activity_id, k.student_id, s.name, u.name AS class_name, k.checked_at, k.shared_device, k.photo_key \
         FROM learning_checkins k {} \
         WHERE k.activity_id = $1 ORDER BY k.checked_at",
        sql::join_student_in_class("s", "u", "k.student_id")
    ))
    .bind(activity_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CheckIn {
                id: r.try_get("id")?,
                activity_id: r.try_get("activity_id")?,
                student_id: r.try_get("student_id")?,
                student_name: r.try_get("name")?,
                class_name: r.try_get("class_name")?,
                checked_at: r.try_get("checked_at")?,
                shared_device: r.try_get::<i64, _>("shared_device")? != 0,
                has_photo: r.try_get::<Option<String>, _>("photo_key")?.is_some(),
            })
        })
        .collect()
}

pub async fn checked_in(db: &Db, activity_id: i64, student_id: StudentId) -> DbResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM learning_checkins WHERE activity_id = $1 AND student_id = $2",
    )
    .bind(activity_id)
    .bind(student_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

// ---------- app drive ----------

pub async fn app_install(db: &Db, student_id: StudentId) -> DbResult<Option<AppInstall>> {
    let r = sqlx::query(
        "SELECT student_id, declared_at, verified_at, screenshot_key FROM learning_app_installs WHERE student_id = $1",
    )
    .bind(student_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.map(|r| -> Result<AppInstall, sqlx::Error> {
        Ok(AppInstall {
            student_id: r.try_get("student_id")?,
            declared_at: r.try_get("declared_at")?,
            verified_at: r.try_get("verified_at")?,
            has_screenshot: r.try_get::<Option<String>, _>("screenshot_key")?.is_some(),
        })
    })
    .transpose()?)
}

pub async fn declare_install(
    tx: &mut Tx<'_>,
    student_id: StudentId,
    now: Millis,
) -> DbResult<bool> {
    let r: Option<i64> = sqlx::query_scalar(
        "INSERT INTO learning_app_installs (student_id, declared_at) VALUES ($1, $2) \
         ON CONFLICT (student_id) DO NOTHING RETURNING student_id",
    )
    .bind(student_id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(r.is_some())
}

pub async fn verify_install(
    tx: &mut Tx<'_>,
    student_id: StudentId,
    by: AccountId,
    now: Millis,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE learning_app_installs SET verified_at = $1, verified_by = $2 WHERE student_id = $3 AND verified_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(student_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// A student's check-in at an activity: (check-in id, photo key).
pub async fn checkin_of(
    db: &Db,
    activity_id: i64,
    student_id: StudentId,
) -> DbResult<Option<(i64, Option<String>)>> {
    let row = sqlx::query(
        "SELECT id, photo_key FROM learning_checkins WHERE activity_id = $1 AND student_id = $2",
    )
    .bind(activity_id)
    .bind(student_id)
    .fetch_optional(&db.pool)
    .await?;
    crate::db::named_opt(row.as_ref(), ["id", "photo_key"])
}

/// Sets the photo of a check-in that has none yet; false when it already has one.
pub async fn set_checkin_photo(tx: &mut Tx<'_>, id: i64, key: &str, kind: &str) -> DbResult<bool> {
    let r = sqlx::query(
        "UPDATE learning_checkins SET photo_key = $1, photo_type = $2 WHERE id = $3 AND photo_key IS NULL",
    )
    .bind(key)
    .bind(kind)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A check-in's photo: (activity id, student id, key, media type).
pub async fn checkin_photo(db: &Db, id: i64) -> DbResult<Option<(i64, StudentId, String, String)>> {
    let row = sqlx::query(
        "SELECT activity_id, student_id, photo_key, photo_type FROM learning_checkins \
         WHERE id = $1 AND photo_key IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    crate::db::named_opt(
        row.as_ref(),
        ["activity_id", "student_id", "photo_key", "photo_type"],
    )
}

/// Records the install (if not yet) with its screenshot, replacing an earlier one until the
/// install is checked.
pub async fn set_app_screenshot(
    tx: &mut Tx<'_>,
    student_id: StudentId,
    key: &str,
    kind: &str,
    now: Millis,
) -> DbResult<bool> {
    sqlx::query(
        "INSERT INTO learning_app_installs (student_id, declared_at) VALUES ($1, $2) ON CONFLICT (student_id) DO NOTHING",
    )
    .bind(student_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let r = sqlx::query(
        "UPDATE learning_app_installs SET screenshot_key = $1, screenshot_type = $2 \
         WHERE student_id = $3 AND verified_at IS NULL",
    )
    .bind(key)
    .bind(kind)
    .bind(student_id)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A student's app screenshot: (key, media type).
pub async fn app_screenshot(db: &Db, student_id: StudentId) -> DbResult<Option<(String, String)>> {
    let row = sqlx::query(
        "SELECT screenshot_key, screenshot_type FROM learning_app_installs \
         WHERE student_id = $1 AND screenshot_key IS NOT NULL",
    )
    .bind(student_id)
    .fetch_optional(&db.pool)
    .await?;
    crate::db::named_opt(row.as_ref(), ["screenshot_key", "screenshot_type"])
}

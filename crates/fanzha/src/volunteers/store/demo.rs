//! The few reads the demo needs beyond the module's own: whom it seeds for.

use crate::kernel::ids::{StudentId, UnitId};
use sqlx::AnyConnection;

use super::R;

/// The demo officer `police1`: (station id, station path, account id).
pub async fn demo_station(c: &mut AnyConnection) -> R<Option<(UnitId, String, i64)>> {
    sqlx::query_as(
        "SELECT u.id, u.path, a.id FROM units u JOIN role_assignments r ON r.unit_id = u.id \
         JOIN accounts a ON a.id = r.account_id WHERE a.username = 'police1'",
    )
    .fetch_optional(&mut *c)
    .await
}

/// The first school of a station's jurisdiction.
pub async fn demo_first_school(c: &mut AnyConnection, station_id: UnitId) -> R<Option<UnitId>> {
    sqlx::query_scalar("SELECT MIN(school_id) FROM jurisdictions WHERE station_id = $1")
        .bind(station_id)
        .fetch_one(&mut *c)
        .await
}

/// (account id, student id) of the first activated students of a school, `first` (a student
/// number) before the others, at most `n`.
pub async fn demo_students(
    c: &mut AnyConnection,
    school_id: UnitId,
    first: &str,
    n: i64,
) -> R<Vec<(i64, i64)>> {
    sqlx::query_as(
        "SELECT a.id, s.id FROM students s JOIN accounts a ON a.student_id = s.id \
         WHERE s.school_id = $1 AND a.activated_at IS NOT NULL \
         ORDER BY CASE WHEN s.student_no = $2 THEN 0 ELSE 1 END, s.student_no LIMIT $3",
    )
    .bind(school_id)
    .bind(first)
    .bind(n)
    .fetch_all(&mut *c)
    .await
}

/// Another school than `school_id` with its first school admin: (school id, account id, path).
pub async fn demo_other_school_admin(
    c: &mut AnyConnection,
    school_id: UnitId,
) -> R<Option<(UnitId, i64, String)>> {
    sqlx::query_as(
        "SELECT u.id, a.id, u.path FROM units u JOIN role_assignments r ON r.unit_id = u.id \
         JOIN accounts a ON a.id = r.account_id WHERE u.kind = 'school' AND u.id <> $1 AND r.role = 'school_admin' \
         ORDER BY u.id, a.id LIMIT 1",
    )
    .bind(school_id)
    .fetch_optional(&mut *c)
    .await
}

// ---- the benchmark's people and figures (`fanzha bench volunteers`) ----

/// A bare account for the benchmark (no password, never signs in), linked to a student when
/// given; its username is also its display name.
pub async fn bench_account(
    c: &mut AnyConnection,
    username: &str,
    student_id: Option<StudentId>,
) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO accounts (username, display_name, password_hash, student_id, locale, time_zone, failed_logins, disabled, created_at, password_changed_at) \
         VALUES ($1, $1, '', $2, 'zh-CN', 'Asia/Shanghai', 0, 0, 0, 0) RETURNING id",
    )
    .bind(username)
    .bind(student_id)
    .fetch_one(&mut *c)
    .await
}

/// A student of the benchmark's roster.
pub async fn bench_student(
    c: &mut AnyConnection,
    school_id: UnitId,
    class_id: UnitId,
    student_no: &str,
    name: &str,
) -> R<i64> {
    sqlx::query_scalar(
        "INSERT INTO students (school_id, class_id, student_no, name, gender, enrollment_year, major, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, '女', 2024, '法学', '在读', 0, 0) RETURNING id",
    )
    .bind(school_id)
    .bind(class_id)
    .bind(student_no)
    .bind(name)
    .fetch_one(&mut *c)
    .await
}

/// A volunteer registered at time 0 with the inbox as contact.
pub async fn bench_volunteer(
    c: &mut AnyConnection,
    student_id: StudentId,
    account_id: i64,
    school_id: UnitId,
    class_id: UnitId,
    class_path: &str,
) -> R<()> {
    sqlx::query(
        "INSERT INTO vol_volunteers (student_id, account_id, school_id, class_id, class_path, contact, consent_at, balance, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0)",
    )
    .bind(student_id)
    .bind(account_id)
    .bind(school_id)
    .bind(class_id)
    .bind(class_path)
    .bind(crate::volunteers::model::Contact::Inbox.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The places taken of a task.
pub async fn bench_taken(c: &mut AnyConnection, task_id: i64) -> R<i64> {
    sqlx::query_scalar("SELECT taken FROM vol_tasks WHERE id = $1")
        .bind(task_id)
        .fetch_one(&mut *c)
        .await
}

/// Every volunteer's id, in order.
pub async fn bench_volunteer_ids(c: &mut AnyConnection) -> R<Vec<i64>> {
    sqlx::query_scalar("SELECT id FROM vol_volunteers ORDER BY id")
        .fetch_all(&mut *c)
        .await
}

/// Awards written in bulk past the service, noted `bench`: (volunteer, points, cause, at) each.
/// The stored totals are the caller's to rebuild.
pub async fn bench_awards(
    c: &mut AnyConnection,
    backend: crate::db::Backend,
    rows: &[(i64, i64, String, i64)],
) -> R<()> {
    let sql = format!(
        "INSERT INTO vol_ledger (volunteer_id, kind, points, cause, note, created_at) VALUES {}",
        crate::db::values_rows(rows.len(), 6, 1)
    );
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql);
    for (volunteer, points, cause, at) in rows {
        q = q
            .bind(*volunteer)
            .bind("award")
            .bind(*points)
            .bind(cause.as_str())
            .bind("bench")
            .bind(*at);
    }
    q.execute(&mut *c).await?;
    Ok(())
}

//! Rosters of the benchmarks.

use crate::kernel::ids::{StudentId, UnitId};
use sqlx::AnyConnection;

use crate::db::DbResult;

/// A student of a benchmark's roster.
pub async fn bench_student(
    c: &mut AnyConnection,
    school_id: UnitId,
    class_id: UnitId,
    student_no: &str,
    name: &str,
) -> DbResult<StudentId> {
    Ok(sqlx::query_scalar(
        "INSERT INTO students (school_id, class_id, student_no, name, gender, enrollment_year, major, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, '女', 2024, '法学', '在读', 0, 0) RETURNING id",
    )
    .bind(school_id)
    .bind(class_id)
    .bind(student_no)
    .bind(name)
    .fetch_one(&mut *c)
    .await?)
}

//! Reads of the demo seed only (first units, students picked for the demo's stories).

use crate::kernel::ids::{StudentId, UnitId};
use sqlx::AnyConnection;

use crate::db::{Db, DbResult};

/// The first path (in path order) of the units of a kind, if any.
pub async fn first_path_of_kind(tx: &mut AnyConnection, kind: &str) -> DbResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT MIN(path) FROM units WHERE kind = $1")
            .bind(kind)
            .fetch_one(&mut *tx)
            .await?,
    )
}

/// The id of the school with this code.
pub async fn school_id_by_code(tx: &mut AnyConnection, code: &str) -> DbResult<Option<UnitId>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM units WHERE code = $1 AND kind = 'school'")
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// The two newest students with a phone in the classes a staff member is responsible for:
/// (student number, school code).
pub async fn newest_students_with_phone_of_staff(
    db: &Db,
    staff: i64,
) -> DbResult<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT s.student_no, sc.code FROM students s JOIN units c ON c.id = s.class_id \
         JOIN units sc ON sc.id = s.school_id JOIN responsibilities r ON r.unit_id = c.id \
         WHERE r.staff_id = $1 AND s.phone IS NOT NULL ORDER BY s.id DESC LIMIT 2",
    )
    .bind(staff)
    .fetch_all(&db.pool)
    .await?;
    crate::db::named(&rows, ["student_no", "code"])
}

/// The first student of the first school under a station's jurisdiction: (station, student,
/// class, class path, school, major, gender).
pub async fn first_student_under_a_station(
    db: &Db,
) -> DbResult<Option<(UnitId, StudentId, UnitId, String, UnitId, String, String)>> {
    let row = sqlx::query(
        "SELECT j.station_id, s.id, s.class_id, c.path, s.school_id, s.major, s.gender FROM jurisdictions j \
         JOIN students s ON s.school_id = j.school_id JOIN units c ON c.id = s.class_id \
         ORDER BY j.station_id, s.id LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?;
    crate::db::named_opt(
        row.as_ref(),
        [
            "station_id",
            "id",
            "class_id",
            "path",
            "school_id",
            "major",
            "gender",
        ],
    )
}

/// Every other student of a class (even ids), except the one with number `keep`.
pub async fn every_other_student_of_class(
    tx: &mut AnyConnection,
    class_id: UnitId,
    keep: &str,
) -> DbResult<Vec<StudentId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM students WHERE class_id = $1 AND student_no <> $2 AND id % 2 = 0 ORDER BY id",
    )
    .bind(class_id)
    .bind(keep)
    .fetch_all(&mut *tx)
    .await?)
}

/// A staff member of an organisation (the demo writes the whole roster itself).
#[allow(clippy::too_many_arguments)]
pub async fn insert_staff(
    conn: &mut AnyConnection,
    org_id: UnitId,
    unit_id: UnitId,
    no: &str,
    name: &str,
    phone: &str,
    title: &str,
    now: i64,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO staff (org_id, unit_id, staff_no, name, phone, email, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $7) RETURNING id",
    )
    .bind(org_id)
    .bind(unit_id)
    .bind(no)
    .bind(name)
    .bind(phone)
    .bind(title)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// How many units there are (the demo seeds an empty database only).
pub async fn count_units(db: &Db) -> DbResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM units")
        .fetch_one(&db.pool)
        .await?)
}

/// How many students there are.
pub async fn count_students(db: &Db) -> DbResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM students")
        .fetch_one(&db.pool)
        .await?)
}

/// (id, student number) of the students of a school, by id.
pub async fn student_nos_of_school(
    tx: &mut AnyConnection,
    school_id: UnitId,
) -> DbResult<Vec<(StudentId, String)>> {
    let rows = sqlx::query("SELECT id, student_no FROM students WHERE school_id = $1 ORDER BY id")
        .bind(school_id)
        .fetch_all(&mut *tx)
        .await?;
    crate::db::named(&rows, ["id", "student_no"])
}

/// The class of the student with this number.
pub async fn class_of_student_no(tx: &mut AnyConnection, no: &str) -> DbResult<Option<UnitId>> {
    Ok(
        sqlx::query_scalar("SELECT class_id FROM students WHERE student_no = $1")
            .bind(no)
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// The lowest student id, if any student exists.
pub async fn first_student_id(tx: &mut AnyConnection) -> DbResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT MIN(id) FROM students")
        .fetch_one(&mut *tx)
        .await?)
}

/// (id, school, class, enrolment year) of the student with this number.
pub async fn student_placement_by_no(
    db: &Db,
    no: &str,
) -> DbResult<Option<(StudentId, UnitId, UnitId, i64)>> {
    let row = sqlx::query(
        "SELECT id, school_id, class_id, enrollment_year FROM students WHERE student_no = $1",
    )
    .bind(no)
    .fetch_optional(&db.pool)
    .await?;
    crate::db::named_opt(
        row.as_ref(),
        ["id", "school_id", "class_id", "enrollment_year"],
    )
}

/// The path of a unit.
pub async fn unit_path(tx: &mut AnyConnection, id: UnitId) -> DbResult<String> {
    Ok(sqlx::query_scalar("SELECT path FROM units WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?)
}

/// (id, name) of the enrolled students of a class, by id.
pub async fn enrolled_of_class(
    tx: &mut AnyConnection,
    class_id: UnitId,
) -> DbResult<Vec<(StudentId, String)>> {
    let rows = sqlx::query(
        "SELECT id, name FROM students WHERE class_id = $1 AND status = 'enrolled' ORDER BY id",
    )
    .bind(class_id)
    .fetch_all(&mut *tx)
    .await?;
    crate::db::named(&rows, ["id", "name"])
}

/// Phones and numbers of up to `limit` students in the classes a staff member is responsible
/// for, in student order.
pub async fn student_phones_of_staff(
    db: &Db,
    staff_id: i64,
    limit: i64,
) -> DbResult<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT s.phone, s.student_no FROM students s JOIN units c ON c.id = s.class_id \
         JOIN responsibilities r ON r.unit_id = c.id WHERE r.staff_id = $1 AND s.phone IS NOT NULL \
         ORDER BY s.id LIMIT $2",
    )
    .bind(staff_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    crate::db::named(&rows, ["phone", "student_no"])
}

/// The code of the first school, by code.
pub async fn first_school_code(db: &Db) -> DbResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT code FROM units WHERE kind = 'school' ORDER BY code LIMIT 1")
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Every student phone, in student order.
pub async fn student_phones(db: &Db) -> DbResult<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT phone FROM students WHERE phone IS NOT NULL ORDER BY id")
            .fetch_all(&db.pool)
            .await?,
    )
}

/// Inserts demo students, one row of cells per student in the order of the columns below.
pub async fn insert_students(
    tx: &mut AnyConnection,
    backend: crate::db::Backend,
    rows: Vec<Vec<crate::db::Cell>>,
) -> DbResult<()> {
    crate::db::insert_rows(
        tx,
        backend,
        "students",
        &[
            "school_id",
            "class_id",
            "student_no",
            "name",
            "gender",
            "enrollment_year",
            "major",
            "phone",
            "email",
            "status",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await
}

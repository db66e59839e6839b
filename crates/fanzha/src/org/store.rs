//! SQL of the org tree, people and the responsibility chain.

use crate::kernel::ids::{StudentId, UnitId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use super::model::*;
use crate::db::{Db, DbResult};

pub mod bench;
pub mod chain;
pub mod demo;
pub mod lookups;
pub mod people;
pub mod roster;
pub mod sql;

const UNIT_COLS: &str = "id, parent_id, kind, code, name, path, depth";

fn unit_from(r: &AnyRow) -> Result<Unit, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    Ok(Unit {
        id: r.try_get("id")?,
        parent_id: r.try_get("parent_id")?,
        kind: UnitKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unit kind {kind}").into()))?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        path: r.try_get("path")?,
        depth: r.try_get("depth")?,
    })
}

/// Creates a unit under `parent`; its path is the parent's path plus its own id.
pub async fn create_unit(
    conn: &mut sqlx::AnyConnection,
    parent: Option<&Unit>,
    kind: UnitKind,
    code: &UnitCode,
    name: &str,
    now: i64,
) -> DbResult<Unit> {
    let id: UnitId = sqlx::query_scalar(
        "INSERT INTO units (parent_id, kind, code, name, path, depth, created_at) VALUES ($1, $2, $3, $4, '', $5, $6) RETURNING id",
    )
    .bind(parent.map(|p| p.id))
    .bind(kind.as_str())
    .bind(code.as_str())
    .bind(name.trim())
    .bind(parent.map_or(0, |p| p.depth + 1))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let path = format!("{}{id}/", parent.map_or("/", |p| p.path.as_str()));
    sqlx::query("UPDATE units SET path = $1 WHERE id = $2")
        .bind(&path)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(Unit {
        id,
        parent_id: parent.map(|p| p.id),
        kind,
        code: code.as_str().to_string(),
        name: name.trim().to_string(),
        path,
        depth: parent.map_or(0, |p| p.depth + 1),
    })
}

pub async fn unit_by_code(db: &Db, code: &str) -> DbResult<Option<Unit>> {
    let r = sqlx::query(&format!("SELECT {UNIT_COLS} FROM units WHERE code = $1"))
        .bind(code)
        .fetch_optional(&db.pool)
        .await?;
    Ok(r.as_ref().map(unit_from).transpose()?)
}

pub async fn unit_by_id(db: &Db, id: UnitId) -> DbResult<Option<Unit>> {
    let r = sqlx::query(&format!("SELECT {UNIT_COLS} FROM units WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(r.as_ref().map(unit_from).transpose()?)
}

pub async fn children(db: &Db, parent_id: UnitId) -> DbResult<Vec<Unit>> {
    let rows = sqlx::query(&format!(
        "SELECT {UNIT_COLS} FROM units WHERE parent_id = $1 ORDER BY kind, code"
    ))
    .bind(parent_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(unit_from).collect::<Result<_, _>>()?)
}

/// The number of units and the highest unit id: units are only ever added, so the pair names a
/// version of the tree.
pub async fn units_version(db: &Db) -> DbResult<(i64, i64)> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(MAX(id), 0) AS BIGINT) AS max_id FROM units",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok((r.try_get("n")?, r.try_get("max_id")?))
}

/// Every unit inside the subtree rooted at `path` (inclusive), in tree order.
pub async fn subtree(db: &Db, path: &str) -> DbResult<Vec<Unit>> {
    let rows = sqlx::query(&format!(
        "SELECT {UNIT_COLS} FROM units WHERE path LIKE $1 ORDER BY path"
    ))
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(unit_from).collect::<Result<_, _>>()?)
}

/// Units with these exact paths (the roots of a caller's scopes).
pub async fn units_by_paths(db: &Db, paths: &[String]) -> DbResult<Vec<Unit>> {
    let mut out = Vec::new();
    for p in paths {
        let rows = sqlx::query(&format!("SELECT {UNIT_COLS} FROM units WHERE path = $1"))
            .bind(p)
            .fetch_all(&db.pool)
            .await?;
        for r in &rows {
            out.push(unit_from(r)?);
        }
    }
    Ok(out)
}

/// The units of the subtree rooted at `path` whose kind is `kind`.
pub async fn units_of_kind_in(db: &Db, path: &str, kind: UnitKind) -> DbResult<Vec<Unit>> {
    let rows = sqlx::query(&format!(
        "SELECT {UNIT_COLS} FROM units WHERE path LIKE $1 AND kind = $2 ORDER BY code"
    ))
    .bind(format!("{path}%"))
    .bind(kind.as_str())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(unit_from).collect::<Result<_, _>>()?)
}

/// Ancestors of a unit from the root down to the unit itself.
pub async fn ancestors(db: &Db, unit: &Unit) -> DbResult<Vec<Unit>> {
    let ids: Vec<UnitId> = unit
        .path
        .split('/')
        .filter_map(|s| s.parse().ok())
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(u) = unit_by_id(db, id).await? {
            out.push(u);
        }
    }
    Ok(out)
}

/// The school a unit belongs to (itself when it is one).
pub async fn school_of(db: &Db, unit: &Unit) -> DbResult<Option<Unit>> {
    Ok(ancestors(db, unit)
        .await?
        .into_iter()
        .find(|u| u.kind == UnitKind::School))
}

pub async fn add_jurisdiction(db: &Db, station_id: UnitId, school_id: UnitId) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO jurisdictions (station_id, school_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(station_id)
    .bind(school_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Adds a jurisdiction inside a caller's transaction.
pub async fn add_jurisdiction_tx(
    conn: &mut sqlx::AnyConnection,
    station_id: UnitId,
    school_id: UnitId,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO jurisdictions (station_id, school_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(station_id)
    .bind(school_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Schools under a police station's jurisdiction.
pub async fn jurisdiction_schools(db: &Db, station_id: UnitId) -> DbResult<Vec<Unit>> {
    let rows = sqlx::query(
        "SELECT u.id, u.parent_id, u.kind, u.code, u.name, u.path, u.depth FROM units u \
         JOIN jurisdictions j ON j.school_id = u.id WHERE j.station_id = $1 ORDER BY u.code",
    )
    .bind(station_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(unit_from).collect::<Result<_, _>>()?)
}

/// Police stations whose jurisdiction covers a school.
pub async fn stations_of_school(db: &Db, school_id: UnitId) -> DbResult<Vec<Unit>> {
    let rows = sqlx::query(
        "SELECT u.id, u.parent_id, u.kind, u.code, u.name, u.path, u.depth FROM units u \
         JOIN jurisdictions j ON j.station_id = u.id WHERE j.school_id = $1 ORDER BY u.code",
    )
    .bind(school_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(unit_from).collect::<Result<_, _>>()?)
}

const STUDENT_COLS: &str =
    "s.id, s.school_id, s.class_id, c.code AS class_code, c.name AS class_name, \
     c.path AS class_path, s.student_no, s.name, s.gender, s.enrollment_year, s.major, s.phone, \
     s.email, s.status";

fn student_from(r: &AnyRow) -> Result<Student, sqlx::Error> {
    Ok(Student {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        class_id: r.try_get("class_id")?,
        class_code: r.try_get("class_code")?,
        class_name: r.try_get("class_name")?,
        class_path: r.try_get("class_path")?,
        student_no: r.try_get("student_no")?,
        name: r.try_get("name")?,
        gender: r.try_get("gender")?,
        enrollment_year: r.try_get("enrollment_year")?,
        major: r.try_get("major")?,
        phone: r.try_get("phone")?,
        email: r.try_get("email")?,
        status: r.try_get("status")?,
    })
}

pub async fn student_by_id(db: &Db, id: StudentId) -> DbResult<Option<Student>> {
    let r = sqlx::query(&format!(
        "SELECT {STUDENT_COLS} FROM students s JOIN units c ON c.id = s.class_id WHERE s.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(student_from).transpose()?)
}

/// The id of the student with this number on this school's roster.
pub async fn student_id_by_no(db: &Db, school_id: UnitId, no: &str) -> DbResult<Option<StudentId>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM students WHERE school_id = $1 AND student_no = $2")
            .bind(school_id)
            .bind(no)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Filter of a student list.
#[derive(Clone, Debug, Default)]
pub struct StudentFilter {
    /// Only students whose class path starts with this (the unit being browsed).
    pub under_path: String,
    /// Free text matched against student number and name.
    pub query: String,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list_students(db: &Db, f: &StudentFilter) -> DbResult<(Vec<Student>, i64)> {
    let like = format!("{}%", f.under_path);
    let q = f.query.trim();
    let qlike = format!("%{q}%");
    let rows = sqlx::query(&format!(
        "SELECT {STUDENT_COLS} FROM students s JOIN units c ON c.id = s.class_id \
         WHERE c.path LIKE $1 AND ($2 = '' OR s.student_no LIKE $3 OR s.name LIKE $3) \
         ORDER BY c.code, s.student_no LIMIT $4 OFFSET $5"
    ))
    .bind(&like)
    .bind(q)
    .bind(&qlike)
    .bind(f.limit)
    .bind(f.offset)
    .fetch_all(&db.pool)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM students s JOIN units c ON c.id = s.class_id \
         WHERE c.path LIKE $1 AND ($2 = '' OR s.student_no LIKE $3 OR s.name LIKE $3)",
    )
    .bind(&like)
    .bind(q)
    .bind(&qlike)
    .fetch_one(&db.pool)
    .await?;
    Ok((
        rows.iter().map(student_from).collect::<Result<_, _>>()?,
        total,
    ))
}

/// All students of a school, for export.
pub async fn students_of_school(db: &Db, school_id: UnitId) -> DbResult<Vec<Student>> {
    let rows = sqlx::query(&format!(
        "SELECT {STUDENT_COLS} FROM students s JOIN units c ON c.id = s.class_id \
         WHERE s.school_id = $1 ORDER BY s.student_no"
    ))
    .bind(school_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(student_from).collect::<Result<_, _>>()?)
}

/// Number of students per unit of a subtree, for the tree page (class counts roll up by path).
pub async fn student_count_under(db: &Db, path: &str) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM students s JOIN units c ON c.id = s.class_id WHERE c.path LIKE $1",
    )
    .bind(format!("{path}%"))
    .fetch_one(&db.pool)
    .await?)
}

const STAFF_COLS: &str =
    "s.id, s.org_id, s.unit_id, u.name AS unit_name, s.staff_no, s.name, s.phone, s.email, s.title";

fn staff_from(r: &AnyRow) -> Result<Staff, sqlx::Error> {
    Ok(Staff {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        staff_no: r.try_get("staff_no")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        email: r.try_get("email")?,
        title: r.try_get("title")?,
    })
}

pub async fn staff_by_id(db: &Db, id: i64) -> DbResult<Option<Staff>> {
    let r = sqlx::query(&format!(
        "SELECT {STAFF_COLS} FROM staff s JOIN units u ON u.id = s.unit_id WHERE s.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(staff_from).transpose()?)
}

pub async fn staff_by_no(db: &Db, org_id: UnitId, staff_no: &str) -> DbResult<Option<Staff>> {
    let r = sqlx::query(&format!(
        "SELECT {STAFF_COLS} FROM staff s JOIN units u ON u.id = s.unit_id WHERE s.org_id = $1 AND s.staff_no = $2"
    ))
    .bind(org_id)
    .bind(staff_no)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(staff_from).transpose()?)
}

/// Staff whose unit lies under `path`.
pub async fn list_staff(db: &Db, path: &str) -> DbResult<Vec<Staff>> {
    let rows = sqlx::query(&format!(
        "SELECT {STAFF_COLS} FROM staff s JOIN units u ON u.id = s.unit_id WHERE u.path LIKE $1 ORDER BY s.staff_no"
    ))
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(staff_from).collect::<Result<_, _>>()?)
}

pub async fn set_responsible<'c, E>(
    conn: E,
    unit_id: UnitId,
    staff_id: i64,
    duty: Duty,
    now: i64,
) -> DbResult<()>
where
    E: Executor<'c, Database = Any>,
{
    sqlx::query(
        "INSERT INTO responsibilities (unit_id, staff_id, duty, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(unit_id)
    .bind(staff_id)
    .bind(duty.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove_responsible(
    db: &Db,
    unit_id: UnitId,
    staff_id: i64,
    duty: Duty,
) -> DbResult<u64> {
    Ok(sqlx::query(
        "DELETE FROM responsibilities WHERE unit_id = $1 AND staff_id = $2 AND duty = $3",
    )
    .bind(unit_id)
    .bind(staff_id)
    .bind(duty.as_str())
    .execute(&db.pool)
    .await?
    .rows_affected())
}

/// Responsible people of the units with these ids, nearest unit first (deepest path first).
pub async fn responsibles_of_units(db: &Db, unit_ids: &[UnitId]) -> DbResult<Vec<Responsible>> {
    let mut out = Vec::new();
    for &uid in unit_ids {
        let rows = sqlx::query(
            "SELECT s.id AS staff_id, s.name, s.phone, r.duty, u.id AS unit_id, u.name AS unit_name \
             FROM responsibilities r \
             JOIN staff s ON s.id = r.staff_id JOIN units u ON u.id = r.unit_id \
             WHERE r.unit_id = $1 ORDER BY r.duty, s.staff_no",
        )
        .bind(uid)
        .fetch_all(&db.pool)
        .await?;
        for r in rows {
            let duty: String = r.try_get("duty")?;
            let Some(duty) = Duty::parse(&duty) else {
                continue;
            };
            out.push(Responsible {
                staff_id: r.try_get("staff_id")?,
                name: r.try_get("name")?,
                phone: r.try_get("phone")?,
                duty,
                unit_id: r.try_get("unit_id")?,
                unit_name: r.try_get("unit_name")?,
            });
        }
    }
    Ok(out)
}

/// Units (with their paths) a staff member is responsible for.
pub async fn responsibilities_of_staff(db: &Db, staff_id: i64) -> DbResult<Vec<(Duty, Unit)>> {
    let rows = sqlx::query(
        "SELECT r.duty, u.id, u.parent_id, u.kind, u.code, u.name, u.path, u.depth FROM responsibilities r \
         JOIN units u ON u.id = r.unit_id WHERE r.staff_id = $1 ORDER BY u.path",
    )
    .bind(staff_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let duty: String = r.try_get("duty")?;
        let kind: String = r.try_get("kind")?;
        if let (Some(duty), Some(kind)) = (Duty::parse(&duty), UnitKind::parse(&kind)) {
            out.push((
                duty,
                Unit {
                    id: r.try_get("id")?,
                    parent_id: r.try_get("parent_id")?,
                    kind,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    path: r.try_get("path")?,
                    depth: r.try_get("depth")?,
                },
            ));
        }
    }
    Ok(out)
}

/// Totals for the home pages.
pub async fn counts_under(db: &Db, path: &str) -> DbResult<(i64, i64, i64)> {
    let like = format!("{path}%");
    let units: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM units WHERE path LIKE $1")
        .bind(&like)
        .fetch_one(&db.pool)
        .await?;
    let students = student_count_under(db, path).await?;
    let staff: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM staff s JOIN units u ON u.id = s.unit_id WHERE u.path LIKE $1",
    )
    .bind(&like)
    .fetch_one(&db.pool)
    .await?;
    Ok((units, students, staff))
}

/// Numbers a school already uses for the other kind of person (staff numbers when importing
/// students, and the other way round). A student and a staff member of one school may not share
/// a number: sign-in by number (activation, campus SSO) could not tell them apart.
pub async fn numbers_of_other_kind(
    db: &crate::db::Db,
    org_id: UnitId,
    importing: super::roster::RosterKind,
) -> crate::db::DbResult<std::collections::HashSet<String>> {
    let sql = match importing {
        super::roster::RosterKind::Students => "SELECT staff_no FROM staff WHERE org_id = $1",
        super::roster::RosterKind::Staff => "SELECT student_no FROM students WHERE school_id = $1",
    };
    let numbers: Vec<String> = sqlx::query_scalar(sql)
        .bind(org_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(numbers.into_iter().collect())
}

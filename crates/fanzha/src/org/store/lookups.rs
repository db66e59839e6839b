//! Reads of students, units, responsibilities and staff that other modules make: on a connection,
//! so they run inside the caller's transaction (warnings match, route and escalate inside one), or
//! on the pool for figures (the warnings' appraisal).

use crate::kernel::ids::{StudentId, UnitId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::db::{Db, DbResult};
use crate::org::model::Duty;

/// The few facts of a student routing needs.
#[derive(Clone, Debug)]
pub struct StudentRef {
    pub id: StudentId,
    pub school_id: UnitId,
    pub class_path: String,
    pub name: String,
    pub student_no: String,
}

fn student_ref_from(r: &AnyRow) -> Result<StudentRef, sqlx::Error> {
    Ok(StudentRef {
        id: r.try_get("id")?,
        school_id: r.try_get("school_id")?,
        class_path: r.try_get("class_path")?,
        name: r.try_get("name")?,
        student_no: r.try_get("student_no")?,
    })
}

const S_COLS: &str = "s.id, s.school_id, c.path AS class_path, s.name, s.student_no";

pub async fn student_ref(c: &mut AnyConnection, id: StudentId) -> DbResult<Option<StudentRef>> {
    let r = sqlx::query(&format!(
        "SELECT {S_COLS} FROM students s JOIN units c ON c.id = s.class_id WHERE s.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(r.as_ref().map(student_ref_from).transpose()?)
}

/// Students with this number (in one school when given).
pub async fn students_by_no(
    c: &mut AnyConnection,
    no: &str,
    school_id: Option<UnitId>,
) -> DbResult<Vec<StudentRef>> {
    students_where(c, "student_no", no, school_id).await
}

/// Students with this phone number (in one school when given).
pub async fn students_by_phone(
    c: &mut AnyConnection,
    phone: &str,
    school_id: Option<UnitId>,
) -> DbResult<Vec<StudentRef>> {
    students_where(c, "phone", phone, school_id).await
}

/// At most five students whose `column` (one of the two above) equals `value`.
async fn students_where(
    c: &mut AnyConnection,
    column: &'static str,
    value: &str,
    school_id: Option<UnitId>,
) -> DbResult<Vec<StudentRef>> {
    let rows = sqlx::query(&format!(
        "SELECT {S_COLS} FROM students s JOIN units c ON c.id = s.class_id \
         WHERE s.{column} = $1 AND ($2 = 0 OR s.school_id = $2) LIMIT 5"
    ))
    .bind(value)
    .bind(school_id.map_or(0, UnitId::get))
    .fetch_all(&mut *c)
    .await?;
    Ok(rows
        .iter()
        .map(student_ref_from)
        .collect::<Result<_, _>>()?)
}

/// Students by phone for many phones at once (a batch matches in a few queries).
pub async fn students_by_phones(
    c: &mut AnyConnection,
    phones: &[String],
) -> DbResult<Vec<(String, StudentRef)>> {
    let mut out = Vec::new();
    for chunk in phones.chunks(500) {
        let list = crate::db::params_list(chunk.len(), 1);
        let sql = format!(
            "SELECT {S_COLS}, s.phone FROM students s JOIN units c ON c.id = s.class_id WHERE s.phone IN ({list})"
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q.bind(p);
        }
        for r in q.fetch_all(&mut *c).await? {
            out.push((r.try_get("phone")?, student_ref_from(&r)?));
        }
    }
    Ok(out)
}

/// A unit named by its code, as matching needs it.
#[derive(Clone, Debug)]
pub struct UnitRef {
    pub id: UnitId,
    pub path: String,
    /// `school`, `college`, …
    pub kind: String,
}

/// The unit of this code, if any.
pub async fn unit_ref_by_code(c: &mut AnyConnection, code: &str) -> DbResult<Option<UnitRef>> {
    let r = sqlx::query("SELECT id, path, kind FROM units WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *c)
        .await?;
    Ok(r.as_ref().map(unit_ref_from).transpose()?)
}

/// The unit of this id, if any.
pub async fn unit_ref(c: &mut AnyConnection, id: UnitId) -> DbResult<Option<UnitRef>> {
    let r = sqlx::query("SELECT id, path, kind FROM units WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    Ok(r.as_ref().map(unit_ref_from).transpose()?)
}

fn unit_ref_from(r: &AnyRow) -> Result<UnitRef, sqlx::Error> {
    Ok(UnitRef {
        id: r.try_get("id")?,
        path: r.try_get("path")?,
        kind: r.try_get("kind")?,
    })
}

/// One person responsible for one of the units asked about.
pub struct ResponsibleOn {
    pub staff_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub duty: Duty,
    pub unit_id: UnitId,
}

/// Who is responsible for these units, deepest unit first, then by duty and staff number; a
/// duty this version does not know is left out.
pub async fn responsibles_on_units(
    c: &mut AnyConnection,
    unit_ids: &[UnitId],
) -> DbResult<Vec<ResponsibleOn>> {
    if unit_ids.is_empty() {
        return Ok(vec![]);
    }
    let list = crate::db::params_list(unit_ids.len(), 1);
    let sql = format!(
        "SELECT s.id AS staff_id, s.name, s.phone, r.duty, u.id AS unit_id, u.depth FROM responsibilities r \
         JOIN staff s ON s.id = r.staff_id JOIN units u ON u.id = r.unit_id \
         WHERE r.unit_id IN ({list}) ORDER BY u.depth DESC, r.duty, s.staff_no"
    );
    let mut q = sqlx::query(&sql);
    for id in unit_ids {
        q = q.bind(*id);
    }
    let mut out = Vec::new();
    for r in q.fetch_all(&mut *c).await? {
        let duty: String = r.try_get("duty")?;
        let Some(duty) = Duty::parse(&duty) else {
            continue;
        };
        out.push(ResponsibleOn {
            staff_id: r.try_get("staff_id")?,
            name: r.try_get("name")?,
            phone: r.try_get("phone")?,
            duty,
            unit_id: r.try_get("unit_id")?,
        });
    }
    Ok(out)
}

/// The police stations whose jurisdiction includes this school.
pub async fn station_ids_of_school(
    c: &mut AnyConnection,
    school_id: UnitId,
) -> DbResult<Vec<UnitId>> {
    Ok(
        sqlx::query_scalar("SELECT station_id FROM jurisdictions WHERE school_id = $1")
            .bind(school_id)
            .fetch_all(&mut *c)
            .await?,
    )
}

/// The email address of a staff record, if any.
pub async fn staff_email(c: &mut AnyConnection, staff_id: i64) -> DbResult<Option<String>> {
    let r = sqlx::query("SELECT email FROM staff WHERE id = $1")
        .bind(staff_id)
        .fetch_optional(&mut *c)
        .await?;
    Ok(match r {
        Some(r) => r.try_get("email")?,
        None => None,
    })
}

/// Per class path under `path`: (enrolled students, enrolled students without an active account).
pub async fn enrolled_by_class(db: &Db, path: &str) -> DbResult<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(&format!(
        "SELECT u.path AS path, COUNT(*) AS enrolled, CAST(COALESCE(SUM(CASE WHEN {} \
             THEN 0 ELSE 1 END), 0) AS BIGINT) AS unreachable \
             FROM students s JOIN units u ON u.id = s.class_id \
             WHERE u.path LIKE $1 AND s.status = 'enrolled' GROUP BY u.path",
        crate::auth::store::lookups::STUDENT_REACHABLE
    ))
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("path")?,
                r.try_get("enrolled")?,
                r.try_get("unreachable")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// One responsibility of a person under a path.
#[derive(Clone, Debug)]
pub struct DutyHolder {
    pub staff_id: i64,
    pub name: String,
    pub unit_name: String,
    pub unit_path: String,
}

/// Every responsibility held on a unit under `path`, by person.
pub async fn duties_under(db: &Db, path: &str) -> DbResult<Vec<DutyHolder>> {
    let rows = sqlx::query(
        "SELECT s.id AS staff_id, s.name AS name, u.name AS unit_name, u.path AS unit_path \
         FROM responsibilities r JOIN staff s ON s.id = r.staff_id \
         JOIN units u ON u.id = r.unit_id WHERE u.path LIKE $1 ORDER BY s.id",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DutyHolder {
                staff_id: r.try_get("staff_id")?,
                name: r.try_get::<Option<String>, _>("name")?.unwrap_or_default(),
                unit_name: r
                    .try_get::<Option<String>, _>("unit_name")?
                    .unwrap_or_default(),
                unit_path: r.try_get("unit_path")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Classes, colleges and schools under `path`: (id, name, path), by path.
pub async fn appraised_units_under(db: &Db, path: &str) -> DbResult<Vec<(i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT id, name, path FROM units WHERE path LIKE $1 AND kind IN ('class', 'college', 'school') \
         ORDER BY path",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("path")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Every police station with a jurisdiction, by id.
pub async fn stations_with_schools(db: &Db) -> DbResult<Vec<UnitId>> {
    Ok(
        sqlx::query_scalar("SELECT DISTINCT station_id FROM jurisdictions ORDER BY station_id")
            .fetch_all(&db.pool)
            .await?,
    )
}

/// The first school (lowest id) of a station's jurisdiction.
pub async fn first_school_of_station(
    c: &mut AnyConnection,
    station_id: UnitId,
) -> DbResult<Option<UnitId>> {
    Ok(
        sqlx::query_scalar("SELECT MIN(school_id) FROM jurisdictions WHERE station_id = $1")
            .bind(station_id)
            .fetch_one(&mut *c)
            .await?,
    )
}

/// A student a demo case may name as its victim.
pub struct VictimSample {
    pub student_id: StudentId,
    pub class_id: UnitId,
    pub class_path: String,
    pub enrollment_year: i64,
    pub major: String,
    pub gender: String,
}

/// The first `limit` students of a school (by id) with their class, to draw victims from.
pub async fn victim_sample(db: &Db, school_id: UnitId, limit: i64) -> DbResult<Vec<VictimSample>> {
    let rows = sqlx::query(
        "SELECT s.id, s.class_id, u.path, s.enrollment_year, s.major, s.gender FROM students s \
         JOIN units u ON u.id = s.class_id WHERE s.school_id = $1 ORDER BY s.id LIMIT $2",
    )
    .bind(school_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(VictimSample {
                student_id: r.try_get("id")?,
                class_id: r.try_get("class_id")?,
                class_path: r.try_get("path")?,
                enrollment_year: r.try_get("enrollment_year")?,
                major: r.try_get("major")?,
                gender: r.try_get("gender")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// How many students a school has.
pub async fn student_count_of_school(db: &Db, school_id: UnitId) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM students WHERE school_id = $1")
            .bind(school_id)
            .fetch_one(&db.pool)
            .await?,
    )
}

/// The students of a school, `first` (a student number) before the others, then by number:
/// `limit` ids from `offset` on.
pub async fn students_of_school_by_no(
    c: &mut AnyConnection,
    school_id: UnitId,
    first: &str,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<StudentId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM students WHERE school_id = $1 \
         ORDER BY CASE WHEN student_no = $2 THEN 0 ELSE 1 END, student_no, id LIMIT $3 OFFSET $4",
    )
    .bind(school_id)
    .bind(first)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *c)
    .await?)
}

/// Ids of students whose name matches the `LIKE` pattern `name` or whose number is `no`, by id,
/// at most `cap`.
pub async fn student_ids_by_name_or_no(
    c: &mut AnyConnection,
    name: &str,
    no: &str,
    cap: i64,
) -> DbResult<Vec<StudentId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM students WHERE name LIKE $1 OR student_no = $2 ORDER BY id LIMIT $3",
    )
    .bind(name)
    .bind(no)
    .bind(cap)
    .fetch_all(&mut *c)
    .await?)
}

/// The ids of the students in a class under `path`, by id.
pub async fn student_ids_under(db: &Db, path: &str) -> DbResult<Vec<StudentId>> {
    Ok(sqlx::query_scalar(
        "SELECT s.id FROM students s JOIN units u ON u.id = s.class_id \
         WHERE u.path LIKE $1 || '%' ORDER BY s.id",
    )
    .bind(path)
    .fetch_all(&db.pool)
    .await?)
}

/// The first school by code: its id and code.
pub async fn first_school_by_code(db: &Db) -> DbResult<Option<(UnitId, String)>> {
    let r = sqlx::query("SELECT id, code FROM units WHERE kind = 'school' ORDER BY code LIMIT 1")
        .fetch_optional(&db.pool)
        .await?;
    Ok(match r {
        Some(r) => Some((r.try_get("id")?, r.try_get("code")?)),
        None => None,
    })
}

// contests (the demo)

/// The first `n` schools by id.
pub async fn first_schools(
    c: &mut AnyConnection,
    n: i64,
) -> DbResult<Vec<crate::org::model::Unit>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM units WHERE kind = 'school' ORDER BY id LIMIT $1",
        super::UNIT_COLS
    ))
    .bind(n)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows
        .iter()
        .map(super::unit_from)
        .collect::<Result<_, _>>()?)
}

// ---- volunteers ----

/// The paths of the police stations whose jurisdiction covers a school, by path.
pub async fn station_paths_of_school(
    c: &mut AnyConnection,
    school_id: UnitId,
) -> DbResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT u.path FROM jurisdictions j JOIN units u ON u.id = j.station_id WHERE j.school_id = $1 ORDER BY u.path",
    )
    .bind(school_id)
    .fetch_all(&mut *c)
    .await?)
}

/// The path of the province a unit path lies under, if any.
pub async fn province_path_of(c: &mut AnyConnection, path: &str) -> DbResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT path FROM units WHERE kind = 'province' AND $1 LIKE path || '%' ORDER BY depth LIMIT 1",
    )
    .bind(path)
    .fetch_optional(&mut *c)
    .await?)
}

/// The name of the unit at this path, if any.
pub async fn unit_name_by_path(c: &mut AnyConnection, path: &str) -> DbResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT name FROM units WHERE path = $1")
        .bind(path)
        .fetch_optional(&mut *c)
        .await?)
}

// ---- campaigns ----

/// The paths of the schools under `path`, by path.
pub async fn school_paths_under(db: &Db, path: &str) -> DbResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT path FROM units WHERE kind = 'school' AND path LIKE $1 ORDER BY path",
    )
    .bind(format!("{path}%"))
    .fetch_all(&db.pool)
    .await?)
}

/// An enrolled student with their cohort and class path.
#[derive(Clone, Debug)]
pub struct EnrolledCohort {
    pub student_id: StudentId,
    pub enrollment_year: i64,
    pub major: String,
    pub gender: String,
    pub class_path: String,
}

/// The enrolled students in a class under `path`.
pub async fn enrolled_cohorts_under(db: &Db, path: &str) -> DbResult<Vec<EnrolledCohort>> {
    let rows = sqlx::query(
        "SELECT s.id AS student_id, s.enrollment_year AS enrollment_year, s.major AS major, s.gender AS gender, u.path AS unit_path \
         FROM students s JOIN units u ON u.id = s.class_id WHERE u.path LIKE $1 || '%' AND s.status = 'enrolled'",
    )
    .bind(path)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EnrolledCohort {
                student_id: r.try_get("student_id")?,
                enrollment_year: r.try_get("enrollment_year")?,
                major: r.try_get("major")?,
                gender: r.try_get("gender")?,
                class_path: r.try_get("unit_path")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A student with their number, name (unmasked) and class name.
#[derive(Clone, Debug)]
pub struct StudentInClass {
    pub student_id: StudentId,
    pub student_no: String,
    pub name: String,
    pub class_name: String,
}

/// Students by id with their number, name and class, in id order (500 ids a statement).
pub async fn students_in_class_by_ids(db: &Db, ids: &[StudentId]) -> DbResult<Vec<StudentInClass>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let list = crate::db::params_list(chunk.len(), 1);
        let sql = format!(
            "SELECT s.id AS student_id, s.student_no AS student_no, s.name AS name, u.name AS class_name \
             FROM students s JOIN units u ON u.id = s.class_id WHERE s.id IN ({list}) ORDER BY s.id"
        );
        let sql = crate::db::bulk_sql(db.backend, &sql);
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&db.pool).await? {
            out.push(StudentInClass {
                student_id: r.try_get("student_id")?,
                student_no: r.try_get("student_no")?,
                name: r.try_get("name")?,
                class_name: r.try_get("class_name")?,
            });
        }
    }
    Ok(out)
}

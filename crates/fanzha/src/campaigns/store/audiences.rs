//! SQL of audiences: who an audience spec selects (enrolled students by unit, year, gender,
//! major and weakness; staff by role), how many the inbox can reach, and a sample of them.

use crate::kernel::ids::StudentId;
use std::collections::HashSet;

use sqlx::Row;

use crate::campaigns::model::AudienceSpec;
use crate::db::{bulk_sql, Db, DbResult};
use crate::org::store::lookups as org_lookups;
use crate::org::store::sql::{self, STUDENTS_IN_CLASSES};

/// A bound value of a generated audience clause.
#[derive(Clone, Debug)]
pub enum Val {
    I(i64),
    S(String),
}

/// Whether the in-app inbox reaches student `s` (auth's fragment); everyone else in the
/// audience is counted, as unreachable, never as delivered.
pub use crate::auth::store::lookups::STUDENT_REACHABLE as INBOX_REACHABLE;

/// The students and staff an audience spec selects, as conditions over the students `s` in their
/// classes `u` ([`STUDENTS_IN_CLASSES`]) and, for staff roles, over the role grants `r` on units
/// `u`, with its bound values.
pub struct AudienceSql {
    pub student_where: Option<String>,
    pub staff_where: Option<String>,
    pub binds: Vec<Val>,
}

impl AudienceSql {
    /// Adds a bound value; its placeholder.
    pub fn push(&mut self, v: Val) -> String {
        self.binds.push(v);
        format!("${}", self.binds.len())
    }

    /// The clauses of a checked spec over `paths` for `roles` (`student` and staff roles), the
    /// first placeholder numbered `first_param` (the statement binds the ones before).
    pub fn build(
        paths: &[String],
        roles: &[&str],
        spec: &AudienceSpec,
        first_param: usize,
    ) -> AudienceSql {
        let mut a = AudienceSql {
            student_where: None,
            staff_where: None,
            binds: (1..first_param).map(|_| Val::I(0)).collect(),
        };
        let path_clause = |a: &mut AudienceSql| {
            let parts: Vec<String> = paths
                .iter()
                .map(|p| format!("u.path LIKE {}", a.push(Val::S(format!("{p}%")))))
                .collect();
            format!("({})", parts.join(" OR "))
        };
        if roles.contains(&"student") {
            let mut w = vec!["s.status = 'enrolled'".to_string(), path_clause(&mut a)];
            if !spec.enrollment_years.is_empty() {
                let l: Vec<String> = spec
                    .enrollment_years
                    .iter()
                    .map(|y| a.push(Val::I(*y)))
                    .collect();
                w.push(format!("s.enrollment_year IN ({})", l.join(", ")));
            }
            if !spec.genders.is_empty() {
                let l: Vec<String> = spec
                    .genders
                    .iter()
                    .map(|g| a.push(Val::S(g.clone())))
                    .collect();
                w.push(format!("s.gender IN ({})", l.join(", ")));
            }
            if !spec.majors.is_empty() {
                let l: Vec<String> = spec
                    .majors
                    .iter()
                    .map(|m| a.push(Val::S(m.trim().to_string())))
                    .collect();
                w.push(format!("s.major IN ({})", l.join(", ")));
            }
            if !spec.weak_on.is_empty() {
                let l: Vec<String> = spec
                    .weak_on
                    .iter()
                    .filter_map(|t| t.trim().parse::<fanzha_detect::FraudType>().ok())
                    .map(|t| a.push(Val::S(t.id().to_string())))
                    .collect();
                w.push(crate::learning::store::weak_on_condition(&l));
            }
            a.student_where = Some(w.join(" AND "));
        }
        let staff: Vec<&str> = roles.iter().copied().filter(|r| *r != "student").collect();
        if !staff.is_empty() {
            let mut w = vec![path_clause(&mut a)];
            let l: Vec<String> = staff
                .iter()
                .map(|r| a.push(Val::S(r.to_string())))
                .collect();
            w.push(format!("r.role IN ({})", l.join(", ")));
            a.staff_where = Some(w.join(" AND "));
        }
        a
    }
}

/// Binds the audience values from `skip` on (the statement bound the ones before).
pub(super) fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: &[Val],
    skip: usize,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for v in &binds[skip..] {
        q = match v {
            Val::I(i) => q.bind(*i),
            Val::S(s) => q.bind(s.clone()),
        };
    }
    q
}

/// One person of an audience, for a sample.
pub struct AudiencePerson {
    /// Student id, or account id of staff.
    pub id: i64,
    pub name: String,
    pub unit: String,
}

/// The ids of the students the audience selects.
pub async fn audience_student_ids(db: &Db, a: &AudienceSql) -> DbResult<HashSet<StudentId>> {
    let sql = format!(
        "SELECT s.id AS id FROM {STUDENTS_IN_CLASSES} WHERE {}",
        a.student_where.clone().unwrap_or_else(|| "1 = 0".into())
    );
    Ok(bind_all(sqlx::query(&sql), &a.binds, 0)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?)
}

/// How many of the students `ids` the inbox cannot reach.
pub async fn unreachable_among(db: &Db, ids: &[StudentId]) -> DbResult<i64> {
    let mut unreachable = 0;
    for chunk in ids.chunks(500) {
        let list = crate::db::params_list(chunk.len(), 1);
        let sql = format!(
            "SELECT COUNT(*) FROM {} WHERE s.id IN ({}) AND NOT {INBOX_REACHABLE}",
            sql::students("s"),
            list
        );
        let sql = bulk_sql(db.backend, &sql);
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        unreachable += q.fetch_one(&db.pool).await?;
    }
    Ok(unreachable)
}

/// (students selected, of them unreachable by the inbox).
pub async fn audience_student_counts(db: &Db, a: &AudienceSql) -> DbResult<(i64, i64)> {
    let Some(w) = &a.student_where else {
        return Ok((0, 0));
    };
    let r = bind_all(
        sqlx::query(&format!(
            "SELECT COUNT(*) AS size, CAST(COALESCE(SUM(CASE WHEN {INBOX_REACHABLE} THEN 0 ELSE 1 END), 0) AS BIGINT) AS unreachable \
             FROM {STUDENTS_IN_CLASSES} WHERE {w}"
        )),
        &a.binds,
        0,
    )
    .fetch_one(&db.pool)
    .await?;
    Ok((r.try_get("size")?, r.try_get("unreachable")?))
}

/// The first `limit` students selected, by id.
pub async fn audience_student_sample(
    db: &Db,
    a: &AudienceSql,
    limit: i64,
) -> DbResult<Vec<AudiencePerson>> {
    let Some(w) = &a.student_where else {
        return Ok(Vec::new());
    };
    let rows = bind_all(
        sqlx::query(&format!(
            "SELECT s.id AS id, s.name AS name, u.name AS unit FROM {STUDENTS_IN_CLASSES} WHERE {w} ORDER BY s.id LIMIT {limit}"
        )),
        &a.binds,
        0,
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(person_from)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The staff selected, by account id, each with the name of one unit of theirs (an account
/// appears once per matching role assignment; callers keep the first).
pub async fn audience_staff(db: &Db, a: &AudienceSql) -> DbResult<Vec<AudiencePerson>> {
    let Some(w) = &a.staff_where else {
        return Ok(Vec::new());
    };
    let rows = bind_all(
        sqlx::query(&format!(
            "SELECT DISTINCT r.account_id AS id, c.display_name AS name, u.name AS unit FROM {} \
             {} WHERE {w} ORDER BY r.account_id",
            crate::auth::store::lookups::grants_on_units(),
            crate::auth::store::lookups::GRANT_ACCOUNT
        )),
        &a.binds,
        0,
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(person_from)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

fn person_from(r: &sqlx::any::AnyRow) -> Result<AudiencePerson, sqlx::Error> {
    Ok(AudiencePerson {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        unit: r.try_get("unit")?,
    })
}

/// Slices of a fan-out: the schools under `paths` (a path inside a school is its own slice).
/// Classes always hang under a school (`UnitKind::fits_under`), so the slices cover every
/// student of the paths.
pub async fn school_slices(db: &Db, paths: &[String]) -> DbResult<Vec<String>> {
    let mut v = Vec::new();
    for p in paths {
        let schools = org_lookups::school_paths_under(db, p).await?;
        if schools.is_empty() {
            v.push(p.clone());
        } else {
            v.extend(schools);
        }
    }
    Ok(v)
}

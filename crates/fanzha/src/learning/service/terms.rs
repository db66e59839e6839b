//! The school calendar (terms, set by the school admin) and self-enrolment in electives.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

/// Sets a term of a school's calendar: its school admins only (police author courses in their
/// jurisdiction but do not keep a school's calendar). Another term's days may not overlap.
pub async fn set_term(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    school_id: UnitId,
    t: NewTerm,
) -> Result<i64, LearningError> {
    let school = unit_for(db, clock, p, actor, Action::ManageLearning, school_id).await?;
    if !p.grants.iter().any(|g| {
        g.role == Role::SchoolAdmin
            && g.scope_paths
                .iter()
                .any(|s| school.path.starts_with(s.as_str()))
    }) {
        return Err(LearningError::Forbidden);
    }
    if school.kind != UnitKind::School {
        return Err(LearningError::NotASchoolUnit);
    }
    let mut tx = db.begin_write().await?;
    if store::overlapping_term(&mut tx, school.id, &t)
        .await?
        .is_some()
    {
        return Err(LearningError::Conflict("err-learning-term-overlap"));
    }
    let id = store::upsert_term(&mut tx, school.id, &t, p.account_id, clock.now_ms()).await?;
    tx.commit().await?;
    Ok(id)
}

/// The terms of a school, latest first (anyone who manages its courses sees them).
pub async fn terms_of(db: &Db, school_id: UnitId) -> Result<Vec<Term>, LearningError> {
    Ok(store::terms_of_school(db, school_id).await?)
}

/// The electives of the caller's school they may still enrol in.
pub async fn my_electives(db: &Db, p: &Principal) -> Result<Vec<Course>, LearningError> {
    let s = own_student(db, p).await?;
    Ok(store::electives_open_to(db, s.id).await?)
}

/// Enrols the caller in an elective of their school. A course that is not an elective, or of
/// another school, is not found; enrolling twice is refused.
pub async fn enrol_self(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    course_id: i64,
) -> Result<(), LearningError> {
    let s = own_student(db, p).await?;
    let c = store::course_by_id(db, course_id)
        .await?
        .filter(|c| c.elective && c.school_id == s.school_id)
        .ok_or(LearningError::NotFound)?;
    let mut tx = db.begin_write().await?;
    if !store::insert_self_enrolment(&mut tx, c.id, s.id, clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-already-enrolled"));
    }
    tx.commit().await?;
    Ok(())
}

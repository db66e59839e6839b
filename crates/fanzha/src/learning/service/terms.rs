//! The school calendar (terms, set by the school admin) and self-enrolment in electives.

#[allow(unused_imports)]
use super::*;

/// Sets a term of a school's calendar: its school admins only (police author courses in their
/// jurisdiction but do not keep a school's calendar). Another term's days may not overlap.
pub async fn set_term(st: &AppState, u: &User, school_id: i64, t: NewTerm) -> AppResult<i64> {
    let school = unit(st, school_id).await?;
    authorize(st, u, Action::ManageLearning, Target::Unit(&school.path)).await?;
    if !u.p.grants.iter().any(|g| {
        g.role == Role::SchoolAdmin
            && g.scope_paths
                .iter()
                .any(|s| school.path.starts_with(s.as_str()))
    }) {
        return Err(AppError::forbidden());
    }
    if school.kind != UnitKind::School {
        return Err(LearningError::NotASchoolUnit.into());
    }
    let mut tx = st.db.begin_write().await?;
    if store::overlapping_term(&mut tx, school.id, &t)
        .await?
        .is_some()
    {
        return Err(LearningError::Conflict("err-learning-term-overlap").into());
    }
    let id = store::upsert_term(&mut tx, school.id, &t, u.p.account_id, st.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(id)
}

/// The terms of a school, latest first (anyone who manages its courses sees them).
pub async fn terms_of(st: &AppState, school_id: i64) -> AppResult<Vec<Term>> {
    Ok(store::terms_of_school(&st.db, school_id).await?)
}

/// The electives of the caller's school they may still enrol in.
pub async fn my_electives(st: &AppState, u: &User) -> AppResult<Vec<Course>> {
    let s = own_student(st, &u.p).await?;
    Ok(store::electives_open_to(&st.db, s.id).await?)
}

/// Enrols the caller in an elective of their school. A course that is not an elective, or of
/// another school, is not found; enrolling twice is refused.
pub async fn enrol_self(st: &AppState, u: &User, course_id: i64) -> AppResult<()> {
    let s = own_student(st, &u.p).await?;
    let c = store::course_by_id(&st.db, course_id)
        .await?
        .filter(|c| c.elective && c.school_id == s.school_id)
        .ok_or_else(AppError::not_found)?;
    let mut tx = st.db.begin_write().await?;
    if !store::insert_self_enrolment(&mut tx, c.id, s.id, st.clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-already-enrolled").into());
    }
    tx.commit().await?;
    Ok(())
}

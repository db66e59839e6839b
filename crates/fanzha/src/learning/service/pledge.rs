//! The pledge: versions, signing, withdrawal, reminders.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

// ---------- pledge ----------

/// Publishes a new version of a school's pledge text.
pub async fn publish_pledge(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    school_id: UnitId,
    body: &str,
) -> Result<Pledge, LearningError> {
    let school = school_to_manage(db, clock, p, actor, school_id).await?;
    let body = match crate::text::multiline(body) {
        Ok("") => {
            return Err(LearningError::Invalid(vec![Msg::new(
                "err-learning-body-required",
            )]))
        }
        Ok(b) if b.chars().count() > 5000 => {
            return Err(LearningError::Invalid(vec![Msg::new(
                "err-learning-body-long",
            )
            .arg("max", 5000)]))
        }
        Ok(b) => b.to_string(),
        Err(e) => return Err(LearningError::Invalid(vec![Msg::new(e.key())])),
    };
    let mut tx = db.begin_write().await?;
    let p = store::insert_pledge(&mut tx, school.id, &body, p.account_id, clock.now_ms()).await?;
    tx.commit().await?;
    Ok(p)
}

pub async fn current_pledge(db: &Db, school_id: UnitId) -> Result<Option<Pledge>, LearningError> {
    let mut c = db.pool.acquire().await?;
    Ok(store::current_pledge(&mut c, school_id).await?)
}

/// The caller's school pledge and their live signature of it.
pub async fn my_pledge(
    db: &Db,
    p: &Principal,
) -> Result<(Student, Option<Pledge>, Option<Signature>), LearningError> {
    let s = own_student(db, p).await?;
    let mut c = db.pool.acquire().await?;
    let p = store::current_pledge(&mut c, s.school_id).await?;
    let sig = match &p {
        Some(p) => store::live_signature(&mut c, p.id, s.id).await?,
        None => None,
    };
    Ok((s, p, sig))
}

/// Signs the current pledge: the full name as on the roster, consent given, and the hash of the
/// text the student read (a text changed meanwhile is refused). One live signature per version.
pub async fn sign_pledge(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    typed_name: &str,
    consent: bool,
    hash: &str,
) -> Result<Signature, LearningError> {
    let s = own_student(db, p).await?;
    let mut problems = Vec::new();
    if !consent {
        problems.push(Msg::new("err-learning-consent"));
    }
    let typed = typed_name.trim();
    if typed != s.name.trim() {
        problems.push(Msg::new("err-learning-typed-name"));
    }
    if !problems.is_empty() {
        return Err(LearningError::Invalid(problems));
    }
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let p = store::current_pledge(&mut tx, s.school_id)
        .await?
        .ok_or(LearningError::NotFound)?;
    if p.body_hash != hash.trim() {
        return Err(LearningError::Conflict("err-learning-pledge-changed"));
    }
    let id = store::insert_signature(&mut tx, &p, s.id, typed, now)
        .await?
        .ok_or(LearningError::Conflict("err-learning-already-signed"))?;
    tx.commit().await?;
    Ok(Signature {
        id,
        pledge_id: p.id,
        student_id: s.id,
        typed_name: typed.to_string(),
        body_hash: p.body_hash,
        signed_at: now,
        withdrawn_at: None,
    })
}

pub async fn withdraw_pledge(db: &Db, clock: &Clock, p: &Principal) -> Result<(), LearningError> {
    let s = own_student(db, p).await?;
    let mut tx = db.begin_write().await?;
    let p = store::current_pledge(&mut tx, s.school_id)
        .await?
        .ok_or(LearningError::NotFound)?;
    if !store::withdraw_signature(&mut tx, p.id, s.id, clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-not-signed"));
    }
    tx.commit().await?;
    Ok(())
}

/// Queues a reminder to exactly the students under a unit who have no live signature of the
/// current pledge (sent by the `learning.remind` job). Returns how many there are now.
pub async fn remind_unsigned(
    db: &Db,
    clock: &Clock,
    jobs: &JobQueue,
    p: &Principal,
    actor: &Actor,
    unit_id: UnitId,
) -> Result<i64, LearningError> {
    let under = unit_for(db, clock, p, actor, Action::RunActivities, unit_id).await?;
    let ids = store::unsigned_students(db, &under.path).await?;
    let school = school_of(db, &under).await?;
    if !ids.is_empty() {
        queue_reminder(clock, jobs, "pledge", 0, school.id, &under).await?;
    }
    Ok(ids.len() as i64)
}

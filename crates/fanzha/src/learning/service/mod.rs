//! The use cases of learning, one function per action. Each checks the caller (students act on
//! their own progress only; staff through the policy over the unit concerned), owns its
//! transaction and answers with the module's error.

use crate::kernel::ids::UnitId;
mod activity;
mod course;
mod coverage;
mod credits;
mod photos;
mod pledge;
mod reminders;
mod structure;
mod terms;
pub use activity::*;
pub use course::*;
pub use coverage::*;
pub use credits::*;
pub use photos::*;
pub use pledge::*;
pub use reminders::*;
pub use structure::*;
pub use terms::*;

use std::collections::HashMap;

use rand::seq::SliceRandom;

use super::model::*;
use super::store::{self, ClassFigures, StudentStanding};
use super::LearningError;
use crate::audit::authorize;
use crate::audit::Actor;
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action, Target};
use crate::clock::Clock;
use crate::clock::Millis;
use crate::config::Config;
use crate::db::jobs::JobQueue;
use crate::db::Db;
use crate::error::Msg;
use crate::inbox::{self, Notice, Recipient};
use crate::kernel::rotating::{Rotating, Shown};
use crate::org::model::{Student, Unit, UnitKind};
use crate::org::store as org_store;

/// How long after its end an activity still takes check-ins, and how early before its start.
pub const CHECKIN_GRACE_MS: Millis = 30 * 60_000;

/// The caller's own student record, or 403 for anyone who is not a student.
pub async fn own_student(db: &Db, p: &Principal) -> Result<Student, LearningError> {
    let id = p
        .student_id
        .filter(|_| p.has_role(Role::Student))
        .ok_or(LearningError::Forbidden)?;
    org_store::student_by_id(db, id)
        .await?
        .ok_or(LearningError::Forbidden)
}

pub fn is_student(p: &Principal) -> bool {
    p.student_id.is_some() && p.has_role(Role::Student)
}

/// The school a unit belongs to (the unit itself when it is one).
pub async fn school_of(db: &Db, unit: &Unit) -> Result<Unit, LearningError> {
    if unit.kind == UnitKind::School {
        return Ok(unit.clone());
    }
    org_store::school_of(db, unit)
        .await?
        .ok_or(LearningError::NotASchoolUnit)
}

pub async fn unit(db: &Db, id: UnitId) -> Result<Unit, LearningError> {
    org_store::unit_by_id(db, id)
        .await?
        .ok_or(LearningError::NotFound)
}

/// The unit `id` when the caller may `action` there: 404 when absent, the policy's refusal
/// (audited, 404 outside every scope) otherwise.
pub async fn unit_for(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    action: Action,
    id: UnitId,
) -> Result<Unit, LearningError> {
    let un = unit(db, id).await?;
    authorize(db, clock, p, actor, action, Target::Unit(&un.path)).await?;
    Ok(un)
}

/// The school `id` when the caller may `action` there ([`unit_for`]), and it is a school.
pub async fn school_for(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    action: Action,
    id: UnitId,
) -> Result<Unit, LearningError> {
    let school = unit_for(db, clock, p, actor, action, id).await?;
    if school.kind != UnitKind::School {
        return Err(LearningError::NotASchoolUnit);
    }
    Ok(school)
}

/// The school `id` when the caller may author its courses and pledge there.
pub async fn school_to_manage(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: UnitId,
) -> Result<Unit, LearningError> {
    school_for(db, clock, p, actor, Action::ManageLearning, id).await
}

/// The schools where the caller may author courses and the pledge.
pub async fn authoring_schools(db: &Db, p: &Principal) -> Result<Vec<Unit>, LearningError> {
    let paths = policy::scopes_for(p, Action::ManageLearning);
    let mut out = Vec::new();
    for path in paths {
        for u in org_store::subtree(db, &path).await? {
            if u.kind == UnitKind::School {
                out.push(u);
            }
        }
        // Police: the schools of the jurisdiction are scope paths themselves.
        for u in org_store::units_by_paths(db, std::slice::from_ref(&path)).await? {
            if u.kind == UnitKind::School && !out.iter().any(|o: &Unit| o.id == u.id) {
                out.push(u);
            }
        }
    }
    out.sort_by_key(|u| u.id);
    out.dedup_by_key(|u| u.id);
    Ok(out)
}

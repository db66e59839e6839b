//! Use cases of teams within a school, staff adjustments of points, and the leaderboards by
//! school or province over a period.

use super::{conn, volunteer_of, VR};
use crate::audit::Actor;
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action, Target};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::Msg;
use crate::kernel::ids::UnitId;
use crate::org::store::lookups as org_lookups;
use crate::volunteers::model::{period_start, EntryKind, Period, Reach, VolError, BOARD_ZONE};
use crate::volunteers::store::{self, Entry, NewEntry, Standing, Team, Volunteer};

/// The school a school admin manages teams of: their first school-admin grant.
fn admin_school(p: &Principal) -> Option<(UnitId, String)> {
    p.grants
        .iter()
        .filter(|g| g.role == Role::SchoolAdmin && g.unit_kind == "school")
        .find_map(|g| g.scope_paths.first().map(|s| (g.unit_id, s.clone())))
}

/// A school admin forms a team of their school (names unique within the school).
pub async fn create_team(db: &Db, clock: &Clock, p: &Principal, name: &str) -> VR<Team> {
    let (school_id, path) = admin_school(p).ok_or(VolError::Forbidden)?;
    let name = match crate::text::name(name) {
        Ok("") => {
            return Err(VolError::Invalid(vec![
                Msg::new("vol-err-required").arg("field", "name")
            ]))
        }
        Ok(n) if n.chars().count() > 60 => {
            return Err(VolError::Invalid(vec![Msg::new("vol-err-too-long")
                .arg("field", "name")
                .arg("max", 60)]))
        }
        Ok(n) => n.to_string(),
        Err(e) => return Err(VolError::Invalid(vec![Msg::new(e.key())])),
    };
    let mut tx = db.begin_write().await?;
    let id = match store::insert_team(
        &mut tx,
        school_id,
        &path,
        &name,
        p.account_id,
        clock.now_ms(),
    )
    .await
    {
        Ok(id) => id,
        Err(e) => {
            let e = crate::db::DbError::from(e);
            return Err(if e.is_unique_violation() {
                VolError::Invalid(vec![Msg::new("vol-err-team-name")])
            } else {
                VolError::Db(e)
            });
        }
    };
    let t = store::team(&mut tx, id).await?.ok_or(VolError::NotFound)?;
    tx.commit().await?;
    Ok(t)
}

/// Teams the caller may see: a student's school's; staff: of the schools in their units
/// (police: the schools of their jurisdiction).
pub async fn teams_for(db: &Db, p: &Principal) -> VR<Vec<Team>> {
    if let Some(school) = own_school(db, p).await? {
        let mut c = conn(db).await?;
        return Ok(store::teams_under(&mut c, &[school]).await?);
    }
    let mut c = conn(db).await?;
    // Team names and sizes are no personal data: whoever sees a unit sees its schools' teams.
    let paths = policy::scopes_for(p, Action::ViewUnits);
    if paths.is_empty() {
        return Err(VolError::Forbidden);
    }
    Ok(store::teams_under(&mut c, &paths).await?)
}

/// The path of a student's school (registered as a volunteer or not).
async fn own_school(db: &Db, p: &Principal) -> VR<Option<String>> {
    let Some(sid) = p.student_id else {
        return Ok(None);
    };
    let Some(s) = crate::org::store::student_by_id(db, sid).await? else {
        return Ok(None);
    };
    Ok(crate::org::store::unit_by_id(db, s.school_id)
        .await?
        .map(|u| u.path))
}

/// The caller's team.
pub async fn my_team(db: &Db, v: &Volunteer) -> VR<Option<Team>> {
    let mut c = conn(db).await?;
    Ok(store::team_of(&mut c, v.id).await?)
}

/// A volunteer joins a team of their own school (leaving the one they were in).
pub async fn join_team(db: &Db, clock: &Clock, p: &Principal, team_id: i64) -> VR<Team> {
    let mut tx = db.begin_write().await?;
    // An absent team is not found for everyone, before the caller's own state is looked at.
    let t = store::team(&mut tx, team_id)
        .await?
        .ok_or(VolError::NotFound)?;
    let v = volunteer_of(&mut tx, p).await?;
    if t.school_id != v.school_id {
        return Err(VolError::NotFound);
    }
    store::join_team(&mut tx, v.id, t.id, clock.now_ms()).await?;
    let t = store::team(&mut tx, team_id)
        .await?
        .ok_or(VolError::NotFound)?;
    tx.commit().await?;
    Ok(t)
}

/// A volunteer leaves their team.
pub async fn leave_team(db: &Db, p: &Principal) -> VR<()> {
    let mut tx = db.begin_write().await?;
    let v = volunteer_of(&mut tx, p).await?;
    if !store::leave_team(&mut tx, v.id).await? {
        return Err(VolError::WrongState);
    }
    tx.commit().await?;
    Ok(())
}

/// Team names of volunteers (for staff lists).
pub async fn team_names(db: &Db, ids: &[i64]) -> VR<std::collections::HashMap<i64, String>> {
    let mut c = conn(db).await?;
    Ok(store::team_names(&mut c, ids).await?.into_iter().collect())
}

/// Staff or police adjust a volunteer's points with a reason: an `adjust` entry, once per key
/// (a retry returns the same entry); never below zero. Only staff who may list the volunteer's
/// class (police: schools of their jurisdiction); others get not-found.
// The parts of the app a use case needs, the caller, then the input: each used once.
#[allow(clippy::too_many_arguments)]
pub async fn adjust(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    volunteer_id: i64,
    points: i64,
    reason: &str,
    key: &str,
) -> VR<Entry> {
    let mut problems = Vec::new();
    let key = key.trim();
    if key.is_empty() || key.len() > 100 {
        problems.push(Msg::new("vol-err-key"));
    }
    if points == 0 || points.abs() > 10_000 {
        problems.push(Msg::new("vol-err-adjust-points"));
    }
    let reason = match crate::text::multiline(reason) {
        Ok("") => {
            problems.push(Msg::new("vol-err-reason"));
            ""
        }
        Ok(r) if r.chars().count() > 500 => {
            problems.push(
                Msg::new("vol-err-too-long")
                    .arg("field", "reason")
                    .arg("max", 500),
            );
            ""
        }
        Ok(r) => r,
        Err(e) => {
            problems.push(Msg::new(e.key()));
            ""
        }
    };
    let staff = p.roles().iter().any(|r| r.is_staff());
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let v = store::volunteer(&mut tx, volunteer_id)
        .await?
        .ok_or(VolError::NotFound)?;
    if !staff || !policy::allows(p, Action::ListPeople, &Target::Unit(&v.class_path)) {
        return Err(VolError::NotFound);
    }
    if !problems.is_empty() {
        return Err(VolError::Invalid(problems));
    }
    let cause = format!("adjust:volunteer:{volunteer_id}:{key}");
    if let Some(e) = store::entry_by_cause(&mut tx, &cause).await? {
        return Ok(e);
    }
    let e = NewEntry {
        volunteer_id,
        kind: EntryKind::Adjust,
        points,
        cause: &cause,
        task_id: None,
        reward_id: None,
        reverses: None,
        note: reason,
        by: Some(p.account_id),
    };
    super::post(&mut tx, &e, now).await?;
    let e = store::entry_by_cause(&mut tx, &cause)
        .await?
        .ok_or(VolError::NotFound)?;
    tx.commit().await?;
    crate::audit::record(
        &db.pool,
        clock,
        actor,
        crate::audit::Event {
            action: "volunteers.points.adjust",
            target_kind: "volunteer",
            target_id: volunteer_id.to_string(),
            unit_path: v.class_path.clone(),
            detail: serde_json::json!({"points": points, "reason": reason}),
        },
    )
    .await?;
    Ok(e)
}

/// A leaderboard over a period: the volunteers, the classes and the schools of the area, by points earned
/// in the period (awards, revocations and adjustments; redemptions do not lower a standing).
pub struct PeriodBoard {
    /// The area's name (the school or the province).
    pub area: String,
    pub since: i64,
    pub people: Vec<Standing>,
    /// The area's classes by points their volunteers earned in the period.
    pub classes: Vec<Standing>,
    pub schools: Vec<Standing>,
}

/// The area a leaderboard covers for the caller: a student's school or its province; staff:
/// their first unit or the province around it.
async fn area(db: &Db, p: &Principal, reach: Reach) -> VR<(String, String)> {
    let base = match own_school(db, p).await? {
        Some(school) => school,
        None => policy::scopes_for(p, Action::ViewUnits)
            .into_iter()
            .next()
            .ok_or(VolError::Forbidden)?,
    };
    let mut c = conn(db).await?;
    let path = match reach {
        Reach::School => base,
        Reach::Province => org_lookups::province_path_of(&mut c, &base)
            .await?
            .unwrap_or(base),
    };
    let name = org_lookups::unit_name_by_path(&mut c, &path)
        .await?
        .unwrap_or_default();
    Ok((path, name))
}

pub async fn period_board(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    reach: Reach,
    period: Period,
) -> VR<PeriodBoard> {
    let (path, name) = area(db, p, reach).await?;
    // Periods are counted in one zone for everyone (see `BOARD_ZONE`): the same ranks for all.
    let since = period_start(period, clock.now_ms(), BOARD_ZONE);
    let mut c = conn(db).await?;
    let people = store::earned_people(&mut c, &path, period, since, 20).await?;
    let classes =
        store::earned_groups(&mut c, &path, store::Group::Class, period, since, 20).await?;
    let schools = store::earned_schools(&mut c, &path, period, since, 20).await?;
    Ok(PeriodBoard {
        area: name,
        since,
        people,
        classes,
        schools,
    })
}

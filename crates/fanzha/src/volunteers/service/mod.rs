//! The use cases of the volunteers module, one function per action, each owning its transaction.
//! Pages and API call the same functions.

use crate::kernel::ids::UnitId;
use sqlx::AnyConnection;

use super::model::{
    ClaimStatus, Contact, Decision, EntryKind, Proof, TaskInput, TaskStatus, VolError,
    MAX_PHOTO_BYTES,
};
use super::store::{self, Claim, NewEntry, Task, Volunteer};
use crate::audit::Actor;
use crate::audit::{self, Event};
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action, Target};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::Msg;
use crate::inbox::{Notice, Recipient};
use crate::kernel::rotating::{Rotating, Shown};
use crate::org::store::lookups as org_lookups;

type VR<T> = Result<T, VolError>;

/// How early before a task's start a volunteer may check in.
pub const CHECKIN_EARLY_MS: i64 = 30 * 60_000;

/// Minutes credited for one claim: the check-in/out interval capped at the task's minutes; zero
/// without both times.
pub fn credited_minutes(checkin: Option<i64>, checkout: Option<i64>, cap: i64) -> i64 {
    match (checkin, checkout) {
        (Some(i), Some(o)) if o > i => ((o - i) / 60_000).min(cap),
        _ => 0,
    }
}

/// The idempotency key of the award for a task to a person.
pub fn award_cause(task_id: i64, volunteer_id: i64) -> String {
    format!("award:task:{task_id}:volunteer:{volunteer_id}")
}

fn revoke_cause(task_id: i64, volunteer_id: i64) -> String {
    format!("revoke:task:{task_id}:volunteer:{volunteer_id}")
}

/// May `p` publish and review tasks of the unit at `path` (the unit's police or school staff, and
/// police above it)?
pub fn can_manage(p: &Principal, path: &str) -> bool {
    policy::allows(p, Action::ManageCampaigns, &Target::Unit(path))
}

/// The unit a police officer or school admin publishes as: their first grant that may manage.
pub fn publishing_unit(p: &Principal) -> Option<(UnitId, String)> {
    p.grants
        .iter()
        .filter(|g| matches!(g.role, Role::Police | Role::SchoolAdmin))
        .find_map(|g| g.scope_paths.first().map(|s| (g.unit_id, s.clone())))
}

/// May `p` see a task (a volunteer it is offered to, or staff whose units it concerns)?
pub fn sees(p: &Principal, vol: Option<&Volunteer>, t: &Task) -> bool {
    if let Some(v) = vol {
        if t.offered_to(&v.class_path) {
            return true;
        }
    }
    // A task open to all is on everyone's board (a student sees it before registering).
    if t.targets.is_empty() && p.roles().iter().any(|r| *r != Role::Partner) {
        return true;
    }
    sees_unit(p, &t.unit_path, &t.targets)
}

/// May staff `p` see what a unit published for some target units (its managers, and those who
/// see the unit or one of the targets)?
pub fn sees_unit(p: &Principal, unit_path: &str, targets: &[String]) -> bool {
    let view = |path: &str| policy::allows(p, Action::ViewUnits, &Target::Unit(path));
    can_manage(p, unit_path) || view(unit_path) || targets.iter().any(|x| view(x))
}

async fn conn(db: &Db) -> VR<sqlx::pool::PoolConnection<sqlx::Any>> {
    Ok(db.pool.acquire().await?)
}

async fn volunteer_of(c: &mut AnyConnection, p: &Principal) -> VR<Volunteer> {
    store::volunteer_by_account(c, p.account_id)
        .await?
        .ok_or(VolError::NotVolunteer)
}

/// The caller's volunteer record, if registered.
pub async fn me(db: &Db, p: &Principal) -> VR<Option<Volunteer>> {
    let mut c = conn(db).await?;
    Ok(store::volunteer_by_account(&mut c, p.account_id).await?)
}

/// The caller's stored balance and standing (points earned), one indexed row; both are kept
/// equal to the sums of the ledger in the transaction of each entry.
pub async fn balance(db: &Db, p: &Principal) -> VR<(i64, i64)> {
    let mut c = conn(db).await?;
    store::balance_by_account(&mut c, p.account_id)
        .await?
        .ok_or(VolError::NotVolunteer)
}

/// A student registers as a volunteer of their school (consent required).
pub async fn register(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    contact: &str,
    consent: bool,
) -> VR<Volunteer> {
    let sid = match p.student_id {
        Some(s) if p.has_role(Role::Student) => s,
        _ => return Err(VolError::NotStudent),
    };
    let contact = Contact::parse(contact)
        .ok_or_else(|| VolError::Invalid(vec![Msg::new("vol-err-contact")]))?;
    if !consent {
        return Err(VolError::NoConsent);
    }
    let student = crate::org::store::student_by_id(db, sid)
        .await?
        .ok_or(VolError::NotStudent)?;
    let mut tx = db.begin_write().await?;
    if store::volunteer_by_account(&mut tx, p.account_id)
        .await?
        .is_some()
    {
        return Err(VolError::AlreadyRegistered);
    }
    store::insert_volunteer(&mut tx, &student, p.account_id, contact, clock.now_ms()).await?;
    let v = volunteer_of(&mut tx, p).await?;
    tx.commit().await?;
    Ok(v)
}

/// Volunteers the caller may list (staff of their units; police: schools of their jurisdiction),
/// names masked; the list read is audited.
pub async fn volunteers_in_scope(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
) -> VR<Vec<Volunteer>> {
    let paths = policy::scopes_for(p, Action::ListPeople);
    if paths.is_empty() {
        return Err(VolError::Forbidden);
    }
    let mut c = conn(db).await?;
    let mut list = store::volunteers_under(&mut c, &paths, 500).await?;
    drop(c);
    for v in &mut list {
        v.name = crate::org::model::mask_name(&v.name);
        v.student_no = super::model::mask_student_no(&v.student_no);
    }
    audit::person_list_read(
        db,
        clock,
        p,
        actor,
        audit::ListRead {
            export: false,
            kind: "volunteer",
            unit_path: paths.first().cloned().unwrap_or_default(),
            filter: serde_json::json!({ "under": paths, "total": list.len() }),
            ids: list.iter().map(|v| v.student_id.get()).collect(),
        },
    )
    .await?;
    Ok(list)
}

/// Publishes a task as the caller's unit; target units must be ones the caller can see.
pub async fn publish(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    input: &TaskInput,
) -> VR<Task> {
    let (unit_id, unit_path) = publishing_unit(p).ok_or(VolError::NoUnit)?;
    if !can_manage(p, &unit_path) {
        return Err(VolError::NoUnit);
    }
    let now = clock.now_ms();
    let v = input.validate(now).map_err(VolError::Invalid)?;
    let mut tx = db.begin_write().await?;
    let mut paths = Vec::new();
    let mut problems = Vec::new();
    for code in &v.targets {
        match org_lookups::unit_ref_by_code(&mut tx, code).await? {
            Some(u) if policy::allows(p, Action::ViewUnits, &Target::Unit(&u.path)) => {
                paths.push(u.path)
            }
            _ => problems.push(Msg::new("vol-err-target").arg("code", code)),
        }
    }
    if !problems.is_empty() {
        return Err(VolError::Invalid(problems));
    }
    let id =
        store::insert_task(&mut tx, unit_id, &unit_path, p.account_id, &v, &paths, now).await?;
    let t = store::task(&mut tx, id).await?.ok_or(VolError::NotFound)?;
    tx.commit().await?;
    audit_write(
        db,
        clock,
        actor,
        "volunteers.task.publish",
        "volunteer_task",
        id,
        &t.unit_path,
    )
    .await?;
    Ok(t)
}

/// Writes a volunteers action on one of its records to the audit log.
async fn audit_write(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    action: &str,
    kind: &str,
    id: i64,
    path: &str,
) -> VR<()> {
    audit::record(
        &db.pool,
        clock,
        actor,
        Event {
            action,
            target_kind: kind,
            target_id: id.to_string(),
            unit_path: path.to_string(),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    Ok(())
}

/// Filter of the task board.
#[derive(Clone, Debug, Default)]
pub struct Board {
    /// Only tasks of the volunteer's school and of the police stations covering it.
    pub near: bool,
    /// Only tasks running on this local day, given as [start, end) UTC ms.
    pub day: Option<(i64, i64)>,
    /// Include finished tasks.
    pub finished: bool,
}

/// A task on the board with the caller's own claim.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BoardItem {
    pub task: Task,
    pub mine: Option<ClaimStatus>,
    pub finished: bool,
}

/// The tasks the caller may see, filtered.
pub async fn board(db: &Db, clock: &Clock, p: &Principal, f: &Board) -> VR<Vec<BoardItem>> {
    let now = clock.now_ms();
    let mut c = conn(db).await?;
    let vol = store::volunteer_by_account(&mut c, p.account_id).await?;
    let near: Vec<String> = match (&vol, f.near) {
        (Some(v), true) => {
            let mut n = org_lookups::station_paths_of_school(&mut c, v.school_id).await?;
            n.push(v.school_path.clone());
            n
        }
        _ => vec![],
    };
    let all = store::tasks(&mut c, (!f.finished).then_some(now), 500).await?;
    let mut out = Vec::new();
    for t in all {
        if !sees(p, vol.as_ref(), &t) {
            continue;
        }
        if f.near && vol.is_some() && !near.iter().any(|n| t.unit_path.starts_with(n.as_str())) {
            continue;
        }
        if let Some((a, b)) = f.day {
            if t.ends_at <= a || t.starts_at >= b {
                continue;
            }
        }
        let mine = match &vol {
            Some(v) => store::claim_of(&mut c, t.id, v.id).await?.map(|c| c.status),
            None => None,
        };
        let finished = t.finished(now);
        out.push(BoardItem {
            task: t,
            mine,
            finished,
        });
    }
    Ok(out)
}

/// One task for the caller, or NotFound.
pub async fn task_for(db: &Db, p: &Principal, id: i64) -> VR<(Task, Option<Volunteer>)> {
    let mut c = conn(db).await?;
    let t = store::task(&mut c, id).await?.ok_or(VolError::NotFound)?;
    let vol = store::volunteer_by_account(&mut c, p.account_id).await?;
    if !sees(p, vol.as_ref(), &t) {
        return Err(VolError::NotFound);
    }
    Ok((t, vol))
}

/// The caller's claim on a task.
pub async fn my_claim(db: &Db, vol: &Volunteer, task_id: i64) -> VR<Option<Claim>> {
    let mut c = conn(db).await?;
    Ok(store::claim_of(&mut c, task_id, vol.id).await?)
}

/// The claims of a task, for its publisher's unit (names as the roster has them).
pub async fn claims_for_reviewer(db: &Db, p: &Principal, t: &Task) -> VR<Vec<Claim>> {
    if !can_manage(p, &t.unit_path) {
        return Err(VolError::Forbidden);
    }
    let mut c = conn(db).await?;
    Ok(store::claims_of_task(&mut c, t.id).await?)
}

/// Claims a slot of a task; with `wait`, a full task puts the volunteer on its waiting list.
/// At most one claim per person and task; a full or closed task changes nothing. The claims of
/// one task are decided in batches by its writer (see [`claims`]).
pub async fn claim(
    claims: &ClaimWriter,
    clock: &Clock,
    p: &Principal,
    task_id: i64,
    wait: bool,
) -> VR<Claim> {
    claims
        .claim(task_id, p.account_id, wait, clock.now_ms())
        .await
}

/// Withdraws the caller's claim before the cut-off; a freed slot goes to the first on the
/// waiting list, who is told in their inbox.
pub async fn withdraw(db: &Db, clock: &Clock, p: &Principal, task_id: i64) -> VR<()> {
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let t = store::task(&mut tx, task_id)
        .await?
        .ok_or(VolError::NotFound)?;
    let v = volunteer_of(&mut tx, p).await?;
    // A task not offered to the caller does not exist for them.
    if !t.offered_to(&v.class_path) {
        return Err(VolError::NotFound);
    }
    let c = store::claim_of(&mut tx, task_id, v.id)
        .await?
        .ok_or(VolError::NoClaim)?;
    match c.status {
        ClaimStatus::Waiting => {
            store::move_claim(&mut tx, c.id, ClaimStatus::Waiting, ClaimStatus::Withdrawn).await?;
        }
        ClaimStatus::Claimed => {
            if now >= t.withdraw_until {
                return Err(VolError::TooLate);
            }
            if c.checkin_at.is_some() {
                return Err(VolError::WrongState);
            }
            store::move_claim(&mut tx, c.id, ClaimStatus::Claimed, ClaimStatus::Withdrawn).await?;
            match store::promote_first_waiting(&mut tx, task_id, now).await? {
                Some(next) => {
                    crate::inbox::notify(
                        &mut *tx,
                        clock,
                        &Recipient::Account(next.account_id),
                        &Notice {
                            kind: "volunteers".into(),
                            title: format!("志愿任务有名额了:{}", t.title),
                            body: format!(
                                "你在候补名单上的任务「{}」空出一个名额,已为你认领。如不能参加,请在截止前退出。",
                                t.title
                            ),
                            link: Some(format!("/volunteers/tasks/{task_id}")),
                        },
                    )
                    .await?;
                }
                None => store::free_slot(&mut tx, task_id).await?,
            }
        }
        _ => return Err(VolError::WrongState),
    }
    tx.commit().await?;
    crate::inbox::bump();
    Ok(())
}

/// Closes (no more claims) or cancels a task (publisher's unit).
pub async fn set_status(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    task_id: i64,
    to: TaskStatus,
) -> VR<Task> {
    let mut tx = db.begin_write().await?;
    let t = store::task(&mut tx, task_id)
        .await?
        .ok_or(VolError::NotFound)?;
    if !can_manage(p, &t.unit_path) {
        return Err(if sees(p, None, &t) {
            VolError::Forbidden
        } else {
            VolError::NotFound
        });
    }
    let allowed = matches!(
        (t.status, to),
        (TaskStatus::Open, TaskStatus::Closed)
            | (TaskStatus::Open, TaskStatus::Cancelled)
            | (TaskStatus::Closed, TaskStatus::Cancelled)
            | (TaskStatus::Closed, TaskStatus::Open)
    );
    if !allowed {
        return Err(VolError::WrongState);
    }
    store::set_task_status(&mut tx, task_id, to).await?;
    let t = store::task(&mut tx, task_id)
        .await?
        .ok_or(VolError::NotFound)?;
    tx.commit().await?;
    audit_write(
        db,
        clock,
        actor,
        &format!("volunteers.task.{}", to.as_str()),
        "volunteer_task",
        task_id,
        &t.unit_path,
    )
    .await?;
    Ok(t)
}

async fn rotating(db: &Db, task_id: i64) -> VR<Rotating> {
    let key = crate::db::keys::server_key(db, "checkin").await?;
    Ok(Rotating::new(&key, &format!("volunteer-task:{task_id}")))
}

/// The code the task's place screen shows now (publisher's unit only).
pub async fn place_code(db: &Db, clock: &Clock, p: &Principal, task_id: i64) -> VR<(Task, Shown)> {
    let mut c = conn(db).await?;
    let t = store::task(&mut c, task_id)
        .await?
        .ok_or(VolError::NotFound)?;
    drop(c);
    if !can_manage(p, &t.unit_path) {
        return Err(VolError::NotFound);
    }
    let r = rotating(db, task_id).await?;
    Ok((t, r.shown(clock.now_ms())))
}

/// Checks the caller in (`out` false) or out at the task's place with the code of its screen.
pub async fn check(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    task_id: i64,
    code: &str,
    out: bool,
) -> VR<Claim> {
    let now = clock.now_ms();
    let r = rotating(db, task_id).await?;
    let mut tx = db.begin_write().await?;
    let t = store::task(&mut tx, task_id)
        .await?
        .ok_or(VolError::NotFound)?;
    let v = volunteer_of(&mut tx, p).await?;
    // A task not offered to the caller does not exist for them.
    if !t.offered_to(&v.class_path) {
        return Err(VolError::NotFound);
    }
    let c = store::claim_of(&mut tx, task_id, v.id)
        .await?
        .ok_or(VolError::NoClaim)?;
    if r.check(code, now).is_none() {
        return Err(VolError::BadCode);
    }
    if !out {
        if now < t.starts_at - CHECKIN_EARLY_MS || now >= t.ends_at {
            return Err(VolError::NotNow);
        }
        if c.status != ClaimStatus::Claimed || !store::set_checkin(&mut tx, c.id, now).await? {
            return Err(VolError::WrongState);
        }
    } else {
        if c.status != ClaimStatus::Claimed || !store::set_checkout(&mut tx, c.id, now).await? {
            return Err(VolError::WrongState);
        }
        if t.proof == Proof::Checkin {
            store::set_proof(&mut tx, c.id, None, None, now).await?;
        }
    }
    let c = store::claim(&mut tx, c.id)
        .await?
        .ok_or(VolError::NotFound)?;
    tx.commit().await?;
    Ok(c)
}

/// What a volunteer hands in.
pub enum ProofIn {
    Text(String),
    Photo(Vec<u8>),
}

/// A proof photo as stored: within the size limit, a JPEG or PNG, turned upright, without
/// metadata (where and when it was taken, and the phone, stay with the volunteer); and its type.
fn clean_photo(b: &[u8]) -> VR<(Vec<u8>, &'static str)> {
    if b.len() > MAX_PHOTO_BYTES {
        return Err(VolError::Invalid(vec![
            Msg::new("vol-err-photo-size").arg("max", MAX_PHOTO_BYTES / 1024 / 1024)
        ]));
    }
    let kind =
        image_type(b).ok_or_else(|| VolError::Invalid(vec![Msg::new("vol-err-photo-type")]))?;
    let clean = crate::volunteers::images::strip_metadata(b)
        .map_err(|_| VolError::Invalid(vec![Msg::new("vol-err-photo-type")]))?;
    Ok((clean, kind))
}

fn image_type(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// Submits proof of the kind the task requires.
pub async fn submit_proof(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    task_id: i64,
    proof: ProofIn,
) -> VR<Claim> {
    let now = clock.now_ms();
    // A photo is checked, turned upright and stripped before the write transaction, so decoding
    // it never holds the write lock; its verdict is given where it was before (after the task
    // and claim checks), so the answers do not change.
    let photo = match &proof {
        ProofIn::Photo(b) => {
            let b = b.clone();
            Some(
                tokio::task::spawn_blocking(move || clean_photo(&b))
                    .await
                    .unwrap_or_else(|_| {
                        Err(VolError::Invalid(vec![Msg::new("vol-err-photo-type")]))
                    }),
            )
        }
        ProofIn::Text(_) => None,
    };
    let mut tx = db.begin_write().await?;
    let t = store::task(&mut tx, task_id)
        .await?
        .ok_or(VolError::NotFound)?;
    let v = volunteer_of(&mut tx, p).await?;
    // A task not offered to the caller does not exist for them.
    if !t.offered_to(&v.class_path) {
        return Err(VolError::NotFound);
    }
    let c = store::claim_of(&mut tx, task_id, v.id)
        .await?
        .ok_or(VolError::NoClaim)?;
    let ok = match (&proof, t.proof) {
        (ProofIn::Text(s), Proof::Text) => {
            let s = crate::text::multiline(s)
                .map_err(|e| VolError::Invalid(vec![Msg::new(e.key())]))?;
            if s.is_empty() || s.chars().count() > 2000 {
                return Err(VolError::Invalid(vec![Msg::new("vol-err-proof-text")]));
            }
            if c.status != ClaimStatus::Claimed {
                return Err(VolError::WrongState);
            }
            store::set_proof(&mut tx, c.id, Some(s), None, now).await?
        }
        (ProofIn::Photo(_), Proof::Photo) => {
            let (clean, kind) = photo.ok_or(VolError::WrongProof)??;
            if c.status != ClaimStatus::Claimed {
                return Err(VolError::WrongState);
            }
            store::set_proof(&mut tx, c.id, None, Some((&clean, kind)), now).await?
        }
        _ => return Err(VolError::WrongProof),
    };
    if !ok {
        return Err(VolError::WrongState);
    }
    let c = store::claim(&mut tx, c.id)
        .await?
        .ok_or(VolError::NotFound)?;
    tx.commit().await?;
    Ok(c)
}

/// The photo of a claim, for the volunteer and the task's reviewers.
pub async fn proof_photo(db: &Db, p: &Principal, claim_id: i64) -> VR<(Vec<u8>, String)> {
    let mut c = conn(db).await?;
    let cl = store::claim(&mut c, claim_id)
        .await?
        .ok_or(VolError::NotFound)?;
    let t = store::task(&mut c, cl.task_id)
        .await?
        .ok_or(VolError::NotFound)?;
    if cl.account_id != p.account_id && !can_manage(p, &t.unit_path) {
        return Err(VolError::NotFound);
    }
    store::proof_photo(&mut c, claim_id)
        .await?
        .ok_or(VolError::NotFound)
}

/// The publisher's unit (or police above it) decides on a claim: approve (points and hours),
/// reject with a reason, mark a no-show, or revoke an approval (a reversing entry). Nobody
/// decides on a claim they made themselves. A replayed approval credits nothing twice.
pub async fn review(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    claim_id: i64,
    d: Decision,
    reason: &str,
) -> VR<Claim> {
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let c = store::claim(&mut tx, claim_id)
        .await?
        .ok_or(VolError::NotFound)?;
    let t = store::task(&mut tx, c.task_id)
        .await?
        .ok_or(VolError::NotFound)?;
    if !can_manage(p, &t.unit_path) {
        return Err(VolError::NotFound);
    }
    if c.account_id == p.account_id {
        return Err(VolError::OwnClaim);
    }
    let reason =
        crate::text::multiline(reason).map_err(|e| VolError::Invalid(vec![Msg::new(e.key())]))?;
    if matches!(d, Decision::Reject | Decision::Revoke) && reason.is_empty() {
        return Err(VolError::Invalid(vec![Msg::new("vol-err-reason")]));
    }
    let by = p.account_id;
    match d {
        Decision::Approve => {
            let minutes = credited_minutes(c.checkin_at, c.checkout_at, t.minutes);
            if !store::decide(
                &mut tx,
                c.id,
                &[ClaimStatus::Submitted],
                &store::Decided {
                    to: ClaimStatus::Approved,
                    minutes,
                    reason: None,
                    by,
                    at: now,
                },
            )
            .await?
            {
                return Err(VolError::WrongState);
            }
            award(&mut tx, &t, c.volunteer_id, by, now).await?;
        }
        Decision::Reject => {
            if !store::decide(
                &mut tx,
                c.id,
                &[ClaimStatus::Submitted],
                &store::Decided {
                    to: ClaimStatus::Rejected,
                    minutes: 0,
                    reason: Some(reason),
                    by,
                    at: now,
                },
            )
            .await?
            {
                return Err(VolError::WrongState);
            }
        }
        Decision::NoShow => {
            if now < t.starts_at
                || !store::decide(
                    &mut tx,
                    c.id,
                    &[ClaimStatus::Claimed, ClaimStatus::Submitted],
                    &store::Decided {
                        to: ClaimStatus::NoShow,
                        minutes: 0,
                        reason: Some(reason),
                        by,
                        at: now,
                    },
                )
                .await?
            {
                return Err(VolError::WrongState);
            }
        }
        Decision::Revoke => {
            if !store::decide(
                &mut tx,
                c.id,
                &[ClaimStatus::Approved],
                &store::Decided {
                    to: ClaimStatus::Rejected,
                    minutes: 0,
                    reason: Some(reason),
                    by,
                    at: now,
                },
            )
            .await?
            {
                return Err(VolError::WrongState);
            }
            if let Some(a) =
                store::entry_by_cause(&mut tx, &award_cause(t.id, c.volunteer_id)).await?
            {
                let cause = revoke_cause(t.id, c.volunteer_id);
                let e = NewEntry {
                    volunteer_id: c.volunteer_id,
                    kind: EntryKind::Revoke,
                    points: -a.points,
                    cause: &cause,
                    task_id: Some(t.id),
                    reward_id: None,
                    reverses: Some(a.id),
                    note: reason,
                    by: Some(by),
                };
                if store::post_entry(&mut tx, &e, now).await? == store::Posted::Insufficient {
                    return Err(VolError::Spent);
                }
            }
        }
    }
    let c = store::claim(&mut tx, c.id)
        .await?
        .ok_or(VolError::NotFound)?;
    tx.commit().await?;
    audit_write(
        db,
        clock,
        actor,
        &format!("volunteers.claim.{}", d.as_str()),
        "volunteer_task",
        t.id,
        &t.unit_path,
    )
    .await?;
    Ok(c)
}

mod calls;
pub mod claims;
use claims::ClaimWriter;
mod points;
mod teams;
pub use calls::*;
pub use points::*;
pub use teams::*;

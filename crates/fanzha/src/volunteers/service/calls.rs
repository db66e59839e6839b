//! Use cases of calls for works (征集), their review, the shared library (资源矩阵) and the links
//! to contests: a shortlisted work entered in a contest by its author, a published contest's
//! winners added to the library.

use super::{audit_write, can_manage, conn, publishing_unit, sees_unit, volunteer_of, VR};
use crate::audit::Actor;
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action, Target};
use crate::campaigns::service::{NewContent, SvcError};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::Msg;
use crate::kernel::ids::{AccountId, UnitId};
use crate::org::store::lookups as org_lookups;
use crate::volunteers::model::{
    Audience, CallInput, CallStatus, EntryKind, VolError, WorkDecision, WorkInput, WorkKind,
    WorkLicence, WorkStatus, MAX_WORKS_PER_CALL,
};
use crate::volunteers::store::{self, Call, Item, ItemFilter, NewEntry, NewItem, Work};

/// The idempotency key of the points for an accepted work.
pub fn work_award_cause(work_id: i64, volunteer_id: i64) -> String {
    format!("award:work:{work_id}:volunteer:{volunteer_id}")
}

fn camp(e: SvcError) -> VolError {
    match e {
        SvcError::Refused(c) => VolError::Invalid(vec![match c.arg {
            Some(a) => Msg::new(c.key).arg("value", a),
            None => Msg::new(c.key),
        }]),
        SvcError::NotFound => VolError::NotFound,
        SvcError::Forbidden => VolError::Forbidden,
        SvcError::Db(d) => VolError::Db(d),
    }
}

/// Opens a call for works as the caller's unit; target units must be ones the caller can see.
pub async fn publish_call(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    input: &CallInput,
) -> VR<Call> {
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
        store::insert_call(&mut tx, unit_id, &unit_path, p.account_id, &v, &paths, now).await?;
    let c = store::call(&mut tx, id).await?.ok_or(VolError::NotFound)?;
    tx.commit().await?;
    audit_write(
        db,
        clock,
        actor,
        "volunteers.call.publish",
        "volunteer_call",
        id,
        &c.unit_path,
    )
    .await?;
    Ok(c)
}

/// May `p` see a call (a student it is addressed to, or staff whose units it concerns)?
fn sees_call(p: &Principal, class_path: Option<&str>, c: &Call) -> bool {
    if let Some(cp) = class_path {
        if c.offered_to(cp) {
            return true;
        }
    }
    if c.targets.is_empty() && p.has_role(Role::Student) {
        return true;
    }
    sees_unit(p, &c.unit_path, &c.targets)
}

async fn class_path_of(db: &Db, p: &Principal) -> VR<Option<String>> {
    Ok(match p.student_id {
        Some(sid) => crate::org::store::student_by_id(db, sid)
            .await?
            .map(|s| s.class_path),
        None => None,
    })
}

/// The calls the caller may see, newest deadline first.
pub async fn calls_for(db: &Db, p: &Principal) -> VR<Vec<Call>> {
    let cp = class_path_of(db, p).await?;
    let mut c = conn(db).await?;
    Ok(store::calls(&mut c, 200)
        .await?
        .into_iter()
        .filter(|k| sees_call(p, cp.as_deref(), k))
        .collect())
}

/// One call for the caller, or NotFound.
pub async fn call_for(db: &Db, p: &Principal, id: i64) -> VR<Call> {
    let cp = class_path_of(db, p).await?;
    let mut c = conn(db).await?;
    let k = store::call(&mut c, id).await?.ok_or(VolError::NotFound)?;
    if !sees_call(p, cp.as_deref(), &k) {
        return Err(VolError::NotFound);
    }
    Ok(k)
}

/// Closes a call early (its organiser's unit).
pub async fn close_call(db: &Db, clock: &Clock, p: &Principal, actor: &Actor, id: i64) -> VR<Call> {
    let mut tx = db.begin_write().await?;
    let k = store::call(&mut tx, id).await?.ok_or(VolError::NotFound)?;
    if !can_manage(p, &k.unit_path) {
        return Err(VolError::NotFound);
    }
    if k.status != CallStatus::Open {
        return Err(VolError::WrongState);
    }
    store::set_call_status(&mut tx, id, CallStatus::Closed).await?;
    let k = store::call(&mut tx, id).await?.ok_or(VolError::NotFound)?;
    tx.commit().await?;
    audit_write(
        db,
        clock,
        actor,
        "volunteers.call.close",
        "volunteer_call",
        id,
        &k.unit_path,
    )
    .await?;
    Ok(k)
}

/// A volunteer hands in a work to a call before its deadline (at most five per call).
pub async fn submit_work(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    call_id: i64,
    w: &WorkInput,
) -> VR<Work> {
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let k = store::call(&mut tx, call_id)
        .await?
        .ok_or(VolError::NotFound)?;
    let v = volunteer_of(&mut tx, p).await?;
    if !k.offered_to(&v.class_path) {
        return Err(VolError::NotFound);
    }
    if now >= k.closes_at {
        return Err(VolError::Deadline);
    }
    if !k.taking(now) {
        return Err(VolError::NotOpen);
    }
    let valid = w.validate(&k.kinds).map_err(VolError::Invalid)?;
    // Takes the volunteer's row lock (PostgreSQL) so two hand-ins of one person take turns and
    // the limit below holds; on SQLite the write transaction already serialises them.
    store::lock_volunteer(&mut tx, v.id).await?;
    if store::works_count(&mut tx, call_id, v.id).await? >= MAX_WORKS_PER_CALL {
        return Err(VolError::TooMany);
    }
    let id = match store::insert_work(&mut tx, call_id, v.id, p.account_id, &valid, now).await {
        Ok(id) => id,
        Err(e) => {
            let e = crate::db::DbError::from(e);
            return Err(if e.is_unique_violation() {
                VolError::Invalid(vec![Msg::new("vol-err-same-title")])
            } else {
                VolError::Db(e)
            });
        }
    };
    let work = store::work(&mut tx, id).await?.ok_or(VolError::NotFound)?;
    tx.commit().await?;
    Ok(work)
}

/// The works of a call, for its organiser's unit.
pub async fn works_for_reviewer(db: &Db, p: &Principal, k: &Call) -> VR<Vec<Work>> {
    if !can_manage(p, &k.unit_path) {
        return Err(VolError::Forbidden);
    }
    let mut c = conn(db).await?;
    Ok(store::works_of_call(&mut c, k.id).await?)
}

/// The caller's own works, newest first.
pub async fn my_works(db: &Db, p: &Principal) -> VR<Vec<Work>> {
    let mut c = conn(db).await?;
    match store::volunteer_by_account(&mut c, p.account_id).await? {
        Some(v) => Ok(store::works_of_volunteer(&mut c, v.id).await?),
        None => Ok(vec![]),
    }
}

/// One work for its author or the call's organisers.
pub async fn work_for(db: &Db, p: &Principal, id: i64) -> VR<(Work, Call)> {
    let mut c = conn(db).await?;
    let w = store::work(&mut c, id).await?.ok_or(VolError::NotFound)?;
    let k = store::call(&mut c, w.call_id)
        .await?
        .ok_or(VolError::NotFound)?;
    if w.account_id != p.account_id && !can_manage(p, &k.unit_path) {
        return Err(VolError::NotFound);
    }
    Ok((w, k))
}

/// The file of a work, for its author and the call's organisers.
pub async fn work_file(db: &Db, p: &Principal, id: i64) -> VR<(Vec<u8>, String)> {
    work_for(db, p, id).await?;
    let mut c = conn(db).await?;
    store::work_file(&mut c, id)
        .await?
        .ok_or(VolError::NotFound)
}

/// The organiser's unit decides on a work: shortlist, reject with a reason, or accept. An
/// accepted work credits its author the call's points once (a replay credits nothing), enters
/// the shared library credited to its author under the call's licence, and becomes a draft in
/// the organiser's campaign content library, sent to that library's review.
pub async fn review_work(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    work_id: i64,
    d: WorkDecision,
    reason: &str,
) -> VR<Work> {
    let now = clock.now_ms();
    let reason =
        crate::text::multiline(reason).map_err(|e| VolError::Invalid(vec![Msg::new(e.key())]))?;
    if d == WorkDecision::Reject && reason.is_empty() {
        return Err(VolError::Invalid(vec![Msg::new("vol-err-reason")]));
    }
    let by = p.account_id;
    let mut tx = db.begin_write().await?;
    let w = store::work(&mut tx, work_id)
        .await?
        .ok_or(VolError::NotFound)?;
    let k = store::call(&mut tx, w.call_id)
        .await?
        .ok_or(VolError::NotFound)?;
    if !can_manage(p, &k.unit_path) {
        return Err(VolError::NotFound);
    }
    if w.account_id == by {
        return Err(VolError::OwnClaim);
    }
    // An accepted work whose campaign draft could not be made (the step after the commit
    // failed): accepting again makes the draft, nothing else.
    let repair =
        d == WorkDecision::Accept && w.status == WorkStatus::Accepted && w.content_id.is_none();
    if repair {
        drop(tx);
        let content = work_draft(db, clock, p, actor, &k, &w).await?;
        let mut tx = db.begin_write().await?;
        store::set_work_content(&mut tx, work_id, content).await?;
        tx.commit().await?;
        let mut c = conn(db).await?;
        return store::work(&mut c, work_id)
            .await?
            .ok_or(VolError::NotFound);
    }
    let (from, to): (&[WorkStatus], WorkStatus) = match d {
        WorkDecision::Shortlist => (&[WorkStatus::Submitted], WorkStatus::Shortlisted),
        WorkDecision::Reject => (
            &[WorkStatus::Submitted, WorkStatus::Shortlisted],
            WorkStatus::Rejected,
        ),
        WorkDecision::Accept => (
            &[WorkStatus::Submitted, WorkStatus::Shortlisted],
            WorkStatus::Accepted,
        ),
    };
    let note = (!reason.is_empty()).then_some(reason);
    if !store::decide_work(&mut tx, work_id, from, to, note, by, now).await? {
        return Err(VolError::WrongState);
    }
    if d == WorkDecision::Accept {
        if k.points > 0 {
            let cause = work_award_cause(w.id, w.volunteer_id);
            let e = NewEntry {
                volunteer_id: w.volunteer_id,
                kind: EntryKind::Award,
                points: k.points,
                cause: &cause,
                task_id: None,
                reward_id: None,
                reverses: None,
                note: &w.title,
                by: Some(by),
            };
            super::post(&mut tx, &e, now).await?;
        }
        let file = store::work_file(&mut tx, w.id).await?;
        let source = format!("work:{}", w.id);
        store::insert_item(
            &mut tx,
            &NewItem {
                source: &source,
                unit_id: k.unit_id,
                unit_path: &k.unit_path,
                kind: w.kind,
                title: &w.title,
                body: &w.body,
                video_url: &w.video_url,
                file,
                author: &w.author,
                school: &w.school,
                licence: k.licence,
                fraud_type: &k.fraud_type,
                audience: k.audience,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    audit_write(
        db,
        clock,
        actor,
        &format!("volunteers.work.{}", d.as_str()),
        "volunteer_work",
        work_id,
        &k.unit_path,
    )
    .await?;
    if d == WorkDecision::Accept {
        let content = work_draft(db, clock, p, actor, &k, &w).await?;
        let mut tx = db.begin_write().await?;
        store::set_work_content(&mut tx, work_id, content).await?;
        tx.commit().await?;
    }
    let mut c = conn(db).await?;
    store::work(&mut c, work_id)
        .await?
        .ok_or(VolError::NotFound)
}

/// The campaign draft of an accepted work, made once and submitted to the unit's review.
async fn work_draft(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    k: &Call,
    w: &Work,
) -> VR<i64> {
    let (content, fresh) = once_draft(db, clock, &format!("work:{}", w.id), || {
        to_content(db, clock, p, actor, k.unit_id, w, k.licence, &k.fraud_type)
    })
    .await?;
    if fresh {
        crate::campaigns::service::transition(db, clock, p, actor, content, "submit")
            .await
            .map_err(camp)?;
    }
    Ok(content)
}

/// Makes the campaign draft of `source` exactly once, even when requests race: the first one
/// reserves the source and runs `make`; the others wait for its draft. A failed `make` gives
/// the reservation up so that a retry runs again. Returns the draft and whether it is new.
async fn once_draft<F, Fut>(db: &Db, clock: &Clock, source: &str, make: F) -> VR<(i64, bool)>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = VR<i64>>,
{
    // A reservation this old without a draft belongs to a request that died: it is taken over.
    const STALE_MS: i64 = 60_000;
    // A request waits for the one holding the reservation as long as that one may live (a slow
    // machine can take seconds to make a draft); only past that is it told to try again.
    let started = std::time::Instant::now();
    loop {
        let now = clock.now_ms();
        let mut tx = db.begin_write().await?;
        let r = store::reserve_draft(&mut tx, source, now, now - STALE_MS).await?;
        tx.commit().await?;
        match r {
            store::Draft::Made(id) => return Ok((id, false)),
            store::Draft::Reserved => break,
            store::Draft::Pending(_) if started.elapsed().as_millis() < STALE_MS as u128 => {
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            store::Draft::Pending(_) => return Err(VolError::WrongState),
        }
    }
    match make().await {
        Ok(id) => {
            let mut tx = db.begin_write().await?;
            store::set_draft(&mut tx, source, id).await?;
            tx.commit().await?;
            Ok((id, true))
        }
        Err(e) => {
            let mut tx = db.begin_write().await?;
            store::release_draft(&mut tx, source).await?;
            tx.commit().await?;
            Err(e)
        }
    }
}

/// The credit line printed under a reused work.
pub fn credit_line(author: &str, school: &str, licence: WorkLicence) -> String {
    let l = match licence {
        WorkLicence::CcBy => "CC BY 4.0",
        WorkLicence::PublicityOnly => "仅限反诈宣传使用",
    };
    format!("作者:{author}({school}) · 许可:{l}")
}

/// Makes a draft of the campaign content library of a unit from a work.
// The parts of the app a use case needs, the caller, then the input: each used once.
#[allow(clippy::too_many_arguments)]
async fn to_content(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    unit_id: UnitId,
    w: &Work,
    licence: WorkLicence,
    fraud_type: &str,
) -> VR<i64> {
    let unit = crate::org::store::unit_by_id(db, unit_id)
        .await?
        .ok_or(VolError::NotFound)?;
    let mut body = w.body.clone();
    if !w.video_url.is_empty() {
        body.push_str(&format!("\n\n视频:{}", w.video_url));
    }
    body.push_str(&format!(
        "\n\n{}",
        credit_line(&w.author, &w.school, licence)
    ));
    let c = crate::campaigns::service::create_content(
        db,
        clock,
        p,
        actor,
        &NewContent {
            unit: unit.code,
            kind: "article".into(),
            title: w.title.clone(),
            body_md: body.trim().to_string(),
            media_url: None,
            fraud_types: vec![fraud_type.to_string()],
            target_hint: String::new(),
            quiz: vec![],
        },
    )
    .await
    .map_err(camp)?;
    Ok(c.id)
}

// ---- the shared library ----

/// Whether `p` may browse the shared library: every school and police unit (any role but a
/// partner system).
fn browses(p: &Principal) -> bool {
    p.roles().iter().any(|r| *r != Role::Partner)
}

/// The library filtered, most reused first.
pub async fn library(db: &Db, p: &Principal, f: &ItemFilter) -> VR<Vec<Item>> {
    if !browses(p) {
        return Err(VolError::Forbidden);
    }
    let mut c = conn(db).await?;
    Ok(store::items(&mut c, f, 200).await?)
}

/// One library item, with the campaign content the caller's unit made from it (if any).
pub async fn library_item(db: &Db, p: &Principal, id: i64) -> VR<(Item, Option<i64>)> {
    if !browses(p) {
        return Err(VolError::NotFound);
    }
    let mut c = conn(db).await?;
    let i = store::item(&mut c, id).await?.ok_or(VolError::NotFound)?;
    let used = match publishing_unit(p) {
        Some((unit_id, _)) => store::use_of(&mut c, id, unit_id).await?,
        None => None,
    };
    Ok((i, used))
}

pub async fn library_file(db: &Db, p: &Principal, id: i64) -> VR<(Vec<u8>, String)> {
    if !browses(p) {
        return Err(VolError::NotFound);
    }
    let mut c = conn(db).await?;
    store::item_file(&mut c, id)
        .await?
        .ok_or(VolError::NotFound)
}

/// A school or police unit reuses a library item in one step: a draft of its own campaign
/// content library, credited to the author with the licence, and one more use counted. A unit
/// reuses an item once; asking again returns the same draft.
pub async fn reuse(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
) -> VR<(i64, bool)> {
    let (unit_id, unit_path) = publishing_unit(p).ok_or(VolError::NoUnit)?;
    if !can_manage(p, &unit_path) {
        return Err(VolError::NoUnit);
    }
    let mut c = conn(db).await?;
    let item = store::item(&mut c, id).await?.ok_or(VolError::NotFound)?;
    if let Some(content) = store::use_of(&mut c, id, unit_id).await? {
        return Ok((content, false));
    }
    drop(c);
    let w = Work {
        id: 0,
        call_id: 0,
        volunteer_id: 0,
        account_id: AccountId(0),
        kind: item.kind,
        title: item.title.clone(),
        body: item.body.clone(),
        video_url: item.video_url.clone(),
        file_type: None,
        status: WorkStatus::Accepted,
        reason: None,
        reviewed_at: None,
        contest_entry_id: None,
        content_id: None,
        created_at: 0,
        author: item.author.clone(),
        school: item.school.clone(),
    };
    let fraud = if item.fraud_type.is_empty() {
        "other_fraud".to_string()
    } else {
        item.fraud_type.clone()
    };
    let (content, _) = once_draft(db, clock, &format!("reuse:{id}:{unit_id}"), || {
        to_content(db, clock, p, actor, unit_id, &w, item.licence, &fraud)
    })
    .await?;
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let added =
        store::insert_use(&mut tx, id, unit_id, &unit_path, p.account_id, content, now).await?;
    if !added {
        // Another reuse of the same unit at the same instant recorded the same draft.
        return Ok((content, false));
    }
    tx.commit().await?;
    audit_write(
        db,
        clock,
        actor,
        "volunteers.library.reuse",
        "volunteer_library",
        id,
        &unit_path,
    )
    .await?;
    Ok((content, added))
}

// ---- contests ----

/// The author of a shortlisted or accepted work enters it in a contest in one step: the contest's
/// own rules decide (who may enter, when, categories, media). A work enters one contest once.
pub async fn promote_to_contest(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    work_id: i64,
    contest_id: i64,
) -> VR<i64> {
    let (w, k) = work_for(db, p, work_id).await?;
    if w.account_id != p.account_id {
        return Err(VolError::NotFound);
    }
    if !matches!(w.status, WorkStatus::Shortlisted | WorkStatus::Accepted) {
        return Err(VolError::WrongState);
    }
    if w.contest_entry_id.is_some() {
        return Err(VolError::Promoted);
    }
    let mut c = conn(db).await?;
    let file = store::work_file(&mut c, work_id).await?;
    drop(c);
    let image = file
        .filter(|(_, t)| t.starts_with("image/"))
        .map(|(b, _)| b);
    let (media_kind, video_url) = match (&image, w.video_url.is_empty()) {
        (Some(_), _) => ("image", String::new()),
        (None, false) => ("video_link", w.video_url.clone()),
        (None, true) => return Err(VolError::NoMedia),
    };
    use crate::contests::model::{Category, Licence};
    let category = match w.kind {
        WorkKind::Script => Category::Skit,
        WorkKind::Poster => Category::Poster,
        WorkKind::Slogan | WorkKind::Idea => Category::Other,
    };
    let licence = match k.licence {
        WorkLicence::CcBy => Licence::CcBy,
        WorkLicence::PublicityOnly => Licence::OrganiserUse,
    };
    let input = crate::contests::service::EntryInput {
        category: category.as_str().into(),
        title: w.title.clone(),
        description: w.body.chars().take(2000).collect(),
        members: vec![],
        media_kind: media_kind.into(),
        video_url,
        image,
        licence: licence.as_str().into(),
        show_names: true,
        advisors: vec![],
    };
    let entry = crate::contests::service::submit_entry(db, clock, p, contest_id, &input).await?;
    let mut tx = db.begin_write().await?;
    if !store::set_work_entry(&mut tx, work_id, entry).await? {
        return Err(VolError::Promoted);
    }
    tx.commit().await?;
    Ok(entry)
}

/// Adds the winners (the first three of each category) of a published contest to the shared
/// library, credited as the results show them; the contest's organisers only. Adding again adds
/// nothing twice. Returns how many were added now.
pub async fn library_from_contest(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    contest_id: i64,
) -> VR<usize> {
    use crate::contests::model::{Category, Licence, MediaKind};
    let (contest, results) = crate::contests::service::published(db, contest_id).await?;
    if !can_manage(p, &contest.unit_path) {
        return Err(VolError::NotFound);
    }
    let now = clock.now_ms();
    let mut added = 0;
    let mut c = db.pool.acquire().await?;
    let mut rows = Vec::new();
    for c_r in &results.categories {
        let cat = &c_r.category;
        for r in c_r.rows.iter().filter(|r| r.rank <= 3) {
            let Some(e) = crate::contests::store::entry(&mut c, contest_id, r.entry_id).await?
            else {
                continue;
            };
            let file = if e.media_kind == MediaKind::Image {
                crate::contests::store::media(&mut c, e.id)
                    .await?
                    .map(|(t, b)| (b, t))
            } else {
                None
            };
            rows.push((*cat, r.clone(), e, file));
        }
    }
    drop(c);
    let mut tx = db.begin_write().await?;
    for (cat, r, e, file) in rows {
        let kind = match cat {
            Category::Logo | Category::Poster => WorkKind::Poster,
            Category::Other => WorkKind::Idea,
            _ => WorkKind::Script,
        };
        let licence = match e.licence {
            Licence::CcBy => WorkLicence::CcBy,
            _ => WorkLicence::PublicityOnly,
        };
        let author = if r.names.is_empty() {
            r.school.clone()
        } else {
            r.names.join("、")
        };
        let source = format!("contest:{contest_id}:entry:{}", e.id);
        if store::insert_item(
            &mut tx,
            &NewItem {
                source: &source,
                unit_id: contest.unit_id,
                unit_path: &contest.unit_path,
                kind,
                title: &e.title,
                body: &e.description,
                video_url: &e.video_url,
                file,
                author: &author,
                school: &r.school,
                licence,
                fraud_type: "other_fraud",
                audience: Audience::Everyone,
            },
            now,
        )
        .await?
        .is_some()
        {
            added += 1;
        }
    }
    tx.commit().await?;
    audit_write(
        db,
        clock,
        actor,
        "volunteers.library.from_contest",
        "contest",
        contest_id,
        &contest.unit_path,
    )
    .await?;
    Ok(added)
}

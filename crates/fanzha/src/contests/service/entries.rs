//! Entries: submitting, revising, reviewing, and what each person may see of them.

use super::*;

/// An entry as the entrant typed it.
#[derive(Clone, Debug, Default)]
pub struct EntryInput {
    pub category: String,
    pub title: String,
    pub description: String,
    /// Student numbers of the other team members (the entrant is always on the team).
    pub members: Vec<String>,
    pub media_kind: String,
    pub video_url: String,
    /// An uploaded image (bytes as sent), when the kind is an image.
    pub image: Option<Vec<u8>>,
    pub licence: String,
    pub show_names: bool,
    /// Staff numbers (工号) of the school's staff who advised the work (指导老师); none is fine.
    pub advisors: Vec<String>,
}

struct ParsedEntry {
    category: Category,
    title: String,
    description: String,
    members: Vec<Member>,
    media_kind: MediaKind,
    video_url: String,
    image: Option<(&'static str, Vec<u8>)>,
    licence: Licence,
    advisors: Vec<Advisor>,
}

async fn parse_entry(
    db: &Db,
    c: &Contest,
    me: &crate::org::model::Student,
    i: &EntryInput,
    revising: bool,
) -> Result<ParsedEntry> {
    let r = &c.rules;
    let mut errs = Vec::new();
    let category = Category::parse(&i.category).filter(|k| r.categories.contains(k));
    if category.is_none() {
        errs.push(Msg::new("contests-err-entry-category"));
    }
    let title = i.title.trim().to_string();
    if title.is_empty() || title.chars().count() > 100 {
        errs.push(Msg::new("contests-err-title"));
    }
    let description = i.description.trim().to_string();
    if description.chars().count() > 2000 {
        errs.push(Msg::new("contests-err-description"));
    }
    let mut members = vec![Member {
        student_id: me.id,
        name: me.name.clone(),
        class_path: me.class_path.clone(),
    }];
    for no in i.members.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match crate::auth::store::student_id_by_no(db, me.school_id, no).await? {
            Some(sid) if !members.iter().any(|m| m.student_id == sid) => {
                let s = crate::org::store::student_by_id(db, sid).await?;
                if let Some(s) = s {
                    members.push(Member {
                        student_id: s.id,
                        name: s.name,
                        class_path: s.class_path,
                    });
                }
            }
            Some(_) => {}
            None => errs.push(Msg::new("contests-err-member").arg("number", no)),
        }
    }
    let n = members.len() as i64;
    if n < r.team_min || n > r.team_max {
        errs.push(
            Msg::new("contests-err-team-size")
                .arg("min", r.team_min)
                .arg("max", r.team_max),
        );
    }
    let media_kind = MediaKind::parse(&i.media_kind);
    let mut image = None;
    let mut video_url = String::new();
    match media_kind {
        Some(k) if !r.media.contains(&k) => errs.push(Msg::new("contests-err-media-not-allowed")),
        None => errs.push(Msg::new("contests-err-media-not-allowed")),
        Some(MediaKind::VideoLink) => {
            if model::valid_video_url(&i.video_url) {
                video_url = i.video_url.trim().to_string();
            } else {
                errs.push(Msg::new("contests-err-video-url"));
            }
        }
        Some(MediaKind::Image) => match &i.image {
            Some(b) if b.len() as i64 > r.max_image_bytes => errs.push(
                Msg::new("contests-err-image-too-large").arg("max", r.max_image_bytes / 1024),
            ),
            Some(b) if !b.is_empty() => match model::sniff_image(b) {
                Some(t) => image = Some((t, b.clone())),
                None => errs.push(Msg::new("contests-err-image-kind")),
            },
            // A revision may keep the image it had.
            _ if revising => {}
            _ => errs.push(Msg::new("contests-err-image-missing")),
        },
    }
    let licence = Licence::parse(&i.licence);
    if licence.is_none() {
        errs.push(Msg::new("contests-err-licence"));
    }
    // Advisors: a staff number of the entrant's school, or the account name of someone outside
    // it who advised (a police officer of the anti-fraud centre, a teacher of another school).
    let mut advisors: Vec<Advisor> = Vec::new();
    for no in i
        .advisors
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let found = match crate::org::store::staff_by_no(db, me.school_id, no).await? {
            Some(sf) => Some(Advisor {
                staff_id: sf.id,
                account_id: crate::auth::store::account_of_person(db, None, Some(sf.id)).await?,
                name: sf.name,
            }),
            None => match crate::auth::store::account_by_username(db, no).await? {
                Some(a) if !a.disabled && a.student_id.is_none() => {
                    let grants = crate::auth::store::grants_of(db, a.id).await?;
                    grants
                        .iter()
                        .any(|g| g.role.is_staff() || g.role == Role::Police)
                        .then(|| Advisor {
                            staff_id: a.staff_id.unwrap_or(0),
                            account_id: Some(a.id),
                            name: a.display_name,
                        })
                }
                _ => None,
            },
        };
        match found {
            Some(a)
                if !advisors
                    .iter()
                    .any(|x| x.account_id == a.account_id && x.staff_id == a.staff_id) =>
            {
                advisors.push(a)
            }
            Some(_) => {}
            None => errs.push(Msg::new("contests-err-advisor").arg("number", no)),
        }
    }
    if advisors.len() > 5 {
        errs.push(Msg::new("contests-err-advisors"));
    }
    if !errs.is_empty() {
        return Err(ContestError::Invalid(errs));
    }
    Ok(ParsedEntry {
        category: category.unwrap_or(Category::Other),
        title,
        description,
        members,
        media_kind: media_kind.unwrap_or(MediaKind::VideoLink),
        video_url,
        image,
        licence: licence.unwrap_or(Licence::OrganiserUse),
        advisors,
    })
}

async fn entrant(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    c: &Contest,
    s: &Standing,
) -> Result<crate::org::model::Student> {
    let me = match p.student_id {
        Some(sid) => crate::org::store::student_by_id(db, sid).await?,
        None => None,
    };
    match me {
        Some(me) if s.may_enter => Ok(me),
        _ => Err(ContestError::Refused("contests-err-not-entrant")),
    }
    .and_then(|me| {
        if c.rules.phases.entries_open_at(clock.now_ms()) {
            Ok(me)
        } else {
            Err(ContestError::State("contests-err-entries-closed"))
        }
    })
}

/// Submits an entry (a student of an entrant unit, while entries are open).
pub async fn submit_entry(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
    i: &EntryInput,
) -> Result<i64> {
    let (c, s) = open(db, p, id).await?;
    let me = entrant(db, clock, p, &c, &s).await?;
    let e = parse_entry(db, &c, &me, i, false).await?;
    let school = crate::org::store::unit_by_id(db, me.school_id)
        .await?
        .ok_or(ContestError::NotFound)?;
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let eid = store::insert_entry(
        &mut tx,
        c.id,
        p.account_id,
        school.id,
        &school.path,
        &store::EntryRow {
            category: e.category,
            title: &e.title,
            description: &e.description,
            members: &e.members,
            show_names: i.show_names,
            media_kind: e.media_kind,
            video_url: &e.video_url,
            licence: e.licence,
            advisors: &e.advisors,
        },
        now,
    )
    .await?;
    if let Some((t, b)) = &e.image {
        store::put_media(&mut tx, eid, t, b).await?;
    }
    tx.commit().await?;
    Ok(eid)
}

/// Revises an entry returned for changes (its submitter, while entries are open); it goes back
/// to review.
pub async fn revise_entry(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
    entry_id: i64,
    i: &EntryInput,
) -> Result<()> {
    let (c, s) = open(db, p, id).await?;
    let mut conn = db.pool.acquire().await?;
    let old = store::entry(&mut conn, c.id, entry_id)
        .await?
        .filter(|e| e.submitter_account_id == p.account_id)
        .ok_or(ContestError::NotFound)?;
    drop(conn);
    let me = entrant(db, clock, p, &c, &s).await?;
    if old.status != EntryStatus::Returned {
        return Err(ContestError::State("contests-err-not-returned"));
    }
    let e = parse_entry(db, &c, &me, i, true).await?;
    if e.media_kind == MediaKind::Image && e.image.is_none() {
        let mut conn = db.pool.acquire().await?;
        if store::media(&mut conn, entry_id).await?.is_none() {
            return Err(invalid("contests-err-image-missing"));
        }
    }
    let mut tx = db.begin_write().await?;
    let ok = store::revise_entry(
        &mut tx,
        entry_id,
        &store::EntryRow {
            category: e.category,
            title: &e.title,
            description: &e.description,
            members: &e.members,
            show_names: i.show_names,
            media_kind: e.media_kind,
            video_url: &e.video_url,
            licence: e.licence,
            advisors: &e.advisors,
        },
        clock.now_ms(),
    )
    .await?;
    if !ok {
        return Err(ContestError::State("contests-err-not-returned"));
    }
    if let Some((t, b)) = &e.image {
        store::put_media(&mut tx, entry_id, t, b).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An organiser's review decision (until voting opens). Returning or rejecting needs a reason.
pub async fn review(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
    entry_id: i64,
    decision: &str,
    reason: &str,
) -> Result<()> {
    let (c, s) = open(db, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    let d = Decision::parse(decision).ok_or_else(|| invalid("contests-err-decision"))?;
    let reason = reason.trim();
    if d != Decision::Accept && reason.is_empty() {
        return Err(invalid("contests-err-reason"));
    }
    if reason.chars().count() > 500 {
        return Err(invalid("contests-err-reason"));
    }
    let now = clock.now_ms();
    if c.rules.phases.frozen_at(now) {
        return Err(ContestError::State("contests-err-review-closed"));
    }
    let mut tx = db.begin_write().await?;
    let e = store::entry(&mut tx, c.id, entry_id)
        .await?
        .ok_or(ContestError::NotFound)?;
    let to = match d {
        Decision::Accept => EntryStatus::Accepted,
        Decision::Return => EntryStatus::Returned,
        Decision::Reject => EntryStatus::Rejected,
    };
    if e.status != EntryStatus::Submitted && e.status != EntryStatus::Accepted {
        return Err(ContestError::State("contests-err-not-reviewable"));
    }
    if !store::set_entry_status(&mut tx, entry_id, e.status, to, reason, now).await? {
        return Err(ContestError::State("contests-err-not-reviewable"));
    }
    tx.commit().await?;
    Ok(())
}

/// The entries a person may see in a contest: accepted ones (from voting on, or for organisers
/// and judges), and their own whatever their status.
pub async fn entries_for(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    c: &Contest,
    s: &Standing,
) -> Result<Vec<Entry>> {
    let mut conn = db.pool.acquire().await?;
    let all = store::entries(&mut conn, c.id).await?;
    let now = clock.now_ms();
    let public = c.rules.phases.frozen_at(now) || c.published_at.is_some();
    Ok(all
        .into_iter()
        .filter(|e| {
            s.organiser
                || is_own(p, e)
                || (e.status == EntryStatus::Accepted && (public || s.judge))
        })
        .collect())
}

pub fn is_own(p: &Principal, e: &Entry) -> bool {
    e.submitter_account_id == p.account_id
        || p.student_id
            .is_some_and(|sid| e.members.iter().any(|m| m.student_id == sid))
}

/// One entry the caller may see.
pub async fn entry_for(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
    entry_id: i64,
) -> Result<(Contest, Standing, Entry)> {
    let (c, s) = open(db, p, id).await?;
    let e = entries_for(db, clock, p, &c, &s)
        .await?
        .into_iter()
        .find(|e| e.id == entry_id)
        .ok_or(ContestError::NotFound)?;
    Ok((c, s, e))
}

/// An entry's image: for those who may see the entry, and for anyone once results are out.
pub async fn image(
    db: &Db,
    clock: &Clock,
    p: Option<&Principal>,
    id: i64,
    entry_id: i64,
) -> Result<(String, Vec<u8>)> {
    let mut conn = db.pool.acquire().await?;
    let c = store::contest(&mut conn, id)
        .await?
        .ok_or(ContestError::NotFound)?;
    let e = store::entry(&mut conn, id, entry_id)
        .await?
        .ok_or(ContestError::NotFound)?;
    let public = c.published_at.is_some() && e.status == EntryStatus::Accepted;
    if !public {
        let p = p.ok_or(ContestError::NotFound)?;
        drop(conn);
        entry_for(db, clock, p, id, entry_id).await?;
        conn = db.pool.acquire().await?;
    }
    store::media(&mut conn, entry_id)
        .await?
        .ok_or(ContestError::NotFound)
}

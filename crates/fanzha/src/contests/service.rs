//! The use cases of contests, one function per action; each owns its transaction and checks the
//! caller: organisers (those who may run publicity in the contest's unit, `ManageCampaigns`:
//! school admins and police), entrants and voters (people of the units the rules name), judges
//! (accounts the organiser named).

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use rand::RngCore;
use serde::Serialize;
use sqlx::AnyConnection;

use super::model::{
    self, ballot_hash, genesis_hash, period_key, voter_pseudonym, BallotLine, Category, Decision,
    EntryStatus, Licence, MediaKind, Phase, Ranked, RulesInput, UnitRef,
};
use super::store::{self, Contest, Entry, Judge, Member};
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action, Target};
use crate::db::DbError;
use crate::error::{AppError, Msg};
use crate::web::AppState;

/// Judges each entry should have, where enough judges without a conflict exist.
pub const JUDGES_PER_ENTRY: usize = 3;
/// The highest mark of one criterion.
pub const MAX_MARK: i64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum ContestError {
    #[error("invalid: {0:?}")]
    Invalid(Vec<Msg>),
    /// The action does not fit the contest's state now (window closed, rules frozen, limit…).
    #[error("state: {0}")]
    State(&'static str),
    /// This person may not do this (not an organiser, outside the rules, a conflict).
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ContestError {
    fn from(e: sqlx::Error) -> Self {
        ContestError::Db(DbError::Sqlx(e))
    }
}

impl From<ContestError> for AppError {
    fn from(e: ContestError) -> Self {
        match e {
            ContestError::Invalid(v) => AppError::refused("contests-err-invalid", v),
            ContestError::State(key) => AppError::conflict(key),
            ContestError::Refused(key) => AppError::new(StatusCode::FORBIDDEN, key),
            ContestError::NotFound => AppError::not_found(),
            ContestError::Db(e) => e.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, ContestError>;

fn invalid(key: &str) -> ContestError {
    ContestError::Invalid(vec![Msg::new(key)])
}

/// The unit paths a person belongs to: their class (a student), their staff unit, the units of
/// their roles.
pub async fn places(st: &AppState, p: &Principal) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if let Some(sid) = p.student_id {
        if let Some(s) = crate::org::store::student_by_id(&st.db, sid).await? {
            out.push(s.class_path);
        }
    }
    if let Some(sid) = p.staff_id {
        if let Some(s) = crate::org::store::staff_by_id(&st.db, sid).await? {
            if let Some(u) = crate::org::store::unit_by_id(&st.db, s.unit_id).await? {
                out.push(u.path);
            }
        }
    }
    for g in &p.grants {
        if g.role == Role::Student {
            continue;
        }
        if let Some(u) = crate::org::store::unit_by_id(&st.db, g.unit_id).await? {
            out.push(u.path);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn under(places: &[String], units: &[UnitRef]) -> bool {
    places
        .iter()
        .any(|p| units.iter().any(|u| p.starts_with(&u.path)))
}

/// May `p` organise this contest?
pub fn is_organiser(p: &Principal, c: &Contest) -> bool {
    policy::allows(p, Action::ManageCampaigns, &Target::Unit(&c.unit_path))
}

/// What a person is to a contest.
#[derive(Clone, Debug, Default)]
pub struct Standing {
    pub organiser: bool,
    pub may_enter: bool,
    pub may_vote: bool,
    pub judge: bool,
}

impl Standing {
    pub fn sees(&self) -> bool {
        self.organiser || self.may_enter || self.may_vote || self.judge
    }
}

async fn standing_in(
    conn: &mut AnyConnection,
    p: &Principal,
    places: &[String],
    c: &Contest,
) -> Result<Standing> {
    let judges = store::judges(conn, c.id).await?;
    Ok(Standing {
        organiser: is_organiser(p, c),
        may_enter: p.student_id.is_some() && under(places, &c.rules.entrant_units),
        may_vote: under(places, &c.rules.voter_units),
        judge: judges.iter().any(|j| j.account_id == p.account_id),
    })
}

/// A contest the caller may see, with their standing; 404 otherwise.
pub async fn open(st: &AppState, p: &Principal, id: i64) -> Result<(Contest, Standing)> {
    let places = places(st, p).await?;
    let mut conn = st.db.pool.acquire().await?;
    let c = store::contest(&mut conn, id)
        .await?
        .ok_or(ContestError::NotFound)?;
    let s = standing_in(&mut conn, p, &places, &c).await?;
    if !s.sees() && c.published_at.is_none() {
        return Err(ContestError::NotFound);
    }
    Ok((c, s))
}

/// The contests a person may see, newest first.
pub async fn list(st: &AppState, p: &Principal) -> Result<Vec<(Contest, Standing)>> {
    let places = places(st, p).await?;
    let mut conn = st.db.pool.acquire().await?;
    let mut out = Vec::new();
    for c in store::contests(&mut conn).await? {
        let s = standing_in(&mut conn, p, &places, &c).await?;
        if s.sees() || c.published_at.is_some() {
            out.push((c, s));
        }
    }
    Ok(out)
}

/// The units a person may organise contests in (their role units allowing publicity work).
pub async fn organiser_units(st: &AppState, p: &Principal) -> Result<Vec<crate::org::model::Unit>> {
    let mut out = Vec::new();
    for g in &p.grants {
        if !policy::role_allows(g.role, Action::ManageCampaigns) {
            continue;
        }
        if let Some(u) = crate::org::store::unit_by_id(&st.db, g.unit_id).await? {
            if !out.iter().any(|o: &crate::org::model::Unit| o.id == u.id) {
                out.push(u);
            }
        }
    }
    Ok(out)
}

/// The units (schools) a person may name in rules by default: everything their publicity scope
/// covers, as codes.
pub async fn default_unit_codes(st: &AppState, p: &Principal) -> Result<Vec<String>> {
    let paths = policy::scopes_for(p, Action::ManageCampaigns);
    let units = crate::org::store::units_by_paths(&st.db, &paths).await?;
    Ok(units
        .into_iter()
        .filter(|u| u.kind != crate::org::model::UnitKind::PoliceStation)
        .map(|u| u.code)
        .collect())
}

/// What an organiser typed to open or change a contest.
#[derive(Clone, Debug, Default)]
pub struct ContestInput {
    pub unit_code: String,
    pub title: String,
    pub description: String,
    pub rules: RulesInput,
}

async fn parse_contest(
    st: &AppState,
    p: &Principal,
    i: &ContestInput,
) -> Result<(String, String, model::Rules)> {
    let mut errs = Vec::new();
    let title = i.title.trim().to_string();
    if title.is_empty() || title.chars().count() > 100 {
        errs.push(Msg::new("contests-err-title"));
    }
    let description = i.description.trim().to_string();
    if description.chars().count() > 4000 {
        errs.push(Msg::new("contests-err-description"));
    }
    // Units named in the rules must exist and lie in the organiser's scope.
    let mut known: HashMap<String, UnitRef> = HashMap::new();
    for code in i
        .rules
        .entrant_units
        .iter()
        .chain(i.rules.voter_units.iter())
    {
        let code = code.trim();
        if code.is_empty() || known.contains_key(code) {
            continue;
        }
        if let Some(u) = crate::org::store::unit_by_code(&st.db, code).await? {
            if policy::allows(p, Action::ManageCampaigns, &Target::Unit(&u.path)) {
                known.insert(
                    code.to_string(),
                    UnitRef {
                        code: u.code.clone(),
                        name: u.name.clone(),
                        path: u.path.clone(),
                    },
                );
            }
        }
    }
    let rules = model::parse_rules(&i.rules, p.time_zone, &|c: &str| known.get(c).cloned());
    match rules {
        Ok(r) if errs.is_empty() => Ok((title, description, r)),
        Ok(_) => Err(ContestError::Invalid(errs)),
        Err(mut e) => {
            errs.append(&mut e);
            Err(ContestError::Invalid(errs))
        }
    }
}

/// Opens a contest in one of the organiser's units.
pub async fn create(st: &AppState, p: &Principal, i: &ContestInput) -> Result<i64> {
    let units = organiser_units(st, p).await?;
    if units.is_empty() {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    let unit = if i.unit_code.trim().is_empty() {
        units[0].clone()
    } else {
        units
            .iter()
            .find(|u| u.code == i.unit_code.trim())
            .cloned()
            .ok_or_else(|| invalid("contests-err-organiser-unit"))?
    };
    let (title, description, rules) = parse_contest(st, p, i).await?;
    let now = st.clock.now_ms();
    if rules.phases.voting_open <= now {
        return Err(invalid("contests-err-voting-in-past"));
    }
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let rules_json = rules.canonical();
    let rules_hash = rules.hash();
    let mut tx = st.db.begin_write().await?;
    let id = store::insert_contest(
        &mut tx,
        &store::NewContest {
            unit_id: unit.id,
            unit_path: &unit.path,
            title: &title,
            description: &description,
            rules_json: &rules_json,
            rules_hash: &rules_hash,
            vote_key: &model::hex(&key),
            created_by: p.account_id,
        },
        now,
    )
    .await?;
    store::set_head(&mut tx, id, &genesis_hash(id, &rules_hash)).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a contest's rules; refused once voting has opened (the rules are frozen then).
pub async fn update(st: &AppState, p: &Principal, id: i64, i: &ContestInput) -> Result<()> {
    let (c, s) = open(st, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    let now = st.clock.now_ms();
    if c.rules.phases.frozen_at(now) {
        return Err(ContestError::State("contests-err-frozen"));
    }
    let (title, description, rules) = parse_contest(st, p, i).await?;
    if rules.phases.voting_open <= now {
        return Err(invalid("contests-err-voting-in-past"));
    }
    let hash = rules.hash();
    let mut tx = st.db.begin_write().await?;
    let ok = store::update_rules(
        &mut tx,
        id,
        &store::RulesChange {
            title: &title,
            description: &description,
            rules_json: &rules.canonical(),
            rules_hash: &hash,
            genesis: &genesis_hash(id, &hash),
        },
        now,
    )
    .await?;
    if !ok {
        return Err(ContestError::State("contests-err-frozen"));
    }
    tx.commit().await?;
    Ok(())
}

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
}

async fn parse_entry(
    st: &AppState,
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
    }];
    for no in i.members.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match crate::auth::store::student_id_by_no(&st.db, me.school_id, no).await? {
            Some(sid) if !members.iter().any(|m| m.student_id == sid) => {
                let s = crate::org::store::student_by_id(&st.db, sid).await?;
                if let Some(s) = s {
                    members.push(Member {
                        student_id: s.id,
                        name: s.name,
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
    })
}

async fn entrant(
    st: &AppState,
    p: &Principal,
    c: &Contest,
    s: &Standing,
) -> Result<crate::org::model::Student> {
    let me = match p.student_id {
        Some(sid) => crate::org::store::student_by_id(&st.db, sid).await?,
        None => None,
    };
    match me {
        Some(me) if s.may_enter => Ok(me),
        _ => Err(ContestError::Refused("contests-err-not-entrant")),
    }
    .and_then(|me| {
        if c.rules.phases.entries_open_at(st.clock.now_ms()) {
            Ok(me)
        } else {
            Err(ContestError::State("contests-err-entries-closed"))
        }
    })
}

/// Submits an entry (a student of an entrant unit, while entries are open).
pub async fn submit_entry(st: &AppState, p: &Principal, id: i64, i: &EntryInput) -> Result<i64> {
    let (c, s) = open(st, p, id).await?;
    let me = entrant(st, p, &c, &s).await?;
    let e = parse_entry(st, &c, &me, i, false).await?;
    let school = crate::org::store::unit_by_id(&st.db, me.school_id)
        .await?
        .ok_or(ContestError::NotFound)?;
    let now = st.clock.now_ms();
    let mut tx = st.db.begin_write().await?;
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
    st: &AppState,
    p: &Principal,
    id: i64,
    entry_id: i64,
    i: &EntryInput,
) -> Result<()> {
    let (c, s) = open(st, p, id).await?;
    let mut conn = st.db.pool.acquire().await?;
    let old = store::entry(&mut conn, c.id, entry_id)
        .await?
        .filter(|e| e.submitter_account_id == p.account_id)
        .ok_or(ContestError::NotFound)?;
    drop(conn);
    let me = entrant(st, p, &c, &s).await?;
    if old.status != EntryStatus::Returned {
        return Err(ContestError::State("contests-err-not-returned"));
    }
    let e = parse_entry(st, &c, &me, i, true).await?;
    if e.media_kind == MediaKind::Image && e.image.is_none() {
        let mut conn = st.db.pool.acquire().await?;
        if store::media(&mut conn, entry_id).await?.is_none() {
            return Err(invalid("contests-err-image-missing"));
        }
    }
    let mut tx = st.db.begin_write().await?;
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
        },
        st.clock.now_ms(),
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
    st: &AppState,
    p: &Principal,
    id: i64,
    entry_id: i64,
    decision: &str,
    reason: &str,
) -> Result<()> {
    let (c, s) = open(st, p, id).await?;
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
    let now = st.clock.now_ms();
    if c.rules.phases.frozen_at(now) {
        return Err(ContestError::State("contests-err-review-closed"));
    }
    let mut tx = st.db.begin_write().await?;
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
    st: &AppState,
    p: &Principal,
    c: &Contest,
    s: &Standing,
) -> Result<Vec<Entry>> {
    let mut conn = st.db.pool.acquire().await?;
    let all = store::entries(&mut conn, c.id).await?;
    let now = st.clock.now_ms();
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
    st: &AppState,
    p: &Principal,
    id: i64,
    entry_id: i64,
) -> Result<(Contest, Standing, Entry)> {
    let (c, s) = open(st, p, id).await?;
    let e = entries_for(st, p, &c, &s)
        .await?
        .into_iter()
        .find(|e| e.id == entry_id)
        .ok_or(ContestError::NotFound)?;
    Ok((c, s, e))
}

/// An entry's image: for those who may see the entry, and for anyone once results are out.
pub async fn image(
    st: &AppState,
    p: Option<&Principal>,
    id: i64,
    entry_id: i64,
) -> Result<(String, Vec<u8>)> {
    let mut conn = st.db.pool.acquire().await?;
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
        entry_for(st, p, id, entry_id).await?;
        conn = st.db.pool.acquire().await?;
    }
    store::media(&mut conn, entry_id)
        .await?
        .ok_or(ContestError::NotFound)
}

/// Casts a public vote for an accepted entry, in the voting window, within the rules' limit.
/// The ballot is appended to the contest's chained log; its hash is the voter's receipt.
pub async fn vote(st: &AppState, p: &Principal, id: i64, entry_id: i64) -> Result<BallotLine> {
    let (c, s) = open(st, p, id).await?;
    if !s.may_vote {
        return Err(ContestError::Refused("contests-err-not-voter"));
    }
    let now = st.clock.now_ms();
    if !c.rules.phases.voting_open_at(now) {
        return Err(ContestError::State("contests-err-voting-closed"));
    }
    let mut tx = st.db.begin_write().await?;
    let e = store::entry(&mut tx, c.id, entry_id)
        .await?
        .filter(|e| e.status == EntryStatus::Accepted)
        .ok_or(ContestError::NotFound)?;
    let key = store::vote_key(&mut tx, c.id).await?;
    let voter = voter_pseudonym(key.as_bytes(), p.account_id);
    // The head first: it serialises this contest's ballots, so the counts below are current.
    let (seq, prev) = store::take_seq(&mut tx, c.id).await?;
    let period = period_key(&c.rules, e.category, now);
    if store::has_voted_for(&mut tx, c.id, &voter, &period, e.id).await? {
        return Err(ContestError::State("contests-err-already-voted"));
    }
    let used = store::votes_in_period(&mut tx, c.id, &voter, &period).await?;
    if used >= c.rules.votes_per_person {
        return Err(ContestError::State("contests-err-vote-limit"));
    }
    let category = e.category.as_str().to_string();
    let b = BallotLine {
        hash: ballot_hash(c.id, seq, &voter, e.id, &category, now, &prev),
        seq,
        voter,
        entry: e.id,
        category,
        cast_at: now,
        prev,
    };
    match store::insert_ballot(&mut tx, c.id, &b, &period, used).await {
        Ok(()) => {}
        Err(e) if e.is_unique_violation() => {
            return Err(ContestError::State("contests-err-vote-limit"))
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(b)
}

/// A person's own ballots in a contest (their receipts).
pub async fn my_ballots(st: &AppState, p: &Principal, c: &Contest) -> Result<Vec<BallotLine>> {
    let mut conn = st.db.pool.acquire().await?;
    let key = store::vote_key(&mut conn, c.id).await?;
    let voter = voter_pseudonym(key.as_bytes(), p.account_id);
    Ok(store::ballots_of_voter(&mut conn, c.id, &voter).await?)
}

/// Looks a receipt up in the log (anyone may check a receipt of a contest they can see).
pub async fn receipt(st: &AppState, id: i64, hash: &str) -> Result<Option<BallotLine>> {
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(invalid("contests-err-receipt"));
    }
    let mut conn = st.db.pool.acquire().await?;
    Ok(store::ballot_by_hash(&mut conn, id, &hash).await?)
}

/// The ballot log as JSON lines: a header (the contest, the rules text and hash, the entries),
/// one line per ballot, and the tally with the log's head. Public once results are published;
/// organisers may take it from the close of voting.
pub async fn export(st: &AppState, p: Option<&Principal>, id: i64) -> Result<String> {
    let mut conn = st.db.pool.acquire().await?;
    let c = store::contest(&mut conn, id)
        .await?
        .ok_or(ContestError::NotFound)?;
    if c.published_at.is_none() {
        let p = p.ok_or(ContestError::NotFound)?;
        drop(conn);
        let (_, s) = open(st, p, id).await?;
        if !s.organiser {
            return Err(ContestError::NotFound);
        }
        if st.clock.now_ms() < c.rules.phases.voting_close {
            return Err(ContestError::State("contests-err-voting-not-closed"));
        }
        conn = st.db.pool.acquire().await?;
    }
    let entries: Vec<serde_json::Value> = store::entries(&mut conn, id)
        .await?
        .into_iter()
        .filter(|e| e.status == EntryStatus::Accepted)
        .map(|e| serde_json::json!({"id": e.id, "category": e.category.as_str(), "title": e.title}))
        .collect();
    let ballots = store::ballots(&mut conn, id).await?;
    let mut tally: BTreeMap<String, i64> = BTreeMap::new();
    for b in &ballots {
        *tally.entry(b.entry.to_string()).or_default() += 1;
    }
    let mut out = String::new();
    let header = serde_json::json!({
        "kind": "header",
        "contest": c.id,
        "title": c.title,
        "rules": c.rules_json,
        "rules_hash": c.rules_hash,
        "entries": entries,
    });
    out.push_str(&header.to_string());
    out.push('\n');
    for b in &ballots {
        let mut v = serde_json::to_value(b).unwrap_or_default();
        v["kind"] = "ballot".into();
        out.push_str(&v.to_string());
        out.push('\n');
    }
    let head = ballots
        .last()
        .map_or_else(|| genesis_hash(c.id, &c.rules_hash), |b| b.hash.clone());
    out.push_str(
        &serde_json::json!({"kind": "tally", "ballots": ballots.len(), "head": head, "votes": tally})
            .to_string(),
    );
    out.push('\n');
    Ok(out)
}

/// Names judges by their usernames (organisers, before judging closes). A judge's own units are
/// recorded with them: the entries of their schools are conflicts of interest.
pub async fn add_judges(st: &AppState, p: &Principal, id: i64, usernames: &str) -> Result<usize> {
    let (c, s) = open(st, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    if st.clock.now_ms() >= c.rules.phases.judging_close {
        return Err(ContestError::State("contests-err-judging-closed"));
    }
    let mut judges = Vec::new();
    let mut errs = Vec::new();
    for name in usernames
        .split([',', '\u{FF0C}', '、', '\n', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let acc = crate::auth::store::account_by_username(&st.db, name).await?;
        let Some(acc) = acc.filter(|a| !a.disabled) else {
            errs.push(Msg::new("contests-err-judge").arg("name", name));
            continue;
        };
        let grants = crate::auth::store::grants_of(&st.db, acc.id).await?;
        if !grants
            .iter()
            .any(|g| g.role.is_staff() || g.role == Role::Police)
        {
            errs.push(Msg::new("contests-err-judge").arg("name", name));
            continue;
        }
        let mut own = Vec::new();
        for g in &grants {
            if let Some(u) = crate::org::store::unit_by_id(&st.db, g.unit_id).await? {
                own.push(u.path);
            }
        }
        if let Some(sid) = acc.staff_id {
            if let Some(sf) = crate::org::store::staff_by_id(&st.db, sid).await? {
                if let Some(u) = crate::org::store::unit_by_id(&st.db, sf.unit_id).await? {
                    own.push(u.path);
                }
            }
        }
        own.sort();
        own.dedup();
        judges.push(Judge {
            account_id: acc.id,
            name: acc.display_name,
            own_paths: own,
        });
    }
    if !errs.is_empty() {
        return Err(ContestError::Invalid(errs));
    }
    if judges.is_empty() {
        return Err(invalid("contests-err-no-judges"));
    }
    let mut tx = st.db.begin_write().await?;
    for j in &judges {
        store::add_judge(&mut tx, c.id, j).await?;
    }
    tx.commit().await?;
    Ok(judges.len())
}

/// Is this judge conflicted on this entry (the entry comes from a school the judge belongs to)?
pub fn conflicted(j: &Judge, e: &Entry) -> bool {
    j.own_paths.iter().any(|p| p.starts_with(&e.school_path))
}

/// What assigning judges did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Assigned {
    pub added: usize,
    /// (judge, entry) pairs left out for a conflict of interest.
    pub excluded: usize,
    /// Entries with fewer than the wanted judges (not enough judges without a conflict).
    pub short: usize,
}

/// Assigns judges to accepted entries: each entry gets up to [`JUDGES_PER_ENTRY`] judges without a
/// conflict, the least loaded first. Run again after more entries or judges, it only adds.
pub async fn assign_judges(st: &AppState, p: &Principal, id: i64) -> Result<Assigned> {
    let (c, s) = open(st, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    let now = st.clock.now_ms();
    if now < c.rules.phases.entries_close || now >= c.rules.phases.judging_close {
        return Err(ContestError::State("contests-err-assign-window"));
    }
    let mut tx = st.db.begin_write().await?;
    let out = assign_in(&mut tx, c.id, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// The assignment itself, inside the caller's transaction.
pub async fn assign_in(tx: &mut AnyConnection, contest_id: i64, now: i64) -> Result<Assigned> {
    let judges = store::judges(tx, contest_id).await?;
    if judges.is_empty() {
        return Err(invalid("contests-err-no-judges"));
    }
    let entries: Vec<Entry> = store::entries(tx, contest_id)
        .await?
        .into_iter()
        .filter(|e| e.status == EntryStatus::Accepted)
        .collect();
    let existing = store::assignments(tx, contest_id).await?;
    let mut load: HashMap<i64, usize> = judges.iter().map(|j| (j.account_id, 0)).collect();
    for (_, j) in &existing {
        *load.entry(*j).or_default() += 1;
    }
    let mut out = Assigned::default();
    for e in &entries {
        let have: Vec<i64> = existing
            .iter()
            .filter(|(en, _)| *en == e.id)
            .map(|(_, j)| *j)
            .collect();
        let mut free: Vec<&Judge> = Vec::new();
        for j in &judges {
            if conflicted(j, e) {
                out.excluded += 1;
            } else if !have.contains(&j.account_id) {
                free.push(j);
            }
        }
        free.sort_by_key(|j| (load.get(&j.account_id).copied().unwrap_or(0), j.account_id));
        let want = JUDGES_PER_ENTRY.saturating_sub(have.len());
        for j in free.iter().take(want) {
            store::assign(tx, contest_id, e.id, j.account_id).await?;
            *load.entry(j.account_id).or_default() += 1;
            out.added += 1;
        }
        if have.len() + free.len().min(want) < JUDGES_PER_ENTRY {
            out.short += 1;
        }
    }
    store::set_judges_assigned(tx, contest_id, now).await?;
    Ok(out)
}

/// A judge scores an entry assigned to them, every criterion 0–10, in the judging window.
pub async fn score(
    st: &AppState,
    p: &Principal,
    id: i64,
    entry_id: i64,
    marks: &[(String, String)],
) -> Result<()> {
    let (c, s) = open(st, p, id).await?;
    if !s.judge {
        return Err(ContestError::Refused("contests-err-not-judge"));
    }
    let now = st.clock.now_ms();
    if !c.rules.phases.judging_open_at(now) {
        return Err(ContestError::State("contests-err-judging-closed"));
    }
    let mut tx = st.db.begin_write().await?;
    let e = store::entry(&mut tx, c.id, entry_id)
        .await?
        .filter(|e| e.status == EntryStatus::Accepted)
        .ok_or(ContestError::NotFound)?;
    let judges = store::judges(&mut tx, c.id).await?;
    let me = judges
        .iter()
        .find(|j| j.account_id == p.account_id)
        .ok_or(ContestError::Refused("contests-err-not-judge"))?;
    if conflicted(me, &e) {
        return Err(ContestError::Refused("contests-err-conflict"));
    }
    let assigned = store::assignments(&mut tx, c.id)
        .await?
        .contains(&(e.id, p.account_id));
    if !assigned {
        return Err(ContestError::Refused("contests-err-not-assigned"));
    }
    let mut errs = Vec::new();
    let mut sheet: BTreeMap<String, i64> = BTreeMap::new();
    let mut total = 0;
    for cr in &c.rules.criteria {
        let v = marks
            .iter()
            .find(|(k, _)| *k == cr.name)
            .and_then(|(_, v)| v.trim().parse::<i64>().ok())
            .filter(|v| (0..=MAX_MARK).contains(v));
        match v {
            Some(v) => {
                total += v * cr.weight;
                sheet.insert(cr.name.clone(), v);
            }
            None => errs.push(
                Msg::new("contests-err-mark")
                    .arg("criterion", &cr.name)
                    .arg("max", MAX_MARK),
            ),
        }
    }
    if !errs.is_empty() {
        return Err(ContestError::Invalid(errs));
    }
    store::put_score(
        &mut tx,
        c.id,
        e.id,
        p.account_id,
        &serde_json::to_string(&sheet).unwrap_or_default(),
        total,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One judge's progress.
#[derive(Clone, Debug, Serialize)]
pub struct JudgeProgress {
    pub name: String,
    pub account_id: i64,
    pub assigned: usize,
    pub scored: usize,
    pub conflicts: usize,
}

/// The judging progress of a contest.
#[derive(Clone, Debug, Serialize)]
pub struct Progress {
    pub judges: Vec<JudgeProgress>,
    pub entries: usize,
    pub sheets_due: usize,
    pub sheets_done: usize,
    /// Entries with fewer judges than wanted.
    pub short: usize,
}

/// Judging progress for organisers.
pub async fn progress(st: &AppState, p: &Principal, id: i64) -> Result<Progress> {
    let (c, s) = open(st, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    let mut conn = st.db.pool.acquire().await?;
    let judges = store::judges(&mut conn, c.id).await?;
    let entries: Vec<Entry> = store::entries(&mut conn, c.id)
        .await?
        .into_iter()
        .filter(|e| e.status == EntryStatus::Accepted)
        .collect();
    let asg = store::assignments(&mut conn, c.id).await?;
    let scores = store::scores(&mut conn, c.id).await?;
    let done = |j: i64, e: i64| scores.iter().any(|(sj, se, _)| *sj == j && *se == e);
    let list = judges
        .iter()
        .map(|j| JudgeProgress {
            name: j.name.clone(),
            account_id: j.account_id,
            assigned: asg.iter().filter(|(_, a)| *a == j.account_id).count(),
            scored: asg
                .iter()
                .filter(|(e, a)| *a == j.account_id && done(*a, *e))
                .count(),
            conflicts: entries.iter().filter(|e| conflicted(j, e)).count(),
        })
        .collect();
    let short = entries
        .iter()
        .filter(|e| asg.iter().filter(|(en, _)| *en == e.id).count() < JUDGES_PER_ENTRY)
        .count();
    Ok(Progress {
        judges: list,
        entries: entries.len(),
        sheets_due: asg.len(),
        sheets_done: asg.iter().filter(|(e, j)| done(*j, *e)).count(),
        short,
    })
}

/// The entries assigned to a judge, with whether they scored them.
pub async fn my_assignments(
    st: &AppState,
    p: &Principal,
    c: &Contest,
) -> Result<Vec<(Entry, bool)>> {
    let mut conn = st.db.pool.acquire().await?;
    let asg = store::assignments(&mut conn, c.id).await?;
    let scores = store::scores(&mut conn, c.id).await?;
    let entries = store::entries(&mut conn, c.id).await?;
    Ok(entries
        .into_iter()
        .filter(|e| asg.contains(&(e.id, p.account_id)))
        .map(|e| {
            let done = scores
                .iter()
                .any(|(j, en, _)| *j == p.account_id && *en == e.id);
            (e, done)
        })
        .collect())
}

/// One line of the results.
#[derive(Clone, Debug, Serialize)]
pub struct ResultRow {
    pub rank: usize,
    pub entry_id: i64,
    pub title: String,
    pub school: String,
    /// The team's names when they agreed to show them; else empty.
    pub names: Vec<String>,
    pub votes: i64,
    pub public: f64,
    pub judges: f64,
    pub judge_count: usize,
    pub final_score: f64,
    pub media_kind: MediaKind,
    pub video_url: String,
}

/// The results of a contest and the counts published with them.
#[derive(Clone, Debug, Serialize)]
pub struct Results {
    pub categories: Vec<(Category, Vec<ResultRow>)>,
    pub entries: usize,
    pub ballots: i64,
    pub voters: i64,
    pub judges: usize,
    pub sheets: usize,
    pub head: String,
}

/// Computes the results from the stored ballots and score sheets.
pub async fn compute(st: &AppState, c: &Contest) -> Result<Results> {
    let mut conn = st.db.pool.acquire().await?;
    let entries: Vec<Entry> = store::entries(&mut conn, c.id)
        .await?
        .into_iter()
        .filter(|e| e.status == EntryStatus::Accepted)
        .collect();
    let (votes, voters) = store::tally(&mut conn, c.id).await?;
    let scores = store::scores(&mut conn, c.id).await?;
    let judges = store::judges(&mut conn, c.id).await?;
    drop(conn);
    let inputs: Vec<model::ResultInput> = entries
        .iter()
        .map(|e| model::ResultInput {
            entry_id: e.id,
            category: e.category,
            created_at: e.created_at,
            votes: votes.get(&e.id).copied().unwrap_or(0),
        })
        .collect();
    let ranked = model::rank(&c.rules, &inputs, &scores);
    let mut schools: HashMap<i64, String> = HashMap::new();
    for e in &entries {
        if let std::collections::hash_map::Entry::Vacant(v) = schools.entry(e.school_id) {
            let name = crate::org::store::unit_by_id(&st.db, e.school_id)
                .await?
                .map(|u| u.name)
                .unwrap_or_default();
            v.insert(name);
        }
    }
    let by_id: HashMap<i64, &Entry> = entries.iter().map(|e| (e.id, e)).collect();
    let mut cats = Vec::new();
    for (cat, list) in ranked {
        let rows = list
            .into_iter()
            .filter_map(|r: Ranked| {
                let e = by_id.get(&r.entry_id)?;
                Some(ResultRow {
                    rank: r.rank,
                    entry_id: r.entry_id,
                    title: e.title.clone(),
                    school: schools.get(&e.school_id).cloned().unwrap_or_default(),
                    names: if e.show_names {
                        e.members.iter().map(|m| m.name.clone()).collect()
                    } else {
                        vec![]
                    },
                    votes: r.votes,
                    public: r.public,
                    judges: r.judges,
                    judge_count: r.judge_count,
                    final_score: r.final_score,
                    media_kind: e.media_kind,
                    video_url: e.video_url.clone(),
                })
            })
            .collect();
        cats.push((cat, rows));
    }
    Ok(Results {
        categories: cats,
        entries: entries.len(),
        ballots: c.ballot_seq,
        voters,
        judges: judges.len(),
        sheets: scores.len(),
        head: c.last_hash.clone(),
    })
}

/// The published results of a contest (anyone, signed in or not).
pub async fn published(st: &AppState, id: i64) -> Result<(Contest, Results)> {
    let mut conn = st.db.pool.acquire().await?;
    let c = store::contest(&mut conn, id)
        .await?
        .filter(|c| c.published_at.is_some())
        .ok_or(ContestError::NotFound)?;
    drop(conn);
    let r = compute(st, &c).await?;
    Ok((c, r))
}

/// Publishes the results (organisers, once voting and judging have closed).
pub async fn publish(st: &AppState, p: &Principal, id: i64) -> Result<()> {
    let (c, s) = open(st, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    let now = st.clock.now_ms();
    if !c.rules.phases.closed_at(now) {
        return Err(ContestError::State("contests-err-not-closed"));
    }
    let mut tx = st.db.begin_write().await?;
    if !store::set_published(&mut tx, c.id, now).await? {
        return Err(ContestError::State("contests-err-published"));
    }
    tx.commit().await?;
    Ok(())
}

/// The contest's phase now.
pub fn phase(st: &AppState, c: &Contest) -> Phase {
    c.rules
        .phases
        .at(st.clock.now_ms(), c.published_at.is_some())
}

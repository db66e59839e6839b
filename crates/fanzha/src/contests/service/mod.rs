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
    self, genesis_hash, period_key, voter_pseudonym, BallotLine, Category, Conflict, Decision,
    EntryStatus, Licence, MediaKind, Phase, Ranked, RulesInput, UnitRef,
};
use super::store::{self, Advisor, Contest, Entry, Judge, Member};
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action, Target};
use crate::clock::Clock;
use crate::config::Config;
use crate::contests::writer::Writers;
use crate::db::Db;
use crate::db::DbError;
use crate::error::{AppError, Msg};

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

mod anomalies;
mod entries;
mod judging;
mod push;
mod results;
mod voting;

pub use anomalies::*;
pub use entries::*;
pub use judging::*;
pub use push::*;
pub use results::*;
pub use voting::*;

fn invalid(key: &str) -> ContestError {
    ContestError::Invalid(vec![Msg::new(key)])
}

/// The unit paths a person belongs to: their class (a student), their staff unit, the units of
/// their roles.
pub async fn places(db: &Db, p: &Principal) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if let Some(sid) = p.student_id {
        if let Some(s) = crate::org::store::student_by_id(db, sid).await? {
            out.push(s.class_path);
        }
    }
    if let Some(sid) = p.staff_id {
        if let Some(s) = crate::org::store::staff_by_id(db, sid).await? {
            if let Some(u) = crate::org::store::unit_by_id(db, s.unit_id).await? {
                out.push(u.path);
            }
        }
    }
    for g in &p.grants {
        if g.role == Role::Student {
            continue;
        }
        if let Some(u) = crate::org::store::unit_by_id(db, g.unit_id).await? {
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
pub async fn open(db: &Db, p: &Principal, id: i64) -> Result<(Contest, Standing)> {
    let places = places(db, p).await?;
    let mut conn = db.pool.acquire().await?;
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
pub async fn list(db: &Db, p: &Principal) -> Result<Vec<(Contest, Standing)>> {
    let places = places(db, p).await?;
    let mut conn = db.pool.acquire().await?;
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
pub async fn organiser_units(db: &Db, p: &Principal) -> Result<Vec<crate::org::model::Unit>> {
    let mut out = Vec::new();
    for g in &p.grants {
        if !policy::role_allows(g.role, Action::ManageCampaigns) {
            continue;
        }
        if let Some(u) = crate::org::store::unit_by_id(db, g.unit_id).await? {
            if !out.iter().any(|o: &crate::org::model::Unit| o.id == u.id) {
                out.push(u);
            }
        }
    }
    Ok(out)
}

/// The units (schools) a person may name in rules by default: everything their publicity scope
/// covers, as codes.
pub async fn default_unit_codes(db: &Db, p: &Principal) -> Result<Vec<String>> {
    let paths = policy::scopes_for(p, Action::ManageCampaigns);
    let units = crate::org::store::units_by_paths(db, &paths).await?;
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
    db: &Db,
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
        if let Some(u) = crate::org::store::unit_by_code(db, code).await? {
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
pub async fn create(db: &Db, clock: &Clock, p: &Principal, i: &ContestInput) -> Result<i64> {
    let units = organiser_units(db, p).await?;
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
    let (title, description, rules) = parse_contest(db, p, i).await?;
    let now = clock.now_ms();
    if rules.phases.voting_open <= now {
        return Err(invalid("contests-err-voting-in-past"));
    }
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let rules_json = rules.canonical();
    let rules_hash = rules.hash();
    let mut tx = db.begin_write().await?;
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
pub async fn update(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
    i: &ContestInput,
) -> Result<()> {
    let (c, s) = open(db, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    let now = clock.now_ms();
    if c.rules.phases.frozen_at(now) {
        return Err(ContestError::State("contests-err-frozen"));
    }
    let (title, description, rules) = parse_contest(db, p, i).await?;
    if rules.phases.voting_open <= now {
        return Err(invalid("contests-err-voting-in-past"));
    }
    let hash = rules.hash();
    let mut tx = db.begin_write().await?;
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

/// The contest's phase now.
pub fn phase(clock: &Clock, c: &Contest) -> Phase {
    c.rules.phases.at(clock.now_ms(), c.published_at.is_some())
}

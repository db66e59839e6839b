//! The use cases of the campaigns domain, one function per action, split by area: the content
//! library and its review, outside channels, audiences, campaigns, the fan-out and channel jobs
//! with rate limits and retries, tracking of each delivery, and reach with its gaps. Every
//! statement lives in `super::store`; this layer checks, decides and owns the transactions.

mod audiences;
mod campaigns;
mod channels;
mod content;
mod jobs;
mod reach;
mod tracking;

pub use audiences::*;
pub use campaigns::*;
pub use channels::*;
pub use content::*;
pub use jobs::*;
pub use reach::*;
pub use tracking::*;

pub use crate::org::tree::{UnitTree, UnitTrees};

use super::model::*;
use super::store::Tx;
use crate::auth::model::Principal;
use crate::auth::policy::{self, Action};
use crate::db::{Db, DbError};
use crate::org::model::Unit;

/// Errors of a service call: a refusal to show, or storage trouble.
#[derive(Debug, thiserror::Error)]
pub enum SvcError {
    #[error(transparent)]
    Refused(#[from] CampError),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for SvcError {
    fn from(e: sqlx::Error) -> Self {
        SvcError::Db(e.into())
    }
}

pub type SvcResult<T> = Result<T, SvcError>;

fn refuse<T>(key: &'static str) -> SvcResult<T> {
    Err(SvcError::Refused(CampError::new(key)))
}

/// The unit with `code` when it lies inside a scope of `p` for `action`; otherwise not found (no
/// hint that it exists).
pub async fn unit_in_scope(db: &Db, p: &Principal, action: Action, code: &str) -> SvcResult<Unit> {
    let u = crate::org::store::unit_by_code(db, code.trim())
        .await?
        .ok_or(SvcError::NotFound)?;
    if policy::allows(p, action, &policy::Target::Unit(&u.path)) {
        Ok(u)
    } else {
        Err(SvcError::NotFound)
    }
}

/// Refuses (as not found) what lies outside the caller's ManageCampaigns scopes.
fn managed_in(p: &Principal, unit_path: &str) -> SvcResult<()> {
    if policy::allows(p, Action::ManageCampaigns, &policy::Target::Unit(unit_path)) {
        Ok(())
    } else {
        Err(SvcError::NotFound)
    }
}

/// Managing campaigns needs the role somewhere; a caller without it is refused outright.
pub fn require_manager(p: &Principal) -> SvcResult<()> {
    if policy::scopes_for(p, Action::ManageCampaigns).is_empty() {
        return Err(SvcError::Forbidden);
    }
    Ok(())
}

/// Seeing reach needs the role somewhere; a caller without it is refused outright.
pub fn require_viewer(p: &Principal) -> SvcResult<()> {
    if policy::scopes_for(p, Action::ViewReach).is_empty() {
        return Err(SvcError::Forbidden);
    }
    Ok(())
}

/// Input that cannot be parsed (a 400 with this message key, before anything is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadInput(pub &'static str);

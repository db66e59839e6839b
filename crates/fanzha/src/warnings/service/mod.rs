//! Rules of warnings: matching a person, routing to the one responsible person, the clocks and the
//! escalation up the chain, and what each role may do to a warning.
//!
//! This is the use-case layer of the module: one function per action, each taking the acting
//! principal (or the system's actor) and parsed input, owning its transaction and returning
//! [`WarnError`]. API and page handlers call these and only parse and render. By area: `input`
//! (forms, JSON and CSV checked into domain values), `routing` (matching and routing inside a
//! transaction), `issue` (one warning, a batch, follow-ups), `escalation` (the deadline scan),
//! `acts` (what the responsible people do), `views` (what a principal may read), `settings`
//! (a school's deadlines, weights and notice channels).

use sqlx::AnyConnection;

use super::model::*;
use super::store::{self, Link, StudentRef};
use crate::audit::{authorize, Actor};
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action, Target};
use crate::clock::{Clock, Millis};
use crate::db::jobs::{enqueue_with, NewJob};
use crate::db::{Db, DbError};
use crate::error::{AppError, Msg};
use crate::i18n::Lang;
use crate::inbox::{self, Notice, Recipient};
use crate::kernel::ids::{AccountId, WarningId};
use crate::org::model::{Unit, UnitKind};

mod acts;
mod escalation;
mod input;
mod issue;
mod routing;
mod settings;
mod views;

pub use acts::*;
pub use escalation::*;
pub use input::*;
pub use issue::*;
pub use routing::*;
pub use settings::*;
pub use views::*;

/// The job that runs the escalation scan; one is queued at (the second after) every deadline.
pub const TICK_JOB: &str = "warnings.tick";
/// Escalations handled per query of the scan.
const SCAN_PAGE: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum WarnError {
    #[error("refused")]
    Refused(Vec<Msg>),
    /// Rows of a batch refused: (line, reason).
    #[error("batch refused")]
    RefusedLines(Vec<(usize, Msg)>),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("conflict {0}")]
    Conflict(&'static str),
    /// A malformed query (a bad period, paging, status or search): 400 with this message key.
    #[error("bad request {0}")]
    BadRequest(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<crate::audit::Denied> for WarnError {
    fn from(e: crate::audit::Denied) -> Self {
        use crate::audit::Denied;
        match e {
            Denied::Forbidden => WarnError::Forbidden,
            Denied::NotFound => WarnError::NotFound,
            Denied::Db(e) => WarnError::Db(e),
        }
    }
}

impl From<sqlx::Error> for WarnError {
    fn from(e: sqlx::Error) -> Self {
        WarnError::Db(e.into())
    }
}

impl From<WarnError> for AppError {
    fn from(e: WarnError) -> Self {
        match e {
            WarnError::Refused(details) => {
                AppError::unprocessable("warn-err-refused").details(details)
            }
            WarnError::RefusedLines(lines) => AppError::unprocessable("warn-err-batch")
                .details(lines.iter().map(|(l, m)| line_msg(*l, m)).collect()),
            WarnError::NotFound => AppError::not_found(),
            WarnError::Forbidden => AppError::forbidden(),
            WarnError::Conflict(key) => AppError::conflict(key),
            WarnError::BadRequest(key) => AppError::bad_request(key),
            WarnError::Db(e) => e.into(),
        }
    }
}

/// Refused lines of a batch: (line number, reason).
pub type LineErrors = Vec<(usize, Msg)>;

/// The refusal of one line of a batch ("line 4: …"), rendered in the reader's language.
pub fn line_msg(line: usize, m: &Msg) -> Msg {
    Msg::new("warn-err-line")
        .arg("line", line)
        .arg_msg("error", m.clone())
}

fn refuse(key: &str) -> WarnError {
    WarnError::Refused(vec![Msg::new(key)])
}

/// Who issues a warning.
#[derive(Clone, Debug)]
pub struct Issuer {
    pub account_id: Option<AccountId>,
    pub name: String,
    /// `police`, `partner` or `internal`.
    pub kind: &'static str,
    /// Unit paths the issuer may warn about (matching looks only here).
    pub scopes: Vec<String>,
    /// The issuer's own unit path (queue of unmatched warnings without a school).
    pub home_path: String,
}

impl Issuer {
    /// The issuer as the store writes it.
    pub fn issued_by(&self) -> store::IssuedBy<'_> {
        store::IssuedBy {
            kind: self.kind,
            account_id: self.account_id,
            home_path: &self.home_path,
        }
    }

    /// The issuer behind a principal allowed to issue warnings.
    pub fn of(p: &Principal) -> Option<Issuer> {
        let scopes = policy::scopes_for(p, Action::IssueWarning);
        let grant = p
            .grants
            .iter()
            .find(|g| matches!(g.role, Role::Police | Role::Partner))?;
        Some(Issuer {
            account_id: Some(p.account_id),
            name: p.username.clone(),
            kind: if grant.role == Role::Police {
                "police"
            } else {
                "partner"
            },
            home_path: grant.scope_paths.first().cloned().unwrap_or_default(),
            scopes,
        })
    }
}
fn in_scope(path: &str, scopes: &[String]) -> bool {
    scopes.iter().any(|s| path.starts_with(s.as_str()))
}

/// Is this a partner's warning about nobody on a roster, kept for the police only, and is the
/// caller one of the police of the partner's region who hold it? Such a warning stays at the
/// partner's own unit (no school, no student), so the ordinary scope rules give it to nobody at
/// a school and to no police station either; the police whose jurisdiction lies inside that
/// region see it in their queue, open it and attach a student (`mules::service::police_queue`
/// lists the same warnings).
pub fn held_by_police_of_region(p: &Principal, w: &Warning) -> bool {
    w.source_kind == "partner"
        && w.school_id.is_none()
        && w.student_id.is_none()
        && w.status() == Status::Unidentified
        && p.grants.iter().any(|g| {
            g.role == Role::Police
                && g.scope_paths
                    .iter()
                    .any(|s| s.starts_with(w.unit_path.as_str()))
        })
}

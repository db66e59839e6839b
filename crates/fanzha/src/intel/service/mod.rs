//! Rules of the indicator store: sightings, police decisions (confirm, clear, sharing level,
//! merge), imports that write all or nothing, and the review queue. Every status change is audited
//! and logged in `indicator_changes` so every process's index follows.

use fanzha_detect::FraudType;
use sqlx::AnyConnection;

use super::model::{Entry, FraudTypes, Indicator, IndicatorKey, SetBy, Status, Tlp};
use super::store::{self, NewIndicator};
use crate::audit::{self, Actor, Event};
use crate::clock::Clock;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum IntelError {
    /// Input refused; one message per problem (an import lists every bad entry).
    #[error("invalid input: {0:?}")]
    Invalid(Vec<String>),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<IntelError> for crate::error::AppError {
    fn from(e: IntelError) -> Self {
        use crate::error::{AppError, Msg};
        match e {
            IntelError::Invalid(v) => AppError::unprocessable("intel-err-invalid").details(
                v.into_iter()
                    .map(|m| Msg::new("err-detail").arg("text", m))
                    .collect(),
            ),
            IntelError::NotFound => AppError::not_found(),
            IntelError::Db(e) => e.into(),
        }
    }
}

impl From<sqlx::Error> for IntelError {
    fn from(e: sqlx::Error) -> Self {
        IntelError::Db(e.into())
    }
}

pub type IntelResult<T> = Result<T, IntelError>;

/// Who decides, for the audit log: the actor and the unit path the entry is filed under (the
/// officer's own unit, so their station and province can read it).
#[derive(Clone, Debug)]
pub struct By {
    pub actor: Actor,
    pub unit_path: String,
}

fn types_of(v: &[FraudType]) -> FraudTypes {
    let mut t = FraudTypes::default();
    for x in v {
        t.insert(*x);
    }
    t
}

/// One sighting for [`record_sightings`].
#[derive(Clone, Debug)]
pub struct Sighting<'a> {
    pub kind: &'a str,
    pub value: &'a str,
    pub fraud_types: &'a [FraudType],
    pub source: &'a str,
}

/// Rows per multi-row statement (11 parameters a row stays far below both backends' limits).
const BULK_ROWS: usize = 400;

mod decide;
mod import;
mod review;
mod sightings;

pub use decide::*;
pub use import::*;
pub use review::*;
pub use sightings::*;

//! Learning (反诈课程与承诺): the elective course with lessons, a question bank by fraud type,
//! assessments drawn at random and credits; the required first lesson of an enrolment year with its
//! deadline; the pledge with versioned text and one live signature per person and version;
//! lectures and class meetings with rotating-code check-in; the national anti-fraud app drive; and
//! the coverage of a unit over all of them.

pub mod bench;
pub mod demo;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;

use axum::http::StatusCode;

use crate::audit::Denied;
use crate::db::DbError;
use crate::error::{AppError, Msg};
use crate::reports::evidence_store::StoreError;

/// What can go wrong in learning.
#[derive(Debug)]
pub enum LearningError {
    /// Absent, or outside every scope of the caller (its existence is not revealed).
    NotFound,
    /// The caller may see it but not do this.
    Forbidden,
    /// The input is refused; one message per problem.
    Invalid(Vec<Msg>),
    /// The state does not allow it (a closed attempt, a second signature…): the message key.
    Conflict(&'static str),
    /// The unit is not a school and not inside one.
    NotASchoolUnit,
    /// A student tried to check in to an activity held for another unit.
    NotYourActivity,
    Db(DbError),
    /// The evidence store (photos, attachments) failed.
    Files(StoreError),
    /// Something that cannot happen did (logged where it happened).
    Internal,
}

impl From<DbError> for LearningError {
    fn from(e: DbError) -> Self {
        LearningError::Db(e)
    }
}

impl From<sqlx::Error> for LearningError {
    fn from(e: sqlx::Error) -> Self {
        LearningError::Db(e.into())
    }
}

impl From<StoreError> for LearningError {
    fn from(e: StoreError) -> Self {
        LearningError::Files(e)
    }
}

impl From<Denied> for LearningError {
    fn from(e: Denied) -> Self {
        match e {
            Denied::Forbidden => LearningError::Forbidden,
            Denied::NotFound => LearningError::NotFound,
            Denied::Db(e) => LearningError::Db(e),
        }
    }
}

impl From<LearningError> for AppError {
    fn from(e: LearningError) -> Self {
        match e {
            LearningError::Invalid(p) => AppError::refused("err-learning-invalid", p),
            LearningError::Conflict(key) => AppError::conflict(key).details(vec![Msg::new(key)]),
            LearningError::NotASchoolUnit => AppError::refused(
                "err-learning-invalid",
                vec![Msg::new("err-learning-not-school")],
            ),
            LearningError::NotYourActivity => {
                AppError::new(StatusCode::FORBIDDEN, "err-learning-not-your-activity")
                    .details(vec![Msg::new("err-learning-not-your-activity")])
            }
            LearningError::NotFound => AppError::not_found(),
            LearningError::Forbidden => AppError::forbidden(),
            LearningError::Db(e) => e.into(),
            LearningError::Files(e) => e.into(),
            LearningError::Internal => AppError::internal(),
        }
    }
}

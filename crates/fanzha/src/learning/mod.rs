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

use crate::db::DbError;
use crate::error::{AppError, Msg};

/// What can go wrong in learning, besides the caller's scope (answered by `org::access`).
#[derive(Debug)]
pub enum LearningError {
    /// The input is refused; one message per problem.
    Invalid(Vec<Msg>),
    /// The state does not allow it (a closed attempt, a second signature…): the message key.
    Conflict(&'static str),
    /// The unit is not a school and not inside one.
    NotASchoolUnit,
    /// A student tried to check in to an activity held for another unit.
    NotYourActivity,
    Db(DbError),
}

impl From<DbError> for LearningError {
    fn from(e: DbError) -> Self {
        LearningError::Db(e)
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
            LearningError::Db(e) => e.into(),
        }
    }
}

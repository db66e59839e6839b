//! Every SQL statement of the learning module, one text for both databases; rows read by column
//! name.

mod activity;
pub mod bench;
mod certificate;
mod course;
mod coverage;
pub mod demo;
mod pledge;
mod reminders;
mod structure;
mod terms;
pub use activity::*;
pub use certificate::*;
pub use course::*;
pub use coverage::*;
pub use pledge::*;
pub use reminders::*;
pub use structure::*;
pub use terms::*;

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row};

use super::model::*;
use crate::clock::Millis;
use crate::db::{Db, DbError, DbResult};
use crate::org::store::sql::{self, STUDENTS_IN_CLASSES};

type Tx<'a> = sqlx::Transaction<'a, Any>;

fn bad(what: &str) -> DbError {
    DbError::Sqlx(sqlx::Error::Decode(what.to_string().into()))
}

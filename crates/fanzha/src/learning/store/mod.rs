//! Every SQL statement of the learning module, one text for both databases; rows read by column
//! name.

mod course;
mod pledge;
mod activity;
mod coverage;
mod certificate;
mod reminders;
mod terms;
mod structure;
pub use course::*;
pub use pledge::*;
pub use activity::*;
pub use coverage::*;
pub use certificate::*;
pub use reminders::*;
pub use terms::*;
pub use structure::*;

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row};

use super::model::*;
use crate::clock::Millis;
use crate::db::{Db, DbError, DbResult};

type Tx<'a> = sqlx::Transaction<'a, Any>;

fn bad(what: &str) -> DbError {
    DbError::Sqlx(sqlx::Error::Decode(what.to_string().into()))
}

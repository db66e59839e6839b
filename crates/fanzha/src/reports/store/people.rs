//! Who a report concerns and whom it tells: a student's place and account, counselors of a
//! class, police and leaders of the stations whose jurisdiction has a school, and the locale
//! each recipient reads. Read inside the caller's transaction, through the org and auth stores.

use crate::kernel::ids::{AccountId, UnitId};
use sqlx::AnyConnection;

use crate::auth::store::lookups::{self as auth_lookups, AccountOf};
use crate::db::DbResult;
use crate::inbox::Recipient;

pub use crate::auth::store::lookups::{
    account_of_student, is_police, station_police, student_accounts,
};
pub use crate::org::store::chain::{
    counselors_of_class, station_leaders, stations_of_school, student_cohort, student_place,
};

/// Police accounts of the stations whose jurisdiction has this school.
pub async fn police_of_school(
    tx: &mut AnyConnection,
    school_id: UnitId,
) -> DbResult<Vec<AccountId>> {
    let stations = stations_of_school(tx, school_id).await?;
    auth_lookups::police_of_stations(tx, &stations).await
}

/// The locale of an inbox recipient's account (for staff and students the first account linked
/// to them), if they have one.
pub async fn locale_of(tx: &mut AnyConnection, to: &Recipient) -> DbResult<Option<String>> {
    let who = match to {
        Recipient::Account(id) => AccountOf::Account(*id),
        Recipient::Staff(id) => AccountOf::Staff(*id),
        Recipient::Student(id) => AccountOf::Student(*id),
    };
    auth_lookups::locale_of(tx, who).await
}

//! Who a report concerns and whom it tells: a student's place and account, counselors of a
//! class, police and leaders of the stations whose jurisdiction has a school, and the locale
//! each recipient reads. Read inside the caller's transaction.

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use sqlx::{AnyConnection, Row};

use crate::db::DbResult;
use crate::inbox::Recipient;

/// A student's class path, class id and school id.
pub async fn student_place(
    tx: &mut AnyConnection,
    student_id: StudentId,
) -> DbResult<Option<(String, UnitId, UnitId)>> {
    let Some(row) = sqlx::query(
        "SELECT u.path AS path, s.class_id AS class_id, s.school_id AS school_id FROM students s JOIN units u ON u.id = s.class_id WHERE s.id = $1",
    )
    .bind(student_id)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some((
        row.try_get("path")?,
        row.try_get("class_id")?,
        row.try_get("school_id")?,
    )))
}

/// The cohort of a student as a case records it: (class id, enrollment year, major, gender).
pub async fn student_cohort(
    tx: &mut AnyConnection,
    student_id: StudentId,
) -> DbResult<(UnitId, i64, String, String)> {
    let row =
        sqlx::query("SELECT class_id, enrollment_year, major, gender FROM students WHERE id = $1")
            .bind(student_id)
            .fetch_one(&mut *tx)
            .await?;
    Ok((
        row.try_get("class_id")?,
        row.try_get("enrollment_year")?,
        row.try_get("major")?,
        row.try_get("gender")?,
    ))
}

/// The first account of a student.
pub async fn account_of_student(
    tx: &mut AnyConnection,
    student_id: StudentId,
) -> DbResult<Option<AccountId>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM accounts WHERE student_id = $1 ORDER BY id LIMIT 1")
            .bind(student_id)
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// The counselors (staff ids) of a class.
pub async fn counselors_of_class(tx: &mut AnyConnection, class_id: UnitId) -> DbResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT staff_id FROM responsibilities WHERE unit_id = $1 AND duty = 'counselor'",
    )
    .bind(class_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// Police accounts of the stations whose jurisdiction has this school.
pub async fn police_of_school(
    tx: &mut AnyConnection,
    school_id: UnitId,
) -> DbResult<Vec<AccountId>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT ra.account_id FROM role_assignments ra JOIN jurisdictions j ON j.station_id = ra.unit_id \
         WHERE j.school_id = $1 AND ra.role = 'police' ORDER BY ra.account_id",
    )
    .bind(school_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// The stations whose jurisdiction has this school.
pub async fn stations_of_school(
    tx: &mut AnyConnection,
    school_id: UnitId,
) -> DbResult<Vec<UnitId>> {
    Ok(sqlx::query_scalar(
        "SELECT station_id FROM jurisdictions WHERE school_id = $1 ORDER BY station_id",
    )
    .bind(school_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// The leaders (staff ids) of a station.
pub async fn station_leaders(tx: &mut AnyConnection, station_id: UnitId) -> DbResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT staff_id FROM responsibilities WHERE unit_id = $1 AND duty = 'station_leader' ORDER BY staff_id",
    )
    .bind(station_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// The police accounts of a station.
pub async fn station_police(
    tx: &mut AnyConnection,
    station_id: UnitId,
) -> DbResult<Vec<AccountId>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM role_assignments WHERE unit_id = $1 AND role = 'police' ORDER BY account_id",
    )
    .bind(station_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// Whether the account is police anywhere.
pub async fn is_police(tx: &mut AnyConnection, account_id: AccountId) -> DbResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM role_assignments WHERE account_id = $1 AND role = 'police'",
    )
    .bind(account_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(n > 0)
}

/// The locale of an inbox recipient's account (for staff and students the first account linked
/// to them), if they have one.
pub async fn locale_of(tx: &mut AnyConnection, to: &Recipient) -> DbResult<Option<String>> {
    let (sql, id) = match to {
        Recipient::Account(id) => ("SELECT locale FROM accounts WHERE id = $1", id.get()),
        Recipient::Staff(id) => (
            "SELECT locale FROM accounts WHERE staff_id = $1 ORDER BY id LIMIT 1",
            *id,
        ),
        Recipient::Student(id) => (
            "SELECT locale FROM accounts WHERE student_id = $1 ORDER BY id LIMIT 1",
            *id,
        ),
    };
    Ok(sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?)
}

/// The first `limit` student accounts (by id): account id and student id.
pub async fn student_accounts(
    tx: &mut AnyConnection,
    limit: i64,
) -> DbResult<Vec<(AccountId, StudentId)>> {
    let rows = sqlx::query(
        "SELECT a.id AS account_id, a.student_id AS student_id FROM accounts a \
         WHERE a.student_id IS NOT NULL ORDER BY a.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("account_id")?, r.try_get("student_id")?)))
        .collect()
}

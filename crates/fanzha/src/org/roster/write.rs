//! Writing checked rows: upserts by student or staff number, in batches.

use super::*;
use crate::kernel::ids::UnitId;

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's parameter limits.
pub(super) const BATCH: usize = 500;

/// Upserts checked student rows in one transaction.
pub async fn write_students(
    db: &Db,
    school_id: UnitId,
    rows: &[StudentRow],
    now: i64,
) -> DbResult<ImportSummary> {
    let existing: HashSet<String> = store::roster::student_numbers_of_school(db, school_id).await?;
    let mut tx = db.begin_write().await?;
    // Enrolment years the school did not have before this import: new intakes (the learning
    // module hands them the first lesson).
    let known_years: HashSet<i64> =
        store::roster::enrollment_years_of_school(&mut tx, school_id).await?;
    let mut new_years: Vec<i64> = rows
        .iter()
        .map(|r| r.enrollment_year)
        .filter(|y| !known_years.contains(y))
        .collect();
    new_years.sort_unstable();
    new_years.dedup();
    for chunk in rows.chunks(BATCH) {
        store::roster::upsert_students(&mut tx, db.backend, school_id, chunk, now).await?;
    }
    let numbers: Vec<&str> = rows.iter().map(|r| r.student_no.as_str()).collect();
    let accounts_created = crate::auth::roster_accounts::sync(
        &mut tx,
        db.backend,
        crate::auth::roster_accounts::PersonKind::Student,
        school_id,
        &numbers,
        now,
    )
    .await?;
    crate::learning::service::intake_arrived(&mut tx, school_id, &new_years, now).await?;
    tx.commit().await?;
    let inserted = rows
        .iter()
        .filter(|r| !existing.contains(r.student_no.as_str()))
        .count();
    Ok(ImportSummary {
        rows: rows.len(),
        inserted,
        updated: rows.len() - inserted,
        responsibilities: 0,
        accounts_created,
    })
}

/// Upserts checked staff rows and their responsibilities in one transaction.
pub async fn write_staff(
    db: &Db,
    org_id: UnitId,
    rows: &[StaffRow],
    now: i64,
) -> DbResult<ImportSummary> {
    let mut tx = db.begin_write().await?;
    let mut summary = ImportSummary {
        rows: rows.len(),
        ..Default::default()
    };
    for r in rows {
        let existing = store::roster::staff_id_by_no(&mut tx, org_id, r.staff_no.as_str()).await?;
        let id = match existing {
            Some(id) => {
                store::roster::update_staff(&mut tx, id, r, now).await?;
                summary.updated += 1;
                id
            }
            None => {
                summary.inserted += 1;
                store::roster::insert_staff(&mut tx, org_id, r, now).await?
            }
        };
        if let Some(duty) = r.duty {
            for &unit in &r.responsible {
                store::set_responsible(&mut *tx, unit, id, duty, now).await?;
                summary.responsibilities += 1;
            }
        }
    }
    let numbers: Vec<&str> = rows.iter().map(|r| r.staff_no.as_str()).collect();
    summary.accounts_created = crate::auth::roster_accounts::sync(
        &mut tx,
        db.backend,
        crate::auth::roster_accounts::PersonKind::Staff,
        org_id,
        &numbers,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

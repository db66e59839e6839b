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
    let existing: HashSet<String> =
        sqlx::query("SELECT student_no FROM students WHERE school_id = $1")
            .bind(school_id)
            .fetch_all(&db.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
    let mut tx = db.begin_write().await?;
    // Enrolment years the school did not have before this import: new intakes (the learning
    // module hands them the first lesson).
    let known_years: HashSet<i64> =
        sqlx::query_scalar("SELECT DISTINCT enrollment_year FROM students WHERE school_id = $1")
            .bind(school_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let mut new_years: Vec<i64> = rows
        .iter()
        .map(|r| r.enrollment_year)
        .filter(|y| !known_years.contains(y))
        .collect();
    new_years.sort_unstable();
    new_years.dedup();
    for chunk in rows.chunks(BATCH) {
        let mut sql = String::from(
            "INSERT INTO students (school_id, class_id, student_no, name, gender, enrollment_year, major, phone, email, status, created_at, updated_at) VALUES ",
        );
        sql.push_str(&crate::db::values_rows(chunk.len(), 12, 1));
        sql.push_str(
            " ON CONFLICT (school_id, student_no) DO UPDATE SET class_id = excluded.class_id, name = excluded.name, \
             gender = excluded.gender, enrollment_year = excluded.enrollment_year, major = excluded.major, \
             phone = excluded.phone, email = excluded.email, status = excluded.status, updated_at = excluded.updated_at",
        );
        let sql = crate::db::bulk_sql(db.backend, &sql);
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(school_id)
                .bind(r.class_id)
                .bind(r.student_no.as_str().to_string())
                .bind(r.name.clone())
                .bind(r.gender.as_str())
                .bind(r.enrollment_year)
                .bind(r.major.clone())
                .bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
                .bind(r.email.clone())
                .bind(r.status.as_str())
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
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
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM staff WHERE org_id = $1 AND staff_no = $2")
                .bind(org_id)
                .bind(r.staff_no.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let id = match existing {
            Some(id) => {
                sqlx::query("UPDATE staff SET unit_id = $1, name = $2, phone = $3, email = $4, title = $5, status = $6, updated_at = $7 WHERE id = $8")
                    .bind(r.unit_id)
                    .bind(&r.name)
                    .bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
                    .bind(&r.email)
                    .bind(&r.title)
                    .bind(r.status.as_str())
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                summary.updated += 1;
                id
            }
            None => {
                summary.inserted += 1;
                sqlx::query_scalar(
                    "INSERT INTO staff (org_id, unit_id, staff_no, name, phone, email, title, status, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                )
                .bind(org_id)
                .bind(r.unit_id)
                .bind(r.staff_no.as_str())
                .bind(&r.name)
                .bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
                .bind(&r.email)
                .bind(&r.title)
                .bind(r.status.as_str())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
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

//! What the demo and the benchmark need beyond the module's own tables: whom they seed for, read
//! through the auth and org lookups; and the benchmark's volunteers and figures.

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use sqlx::AnyConnection;

use super::R;
use crate::auth::store::lookups as auth_lookups;
use crate::db::DbResult;
use crate::org::store::lookups as org_lookups;

/// The demo officer `police1`: (station id, station path, account id).
pub async fn demo_station(c: &mut AnyConnection) -> DbResult<Option<(UnitId, String, AccountId)>> {
    let Some(&(unit_id, account)) = auth_lookups::grants_of_username(c, "police1")
        .await?
        .first()
    else {
        return Ok(None);
    };
    Ok(org_lookups::unit_ref(c, unit_id)
        .await?
        .map(|u| (u.id, u.path, account)))
}

/// The first school of a station's jurisdiction.
pub async fn demo_first_school(
    c: &mut AnyConnection,
    station_id: UnitId,
) -> DbResult<Option<UnitId>> {
    org_lookups::first_school_of_station(c, station_id).await
}

/// (account id, student id) of the first activated students of a school, `first` (a student
/// number) before the others, at most `n`.
pub async fn demo_students(
    c: &mut AnyConnection,
    school_id: UnitId,
    first: &str,
    n: i64,
) -> DbResult<Vec<(AccountId, StudentId)>> {
    const PAGE: i64 = 500;
    let want = usize::try_from(n).unwrap_or(0);
    let mut out = Vec::new();
    let mut offset = 0;
    while out.len() < want {
        let students =
            org_lookups::students_of_school_by_no(c, school_id, first, PAGE, offset).await?;
        let accounts = auth_lookups::activated_accounts_of_students(c, &students).await?;
        for sid in &students {
            out.extend(accounts.iter().filter(|(_, s)| s == sid).copied());
        }
        if (students.len() as i64) < PAGE {
            break;
        }
        offset += PAGE;
    }
    out.truncate(want);
    Ok(out)
}

/// Another school than `school_id` with its first school admin: (school id, account id, path).
pub async fn demo_other_school_admin(
    c: &mut AnyConnection,
    school_id: UnitId,
) -> DbResult<Option<(UnitId, AccountId, String)>> {
    for (unit_id, account) in auth_lookups::grants_of_role(c, "school_admin").await? {
        if unit_id == school_id {
            continue;
        }
        if let Some(u) = org_lookups::unit_ref(c, unit_id).await? {
            if u.kind == "school" {
                return Ok(Some((u.id, account, u.path)));
            }
        }
    }
    Ok(None)
}

// ---- the benchmark's figures (`fanzha bench volunteers`) ----

/// A volunteer registered at time 0 with the inbox as contact.
pub async fn bench_volunteer(
    c: &mut AnyConnection,
    student_id: StudentId,
    account_id: AccountId,
    school_id: UnitId,
    class_id: UnitId,
    class_path: &str,
) -> R<()> {
    sqlx::query(
        "INSERT INTO vol_volunteers (student_id, account_id, school_id, class_id, class_path, contact, consent_at, balance, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0)",
    )
    .bind(student_id)
    .bind(account_id)
    .bind(school_id)
    .bind(class_id)
    .bind(class_path)
    .bind(crate::volunteers::model::Contact::Inbox.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The places taken of a task.
pub async fn bench_taken(c: &mut AnyConnection, task_id: i64) -> R<i64> {
    sqlx::query_scalar("SELECT taken FROM vol_tasks WHERE id = $1")
        .bind(task_id)
        .fetch_one(&mut *c)
        .await
}

/// Every volunteer's id, in order.
pub async fn bench_volunteer_ids(c: &mut AnyConnection) -> R<Vec<i64>> {
    sqlx::query_scalar("SELECT id FROM vol_volunteers ORDER BY id")
        .fetch_all(&mut *c)
        .await
}

/// Awards written in bulk past the service, noted `bench`: (volunteer, points, cause, at) each.
/// The stored totals are the caller's to rebuild.
pub async fn bench_awards(
    c: &mut AnyConnection,
    backend: crate::db::Backend,
    rows: &[(i64, i64, String, i64)],
) -> R<()> {
    let sql = format!(
        "INSERT INTO vol_ledger (volunteer_id, kind, points, cause, note, created_at) VALUES {}",
        crate::db::values_rows(rows.len(), 6, 1)
    );
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql);
    for (volunteer, points, cause, at) in rows {
        q = q
            .bind(*volunteer)
            .bind("award")
            .bind(*points)
            .bind(cause.as_str())
            .bind("bench")
            .bind(*at);
    }
    q.execute(&mut *c).await?;
    Ok(())
}

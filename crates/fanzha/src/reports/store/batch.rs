//! The set-based statements of the report writer (`reports::writer`): many reports inserted in
//! one statement with their idempotency keys, and their report numbers set in one statement.

use crate::kernel::ids::{AccountId, ReportId};

use sqlx::{AnyConnection, Row};

use super::NewReport;
use crate::db::{Backend, DbResult};

/// Inserts the rows in one statement, each as [`super::insert_report`] would (status `new`, a
/// temporary number); a (reporter, key) already stored inserts nothing. Answers (id, reporter,
/// key) of the rows inserted.
pub async fn insert_reports(
    tx: &mut AnyConnection,
    backend: Backend,
    rows: &[NewReport<'_>],
) -> DbResult<Vec<(ReportId, AccountId, String)>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = String::from(
        "INSERT INTO reports (ref_no, reporter_account_id, idempotency_key, student_id, school_id, unit_path, fraud_type, \
         has_loss, amount_cents, description, sections, status, created_at, updated_at) VALUES ",
    );
    // Renumber: 13 parameters a row (created_at and updated_at bound separately).
    let mut n = 0usize;
    let values: Vec<String> = rows
        .iter()
        .map(|_| {
            let p: Vec<String> = (0..13)
                .map(|_| {
                    n += 1;
                    format!("${n}")
                })
                .collect();
            format!(
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'new', {}, {})",
                p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12]
            )
        })
        .collect();
    sql.push_str(&values.join(", "));
    sql.push_str(
        " ON CONFLICT (reporter_account_id, idempotency_key) DO NOTHING RETURNING id, reporter_account_id, idempotency_key",
    );
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql);
    for r in rows {
        q = q
            .bind(format!("pending-{}", uuid::Uuid::new_v4().simple()))
            .bind(r.reporter_account_id)
            .bind(r.idempotency_key.to_string())
            .bind(r.student_id)
            .bind(r.school_id)
            .bind(r.unit_path.to_string())
            .bind(r.fraud_type.to_string())
            .bind(i64::from(r.has_loss))
            .bind(r.amount_cents)
            .bind(r.description.to_string())
            .bind(r.sections.to_string())
            .bind(r.now)
            .bind(r.now);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in q.fetch_all(&mut *tx).await? {
        out.push((
            row.try_get("id")?,
            row.try_get("reporter_account_id")?,
            row.try_get("idempotency_key")?,
        ));
    }
    Ok(out)
}

/// Sets the report number of each (report, number), in one statement.
pub async fn set_ref_nos(
    tx: &mut AnyConnection,
    backend: Backend,
    numbers: &[(ReportId, String)],
) -> DbResult<()> {
    if numbers.is_empty() {
        return Ok(());
    }
    let mut n = 0usize;
    let mut p = || {
        n += 1;
        format!("${n}")
    };
    let whens: Vec<String> = numbers
        .iter()
        .map(|_| format!("WHEN {} THEN {}", p(), p()))
        .collect();
    let ins: Vec<String> = numbers.iter().map(|_| p()).collect();
    let sql = format!(
        "UPDATE reports SET ref_no = CASE id {} END WHERE id IN ({})",
        whens.join(" "),
        ins.join(", ")
    );
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql);
    for (id, number) in numbers {
        q = q.bind(*id).bind(number.clone());
    }
    for (id, _) in numbers {
        q = q.bind(*id);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

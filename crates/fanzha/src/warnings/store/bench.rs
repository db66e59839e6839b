//! SQL of `fanzha bench warnings`: the open warning the filler copies, the bulk fill, the count.

use crate::db::{Db, DbResult};
use crate::kernel::ids::{AccountId, UnitId};

/// Student, school and unit path of the first open warning.
pub async fn open_template(db: &Db) -> DbResult<(i64, i64, String)> {
    let row = sqlx::query(
        "SELECT student_id, school_id, unit_path FROM warnings WHERE status = 'open' ORDER BY id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await?;
    crate::db::named_one(&row, ["student_id", "school_id", "unit_path"])
}

/// Inserts `extra` open warnings copied from `template`, 500 per statement; the first `due_n`
/// missed their deadline a minute ago, the others are due an hour or more ahead.
pub async fn insert_open(
    db: &Db,
    police_account: AccountId,
    template: &(i64, i64, String),
    now: i64,
    extra: usize,
    due_n: usize,
) -> DbResult<()> {
    let mut done = 0;
    while done < extra {
        let n = 500.min(extra - done);
        let mut sql = String::from(
            "INSERT INTO warnings (source_kind, origin, issued_by_account_id, issuer_unit_path, student_id, school_id, \
             unit_path, fraud_type, severity, status, detail, level, ack_window_ms, contact_window_ms, routed_at, \
             ack_due_at, contact_due_at, next_deadline_at, next_deadline_kind, escalations, created_at, updated_at) VALUES ",
        );
        let mut p = 1;
        for i in 0..n {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "('police', 'bench', {}, '/', ${}, ${}, ${}, 'fake_loan', 'high', 'open', '', 0, 600000, 3600000, ${}, ${}, ${}, ${}, 'ack', 0, ${}, ${})",
                police_account, p, p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8
            ));
            p += 9;
        }
        let sql = crate::db::bulk_sql(db.backend, &sql);
        let mut q = sqlx::query(&sql);
        for i in 0..n {
            let k = done + i;
            let deadline = if k < due_n {
                now - 60_000
            } else {
                now + 3_600_000 + k as i64
            };
            q = q
                .bind(template.0)
                .bind(template.1)
                .bind(&template.2)
                .bind(now - 600_000)
                .bind(deadline)
                .bind(deadline + 3_000_000)
                .bind(deadline)
                .bind(now - 600_000)
                .bind(now - 600_000);
        }
        q.execute(&db.pool).await?;
        done += n;
    }
    Ok(())
}

/// Warnings with a deadline ahead of them.
pub async fn count_scheduled(db: &Db) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM warnings WHERE next_deadline_at IS NOT NULL")
            .fetch_one(&db.pool)
            .await?,
    )
}

/// A closed warning of the past for `fanzha bench cases`: routed at `at`, acknowledged and
/// contacted (by phone) within its windows.
pub struct ClosedWarning<'a> {
    pub school_id: UnitId,
    pub unit_path: &'a str,
    pub at: i64,
    pub acknowledged_at: i64,
    pub contacted_at: i64,
}

/// Inserts closed warnings in bulk (an hour to acknowledge, four to contact).
pub async fn insert_closed(db: &Db, rows: &[ClosedWarning<'_>]) -> DbResult<()> {
    const H: i64 = 3_600_000;
    let rows: Vec<String> = rows
        .iter()
        .map(|w| {
            format!(
                "('police','bench',NULL,'/',NULL,NULL,{},'{}',NULL,NULL,'rebate_task','high','closed','',0,NULL,{H},{},{},{},{},NULL,NULL,0,{},NULL,{},'phone',NULL,NULL,NULL,NULL,{},{})",
                w.school_id,
                w.unit_path,
                4 * H,
                w.at,
                w.at + H,
                w.at + 4 * H,
                w.acknowledged_at,
                w.contacted_at,
                w.at,
                w.at
            )
        })
        .collect();
    crate::db::insert_literal(
        db,
        "warnings (source_kind, origin, issued_by_account_id, issuer_unit_path, idempotency_key, student_id, school_id, unit_path, phone, student_no, \
         fraud_type, severity, status, detail, level, assignee_staff_id, ack_window_ms, contact_window_ms, routed_at, ack_due_at, contact_due_at, \
         next_deadline_at, next_deadline_kind, escalations, acknowledged_at, acknowledged_by, contacted_at, contact_method, outcome, outcome_at, \
         loss_cents, protected_cents, created_at, updated_at)",
        &rows,
    )
    .await?;
    Ok(())
}

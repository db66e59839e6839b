//! Statements of benchmarks only.

use crate::db::{Db, DbResult};
use crate::kernel::ids::{AccountId, UnitId};

/// A closed report of the past for `fanzha bench cases`, numbered `B<n>`.
pub struct ClosedReport<'a> {
    pub n: usize,
    pub school_id: UnitId,
    pub unit_path: &'a str,
    pub at: i64,
}

/// Inserts closed reports by `reporter` in bulk.
pub async fn insert_closed(
    db: &Db,
    reporter: AccountId,
    rows: &[ClosedReport<'_>],
) -> DbResult<()> {
    let rows: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "('B{n}',{reporter},'b{n}',NULL,{},'{}','rebate_task',0,0,'','{{}}','closed',NULL,NULL,NULL,NULL,{},{})",
                r.school_id,
                r.unit_path,
                r.at,
                r.at,
                n = r.n
            )
        })
        .collect();
    crate::db::insert_literal(
        db,
        "reports (ref_no, reporter_account_id, idempotency_key, student_id, school_id, unit_path, fraud_type, has_loss, amount_cents, \
         description, sections, status, assigned_to, merged_into, case_id, first_action_at, created_at, updated_at)",
        &rows,
    )
    .await
}

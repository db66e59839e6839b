//! Accounts of the benchmarks: bare accounts that never sign in.

use crate::kernel::ids::{AccountId, StudentId};
use sqlx::AnyConnection;

use crate::db::DbResult;

/// A bare benchmark account, linked to a student when given.
pub struct BenchAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    /// Never a valid hash: the account cannot sign in.
    pub password_hash: &'a str,
    pub student_id: Option<StudentId>,
    /// Created and password changed at.
    pub at: i64,
    pub activated_at: Option<i64>,
}

/// Inserts the account; returns its id.
pub async fn bench_account(c: &mut AnyConnection, a: &BenchAccount<'_>) -> DbResult<AccountId> {
    Ok(sqlx::query_scalar(
        "INSERT INTO accounts (username, display_name, password_hash, student_id, locale, time_zone, failed_logins, disabled, created_at, password_changed_at, activated_at) \
         VALUES ($1, $2, $3, $4, 'zh-CN', 'Asia/Shanghai', 0, 0, $5, $5, $6) RETURNING id",
    )
    .bind(a.username)
    .bind(a.display_name)
    .bind(a.password_hash)
    .bind(a.student_id)
    .bind(a.at)
    .bind(a.activated_at)
    .fetch_one(&mut *c)
    .await?)
}

//! Server secrets kept in the database, one per purpose (the rotating check-in codes, …): created
//! at first use, then the same for every process of a deployment and across restarts.

use sqlx::Row;

use super::{Db, DbResult};

/// The 32-byte secret of `purpose`, created at first use. Two processes creating it at once agree
/// on one value (the first insert wins; both read it back).
pub async fn server_key(db: &Db, purpose: &str) -> DbResult<Vec<u8>> {
    let fresh = crate::auth::password::random_token();
    sqlx::query(
        "INSERT INTO server_keys (purpose, secret, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (purpose) DO NOTHING",
    )
    .bind(purpose)
    .bind(&fresh)
    .bind(crate::clock::system_now_ms())
    .execute(&db.pool)
    .await?;
    let row = sqlx::query("SELECT secret FROM server_keys WHERE purpose = $1")
        .bind(purpose)
        .fetch_one(&db.pool)
        .await?;
    let secret: String = row.try_get("secret")?;
    Ok(secret.into_bytes())
}

//! Every SQL statement of the audit log: appending one entry or many, and the filtered list.

use sqlx::Row;

use super::{Actor, Entry, Event, Filter};
use crate::db::{Backend, Db, DbResult};

/// Appends one entry.
pub async fn insert<'e, E>(exec: E, at: i64, actor: &Actor, ev: Event<'_>) -> DbResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO audit_log (at, actor_account_id, actor, action, target_kind, target_id, unit_path, ip, request_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(at)
    .bind(actor.account_id)
    .bind(&actor.name)
    .bind(ev.action)
    .bind(ev.target_kind)
    .bind(ev.target_id)
    .bind(ev.unit_path)
    .bind(&actor.ip)
    .bind(&actor.request_id)
    .bind(ev.detail.to_string())
    .execute(exec)
    .await?;
    Ok(())
}

/// Appends many entries at `at` in one statement.
pub async fn insert_many(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    at: i64,
    events: Vec<(&Actor, Event<'_>)>,
) -> DbResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO audit_log (at, actor_account_id, actor, action, target_kind, target_id, unit_path, ip, request_id, detail) VALUES {}",
        crate::db::values_rows(events.len(), 10, 1)
    );
    let sql = crate::db::bulk_sql(backend, &sql);
    let mut q = sqlx::query(&sql);
    for (actor, ev) in events {
        q = q
            .bind(at)
            .bind(actor.account_id)
            .bind(actor.name.clone())
            .bind(ev.action)
            .bind(ev.target_kind)
            .bind(ev.target_id)
            .bind(ev.unit_path)
            .bind(actor.ip.clone())
            .bind(actor.request_id.clone())
            .bind(ev.detail.to_string());
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// Entries under the filter's scope paths, newest first.
pub async fn list(db: &Db, f: &Filter) -> DbResult<Vec<Entry>> {
    if f.scope_paths.is_empty() {
        return Ok(vec![]);
    }
    // Scope paths are ours (from the policy), never user input, but still go in as parameters.
    let mut scope = Vec::new();
    for i in 0..f.scope_paths.len() {
        scope.push(format!("unit_path LIKE ${}", 9 + i));
    }
    let sql = format!(
        "SELECT id, at, actor_account_id, actor, action, target_kind, target_id, unit_path, ip, request_id, detail FROM audit_log \
         WHERE ({}) AND ($1 = '' OR action LIKE $1) AND ($2 = '' OR actor LIKE $2) AND ($3 = '' OR target_id = $3) \
         AND at >= $4 AND at <= $5 AND ($8 = '' OR target_kind = $8) ORDER BY id DESC LIMIT $6 OFFSET $7",
        scope.join(" OR ")
    );
    let mut q = sqlx::query(&sql)
        .bind(if f.action.is_empty() {
            String::new()
        } else {
            format!("{}%", f.action)
        })
        .bind(if f.actor.is_empty() {
            String::new()
        } else {
            format!("%{}%", f.actor)
        })
        .bind(f.target.clone())
        .bind(f.from.unwrap_or(0))
        .bind(f.to.unwrap_or(i64::MAX))
        .bind(f.limit.clamp(1, 1000))
        .bind(f.offset.max(0))
        .bind(f.kind.clone());
    for p in &f.scope_paths {
        q = q.bind(format!("{p}%"));
    }
    let rows = q.fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            let detail: String = r.try_get("detail")?;
            Ok(Entry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor_account_id: r.try_get("actor_account_id")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                target_kind: r.try_get("target_kind")?,
                target_id: r.try_get("target_id")?,
                unit_path: r.try_get("unit_path")?,
                ip: r.try_get("ip")?,
                request_id: r.try_get("request_id")?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

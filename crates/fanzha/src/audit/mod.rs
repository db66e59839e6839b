//! The audit log: append-only record of who did what to whom, when, from where. Every staff read of
//! a person's record and every write goes here; school admins and police read it within scope.

pub mod pages;

use sqlx::Row;

use crate::clock::Clock;
use crate::db::{Db, DbResult};

/// Who acted, from where, in which request.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub account_id: Option<i64>,
    pub name: String,
    pub ip: String,
    pub request_id: String,
}

impl Actor {
    /// The operator at the command line.
    pub fn cli(command: &str) -> Actor {
        Actor {
            account_id: None,
            name: format!("cli:{command}"),
            ip: "local".into(),
            request_id: String::new(),
        }
    }
}

/// One thing that happened.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: String,
    /// Path of the unit the target belongs to; decides who may read the entry.
    pub unit_path: String,
    pub detail: serde_json::Value,
}

pub async fn record<'e, E>(exec: E, clock: &Clock, actor: &Actor, ev: Event<'_>) -> DbResult<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO audit_log (at, actor_account_id, actor, action, target_kind, target_id, unit_path, ip, request_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(clock.now_ms())
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

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub actor_account_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub unit_path: String,
    pub ip: String,
    pub request_id: String,
    pub detail: serde_json::Value,
}

/// What to show: scope paths (required, from the policy), and optional filters.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub scope_paths: Vec<String>,
    pub action: String,
    pub actor: String,
    pub target: String,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(db: &Db, f: &Filter) -> DbResult<Vec<Entry>> {
    if f.scope_paths.is_empty() {
        return Ok(vec![]);
    }
    // Scope paths are ours (from the policy), never user input, but still go in as parameters.
    let mut scope = Vec::new();
    for i in 0..f.scope_paths.len() {
        scope.push(format!("unit_path LIKE ${}", 8 + i));
    }
    let sql = format!(
        "SELECT id, at, actor_account_id, actor, action, target_kind, target_id, unit_path, ip, request_id, detail FROM audit_log \
         WHERE ({}) AND ($1 = '' OR action LIKE $1) AND ($2 = '' OR actor LIKE $2) AND ($3 = '' OR target_id = $3) \
         AND at >= $4 AND at <= $5 ORDER BY id DESC LIMIT $6 OFFSET $7",
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
        .bind(f.offset.max(0));
    for p in &f.scope_paths {
        q = q.bind(format!("{p}%"));
    }
    let rows = q.fetch_all(&db.pool).await?;
    rows.iter()
        .map(|r| {
            let detail: String = r.try_get(10)?;
            Ok(Entry {
                id: r.try_get(0)?,
                at: r.try_get(1)?,
                actor_account_id: r.try_get(2)?,
                actor: r.try_get(3)?,
                action: r.try_get(4)?,
                target_kind: r.try_get(5)?,
                target_id: r.try_get(6)?,
                unit_path: r.try_get(7)?,
                ip: r.try_get(8)?,
                request_id: r.try_get(9)?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

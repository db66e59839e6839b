//! The audit log: append-only record of who did what to whom, when, from where. Every staff read of
//! a person's record and every write goes here; school admins and police read it within scope.

use crate::kernel::ids::AccountId;
pub mod pages;
mod store;

pub use store::list;

use crate::auth::model::{Principal, Via};
use crate::auth::policy::{self, Action, Target};
use crate::clock::Clock;
use crate::db::{Db, DbResult};

/// Who acted, from where, in which request.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub account_id: Option<AccountId>,
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
    store::insert(exec, clock.now_ms(), actor, ev).await
}

/// Records many events at `at` in one statement (the group-commit writers).
pub async fn record_many(
    tx: &mut sqlx::AnyConnection,
    backend: crate::db::Backend,
    at: i64,
    events: Vec<(&Actor, Event<'_>)>,
) -> DbResult<()> {
    store::insert_many(tx, backend, at, events).await
}

/// How a staff read reached a record: a signed-in page or an API token.
fn via(p: &Principal) -> &'static str {
    match p.via {
        Via::Session { .. } => "page",
        Via::Token { .. } => "api",
    }
}

/// Whether reads by `p` are staff reads (students reading their own records and partners are not).
fn is_staff(p: &Principal) -> bool {
    p.grants.iter().any(|g| g.role.is_staff())
}

/// Why [`authorize`] refused: the caller may see the unit (403) or not even that (404, so that
/// a target's existence does not leak).
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

impl From<Denied> for crate::error::AppError {
    fn from(e: Denied) -> Self {
        match e {
            Denied::Forbidden => crate::error::AppError::forbidden(),
            Denied::NotFound => crate::error::AppError::not_found(),
            Denied::Db(e) => e.into(),
        }
    }
}

/// Checks `action` on `target` for `p`; a refusal is written to the audit log as
/// `access.denied`.
pub async fn authorize(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    action: Action,
    target: Target<'_>,
) -> Result<(), Denied> {
    if policy::allows(p, action, &target) {
        return Ok(());
    }
    let (kind, id, path) = match &target {
        Target::Unit(p) => ("unit", String::new(), p.to_string()),
        Target::Student { id, unit_path } => ("student", id.to_string(), unit_path.to_string()),
    };
    record(
        &db.pool,
        clock,
        actor,
        Event {
            action: "access.denied",
            target_kind: kind,
            target_id: id,
            unit_path: path.clone(),
            detail: serde_json::json!({ "action": format!("{action:?}") }),
        },
    )
    .await?;
    if policy::allows(p, Action::ViewUnits, &Target::Unit(&path)) {
        Err(Denied::Forbidden)
    } else {
        Err(Denied::NotFound)
    }
}

/// The deepest unit path under which every one of `paths` lies (`/` when they share none), so
/// that an audit entry of a list is read by whoever may read all the rows it showed.
pub fn common_path<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut common: Option<&str> = None;
    for p in paths {
        common = Some(match common {
            None => p,
            Some(c) => {
                let n = c.bytes().zip(p.bytes()).take_while(|(a, b)| a == b).count();
                // Cut back to the last whole segment ("/1/12/" and "/1/13/" share "/1/").
                let cut = c[..n].rfind('/').map_or(0, |i| i + 1);
                &c[..cut]
            }
        });
    }
    common.map(|c| if c.is_empty() { "/".into() } else { c.into() })
}

/// One person's record opened by staff (a detail view).
#[derive(Clone, Debug)]
pub struct Read<'a> {
    /// What was opened (`student`, `warning`, `report`, `case`, …).
    pub kind: &'a str,
    pub id: i64,
    /// The unit the person belongs to (scopes the entry).
    pub unit_path: &'a str,
    /// More about the record (a student number, a source, …): an object.
    pub detail: serde_json::Value,
}

/// A staff read of one person's record: one `person.view` entry naming the record. Reads by
/// non-staff (a student's own record) write nothing.
pub async fn person_read(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    r: Read<'_>,
) -> DbResult<()> {
    if !is_staff(p) {
        return Ok(());
    }
    let mut detail = r.detail;
    if !detail.is_object() {
        detail = serde_json::json!({});
    }
    if let Some(o) = detail.as_object_mut() {
        o.insert("via".into(), via(p).into());
    }
    record(
        &db.pool,
        clock,
        actor,
        Event {
            action: "person.view",
            target_kind: r.kind,
            target_id: r.id.to_string(),
            unit_path: r.unit_path.to_string(),
            detail,
        },
    )
    .await
}

/// What a list or export of people showed: one entry per request (never one per person), with
/// the filter, the count and the ids shown.
#[derive(Clone, Debug)]
pub struct ListRead<'a> {
    /// `person.list` for a page or API list, `person.export` for a file.
    pub export: bool,
    /// What the rows are (`student`, `warning`, `report`, …).
    pub kind: &'a str,
    /// Where the list was taken: the unit path that scopes its audit entry.
    pub unit_path: String,
    /// The request's filter as given (unit, status, days, page, …).
    pub filter: serde_json::Value,
    /// Ids of the rows shown, in order.
    pub ids: Vec<i64>,
}

/// A staff read of a list or export of people: one `person.list` / `person.export` entry.
pub async fn person_list_read(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    l: ListRead<'_>,
) -> DbResult<()> {
    if !is_staff(p) {
        return Ok(());
    }
    record(
        &db.pool,
        clock,
        actor,
        Event {
            action: if l.export {
                "person.export"
            } else {
                "person.list"
            },
            target_kind: l.kind,
            target_id: String::new(),
            unit_path: l.unit_path,
            detail: serde_json::json!({
                "via": via(p),
                "filter": l.filter,
                "count": l.ids.len(),
                "ids": l.ids,
            }),
        },
    )
    .await
}

/// A list or export of people as a module shows it, for [`list_read`]: the entry is filed under the
/// deepest unit holding every row shown, else the deepest unit of the scope the list was taken
/// in, else `/`, so it is read by whoever may read all the rows.
#[derive(Clone, Debug)]
pub struct Listed<'a> {
    /// `person.list` for a page or API list, `person.export` for a file.
    pub export: bool,
    /// What the rows are (`case`, `report`, `student`, …).
    pub kind: &'a str,
    /// Unit paths of the rows shown (empty when the rows carry none).
    pub rows: Vec<&'a str>,
    /// Unit paths of the scope the list was taken in (a unit, or the caller's scopes).
    pub scope: Vec<&'a str>,
    /// The request's filter as given (unit, status, days, page, …).
    pub filter: serde_json::Value,
    /// Ids of the rows shown, in order.
    pub ids: Vec<i64>,
}

/// A staff read of a list or export of people, filed under the unit its rows (else its scope)
/// share: one `person.list` / `person.export` entry.
pub async fn list_read(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    l: Listed<'_>,
) -> DbResult<()> {
    let unit_path = common_path(l.rows.iter().copied())
        .or_else(|| common_path(l.scope.iter().copied()))
        .unwrap_or_else(|| "/".into());
    person_list_read(
        db,
        clock,
        p,
        actor,
        ListRead {
            export: l.export,
            kind: l.kind,
            unit_path,
            filter: l.filter,
            ids: l.ids,
        },
    )
    .await
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub actor_account_id: Option<AccountId>,
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
    /// Exact target kind (`student`, `warning`, …).
    pub kind: String,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

//! Access checks shared by the org pages and API: the policy decides, refusals are audited, and a
//! target outside every scope of the caller answers 404 so its existence is not revealed.

use crate::audit::{self, Actor, Event};
use crate::auth::model::{Principal, Scope};
use crate::auth::policy::{self, Action, Target};
use crate::clock::Clock;
use crate::db::{Db, DbError};
use crate::error::{AppError, AppResult};
use crate::web::context::User;
use crate::web::AppState;

/// Refuses a token that lacks `scope` (sessions carry every scope).
pub fn require_scope(p: &Principal, scope: Scope) -> AppResult<()> {
    if p.token_allows(scope) {
        Ok(())
    } else {
        Err(AppError::forbidden()
            .arg("scope", scope.as_str())
            .details(vec![
                crate::error::Msg::new("err-token-scope").arg("scope", scope.as_str())
            ]))
    }
}

/// Checks `action` on `target`; a refusal is written to the audit log.
pub async fn authorize(
    st: &AppState,
    u: &User,
    action: Action,
    target: Target<'_>,
) -> AppResult<()> {
    Ok(allow(&st.db, &st.clock, &u.p, &u.ctx.actor(), action, target).await?)
}

/// Why [`allow`] refused: the caller may see the unit (403) or may not even see it (404, so its
/// existence is not revealed).
#[derive(Debug)]
pub enum Refused {
    Forbidden,
    NotFound,
    Db(DbError),
}

impl From<DbError> for Refused {
    fn from(e: DbError) -> Self {
        Refused::Db(e)
    }
}

impl From<Refused> for AppError {
    fn from(e: Refused) -> Self {
        match e {
            Refused::Forbidden => AppError::forbidden(),
            Refused::NotFound => AppError::not_found(),
            Refused::Db(e) => e.into(),
        }
    }
}

/// Checks `action` on `target` for a principal, as the use cases of every module do; a refusal is
/// written to the audit log.
pub async fn allow(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    action: Action,
    target: Target<'_>,
) -> Result<(), Refused> {
    if policy::allows(p, action, &target) {
        return Ok(());
    }
    let (kind, id, path) = match &target {
        Target::Unit(p) => ("unit", String::new(), p.to_string()),
        Target::Student { id, unit_path } => ("student", id.to_string(), unit_path.to_string()),
    };
    audit::record(
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
    let visible = policy::allows(p, Action::ViewUnits, &Target::Unit(&path));
    Err(if visible {
        Refused::Forbidden
    } else {
        Refused::NotFound
    })
}

/// Opens one student's full record for a caller: 404 when absent, refused (and audited) outside
/// scope, and the read itself written to the audit log. Pages and API both come through here.
pub async fn open_student(
    st: &AppState,
    u: &User,
    id: i64,
) -> AppResult<crate::org::model::Student> {
    let s = crate::org::store::student_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(
        st,
        u,
        Action::ViewPerson,
        Target::Student {
            id,
            unit_path: &s.class_path,
        },
    )
    .await?;
    audit::person_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        audit::Read {
            kind: "student",
            id,
            unit_path: &s.class_path,
            detail: serde_json::json!({"student_no": s.student_no}),
        },
    )
    .await?;
    Ok(s)
}

/// One page of the students under a unit for a caller already allowed to list them (masked by
/// the caller's view); the list read is written to the audit log, one entry per request. Pages
/// and API both come through here.
pub async fn list_students(
    st: &AppState,
    u: &User,
    f: crate::org::store::StudentFilter,
) -> AppResult<(Vec<crate::org::model::Student>, i64)> {
    let (items, total) = crate::org::store::list_students(&st.db, &f).await?;
    audit::person_list_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        audit::ListRead {
            export: false,
            kind: "student",
            unit_path: f.under_path.clone(),
            filter: serde_json::json!({
                "under": f.under_path, "q": f.query, "limit": f.limit, "offset": f.offset, "total": total,
            }),
            ids: items.iter().map(|s| s.id).collect(),
        },
    )
    .await?;
    Ok((items, total))
}

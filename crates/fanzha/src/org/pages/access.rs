//! Access checks shared by the org pages and API: the policy decides, refusals are audited, and a
//! target outside every scope of the caller answers 404 so its existence is not revealed.

use crate::audit;
use crate::auth::model::{Principal, Scope};
use crate::auth::policy::{Action, Target};
use crate::error::{AppError, AppResult};
use crate::kernel::ids::StudentId;
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
    Ok(audit::authorize(&st.db, &st.clock, &u.p, &u.ctx.actor(), action, target).await?)
}

/// Opens one student's full record for a caller: 404 when absent, refused (and audited) outside
/// scope, and the read itself written to the audit log. Pages and API both come through here.
pub async fn open_student(
    st: &AppState,
    u: &User,
    id: StudentId,
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
            id: id.get(),
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
            ids: items.iter().map(|s| s.id.get()).collect(),
        },
    )
    .await?;
    Ok((items, total))
}

//! Account administration in a unit: who has which role there, and creating accounts for staff
//! (school admins for their school, province admins for their province). The new account's first
//! password is generated and shown once.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::model::Role;
use super::service::{self, AuthError, NewUser};
use super::store;
use crate::audit::{self, Event};
use crate::auth::policy::{Action, Target};
use crate::error::{AppError, AppResult};
use crate::org::access::authorize;
use crate::org::model::Unit;
use crate::org::store as org_store;
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/org/unit/{code}/accounts", get(page).post(create))
}

pub struct AccountRow {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_name: String,
}

#[derive(Template)]
#[template(path = "auth/admin.html")]
struct AdminPage {
    ctx: PageCtx,
    unit: Unit,
    accounts: Vec<AccountRow>,
    roles: Vec<(&'static str, String)>,
    units: Vec<Unit>,
    error: Option<String>,
    created: Option<(String, String)>,
}

async fn render(
    st: &AppState,
    u: &User,
    unit: Unit,
    error: Option<String>,
    created: Option<(String, String)>,
) -> AppResult<Html<String>> {
    let ctx = page_ctx(st, u).await;
    let rows = store::admin::grants_under(&st.db, &unit.path).await?;
    let mut accounts = Vec::with_capacity(rows.len());
    for r in rows {
        accounts.push(AccountRow {
            username: r.username,
            display_name: r.display_name,
            role: ctx.t(&format!("role-{}", r.role)),
            unit_name: r.unit_name,
        });
    }
    let roles = Role::ALL
        .into_iter()
        .filter(|r| *r != Role::Student)
        .map(|r| (r.as_str(), ctx.t(&format!("role-{}", r.as_str()))))
        .collect();
    let units = org_store::subtree(&st.db, &unit.path)
        .await?
        .into_iter()
        .take(5000)
        .collect();
    Ok(Html(
        AdminPage {
            ctx,
            unit,
            accounts,
            roles,
            units,
            error,
            created,
        }
        .render()?,
    ))
}

async fn page(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
) -> AppResult<Html<String>> {
    let unit = org_store::unit_by_code(&st.db, &code)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(&st, &u, Action::ManageAccounts, Target::Unit(&unit.path)).await?;
    render(&st, &u, unit, None, None).await
}

#[derive(Deserialize)]
struct NewAccountForm {
    username: String,
    display_name: String,
    role: String,
    unit: String,
    staff_no: String,
}

async fn create(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    Form(f): Form<NewAccountForm>,
) -> AppResult<Response> {
    let unit = org_store::unit_by_code(&st.db, &code)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(&st, &u, Action::ManageAccounts, Target::Unit(&unit.path)).await?;
    let refuse = |key: &str| -> AppResult<Response> { Err(AppError::unprocessable(key)) };
    let Ok(role) = f.role.parse::<Role>() else {
        return refuse("auth-err-role-unit");
    };
    if role == Role::Student {
        return refuse("auth-err-role-unit");
    }
    // The role is granted on a unit that must itself be inside the caller's scope.
    let target = org_store::unit_by_code(&st.db, f.unit.trim()).await?;
    let Some(target) = target.filter(|t| t.path.starts_with(&unit.path)) else {
        return refuse("auth-err-unit");
    };
    authorize(&st, &u, Action::ManageAccounts, Target::Unit(&target.path)).await?;
    let password = super::password::random_token()[..12].to_string();
    let result = service::create_user(
        &st.db,
        &st.clock,
        &NewUser {
            username: &f.username,
            display_name: &f.display_name,
            password: &password,
            role,
            unit_code: &target.code,
            person_no: Some(f.staff_no.as_str()).filter(|s| !s.trim().is_empty()),
        },
    )
    .await;
    match result {
        Ok(id) => {
            audit::record(&st.db.pool, &st.clock, &u.ctx.actor(), Event {
                action: "account.created",
                target_kind: "account",
                target_id: id.to_string(),
                unit_path: target.path.clone(),
                detail: serde_json::json!({"username": f.username.trim(), "role": role.as_str(), "unit": target.code}),
            })
            .await?;
            Ok(render(
                &st,
                &u,
                unit,
                None,
                Some((f.username.trim().to_string(), password)),
            )
            .await?
            .into_response())
        }
        Err(AuthError::Db(e)) => Err(e.into()),
        Err(e) => {
            let err: AppError = e.into();
            let html = render(&st, &u, unit, Some(err.msg.render(u.ctx.lang)), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

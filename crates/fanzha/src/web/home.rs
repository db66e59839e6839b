//! The home page of each role: only what that role can use, with the figures of its scope.

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use super::context::User;
use super::error::AppResult;
use super::layout::{page_ctx, PageCtx};
use super::AppState;
use crate::auth::model::Role;
use crate::org::model::{Responsible, Student};
use crate::org::{service as org_service, store as org_store};

pub struct ScopeCard {
    pub role: String,
    pub unit_name: String,
    pub unit_code: String,
    pub units: i64,
    pub students: i64,
    pub staff: i64,
    pub extra_schools: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "web/home.html")]
pub struct HomePage {
    pub ctx: PageCtx,
    pub cards: Vec<ScopeCard>,
    pub me: Option<Student>,
    pub chain: Vec<Responsible>,
    pub is_partner: bool,
}

pub async fn home(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let ctx = page_ctx(&st, &u).await;
    let mut cards = Vec::new();
    for g in
        u.p.grants
            .iter()
            .filter(|g| g.role != Role::Student && g.role != Role::Partner)
    {
        let Some(unit) = org_store::unit_by_id(&st.db, g.unit_id).await? else {
            continue;
        };
        let (units, students, staff) = org_store::counts_under(&st.db, &unit.path).await?;
        let mut extra_schools = Vec::new();
        if g.role == Role::Police {
            for p in g.scope_paths.iter().filter(|p| **p != unit.path) {
                if let Some(s) = org_store::units_by_paths(&st.db, std::slice::from_ref(p))
                    .await?
                    .pop()
                {
                    extra_schools.push((s.code, s.name));
                }
            }
        }
        cards.push(ScopeCard {
            role: ctx.t(&format!("role-{}", g.role.as_str())),
            unit_name: unit.name,
            unit_code: unit.code,
            units,
            students,
            staff,
            extra_schools,
        });
    }
    let (me, chain) = match u.p.student_id {
        Some(id) => match org_store::student_by_id(&st.db, id).await? {
            Some(s) => {
                let chain = org_service::responsible_for_student(&st.db, &s).await?;
                (Some(s), chain)
            }
            None => (None, vec![]),
        },
        None => (None, vec![]),
    };
    Ok(Html(
        HomePage {
            ctx,
            cards,
            me,
            chain,
            is_partner: u.p.has_role(Role::Partner),
        }
        .render()?,
    ))
}

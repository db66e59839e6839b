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

/// One role of the caller with the units it is held over and their figures.
pub struct ScopeCard {
    pub role: String,
    pub units: Vec<UnitFigures>,
    pub students: i64,
    pub extra_schools: Vec<(String, String)>,
}

pub struct UnitFigures {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub students: i64,
    pub staff: i64,
    pub units: i64,
}

#[derive(Template)]
#[template(path = "web/home.html")]
pub struct HomePage {
    pub ctx: PageCtx,
    pub cards: Vec<ScopeCard>,
    pub me: Option<Student>,
    pub chain: Vec<Responsible>,
    pub is_partner: bool,
    /// The case panel (police and school staff), rendered by the cases module.
    pub cases_panel: Option<String>,
    /// Activation of the counselor's classes, rendered by the activation pages.
    pub activation_panel: Option<String>,
    /// Urgent stop-payment requests (police), rendered by the reports module.
    pub urgent_panel: Option<String>,
    /// The province dashboard (province admins), rendered by the cases module.
    pub province_panel: Option<String>,
}

pub async fn home(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let ctx = page_ctx(&st, &u).await;
    let mut cards: Vec<ScopeCard> = Vec::new();
    for role in
        u.p.roles()
            .into_iter()
            .filter(|r| *r != Role::Student && *r != Role::Partner)
    {
        let mut card = ScopeCard {
            role: ctx.t(&format!("role-{}", role.as_str())),
            units: vec![],
            students: 0,
            extra_schools: vec![],
        };
        for g in u.p.grants.iter().filter(|g| g.role == role) {
            let Some(path) = g.scope_paths.first() else {
                continue;
            };
            let (units, students, staff) = st.figures(path).await?;
            card.students += students;
            if role == Role::Police {
                for p in g.scope_paths.iter().skip(1) {
                    if let Some(s) = org_store::units_by_paths(&st.db, std::slice::from_ref(p))
                        .await?
                        .pop()
                    {
                        card.students += st.figures(&s.path).await?.1;
                        card.extra_schools.push((s.code, s.name));
                    }
                }
            }
            card.units.push(UnitFigures {
                kind: ctx.t(&format!("unit-kind-{}", g.unit_kind)),
                code: g.unit_code.clone(),
                name: g.unit_name.clone(),
                students,
                staff,
                units,
            });
        }
        cards.push(card);
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
    let cases_panel = crate::cases::pages::home_panel(&st, &u, &ctx).await?;
    let activation_panel = crate::auth::activation_web::home_panel(&st, &u, &ctx).await?;
    let urgent_panel = crate::reports::pages::home_panel(&st, &u, &ctx).await?;
    let province_panel = crate::cases::pages::dashboard::home_panel(&st, &u, &ctx).await?;
    Ok(Html(
        HomePage {
            province_panel,
            cases_panel,
            activation_panel,
            urgent_panel,
            ctx,
            cards,
            me,
            chain,
            is_partner: u.p.has_role(Role::Partner),
        }
        .render()?,
    ))
}

//! HTML pages of learning: the student's hub (courses, first lesson, pledge, activities, app), a
//! course with its lessons and assessment, the pledge, check-in, the room's screen with its
//! rotating code, authoring for school admins and police, and the coverage tree with drill-down.

mod activity;
mod course;
mod coverage;
mod manage;
mod structure;
use activity::*;
use course::*;
use coverage::*;
use manage::*;
use structure::*;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::model::*;
use super::service::{self, CourseView, Coverage};
use super::store::ClassFigures;
use crate::auth::policy::{self, Action};
use crate::error::{AppError, AppResult};
use crate::kernel::rotating::Shown;
use crate::org::model::Unit;
use crate::web::context::User;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

/// The cookie that names a browser for check-in (a second account checked in from it is flagged).
pub const DEVICE_COOKIE: &str = "fz_device";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/learning", get(hub))
        .route("/learning/manage", get(manage))
        .route("/learning/courses", post(create_course))
        .route("/learning/courses/{id}", get(course))
        .route("/learning/courses/{id}/lessons", post(add_lesson))
        .route("/learning/courses/{id}/questions", post(add_question))
        .route("/learning/courses/{id}/start", post(start))
        .route("/learning/courses/{id}/remind", post(remind_course))
        .route("/learning/lessons/{id}", get(lesson))
        .route("/learning/attempts/{id}", get(attempt).post(submit))
        .route("/learning/pledge", get(pledge))
        .route("/learning/pledge/sign", post(sign))
        .route("/learning/pledge/withdraw", post(withdraw))
        .route("/learning/pledge/publish", post(publish))
        .route("/learning/pledge/remind", post(remind_pledge))
        .route("/learning/activities", post(create_activity))
        .route("/learning/activities/{id}", get(activity))
        .route("/learning/activities/{id}/checkin", post(checkin))
        .route("/learning/activities/{id}/screen", get(screen))
        .route("/learning/activities/{id}/code", get(code))
        .route("/learning/app/declare", post(declare))
        .route("/learning/app/verify/{student}", post(verify))
        .route("/learning/coverage", get(coverage))
        .route("/learning/weights", post(weights))
        .route("/verify/{code}", get(verify_certificate))
        .route("/learning/credits/{school}", get(credits_export))
        .route("/learning/terms", post(set_term))
        .route("/learning/courses/{id}/enrol", post(enrol))
        .route("/learning/courses/{id}/modules", post(add_module))
        .route("/learning/courses/{id}/instructors", post(add_instructor))
        .route("/learning/lessons/{id}/module", post(place_lesson))
        .route("/learning/lessons/{id}/attachments", post(attach))
        .route("/learning/attachments/{id}", get(attachment))
        .route("/learning/activities/{id}/photo", post(checkin_photo))
        .route("/learning/checkins/{id}/photo", get(checkin_photo_file))
        .route("/learning/app/screenshot", post(app_screenshot))
        .route(
            "/learning/app/screenshot/{student}",
            get(app_screenshot_file),
        )
}

fn pct(n: i64, d: i64) -> String {
    if d <= 0 {
        "—".into()
    } else {
        format!("{:.0}%", n as f64 * 100.0 / d as f64)
    }
}

/// A figures row ready to show.
pub struct FigRow {
    pub students: i64,
    pub course: String,
    pub first: String,
    pub attendance: String,
    pub pledge: String,
    pub app_declared: String,
    pub app_verified: String,
    pub quiz: String,
}

impl From<&ClassFigures> for FigRow {
    fn from(f: &ClassFigures) -> Self {
        FigRow {
            students: f.students,
            course: pct(f.course_done, f.course_assigned),
            first: pct(f.first_done, f.first_assigned),
            attendance: pct(f.attended, f.attendance_expected),
            pledge: pct(f.signed, f.students),
            app_declared: pct(f.app_declared, f.students),
            app_verified: pct(f.app_verified, f.students),
            quiz: pct(f.quiz_right, f.quiz_answered),
        }
    }
}

// ---------- hub ----------

#[derive(Template)]
#[template(path = "learning/hub.html")]
struct HubPage {
    ctx: PageCtx,
    student: bool,
    courses: Vec<(Course, Progress)>,
    electives: Vec<Course>,
    /// Per fraud type: (name, answered, right, share text).
    knowledge: Vec<(String, i64, i64, String)>,
    signed: Option<bool>,
    app: Option<Option<AppInstall>>,
    activities: Vec<(Activity, bool)>,
    running: Vec<Activity>,
    can_manage: bool,
    roots: Vec<Unit>,
    now: i64,
}

async fn hub(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    let ctx = page_ctx(&st, &u).await;
    let student = service::is_student(&u.p);
    let has = |a: Action| !policy::scopes_for(&u.p, a).is_empty();
    let (courses, signed, app, activities) = if student {
        let (_, p, sig) = service::my_pledge(&st.db, &u.p).await?;
        (
            service::my_courses(&st.db, &u.p).await?,
            p.map(|_| sig.is_some()),
            Some(service::my_app(&st.db, &u.p).await?),
            service::my_activities(&st.db, &st.clock, &u.p).await?,
        )
    } else {
        (vec![], None, None, vec![])
    };
    let electives = if student {
        service::my_electives(&st.db, &u.p).await?
    } else {
        vec![]
    };
    let knowledge = if student {
        service::my_knowledge(&st.db, &u.p)
            .await?
            .into_iter()
            .map(|(ft, n, r)| (ctx.fraud_type(&ft), n, r, pct(r, n)))
            .collect()
    } else {
        vec![]
    };
    let running = if has(Action::RunActivities) {
        service::activities_to_run(&st.db, &u.p).await?
    } else {
        vec![]
    };
    let roots = if has(Action::ViewLearning) {
        service::coverage_roots(&st.db, &u.p).await?
    } else {
        vec![]
    };
    Ok(Html(
        HubPage {
            ctx,
            student,
            courses,
            electives,
            knowledge,
            signed,
            app,
            activities,
            running,
            can_manage: has(Action::ManageLearning),
            roots,
            now: st.clock.now_ms(),
        }
        .render()?,
    ))
}

/// A share as a number for a chart, `None` when there is nothing to count.
pub(super) fn share(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 * 100.0 / d as f64)
}

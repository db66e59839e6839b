//! Pages of the org tree: browse units and people in scope, a person's record (audited), roster
//! import and export, creating units.

pub mod access;
pub mod picker;

use crate::kernel::ids::StudentId;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::access::authorize;
use super::model::*;
use super::roster::RosterKind;
use super::service::{self, NewUnit, OrgError};
use super::store::{self, StudentFilter};
use crate::audit::{self, Event};
use crate::auth::policy::{self, Action, Target};
use crate::csv_export::Kind;
use crate::error::{AppError, AppResult, Msg};
use crate::web::context::User;
use crate::web::download;
use crate::web::layout::{page_ctx, PageCtx};
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/org", get(org_index))
        .route("/org/unit/{code}", get(unit_page))
        .route("/org/unit/{code}/children", post(create_child))
        .route("/org/unit/{code}/export.csv", get(export_file))
        .route("/org/unit/{code}/export.xlsx", get(export_file))
        .route("/org/import/template.xlsx", get(template_xlsx))
        .route("/org/student/{id}", get(student_page))
        .route("/org/import", get(import_page).post(import_submit))
}

pub const PAGE_SIZE: i64 = 50;

async fn org_index(State(st): State<AppState>, u: User) -> AppResult<Response> {
    let roots = store::units_by_paths(&st.db, &policy::scopes_for(&u.p, Action::ViewUnits)).await?;
    match roots.as_slice() {
        [] => Err(AppError::forbidden()),
        [one] => Ok(Redirect::to(&format!("/org/unit/{}", one.code)).into_response()),
        _ => {
            let ctx = page_ctx(&st, &u).await;
            let mut rows = Vec::new();
            for r in roots {
                let n = store::student_count_under(&st.db, &r.path).await?;
                rows.push(ChildRow {
                    kind: ctx.t(&format!("unit-kind-{}", r.kind.as_str())),
                    unit: r,
                    students: n,
                });
            }
            Ok(Html(OrgIndexPage { ctx, rows }.render()?).into_response())
        }
    }
}

pub struct ChildRow {
    pub unit: Unit,
    pub kind: String,
    pub students: i64,
}

#[derive(Template)]
#[template(path = "org/index.html")]
struct OrgIndexPage {
    ctx: PageCtx,
    rows: Vec<ChildRow>,
}

#[derive(Template)]
#[template(path = "org/unit.html")]
struct UnitPage {
    ctx: PageCtx,
    unit: Unit,
    kind: String,
    crumbs: Vec<Unit>,
    children: Vec<ChildRow>,
    responsibles: Vec<Responsible>,
    students: Vec<Student>,
    total: i64,
    q: String,
    page: i64,
    pages: i64,
    can_list: bool,
    export_school: Option<String>,
    can_import: bool,
    can_manage: bool,
    can_accounts: bool,
    can_activation: bool,
    child_kinds: Vec<(&'static str, String)>,
    stations: Vec<Unit>,
    schools: Vec<Unit>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct UnitQuery {
    q: Option<String>,
    page: Option<i64>,
}

async fn unit_page(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    Query(q): Query<UnitQuery>,
) -> AppResult<Html<String>> {
    render_unit(&st, &u, &code, q, None).await.map(|(_, h)| h)
}

async fn render_unit(
    st: &AppState,
    u: &User,
    code: &str,
    q: UnitQuery,
    error: Option<String>,
) -> AppResult<(Unit, Html<String>)> {
    let unit = store::unit_by_code(&st.db, code)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(st, u, Action::ViewUnits, Target::Unit(&unit.path)).await?;
    let ctx = page_ctx(st, u).await;
    let target = Target::Unit(&unit.path);
    let can_list = policy::allows(&u.p, Action::ListPeople, &target);
    // Export is per school; below school level it yields the caller's part of the roster.
    let export_school = if policy::allows(&u.p, Action::ExportRoster, &target) {
        store::school_of(&st.db, &unit).await?.map(|s| s.code)
    } else {
        None
    };
    let can_import =
        unit.kind == UnitKind::School && policy::allows(&u.p, Action::ImportRoster, &target);
    let can_manage = policy::allows(&u.p, Action::ManageUnits, &target);
    let can_accounts = policy::allows(&u.p, Action::ManageAccounts, &target);
    let can_activation = policy::allows(&u.p, Action::IssueActivationCodes, &target);
    // Breadcrumbs only through units the caller may see.
    let crumbs = store::ancestors(&st.db, &unit)
        .await?
        .into_iter()
        .filter(|a| {
            a.id != unit.id && policy::allows(&u.p, Action::ViewUnits, &Target::Unit(&a.path))
        })
        .collect();
    let mut children = Vec::new();
    for c in store::children(&st.db, unit.id).await? {
        let n = store::student_count_under(&st.db, &c.path).await?;
        children.push(ChildRow {
            kind: ctx.t(&format!("unit-kind-{}", c.kind.as_str())),
            unit: c,
            students: n,
        });
    }
    let page = q.page.unwrap_or(1).max(1);
    let query = q.q.unwrap_or_default();
    let (students, total) = if can_list {
        let (s, t) = super::access::list_students(
            st,
            u,
            StudentFilter {
                under_path: unit.path.clone(),
                query: query.clone(),
                limit: PAGE_SIZE,
                offset: (page - 1) * PAGE_SIZE,
            },
        )
        .await?;
        (s.into_iter().map(Student::masked).collect(), t)
    } else {
        (vec![], 0)
    };
    let responsibles = store::responsibles_of_units(&st.db, &[unit.id]).await?;
    let child_kinds = UnitKind::ALL
        .into_iter()
        .filter(|k| k.fits_under(Some(unit.kind)))
        .map(|k| (k.as_str(), ctx.t(&format!("unit-kind-{}", k.as_str()))))
        .collect();
    let (stations, schools) = match unit.kind {
        UnitKind::School => (store::stations_of_school(&st.db, unit.id).await?, vec![]),
        UnitKind::PoliceStation => (vec![], store::jurisdiction_schools(&st.db, unit.id).await?),
        _ => (vec![], vec![]),
    };
    let html = UnitPage {
        kind: ctx.t(&format!("unit-kind-{}", unit.kind.as_str())),
        ctx,
        unit: unit.clone(),
        crumbs,
        children,
        responsibles,
        students,
        total,
        q: query,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        can_list,
        export_school,
        can_import,
        can_manage,
        can_accounts,
        can_activation,
        child_kinds,
        stations,
        schools,
        error,
    }
    .render()?;
    Ok((unit, Html(html)))
}

#[derive(Deserialize)]
struct ChildForm {
    kind: String,
    code: String,
    name: String,
}

async fn create_child(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    Form(f): Form<ChildForm>,
) -> AppResult<Response> {
    let parent = store::unit_by_code(&st.db, &code)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(&st, &u, Action::ManageUnits, Target::Unit(&parent.path)).await?;
    let input = NewUnit {
        parent_code: Some(parent.code.clone()),
        kind: f.kind,
        code: f.code,
        name: f.name,
    };
    match service::create_unit_as(&st.db, &st.clock, &u.ctx.actor(), &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/org/unit/{}", parent.code)).into_response()),
        Err(OrgError::Refused(msgs)) => {
            let text = msgs
                .iter()
                .map(|m| m.render(u.ctx.lang))
                .collect::<Vec<_>>()
                .join("; ");
            let (_, html) = render_unit(&st, &u, &code, UnitQuery::default(), Some(text)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(OrgError::Db(e)) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "org/student.html")]
struct StudentPage {
    ctx: PageCtx,
    s: Student,
    gender: String,
    status: String,
    chain: Vec<(String, Responsible)>,
    warnings: Vec<crate::warnings::pages::HistoryRow>,
    /// Reports: (link, when filed, fraud type, status in words).
    reports: Vec<(String, String, String, String)>,
    /// Risk checks: (when, level in words, fraud type where one was found). What was checked
    /// stays the student's own.
    checks: Vec<(String, String, String)>,
    /// Campaigns received: (title, when sent or queued, read or not in words).
    campaigns: Vec<(String, String, String)>,
}

async fn student_page(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<StudentId>,
) -> AppResult<Html<String>> {
    let s = super::access::open_student(&st, &u, id).await?;
    let ctx = page_ctx(&st, &u).await;
    let chain = service::responsible_for_student(&st.db, &s)
        .await?
        .into_iter()
        .map(|r| (ctx.t(&format!("duty-{}", r.duty.as_str())), r))
        .collect();
    let warnings = crate::warnings::pages::history_of_student(&st, &ctx, s.id).await?;
    let reports = crate::reports::store::of_student(&st.db, s.id, 100)
        .await?
        .into_iter()
        .map(|r| {
            (
                format!("/reports/{}", r.id),
                ctx.time(&r.created_at),
                crate::web::layout::fraud_type_name(ctx.lang, r.fraud_type.id()),
                ctx.t(&format!("reports-status-{}", r.status)),
            )
        })
        .collect();
    let checks = crate::intel::store::checks_of_student(&st.db, s.id, 100)
        .await?
        .into_iter()
        .map(|c| {
            let kind = if c.level == "none" {
                String::new()
            } else {
                crate::web::layout::fraud_type_name(ctx.lang, &c.fraud_type)
            };
            (
                ctx.time(&c.created_at),
                ctx.t(&format!("check-level-{}", c.level)),
                kind,
            )
        })
        .collect();
    let campaigns = crate::campaigns::store::deliveries_of_student(&st.db, s.id, 100)
        .await?
        .into_iter()
        .map(|(title, d)| {
            let read = if d.opened_at.is_some() || d.acknowledged_at.is_some() {
                ctx.t("org-history-read")
            } else {
                ctx.t("org-history-unread")
            };
            (title, ctx.time(&d.sent_at.unwrap_or(d.queued_at)), read)
        })
        .collect();
    Ok(Html(
        StudentPage {
            warnings,
            reports,
            checks,
            campaigns,
            gender: ctx.t(&format!("gender-{}", s.gender)),
            status: ctx.t(&format!("status-{}", s.status)),
            ctx,
            s,
            chain,
        }
        .render()?,
    ))
}

/// `/org/unit/{code}/export.csv` and `…/export.xlsx`.
async fn export_file(
    State(st): State<AppState>,
    u: User,
    format: crate::web::download::Format,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let unit = store::unit_by_code(&st.db, &code)
        .await?
        .ok_or_else(AppError::not_found)?;
    export_as(&st, &u, &unit, format.xlsx()).await
}

#[derive(Deserialize)]
struct TemplateQuery {
    kind: Option<String>,
}

/// An empty roster workbook to fill in (students by default, or staff), for people who import.
async fn template_xlsx(u: User, Query(q): Query<TemplateQuery>) -> AppResult<Response> {
    if policy::scopes_for(&u.p, Action::ImportRoster).is_empty() {
        return Err(AppError::forbidden());
    }
    let students = match q.kind.as_deref() {
        None | Some("students") => true,
        Some("staff") => false,
        Some(_) => return Err(AppError::bad_request("roster-err-unknown-kind")),
    };
    let notes: Vec<String> = (1..=4)
        .map(|i| u.ctx.lang.t(&format!("roster-template-note-{i}")))
        .collect();
    let body = super::xlsx::template(students, &notes).map_err(|e| {
        tracing::error!(error = %e, "xlsx");
        AppError::internal()
    })?;
    let stem = if students {
        "roster-template-students"
    } else {
        "roster-template-staff"
    };
    Ok(download::file(Kind::Xlsx, body, stem))
}

/// The roster of a school as CSV; shared by the page and the API.
pub async fn export_response(st: &AppState, u: &User, unit: &Unit) -> AppResult<Response> {
    export_as(st, u, unit, false).await
}

/// The roster of a school as CSV or .xlsx (same columns, same audit).
async fn export_as(st: &AppState, u: &User, unit: &Unit, xlsx: bool) -> AppResult<Response> {
    // A college leader or counselor holds the right below the school: they export their part.
    let scopes = policy::scopes_for(&u.p, Action::ExportRoster);
    if !scopes.iter().any(|s| s.starts_with(unit.path.as_str())) {
        authorize(st, u, Action::ExportRoster, Target::Unit(&unit.path)).await?;
    }
    if unit.kind != UnitKind::School {
        return Err(AppError::bad_request("roster-err-not-school"));
    }
    let students = store::students_of_school(&st.db, unit.id).await?;
    // An exporter below school level (a college leader) gets only their part.
    let students: Vec<Student> = students
        .into_iter()
        .filter(|s| scopes.iter().any(|p| s.class_path.starts_with(p.as_str())))
        .collect();
    audit::person_list_read(
        &st.db,
        &st.clock,
        &u.p,
        &u.ctx.actor(),
        audit::ListRead {
            export: true,
            kind: "student",
            unit_path: unit.path.clone(),
            filter: serde_json::json!({"school": unit.code}),
            ids: students.iter().map(|s| s.id.get()).collect(),
        },
    )
    .await?;
    let body = if xlsx {
        super::xlsx::export_students(&students).map_err(|e| {
            tracing::error!(error = %e, "xlsx");
            AppError::internal()
        })?
    } else {
        super::roster::export_students(&students)
    };
    Ok(download::file(
        Kind::of(xlsx),
        body,
        &format!("roster-{}", unit.code),
    ))
}

#[derive(Template)]
#[template(path = "org/import.html")]
struct ImportPage {
    ctx: PageCtx,
    schools: Vec<Unit>,
    selected: String,
    errors: Vec<String>,
    summary: Option<String>,
}

async fn import_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    render_import(&st, &u, String::new(), vec![], None).await
}

async fn render_import(
    st: &AppState,
    u: &User,
    selected: String,
    errors: Vec<String>,
    summary: Option<String>,
) -> AppResult<Html<String>> {
    let mut schools = Vec::new();
    for p in policy::scopes_for(&u.p, Action::ImportRoster) {
        for s in store::subtree(&st.db, &p).await? {
            if matches!(s.kind, UnitKind::School | UnitKind::PoliceStation) {
                schools.push(s);
            }
        }
    }
    if schools.is_empty() {
        return Err(AppError::forbidden());
    }
    let ctx = page_ctx(st, u).await;
    Ok(Html(
        ImportPage {
            ctx,
            schools,
            selected,
            errors,
            summary,
        }
        .render()?,
    ))
}

/// Runs an import for a caller and audits it; shared by the page and the API.
pub async fn run_import(
    st: &AppState,
    u: &User,
    unit: &Unit,
    bytes: &[u8],
    kind: Option<RosterKind>,
) -> AppResult<Result<(RosterKind, super::roster::ImportSummary), Vec<Msg>>> {
    authorize(st, u, Action::ImportRoster, Target::Unit(&unit.path)).await?;
    match service::import_roster(&st.db, &st.clock, unit, bytes, kind).await {
        Ok((kind, summary)) => {
            audit::record(
                &st.db.pool,
                &st.clock,
                &u.ctx.actor(),
                Event {
                    action: "roster.import",
                    target_kind: "unit",
                    target_id: unit.code.clone(),
                    unit_path: unit.path.clone(),
                    detail: serde_json::json!({"kind": format!("{kind:?}"), "summary": summary}),
                },
            )
            .await?;
            Ok(Ok((kind, summary)))
        }
        Err(OrgError::Refused(msgs)) => Ok(Err(msgs)),
        Err(OrgError::Db(e)) => Err(e.into()),
    }
}

async fn import_submit(State(st): State<AppState>, u: User, mp: Multipart) -> AppResult<Response> {
    let (mut school, mut kind, mut file) = (String::new(), String::new(), None::<Vec<u8>>);
    for (name, data) in crate::web::multipart::fields(mp, "roster-err-upload").await? {
        match name.as_str() {
            "school" => school = crate::web::multipart::text(&data),
            "kind" => kind = crate::web::multipart::text(&data),
            "file" => file = Some(data.to_vec()),
            _ => {}
        }
    }
    let unit = store::unit_by_code(&st.db, &school)
        .await?
        .ok_or_else(|| AppError::bad_request("roster-err-no-school"))?;
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        let html =
            render_import(&st, &u, school, vec![u.ctx.t("roster-err-no-file")], None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    };
    let kind = match kind.as_str() {
        "students" => Some(RosterKind::Students),
        "staff" => Some(RosterKind::Staff),
        _ => None,
    };
    match run_import(&st, &u, &unit, &file, kind).await? {
        Ok((kind, s)) => {
            let key = match kind {
                RosterKind::Students => "roster-done-students",
                RosterKind::Staff => "roster-done-staff",
            };
            let text = u.ctx.lang.ta(
                key,
                &[
                    ("count", s.rows.to_string()),
                    ("inserted", s.inserted.to_string()),
                    ("updated", s.updated.to_string()),
                ],
            );
            Ok(render_import(&st, &u, school, vec![], Some(text))
                .await?
                .into_response())
        }
        Err(msgs) => {
            let errors = msgs.iter().map(|m| m.render(u.ctx.lang)).collect();
            let html = render_import(&st, &u, school, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

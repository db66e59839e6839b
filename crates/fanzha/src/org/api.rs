//! JSON API of the org tree and rosters, scoped like the pages.

use crate::kernel::ids::{StudentId, UnitId};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::access::{authorize, require_scope};
use super::model::*;
use super::roster::{ImportSummary, RosterKind};
use super::service::{self, NewUnit};
use super::store::{self, StudentFilter};

use crate::auth::model::Scope;
use crate::auth::policy::{self, Action, Target};
use crate::error::{AppError, AppResult};
use crate::web::context::User;
use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/units", get(list_units).post(create_unit))
        .route("/api/v1/units/{code}", get(get_unit))
        .route("/api/v1/units/{code}/students", get(list_students))
        .route(
            "/api/v1/units/{code}/roster",
            get(export_roster).post(import_roster),
        )
        .route("/api/v1/students/{id}", get(get_student))
        .route(
            "/api/v1/students/{id}/responsible",
            get(student_responsible),
        )
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UnitOut {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<UnitId>,
    pub students: i64,
}

async fn unit_out(st: &AppState, u: &Unit) -> AppResult<UnitOut> {
    Ok(UnitOut {
        id: u.id,
        code: u.code.clone(),
        name: u.name.clone(),
        kind: u.kind.as_str().to_string(),
        parent_id: u.parent_id,
        students: store::student_count_under(&st.db, &u.path).await?,
    })
}

/// The roots of the caller's scope.
#[utoipa::path(get, path = "/api/v1/units", tag = "org", responses((status = 200, body = [UnitOut]), (status = 401), (status = 403)))]
pub async fn list_units(State(st): State<AppState>, u: User) -> AppResult<Json<Vec<UnitOut>>> {
    require_scope(&u.p, Scope::OrgRead)?;
    let mut out = Vec::new();
    for r in store::units_by_paths(&st.db, &policy::scopes_for(&u.p, Action::ViewUnits)).await? {
        out.push(unit_out(&st, &r).await?);
    }
    Ok(Json(out))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct UnitDetail {
    pub unit: UnitOut,
    pub children: Vec<UnitOut>,
    pub responsible: Vec<ResponsibleOut>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ResponsibleOut {
    pub staff_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub duty: String,
    pub unit_id: UnitId,
    pub unit_name: String,
}

impl From<Responsible> for ResponsibleOut {
    fn from(r: Responsible) -> Self {
        ResponsibleOut {
            staff_id: r.staff_id,
            name: r.name,
            phone: r.phone,
            duty: r.duty.as_str().to_string(),
            unit_id: r.unit_id,
            unit_name: r.unit_name,
        }
    }
}

/// One unit with its children and responsible people.
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "org", params(("code" = String, Path)), responses((status = 200, body = UnitDetail), (status = 404)))]
pub async fn get_unit(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
) -> AppResult<Json<UnitDetail>> {
    require_scope(&u.p, Scope::OrgRead)?;
    let unit = store::unit_by_code(&st.db, &code)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(&st, &u, Action::ViewUnits, Target::Unit(&unit.path)).await?;
    let mut children = Vec::new();
    for c in store::children(&st.db, unit.id).await? {
        children.push(unit_out(&st, &c).await?);
    }
    let responsible = store::responsibles_of_units(&st.db, &[unit.id])
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(UnitDetail {
        unit: unit_out(&st, &unit).await?,
        children,
        responsible,
    }))
}

/// Creates a unit under `parent_code` (`kind`: province, city, police_station, school, college, class).
#[utoipa::path(post, path = "/api/v1/units", tag = "org", request_body = NewUnit, responses((status = 201, body = UnitOut), (status = 422), (status = 403)))]
pub async fn create_unit(
    State(st): State<AppState>,
    u: User,
    Json(input): Json<NewUnit>,
) -> AppResult<(StatusCode, Json<UnitOut>)> {
    require_scope(&u.p, Scope::OrgWrite)?;
    let parent_path = match input
        .parent_code
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        Some(pc) => {
            store::unit_by_code(&st.db, pc.trim())
                .await?
                .ok_or_else(|| AppError::unprocessable("org-err-parent"))?
                .path
        }
        // A new root needs a grant over everything, which no role has: roots come from the CLI.
        None => return Err(AppError::forbidden()),
    };
    authorize(&st, &u, Action::ManageUnits, Target::Unit(&parent_path)).await?;
    match service::create_unit_as(&st.db, &st.clock, &u.ctx.actor(), &input).await {
        Ok(unit) => Ok((StatusCode::CREATED, Json(unit_out(&st, &unit).await?))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Matches student number or name.
    pub q: Option<String>,
    /// At most this many (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct StudentOut {
    pub id: StudentId,
    pub student_no: String,
    pub name: String,
    pub gender: String,
    pub enrollment_year: i64,
    pub major: String,
    pub class_code: String,
    pub class_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub status: String,
}

impl From<Student> for StudentOut {
    fn from(s: Student) -> Self {
        StudentOut {
            id: s.id,
            student_no: s.student_no,
            name: s.name,
            gender: s.gender,
            enrollment_year: s.enrollment_year,
            major: s.major,
            class_code: s.class_code,
            class_name: s.class_name,
            phone: s.phone,
            email: s.email,
            status: s.status,
        }
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct StudentPage {
    pub total: i64,
    pub items: Vec<StudentOut>,
}

/// Students under a unit, personal data masked (open one record for the full data).
#[utoipa::path(get, path = "/api/v1/units/{code}/students", tag = "org", params(("code" = String, Path), ListQuery), responses((status = 200, body = StudentPage), (status = 403), (status = 404)))]
pub async fn list_students(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<StudentPage>> {
    require_scope(&u.p, Scope::OrgRead)?;
    let unit = store::unit_by_code(&st.db, &code)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(&st, &u, Action::ListPeople, Target::Unit(&unit.path)).await?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) || q.offset.is_some_and(|o| o < 0) {
        return Err(AppError::bad_request("err-bad-paging"));
    }
    let (items, total) = super::access::list_students(
        &st,
        &u,
        StudentFilter {
            under_path: unit.path,
            query: q.q.unwrap_or_default(),
            limit,
            offset: q.offset.unwrap_or(0),
        },
    )
    .await?;
    Ok(Json(StudentPage {
        total,
        items: items.into_iter().map(|s| s.masked().into()).collect(),
    }))
}

/// One student's full record; the read is written to the audit log.
#[utoipa::path(get, path = "/api/v1/students/{id}", tag = "org", params(("id" = i64, Path)), responses((status = 200, body = StudentOut), (status = 404)))]
pub async fn get_student(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<StudentId>,
) -> AppResult<Json<StudentOut>> {
    require_scope(&u.p, Scope::OrgRead)?;
    let s = super::access::open_student(&st, &u, id).await?;
    Ok(Json(s.into()))
}

/// Who is responsible for a student, in escalation order.
#[utoipa::path(get, path = "/api/v1/students/{id}/responsible", tag = "org", params(("id" = i64, Path)), responses((status = 200, body = [ResponsibleOut]), (status = 404)))]
pub async fn student_responsible(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<StudentId>,
) -> AppResult<Json<Vec<ResponsibleOut>>> {
    require_scope(&u.p, Scope::OrgRead)?;
    let s = store::student_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(
        &st,
        &u,
        Action::ViewPerson,
        Target::Student {
            id,
            unit_path: &s.class_path,
        },
    )
    .await?;
    Ok(Json(
        service::responsible_for_student(&st.db, &s)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// `students` or `staff`; detected from the headers when absent.
    #[param(pattern = "^(students|staff)?$")]
    pub kind: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ImportOut {
    pub kind: String,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub responsibilities: usize,
    /// Accounts created for people who had none (not activated yet).
    pub accounts_created: usize,
}

/// Imports a roster CSV (request body; UTF-8 or GBK) into a school. All or nothing: any bad row
/// refuses the file with `line N: …` details.
#[utoipa::path(post, path = "/api/v1/units/{code}/roster", tag = "org", params(("code" = String, Path), ImportQuery), request_body(content = String, content_type = "text/csv"), responses((status = 200, body = ImportOut), (status = 422), (status = 403)))]
pub async fn import_roster(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> AppResult<Json<ImportOut>> {
    require_scope(&u.p, Scope::OrgWrite)?;
    let unit = store::unit_by_code(&st.db, &code)
        .await?
        .ok_or_else(AppError::not_found)?;
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some("students") => Some(RosterKind::Students),
        Some("staff") => Some(RosterKind::Staff),
        Some(_) => return Err(AppError::bad_request("roster-err-unknown-kind")),
    };
    match super::pages::run_import(&st, &u, &unit, &body, kind).await? {
        Ok((kind, s)) => Ok(Json(out(kind, s))),
        Err(msgs) => Err(AppError::unprocessable("roster-err-refused").details(msgs)),
    }
}

fn out(kind: RosterKind, s: ImportSummary) -> ImportOut {
    ImportOut {
        kind: match kind {
            RosterKind::Students => "students",
            RosterKind::Staff => "staff",
        }
        .into(),
        rows: s.rows,
        inserted: s.inserted,
        updated: s.updated,
        responsibilities: s.responsibilities,
        accounts_created: s.accounts_created,
    }
}

/// The school's student roster as CSV (UTF-8 with BOM); audited.
#[utoipa::path(get, path = "/api/v1/units/{code}/roster", tag = "org", params(("code" = String, Path)), responses((status = 200, content_type = "text/csv"), (status = 403), (status = 404)))]
pub async fn export_roster(
    State(st): State<AppState>,
    u: User,
    Path(code): Path<String>,
) -> AppResult<Response> {
    require_scope(&u.p, Scope::OrgRead)?;
    let unit = store::unit_by_code(&st.db, &code)
        .await?
        .ok_or_else(AppError::not_found)?;
    super::pages::export_response(&st, &u, &unit).await
}

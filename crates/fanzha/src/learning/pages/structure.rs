//! Course structure for authors (modules, instructors, lesson attachments) and the attachment
//! download for students and authors.

#[allow(unused_imports)]
use super::*;

#[derive(Deserialize)]
pub(super) struct ModuleForm {
    title: String,
}

pub(super) async fn add_module(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ModuleForm>,
) -> AppResult<Redirect> {
    service::add_module(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, &f.title).await?;
    Ok(Redirect::to(&format!("/learning/courses/{id}#modules")))
}

#[derive(Deserialize)]
pub(super) struct PlaceForm {
    #[serde(default)]
    module: String,
}

pub(super) async fn place_lesson(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<PlaceForm>,
) -> AppResult<Redirect> {
    let module = match f.module.trim() {
        "" => None,
        m => Some(m.parse::<i64>().map_err(|_| {
            crate::learning::LearningError::Invalid(vec![crate::error::Msg::new(
                "err-learning-module",
            )])
        })?),
    };
    service::place_lesson(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, module).await?;
    let course = crate::learning::store::lesson_by_id(&st.db, id)
        .await?
        .map(|l| l.course_id)
        .unwrap_or_default();
    Ok(Redirect::to(&format!("/learning/courses/{course}#lessons")))
}

#[derive(Deserialize)]
pub(super) struct InstructorForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    affiliation: String,
}

pub(super) async fn add_instructor(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<InstructorForm>,
) -> AppResult<Redirect> {
    let i = NewInstructor::parse(&f.kind, &f.name, &f.affiliation)
        .map_err(crate::learning::LearningError::Invalid)?;
    service::add_instructor(&st.db, &st.clock, &u.p, &u.ctx.actor(), id, i).await?;
    Ok(Redirect::to(&format!("/learning/courses/{id}#instructors")))
}

/// An attachment uploaded from the course page: a multipart form, `csrf` first, then `file`.
pub(super) async fn attach(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    mut mp: axum::extract::Multipart,
) -> AppResult<Redirect> {
    let refuse = |status: axum::http::StatusCode| {
        if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "err-too-large")
        } else {
            AppError::bad_request("err-learning-file-empty")
        }
    };
    let mut file = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(refuse(e.status())),
        };
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|e| refuse(e.status()))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let (name, bytes) = file.unwrap_or_default();
    service::attach(
        &st.db,
        &st.clock,
        &st.config,
        &u.p,
        &u.ctx.actor(),
        id,
        &name,
        bytes,
    )
    .await?;
    let course = crate::learning::store::lesson_by_id(&st.db, id)
        .await?
        .map(|l| l.course_id)
        .unwrap_or_default();
    Ok(Redirect::to(&format!(
        "/learning/courses/{course}#lesson-{id}"
    )))
}

pub(super) async fn attachment(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (a, bytes) =
        service::attachment_file(&st.db, &st.clock, &st.config, &u.p, &u.ctx.actor(), id).await?;
    // The name in RFC 5987 form, so Chinese names survive; served as a download, never inline
    // HTML.
    let encoded = crate::reports::evidence_store::uri_encode(&a.file_name, false);
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, a.media_type.clone()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{encoded}"),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_string(),
            ),
            (
                axum::http::header::HeaderName::from_static("x-content-type-options"),
                "nosniff".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

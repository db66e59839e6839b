//! A course's structure: modules grouping lessons, instructors shown on the course, and files
//! attached to lessons (kept in the product's evidence store: the data directory or the
//! configured S3-compatible store, served back by the app after its checks).

#[allow(unused_imports)]
use super::*;

use sha2::{Digest, Sha256};

use crate::reports::evidence_store::EvidenceStore;

pub async fn add_module(st: &AppState, u: &User, course_id: i64, title: &str) -> AppResult<i64> {
    let c = course_to_author(st, u, course_id).await?;
    let title = module_title(title).map_err(LearningError::Invalid)?;
    let mut tx = st.db.begin_write().await?;
    let id = store::insert_module(&mut tx, c.id, &title, st.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Puts a lesson into one of its course's modules (or takes it out with `None`).
pub async fn place_lesson(
    st: &AppState,
    u: &User,
    lesson_id: i64,
    module_id: Option<i64>,
) -> AppResult<()> {
    let l = store::lesson_by_id(&st.db, lesson_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let c = course_to_author(st, u, l.course_id).await?;
    if let Some(m) = module_id {
        if !store::modules_of(&st.db, c.id)
            .await?
            .iter()
            .any(|x| x.id == m)
        {
            return Err(LearningError::Invalid(vec![Msg::new("err-learning-module")]).into());
        }
    }
    let mut tx = st.db.begin_write().await?;
    store::set_lesson_module(&mut tx, l.id, module_id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_instructor(
    st: &AppState,
    u: &User,
    course_id: i64,
    i: NewInstructor,
) -> AppResult<()> {
    let c = course_to_author(st, u, course_id).await?;
    let mut tx = st.db.begin_write().await?;
    if !store::insert_instructor(&mut tx, c.id, &i, st.clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-instructor-exists").into());
    }
    tx.commit().await?;
    Ok(())
}

/// A course's modules (in order) with their lessons, then the lessons outside any module.
pub fn group_lessons<T: Clone>(modules: &[Module], lessons: &[(Lesson, T)]) -> Vec<LessonGroup<T>> {
    let mut out: Vec<LessonGroup<T>> = modules
        .iter()
        .map(|m| {
            let ls = lessons
                .iter()
                .filter(|(l, _)| l.module_id == Some(m.id))
                .cloned()
                .collect();
            (Some(m.clone()), ls)
        })
        .collect();
    let loose: Vec<(Lesson, T)> = lessons
        .iter()
        .filter(|(l, _)| !modules.iter().any(|m| Some(m.id) == l.module_id))
        .cloned()
        .collect();
    if !loose.is_empty() {
        out.push((None, loose));
    }
    out
}

/// Attaches a file to a lesson: PDF, JPEG, PNG, Word, PowerPoint or Excel, at most
/// [`MAX_ATTACHMENT_BYTES`]. Anything else is refused with its reason and nothing is stored.
pub async fn attach(
    st: &AppState,
    u: &User,
    lesson_id: i64,
    file_name: &str,
    bytes: Vec<u8>,
) -> AppResult<i64> {
    let l = store::lesson_by_id(&st.db, lesson_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    course_to_author(st, u, l.course_id).await?;
    let name = clean_file_name(file_name);
    if bytes.is_empty() {
        return Err(LearningError::Invalid(vec![Msg::new("err-learning-file-empty")]).into());
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(LearningError::Invalid(vec![
            Msg::new("err-learning-file-size").arg("max", MAX_ATTACHMENT_BYTES / 1024 / 1024)
        ])
        .into());
    }
    let (media_type, ext) = attachment_type(&name, &bytes)
        .ok_or_else(|| LearningError::Invalid(vec![Msg::new("err-learning-file-type")]))?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let key = format!("learning/lessons/{}/{sha}.{ext}", l.id);
    let size = bytes.len() as i64;
    // The bytes first (durably), then the row: a row never points at nothing.
    EvidenceStore::from_config(&st.config)?
        .put(&key, bytes, media_type)
        .await?;
    let mut tx = st.db.begin_write().await?;
    let id = store::insert_attachment(
        &mut tx,
        l.id,
        &name,
        media_type,
        size,
        &sha,
        &key,
        u.p.account_id,
        st.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The attachments of a lesson the caller may open (its students or its authors).
pub async fn attachments_of(st: &AppState, lesson_id: i64) -> AppResult<Vec<Attachment>> {
    Ok(store::attachments_of_lesson(&st.db, lesson_id).await?)
}

/// A file attached to a lesson, for a student of the course or one of its authors.
pub async fn attachment_file(st: &AppState, u: &User, id: i64) -> AppResult<(Attachment, Vec<u8>)> {
    let a = store::attachment_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let l = store::lesson_by_id(&st.db, a.lesson_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if is_student(&u.p) {
        let s = own_student(st, &u.p).await?;
        if !store::is_assigned(&st.db, l.course_id, s.id).await? {
            return Err(AppError::not_found());
        }
    } else {
        course_to_author(st, u, l.course_id).await?;
    }
    let bytes = EvidenceStore::from_config(&st.config)?
        .get(&a.storage_key)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((a, bytes))
}

/// The instructors and modules of a course, for its pages.
pub async fn structure(st: &AppState, course_id: i64) -> AppResult<(Vec<Instructor>, Vec<Module>)> {
    Ok((
        store::instructors_of(&st.db, course_id).await?,
        store::modules_of(&st.db, course_id).await?,
    ))
}

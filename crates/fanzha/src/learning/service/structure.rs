//! A course's structure: modules grouping lessons, instructors shown on the course, and files
//! attached to lessons (kept in the product's evidence store: the data directory or the
//! configured S3-compatible store, served back by the app after its checks).

#[allow(unused_imports)]
use super::*;

use sha2::{Digest, Sha256};

use crate::reports::evidence_store::EvidenceStore;

pub async fn add_module(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    course_id: i64,
    title: &str,
) -> Result<i64, LearningError> {
    let c = course_to_author(db, clock, p, actor, course_id).await?;
    let title = module_title(title).map_err(LearningError::Invalid)?;
    let mut tx = db.begin_write().await?;
    let id = store::insert_module(&mut tx, c.id, &title, clock.now_ms()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Puts a lesson into one of its course's modules (or takes it out with `None`).
pub async fn place_lesson(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    lesson_id: i64,
    module_id: Option<i64>,
) -> Result<(), LearningError> {
    let l = store::lesson_by_id(db, lesson_id)
        .await?
        .ok_or(LearningError::NotFound)?;
    let c = course_to_author(db, clock, p, actor, l.course_id).await?;
    if let Some(m) = module_id {
        if !store::modules_of(db, c.id).await?.iter().any(|x| x.id == m) {
            return Err(LearningError::Invalid(vec![Msg::new(
                "err-learning-module",
            )]));
        }
    }
    let mut tx = db.begin_write().await?;
    store::set_lesson_module(&mut tx, l.id, module_id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_instructor(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    course_id: i64,
    i: NewInstructor,
) -> Result<(), LearningError> {
    let c = course_to_author(db, clock, p, actor, course_id).await?;
    let mut tx = db.begin_write().await?;
    if !store::insert_instructor(&mut tx, c.id, &i, clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-instructor-exists"));
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
// The parts of the app a use case needs, the caller, then the input: each used once.
#[allow(clippy::too_many_arguments)]
pub async fn attach(
    db: &Db,
    clock: &Clock,
    config: &Config,
    p: &Principal,
    actor: &Actor,
    lesson_id: i64,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<i64, LearningError> {
    let l = store::lesson_by_id(db, lesson_id)
        .await?
        .ok_or(LearningError::NotFound)?;
    course_to_author(db, clock, p, actor, l.course_id).await?;
    let name = clean_file_name(file_name);
    if bytes.is_empty() {
        return Err(LearningError::Invalid(vec![Msg::new(
            "err-learning-file-empty",
        )]));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(LearningError::Invalid(vec![Msg::new(
            "err-learning-file-size",
        )
        .arg("max", MAX_ATTACHMENT_BYTES / 1024 / 1024)]));
    }
    let (media_type, ext) = attachment_type(&name, &bytes)
        .ok_or_else(|| LearningError::Invalid(vec![Msg::new("err-learning-file-type")]))?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let key = format!("learning/lessons/{}/{sha}.{ext}", l.id);
    let size = bytes.len() as i64;
    // The bytes first (durably), then the row: a row never points at nothing.
    EvidenceStore::from_config(config)?
        .put(&key, bytes, media_type)
        .await?;
    let mut tx = db.begin_write().await?;
    let id = store::insert_attachment(
        &mut tx,
        l.id,
        &name,
        media_type,
        size,
        &sha,
        &key,
        p.account_id,
        clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The attachments of a lesson the caller may open (its students or its authors).
pub async fn attachments_of(db: &Db, lesson_id: i64) -> Result<Vec<Attachment>, LearningError> {
    Ok(store::attachments_of_lesson(db, lesson_id).await?)
}

/// A file attached to a lesson, for a student of the course or one of its authors.
pub async fn attachment_file(
    db: &Db,
    clock: &Clock,
    config: &Config,
    p: &Principal,
    actor: &Actor,
    id: i64,
) -> Result<(Attachment, Vec<u8>), LearningError> {
    let a = store::attachment_by_id(db, id)
        .await?
        .ok_or(LearningError::NotFound)?;
    let l = store::lesson_by_id(db, a.lesson_id)
        .await?
        .ok_or(LearningError::NotFound)?;
    if is_student(p) {
        let s = own_student(db, p).await?;
        if !store::is_assigned(db, l.course_id, s.id).await? {
            return Err(LearningError::NotFound);
        }
    } else {
        course_to_author(db, clock, p, actor, l.course_id).await?;
    }
    let bytes = EvidenceStore::from_config(config)?
        .get(&a.storage_key)
        .await?
        .ok_or(LearningError::NotFound)?;
    Ok((a, bytes))
}

/// The instructors and modules of a course, for its pages.
pub async fn structure(
    db: &Db,
    course_id: i64,
) -> Result<(Vec<Instructor>, Vec<Module>), LearningError> {
    Ok((
        store::instructors_of(db, course_id).await?,
        store::modules_of(db, course_id).await?,
    ))
}

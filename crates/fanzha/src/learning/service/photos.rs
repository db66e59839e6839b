//! Optional photo proof: a student's photo of their check-in and the screenshot of their app
//! install. JPEG, PNG or WebP told by their bytes, at most [`MAX_PHOTO_BYTES`], metadata stripped
//! (where and when a photo was taken is not ours to keep), kept in the evidence store. Shown to
//! the student and to staff over their unit only.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::StudentId;

use sha2::{Digest, Sha256};

use crate::reports::evidence;
use crate::reports::evidence_store::EvidenceStore;

/// The largest photo taken.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// Checks and cleans an uploaded image: (bytes without metadata, media type, extension, sha256).
fn clean_image(
    bytes: &[u8],
) -> Result<(Vec<u8>, &'static str, &'static str, String), LearningError> {
    if bytes.is_empty() {
        return Err(LearningError::Invalid(vec![Msg::new(
            "err-learning-photo-empty",
        )]));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(LearningError::Invalid(vec![Msg::new(
            "err-learning-photo-size",
        )
        .arg("max", MAX_PHOTO_BYTES / 1024 / 1024)]));
    }
    let t = evidence::sniff(bytes)
        .ok_or_else(|| LearningError::Invalid(vec![Msg::new("err-learning-photo-type")]))?;
    let clean = evidence::strip(t, bytes)
        .ok_or_else(|| LearningError::Invalid(vec![Msg::new("err-learning-photo-type")]))?;
    let sha = hex::encode(Sha256::digest(&clean));
    Ok((clean, t.media_type(), t.ext(), sha))
}

/// Adds a photo to the caller's check-in at an activity (once; a check-in is needed first).
pub async fn checkin_photo(
    db: &Db,
    config: &Config,
    p: &Principal,
    activity_id: i64,
    bytes: &[u8],
) -> Result<(), LearningError> {
    let (s, a, _) = activity_for_student(db, p, activity_id).await?;
    let (id, photo) = store::checkin_of(db, a.id, s.id)
        .await?
        .ok_or(LearningError::Conflict("err-learning-photo-no-checkin"))?;
    if photo.is_some() {
        return Err(LearningError::Conflict("err-learning-photo-exists"));
    }
    let (clean, kind, ext, sha) = clean_image(bytes)?;
    let key = format!("learning/checkins/{id}/{sha}.{ext}");
    EvidenceStore::from_config(config)?
        .put(&key, clean, kind)
        .await?;
    let mut tx = db.begin_write().await?;
    if !store::set_checkin_photo(&mut tx, id, &key, kind).await? {
        return Err(LearningError::Conflict("err-learning-photo-exists"));
    }
    tx.commit().await?;
    Ok(())
}

/// A check-in's photo, for its student or whoever runs the activity.
pub async fn checkin_photo_file(
    db: &Db,
    clock: &Clock,
    config: &Config,
    p: &Principal,
    actor: &Actor,
    checkin_id: i64,
) -> Result<(Vec<u8>, String), LearningError> {
    let (activity, student, key, kind) = store::checkin_photo(db, checkin_id)
        .await?
        .ok_or(LearningError::NotFound)?;
    if p.student_id != Some(student) || !is_student(p) {
        activity_to_run(db, clock, p, actor, activity).await?;
    }
    let bytes = EvidenceStore::from_config(config)?
        .get(&key)
        .await?
        .ok_or(LearningError::NotFound)?;
    Ok((bytes, kind))
}

/// Records the caller's app install with a screenshot (or replaces the screenshot until a
/// counselor has checked the install).
pub async fn app_screenshot(
    db: &Db,
    clock: &Clock,
    config: &Config,
    p: &Principal,
    bytes: &[u8],
) -> Result<(), LearningError> {
    let s = own_student(db, p).await?;
    if store::app_install(db, s.id)
        .await?
        .is_some_and(|i| i.verified_at.is_some())
    {
        return Err(LearningError::Conflict("err-learning-app-verified"));
    }
    let (clean, kind, ext, sha) = clean_image(bytes)?;
    let key = format!("learning/app/{}/{sha}.{ext}", s.id);
    EvidenceStore::from_config(config)?
        .put(&key, clean, kind)
        .await?;
    let mut tx = db.begin_write().await?;
    if !store::set_app_screenshot(&mut tx, s.id, &key, kind, clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-app-verified"));
    }
    tx.commit().await?;
    Ok(())
}

/// A student's app screenshot, for the student or staff over their class.
pub async fn app_screenshot_file(
    db: &Db,
    clock: &Clock,
    config: &Config,
    p: &Principal,
    actor: &Actor,
    student_id: StudentId,
) -> Result<(Vec<u8>, String), LearningError> {
    if !(is_student(p) && p.student_id == Some(student_id)) {
        let s = org_store::student_by_id(db, student_id)
            .await?
            .ok_or(LearningError::NotFound)?;
        authorize(
            db,
            clock,
            p,
            actor,
            Action::RunActivities,
            Target::Unit(&s.class_path),
        )
        .await?;
    }
    let (key, kind) = store::app_screenshot(db, student_id)
        .await?
        .ok_or(LearningError::NotFound)?;
    let bytes = EvidenceStore::from_config(config)?
        .get(&key)
        .await?
        .ok_or(LearningError::NotFound)?;
    Ok((bytes, kind))
}

/// Whether the student's check-in at an activity has a photo.
pub async fn has_checkin_photo(
    db: &Db,
    activity_id: i64,
    student_id: StudentId,
) -> Result<bool, LearningError> {
    Ok(store::checkin_of(db, activity_id, student_id)
        .await?
        .is_some_and(|(_, p)| p.is_some()))
}

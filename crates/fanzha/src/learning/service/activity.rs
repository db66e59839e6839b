//! Activities with rotating-code check-in, and the app drive.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{AccountId, StudentId, UnitId};

// ---------- activities ----------

pub async fn create_activity(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    unit_id: UnitId,
    a: NewActivity,
) -> Result<i64, LearningError> {
    let un = unit_for(db, clock, p, actor, Action::RunActivities, unit_id).await?;
    let school = school_of(db, &un).await?;
    let mut tx = db.begin_write().await?;
    let id = store::insert_activity(
        &mut tx,
        school.id,
        un.id,
        &a,
        p.account_id,
        &p.display_name,
        clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// An activity its organiser (or staff over its unit) may run: the screen, the attendance.
pub async fn activity_to_run(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
) -> Result<Activity, LearningError> {
    let a = store::activity_by_id(db, id)
        .await?
        .ok_or(LearningError::NotFound)?;
    if a.organiser_account_id != p.account_id {
        authorize(
            db,
            clock,
            p,
            actor,
            Action::RunActivities,
            Target::Unit(&a.unit_path),
        )
        .await?;
    }
    Ok(a)
}

pub(super) async fn rotating(db: &Db, activity_id: i64) -> Result<Rotating, LearningError> {
    let key = crate::db::keys::server_key(db, "checkin").await?;
    Ok(Rotating::new(&key, &format!("activity:{activity_id}")))
}

/// The code the room's screen shows now.
pub async fn screen_code(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
) -> Result<(Activity, Shown), LearningError> {
    let a = activity_to_run(db, clock, p, actor, id).await?;
    let shown = code_now(db, clock, a.id).await?;
    Ok((a, shown))
}

/// The code of an activity now, without any check of the caller (the screen after its checks,
/// the benchmark).
pub async fn code_now(db: &Db, clock: &Clock, activity_id: i64) -> Result<Shown, LearningError> {
    Ok(rotating(db, activity_id).await?.shown(clock.now_ms()))
}

pub async fn attendance(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
) -> Result<(Activity, Vec<CheckIn>, i64), LearningError> {
    let a = activity_to_run(db, clock, p, actor, id).await?;
    let list = store::checkins_of(db, a.id).await?;
    let expected = org_store::student_count_under(db, &a.unit_path).await?;
    Ok((a, list, expected))
}

/// An activity the caller (a student) is expected at; another unit's activity is refused.
pub async fn activity_for_student(
    db: &Db,
    p: &Principal,
    id: i64,
) -> Result<(Student, Activity, bool), LearningError> {
    let s = own_student(db, p).await?;
    let a = store::activity_by_id(db, id)
        .await?
        .ok_or(LearningError::NotFound)?;
    if !s.class_path.starts_with(&a.unit_path) {
        return Err(LearningError::NotYourActivity);
    }
    let done = store::checked_in(db, a.id, s.id).await?;
    Ok((s, a, done))
}

/// Checks the signed-in student in with a code from the screen (the QR token or the six digits).
/// `device` is the browser's device cookie: the second account checked in from one device is
/// flagged to the organiser.
pub async fn check_in(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
    code: &str,
    device: &str,
) -> Result<CheckIn, LearningError> {
    let (s, a, _) = activity_for_student(db, p, id).await?;
    check_in_as(db, clock, s, a, p.account_id, code, device).await
}

/// Check-ins of this process waiting for SQLite's write lock, one at a time.
static SQLITE_CHECKINS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The check-in itself, once the student and the activity are known (the benchmark calls it
/// directly).
pub async fn check_in_as(
    db: &Db,
    clock: &Clock,
    s: Student,
    a: Activity,
    account_id: AccountId,
    code: &str,
    device: &str,
) -> Result<CheckIn, LearningError> {
    let now = clock.now_ms();
    if now < a.starts_at - CHECKIN_GRACE_MS || now > a.ends_at + CHECKIN_GRACE_MS {
        return Err(LearningError::Conflict("err-learning-activity-closed"));
    }
    let r = rotating(db, a.id).await?;
    let window = r
        .check(code, now)
        .ok_or(LearningError::Invalid(vec![Msg::new("err-learning-code")]))?;
    // On SQLite, check-ins queue here for the one write lock instead of in SQLite's busy handler,
    // whose growing sleeps made the slowest of a burst of check-ins wait a second.
    let _turn = match db.backend {
        crate::db::Backend::Sqlite => Some(SQLITE_CHECKINS.lock().await),
        crate::db::Backend::Postgres => None,
    };
    let mut tx = db.begin_write().await?;
    let shared = store::device_used_by_other(&mut tx, a.id, device, s.id).await?;
    let cid = store::insert_checkin(&mut tx, a.id, s.id, account_id, device, window, shared, now)
        .await?
        .ok_or(LearningError::Conflict("err-learning-already-checked-in"))?;
    if shared {
        inbox::notify(
            &mut *tx,
            clock,
            &Recipient::Account(a.organiser_account_id),
            &Notice {
                kind: "learning".into(),
                title: format!("签到提示:{}", a.title),
                body: format!(
                    "{}({})的签到来自一台已为其他同学签到的设备,请核实是否代签。",
                    s.name, s.class_name
                ),
                link: Some(format!("/learning/activities/{}", a.id)),
            },
        )
        .await?;
    }
    tx.commit().await?;
    if shared {
        inbox::bump();
    }
    Ok(CheckIn {
        id: cid,
        activity_id: a.id,
        student_id: s.id,
        student_name: s.name,
        class_name: s.class_name,
        checked_at: now,
        shared_device: shared,
        has_photo: false,
    })
}

pub async fn my_activities(
    db: &Db,
    clock: &Clock,
    p: &Principal,
) -> Result<Vec<(Activity, bool)>, LearningError> {
    let s = own_student(db, p).await?;
    let now = clock.now_ms();
    let mut out = Vec::new();
    for a in store::activities_for_class(db, &s.class_path, now - CHECKIN_GRACE_MS).await? {
        let done = store::checked_in(db, a.id, s.id).await?;
        out.push((a, done));
    }
    Ok(out)
}

pub async fn activities_to_run(db: &Db, p: &Principal) -> Result<Vec<Activity>, LearningError> {
    let paths = policy::scopes_for(p, Action::RunActivities);
    let mut v = store::activities_under(db, &paths).await?;
    v.dedup_by_key(|a| a.id);
    Ok(v)
}

// ---------- the app drive ----------

pub async fn my_app(db: &Db, p: &Principal) -> Result<Option<AppInstall>, LearningError> {
    let s = own_student(db, p).await?;
    Ok(store::app_install(db, s.id).await?)
}

pub async fn declare_app(db: &Db, clock: &Clock, p: &Principal) -> Result<(), LearningError> {
    let s = own_student(db, p).await?;
    let mut tx = db.begin_write().await?;
    if !store::declare_install(&mut tx, s.id, clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-app-declared"));
    }
    tx.commit().await?;
    Ok(())
}

/// A counselor (or staff over the class) marks a student's declared install as checked.
pub async fn verify_app(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    student_id: StudentId,
) -> Result<(), LearningError> {
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
    let mut tx = db.begin_write().await?;
    if store::app_install(db, s.id).await?.is_none() {
        return Err(LearningError::Conflict("err-learning-app-not-declared"));
    }
    if !store::verify_install(&mut tx, s.id, p.account_id, clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-app-verified"));
    }
    tx.commit().await?;
    Ok(())
}

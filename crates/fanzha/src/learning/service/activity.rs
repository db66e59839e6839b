//! Activities with rotating-code check-in, and the app drive.

#[allow(unused_imports)]
use super::*;

// ---------- activities ----------

pub async fn create_activity(
    st: &AppState,
    u: &User,
    unit_id: i64,
    a: NewActivity,
) -> AppResult<i64> {
    let un = unit(st, unit_id).await?;
    authorize(st, u, Action::RunActivities, Target::Unit(&un.path)).await?;
    let school = school_of(st, &un).await?;
    let mut tx = st.db.begin_write().await?;
    let id = store::insert_activity(
        &mut tx,
        school.id,
        un.id,
        &a,
        u.p.account_id,
        &u.p.display_name,
        st.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// An activity its organiser (or staff over its unit) may run: the screen, the attendance.
pub async fn activity_to_run(st: &AppState, u: &User, id: i64) -> AppResult<Activity> {
    let a = store::activity_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if a.organiser_account_id != u.p.account_id {
        authorize(st, u, Action::RunActivities, Target::Unit(&a.unit_path)).await?;
    }
    Ok(a)
}

pub(super) async fn rotating(st: &AppState, activity_id: i64) -> AppResult<Rotating> {
    let key = crate::db::keys::server_key(&st.db, "checkin").await?;
    Ok(Rotating::new(&key, &format!("activity:{activity_id}")))
}

/// The code the room's screen shows now.
pub async fn screen_code(st: &AppState, u: &User, id: i64) -> AppResult<(Activity, Shown)> {
    let a = activity_to_run(st, u, id).await?;
    let shown = code_now(st, a.id).await?;
    Ok((a, shown))
}

/// The code of an activity now, without any check of the caller (the screen after its checks,
/// the benchmark).
pub async fn code_now(st: &AppState, activity_id: i64) -> AppResult<Shown> {
    Ok(rotating(st, activity_id).await?.shown(st.clock.now_ms()))
}

pub async fn attendance(
    st: &AppState,
    u: &User,
    id: i64,
) -> AppResult<(Activity, Vec<CheckIn>, i64)> {
    let a = activity_to_run(st, u, id).await?;
    let list = store::checkins_of(&st.db, a.id).await?;
    let expected = org_store::student_count_under(&st.db, &a.unit_path).await?;
    Ok((a, list, expected))
}

/// An activity the caller (a student) is expected at; another unit's activity is refused.
pub async fn activity_for_student(
    st: &AppState,
    u: &User,
    id: i64,
) -> AppResult<(Student, Activity, bool)> {
    let s = own_student(st, &u.p).await?;
    let a = store::activity_by_id(&st.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !s.class_path.starts_with(&a.unit_path) {
        return Err(LearningError::NotYourActivity.into());
    }
    let done = store::checked_in(&st.db, a.id, s.id).await?;
    Ok((s, a, done))
}

/// Checks the signed-in student in with a code from the screen (the QR token or the six digits).
/// `device` is the browser's device cookie: the second account checked in from one device is
/// flagged to the organiser.
pub async fn check_in(
    st: &AppState,
    u: &User,
    id: i64,
    code: &str,
    device: &str,
) -> AppResult<CheckIn> {
    let (s, a, _) = activity_for_student(st, u, id).await?;
    check_in_as(st, s, a, u.p.account_id, code, device).await
}

/// Check-ins of this process waiting for SQLite's write lock, one at a time.
static SQLITE_CHECKINS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The check-in itself, once the student and the activity are known (the benchmark calls it
/// directly).
pub async fn check_in_as(
    st: &AppState,
    s: Student,
    a: Activity,
    account_id: i64,
    code: &str,
    device: &str,
) -> AppResult<CheckIn> {
    let now = st.clock.now_ms();
    if now < a.starts_at - CHECKIN_GRACE_MS || now > a.ends_at + CHECKIN_GRACE_MS {
        return Err(LearningError::Conflict("err-learning-activity-closed").into());
    }
    let r = rotating(st, a.id).await?;
    let window = r
        .check(code, now)
        .ok_or(LearningError::Invalid(vec![Msg::new("err-learning-code")]))?;
    // On SQLite, check-ins queue here for the one write lock instead of in SQLite's busy handler,
    // whose growing sleeps made the slowest of a burst of check-ins wait a second.
    let _turn = match st.db.backend {
        crate::db::Backend::Sqlite => Some(SQLITE_CHECKINS.lock().await),
        crate::db::Backend::Postgres => None,
    };
    let mut tx = st.db.begin_write().await?;
    let shared = store::device_used_by_other(&mut tx, a.id, device, s.id).await?;
    let cid = store::insert_checkin(&mut tx, a.id, s.id, account_id, device, window, shared, now)
        .await?
        .ok_or(LearningError::Conflict("err-learning-already-checked-in"))?;
    if shared {
        inbox::notify(
            &mut *tx,
            &st.clock,
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

pub async fn my_activities(st: &AppState, u: &User) -> AppResult<Vec<(Activity, bool)>> {
    let s = own_student(st, &u.p).await?;
    let now = st.clock.now_ms();
    let mut out = Vec::new();
    for a in store::activities_for_class(&st.db, &s.class_path, now - CHECKIN_GRACE_MS).await? {
        let done = store::checked_in(&st.db, a.id, s.id).await?;
        out.push((a, done));
    }
    Ok(out)
}

pub async fn activities_to_run(st: &AppState, u: &User) -> AppResult<Vec<Activity>> {
    let paths = policy::scopes_for(&u.p, Action::RunActivities);
    let mut v = store::activities_under(&st.db, &paths).await?;
    v.dedup_by_key(|a| a.id);
    Ok(v)
}

// ---------- the app drive ----------

pub async fn my_app(st: &AppState, u: &User) -> AppResult<Option<AppInstall>> {
    let s = own_student(st, &u.p).await?;
    Ok(store::app_install(&st.db, s.id).await?)
}

pub async fn declare_app(st: &AppState, u: &User) -> AppResult<()> {
    let s = own_student(st, &u.p).await?;
    let mut tx = st.db.begin_write().await?;
    if !store::declare_install(&mut tx, s.id, st.clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-app-declared").into());
    }
    tx.commit().await?;
    Ok(())
}

/// A counselor (or staff over the class) marks a student's declared install as checked.
pub async fn verify_app(st: &AppState, u: &User, student_id: i64) -> AppResult<()> {
    let s = org_store::student_by_id(&st.db, student_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    authorize(st, u, Action::RunActivities, Target::Unit(&s.class_path)).await?;
    let mut tx = st.db.begin_write().await?;
    if store::app_install(&st.db, s.id).await?.is_none() {
        return Err(LearningError::Conflict("err-learning-app-not-declared").into());
    }
    if !store::verify_install(&mut tx, s.id, u.p.account_id, st.clock.now_ms()).await? {
        return Err(LearningError::Conflict("err-learning-app-verified").into());
    }
    tx.commit().await?;
    Ok(())
}

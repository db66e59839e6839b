//! Activities, check-in, the room's screen, and the app drive.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::{StudentId, UnitId};

// ---------- activities ----------

#[derive(Deserialize)]
pub(super) struct ActivityForm {
    unit: UnitId,
    kind: String,
    title: String,
    place: String,
    starts_at: String,
    minutes: String,
}

pub(super) async fn create_activity(
    State(st): State<AppState>,
    u: User,
    Form(f): Form<ActivityForm>,
) -> AppResult<Redirect> {
    let starts = crate::kernel::time::parse_local(&f.starts_at, u.p.time_zone);
    let a = NewActivity::parse(&f.kind, &f.title, &f.place, starts, &f.minutes)
        .map_err(crate::learning::LearningError::Invalid)?;
    let id = service::create_activity(&st.db, &st.clock, &u.p, &u.ctx.actor(), f.unit, a).await?;
    Ok(Redirect::to(&format!("/learning/activities/{id}")))
}

#[derive(Template)]
#[template(path = "learning/activity.html")]
pub(super) struct ActivityPage {
    ctx: PageCtx,
    a: Activity,
    /// The student's view: the code form (prefilled from a scanned QR link) and whether done.
    student: bool,
    done: bool,
    /// The student's check-in has a photo.
    photo: bool,
    code: String,
    checkins: Vec<CheckIn>,
    expected: i64,
}

impl ActivityPage {
    fn kind(&self) -> String {
        self.ctx
            .t(&format!("learning-kind-{}", self.a.kind.as_str()))
    }
}

#[derive(Deserialize)]
pub(super) struct CodeQuery {
    #[serde(default)]
    t: String,
}

pub(super) async fn activity(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
) -> AppResult<Response> {
    let ctx = page_ctx(&st, &u).await;
    let page = if service::is_student(&u.p) {
        let (s, a, done) = service::activity_for_student(&st.db, &u.p, id).await?;
        let photo = done && service::has_checkin_photo(&st.db, a.id, s.id).await?;
        ActivityPage {
            ctx,
            a,
            student: true,
            done,
            photo,
            code: q.t.chars().take(64).collect(),
            checkins: vec![],
            expected: 0,
        }
    } else {
        let (a, checkins, expected) =
            service::attendance(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
        ActivityPage {
            ctx,
            a,
            student: false,
            done: false,
            photo: false,
            code: String::new(),
            checkins,
            expected,
        }
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
pub(super) struct CheckinForm {
    #[serde(default)]
    code: String,
}

pub(super) async fn checkin(
    State(st): State<AppState>,
    u: User,
    jar: CookieJar,
    Path(id): Path<i64>,
    Form(f): Form<CheckinForm>,
) -> AppResult<Response> {
    let (jar, device) = match jar.get(DEVICE_COOKIE).map(|c| c.value().to_string()) {
        Some(d) if !d.is_empty() && d.len() <= 64 => (jar, d),
        _ => {
            let d = crate::auth::password::random_token();
            let mut c = crate::web::context::cookie(&st, DEVICE_COOKIE, d.clone());
            c.make_permanent();
            (jar.add(c), d)
        }
    };
    service::check_in(&st.db, &st.clock, &u.p, id, &f.code, &device).await?;
    Ok((jar, Redirect::to(&format!("/learning/activities/{id}"))).into_response())
}

#[derive(Template)]
#[template(path = "learning/screen.html")]
pub(super) struct ScreenPage {
    ctx: PageCtx,
    a: Activity,
    code: CodeFragment,
}

#[derive(Template)]
#[template(path = "learning/code.html")]
pub(super) struct CodeFragment {
    link: String,
    svg: String,
    short_code: String,
    window: i64,
}

/// The site's address for links a phone opens from a QR code: the configured public URL, else
/// the address this request came to.
pub(super) fn site(st: &AppState, headers: &axum::http::HeaderMap) -> String {
    match &st.config.public_url {
        Some(u) => u.clone(),
        None => headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            })
            .map(|h| format!("http://{h}"))
            .unwrap_or_default(),
    }
}

pub(super) fn fragment(base: &str, a: &Activity, shown: &Shown) -> CodeFragment {
    let link = format!(
        "{}/learning/activities/{}?t={}",
        base.trim_end_matches('/'),
        a.id,
        shown.token
    );
    let svg = match qrcode::QrCode::new(link.as_bytes()) {
        Ok(q) => q
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .build(),
        Err(_) => String::new(),
    };
    CodeFragment {
        link,
        svg,
        short_code: shown.short_code.clone(),
        window: shown.window,
    }
}

pub(super) async fn screen(
    State(st): State<AppState>,
    u: User,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (a, shown) = service::screen_code(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
    let code = fragment(&site(&st, &headers), &a, &shown);
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(ScreenPage { ctx, a, code }.render()?).into_response())
}

/// The current code as an HTML fragment: the screen pulls it every few seconds.
pub(super) async fn code(
    State(st): State<AppState>,
    u: User,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (a, shown) = service::screen_code(&st.db, &st.clock, &u.p, &u.ctx.actor(), id).await?;
    let f = fragment(&site(&st, &headers), &a, &shown);
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Html(f.render()?),
    )
        .into_response())
}

// ---------- the app drive ----------

pub(super) async fn declare(State(st): State<AppState>, u: User) -> AppResult<Redirect> {
    service::declare_app(&st.db, &st.clock, &u.p).await?;
    Ok(Redirect::to("/learning"))
}

pub(super) async fn verify(
    State(st): State<AppState>,
    u: User,
    Path(student): Path<StudentId>,
) -> AppResult<Redirect> {
    service::verify_app(&st.db, &st.clock, &u.p, &u.ctx.actor(), student).await?;
    let s = crate::org::store::student_by_id(&st.db, student)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Redirect::to(&format!(
        "/learning/coverage?unit={}",
        s.class_id
    )))
}

/// The photo field of an uploaded form (`csrf` first, then `photo`).
async fn photo_field(mp: axum::extract::Multipart) -> AppResult<Vec<u8>> {
    let fields = crate::web::multipart::fields(mp, "err-learning-photo-empty").await?;
    Ok(fields
        .into_iter()
        .find(|(n, _)| n == "photo")
        .map(|(_, b)| b.to_vec())
        .unwrap_or_default())
}

pub(super) async fn checkin_photo(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    mp: axum::extract::Multipart,
) -> AppResult<Redirect> {
    let bytes = photo_field(mp).await?;
    service::checkin_photo(&st.db, &st.config, &u.p, id, &bytes).await?;
    Ok(Redirect::to(&format!("/learning/activities/{id}")))
}

fn image(bytes: Vec<u8>, kind: String) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, kind),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_string(),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub(super) async fn checkin_photo_file(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (bytes, kind) =
        service::checkin_photo_file(&st.db, &st.clock, &st.config, &u.p, &u.ctx.actor(), id)
            .await?;
    Ok(image(bytes, kind))
}

pub(super) async fn app_screenshot(
    State(st): State<AppState>,
    u: User,
    mp: axum::extract::Multipart,
) -> AppResult<Redirect> {
    let bytes = photo_field(mp).await?;
    service::app_screenshot(&st.db, &st.clock, &st.config, &u.p, &bytes).await?;
    Ok(Redirect::to("/learning#my-app"))
}

pub(super) async fn app_screenshot_file(
    State(st): State<AppState>,
    u: User,
    Path(student): Path<StudentId>,
) -> AppResult<Response> {
    let (bytes, kind) =
        service::app_screenshot_file(&st.db, &st.clock, &st.config, &u.p, &u.ctx.actor(), student)
            .await?;
    Ok(image(bytes, kind))
}

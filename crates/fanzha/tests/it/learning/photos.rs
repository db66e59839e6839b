//! Optional photo proof: a student's photo of their check-in (once, after checking in) and the
//! screenshot of their app install; images only, 5 MB at most, metadata stripped, shown to the
//! student and to staff over them only.

use super::id_of;
use crate::common::*;
use reqwest::StatusCode;

/// A 1×1 PNG with a text chunk (metadata that must not be kept).
fn png() -> Vec<u8> {
    let mut b = vec![0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    b.extend_from_slice(&[
        0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89,
    ]);
    // tEXt "GPS" chunk: dropped.
    b.extend_from_slice(&[0x00, 0x00, 0x00, 0x08]);
    b.extend_from_slice(b"tEXtGPS\x0031.2");
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&[
        0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
        0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]);
    b
}

async fn upload(app: &TestApp, c: &reqwest::Client, path: &str, bytes: Vec<u8>) -> StatusCode {
    let csrf = app.page_csrf(c).await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "photo",
        reqwest::multipart::Part::bytes(bytes).file_name("p.png"),
    );
    c.post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .status()
}

async fn meeting(app: &TestApp) -> i64 {
    let c = app.login("counselor1").await;
    let unit = app.fx.unit("CLS1A1").id.to_string();
    let (s, loc) = app
        .post_form(
            &c,
            "/learning/activities",
            &[
                ("unit", &unit),
                ("kind", "class_meeting"),
                ("title", "反诈主题班会"),
                ("place", "教学楼 A201"),
                ("starts_at", "2025-03-01 08:00"),
                ("minutes", "90"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    id_of(&loc)
}

async fn check_in(app: &TestApp, st: &reqwest::Client, id: i64) {
    let key = fanzha::db::keys::server_key(&app.state.db, "checkin")
        .await
        .unwrap();
    let r = fanzha::kernel::rotating::Rotating::new(&key, &format!("activity:{id}"));
    let code = r.shown(app.state.clock.now_ms()).short_code;
    let (s, b) = app
        .post_form(
            st,
            &format!("/learning/activities/{id}/checkin"),
            &[("code", &code)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{b}");
}

#[tokio::test]
async fn a_check_in_takes_one_photo_without_its_metadata_seen_by_the_organiser_only() {
    let app = spawn_seeded().await;
    let id = meeting(&app).await;
    let st = app.login("student1").await;
    let path = format!("/learning/activities/{id}/photo");
    // Before checking in: refused.
    assert_eq!(upload(&app, &st, &path, png()).await, StatusCode::CONFLICT);
    check_in(&app, &st, id).await;
    // Not an image, too large, empty: refused, nothing kept.
    let mut big = png();
    big.resize(5 * 1024 * 1024 + 1, 0);
    for bad in [b"%PDF-1.7".to_vec(), big, vec![]] {
        assert_eq!(
            upload(&app, &st, &path, bad).await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let photos = "SELECT COUNT(*) FROM learning_checkins WHERE photo_key IS NOT NULL";
    assert_eq!(app.scalar(photos).await, 0);
    assert_eq!(upload(&app, &st, &path, png()).await, StatusCode::SEE_OTHER);
    assert_eq!(
        upload(&app, &st, &path, png()).await,
        StatusCode::CONFLICT,
        "one photo"
    );
    assert_eq!(app.scalar(photos).await, 1);
    let (_, page) = app.get(&st, &format!("/learning/activities/{id}")).await;
    assert!(page.contains("id=\"photo-added\""), "{page}");
    // The organiser sees it, stripped of its text chunk; another student and another counselor
    // do not.
    let c1 = app.login("counselor1").await;
    let (_, att) = app.get(&c1, &format!("/learning/activities/{id}")).await;
    let link = between(&att, "<a href=\"/learning/checkins/", "\"").expect("photo link");
    let r = c1
        .get(app.url(&format!("/learning/checkins/{link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    let got = r.bytes().await.unwrap();
    assert!(!got.windows(4).any(|w| w == b"tEXt"), "metadata kept");
    assert!(got.len() < png().len());
    for who in ["student2", "counselor2"] {
        let c = app.login(who).await;
        let r = c
            .get(app.url(&format!("/learning/checkins/{link}")))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {}",
            r.status()
        );
    }
}

#[tokio::test]
async fn an_app_screenshot_records_the_install_and_the_counselor_opens_it() {
    let app = spawn_seeded().await;
    let st = app.login("student1").await;
    let zs = app.fx.student("2023010101");
    // Bad images: nothing recorded.
    assert_eq!(
        upload(&app, &st, "/learning/app/screenshot", b"GIF89a".to_vec()).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_app_installs")
            .await,
        0
    );
    assert_eq!(
        upload(&app, &st, "/learning/app/screenshot", png()).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM learning_app_installs WHERE student_id = {zs} AND screenshot_key IS NOT NULL")).await,
        1
    );
    // Staff cannot upload one; the counselor of the class sees it in the class coverage.
    let c1 = app.login("counselor1").await;
    assert_eq!(
        upload(&app, &c1, "/learning/app/screenshot", png()).await,
        StatusCode::FORBIDDEN
    );
    let cls = app.fx.unit("CLS1A1").id;
    let (_, page) = app
        .get(&c1, &format!("/learning/coverage?unit={cls}"))
        .await;
    assert!(
        page.contains(&format!("/learning/app/screenshot/{zs}")),
        "{page}"
    );
    let r = c1
        .get(app.url(&format!("/learning/app/screenshot/{zs}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for who in ["counselor2", "student2"] {
        let c = app.login(who).await;
        let r = c
            .get(app.url(&format!("/learning/app/screenshot/{zs}")))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{who}: {}",
            r.status()
        );
    }
    // Once checked, the screenshot stays as it was.
    let (s, _) = app
        .post_form(&c1, &format!("/learning/app/verify/{zs}"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        upload(&app, &st, "/learning/app/screenshot", png()).await,
        StatusCode::CONFLICT
    );
}

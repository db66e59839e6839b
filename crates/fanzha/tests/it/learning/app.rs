//! The anti-fraud app drive: students record their install, counselors check it; rates per unit
//! and the list of those missing in the class coverage.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn students_record_the_install_and_their_counselor_checks_it() {
    let app = spawn_seeded().await;
    let st = app.login("student1").await;
    let (_, page) = app.get(&st, "/learning").await;
    assert!(page.contains("app-declare"), "{page}");
    let (s, _) = app.post_form(&st, "/learning/app/declare", &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = app.post_form(&st, "/learning/app/declare", &[]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_app_installs")
            .await,
        1
    );
    let zs = app.fx.student("2023010101");
    let ls = app.fx.student("2023010102");
    // Another class's counselor may not check it; a student may not either.
    for who in ["counselor2", "student2"] {
        let c = app.login(who).await;
        let (s, _) = app
            .post_form(&c, &format!("/learning/app/verify/{zs}"), &[])
            .await;
        assert!(
            s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
            "{who}: {s}"
        );
    }
    let c1 = app.login("counselor1").await;
    let cls = app.fx.unit("CLS1A1").id;
    let (_, page) = app
        .get(&c1, &format!("/learning/coverage?unit={cls}"))
        .await;
    assert!(page.contains("id=\"total-app\">50% / 0%"), "{page}");
    let row = between(&page, &format!("id=\"student-{ls}\""), "</tr>").expect("李四");
    assert!(row.contains("未安装"), "{row}");
    // 李四 has not recorded an install: nothing to check.
    let (s, _) = app
        .post_form(&c1, &format!("/learning/app/verify/{ls}"), &[])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .post_form(&c1, &format!("/learning/app/verify/{zs}"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = app
        .post_form(&c1, &format!("/learning/app/verify/{zs}"), &[])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, page) = app
        .get(&c1, &format!("/learning/coverage?unit={cls}"))
        .await;
    assert!(page.contains("id=\"total-app\">50% / 50%"), "{page}");
    let (_, hub) = app.get(&st, "/learning").await;
    assert!(hub.contains("已核验安装"), "{hub}");
    // The school admin sees the school rolled up, with the college as a row.
    let admin = app.login("admin1").await;
    let sch = app.fx.unit("SCH1").id;
    let (s, page) = app
        .get(&admin, &format!("/learning/coverage?unit={sch}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("计算机学院"), "{page}");
    assert!(page.contains("id=\"total-app\">25% / 25%"), "{page}");
}

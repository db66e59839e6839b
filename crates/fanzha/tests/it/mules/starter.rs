//! Starter content on 两卡 and the law: every school is offered the shipped article (with its quiz)
//! and the course lesson; its admin adopts each once (a second adoption, also at the same moment,
//! makes no copy); counselors, students and admins of another school are refused.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::json;

/// An elective course of `school` created by its admin `user`; its id.
pub async fn elective(app: &TestApp, user: &str, school: &str, title: &str) -> i64 {
    let admin = app.login(user).await;
    let id = app.fx.unit(school).id.to_string();
    let (s, loc) = app
        .post_form(
            &admin,
            "/learning/courses",
            &[
                ("school", id.as_str()),
                ("title", title),
                ("summary", "选修"),
                ("credits", "1"),
                ("pass_percent", "60"),
                ("per_tag", "1"),
                ("max_attempts", "3"),
                ("time_limit_min", "15"),
                ("elective", "1"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    crate::learning::id_of(&loc)
}

async fn admin_token(app: &TestApp, user: &str) -> String {
    app.token(user, &[Scope::CampaignsRead, Scope::CampaignsWrite])
        .await
}

fn item<'a>(list: &'a serde_json::Value, school: &str, item: &str) -> &'a serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| i["school"] == school && i["item"] == item)
        .unwrap_or_else(|| panic!("no {item} of {school} in {list}"))
}

#[tokio::test]
async fn a_school_admin_adopts_the_article_and_the_lesson_once() {
    let app = spawn_seeded().await;
    let course = elective(&app, "admin1", "SCH1", "校园安全选修课").await;
    let t = admin_token(&app, "admin1").await;
    // A school that has nothing yet is offered both.
    let (s, list) = get_json(&app, &t, "/api/v1/mules/starter").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(item(&list, "SCH1", "article")["may_adopt"], true, "{list}");
    assert_eq!(item(&list, "SCH1", "lesson")["may_adopt"], true, "{list}");
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["school"] == "SCH2"),
        "{list}"
    );

    let (s, a) = post_json_read(
        &app,
        &t,
        "/api/v1/mules/starter",
        json!({"school": "SCH1", "item": "article"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let content = a["target_id"].as_i64().unwrap();
    // In the school's library with its quiz, sent for review (a colleague publishes it).
    let (status, unit_path, quiz, fraud_types): (String, String, String, String) = sqlx::query_as(
        "SELECT status, unit_path, quiz, fraud_types FROM campaign_contents WHERE id = $1",
    )
    .bind(content)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(status, "review");
    assert_eq!(unit_path, app.fx.unit("SCH1").path);
    assert!(fraud_types.contains("mule_recruitment"), "{fraud_types}");
    let quiz: serde_json::Value = serde_json::from_str(&quiz).unwrap();
    assert_eq!(quiz.as_array().unwrap().len(), 3, "{quiz}");

    let (s, l) = post_json_read(
        &app,
        &t,
        "/api/v1/mules/starter",
        json!({"school": "SCH1", "item": "lesson", "course_id": course}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    assert_eq!(l["course_id"], course);
    let (course_of, title): (i64, String) =
        sqlx::query_as("SELECT course_id, title FROM learning_lessons WHERE id = $1")
            .bind(l["target_id"].as_i64().unwrap())
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(course_of, course);
    assert!(
        title.contains("两卡") && title.contains("帮信罪"),
        "{title}"
    );

    // Adopting again answers the first adoption and makes no copy.
    let (s, again) = post_json_read(
        &app,
        &t,
        "/api/v1/mules/starter",
        json!({"school": "SCH1", "item": "article"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["target_id"], content);
    let (s, _) = post_json_read(
        &app,
        &t,
        "/api/v1/mules/starter",
        json!({"school": "SCH1", "item": "lesson", "course_id": course}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM campaign_contents WHERE fraud_types LIKE '%mule_recruitment%'"
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM learning_lessons WHERE course_id = {course}"
        ))
        .await,
        1
    );
    let (_, list) = get_json(&app, &t, "/api/v1/mules/starter").await;
    let a = item(&list, "SCH1", "article");
    assert_eq!(a["may_adopt"], false, "{list}");
    assert_eq!(a["target_id"], content);
    // The other school is still offered both.
    let t2 = admin_token(&app, "admin2").await;
    let (_, list2) = get_json(&app, &t2, "/api/v1/mules/starter").await;
    assert_eq!(
        item(&list2, "SCH2", "article")["may_adopt"],
        true,
        "{list2}"
    );
}

#[tokio::test]
async fn two_adoptions_at_once_make_one_copy() {
    let app = spawn_seeded().await;
    let t = admin_token(&app, "admin1").await;
    let body = json!({"school": "SCH1", "item": "article"});
    let (a, b) = tokio::join!(
        post_json_read(&app, &t, "/api/v1/mules/starter", &body),
        post_json_read(&app, &t, "/api/v1/mules/starter", &body),
    );
    let mut statuses = [a.0.as_u16(), b.0.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201], "{a:?} {b:?}");
    assert_eq!(a.1["target_id"], b.1["target_id"]);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_contents").await,
        1
    );
}

#[tokio::test]
async fn counselors_students_and_other_schools_are_refused_and_nothing_is_made() {
    let app = spawn_seeded().await;
    let sch2_course = elective(&app, "admin2", "SCH2", "第二大学选修课").await;
    let lessons = app.scalar("SELECT COUNT(*) FROM learning_lessons").await;
    let body = json!({"school": "SCH1", "item": "article"});
    // A counselor and a student may not author a school's content.
    for user in ["counselor1", "student1"] {
        let t = admin_token(&app, user).await;
        let (s, v) = post_json_read(&app, &t, "/api/v1/mules/starter", &body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user}: {v}");
    }
    // The admin of another school: the school is not theirs to see.
    let t2 = admin_token(&app, "admin2").await;
    let (s, _) = post_json_read(&app, &t2, "/api/v1/mules/starter", &body).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A token without the write scope.
    let read_only = app.token("admin1", &[Scope::CampaignsRead]).await;
    let (s, _) = post_json_read(&app, &read_only, "/api/v1/mules/starter", &body).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Bad input: the lesson into another school's course, without a course, an unknown item.
    let t = admin_token(&app, "admin1").await;
    for bad in [
        json!({"school": "SCH1", "item": "lesson", "course_id": sch2_course}),
        json!({"school": "SCH1", "item": "lesson"}),
    ] {
        let (s, v) = post_json_read(&app, &t, "/api/v1/mules/starter", &bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
        assert!(v.to_string().contains("course"), "{v}");
    }
    let (s, _) = post_json_read(
        &app,
        &t,
        "/api/v1/mules/starter",
        json!({"school": "SCH1", "item": "poster"}),
    )
    .await;
    assert!(s.is_client_error(), "{s}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_contents").await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM learning_lessons").await,
        lessons
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM mule_starter_adoptions")
            .await,
        0
    );
    // Nothing was claimed by the refusals: the admin may still adopt the lesson.
    let course = elective(&app, "admin1", "SCH1", "选修").await;
    let (s, _) = post_json_read(
        &app,
        &t,
        "/api/v1/mules/starter",
        json!({"school": "SCH1", "item": "lesson", "course_id": course}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test]
async fn the_page_offers_the_starter_to_the_school_admin_only() {
    let app = spawn_seeded().await;
    let course = elective(&app, "admin1", "SCH1", "校园安全选修课").await;
    let admin = app.login("admin1").await;
    let (s, page) = app.get(&admin, "/mules").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"mule-starter\""), "{page}");
    assert!(page.contains("加入本校内容库"), "{page}");
    assert!(page.contains("校园安全选修课"), "{page}");
    let course_id = course.to_string();
    let (s, loc) = app
        .post_form(
            &admin,
            "/mules/starter",
            &[
                ("school", "SCH1"),
                ("item", "lesson"),
                ("course", course_id.as_str()),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    let (_, page) = app.get(&admin, "/mules").await;
    assert!(
        page.contains("已于") && page.contains("加入课程《校园安全选修课》"),
        "{page}"
    );
    assert!(
        page.contains(&format!("/learning/courses/{course}")),
        "{page}"
    );
    // The counselor sees no offer and is refused the form.
    let counselor = app.login("counselor1").await;
    let (_, page) = app.get(&counselor, "/mules").await;
    assert!(!page.contains("id=\"mule-starter\""), "{page}");
    let (s, _) = app
        .post_form(
            &counselor,
            "/mules/starter",
            &[("school", "SCH1"), ("item", "article")],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_contents").await,
        0
    );
}

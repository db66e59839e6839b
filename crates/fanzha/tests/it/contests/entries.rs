//! Entries: a team from the roster, a video link or an image within the limit, a licence; the
//! organiser accepts, returns for changes or rejects with a reason; entrants see their status.

use super::*;
use crate::common::*;
use reqwest::StatusCode;

/// A form's text fields.
type Fields<'a> = Vec<(&'a str, &'a str)>;

fn png(len: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.resize(len, 7);
    b
}

#[tokio::test]
async fn a_student_enters_with_a_team_and_follows_the_review() {
    let app = spawn_seeded().await;
    let id = open_contest(&app, "admin1", contest_fields()).await;
    let c = app.login("student1").await;
    let (s, _) = app.get(&c, &format!("/contests/{id}/enter")).await;
    assert_eq!(s, StatusCode::OK);
    // An image entry within the limit (1 KB), with 李四 of the same school on the team.
    let (s, loc, body) = post_entry(
        &app,
        &c,
        &format!("/contests/{id}/enter"),
        &[
            ("category", "logo"),
            ("title", "反诈盾牌"),
            ("description", "盾牌与手机"),
            ("members", "2023010102"),
            ("media_kind", "image"),
            ("licence", "cc_by_nc"),
        ],
        Some(png(900)),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(loc.contains("entered=1"));
    let eid = app.scalar("SELECT MAX(id) FROM contest_entries").await;
    let members: String = sqlx::query_scalar("SELECT members FROM contest_entries WHERE id = $1")
        .bind(eid)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(
        members.contains("张三") && members.contains("李四"),
        "{members}"
    );
    let (s, img) = app
        .get(&c, &format!("/contests/{id}/entries/{eid}/image"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!img.is_empty());
    let (_, page) = app.get(&c, &format!("/contests/{id}")).await;
    assert!(
        page.contains("data-status=\"submitted\""),
        "own status shown"
    );

    // Returned for changes with a reason: the entrant sees both and may revise.
    let (s, loc) = decide(&app, "admin1", id, eid, "return", "请补充作品说明").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    let (_, page) = app.get(&c, &format!("/contests/{id}")).await;
    assert!(page.contains("data-status=\"returned\"") && page.contains("请补充作品说明"));
    let (s, _, body) = post_entry(
        &app,
        &c,
        &format!("/contests/{id}/enter?entry={eid}"),
        &[
            ("category", "logo"),
            ("title", "反诈盾牌(修改)"),
            ("description", "盾牌与手机,寓意守护"),
            ("members", "2023010102"),
            ("media_kind", "image"),
            ("licence", "cc_by_nc"),
        ],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (s, _) = decide(&app, "admin1", id, eid, "accept", "").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = app.get(&c, &format!("/contests/{id}")).await;
    assert!(page.contains("data-status=\"accepted\"") && page.contains("反诈盾牌(修改)"));
    // The team member 李四 has no account here; a classmate outside the team does not see it
    // before voting opens.
    let other = app.login("student2").await;
    let (_, page) = app.get(&other, &format!("/contests/{id}")).await;
    assert!(!page.contains("反诈盾牌"));
}

#[tokio::test]
async fn entries_outside_the_rules_are_refused_and_nothing_is_stored() {
    let app = spawn_seeded().await;
    let id = open_contest(
        &app,
        "admin1",
        with(contest_fields(), &[("-media", ""), ("media", "image")]),
    )
    .await;
    let c = app.login("student1").await;
    let path = format!("/contests/{id}/enter");
    let base = [
        ("category", "logo"),
        ("title", "标志"),
        ("media_kind", "image"),
        ("licence", "cc_by"),
    ];
    let cases: Vec<(Fields, Option<Vec<u8>>)> = vec![
        // Over the size limit (1 KB).
        (base.to_vec(), Some(png(1025))),
        // Not an image, whatever it is called.
        (base.to_vec(), Some(b"GIF89a...........".to_vec())),
        // A kind of work the contest does not take.
        (
            vec![
                ("category", "skit"),
                ("title", "剧"),
                ("media_kind", "video_link"),
                ("video_url", "https://v.example.cn/1"),
                ("licence", "cc_by"),
            ],
            None,
        ),
        // A member not on the school's roster; a team over the size limit.
        (
            [base.to_vec(), vec![("members", "2099999999")]].concat(),
            Some(png(10)),
        ),
        (
            [
                base.to_vec(),
                vec![("members", "2023010102 2023010201 2023020101")],
            ]
            .concat(),
            Some(png(10)),
        ),
        // No licence, unknown category, empty title.
        (
            vec![
                ("category", "opera"),
                ("title", ""),
                ("media_kind", "image"),
            ],
            Some(png(10)),
        ),
    ];
    for (fields, img) in cases {
        let (s, _, body) = post_entry(&app, &c, &path, &fields, img).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}: {body}");
        assert!(body.contains("entry-errors"), "{fields:?}");
    }
    // A student of another school is outside the rules; after the close nobody may enter.
    let out = app.login("student3").await;
    let (s, _, _) = post_entry(&app, &out, &path, &base, Some(png(10))).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "another school's student does not see it"
    );
    let staff = app.login("counselor1").await;
    let (s, _, _) = post_entry(&app, &staff, &path, &base, Some(png(10))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "staff vote but do not enter");
    app.state.clock.advance_ms(DAY);
    let c = app.login("student1").await;
    let (s, _, _) = post_entry(&app, &c, &path, &base, Some(png(10))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contest_entries").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contest_media").await, 0);
}

#[tokio::test]
async fn review_needs_an_organiser_a_reason_and_happens_before_voting() {
    let app = spawn_seeded().await;
    let id = open_contest(&app, "admin1", contest_fields()).await;
    let eid = enter_video(&app, "student1", id, "情景剧").await;
    let (s, _) = decide(&app, "student2", id, eid, "accept", "").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = decide(&app, "admin2", id, eid, "accept", "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = decide(&app, "admin1", id, eid, "reject", "  ").await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejection needs a reason"
    );
    let (s, _) = decide(&app, "admin1", id, eid, "maybe", "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let status: String = sqlx::query_scalar("SELECT status FROM contest_entries WHERE id = $1")
        .bind(eid)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "submitted");
    let (s, _) = decide(&app, "admin1", id, eid, "reject", "与主题无关").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // A decided entry is not decided again; nor is anything after voting opens.
    let (s, _) = decide(&app, "admin1", id, eid, "accept", "").await;
    assert_eq!(s, StatusCode::CONFLICT);
    let e2 = enter_video(&app, "student2", id, "第二部").await;
    app.state.clock.advance_ms(2 * DAY);
    let (s, _) = decide(&app, "admin1", id, e2, "accept", "").await;
    assert_eq!(s, StatusCode::CONFLICT, "review ends when voting opens");
    let c = app.login("student1").await;
    let (_, page) = app.get(&c, &format!("/contests/{id}")).await;
    assert!(page.contains("data-status=\"rejected\"") && page.contains("与主题无关"));
}

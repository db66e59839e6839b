//! Conflicts of interest beyond the school: a judge who advised an entry (named on it, from any
//! school or the police) and a judge of a team member's class are left out of its assignment,
//! refused when scoring it, and counted apart in the organisers' progress.

use super::*;
use crate::common::*;
use reqwest::StatusCode;

/// An entry of `who` naming `advisors` (staff numbers or account names); (status, body).
async fn enter_advised(
    app: &TestApp,
    who: &str,
    contest: i64,
    title: &str,
    advisors: &str,
) -> (StatusCode, String) {
    let c = app.login(who).await;
    let (s, _, body) = post_entry(
        app,
        &c,
        &format!("/contests/{contest}/enter"),
        &[
            ("category", "skit"),
            ("title", title),
            ("description", ""),
            ("members", ""),
            ("media_kind", "video_link"),
            ("video_url", "https://v.example.cn/2"),
            ("licence", "cc_by"),
            ("advisors", advisors),
        ],
        None,
    )
    .await;
    (s, body)
}

#[tokio::test]
async fn an_advisor_and_a_counselor_of_the_team_s_class_do_not_judge_the_entry() {
    let app = spawn_seeded().await;
    let id = open_contest(&app, "admin1", contest_fields()).await;
    // An unknown advisor is refused with the entry (nothing stored); a student cannot advise.
    let before = app.scalar("SELECT COUNT(*) FROM contest_entries").await;
    let (s, body) = enter_advised(&app, "student1", id, "有指导", "T9999").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, _) = enter_advised(&app, "student1", id, "有指导", "student2").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM contest_entries").await,
        before
    );
    // student1's entry was advised by a police officer and by their school's T1002.
    let (s, body) = enter_advised(&app, "student1", id, "民警指导的作品", "police1 T1002").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let advised = app.scalar("SELECT MAX(id) FROM contest_entries").await;
    let other = enter_video(&app, "student2", id, "另一件").await;
    for e in [advised, other] {
        decide(&app, "admin1", id, e, "accept", "").await;
    }
    // The entrant and the organiser see the advisors' names.
    let st = app.login("student1").await;
    let (_, page) = app
        .get(&st, &format!("/contests/{id}/entries/{advised}"))
        .await;
    assert!(page.contains("entry-advisors") && page.contains("林老师"));
    app.state.clock.advance_ms(2 * DAY + HOUR);
    // Judges: police1 (advised the first), counselor1 (counselor of student1's class CLS1A1),
    // police2 and province1 (no tie to either).
    let org = app.login("admin1").await;
    let (s, _, _) = post_form(
        &app,
        &org,
        &format!("/contests/{id}/judges"),
        &[(
            "usernames".into(),
            "police1 counselor1 police2 province1".into(),
        )],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, _) = post_form(&app, &org, &format!("/contests/{id}/assign"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let assigned = |judge: &str, entry: i64| {
        format!(
            "SELECT COUNT(*) FROM contest_assignments WHERE entry_id = {entry} AND judge_account_id = {}",
            app.fx.account(judge)
        )
    };
    assert_eq!(
        app.scalar(&assigned("police1", advised)).await,
        0,
        "the advisor is left out"
    );
    assert_eq!(
        app.scalar(&assigned("police1", other)).await,
        1,
        "but judges the other entry"
    );
    assert_eq!(app.scalar(&assigned("counselor1", advised)).await, 0);
    assert_eq!(
        app.scalar(&assigned("counselor1", other)).await,
        0,
        "their school's entry"
    );
    assert_eq!(app.scalar(&assigned("police2", advised)).await, 1);
    // Scoring a conflicted entry is refused with the reason, and nothing is stored.
    for (judge, word) in [("police1", "指导"), ("counselor1", "班级")] {
        let c = app.login(judge).await;
        let (s, _, body) = post_form(
            &app,
            &c,
            &format!("/contests/{id}/entries/{advised}/score"),
            &[
                ("mark:主题".into(), "8".into()),
                ("mark:创意".into(), "7".into()),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{judge}");
        assert!(body.contains(word), "{judge}: the reason names the tie");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contest_scores").await, 0);
    // The organiser's progress counts conflicts by kind; the API says the same.
    let (_, page) = app.get(&org, &format!("/contests/{id}")).await;
    assert!(page.contains("judge-conflicts"));
    let token = app
        .token("admin1", &[fanzha::auth::model::Scope::ContestsRead])
        .await;
    let (s, p) = get_json(&app, &token, &format!("/api/v1/contests/{id}/progress")).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let judge = |name: &str| {
        p["judges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["account_id"] == app.fx.account(name).get())
            .cloned()
            .unwrap()
    };
    assert_eq!(
        (
            judge("police1")["advised"].as_i64(),
            judge("police1")["conflicts"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            judge("counselor1")["of_class"].as_i64(),
            judge("counselor1")["conflicts"].as_i64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(judge("province1")["conflicts"].as_i64(), Some(0));
}

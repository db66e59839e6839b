//! Expert judging: judges named by the organiser, assigned automatically with conflicts of
//! interest left out (no judge scores an entry of their own school), three per entry where enough
//! judges exist, score sheets on the declared criteria, progress for organisers.

use super::*;
use crate::common::*;
use reqwest::StatusCode;

async fn add_judges(app: &TestApp, contest: i64, names: &str) -> StatusCode {
    let c = app.login("admin1").await;
    post_form(
        app,
        &c,
        &format!("/contests/{contest}/judges"),
        &[("usernames".to_string(), names.to_string())],
    )
    .await
    .0
}

async fn assign(app: &TestApp, who: &str, contest: i64) -> StatusCode {
    let c = app.login(who).await;
    post_form(app, &c, &format!("/contests/{contest}/assign"), &[])
        .await
        .0
}

async fn score(
    app: &TestApp,
    who: &str,
    contest: i64,
    entry: i64,
    marks: &[(&str, &str)],
) -> (StatusCode, String) {
    let c = app.login(who).await;
    let fields: Vec<(String, String)> = marks
        .iter()
        .map(|(k, v)| (format!("mark:{k}"), v.to_string()))
        .collect();
    let (s, _, body) = post_form(
        app,
        &c,
        &format!("/contests/{contest}/entries/{entry}/score"),
        &fields,
    )
    .await;
    (s, body)
}

#[tokio::test]
async fn judges_are_assigned_without_conflicts_and_score_on_the_criteria() {
    let app = spawn_seeded().await;
    let (id, entries) = voting_contest(&app, &["student1", "student2"]).await;
    // admin1 belongs to SCH1, whose students made every entry: a conflict on each.
    assert_eq!(
        add_judges(&app, id, "admin1, police1 police2，province1 counselor4").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(assign(&app, "student1", id).await, StatusCode::FORBIDDEN);
    assert_eq!(assign(&app, "admin1", id).await, StatusCode::SEE_OTHER);
    let judged_by =
        |e: i64| format!("SELECT COUNT(*) FROM contest_assignments WHERE entry_id = {e}");
    for e in &entries {
        assert_eq!(
            app.scalar(&judged_by(*e)).await,
            3,
            "three judges per entry"
        );
    }
    let admin1 = app.fx.account("admin1");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM contest_assignments WHERE judge_account_id = {admin1}"
        ))
        .await,
        0,
        "the conflicted judge has nothing assigned"
    );
    // Assigning again adds nothing.
    assert_eq!(assign(&app, "admin1", id).await, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM contest_assignments").await,
        6
    );

    // The conflicted judge cannot score; bad marks and missing criteria are refused.
    let good = [("主题", "8"), ("创意", "6")];
    let (s, _) = score(&app, "admin1", id, entries[0], &good).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let judge: (String,) = sqlx::query_as(&format!(
        "SELECT a.username FROM contest_assignments c JOIN accounts a ON a.id = c.judge_account_id \
         WHERE c.entry_id = {} ORDER BY a.username LIMIT 1",
        entries[0]
    ))
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let judge = judge.0;
    for bad in [
        vec![("主题", "11"), ("创意", "6")],
        vec![("主题", "8")],
        vec![("主题", "x"), ("创意", "6")],
    ] {
        let (s, body) = score(&app, &judge, id, entries[0], &bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {body}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contest_scores").await, 0);
    let (s, body) = score(&app, &judge, id, entries[0], &good).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let total = app.scalar("SELECT total FROM contest_scores").await;
    assert_eq!(
        total,
        8 * 60 + 6 * 40,
        "marks weighted by the declared criteria"
    );
    // Someone who is no judge is refused.
    let (s, _) = score(&app, "student2", id, entries[0], &good).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Progress for the organiser: sheets done and the conflicts left out.
    let c = app.login("admin1").await;
    let (_, page) = app.get(&c, &format!("/contests/{id}")).await;
    let progress = between(&page, "id=\"progress\"", "</table>").expect("progress table");
    assert!(
        progress.contains("<td class=\"judge-conflicts\" data-label=\"因利益冲突回避\">2</td>"),
        "{progress}"
    );
    assert!(
        page.contains("1 / 6") || page.contains("1 of 6"),
        "sheets done of due"
    );
    // Not for a student.
    let s1 = app.login("student1").await;
    let (_, page) = app.get(&s1, &format!("/contests/{id}")).await;
    assert!(!page.contains("id=\"progress\""));
    // Judging closes: no more sheets.
    app.state.clock.advance_ms(3 * DAY);
    let (s, _) = score(&app, &judge, id, entries[1], &good).await;
    assert!(
        s == StatusCode::CONFLICT || s == StatusCode::FORBIDDEN,
        "{s}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contest_scores").await, 1);
}

#[tokio::test]
async fn unknown_or_student_judges_are_refused_and_with_too_few_judges_each_gets_all_it_can() {
    let app = spawn_seeded().await;
    let (id, entries) = voting_contest(&app, &["student1"]).await;
    assert_eq!(
        add_judges(&app, id, "police1 nobody").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        add_judges(&app, id, "student2").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM contest_judges").await, 0);
    assert_eq!(
        assign(&app, "admin1", id).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        add_judges(&app, id, "police1 admin1").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(assign(&app, "admin1", id).await, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM contest_assignments WHERE entry_id = {}",
            entries[0]
        ))
        .await,
        1
    );
}

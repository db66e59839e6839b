//! The inbox: a notice to a student reaches their account, the unread count is on every page,
//! messages are marked read by their owner only, and role fan-out reaches each holder once.

use crate::common::*;
use fanzha::auth::model::{Role, Scope};
use fanzha::inbox::{self, Notice, Recipient};
use reqwest::StatusCode;

fn notice(title: &str) -> Notice {
    Notice {
        kind: "system".into(),
        title: title.into(),
        body: "请注意冒充客服的退款诈骗".into(),
        link: Some("/".into()),
    }
}

async fn unread_badge(app: &TestApp, c: &reqwest::Client, path: &str) -> Option<String> {
    let (status, body) = app.get(c, path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    between(&body, "id=\"unread-count\">", "<")
}

async fn read_at(app: &TestApp, id: i64) -> Option<i64> {
    sqlx::query_scalar("SELECT read_at FROM inbox_messages WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_notice_to_a_student_reaches_their_account_and_shows_on_every_page() {
    let app = spawn_seeded().await;
    let (pool, clock) = (&app.state.db.pool, &app.state.clock);
    let sid = app.fx.student("2023010101").get();
    let id = inbox::notify(
        pool,
        clock,
        &Recipient::Student(sid),
        &notice("退款诈骗预警"),
    )
    .await
    .unwrap();
    assert!(id > 0);
    let c = app.login("student1").await;
    for path in ["/", "/inbox", "/account"] {
        assert_eq!(
            unread_badge(&app, &c, path).await.as_deref(),
            Some("1"),
            "{path}"
        );
    }
    let (_, page) = app.get(&c, "/inbox").await;
    assert!(page.contains("退款诈骗预警"));
    let t = app.token("student1", &[Scope::InboxRead]).await;
    let v: serde_json::Value = app.api_get(&t, "/api/v1/inbox").await.json().await.unwrap();
    assert_eq!(v["unread"], 1);
    assert_eq!(v["messages"][0]["title"], "退款诈骗预警");
    assert_eq!(v["messages"][0]["id"], id);
    // Another student sees nothing.
    let other = app.login("student2").await;
    assert_eq!(unread_badge(&app, &other, "/").await, None);
    let (_, page) = app.get(&other, "/inbox").await;
    assert!(!page.contains("退款诈骗预警"));
    let t2 = app.token("student2", &[Scope::InboxRead]).await;
    let v: serde_json::Value = app
        .api_get(&t2, "/api/v1/inbox")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["unread"], 0);
    assert_eq!(v["messages"].as_array().unwrap().len(), 0);
    // Staff records reach their accounts the same way.
    let staff = app.fx.staff["T1001"];
    inbox::notify(pool, clock, &Recipient::Staff(staff), &notice("给辅导员"))
        .await
        .unwrap();
    let c1 = app.login("counselor1").await;
    assert_eq!(
        unread_badge(&app, &c1, "/org/unit/CLS1A1").await.as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn messages_are_marked_read_by_their_owner_only() {
    let app = spawn_seeded().await;
    let (pool, clock) = (&app.state.db.pool, &app.state.clock);
    let sid = app.fx.student("2023010101").get();
    let mut ids = Vec::new();
    for title in ["一", "二", "三", "四"] {
        ids.push(
            inbox::notify(pool, clock, &Recipient::Student(sid), &notice(title))
                .await
                .unwrap(),
        );
    }
    // Someone else cannot mark them, on the page or the API: 404, unchanged.
    let other = app.login("student2").await;
    let csrf = app.page_csrf(&other).await;
    let r = other
        .post(app.url(&format!("/inbox/{}/read", ids[0])))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let t2 = app.token("student2", &[Scope::InboxRead]).await;
    let r = client()
        .post(app.url(&format!("/api/v1/inbox/{}/read", ids[0])))
        .bearer_auth(&t2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = client()
        .post(app.url("/api/v1/inbox/999999/read"))
        .bearer_auth(&t2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(read_at(&app, ids[0]).await, None);

    // The owner marks one on the page …
    let c = app.login("student1").await;
    let csrf = app.page_csrf(&c).await;
    let r = c
        .post(app.url(&format!("/inbox/{}/read", ids[0])))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(read_at(&app, ids[0]).await, Some(START_MS));
    assert_eq!(unread_badge(&app, &c, "/").await.as_deref(), Some("3"));
    // … one through the API (a token without inbox:read is refused first) …
    let no_scope = app.token("student1", &[Scope::OrgRead]).await;
    let r = client()
        .post(app.url(&format!("/api/v1/inbox/{}/read", ids[1])))
        .bearer_auth(&no_scope)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(read_at(&app, ids[1]).await, None);
    let t = app.token("student1", &[Scope::InboxRead]).await;
    let r = client()
        .post(app.url(&format!("/api/v1/inbox/{}/read", ids[1])))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // Marking again keeps the first read time.
    app.state.clock.advance_ms(60_000);
    let r = client()
        .post(app.url(&format!("/api/v1/inbox/{}/read", ids[0])))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(read_at(&app, ids[0]).await, Some(START_MS));
    // … and the rest at once.
    let r = c
        .post(app.url("/inbox/read-all"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(unread_badge(&app, &c, "/").await, None);
    let v: serde_json::Value = app.api_get(&t, "/api/v1/inbox").await.json().await.unwrap();
    assert_eq!(v["unread"], 0);
    // The other student's read-all touched nothing of theirs (nothing to touch) and vice versa.
    let n: i64 = app
        .scalar("SELECT COUNT(*) FROM inbox_messages WHERE read_at IS NULL")
        .await;
    assert_eq!(n, 0);
    // Bad paging is a clear 400.
    let r = app.api_get(&t, "/api/v1/inbox?limit=0").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

async fn inbox_count(app: &TestApp, username: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'account:{}'",
        app.fx.account(username)
    ))
    .await
}

#[tokio::test]
async fn role_fan_out_reaches_every_holder_under_the_unit_exactly_once() {
    let app = spawn_seeded().await;
    let college = app.fx.unit("COL1A").id;
    let id = inbox::notify_role_in_unit(
        &app.state.jobs,
        Role::Counselor,
        college,
        &notice("学院辅导员通知"),
        Some("warning:1".into()),
    )
    .await
    .unwrap()
    .expect("job enqueued");
    // The caller retries: the dedup key keeps it one job.
    let again = inbox::notify_role_in_unit(
        &app.state.jobs,
        Role::Counselor,
        college,
        &notice("学院辅导员通知"),
        Some("warning:1".into()),
    )
    .await
    .unwrap();
    assert_eq!(again, None);
    assert_eq!(
        inbox_count(&app, "counselor1").await,
        0,
        "nothing before the job runs"
    );
    assert_eq!(app.runner.run_until_idle().await.unwrap(), 1);
    for (user, expected) in [
        ("counselor1", 1),
        ("counselor3", 1),
        ("counselor2", 0), // another college
        ("counselor4", 0), // another school
        ("leader1", 0),    // another role
    ] {
        assert_eq!(inbox_count(&app, user).await, expected, "{user}");
    }
    // The job runs again (a retry after a crash between delivery and "done"): nobody twice.
    sqlx::query("UPDATE jobs SET status = 'queued' WHERE id = $1")
        .bind(id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(app.runner.run_until_idle().await.unwrap(), 1);
    assert_eq!(inbox_count(&app, "counselor1").await, 1);
    assert_eq!(inbox_count(&app, "counselor3").await, 1);
    // The unique (recipient, source) guard itself.
    let to = Recipient::Account(app.fx.account("counselor1"));
    let first = inbox::notify_once(
        &app.state.db.pool,
        &app.state.clock,
        &to,
        &notice("x"),
        Some("campaign:7"),
    )
    .await
    .unwrap();
    assert!(first.is_some());
    let second = inbox::notify_once(
        &app.state.db.pool,
        &app.state.clock,
        &to,
        &notice("x"),
        Some("campaign:7"),
    )
    .await
    .unwrap();
    assert_eq!(second, None);
    assert_eq!(inbox_count(&app, "counselor1").await, 2);
    // The counselor sees the fan-out message on their page.
    let c = app.login("counselor3").await;
    let (_, page) = app.get(&c, "/inbox").await;
    assert!(page.contains("学院辅导员通知"));
    // A fan-out over the whole school reaches its three counselors, not the other school's.
    inbox::notify_role_in_unit(
        &app.state.jobs,
        Role::Counselor,
        app.fx.unit("SCH1").id,
        &notice("全校"),
        None,
    )
    .await
    .unwrap();
    app.runner.run_until_idle().await.unwrap();
    let n = app
        .scalar("SELECT COUNT(*) FROM inbox_messages WHERE title = '全校'")
        .await;
    assert_eq!(n, 3);
}

//! Notices in the recipient's language, the batch upload page and the police queue.

use super::*;

pub(super) async fn inbox_titles(app: &TestApp, recipient: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT title FROM inbox_messages WHERE recipient = $1 AND kind = 'warning' ORDER BY id",
    )
    .bind(recipient)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
pub(super) async fn inbox_notices_are_written_in_the_recipients_language() {
    let app = spawn_seeded().await;
    // The counselor reads English; the college leader keeps the default (zh-CN).
    sqlx::query("UPDATE accounts SET locale = 'en' WHERE username = 'counselor1'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let id = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    let counselor = format!("staff:{}", app.fx.staff["T1001"]);
    let t = inbox_titles(&app, &counselor).await;
    assert_eq!(t.len(), 1);
    assert!(t[0].starts_with("[High"), "{t:?}");
    assert!(!t[0].contains("预警"), "{t:?}");
    // A batch writes its notices in the recipient's language too.
    let police = police_token(&app).await;
    let r = app
        .api_post(
            &police,
            "/api/v1/warnings/batch",
            "手机号,诈骗类型,级别\n13800001112,fake_loan,low\n"
                .as_bytes()
                .to_vec(),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let t = inbox_titles(&app, &counselor).await;
    assert_eq!(t.len(), 2);
    assert!(t[1].starts_with("[Low"), "{t:?}");
    // Missed: the escalation reaches the college leader in Chinese.
    app.state.clock.advance_ms(11 * MIN);
    app.runner.run_until_idle().await.unwrap();
    let leader = format!("staff:{}", app.fx.staff["T1004"]);
    let t = inbox_titles(&app, &leader).await;
    assert!(
        t.iter()
            .any(|x| x.contains("预警升级") && x.contains(&format!("#{id}"))),
        "{t:?}"
    );
}

/// The page's CSV upload carries the form token as the multipart body's first part; a body without
/// it, or with it after the file, is refused before anything is read or written.
#[tokio::test]
pub(super) async fn the_batch_upload_page_takes_the_token_from_the_first_part_only() {
    use reqwest::multipart::{Form, Part};
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    let csrf = app.page_csrf(&c).await;
    let csv = "手机号,学号,诈骗类型,级别,情况,来源\n,2023010102,rebate_task,中,刷单,96110\n";
    let file = || Part::bytes(csv.as_bytes().to_vec()).file_name("w.csv");
    let post = |form: Form, path: &'static str| {
        let c = c.clone();
        let url = app.url(path);
        async move { c.post(url).multipart(form).send().await.unwrap() }
    };
    // Without the token, with it after the file, with a wrong one, or only in the URL: 403.
    let refused = [
        (Form::new().part("file", file()), "/warnings/batch"),
        (
            Form::new().part("file", file()).text("csrf", csrf.clone()),
            "/warnings/batch",
        ),
        (
            Form::new()
                .text("csrf", "x".repeat(csrf.len()))
                .part("file", file()),
            "/warnings/batch",
        ),
    ];
    for (form, path) in refused {
        let r = post(form, path).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    let in_url = c
        .post(app.url(&format!("/warnings/batch?csrf={csrf}")))
        .multipart(Form::new().part("file", file()))
        .send()
        .await
        .unwrap();
    assert_eq!(in_url.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 0);
    // The token first: the batch is issued.
    let r = post(
        Form::new().text("csrf", csrf.clone()).part("file", file()),
        "/warnings/batch",
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM warnings").await, 1);
    // The page's form sends the token as its first field, not in its address.
    let (_, html) = app.get(&c, "/warnings/issue").await;
    let form = html
        .split("<form")
        .find(|f| f.contains("action=\"/warnings/batch\""))
        .expect("batch form");
    assert!(
        form.contains(
            "multipart/form-data\" class=\"fz-narrow\"><input type=\"hidden\" name=\"csrf\""
        ),
        "{form}"
    );
    // No template puts the token into a form's address.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut stack = vec![dir];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for action in text.split("action=\"").skip(1) {
                seen += 1;
                let url = action.split('"').next().unwrap();
                assert!(!url.contains("csrf"), "{}: {url}", p.display());
            }
        }
    }
    assert!(seen > 20, "{seen}");
}

/// The police queue ("my warnings"): what reached the police level in their jurisdiction, and
/// what their own station issued and nobody closed yet, the longest waiting first.
#[tokio::test]
pub(super) async fn the_police_queue_shows_escalated_warnings_oldest_deadline_first() {
    let app = spawn_seeded().await;
    let ids = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|w| w["id"].as_i64().unwrap())
            .collect()
    };
    let p1 = police_token(&app).await;
    let p2 = app
        .token("police2", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let mine = |t: String| {
        let app = &app;
        async move {
            let r = app.api_get(&t, "/api/v1/warnings/mine").await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(ids(&mine(p1.clone()).await), Vec::<i64>::new());
    // A partner issues a warning about a student of station 1's school.
    let partner = app.token("partner1", &[Scope::WarningsWrite]).await;
    let r = post_json_key(
        &app,
        &partner,
        "/api/v1/warnings",
        warning("138-0000-1111", "high"),
        Some("q-1"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let first = count(&app, "SELECT MAX(id) FROM warnings").await;
    app.runner.run_until_idle().await.unwrap();
    // It waits for the school first: not yet the police's.
    assert_eq!(ids(&mine(p1.clone()).await), Vec::<i64>::new());
    // Nobody at the school acts: it climbs to the police level.
    for step in [11, 10, 120] {
        app.state.clock.advance_ms(step * MIN);
        app.runner.run_until_idle().await.unwrap();
    }
    assert_eq!(
        count(
            &app,
            &format!("SELECT level FROM warnings WHERE id = {first}")
        )
        .await,
        3
    );
    assert_eq!(ids(&mine(p1.clone()).await), vec![first]);
    // The police of another jurisdiction do not get it.
    assert_eq!(ids(&mine(p2.clone()).await), Vec::<i64>::new());
    // A newer warning of station 1 itself, with a later deadline, comes after it.
    let second = issue_zhangsan(&app, "high").await["id"].as_i64().unwrap();
    app.runner.run_until_idle().await.unwrap();
    assert_eq!(ids(&mine(p1.clone()).await), vec![first, second]);
    // The page shows both, the escalated one first.
    let c = app.login("police1").await;
    let (s, html) = app.get(&c, "/warnings").await;
    assert_eq!(s, StatusCode::OK);
    let at = |id: i64| html.find(&format!("id=\"warning-{id}\"")).expect("listed");
    assert!(at(first) < at(second), "{html}");
    assert!(!html.contains("warn-empty"));
    // Closed warnings leave the queue.
    let r = post_json_key(
        &app,
        &p1,
        &format!("/api/v1/warnings/{first}/outcome"),
        json!({"outcome": "not_fraud"}),
        None,
    )
    .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    assert_eq!(ids(&mine(p1.clone()).await), vec![second]);
    // A counselor's queue is unchanged by any of this: only the counselor's own class.
    let t = app.token("counselor4", &[Scope::WarningsRead]).await;
    assert_eq!(ids(&mine(t).await), Vec::<i64>::new());
}

//! Locks under parallel wrong passwords, one answer for every refused account, limits across restarts, safe redirects, the stored language.

use super::*;

#[tokio::test]
pub(super) async fn parallel_wrong_passwords_cannot_open_the_lock_for_the_right_one() {
    // 24 wrong passwords at once, then the right one 50 ms later: every attempt is counted before
    // its password is checked, so the right one finds the pair locked.
    let app = spawn_seeded().await;
    let mut forms = Vec::new();
    for _ in 0..25 {
        let c = client();
        let page = c.get(app.url("/login")).send().await.unwrap();
        let csrf = form_csrf(&page.text().await.unwrap());
        forms.push((c, csrf));
    }
    let right = forms.pop().unwrap();
    let send = |c: reqwest::Client, csrf: String, pw: &'static str, url: String| async move {
        c.post(url)
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "counselor1"),
                ("password", pw),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap()
            .status()
    };
    let mut wrong = Vec::new();
    for (c, csrf) in forms {
        wrong.push(tokio::spawn(send(
            c,
            csrf,
            "wrong-password",
            app.url("/login"),
        )));
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let right = tokio::spawn(send(right.0, right.1, PASSWORD, app.url("/login")));
    for h in wrong {
        assert_eq!(h.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        right.await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "signed in while locked"
    );
    assert_eq!(sessions(&app, "counselor1").await, 0);
    let locked = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM login_failures WHERE username = 'counselor1' AND locked_until > {}",
            app.state.clock.now_ms()
        ))
        .await;
    assert_eq!(locked, 1);
    // Once the lock ran out the right password works again.
    app.state
        .clock
        .advance_ms(app.state.config.lockout_minutes * 60_000 + 1);
    let r = app.submit_login(&client(), "counselor1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
pub(super) async fn a_lock_holds_one_address_and_never_refuses_the_right_password_from_another() {
    // Behind a trusted proxy, so each test request can come from the address it names.
    let app = spawn_app_with(
        |c| {
            c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            c.login_max_failures = 2;
        },
        true,
    )
    .await;
    let max = app.state.config.login_max_failures;
    let c = client();
    let attacker = "198.51.100.7";
    for _ in 0..max {
        let s = login_via_proxy(&app, &c, attacker, "student1", "wrong-password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // Locked for that address...
    let s = login_via_proxy(&app, &c, attacker, "student1", PASSWORD).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // ...but the student signs in from their own phone.
    let s = login_via_proxy(&app, &client(), "203.0.113.20", "student1", PASSWORD).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // Guessing from many addresses locks each address; the owner still gets in from a clean one
    // (the account-wide figure only slows answers down).
    for i in 0..2 {
        let addr = format!("198.51.100.{}", 20 + i);
        for _ in 0..max {
            login_via_proxy(&app, &client(), &addr, "student1", "wrong-password").await;
        }
    }
    let started = std::time::Instant::now();
    let s = login_via_proxy(&app, &client(), "203.0.113.21", "student1", PASSWORD).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "the account-wide figure slows answers down"
    );
    assert_eq!(sessions(&app, "student1").await, 2);
}

#[tokio::test]
pub(super) async fn unknown_locked_disabled_and_unactivated_accounts_get_one_identical_answer() {
    let app = spawn_seeded().await;
    let max = app.state.config.login_max_failures;
    // admin2 is locked (from this address), leader1 disabled, counselor3 has no password yet.
    for _ in 0..max {
        app.submit_login(&client(), "admin2", "wrong-password")
            .await;
    }
    sqlx::query("UPDATE accounts SET disabled = 1 WHERE username = 'leader1'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE accounts SET password_hash = '' WHERE username = 'counselor3'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let cases = [
        ("nobody-at-all", PASSWORD),
        ("counselor1", "wrong-password"),
        ("admin2", PASSWORD),
        ("leader1", PASSWORD),
        ("counselor3", PASSWORD),
    ];
    // Rounds interleave the cases, so whatever else the machine is doing disturbs each case alike;
    // each case keeps its fastest time, the least disturbed.
    let mut took = vec![std::time::Duration::MAX; cases.len()];
    let mut answers_seen = vec![None; cases.len()];
    // Five rounds: with the locking attempts above, as many as one address may make in a window.
    for _ in 0..5 {
        for (i, (user, pw)) in cases.iter().enumerate() {
            let c = client();
            let page = c.get(app.url("/login")).send().await.unwrap();
            let csrf = form_csrf(&page.text().await.unwrap());
            let started = std::time::Instant::now();
            let r = c
                .post(app.url("/login"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("username", *user),
                    ("password", *pw),
                ])
                .send()
                .await
                .unwrap();
            took[i] = took[i].min(started.elapsed());
            let status = r.status();
            answers_seen[i] = Some((status, login_error(&r.text().await.unwrap())));
        }
    }
    let answers: Vec<_> = cases
        .iter()
        .zip(answers_seen)
        .zip(took)
        .map(|(((user, _), a), t)| (*user, a.unwrap(), t))
        .collect();
    let first = &answers[0].1;
    assert_eq!(first.0, StatusCode::UNAUTHORIZED);
    for (user, answer, _) in &answers {
        assert_eq!(answer, first, "{user} is answered differently");
    }
    // The same hashing work on every path: each answer takes at least a good part of one
    // password check. The check's cost is the smaller of one measured here (fastest of five) and
    // the fastest wrong password for a real account; load only makes either slower, and without
    // the dummy hash an unknown username answers in well under a millisecond.
    let phc = fanzha::auth::password::hash_password("a-password-to-time");
    let measured = (0..5)
        .map(|_| {
            let started = std::time::Instant::now();
            assert!(!fanzha::auth::password::verify_password("another", &phc));
            started.elapsed()
        })
        .min()
        .unwrap();
    let one_check = measured.min(answers[1].2);
    for (user, _, took) in &answers {
        assert!(
            took.as_secs_f64() >= one_check.as_secs_f64() * 0.3,
            "{user}: {took:?} against {one_check:?} for one password check"
        );
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0);
}

#[tokio::test]
pub(super) async fn login_limits_survive_a_restart_and_hold_across_processes() {
    let a = spawn_app_with(
        |c| {
            c.login_max_failures = 2;
            c.login_attempts_per_ip = 5;
        },
        true,
    )
    .await;
    // Two wrong passwords on the first process lock the pair...
    for _ in 0..2 {
        let r = a.submit_login(&client(), "police1", "wrong-password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // ...and a second process (or the first after a restart: its memory is empty) honours it.
    let b = a.second_process().await;
    let r = b.submit_login(&client(), "police1", PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "lock lost across processes"
    );
    // The per-address window counts attempts made on both: 3 so far, 2 more allowed.
    let r = b
        .submit_login(&client(), "nobody", "x-wrong-password")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = a
        .submit_login(&client(), "nobody", "x-wrong-password")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = b.submit_login(&client(), "province1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = a.submit_login(&client(), "province1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.scalar("SELECT COUNT(*) FROM sessions").await, 0);
}

#[tokio::test]
pub(super) async fn next_goes_only_to_paths_of_this_site() {
    let app = spawn_seeded().await;
    let c = client();
    for (next, want) in [
        ("/%09/evil.example", "/"),
        ("/%0d%0aX:1", "/"),
        ("//evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("https://evil.example", "/"),
        ("/org%3Fx%3D1", "/org?x=1"),
        ("/org", "/org"),
    ] {
        let r = c
            .get(app.url(&format!("/lang?set=en&next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(r.headers()["location"], want, "{next}");
    }
    // After login, from the form and from the query of a signed-in visit to /login.
    let page = c
        .get(app.url("/login?next=/%09/evil.example"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"next\" value=\"/\""), "{html}");
    let csrf = form_csrf(&html);
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "counselor1"),
            ("password", PASSWORD),
            ("next", "/\t/evil.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    let r = c
        .get(app.url("/login?next=/%5C%5Cevil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");
    let r = c
        .get(app.url("/login?next=/org/unit/SCH1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/org/unit/SCH1");
}

#[tokio::test]
pub(super) async fn the_stored_language_changes_only_by_a_form_with_its_csrf_token() {
    let app = spawn_seeded().await;
    let locale = |app: &TestApp| {
        let id = app.fx.account("counselor1");
        let pool = app.state.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(&format!("SELECT locale FROM accounts WHERE id = {id}"))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let c = app.login("counselor1").await;
    // A link (or another site) can set this browser's cookie, never the account's setting.
    let r = c
        .get(app.url("/lang?set=en&next=/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(set_cookies(r.headers())
        .iter()
        .any(|c| c.starts_with("fz_lang=en")));
    assert_eq!(locale(&app).await, "zh-CN");
    // The switcher on every signed-in page is a form with the session's token.
    let (s, html) = app.get(&c, "/account").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("action=\"/lang\""), "{html}");
    assert!(html.contains("name=\"set\" value=\"en\""));
    let r = c
        .post(app.url("/lang"))
        .form(&[("set", "en"), ("next", "/account")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(locale(&app).await, "zh-CN");
    let csrf = meta_csrf(&html);
    let r = c
        .post(app.url("/lang"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("set", "en"),
            ("next", "/%0d%0aX:1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    assert_eq!(locale(&app).await, "en");
}

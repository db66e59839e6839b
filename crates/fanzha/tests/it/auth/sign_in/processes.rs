//! Logout, password change, disabling and role change reaching another process within seconds.

use super::*;

/// Steps both clocks by one second and asks the second process for a page.
pub(super) async fn tick_and_get(
    a: &TestApp,
    b: &TestApp,
    c: &reqwest::Client,
    path: &str,
) -> StatusCode {
    a.state.clock.advance_ms(1_000);
    b.state.clock.advance_ms(1_000);
    c.get(b.url(path)).send().await.unwrap().status()
}

/// Signs in with a client that keeps no cookies; returns the session cookie's value, which the
/// test then sends by hand (a browser's jar would drop it at logout; an attacker's would not).
pub(super) async fn session_cookie(app: &TestApp, username: &str) -> String {
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = raw.get(app.url("/login")).send().await.unwrap();
    let pre = set_cookies(page.headers())
        .into_iter()
        .find(|c| c.starts_with("fz_csrf="))
        .unwrap();
    let pre = pre.split(';').next().unwrap().to_string();
    let csrf = form_csrf(&page.text().await.unwrap());
    let r = raw
        .post(app.url("/login"))
        .header("cookie", &pre)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = set_cookies(r.headers())
        .into_iter()
        .find(|c| c.starts_with("fz_session="))
        .unwrap();
    session.split(';').next().unwrap().to_string()
}

/// GET with a session cookie sent by hand.
pub(super) async fn get_with(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
pub(super) async fn logout_on_one_process_ends_the_session_on_another_within_5_seconds_of_steady_use(
) {
    let a = spawn_seeded().await;
    let b = a.second_process().await;
    let cookie = session_cookie(&a, "police1").await;
    // Used on B once a second, B's copy of the session is always warm.
    let step = || async {
        a.state.clock.advance_ms(1_000);
        b.state.clock.advance_ms(1_000);
        get_with(&b, &cookie, "/account").await.status()
    };
    for _ in 0..3 {
        assert_eq!(step().await, StatusCode::OK);
    }
    let page = get_with(&a, &cookie, "/account").await;
    let csrf = meta_csrf(&page.text().await.unwrap());
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(a.url("/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A refuses at once; B within 5 s although the cookie keeps coming.
    assert_eq!(
        get_with(&a, &cookie, "/account").await.status(),
        StatusCode::SEE_OTHER
    );
    let mut refused_at = None;
    for second in 1..=8 {
        let s = step().await;
        if s != StatusCode::OK {
            assert_eq!(s, StatusCode::SEE_OTHER);
            refused_at = Some(second);
            break;
        }
    }
    let at = refused_at.expect("the other process still honours the session after 8 s");
    assert!(at <= 5, "refused only after {at} s");
}

#[tokio::test]
pub(super) async fn password_change_disable_and_role_change_reach_another_process_within_5_seconds()
{
    let a = spawn_seeded().await;
    let b = a.second_process().await;
    // Three sessions used on B: leader1 (will change password elsewhere), counselor1 (will be
    // disabled), admin1 (will lose the school admin role).
    let leader_b = a.login("leader1").await;
    let leader_a = a.login("leader1").await;
    let counselor = a.login("counselor1").await;
    let admin = a.login("admin1").await;
    for c in [&leader_b, &counselor] {
        assert_eq!(
            c.get(b.url("/account")).send().await.unwrap().status(),
            StatusCode::OK
        );
    }
    assert_eq!(c_status(&admin, &b, "/audit").await, StatusCode::OK);
    let csrf = a.page_csrf(&leader_a).await;
    let r = leader_a
        .post(a.url("/account/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("old_password", PASSWORD),
            ("new_password", "another-horse-43"),
            ("confirm", "another-horse-43"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    sqlx::query("UPDATE accounts SET disabled = 1 WHERE username = 'counselor1'")
        .execute(&a.state.db.pool)
        .await
        .unwrap();
    let admin_id = a.fx.account("admin1");
    sqlx::query(&format!(
        "DELETE FROM role_assignments WHERE account_id = {admin_id}"
    ))
    .execute(&a.state.db.pool)
    .await
    .unwrap();
    let (mut leader_ok, mut counselor_ok, mut admin_ok) = (true, true, true);
    for _ in 0..5 {
        leader_ok = tick_and_get(&a, &b, &leader_b, "/account").await == StatusCode::OK;
        counselor_ok = c_status(&counselor, &b, "/account").await == StatusCode::OK;
        admin_ok = c_status(&admin, &b, "/audit").await == StatusCode::OK;
    }
    assert!(!leader_ok, "a session ended by a password change lives on");
    assert!(!counselor_ok, "a disabled account's session lives on");
    assert!(!admin_ok, "a removed role still opens the audit log");
    // The leader's session that changed the password stays.
    assert_eq!(c_status(&leader_a, &b, "/account").await, StatusCode::OK);
}

pub(super) async fn c_status(c: &reqwest::Client, app: &TestApp, path: &str) -> StatusCode {
    c.get(app.url(path)).send().await.unwrap().status()
}

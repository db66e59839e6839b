//! CAS sign-in: activation, CAS 2, replayed and foreign tickets, people not on the roster or of another school, single logout, a school's settings, local passwords off, the picker.

use super::*;

#[tokio::test]
pub(super) async fn cas_first_sign_in_activates_the_roster_account_and_opens_a_session() {
    let (app, _cas, _) = with_cas().await;
    assert!(!activated(&app, "SCH1", "2023010102").await);
    let accounts = app.scalar("SELECT COUNT(*) FROM accounts").await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010102").await;
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/");
    assert!(activated(&app, "SCH1", "2023010102").await);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM accounts").await, accounts);
    let (s, page) = app.get(&c, "/account").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("2023010102@SCH1"),
        "signed in as the roster account"
    );
    let log = app.audit("auth.sso_login").await;
    assert_eq!(log.len(), 1);
    assert!(
        log[0].detail.contains("\"activated\":true"),
        "{}",
        log[0].detail
    );
    assert!(log[0].detail.contains("\"protocol\":\"cas\""));
    // A second sign-in does not activate again.
    let c2 = client();
    let back = cas_ticket_url(&app, &c2, "SCH1", "2023010102").await;
    assert_eq!(
        c2.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(app.audit("auth.sso_login").await[1]
        .detail
        .contains("\"activated\":false"));
}

#[tokio::test]
pub(super) async fn cas_2_uses_the_cas_user_when_no_attribute_is_named() {
    let app = spawn_seeded().await;
    let cas = TestCas::new("cas-pw");
    let (url, _task) = test_cas::start(cas.clone(), 0).await.unwrap();
    save(&app, "SCH1", cas_cfg(&url, CasVersion::V2, "")).await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023020101").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert!(activated(&app, "SCH1", "2023020101").await);
    // CAS 2.0 answers carry no attributes: a school that names one gets a refusal, not a guess.
    save(&app, "SCH1", cas_cfg(&url, CasVersion::V2, "studentNo")).await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010201").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert!(!activated(&app, "SCH1", "2023010201").await);
    assert_eq!(refusals(&app).await, ["cas_no_number_attribute"]);
}

#[tokio::test]
pub(super) async fn a_replayed_cas_ticket_is_refused() {
    let (app, _cas, _) = with_cas().await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010102").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let before = footprint(&app).await;
    // The same ticket again, from another browser.
    let other = client();
    let r = other.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r
        .headers()
        .get("set-cookie")
        .is_none_or(|v| !v.to_str().unwrap().starts_with("fz_session=")));
    assert_eq!(footprint(&app).await, before);
    assert_eq!(refusals(&app).await, ["cas_ticket_replayed"]);
}

#[tokio::test]
pub(super) async fn a_ticket_the_cas_server_already_took_is_refused() {
    let (app, cas, url) = with_cas().await;
    let service = app.url("/sso/cas/SCH1");
    let ticket = cas.issue("2023010102", &service);
    // Someone else validated it first (the CAS server answers a ticket once).
    let first = client()
        .get(format!("{url}/p3/serviceValidate"))
        .query(&[("service", service.as_str()), ("ticket", ticket.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(first.contains("authenticationSuccess"));
    let before = footprint(&app).await;
    let r = client()
        .get(format!("{service}?ticket={ticket}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(footprint(&app).await, before);
    assert!(!activated(&app, "SCH1", "2023010102").await);
    assert_eq!(refusals(&app).await, ["cas_invalid_ticket"]);
}

#[tokio::test]
pub(super) async fn a_ticket_issued_for_another_service_is_refused() {
    let (app, cas, _) = with_cas().await;
    let ticket = cas.issue("2023010102", "https://other-app.example.edu.cn/login");
    let before = footprint(&app).await;
    let r = client()
        .get(app.url(&format!("/sso/cas/SCH1?ticket={ticket}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(footprint(&app).await, before);
    assert!(!activated(&app, "SCH1", "2023010102").await);
    assert_eq!(refusals(&app).await, ["cas_invalid_service"]);
}

#[tokio::test]
pub(super) async fn a_person_not_on_the_roster_sees_whom_to_ask_and_nothing_is_created() {
    let (app, _cas, _) = with_cas().await;
    let before = footprint(&app).await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2099999999").await;
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"sso-refused\""), "{page}");
    assert!(page.contains("第一大学"), "names the school");
    assert!(page.contains("保卫处"), "says whom to ask: {page}");
    assert_eq!(footprint(&app).await, before);
    assert_eq!(refusals(&app).await, ["not_on_roster"]);
}

#[tokio::test]
pub(super) async fn a_schools_cas_never_signs_in_a_person_of_another_school() {
    let (app, _cas, _) = with_cas().await;
    let before = footprint(&app).await;
    // 孙八 is on SCH2's roster; SCH1's identity service vouches for that number.
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023510102").await;
    let r = c.get(&back).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!activated(&app, "SCH2", "2023510102").await);
    assert_eq!(footprint(&app).await, before);
    assert_eq!(refusals(&app).await, ["not_on_roster"]);
    // SCH2 has no identity service at all: its SSO routes do not exist.
    let r = client()
        .get(app.url("/sso/SCH2/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
pub(super) async fn a_graduated_person_is_refused_by_sso_too() {
    let (app, _cas, _) = with_cas().await;
    sqlx::query("UPDATE accounts SET roster_status = 'left' WHERE person_no = '2023010102'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let before = footprint(&app).await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010102").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(footprint(&app).await, before);
    assert_eq!(refusals(&app).await, ["not_current"]);
}

#[tokio::test]
pub(super) async fn cas_single_logout_ends_the_session_of_that_ticket() {
    let (app, _cas, _) = with_cas().await;
    let c = client();
    let back = cas_ticket_url(&app, &c, "SCH1", "2023010102").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get(&c, "/account").await.0, StatusCode::OK);
    let ticket = back.split("ticket=").nth(1).unwrap().to_string();
    let saml = format!(
        r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="LR-1" Version="2.0" IssueInstant="2025-03-01T00:00:00Z"><saml:NameID>@NOT_USED@</saml:NameID><samlp:SessionIndex>{ticket}</samlp:SessionIndex></samlp:LogoutRequest>"#
    );
    // An unknown ticket changes nothing (and answers the same).
    let r = reqwest::Client::new()
        .post(app.url("/sso/cas/SCH1"))
        .form(&[("logoutRequest", saml.replace(&ticket, "ST-unknown"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get(&c, "/account").await.0, StatusCode::OK);
    let r = reqwest::Client::new()
        .post(app.url("/sso/cas/SCH1"))
        .form(&[("logoutRequest", saml)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (s, _) = app.get(&c, "/account").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "signed out");
    assert_eq!(app.audit("auth.sso_logout").await.len(), 1);
}

// ---------------------------------------------------------------- settings and local passwords

#[tokio::test]
pub(super) async fn a_school_admin_configures_their_school_only_and_the_secret_is_never_shown() {
    let app = spawn_seeded().await;
    // Another school's admin and a counselor: 404; the police of the school's station see the
    // school but may not change it: 403. Nothing saved.
    for (who, status) in [
        ("admin2", StatusCode::NOT_FOUND),
        ("counselor1", StatusCode::NOT_FOUND),
        ("police1", StatusCode::FORBIDDEN),
    ] {
        let c = app.login(who).await;
        assert_eq!(
            app.get(&c, "/org/unit/SCH1/sign-in").await.0,
            status,
            "{who}"
        );
        let csrf = app.page_csrf(&c).await;
        let r = c
            .post(app.url("/org/unit/SCH1/sign-in"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("protocol", "cas"),
                ("server_url", "https://cas.evil.example/cas"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{who}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM school_sign_in").await, 0);
    assert!(!app.audit("access.denied").await.is_empty());

    let c = app.login("admin1").await;
    let (_, accounts) = app.get(&c, "/org/unit/SCH1/activation").await;
    assert!(
        accounts.contains("href=\"/org/unit/SCH1/sign-in\""),
        "linked from the accounts page"
    );
    let (s, page) = app.get(&c, "/org/unit/SCH1/sign-in").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("/sso/cas/SCH1"),
        "shows the service URL to register"
    );
    let csrf = app.page_csrf(&c).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = app.url("/org/unit/SCH1/sign-in");
        let csrf = csrf.clone();
        async move {
            let mut f = vec![("csrf", csrf)];
            f.extend(fields);
            let r = c.post(url).form(&f).send().await.unwrap();
            let s = r.status();
            (s, r.text().await.unwrap())
        }
    };
    // Bad input: 422, nothing saved.
    for bad in [
        vec![
            ("protocol", "cas".to_string()),
            ("server_url", "ftp://cas.example/cas".into()),
        ],
        vec![
            ("protocol", "cas".to_string()),
            ("server_url", "http://cas.example.edu.cn/cas".into()),
        ],
        vec![
            ("protocol", "cas".to_string()),
            ("server_url", "https://cas.example.edu.cn/cas".into()),
            ("number_attribute", "a b".into()),
        ],
        vec![
            ("protocol", "oidc".to_string()),
            ("server_url", "https://idp.example.edu.cn".into()),
            ("client_id", "fanzha".into()),
        ],
        vec![
            ("protocol", "saml".to_string()),
            ("server_url", "https://idp.example.edu.cn".into()),
        ],
    ] {
        let (s, _) = post(bad.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM school_sign_in").await, 0);
    // OIDC with a secret; the page never shows it back, a blank secret keeps it.
    let (s, page) = post(vec![
        ("protocol", "oidc".into()),
        (
            "server_url",
            "https://idp.example.edu.cn/realms/campus".into(),
        ),
        ("client_id", "fanzha".into()),
        ("client_secret", "s3cret-Value-123".into()),
        ("number_attribute", "student_no".into()),
    ])
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(!page.contains("s3cret-Value-123"));
    let (s, page) = post(vec![
        ("protocol", "oidc".into()),
        (
            "server_url",
            "https://idp.example.edu.cn/realms/campus".into(),
        ),
        ("client_id", "fanzha".into()),
        ("client_secret", "".into()),
        ("number_attribute", "student_no".into()),
    ])
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let cfg = sso_store::school_sign_in(&app.state.db, app.fx.unit("SCH1").id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cfg.client_secret.expose(), "s3cret-Value-123");
    assert!(!cfg.local_passwords, "the box was not ticked");
    assert!(
        !format!("{cfg:?}").contains("s3cret"),
        "Debug hides the secret"
    );
    let log = app.audit("auth.sign_in_configured").await;
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|l| !l.detail.contains("s3cret")));
}

#[tokio::test]
pub(super) async fn with_local_passwords_off_only_school_admins_sign_in_with_a_password() {
    let (app, _cas, url) = with_cas().await;
    save(
        &app,
        "SCH1",
        SchoolSignIn {
            local_passwords: false,
            ..cas_cfg(&url, CasVersion::V3, "studentNo")
        },
    )
    .await;
    let c = client();
    let r = app.submit_login(&c, "student1", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The school admin keeps a break-glass sign-in; another school is unaffected.
    app.login("admin1").await;
    app.login("student3").await;
    let log = app.audit("auth.login_failed").await;
    assert!(log.iter().any(|l| l.detail.contains("local_passwords_off")));
    // The login page of the school folds the form away for administrators, under the SSO button.
    let (s, page) = app.get(&client(), "/login?school=SCH1").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"sso-start\""));
    assert!(page.contains("id=\"local-login\""));
}

#[tokio::test]
pub(super) async fn the_login_page_offers_a_picker_and_each_schools_button() {
    let (app, _cas, _) = with_cas().await;
    let (_, page) = app.get(&client(), "/login").await;
    assert!(page.contains("id=\"school-picker\""));
    assert!(page.contains("value=\"SCH1\""));
    assert!(
        !page.contains("value=\"SCH2\""),
        "only schools with an identity service"
    );
    let (_, page) = app.get(&client(), "/login?school=SCH1").await;
    assert!(page.contains("href=\"/sso/SCH1/start?next=/\""));
    // The language links come back to the same school.
    assert!(page.contains("next=/login%3Fschool%3DSCH1"));
    let r = client()
        .get(app.url("/lang?set=en&next=/login%3Fschool%3DSCH1"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/login?school=SCH1");
    assert!(page.contains("id=\"login-submit\""), "local form stays");
    assert!(!page.contains("sso-test-marker"));
    let (_, page) = app.get(&client(), "/login?school=SCH2").await;
    assert!(!page.contains("sso-start"));
}

#[tokio::test]
pub(super) async fn a_reset_password_locks_the_session_until_a_new_one_is_set() {
    let app = spawn_seeded().await;
    let admin = app.login("admin1").await;
    let csrf = app.page_csrf(&admin).await;
    let r = admin
        .post(app.url("/org/unit/SCH1/activation/reset"))
        .form(&[("csrf", csrf.as_str()), ("person_no", "2023010101")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let temporary = between(&page, "id=\"reset-password\">", "<").unwrap();
    let c = client();
    let r = app.submit_login(&c, "student1", &temporary).await;
    assert_eq!(location(&r), "/account?must_change=1");
    // Every other page leads back; every API call is refused.
    for path in ["/", "/reports/new", "/inbox", "/intel/check"] {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), "/account?must_change=1", "{path}");
    }
    let r = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let csrf = app.page_csrf(&c).await;
    let r = c
        .post(app.url("/account/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("old_password", temporary.as_str()),
            ("new_password", "a-new-Passw0rd-here"),
            ("confirm", "a-new-Passw0rd-here"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get(&c, "/").await.0, StatusCode::OK, "free again");
    assert_eq!(
        c.get(app.url("/api/v1/me")).send().await.unwrap().status(),
        StatusCode::OK
    );
}

// ---------------------------------------------------------------- OpenID Connect provider

/// What the provider puts into (or does to) the next ID token.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Forge {
    Good,
    AlgNone,
    WrongKid,
    OtherKey,
    WrongAud,
    WrongIss,
    Expired,
    WrongNonce,
}

//! Accounts that follow the roster and activation codes: an import creates accounts that cannot
//! sign in; counselors, unit leaders and school admins issue codes in their scope only; a person
//! activates with number and code, sets a password under the policy and is signed in; every bad
//! code and unknown number gets one answer, limited per address and per number; roster statuses
//! disable, pause and re-enable accounts; exactly one of two parallel activations wins.

use crate::common::*;
use fanzha::auth::model::Scope;
use fanzha::org::roster::RosterKind;
use fanzha::org::service as org_service;
use reqwest::{Client, StatusCode};

const STRONG: &str = "青山绿水-Blue-River-77";

/// Issues codes through the API as `username`; returns (status, JSON answer).
async fn issue(
    app: &TestApp,
    username: &str,
    unit: &str,
    body: &str,
) -> (StatusCode, serde_json::Value) {
    let t = app.token(username, &[Scope::OrgWrite]).await;
    let r = client()
        .post(app.url(&format!("/api/v1/units/{unit}/activation-codes")))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// The code issued to one person (by a school admin).
async fn code_for(app: &TestApp, no: &str) -> String {
    let (s, v) = issue(
        app,
        "admin1",
        "SCH1",
        &format!(r#"{{"person_nos":["{no}"]}}"#),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let v = v.as_array().unwrap();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["person_no"], no);
    v[0]["code"].as_str().unwrap().to_string()
}

/// Submits the activation form for school SCH1 from a fresh client; returns the client (signed in
/// on success), the status and the page.
async fn activate(
    app: &TestApp,
    no: &str,
    code: &str,
    password: &str,
) -> (Client, StatusCode, String) {
    activate_with(app, client(), no, code, password).await
}

async fn activate_with(
    app: &TestApp,
    c: Client,
    no: &str,
    code: &str,
    password: &str,
) -> (Client, StatusCode, String) {
    let r = c
        .get(app.url("/lang?set=en&next=/activate"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, page) = app.get(&c, "/activate?school=SCH1").await;
    assert_eq!(s, StatusCode::OK);
    let csrf = form_csrf(&page);
    let r = c
        .post(app.url("/activate"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("school", "SCH1"),
            ("person_no", no),
            ("code", code),
            ("password", password),
            ("confirm", password),
        ])
        .send()
        .await
        .unwrap();
    let s = r.status();
    let body = r.text().await.unwrap();
    (c, s, body)
}

fn error_of(page: &str) -> String {
    between(page, "id=\"activate-error\">", "</p>").unwrap_or_default()
}

async fn import_students(app: &TestApp, csv: &str) {
    let org = app.fx.unit("SCH1").clone();
    org_service::import_roster(
        &app.state.db,
        &app.state.clock,
        &org,
        csv.as_bytes(),
        Some(RosterKind::Students),
    )
    .await
    .expect("import");
}

#[tokio::test]
async fn an_import_creates_accounts_that_cannot_sign_in() {
    let app = spawn_seeded().await;
    // Six students and seven staff on the two rosters; every one has exactly one account.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE person_kind = 'student'")
            .await,
        6
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE person_kind = 'staff'")
            .await,
        7
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM (SELECT student_id FROM accounts WHERE student_id IS NOT NULL GROUP BY student_id HAVING COUNT(*) > 1) x")
            .await,
        0
    );
    // 李四 was imported and not activated: no password works.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE person_no = '2023010102' AND activated_at IS NULL AND password_hash = ''")
            .await,
        1
    );
    for pw in ["", PASSWORD, "anything-at-all"] {
        let r = app.submit_login(&client(), "2023010102@SCH1", pw).await;
        assert_ne!(r.status(), StatusCode::SEE_OTHER);
    }
    // The ready-made accounts linked to roster people keep working.
    app.login("student1").await;
    app.login("counselor1").await;
}

#[tokio::test]
async fn codes_by_each_role_in_scope_and_404_outside() {
    let app = spawn_seeded().await;
    // Counselor of CLS1A1: 李四 is the only one not activated there (张三 is student1).
    let (s, v) = issue(&app, "counselor1", "CLS1A1", "").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let nos: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person_no"].as_str().unwrap())
        .collect();
    assert_eq!(nos, ["2023010102"]);
    let c = &v[0];
    assert_eq!(c["name"], "李四");
    let code = c["code"].as_str().unwrap();
    assert_eq!(code.len(), 14, "{code}");
    assert_eq!(c["expires_at"], START_MS + 14 * 86_400_000);
    // Only a hash is stored.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM activation_codes WHERE code_hash LIKE '%{}%'",
            code.replace('-', "")
        ))
        .await,
        0
    );
    // Outside their classes: another class, the college, another school.
    for unit in ["CLS1B1", "COL1A", "SCH2"] {
        let (s, _) = issue(&app, "counselor1", unit, "").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{unit}");
    }
    // Unit leader: the college (王五 of CLS1A2 and 李四), not the other college.
    let (s, v) = issue(&app, "leader1", "COL1A", "").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 2, "{v}");
    assert_eq!(
        issue(&app, "leader1", "COL1B", "").await.0,
        StatusCode::NOT_FOUND
    );
    // School admin: the whole school, staff included; narrowed to given numbers.
    let (s, v) = issue(&app, "admin1", "SCH1", "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(v.as_array().unwrap().len() >= 2, "{v}");
    let (s, v) = issue(&app, "admin1", "SCH1", r#"{"person_nos":["2023010201"]}"#).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(
        issue(&app, "admin1", "SCH2", "").await.0,
        StatusCode::NOT_FOUND
    );
    // Bad body: 400, nothing issued.
    let before = app.scalar("SELECT COUNT(*) FROM activation_codes").await;
    assert_eq!(
        issue(&app, "admin1", "SCH1", r#"{"nope":1}"#).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activation_codes").await,
        before
    );
    // Police have no say over activation.
    assert_ne!(issue(&app, "police1", "SCH1", "").await.0, StatusCode::OK);
    // Refusals are audited.
    assert!(!app.audit("access.denied").await.is_empty());
    assert!(!app.audit("activation.codes_issued").await.is_empty());
}

#[tokio::test]
async fn activation_signs_in_and_the_password_works_afterwards() {
    let app = spawn_seeded().await;
    let code = code_for(&app, "2023010102").await;
    // Typed in lower case with spaces: the same code.
    let typed = code.to_lowercase().replace('-', " ");
    let (c, s, page) = activate(&app, "2023010102", &typed, STRONG).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    let (s, home) = app.get(&c, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(home.contains("李四"), "signed in as the person");
    // Later sign-ins use number@school.
    app.login_with("2023010102@SCH1", STRONG).await;
    assert!(!app.audit("auth.activated").await.is_empty());
    // The code is used up.
    let (_, s, page) = activate(&app, "2023010102", &code, STRONG).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(&page).contains("do not match"), "{page}");
}

#[tokio::test]
async fn every_bad_code_and_unknown_number_gets_the_same_answer() {
    let app = spawn_seeded().await;
    // Wrong code.
    let _live = code_for(&app, "2023010102").await;
    let (_, s1, p1) = activate(&app, "2023010102", "ABCD-EFGH-JKMN", STRONG).await;
    // Revoked: a newer code was issued.
    let old = code_for(&app, "2023010201").await;
    let expiring = code_for(&app, "2023010201").await;
    let (_, s2, p2) = activate(&app, "2023010201", &old, STRONG).await;
    // Expired (the newer code, 15 days later).
    app.state.clock.advance_ms(15 * 86_400_000);
    let (_, s3, p3) = activate(&app, "2023010201", &expiring, STRONG).await;
    // Unknown number; a number of another school; not a code at all.
    let (_, s4, p4) = activate(&app, "2099999999", "ABCD-EFGH-JKMN", STRONG).await;
    let (_, s5, p5) = activate(&app, "2023510102", "ABCD-EFGH-JKMN", STRONG).await;
    let (_, s6, p6) = activate(&app, "2023010102", "x", STRONG).await;
    // Used.
    let fresh = code_for(&app, "2023010102").await;
    let (_, ok, _) = activate(&app, "2023010102", &fresh, STRONG).await;
    assert_eq!(ok, StatusCode::SEE_OTHER);
    let (_, s7, p7) = activate(&app, "2023010102", &fresh, STRONG).await;
    let first = error_of(&p1);
    assert!(!first.is_empty());
    for (s, p) in [
        (s1, &p1),
        (s2, &p2),
        (s3, &p3),
        (s4, &p4),
        (s5, &p5),
        (s6, &p6),
        (s7, &p7),
    ] {
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error_of(p), first);
    }
    // Nothing was activated by them.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE person_no IN ('2023010201', '2023510102') AND activated_at IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn the_password_policy_is_enforced_and_keeps_the_code() {
    let app = spawn_seeded().await;
    let code = code_for(&app, "2023010102").await;
    for (pw, says) in [
        ("short", "at least"),
        ("my2023010102pw", "number"),
        ("Password123", "too common"),
    ] {
        let (_, s, page) = activate(&app, "2023010102", &code, pw).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{pw}");
        assert!(error_of(&page).contains(says), "{pw}: {}", error_of(&page));
    }
    let (_, s, _) = activate(&app, "2023010102", &code, STRONG).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "the code survived the refusals");
}

#[tokio::test]
async fn attempts_are_limited_per_number_and_per_address() {
    let app = spawn_app_with(
        |c| {
            c.login_max_failures = 3;
            c.login_attempts_per_ip = 8;
        },
        true,
    )
    .await;
    let code = code_for(&app, "2023010102").await;
    for _ in 0..3 {
        let (_, s, _) = activate(&app, "2023010102", "ABCD-EFGH-JKMN", STRONG).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The number is locked: even the right code is refused now.
    let (_, s, _) = activate(&app, "2023010102", &code, STRONG).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // Other numbers from the same address, until the address limit.
    let mut statuses = Vec::new();
    for i in 0..5 {
        let (_, s, _) = activate(&app, &format!("20990000{i:02}"), "ABCD-EFGH-JKMN", STRONG).await;
        statuses.push(s);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // After the lock and the window, the right code works.
    app.state.clock.advance_ms(16 * 60_000);
    let (_, s, _) = activate(&app, "2023010102", &code, STRONG).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn graduation_disables_and_ends_sessions_and_tokens_and_a_return_re_enables() {
    let app = spawn_seeded().await;
    let code = code_for(&app, "2023010102").await;
    let (c, s, _) = activate(&app, "2023010102", &code, STRONG).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let token = app.token("2023010102@SCH1", &[Scope::InboxRead]).await;
    assert_eq!(
        app.api_get(&token, "/api/v1/me").await.status(),
        StatusCode::OK
    );
    // 张三 (student1) suspended, 李四 graduated; 王五 and 赵六 absent from this partial file.
    import_students(
        &app,
        "学号,姓名,班级代码,状态\n2023010101,张三,CLS1A1,休学\n2023010102,李四,CLS1A1,毕业\n",
    )
    .await;
    app.state.clock.advance_ms(6_000);
    let (s, _) = app.get(&c, "/").await;
    assert_ne!(s, StatusCode::OK, "the session ended");
    assert_eq!(
        app.api_get(&token, "/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_ne!(
        app.submit_login(&client(), "2023010102@SCH1", STRONG)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_ne!(
        app.submit_login(&client(), "student1", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "suspended: paused"
    );
    // Absent people are unchanged; nothing was deleted.
    app.login("student2").await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE person_kind = 'student'")
            .await,
        6
    );
    // Both return.
    import_students(
        &app,
        "学号,姓名,班级代码,状态\n2023010101,张三,CLS1A1,在读\n2023010102,李四,CLS1A1,在读\n",
    )
    .await;
    app.login_with("2023010102@SCH1", STRONG).await;
    app.login("student1").await;
    // A revoked token stays revoked.
    assert_eq!(
        app.api_get(&token, "/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn staff_leaving_disables_their_account() {
    let app = spawn_seeded().await;
    let org = app.fx.unit("SCH1").clone();
    org_service::import_roster(
        &app.state.db,
        &app.state.clock,
        &org,
        "工号,姓名,单位代码,状态\nT1002,林老师,COL1B,离职\n".as_bytes(),
        Some(RosterKind::Staff),
    )
    .await
    .expect("staff import");
    assert_ne!(
        app.submit_login(&client(), "counselor2", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    app.login("counselor1").await;
    // A bad status refuses the whole file.
    let err = org_service::import_roster(
        &app.state.db,
        &app.state.clock,
        &org,
        "工号,姓名,单位代码,状态\nT1002,林老师,COL1B,跑路\n".as_bytes(),
        Some(RosterKind::Staff),
    )
    .await;
    assert!(err.is_err());
}

#[tokio::test]
async fn of_two_parallel_activations_with_one_code_exactly_one_wins() {
    let app = spawn_seeded().await;
    let code = code_for(&app, "2023010102").await;
    let (a, b) = tokio::join!(
        activate(&app, "2023010102", &code, STRONG),
        activate(&app, "2023010102", &code, "另一个-Password-99"),
    );
    let wins = [a.1, b.1]
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(wins, 1, "{:?} {:?}", a.1, b.1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM activation_codes WHERE used_at IS NOT NULL")
            .await,
        1
    );
}

#[tokio::test]
async fn the_accounts_page_counts_and_prints_a_sheet_with_a_qr_code() {
    let app = spawn_seeded().await;
    let c = app.login("counselor1").await;
    let (s, page) = app.get(&c, "/org/unit/CLS1A1/activation").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("data-state=\"activated\">1<"), "{page}");
    assert!(page.contains("data-state=\"not-activated\">1<"), "{page}");
    assert!(page.contains("李四"));
    let (s, _) = app.get(&c, "/org/unit/CLS1B1/activation").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let csrf = meta_csrf(&page);
    let r = c
        .post(app.url("/org/unit/CLS1A1/activation-codes"))
        .form(&[("csrf", csrf.as_str()), ("format", "sheet")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let sheet = r.text().await.unwrap();
    assert!(sheet.contains("<svg"), "QR code");
    assert!(sheet.contains("/activate?school=SCH1"));
    assert!(sheet.contains("李四") && sheet.contains("2023010102"));
    let code = between(&sheet, "class=\"fz-sheet-code\">", "<").unwrap();
    assert!(!sheet.contains("code="), "the link carries no code");
    let (_, s, _) = activate(&app, "2023010102", &code, STRONG).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // CSV through the one CSV writer.
    let r = c
        .post(app.url("/org/unit/COL1A/activation-codes"))
        .form(&[("csrf", csrf.as_str()), ("format", "csv")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "the college is not theirs"
    );
    let a = app.login("admin1").await;
    let (_, page) = app.get(&a, "/org/unit/SCH1/activation").await;
    let csrf = meta_csrf(&page);
    let r = a
        .post(app.url("/org/unit/CLS1A2/activation-codes"))
        .form(&[("csrf", csrf.as_str()), ("format", "csv")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("2023010201") && text.contains("王五"),
        "{text}"
    );
}

#[tokio::test]
async fn the_demo_has_roster_accounts_and_a_half_activated_class() {
    let app = spawn_app().await;
    let scale = fanzha::demo::Scale::parse("school").unwrap();
    fanzha::demo::seed(&app.state.db, &app.state.clock, scale)
        .await
        .expect("demo");
    // Every demo student has exactly one account, keyed by school and number.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE person_kind = 'student'")
            .await,
        app.count_students().await
    );
    let pending = app
        .scalar(
            "SELECT COUNT(*) FROM accounts WHERE person_kind = 'student' AND activated_at IS NULL",
        )
        .await;
    let class_size = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM students WHERE class_id = (SELECT class_id FROM students WHERE student_no = '{}')",
            fanzha::demo::FIRST_STUDENT
        ))
        .await;
    assert!(
        pending > 0 && pending * 2 <= class_size + 1,
        "{pending} of {class_size}"
    );
    // The ready-made logins keep working.
    for user in [
        fanzha::demo::FIRST_STUDENT,
        "s001-admin",
        "s001-c01-2023",
        "police1",
    ] {
        app.login_with(user, fanzha::demo::DEMO_PASSWORD).await;
    }
}

#[tokio::test]
async fn the_counselor_home_shows_each_class_activation_and_who_is_missing() {
    let app = spawn_seeded().await;
    let c = app.login("counselor1").await;
    let (s, home) = app.get(&c, "/").await;
    assert_eq!(s, StatusCode::OK);
    let panel = between(&home, "id=\"class-activation\"", "</article>").expect("panel");
    assert!(panel.contains("计科2301"), "{panel}");
    assert!(
        panel.contains("1 / 2") || panel.contains("2 人中 1 人已激活"),
        "{panel}"
    );
    assert!(panel.contains("李四") && !panel.contains("张三"), "{panel}");
    // After 李四 activates, nobody is missing.
    let code = code_for(&app, "2023010102").await;
    activate(&app, "2023010102", &code, STRONG).await;
    let (_, home) = app.get(&c, "/").await;
    let panel = between(&home, "id=\"class-activation\"", "</article>").expect("panel");
    assert!(!panel.contains("李四"), "{panel}");
    // Other roles have no such panel.
    let (_, home) = app.get(&app.login("police1").await, "/").await;
    assert!(!home.contains("class-activation"));
    // The unit page links the accounts page for those who may issue codes.
    let (_, unit) = app.get(&c, "/org/unit/CLS1A1").await;
    assert!(unit.contains("/org/unit/CLS1A1/activation"));
}

#[tokio::test]
async fn a_reset_password_must_be_changed_at_the_next_sign_in() {
    let app = spawn_seeded().await;
    let code = code_for(&app, "2023010102").await;
    let (student, s, _) = activate(&app, "2023010102", &code, STRONG).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let c = app.login("counselor1").await;
    let (_, page) = app
        .get(&c, "/org/unit/CLS1A1/activation?show=activated")
        .await;
    let csrf = meta_csrf(&page);
    // Someone of another class: refused like a stranger.
    let r = c
        .post(app.url("/org/unit/CLS1A1/activation/reset"))
        .form(&[("csrf", csrf.as_str()), ("person_no", "2023020101")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .post(app.url("/org/unit/CLS1B1/activation/reset"))
        .form(&[("csrf", csrf.as_str()), ("person_no", "2023020101")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = c
        .post(app.url("/org/unit/CLS1A1/activation/reset"))
        .form(&[("csrf", csrf.as_str()), ("person_no", "2023010102")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    let temporary = between(&page, "id=\"reset-password\">", "<").expect("temporary password");
    assert!(!app.audit("auth.password_reset").await.is_empty());
    // The old session and the old password are gone.
    app.state.clock.advance_ms(6_000);
    assert_ne!(app.get(&student, "/").await.0, StatusCode::OK);
    assert_ne!(
        app.submit_login(&client(), "2023010102@SCH1", STRONG)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // The temporary one signs in onto the password form.
    let r = app
        .submit_login(&client(), "2023010102@SCH1", &temporary)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        "/account?must_change=1"
    );
}

#[tokio::test]
async fn the_gap_finder_lists_never_activated_students_as_a_gap_of_their_own() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::CampaignsRead]).await;
    let gaps = |t: String| {
        let app = &app;
        async move {
            let r = app
                .api_get(&t, "/api/v1/campaigns/gaps?unit=SCH1&days=30")
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let v = gaps(t.clone()).await;
    // 李四 and 王五 never activated (the other two SCH1 students have ready-made logins).
    assert_eq!(v["never_activated_total"], 2, "{v}");
    let nos: Vec<&str> = v["never_activated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["student_no"].as_str().unwrap())
        .collect();
    assert_eq!(nos, ["2023010102", "2023010201"]);
    assert_ne!(v["never_activated"][0]["name"], "李四", "names are masked");
    let code = code_for(&app, "2023010102").await;
    activate(&app, "2023010102", &code, STRONG).await;
    let v = gaps(t).await;
    assert_eq!(v["never_activated_total"], 1, "{v}");
}

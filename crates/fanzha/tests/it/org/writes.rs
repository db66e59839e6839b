//! Org and account writes: creating units (API and page) and staff accounts (the page grants a
//! role, police included). Happy path, bad input (a clear 4xx and nothing written, by row
//! counts) and the roles that must be refused, as docs/API.md and `auth::policy` say: school
//! admins manage units and accounts inside their school, province admins inside their
//! province; counselors, unit leaders, police, students and partners manage neither.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// What a refused write must leave as it was: units, accounts, role grants, audit of writes.
async fn snapshot(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.scalar("SELECT COUNT(*) FROM units").await,
        app.scalar("SELECT COUNT(*) FROM accounts").await,
        app.scalar("SELECT COUNT(*) FROM role_assignments").await,
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('org.unit_created', 'account.created')",
        )
        .await,
    )
}

async fn english(app: &TestApp, c: &Client) {
    let r = c.get(app.url("/lang?set=en&next=/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn post_unit(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    client()
        .post(app.url("/api/v1/units"))
        .bearer_auth(token)
        .header("cookie", "fz_lang=en")
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Posts the "new child unit" form of `parent` as `c`; returns status and body.
async fn page_child(
    app: &TestApp,
    c: &Client,
    parent: &str,
    kind: &str,
    code: &str,
    name: &str,
) -> (StatusCode, String) {
    let csrf = app.page_csrf(c).await;
    let r = c
        .post(app.url(&format!("/org/unit/{parent}/children")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", kind),
            ("code", code),
            ("name", name),
        ])
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

/// Posts the "new account" form of `unit` as `c`; returns status and body.
async fn page_account(
    app: &TestApp,
    c: &Client,
    unit: &str,
    fields: [(&str, &str); 5],
) -> (StatusCode, String) {
    let csrf = app.page_csrf(c).await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend(fields);
    let r = c
        .post(app.url(&format!("/org/unit/{unit}/accounts")))
        .form(&form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

fn account(username: &str, role: &str, unit: &str, staff_no: &str) -> [(&'static str, String); 5] {
    [
        ("username", username.to_string()),
        ("display_name", format!("{username} 测试")),
        ("role", role.to_string()),
        ("unit", unit.to_string()),
        ("staff_no", staff_no.to_string()),
    ]
}

fn fields<'a>(a: &'a [(&'static str, String); 5]) -> [(&'static str, &'a str); 5] {
    [
        (a[0].0, a[0].1.as_str()),
        (a[1].0, a[1].1.as_str()),
        (a[2].0, a[2].1.as_str()),
        (a[3].0, a[3].1.as_str()),
        (a[4].0, a[4].1.as_str()),
    ]
}

#[tokio::test]
async fn units_are_created_by_api_and_page_with_bad_input_and_roles_refused() {
    let app = spawn_seeded().await;
    let admin = app
        .token("admin1", &[Scope::OrgRead, Scope::OrgWrite])
        .await;
    // Happy path, API: a class under a college of the admin's school.
    let before = snapshot(&app).await;
    let r = post_unit(
        &app,
        &admin,
        json!({"parent_code": "COL1A", "kind": "class", "code": "CLS1A9", "name": "计科2309"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "CLS1A9", "{v}");
    let path: String = sqlx::query_scalar("SELECT path FROM units WHERE code = 'CLS1A9'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(path.starts_with(&app.fx.unit("COL1A").path), "{path}");
    let after = snapshot(&app).await;
    assert_eq!((after.0, after.3), (before.0 + 1, before.3 + 1));
    let created = app.audit("org.unit_created").await;
    assert_eq!(created.last().unwrap().actor, "admin1");
    assert_eq!(created.last().unwrap().target_id, "CLS1A9");

    // Bad input, API: 422 with the reason, nothing written.
    let before = snapshot(&app).await;
    for (body, code) in [
        (
            json!({"parent_code": "COL1A", "kind": "galaxy", "code": "X1", "name": "x"}),
            "org-err-kind",
        ),
        (
            json!({"parent_code": "COL1A", "kind": "class", "code": "bad code!", "name": "x"}),
            "org-err-code",
        ),
        (
            json!({"parent_code": "COL1A", "kind": "class", "code": "X2", "name": "  "}),
            "org-err-name",
        ),
        (
            json!({"parent_code": "COL1A", "kind": "class", "code": "CLS1A1", "name": "dup"}),
            "org-err-code-taken",
        ),
        (
            json!({"parent_code": "COL1A", "kind": "school", "code": "X3", "name": "x"}),
            "org-err-nesting",
        ),
        (
            json!({"parent_code": "NOPE", "kind": "class", "code": "X4", "name": "x"}),
            "org-err-parent",
        ),
    ] {
        let (status, got, message, _) =
            api_error(post_unit(&app, &admin, body.clone()).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(got, code, "{body}");
        assert!(!message.is_empty());
    }
    // A JSON body that is not a unit at all.
    let r = client()
        .post(app.url("/api/v1/units"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"kind\": 3")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert_eq!(snapshot(&app).await, before, "refused input wrote nothing");

    // Refused roles, API: no root units for anyone; no units outside the caller's grant.
    let good =
        json!({"parent_code": "COL1A", "kind": "class", "code": "CLS1A8", "name": "计科2308"});
    let root = json!({"kind": "province", "code": "P9", "name": "新省"});
    let (status, _, _, _) = api_error(post_unit(&app, &admin, root).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "roots come from the CLI");
    let read_only = app.token("admin1", &[Scope::OrgRead]).await;
    let (status, _, _, details) = api_error(post_unit(&app, &read_only, good.clone()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        details.iter().any(|d| d.contains("org:write")),
        "{details:?}"
    );
    // Roles that may never use `org:write` cannot carry it on a token at all (403 at the scope
    // check); a counselor may (for activation codes) but COL1A lies above the class, unseen (404);
    // the college's leader sees COL1A and is refused (403); a school admin of another school does
    // not even see it (404).
    for (user, want) in [
        ("counselor1", StatusCode::NOT_FOUND),
        ("leader1", StatusCode::FORBIDDEN),
        ("police1", StatusCode::FORBIDDEN),
        ("admin2", StatusCode::NOT_FOUND),
        ("student1", StatusCode::FORBIDDEN),
        ("partner1", StatusCode::FORBIDDEN),
    ] {
        let t = app.token(user, &[Scope::OrgRead, Scope::OrgWrite]).await;
        let r = post_unit(&app, &t, good.clone()).await;
        assert_eq!(r.status(), want, "{user}");
    }
    assert_eq!(snapshot(&app).await, before, "refused roles wrote nothing");
    // Refusals that reached the policy are audited; tokens without the scope stop before it.
    let denied = app.audit("access.denied").await.len();
    assert!(denied >= 1, "access.denied rows: {denied}");

    // The province admin creates a station in its province.
    let t = app
        .token("province1", &[Scope::OrgRead, Scope::OrgWrite])
        .await;
    let r = post_unit(
        &app,
        &t,
        json!({"parent_code": "C1", "kind": "police_station", "code": "ST9", "name": "城北派出所"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(snapshot(&app).await.0, before.0 + 1);

    // The page: the admin adds a college to the school; bad input shows the reason with 422.
    let c = app.login("admin1").await;
    english(&app, &c).await;
    let before = snapshot(&app).await;
    let (status, _) = page_child(&app, &c, "SCH1", "college", "COL1C", "物理学院").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, body) = app.get(&c, "/org/unit/SCH1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("物理学院"));
    assert_eq!(snapshot(&app).await.0, before.0 + 1);
    let before = snapshot(&app).await;
    for (kind, code, name, text) in [
        ("class", "COL1C", "重复", "That unit code is taken"),
        (
            "province",
            "PX",
            "省",
            "A unit of this kind cannot sit under that parent",
        ),
        ("college", "", "无代码", "A unit code has letters"),
        ("nebula", "NB1", "x", "Unknown unit kind"),
    ] {
        let (status, body) = page_child(&app, &c, "SCH1", kind, code, name).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind} {code}");
        assert!(
            body.contains(text),
            "{kind} {code}: no {text:?} on the page"
        );
    }
    assert_eq!(snapshot(&app).await, before, "refused forms wrote nothing");
    // Refused roles on the page: a counselor and the police see the unit but may not add to it;
    // the other school's admin does not even learn it exists.
    for (user, parent, want) in [
        ("counselor1", "CLS1A1", StatusCode::FORBIDDEN),
        ("police1", "SCH1", StatusCode::FORBIDDEN),
        ("admin2", "SCH1", StatusCode::NOT_FOUND),
    ] {
        let c = app.login(user).await;
        let (status, _) = page_child(&app, &c, parent, "college", "COLZZ", "不该有").await;
        assert_eq!(status, want, "{user}");
    }
    assert_eq!(snapshot(&app).await, before, "refused roles wrote nothing");
}

#[tokio::test]
async fn staff_accounts_are_created_with_roles_and_refused_where_the_caller_may_not() {
    let app = spawn_seeded().await;
    // The school admin creates a counselor for a class of the school, linked to its staff record.
    let c = app.login("admin1").await;
    english(&app, &c).await;
    let before = snapshot(&app).await;
    let a = account("t1002new", "counselor", "CLS1B1", "T1002");
    let (status, body) = page_account(&app, &c, "SCH1", fields(&a)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Account t1002new created"), "{body}");
    let password = between(&body, "<p class=\"fz-token\">", "</p>").expect("first password shown");
    assert_eq!(password.len(), 12);
    let after = snapshot(&app).await;
    assert_eq!(
        (after.1, after.2, after.3),
        (before.1 + 1, before.2 + 1, before.3 + 1)
    );
    let (role, unit, staff): (String, String, Option<i64>) = sqlx::query_as(
        "SELECT r.role, u.code, a.staff_id FROM accounts a JOIN role_assignments r ON r.account_id = a.id \
         JOIN units u ON u.id = r.unit_id WHERE a.username = 't1002new'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!((role.as_str(), unit.as_str()), ("counselor", "CLS1B1"));
    assert_eq!(staff, Some(app.fx.staff["T1002"]));
    let created = app.audit("account.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].actor, "admin1");
    assert!(created[0].detail.contains("\"role\":\"counselor\""));
    // The new account signs in with the password it was given.
    app.login_with("t1002new", &password).await;

    // Bad input: 422 naming the problem, nothing written.
    let before = snapshot(&app).await;
    for (a, text) in [
        (
            account("bad name!", "counselor", "CLS1A1", ""),
            "A username has letters",
        ),
        (
            account("counselor1", "counselor", "CLS1A1", ""),
            "That username is taken",
        ),
        (
            account("new-a", "student", "SCH1", ""),
            "That role cannot be granted",
        ),
        (
            account("new-b", "wizard", "SCH1", ""),
            "That role cannot be granted",
        ),
        (
            account("new-c", "school_admin", "CLS1A1", ""),
            "That role cannot be granted",
        ),
        (
            account("new-d", "counselor", "NOPE", ""),
            "No unit has that code",
        ),
        (
            account("new-e", "counselor", "CLS2A1", ""),
            "No unit has that code",
        ),
        (
            account("new-f", "counselor", "CLS1A1", "T9999"),
            "No student or staff member",
        ),
    ] {
        let (status, body) = page_account(&app, &c, "SCH1", fields(&a)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{a:?}");
        assert!(body.contains(text), "{a:?}: no {text:?} on the page");
    }
    // A police role cannot be granted by a school admin: no police unit lies inside a school.
    let (status, _) = page_account(
        &app,
        &c,
        "SCH1",
        fields(&account("cop-a", "police", "SCH1", "")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = page_account(
        &app,
        &c,
        "SCH1",
        fields(&account("cop-b", "police", "ST1", "")),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ST1 is not inside SCH1"
    );
    assert_eq!(snapshot(&app).await, before, "refused input wrote nothing");

    // Refused roles: nobody but school and province admins manages accounts, and only inside
    // their own unit.
    for (user, unit, want) in [
        ("counselor1", "CLS1A1", StatusCode::FORBIDDEN),
        ("leader1", "COL1A", StatusCode::FORBIDDEN),
        ("police1", "ST1", StatusCode::FORBIDDEN),
        ("police1", "SCH1", StatusCode::FORBIDDEN),
        ("admin2", "SCH1", StatusCode::NOT_FOUND),
        ("admin1", "SCH2", StatusCode::NOT_FOUND),
        ("student1", "SCH1", StatusCode::NOT_FOUND),
    ] {
        let c = app.login(user).await;
        let (status, _) = app.get(&c, &format!("/org/unit/{unit}/accounts")).await;
        assert_eq!(status, want, "{user} GET {unit}");
        let (status, _) = page_account(
            &app,
            &c,
            unit,
            fields(&account("intruder", "police", "ST1", "")),
        )
        .await;
        assert_eq!(status, want, "{user} POST {unit}");
    }
    assert_eq!(snapshot(&app).await, before, "refused roles wrote nothing");
    assert!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE username = 'intruder'")
            .await
            == 0
    );

    // The province admin grants a police role on a station of the province.
    let c = app.login("province1").await;
    let (status, body) = page_account(
        &app,
        &c,
        "P1",
        fields(&account("police9", "police", "ST1", "")),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let role: String = sqlx::query_scalar(
        "SELECT r.role FROM accounts a JOIN role_assignments r ON r.account_id = a.id WHERE a.username = 'police9'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(role, "police");
    // …but not on a station of another province.
    let before = snapshot(&app).await;
    let (status, _) = page_account(
        &app,
        &c,
        "P2",
        fields(&account("police10", "police", "P2", "")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(snapshot(&app).await, before);
}

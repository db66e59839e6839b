//! The audit log: staff reads of a person are written with actor, address and request id; lists
//! are masked and not audited; refusals are audited; the log is read within scope only, with
//! filters.

mod common;

use common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;

#[tokio::test]
async fn staff_reads_of_a_person_are_audited() {
    let app = spawn_seeded().await;
    let sid = app.fx.student("2023010102");
    let c = app.login("counselor1").await;
    let r = c
        .get(app.url(&format!("/org/student/{sid}")))
        .header("x-request-id", "req-page-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("13800001112"),
        "the record itself is unmasked"
    );
    let views = app.audit("person.view").await;
    assert_eq!(views.len(), 1);
    let v = &views[0];
    assert_eq!(v.actor_account_id, Some(app.fx.account("counselor1")));
    assert_eq!(v.actor, "counselor1");
    assert_eq!(v.ip, "127.0.0.1");
    assert_eq!(v.request_id, "req-page-1");
    assert_eq!(v.target_kind, "student");
    assert_eq!(v.target_id, sid.to_string());
    assert_eq!(v.unit_path, app.fx.unit("CLS1A1").path);

    let t = app.token("police1", &[Scope::OrgRead]).await;
    let r = app.api_get(&t, &format!("/api/v1/students/{sid}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let rid = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let s: serde_json::Value = r.json().await.unwrap();
    assert_eq!(s["phone"], "13800001112");
    assert_eq!(s["name"], "李四");
    let views = app.audit("person.view").await;
    assert_eq!(views.len(), 2);
    assert_eq!(views[1].actor, "police1");
    assert_eq!(
        views[1].request_id, rid,
        "generated request id is the one returned"
    );
    assert!(
        views[1].detail.contains("\"via\":\"api\""),
        "{}",
        views[1].detail
    );
}

#[tokio::test]
async fn lists_show_masked_data_and_are_not_person_reads() {
    let app = spawn_seeded().await;
    let c = app.login("counselor1").await;
    let (status, body) = app.get(&c, "/org/unit/CLS1A1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("138****1112"), "masked phone listed");
    assert!(!body.contains("13800001112"), "full phone not listed");
    assert!(!body.contains("13800001111"));
    assert!(body.contains("李*") && !body.contains("李四"));
    let t = app.token("admin1", &[Scope::OrgRead]).await;
    let r = app.api_get(&t, "/api/v1/units/SCH1/students").await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(
        !text.contains("1380000"),
        "no full phone in the API list: {text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["total"], 4);
    let zs = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["student_no"] == "2023010101")
        .unwrap();
    assert_eq!(zs["phone"], "138****1111");
    assert_eq!(zs["name"], "张*");
    assert_eq!(zs["email"], "z***@example.edu.cn");
    assert!(app.audit("person.view").await.is_empty());
}

#[tokio::test]
async fn refused_access_is_audited() {
    let app = spawn_seeded().await;
    let other = app.fx.student("2023020101");
    let c = app.login("counselor1").await;
    let r = c
        .get(app.url(&format!("/org/student/{other}")))
        .header("x-request-id", "req-denied")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let denied = app.audit("access.denied").await;
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].actor, "counselor1");
    assert_eq!(denied[0].target_id, other.to_string());
    assert_eq!(denied[0].unit_path, app.fx.unit("CLS1B1").path);
    assert_eq!(denied[0].request_id, "req-denied");
    assert!(
        denied[0].detail.contains("ViewPerson"),
        "{}",
        denied[0].detail
    );
    assert!(app.audit("person.view").await.is_empty());
    // Through the API too.
    let t = app.token("admin2", &[Scope::OrgRead]).await;
    let r = app.api_get(&t, "/api/v1/units/SCH1/students").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.audit("access.denied").await.len(), 2);
}

/// One person.view in each school, with known request ids.
async fn reads_in_both_schools(app: &TestApp) {
    for (user, no, rid) in [
        ("admin1", "2023010101", "rid-sch1"),
        ("admin2", "2023510101", "rid-sch2"),
    ] {
        let t = app.token(user, &[Scope::OrgRead]).await;
        let r = fanzha_get(
            app,
            &t,
            &format!("/api/v1/students/{}", app.fx.student(no)),
            rid,
        )
        .await;
        assert_eq!(r, StatusCode::OK);
    }
}

async fn fanzha_get(app: &TestApp, token: &str, path: &str, rid: &str) -> StatusCode {
    client()
        .get(app.url(path))
        .bearer_auth(token)
        .header("x-request-id", rid)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_audit_log_is_read_within_scope_only() {
    let app = spawn_seeded().await;
    reads_in_both_schools(&app).await;
    let sch1 = app.fx.unit("SCH1").path.clone();
    for (user, own) in [
        ("admin1", "rid-sch1"),
        ("police1", "rid-sch1"),
        ("admin2", "rid-sch2"),
    ] {
        let t = app.token(user, &[Scope::AuditRead]).await;
        let r = app.api_get(&t, "/api/v1/audit").await;
        assert_eq!(r.status(), StatusCode::OK, "{user}");
        let entries: Vec<serde_json::Value> = r.json().await.unwrap();
        let rids: Vec<&str> = entries
            .iter()
            .map(|e| e["request_id"].as_str().unwrap())
            .collect();
        assert!(rids.contains(&own), "{user} sees {own}: {rids:?}");
        let other = if own == "rid-sch1" {
            "rid-sch2"
        } else {
            "rid-sch1"
        };
        assert!(!rids.contains(&other), "{user} must not see {other}");
        if own == "rid-sch1" {
            for e in &entries {
                let p = e["unit_path"].as_str().unwrap();
                assert!(
                    p.starts_with(&sch1) || p.starts_with(&app.fx.unit("ST1").path),
                    "{user} sees {p}"
                );
            }
        }
    }
    // The province sees both.
    let t = app.token("province1", &[Scope::AuditRead]).await;
    let entries: Vec<serde_json::Value> =
        app.api_get(&t, "/api/v1/audit").await.json().await.unwrap();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["action"] == "person.view")
            .count(),
        2
    );
    // The page shows the same scope.
    let c = app.login("admin1").await;
    let (status, body) = app.get(&c, "/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("rid-sch1"));
    assert!(!body.contains("rid-sch2"));
}

#[tokio::test]
async fn roles_without_audit_rights_are_refused() {
    let app = spawn_seeded().await;
    reads_in_both_schools(&app).await;
    for user in ["counselor1", "leader1", "student1"] {
        let c = app.login(user).await;
        let (status, body) = app.get(&c, "/audit").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
        assert!(!body.contains("rid-sch1"));
        let t = app.token(user, &[Scope::AuditRead]).await;
        let r = app.api_get(&t, "/api/v1/audit").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
    }
    let t = app.token("admin1", &[Scope::OrgRead]).await;
    let (status, _, _, details) = api_error(app.api_get(&t, "/api/v1/audit").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(details.iter().any(|d| d.contains("audit:read")));
}

#[tokio::test]
async fn filters_by_action_prefix_and_local_date() {
    let app = spawn_seeded().await;
    reads_in_both_schools(&app).await;
    // A refusal inside SCH1 (counselor1 opening a student of another class).
    let c = app.login("counselor1").await;
    let (status, _) = app
        .get(
            &c,
            &format!("/org/student/{}", app.fx.student("2023020101")),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let t = app.token("admin1", &[Scope::AuditRead]).await;
    let list = |q: &'static str| {
        let t = t.clone();
        let app = &app;
        async move {
            let r = app.api_get(&t, &format!("/api/v1/audit{q}")).await;
            assert_eq!(r.status(), StatusCode::OK, "{q}");
            r.json::<Vec<serde_json::Value>>().await.unwrap()
        }
    };
    let all = list("").await;
    assert!(all.len() >= 2);
    let person = list("?action=person.").await;
    assert_eq!(person.len(), 1);
    assert_eq!(person[0]["action"], "person.view");
    let denied = list("?action=access.").await;
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["action"], "access.denied");
    let by_counselor = list("?actor=counselor").await;
    assert!(by_counselor.iter().all(|e| e["actor"] == "counselor1"));
    assert!(by_counselor.iter().any(|e| e["action"] == "access.denied"));
    assert!(by_counselor.len() < all.len());
    // START_MS is 2025-03-01 08:00 in Asia/Shanghai.
    assert_eq!(
        list("?from=2025-03-01&to=2025-03-01").await.len(),
        all.len()
    );
    assert!(list("?from=2025-03-02").await.is_empty());
    assert!(list("?to=2025-02-28").await.is_empty());
    // Two days later, one more read: the date filter separates it.
    app.state.clock.advance_ms(2 * 86_400_000);
    let r = fanzha_get(
        &app,
        &app.token("admin1", &[Scope::OrgRead]).await,
        &format!("/api/v1/students/{}", app.fx.student("2023010102")),
        "rid-later",
    )
    .await;
    assert_eq!(r, StatusCode::OK);
    let later = list("?from=2025-03-03").await;
    assert_eq!(later.len(), 1);
    assert_eq!(later[0]["request_id"], "rid-later");
    assert_eq!(list("?to=2025-03-02").await.len(), all.len());
    // Bad dates: 400 naming the value, on the API and the page.
    for bad in ["2025-13-01", "yesterday", "2025/03/01"] {
        let r = app.api_get(&t, &format!("/api/v1/audit?from={bad}")).await;
        let (status, code, message, _) = api_error(r).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(code, "audit-err-date");
        assert!(message.contains(bad), "{message}");
    }
    let c = app.login("admin1").await;
    let (status, _) = app.get(&c, "/audit?to=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

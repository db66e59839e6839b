//! The audit log: staff reads of a person are written with actor, address and request id, on
//! every path that shows a person (students, warnings, reports and their evidence, cases,
//! campaign gaps and exposure, the appraisal's people), page and API alike: one `person.view` per
//! record opened, one `person.list` per list request with its filter, count and ids (lists are
//! masked); a student's own reads write none; refusals are audited; the log is read within scope
//! only, with filters (by action, actor, target, kind and date).

use crate::common::*;
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
    assert_eq!(v.actor_account_id, Some(app.fx.account("counselor1").get()));
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
async fn lists_show_masked_data_and_write_one_list_entry() {
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
    assert!(app.audit("person.view").await.is_empty(), "no detail read");
    // One list entry per request (not one per person), with the filter, count and ids shown.
    let lists = app.audit("person.list").await;
    assert_eq!(lists.len(), 2, "{lists:?}");
    let (page, api) = (detail(&lists[0]), detail(&lists[1]));
    assert_eq!(lists[0].actor, "counselor1");
    assert_eq!(lists[0].target_kind, "student");
    assert_eq!(lists[0].unit_path, app.fx.unit("CLS1A1").path);
    assert_eq!(page["via"], "page");
    assert_eq!(page["count"], 2);
    assert_eq!(
        sorted_ids(&page),
        sorted(vec![
            app.fx.student("2023010101").get(),
            app.fx.student("2023010102").get()
        ])
    );
    assert_eq!(lists[1].actor, "admin1");
    assert_eq!(lists[1].unit_path, app.fx.unit("SCH1").path);
    assert_eq!(api["via"], "api");
    assert_eq!(api["count"], 4);
    assert_eq!(api["filter"]["total"], 4);
    assert_eq!(sorted_ids(&api).len(), 4);
}

fn detail(r: &AuditRow) -> serde_json::Value {
    serde_json::from_str(&r.detail).unwrap_or_else(|e| panic!("{}: {e}", r.detail))
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

fn sorted_ids(d: &serde_json::Value) -> Vec<i64> {
    sorted(
        d["ids"]
            .as_array()
            .unwrap_or_else(|| panic!("no ids: {d}"))
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect(),
    )
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

/// The one entry of `action` written since there were `before`: each read writes exactly one.
async fn new_entry(app: &TestApp, action: &str, before: usize) -> (AuditRow, serde_json::Value) {
    let rows = app.audit(action).await;
    assert_eq!(
        rows.len(),
        before + 1,
        "{action}: one entry per request: {rows:?}"
    );
    let r = rows.last().unwrap().clone();
    let d = detail(&r);
    (r, d)
}

async fn count_of(app: &TestApp, action: &str) -> usize {
    app.audit(action).await.len()
}

/// GET through a signed-in client (`page`) or a token (`api`); the status must be 200.
async fn read(app: &TestApp, c: &reqwest::Client, token: &str, path: &str) {
    let (status, body) = if path.starts_with("/api/") {
        let r = app.api_get(token, path).await;
        let s = r.status();
        (s, r.text().await.unwrap())
    } else {
        app.get(c, path).await
    };
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
}

/// A detail read of `path` writes one `person.view` naming (kind, id), with how it came.
async fn assert_view(
    app: &TestApp,
    c: &reqwest::Client,
    token: &str,
    path: &str,
    kind: &str,
    id: i64,
) {
    let before = count_of(app, "person.view").await;
    read(app, c, token, path).await;
    let (row, d) = new_entry(app, "person.view", before).await;
    assert_eq!(row.target_kind, kind, "{path}");
    assert_eq!(row.target_id, id.to_string(), "{path}");
    let via = if path.starts_with("/api/") {
        "api"
    } else {
        "page"
    };
    assert_eq!(d["via"], via, "{path}: {d}");
}

/// A list read of `path` writes one `person.list` of `kind` whose ids include `id`.
async fn assert_list(
    app: &TestApp,
    c: &reqwest::Client,
    token: &str,
    path: &str,
    kind: &str,
    id: i64,
) -> serde_json::Value {
    let before = count_of(app, "person.list").await;
    read(app, c, token, path).await;
    let rows = app.audit("person.list").await;
    let new: Vec<&AuditRow> = rows[before..]
        .iter()
        .filter(|r| r.target_kind == kind)
        .collect();
    assert!(
        !new.is_empty(),
        "{path}: no person.list of {kind}: {rows:?}"
    );
    let d = detail(new[0]);
    let ids = sorted_ids(&d);
    assert_eq!(d["count"], ids.len(), "{path}: {d}");
    assert!(ids.contains(&id), "{path}: {id} not in {d}");
    let via = if path.starts_with("/api/") {
        "api"
    } else {
        "page"
    };
    assert_eq!(d["via"], via, "{path}: {d}");
    d
}

#[tokio::test]
async fn warning_reads_are_audited_on_pages_and_api() {
    let app = spawn_seeded().await;
    let police = app
        .token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = client()
        .post(app.url("/api/v1/warnings"))
        .bearer_auth(&police)
        .json(
            &serde_json::json!({"phone": "138-0000-1111", "fraud_type": "fake_loan",
            "severity": "high", "detail": "正在通话", "source": "96110"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let before = app.audit("person.view").await.len();

    // The counselor's detail page shows the student's phone: one entry naming the warning.
    let c = app.login("counselor1").await;
    let (status, body) = app.get(&c, &format!("/warnings/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("13800001111"), "the page shows the phone");
    let (row, d) = new_entry(&app, "person.view", before).await;
    assert_eq!(row.actor, "counselor1");
    assert_eq!(row.target_kind, "warning");
    assert_eq!(row.target_id, id.to_string());
    assert_eq!(row.unit_path, app.fx.unit("CLS1A1").path);
    assert_eq!(d["student_id"], app.fx.student("2023010101").get());
    assert_eq!(d["via"], "page");
    let tc = app.token("counselor1", &[Scope::WarningsRead]).await;
    assert_view(
        &app,
        &c,
        &tc,
        &format!("/api/v1/warnings/{id}"),
        "warning",
        id,
    )
    .await;

    // Lists: the counselor's own, the overview and the appraisal (staff names), page and API.
    assert_list(&app, &c, &tc, "/warnings", "warning", id).await;
    assert_list(&app, &c, &tc, "/api/v1/warnings/mine", "warning", id).await;
    let a = app.login("admin1").await;
    let ta = app.token("admin1", &[Scope::WarningsRead]).await;
    let d = assert_list(&app, &a, &ta, "/warnings/overview", "warning", id).await;
    assert_eq!(d["filter"]["limit"], 50, "{d}");
    assert_eq!(d["filter"]["page"], 1, "{d}");
    let d = assert_list(&app, &a, &ta, "/api/v1/warnings?status=open", "warning", id).await;
    assert_eq!(d["filter"]["status"], "open", "{d}");
    let counselor = app.fx.staff["T1001"];
    assert_list(&app, &a, &ta, "/warnings/appraisal", "staff", counselor).await;
    assert_list(
        &app,
        &a,
        &ta,
        "/api/v1/warnings/appraisal",
        "staff",
        counselor,
    )
    .await;

    // The student's own read of their warning is not a staff read.
    let before = app.audit("person.view").await.len();
    let s = app.login("student1").await;
    let (status, _) = app.get(&s, "/warnings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.audit("person.view").await.len(), before);

    // A refused read writes a refusal, not a read.
    let lists = count_of(&app, "person.list").await;
    let other = app.token("counselor4", &[Scope::WarningsRead]).await;
    let r = app.api_get(&other, &format!("/api/v1/warnings/{id}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.audit("person.view").await.len(), before);
    assert_eq!(count_of(&app, "person.list").await, lists);

    // The audit view finds them by kind (and by action prefix).
    let t = app.token("admin1", &[Scope::AuditRead]).await;
    let r = app
        .api_get(&t, "/api/v1/audit?action=person.&kind=warning")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let found: Vec<serde_json::Value> = r.json().await.unwrap();
    assert!(found.iter().all(|e| e["target_kind"] == "warning"));
    assert!(found.iter().any(|e| e["action"] == "person.view"
        && e["target_id"] == id.to_string().as_str()
        && e["actor"] == "counselor1"));
    assert!(found.iter().any(|e| e["action"] == "person.list"));
    let staff: Vec<serde_json::Value> = app
        .api_get(&t, "/api/v1/audit?kind=staff")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(staff.len(), 2, "{staff:?}");
    let (status, body) = app.get(&a, "/audit?action=person.view&kind=warning").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("counselor1"));
}

#[tokio::test]
async fn report_reads_are_audited_on_pages_and_api() {
    let app = spawn_seeded().await;
    let ts = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let r = client()
        .post(app.url("/api/v1/reports"))
        .bearer_auth(&ts)
        .json(&serde_json::json!({
            "idempotency_key": "audit-1",
            "lost_money": true,
            "transaction": {"payment_type": "bank_card", "account": "6222020200112233446",
                "bank": "工商银行", "amount_cents": 2_000_000, "time": START_MS - 600_000},
            "fraud_type": "impersonate_police",
            "description": "冒充公安说我涉嫌洗钱"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<serde_json::Value>().await.unwrap()["report_id"]
        .as_i64()
        .unwrap();
    // The reporter reading their own report is not a staff read.
    let s = app.login("student1").await;
    let (status, _) = app.get(&s, &format!("/reports/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(app.audit("person.view").await.is_empty());
    assert!(app.audit("person.list").await.is_empty());

    // The student adds a screenshot: reading it is reading the report.
    let r = client()
        .post(app.url(&format!("/api/v1/reports/{id}/evidence")))
        .bearer_auth(&ts)
        .header("content-type", "image/png")
        .body(png())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let eid = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let c = app.login("police1").await;
    let t = app.token("police1", &[Scope::ReportsRead]).await;
    assert_view(&app, &c, &t, &format!("/reports/{id}"), "report", id).await;
    for path in [
        format!("/reports/{id}/evidence/{eid}"),
        format!("/api/v1/reports/{id}/evidence/{eid}"),
    ] {
        assert_view(&app, &c, &t, &path, "report", id).await;
        let d = detail(app.audit("person.view").await.last().unwrap());
        assert_eq!(d["evidence"], eid, "{d}");
    }
    assert_view(&app, &c, &t, &format!("/api/v1/reports/{id}"), "report", id).await;
    assert_list(&app, &c, &t, "/reports", "report", id).await;
    assert_list(&app, &c, &t, "/api/v1/reports", "report", id).await;
    let d = assert_list(&app, &c, &t, "/api/v1/reports/stop-payments", "report", id).await;
    assert_eq!(d["filter"]["queue"], "stop_payments");
    let views = app.audit("person.view").await;
    assert_eq!(views[0].unit_path, app.fx.unit("CLS1A1").path);

    // The school's admin sees the victim's report too; the view of their scope finds the reads.
    let a = app.login("admin1").await;
    let ta = app.token("admin1", &[Scope::ReportsRead]).await;
    assert_view(
        &app,
        &a,
        &ta,
        &format!("/api/v1/reports/{id}"),
        "report",
        id,
    )
    .await;
    let t = app.token("admin1", &[Scope::AuditRead]).await;
    let found: Vec<serde_json::Value> = app
        .api_get(&t, "/api/v1/audit?action=person.view&kind=report")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 5, "{found:?}");
    assert!(found
        .iter()
        .all(|e| e["target_id"].as_str() == Some(id.to_string().as_str())));
}

/// A one-pixel PNG, enough for the evidence sniffer.
fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    let chunk = |b: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        b.extend_from_slice(&(data.len() as u32).to_be_bytes());
        b.extend_from_slice(kind);
        b.extend_from_slice(data);
        b.extend_from_slice(&[0, 0, 0, 0]);
    };
    chunk(&mut b, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    chunk(&mut b, b"IDAT", &[1, 2, 3, 4]);
    chunk(&mut b, b"IEND", &[]);
    b
}

#[tokio::test]
async fn case_and_gap_reads_are_audited_on_pages_and_api() {
    let app = spawn_seeded().await;
    let tp = app
        .token("police1", &[Scope::CasesRead, Scope::CasesWrite])
        .await;
    let r = client()
        .post(app.url("/api/v1/cases"))
        .bearer_auth(&tp)
        .json(&serde_json::json!({
            "unit": "SCH1", "student_no": "2023010101", "fraud_type": "rebate_task",
            "channel": "qq", "occurred_at": "2025-02-14 21:30", "amount_lost": "100",
            "status": "open", "narrative": "刷单返利",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let c = app.login("police1").await;
    assert_view(&app, &c, &tp, &format!("/cases/{id}"), "case", id).await;
    assert_view(&app, &c, &tp, &format!("/api/v1/cases/{id}"), "case", id).await;
    let d = detail(app.audit("person.view").await.last().unwrap());
    assert_eq!(d["victim_student_id"], app.fx.student("2023010101").get());
    let q = "unit=SCH1&from=2025-02-01&to=2025-02-28";
    assert_list(&app, &c, &tp, &format!("/cases?{q}"), "case", id).await;
    assert_list(&app, &c, &tp, &format!("/api/v1/cases?{q}"), "case", id).await;

    // Gap lists: never-reached students and unwarned victims, one entry per request.
    let a = app.login("admin1").await;
    let ta = app.token("admin1", &[Scope::CampaignsRead]).await;
    let zs = app.fx.student("2023010101").get();
    for path in [
        "/campaigns/gaps?unit=SCH1&days=30",
        "/api/v1/campaigns/gaps?unit=SCH1&days=30",
    ] {
        let d = assert_list(&app, &a, &ta, path, "student", zs).await;
        assert_eq!(d["filter"]["never_reached_total"], 4, "{d}");
        assert_eq!(d["filter"]["days"], 30, "{d}");
    }
    let gaps = app.audit("person.list").await;
    assert_eq!(gaps.last().unwrap().unit_path, app.fx.unit("SCH1").path);
    // The exposure list (students ranked by exposure to a fraud type), API only.
    let d = assert_list(
        &app,
        &a,
        &ta,
        "/api/v1/campaigns/exposure?unit=SCH1&fraud_type=rebate_task",
        "student",
        zs,
    )
    .await;
    assert_eq!(d["filter"]["fraud_type"], "rebate_task", "{d}");
    let t = app.token("admin1", &[Scope::AuditRead]).await;
    let found: Vec<serde_json::Value> = app
        .api_get(&t, "/api/v1/audit?action=person.list&kind=student")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 3, "{found:?}");
    let found: Vec<serde_json::Value> = app
        .api_get(&t, "/api/v1/audit?kind=case")
        .await
        .json()
        .await
        .unwrap();
    assert!(found.len() >= 4, "{found:?}");
}

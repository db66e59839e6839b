//! The role × operation matrix: every `/api/v1` operation, called by every role on a record or
//! unit inside the role's scope (A: school SCH1, class CLS1A1, station ST1, province P1), one
//! outside it (B: school SCH2, class CLS2A1, station ST2, province P2) and, where the role creates
//! such records, one it created itself (O), each answer checked against one table written by hand
//! from the policy (`auth::policy::role_allows`, DESIGN.md's invariants, docs/API.md and the module
//! docs), never from today's answers.
//!
//! The operations come from the OpenAPI document the app serves, and that list must equal the
//! routes the router declares (read from the source), so that an operation without a row here
//! fails the test.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The roles, in the order of the table's columns, with the fixture account holding each.
const ROLES: [(&str, &str); 7] = [
    ("student", "student1"),
    ("counselor", "counselor1"),
    ("unit leader", "leader1"),
    ("school admin", "admin1"),
    ("police", "police1"),
    ("province admin", "province1"),
    ("partner", "partner1"),
];

mod probe;
mod table;

use probe::*;
use table::*;

async fn call(
    app: &TestApp,
    token: Option<&str>,
    op: &str,
    path: &str,
    body: Body,
) -> (StatusCode, String) {
    let method = op.split(' ').next().expect("method");
    let c = client();
    let mut rq = match method {
        "GET" => c.get(app.url(path)),
        "POST" => c.post(app.url(path)),
        "PUT" => c.put(app.url(path)),
        "DELETE" => c.delete(app.url(path)),
        m => panic!("method {m}"),
    };
    if let Some(t) = token {
        rq = rq.bearer_auth(t);
    }
    rq = match body {
        Body::None => rq,
        Body::Json(v) => rq.json(&v),
        Body::Csv(s) => rq.header("content-type", "text/csv").body(s),
        Body::Bytes(b) => rq
            .header("content-type", "application/octet-stream")
            .body(b),
    };
    let r = rq.send().await.expect("request");
    let s = r.status();
    let text: String = r
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(160)
        .collect();
    (s, text)
}

/// POSTs JSON with a token and returns the `id` of the answer (panics with the answer otherwise).
async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> i64 {
    let r = client()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("POST");
    let s = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(s.is_success(), "{path}: {s} {v}");
    v["id"]
        .as_i64()
        .or_else(|| v["report_id"].as_i64())
        .or_else(|| v["warning"]["id"].as_i64())
        .unwrap_or_else(|| panic!("{path}: no id in {v}"))
}

/// `METHOD /path` of every operation the router declares under `/api/v1`, read from the source
/// (`.route("/api/v1/…", get(…).post(…))`).
fn router_operations() -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).expect("src dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text: String = std::fs::read_to_string(&p)
                    .expect("source")
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                for part in text.split(".route(\"").skip(1) {
                    let Some((path, rest)) = part.split_once('"') else {
                        continue;
                    };
                    if !path.starts_with("/api/v1/") {
                        continue;
                    }
                    // The method router: up to the `)` closing `.route(`.
                    let mut depth = 1;
                    let mut end = rest.len();
                    for (i, ch) in rest.char_indices() {
                        match ch {
                            '(' => depth += 1,
                            ')' => {
                                depth -= 1;
                                if depth == 0 {
                                    end = i;
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    let methods = &rest[..end];
                    for m in ["get", "post", "put", "patch", "delete"] {
                        let direct = methods.starts_with(&format!(",{m}("));
                        let chained = methods.contains(&format!(".{m}("));
                        if direct || chained {
                            out.insert(format!("{} {path}", m.to_uppercase()));
                        }
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
    );
    out
}

#[tokio::test]
async fn every_role_every_operation_inside_and_outside_scope() {
    let app = spawn_seeded().await;

    // The operations: the served document, equal to the router's.
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("openapi json");
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            if path.starts_with("/api/v1/") {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let routed = router_operations();
    assert_eq!(
        documented.difference(&routed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "documented but not routed"
    );
    assert_eq!(
        routed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "routed but not in the OpenAPI document"
    );
    let rows: BTreeSet<String> = TABLE.iter().map(|(op, _, _)| op.to_string()).collect();
    assert_eq!(rows.len(), TABLE.len(), "an operation has two rows");
    assert_eq!(
        documented.difference(&rows).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "operations without a row in TABLE"
    );
    assert_eq!(
        rows.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "rows of TABLE for operations that do not exist"
    );

    // Tokens: every scope, so that only the account's roles and units decide.
    let mut tokens = BTreeMap::new();
    for (_, user) in ROLES {
        tokens.insert(user, app.token(user, &Scope::ALL).await);
    }
    for extra in ["student3", "admin2", "police2"] {
        tokens.insert(extra, app.token(extra, &Scope::ALL).await);
    }

    // The records: in scope (A), out of scope (B), and each role's own.
    let mut rec = Records {
        student_a: app.fx.student("2023010101").get(),
        student_b: app.fx.student("2023510101").get(),
        ..Records::default()
    };
    rec.report_a = create(
        &app,
        &tokens["student1"],
        "/api/v1/reports",
        json!({"idempotency_key": "a", "call": {"number": "170 8888 6666"}}),
    )
    .await;
    rec.report_b = create(
        &app,
        &tokens["student3"],
        "/api/v1/reports",
        json!({"idempotency_key": "b", "call": {"number": "170 8888 6667"}}),
    )
    .await;
    let issue = |phone: &str| json!({"phone": phone, "fraud_type": "fake_loan", "severity": "low", "detail": "matrix", "source": "96110"});
    rec.warning_a = create(
        &app,
        &tokens["police1"],
        "/api/v1/warnings",
        issue("13800001111"),
    )
    .await;
    rec.warning_b = create(
        &app,
        &tokens["police2"],
        "/api/v1/warnings",
        issue("13900002111"),
    )
    .await;
    rec.warning_partner = create(
        &app,
        &tokens["partner1"],
        "/api/v1/warnings",
        issue("13800001112"),
    )
    .await;
    rec.case_a = create(
        &app,
        &tokens["police1"],
        "/api/v1/cases",
        case_body("SCH1", "2023010101"),
    )
    .await;
    rec.case_b = create(
        &app,
        &tokens["police2"],
        "/api/v1/cases",
        case_body("SCH2", "2023510101"),
    )
    .await;
    rec.content_a = create(
        &app,
        &tokens["police1"],
        "/api/v1/campaigns/contents",
        article("SCH1"),
    )
    .await;
    rec.content_b = create(
        &app,
        &tokens["admin2"],
        "/api/v1/campaigns/contents",
        article("SCH2"),
    )
    .await;
    rec.briefing_a = create(
        &app,
        &tokens["police1"],
        "/api/v1/cases/briefings",
        json!({"station": "ST1", "month": "2025-01", "title": "一月通报"}),
    )
    .await;
    rec.briefing_b = create(
        &app,
        &tokens["police2"],
        "/api/v1/cases/briefings",
        json!({"station": "ST2", "month": "2025-01", "title": "一月通报"}),
    )
    .await;
    // Whatever runs after the commit (routing, notices) has run before the probes.
    app.runner.run_until_idle().await.expect("jobs");
    rec.token_b = app
        .scalar("SELECT MAX(t.id) FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.username = 'police2'")
        .await;
    rec.inbox_b = app
        .scalar("SELECT COALESCE(MAX(id), 0) FROM inbox_messages")
        .await
        + 1_000;

    let mut owns = BTreeMap::new();
    for (_, user) in ROLES {
        owns.insert(user, own_of(&app, user, &rec).await);
    }

    let mut failures = Vec::new();
    let mut calls = 0;
    for (op, targets, expect) in TABLE {
        // No token: 401, whoever would call.
        let (path, body) = probe(
            op,
            targets.chars().next().unwrap_or('A'),
            &rec,
            &owns["student1"],
        );
        let (s, _) = call(&app, None, op, &path, body).await;
        if s != StatusCode::UNAUTHORIZED {
            failures.push(format!("{op} without a token: {s}, want 401"));
        }
        for (i, (role, user)) in ROLES.iter().enumerate() {
            let want: Vec<char> = expect[i].chars().collect();
            let targets: Vec<char> = targets.chars().collect();
            assert_eq!(
                want.len(),
                targets.len(),
                "row {op}, {role}: one letter per target"
            );
            for (t, w) in targets.iter().zip(want) {
                calls += 1;
                let mut own = owns[user].clone();
                own.insert("n", calls as i64);
                let (path, body) = probe(op, *t, &rec, &own);
                let (s, text) = call(&app, Some(&tokens[user]), op, &path, body).await;
                let got = match s.as_u16() {
                    200..=299 | 409 => 'Y',
                    400 | 422 if w == 'V' => 'V',
                    // A body the handler refuses after the policy let it through.
                    400 | 413 | 415 | 422 if w == 'Y' => 'Y',
                    403 | 404 => 'R',
                    _ => '?',
                };
                if got != w {
                    failures.push(format!(
                        "{op} as {role} on {t} ({path}): {s}, want {w}: {text}"
                    ));
                }
            }
        }
    }
    assert!(calls > 500, "{calls} calls");
    assert!(
        failures.is_empty(),
        "{} of {calls} answers differ from the policy:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What a role calls "its own": a message in its inbox, a spare token of its own to revoke, the
/// warning it issued (police1, partner1; the partner's for the roles that cannot issue).
async fn own_of(app: &TestApp, user: &str, rec: &Records) -> BTreeMap<&'static str, i64> {
    use fanzha::inbox::{notify, Notice, Recipient};
    let account = app.fx.account(user);
    let mut m = BTreeMap::new();
    let inbox = notify(
        &app.state.db.pool,
        &app.state.clock,
        &Recipient::Account(account),
        &Notice {
            kind: "system".into(),
            title: "matrix".into(),
            body: "matrix".into(),
            link: None,
        },
    )
    .await
    .expect("notify");
    m.insert("inbox", inbox);
    let _ = app.token(user, &[Scope::InboxRead]).await;
    m.insert(
        "spare_token",
        app.scalar(&format!(
            "SELECT MAX(id) FROM api_tokens WHERE account_id = {account}"
        ))
        .await,
    );
    m.insert(
        "warning",
        if user == "police1" {
            rec.warning_a
        } else {
            rec.warning_partner
        },
    );
    m.insert("n", 0);
    m
}

/// A NUL character reaches the database through a path, a query or a JSON body: SQLite stores or
/// compares it, PostgreSQL refuses it (SQLSTATE 22021). Either way the answer is a 4xx, and on
/// PostgreSQL the one for text it cannot store.
#[tokio::test]
async fn a_nul_character_in_any_input_is_never_a_server_error() {
    let app = spawn_seeded().await;
    let admin = app.token("admin1", &Scope::ALL).await;
    let police = app.token("police1", &Scope::ALL).await;
    let before = app.scalar("SELECT COUNT(*) FROM units").await;
    let probes: [(&str, &str, &str, Option<Value>); 4] = [
        ("GET", &admin, "/api/v1/units/CLS%001A1", None),
        (
            "GET",
            &admin,
            "/api/v1/campaigns/exposure?unit=S%00X&fraud_type=rebate_task",
            None,
        ),
        (
            "POST",
            &admin,
            "/api/v1/units",
            Some(
                json!({"parent_code": "SCH1", "kind": "college", "code": "N\u{0}UL", "name": "新学院"}),
            ),
        ),
        (
            "PUT",
            &police,
            "/api/v1/cases/1",
            Some(case_body("SCH\u{0}1", "2023010101")),
        ),
    ];
    for (method, token, path, body) in probes {
        let c = client();
        let mut rq = match method {
            "GET" => c.get(app.url(path)),
            "POST" => c.post(app.url(path)),
            _ => c.put(app.url(path)),
        }
        .bearer_auth(token);
        if let Some(b) = &body {
            rq = rq.json(b);
        }
        let r = rq.send().await.expect("request");
        let status = r.status();
        assert!(status.is_client_error(), "{method} {path}: {status}");
        let (_, code, _, _) = api_error(r).await;
        if pg_url().is_some() && path.starts_with("/api/v1/units/") {
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::BAD_REQUEST, "bad-text"),
                "{path}"
            );
        }
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM units").await,
        before,
        "nothing written"
    );
}

/// The limits the OpenAPI document states are the ones the server enforces: a value just inside
/// is answered, one just outside is a 400 naming the problem (never a clamp, never a panic).
#[tokio::test]
async fn the_limits_in_the_document_are_enforced() {
    let app = spawn_seeded().await;
    let admin = app.token("admin1", &Scope::ALL).await;
    let police = app.token("police1", &Scope::ALL).await;
    let province = app.token("province1", &Scope::ALL).await;
    let cases: [(&str, &str, &str, &str); 9] = [
        // (token, inside, outside, code of the refusal)
        (
            &admin,
            "/api/v1/reports?limit=1000",
            "/api/v1/reports?limit=0",
            "bad-paging",
        ),
        (
            &admin,
            "/api/v1/reports?status=new",
            "/api/v1/reports?status=lost",
            "reports-err-status",
        ),
        (
            &admin,
            "/api/v1/audit?page=10000",
            "/api/v1/audit?page=0",
            "bad-paging",
        ),
        (
            &admin,
            "/api/v1/inbox?limit=500",
            "/api/v1/inbox?limit=501",
            "bad-paging",
        ),
        (
            &police,
            "/api/v1/cases?unit=SCH1&page=10000",
            "/api/v1/cases?unit=SCH1&page=10001",
            "bad-paging",
        ),
        (
            &police,
            "/api/v1/cases/analysis?unit=SCH1&page=1",
            "/api/v1/cases/analysis?unit=SCH1&page=-1",
            "bad-paging",
        ),
        (
            &police,
            "/api/v1/cases/kpis?unit=ST1&year=9999",
            "/api/v1/cases/kpis?unit=ST1&year=-2147483648",
            "cases-err-period-year",
        ),
        (
            &province,
            "/api/v1/cases/ranking?province=P1&year=1970",
            "/api/v1/cases/ranking?province=P1&year=1969",
            "cases-err-period-year",
        ),
        (
            &admin,
            "/api/v1/campaigns/exposure?unit=SCH1&fraud_type=rebate_task&limit=10000",
            "/api/v1/campaigns/exposure?unit=SCH1&fraud_type=rebate_task&limit=0",
            "bad-paging",
        ),
    ];
    for (token, inside, outside, code) in cases {
        let r = app.api_get(token, inside).await;
        assert_eq!(r.status(), StatusCode::OK, "{inside}");
        let r = app.api_get(token, outside).await;
        let (status, got, _, _) = api_error(r).await;
        assert_eq!(
            (status, got.as_str()),
            (StatusCode::BAD_REQUEST, code),
            "{outside}"
        );
    }
    // A year in a body: the same range.
    let r = client()
        .post(app.url("/api/v1/cases/awards"))
        .bearer_auth(&province)
        .json(&json!({"province": "P1", "year": i32::MIN, "schools": []}))
        .send()
        .await
        .expect("POST");
    let (status, code, _, _) = api_error(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "cases-err-period-year")
    );
}

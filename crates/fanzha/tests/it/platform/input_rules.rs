//! Rules every input and export obeys, across modules: one phone parser (a foreign number stays
//! international in reports, risk checks and intel, and is refused as a person's phone on a
//! roster), name hygiene (control, bidi and invisible-only text refused everywhere a name is
//! written), spreadsheet-safe CSV exports, and assignment only to people who can act.

use crate::common::*;
use fanzha::audit::Actor;
use fanzha::auth::model::Scope;
use fanzha::intel::service::{self as intel, By};
use fanzha_detect::FraudType;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn police_by(app: &TestApp) -> By {
    By {
        actor: Actor {
            account_id: Some(app.fx.account("police1")),
            name: "police1".into(),
            ip: "test".into(),
            request_id: String::new(),
        },
        unit_path: app.fx.unit("ST1").path.clone(),
    }
}

// ---- one phone parser ----

#[tokio::test]
async fn a_foreign_number_in_a_report_stays_international() {
    let app = spawn_seeded().await;
    let s = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let r = post_json(
        &app,
        &s,
        "/api/v1/reports",
        json!({"idempotency_key": "f-1", "call": {"number": "+1 415 555 0100"},
               "sms": {"sender": "+1 (555) 010-0123", "content": "您的包裹异常，请回电 +852 2123 4567"},
               "description": "境外来电"}),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let phones: Vec<String> = sqlx::query_scalar(
        "SELECT value FROM report_indicators WHERE kind = 'phone' ORDER BY value",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    for v in ["+14155550100", "+15550100123"] {
        assert!(phones.contains(&v.to_string()), "{v}: {phones:?}");
    }
    assert!(
        !phones
            .iter()
            .any(|p| p == "14155550100" || p == "15550100123"),
        "{phones:?}"
    );
    // The indicator store keeps them international too.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM indicators WHERE kind = 'phone' AND value IN ('14155550100', '15550100123')")
            .await,
        0
    );
}

#[tokio::test]
async fn a_risk_check_never_matches_a_foreign_number_with_a_mainland_one() {
    let app = spawn_seeded().await;
    let st = &app.state;
    let mut tx = st.db.pool.begin().await.unwrap();
    // A confirmed mainland number whose digits equal the foreign one's.
    intel::confirm(
        &mut tx,
        &st.clock,
        &police_by(&app),
        "phone",
        "141 5555 0100",
        &[FraudType::ImpersonatePolice],
        "case:1",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    st.intel.refresh(&st.db, &st.clock).await.unwrap();
    let t = app.token("student1", &[Scope::RiskCheck]).await;
    let check = |text: &'static str| {
        let (app, t) = (&app, t.clone());
        async move {
            let r = post_json(app, &t, "/api/v1/risk/check", json!({ "text": text })).await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    let v = check("+1 415 555 0100").await;
    assert_eq!(v["indicators"], json!([]), "{v}");
    assert!(v["extracted"].to_string().contains("+14155550100"), "{v}");
    let v = check("00 1 415 555 0100").await;
    assert_eq!(v["indicators"], json!([]), "{v}");
    // The mainland number is still found, with or without +86.
    for text in ["14155550100", "+86 141 5555 0100"] {
        let v = check(text).await;
        assert_eq!(v["indicators"][0]["value"], "14155550100", "{text}: {v}");
    }
}

#[tokio::test]
async fn a_roster_refuses_a_foreign_phone_naming_the_line() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::OrgWrite]).await;
    let before = app.count_students().await;
    let file = "学号,姓名,班级代码,手机号\n\
                2023019901,新生甲,CLS1A1,13800009901\n\
                2023019902,新生乙,CLS1A1,+1 415 555 0100\n\
                2023019903,新生丙,CLS1A1,00852 2123 4567\n";
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", file.into())
        .await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        details.iter().any(|d| d.starts_with("line 3:")
            && d.contains("+1 415 555 0100")
            && d.contains("foreign number")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("line 4:") && d.contains("foreign number")),
        "{details:?}"
    );
    assert_eq!(app.count_students().await, before, "nothing written");
    // Staff rosters too.
    let file = "工号,姓名,单位代码,手机号\nT1901,某老师,COL1A,+886 912 345 678\n";
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", file.into())
        .await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("line 2:") && d.contains("foreign number")),
        "{details:?}"
    );
    // A mainland number with +86 still imports.
    let file = "学号,姓名,班级代码,手机号\n2023019904,新生丁,CLS1A1,+86 138 0000 9904\n";
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", file.into())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

// ---- names: control, bidi and invisible-only text ----

const BAD_NAMES: [(&str, &str); 3] = [
    ("张\u{0}三", "control character"),
    ("\u{200B}\u{200C}\u{FEFF}", "invisible characters"),
    ("abc\u{202E}gpj.exe", "text-direction"),
];

#[tokio::test]
async fn the_roster_import_refuses_bad_names_naming_the_line() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::OrgWrite]).await;
    let before = app.count_students().await;
    for (name, why) in BAD_NAMES {
        let file =
            format!("学号,姓名,班级代码\n2023019901,新生甲,CLS1A1\n2023019902,{name},CLS1A1\n");
        let r = app
            .api_post(&t, "/api/v1/units/SCH1/roster", file.into_bytes())
            .await;
        let (status, _, _, details) = api_error(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert!(
            details
                .iter()
                .any(|d| d.starts_with("line 3") && d.contains(why) && d.contains("name")),
            "{name:?}: {details:?}"
        );
        assert_eq!(app.count_students().await, before, "nothing written");
        // Staff names, and in Chinese for a Chinese reader.
        let file = format!("工号,姓名,单位代码\nT1901,{name},COL1A\n");
        let r = client()
            .post(app.url("/api/v1/units/SCH1/roster"))
            .bearer_auth(&t)
            .header("cookie", "fz_lang=zh-CN")
            .body(file)
            .send()
            .await
            .unwrap();
        let (status, _, _, details) = api_error(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            details.iter().any(|d| d.starts_with("第 2 行")),
            "{details:?}"
        );
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM staff WHERE staff_no = 'T1901'")
            .await,
        0
    );
}

#[tokio::test]
async fn forms_and_apis_refuse_bad_names_and_write_nothing() {
    let app = spawn_seeded().await;
    let province = app.token("province1", &[Scope::OrgWrite]).await;
    let police = app
        .token(
            "police1",
            &[
                Scope::CampaignsRead,
                Scope::CampaignsWrite,
                Scope::WarningsWrite,
            ],
        )
        .await;
    let units = app.scalar("SELECT COUNT(*) FROM units").await;
    for (name, why) in BAD_NAMES {
        // A unit name (API).
        let r = post_json(
            &app,
            &province,
            "/api/v1/units",
            json!({"parent_code": "C1", "kind": "school", "code": "SCH9", "name": name}),
        )
        .await;
        let (s, _, msg, details) = api_error(r).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let all = format!("{msg} {}", details.join(" "));
        assert!(all.contains(why), "{name:?}: {all}");
        // A campaign content title (API).
        let r = post_json(
            &app,
            &police,
            "/api/v1/campaigns/contents",
            json!({"unit": "SCH1", "kind": "article", "title": name, "body_md": "别信刷单",
                   "fraud_types": ["rebate_task"]}),
        )
        .await;
        let (s, _, msg, details) = api_error(r).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let all = format!("{msg} {}", details.join(" "));
        assert!(all.contains(why), "{name:?}: {all}");
        // The source of a warning (API).
        let r = post_json(
            &app,
            &police,
            "/api/v1/warnings",
            json!({"phone": "13800001111", "fraud_type": "fake_loan", "severity": "high",
                   "source": name}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM units").await, units);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM campaign_contents").await,
        0
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM warnings").await, 0);
    // An account's display name (the admin form's service).
    for (name, _) in BAD_NAMES {
        let r = fanzha::auth::service::create_user(
            &app.state.db,
            &app.state.clock,
            &fanzha::auth::service::NewUser {
                username: "newpolice",
                display_name: name,
                password: PASSWORD,
                role: fanzha::auth::model::Role::Police,
                unit_code: "ST1",
                person_no: None,
            },
        )
        .await;
        assert!(r.is_err(), "{name:?}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE username = 'newpolice'")
            .await,
        0
    );
    // Ordinary names with spaces and joiners still pass.
    let r = post_json(
        &app,
        &province,
        "/api/v1/units",
        json!({"parent_code": "C1", "kind": "school", "code": "SCH9", "name": "第九 大学"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

// ---- spreadsheet-safe CSV exports ----

#[tokio::test]
async fn a_formula_name_round_trips_from_roster_import_to_export_neutralised() {
    let app = spawn_seeded().await;
    let t = app
        .token("admin1", &[Scope::OrgWrite, Scope::OrgRead])
        .await;
    let formula = "=HYPERLINK(\"http://x\")";
    let file = format!(
        "学号,姓名,班级代码,专业\n2023019901,\"{}\",CLS1A1,-1+2\n2023019902,@SUM(A1),CLS1A1,\n",
        formula.replace('"', "\"\"")
    );
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", file.into_bytes())
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    // Stored as typed.
    let name: String =
        sqlx::query_scalar("SELECT name FROM students WHERE student_no = '2023019901'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(name, formula);
    let r = app.api_get(&t, "/api/v1/units/SCH1/roster").await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap().to_vec();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let row = |no: &str| rows.iter().find(|r| &r[0] == no).unwrap().clone();
    assert_eq!(&row("2023019901")[1], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&row("2023019901")[4], "'-1+2");
    assert_eq!(&row("2023019902")[1], "'@SUM(A1)");
    // No cell of the file starts with a formula character.
    for r in &rows {
        for cell in r.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?}"
            );
        }
    }
    // The export re-imports to the same names (the prefix is undone).
    let before = app.count_students().await;
    let r = app.api_post(&t, "/api/v1/units/SCH1/roster", bytes).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.count_students().await, before);
    let name: String =
        sqlx::query_scalar("SELECT name FROM students WHERE student_no = '2023019901'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(name, formula);
}

#[tokio::test]
async fn the_intel_csv_export_neutralises_formula_cells_and_reimports() {
    let app = spawn_seeded().await;
    let st = &app.state;
    let mut tx = st.db.pool.begin().await.unwrap();
    for (kind, value) in [
        ("phone", "+1 415 555 0100"),
        ("other_account", "=HYPERLINK(\"http://x\")"),
    ] {
        intel::confirm(
            &mut tx,
            &st.clock,
            &police_by(&app),
            kind,
            value,
            &[FraudType::FakeLoan],
            "case:1",
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let c = app.login("police1").await;
    let (s, body) = app.get(&c, "/intel/export?format=csv").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("phone,'+14155550100,"), "{body}");
    assert!(body.contains("\"'=hyperlink(\"\"http://x\"\")\""), "{body}");
    for line in body.lines() {
        for cell in line.split(',') {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{line}");
        }
    }
    // Importing the file back finds the same indicators (no `'+1…` phone appears).
    let csrf = app.page_csrf(&c).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("format", "csv")
        .part(
            "file",
            reqwest::multipart::Part::bytes(body.into_bytes()).file_name("x.csv"),
        );
    let r = c
        .post(app.url("/intel/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM indicators WHERE value LIKE '''%'")
            .await,
        0
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM indicators WHERE kind = 'phone' AND value = '+14155550100'"
        )
        .await,
        1
    );
}

// ---- assignment only to people who can act ----

#[tokio::test]
async fn a_report_is_assigned_only_to_an_officer_who_can_triage_it() {
    let app = spawn_seeded().await;
    let s = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let id = post_json(
        &app,
        &s,
        "/api/v1/reports",
        json!({"idempotency_key": "a-1", "call": {"number": "17088886666"}}),
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let p = app.token("police1", &Scope::ALL).await;
    let path = format!("/api/v1/reports/{id}/triage");
    // police2 is of another station (SCH2 only): refused, nothing changes, nobody told.
    for (who, account) in [
        ("police2", app.fx.account("police2")),
        ("admin1", app.fx.account("admin1")),
        ("nobody", fanzha::kernel::ids::AccountId(999_999)),
    ] {
        let r = post_json(
            &app,
            &p,
            &path,
            json!({"decision": "assign", "officer": account}),
        )
        .await;
        let (status, _, msg, details) = api_error(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{who}");
        assert!(
            format!("{msg} {details:?}").contains("officer"),
            "{who}: {msg}"
        );
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM reports WHERE id = {id} AND assigned_to IS NOT NULL"
        ))
        .await,
        0
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM inbox_messages WHERE recipient = 'account:{}'",
            app.fx.account("police2")
        ))
        .await,
        0
    );
    // A disabled officer of the right station is refused too.
    let officer = fanzha::auth::service::create_user(
        &app.state.db,
        &app.state.clock,
        &fanzha::auth::service::NewUser {
            username: "police1b",
            display_name: "police1b",
            password: PASSWORD,
            role: fanzha::auth::model::Role::Police,
            unit_code: "ST1",
            person_no: None,
        },
    )
    .await
    .unwrap();
    sqlx::query("UPDATE accounts SET disabled = 1 WHERE id = $1")
        .bind(officer)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let r = post_json(
        &app,
        &p,
        &path,
        json!({"decision": "assign", "officer": officer}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    sqlx::query("UPDATE accounts SET disabled = 0 WHERE id = $1")
        .bind(officer)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    // An officer of the station: assigned, told, and can open the report.
    let r = post_json(
        &app,
        &p,
        &path,
        json!({"decision": "assign", "officer": officer}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["report"]["assigned_to"].as_i64(), Some(officer.get()));
    let t = app.token("police1b", &Scope::ALL).await;
    let r = app.api_get(&t, &format!("/api/v1/reports/{id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_warning_is_routed_only_to_a_student_the_identifier_may_warn_about() {
    // Warnings are assigned by routing: to the chain of a student in the identifier's scope,
    // whose members can open and act on it.
    let app = spawn_seeded().await;
    let police = app
        .token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = post_json(
        &app,
        &police,
        "/api/v1/warnings",
        json!({"phone": "13999990000", "school_code": "SCH1", "fraud_type": "fake_loan",
               "severity": "high"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let admin = app
        .token("admin1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let path = format!("/api/v1/warnings/{id}/identify");
    // A student of another school: refused, nothing changes.
    let r = post_json(&app, &admin, &path, json!({"student_no": "2023510101"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warnings WHERE id = {id} AND student_id IS NULL AND status = 'unidentified'"
        ))
        .await,
        1
    );
    // The other school's admin cannot even see it.
    let admin2 = app
        .token("admin2", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = post_json(&app, &admin2, &path, json!({"student_no": "2023510101"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A student of the school: routed to the counselor, who can open it and act.
    let r = post_json(&app, &admin, &path, json!({"student_no": "2023010101"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let w: Value = r.json().await.unwrap();
    assert_eq!(w["assignee_staff_id"], app.fx.staff["T1001"]);
    let c = app
        .token("counselor1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let r = app.api_get(&c, &format!("/api/v1/warnings/{id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["can_act"], true);
}

/// A method the path does not take is a 405 with the error body of every other refusal, in the
/// caller's language, and with the `Allow` header naming what the path takes.
#[tokio::test]
async fn a_method_the_path_does_not_take_gets_the_error_body() {
    let app = spawn_app().await;
    let r = client()
        .delete(app.url("/api/v1/risk/check"))
        .header("cookie", "fz_lang=en")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let allow = r
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(allow.contains("POST"), "Allow header: {allow:?}");
    // `api_error` checks the fixed code (`invalid`) and gives the problem's own code.
    let (status, problem, message, _) = api_error(r).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(problem, "method");
    assert_eq!(message, "Method not allowed");
    // A page path answers in the page's format, in Chinese by default.
    let r = client()
        .get(app.url("/cases/ranking/select"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body = r.text().await.expect("body");
    assert!(body.contains("不支持此请求方法"), "{body}");
}

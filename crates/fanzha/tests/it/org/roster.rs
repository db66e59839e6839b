//! Roster import and export through the page, the API and the CLI: encodings, idempotence, every
//! kind of bad row refused with its line and nothing written, size limits, staff and their
//! responsibilities, export with BOM that re-imports to the same data, and who is refused.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Switches a signed-in client to English (the app's own language switch).
async fn english(app: &TestApp, c: &Client) {
    let r = c.get(app.url("/lang?set=en&next=/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// Uploads a roster through the import page as a browser does (multipart, CSRF in the query).
async fn page_import(
    app: &TestApp,
    c: &Client,
    school: &str,
    kind: &str,
    file: Vec<u8>,
) -> (StatusCode, String) {
    let (status, html) = app.get(c, "/org/import").await;
    assert_eq!(status, StatusCode::OK, "import page");
    let csrf = meta_csrf(&html);
    let form = Form::new()
        .text("csrf", csrf.clone())
        .text("school", school.to_string())
        .text("kind", kind.to_string())
        .part(
            "file",
            Part::bytes(file)
                .file_name("roster.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let r = c
        .post(app.url("/org/import"))
        .multipart(form)
        .send()
        .await
        .expect("POST /org/import");
    let s = r.status();
    (s, r.text().await.unwrap())
}

/// Every student as (number, name, gender, year, major, class, phone, email, status).
async fn snapshot(
    app: &TestApp,
) -> Vec<(
    String,
    String,
    String,
    i64,
    String,
    i64,
    Option<String>,
    Option<String>,
    String,
)> {
    use sqlx::Row;
    sqlx::query(
        "SELECT student_no, name, gender, enrollment_year, major, class_id, phone, email, status \
         FROM students ORDER BY school_id, student_no",
    )
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            r.get(5),
            r.get(6),
            r.get(7),
            r.get(8),
        )
    })
    .collect()
}

#[tokio::test]
async fn page_import_utf8_with_bom_is_idempotent() {
    let app = spawn_seeded().await;
    let c = app.login("admin1").await;
    english(&app, &c).await;
    let before = app.count_students().await;
    let mut file = BOM.to_vec();
    file.extend_from_slice(
        "学号,姓名,性别,入学年份,专业,班级代码,手机号\n\
         2023019901,新生甲,男,2023,计算机科学,CLS1A1,13800009901\n\
         2023019902,新生乙,女,2023,计算机科学,CLS1A2,13800009902\n"
            .as_bytes(),
    );
    let (status, body) = page_import(&app, &c, "SCH1", "students", file.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("Imported 2 students: 2 new, 0 updated"),
        "{body}"
    );
    assert_eq!(app.count_students().await, before + 2);
    let (status, body) = page_import(&app, &c, "SCH1", "students", file).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Imported 2 students: 0 new, 2 updated"),
        "{body}"
    );
    assert_eq!(app.count_students().await, before + 2);
    let imports = app.audit("roster.import").await;
    assert_eq!(imports.len(), 2);
    assert_eq!(imports[0].actor, "admin1");
    assert_eq!(imports[0].unit_path, app.fx.unit("SCH1").path);
}

#[tokio::test]
async fn api_import_gbk_and_english_headers() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::OrgWrite]).await;
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(
        "学号,姓名,性别,年级,班级代码,手机号码\n\
         2023019911,欧阳娜娜,女,2023级,CLS1B1,138-0000-9911\n",
    );
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "really GBK bytes");
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", gbk.to_vec())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["kind"], "students");
    assert_eq!(v["inserted"], 1);
    let name: String =
        sqlx::query_scalar("SELECT name FROM students WHERE student_no = '2023019911'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(name, "欧阳娜娜");
    let phone: String =
        sqlx::query_scalar("SELECT phone FROM students WHERE student_no = '2023019911'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(phone, "13800009911");

    let english = "student_no,name,gender,enrollment_year,class_code,phone,email,status\n\
                   2023019912,Li Lei,male,2023,CLS1A2,+86 138 0000 9912,li@example.edu.cn,enrolled\n";
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", english.as_bytes().to_vec())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (v["rows"].as_i64(), v["inserted"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(app.count_students().await, 8);
}

#[tokio::test]
async fn quoted_headers_are_recognised_without_a_kind() {
    // Many exporters quote every field, headers included; the kind is detected from them.
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::OrgWrite]).await;
    let file = "\"学号\",\"姓名\",\"班级代码\"\n\"2023019921\",\"新生丁\",\"CLS1A1\"\n";
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", file.into())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (v["kind"].as_str(), v["inserted"].as_i64()),
        (Some("students"), Some(1))
    );
    // Staff too.
    let file = "\"工号\",\"姓名\",\"单位代码\"\n\"T1200\",\"某老师\",\"COL1A\"\n";
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", file.into())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["kind"], "staff");
    // A file with neither number column is refused, naming the problem.
    let r = app
        .api_post(
            &t,
            "/api/v1/units/SCH1/roster",
            "姓名,班级代码\n张三,CLS1A1\n".into(),
        )
        .await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        details[0].contains("Cannot tell the roster kind"),
        "{details:?}"
    );
    let r = app
        .api_post(
            &t,
            "/api/v1/units/SCH1/roster?kind=teachers",
            STUDENTS_SCH1.into(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn api_import_twice_changes_nothing_the_second_time() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::OrgWrite]).await;
    let before = app.count_students().await;
    let r = app
        .api_post(
            &t,
            "/api/v1/units/SCH1/roster",
            STUDENTS_SCH1.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["rows"], 4);
    assert_eq!(v["inserted"], 0);
    assert_eq!(v["updated"], 4);
    assert_eq!(app.count_students().await, before);
}

#[tokio::test]
async fn every_kind_of_bad_row_is_refused_with_its_line_and_nothing_written() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::OrgWrite]).await;
    let head = "学号,姓名,性别,班级代码,手机号\n";
    // Line 2 is always good, so "nothing written" means the good row was not written either.
    let good = "2023019901,新生甲,男,CLS1A1,13800009901\n";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "bad student number",
            format!("{head}{good}20-23,新生乙,女,CLS1A1,\n").into_bytes(),
            "line 3: student number \"20-23\" is invalid",
        ),
        (
            "duplicate in file",
            format!("{head}{good}2023019901,新生乙,女,CLS1A1,\n").into_bytes(),
            "line 3: number \"2023019901\" repeats line 2",
        ),
        (
            "unknown class code",
            format!("{head}{good}2023019902,新生乙,女,NOPE,\n").into_bytes(),
            "line 3: class code \"NOPE\" does not exist in this school",
        ),
        (
            "class of another school",
            format!("{head}{good}2023019902,新生乙,女,CLS2A1,\n").into_bytes(),
            "line 3: class code \"CLS2A1\" does not exist in this school",
        ),
        (
            "bad phone",
            format!("{head}{good}2023019902,新生乙,女,CLS1A1,12345\n").into_bytes(),
            "line 3: \"12345\" is not a valid mainland mobile number",
        ),
        (
            "bad gender",
            format!("{head}{good}2023019902,新生乙,x,CLS1A1,\n").into_bytes(),
            "line 3: gender \"x\" is not recognised",
        ),
        (
            "missing required column",
            "学号,姓名\n2023019902,新生乙\n".as_bytes().to_vec(),
            "Missing required column: 班级代码 / class_code",
        ),
        (
            "empty file",
            head.as_bytes().to_vec(),
            "The file has no data rows",
        ),
        (
            "neither UTF-8 nor GBK",
            vec![0xff, 0xfe, 0x00, 0x81, 0x0a, 0xff, 0xff],
            "Unknown file encoding",
        ),
    ];
    let before = snapshot(&app).await;
    for (name, body, expected) in cases {
        let r = app
            .api_post(&t, "/api/v1/units/SCH1/roster?kind=students", body)
            .await;
        let (status, code, message, details) = api_error(r).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert_eq!(code, "roster-err-refused", "{name}");
        assert_eq!(message, "The roster was not imported", "{name}");
        assert!(
            details.iter().any(|d| d.contains(expected)),
            "{name}: {details:?} lacks {expected:?}"
        );
        assert_eq!(snapshot(&app).await, before, "{name}: nothing written");
    }
    // Several bad lines are all listed, each with its number.
    let body =
        format!("{head}{good}2023019902,新生乙,x,CLS1A1,\n2023019903,新生丙,女,NOPE,12345\n");
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", body.into_bytes())
        .await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(details.len(), 3, "{details:?}");
    assert!(details[0].starts_with("line 3:"), "{details:?}");
    assert!(details[1].starts_with("line 4:"), "{details:?}");
    assert!(details[2].starts_with("line 4:"), "{details:?}");
    assert_eq!(snapshot(&app).await, before);
    assert!(app.audit("roster.import").await.is_empty());
}

#[tokio::test]
async fn page_import_lists_bad_lines_and_writes_nothing() {
    let app = spawn_seeded().await;
    let c = app.login("admin1").await;
    english(&app, &c).await;
    let before = app.count_students().await;
    let file =
        "学号,姓名,班级代码,手机号\n2023019901,新生甲,CLS1A1,\n2023019902,新生乙,CLS1A1,999\n";
    let (status, body) = page_import(&app, &c, "SCH1", "students", file.into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("line 3: &#34;999&#34; is not a valid mainland mobile number"),
        "{body}"
    );
    assert_eq!(app.count_students().await, before);
    // No file chosen.
    let (status, body) = page_import(&app, &c, "SCH1", "students", vec![]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Choose a file to upload"), "{body}");
    // Missing CSRF token: refused before anything is read.
    let form = Form::new()
        .text("school", "SCH1")
        .text("kind", "students")
        .part(
            "file",
            Part::bytes(STUDENTS_SCH1.as_bytes().to_vec()).file_name("r.csv"),
        );
    let r = c
        .post(app.url("/org/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count_students().await, before);
}

#[tokio::test]
async fn oversized_uploads_are_refused_with_413_and_nothing_written() {
    let app = spawn_app_with(|c| c.max_upload_bytes = 16 * 1024, true).await;
    let mut big = String::from("学号,姓名,班级代码\n");
    for i in 0..1000 {
        big.push_str(&format!("20230{i:05},新生{i},CLS1A1\n"));
    }
    assert!(big.len() > 16 * 1024);
    let before = app.count_students().await;
    let t = app.token("admin1", &[Scope::OrgWrite]).await;
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", big.clone().into_bytes())
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.count_students().await, before);
    let c = app.login("admin1").await;
    let (status, _) = page_import(&app, &c, "SCH1", "students", big.into_bytes()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.count_students().await, before);
}

#[tokio::test]
async fn staff_roster_sets_responsibilities() {
    let app = spawn_seeded().await;
    let t = app
        .token("admin1", &[Scope::OrgWrite, Scope::OrgRead])
        .await;
    let file = "工号,姓名,单位代码,手机号,职责,负责单位\n\
                T1100,新老师,COL1B,13700001100,辅导员,CLS1B1\n";
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster?kind=staff", file.into())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["kind"], "staff");
    assert_eq!(v["inserted"], 1);
    assert_eq!(v["responsibilities"], 1);
    let r = app.api_get(&t, "/api/v1/units/CLS1B1").await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    let names: Vec<&str> = v["responsible"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["林老师", "新老师"]);
    // Again: nothing new.
    let resp_before = app.scalar("SELECT COUNT(*) FROM responsibilities").await;
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster?kind=staff", file.into())
        .await;
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (v["inserted"].as_i64(), v["updated"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM responsibilities").await,
        resp_before
    );
    // A counselor cannot be responsible for a college: refused, nothing written.
    let staff_before = app.scalar("SELECT COUNT(*) FROM staff").await;
    let bad = "工号,姓名,单位代码,职责,负责单位\nT1101,某老师,COL1B,辅导员,COL1B\n";
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster?kind=staff", bad.into())
        .await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        details[0].starts_with("line 2: responsible unit \"COL1B\" does not match the duty"),
        "{details:?}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM staff").await, staff_before);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM responsibilities").await,
        resp_before
    );
}

#[tokio::test]
async fn export_has_a_bom_is_audited_and_reimports_to_the_same_data() {
    let app = spawn_seeded().await;
    let c = app.login("admin1").await;
    let r = c
        .get(app.url("/org/unit/SCH1/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let page_csv = r.bytes().await.unwrap().to_vec();
    assert!(page_csv.starts_with(BOM));
    let text = std::str::from_utf8(&page_csv[3..]).unwrap();
    assert!(text.starts_with("学号,姓名,性别"), "{text}");
    assert_eq!(text.lines().count(), 5, "header and four students");
    assert!(text.contains("2023010101,张三,男,2023,计算机科学,CLS1A1"));
    assert!(text.contains("13800001111"), "export is unmasked");
    assert!(!text.contains("钱七"), "no student of another school");
    let exports = app.audit("person.export").await;
    assert_eq!(exports.len(), 1, "one entry for the whole file");
    assert_eq!(exports[0].actor, "admin1");
    assert_eq!(exports[0].target_kind, "student");
    assert_eq!(exports[0].unit_path, app.fx.unit("SCH1").path);
    let d: serde_json::Value = serde_json::from_str(&exports[0].detail).unwrap();
    assert_eq!(d["count"], 4, "{d}");
    assert_eq!(d["filter"]["school"], "SCH1", "{d}");
    assert_eq!(d["via"], "page", "{d}");
    let mut ids: Vec<i64> = d["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    let mut want: Vec<i64> = ["2023010101", "2023010102", "2023010201", "2023020101"]
        .iter()
        .map(|n| app.fx.student(n).get())
        .collect();
    want.sort_unstable();
    assert_eq!(ids, want);

    let t = app
        .token("admin1", &[Scope::OrgRead, Scope::OrgWrite])
        .await;
    let r = app.api_get(&t, "/api/v1/units/SCH1/roster").await;
    assert_eq!(r.status(), StatusCode::OK);
    let api_csv = r.bytes().await.unwrap().to_vec();
    assert_eq!(api_csv, page_csv);
    let exports = app.audit("person.export").await;
    assert_eq!(exports.len(), 2);
    assert!(
        exports[1].detail.contains("\"via\":\"api\""),
        "{}",
        exports[1].detail
    );

    let before = snapshot(&app).await;
    let r = app.api_post(&t, "/api/v1/units/SCH1/roster", api_csv).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (v["inserted"].as_i64(), v["updated"].as_i64()),
        (Some(0), Some(4))
    );
    assert_eq!(snapshot(&app).await, before, "re-import changes nothing");
}

#[tokio::test]
async fn college_leader_exports_only_their_college() {
    // The role matrix lets counselors and unit leaders export, and the export keeps "only their
    // part"; a college leader's export of their school must hold their college's students only.
    let app = spawn_seeded().await;
    let c = app.login("leader1").await;
    let r = c
        .get(app.url("/org/unit/SCH1/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert!(body.contains("张三") && body.contains("王五"), "{body}");
    assert!(!body.contains("赵六"), "student of another college: {body}");
}

#[tokio::test]
async fn roles_without_import_rights_are_refused() {
    let app = spawn_seeded().await;
    let before = app.count_students().await;
    // A counselor has no import page.
    let c = app.login("counselor1").await;
    let (status, _) = app.get(&c, "/org/import").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let t = app.token("counselor1", &[Scope::OrgWrite]).await;
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", STUDENTS_SCH1.into())
        .await;
    assert!(matches!(
        r.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    // Police read but never import.
    let t = app.token("police1", &[Scope::OrgWrite]).await;
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", STUDENTS_SCH1.into())
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A school admin's token without org:write.
    let t = app.token("admin1", &[Scope::OrgRead]).await;
    let r = app
        .api_post(&t, "/api/v1/units/SCH1/roster", STUDENTS_SCH1.into())
        .await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        details.iter().any(|d| d.contains("org:write")),
        "{details:?}"
    );
    // A school admin's page import into the other school.
    let c = app.login("admin1").await;
    let (status, _) = page_import(
        &app,
        &c,
        "SCH2",
        "students",
        "学号,姓名,班级代码\n2023519901,新生乙,CLS2A1\n".into(),
    )
    .await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    assert_eq!(app.count_students().await, before);
    // The page refusals are audited (the tokens above never reach the policy: a scope the
    // account's roles cannot hold is dropped from the token, see tests/it/auth/tokens.rs).
    assert!(!app.audit("access.denied").await.is_empty());
}

/// Runs the `fanzha` binary in `dir` on the test's database: `db_url` (a PostgreSQL schema of
/// its own) or, when `None`, the SQLite file of the data directory.
fn fanzha(dir: &std::path::Path, db_url: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fanzha"));
    cmd.arg("--data-dir")
        .arg(dir)
        .args(args)
        .current_dir(dir)
        .env_remove("FANZHA_DATABASE_URL")
        .env("FANZHA_LANG", "en")
        .env("FANZHA_LOG", "error");
    if let Some(url) = db_url {
        cmd.env("FANZHA_DATABASE_URL", url);
    }
    cmd.output().expect("run fanzha")
}

#[tokio::test]
async fn cli_import_refuses_a_bad_file_naming_its_lines() {
    let (db_url, _guard) = process_db().await;
    let db_url = db_url.as_deref();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("units.csv"),
        "code,name,kind,parent_code,jurisdiction\n\
         P1,测试省,province,,\n\
         C1,测试市,city,P1,\n\
         SCH1,第一大学,school,C1,\n\
         COL1A,计算机学院,college,SCH1,\n\
         CLS1A1,计科2301,class,COL1A,\n\
         ST1,城东派出所,police_station,C1,SCH1\n",
    )
    .unwrap();
    let out = fanzha(d, db_url, &["import", "units", "units.csv"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("6 unit(s) created"));

    std::fs::write(
        d.join("good.csv"),
        STUDENTS_SCH1.lines().take(3).collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    let out = fanzha(
        d,
        db_url,
        &["import", "roster", "good.csv", "--school", "SCH1"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Imported 2 students: 2 new, 0 updated"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    std::fs::write(
        d.join("bad.csv"),
        "学号,姓名,班级代码,手机号\n\
         2023019901,新生甲,CLS1A1,\n\
         2023019902,新生乙,CLS1A1,12345\n\
         2023019903,新生丙,NOPE,\n",
    )
    .unwrap();
    let out = fanzha(
        d,
        db_url,
        &["import", "roster", "bad.csv", "--school", "SCH1"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "bad file accepted: {stderr}");
    assert!(stderr.contains("line 3:"), "{stderr}");
    assert!(stderr.contains("line 4:"), "{stderr}");
    assert!(stderr.contains("bad.csv"), "{stderr}");

    let out = fanzha(d, db_url, &["export", "roster", "--school", "SCH1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        csv.lines().count(),
        3,
        "header and the two good students: {csv}"
    );
    assert!(!csv.contains("新生甲"));
    // The run used the database the suite runs on: on PostgreSQL the test's schema holds the
    // units and students, and the data directory has no SQLite file.
    let sqlite_files = std::fs::read_dir(d)
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().ends_with(".db") || name.to_string_lossy().ends_with(".sqlite")
        })
        .count();
    if let Some(url) = db_url {
        assert_eq!(sqlite_files, 0, "a PostgreSQL run wrote no SQLite file");
        let db = fanzha::db::Db::connect(&fanzha::db::DbOptions {
            url: url.to_string(),
            schema: None,
            max_connections: 1,
        })
        .await
        .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM students")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(n, 2, "the two good students are in the test's schema");
        db.pool.close().await;
    } else {
        assert!(
            sqlite_files > 0,
            "a SQLite run keeps its file in the data directory"
        );
    }
}

/// A student and a staff member of one school cannot share a number (sign-in by number could not
/// tell them apart): an import that would is refused naming the line, and nothing changes. The
/// same number at another school is fine.
#[tokio::test]
async fn a_number_the_school_gives_the_other_kind_of_person_is_refused() {
    let app = spawn_seeded().await;
    let t = app.token("admin1", &[Scope::OrgWrite]).await;
    let staff_before = app.scalar("SELECT COUNT(*) FROM staff").await;
    let accounts_before = app.scalar("SELECT COUNT(*) FROM accounts").await;
    // A staff line with a student's number.
    let r = app
        .api_post(
            &t,
            "/api/v1/units/SCH1/roster",
            "工号,姓名,单位代码\nT1300,新老师,COL1A\n2023010101,重号老师,COL1A\n".into(),
        )
        .await;
    let (status, code, message, details) = api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        details
            .iter()
            .any(|d| d.contains("line 3") && d.contains("2023010101")),
        "{code} {message} {details:?}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM staff").await, staff_before);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts").await,
        accounts_before
    );
    // A student line with a staff number.
    let students_before = app.count_students().await;
    let r = app
        .api_post(
            &t,
            "/api/v1/units/SCH1/roster",
            "学号,姓名,入学年份,班级代码\nT1001,重号学生,2023,CLS1A1\n".into(),
        )
        .await;
    let (status, _, _, details) = api_error(r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(details.iter().any(|d| d.contains("T1001")), "{details:?}");
    assert_eq!(app.count_students().await, students_before);
    // Another school may use the number.
    let t2 = app.token("admin2", &[Scope::OrgWrite]).await;
    let r = app
        .api_post(
            &t2,
            "/api/v1/units/SCH2/roster",
            "工号,姓名,单位代码\n2023010101,另一校老师,COL2A\n".into(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

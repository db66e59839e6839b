//! The integration test harness: `spawn_app()` starts the real app on 127.0.0.1:0 with a fresh
//! database (a temp SQLite file; a fresh PostgreSQL schema when `FANZHA_TEST_DATABASE_URL` is set),
//! a manual clock and no background worker, so tests drain the job queue themselves.
//! `spawn_seeded()` adds a small fixed org written with the app's own functions (see [`Fixture`]).

// Each test file is its own crate and uses a different part of this module.
#![allow(dead_code)]

pub mod env;
pub mod smtp;

#[allow(unused_imports)]
pub use env::{pg_url, skip, under_ci};

use std::collections::BTreeMap;
use std::net::SocketAddr;

use fanzha::auth::model::{Role, Scope};
use fanzha::auth::service::{self as auth_service, NewUser};
use fanzha::auth::store as auth_store;
use fanzha::clock::Clock;
use fanzha::config::Config;
use fanzha::db::jobs::JobRunner;
use fanzha::db::{Backend, Db, DbOptions};
use fanzha::org::model::Unit;
use fanzha::org::roster::RosterKind;
use fanzha::org::service::{self as org_service, NewUnit};
use fanzha::org::store as org_store;
use fanzha::web::{App, AppState};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use tokio::sync::watch;

/// Every seeded account has this password.
pub const PASSWORD: &str = "correct-horse-42";
/// The manual clock starts at 2025-03-01T00:00:00Z.
pub const START_MS: i64 = 1_740_787_200_000;

/// Units of the fixture: (code, name, kind, parent code).
pub const UNITS: &[(&str, &str, &str, Option<&str>)] = &[
    ("P1", "测试省", "province", None),
    ("P2", "邻省", "province", None),
    ("C1", "测试市", "city", Some("P1")),
    ("ST1", "城东派出所", "police_station", Some("C1")),
    ("ST2", "城西派出所", "police_station", Some("C1")),
    ("SCH1", "第一大学", "school", Some("C1")),
    ("SCH2", "第二大学", "school", Some("C1")),
    ("COL1A", "计算机学院", "college", Some("SCH1")),
    ("COL1B", "数学学院", "college", Some("SCH1")),
    ("COL2A", "法学院", "college", Some("SCH2")),
    ("CLS1A1", "计科2301", "class", Some("COL1A")),
    ("CLS1A2", "计科2302", "class", Some("COL1A")),
    ("CLS1B1", "数学2301", "class", Some("COL1B")),
    ("CLS2A1", "法学2301", "class", Some("COL2A")),
];

pub const STUDENTS_SCH1: &str = "学号,姓名,性别,入学年份,专业,班级代码,手机号,邮箱,状态\n\
2023010101,张三,男,2023,计算机科学,CLS1A1,13800001111,zs@example.edu.cn,在读\n\
2023010102,李四,女,2023,计算机科学,CLS1A1,13800001112,,在读\n\
2023010201,王五,男,2023,计算机科学,CLS1A2,13800001121,,在读\n\
2023020101,赵六,女,2023,数学,CLS1B1,13800001211,,在读\n";

pub const STUDENTS_SCH2: &str = "学号,姓名,性别,入学年份,专业,班级代码,手机号,邮箱,状态\n\
2023510101,钱七,男,2023,法学,CLS2A1,13900002111,,在读\n\
2023510102,孙八,女,2023,法学,CLS2A1,13900002112,,在读\n";

pub const STAFF_SCH1: &str = "工号,姓名,单位代码,手机号,职务,职责,负责单位\n\
T1001,陈老师,COL1A,13700001001,辅导员,辅导员,CLS1A1\n\
T1002,林老师,COL1B,13700001002,辅导员,辅导员,CLS1B1\n\
T1003,周老师,COL1A,13700001003,辅导员,辅导员,CLS1A2\n\
T1004,吴院长,COL1A,13700001004,院长,学院领导,COL1A\n\
T1005,郑处长,SCH1,13700001005,保卫处处长,学校领导,SCH1\n";

pub const STAFF_SCH2: &str = "工号,姓名,单位代码,手机号,职务,职责,负责单位\n\
T2001,冯老师,COL2A,13700002001,辅导员,辅导员,CLS2A1\n\
T2002,蒋处长,SCH2,13700002002,保卫处处长,学校领导,SCH2\n";

/// Accounts of the fixture: (username, role, unit code, linked student or staff number).
pub const ACCOUNTS: &[(&str, Role, &str, Option<&str>)] = &[
    ("student1", Role::Student, "SCH1", Some("2023010101")),
    ("student2", Role::Student, "SCH1", Some("2023020101")),
    ("student3", Role::Student, "SCH2", Some("2023510101")),
    ("counselor1", Role::Counselor, "CLS1A1", Some("T1001")),
    ("counselor2", Role::Counselor, "CLS1B1", Some("T1002")),
    ("counselor3", Role::Counselor, "CLS1A2", Some("T1003")),
    ("counselor4", Role::Counselor, "CLS2A1", Some("T2001")),
    ("leader1", Role::UnitLeader, "COL1A", Some("T1004")),
    ("admin1", Role::SchoolAdmin, "SCH1", Some("T1005")),
    ("admin2", Role::SchoolAdmin, "SCH2", Some("T2002")),
    ("police1", Role::Police, "ST1", None),
    ("police2", Role::Police, "ST2", None),
    ("province1", Role::ProvinceAdmin, "P1", None),
    ("partner1", Role::Partner, "P1", None),
];

/// What the fixture created, by code / number / username.
#[derive(Debug, Default)]
pub struct Fixture {
    pub units: BTreeMap<String, Unit>,
    pub students: BTreeMap<String, fanzha::kernel::ids::StudentId>,
    pub staff: BTreeMap<String, i64>,
    pub accounts: BTreeMap<String, fanzha::kernel::ids::AccountId>,
}

impl Fixture {
    pub fn unit(&self, code: &str) -> &Unit {
        self.units
            .get(code)
            .unwrap_or_else(|| panic!("no unit {code}"))
    }
    pub fn student(&self, no: &str) -> fanzha::kernel::ids::StudentId {
        *self
            .students
            .get(no)
            .unwrap_or_else(|| panic!("no student {no}"))
    }
    pub fn account(&self, username: &str) -> fanzha::kernel::ids::AccountId {
        *self
            .accounts
            .get(username)
            .unwrap_or_else(|| panic!("no account {username}"))
    }
}

/// A running app. Dropping it stops the server and, on PostgreSQL, drops the test's schema.
pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub runner: JobRunner,
    pub fx: Fixture,
    pub dir: tempfile::TempDir,
    shutdown: watch::Sender<bool>,
    _db: DbGuard,
}

/// Drops a test's PostgreSQL schema when dropped (nothing to do on SQLite: the file lives in a
/// temp dir).
#[derive(Default)]
pub struct DbGuard {
    pg: Option<(String, String)>,
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        let Some((url, schema)) = self.pg.take() else {
            return;
        };
        // Best effort, on its own thread and runtime because Drop cannot await.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let db = Db::connect(&DbOptions {
                    url,
                    schema: None,
                    max_connections: 1,
                })
                .await
                .ok()?;
                // A transaction a test left open holds locks in the schema; give up on the
                // clean-up (the schema stays behind) rather than hang the suite behind it.
                sqlx::query("SET lock_timeout = '20s'")
                    .execute(&db.pool)
                    .await
                    .ok()?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&db.pool)
                    .await
                    .ok()?;
                db.pool.close().await;
                Some(())
            })
        })
        .join();
    }
}

/// The database of a test, migrated: a fresh PostgreSQL schema when `FANZHA_TEST_DATABASE_URL`
/// is set, else a SQLite file in `dir`. Keep the guard as long as the database is used.
pub async fn fresh_db(dir: &std::path::Path) -> (Db, DbGuard) {
    let (db, guard) = match pg_url() {
        Some(url) => {
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let admin = Db::connect(&DbOptions {
                url: url.clone(),
                schema: None,
                max_connections: 1,
            })
            .await
            .expect("connect to FANZHA_TEST_DATABASE_URL");
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&admin.pool)
                .await
                .expect("create test schema");
            admin.pool.close().await;
            let db = Db::connect(&DbOptions {
                url: url.clone(),
                schema: Some(schema.clone()),
                max_connections: 5,
            })
            .await
            .expect("connect to test schema");
            (
                db,
                DbGuard {
                    pg: Some((url, schema)),
                },
            )
        }
        None => (
            Db::connect(&DbOptions::sqlite_in(dir))
                .await
                .expect("open sqlite"),
            DbGuard::default(),
        ),
    };
    db.migrate().await.expect("migrate");
    (db, guard)
}

/// A fresh database for a `fanzha` child process, migrated: on PostgreSQL a fresh schema and the
/// URL that selects it (`options[search_path]`, for `FANZHA_DATABASE_URL`); on SQLite `None`
/// (the process opens the SQLite file of its data directory).
pub async fn process_db() -> (Option<String>, DbGuard) {
    let Some(url) = pg_url() else {
        return (None, DbGuard::default());
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, guard) = fresh_db(dir.path()).await;
    db.pool.close().await;
    let schema = guard.pg.as_ref().map(|(_, s)| s.clone()).expect("schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    (
        Some(format!("{url}{sep}options[search_path]={schema}")),
        guard,
    )
}

/// An app with an empty (migrated) database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}, false).await
}

/// An app with the fixture seeded.
pub async fn spawn_seeded() -> TestApp {
    spawn_app_with(|_| {}, true).await
}

/// An app with a tweaked configuration, seeded or not.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config), seed: bool) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    tweak(&mut config);
    let (db, guard) = fresh_db(dir.path()).await;
    let clock = Clock::manual(START_MS);
    let app = App::new(config, db, clock);
    let state = app.state.clone();
    let runner = app.runner.clone();
    // Bound before the server task starts, so connections queue until it accepts: no wait needed.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = watch::channel(false);
    tokio::spawn(app.serve(listener, rx, false));
    let mut t = TestApp {
        addr,
        state,
        runner,
        fx: Fixture::default(),
        dir,
        shutdown: tx,
        _db: guard,
    };
    if seed {
        t.fx = seed_fixture(&t.state).await;
    }
    t
}

impl TestApp {
    /// On PostgreSQL, a database URL that puts a `fanzha serve` process started by a test on this
    /// app's schema (through the connection's `search_path` option).
    pub fn process_database_url(&self) -> Option<String> {
        let (url, schema) = self._db.pg.as_ref()?;
        let sep = if url.contains('?') { '&' } else { '?' };
        Some(format!("{url}{sep}options[search_path]={schema}"))
    }

    /// A second app process on this app's database (the same SQLite file, or the same
    /// PostgreSQL schema): its own pool, caches, clock (starting at this app's time) and limits,
    /// as after a restart or on another machine behind the load balancer. Dropping it leaves the
    /// database to this app.
    pub async fn second_process(&self) -> TestApp {
        let opts = match &self._db.pg {
            Some((url, schema)) => DbOptions {
                url: url.clone(),
                schema: Some(schema.clone()),
                max_connections: 5,
            },
            None => DbOptions::sqlite_in(self.dir.path()),
        };
        let db = Db::connect(&opts).await.expect("connect second process");
        db.migrate().await.expect("migrate (nothing to do)");
        let config = (*self.state.config).clone();
        let clock = Clock::manual(self.state.clock.now_ms());
        let app = App::new(config, db, clock);
        let state = app.state.clone();
        let runner = app.runner.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = watch::channel(false);
        tokio::spawn(app.serve(listener, rx, false));
        TestApp {
            addr,
            state,
            runner,
            fx: Fixture {
                units: self.fx.units.clone(),
                students: self.fx.students.clone(),
                staff: self.fx.staff.clone(),
                accounts: self.fx.accounts.clone(),
            },
            dir: tempfile::tempdir().expect("temp dir"),
            shutdown: tx,
            _db: DbGuard::default(),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Seeds the fixed org with the app's own functions: units through the org service, the
/// jurisdictions through the store, rosters through the roster import, accounts through
/// `create_user`.
pub async fn seed_fixture(st: &AppState) -> Fixture {
    let (db, clock) = (&st.db, &st.clock);
    let mut fx = Fixture::default();
    for (code, name, kind, parent) in UNITS {
        let u = org_service::create_unit(
            db,
            clock,
            &NewUnit {
                parent_code: parent.map(str::to_string),
                kind: kind.to_string(),
                code: code.to_string(),
                name: name.to_string(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("unit {code}: {e:?}"));
        fx.units.insert(code.to_string(), u);
    }
    for (station, school) in [("ST1", "SCH1"), ("ST2", "SCH2")] {
        org_store::add_jurisdiction(db, fx.unit(station).id, fx.unit(school).id)
            .await
            .expect("jurisdiction");
    }
    for (school, csv, kind) in [
        ("SCH1", STUDENTS_SCH1, RosterKind::Students),
        ("SCH2", STUDENTS_SCH2, RosterKind::Students),
        ("SCH1", STAFF_SCH1, RosterKind::Staff),
        ("SCH2", STAFF_SCH2, RosterKind::Staff),
    ] {
        let org = fx.unit(school).clone();
        org_service::import_roster(db, clock, &org, csv.as_bytes(), Some(kind))
            .await
            .unwrap_or_else(|e| panic!("roster of {school}: {e:?}"));
    }
    for school in ["SCH1", "SCH2"] {
        let id = fx.unit(school).id;
        for s in org_store::students_of_school(db, id)
            .await
            .expect("students")
        {
            fx.students.insert(s.student_no, s.id);
        }
    }
    for s in org_store::list_staff(db, "/").await.expect("staff") {
        fx.staff.insert(s.staff_no, s.id);
    }
    for (username, role, unit, person) in ACCOUNTS {
        let id = auth_service::create_user(
            db,
            clock,
            &NewUser {
                username,
                display_name: username,
                password: PASSWORD,
                role: *role,
                unit_code: unit,
                person_no: *person,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("account {username}: {e:?}"));
        fx.accounts.insert(username.to_string(), id);
    }
    fx
}

/// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The value of the first `<input name="csrf" value="…">` of a page.
pub fn form_csrf(html: &str) -> String {
    between(html, "name=\"csrf\" value=\"", "\"")
        .unwrap_or_else(|| panic!("no csrf input in page: {}", excerpt(html)))
}

/// The `<meta name="csrf-token" content="…">` of a signed-in page.
pub fn meta_csrf(html: &str) -> String {
    between(html, "<meta name=\"csrf-token\" content=\"", "\"")
        .unwrap_or_else(|| panic!("no csrf meta in page: {}", excerpt(html)))
}

pub fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(s[i..j].to_string())
}

fn excerpt(s: &str) -> String {
    s.chars().take(400).collect()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn backend(&self) -> Backend {
        self.state.db.backend
    }

    /// Submits the login form with a fresh pre-login CSRF token; returns the response.
    pub async fn submit_login(&self, c: &Client, username: &str, password: &str) -> Response {
        self.submit_login_with(c, username, password, &[]).await
    }

    /// [`TestApp::submit_login`] with extra request headers on both requests (e.g. what a
    /// reverse proxy adds).
    pub async fn submit_login_with(
        &self,
        c: &Client,
        username: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> Response {
        let with = |mut r: reqwest::RequestBuilder| {
            for (k, v) in headers {
                r = r.header(*k, *v);
            }
            r
        };
        let page = with(c.get(self.url("/login")))
            .send()
            .await
            .expect("GET /login");
        assert_eq!(page.status(), StatusCode::OK, "GET /login");
        let csrf = form_csrf(&page.text().await.expect("login page"));
        with(c.post(self.url("/login")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", username),
                ("password", password),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("POST /login")
    }

    /// A client signed in as `username` (password [`PASSWORD`]).
    pub async fn login(&self, username: &str) -> Client {
        self.login_with(username, PASSWORD).await
    }

    pub async fn login_with(&self, username: &str, password: &str) -> Client {
        let c = client();
        let r = self.submit_login(&c, username, password).await;
        let status = r.status();
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "login of {username} failed: {}",
            excerpt(&r.text().await.unwrap_or_default())
        );
        c
    }

    /// The CSRF token of the signed-in session of `c`, read from a page's meta tag.
    pub async fn page_csrf(&self, c: &Client) -> String {
        let r = c
            .get(self.url("/account"))
            .send()
            .await
            .expect("GET /account");
        assert_eq!(r.status(), StatusCode::OK, "GET /account");
        meta_csrf(&r.text().await.expect("account page"))
    }

    /// GET as a signed-in client; returns status and body.
    pub async fn get(&self, c: &Client, path: &str) -> (StatusCode, String) {
        let r = c.get(self.url(path)).send().await.expect("GET");
        let s = r.status();
        (s, r.text().await.expect("body"))
    }

    /// A new API token of `username` with these scopes (no expiry).
    pub async fn token(&self, username: &str, scopes: &[Scope]) -> String {
        self.token_ttl(username, scopes, None).await
    }

    pub async fn token_ttl(&self, username: &str, scopes: &[Scope], days: Option<i64>) -> String {
        let acc = auth_store::account_by_username(&self.state.db, username)
            .await
            .expect("account lookup")
            .unwrap_or_else(|| panic!("no account {username}"));
        match auth_service::create_token(
            &self.state.db,
            &self.state.clock,
            acc.id,
            "test",
            scopes,
            days,
        )
        .await
        {
            Ok(t) => t.token,
            // Tests of a module's refusals may want a token carrying a scope its account's roles
            // cannot use: such a token can no longer be made, but one made before that rule still
            // exists in the database, and the scope is dropped when it is used. Written here the
            // way the store would have written it.
            Err(auth_service::AuthError::ScopeBeyondRoles(_)) => {
                let token = format!("fz_{}", fanzha::auth::password::random_token());
                let now = self.state.clock.now_ms();
                auth_store::insert_token(
                    &self.state.db,
                    acc.id,
                    "test",
                    &fanzha::auth::password::sha256_hex(&token),
                    &token[..11],
                    scopes,
                    now,
                    days.map(|d| now + d * 86_400_000),
                )
                .await
                .expect("insert token");
                token
            }
            Err(e) => panic!("create token: {e:?}"),
        }
    }

    /// GET an API path with a bearer token.
    pub async fn api_get(&self, token: &str, path: &str) -> Response {
        client()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("API GET")
    }

    /// POST a body to an API path with a bearer token (English messages).
    pub async fn api_post(&self, token: &str, path: &str, body: Vec<u8>) -> Response {
        client()
            .post(self.url(path))
            .bearer_auth(token)
            .header("cookie", "fz_lang=en")
            .header("content-type", "text/csv")
            .body(body)
            .send()
            .await
            .expect("API POST")
    }

    /// One number from SQL (`SELECT COUNT(*) …`).
    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub async fn count_students(&self) -> i64 {
        self.scalar("SELECT COUNT(*) FROM students").await
    }

    /// Audit entries with this action, oldest first.
    pub async fn audit(&self, action: &str) -> Vec<AuditRow> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT actor_account_id, actor, target_kind, target_id, unit_path, ip, request_id, detail \
             FROM audit_log WHERE action = $1 ORDER BY id",
        )
        .bind(action)
        .fetch_all(&self.state.db.pool)
        .await
        .expect("audit rows");
        rows.iter()
            .map(|r| AuditRow {
                actor_account_id: r.get(0),
                actor: r.get(1),
                target_kind: r.get(2),
                target_id: r.get(3),
                unit_path: r.get(4),
                ip: r.get(5),
                request_id: r.get(6),
                detail: r.get(7),
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub actor_account_id: Option<i64>,
    pub actor: String,
    pub target_kind: String,
    pub target_id: String,
    pub unit_path: String,
    pub ip: String,
    pub request_id: String,
    pub detail: String,
}

/// POST a JSON body to an API path with a bearer token (messages in English).
pub async fn post_json(
    app: &TestApp,
    token: &str,
    path: &str,
    body: impl std::borrow::Borrow<serde_json::Value>,
) -> Response {
    post_json_key(app, token, path, body, None).await
}

/// [`post_json`] with an optional `Idempotency-Key`.
pub async fn post_json_key(
    app: &TestApp,
    token: &str,
    path: &str,
    body: impl std::borrow::Borrow<serde_json::Value>,
    key: Option<&str>,
) -> Response {
    let mut r = client()
        .post(app.url(path))
        .bearer_auth(token)
        .header("cookie", "fz_lang=en")
        .json(body.borrow());
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    r.send().await.expect("POST")
}

/// [`post_json`], read as (status, JSON body or `null`).
pub async fn post_json_read(
    app: &TestApp,
    token: &str,
    path: &str,
    body: impl std::borrow::Borrow<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    json_of(post_json(app, token, path, body).await).await
}

/// GET an API path with a bearer token, read as (status, JSON body or `null`).
pub async fn get_json(app: &TestApp, token: &str, path: &str) -> (StatusCode, serde_json::Value) {
    json_of(app.api_get(token, path).await).await
}

/// A response as (status, JSON body or `null`).
pub async fn json_of(r: Response) -> (StatusCode, serde_json::Value) {
    let s = r.status();
    (s, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// The JSON error body of an API response: (problem code, message, problem messages). The body is
/// checked against the contract (docs/API.md, Errors): `code` is the fixed code of the status and
/// each detail is `{code, message}`. The problem code returned is the first detail's (the module's
/// own key), or the fixed code when there is none; the headline is not repeated in the list.
pub async fn api_error(r: Response) -> (StatusCode, String, String, Vec<String>) {
    let status = r.status();
    let v: serde_json::Value = r.json().await.expect("JSON error body");
    let e = &v["error"];
    assert!(e.is_object(), "not an error body: {v}");
    let code = e["code"].as_str().expect("code").to_string();
    assert_eq!(
        code,
        fanzha::error::Code::of_status(status).as_str(),
        "the fixed code of {status}: {v}"
    );
    let message = e["message"].as_str().expect("message").to_string();
    let list = e["details"]
        .as_array()
        .unwrap_or_else(|| panic!("details is not an array: {v}"));
    let mut details: Vec<(String, String)> = list
        .iter()
        .map(|d| {
            (
                d["code"].as_str().expect("detail code").to_string(),
                d["message"].as_str().expect("detail message").to_string(),
            )
        })
        .collect();
    let problem = details.first().map_or(code.clone(), |d| d.0.clone());
    if details.len() > 1 && details[0].1 == message {
        details.remove(0);
    }
    (
        status,
        problem,
        message,
        details.into_iter().map(|d| d.1).collect(),
    )
}

impl TestApp {
    /// POST a URL-encoded form as a signed-in client, with the session's CSRF token added; returns
    /// the status and the redirect target (or the body when there is none).
    pub async fn post_form(
        &self,
        c: &Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let csrf = self.page_csrf(c).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let r = c
            .post(self.url(path))
            .form(&form)
            .send()
            .await
            .expect("POST form");
        let s = r.status();
        match r.headers().get("location") {
            Some(l) => (s, l.to_str().unwrap_or_default().to_string()),
            None => (s, r.text().await.expect("body")),
        }
    }
}

//! A small CAS server for trying campus sign-in without one: it signs in any user name with one
//! fixed password and vouches for it as the `studentNo` attribute. Only `fanzha demo` starts it
//! (and the tests); `serve` has no setting that can — a real school's CAS is configured on the
//! school's sign-in page instead.
//!
//! It follows the CAS protocol where it matters for a client: a service ticket is single use,
//! valid for the service it was issued for only, for a minute; `serviceValidate` (2.0) answers
//! without attributes and `p3/serviceValidate` (3.0) with them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use crate::text::urlencode;

struct Issued {
    service: String,
    user: String,
    at: Instant,
}

/// The test CAS's state: its password and the tickets it issued.
pub struct TestCas {
    password: String,
    tickets: Mutex<HashMap<String, Issued>>,
}

impl TestCas {
    pub fn new(password: &str) -> Arc<TestCas> {
        Arc::new(TestCas {
            password: password.to_string(),
            tickets: Mutex::new(HashMap::new()),
        })
    }

    /// Issues a ticket for `user` and `service` directly (tests use it to make tickets for other
    /// services).
    pub fn issue(&self, user: &str, service: &str) -> String {
        let ticket = format!("ST-{}", crate::auth::password::random_token());
        if let Ok(mut t) = self.tickets.lock() {
            t.retain(|_, i| i.at.elapsed() < Duration::from_secs(60));
            t.insert(
                ticket.clone(),
                Issued {
                    service: service.to_string(),
                    user: user.to_string(),
                    at: Instant::now(),
                },
            );
        }
        ticket
    }

    /// Takes a ticket once: the user it was issued to, if it was issued for `service`.
    fn take(&self, ticket: &str, service: &str) -> Result<String, &'static str> {
        let issued = self
            .tickets
            .lock()
            .map_err(|_| "INTERNAL_ERROR")?
            .remove(ticket)
            .ok_or("INVALID_TICKET")?;
        if issued.at.elapsed() > Duration::from_secs(60) {
            return Err("INVALID_TICKET");
        }
        if issued.service != service {
            return Err("INVALID_SERVICE");
        }
        Ok(issued.user)
    }
}

pub fn router(cas: Arc<TestCas>) -> Router {
    Router::new()
        .route("/cas/login", get(login_form).post(login_submit))
        .route("/cas/logout", get(logout))
        .route("/cas/serviceValidate", get(validate_v2))
        .route("/cas/p3/serviceValidate", get(validate_v3))
        .with_state(cas)
}

/// Serves the test CAS on `127.0.0.1:port` (0: any free port) until the task is dropped;
/// returns its base URL (`http://127.0.0.1:PORT/cas`).
pub async fn start(
    cas: Arc<TestCas>,
    port: u16,
) -> std::io::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let addr = listener.local_addr()?;
    let app = router(cas);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((format!("http://{addr}/cas"), task))
}

#[derive(Deserialize)]
struct ServiceQuery {
    service: Option<String>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn form(service: &str, error: bool) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>测试统一身份认证 Test CAS</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:1rem auto;padding:0 1rem}}
.warn{{background:#fff3cd;border:1px solid #e0b000;padding:.5rem}}label,input,button{{display:block;width:100%;margin:.3rem 0;font-size:1rem;box-sizing:border-box}}input,button{{padding:.5rem}}</style></head>
<body><p class="warn">测试用统一身份认证（仅限演示）。Test CAS for the demo only: any number with the password <b>demo</b>.</p>
<h1>统一身份认证</h1>{err}
<form method="post" action="/cas/login"><input type="hidden" name="service" value="{service}">
<label>学号/工号 Number<input name="username" id="cas-username" autocomplete="username" required></label>
<label>密码 Password<input type="password" name="password" id="cas-password" required></label>
<button type="submit" id="cas-submit">登录 Sign in</button></form></body></html>"#,
        err = if error {
            r#"<p role="alert">密码错误 Wrong password</p>"#
        } else {
            ""
        },
        service = escape(service),
    ))
}

async fn login_form(Query(q): Query<ServiceQuery>) -> Html<String> {
    form(q.service.as_deref().unwrap_or(""), false)
}

#[derive(Deserialize)]
struct LoginForm {
    service: String,
    username: String,
    password: String,
}

async fn login_submit(State(cas): State<Arc<TestCas>>, Form(f): Form<LoginForm>) -> Response {
    if f.password != cas.password || f.username.trim().is_empty() {
        return form(&f.service, true).into_response();
    }
    let ticket = cas.issue(f.username.trim(), &f.service);
    let sep = if f.service.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{}{sep}ticket={}", f.service, urlencode(&ticket))).into_response()
}

async fn logout(Query(q): Query<ServiceQuery>) -> Html<String> {
    Html(format!(
        "<!doctype html><meta charset=\"utf-8\"><p>已退出测试统一身份认证。Signed out of the test CAS.</p><p><a href=\"{}\">↩</a></p>",
        escape(q.service.as_deref().unwrap_or("/"))
    ))
}

#[derive(Deserialize)]
struct ValidateQuery {
    service: Option<String>,
    ticket: Option<String>,
}

fn answer(cas: &TestCas, q: &ValidateQuery, attributes: bool) -> Response {
    let xml = match cas.take(
        q.ticket.as_deref().unwrap_or(""),
        q.service.as_deref().unwrap_or(""),
    ) {
        Ok(user) => {
            let attrs = if attributes {
                format!(
                    "<cas:attributes><cas:studentNo>{u}</cas:studentNo><cas:uid>{u}</cas:uid></cas:attributes>",
                    u = escape(&user)
                )
            } else {
                String::new()
            };
            format!(
                "<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\"><cas:authenticationSuccess><cas:user>{}</cas:user>{attrs}</cas:authenticationSuccess></cas:serviceResponse>",
                escape(&user)
            )
        }
        Err(code) => format!(
            "<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\"><cas:authenticationFailure code=\"{code}\">ticket refused</cas:authenticationFailure></cas:serviceResponse>"
        ),
    };
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/xml; charset=utf-8",
        )],
        xml,
    )
        .into_response()
}

async fn validate_v2(State(cas): State<Arc<TestCas>>, Query(q): Query<ValidateQuery>) -> Response {
    answer(&cas, &q, false)
}

async fn validate_v3(State(cas): State<Arc<TestCas>>, Query(q): Query<ValidateQuery>) -> Response {
    answer(&cas, &q, true)
}

/// `fanzha demo` only: starts the test CAS on this machine and points the first demo school's
/// sign-in at it (marked as the built-in test service on its login page; local passwords stay
/// allowed so the demo logins keep working). Returns the school's code and the server's task.
pub async fn start_for_demo(
    db: &crate::db::Db,
    clock: &crate::clock::Clock,
) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let school = crate::org::store::lookups::first_school_by_code(db).await?;
    let Some((school_id, code)) = school else {
        anyhow::bail!("the demo has no school");
    };
    let (url, task) = start(TestCas::new("demo"), 0).await?;
    super::store::save(
        db,
        &super::SchoolSignIn {
            school_id,
            protocol: super::Protocol::Cas,
            server_url: url,
            cas_version: super::CasVersion::V3,
            client_id: String::new(),
            client_secret: crate::config::Secret::new(""),
            number_attribute: "studentNo".into(),
            local_passwords: true,
            builtin_test: true,
        },
        None,
        clock.now_ms(),
    )
    .await?;
    Ok((code, task))
}

//! DingTalk and WeCom sign-in per school against local receivers that answer with the
//! platforms' published sample responses (tests/fixtures/platforms): binding once from My
//! account, a school's mapping import, sign-in, and the refusals (a reused code, a code the
//! platform refuses, an identity bound to nobody, a person of another school).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::common::*;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use reqwest::{Client, StatusCode};
use serde_json::Value;

/// One receiver playing both the login page and the API of both platforms. The login page
/// signs in whoever the test put in `user` (a platform user id) and issues a one-time code.
#[derive(Default)]
struct Receiver {
    user: Mutex<String>,
    codes: Mutex<HashMap<String, String>>,
    tokens: Mutex<HashMap<String, String>>,
    issued: std::sync::atomic::AtomicUsize,
}

fn sample(name: &str) -> Value {
    let text = match name {
        "dingtalk_user_access_token" => {
            include_str!("../../fixtures/platforms/dingtalk_user_access_token.json")
        }
        "dingtalk_users_me" => include_str!("../../fixtures/platforms/dingtalk_users_me.json"),
        "dingtalk_error" => include_str!("../../fixtures/platforms/dingtalk_error.json"),
        "wecom_gettoken" => include_str!("../../fixtures/platforms/wecom_gettoken.json"),
        "wecom_getuserinfo" => include_str!("../../fixtures/platforms/wecom_getuserinfo.json"),
        _ => include_str!("../../fixtures/platforms/wecom_invalid_code.json"),
    };
    serde_json::from_str(text).unwrap()
}

fn issue(r: &Receiver, q: &HashMap<String, String>, code_param: &str) -> Response {
    let n = r.issued.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let code = format!("c{}", n + 1000);
    r.codes
        .lock()
        .unwrap()
        .insert(code.clone(), r.user.lock().unwrap().clone());
    Redirect::to(&format!(
        "{}?{code_param}={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
    .into_response()
}

async fn ding_auth(
    State(r): State<Arc<Receiver>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q.get("client_id").map(String::as_str), Some("dingapp"));
    assert_eq!(q.get("response_type").map(String::as_str), Some("code"));
    issue(&r, &q, "authCode")
}

async fn ding_token(State(r): State<Arc<Receiver>>, Json(b): Json<Value>) -> Response {
    assert_eq!(b["clientId"], "dingapp");
    assert_eq!(b["grantType"], "authorization_code");
    if b["clientSecret"] != "ding-secret" {
        return (StatusCode::BAD_REQUEST, Json(sample("dingtalk_error"))).into_response();
    }
    // A code is answered once.
    let Some(user) = r
        .codes
        .lock()
        .unwrap()
        .remove(b["code"].as_str().unwrap_or(""))
    else {
        return (StatusCode::BAD_REQUEST, Json(sample("dingtalk_error"))).into_response();
    };
    let token = format!("at-{user}");
    r.tokens.lock().unwrap().insert(token.clone(), user);
    let mut v = sample("dingtalk_user_access_token");
    v["accessToken"] = token.into();
    Json(v).into_response()
}

async fn ding_me(State(r): State<Arc<Receiver>>, h: HeaderMap) -> Response {
    let token = h
        .get("x-acs-dingtalk-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(user) = r.tokens.lock().unwrap().get(token).cloned() else {
        return (StatusCode::UNAUTHORIZED, Json(sample("dingtalk_error"))).into_response();
    };
    let mut v = sample("dingtalk_users_me");
    v["unionId"] = user.into();
    Json(v).into_response()
}

async fn wecom_login(
    State(r): State<Arc<Receiver>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q.get("appid").map(String::as_str), Some("wwcorp"));
    assert_eq!(q.get("agentid").map(String::as_str), Some("1000002"));
    issue(&r, &q, "code")
}

/// WeCom's in-app OAuth (inside the WeCom client): silent, `snsapi_base`.
async fn wecom_in_app(
    State(r): State<Arc<Receiver>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q.get("appid").map(String::as_str), Some("wwcorp"));
    assert_eq!(q.get("agentid").map(String::as_str), Some("1000002"));
    assert_eq!(q.get("scope").map(String::as_str), Some("snsapi_base"));
    assert_eq!(q.get("response_type").map(String::as_str), Some("code"));
    issue(&r, &q, "code")
}

async fn wecom_gettoken(Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    assert_eq!(q.get("corpid").map(String::as_str), Some("wwcorp"));
    assert_eq!(
        q.get("corpsecret").map(String::as_str),
        Some("wecom-secret")
    );
    Json(sample("wecom_gettoken"))
}

async fn wecom_userinfo(
    State(r): State<Arc<Receiver>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    assert_eq!(
        q.get("access_token").map(String::as_str),
        Some("accesstoken000001")
    );
    match r
        .codes
        .lock()
        .unwrap()
        .remove(q.get("code").map_or("", |s| s))
    {
        Some(user) => {
            let mut v = sample("wecom_getuserinfo");
            v["userid"] = user.into();
            Json(v)
        }
        None => Json(sample("wecom_invalid_code")),
    }
}

async fn start_receiver() -> (String, Arc<Receiver>) {
    let r = Arc::new(Receiver::default());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let app = Router::new()
        .route("/oauth2/auth", get(ding_auth))
        .route("/v1.0/oauth2/userAccessToken", post(ding_token))
        .route("/v1.0/contact/users/me", get(ding_me))
        .route("/wwlogin/sso/login", get(wecom_login))
        .route("/connect/oauth2/authorize", get(wecom_in_app))
        .route("/cgi-bin/gettoken", get(wecom_gettoken))
        .route("/cgi-bin/auth/getuserinfo", get(wecom_userinfo))
        .with_state(r.clone());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (base, r)
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// An app whose SCH1 has a DingTalk and a WeCom app, configured through the settings page.
async fn setup() -> (TestApp, Arc<Receiver>) {
    let (base, r) = start_receiver().await;
    let b = base.clone();
    let app = spawn_app_with(
        move |c| {
            c.dingtalk_login_base = b.clone();
            c.dingtalk_api_base = b.clone();
            c.wecom_login_base = b.clone();
            c.wecom_oauth_base = b.clone();
            c.wecom_api_base = b;
        },
        true,
    )
    .await;
    let admin = app.login("admin1").await;
    let csrf = app.page_csrf(&admin).await;
    for form in [
        vec![
            ("platform", "dingtalk"),
            ("app_id", "dingapp"),
            ("app_secret", "ding-secret"),
        ],
        vec![
            ("platform", "wecom"),
            ("app_id", "wwcorp"),
            ("agent_id", "1000002"),
            ("app_secret", "wecom-secret"),
        ],
    ] {
        let mut f = vec![("csrf", csrf.as_str())];
        f.extend(form);
        let r = admin
            .post(app.url("/org/unit/SCH1/sign-in/platform"))
            .form(&f)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (_, page) = app.get(&admin, "/org/unit/SCH1/sign-in").await;
    assert!(!page.contains("ding-secret") && !page.contains("wecom-secret"));
    (app, r)
}

/// Goes from `start` (a path on the app) through the receiver's login page; returns the callback
/// URL with the code.
async fn to_callback(app: &TestApp, r: &Receiver, c: &Client, start: &str, user: &str) -> String {
    *r.user.lock().unwrap() = user.to_string();
    let resp = c.get(app.url(start)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{start}");
    let login = location(&resp);
    let resp = c.get(&login).send().await.unwrap();
    let back = location(&resp);
    assert!(back.starts_with(&app.url("/sso/SCH1/")), "{back}");
    back
}

async fn refusals(app: &TestApp) -> Vec<String> {
    app.audit("auth.sso_refused")
        .await
        .into_iter()
        .map(|r| {
            let v: Value = serde_json::from_str(&r.detail).unwrap();
            v["reason"].as_str().unwrap_or("").to_string()
        })
        .collect()
}

async fn sessions(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM sessions").await
}

#[tokio::test]
async fn a_student_binds_dingtalk_once_then_signs_in_with_it() {
    let (app, r) = setup().await;
    // Not bound yet: a clear refusal, no session.
    let before = sessions(&app).await;
    let c = client();
    let back = to_callback(&app, &r, &c, "/sso/SCH1/dingtalk/start", "union-zs").await;
    let resp = c.get(&back).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.unwrap().contains("id=\"sso-refused\""));
    assert_eq!(sessions(&app).await, before);
    assert_eq!(refusals(&app).await, ["not_bound"]);

    // student1 binds from My account.
    let s1 = app.login("student1").await;
    let (_, page) = app.get(&s1, "/account").await;
    assert!(
        page.contains("id=\"bind-dingtalk\""),
        "offered on My account"
    );
    let back = to_callback(&app, &r, &s1, "/sso/SCH1/dingtalk/bind", "union-zs").await;
    let resp = s1.get(&back).send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        refusals(&app).await
    );
    assert_eq!(location(&resp), "/account?bound=1");
    assert_eq!(app.audit("auth.platform_bound").await.len(), 1);
    // Once: the same identity cannot be bound again by someone else.
    let s2 = app.login("student2").await;
    let back = to_callback(&app, &r, &s2, "/sso/SCH1/dingtalk/bind", "union-zs").await;
    assert_eq!(
        s2.get(&back).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    // Signed out, DingTalk signs student1 in.
    let c = client();
    let back = to_callback(&app, &r, &c, "/sso/SCH1/dingtalk/start", "union-zs").await;
    let resp = c.get(&back).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (s, page) = app.get(&c, "/account").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("student1"), "signed in as student1");
    let log = app.audit("auth.sso_login").await;
    assert!(log
        .last()
        .unwrap()
        .detail
        .contains("\"protocol\":\"dingtalk\""));
}

#[tokio::test]
async fn a_reused_dingtalk_code_is_refused() {
    let (app, r) = setup().await;
    let s1 = app.login("student1").await;
    let back = to_callback(&app, &r, &s1, "/sso/SCH1/dingtalk/bind", "union-zs").await;
    assert_eq!(
        s1.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let c = client();
    let first = to_callback(&app, &r, &c, "/sso/SCH1/dingtalk/start", "union-zs").await;
    assert_eq!(
        c.get(&first).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    // A fresh sign-in (new state) presenting the code already used.
    let other = client();
    let second = to_callback(&app, &r, &other, "/sso/SCH1/dingtalk/start", "union-zs").await;
    let old_code = first
        .split("authCode=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let new_code = second
        .split("authCode=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let replay = second.replace(new_code, old_code);
    let before = sessions(&app).await;
    let resp = other.get(&replay).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(sessions(&app).await, before);
    assert_eq!(refusals(&app).await, ["dingtalk_code_reused"]);
    // A code the platform never issued: refused by the platform, and audited.
    let c = client();
    let back = to_callback(&app, &r, &c, "/sso/SCH1/dingtalk/start", "union-zs").await;
    let code = back
        .split("authCode=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let resp = c.get(back.replace(&code, "forged")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(sessions(&app).await, before);
    assert_eq!(
        refusals(&app).await,
        ["dingtalk_code_reused", "dingtalk_code_refused"]
    );
}

#[tokio::test]
async fn a_wecom_mapping_import_lets_people_sign_in_and_activates_them() {
    let (app, r) = setup().await;
    let admin = app.login("admin1").await;
    let csrf = app.page_csrf(&admin).await;
    let upload = |csv: &'static str| {
        let admin = admin.clone();
        let url = app.url("/org/unit/SCH1/sign-in/mapping");
        let csrf = csrf.clone();
        async move {
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf)
                .text("platform", "wecom")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("map.csv"),
                );
            let r = admin.post(url).multipart(form).send().await.unwrap();
            let s = r.status();
            (s, r.text().await.unwrap())
        }
    };
    // Another school's number, a duplicate, a short line: refused naming the line, nothing bound.
    for (csv, line) in [
        ("userid,number\nLiSi,2023010102\nQianQi,2023510101\n", "3"),
        ("userid,number\nLiSi,2023010102\nLiSi,2023010201\n", "3"),
        ("userid,number\nLiSi\n", "2"),
    ] {
        let (s, body) = upload(csv).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{csv}");
        assert!(body.contains(line), "{body}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM platform_identities").await,
        0
    );
    let (s, _) = upload("userid,number\nLiSi,2023010102\nWangWu,2023010201\n").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM platform_identities").await,
        2
    );

    // 李四 (never activated) signs in with WeCom: activated now.
    let c = client();
    let back = to_callback(&app, &r, &c, "/sso/SCH1/wecom/start", "LiSi").await;
    assert_eq!(
        c.get(&back).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE person_no = '2023010102' AND activated_at IS NOT NULL").await,
        1
    );
    // The same code again, in a new sign-in: refused.
    let other = client();
    let second = to_callback(&app, &r, &other, "/sso/SCH1/wecom/start", "LiSi").await;
    let old = back
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let new = second
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let before = sessions(&app).await;
    assert_eq!(
        other
            .get(second.replace(new, old))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(sessions(&app).await, before);
    assert_eq!(refusals(&app).await, ["wecom_code_reused"]);
}

#[tokio::test]
async fn a_person_of_another_school_cannot_bind_or_sign_in_through_this_schools_app() {
    let (app, r) = setup().await;
    // student3 is at SCH2: SCH1's app does not exist for them.
    let s3 = app.login("student3").await;
    let resp = s3
        .get(app.url("/sso/SCH1/dingtalk/bind"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // SCH2 has no DingTalk app at all.
    let resp = s3
        .get(app.url("/sso/SCH2/dingtalk/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // An identity bound at SCH1 never opens an account elsewhere, and SCH2's admin cannot
    // configure SCH1's apps.
    let admin2 = app.login("admin2").await;
    let csrf = app.page_csrf(&admin2).await;
    let resp = admin2
        .post(app.url("/org/unit/SCH1/sign-in/platform"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("platform", "dingtalk"),
            ("app_id", "evil"),
            ("app_secret", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let app_id: String =
        sqlx::query_scalar("SELECT app_id FROM school_platforms WHERE platform = 'dingtalk'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(app_id, "dingapp");
    let _ = r;
}

const WECOM_UA: &str = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh";

/// The school maps WeCom user `LiSi` to 李四 (2023010102).
async fn map_wecom_lisi(app: &TestApp) {
    let admin = app.login("admin1").await;
    let csrf = app.page_csrf(&admin).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("platform", "wecom")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"userid,number\nLiSi,2023010102\n".to_vec())
                .file_name("map.csv"),
        );
    let resp = admin
        .post(app.url("/org/unit/SCH1/sign-in/mapping"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

/// Inside the WeCom or DingTalk app, the school's workbench link signs a bound person in with no
/// scan and no click (免登), and lands where they were going; `manual=1` shows the page instead.
#[tokio::test]
async fn inside_the_wecom_app_a_bound_person_is_signed_in_without_a_click() {
    let (app, r) = setup().await;
    map_wecom_lisi(&app).await;
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(WECOM_UA)
        .build()
        .unwrap();
    *r.user.lock().unwrap() = "LiSi".to_string();
    // The login page goes straight to WeCom sign-in, keeping the destination.
    let resp = c
        .get(app.url("/login?school=SCH1&next=/warnings"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let start = location(&resp);
    assert_eq!(start, "/sso/SCH1/wecom/start?next=/warnings");
    // Start uses the in-app OAuth, not the QR-code login.
    let resp = c.get(app.url(&start)).send().await.unwrap();
    let authorize = location(&resp);
    assert!(
        authorize.contains("/connect/oauth2/authorize?"),
        "{authorize}"
    );
    assert!(authorize.ends_with("#wechat_redirect"), "{authorize}");
    let resp = c
        .get(authorize.trim_end_matches("#wechat_redirect"))
        .send()
        .await
        .unwrap();
    let back = location(&resp);
    assert!(
        back.starts_with(&app.url("/sso/SCH1/wecom/callback")),
        "{back}"
    );
    let resp = c.get(&back).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/warnings", "lands where they were going");
    let (s, page) = {
        let r = c.get(app.url("/warnings")).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("退出") || page.contains("logout"),
        "signed in"
    );

    // Someone not bound is refused once, and the way back shows the page (no loop).
    let stranger = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(WECOM_UA)
        .build()
        .unwrap();
    *r.user.lock().unwrap() = "Nobody".to_string();
    let back = to_callback(&app, &r, &stranger, "/sso/SCH1/wecom/start", "Nobody").await;
    let resp = stranger.get(&back).send().await.unwrap();
    let refused = resp.text().await.unwrap();
    assert!(refused.contains("manual=1"), "{refused}");
    let resp = stranger
        .get(app.url("/login?school=SCH1&manual=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "the page itself, with the password form"
    );

    // In DingTalk the same link starts DingTalk sign-in; in an ordinary browser it shows the page.
    let ding = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(
            "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 AliApp(DingTalk/7.6.0)",
        )
        .build()
        .unwrap();
    let resp = ding
        .get(app.url("/login?school=SCH1"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/sso/SCH1/dingtalk/start?next=/");
    let resp = client()
        .get(app.url("/login?school=SCH1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // A destination off the site is never followed.
    let resp = stranger
        .get(app.url("/login?school=SCH1&next=https://evil.example/"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/sso/SCH1/wecom/start?next=/");
}

/// The same on a phone in a real browser that presents itself as the WeCom app: 李四 taps the
/// school's workbench link to the report form and is on it, signed in, without typing anything.
#[tokio::test]
async fn in_the_wecom_app_on_a_phone_the_workbench_link_opens_the_page_signed_in() {
    let Some((_turn, wd)) = crate::wd::start().await else {
        return;
    };
    let (app, r) = setup().await;
    map_wecom_lisi(&app).await;
    *r.user.lock().unwrap() = "LiSi".to_string();
    let ua = |v: &str| serde_json::json!({"cmd": "Network.setUserAgentOverride", "params": {"userAgent": v}});
    wd.post("/goog/cdp/execute", ua(WECOM_UA)).await;
    wd.goto(&app.url("/login?school=SCH1&next=/reports/new"))
        .await;
    // (A browser keeps the `#wechat_redirect` fragment across the redirects, as WeCom does.)
    let landed = wd
        .wait_url(|u| {
            u.trim_end_matches("#wechat_redirect")
                .ends_with("/reports/new")
        })
        .await;
    // Back to an ordinary browser for whoever uses it next (also on failure, by the rig's reset).
    wd.post("/goog/cdp/execute", ua("")).await;
    assert!(landed.starts_with(&app.url("/")), "{landed}");
    let page = wd.text("main").await;
    assert!(page.contains("举报"), "the report form, signed in: {page}");
    let fits = wd
        .post(
            "/execute/sync",
            serde_json::json!({"script": "return [document.documentElement.scrollWidth <= window.innerWidth, navigator.userAgent];", "args": []}),
        )
        .await;
    assert_eq!(fits[0], serde_json::json!(true), "fits the phone");
    assert!(
        !fits[1].as_str().unwrap_or("").contains("wxwork"),
        "the browser is itself again"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM accounts WHERE person_no = '2023010102' AND activated_at IS NOT NULL").await,
        1,
        "the first sign-in activated the mapped account"
    );
}

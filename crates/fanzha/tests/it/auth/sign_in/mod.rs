//! Sign-in and sessions: login, wrong passwords in both languages, lockout, per-address rate
//! limit, CSRF, expiry, logout, password change, cookie flags, security headers, and the
//! operations endpoints.

use crate::common::*;
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::StatusCode;

fn set_cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

async fn sessions(app: &TestApp, username: &str) -> i64 {
    let id = app.fx.account(username);
    app.scalar(&format!(
        "SELECT COUNT(*) FROM sessions WHERE account_id = {id}"
    ))
    .await
}

mod locks;
mod login;
mod operations;
mod processes;
mod sessions;

use operations::*;

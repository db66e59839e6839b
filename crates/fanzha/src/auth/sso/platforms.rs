//! DingTalk and WeCom sign-in per school, with the school's own app.
//!
//! - DingTalk (the current OAuth 2.0 login): the browser goes to `login.dingtalk.com/oauth2/auth`
//!   and comes back with an `authCode`; fanzha exchanges it at `v1.0/oauth2/userAccessToken` and
//!   reads `v1.0/contact/users/me`, which gives the person's `unionId` (and no mobile number).
//! - WeCom (企业微信 web login): the browser goes to `login.work.weixin.qq.com/wwlogin/sso/login`
//!   and comes back with a `code`; fanzha gets the app's `access_token` (`cgi-bin/gettoken`) and
//!   reads `cgi-bin/auth/getuserinfo`, which gives the member's `userid`.
//!
//! A platform identity is bound to an account once: by the person from *My account* after
//! activating, or by the school importing a mapping of platform user ids to numbers. Codes are
//! single use at the platform; fanzha also refuses one it has seen before.

use crate::kernel::ids::UnitId;

use super::store;
use super::SsoError;
use crate::config::{Config, Secret};
use crate::db::Db;
use crate::text::urlencode;

pub use super::store::{
    app_of, bind, bindings_of, bound_account, platforms_of, remove_app, save_app,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    DingTalk,
    WeCom,
}

impl Platform {
    pub const ALL: [Platform; 2] = [Platform::DingTalk, Platform::WeCom];
    pub fn parse(s: &str) -> Option<Platform> {
        match s {
            "dingtalk" => Some(Platform::DingTalk),
            "wecom" => Some(Platform::WeCom),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::DingTalk => "dingtalk",
            Platform::WeCom => "wecom",
        }
    }
}

/// A school's app on a platform. The secret is never printed.
#[derive(Clone, Debug)]
pub struct PlatformApp {
    pub school_id: UnitId,
    pub platform: Platform,
    /// DingTalk: the app's client id (AppKey). WeCom: the corp id.
    pub app_id: String,
    /// WeCom: the agent id of the school's self-built app. DingTalk: unused.
    pub agent_id: String,
    pub app_secret: Secret,
}

impl Platform {
    /// Whether a browser is the platform's own app (its built-in browser), where sign-in needs
    /// no scan and no click (免登): DingTalk's user agent carries `DingTalk`, WeCom's `wxwork`.
    pub fn is_client(self, user_agent: &str) -> bool {
        match self {
            Platform::DingTalk => user_agent.contains("DingTalk"),
            Platform::WeCom => user_agent.contains("wxwork"),
        }
    }
}

/// Where the browser signs in at the platform. Inside the platform's own app (`in_app`) DingTalk's
/// OAuth page authorises the signed-in member without a scan, and WeCom uses its in-app OAuth
/// (`open.weixin.qq.com/connect/oauth2/authorize`, `snsapi_base`, silent); both come back to the
/// same callback with a code read the same way.
pub fn authorize_url(
    cfg: &Config,
    app: &PlatformApp,
    redirect: &str,
    state: &str,
    in_app: bool,
) -> String {
    match app.platform {
        Platform::WeCom if in_app => format!(
            "{}/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state={}&agentid={}#wechat_redirect",
            cfg.wecom_oauth_base.trim_end_matches('/'),
            urlencode(&app.app_id),
            urlencode(redirect),
            urlencode(state),
            urlencode(&app.agent_id)
        ),
        Platform::DingTalk => format!(
            "{}/oauth2/auth?redirect_uri={}&response_type=code&client_id={}&scope=openid&state={}&prompt=consent",
            cfg.dingtalk_login_base.trim_end_matches('/'),
            urlencode(redirect),
            urlencode(&app.app_id),
            urlencode(state)
        ),
        Platform::WeCom => format!(
            "{}/wwlogin/sso/login?login_type=CorpApp&appid={}&agentid={}&redirect_uri={}&state={}",
            cfg.wecom_login_base.trim_end_matches('/'),
            urlencode(&app.app_id),
            urlencode(&app.agent_id),
            urlencode(redirect),
            urlencode(state)
        ),
    }
}

fn unavailable(e: impl std::fmt::Display) -> SsoError {
    SsoError::Unavailable(e.to_string())
}

/// Exchanges the code the browser brought back for the person's platform user id (DingTalk
/// `unionId`, WeCom `userid`). A code refused by the platform (used, expired, forged) is
/// [`SsoError::Refused`].
pub async fn user_id(
    http: &reqwest::Client,
    cfg: &Config,
    app: &PlatformApp,
    code: &str,
) -> Result<String, SsoError> {
    match app.platform {
        Platform::DingTalk => {
            let base = cfg.dingtalk_api_base.trim_end_matches('/');
            let r = http
                .post(format!("{base}/v1.0/oauth2/userAccessToken"))
                .json(&serde_json::json!({
                    "clientId": app.app_id,
                    "clientSecret": app.app_secret.expose(),
                    "code": code,
                    "grantType": "authorization_code",
                }))
                .send()
                .await
                .map_err(unavailable)?;
            let status = r.status();
            let v: serde_json::Value = r.json().await.map_err(unavailable)?;
            let Some(token) = v["accessToken"].as_str().filter(|t| !t.is_empty()) else {
                return if status.is_client_error() {
                    Err(SsoError::Refused("dingtalk_code_refused".into()))
                } else {
                    Err(unavailable(format!("DingTalk answered {status}")))
                };
            };
            let r = http
                .get(format!("{base}/v1.0/contact/users/me"))
                .header("x-acs-dingtalk-access-token", token)
                .send()
                .await
                .map_err(unavailable)?;
            let v: serde_json::Value = r.json().await.map_err(unavailable)?;
            v["unionId"]
                .as_str()
                .filter(|u| !u.is_empty())
                .map(str::to_string)
                .ok_or_else(|| unavailable("DingTalk gave no unionId"))
        }
        Platform::WeCom => {
            let base = cfg.wecom_api_base.trim_end_matches('/');
            let v: serde_json::Value = http
                .get(format!("{base}/cgi-bin/gettoken"))
                .query(&[
                    ("corpid", app.app_id.as_str()),
                    ("corpsecret", app.app_secret.expose()),
                ])
                .send()
                .await
                .map_err(unavailable)?
                .json()
                .await
                .map_err(unavailable)?;
            let Some(token) = v["access_token"].as_str().filter(|t| !t.is_empty()) else {
                return Err(unavailable(format!(
                    "WeCom gettoken errcode {}",
                    v["errcode"]
                )));
            };
            let v: serde_json::Value = http
                .get(format!("{base}/cgi-bin/auth/getuserinfo"))
                .query(&[("access_token", token), ("code", code)])
                .send()
                .await
                .map_err(unavailable)?
                .json()
                .await
                .map_err(unavailable)?;
            if v["errcode"].as_i64().unwrap_or(0) != 0 {
                return Err(SsoError::Refused(format!(
                    "wecom_code_refused_{}",
                    v["errcode"].as_i64().unwrap_or(-1)
                )));
            }
            // A visitor outside the corp gets an `openid` and no `userid`: not a member.
            v["userid"]
                .as_str()
                .filter(|u| !u.is_empty())
                .map(str::to_string)
                .ok_or_else(|| SsoError::Refused("wecom_not_a_member".into()))
        }
    }
}

/// A mapping file's problem, with the line it is on (1 = header).
#[derive(Debug)]
pub struct MappingError {
    pub line: usize,
    pub key: &'static str,
}

/// Imports `platform_user_id,number` lines (a header first) for one school, all or nothing:
/// every number must be on that school's roster, every id and every person at most once, and
/// none bound already to someone else. Returns how many were bound.
pub async fn import_mapping(
    db: &Db,
    school_id: UnitId,
    platform: Platform,
    csv_text: &str,
    now: i64,
) -> Result<Result<usize, MappingError>, crate::db::DbError> {
    let mut rows = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let Ok(rec) = rec else {
            return Ok(Err(MappingError {
                line,
                key: "sso-err-mapping-line",
            }));
        };
        let uid = rec.get(0).unwrap_or("").trim().to_string();
        let no = rec.get(1).unwrap_or("").trim().to_string();
        if uid.is_empty() || no.is_empty() || uid.len() > 128 || rec.len() != 2 {
            return Ok(Err(MappingError {
                line,
                key: "sso-err-mapping-line",
            }));
        }
        rows.push((line, uid, no));
    }
    let mut tx = db.begin_write().await?;
    let mut seen_ids = std::collections::HashSet::new();
    let mut seen_accounts = std::collections::HashSet::new();
    for (line, uid, no) in &rows {
        let account = store::roster_account_id_by_number(&mut tx, school_id, no).await?;
        let Some(account) = account else {
            tx.rollback().await?;
            return Ok(Err(MappingError {
                line: *line,
                key: "sso-err-mapping-number",
            }));
        };
        if !seen_ids.insert(uid.clone()) || !seen_accounts.insert(account) {
            tx.rollback().await?;
            return Ok(Err(MappingError {
                line: *line,
                key: "sso-err-mapping-duplicate",
            }));
        }
        let taken = store::platform_identity_of(&mut tx, school_id, platform, uid, account).await?;
        match taken {
            Some(a) if a == account => continue,
            Some(_) => {
                tx.rollback().await?;
                return Ok(Err(MappingError {
                    line: *line,
                    key: "sso-err-mapping-taken",
                }));
            }
            None => {}
        }
        store::insert_platform_identity(&mut tx, school_id, platform, uid, account, now).await?;
    }
    tx.commit().await?;
    Ok(Ok(rows.len()))
}

//! Configuration: built-in defaults, then an optional `fanzha.toml`, then `FANZHA_*` environment
//! variables, then command-line flags. Zero configuration gives a working single-school install.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A value that must never appear in logs; `Debug` and `Display` print `***`.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the web server listens on.
    pub listen: SocketAddr,
    /// Directory for the SQLite file and uploads.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<Secret>,
    /// Maximum pooled database connections.
    pub db_max_connections: u32,
    /// Public URL (used in links and to decide whether cookies are `Secure`).
    pub public_url: Option<String>,
    /// Session lifetime since login, hours.
    pub session_hours: i64,
    /// Session idle timeout, minutes.
    pub session_idle_minutes: i64,
    /// Addresses of reverse proxies whose `X-Forwarded-For` header is believed (empty: the
    /// header is ignored and the peer address is the client).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Days a finished job is kept (failed jobs are kept for operators).
    pub done_job_retention_days: i64,
    /// Days the indicator change log (polled by every process) is kept.
    pub indicator_change_retention_days: i64,
    /// Failed logins of one username from one client address before that pair (never the whole
    /// account) is locked.
    pub login_max_failures: i64,
    /// Lockout duration, minutes.
    pub lockout_minutes: i64,
    /// Login attempts allowed per client address per 5 minutes.
    pub login_attempts_per_ip: u32,
    /// Days an activation code stays valid after it is issued.
    pub activation_code_days: i64,
    /// Largest accepted upload (roster CSV, images), bytes.
    pub max_upload_bytes: usize,
    /// `text` or `json` logs.
    pub log_format: String,
    /// Default time zone for display.
    pub time_zone: String,
    /// Risk-check API requests each token may make per second (burst of the same size).
    pub risk_rate_per_second: u32,
    /// Risk-check items (a batch counts each item) each token may check per UTC day.
    pub risk_daily_quota: i64,
    /// Timeout of one call to a robot, webhook or SMTP relay (campaign channels), in ms.
    pub channel_timeout_ms: u64,
    /// PEM file of extra CA certificates trusted by campaign robots and webhooks over https
    /// (besides the bundled Mozilla roots), e.g. a campus CA.
    pub channel_ca_file: Option<PathBuf>,
    /// Minutes from a loss report to its stop-payment deadline.
    pub stop_payment_minutes: i64,
    /// Minutes before the stop-payment deadline at which a request nobody acted on is escalated
    /// to the station leader.
    pub stop_payment_escalate_minutes: i64,
    /// Largest evidence image of a report, bytes.
    pub report_image_max_bytes: usize,
    /// S3-compatible store for evidence images (`http(s)://host[:port]`, path-style); unset
    /// means files under the data dir.
    pub evidence_s3_endpoint: Option<String>,
    pub evidence_s3_bucket: Option<String>,
    /// SigV4 region of the store (`us-east-1` for most self-hosted stores).
    pub evidence_s3_region: String,
    pub evidence_s3_access_key: Option<String>,
    pub evidence_s3_secret_key: Option<Secret>,
    /// DingTalk's login page and open API (changed only to point tests at local receivers).
    pub dingtalk_login_base: String,
    pub dingtalk_api_base: String,
    /// WeCom's web-login page and API (changed only to point tests at local receivers).
    pub wecom_login_base: String,
    /// WeCom's in-app OAuth (免登 inside the WeCom client): `open.weixin.qq.com`.
    pub wecom_oauth_base: String,
    pub wecom_api_base: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".parse().expect("static address"),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            db_max_connections: 16,
            public_url: None,
            session_hours: 12,
            session_idle_minutes: 120,
            trusted_proxies: Vec::new(),
            done_job_retention_days: 14,
            indicator_change_retention_days: 7,
            login_max_failures: 5,
            lockout_minutes: 15,
            login_attempts_per_ip: 30,
            activation_code_days: 14,
            max_upload_bytes: 20 * 1024 * 1024,
            log_format: "text".into(),
            time_zone: "Asia/Shanghai".into(),
            risk_rate_per_second: 50,
            risk_daily_quota: 100_000,
            channel_timeout_ms: 10_000,
            channel_ca_file: None,
            stop_payment_minutes: 30,
            stop_payment_escalate_minutes: 10,
            report_image_max_bytes: 5 * 1024 * 1024,
            evidence_s3_endpoint: None,
            evidence_s3_bucket: None,
            evidence_s3_region: "us-east-1".into(),
            evidence_s3_access_key: None,
            evidence_s3_secret_key: None,
            dingtalk_login_base: "https://login.dingtalk.com".into(),
            dingtalk_api_base: "https://api.dingtalk.com".into(),
            wecom_login_base: "https://login.work.weixin.qq.com".into(),
            wecom_oauth_base: "https://open.weixin.qq.com".into(),
            wecom_api_base: "https://qyapi.weixin.qq.com".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
}

impl Config {
    /// Defaults, then the TOML file if given or if `fanzha.toml` exists in the working directory,
    /// then the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let default_file = PathBuf::from("fanzha.toml");
        let file = match file {
            Some(f) => Some(f.to_path_buf()),
            None if default_file.exists() => Some(default_file),
            None => None,
        };
        let mut cfg = match file {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::File {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::File {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?
            }
            None => Config::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        if let Some(ca) = &cfg.channel_ca_file {
            crate::campaigns::channels::load_ca(ca).map_err(|message| ConfigError::File {
                path: ca.display().to_string(),
                message,
            })?;
        }
        Ok(cfg)
    }

    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ConfigError>
        where
            T::Err: fmt::Display,
        {
            v.parse().map_err(|e: T::Err| ConfigError::Env {
                name: name.into(),
                message: e.to_string(),
            })
        }
        if let Some(v) = get("FANZHA_LISTEN") {
            self.listen = parse("FANZHA_LISTEN", &v)?;
        }
        if let Some(v) = get("FANZHA_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("FANZHA_DATABASE_URL") {
            if !v.is_empty() {
                self.database_url = Some(Secret::new(v));
            }
        }
        if let Some(v) = get("FANZHA_DB_MAX_CONNECTIONS") {
            self.db_max_connections = parse("FANZHA_DB_MAX_CONNECTIONS", &v)?;
        }
        for (name, field) in [
            ("FANZHA_DINGTALK_LOGIN_BASE", &mut self.dingtalk_login_base),
            ("FANZHA_DINGTALK_API_BASE", &mut self.dingtalk_api_base),
            ("FANZHA_WECOM_LOGIN_BASE", &mut self.wecom_login_base),
            ("FANZHA_WECOM_OAUTH_BASE", &mut self.wecom_oauth_base),
            ("FANZHA_WECOM_API_BASE", &mut self.wecom_api_base),
        ] {
            if let Some(v) = get(name) {
                *field = v;
            }
        }
        if let Some(v) = get("FANZHA_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = get("FANZHA_SESSION_HOURS") {
            self.session_hours = parse("FANZHA_SESSION_HOURS", &v)?;
        }
        if let Some(v) = get("FANZHA_SESSION_IDLE_MINUTES") {
            self.session_idle_minutes = parse("FANZHA_SESSION_IDLE_MINUTES", &v)?;
        }
        if let Some(v) = get("FANZHA_LOGIN_MAX_FAILURES") {
            self.login_max_failures = parse("FANZHA_LOGIN_MAX_FAILURES", &v)?;
        }
        if let Some(v) = get("FANZHA_LOCKOUT_MINUTES") {
            self.lockout_minutes = parse("FANZHA_LOCKOUT_MINUTES", &v)?;
        }
        if let Some(v) = get("FANZHA_LOGIN_ATTEMPTS_PER_IP") {
            self.login_attempts_per_ip = parse("FANZHA_LOGIN_ATTEMPTS_PER_IP", &v)?;
        }
        if let Some(v) = get("FANZHA_ACTIVATION_CODE_DAYS") {
            self.activation_code_days = parse("FANZHA_ACTIVATION_CODE_DAYS", &v)?;
        }
        if let Some(v) = get("FANZHA_MAX_UPLOAD_BYTES") {
            self.max_upload_bytes = parse("FANZHA_MAX_UPLOAD_BYTES", &v)?;
        }
        if let Some(v) = get("FANZHA_DONE_JOB_RETENTION_DAYS") {
            self.done_job_retention_days = parse("FANZHA_DONE_JOB_RETENTION_DAYS", &v)?;
        }
        if let Some(v) = get("FANZHA_INDICATOR_CHANGE_RETENTION_DAYS") {
            self.indicator_change_retention_days =
                parse("FANZHA_INDICATOR_CHANGE_RETENTION_DAYS", &v)?;
        }
        if let Some(v) = get("FANZHA_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| parse("FANZHA_TRUSTED_PROXIES", a))
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("FANZHA_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = get("FANZHA_TIME_ZONE") {
            self.time_zone = v;
        }
        if let Some(v) = get("FANZHA_RISK_RATE_PER_SECOND") {
            self.risk_rate_per_second = parse("FANZHA_RISK_RATE_PER_SECOND", &v)?;
        }
        if let Some(v) = get("FANZHA_RISK_DAILY_QUOTA") {
            self.risk_daily_quota = parse("FANZHA_RISK_DAILY_QUOTA", &v)?;
        }
        if let Some(v) = get("FANZHA_CHANNEL_TIMEOUT_MS") {
            self.channel_timeout_ms = parse("FANZHA_CHANNEL_TIMEOUT_MS", &v)?;
        }
        if let Some(v) = get("FANZHA_CHANNEL_CA_FILE") {
            self.channel_ca_file = (!v.is_empty()).then(|| PathBuf::from(v));
        }
        if let Some(v) = get("FANZHA_STOP_PAYMENT_MINUTES") {
            self.stop_payment_minutes = parse("FANZHA_STOP_PAYMENT_MINUTES", &v)?;
        }
        if let Some(v) = get("FANZHA_STOP_PAYMENT_ESCALATE_MINUTES") {
            self.stop_payment_escalate_minutes = parse("FANZHA_STOP_PAYMENT_ESCALATE_MINUTES", &v)?;
        }
        if let Some(v) = get("FANZHA_EVIDENCE_S3_ENDPOINT") {
            self.evidence_s3_endpoint = Some(v);
        }
        if let Some(v) = get("FANZHA_EVIDENCE_S3_BUCKET") {
            self.evidence_s3_bucket = Some(v);
        }
        if let Some(v) = get("FANZHA_EVIDENCE_S3_REGION") {
            self.evidence_s3_region = v;
        }
        if let Some(v) = get("FANZHA_EVIDENCE_S3_ACCESS_KEY") {
            self.evidence_s3_access_key = Some(v);
        }
        if let Some(v) = get("FANZHA_EVIDENCE_S3_SECRET_KEY") {
            self.evidence_s3_secret_key = Some(Secret::new(v));
        }
        Ok(())
    }

    /// Cookies get `Secure` when the public URL is HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    pub fn db_options(&self) -> crate::db::DbOptions {
        match &self.database_url {
            Some(url) => crate::db::DbOptions {
                url: url.expose().to_string(),
                schema: None,
                max_connections: self.db_max_connections,
            },
            None => {
                let mut o = crate::db::DbOptions::sqlite_in(&self.data_dir);
                o.max_connections = self.db_max_connections.min(8);
                o
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_hidden_in_debug() {
        let c = Config {
            database_url: Some(Secret::new("postgres://u:pw@h/db")),
            ..Default::default()
        };
        assert!(!format!("{c:?}").contains("pw@"));
    }

    #[test]
    fn env_overrides_and_bad_values_name_the_variable() {
        let mut c = Config::default();
        c.apply_env(|k| (k == "FANZHA_LISTEN").then(|| "0.0.0.0:9000".to_string()))
            .unwrap();
        assert_eq!(c.listen.port(), 9000);
        let err = c
            .apply_env(|k| (k == "FANZHA_LISTEN").then(|| "nope".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("FANZHA_LISTEN"));
    }

    #[test]
    fn every_login_and_proxy_setting_has_a_variable() {
        let vars = [
            ("FANZHA_SESSION_IDLE_MINUTES", "30"),
            ("FANZHA_LOGIN_MAX_FAILURES", "3"),
            ("FANZHA_LOCKOUT_MINUTES", "60"),
            ("FANZHA_LOGIN_ATTEMPTS_PER_IP", "100"),
            ("FANZHA_MAX_UPLOAD_BYTES", "1048576"),
            ("FANZHA_TRUSTED_PROXIES", "127.0.0.1, ::1"),
        ];
        let mut c = Config::default();
        c.apply_env(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .unwrap();
        assert_eq!(c.session_idle_minutes, 30);
        assert_eq!(c.login_max_failures, 3);
        assert_eq!(c.lockout_minutes, 60);
        assert_eq!(c.login_attempts_per_ip, 100);
        assert_eq!(c.max_upload_bytes, 1_048_576);
        assert_eq!(
            c.trusted_proxies,
            vec![
                "127.0.0.1".parse::<std::net::IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        let before = c.trusted_proxies.clone();
        let err = c
            .apply_env(|k| (k == "FANZHA_TRUSTED_PROXIES").then(|| "10.0.0.1,proxy".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("FANZHA_TRUSTED_PROXIES"), "{err}");
        assert_eq!(c.trusted_proxies, before, "a bad list changes nothing");
    }

    #[test]
    fn trusted_proxies_from_the_file() {
        let c: Config = toml::from_str("trusted_proxies = [\"10.1.2.3\"]").unwrap();
        assert_eq!(c.trusted_proxies.len(), 1);
        assert!(toml::from_str::<Config>("trusted_proxies = [\"nope\"]").is_err());
    }
}

//! The web error type. Handlers return [`AppError`]; the `render_errors` middleware turns it into a
//! JSON body under `/api/` and an HTML page elsewhere, in the caller's language.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::db::DbError;
use crate::web::i18n::Lang;

/// A message to show a person: a Fluent key plus arguments, localised when rendered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Msg {
    pub key: String,
    pub args: Vec<(String, String)>,
}

impl Msg {
    pub fn new(key: impl Into<String>) -> Self {
        Msg {
            key: key.into(),
            args: vec![],
        }
    }
    pub fn arg(mut self, k: &str, v: impl ToString) -> Self {
        self.args.push((k.to_string(), v.to_string()));
        self
    }
    pub fn render(&self, lang: Lang) -> String {
        let args: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        lang.ta(&self.key, &args)
    }
}

#[derive(Clone, Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub msg: Msg,
    pub details: Vec<Msg>,
    pub retry_after: Option<u64>,
}

impl AppError {
    pub fn new(status: StatusCode, key: &str) -> Self {
        AppError {
            status,
            msg: Msg::new(key),
            details: vec![],
            retry_after: None,
        }
    }
    pub fn bad_request(key: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, key)
    }
    pub fn unprocessable(key: &str) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, key)
    }
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "err-unauthorized")
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "err-forbidden")
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "err-not-found")
    }
    pub fn conflict(key: &str) -> Self {
        Self::new(StatusCode::CONFLICT, key)
    }
    pub fn too_many(key: &str, retry_after_secs: u64) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, key);
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "err-internal")
    }
    pub fn arg(mut self, k: &str, v: impl ToString) -> Self {
        self.msg = self.msg.arg(k, v);
        self
    }
    pub fn details(mut self, d: Vec<Msg>) -> Self {
        self.details = d;
        self
    }

    /// The JSON body of an API error.
    pub fn json_body(&self, lang: Lang) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "code": self.msg.key.trim_start_matches("err-"),
                "message": self.msg.render(lang),
                "details": self.details.iter().map(|d| d.render(lang)).collect::<Vec<_>>(),
            }
        })
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.msg.render(Lang::En))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // The body is rendered by the error middleware, which knows the path and language.
        let mut r = self.status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        if e.is_unique_violation() {
            return AppError::conflict("err-conflict");
        }
        if e.is_unstorable_text() {
            return AppError::bad_request("err-bad-text");
        }
        tracing::error!(error = %e, "storage error");
        AppError::internal()
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(DbError::from(e))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template error");
        AppError::internal()
    }
}

pub type AppResult<T> = Result<T, AppError>;

//! The one error of the product: what went wrong as a fixed [`Code`], the message to show as a
//! Fluent key with arguments ([`Msg`], rendered late in the reader's language), and one message per
//! problem. Domain modules build it (or their own error enum, converted by one `From`); the web
//! layer (`web::error`) turns it into an HTTP answer. Nothing here knows about pages or requests.
//!
//! The API contract (docs/API.md, "Errors"): `error.code` is one of [`Code::ALL`], stable across
//! releases; `error.details[].code` names each problem (the Fluent key without its `err-` part, such
//! as `roster-err-refused`), so a client can still tell problems apart.

use axum::http::StatusCode;

use crate::db::DbError;

/// A message to show a person: a Fluent key plus arguments, localised when rendered. An argument
/// may itself be a message ([`Msg::arg_msg`]), rendered in the same language.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Msg {
    pub key: String,
    pub args: Vec<(String, String)>,
    /// Arguments that are messages themselves (e.g. the problem inside "line 4: …").
    pub nested: Vec<(String, Msg)>,
}

impl Msg {
    pub fn new(key: impl Into<String>) -> Self {
        Msg {
            key: key.into(),
            args: vec![],
            nested: vec![],
        }
    }
    pub fn arg(mut self, k: &str, v: impl ToString) -> Self {
        self.args.push((k.to_string(), v.to_string()));
        self
    }
    /// An argument rendered from another message in the reader's language.
    pub fn arg_msg(mut self, k: &str, m: Msg) -> Self {
        self.nested.push((k.to_string(), m));
        self
    }
    /// The stable problem code of this message: its key without the `err-` prefix.
    pub fn code(&self) -> &str {
        self.key.trim_start_matches("err-")
    }
}

/// The fixed set of API error codes. Each HTTP status the product answers with maps to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// The request is wrong (bad syntax, a value refused, a rule not met): 400, 405, 415, 422.
    Invalid,
    /// Not signed in, or the token is not valid: 401.
    Unauthorized,
    /// Signed in, but this role may not do it: 403.
    Forbidden,
    /// Nothing there, or nothing the caller may know of: 404.
    NotFound,
    /// The state changed or the thing exists already: 409.
    Conflict,
    /// Too many attempts; `Retry-After` says when to try again: 429.
    RateLimited,
    /// The body is over the size limit: 413.
    TooLarge,
    /// A fault on our side; nothing to fix in the request: 5xx.
    Internal,
}

impl Code {
    /// Every code, in the order docs/API.md lists them.
    pub const ALL: [Code; 8] = [
        Code::Invalid,
        Code::Unauthorized,
        Code::Forbidden,
        Code::NotFound,
        Code::Conflict,
        Code::RateLimited,
        Code::TooLarge,
        Code::Internal,
    ];

    /// The code of an HTTP status.
    pub fn of_status(status: StatusCode) -> Code {
        match status.as_u16() {
            401 => Code::Unauthorized,
            403 => Code::Forbidden,
            404 | 410 => Code::NotFound,
            409 | 412 => Code::Conflict,
            413 => Code::TooLarge,
            429 => Code::RateLimited,
            s if s >= 500 => Code::Internal,
            _ => Code::Invalid,
        }
    }

    /// The code as it appears in `error.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Invalid => "invalid",
            Code::Unauthorized => "unauthorized",
            Code::Forbidden => "forbidden",
            Code::NotFound => "not-found",
            Code::Conflict => "conflict",
            Code::RateLimited => "rate-limited",
            Code::TooLarge => "too-large",
            Code::Internal => "internal",
        }
    }

    /// The Fluent key of the general message of this code.
    pub fn generic_key(self) -> &'static str {
        match self {
            Code::Invalid => "err-invalid",
            Code::Unauthorized => "err-unauthorized",
            Code::Forbidden => "err-forbidden",
            Code::NotFound => "err-not-found",
            Code::Conflict => "err-conflict",
            Code::RateLimited => "err-rate-limited",
            Code::TooLarge => "err-too-large",
            Code::Internal => "err-internal",
        }
    }
}

/// An error answered to a person or a client: a status, the message, one message per problem.
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
    /// A refusal with one message per problem; the first problem is the headline when it is alone.
    pub fn refused(key: &str, problems: Vec<Msg>) -> Self {
        let mut e = Self::unprocessable(key);
        if problems.len() == 1 {
            e.msg = problems[0].clone();
        }
        e.details = problems;
        e
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

    /// The fixed API code of this error.
    pub fn code(&self) -> Code {
        Code::of_status(self.status)
    }

    /// Whether the input was refused (a form shows the problems again rather than an error page).
    pub fn is_invalid(&self) -> bool {
        self.code() == Code::Invalid
    }

    /// The problems as the API lists them: the headline's own code first when it says more than
    /// the general code, then each detail (without repeating the headline).
    pub fn problems(&self) -> Vec<&Msg> {
        let mut out: Vec<&Msg> = Vec::new();
        if self.msg.key != self.code().generic_key() && !self.details.contains(&self.msg) {
            out.push(&self.msg);
        }
        out.extend(self.details.iter());
        out
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.msg.key)
    }
}

impl std::error::Error for AppError {}

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

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_maps_into_the_fixed_set() {
        for s in [
            400u16, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503,
        ] {
            let c = Code::of_status(StatusCode::from_u16(s).unwrap());
            assert!(Code::ALL.contains(&c), "{s}");
        }
        assert_eq!(
            Code::of_status(StatusCode::UNPROCESSABLE_ENTITY),
            Code::Invalid
        );
        assert_eq!(Code::of_status(StatusCode::NOT_FOUND).as_str(), "not-found");
    }

    #[test]
    fn the_headline_code_moves_into_the_problems() {
        let e = AppError::unprocessable("roster-err-refused")
            .details(vec![Msg::new("roster-err-line").arg("line", 3)]);
        let codes: Vec<&str> = e.problems().iter().map(|m| m.code()).collect();
        assert_eq!(codes, ["roster-err-refused", "roster-err-line"]);
        assert_eq!(e.code().as_str(), "invalid");
        // A general message adds no problem of its own.
        assert!(AppError::not_found().problems().is_empty());
        // A single refusal used as the headline is listed once.
        let one = AppError::refused("x-err-refused", vec![Msg::new("x-err-name")]);
        assert_eq!(one.problems().len(), 1);
    }
}

//! The web side of [`crate::error`]: handlers return [`AppError`]; the `render_errors` middleware
//! turns it into a JSON body under `/api/` and an HTML page elsewhere, rendered in the caller's
//! language only here, at the edge.

use axum::response::{IntoResponse, Response};

pub use crate::error::{AppError, AppResult, Code, Msg};
use crate::web::i18n::Lang;

impl Msg {
    /// The message in `lang`, nested messages included.
    pub fn render(&self, lang: Lang) -> String {
        let mut args: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        for (k, m) in &self.nested {
            args.push((k.as_str(), m.render(lang)));
        }
        lang.ta(&self.key, &args)
    }
}

impl AppError {
    /// The JSON body of an API error: the fixed `code`, the message in the caller's language,
    /// and one `{code, message}` per problem.
    pub fn json_body(&self, lang: Lang) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "code": self.code().as_str(),
                "message": self.msg.render(lang),
                "details": self
                    .problems()
                    .iter()
                    .map(|d| serde_json::json!({"code": d.code(), "message": d.render(lang)}))
                    .collect::<Vec<_>>(),
            }
        })
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

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template error");
        AppError::internal()
    }
}

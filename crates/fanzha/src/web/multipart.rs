//! Reading an uploaded form (`multipart/form-data`) whole: every field's name and bytes, with a
//! too-large body answered as 413 and any other malformed upload as 400 with the caller's
//! message key.

use axum::body::Bytes;
use axum::extract::Multipart;
use axum::http::StatusCode;

use super::error::{AppError, AppResult};

/// The fields of a multipart form, in order. `bad_upload` is the message key of a malformed
/// upload (e.g. `roster-err-upload`).
pub async fn fields(
    mut mp: Multipart,
    bad_upload: &'static str,
) -> AppResult<Vec<(String, Bytes)>> {
    let refuse = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "err-too-large")
        } else {
            AppError::bad_request(bad_upload)
        }
    };
    let mut out = Vec::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(out),
            Err(e) => return Err(refuse(e.status())),
        };
        let name = field.name().unwrap_or("").to_string();
        let data = field.bytes().await.map_err(|e| refuse(e.status()))?;
        out.push((name, data));
    }
}

/// A text field's value, trimmed (invalid UTF-8 replaced).
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).trim().to_string()
}

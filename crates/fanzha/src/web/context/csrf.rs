//! The CSRF check of a state-changing request: header, URL-encoded form field, or the first part
//! of a multipart form.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, StatusCode};

use crate::web::error::AppError;

/// Checks the CSRF token of a request: the `X-CSRF-Token` header, the `csrf` field of a
/// URL-encoded form (the body is read and put back), or the first part of a multipart form, which
/// must be the `csrf` field (only that part is read; the upload behind it streams on untouched).
/// The token is never taken from the URL, where it would leak into logs and `Referer` headers.
/// Returns the request to continue with.
pub(super) async fn check_csrf(
    req: Request,
    expected: &str,
    limit: usize,
) -> Result<Request, AppError> {
    let refused = || AppError::new(StatusCode::FORBIDDEN, "err-csrf");
    if expected.is_empty() {
        return Err(refused());
    }
    let header_ok = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| constant_eq(v, expected));
    if header_ok {
        return Ok(req);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if let Some(boundary) = multipart_boundary(&content_type) {
        return check_multipart_csrf(req, &boundary, expected).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(refused());
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "err-too-large"))?;
    let ok = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|s| form_field(s, "csrf"))
        .is_some_and(|v| constant_eq(&v, expected));
    if ok {
        Ok(Request::from_parts(parts, Body::from(bytes)))
    } else {
        Err(refused())
    }
}

/// How much of a multipart body is read to find its first part, the token.
const MULTIPART_HEAD_LIMIT: usize = 4096;

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
    })
}

/// Reads a multipart body only as far as the end of its first part, checks that this part is the
/// `csrf` field holding the expected token, and puts the bytes read back in front of the rest.
async fn check_multipart_csrf(
    req: Request,
    boundary: &str,
    expected: &str,
) -> Result<Request, AppError> {
    use futures::StreamExt;
    let refused = || AppError::new(StatusCode::FORBIDDEN, "err-csrf");
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let verdict = loop {
        match first_part_value(&head, boundary) {
            FirstPart::Value(v) => break constant_eq(&v, expected),
            FirstPart::NotToken => break false,
            FirstPart::Incomplete if head.len() >= MULTIPART_HEAD_LIMIT => break false,
            FirstPart::Incomplete => match stream.next().await {
                Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                Some(Err(_)) | None => break false,
            },
        }
    };
    if !verdict {
        return Err(refused());
    }
    let front = futures::stream::once(async move { Ok(axum::body::Bytes::from(head)) });
    Ok(Request::from_parts(
        parts,
        Body::from_stream(front.chain(stream)),
    ))
}

#[derive(Debug, PartialEq)]
enum FirstPart {
    /// The first part is the `csrf` field with this value.
    Value(String),
    /// The first part is something else (or the body is not a well-formed multipart body).
    NotToken,
    /// More bytes are needed to decide.
    Incomplete,
}

/// The value of the first part of a multipart body if that part is the `csrf` text field.
fn first_part_value(buf: &[u8], boundary: &str) -> FirstPart {
    let opening = format!("--{boundary}\r\n");
    if buf.len() < opening.len() {
        return if opening.as_bytes().starts_with(buf) {
            FirstPart::Incomplete
        } else {
            FirstPart::NotToken
        };
    }
    if !buf.starts_with(opening.as_bytes()) {
        return FirstPart::NotToken;
    }
    let rest = &buf[opening.len()..];
    let Some(headers_end) = find(rest, b"\r\n\r\n") else {
        return FirstPart::Incomplete;
    };
    let Ok(headers) = std::str::from_utf8(&rest[..headers_end]) else {
        return FirstPart::NotToken;
    };
    let is_token_field = headers.split("\r\n").any(|line| {
        let Some((name, value)) = line.split_once(':') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("content-disposition")
            && value
                .split(';')
                .skip(1)
                .any(|p| p.trim() == "name=\"csrf\"")
            && !value.contains("filename")
    });
    if !is_token_field {
        return FirstPart::NotToken;
    }
    let body = &rest[headers_end + 4..];
    let closing = format!("\r\n--{boundary}");
    match find(body, closing.as_bytes()) {
        Some(end) => match std::str::from_utf8(&body[..end]) {
            Ok(v) => FirstPart::Value(v.to_string()),
            Err(_) => FirstPart::NotToken,
        },
        None => FirstPart::Incomplete,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn form_field(s: &str, name: &str) -> Option<String> {
    form_urlencoded(s).find(|(k, _)| k == name).map(|(_, v)| v)
}

fn form_urlencoded(s: &str) -> impl Iterator<Item = (String, String)> + '_ {
    s.split('&').filter_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        Some((decode(k)?, decode(v)?))
    })
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let h = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_token_is_read_from_the_first_part_only() {
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"ab c\"").as_deref(),
            Some("ab c")
        );
        assert_eq!(multipart_boundary("multipart/form-data"), None);
        assert_eq!(multipart_boundary("text/plain; boundary=x"), None);
        let token = "--XB\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--XB\r\n";
        assert_eq!(
            first_part_value(token.as_bytes(), "XB"),
            FirstPart::Value("tok".into())
        );
        // Cut anywhere before the part ends, more is needed.
        for cut in 0..token.len() - 6 {
            assert_eq!(
                first_part_value(&token.as_bytes()[..cut], "XB"),
                FirstPart::Incomplete,
                "{cut}"
            );
        }
        let file_first = "--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nx\r\n--XB\r\n";
        assert_eq!(
            first_part_value(file_first.as_bytes(), "XB"),
            FirstPart::NotToken
        );
        let named_like =
            "--XB\r\nContent-Disposition: form-data; name=\"csrf2\"\r\n\r\nx\r\n--XB\r\n";
        assert_eq!(
            first_part_value(named_like.as_bytes(), "XB"),
            FirstPart::NotToken
        );
        assert_eq!(first_part_value(b"garbage", "XB"), FirstPart::NotToken);
    }

    #[test]
    fn form_fields_decode() {
        assert_eq!(
            form_field("a=1&csrf=x%2By+z", "csrf").as_deref(),
            Some("x+y z")
        );
        assert_eq!(form_field("a=1", "csrf"), None);
        assert!(constant_eq("abc", "abc"));
        assert!(!constant_eq("abc", "abd"));
        assert!(!constant_eq("abc", "ab"));
    }
}

//! Static assets embedded in the binary: our stylesheet and script, and vendored front-end libraries
//! (see `assets/vendor/VERSIONS.md`). Served with a long cache lifetime under a versioned path.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Changes with every release so browsers fetch new assets.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn asset(name: &str) -> Option<(&'static [u8], &'static str)> {
    Some(match name {
        "pico.min.css" => (
            include_bytes!("../../assets/vendor/pico.min.css"),
            "text/css",
        ),
        "htmx.min.js" => (
            include_bytes!("../../assets/vendor/htmx.min.js"),
            "text/javascript",
        ),
        "echarts.min.js" => (
            include_bytes!("../../assets/vendor/echarts.min.js"),
            "text/javascript",
        ),
        "swagger-ui-bundle.js" => (
            include_bytes!("../../assets/vendor/swagger-ui-bundle.js"),
            "text/javascript",
        ),
        "swagger-ui.css" => (
            include_bytes!("../../assets/vendor/swagger-ui.css"),
            "text/css",
        ),
        "fanzha.css" => (include_bytes!("../../assets/fanzha.css"), "text/css"),
        "fanzha.js" => (include_bytes!("../../assets/fanzha.js"), "text/javascript"),
        "warnings.js" => (
            include_bytes!("../../assets/warnings.js"),
            "text/javascript",
        ),
        "cases.js" => (include_bytes!("../../assets/cases.js"), "text/javascript"),
        "picker.js" => (include_bytes!("../../assets/picker.js"), "text/javascript"),
        "cases.css" => (include_bytes!("../../assets/cases.css"), "text/css"),
        "campaigns.js" => (
            include_bytes!("../../assets/campaigns.js"),
            "text/javascript",
        ),
        "reports.js" => (include_bytes!("../../assets/reports.js"), "text/javascript"),
        "swagger-init.js" => (
            include_bytes!("../../assets/swagger-init.js"),
            "text/javascript",
        ),
        _ => return None,
    })
}

pub async fn serve(Path((_version, name)): Path<(String, String)>) -> Response {
    match asset(&name) {
        Some((body, mime)) => (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

//! The end of every download: the bytes, their content type and `Content-Disposition:
//! attachment; filename="…"`, so a browser saves the file under that name. List exports (reports,
//! warnings, cases, campaigns, learning credits, rosters…) go through [`table`]; other files
//! (indicators, brand lists, ballot logs) through [`attachment`].

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::csv_export::{Cell, Kind};
use crate::error::{AppError, AppResult};

/// The file type a list export was asked for, read from the ending of the path
/// (`…/export.csv` or `…/export.xlsx`), so one handler serves both routes of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format(pub Kind);

impl Format {
    /// Whether a workbook was asked for.
    pub fn xlsx(self) -> bool {
        self.0 == Kind::Xlsx
    }

    /// The file type a path ends in, if it names one.
    pub fn of_path(path: &str) -> Option<Format> {
        if path.ends_with(".xlsx") {
            Some(Format(Kind::Xlsx))
        } else if path.ends_with(".csv") {
            Some(Format(Kind::Csv))
        } else {
            None
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Format {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Format::of_path(parts.uri.path()).ok_or_else(AppError::not_found)
    }
}

/// `body` as a file named `file_name` of type `content_type`.
pub fn attachment(body: impl Into<Body>, content_type: &str, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body.into(),
    )
        .into_response()
}

/// A list as a CSV or .xlsx file named `{stem}.csv` / `{stem}.xlsx` (header row first; the
/// workbook's sheet is `sheet`).
pub fn table(
    kind: Kind,
    sheet: &str,
    headers: &[&str],
    rows: &[Vec<Cell<'_>>],
    stem: &str,
) -> AppResult<Response> {
    let body = crate::csv_export::table(kind, sheet, headers, rows).map_err(|e| {
        tracing::error!(error = %e, stem, "export");
        AppError::internal()
    })?;
    Ok(file(kind, body, stem))
}

/// Bytes already made as `kind`, named `{stem}.csv` / `{stem}.xlsx`.
pub fn file(kind: Kind, body: Vec<u8>, stem: &str) -> Response {
    attachment(
        body,
        kind.content_type(),
        &format!("{stem}.{}", kind.extension()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_export::Cell;

    #[test]
    fn the_format_comes_from_the_ending_of_the_path() {
        assert_eq!(
            Format::of_path("/cases/export.xlsx"),
            Some(Format(Kind::Xlsx))
        );
        assert_eq!(
            Format::of_path("/org/unit/s001/export.csv"),
            Some(Format(Kind::Csv))
        );
        assert_eq!(Format::of_path("/cases/export"), None);
        assert!(Format::of_path("/reports/export.xlsx").is_some_and(Format::xlsx));
    }

    #[test]
    fn a_list_downloads_as_a_named_csv_with_its_header_row_first() {
        let rows = vec![vec![Cell::Text("=1+1"), crate::csv_export::num(3)]];
        let r = table(Kind::Csv, "sheet", &["name", "n"], &rows, "list-2026-12-07").unwrap();
        let h = r.headers();
        assert_eq!(h[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        assert_eq!(
            h[header::CONTENT_DISPOSITION],
            "attachment; filename=\"list-2026-12-07.csv\""
        );
        let bytes = crate::csv_export::table(Kind::Csv, "sheet", &["name", "n"], &rows).unwrap();
        assert_eq!(bytes, "\u{feff}name,n\n'=1+1,3\n".as_bytes());
        let x = table(Kind::Xlsx, "sheet", &["name", "n"], &rows, "list").unwrap();
        assert_eq!(
            x.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"list.xlsx\""
        );
    }
}

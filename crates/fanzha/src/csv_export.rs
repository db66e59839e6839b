//! The one CSV writer of every export (rosters, indicators, appraisal…), safe to open in a
//! spreadsheet program.
//!
//! Spreadsheets run a cell that begins with `=`, `+`, `-` or `@` (and, in some programs, a tab or
//! carriage return before one of them) as a formula, so a name like `=HYPERLINK("http://x")` would
//! become a live link in the file a school admin opens. Every text cell that begins with one of
//! these characters is written with a leading `'`, which spreadsheets read as "this is text" and
//! do not show. The rule has one exception: numbers the export computes itself (counts, shares,
//! scores, a negative amount) are written as [`Cell::Number`], unchanged, so they stay numbers.
//! Whatever came from a person (names, titles, indicator values such as `+14155550100`) is text
//! and is neutralised. Importers of fanzha's own files undo the prefix with [`restore`], so an
//! export re-imports unchanged.

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One cell of a row.
#[derive(Clone, Debug)]
pub enum Cell<'a> {
    /// Text, neutralised when it could be read as a formula.
    Text(&'a str),
    /// A number the export computed itself, written as it is.
    Number(String),
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Self {
        Cell::Text(s)
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(s: &'a String) -> Self {
        Cell::Text(s.as_str())
    }
}

/// A number cell.
pub fn num(v: impl std::fmt::Display) -> Cell<'static> {
    Cell::Number(v.to_string())
}

/// A text cell made safe for spreadsheets: a leading `'` before a formula character.
///
/// ```
/// use fanzha::csv_export::neutralise;
/// assert_eq!(neutralise("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
/// assert_eq!(neutralise("+14155550100"), "'+14155550100");
/// assert_eq!(neutralise("张三"), "张三");
/// ```
pub fn neutralise(s: &str) -> Cow<'_, str> {
    if needs_prefix(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Undoes [`neutralise`] on a cell read back from one of fanzha's own exports.
///
/// ```
/// use fanzha::csv_export::{neutralise, restore};
/// let name = "=HYPERLINK(\"http://x\")";
/// assert_eq!(restore(&neutralise(name)), name);
/// assert_eq!(restore("'张三"), "'张三");
/// ```
pub fn restore(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if needs_prefix(rest) => rest,
        _ => s,
    }
}

/// A formula character, possibly after quotes (`'=x` is prefixed too, so that [`restore`] can
/// tell it from a neutralised `=x`).
fn needs_prefix(s: &str) -> bool {
    s.trim_start_matches('\'').starts_with(TRIGGERS)
}

/// Builds a CSV file row by row.
pub struct CsvOut {
    w: csv::Writer<Vec<u8>>,
}

impl CsvOut {
    /// A file without byte-order mark (machine readers).
    pub fn new() -> CsvOut {
        CsvOut {
            w: csv::Writer::from_writer(Vec::new()),
        }
    }

    /// A file with a UTF-8 byte-order mark, so spreadsheet programs read Chinese text right.
    pub fn with_bom() -> CsvOut {
        CsvOut {
            w: csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec()),
        }
    }

    /// A row of text cells.
    pub fn text_row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        self.row(cells.into_iter().map(Cell::Text));
    }

    /// A row of cells.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Cell<'a>>) {
        let cells: Vec<Cow<'_, str>> = cells
            .into_iter()
            .map(|c| match c {
                Cell::Text(s) => neutralise(s).into_owned().into(),
                Cell::Number(n) => n.into(),
            })
            .collect();
        // Writing into a Vec cannot fail.
        let _ = self.w.write_record(cells.iter().map(|c| c.as_bytes()));
    }

    /// The file's bytes.
    pub fn finish(self) -> Vec<u8> {
        self.w.into_inner().unwrap_or_default()
    }

    /// The file as text.
    pub fn finish_string(self) -> String {
        String::from_utf8(self.finish()).unwrap_or_default()
    }
}

impl Default for CsvOut {
    fn default() -> Self {
        CsvOut::new()
    }
}

/// The two files a list is exported as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// CSV with a byte-order mark (so Excel reads it as UTF-8).
    Csv,
    /// An Excel workbook, see [`xlsx`].
    Xlsx,
}

impl Kind {
    /// `Xlsx` when the caller asked for a workbook, else `Csv`.
    pub fn of(xlsx: bool) -> Kind {
        if xlsx {
            Kind::Xlsx
        } else {
            Kind::Csv
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Csv => "text/csv; charset=utf-8",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
    /// The file name's extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Csv => "csv",
            Kind::Xlsx => "xlsx",
        }
    }
}

/// A list as a file: the header row then the rows, as CSV (with a BOM) or as a workbook whose one
/// sheet is named `sheet`.
pub fn table(
    kind: Kind,
    sheet: &str,
    headers: &[&str],
    rows: &[Vec<Cell<'_>>],
) -> Result<Vec<u8>, String> {
    match kind {
        Kind::Xlsx => xlsx(sheet, headers, rows),
        Kind::Csv => {
            let mut w = CsvOut::with_bom();
            w.text_row(headers.iter().copied());
            for r in rows {
                w.row(r.iter().cloned());
            }
            Ok(w.finish())
        }
    }
}

/// The same rows as an Excel workbook (.xlsx), for staff who open exports in Excel: one sheet,
/// a bold header row, text cells written as text (an .xlsx string is never run as a formula and
/// keeps its leading zeros, so no prefix is needed) and number cells as numbers. Columns whose
/// every cell is text get the text format, so what a person types there later stays text too.
pub fn xlsx(sheet: &str, headers: &[&str], rows: &[Vec<Cell<'_>>]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(|e| e.to_string())?;
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    for (c, h) in headers.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, *h, &bold)
            .map_err(|e| e.to_string())?;
        let numeric = rows
            .iter()
            .any(|r| matches!(r.get(c as usize), Some(Cell::Number(_))));
        if !numeric {
            ws.set_column_format(c, &text).map_err(|e| e.to_string())?;
        }
        ws.set_column_width(c, 14).map_err(|e| e.to_string())?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = (i + 1) as u32;
        for (c, cell) in r.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => ws.write_string_with_format(row, c, *s, &text),
                Cell::Number(n) => match n.parse::<f64>() {
                    Ok(v) => ws.write_number(row, c, v),
                    Err(_) => ws.write_string(row, c, n),
                },
            }
            .map_err(|e| e.to_string())?;
        }
    }
    wb.save_to_buffer().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_neutralised_numbers_are_not() {
        let mut w = CsvOut::new();
        w.row([
            Cell::Text("=1+2"),
            Cell::Text("-3"),
            Cell::Text("@SUM(A1)"),
            Cell::Text("\t=x"),
            Cell::Text("\r=x"),
            num(-12.5),
            Cell::Text("a,b"),
        ]);
        assert_eq!(
            w.finish_string(),
            "'=1+2,'-3,'@SUM(A1),'\t=x,\"'\r=x\",-12.5,\"a,b\"\n"
        );
        for s in ["=1", "+1", "-1", "@a", "\t=", "\r=", "x", "'=a", ""] {
            assert_eq!(restore(&neutralise(s)), s, "{s:?}");
        }
    }
}

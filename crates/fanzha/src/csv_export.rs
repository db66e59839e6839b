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

//! Rosters in Excel: reading an .xlsx roster (first sheet, header row first) into the CSV text the
//! roster import checks, and the .xlsx template and export.
//!
//! Excel turns a typed student number or phone into a number: it drops leading zeros and rounds
//! anything longer than 15 digits. A number cell in an identifier column (student or staff number,
//! phone, class or unit code) therefore cannot be trusted and is refused with its line; the person
//! formats the column as text and types the values again. Other number cells (an enrollment year)
//! are read as the number they show.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::model::Student;
use super::roster::{is_identifier_header, ImportRefused, STUDENT_EXPORT_HEADERS};
use crate::csv_export::{num, Cell};
use crate::error::Msg;

/// An .xlsx file is a zip archive.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// A cell's text; `None` for a cell that cannot be read as text (an error cell).
fn cell_text(d: &Data) -> Option<String> {
    Some(match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::Error(_) => return None,
    })
}

/// The first sheet of a workbook as CSV text whose line numbers are the sheet's row numbers, so
/// the roster checks name the row a person sees in Excel. Number cells in identifier columns and
/// error cells refuse the file, each with its line.
pub fn to_csv(bytes: &[u8]) -> Result<String, ImportRefused> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec()))
        .map_err(|_| ImportRefused::file("roster-err-xlsx"))?;
    let range = match wb.worksheet_range_at(0) {
        Some(Ok(r)) => r,
        _ => return Err(ImportRefused::file("roster-err-xlsx")),
    };
    let Some((start_row, _)) = range.start() else {
        return Err(ImportRefused::file("roster-err-empty"));
    };
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(|c| cell_text(c).unwrap_or_default()).collect())
        .unwrap_or_default();
    let ident: Vec<bool> = header.iter().map(|h| is_identifier_header(h)).collect();
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    // Blank lines stand for the sheet's empty rows above the header, keeping line numbers equal.
    let mut out = "\n".repeat(start_row as usize).into_bytes();
    let flat = |s: String| s.replace(['\r', '\n'], " ");
    w.write_record(header.iter().cloned().map(flat))
        .map_err(|_| ImportRefused::file("roster-err-xlsx"))?;
    let mut errors = Vec::new();
    for (i, r) in rows.enumerate() {
        let line = start_row as u64 + i as u64 + 2;
        let mut rec = Vec::with_capacity(r.len());
        for (c, d) in r.iter().enumerate() {
            let column = header.get(c).cloned().unwrap_or_default();
            match d {
                Data::Int(_) | Data::Float(_) if ident.get(c).copied().unwrap_or(false) => {
                    errors.push(
                        Msg::new("roster-err-xlsx-number")
                            .arg("line", line)
                            .arg("column", column)
                            .arg("value", cell_text(d).unwrap_or_default()),
                    );
                    rec.push(String::new());
                }
                _ => match cell_text(d) {
                    Some(t) => rec.push(flat(t)),
                    None => {
                        errors.push(
                            Msg::new("roster-err-xlsx-cell")
                                .arg("line", line)
                                .arg("column", column),
                        );
                        rec.push(String::new());
                    }
                },
            }
        }
        w.write_record(&rec)
            .map_err(|_| ImportRefused::file("roster-err-xlsx"))?;
    }
    if !errors.is_empty() {
        return Err(ImportRefused { errors });
    }
    out.extend(
        w.into_inner()
            .map_err(|_| ImportRefused::file("roster-err-xlsx"))?,
    );
    String::from_utf8(out).map_err(|_| ImportRefused::file("roster-err-xlsx"))
}

/// Headers of the staff template (the student template uses the export's headers).
pub const STAFF_HEADERS: [&str; 8] = [
    "工号",
    "姓名",
    "手机",
    "邮箱",
    "单位代码",
    "职务",
    "职责",
    "负责单位",
];

/// An empty roster to fill in: the header row, every identifier column formatted as text so
/// Excel keeps leading zeros, and a second sheet explaining the columns.
pub fn template(students: bool, notes: &[String]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let headers: &[&str] = if students {
        &STUDENT_EXPORT_HEADERS
    } else {
        &STAFF_HEADERS
    };
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let ws = wb.add_worksheet();
    ws.set_name(if students {
        "学生名单"
    } else {
        "教职工名单"
    })
    .map_err(|e| e.to_string())?;
    for (c, h) in headers.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, *h, &bold)
            .map_err(|e| e.to_string())?;
        ws.set_column_width(c, 16).map_err(|e| e.to_string())?;
        if *h != "入学年份" {
            ws.set_column_format(c, &text).map_err(|e| e.to_string())?;
        }
    }
    let help = wb.add_worksheet();
    help.set_name("填写说明").map_err(|e| e.to_string())?;
    help.set_column_width(0, 100).map_err(|e| e.to_string())?;
    for (i, n) in notes.iter().enumerate() {
        help.write_string(i as u32, 0, n)
            .map_err(|e| e.to_string())?;
    }
    wb.save_to_buffer().map_err(|e| e.to_string())
}

/// A student roster as .xlsx, with the columns of the CSV export; it re-imports unchanged.
pub fn export_students(students: &[Student]) -> Result<Vec<u8>, String> {
    let rows: Vec<Vec<Cell<'_>>> = students
        .iter()
        .map(|s| {
            vec![
                Cell::Text(s.student_no.as_str()),
                Cell::Text(&s.name),
                Cell::Text(super::roster::gender_label(&s.gender)),
                num(s.enrollment_year),
                Cell::Text(&s.major),
                Cell::Text(&s.class_code),
                Cell::Text(&s.class_name),
                Cell::Text(s.phone.as_deref().unwrap_or("")),
                Cell::Text(s.email.as_deref().unwrap_or("")),
                Cell::Text(super::roster::status_label(&s.status)),
            ]
        })
        .collect();
    crate::csv_export::xlsx("学生名单", &STUDENT_EXPORT_HEADERS, &rows)
}

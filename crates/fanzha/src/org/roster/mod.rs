//! Roster import and export: CSV files as exported by Chinese academic and HR systems.
//!
//! Files come in UTF-8 (with or without BOM) or GBK/GB18030, with Chinese or English headers. An
//! import is all or nothing: every row is checked first, and any invalid row refuses the whole file
//! with a `line N: what is wrong` list. Valid files are upserted by student/staff number, so importing
//! the same file twice changes nothing the second time.

use crate::kernel::ids::UnitId;
use std::collections::{HashMap, HashSet};

use super::model::*;
use super::store;
use crate::db::{Db, DbResult};
use crate::error::Msg;

/// Which roster a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RosterKind {
    Students,
    Staff,
}

/// Result of a successful import.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub responsibilities: usize,
    /// Accounts created for people who had none (not activated yet).
    pub accounts_created: usize,
}

/// Why an import was refused: file-level problems or per-line errors. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRefused {
    pub errors: Vec<Msg>,
}

impl ImportRefused {
    pub(crate) fn file(key: &str) -> Self {
        ImportRefused {
            errors: vec![Msg::new(key)],
        }
    }
}

/// Decodes UTF-8 (BOM or not) or GB18030 (a superset of GBK) bytes.
pub fn decode(bytes: &[u8]) -> Result<String, ImportRefused> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err(ImportRefused::file("roster-err-encoding"));
    }
    Ok(text.into_owned())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Col {
    StudentNo,
    StaffNo,
    Name,
    Gender,
    Year,
    Major,
    Class,
    Phone,
    Email,
    Status,
    Unit,
    Title,
    Duty,
    Responsible,
}

fn column_of(header: &str) -> Option<Col> {
    let h = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace([' ', '_'], "");
    Some(match h.as_str() {
        "学号" | "studentno" | "studentnumber" | "studentid" | "xh" => Col::StudentNo,
        "工号" | "职工号" | "教工号" | "staffno" | "staffnumber" | "staffid" => {
            Col::StaffNo
        }
        "姓名" | "name" | "xm" => Col::Name,
        "性别" | "gender" | "sex" => Col::Gender,
        "入学年份" | "年级" | "入学年级" | "enrollmentyear" | "grade" | "year" => {
            Col::Year
        }
        "专业" | "专业名称" | "major" => Col::Major,
        "班级代码" | "班级编号" | "班级" | "班号" | "classcode" | "class" => Col::Class,
        "手机" | "手机号" | "手机号码" | "联系电话" | "电话" | "phone" | "mobile" => {
            Col::Phone
        }
        "邮箱" | "电子邮箱" | "email" | "e-mail" => Col::Email,
        "状态" | "学籍状态" | "status" => Col::Status,
        "单位代码" | "部门代码" | "单位" | "部门" | "unitcode" | "unit" | "department" => {
            Col::Unit
        }
        "职务" | "职称" | "title" | "position" => Col::Title,
        "职责" | "duty" => Col::Duty,
        "负责单位" | "负责班级" | "responsibleunits" | "responsiblefor" => Col::Responsible,
        _ => return None,
    })
}

/// Whether a header names an identifier column (student or staff number, phone, class or unit
/// code): such cells must be text, never numbers, in a spreadsheet.
pub fn is_identifier_header(header: &str) -> bool {
    matches!(
        column_of(header),
        Some(
            Col::StudentNo | Col::StaffNo | Col::Phone | Col::Class | Col::Unit | Col::Responsible
        )
    )
}

/// The text of a roster file: an Excel workbook (.xlsx) is read through [`super::xlsx`], anything
/// else is decoded as CSV text.
pub fn read_file(bytes: &[u8]) -> Result<String, ImportRefused> {
    if super::xlsx::is_xlsx(bytes) {
        super::xlsx::to_csv(bytes)
    } else {
        decode(bytes)
    }
}

/// A student row that passed every check.
#[derive(Clone, Debug)]
pub struct StudentRow {
    pub line: u64,
    pub student_no: PersonNo,
    pub name: String,
    pub gender: Gender,
    pub enrollment_year: i64,
    pub major: String,
    pub class_id: UnitId,
    pub phone: Option<Phone>,
    pub email: Option<String>,
    pub status: StudentStatus,
}

/// A staff row that passed every check.
#[derive(Clone, Debug)]
pub struct StaffRow {
    pub line: u64,
    pub staff_no: PersonNo,
    pub name: String,
    pub phone: Option<Phone>,
    pub email: Option<String>,
    pub unit_id: UnitId,
    pub title: String,
    pub duty: Option<Duty>,
    pub responsible: Vec<UnitId>,
    pub status: StaffStatus,
}

/// An optional cell: empty is `Some(None)`, a valid value `Some(Some(v))`, an invalid one `None`.
fn optional<T>(raw: &str, parse: impl Fn(&str) -> Option<T>) -> Option<Option<T>> {
    if raw.is_empty() {
        Some(None)
    } else {
        parse(raw).map(Some)
    }
}

/// A phone cell: empty, or a mainland mobile number; a foreign number is refused as such.
fn phone_cell(line: u64, raw: &str) -> Result<Option<Phone>, Msg> {
    if raw.is_empty() {
        return Ok(None);
    }
    Phone::parse(raw).map(Some).map_err(|e| {
        let key = match e {
            PhoneError::Foreign => "roster-err-phone-foreign",
            PhoneError::Invalid => "roster-err-phone",
        };
        line_err(line, key).arg("value", raw)
    })
}

/// A name-like cell checked by `crate::text::name`; the error names the line and the column.
fn name_cell(line: u64, raw: &str, column: &str) -> Result<String, Msg> {
    crate::text::name(raw)
        .map(str::to_string)
        .map_err(|e| line_err(line, e.line_key()).arg("column", column))
}

/// Refuses the lines whose number the other kind of person of the school already has.
pub fn refuse_taken_numbers<'a>(
    rows: impl Iterator<Item = (u64, &'a str)>,
    taken: &std::collections::HashSet<String>,
    importing: RosterKind,
) -> Result<(), ImportRefused> {
    let key = match importing {
        RosterKind::Students => "roster-err-number-is-staff",
        RosterKind::Staff => "roster-err-number-is-student",
    };
    let errors: Vec<Msg> = rows
        .filter(|(_, no)| taken.contains(*no))
        .map(|(line, no)| line_err(line, key).arg("value", no))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ImportRefused { errors })
    }
}

fn line_err(line: u64, key: &str) -> Msg {
    Msg::new(key).arg("line", line)
}

struct Table {
    cols: HashMap<Col, usize>,
    records: Vec<(u64, csv::StringRecord)>,
}

fn read_table(text: &str) -> Result<Table, ImportRefused> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|_| ImportRefused::file("roster-err-not-csv"))?
        .clone();
    let mut cols = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(c) = column_of(h) {
            cols.entry(c).or_insert(i);
        }
    }
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for rec in rdr.records() {
        match rec {
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                if r.iter().all(|f| f.is_empty()) {
                    continue;
                }
                records.push((line, r));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(line_err(line, "roster-err-bad-csv-row"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(ImportRefused { errors });
    }
    if records.is_empty() {
        return Err(ImportRefused::file("roster-err-empty"));
    }
    Ok(Table { cols, records })
}

impl Table {
    /// A cell, with the spreadsheet prefix of fanzha's own exports undone.
    fn get<'a>(&self, r: &'a csv::StringRecord, c: Col) -> &'a str {
        let cell = self.cols.get(&c).and_then(|&i| r.get(i)).unwrap_or("");
        crate::csv_export::restore(cell)
    }
    fn require(&self, cols: &[(Col, &str)]) -> Result<(), ImportRefused> {
        let missing: Vec<Msg> = cols
            .iter()
            .filter(|(c, _)| !self.cols.contains_key(c))
            .map(|(_, name)| Msg::new("roster-err-missing-column").arg("column", name))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ImportRefused { errors: missing })
        }
    }
}

/// Which roster a file holds, from its headers.
pub fn detect_kind(text: &str) -> Option<RosterKind> {
    let first = text.lines().next()?;
    let cols: Vec<Col> = first
        .split(',')
        .filter_map(|h| column_of(h.trim().trim_matches('"')))
        .collect();
    if cols.contains(&Col::StudentNo) {
        Some(RosterKind::Students)
    } else if cols.contains(&Col::StaffNo) {
        Some(RosterKind::Staff)
    } else {
        None
    }
}

mod check;
mod export;
mod write;

pub use check::*;
pub use export::*;
pub use write::*;

/// Class codes → ids of a school, for checking rows.
pub async fn class_index(db: &Db, school: &Unit) -> DbResult<HashMap<String, UnitId>> {
    Ok(store::units_of_kind_in(db, &school.path, UnitKind::Class)
        .await?
        .into_iter()
        .map(|u| (u.code, u.id))
        .collect())
}

/// Unit codes → (id, kind) of an organisation's subtree, for checking staff rows.
pub async fn unit_index(db: &Db, org: &Unit) -> DbResult<HashMap<String, (UnitId, UnitKind)>> {
    Ok(store::subtree(db, &org.path)
        .await?
        .into_iter()
        .map(|u| (u.code, (u.id, u.kind)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> HashMap<String, UnitId> {
        HashMap::from([("C1".to_string(), UnitId(1)), ("C2".to_string(), UnitId(2))])
    }

    #[test]
    fn good_chinese_headers() {
        let csv = "学号,姓名,性别,年级,专业,班级代码,手机号,邮箱,学籍状态\n\
                   2023001,王小明,男,2023级,计算机,C1,138-0000-1111,w@x.edu.cn,在读\n\
                   2023002,李华,女,,数学,C2,,,\n";
        let rows = check_students(csv, &classes(), 2026).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].enrollment_year, 2023);
        assert_eq!(rows[0].phone.as_ref().unwrap().as_str(), "13800001111");
    }

    #[test]
    fn gbk_is_decoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode("学号,姓名,班级代码\n2023001,王小明,C1\n");
        let text = decode(&bytes).unwrap();
        assert!(text.starts_with("学号"));
        assert_eq!(check_students(&text, &classes(), 2026).unwrap().len(), 1);
    }

    #[test]
    fn every_bad_row_is_listed_with_its_line() {
        let csv = "student_no,name,class_code,phone,gender\n\
                   2023001,A,C1,13800001111,m\n\
                   2023001,B,C1,,f\n\
                   2023003,C,NOPE,,m\n\
                   2023004,D,C1,12345,x\n";
        let err = check_students(csv, &classes(), 2026).unwrap_err();
        let keys: Vec<(String, String)> = err
            .errors
            .iter()
            .map(|m| (m.key.clone(), m.args[0].1.clone()))
            .collect();
        assert!(keys.contains(&("roster-err-duplicate".into(), "3".into())));
        assert!(keys.contains(&("roster-err-class".into(), "4".into())));
        assert!(keys.contains(&("roster-err-phone".into(), "5".into())));
        assert!(keys.contains(&("roster-err-gender".into(), "5".into())));
    }

    #[test]
    fn missing_columns_and_empty_files() {
        assert_eq!(
            check_students("姓名\n张三\n", &classes(), 2026)
                .unwrap_err()
                .errors[0]
                .key,
            "roster-err-missing-column"
        );
        assert_eq!(
            check_students("学号,姓名,班级代码\n", &classes(), 2026)
                .unwrap_err()
                .errors[0]
                .key,
            "roster-err-empty"
        );
        assert!(decode(b"\x81\x20\xff\x81").is_err());
    }

    #[test]
    fn export_reimports() {
        let s = Student {
            id: crate::kernel::ids::StudentId(1),
            school_id: crate::kernel::ids::UnitId(1),
            class_id: crate::kernel::ids::UnitId(1),
            class_code: "C1".into(),
            class_name: "一班".into(),
            class_path: "/1/".into(),
            student_no: "2023009".into(),
            name: "赵六".into(),
            gender: "female".into(),
            enrollment_year: 2023,
            major: "法学".into(),
            phone: Some("13900001111".into()),
            email: None,
            status: "enrolled".into(),
        };
        let bytes = export_students(&[s]);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let rows = check_students(&decode(&bytes).unwrap(), &classes(), 2026).unwrap();
        assert_eq!(rows[0].name, "赵六");
        assert_eq!(rows[0].gender, Gender::Female);
    }
}

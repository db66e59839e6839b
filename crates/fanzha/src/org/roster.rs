//! Roster import and export: CSV files as exported by Chinese academic and HR systems.
//!
//! Files come in UTF-8 (with or without BOM) or GBK/GB18030, with Chinese or English headers. An
//! import is all or nothing: every row is checked first, and any invalid row refuses the whole file
//! with a `line N: what is wrong` list. Valid files are upserted by student/staff number, so importing
//! the same file twice changes nothing the second time.

use std::collections::{HashMap, HashSet};

use sqlx::Row;

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
    pub class_id: i64,
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
    pub unit_id: i64,
    pub title: String,
    pub duty: Option<Duty>,
    pub responsible: Vec<i64>,
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

fn parse_year(s: &str, student_no: &str, now_year: i64) -> Option<i64> {
    let s = s.trim().trim_end_matches('级').trim_end_matches("年");
    let y: i64 = if s.is_empty() {
        student_no.get(..4)?.parse().ok()?
    } else {
        s.parse().ok()?
    };
    (1990..=now_year + 1).contains(&y).then_some(y)
}

/// Checks every student row against the school's classes. Nothing is written.
pub fn check_students(
    text: &str,
    classes: &HashMap<String, i64>,
    now_year: i64,
) -> Result<Vec<StudentRow>, ImportRefused> {
    let t = read_table(text)?;
    t.require(&[
        (Col::StudentNo, "学号 / student_no"),
        (Col::Name, "姓名 / name"),
        (Col::Class, "班级代码 / class_code"),
    ])?;
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(t.records.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, r) in &t.records {
        let line = *line;
        let mut bad = false;
        let mut err = |m: Msg| {
            errors.push(m);
            bad = true;
        };
        let raw_no = t.get(r, Col::StudentNo);
        let student_no = PersonNo::parse(raw_no);
        if student_no.is_none() {
            err(line_err(line, "roster-err-student-no").arg("value", raw_no));
        }
        if let Some(no) = &student_no {
            if let Some(first) = seen.insert(no.as_str().to_string(), line) {
                err(line_err(line, "roster-err-duplicate")
                    .arg("value", no.as_str())
                    .arg("first", first));
            }
        }
        let name = match name_cell(line, t.get(r, Col::Name), "姓名 / name") {
            Ok(n) => {
                if n.is_empty() || n.chars().count() > 64 {
                    err(line_err(line, "roster-err-name"));
                }
                n
            }
            Err(m) => {
                err(m);
                String::new()
            }
        };
        let raw_gender = t.get(r, Col::Gender);
        let gender = Gender::parse(raw_gender);
        if gender.is_none() {
            err(line_err(line, "roster-err-gender").arg("value", raw_gender));
        }
        let raw_year = t.get(r, Col::Year);
        let year = parse_year(raw_year, raw_no, now_year);
        if year.is_none() {
            err(line_err(line, "roster-err-year").arg("value", raw_year));
        }
        let class_code = t.get(r, Col::Class);
        let class_id = classes.get(class_code).copied();
        if class_id.is_none() {
            err(line_err(line, "roster-err-class").arg("value", class_code));
        }
        let phone = match phone_cell(line, t.get(r, Col::Phone)) {
            Ok(p) => Some(p),
            Err(m) => {
                err(m);
                None
            }
        };
        let raw_email = t.get(r, Col::Email);
        let email = optional(raw_email, parse_email);
        if email.is_none() {
            err(line_err(line, "roster-err-email").arg("value", raw_email));
        }
        let raw_status = t.get(r, Col::Status);
        let status = StudentStatus::parse(raw_status);
        if status.is_none() {
            err(line_err(line, "roster-err-status").arg("value", raw_status));
        }
        let major = match name_cell(line, t.get(r, Col::Major), "专业 / major") {
            Ok(m) => m,
            Err(m) => {
                err(m);
                String::new()
            }
        };
        if major.chars().count() > 64 {
            err(line_err(line, "roster-err-major"));
        }
        if bad {
            continue;
        }
        if let (
            Some(student_no),
            Some(gender),
            Some(enrollment_year),
            Some(class_id),
            Some(phone),
            Some(email),
            Some(status),
        ) = (student_no, gender, year, class_id, phone, email, status)
        {
            rows.push(StudentRow {
                line,
                student_no,
                name,
                gender,
                enrollment_year,
                major,
                class_id,
                phone,
                email,
                status,
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ImportRefused { errors })
    }
}

/// Checks every staff row against the units of the organisation. Nothing is written.
pub fn check_staff(
    text: &str,
    units: &HashMap<String, (i64, UnitKind)>,
) -> Result<Vec<StaffRow>, ImportRefused> {
    let t = read_table(text)?;
    t.require(&[
        (Col::StaffNo, "工号 / staff_no"),
        (Col::Name, "姓名 / name"),
        (Col::Unit, "单位代码 / unit_code"),
    ])?;
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (line, r) in &t.records {
        let line = *line;
        let before = errors.len();
        let raw_no = t.get(r, Col::StaffNo);
        let staff_no = PersonNo::parse(raw_no);
        match &staff_no {
            None => errors.push(line_err(line, "roster-err-staff-no").arg("value", raw_no)),
            Some(no) => {
                if let Some(first) = seen.insert(no.as_str().to_string(), line) {
                    errors.push(
                        line_err(line, "roster-err-duplicate")
                            .arg("value", no.as_str())
                            .arg("first", first),
                    );
                }
            }
        }
        let name = match name_cell(line, t.get(r, Col::Name), "姓名 / name") {
            Ok(n) if n.is_empty() || n.chars().count() > 64 => {
                errors.push(line_err(line, "roster-err-name"));
                n
            }
            Ok(n) => n,
            Err(m) => {
                errors.push(m);
                String::new()
            }
        };
        let title = match name_cell(line, t.get(r, Col::Title), "职务 / title") {
            Ok(t) => t,
            Err(m) => {
                errors.push(m);
                String::new()
            }
        };
        let unit_code = t.get(r, Col::Unit);
        let unit = units.get(unit_code);
        if unit.is_none() {
            errors.push(line_err(line, "roster-err-unit").arg("value", unit_code));
        }
        let phone = match phone_cell(line, t.get(r, Col::Phone)) {
            Ok(p) => Some(p),
            Err(m) => {
                errors.push(m);
                None
            }
        };
        let raw_email = t.get(r, Col::Email);
        let email = optional(raw_email, parse_email);
        if email.is_none() {
            errors.push(line_err(line, "roster-err-email").arg("value", raw_email));
        }
        let raw_duty = t.get(r, Col::Duty);
        let duty = optional(raw_duty, Duty::parse);
        if duty.is_none() {
            errors.push(line_err(line, "roster-err-duty").arg("value", raw_duty));
        }
        let raw_status = t.get(r, Col::Status);
        let status = StaffStatus::parse(raw_status);
        if status.is_none() {
            errors.push(line_err(line, "roster-err-staff-status").arg("value", raw_status));
        }
        let mut responsible = Vec::new();
        for code in t
            .get(r, Col::Responsible)
            .split([';', '；', ',', '，', '、', ' '])
            .filter(|c| !c.is_empty())
        {
            match (units.get(code), duty.flatten()) {
                (None, _) => errors.push(line_err(line, "roster-err-unit").arg("value", code)),
                (Some(_), None) => errors.push(line_err(line, "roster-err-duty-missing")),
                (Some((id, kind)), Some(d)) if *kind == d.unit_kind() => responsible.push(*id),
                (Some(_), Some(_)) => {
                    errors.push(line_err(line, "roster-err-duty-unit").arg("value", code))
                }
            }
        }
        if errors.len() > before {
            continue;
        }
        if let (
            Some(staff_no),
            Some((unit_id, _)),
            Some(phone),
            Some(email),
            Some(duty),
            Some(status),
        ) = (staff_no, unit, phone, email, duty, status)
        {
            rows.push(StaffRow {
                line,
                staff_no,
                name,
                phone,
                email,
                unit_id: *unit_id,
                title,
                duty,
                responsible,
                status,
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ImportRefused { errors })
    }
}

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's parameter limits.
const BATCH: usize = 500;

/// Upserts checked student rows in one transaction.
pub async fn write_students(
    db: &Db,
    school_id: i64,
    rows: &[StudentRow],
    now: i64,
) -> DbResult<ImportSummary> {
    let existing: HashSet<String> =
        sqlx::query("SELECT student_no FROM students WHERE school_id = $1")
            .bind(school_id)
            .fetch_all(&db.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
    let mut tx = db.begin_write().await?;
    // Enrolment years the school did not have before this import: new intakes (the learning
    // module hands them the first lesson).
    let known_years: HashSet<i64> =
        sqlx::query_scalar("SELECT DISTINCT enrollment_year FROM students WHERE school_id = $1")
            .bind(school_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let mut new_years: Vec<i64> = rows
        .iter()
        .map(|r| r.enrollment_year)
        .filter(|y| !known_years.contains(y))
        .collect();
    new_years.sort_unstable();
    new_years.dedup();
    for chunk in rows.chunks(BATCH) {
        let mut sql = String::from(
            "INSERT INTO students (school_id, class_id, student_no, name, gender, enrollment_year, major, phone, email, status, created_at, updated_at) VALUES ",
        );
        sql.push_str(&crate::db::values_rows(chunk.len(), 12, 1));
        sql.push_str(
            " ON CONFLICT (school_id, student_no) DO UPDATE SET class_id = excluded.class_id, name = excluded.name, \
             gender = excluded.gender, enrollment_year = excluded.enrollment_year, major = excluded.major, \
             phone = excluded.phone, email = excluded.email, status = excluded.status, updated_at = excluded.updated_at",
        );
        let sql = crate::db::bulk_sql(db.backend, &sql);
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(school_id)
                .bind(r.class_id)
                .bind(r.student_no.as_str().to_string())
                .bind(r.name.clone())
                .bind(r.gender.as_str())
                .bind(r.enrollment_year)
                .bind(r.major.clone())
                .bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
                .bind(r.email.clone())
                .bind(r.status.as_str())
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *tx).await?;
    }
    let numbers: Vec<&str> = rows.iter().map(|r| r.student_no.as_str()).collect();
    let accounts_created = crate::auth::roster_accounts::sync(
        &mut tx,
        db.backend,
        crate::auth::roster_accounts::PersonKind::Student,
        school_id,
        &numbers,
        now,
    )
    .await?;
    crate::learning::service::intake_arrived(&mut tx, school_id, &new_years, now).await?;
    tx.commit().await?;
    let inserted = rows
        .iter()
        .filter(|r| !existing.contains(r.student_no.as_str()))
        .count();
    Ok(ImportSummary {
        rows: rows.len(),
        inserted,
        updated: rows.len() - inserted,
        responsibilities: 0,
        accounts_created,
    })
}

/// Upserts checked staff rows and their responsibilities in one transaction.
pub async fn write_staff(
    db: &Db,
    org_id: i64,
    rows: &[StaffRow],
    now: i64,
) -> DbResult<ImportSummary> {
    let mut tx = db.begin_write().await?;
    let mut summary = ImportSummary {
        rows: rows.len(),
        ..Default::default()
    };
    for r in rows {
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM staff WHERE org_id = $1 AND staff_no = $2")
                .bind(org_id)
                .bind(r.staff_no.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let id = match existing {
            Some(id) => {
                sqlx::query("UPDATE staff SET unit_id = $1, name = $2, phone = $3, email = $4, title = $5, status = $6, updated_at = $7 WHERE id = $8")
                    .bind(r.unit_id)
                    .bind(&r.name)
                    .bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
                    .bind(&r.email)
                    .bind(&r.title)
                    .bind(r.status.as_str())
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                summary.updated += 1;
                id
            }
            None => {
                summary.inserted += 1;
                sqlx::query_scalar(
                    "INSERT INTO staff (org_id, unit_id, staff_no, name, phone, email, title, status, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
                )
                .bind(org_id)
                .bind(r.unit_id)
                .bind(r.staff_no.as_str())
                .bind(&r.name)
                .bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
                .bind(&r.email)
                .bind(&r.title)
                .bind(r.status.as_str())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        if let Some(duty) = r.duty {
            for &unit in &r.responsible {
                store::set_responsible(&mut *tx, unit, id, duty, now).await?;
                summary.responsibilities += 1;
            }
        }
    }
    let numbers: Vec<&str> = rows.iter().map(|r| r.staff_no.as_str()).collect();
    summary.accounts_created = crate::auth::roster_accounts::sync(
        &mut tx,
        db.backend,
        crate::auth::roster_accounts::PersonKind::Staff,
        org_id,
        &numbers,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

/// Headers of an exported student roster; the export re-imports unchanged.
pub const STUDENT_EXPORT_HEADERS: [&str; 10] = [
    "学号",
    "姓名",
    "性别",
    "入学年份",
    "专业",
    "班级代码",
    "班级",
    "手机",
    "邮箱",
    "状态",
];

/// A gender as the roster files write it (and read it back).
pub fn gender_label(g: &str) -> &'static str {
    match g {
        "male" => "男",
        "female" => "女",
        _ => "未知",
    }
}

/// A student status as the roster files write it (and read it back).
pub fn status_label(s: &str) -> &'static str {
    match s {
        "suspended" => "休学",
        "graduated" => "毕业",
        "withdrawn" => "退学",
        _ => "在读",
    }
}

/// A student roster as CSV with a UTF-8 BOM, so Excel opens it with the right encoding; cells
/// that a spreadsheet would run as formulas are neutralised (`crate::csv_export`).
pub fn export_students(students: &[Student]) -> Vec<u8> {
    use crate::csv_export::{num, Cell, CsvOut};
    let mut w = CsvOut::with_bom();
    w.text_row(STUDENT_EXPORT_HEADERS);
    for s in students {
        let gender = gender_label(&s.gender);
        let status = status_label(&s.status);
        w.row([
            Cell::Text(s.student_no.as_str()),
            Cell::Text(&s.name),
            Cell::Text(gender),
            num(s.enrollment_year),
            Cell::Text(&s.major),
            Cell::Text(&s.class_code),
            Cell::Text(&s.class_name),
            Cell::Text(s.phone.as_deref().unwrap_or("")),
            Cell::Text(s.email.as_deref().unwrap_or("")),
            Cell::Text(status),
        ]);
    }
    w.finish()
}

/// Class codes → ids of a school, for checking rows.
pub async fn class_index(db: &Db, school: &Unit) -> DbResult<HashMap<String, i64>> {
    Ok(store::units_of_kind_in(db, &school.path, UnitKind::Class)
        .await?
        .into_iter()
        .map(|u| (u.code, u.id))
        .collect())
}

/// Unit codes → (id, kind) of an organisation's subtree, for checking staff rows.
pub async fn unit_index(db: &Db, org: &Unit) -> DbResult<HashMap<String, (i64, UnitKind)>> {
    Ok(store::subtree(db, &org.path)
        .await?
        .into_iter()
        .map(|u| (u.code, (u.id, u.kind)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> HashMap<String, i64> {
        HashMap::from([("C1".to_string(), 1), ("C2".to_string(), 2)])
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
            id: 1,
            school_id: 1,
            class_id: 1,
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

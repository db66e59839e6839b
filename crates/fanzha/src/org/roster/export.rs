//! The student roster as a CSV file, with values in words.

use super::*;

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

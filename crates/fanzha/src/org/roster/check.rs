//! Checking a roster file row by row: every problem found at once, with its line.

use super::*;
use crate::kernel::ids::UnitId;

pub(super) fn parse_year(s: &str, student_no: &str, now_year: i64) -> Option<i64> {
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
    classes: &HashMap<String, UnitId>,
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
    units: &HashMap<String, (UnitId, UnitKind)>,
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

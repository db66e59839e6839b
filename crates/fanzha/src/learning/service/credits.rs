//! Reminders, appraisal weights, certificates and the credit export.

use super::*;
#[allow(unused_imports)]
use crate::kernel::ids::UnitId;

/// Queues a reminder to every student of a required course under `unit_id` who has not finished
/// it (sent by the `learning.remind` job). Returns how many there are now.
pub async fn remind_unfinished(
    db: &Db,
    clock: &Clock,
    jobs: &JobQueue,
    p: &Principal,
    actor: &Actor,
    course_id: i64,
    unit_id: UnitId,
) -> Result<i64, LearningError> {
    let under = unit_for(db, clock, p, actor, Action::RunActivities, unit_id).await?;
    let c = store::course_by_id(db, course_id)
        .await?
        .ok_or(LearningError::NotFound)?;
    let school = unit(db, c.school_id).await?;
    if !under.path.starts_with(&school.path) {
        return Err(LearningError::NotFound);
    }
    let ids = store::unfinished_students(db, c.id, &under.path).await?;
    if !ids.is_empty() {
        queue_reminder(clock, jobs, "course", c.id, school.id, &under).await?;
    }
    Ok(ids.len() as i64)
}

/// Sets a school's weights of the appraisal components (school admins of that school).
pub async fn set_weights(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    school_id: UnitId,
    weights: &[(&str, i64)],
) -> Result<(), LearningError> {
    let school = school_for(db, clock, p, actor, Action::ConfigureWarnings, school_id).await?;
    for (k, w) in weights {
        crate::appraisal::set_weight(db, school.id, k, *w).await?;
    }
    Ok(())
}

/// A certificate by its verification code, for anyone (the public verify page).
pub async fn verify_certificate(db: &Db, code: &str) -> Result<Certificate, LearningError> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 12 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(LearningError::NotFound);
    }
    store::certificate_by_code(db, &code)
        .await?
        .ok_or(LearningError::NotFound)
}

/// The columns of the credit export.
pub const CREDIT_HEADERS: [&str; 8] = [
    "记录编号",
    "学号",
    "姓名",
    "班级",
    "课程",
    "学分",
    "完成日期",
    "证书验证码",
];

/// One row of the credit export: the certificate, student number, name, class.
pub type CreditRow = (Certificate, String, String, String);

/// A credit export as a file: its name and bytes (`.csv` or `.xlsx`).
pub struct CreditFile {
    pub filename: String,
    pub xlsx: bool,
    pub body: Vec<u8>,
}

/// The credit export of a school for academic affairs, all of it or the credits completed in one
/// term of its calendar: one row per certificate, keyed by the certificate number, so a
/// re-export has the same rows (the CSV byte for byte) and a re-import elsewhere can skip what it
/// has. Staff allowed to export the school's roster only; the export is audited.
pub async fn credit_export(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    school_id: UnitId,
    term_id: Option<i64>,
    xlsx: bool,
) -> Result<CreditFile, LearningError> {
    let school = school_for(db, clock, p, actor, Action::ExportRoster, school_id).await?;
    let term = match term_id {
        Some(id) => Some(
            store::term_by_id(db, id)
                .await?
                .filter(|t| t.school_id == school.id)
                .ok_or(LearningError::NotFound)?,
        ),
        None => None,
    };
    let (from, to) = term
        .as_ref()
        .map_or((0, Millis::MAX), |t| (t.starts_at, t.ends_at));
    let rows = store::credits_of_school(db, school.id, from, to).await?;
    crate::audit::person_list_read(
        db,
        clock,
        p,
        actor,
        crate::audit::ListRead {
            export: true,
            kind: "student",
            unit_path: school.path.clone(),
            filter: serde_json::json!({"learning_credits": school.id, "term": term.as_ref().map(Term::code)}),
            ids: rows.iter().map(|r| r.0.student_id.get()).collect(),
        },
    )
    .await?;
    let body = credit_file(&rows, xlsx).map_err(|e| {
        tracing::error!(error = %e, "credit xlsx");
        LearningError::Internal
    })?;
    let term = term.map(|t| format!("-{}", t.code())).unwrap_or_default();
    Ok(CreditFile {
        filename: format!(
            "credits-{}{term}.{}",
            school.code,
            if xlsx { "xlsx" } else { "csv" }
        ),
        xlsx,
        body,
    })
}

/// The rows as CSV (with a BOM, for Excel) or as an .xlsx workbook.
pub fn credit_file(rows: &[CreditRow], xlsx: bool) -> Result<Vec<u8>, String> {
    use crate::csv_export::{num, Cell};
    let days: Vec<String> = rows
        .iter()
        .map(|(c, ..)| {
            chrono::DateTime::from_timestamp_millis(c.completed_at)
                .map(|d| {
                    d.with_timezone(&chrono_tz::Asia::Shanghai)
                        .format("%Y-%m-%d")
                        .to_string()
                })
                .unwrap_or_default()
        })
        .collect();
    let numbers: Vec<String> = rows.iter().map(|(c, ..)| c.number()).collect();
    let cells =
        rows.iter()
            .zip(days.iter().zip(&numbers))
            .map(|((c, no, name, class), (day, number))| {
                vec![
                    Cell::Text(number),
                    Cell::Text(no),
                    Cell::Text(name),
                    Cell::Text(class),
                    Cell::Text(&c.course_title),
                    num(c.credits()),
                    Cell::Text(day),
                    Cell::Text(&c.code),
                ]
            });
    let all: Vec<Vec<Cell<'_>>> = cells.collect();
    crate::csv_export::table(
        crate::csv_export::Kind::of(xlsx),
        "学分",
        &CREDIT_HEADERS,
        &all,
    )
}

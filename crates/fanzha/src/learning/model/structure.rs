//! A course's structure: modules grouping its lessons, the instructors shown on it, and files
//! attached to lessons.

use super::{problem, Problems};

/// A module of a course (a chapter grouping lessons).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Module {
    pub id: i64,
    pub course_id: i64,
    pub position: i64,
    pub title: String,
}

/// A module's title as typed: 1 to 100 characters.
pub fn module_title(raw: &str) -> Result<String, Problems> {
    match crate::text::name(raw) {
        Ok("") => Err(vec![problem("err-learning-title-required")]),
        Ok(t) if t.chars().count() > 100 => {
            Err(vec![problem("err-learning-title-long").arg("max", 100)])
        }
        Ok(t) => Ok(t.to_string()),
        Err(e) => Err(vec![problem(e.key())]),
    }
}

/// A module (None: the lessons outside any module) with its lessons, each with `T` (whether the
/// student viewed it, the lesson's files…).
pub type LessonGroup<T> = (Option<Module>, Vec<(super::Lesson, T)>);

/// Who teaches: a teacher of the school or a police officer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum InstructorKind {
    Teacher,
    Police,
}

impl InstructorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InstructorKind::Teacher => "teacher",
            InstructorKind::Police => "police",
        }
    }
    pub fn parse(s: &str) -> Option<InstructorKind> {
        match s {
            "teacher" => Some(InstructorKind::Teacher),
            "police" => Some(InstructorKind::Police),
            _ => None,
        }
    }
}

/// An instructor shown on a course: name and affiliation (unit, rank or title).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Instructor {
    pub id: i64,
    pub course_id: i64,
    pub kind: InstructorKind,
    pub name: String,
    pub affiliation: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInstructor {
    pub kind: InstructorKind,
    pub name: String,
    pub affiliation: String,
}

impl NewInstructor {
    pub fn parse(kind: &str, name: &str, affiliation: &str) -> Result<NewInstructor, Problems> {
        let mut p = Problems::new();
        let kind = InstructorKind::parse(kind.trim()).unwrap_or_else(|| {
            p.push(problem("err-learning-instructor-kind"));
            InstructorKind::Teacher
        });
        let name = match crate::text::name(name) {
            Ok(n) if !n.is_empty() && n.chars().count() <= 50 => n.to_string(),
            _ => {
                p.push(problem("err-learning-instructor-name"));
                String::new()
            }
        };
        let affiliation = match crate::text::name(affiliation) {
            Ok(a) if a.chars().count() <= 100 => a.to_string(),
            _ => {
                p.push(problem("err-learning-instructor-affiliation"));
                String::new()
            }
        };
        if p.is_empty() {
            Ok(NewInstructor {
                kind,
                name,
                affiliation,
            })
        } else {
            Err(p)
        }
    }
}

/// A file attached to a lesson (its bytes live in the evidence store).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Attachment {
    pub id: i64,
    pub lesson_id: i64,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    #[serde(skip)]
    pub storage_key: String,
}

impl Attachment {
    /// "1.2 MB", "35 KB".
    pub fn size(&self) -> String {
        if self.size_bytes >= 1024 * 1024 {
            format!("{:.1} MB", self.size_bytes as f64 / 1024.0 / 1024.0)
        } else {
            format!("{} KB", (self.size_bytes + 1023) / 1024)
        }
    }
}

/// The largest file a lesson takes.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// What a lesson accepts, told from the file's first bytes (the name's extension only decides
/// between the Office formats, which are all zip archives): PDF, JPEG, PNG, Word, PowerPoint,
/// Excel. Anything else is refused.
pub fn attachment_type(name: &str, bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if bytes.starts_with(b"%PDF-") {
        return Some(("application/pdf", "pdf"));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(("image/jpeg", "jpg"));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(("image/png", "png"));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return match ext.as_deref() {
            Some("docx") => Some((
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "docx",
            )),
            Some("pptx") => Some((
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "pptx",
            )),
            Some("xlsx") => Some((
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            )),
            _ => None,
        };
    }
    None
}

/// A file name safe to show and to send back: the last path part, no control characters or
/// quotes, at most 120 characters; empty names become "附件".
pub fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let s: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(120)
        .collect();
    let s = s.trim().to_string();
    if s.is_empty() {
        "附件".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_told_by_their_bytes_and_names_are_cleaned() {
        assert_eq!(
            attachment_type("a.pdf", b"%PDF-1.7").map(|t| t.1),
            Some("pdf")
        );
        assert_eq!(
            attachment_type("x.exe", b"%PDF-1.7").map(|t| t.1),
            Some("pdf")
        );
        assert_eq!(
            attachment_type("slides.PPTX", b"PK\x03\x04..").map(|t| t.1),
            Some("pptx")
        );
        assert_eq!(attachment_type("a.zip", b"PK\x03\x04.."), None);
        assert_eq!(attachment_type("a.pdf", b"MZ\x90\x00"), None);
        assert_eq!(clean_file_name("C:\\Users\\x\\讲义.pdf"), "讲义.pdf");
        assert_eq!(clean_file_name("../../\"a\".pdf"), "a.pdf");
        assert_eq!(clean_file_name(""), "附件");
    }
}

//! Types of the learning module, parsed from forms: courses and their lessons, questions of the
//! bank, attempts, the pledge, activities and app installs.

use crate::kernel::ids::{AccountId, StudentId, UnitId};
mod structure;
mod term;
pub use structure::*;
pub use term::*;

use fanzha_detect::FraudType;

use crate::clock::Millis;
use crate::error::Msg;

/// Problems found in a form, one message each.
pub type Problems = Vec<Msg>;

fn problem(key: &str) -> Msg {
    Msg::new(key)
}

/// A course of a school.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Course {
    pub id: i64,
    pub school_id: UnitId,
    pub title: String,
    pub summary: String,
    /// Credits in tenths (15 = 1.5 credits).
    pub credits_tenths: i64,
    pub pass_percent: i64,
    /// Questions drawn per fraud type in one assessment.
    pub per_tag: i64,
    pub max_attempts: i64,
    pub time_limit_min: i64,
    /// A required course (the first lesson): it has a deadline and reminders.
    pub required: bool,
    pub deadline_at: Option<Millis>,
    pub created_at: Millis,
    /// Handed to every new intake the roster brings in, due this many days later.
    pub intake_days: Option<i64>,
    /// Open to self-enrolment.
    pub elective: bool,
}

impl Course {
    /// "1.5" for people.
    pub fn credits(&self) -> String {
        format!("{}.{}", self.credits_tenths / 10, self.credits_tenths % 10)
    }
}

/// Who takes a course: everyone under a unit, or every student of an enrolment year.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Enrolment {
    Unit(UnitId),
    Year(i64),
}

/// A course as submitted by its author.
#[derive(Clone, Debug)]
pub struct NewCourse {
    pub title: String,
    pub summary: String,
    pub credits_tenths: i64,
    pub pass_percent: i64,
    pub per_tag: i64,
    pub max_attempts: i64,
    pub time_limit_min: i64,
    pub required: bool,
    pub deadline_at: Option<Millis>,
    /// See [`Course::intake_days`]; set by [`NewCourse::reach`].
    pub intake_days: Option<i64>,
    pub elective: bool,
}

fn text(raw: &str, max: usize, key: &str, out: &mut Problems) -> String {
    match crate::text::name(raw) {
        Ok("") => {
            out.push(problem(&format!("{key}-required")));
            String::new()
        }
        Ok(t) if t.chars().count() > max => {
            out.push(problem(&format!("{key}-long")).arg("max", max));
            String::new()
        }
        Ok(t) => t.to_string(),
        Err(e) => {
            out.push(problem(e.key()));
            String::new()
        }
    }
}

fn long_text(raw: &str, max: usize, key: &str, required: bool, out: &mut Problems) -> String {
    match crate::text::multiline(raw) {
        Ok(t) if t.is_empty() && required => {
            out.push(problem(&format!("{key}-required")));
            String::new()
        }
        Ok(t) if t.chars().count() > max => {
            out.push(problem(&format!("{key}-long")).arg("max", max));
            String::new()
        }
        Ok(t) => t.to_string(),
        Err(e) => {
            out.push(problem(e.key()));
            String::new()
        }
    }
}

fn number(raw: &str, min: i64, max: i64, key: &str, out: &mut Problems) -> i64 {
    match raw.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => n,
        _ => {
            out.push(
                problem("err-learning-range")
                    .arg("field", key)
                    .arg("min", min)
                    .arg("max", max),
            );
            0
        }
    }
}

/// Credits as typed ("2", "1.5") to tenths, 0–20 credits.
pub fn parse_credits(raw: &str) -> Option<i64> {
    let t = raw.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, "0"));
    if frac.len() != 1 || whole.is_empty() {
        return None;
    }
    let n = whole.parse::<i64>().ok()? * 10 + frac.parse::<i64>().ok()?;
    (0..=200).contains(&n).then_some(n)
}

impl NewCourse {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        title: &str,
        summary: &str,
        credits: &str,
        pass_percent: &str,
        per_tag: &str,
        max_attempts: &str,
        time_limit_min: &str,
        required: bool,
        deadline_at: Option<Millis>,
    ) -> Result<NewCourse, Problems> {
        let mut p = Problems::new();
        let c = NewCourse {
            title: text(title, 100, "err-learning-title", &mut p),
            summary: long_text(summary, 2000, "err-learning-summary", false, &mut p),
            credits_tenths: parse_credits(credits).unwrap_or_else(|| {
                p.push(problem("err-learning-credits"));
                0
            }),
            pass_percent: number(pass_percent, 1, 100, "pass_percent", &mut p),
            per_tag: number(per_tag, 1, 20, "per_tag", &mut p),
            max_attempts: number(max_attempts, 1, 20, "max_attempts", &mut p),
            time_limit_min: number(time_limit_min, 1, 240, "time_limit_min", &mut p),
            required,
            deadline_at,
            intake_days: None,
            elective: false,
        };
        if p.is_empty() {
            Ok(c)
        } else {
            Err(p)
        }
    }
}

impl NewCourse {
    /// How the course reaches students beyond its enrolments: a required course may be handed to
    /// every new intake (`intake_days`, 1–365 days to finish); a course that is not required may be
    /// open to self-enrolment.
    pub fn reach(mut self, intake_days: &str, elective: bool) -> Result<NewCourse, Problems> {
        let mut p = Problems::new();
        let days = intake_days.trim();
        if !days.is_empty() {
            match days.parse::<i64>() {
                Ok(d) if (1..=365).contains(&d) && self.required => self.intake_days = Some(d),
                Ok(d) if (1..=365).contains(&d) => p.push(problem("err-learning-intake-required")),
                _ => p.push(problem("err-learning-intake-days")),
            }
        }
        if self.required && self.deadline_at.is_none() && self.intake_days.is_none() {
            p.push(problem("err-learning-deadline-required"));
        }
        if elective && self.required {
            p.push(problem("err-learning-elective-required"));
        }
        self.elective = elective;
        if p.is_empty() {
            Ok(self)
        } else {
            Err(p)
        }
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Lesson {
    pub id: i64,
    pub course_id: i64,
    pub position: i64,
    pub title: String,
    pub body: String,
    pub video_url: Option<String>,
    /// The module it belongs to, if any.
    pub module_id: Option<i64>,
}

/// A lesson as submitted: Markdown text and an optional video link (http or https).
#[derive(Clone, Debug)]
pub struct NewLesson {
    pub title: String,
    pub body: String,
    pub video_url: Option<String>,
}

impl NewLesson {
    pub fn parse(title: &str, body: &str, video_url: &str) -> Result<NewLesson, Problems> {
        let mut p = Problems::new();
        let title = text(title, 100, "err-learning-title", &mut p);
        let body = long_text(body, 20_000, "err-learning-body", true, &mut p);
        let v = video_url.trim();
        let video_url = if v.is_empty() {
            None
        } else if (v.starts_with("https://") || v.starts_with("http://"))
            && v.len() <= 500
            && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            Some(v.to_string())
        } else {
            p.push(problem("err-learning-video"));
            None
        };
        if p.is_empty() {
            Ok(NewLesson {
                title,
                body,
                video_url,
            })
        } else {
            Err(p)
        }
    }
}

/// The kinds of question of the bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum QuestionKind {
    Single,
    Multiple,
    TrueFalse,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 3] = [
        QuestionKind::Single,
        QuestionKind::Multiple,
        QuestionKind::TrueFalse,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::TrueFalse => "true_false",
        }
    }
    pub fn parse(s: &str) -> Option<QuestionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Question {
    pub id: i64,
    pub course_id: i64,
    pub kind: QuestionKind,
    pub fraud_type: FraudType,
    pub prompt: String,
    pub options: Vec<String>,
    /// Indices of the correct options, ascending.
    pub correct: Vec<usize>,
    pub explanation: String,
}

/// A question as submitted. True/false questions have the options "正确"/"错误" (shown in the
/// reader's language) and one of them correct.
#[derive(Clone, Debug)]
pub struct NewQuestion {
    pub kind: QuestionKind,
    pub fraud_type: FraudType,
    pub prompt: String,
    pub options: Vec<String>,
    pub correct: Vec<usize>,
    pub explanation: String,
}

impl NewQuestion {
    /// `options` one per line; `correct` the 1-based numbers of the correct options.
    pub fn parse(
        kind: &str,
        fraud_type: &str,
        prompt: &str,
        options: &str,
        correct: &[String],
        explanation: &str,
    ) -> Result<NewQuestion, Problems> {
        let mut p = Problems::new();
        let kind = QuestionKind::parse(kind).unwrap_or_else(|| {
            p.push(problem("err-learning-kind"));
            QuestionKind::Single
        });
        let ft = fraud_type
            .trim()
            .parse::<FraudType>()
            .ok()
            .filter(|t| t.is_fraud())
            .unwrap_or_else(|| {
                p.push(problem("err-learning-fraud-type"));
                FraudType::OtherFraud
            });
        let prompt = long_text(prompt, 1000, "err-learning-prompt", true, &mut p);
        let explanation = long_text(explanation, 2000, "err-learning-explanation", true, &mut p);
        let options: Vec<String> = if kind == QuestionKind::TrueFalse {
            vec!["true".into(), "false".into()]
        } else {
            let mut v = Vec::new();
            for line in options.lines() {
                let t = text(line, 200, "err-learning-option", &mut p);
                if !t.is_empty() {
                    v.push(t);
                }
            }
            v
        };
        if kind != QuestionKind::TrueFalse && !(2..=8).contains(&options.len()) {
            p.push(problem("err-learning-options"));
        }
        let mut chosen: Vec<usize> = Vec::new();
        for c in correct {
            match c.trim().parse::<usize>() {
                Ok(n) if n >= 1 && n <= options.len() => chosen.push(n - 1),
                _ => {}
            }
        }
        chosen.sort_unstable();
        chosen.dedup();
        if chosen.is_empty() {
            p.push(problem("err-learning-no-correct"));
        } else if kind != QuestionKind::Multiple && chosen.len() != 1 {
            p.push(problem("err-learning-one-correct"));
        }
        if p.is_empty() {
            Ok(NewQuestion {
                kind,
                fraud_type: ft,
                prompt,
                options,
                correct: chosen,
                explanation,
            })
        } else {
            Err(p)
        }
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Attempt {
    pub id: i64,
    pub course_id: i64,
    pub student_id: StudentId,
    pub started_at: Millis,
    pub due_at: Millis,
    pub closed_at: Option<Millis>,
    pub score_percent: Option<i64>,
    pub passed: Option<bool>,
}

/// One question of an attempt, with the student's answer once submitted.
#[derive(Clone, Debug)]
pub struct AttemptItem {
    pub question: Question,
    pub chosen: Option<Vec<usize>>,
    pub correct: Option<bool>,
}

/// A student's progress in one course.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Progress {
    pub lessons: i64,
    pub viewed: i64,
    pub attempts: i64,
    pub passed: bool,
    pub best_percent: Option<i64>,
    pub completed_at: Option<Millis>,
}

impl Progress {
    pub fn complete(&self) -> bool {
        self.completed_at.is_some()
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Pledge {
    pub id: i64,
    pub school_id: UnitId,
    pub version: i64,
    pub body: String,
    pub body_hash: String,
    pub created_at: Millis,
}

/// The SHA-256 of a pledge text, hex: what a signature is bound to.
pub fn pledge_hash(body: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(body.as_bytes()))
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Signature {
    pub id: i64,
    pub pledge_id: i64,
    pub student_id: StudentId,
    pub typed_name: String,
    pub body_hash: String,
    pub signed_at: Millis,
    pub withdrawn_at: Option<Millis>,
}

/// Kinds of activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ActivityKind {
    Lecture,
    ClassMeeting,
    Outreach,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 3] = [
        ActivityKind::Lecture,
        ActivityKind::ClassMeeting,
        ActivityKind::Outreach,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Lecture => "lecture",
            ActivityKind::ClassMeeting => "class_meeting",
            ActivityKind::Outreach => "outreach",
        }
    }
    pub fn parse(s: &str) -> Option<ActivityKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Activity {
    pub id: i64,
    pub school_id: UnitId,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub unit_path: String,
    pub kind: ActivityKind,
    pub title: String,
    pub organiser_account_id: AccountId,
    pub organiser: String,
    pub place: String,
    pub starts_at: Millis,
    pub ends_at: Millis,
}

#[derive(Clone, Debug)]
pub struct NewActivity {
    pub kind: ActivityKind,
    pub title: String,
    pub place: String,
    pub starts_at: Millis,
    pub ends_at: Millis,
}

impl NewActivity {
    pub fn parse(
        kind: &str,
        title: &str,
        place: &str,
        starts_at: Option<Millis>,
        minutes: &str,
    ) -> Result<NewActivity, Problems> {
        let mut p = Problems::new();
        let kind = ActivityKind::parse(kind).unwrap_or_else(|| {
            p.push(problem("err-learning-kind"));
            ActivityKind::Lecture
        });
        let title = text(title, 100, "err-learning-title", &mut p);
        let place = text(place, 100, "err-learning-place", &mut p);
        let minutes = number(minutes, 10, 600, "minutes", &mut p);
        let starts_at = starts_at.unwrap_or_else(|| {
            p.push(problem("err-learning-when"));
            0
        });
        if p.is_empty() {
            Ok(NewActivity {
                kind,
                title,
                place,
                starts_at,
                ends_at: starts_at + minutes * 60_000,
            })
        } else {
            Err(p)
        }
    }
}

/// A student's check-in at an activity.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckIn {
    pub id: i64,
    pub activity_id: i64,
    pub student_id: StudentId,
    pub student_name: String,
    pub class_name: String,
    pub checked_at: Millis,
    /// The device had already checked in another account at this activity.
    pub shared_device: bool,
    /// The student added a photo as proof.
    pub has_photo: bool,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct AppInstall {
    pub student_id: StudentId,
    pub declared_at: Millis,
    pub verified_at: Option<Millis>,
    /// The student added a screenshot of the installed app.
    pub has_screenshot: bool,
}

/// A certificate of completion as printed; the verify page shows exactly these fields.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Certificate {
    pub id: i64,
    pub code: String,
    pub course_id: i64,
    pub student_id: StudentId,
    /// The holder's name as printed: masked (张*明).
    pub holder: String,
    pub course_title: String,
    pub credits_tenths: i64,
    pub school: String,
    pub completed_at: Millis,
}

impl Certificate {
    /// The certificate number printed on it.
    pub fn number(&self) -> String {
        format!("FZ{:08}", self.id)
    }
    pub fn credits(&self) -> String {
        format!("{}.{}", self.credits_tenths / 10, self.credits_tenths % 10)
    }
}

/// A name as a certificate prints it: first and last character kept, the rest starred
/// (张三明 → 张*明, 张三 → 张*).
pub fn certificate_name(name: &str) -> String {
    let c: Vec<char> = name.trim().chars().collect();
    match c.len() {
        0 => String::new(),
        1 => c[0].to_string(),
        2 => format!("{}*", c[0]),
        n => format!("{}{}{}", c[0], "*".repeat(n - 2), c[n - 1]),
    }
}

/// A fresh verification code: 12 characters a person can type (no 0/O, 1/I).
pub fn certificate_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_names_are_masked_in_the_middle() {
        assert_eq!(certificate_name("张三明"), "张*明");
        assert_eq!(certificate_name("张三"), "张*");
        assert_eq!(certificate_name("欧阳小明"), "欧**明");
        let code = certificate_code();
        assert_eq!(code.len(), 12);
        assert!(!code.contains(['0', 'O', '1', 'I']), "{code}");
    }

    #[test]
    fn credits_are_tenths() {
        assert_eq!(parse_credits("2"), Some(20));
        assert_eq!(parse_credits("1.5"), Some(15));
        assert_eq!(parse_credits("1.25"), None);
        assert_eq!(parse_credits("-1"), None);
        assert_eq!(parse_credits("21"), None);
    }

    #[test]
    fn a_question_without_a_correct_option_is_refused() {
        let e = NewQuestion::parse(
            "single",
            "rebate_task",
            "刷单返利可信吗?",
            "可信\n不可信",
            &[],
            "刷单就是诈骗。",
        );
        let e = e.expect_err("refused");
        assert!(
            e.iter().any(|m| m.key == "err-learning-no-correct"),
            "{e:?}"
        );
        let two = NewQuestion::parse(
            "single",
            "rebate_task",
            "?",
            "a\nb",
            &["1".into(), "2".into()],
            "x",
        );
        assert!(two.is_err());
        let ok = NewQuestion::parse(
            "multiple",
            "rebate_task",
            "?",
            "a\nb\nc",
            &["1".into(), "3".into()],
            "x",
        )
        .expect("ok");
        assert_eq!(ok.correct, vec![0, 2]);
    }
}

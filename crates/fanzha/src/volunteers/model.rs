//! Domain types of the volunteers module: what a task asks for, the states of a claim, the kinds
//! of ledger entries, the task a publisher describes (parsed and checked here), and the module's
//! error.

use serde::{Deserialize, Serialize};

use crate::db::DbError;
use crate::error::{AppError, Msg};

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s.trim() { $($s => Some($name::$v),)+ _ => None }
            }
        }
    };
}

word_enum!(
    /// What a volunteer hands in to show the task was done.
    Proof { Photo = "photo", Text = "text", Checkin = "checkin" }
);
word_enum!(
    /// A task's state as its publisher set it (a task whose window has ended reads as finished).
    TaskStatus { Open = "open", Closed = "closed", Cancelled = "cancelled" }
);
word_enum!(
    /// Where a claim stands.
    ClaimStatus {
        Claimed = "claimed",
        Waiting = "waiting",
        Withdrawn = "withdrawn",
        Submitted = "submitted",
        Approved = "approved",
        Rejected = "rejected",
        NoShow = "no_show",
    }
);
word_enum!(
    /// How a volunteer wants to be reached about tasks.
    Contact { Inbox = "inbox", Phone = "phone", Email = "email" }
);
word_enum!(
    /// Kinds of ledger entries.
    EntryKind { Award = "award", Revoke = "revoke", Redeem = "redeem", Adjust = "adjust" }
);
word_enum!(
    /// A publisher's decision on a claim.
    Decision { Approve = "approve", Reject = "reject", NoShow = "no_show", Revoke = "revoke" }
);

/// Longest photo accepted as proof.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// A task as its publisher describes it (times UTC ms; target units by code).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TaskInput {
    pub title: String,
    pub description: String,
    pub place: String,
    pub starts_at: i64,
    pub ends_at: i64,
    /// Claims may be withdrawn until this time; defaults to the start.
    pub withdraw_until: Option<i64>,
    pub slots: i64,
    pub points: i64,
    /// Hours credited at most, in minutes; defaults to the task's length.
    pub minutes: Option<i64>,
    /// `photo`, `text` or `checkin`.
    pub proof: String,
    /// Codes of the units the task is offered to; empty = open to every volunteer in reach.
    pub targets: Vec<String>,
}

/// A task input that passed every check.
#[derive(Clone, Debug)]
pub struct ValidTask {
    pub title: String,
    pub description: String,
    pub place: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub withdraw_until: i64,
    pub slots: i64,
    pub points: i64,
    pub minutes: i64,
    pub proof: Proof,
    pub targets: Vec<String>,
}

fn text_field(errors: &mut Vec<Msg>, field: &str, raw: &str, max: usize, multi: bool) -> String {
    let checked = if multi {
        crate::text::multiline(raw)
    } else {
        crate::text::name(raw)
    };
    match checked {
        Err(e) => {
            errors.push(Msg::new(e.key()));
            String::new()
        }
        Ok("") => {
            errors.push(Msg::new("vol-err-required").arg("field", field));
            String::new()
        }
        Ok(t) if t.chars().count() > max => {
            errors.push(
                Msg::new("vol-err-too-long")
                    .arg("field", field)
                    .arg("max", max),
            );
            String::new()
        }
        Ok(t) => t.to_string(),
    }
}

impl TaskInput {
    /// Checks every field; all problems are listed at once.
    pub fn validate(&self, now: i64) -> Result<ValidTask, Vec<Msg>> {
        let mut e = Vec::new();
        let title = text_field(&mut e, "title", &self.title, 100, false);
        let description = text_field(&mut e, "description", &self.description, 4000, true);
        let place = text_field(&mut e, "place", &self.place, 200, false);
        if self.ends_at <= self.starts_at {
            e.push(Msg::new("vol-err-window"));
        }
        if self.ends_at <= now {
            e.push(Msg::new("vol-err-past"));
        }
        let withdraw_until = self.withdraw_until.unwrap_or(self.starts_at);
        if withdraw_until > self.ends_at {
            e.push(Msg::new("vol-err-cutoff"));
        }
        if !(1..=10_000).contains(&self.slots) {
            e.push(Msg::new("vol-err-slots"));
        }
        if !(0..=1_000).contains(&self.points) {
            e.push(Msg::new("vol-err-points"));
        }
        let length_min = (self.ends_at - self.starts_at).max(0) / 60_000;
        let minutes = self.minutes.unwrap_or(length_min);
        if minutes < 0 || minutes > length_min {
            e.push(Msg::new("vol-err-minutes"));
        }
        let proof = Proof::parse(&self.proof);
        if proof.is_none() {
            e.push(Msg::new("vol-err-proof-kind"));
        }
        let mut targets: Vec<String> = self
            .targets
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        targets.sort();
        targets.dedup();
        if targets.len() > 50 {
            e.push(Msg::new("vol-err-targets"));
        }
        match proof {
            Some(proof) if e.is_empty() => Ok(ValidTask {
                title,
                description,
                place,
                starts_at: self.starts_at,
                ends_at: self.ends_at,
                withdraw_until,
                slots: self.slots,
                points: self.points,
                minutes,
                proof,
                targets,
            }),
            _ => Err(e),
        }
    }
}

/// Everything that can go wrong in the module.
#[derive(Debug, thiserror::Error)]
pub enum VolError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("invalid input")]
    Invalid(Vec<Msg>),
    #[error("only students register as volunteers")]
    NotStudent,
    #[error("not registered as a volunteer")]
    NotVolunteer,
    #[error("consent missing")]
    NoConsent,
    #[error("already registered")]
    AlreadyRegistered,
    #[error("no publishing unit")]
    NoUnit,
    #[error("task full")]
    Full,
    #[error("task not open")]
    NotOpen,
    #[error("already claimed")]
    AlreadyClaimed,
    #[error("withdrawal cut-off passed")]
    TooLate,
    #[error("no claim")]
    NoClaim,
    #[error("wrong or expired code")]
    BadCode,
    #[error("outside the task's time")]
    NotNow,
    #[error("wrong kind of proof")]
    WrongProof,
    #[error("a publisher's own claim")]
    OwnClaim,
    #[error("claim not in a state for this")]
    WrongState,
    #[error("not enough points")]
    Insufficient,
    #[error("out of stock")]
    OutOfStock,
    #[error("points already spent")]
    Spent,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for VolError {
    fn from(e: sqlx::Error) -> Self {
        VolError::Db(DbError::from(e))
    }
}

impl From<VolError> for AppError {
    fn from(e: VolError) -> Self {
        use VolError::*;
        match e {
            NotFound => AppError::not_found(),
            Forbidden => AppError::forbidden(),
            Invalid(v) => AppError::refused("vol-err-invalid", v),
            NotStudent => AppError::forbidden().details(vec![Msg::new("vol-err-not-student")]),
            NotVolunteer => AppError::conflict("vol-err-not-volunteer"),
            NoConsent => AppError::refused("vol-err-invalid", vec![Msg::new("vol-err-consent")]),
            AlreadyRegistered => AppError::conflict("vol-err-registered"),
            NoUnit => AppError::forbidden().details(vec![Msg::new("vol-err-no-unit")]),
            Full => AppError::conflict("vol-err-full"),
            NotOpen => AppError::conflict("vol-err-not-open"),
            AlreadyClaimed => AppError::conflict("vol-err-claimed"),
            TooLate => AppError::conflict("vol-err-too-late"),
            NoClaim => AppError::conflict("vol-err-no-claim"),
            BadCode => AppError::refused("vol-err-invalid", vec![Msg::new("vol-err-code")]),
            NotNow => AppError::conflict("vol-err-not-now"),
            WrongProof => {
                AppError::refused("vol-err-invalid", vec![Msg::new("vol-err-wrong-proof")])
            }
            OwnClaim => AppError::forbidden().details(vec![Msg::new("vol-err-own-claim")]),
            WrongState => AppError::conflict("vol-err-state"),
            Insufficient => AppError::conflict("vol-err-insufficient"),
            OutOfStock => AppError::conflict("vol-err-stock"),
            Spent => AppError::conflict("vol-err-spent"),
            Db(e) => AppError::from(e),
        }
    }
}

/// A student number as printed on a certificate: first four and last two characters kept.
pub fn mask_student_no(no: &str) -> String {
    let c: Vec<char> = no.chars().collect();
    if c.len() <= 6 {
        return "*".repeat(c.len());
    }
    let mut out: String = c[..4].iter().collect();
    out.push_str(&"*".repeat(c.len() - 6));
    out.extend(&c[c.len() - 2..]);
    out
}

/// Minutes as people read hours ("2.5").
pub fn hours_text(minutes: i64) -> String {
    let tenths = (minutes * 10 + 30) / 60;
    if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TaskInput {
        TaskInput {
            title: "食堂反诈宣传".into(),
            description: "发放传单".into(),
            place: "一食堂门口".into(),
            starts_at: 10 * 3_600_000,
            ends_at: 12 * 3_600_000,
            slots: 5,
            points: 10,
            proof: "text".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_task_is_checked_field_by_field() {
        let v = input().validate(0).expect("valid");
        assert_eq!(v.minutes, 120);
        assert_eq!(v.withdraw_until, 10 * 3_600_000);
        let mut bad = input();
        bad.title = " ".into();
        bad.ends_at = bad.starts_at;
        bad.slots = 0;
        bad.proof = "video".into();
        let e = bad.validate(0).unwrap_err();
        let keys: Vec<&str> = e.iter().map(|m| m.key.as_str()).collect();
        assert!(keys.contains(&"vol-err-required"));
        assert!(keys.contains(&"vol-err-window"));
        assert!(keys.contains(&"vol-err-slots"));
        assert!(keys.contains(&"vol-err-proof-kind"));
        let mut long = input();
        long.minutes = Some(121);
        assert!(long.validate(0).is_err());
    }

    #[test]
    fn numbers_and_hours_read_as_people_expect() {
        assert_eq!(mask_student_no("2023010101"), "2023****01");
        assert_eq!(mask_student_no("123"), "***");
        assert_eq!(hours_text(90), "1.5");
        assert_eq!(hours_text(120), "2");
        assert_eq!(hours_text(0), "0");
        for k in ClaimStatus::ALL {
            assert_eq!(ClaimStatus::parse(k.as_str()), Some(*k));
        }
    }
}

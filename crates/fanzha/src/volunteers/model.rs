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
impl EntryKind {
    /// Whether the entry counts toward a standing: awards, revocations and adjustments do;
    /// redemptions spend points without lowering what was earned.
    pub fn counts_as_earned(self) -> bool {
        !matches!(self, EntryKind::Redeem)
    }
}

word_enum!(
    /// A publisher's decision on a claim.
    Decision { Approve = "approve", Reject = "reject", NoShow = "no_show", Revoke = "revoke" }
);

word_enum!(
    /// What a call for works asks for.
    WorkKind { Slogan = "slogan", Script = "script", Poster = "poster", Idea = "idea" }
);
word_enum!(
    /// Whom a call's works are meant to reach.
    Audience {
        Students = "students",
        Staff = "staff",
        Community = "community",
        Companies = "companies",
        Everyone = "everyone",
    }
);
word_enum!(
    /// The licence works of a call are shared under.
    WorkLicence { CcBy = "cc_by", PublicityOnly = "publicity_only" }
);
word_enum!(
    /// Where a submitted work stands.
    WorkStatus {
        Submitted = "submitted",
        Shortlisted = "shortlisted",
        Accepted = "accepted",
        Rejected = "rejected",
    }
);
word_enum!(
    /// An organiser's decision on a work.
    WorkDecision { Shortlist = "shortlist", Accept = "accept", Reject = "reject" }
);
word_enum!(
    /// A call's state as its organiser set it (a call past its deadline reads as closed).
    CallStatus { Open = "open", Closed = "closed" }
);

word_enum!(
    /// The period a leaderboard counts over.
    Period { Week = "week", Month = "month", Term = "term", All = "all" }
);
word_enum!(
    /// How wide a leaderboard looks: the school, or the province around it.
    Reach { School = "school", Province = "province" }
);

/// The start (UTC ms) of the period containing `now` in the time zone `tz`: the week from Monday,
/// the month from its first day, the term from 1 September (autumn) or 15 February (spring);
/// `All` from the beginning.
pub fn period_start(p: Period, now: i64, tz: chrono_tz::Tz) -> i64 {
    use chrono::{Datelike, NaiveDate, TimeZone};
    let Some(local) = chrono::DateTime::from_timestamp_millis(now).map(|d| d.with_timezone(&tz))
    else {
        return 0;
    };
    let d = local.date_naive();
    let day = match p {
        Period::All => return 0,
        Period::Week => d - chrono::Days::new(u64::from(d.weekday().num_days_from_monday())),
        Period::Month => d.with_day(1).unwrap_or(d),
        Period::Term => {
            let y = d.year();
            let autumn = NaiveDate::from_ymd_opt(y, 9, 1).unwrap_or(d);
            let spring = NaiveDate::from_ymd_opt(y, 2, 15).unwrap_or(d);
            if d >= autumn {
                autumn
            } else if d >= spring {
                spring
            } else {
                NaiveDate::from_ymd_opt(y - 1, 9, 1).unwrap_or(d)
            }
        }
    };
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&midnight)
        .earliest()
        .map_or(0, |t| t.timestamp_millis())
}

/// The zone every leaderboard period is counted in, whoever looks: a week, a month or a term
/// starts at the same instant for the whole province, so everyone sees the same ranks, and the
/// stored per-period totals (`vol_period_totals`) have one key per period. China Standard Time
/// has had no daylight saving since 1991, so the SQL back-fill counts it as a fixed UTC+8.
pub const BOARD_ZONE: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// The week, month and term (in [`BOARD_ZONE`]) an entry made at `at` counts in, by their starts.
pub fn period_keys(at: i64) -> [(Period, i64); 3] {
    [Period::Week, Period::Month, Period::Term].map(|p| (p, period_start(p, at, BOARD_ZONE)))
}

/// Largest file attached to a work.
pub const MAX_WORK_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Works one person may hand in to one call.
pub const MAX_WORKS_PER_CALL: i64 = 5;

/// A call for works as its organiser describes it (times UTC ms; target units by code).
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CallInput {
    pub title: String,
    pub theme: String,
    pub rules: String,
    /// Kinds of works asked for: `slogan`, `script`, `poster`, `idea` (at least one).
    pub kinds: Vec<String>,
    /// The fraud type the call is about (`rebate_task`, `fake_investment`, …).
    pub fraud_type: String,
    /// `students`, `staff`, `community`, `companies` or `everyone`.
    pub audience: String,
    /// `cc_by` or `publicity_only`.
    pub licence: String,
    /// Points credited for each accepted work (0–1,000).
    pub points: i64,
    /// When submissions open; defaults to now.
    pub opens_at: Option<i64>,
    /// The deadline of submissions.
    pub closes_at: i64,
    /// Codes of the units the call is addressed to; empty = every student in reach.
    pub targets: Vec<String>,
}

/// A call input that passed every check.
#[derive(Clone, Debug)]
pub struct ValidCall {
    pub title: String,
    pub theme: String,
    pub rules: String,
    pub kinds: Vec<WorkKind>,
    pub fraud_type: String,
    pub audience: Audience,
    pub licence: WorkLicence,
    pub points: i64,
    pub opens_at: i64,
    pub closes_at: i64,
    pub targets: Vec<String>,
}

/// The fraud type id if it is one of the typology's.
pub fn fraud_type_id(raw: &str) -> Option<String> {
    crate::campaigns::model::fraud_type(raw)
        .ok()
        .map(|t| t.id().to_string())
}

impl CallInput {
    /// Checks every field; all problems are listed at once.
    pub fn validate(&self, now: i64) -> Result<ValidCall, Vec<Msg>> {
        let mut e = Vec::new();
        let title = text_field(&mut e, "title", &self.title, 100, false);
        let theme = text_field(&mut e, "theme", &self.theme, 200, false);
        let rules = text_field(&mut e, "rules", &self.rules, 4000, true);
        let mut kinds = Vec::new();
        for k in &self.kinds {
            match WorkKind::parse(k) {
                Some(k) if !kinds.contains(&k) => kinds.push(k),
                Some(_) => {}
                None => e.push(Msg::new("vol-err-work-kind")),
            }
        }
        if kinds.is_empty() && !e.iter().any(|m| m.key == "vol-err-work-kind") {
            e.push(Msg::new("vol-err-work-kind"));
        }
        let fraud_type = fraud_type_id(&self.fraud_type);
        if fraud_type.is_none() {
            e.push(Msg::new("vol-err-fraud-type"));
        }
        let audience = Audience::parse(&self.audience);
        if audience.is_none() {
            e.push(Msg::new("vol-err-audience"));
        }
        let licence = WorkLicence::parse(&self.licence);
        if licence.is_none() {
            e.push(Msg::new("vol-err-licence"));
        }
        if !(0..=1_000).contains(&self.points) {
            e.push(Msg::new("vol-err-points"));
        }
        let opens_at = self.opens_at.unwrap_or(now);
        if self.closes_at <= opens_at || self.closes_at <= now {
            e.push(Msg::new("vol-err-deadline-value"));
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
        match (fraud_type, audience, licence) {
            (Some(fraud_type), Some(audience), Some(licence)) if e.is_empty() => Ok(ValidCall {
                title,
                theme,
                rules,
                kinds,
                fraud_type,
                audience,
                licence,
                points: self.points,
                opens_at,
                closes_at: self.closes_at,
                targets,
            }),
            _ => Err(e),
        }
    }
}

/// A work as its author hands it in.
#[derive(Clone, Debug, Default)]
pub struct WorkInput {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub video_url: String,
    /// An attached JPEG, PNG or PDF, as sent (images are stored without their metadata).
    pub file: Option<Vec<u8>>,
}

/// A work input that passed every check.
#[derive(Clone, Debug)]
pub struct ValidWork {
    pub kind: WorkKind,
    pub title: String,
    pub body: String,
    pub video_url: String,
    pub file: Option<(Vec<u8>, &'static str)>,
}

/// The type of an attached file, by its first bytes.
pub fn file_type(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

impl WorkInput {
    /// Checks a work against the kinds its call asks for; all problems at once.
    pub fn validate(&self, allowed: &[WorkKind]) -> Result<ValidWork, Vec<Msg>> {
        let mut e = Vec::new();
        let kind = WorkKind::parse(&self.kind).filter(|k| allowed.contains(k));
        if kind.is_none() {
            e.push(Msg::new("vol-err-work-kind"));
        }
        let title = text_field(&mut e, "title", &self.title, 100, false);
        let body = match crate::text::multiline(&self.body) {
            Err(x) => {
                e.push(Msg::new(x.key()));
                String::new()
            }
            Ok(t) if t.chars().count() > 10_000 => {
                e.push(
                    Msg::new("vol-err-too-long")
                        .arg("field", "body")
                        .arg("max", 10_000),
                );
                String::new()
            }
            Ok(t) => t.to_string(),
        };
        let video_url = self.video_url.trim().to_string();
        if !video_url.is_empty()
            && (video_url.len() > 500
                || !(video_url.starts_with("https://") || video_url.starts_with("http://"))
                || video_url.contains(char::is_whitespace))
        {
            e.push(Msg::new("vol-err-video-url"));
        }
        let file = match &self.file {
            Some(b) if b.is_empty() => None,
            Some(b) if b.len() > MAX_WORK_FILE_BYTES => {
                e.push(Msg::new("vol-err-file-size").arg("max", MAX_WORK_FILE_BYTES / 1024 / 1024));
                None
            }
            Some(b) => match file_type(b).map(|t| (super::images::strip_metadata(b), t)) {
                Some((Ok(clean), t)) => Some((clean, t)),
                // An unknown type, or an image that does not parse as one.
                _ => {
                    e.push(Msg::new("vol-err-file-type"));
                    None
                }
            },
            None => None,
        };
        if kind == Some(WorkKind::Poster) && file.is_none() && self.file.is_none() {
            e.push(Msg::new("vol-err-poster-file"));
        }
        if body.is_empty() && file.is_none() && !e.iter().any(|m| m.key.starts_with("vol-err-file"))
        {
            e.push(Msg::new("vol-err-required").arg("field", "body"));
        }
        match kind {
            Some(kind) if e.is_empty() => Ok(ValidWork {
                kind,
                title,
                body,
                video_url,
                file,
            }),
            _ => Err(e),
        }
    }
}

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
    #[error("past the deadline")]
    Deadline,
    #[error("too many works")]
    TooMany,
    #[error("already in a contest")]
    Promoted,
    #[error("no picture or video to enter")]
    NoMedia,
    #[error("already used")]
    AlreadyUsed,
    #[error(transparent)]
    Contest(#[from] crate::contests::service::ContestError),
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
            Deadline => AppError::conflict("vol-err-deadline"),
            TooMany => AppError::conflict("vol-err-too-many-works"),
            Promoted => AppError::conflict("vol-err-promoted"),
            NoMedia => AppError::refused("vol-err-invalid", vec![Msg::new("vol-err-no-media")]),
            AlreadyUsed => AppError::conflict("vol-err-used"),
            Contest(e) => AppError::from(e),
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
    fn periods_start_where_people_count_them() {
        let tz = chrono_tz::Asia::Shanghai;
        // Wednesday 2026-12-09 10:00 in Shanghai.
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-09T10:00:00+08:00")
            .unwrap()
            .timestamp_millis();
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .timestamp_millis()
        };
        assert_eq!(
            period_start(Period::Week, now, tz),
            at("2026-12-07T00:00:00+08:00")
        );
        assert_eq!(
            period_start(Period::Month, now, tz),
            at("2026-12-01T00:00:00+08:00")
        );
        assert_eq!(
            period_start(Period::Term, now, tz),
            at("2026-09-01T00:00:00+08:00")
        );
        let spring = at("2027-03-01T09:00:00+08:00");
        assert_eq!(
            period_start(Period::Term, spring, tz),
            at("2027-02-15T00:00:00+08:00")
        );
        let january = at("2027-01-10T09:00:00+08:00");
        assert_eq!(
            period_start(Period::Term, january, tz),
            at("2026-09-01T00:00:00+08:00")
        );
        assert_eq!(period_start(Period::All, now, tz), 0);
    }

    #[test]
    fn a_call_and_a_work_are_checked_field_by_field() {
        let call = CallInput {
            title: "反诈标语征集".into(),
            theme: "识破刷单返利".into(),
            rules: "每人至多五件".into(),
            kinds: vec!["slogan".into(), "poster".into()],
            fraud_type: "rebate_task".into(),
            audience: "students".into(),
            licence: "cc_by".into(),
            points: 20,
            closes_at: 10,
            ..Default::default()
        };
        let v = call.validate(0).expect("valid");
        assert_eq!(v.kinds, vec![WorkKind::Slogan, WorkKind::Poster]);
        let mut bad = call.clone();
        bad.kinds = vec!["song".into()];
        bad.fraud_type = "normal".into();
        bad.licence = "all rights".into();
        bad.closes_at = 0;
        let keys: Vec<String> = bad
            .validate(5)
            .unwrap_err()
            .into_iter()
            .map(|m| m.key)
            .collect();
        for k in [
            "vol-err-work-kind",
            "vol-err-fraud-type",
            "vol-err-licence",
            "vol-err-deadline-value",
        ] {
            assert!(keys.iter().any(|x| x == k), "{k} in {keys:?}");
        }
        let work = WorkInput {
            kind: "slogan".into(),
            title: "天上不会掉馅饼".into(),
            body: "刷单就是诈骗".into(),
            ..Default::default()
        };
        assert!(work.validate(&v.kinds).is_ok());
        let mut poster = work.clone();
        poster.kind = "poster".into();
        assert!(
            poster.validate(&v.kinds).is_err(),
            "a poster needs its picture"
        );
        // A whole 1×1 PNG: a truncated one is refused as not an image.
        poster.file = Some(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\
              \x00\x00\x00\x0cIDAT\x78\x9c\x63\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\
              \x00\x00\x00\x00IEND\xae\x42\x60\x82"
                .to_vec(),
        );
        assert!(poster.validate(&v.kinds).is_ok());
        poster.file = Some(vec![0u8; MAX_WORK_FILE_BYTES + 1]);
        assert!(poster.validate(&v.kinds).is_err());
        let mut script = work.clone();
        script.kind = "script".into();
        assert!(script.validate(&v.kinds).is_err(), "not asked for");
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

//! Types of the org tree and its people. Values that exist are valid: they are built by `parse`.

use crate::kernel::ids::{StudentId, UnitId};
use std::fmt;

/// Kind of an org unit; the tree runs province → city → police station / school → college → class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    Province,
    City,
    PoliceStation,
    School,
    College,
    Class,
}

impl UnitKind {
    pub const ALL: [UnitKind; 6] = [
        UnitKind::Province,
        UnitKind::City,
        UnitKind::PoliceStation,
        UnitKind::School,
        UnitKind::College,
        UnitKind::Class,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Province => "province",
            UnitKind::City => "city",
            UnitKind::PoliceStation => "police_station",
            UnitKind::School => "school",
            UnitKind::College => "college",
            UnitKind::Class => "class",
        }
    }
    pub fn parse(s: &str) -> Option<UnitKind> {
        let s = s.trim();
        UnitKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .or(match s {
                "省" => Some(UnitKind::Province),
                "市" => Some(UnitKind::City),
                "派出所" | "公安" => Some(UnitKind::PoliceStation),
                "学校" => Some(UnitKind::School),
                "学院" => Some(UnitKind::College),
                "班级" => Some(UnitKind::Class),
                _ => None,
            })
    }
    /// May a unit of this kind hang under a unit of `parent`?
    pub fn fits_under(self, parent: Option<UnitKind>) -> bool {
        use UnitKind::*;
        matches!(
            (self, parent),
            (Province, None)
                | (City, Some(Province))
                | (PoliceStation, Some(Province | City))
                | (School, Some(Province | City))
                | (College, Some(School))
                | (Class, Some(College | School))
        )
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Unit {
    pub id: UnitId,
    pub parent_id: Option<UnitId>,
    pub kind: UnitKind,
    pub code: String,
    pub name: String,
    pub path: String,
    pub depth: i64,
}

/// A unit code: 1–32 characters of letters, digits, `-` and `_`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(s: &str) -> Option<UnitCode> {
        let s = s.trim();
        (!s.is_empty()
            && s.len() <= 32
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .then(|| UnitCode(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A student or staff number: 3–32 letters or digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct PersonNo(String);

impl PersonNo {
    pub fn parse(s: &str) -> Option<PersonNo> {
        let s = s.trim();
        (s.len() >= 3 && s.len() <= 32 && s.chars().all(|c| c.is_ascii_alphanumeric()))
            .then(|| PersonNo(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mainland mobile number, stored as its 11 digits: the phone of a person on a roster.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Phone(String);

/// Why a typed number cannot be a person's phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneError {
    /// A number with another country code than +86.
    Foreign,
    /// Not a mainland mobile number.
    Invalid,
}

impl Phone {
    /// Accepts `13812345678`, `138-1234-5678`, `138 1234 5678`, `+86 138…`, `0086138…`, through
    /// the one parser of `fanzha_detect::phone`; a foreign number is refused as such.
    pub fn parse(s: &str) -> Result<Phone, PhoneError> {
        let p = fanzha_detect::canonicalize("phone", s)
            .ok()
            .and_then(|c| fanzha_detect::PhoneNumber::parse(&c))
            .ok_or(PhoneError::Invalid)?;
        if p.is_international() {
            return Err(PhoneError::Foreign);
        }
        if !p.is_mainland_mobile() {
            return Err(PhoneError::Invalid);
        }
        Ok(Phone(p.canonical()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `138****5678`: what roles without a need to know see.
pub fn mask_phone(p: &str) -> String {
    if p.len() == 11 && p.is_ascii() {
        format!("{}****{}", &p[..3], &p[7..])
    } else if p.is_empty() {
        String::new()
    } else {
        "****".into()
    }
}

/// `张*`, `欧阳**`: first character kept.
pub fn mask_name(n: &str) -> String {
    let mut c = n.chars();
    match c.next() {
        Some(first) => std::iter::once(first).chain(c.map(|_| '*')).collect(),
        None => String::new(),
    }
}

pub fn mask_email(e: &str) -> String {
    match e.split_once('@') {
        Some((u, d)) => format!("{}***@{d}", u.chars().next().unwrap_or('*')),
        None if e.is_empty() => String::new(),
        None => "***".into(),
    }
}

/// A plausible e-mail address (one `@`, a dot in the domain, no spaces).
pub fn parse_email(s: &str) -> Option<String> {
    let s = s.trim();
    let (u, d) = s.split_once('@')?;
    (!u.is_empty()
        && d.contains('.')
        && !d.starts_with('.')
        && !d.ends_with('.')
        && !s.contains(char::is_whitespace)
        && s.len() <= 254
        && !d.contains('@'))
    .then(|| s.to_string())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
    Unknown,
}

impl Gender {
    pub fn parse(s: &str) -> Option<Gender> {
        match s.trim().to_ascii_lowercase().as_str() {
            "男" | "m" | "male" | "1" => Some(Gender::Male),
            "女" | "f" | "female" | "2" => Some(Gender::Female),
            "" | "未知" | "unknown" | "0" | "9" => Some(Gender::Unknown),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StudentStatus {
    Enrolled,
    Suspended,
    Graduated,
    Withdrawn,
}

impl StudentStatus {
    pub fn parse(s: &str) -> Option<StudentStatus> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "在读" | "在籍" | "enrolled" | "active" => Some(StudentStatus::Enrolled),
            "休学" | "suspended" => Some(StudentStatus::Suspended),
            "毕业" | "已毕业" | "graduated" => Some(StudentStatus::Graduated),
            "退学" | "withdrawn" => Some(StudentStatus::Withdrawn),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            StudentStatus::Enrolled => "enrolled",
            StudentStatus::Suspended => "suspended",
            StudentStatus::Graduated => "graduated",
            StudentStatus::Withdrawn => "withdrawn",
        }
    }
}

/// A staff member's status on the roster: 在职 (active) or 离职/退休 (left).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffStatus {
    Active,
    Left,
}

impl StaffStatus {
    pub fn parse(s: &str) -> Option<StaffStatus> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "在职" | "在岗" | "active" => Some(StaffStatus::Active),
            "离职" | "退休" | "调离" | "left" | "retired" => Some(StaffStatus::Left),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            StaffStatus::Active => "active",
            StaffStatus::Left => "left",
        }
    }
}

/// A named responsibility in the chain (包保责任).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// 辅导员: responsible for classes.
    Counselor,
    /// 学院领导: responsible for a college.
    CollegeLeader,
    /// 学校领导 / 保卫处: responsible for a school.
    SchoolLeader,
    /// 所长: leader of a police station.
    StationLeader,
}

impl Duty {
    pub const ALL: [Duty; 4] = [
        Duty::Counselor,
        Duty::CollegeLeader,
        Duty::SchoolLeader,
        Duty::StationLeader,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Duty::Counselor => "counselor",
            Duty::CollegeLeader => "college_leader",
            Duty::SchoolLeader => "school_leader",
            Duty::StationLeader => "station_leader",
        }
    }
    pub fn parse(s: &str) -> Option<Duty> {
        let s = s.trim();
        Duty::ALL.into_iter().find(|d| d.as_str() == s).or(match s {
            "辅导员" => Some(Duty::Counselor),
            "学院领导" | "院领导" => Some(Duty::CollegeLeader),
            "学校领导" | "校领导" => Some(Duty::SchoolLeader),
            "所长" | "派出所领导" => Some(Duty::StationLeader),
            _ => None,
        })
    }
    /// The unit kind this duty is held over.
    pub fn unit_kind(self) -> UnitKind {
        match self {
            Duty::Counselor => UnitKind::Class,
            Duty::CollegeLeader => UnitKind::College,
            Duty::SchoolLeader => UnitKind::School,
            Duty::StationLeader => UnitKind::PoliceStation,
        }
    }
}

impl fmt::Display for Duty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Student {
    pub id: StudentId,
    pub school_id: UnitId,
    pub class_id: UnitId,
    pub class_code: String,
    pub class_name: String,
    pub class_path: String,
    pub student_no: String,
    pub name: String,
    pub gender: String,
    pub enrollment_year: i64,
    pub major: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub status: String,
}

impl Student {
    /// The same record with personal data masked, for lists and roles without a need to know.
    pub fn masked(mut self) -> Student {
        self.name = mask_name(&self.name);
        self.phone = self.phone.as_deref().map(mask_phone);
        self.email = self.email.as_deref().map(mask_email);
        self
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Staff {
    pub id: i64,
    pub org_id: UnitId,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub staff_no: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub title: String,
}

/// One link of a student's responsibility chain.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Responsible {
    pub staff_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub duty: Duty,
    pub unit_id: UnitId,
    pub unit_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(
            Phone::parse("138-1234-5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("+86 138 1234 5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("008613812345678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(Phone::parse("12812345678"), Err(PhoneError::Invalid));
        assert_eq!(Phone::parse("1381234567"), Err(PhoneError::Invalid));
        assert_eq!(Phone::parse("138abc45678"), Err(PhoneError::Invalid));
        assert_eq!(Phone::parse("010-12345678"), Err(PhoneError::Invalid));
        assert_eq!(Phone::parse("+1 415 555 0100"), Err(PhoneError::Foreign));
        assert_eq!(Phone::parse("+1 (555) 010-0123"), Err(PhoneError::Foreign));
        assert_eq!(Phone::parse("00852 2123 4567"), Err(PhoneError::Foreign));
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }

    #[test]
    fn masks() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_email("zhang@example.edu.cn"), "z***@example.edu.cn");
    }

    #[test]
    fn unit_kinds_nest() {
        assert!(UnitKind::Class.fits_under(Some(UnitKind::College)));
        assert!(!UnitKind::Class.fits_under(Some(UnitKind::Province)));
        assert!(UnitKind::Province.fits_under(None));
        assert!(!UnitKind::School.fits_under(None));
    }

    #[test]
    fn parse_values() {
        assert_eq!(Gender::parse("女"), Some(Gender::Female));
        assert_eq!(Gender::parse("x"), None);
        assert_eq!(StudentStatus::parse("在读"), Some(StudentStatus::Enrolled));
        assert!(PersonNo::parse("20230101").is_some());
        assert!(PersonNo::parse("2023 0101").is_none());
        assert!(parse_email("a@b.cn").is_some());
        assert!(parse_email("a@b").is_none());
        assert_eq!(Duty::parse("辅导员"), Some(Duty::Counselor));
    }
}

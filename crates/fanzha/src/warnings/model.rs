//! Types of the warnings domain. Every value that exists is valid: severities, statuses, contact
//! methods, outcomes, amounts and the identity of the person a warning is about are parsed once.

use crate::kernel::ids::{AccountId, StudentId, UnitId, WarningId};
use fanzha_detect::FraudType;

use crate::clock::Millis;

/// How urgent a warning is; decides its deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    High,
    Medium,
    Low,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::High, Severity::Medium, Severity::Low];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
    /// Accepts the ids and the Chinese words police use (高/中/低).
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "high" | "高" | "高危" => Some(Severity::High),
            "medium" | "中" | "中危" => Some(Severity::Medium),
            "low" | "低" | "低危" => Some(Severity::Low),
            _ => None,
        }
    }
}

/// Where a warning stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nobody could be matched; waits in the "needs identification" queue.
    Unidentified,
    /// Routed, nobody acknowledged yet.
    Open,
    Acknowledged,
    Contacted,
    /// An outcome is recorded.
    Closed,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Unidentified,
        Status::Open,
        Status::Acknowledged,
        Status::Contacted,
        Status::Closed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unidentified => "unidentified",
            Status::Open => "open",
            Status::Acknowledged => "acknowledged",
            Status::Contacted => "contacted",
            Status::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

/// How the responsible person reached the student.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ContactMethod {
    Phone,
    InPerson,
    ViaClassmate,
}

impl ContactMethod {
    pub const ALL: [ContactMethod; 3] = [
        ContactMethod::Phone,
        ContactMethod::InPerson,
        ContactMethod::ViaClassmate,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ContactMethod::Phone => "phone",
            ContactMethod::InPerson => "in_person",
            ContactMethod::ViaClassmate => "via_classmate",
        }
    }
    pub fn parse(s: &str) -> Option<ContactMethod> {
        ContactMethod::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
    }
}

/// What a warning is about: a person targeted by fraud, or a person whose own account moves
/// fraud money (a money mule, 帮信/两卡; see the `mules` module). Both are routed, timed and
/// escalated the same way; they differ in the script, the outcomes and what the student reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarnKind {
    #[default]
    Fraud,
    MuleRisk,
}

impl WarnKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WarnKind::Fraud => "fraud",
            WarnKind::MuleRisk => "mule_risk",
        }
    }
    pub fn parse(s: &str) -> Option<WarnKind> {
        [WarnKind::Fraud, WarnKind::MuleRisk]
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
    /// The outcomes a warning of this kind may end with.
    pub fn outcomes(self) -> &'static [Outcome] {
        match self {
            WarnKind::Fraud => &Outcome::ALL,
            WarnKind::MuleRisk => &Outcome::MULE,
        }
    }
}

/// How a warning ended.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Dissuaded,
    NotFraud,
    CouldNotReach,
    AlreadyLost,
    /// Mule risk: the student stopped lending the account.
    Stopped,
    /// Mule risk: the account (card) was closed or cancelled.
    CardClosed,
    /// Mule risk: the student refused to stop.
    Refused,
    /// Mule risk: handed to the police.
    ReferredToPolice,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Dissuaded,
        Outcome::NotFraud,
        Outcome::CouldNotReach,
        Outcome::AlreadyLost,
    ];
    /// The outcomes of a mule-risk warning.
    pub const MULE: [Outcome; 4] = [
        Outcome::Stopped,
        Outcome::CardClosed,
        Outcome::Refused,
        Outcome::ReferredToPolice,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Dissuaded => "dissuaded",
            Outcome::NotFraud => "not_fraud",
            Outcome::CouldNotReach => "could_not_reach",
            Outcome::AlreadyLost => "already_lost",
            Outcome::Stopped => "stopped",
            Outcome::CardClosed => "card_closed",
            Outcome::Refused => "refused",
            Outcome::ReferredToPolice => "referred_to_police",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL
            .into_iter()
            .chain(Outcome::MULE)
            .find(|x| x.as_str() == s.trim())
    }
}

pub use crate::kernel::money::{yuan_plain as yuan, Money};

/// A fraud type id from `fanzha_detect`.
pub fn parse_fraud_type(s: &str) -> Option<FraudType> {
    let s = s.trim();
    FraudType::ALL
        .into_iter()
        .find(|t| t.id() == s || t.name_zh() == s)
}

/// A phone number in canonical form (`fanzha_detect::canonicalize("phone", …)`): a mainland
/// mobile number (what rosters hold) or an international E.164 number, which is kept as such and
/// so matches nobody on a roster.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct WarnPhone(String);

impl WarnPhone {
    pub fn parse(s: &str) -> Option<WarnPhone> {
        let c = fanzha_detect::canonicalize("phone", s).ok()?;
        let p = fanzha_detect::PhoneNumber::parse(&c)?;
        (p.is_mainland_mobile() || p.is_international()).then(|| WarnPhone(p.canonical()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Deadlines of one severity, in milliseconds from routing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Windows {
    pub ack_ms: Millis,
    pub contact_ms: Millis,
}

const MIN: Millis = 60_000;
const HOUR: Millis = 60 * MIN;

/// The deadlines and appraisal weights of a school.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Settings {
    pub high: Windows,
    pub medium: Windows,
    pub low: Windows,
    pub weights: Weights,
}

/// Weights (0–100) of the appraisal score's parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Weights {
    pub ack: i64,
    pub contact: i64,
    pub escalations: i64,
    pub victims: i64,
    /// Campaign coverage: share of the unit's students who acknowledged a campaign delivery.
    pub campaigns: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            high: Windows {
                ack_ms: 10 * MIN,
                contact_ms: HOUR,
            },
            medium: Windows {
                ack_ms: HOUR,
                contact_ms: 24 * HOUR,
            },
            low: Windows {
                ack_ms: 24 * HOUR,
                contact_ms: 72 * HOUR,
            },
            weights: Weights {
                ack: 25,
                contact: 35,
                escalations: 15,
                victims: 10,
                campaigns: 15,
            },
        }
    }
}

impl Settings {
    pub fn windows(&self, s: Severity) -> Windows {
        match s {
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
        }
    }
}

/// Who a new warning is about, as given by the issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    pub phone: Option<WarnPhone>,
    pub student_no: Option<crate::org::model::PersonNo>,
    /// A school code the issuer knows the person belongs to (narrows matching; infers the queue).
    pub school_code: Option<String>,
}

/// A checked new warning.
#[derive(Clone, Debug)]
pub struct NewWarning {
    pub subject: Subject,
    pub fraud_type: FraudType,
    pub severity: Severity,
    pub detail: String,
    pub origin: String,
    pub idempotency_key: Option<String>,
    pub kind: WarnKind,
}

/// Levels of the responsibility chain a warning climbs.
pub const LEVEL_COUNSELOR: i64 = 0;
pub const LEVEL_COLLEGE: i64 = 1;
pub const LEVEL_SCHOOL: i64 = 2;
pub const LEVEL_POLICE: i64 = 3;

pub fn level_key(level: i64) -> &'static str {
    match level {
        LEVEL_COUNSELOR => "warn-level-counselor",
        LEVEL_COLLEGE => "warn-level-college",
        LEVEL_SCHOOL => "warn-level-school",
        _ => "warn-level-police",
    }
}

/// One warning as stored.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Warning {
    pub id: WarningId,
    pub source_kind: String,
    pub origin: String,
    pub issued_by_account_id: Option<AccountId>,
    pub student_id: Option<StudentId>,
    pub school_id: Option<UnitId>,
    pub unit_path: String,
    pub phone: Option<String>,
    pub student_no: Option<String>,
    #[schema(value_type = String, example = "rebate_task")]
    pub fraud_type: FraudType,
    pub severity: String,
    #[schema(value_type = String, example = "open")]
    pub status: Status,
    pub detail: String,
    pub level: i64,
    pub assignee_staff_id: Option<i64>,
    pub routed_at: Option<i64>,
    pub ack_due_at: Option<i64>,
    pub contact_due_at: Option<i64>,
    pub next_deadline_at: Option<i64>,
    pub next_deadline_kind: Option<String>,
    pub escalations: i64,
    pub acknowledged_at: Option<i64>,
    pub contacted_at: Option<i64>,
    pub contact_method: Option<String>,
    pub outcome: Option<String>,
    pub outcome_at: Option<i64>,
    pub loss_cents: Option<i64>,
    pub protected_cents: Option<i64>,
    pub created_at: i64,
    #[schema(value_type = String, example = "fraud")]
    pub kind: WarnKind,
}

impl Warning {
    pub fn status(&self) -> Status {
        self.status
    }
}

/// One event of a warning's timeline.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct WarnEvent {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub actor: String,
    /// The display name of the account that acted, for pages (empty for the system).
    #[serde(skip)]
    pub actor_name: String,
    pub level: i64,
    pub staff_id: Option<i64>,
    pub detail: serde_json::Value,
}

/// Where a partner's warning is: `received` until the intake job ran, then `processed`, the
/// same whether or not anybody matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptStatus {
    Received,
    Processed,
}

impl ReceiptStatus {
    pub fn parse(s: &str) -> Option<ReceiptStatus> {
        match s {
            "received" => Some(ReceiptStatus::Received),
            "processed" => Some(ReceiptStatus::Processed),
            _ => None,
        }
    }
}

/// All a partner system (bank, platform) learns about a warning it sent: no person, no unit, no
/// timeline, and nothing that tells whether anybody matched.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub id: i64,
    /// The partner's own reference, as sent (`reference` of the request).
    pub reference: Option<String>,
    /// When fanzha received the warning (unix ms).
    pub received_at: Millis,
    pub status: ReceiptStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values() {
        assert_eq!(Severity::parse("HIGH"), Some(Severity::High));
        assert_eq!(Severity::parse("高"), Some(Severity::High));
        assert_eq!(Severity::parse("urgent"), None);
        assert_eq!(Money::parse("1200.5"), Money::from_cents(120050));
        assert_eq!(Money::parse("¥3,000"), Money::from_cents(300000));
        assert_eq!(Money::parse("-5"), None);
        assert_eq!(Money::parse("1.234"), None);
        assert_eq!(yuan(120050), "1200.50");
        assert_eq!(
            WarnPhone::parse("+86 138-0000-1111").map(|p| p.0),
            Some("13800001111".into())
        );
        assert!(WarnPhone::parse("12345").is_none());
        assert_eq!(
            WarnPhone::parse("+1 415 555 0100").map(|p| p.0),
            Some("+14155550100".into())
        );
        assert!(WarnPhone::parse("010-12345678").is_none());
        assert!(parse_fraud_type("fake_loan").is_some());
        assert!(parse_fraud_type("nonsense").is_none());
    }
}

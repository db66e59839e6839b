//! Roles, principals and API token scopes.

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use std::fmt;
use std::str::FromStr;

/// A role, always held over an org-unit subtree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Student,
    Counselor,
    UnitLeader,
    SchoolAdmin,
    Police,
    ProvinceAdmin,
    Partner,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Student,
        Role::Counselor,
        Role::UnitLeader,
        Role::SchoolAdmin,
        Role::Police,
        Role::ProvinceAdmin,
        Role::Partner,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Student => "student",
            Role::Counselor => "counselor",
            Role::UnitLeader => "unit_leader",
            Role::SchoolAdmin => "school_admin",
            Role::Police => "police",
            Role::ProvinceAdmin => "province_admin",
            Role::Partner => "partner",
        }
    }

    /// Staff roles see personal data of people in scope (masked in lists, audited in detail).
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Student | Role::Partner)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown role {0:?} (one of student, counselor, unit_leader, school_admin, police, province_admin, partner)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// What an API token may do, on top of what its account's roles allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Scope {
    /// Read the org tree and rosters.
    OrgRead,
    /// Import rosters, change units and responsibilities.
    OrgWrite,
    /// Read the audit log.
    AuditRead,
    /// Read and mark one's inbox.
    InboxRead,
    /// Detection and risk checks (for partners).
    RiskCheck,
    /// Read warnings, their timelines, views and appraisal.
    WarningsRead,
    /// Issue warnings and act on them (acknowledge, contact, outcome, identify, settings).
    WarningsWrite,
    /// Read cases, analysis, briefings, KPIs and rankings.
    CasesRead,
    /// Record cases, KPIs, briefings and awards.
    CasesWrite,
    /// Read campaigns, their reach and gaps.
    CampaignsRead,
    /// Write content, create, send and recall campaigns.
    CampaignsWrite,
    /// Read fraud reports and stop-payment requests in scope.
    ReportsRead,
    /// File reports; triage and act on stop-payment requests (as the account's roles allow).
    ReportsWrite,
    /// Import threat-intel feeds (police and province admins).
    IntelWrite,
    /// Read volunteer tasks, one's own ledger, and the volunteers in scope.
    VolunteersRead,
    /// Register, claim, check in, hand in proof, redeem; publish and review tasks.
    VolunteersWrite,
    /// Read contests, entries, one's receipts, judging progress, anomalies and results.
    ContestsRead,
    /// Vote, withdraw or move a vote, score, publish results, carry winners into campaigns.
    ContestsWrite,
}

impl Scope {
    pub const ALL: [Scope; 18] = [
        Scope::OrgRead,
        Scope::OrgWrite,
        Scope::AuditRead,
        Scope::InboxRead,
        Scope::RiskCheck,
        Scope::WarningsRead,
        Scope::WarningsWrite,
        Scope::CasesRead,
        Scope::CasesWrite,
        Scope::CampaignsRead,
        Scope::CampaignsWrite,
        Scope::ReportsRead,
        Scope::ReportsWrite,
        Scope::IntelWrite,
        Scope::VolunteersRead,
        Scope::VolunteersWrite,
        Scope::ContestsRead,
        Scope::ContestsWrite,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrgRead => "org:read",
            Scope::OrgWrite => "org:write",
            Scope::AuditRead => "audit:read",
            Scope::InboxRead => "inbox:read",
            Scope::RiskCheck => "risk:check",
            Scope::WarningsRead => "warnings:read",
            Scope::WarningsWrite => "warnings:write",
            Scope::CasesRead => "cases:read",
            Scope::CasesWrite => "cases:write",
            Scope::CampaignsRead => "campaigns:read",
            Scope::CampaignsWrite => "campaigns:write",
            Scope::ReportsRead => "reports:read",
            Scope::ReportsWrite => "reports:write",
            Scope::IntelWrite => "intel:write",
            Scope::VolunteersRead => "volunteers:read",
            Scope::VolunteersWrite => "volunteers:write",
            Scope::ContestsRead => "contests:read",
            Scope::ContestsWrite => "contests:write",
        }
    }
}

/// The one list of token scopes: each scope, what it allows, and the roles whose accounts may
/// hold it (a token never carries more than its account's roles can use). A new module adds its
/// scopes to [`Scope::ALL`] and a row here; the CLI help, the account page, creation checks and
/// the checks at use all read from it.
impl Scope {
    /// What the scope allows (the CLI help and docs/API.md).
    pub fn description(self) -> &'static str {
        match self {
            Scope::OrgRead => "read the org tree and rosters",
            Scope::OrgWrite => {
                "import rosters, change units and responsibilities, issue activation codes"
            }
            Scope::AuditRead => "read the audit log",
            Scope::InboxRead => "read and mark one's inbox and campaign deliveries",
            Scope::RiskCheck => "risk checks of numbers, links, accounts and messages",
            Scope::WarningsRead => "read warnings (a partner: its own receipts)",
            Scope::WarningsWrite => "issue warnings and act on them",
            Scope::CasesRead => "read cases, analysis, briefings, KPIs and rankings",
            Scope::CasesWrite => "record cases, KPIs, briefings and awards",
            Scope::CampaignsRead => "read campaigns, their reach and gaps",
            Scope::CampaignsWrite => "write content, create, send and recall campaigns",
            Scope::ReportsRead => "read fraud reports and stop-payment requests in scope",
            Scope::ReportsWrite => "file reports; triage and act on stop-payment requests",
            Scope::IntelWrite => "import threat-intel feeds (STIX, MISP, CSV)",
            Scope::VolunteersRead => {
                "read volunteer tasks, one's own points ledger, volunteers in scope"
            }
            Scope::VolunteersWrite => {
                "register, claim, check in, hand in proof, redeem; publish and review tasks"
            }
            Scope::ContestsRead => {
                "contests, entries, one's receipts; judging progress, anomalies (organisers); results"
            }
            Scope::ContestsWrite => {
                "vote, withdraw or move a vote; score; publish results, carry winners into campaigns"
            }
        }
    }

    /// The roles whose accounts may hold this scope: those for which the policy matrix allows
    /// one of the actions the scope opens, or everyone where the scope is about one's own things.
    pub fn holders(self) -> Vec<Role> {
        use super::policy::{role_allows, Action::*};
        let by_actions = |actions: &[super::policy::Action]| -> Vec<Role> {
            Role::ALL
                .into_iter()
                .filter(|r| actions.iter().any(|a| role_allows(*r, *a)))
                .collect()
        };
        match self {
            Scope::InboxRead | Scope::RiskCheck => Role::ALL.to_vec(),
            // People file and follow their own reports; a partner organisation's account does not.
            Scope::ReportsRead | Scope::ReportsWrite => Role::ALL
                .into_iter()
                .filter(|r| *r != Role::Partner)
                .collect(),
            // A student reads their own record and who is responsible for them.
            Scope::OrgRead => {
                let mut v = by_actions(&[ViewUnits, ListPeople]);
                v.push(Role::Student);
                v
            }
            Scope::OrgWrite => by_actions(&[
                ManageUnits,
                ImportRoster,
                ManageAccounts,
                IssueActivationCodes,
                ConfigureSignIn,
            ]),
            Scope::AuditRead => by_actions(&[ViewAudit]),
            // A partner reads the receipts of the warnings it issued; a student their own warnings.
            Scope::WarningsRead => {
                let mut v = by_actions(&[ViewWarnings, IssueWarning]);
                v.push(Role::Student);
                v
            }
            Scope::WarningsWrite => by_actions(&[
                IssueWarning,
                ActOnWarning,
                IdentifyWarning,
                ConfigureWarnings,
            ]),
            // Published briefings and the Campus Without Fraud list are read by everyone; case
            // records themselves stay behind ViewCases in the policy.
            Scope::CasesRead => Role::ALL.to_vec(),
            Scope::CasesWrite => by_actions(&[ManageCases, ManageAwards]),
            Scope::CampaignsRead => by_actions(&[ViewReach, ManageCampaigns]),
            Scope::CampaignsWrite => by_actions(&[ManageCampaigns]),
            Scope::IntelWrite => by_actions(&[CurateIntel]),
            // Students volunteer; staff and police publish, review and see their volunteers.
            Scope::VolunteersRead | Scope::VolunteersWrite => Role::ALL
                .into_iter()
                .filter(|r| *r != Role::Partner)
                .collect(),
            // Students enter and vote; staff and police judge and organise.
            Scope::ContestsRead | Scope::ContestsWrite => Role::ALL
                .into_iter()
                .filter(|r| *r != Role::Partner)
                .collect(),
        }
    }

    /// May an account holding these roles carry this scope?
    pub fn usable_by(self, roles: &[Role]) -> bool {
        self.holders().iter().any(|r| roles.contains(r))
    }
}

/// The complete scope list as help text: one line per scope with what it allows and who may
/// hold it.
pub fn scope_help() -> String {
    let mut out = String::from("Comma-separated scopes, each within the account's roles:");
    for s in Scope::ALL {
        let roles: Vec<&str> = s.holders().iter().map(|r| r.as_str()).collect();
        out.push_str(&format!(
            "\n  {:<17}{} [{}]",
            s.as_str(),
            s.description(),
            roles.join(", ")
        ));
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        write!(f, "unknown scope {:?} (one of {})", self.0, all.join(", "))
    }
}

impl std::error::Error for UnknownScope {}

impl FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| UnknownScope(s.to_string()))
    }
}

/// Parses a comma-separated scope list; an empty list is refused.
pub fn parse_scopes(s: &str) -> Result<Vec<Scope>, UnknownScope> {
    let mut v: Vec<Scope> = s
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    if v.is_empty() {
        return Err(UnknownScope(String::new()));
    }
    v.sort();
    v.dedup();
    Ok(v)
}

/// One role held over one subtree. `scope_paths` starts with the subtree root's path; for police
/// the paths of the schools in the station's jurisdiction follow.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Grant {
    pub role: Role,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub unit_code: String,
    pub unit_kind: String,
    pub scope_paths: Vec<String>,
}

/// How the caller proved who they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    Session { session_id: String, csrf: String },
    Token { token_id: i64, scopes: Vec<Scope> },
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub account_id: AccountId,
    pub username: String,
    pub display_name: String,
    pub student_id: Option<StudentId>,
    pub staff_id: Option<i64>,
    pub grants: Vec<Grant>,
    pub via: Via,
    /// The account's zone, parsed once when the principal is built (Asia/Shanghai when unknown).
    pub time_zone: chrono_tz::Tz,
    pub locale: String,
    /// Staff reset this account's password: until the person sets a new one, a session may do
    /// nothing but that (see `web::context`).
    pub must_change_password: bool,
}

impl Principal {
    pub fn has_role(&self, r: Role) -> bool {
        self.grants.iter().any(|g| g.role == r)
    }

    pub fn roles(&self) -> Vec<Role> {
        let mut v: Vec<Role> = self.grants.iter().map(|g| g.role).collect();
        v.sort();
        v.dedup();
        v
    }

    /// True for a session, or a token carrying `scope`.
    pub fn token_allows(&self, scope: Scope) -> bool {
        match &self.via {
            Via::Session { .. } => true,
            Via::Token { scopes, .. } => scopes.contains(&scope),
        }
    }

    /// Inbox recipient keys of this account (its own, its student record's, its staff record's).
    pub fn recipients(&self) -> Vec<String> {
        let mut v = vec![format!("account:{}", self.account_id)];
        if let Some(s) = self.student_id {
            v.push(format!("student:{s}"));
        }
        if let Some(s) = self.staff_id {
            v.push(format!("staff:{s}"));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_has_a_name_in_words_in_both_languages() {
        for lang in [crate::i18n::Lang::ZhCn, crate::i18n::Lang::En] {
            let ids = crate::i18n::message_ids(lang);
            for s in Scope::ALL {
                let key = format!("scope-{}", s.as_str().replace(':', "-"));
                assert!(ids.contains(&key), "{key} missing in {lang:?}");
            }
        }
    }

    #[test]
    fn every_scope_has_holders_and_the_help_lists_each_once() {
        let help = scope_help();
        for s in Scope::ALL {
            assert!(!s.holders().is_empty(), "{}", s.as_str());
            assert_eq!(
                help.matches(&format!("  {} ", s.as_str())).count(),
                1,
                "{help}"
            );
        }
        assert!(help.contains("reports:write"), "{help}");
    }

    #[test]
    fn a_student_cannot_hold_staff_scopes() {
        let student = [Role::Student];
        assert!(!Scope::CasesWrite.usable_by(&student));
        assert!(!Scope::AuditRead.usable_by(&student));
        assert!(Scope::ReportsWrite.usable_by(&student));
        assert!(Scope::InboxRead.usable_by(&student));
        assert!(Scope::CasesWrite.usable_by(&[Role::Police]));
        assert!(!Scope::ReportsWrite.usable_by(&[Role::Partner]));
        assert!(Scope::WarningsWrite.usable_by(&[Role::Partner]));
    }
}

//! Roles, principals and API token scopes.

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
}

impl Scope {
    pub const ALL: [Scope; 14] = [
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
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown scope {0:?} (one of org:read, org:write, audit:read, inbox:read, risk:check, warnings:read, warnings:write, cases:read, cases:write, campaigns:read, campaigns:write, reports:read, reports:write, intel:write)")]
pub struct UnknownScope(pub String);

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
    pub unit_id: i64,
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
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub student_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub grants: Vec<Grant>,
    pub via: Via,
    pub time_zone: String,
    pub locale: String,
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

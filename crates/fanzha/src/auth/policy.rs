//! The one policy function: may this caller do this action on a target in this unit?
//!
//! Every read and write of the org tree, rosters, people and the audit log asks [`allows`]. Roles are
//! held over org-unit subtrees; a target is inside a grant's scope when its unit path starts with one
//! of the grant's scope paths (police grants include the schools of the station's jurisdiction).

use super::model::{Principal, Role};
use crate::kernel::ids::StudentId;

/// Things a caller can try to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// See units (names, codes, counts) of the tree.
    ViewUnits,
    /// Create and edit units, jurisdictions and responsibilities.
    ManageUnits,
    /// List the people (students, staff) of a unit; personal data masked.
    ListPeople,
    /// Open one person's full record (unmasked; audited).
    ViewPerson,
    /// Import a roster into a school.
    ImportRoster,
    /// Export a roster (unmasked; audited).
    ExportRoster,
    /// Read the audit log of a unit.
    ViewAudit,
    /// Create accounts and grant roles in a unit.
    ManageAccounts,
    /// Curate the indicator store: confirm, clear, merge, sharing levels, import and export,
    /// the review queue (police; indicators are not unit-scoped, any police scope suffices).
    CurateIntel,
    /// Issue a warning about a person (police console, partner API).
    IssueWarning,
    /// See warnings of people in the unit, their timelines and the unit's figures.
    ViewWarnings,
    /// Acknowledge, record contact and outcome on a warning (further limited to the chain).
    ActOnWarning,
    /// Attach a student to a warning nobody could be matched to.
    IdentifyWarning,
    /// Change a school's warning deadlines and appraisal weights.
    ConfigureWarnings,
    /// See the appraisal (包保考核) of the responsibility chain.
    ViewAppraisal,
    /// See the fraud cases, analysis, briefings and KPIs of a unit.
    ViewCases,
    /// Record and edit cases, police KPIs and monthly briefings (police, in their jurisdiction).
    ManageCases,
    /// Select and publish the Campus Without Fraud awardees of a province.
    ManageAwards,
    /// Write publicity content, review it, and send campaigns to people of a unit.
    ManageCampaigns,
    /// See the reach of campaigns in a unit and its gaps (who was never reached).
    ViewReach,
    /// Read the fraud reports of people in a unit, with their stop-payment requests.
    ViewReports,
    /// Triage reports (confirm, not fraud, merge, assign, reply, open a case) and act on
    /// stop-payment requests (police).
    TriageReports,
    /// Issue one-time activation codes to people of the unit not yet activated, and see who has
    /// activated (counselors: their classes; unit leaders: their college; school admins).
    IssueActivationCodes,
    /// Configure the school's sign-in: campus SSO (CAS, OpenID Connect) and whether local
    /// passwords stay allowed (school admins of that school).
    ConfigureSignIn,
    /// Author courses, lessons, questions and the pledge text of a school, and set who takes a
    /// course (school admins; police for the schools of their jurisdiction).
    ManageLearning,
    /// See the learning coverage of a unit: courses, first lesson, attendance, pledge, app.
    ViewLearning,
    /// Hold activities with check-in, remind the unsigned, spot-check app installs (counselors for
    /// their classes and up).
    RunActivities,
}

impl Action {
    pub const ALL: [Action; 27] = [
        Action::ViewUnits,
        Action::ManageUnits,
        Action::ListPeople,
        Action::ViewPerson,
        Action::ImportRoster,
        Action::ExportRoster,
        Action::ViewAudit,
        Action::ManageAccounts,
        Action::CurateIntel,
        Action::IssueWarning,
        Action::ViewWarnings,
        Action::ActOnWarning,
        Action::IdentifyWarning,
        Action::ConfigureWarnings,
        Action::ViewAppraisal,
        Action::ViewCases,
        Action::ManageCases,
        Action::ManageAwards,
        Action::ManageCampaigns,
        Action::ViewReach,
        Action::ViewReports,
        Action::TriageReports,
        Action::IssueActivationCodes,
        Action::ConfigureSignIn,
        Action::ManageLearning,
        Action::ViewLearning,
        Action::RunActivities,
    ];
}

/// What an action is aimed at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// Something that belongs to the unit with this path (e.g. `/1/4/9/`).
    Unit(&'a str),
    /// A student's own record: the student id and the path of their class.
    Student { id: StudentId, unit_path: &'a str },
}

/// The matrix: which role may do which action within its scope.
pub fn role_allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match role {
        Student => false,
        Partner => matches!(action, IssueWarning),
        Counselor => matches!(
            action,
            ViewUnits
                | ListPeople
                | ViewPerson
                | ExportRoster
                | ViewWarnings
                | ActOnWarning
                | ViewReach
                | ViewReports
                | IssueActivationCodes
                | ViewLearning
                | RunActivities
        ),
        UnitLeader => matches!(
            action,
            ViewUnits
                | ListPeople
                | ViewPerson
                | ExportRoster
                | ViewWarnings
                | ActOnWarning
                | ViewAppraisal
                | ViewCases
                | ViewReach
                | ViewReports
                | IssueActivationCodes
                | ViewLearning
                | RunActivities
        ),
        SchoolAdmin => !matches!(
            action,
            CurateIntel | IssueWarning | ManageCases | ManageAwards | TriageReports
        ),
        Police => matches!(
            action,
            ViewUnits
                | ListPeople
                | ViewPerson
                | ViewAudit
                | CurateIntel
                | IssueWarning
                | ViewWarnings
                | ActOnWarning
                | IdentifyWarning
                | ViewAppraisal
                | ViewCases
                | ManageCases
                | ManageCampaigns
                | ViewReach
                | ViewReports
                | TriageReports
                | ManageLearning
                | ViewLearning
                | RunActivities
        ),
        ProvinceAdmin => matches!(
            action,
            ViewUnits
                | ManageUnits
                | ViewAudit
                | ManageAccounts
                | CurateIntel
                | ViewWarnings
                | ViewAppraisal
                | ViewCases
                | ManageAwards
                | ViewReach
                | ViewLearning
        ),
    }
}

fn inside(path: &str, scope: &str) -> bool {
    path.starts_with(scope)
}

/// May `p` do `action` on `target`?
pub fn allows(p: &Principal, action: Action, target: &Target<'_>) -> bool {
    let path = match target {
        Target::Unit(path) => path,
        Target::Student { id, unit_path } => {
            // A student may always see their own record.
            if action == Action::ViewPerson
                && p.student_id == Some(*id)
                && p.has_role(Role::Student)
            {
                return true;
            }
            unit_path
        }
    };
    p.grants
        .iter()
        .any(|g| role_allows(g.role, action) && g.scope_paths.iter().any(|s| inside(path, s)))
}

/// The scope paths of `p` under which `action` is allowed; lists are filtered by these.
pub fn scopes_for(p: &Principal, action: Action) -> Vec<String> {
    let mut v: Vec<String> = p
        .grants
        .iter()
        .filter(|g| role_allows(g.role, action))
        .flat_map(|g| g.scope_paths.iter().cloned())
        .collect();
    v.sort();
    v.dedup();
    // Drop paths inside another path of the list.
    let all = v.clone();
    v.retain(|a| !all.iter().any(|b| b != a && a.starts_with(b.as_str())));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::model::{Grant, Via};
    use crate::kernel::ids::UnitId;

    fn principal(role: Role, scope: &str) -> Principal {
        Principal {
            account_id: crate::kernel::ids::AccountId(1),
            username: "u".into(),
            display_name: "u".into(),
            student_id: (role == Role::Student).then_some(StudentId(7)),
            staff_id: None,
            grants: vec![Grant {
                role,
                unit_id: UnitId(1),
                unit_name: "x".into(),
                unit_code: "X".into(),
                unit_kind: "school".into(),
                scope_paths: if role == Role::Student {
                    vec![]
                } else {
                    vec![scope.to_string()]
                },
            }],
            via: Via::Session {
                session_id: String::new(),
                csrf: String::new(),
            },
            time_zone: chrono_tz::Asia::Shanghai,
            locale: "zh-CN".into(),
            must_change_password: false,
        }
    }

    /// The expected matrix, written out by hand: Y = allowed inside the role's scope.
    /// Column groups: org (ViewUnits ManageUnits ListPeople ViewPerson ImportRoster ExportRoster
    /// ViewAudit ManageAccounts) | intel (CurateIntel) | warnings (IssueWarning ViewWarnings
    /// ActOnWarning IdentifyWarning ConfigureWarnings ViewAppraisal) | cases (ViewCases
    /// ManageCases ManageAwards) | campaigns (ManageCampaigns ViewReach) | reports (ViewReports
    /// TriageReports) | accounts (IssueActivationCodes ConfigureSignIn) | learning (ManageLearning
    /// ViewLearning RunActivities).
    const MATRIX: [(Role, &str); 7] = [
        (
            Role::Student,
            concat!("--------", "-", "------", "---", "--", "--", "--", "---"),
        ),
        (
            Role::Counselor,
            concat!("Y-YY-Y--", "-", "-YY---", "---", "-Y", "Y-", "Y-", "-YY"),
        ),
        (
            Role::UnitLeader,
            concat!("Y-YY-Y--", "-", "-YY--Y", "Y--", "-Y", "Y-", "Y-", "-YY"),
        ),
        (
            Role::SchoolAdmin,
            concat!("YYYYYYYY", "-", "-YYYYY", "Y--", "YY", "Y-", "YY", "YYY"),
        ),
        (
            Role::Police,
            concat!("Y-YY--Y-", "Y", "YYYY-Y", "YY-", "YY", "YY", "--", "YYY"),
        ),
        (
            Role::ProvinceAdmin,
            concat!("YY----YY", "Y", "-Y---Y", "Y-Y", "-Y", "--", "--", "-Y-"),
        ),
        (
            Role::Partner,
            concat!("--------", "-", "Y-----", "---", "--", "--", "--", "---"),
        ),
    ];

    #[test]
    fn every_role_and_action_inside_and_outside_scope() {
        let inside = "/1/2/3/";
        let outside = "/1/9/";
        for (role, row) in MATRIX {
            let p = principal(role, "/1/2/");
            for (i, action) in Action::ALL.into_iter().enumerate() {
                let expected = row.as_bytes()[i] == b'Y';
                assert_eq!(
                    allows(&p, action, &Target::Unit(inside)),
                    expected,
                    "{role} {action:?} inside"
                );
                assert!(
                    !allows(&p, action, &Target::Unit(outside)),
                    "{role} {action:?} outside"
                );
                assert_eq!(
                    role_allows(role, action),
                    expected,
                    "{role} {action:?} matrix"
                );
            }
        }
    }

    #[test]
    fn a_student_sees_only_their_own_record() {
        let p = principal(Role::Student, "");
        assert!(allows(
            &p,
            Action::ViewPerson,
            &Target::Student {
                id: StudentId(7),
                unit_path: "/1/2/3/"
            }
        ));
        assert!(!allows(
            &p,
            Action::ViewPerson,
            &Target::Student {
                id: StudentId(8),
                unit_path: "/1/2/3/"
            }
        ));
        assert!(!allows(&p, Action::ListPeople, &Target::Unit("/1/2/3/")));
    }

    #[test]
    fn sibling_paths_are_not_inside() {
        // "/1/2/" must not cover "/1/23/".
        let p = principal(Role::SchoolAdmin, "/1/2/");
        assert!(!allows(&p, Action::ViewUnits, &Target::Unit("/1/23/")));
    }

    #[test]
    fn nested_scopes_collapse() {
        let mut p = principal(Role::Counselor, "/1/2/3/");
        p.grants.push(Grant {
            role: Role::UnitLeader,
            unit_id: UnitId(2),
            unit_name: "c".into(),
            unit_code: "C".into(),
            unit_kind: "college".into(),
            scope_paths: vec!["/1/2/".into()],
        });
        assert_eq!(
            scopes_for(&p, Action::ListPeople),
            vec!["/1/2/".to_string()]
        );
    }
}

//! The one policy function: may this caller do this action on a target in this unit?
//!
//! Every read and write of the org tree, rosters, people and the audit log asks [`allows`]. Roles are
//! held over org-unit subtrees; a target is inside a grant's scope when its unit path starts with one
//! of the grant's scope paths (police grants include the schools of the station's jurisdiction).

use super::model::{Principal, Role};

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
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::ViewUnits,
        Action::ManageUnits,
        Action::ListPeople,
        Action::ViewPerson,
        Action::ImportRoster,
        Action::ExportRoster,
        Action::ViewAudit,
        Action::ManageAccounts,
    ];
}

/// What an action is aimed at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// Something that belongs to the unit with this path (e.g. `/1/4/9/`).
    Unit(&'a str),
    /// A student's own record: the student id and the path of their class.
    Student { id: i64, unit_path: &'a str },
}

/// The matrix: which role may do which action within its scope.
pub fn role_allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match role {
        Student | Partner => false,
        Counselor | UnitLeader => {
            matches!(action, ViewUnits | ListPeople | ViewPerson | ExportRoster)
        }
        SchoolAdmin => true,
        Police => matches!(action, ViewUnits | ListPeople | ViewPerson | ViewAudit),
        ProvinceAdmin => matches!(action, ViewUnits | ManageUnits | ViewAudit | ManageAccounts),
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

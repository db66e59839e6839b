//! Accounts that follow the roster.
//!
//! Every person on a school's (or police station's) roster has one account, keyed by
//! (organisation, kind, person number): student numbers are unique only within a school. A roster
//! import creates the missing accounts — no password, not activated, so nobody can sign in with
//! them yet — and applies the roster status of every person in the file: 毕业/退学/离职 disable
//! the account and end its sessions and tokens, 休学 pauses it, a return re-enables it. A person
//! absent from a partial re-import keeps their account as it is; nothing is ever deleted.
//!
//! Everything runs inside the import's transaction in a handful of set-based statements (no
//! statement per row, no password hash), so 30,000 students import in seconds. Every way of
//! signing in (password after activation, and later campus SSO or DingTalk/WeCom) finds the
//! account by [`PersonKind`], organisation and number.

use crate::kernel::ids::UnitId;
use sqlx::AnyConnection;

use super::store::roster;
use crate::db::{Backend, DbResult};

/// Which roster a person is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PersonKind {
    Student,
    Staff,
}

impl PersonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonKind::Student => "student",
            PersonKind::Staff => "staff",
        }
    }
}

/// An account's standing on the roster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RosterStatus {
    /// On the roster and studying or working: may sign in once activated.
    Current,
    /// 休学: no sign-in until the roster says they are back.
    Paused,
    /// 毕业/退学/离职: disabled, sessions and tokens ended.
    Left,
}

impl RosterStatus {
    pub fn parse(s: &str) -> Option<RosterStatus> {
        match s {
            "current" => Some(RosterStatus::Current),
            "paused" => Some(RosterStatus::Paused),
            "left" => Some(RosterStatus::Left),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            RosterStatus::Current => "current",
            RosterStatus::Paused => "paused",
            RosterStatus::Left => "left",
        }
    }
}

/// Numbers per statement: well under both databases' parameter limits.
const BATCH: usize = 500;

/// Brings the accounts of one organisation's roster in line with it, inside the import's
/// transaction: links accounts made by hand for people of this roster, creates the missing
/// accounts (not activated), and applies the roster status of the people in `numbers` (the rows
/// of the file), ending the sessions and tokens of those who left. Returns how many accounts
/// were created.
pub async fn sync(
    tx: &mut AnyConnection,
    backend: Backend,
    kind: PersonKind,
    org_id: UnitId,
    numbers: &[&str],
    now: i64,
) -> DbResult<usize> {
    // Accounts made by hand (`fanzha user create`) for a person of this roster get its key.
    roster::link_hand_made_accounts(tx, kind, org_id).await?;
    // One account per person who has none: no password, not activated. The username for later
    // password sign-ins is `number@unit-code`.
    let created = roster::create_missing_accounts(tx, kind, org_id, now).await?;
    // The status (and, before activation, the name) of every person in the file.
    for chunk in numbers.chunks(BATCH) {
        roster::apply_roster_status(tx, backend, kind, org_id, chunk).await?;
    }
    // Whoever may not sign in any more loses their sessions (paused or left) and tokens (left).
    // The principal cache forgets them within its few seconds in every process.
    roster::end_sessions_off_roster(tx, kind, org_id).await?;
    roster::revoke_tokens_of_leavers(tx, kind, org_id, now).await?;
    Ok(created)
}

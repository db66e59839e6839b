//! Content review reaches its reviewers: when content is submitted, every person who may publish
//! it (manages campaigns over its unit, and is neither its last editor nor the submitter) gets an
//! inbox notice in their language; the review queue (`pages::review`) lists what waits for the caller.

use super::service::SvcResult;
use super::store::{self, Content};
use crate::auth::model::{Principal, Role};
use crate::auth::policy::{self, Action};
use crate::clock::Clock;
use crate::db::Db;
use crate::i18n::Lang;
use crate::inbox::{self, Notice, Recipient};
use crate::kernel::ids::AccountId;

/// Where review notices point.
pub const QUEUE: &str = "/campaigns/review";

/// Accounts (with their locale) that may publish content of `unit_path`, other than `exclude`:
/// enabled accounts whose roles manage campaigns over that unit.
pub async fn eligible_reviewers(
    db: &Db,
    unit_path: &str,
    exclude: &[AccountId],
) -> SvcResult<Vec<(AccountId, String)>> {
    let roles: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| policy::role_allows(**r, Action::ManageCampaigns))
        .map(|r| r.as_str())
        .collect();
    let mut out = Vec::new();
    for (id, locale) in crate::auth::store::lookups::accounts_with_roles(db, &roles).await? {
        if exclude.contains(&id) {
            continue;
        }
        let may = crate::auth::service::account_can(db, id, |p| {
            policy::allows(p, Action::ManageCampaigns, &policy::Target::Unit(unit_path))
        })
        .await
        .unwrap_or(false);
        if may {
            out.push((id, locale));
        }
    }
    Ok(out)
}

/// Tells each reviewer that `c` waits for review (once per version).
pub async fn notify_reviewers(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    clock: &Clock,
    c: &Content,
    reviewers: &[(AccountId, String)],
) -> SvcResult<()> {
    let source = format!("content-review:{}:{}", c.id, c.version);
    for (id, locale) in reviewers {
        let lang = Lang::from_code(locale);
        let args = [("title", c.title.clone())];
        let n = Notice {
            kind: "review".into(),
            title: lang.ta("camp-review-notice-title", &args),
            body: lang.ta("camp-review-notice-body", &args),
            link: Some(QUEUE.to_string()),
        };
        inbox::notify_once(
            &mut **tx,
            clock,
            &Recipient::Account(*id),
            &n,
            Some(&source),
        )
        .await?;
    }
    Ok(())
}

/// Content waiting for review that the caller may publish (not their own last edit), oldest first.
pub async fn queue_for(db: &Db, p: &Principal) -> SvcResult<Vec<Content>> {
    let scopes = policy::scopes_for(p, Action::ManageCampaigns);
    let mut v: Vec<Content> = store::contents_in_review(db, &scopes)
        .await?
        .into_iter()
        .filter(|c| c.editor_account_id != p.account_id)
        .collect();
    v.sort_by_key(|c| (c.updated_at, c.id));
    v.dedup_by_key(|c| c.id);
    Ok(v)
}

//! Outside channels a unit configures (group robots, webhooks, email) for its campaigns.

use super::*;
use crate::audit::{self, Actor, Event};
use crate::campaigns::store;
use crate::clock::Clock;

#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewChannel {
    pub unit: String,
    pub kind: String,
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub secret: Option<String>,
    /// Sender address (email only).
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(default)]
    pub rate_per_min: Option<i64>,
}

/// Configures an outside channel of a unit inside the caller's scope.
pub async fn create_channel(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    c: &NewChannel,
) -> SvcResult<store::Channel> {
    let unit = unit_in_scope(db, p, Action::ManageCampaigns, &c.unit).await?;
    let kind: ChannelKind = c.kind.parse()?;
    let url = check_channel(kind, &c.url, c.secret.as_deref())?;
    let name =
        crate::text::name(&c.name).map_err(|e| SvcError::Refused(CampError::new(e.key())))?;
    if name.is_empty() || name.chars().count() > 100 {
        return refuse("camp-err-name");
    }
    let sender = match kind {
        ChannelKind::Email => {
            let s = c.sender.as_deref().map(str::trim).unwrap_or("");
            if s.parse::<lettre::message::Mailbox>().is_err() {
                return refuse("camp-err-sender");
            }
            Some(s.to_string())
        }
        _ => None,
    };
    let rate = c.rate_per_min.unwrap_or(kind.default_rate());
    if !(1..=10_000).contains(&rate) {
        return refuse("camp-err-rate");
    }
    let secret = c
        .secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from);
    let mut tx = db.begin_write().await?;
    let id = store::insert_channel(
        &mut tx,
        &unit.path,
        kind.as_str(),
        name,
        &url,
        secret.as_deref(),
        sender.as_deref(),
        rate,
        p.account_id,
        clock.now_ms(),
    )
    .await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.channel.create",
            target_kind: "campaign_channel",
            target_id: id.to_string(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({"kind": kind.as_str(), "name": name}),
        },
    )
    .await?;
    tx.commit().await?;
    store::channel_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// The outside channels of the caller's ManageCampaigns scopes.
pub async fn list_channels(db: &Db, p: &Principal) -> SvcResult<Vec<store::Channel>> {
    let scopes = policy::scopes_for(p, Action::ManageCampaigns);
    Ok(store::channels_under(db, &scopes).await?)
}

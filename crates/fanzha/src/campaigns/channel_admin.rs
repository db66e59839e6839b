//! Channels set up by the people who own them: the list with each channel's recent failures, a
//! test send through the same code that carries campaigns and warning notices, and disabling a
//! channel (kept for the history of what it carried, never used again).

use super::channels;
use super::model::ChannelKind;
use super::service::{ChannelSettings, SvcError, SvcResult};
use super::store::{self, Channel};
use crate::audit::{self, Actor, Event};
use crate::auth::model::Principal;
use crate::auth::policy::{self, Action};
use crate::clock::Clock;
use crate::db::Db;

/// A channel the caller manages (its unit inside their ManageCampaigns scope); not found otherwise.
pub async fn managed_channel(db: &Db, p: &Principal, id: i64) -> SvcResult<Channel> {
    let ch = store::channel_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)?;
    if policy::allows(
        p,
        Action::ManageCampaigns,
        &policy::Target::Unit(&ch.unit_path),
    ) {
        Ok(ch)
    } else {
        Err(SvcError::NotFound)
    }
}

/// The channels under the caller's ManageCampaigns scopes, newest first.
pub async fn channels_managed(db: &Db, p: &Principal) -> SvcResult<Vec<Channel>> {
    let scopes = policy::scopes_for(p, Action::ManageCampaigns);
    let mut v = store::channels_under(db, &scopes).await?;
    v.sort_by_key(|c| std::cmp::Reverse(c.id));
    Ok(v)
}

/// What a test send says, in the language of the person who asked for it.
pub struct TestText {
    pub title: String,
    pub body: String,
}

/// Sends a test message through the channel, now, with the same code as campaigns and warning
/// notices; the outcome is kept on the channel (shown on the channels page) and audited. An email
/// channel needs the address to send to. Returns the reason when the send failed.
#[allow(clippy::too_many_arguments)]
pub async fn test_send(
    db: &Db,
    clock: &Clock,
    settings: &ChannelSettings,
    p: &Principal,
    actor: &Actor,
    id: i64,
    to: Option<&str>,
    text: &TestText,
) -> SvcResult<Result<(), String>> {
    let ch = managed_channel(db, p, id).await?;
    if !ch.enabled() {
        return Err(super::model::CampError::new("camp-err-channel-disabled").into());
    }
    let kind: ChannelKind = ch.kind.parse()?;
    let link = format!(
        "{}/campaigns/channels",
        settings.public_url.trim_end_matches('/')
    );
    let result = match kind {
        ChannelKind::Email => {
            let to = to.map(str::trim).unwrap_or("");
            if to.is_empty() {
                return Err(super::model::CampError::new("camp-err-test-to-missing").into());
            }
            if to.parse::<lettre::message::Mailbox>().is_err() {
                return Err(super::model::CampError::with("camp-err-test-to", to).into());
            }
            let mail = channels::Mail {
                from: ch.sender.clone().unwrap_or_default(),
                to: to.to_string(),
                subject: text.title.clone(),
                body: format!("{}\n\n{}\n\n{}", text.title, text.body, link),
            };
            channels::send_mail(&ch.url, &mail, settings.timeout).await
        }
        _ => {
            let client = channels::http_client(settings.ca_file.as_deref())
                .or_else(|_| channels::http_client(None))
                .unwrap_or_default();
            let m = channels::Message {
                title: text.title.clone(),
                summary: text.body.clone(),
                link: link.clone(),
                webhook_body: serde_json::json!({
                    "event": "channel.test",
                    "channel": {"name": ch.name, "title": text.title, "body": text.body, "link": link},
                }),
            };
            let target = channels::Target {
                kind,
                url: ch.url.clone(),
                secret: ch.secret.clone(),
            };
            channels::post_message(&client, &target, &m, clock.now_ms(), settings.timeout).await
        }
    };
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    store::set_channel_test(&mut tx, id, now, result.as_ref().err().map(String::as_str)).await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.channel.test",
            target_kind: "campaign_channel",
            target_id: id.to_string(),
            unit_path: ch.unit_path.clone(),
            detail: serde_json::json!({"ok": result.is_ok()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(result)
}

/// Disables a channel: campaigns and warning notices no longer use it, and what was queued on it
/// fails with the reason "channel disabled". Disabling twice is refused.
pub async fn disable(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
) -> SvcResult<Channel> {
    let ch = managed_channel(db, p, id).await?;
    let mut tx = db.begin_write().await?;
    if !store::disable_channel(&mut tx, id, clock.now_ms()).await? {
        return Err(super::model::CampError::new("camp-err-channel-disabled").into());
    }
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.channel.disable",
            target_kind: "campaign_channel",
            target_id: id.to_string(),
            unit_path: ch.unit_path.clone(),
            detail: serde_json::json!({"name": ch.name}),
        },
    )
    .await?;
    tx.commit().await?;
    store::channel_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// Units where the caller may put a channel: (code, name) of the schools, colleges, stations,
/// cities and provinces inside their ManageCampaigns scope.
pub async fn channel_units(db: &Db, p: &Principal) -> SvcResult<Vec<(String, String)>> {
    let scopes = policy::scopes_for(p, Action::ManageCampaigns);
    let mut v = Vec::new();
    for root in crate::org::store::units_by_paths(db, &scopes).await? {
        for s in crate::org::store::subtree(db, &root.path).await? {
            if matches!(
                s.kind.as_str(),
                "province" | "city" | "police_station" | "school" | "college"
            ) {
                v.push((s.code, s.name));
            }
        }
    }
    Ok(v)
}

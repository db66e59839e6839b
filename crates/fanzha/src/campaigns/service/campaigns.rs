//! Campaigns: created after checking content, audience and channels, scheduled as a send job,
//! seen by managers and viewers in their scopes, recalled.

use super::audiences::preview;
use super::jobs::SEND_JOB;
use super::*;
use crate::audit::{self, Actor, Event};
use crate::campaigns::store::{self, Campaign};
use crate::clock::Clock;
use crate::db::jobs::{enqueue_with, NewJob};

#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewCampaign {
    /// Code of the unit the campaign is for (inside the caller's scope).
    pub unit: String,
    pub title: String,
    pub content_id: i64,
    /// The fraud type this campaign warns about (one of the content's types).
    pub fraud_type: String,
    #[serde(default)]
    pub audience: AudienceSpec,
    /// Outside channels (ids of configured channels) besides the inbox.
    #[serde(default)]
    pub channels: Vec<i64>,
    /// When to send (UTC ms); now when absent.
    #[serde(default)]
    pub run_at: Option<i64>,
}

/// Creates a campaign after checking its content, audience and channels, and schedules the send.
pub async fn create_campaign(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    c: &NewCampaign,
) -> SvcResult<Campaign> {
    let unit = unit_in_scope(db, p, Action::ManageCampaigns, &c.unit).await?;
    let title =
        crate::text::name(&c.title).map_err(|e| SvcError::Refused(CampError::new(e.key())))?;
    if title.is_empty() || title.chars().count() > 200 {
        return refuse("camp-err-title");
    }
    let ft = fraud_type(&c.fraud_type)?;
    let content = store::content_by_id(db, c.content_id)
        .await?
        .filter(|k| unit.path.starts_with(&k.unit_path) || k.unit_path.starts_with(&unit.path))
        .ok_or_else(|| CampError::new("camp-err-content"))?;
    if content.status != ContentStatus::Published {
        return refuse("camp-err-unpublished");
    }
    if !content.fraud_types.iter().any(|t| t == ft.id()) {
        return refuse("camp-err-content-type");
    }
    for id in &c.channels {
        let ch = store::channel_by_id(db, *id)
            .await?
            .filter(|ch| {
                unit.path.starts_with(&ch.unit_path) || ch.unit_path.starts_with(&unit.path)
            })
            .filter(|ch| {
                policy::allows(
                    p,
                    Action::ManageCampaigns,
                    &policy::Target::Unit(&ch.unit_path),
                ) || unit.path.starts_with(&ch.unit_path)
            })
            .filter(store::Channel::enabled);
        if ch.is_none() {
            return Err(CampError::with("camp-err-channel", id.to_string()).into());
        }
    }
    let now = clock.now_ms();
    if c.run_at.is_some_and(|t| t < now - 60_000) {
        return refuse("camp-err-run-at");
    }
    let pv = preview(db, clock, &unit, &c.audience, ft.id()).await?;
    if pv.size == 0 {
        return refuse("camp-err-empty-audience");
    }
    let mut channels = c.channels.clone();
    channels.sort();
    channels.dedup();
    let mut tx = db.begin_write().await?;
    let id = store::insert_campaign(
        &mut tx,
        &store::CampaignRow {
            unit_path: &unit.path,
            title,
            content_id: content.id,
            content_version: content.version,
            fraud_type: ft.id(),
            audience: serde_json::to_string(&c.audience).unwrap_or_default(),
            audience_size: pv.size,
            channels: serde_json::to_string(&channels).unwrap_or_default(),
            run_at: c.run_at,
            created_by: p.account_id,
            now,
        },
    )
    .await?;
    enqueue_with(
        &mut *tx,
        clock,
        NewJob::new(SEND_JOB, serde_json::json!({"campaign_id": id}))
            .dedup(format!("{SEND_JOB}:{id}"))
            .run_at(c.run_at.unwrap_or(now)),
    )
    .await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.create",
            target_kind: "campaign",
            target_id: id.to_string(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({"title": title, "audience_size": pv.size, "run_at": c.run_at}),
        },
    )
    .await?;
    tx.commit().await?;
    store::campaign_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// A campaign the caller manages; not found otherwise.
pub async fn campaign_managed_by(db: &Db, p: &Principal, id: i64) -> SvcResult<Campaign> {
    let c = store::campaign_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)?;
    managed_in(p, &c.unit_path)?;
    Ok(c)
}

/// The part of a campaign a viewer may see: the campaign unit, or their scopes inside it.
pub async fn campaign_visible_to(
    db: &Db,
    p: &Principal,
    id: i64,
) -> SvcResult<(Campaign, Vec<String>)> {
    let c = store::campaign_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)?;
    let roots = view_roots(p, &c.unit_path);
    if roots.is_empty() {
        return Err(SvcError::NotFound);
    }
    Ok((c, roots))
}

/// The subtrees of `unit_path` the caller may see the reach of.
pub fn view_roots(p: &Principal, unit_path: &str) -> Vec<String> {
    let mut v: Vec<String> = policy::scopes_for(p, Action::ViewReach)
        .into_iter()
        .filter_map(|s| {
            if unit_path.starts_with(&s) {
                Some(unit_path.to_string())
            } else if s.starts_with(unit_path) {
                Some(s)
            } else {
                None
            }
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Recalls a campaign: a scheduled one is not sent; a sent one leaves the inboxes and its queued
/// outside deliveries are stopped (robot messages already posted cannot be taken back).
pub async fn recall(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
) -> SvcResult<Campaign> {
    let c = campaign_managed_by(db, p, id).await?;
    if c.status == CampaignStatus::Recalled {
        return refuse("camp-err-recalled");
    }
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let removed = store::recall_campaign(&mut tx, id, now).await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.recall",
            target_kind: "campaign",
            target_id: id.to_string(),
            unit_path: c.unit_path.clone(),
            detail: serde_json::json!({"inbox_removed": removed, "was": c.status}),
        },
    )
    .await?;
    tx.commit().await?;
    crate::inbox::bump();
    store::campaign_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// Email deliveries of a campaign per status.
#[derive(serde::Serialize, utoipa::ToSchema, Default)]
pub struct EmailCounts {
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
}

/// How the email deliveries of campaign `id` stand.
pub async fn email_counts(db: &Db, id: i64) -> SvcResult<EmailCounts> {
    let mut e = EmailCounts::default();
    for (s, n) in store::email_status_counts(db, id).await? {
        match s.as_str() {
            "queued" => e.queued = n,
            "sent" => e.sent = n,
            "failed" => e.failed = n,
            _ => {}
        }
    }
    Ok(e)
}

/// Campaigns of the caller's ViewReach units and of the units above them.
pub async fn list_campaigns(db: &Db, p: &Principal) -> SvcResult<Vec<Campaign>> {
    let scopes = policy::scopes_for(p, Action::ViewReach);
    Ok(store::campaigns_visible(db, &scopes).await?)
}

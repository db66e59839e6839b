//! The jobs of a campaign: the fan-out (inbox deliveries and messages slice by slice, outside
//! deliveries and their jobs), robot posts and emails with the shared per-channel rate limit,
//! retries and deferral.

use crate::kernel::ids::StudentId;
use std::time::Duration;

use super::audiences::{audience_paths, audience_sql, exposed_students};
use super::*;
use crate::campaigns::channels;
use crate::campaigns::store::{self, Campaign, Content, InboxOf, InboxText};
use crate::clock::Clock;
use crate::db::jobs::{enqueue_with, Job, JobRegistry, NewJob};

pub const SEND_JOB: &str = "campaigns.send";
pub const ROBOT_JOB: &str = "campaigns.robot";
pub const EMAIL_JOB: &str = "campaigns.email";
/// Attempts of one outside delivery before it is failed with its reason.
pub const MAX_ATTEMPTS: i64 = 4;

/// Settings of the channel jobs.
#[derive(Clone, Debug)]
pub struct ChannelSettings {
    /// Timeout of one robot/webhook/SMTP call.
    pub timeout: Duration,
    /// Base of the links in outside messages (e.g. `https://fanzha.example.edu.cn`).
    pub public_url: String,
    /// Extra CA certificates (PEM) trusted for https robots and webhooks.
    pub ca_file: Option<std::path::PathBuf>,
}

pub fn register_jobs(reg: &mut JobRegistry, db: Db, clock: Clock, settings: ChannelSettings) {
    // The file was checked when the configuration was loaded; should it have changed since, the
    // error is logged and https channels signed by that CA fail with a certificate reason.
    let client = channels::http_client(settings.ca_file.as_deref()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "campaign channels: extra CA file");
        channels::http_client(None).unwrap_or_default()
    });
    {
        let (db, clock) = (db.clone(), clock.clone());
        reg.register(SEND_JOB, move |job: Job| {
            let (db, clock) = (db.clone(), clock.clone());
            async move { fan_out(&db, &clock, &job).await.map_err(|e| e.to_string()) }
        });
    }
    {
        let (db, clock, s, client) = (db.clone(), clock.clone(), settings.clone(), client.clone());
        reg.register(ROBOT_JOB, move |job: Job| {
            let (db, clock, s, client) = (db.clone(), clock.clone(), s.clone(), client.clone());
            async move { robot_job(&db, &clock, &s, &client, &job).await }
        });
    }
    reg.register(EMAIL_JOB, move |job: Job| {
        let (db, clock, s) = (db.clone(), clock.clone(), settings.clone());
        async move { email_job(&db, &clock, &s, &job).await }
    });
}

fn summary_of(content: &Content) -> String {
    let text: String = content
        .body_md
        .lines()
        .map(|l| l.trim_start_matches(['#', '>', '-', '*', ' ']))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut s: String = text.chars().take(140).collect();
    if text.chars().count() > 140 {
        s.push('…');
    }
    if s.is_empty() {
        s = content.target_hint.clone();
    }
    s
}

/// Fans a campaign out: writes one inbox delivery and message per person, email deliveries and
/// their jobs, and one job per robot. Every step is set-based and idempotent (unique per campaign
/// × person × channel, inbox messages unique per source), so a worker restarted mid fan-out
/// completes it without telling anyone twice.
pub async fn fan_out(db: &Db, clock: &Clock, job: &Job) -> SvcResult<()> {
    let id = job.payload["campaign_id"]
        .as_i64()
        .ok_or(SvcError::NotFound)?;
    let c = store::campaign_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)?;
    if matches!(c.status, CampaignStatus::Recalled | CampaignStatus::Sent) {
        return Ok(());
    }
    let content = store::content_by_id(db, c.content_id)
        .await?
        .ok_or(SvcError::NotFound)?;
    let unit = crate::org::store::units_by_paths(db, std::slice::from_ref(&c.unit_path))
        .await?
        .into_iter()
        .next()
        .ok_or(SvcError::NotFound)?;
    let now = clock.now_ms();
    let paths = audience_paths(db, &unit, &c.audience).await?;
    if !store::start_sending(db, id).await? {
        return Ok(());
    }
    let inbox = InboxText {
        title: c.title.clone(),
        summary: summary_of(&content),
        source: format!("campaign:{id}"),
        now,
    };
    // 1–2. Inbox deliveries, one per person, and their inbox messages linking to the delivery
    // page: one transaction per school (or per slice of a ranked list), so no transaction holds
    // a million rows. Each step is idempotent (unique per campaign × person × channel, messages
    // unique per recipient and source): a worker restarted mid-way redoes what is missing. A
    // recall between slices stops the fan-out.
    if let Some(pct) = c.audience.top_exposed_percent {
        let top = exposed_students(
            db,
            clock,
            &unit,
            &paths,
            &c.audience,
            c.fraud_type.id(),
            pct,
        )
        .await?;
        for chunk in top.chunks(500) {
            let mut tx = db.begin_write().await?;
            if !store::still_sending(&mut tx, id).await? {
                return Ok(());
            }
            let ids: Vec<StudentId> = chunk.iter().map(|(s, _)| *s).collect();
            store::insert_listed_deliveries(&mut tx, db.backend, id, now, &ids).await?;
            let persons: Vec<String> = chunk.iter().map(|(s, _)| format!("student:{s}")).collect();
            store::insert_inbox_messages(&mut tx, id, &inbox, InboxOf::Persons(&persons)).await?;
            tx.commit().await?;
        }
    } else {
        let a = audience_sql(&paths, &c.audience, 3)?;
        if a.student_where.is_some() {
            for slice in store::school_slices(db, &paths).await? {
                let a = audience_sql(&paths, &c.audience, 3)?;
                let mut tx = db.begin_write().await?;
                if !store::still_sending(&mut tx, id).await? {
                    return Ok(());
                }
                store::insert_slice_deliveries(&mut tx, id, now, a, &slice).await?;
                store::insert_inbox_messages(&mut tx, id, &inbox, InboxOf::Under(&slice)).await?;
                tx.commit().await?;
            }
        }
        if a.staff_where.is_some() {
            let mut tx = db.begin_write().await?;
            if !store::still_sending(&mut tx, id).await? {
                return Ok(());
            }
            store::insert_staff_deliveries(&mut tx, id, now, &a).await?;
            store::insert_inbox_messages(&mut tx, id, &inbox, InboxOf::Accounts).await?;
            tx.commit().await?;
        }
    }
    let mut tx = db.begin_write().await?;
    if !store::still_sending(&mut tx, id).await? {
        return Ok(());
    }
    // 3. Outside channels.
    for ch_id in &c.channels {
        let Some(ch) = store::channel_by_id(db, *ch_id).await? else {
            continue;
        };
        if ch.kind == "email" {
            store::queue_email_deliveries(
                &mut tx,
                id,
                &format!("email:{}", ch.id),
                now,
                EMAIL_JOB,
                MAX_ATTEMPTS,
            )
            .await?;
        } else {
            store::queue_robot_delivery(&mut tx, id, ch.id, now).await?;
            enqueue_with(
                &mut *tx,
                clock,
                NewJob::new(
                    ROBOT_JOB,
                    serde_json::json!({"campaign_id": id, "channel_id": ch.id}),
                )
                .dedup(format!("{ROBOT_JOB}:{id}:{}", ch.id))
                .max_attempts(MAX_ATTEMPTS),
            )
            .await?;
        }
    }
    store::rebuild_reach(&mut tx, id).await?;
    store::finish_sending(&mut tx, id, now).await?;
    tx.commit().await?;
    crate::inbox::bump();
    Ok(())
}

/// Recomputes the reach rollups of a campaign from its deliveries (the fan-out, and after bulk
/// changes such as seeding demo data).
pub async fn rebuild_reach(tx: &mut Tx<'_>, campaign_id: i64) -> SvcResult<()> {
    Ok(store::rebuild_reach(tx, campaign_id).await?)
}

/// When a channel already carried its rate in the last minute — campaign sends and warning
/// notices together (`warnings::notify`), since a robot counts every post — the time a slot
/// frees; `None` when one is free now.
pub async fn rate_wait(db: &Db, now: i64, channel: &store::Channel) -> SvcResult<Option<i64>> {
    let since = now - 60_000;
    let campaigns =
        store::campaign_posts_since(db, channel.id, channel.kind == "email", since).await?;
    let warnings = crate::warnings::reads::channel_notices_since(db, channel.id, since).await?;
    let rate = channel.rate_per_min.max(1);
    Ok((campaigns + warnings >= rate).then_some(now + 60_000 / rate))
}

/// Re-queues the same work later without spending an attempt (rate limit).
async fn defer(db: &Db, clock: &Clock, job: &Job, at: i64) -> Result<(), String> {
    enqueue_with(
        &db.pool,
        clock,
        NewJob::new(job.kind.clone(), job.payload.clone())
            .dedup(format!("{}:{}:deferred:{}", job.kind, job.id, at))
            .run_at(at)
            .max_attempts(MAX_ATTEMPTS),
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

async fn robot_job(
    db: &Db,
    clock: &Clock,
    s: &ChannelSettings,
    client: &reqwest::Client,
    job: &Job,
) -> Result<(), String> {
    let cid = job.payload["campaign_id"].as_i64().ok_or("no campaign")?;
    let chid = job.payload["channel_id"].as_i64().ok_or("no channel")?;
    let status = store::robot_status(db, cid, chid)
        .await
        .map_err(|e| e.to_string())?;
    // Sent, recalled or failed for good: nothing to do (never post twice).
    if status.as_deref() != Some("queued") {
        return Ok(());
    }
    let c = store::campaign_by_id(db, cid)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("campaign gone")?;
    let ch = store::channel_by_id(db, chid)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("channel gone")?;
    let content = store::content_by_id(db, c.content_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("content gone")?;
    let now = clock.now_ms();
    // A channel disabled after the campaign was queued carries nothing more: the post fails at
    // once with its reason instead of being retried.
    let result = if !ch.enabled() {
        Err(CHANNEL_DISABLED.to_string())
    } else {
        if let Some(at) = rate_wait(db, now, &ch).await.map_err(|e| e.to_string())? {
            return defer(db, clock, job, at).await;
        }
        robot_post(client, s, &ch, &c, &content, now).await
    };
    let last = job.attempt >= MAX_ATTEMPTS || !ch.enabled();
    let (st, reason, sent_at) = channels::settle(&result, last, clock.now_ms());
    store::settle_robot(db, cid, chid, st, reason.as_deref(), job.attempt, sent_at)
        .await
        .map_err(|e| e.to_string())?;
    if !ch.enabled() {
        return Ok(());
    }
    result
}

/// The reason left on what a disabled channel would have carried.
pub const CHANNEL_DISABLED: &str = "channel disabled";

async fn robot_post(
    client: &reqwest::Client,
    s: &ChannelSettings,
    ch: &store::Channel,
    c: &Campaign,
    content: &Content,
    now: i64,
) -> Result<(), String> {
    let cid = c.id;
    let kind: ChannelKind = ch.kind.parse().map_err(|_| "unknown channel kind")?;
    let post = channels::Post {
        campaign_id: cid,
        title: c.title.clone(),
        summary: summary_of(content),
        link: format!("{}/campaigns/c/{}", s.public_url.trim_end_matches('/'), cid),
        fraud_type: c.fraud_type.id().to_string(),
    };
    let target = channels::Target {
        kind,
        url: ch.url.clone(),
        secret: ch.secret.clone(),
    };
    channels::post(client, &target, &post, now, s.timeout).await
}

async fn email_job(db: &Db, clock: &Clock, s: &ChannelSettings, job: &Job) -> Result<(), String> {
    let did = job.payload["delivery_id"].as_i64().ok_or("no delivery")?;
    let d = store::delivery_by_id(db, did)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("delivery gone")?;
    if d.status != "queued" {
        return Ok(());
    }
    let chid: i64 = d
        .channel
        .strip_prefix("email:")
        .and_then(|x| x.parse().ok())
        .ok_or("not an email delivery")?;
    let ch = store::channel_by_id(db, chid)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("channel gone")?;
    let c = store::campaign_by_id(db, d.campaign_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("campaign gone")?;
    let content = store::content_by_id(db, c.content_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("content gone")?;
    let now = clock.now_ms();
    if !ch.enabled() {
        store::settle_delivery(
            db,
            d.id,
            "failed",
            Some(CHANNEL_DISABLED),
            job.attempt,
            None,
        )
        .await
        .map_err(|e| e.to_string())?;
        return Ok(());
    }
    if let Some(at) = rate_wait(db, now, &ch).await.map_err(|e| e.to_string())? {
        return defer(db, clock, job, at).await;
    }
    // The link opens the person's inbox delivery, where reading is tracked.
    let inbox_id = store::inbox_delivery_id(db, d.campaign_id, &d.person)
        .await
        .map_err(|e| e.to_string())?;
    let link = format!(
        "{}/campaigns/d/{}",
        s.public_url.trim_end_matches('/'),
        inbox_id.unwrap_or(d.id)
    );
    let mail = channels::Mail {
        from: ch.sender.clone().unwrap_or_default(),
        to: d.address.clone().unwrap_or_default(),
        subject: c.title.clone(),
        body: format!("{}\n\n{}\n\n{}", c.title, summary_of(&content), link),
    };
    let result = channels::send_mail(&ch.url, &mail, s.timeout).await;
    let last = job.attempt >= MAX_ATTEMPTS;
    let (st, reason, sent_at) = channels::settle(&result, last, clock.now_ms());
    store::settle_delivery(db, did, st, reason.as_deref(), job.attempt, sent_at)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(at) = sent_at {
        reached_outside(db, did, at)
            .await
            .map_err(|e| e.to_string())?;
    }
    result
}

/// An outside channel (email) reached a person the inbox could not: their delivery counts as
/// delivered from now on, once, and no longer as unreachable.
async fn reached_outside(db: &Db, outside_delivery: i64, at: i64) -> SvcResult<()> {
    let mut tx = db.begin_write().await?;
    store::reached_outside(&mut tx, outside_delivery, at).await?;
    tx.commit().await?;
    Ok(())
}

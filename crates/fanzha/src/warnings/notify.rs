//! Outside notices of warnings: when a school chose channels for its warning notices (email over
//! SMTP, DingTalk / WeCom / Feishu robots, a generic HMAC-signed webhook — the channels the
//! campaigns module configures), a routed warning and each escalation are also sent there.
//!
//! Routing only writes a `warning_notifications` row and queues a `warnings.notify` job in its own
//! transaction; the job sends through `campaigns::channels` (signing, SMTP) and the job queue
//! retries it with backoff up to [`MAX_ATTEMPTS`], then the row is `failed` with the reason. A
//! failing or slow receiver therefore never blocks or undoes routing, and the unique
//! (source, channel, address) keeps a retried routing or escalation from sending twice.
//!
//! A channel's rate (`rate_per_min`, e.g. 20 for a DingTalk robot, which blocks a robot that posts
//! more) is shared with the campaigns that use it: past it, the job waits for a free slot without
//! spending an attempt, so a large batch of warnings reaches the robot spread out instead of
//! getting the robot blocked.

use std::time::Duration;

use sqlx::AnyConnection;

use super::model::Warning;
use super::store;
use crate::campaigns::channels;
use crate::campaigns::model::ChannelKind;
use crate::campaigns::service::ChannelSettings;
use crate::clock::Clock;
use crate::db::jobs::{enqueue_with, Job, JobRegistry, NewJob};
use crate::db::{Db, DbError};
use crate::inbox::{Notice, Recipient};

/// The job that sends one outside notice.
pub const NOTIFY_JOB: &str = "warnings.notify";
/// Attempts of one notice before it is given up as failed.
pub const MAX_ATTEMPTS: i64 = 4;

pub use super::store::{channels_of_school, of_warning, Notification, SchoolChannel};

/// Email addresses of the people told (staff records; accounts through their staff record), each
/// with the notice in that person's language; an address once.
async fn emails_of<'n>(
    c: &mut AnyConnection,
    to: &'n [(Recipient, Notice)],
) -> Result<Vec<(String, &'n Notice)>, DbError> {
    let mut out: Vec<(String, &Notice)> = Vec::new();
    for (r, n) in to {
        let email = store::email_of(c, r).await?;
        if let Some(e) = email.map(|e| e.trim().to_string()) {
            if !e.is_empty() && !out.iter().any(|(a, _)| *a == e) {
                out.push((e, n));
            }
        }
    }
    Ok(out)
}

/// Queues the outside notices of one warning event (`source`, e.g. `warning:7:routed`) on the
/// school's channels: one robot/webhook post per channel, one email per address of the people
/// told (in their language; `group` is the notice robots post). Runs in the caller's transaction;
/// sends nothing itself.
pub async fn queue(
    c: &mut AnyConnection,
    clock: &Clock,
    w: &Warning,
    chans: &[SchoolChannel],
    to: &[(Recipient, Notice)],
    group: &Notice,
    source: &str,
) -> Result<usize, DbError> {
    if chans.is_empty() {
        return Ok(0);
    }
    let emails = if chans.iter().any(|(_, k)| k == "email") {
        emails_of(c, to).await?
    } else {
        vec![]
    };
    let robot = [(String::new(), group)];
    let mut queued = 0;
    for (channel, kind) in chans {
        let addresses: &[(String, &Notice)] = if kind == "email" { &emails } else { &robot };
        for (address, n) in addresses {
            let id =
                store::insert_notification(c, w.id, source, *channel, address, n, clock.now_ms())
                    .await?;
            if let Some(id) = id {
                enqueue_with(
                    &mut *c,
                    clock,
                    NewJob::new(NOTIFY_JOB, serde_json::json!({ "notification_id": id }))
                        .dedup(format!("{NOTIFY_JOB}:{id}"))
                        .max_attempts(MAX_ATTEMPTS),
                )
                .await?;
                queued += 1;
            }
        }
    }
    Ok(queued)
}

/// Registers the sending job.
pub fn register_jobs(reg: &mut JobRegistry, db: Db, clock: Clock, settings: ChannelSettings) {
    // The campaigns' client: https robots, and the extra CA file when one is configured.
    let client = channels::http_client(settings.ca_file.as_deref()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "warning notices: extra CA file");
        channels::http_client(None).unwrap_or_default()
    });
    reg.register(NOTIFY_JOB, move |job: Job| {
        let (db, clock, s, client) = (db.clone(), clock.clone(), settings.clone(), client.clone());
        async move { send(&db, &clock, &s, &client, &job).await }
    });
}

/// Sends one queued notice. An error makes the job queue retry it (with backoff); at the last
/// attempt the notice is marked failed with the reason. Sent or failed notices are never sent again.
async fn send(
    db: &Db,
    clock: &Clock,
    s: &ChannelSettings,
    client: &reqwest::Client,
    job: &Job,
) -> Result<(), String> {
    let id = job.payload["notification_id"]
        .as_i64()
        .ok_or("no notification")?;
    let row = store::notice_by_id(db, id)
        .await
        .map_err(|e| e.to_string())?;
    let Some(store::QueuedNotice {
        warning_id,
        channel_id,
        address,
        title,
        body,
        link,
        source,
        status,
    }) = row
    else {
        return Ok(());
    };
    if status != "queued" {
        return Ok(());
    }
    let last = job.attempt >= MAX_ATTEMPTS;
    let channel = crate::campaigns::store::channel_by_id(db, channel_id)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(ch) = &channel {
        if let Some(at) = crate::campaigns::service::rate_wait(db, clock.now_ms(), ch)
            .await
            .map_err(|e| e.to_string())?
        {
            enqueue_with(
                &db.pool,
                clock,
                NewJob::new(NOTIFY_JOB, job.payload.clone())
                    .dedup(format!("{NOTIFY_JOB}:{id}:after:{at}"))
                    .run_at(at)
                    .max_attempts(MAX_ATTEMPTS),
            )
            .await
            .map_err(|e| e.to_string())?;
            return Ok(());
        }
    }
    let result = match channel {
        None => Err("channel gone".to_string()),
        Some(ch) if !ch.enabled() => Err(crate::campaigns::service::CHANNEL_DISABLED.to_string()),
        Some(ch) => {
            let link = format!("{}{}", s.public_url.trim_end_matches('/'), link);
            let timeout: Duration = s.timeout;
            match ch.kind.parse::<ChannelKind>() {
                Err(_) => Err(format!("unknown channel kind {}", ch.kind)),
                Ok(ChannelKind::Email) => {
                    let mail = channels::Mail {
                        from: ch.sender.clone().unwrap_or_default(),
                        to: address.clone(),
                        subject: title.clone(),
                        body: format!("{title}\n\n{body}\n\n{link}"),
                    };
                    channels::send_mail(&ch.url, &mail, timeout).await
                }
                Ok(kind) => {
                    let m = channels::Message {
                        title: title.clone(),
                        summary: body.clone(),
                        link: link.clone(),
                        webhook_body: serde_json::json!({
                            "event": "warning.notice",
                            "warning": {"id": warning_id, "source": source, "title": title, "body": body, "link": link},
                        }),
                    };
                    let target = channels::Target {
                        kind,
                        url: ch.url.clone(),
                        secret: ch.secret.clone(),
                    };
                    channels::post_message(client, &target, &m, clock.now_ms(), timeout).await
                }
            }
        }
    };
    let (st, reason, sent_at) = channels::settle(&result, last, clock.now_ms());
    store::settle_notice(db, id, st, reason, job.attempt, sent_at)
        .await
        .map_err(|e| e.to_string())?;
    result
}

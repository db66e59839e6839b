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

/// A channel of a school's warning notices: (channel id, kind).
pub type SchoolChannel = (i64, String);

/// The channels a school chose for its warning notices.
pub async fn channels_of_school(
    c: &mut AnyConnection,
    school_id: i64,
) -> Result<Vec<SchoolChannel>, DbError> {
    Ok(sqlx::query_as(
        "SELECT cc.id, cc.kind FROM warning_channels wc JOIN campaign_channels cc ON cc.id = wc.channel_id \
         WHERE wc.school_id = $1 AND cc.disabled_at IS NULL ORDER BY cc.id",
    )
    .bind(school_id)
    .fetch_all(&mut *c)
    .await?)
}

/// Replaces the channels of a school's warning notices.
pub async fn set_channels(
    c: &mut AnyConnection,
    school_id: i64,
    ids: &[i64],
    now: i64,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM warning_channels WHERE school_id = $1")
        .bind(school_id)
        .execute(&mut *c)
        .await?;
    for id in ids {
        sqlx::query(
            "INSERT INTO warning_channels (school_id, channel_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (school_id, channel_id) DO NOTHING",
        )
        .bind(school_id)
        .bind(id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Email addresses of the people told (staff records; accounts through their staff record), each
/// with the notice in that person's language; an address once.
async fn emails_of<'n>(
    c: &mut AnyConnection,
    to: &'n [(Recipient, Notice)],
) -> Result<Vec<(String, &'n Notice)>, DbError> {
    let mut out: Vec<(String, &Notice)> = Vec::new();
    for (r, n) in to {
        let email: Option<Option<String>> = match r {
            Recipient::Staff(id) => {
                sqlx::query_scalar("SELECT email FROM staff WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *c)
                    .await?
            }
            Recipient::Account(id) => sqlx::query_scalar(
                "SELECT s.email FROM accounts a JOIN staff s ON s.id = a.staff_id WHERE a.id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *c)
            .await?,
            Recipient::Student(_) => None,
        };
        if let Some(e) = email.flatten().map(|e| e.trim().to_string()) {
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
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO warning_notifications (warning_id, source, channel_id, address, title, body, link, \
                 status, reason, attempts, queued_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, 0, $9, $10) \
                 ON CONFLICT (source, channel_id, address) DO NOTHING RETURNING id",
            )
            .bind(w.id)
            .bind(source)
            .bind(channel)
            .bind(address)
            .bind(&n.title)
            .bind(&n.body)
            .bind(n.link.clone().unwrap_or_default())
            .bind(None::<String>)
            .bind(clock.now_ms())
            .bind(None::<i64>)
            .fetch_optional(&mut *c)
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

/// One outside notice as stored, for the warning page and API.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    pub source: String,
    pub channel_id: i64,
    pub channel_name: String,
    pub kind: String,
    /// The email address; empty for robots and webhooks.
    pub address: String,
    /// queued, sent or failed.
    pub status: String,
    pub reason: Option<String>,
    pub attempts: i64,
    pub sent_at: Option<i64>,
}

/// The outside notices of a warning, oldest first.
pub async fn of_warning(
    c: &mut AnyConnection,
    warning_id: i64,
) -> Result<Vec<Notification>, DbError> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        String,
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        i64,
        Option<i64>,
    )> = sqlx::query_as(
        "SELECT n.id, n.source, n.channel_id, cc.name, cc.kind, n.address, n.status, n.reason, n.attempts, n.sent_at \
         FROM warning_notifications n JOIN campaign_channels cc ON cc.id = n.channel_id \
         WHERE n.warning_id = $1 ORDER BY n.id",
    )
    .bind(warning_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                source,
                channel_id,
                channel_name,
                kind,
                address,
                status,
                reason,
                attempts,
                sent_at,
            )| {
                Notification {
                    id,
                    source,
                    channel_id,
                    channel_name,
                    kind,
                    address,
                    status,
                    reason,
                    attempts,
                    sent_at,
                }
            },
        )
        .collect())
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
    #[allow(clippy::type_complexity)]
    let row: Option<(i64, i64, String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT warning_id, channel_id, address, title, body, link, source, status FROM warning_notifications WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await
    .map_err(|e| e.to_string())?;
    let Some((warning_id, channel_id, address, title, body, link, source, status)) = row else {
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
    sqlx::query(
        "UPDATE warning_notifications SET status = $1, reason = $2, attempts = $3, sent_at = $4 WHERE id = $5 AND status = 'queued'",
    )
    .bind(st)
    .bind(reason)
    .bind(job.attempt)
    .bind(sent_at)
    .bind(id)
    .execute(&db.pool)
    .await
    .map_err(|e| e.to_string())?;
    result
}

//! SQL of the campaigns module (one text for SQLite and PostgreSQL).

use crate::kernel::ids::{AccountId, StudentId};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::{Db, DbResult};

mod audiences;
pub mod bench;
mod content;
pub mod demo;
mod exposure;
mod fanout;
pub mod lookups;
mod reach;
mod tracking;

pub use audiences::*;
pub use content::*;
pub use exposure::*;
pub use fanout::*;
pub use reach::*;
pub use tracking::*;

/// A write transaction of the module.
pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// A piece of content as stored.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Content {
    pub id: i64,
    pub unit_path: String,
    pub kind: String,
    pub title: String,
    pub body_md: String,
    pub body_html: String,
    pub media_url: Option<String>,
    pub fraud_types: Vec<String>,
    pub target_hint: String,
    pub quiz: Vec<super::model::Question>,
    #[schema(value_type = String, example = "published")]
    pub status: super::model::ContentStatus,
    pub version: i64,
    pub author_account_id: AccountId,
    pub editor_account_id: AccountId,
    pub reviewer_account_id: Option<AccountId>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

pub const CONTENT_COLS: &str = "id, unit_path, kind, title, body_md, body_html, media_url, fraud_types, target_hint, quiz, status, version, author_account_id, editor_account_id, reviewer_account_id, created_at, updated_at, published_at";

pub fn content_from(r: &AnyRow) -> Result<Content, sqlx::Error> {
    let ft: String = r.try_get("fraud_types")?;
    let quiz: String = r.try_get("quiz")?;
    Ok(Content {
        id: r.try_get("id")?,
        unit_path: r.try_get("unit_path")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        body_md: r.try_get("body_md")?,
        body_html: r.try_get("body_html")?,
        media_url: r.try_get("media_url")?,
        fraud_types: ft
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        target_hint: r.try_get("target_hint")?,
        quiz: serde_json::from_str(&quiz).unwrap_or_default(),
        status: crate::db::decode(
            &r.try_get::<String, _>("status")?,
            super::model::ContentStatus::parse,
            "content.status",
        )?,
        version: r.try_get("version")?,
        author_account_id: r.try_get("author_account_id")?,
        editor_account_id: r.try_get("editor_account_id")?,
        reviewer_account_id: r.try_get("reviewer_account_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        published_at: r.try_get("published_at")?,
    })
}

pub async fn content_by_id(db: &Db, id: i64) -> DbResult<Option<Content>> {
    let r = sqlx::query(&format!(
        "SELECT {CONTENT_COLS} FROM campaign_contents WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(content_from).transpose()?)
}

/// Content owned by a unit inside one of `scopes`, or by an ancestor of one of them (content of
/// the province or a police station is usable by the schools below).
pub async fn contents_visible(db: &Db, scopes: &[String]) -> DbResult<Vec<Content>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for s in scopes {
        let rows = sqlx::query(&format!(
            "SELECT {CONTENT_COLS} FROM campaign_contents WHERE unit_path LIKE $1 OR $2 LIKE unit_path || '%' ORDER BY id DESC LIMIT 500"
        ))
        .bind(format!("{s}%"))
        .bind(s)
        .fetch_all(&db.pool)
        .await?;
        for r in &rows {
            let c = content_from(r)?;
            if seen.insert(c.id) {
                out.push(c);
            }
        }
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.id));
    Ok(out)
}

/// Content in review owned by a unit inside one of `scopes`.
pub async fn contents_in_review(db: &Db, scopes: &[String]) -> DbResult<Vec<Content>> {
    let mut out = Vec::new();
    for s in scopes {
        let rows = sqlx::query(&format!(
            "SELECT {CONTENT_COLS} FROM campaign_contents WHERE status = 'review' AND unit_path LIKE $1 ORDER BY updated_at LIMIT 500"
        ))
        .bind(format!("{s}%"))
        .fetch_all(&db.pool)
        .await?;
        for r in &rows {
            out.push(content_from(r)?);
        }
    }
    Ok(out)
}

pub use crate::auth::store::lookups::english_students_under;

/// A configured outside channel.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Channel {
    pub id: i64,
    pub unit_path: String,
    pub kind: String,
    pub name: String,
    /// The URL with any `key=`/`access_token=` value hidden.
    pub url_masked: String,
    #[serde(skip)]
    pub url: String,
    #[serde(skip)]
    pub secret: Option<String>,
    pub sender: Option<String>,
    pub rate_per_min: i64,
    /// When it was disabled; a disabled channel carries nothing more.
    pub disabled_at: Option<i64>,
    /// When it was last test-sent, and why that failed (None when it went through).
    pub tested_at: Option<i64>,
    pub test_error: Option<String>,
}

impl Channel {
    pub fn enabled(&self) -> bool {
        self.disabled_at.is_none()
    }
    /// Whether a signing secret is set (the secret itself is never shown back).
    pub fn has_secret(&self) -> bool {
        self.secret.as_deref().is_some_and(|s| !s.is_empty())
    }
}

/// A robot's address without its token: the query (`access_token=`, `key=`) is hidden, and so is
/// a long last path segment (Feishu puts the token there), but for its first four characters.
fn mask_url(u: &str) -> String {
    let (base, hidden_query) = match u.split_once('?') {
        Some((base, _)) => (base, true),
        None => (u, false),
    };
    let mut out = match base.rsplit_once('/') {
        Some((head, last)) if last.chars().count() >= 16 => {
            format!("{head}/{}…", last.chars().take(4).collect::<String>())
        }
        _ => base.to_string(),
    };
    if hidden_query {
        out.push_str("?…");
    }
    out
}

const CHANNEL_COLS: &str =
    "id, unit_path, kind, name, url, secret, sender, rate_per_min, disabled_at, tested_at, test_error";

fn channel_from(r: &AnyRow) -> Result<Channel, sqlx::Error> {
    let url: String = r.try_get("url")?;
    Ok(Channel {
        id: r.try_get("id")?,
        unit_path: r.try_get("unit_path")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        url_masked: mask_url(&url),
        url,
        secret: r.try_get("secret")?,
        sender: r.try_get("sender")?,
        rate_per_min: r.try_get("rate_per_min")?,
        disabled_at: r.try_get("disabled_at")?,
        tested_at: r.try_get("tested_at")?,
        test_error: r.try_get("test_error")?,
    })
}

/// Inserts an outside channel; its id.
#[allow(clippy::too_many_arguments)]
pub async fn insert_channel(
    tx: &mut Tx<'_>,
    unit_path: &str,
    kind: &str,
    name: &str,
    url: &str,
    secret: Option<&str>,
    sender: Option<&str>,
    rate_per_min: i64,
    by: AccountId,
    now: i64,
) -> DbResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO campaign_channels (unit_path, kind, name, url, secret, sender, rate_per_min, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(unit_path)
    .bind(kind)
    .bind(name)
    .bind(url)
    .bind(secret)
    .bind(sender)
    .bind(rate_per_min)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn channel_by_id(db: &Db, id: i64) -> DbResult<Option<Channel>> {
    let r = sqlx::query(&format!(
        "SELECT {CHANNEL_COLS} FROM campaign_channels WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(channel_from).transpose()?)
}

pub async fn channels_under(db: &Db, scopes: &[String]) -> DbResult<Vec<Channel>> {
    let mut out = Vec::new();
    for s in scopes {
        let rows = sqlx::query(&format!(
            "SELECT {CHANNEL_COLS} FROM campaign_channels WHERE unit_path LIKE $1 ORDER BY id"
        ))
        .bind(format!("{s}%"))
        .fetch_all(&db.pool)
        .await?;
        for r in &rows {
            out.push(channel_from(r)?);
        }
    }
    Ok(out)
}

/// Keeps the outcome of a channel's test send (`error` None when it went through).
pub async fn set_channel_test(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    at: i64,
    error: Option<&str>,
) -> DbResult<()> {
    sqlx::query("UPDATE campaign_channels SET tested_at = $1, test_error = $2 WHERE id = $3")
        .bind(at)
        .bind(error)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Disables a channel; false when it already was.
pub async fn disable_channel(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    at: i64,
) -> DbResult<bool> {
    let n = sqlx::query(
        "UPDATE campaign_channels SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// One failed (or retried) send of a channel: when it was queued, what it carried (a campaign's or a
/// warning notice's title), and the reason.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ChannelFailure {
    pub at: i64,
    /// `campaign` or `warning`.
    pub source: String,
    pub title: String,
    pub reason: String,
}

/// The most recent failures of a channel across campaign posts, campaign emails and warning
/// notices, newest first.
pub async fn channel_failures(db: &Db, id: i64, limit: i64) -> DbResult<Vec<ChannelFailure>> {
    let rows = sqlx::query(
        "SELECT at, src, title, reason FROM ( \
           SELECT r.queued_at AS at, 'campaign' AS src, c.title AS title, r.reason AS reason \
             FROM campaign_robot_deliveries r JOIN campaigns c ON c.id = r.campaign_id \
             WHERE r.channel_id = $1 AND r.reason IS NOT NULL \
           UNION ALL \
           SELECT d.queued_at AS at, 'campaign' AS src, c.title AS title, d.reason AS reason \
             FROM campaign_deliveries d JOIN campaigns c ON c.id = d.campaign_id \
             WHERE d.channel = $2 AND d.reason IS NOT NULL \
         ) t ORDER BY at DESC LIMIT $3",
    )
    .bind(id)
    .bind(format!("email:{id}"))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut v = rows
        .iter()
        .map(|r| {
            Ok(ChannelFailure {
                at: r.try_get("at")?,
                source: r.try_get("src")?,
                title: r.try_get("title")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    // Warning notices through the same channel, read through the warnings module.
    v.extend(
        crate::warnings::reads::channel_failures(db, id, limit)
            .await?
            .into_iter()
            .map(|w| ChannelFailure {
                at: w.at,
                source: "warning".into(),
                title: w.title,
                reason: w.reason,
            }),
    );
    v.sort_by_key(|d| std::cmp::Reverse(d.at));
    v.truncate(limit.max(0) as usize);
    Ok(v)
}

/// A campaign as stored.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub unit_path: String,
    pub title: String,
    pub content_id: i64,
    pub content_version: i64,
    #[schema(value_type = String, example = "rebate_task")]
    pub fraud_type: fanzha_detect::FraudType,
    pub audience: super::model::AudienceSpec,
    pub audience_size: i64,
    pub channels: Vec<i64>,
    #[schema(value_type = String, example = "sent")]
    pub status: super::model::CampaignStatus,
    pub run_at: Option<i64>,
    pub created_by: AccountId,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub recalled_at: Option<i64>,
}

const CAMPAIGN_COLS: &str = "id, unit_path, title, content_id, content_version, fraud_type, audience, audience_size, channels, status, run_at, created_by, created_at, sent_at, recalled_at";

fn campaign_from(r: &AnyRow) -> Result<Campaign, sqlx::Error> {
    let aud: String = r.try_get("audience")?;
    let ch: String = r.try_get("channels")?;
    Ok(Campaign {
        id: r.try_get("id")?,
        unit_path: r.try_get("unit_path")?,
        title: r.try_get("title")?,
        content_id: r.try_get("content_id")?,
        content_version: r.try_get("content_version")?,
        fraud_type: crate::db::decode(
            &r.try_get::<String, _>("fraud_type")?,
            |s| s.parse().ok(),
            "campaigns.fraud_type",
        )?,
        audience: serde_json::from_str(&aud).unwrap_or_default(),
        audience_size: r.try_get("audience_size")?,
        channels: serde_json::from_str(&ch).unwrap_or_default(),
        status: crate::db::decode(
            &r.try_get::<String, _>("status")?,
            super::model::CampaignStatus::parse,
            "campaigns.status",
        )?,
        run_at: r.try_get("run_at")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        sent_at: r.try_get("sent_at")?,
        recalled_at: r.try_get("recalled_at")?,
    })
}

pub async fn campaign_by_id(db: &Db, id: i64) -> DbResult<Option<Campaign>> {
    let r = sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLS} FROM campaigns WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(campaign_from).transpose()?)
}

/// Campaigns of units inside `scopes` or of units above them (a counselor sees the school's
/// campaigns, for their own class).
pub async fn campaigns_visible(db: &Db, scopes: &[String]) -> DbResult<Vec<Campaign>> {
    let mut out: Vec<Campaign> = Vec::new();
    for s in scopes {
        let rows = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLS} FROM campaigns WHERE unit_path LIKE $1 OR $2 LIKE unit_path || '%' ORDER BY id DESC LIMIT 500"
        ))
        .bind(format!("{s}%"))
        .bind(s)
        .fetch_all(&db.pool)
        .await?;
        for r in &rows {
            let c = campaign_from(r)?;
            if !out.iter().any(|o| o.id == c.id) {
                out.push(c);
            }
        }
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.id));
    Ok(out)
}

/// One delivery of a campaign to one person on one channel.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub campaign_id: i64,
    pub person: String,
    pub student_id: Option<StudentId>,
    pub unit_path: String,
    pub channel: String,
    #[serde(skip)]
    pub address: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub attempts: i64,
    pub queued_at: i64,
    pub sent_at: Option<i64>,
    pub opened_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub quiz_passed_at: Option<i64>,
    pub clicks: i64,
}

const DELIVERY_COLS: &str = "id, campaign_id, person, student_id, unit_path, channel, address, status, reason, attempts, queued_at, sent_at, opened_at, acknowledged_at, quiz_passed_at, clicks";

fn delivery_from(r: &AnyRow) -> Result<Delivery, sqlx::Error> {
    Ok(Delivery {
        id: r.try_get("id")?,
        campaign_id: r.try_get("campaign_id")?,
        person: r.try_get("person")?,
        student_id: r.try_get("student_id")?,
        unit_path: r.try_get("unit_path")?,
        channel: r.try_get("channel")?,
        address: r.try_get("address")?,
        status: r.try_get("status")?,
        reason: r.try_get("reason")?,
        attempts: r.try_get("attempts")?,
        queued_at: r.try_get("queued_at")?,
        sent_at: r.try_get("sent_at")?,
        opened_at: r.try_get("opened_at")?,
        acknowledged_at: r.try_get("acknowledged_at")?,
        quiz_passed_at: r.try_get("quiz_passed_at")?,
        clicks: r.try_get("clicks")?,
    })
}

pub async fn delivery_by_id(db: &Db, id: i64) -> DbResult<Option<Delivery>> {
    let r = sqlx::query(&format!(
        "SELECT {DELIVERY_COLS} FROM campaign_deliveries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.as_ref().map(delivery_from).transpose()?)
}

/// The campaigns one student received, newest first: (campaign title, delivery).
pub async fn deliveries_of_student(
    db: &Db,
    student_id: StudentId,
    limit: i64,
) -> DbResult<Vec<(String, Delivery)>> {
    let cols = DELIVERY_COLS
        .split(", ")
        .map(|c| format!("d.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {cols}, c.title AS campaign_title FROM campaign_deliveries d JOIN campaigns c ON c.id = d.campaign_id \
         WHERE d.student_id = $1 ORDER BY d.queued_at DESC, d.id DESC LIMIT $2"
    ))
    .bind(student_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push((r.try_get("campaign_title")?, delivery_from(r)?));
    }
    Ok(out)
}

pub async fn deliveries_of(db: &Db, campaign_id: i64, channel: &str) -> DbResult<Vec<Delivery>> {
    let rows = sqlx::query(&format!(
        "SELECT {DELIVERY_COLS} FROM campaign_deliveries WHERE campaign_id = $1 AND channel = $2 ORDER BY id LIMIT 10000"
    ))
    .bind(campaign_id)
    .bind(channel)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(delivery_from).collect::<Result<_, _>>()?)
}

/// Robot and webhook deliveries of a campaign (one per channel).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RobotDelivery {
    pub channel_id: i64,
    pub status: String,
    pub reason: Option<String>,
    pub attempts: i64,
    pub sent_at: Option<i64>,
}

pub async fn robot_deliveries(db: &Db, campaign_id: i64) -> DbResult<Vec<RobotDelivery>> {
    let rows = sqlx::query(
        "SELECT channel_id, status, reason, attempts, sent_at FROM campaign_robot_deliveries WHERE campaign_id = $1 ORDER BY channel_id",
    )
    .bind(campaign_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RobotDelivery {
                channel_id: r.try_get("channel_id")?,
                status: r.try_get("status")?,
                reason: r.try_get("reason")?,
                attempts: r.try_get("attempts")?,
                sent_at: r.try_get("sent_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Ids of the inbox deliveries of a campaign to any of `people` (recipient keys).
pub async fn deliveries_for_people(
    db: &Db,
    campaign_id: i64,
    people: &[String],
) -> DbResult<Vec<i64>> {
    let mut v = Vec::new();
    for p in people {
        if let Some(id) = sqlx::query_scalar::<_, i64>(
            "SELECT id FROM campaign_deliveries WHERE campaign_id = $1 AND person = $2 AND channel = 'inbox' AND status <> 'recalled'",
        )
        .bind(campaign_id)
        .bind(p)
        .fetch_optional(&db.pool)
        .await?
        {
            v.push(id);
        }
    }
    Ok(v)
}

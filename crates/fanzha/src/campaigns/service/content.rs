//! The content library: drafts, edits as new versions, and review (submit, publish by someone
//! other than the last editor, reject, archive).

use super::*;
use crate::audit::{self, Actor, Event};
use crate::campaigns::render;
use crate::campaigns::store::{self, Content, ContentText};
use crate::clock::Clock;

/// What an author writes.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct NewContent {
    /// Code of the owning unit (a school, station or province inside the author's scope).
    pub unit: String,
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub body_md: String,
    #[serde(default)]
    pub media_url: Option<String>,
    #[serde(default)]
    pub fraud_types: Vec<String>,
    #[serde(default)]
    pub target_hint: String,
    #[serde(default)]
    pub quiz: Vec<Question>,
}

struct ParsedContent {
    kind: ContentKind,
    title: String,
    body_md: String,
    body_html: String,
    media_url: Option<String>,
    fraud_types: FraudTypes,
    target_hint: String,
    quiz: String,
}

impl ParsedContent {
    fn text(&self) -> ContentText<'_> {
        ContentText {
            kind: self.kind.as_str(),
            title: &self.title,
            body_md: &self.body_md,
            body_html: &self.body_html,
            media_url: self.media_url.as_deref(),
            fraud_types: self.fraud_types.to_db(),
            target_hint: &self.target_hint,
            quiz: &self.quiz,
        }
    }
}

fn parse_content(c: &NewContent) -> SvcResult<ParsedContent> {
    let kind: ContentKind = c.kind.parse()?;
    let title = crate::text::name(&c.title)
        .map_err(|e| SvcError::Refused(CampError::new(e.key())))?
        .to_string();
    if title.is_empty() || title.chars().count() > 200 {
        return refuse("camp-err-title");
    }
    let fraud_types = FraudTypes::parse(&c.fraud_types)?;
    let media_url = match c
        .media_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(u) => Some(parse_url(u)?),
        None if kind.needs_media() => return refuse("camp-err-media"),
        None => None,
    };
    if c.body_md.len() > 100_000 || (c.body_md.trim().is_empty() && !kind.needs_media()) {
        return refuse("camp-err-body");
    }
    let quiz = parse_quiz(c.quiz.clone())?;
    Ok(ParsedContent {
        kind,
        title,
        body_html: render::render(&c.body_md, None).html,
        body_md: c.body_md.clone(),
        media_url,
        fraud_types,
        target_hint: c.target_hint.trim().chars().take(500).collect(),
        quiz: serde_json::to_string(&quiz).unwrap_or_else(|_| "[]".into()),
    })
}

/// Creates a draft (version 1).
pub async fn create_content(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    c: &NewContent,
) -> SvcResult<Content> {
    let unit = unit_in_scope(db, p, Action::ManageCampaigns, &c.unit).await?;
    let pc = parse_content(c)?;
    let now = clock.now_ms();
    let text = pc.text();
    let mut tx = db.begin_write().await?;
    let id = store::insert_content(&mut tx, &unit.path, &text, p.account_id, now).await?;
    store::insert_version(&mut tx, id, 1, &text, p.account_id, now).await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.content.create",
            target_kind: "campaign_content",
            target_id: id.to_string(),
            unit_path: unit.path.clone(),
            detail: serde_json::json!({"title": pc.title, "kind": pc.kind.as_str()}),
        },
    )
    .await?;
    tx.commit().await?;
    store::content_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// Content the caller manages (owned inside their ManageCampaigns scope); not found otherwise.
pub async fn content_visible_to(db: &Db, p: &Principal, id: i64) -> SvcResult<Content> {
    let c = store::content_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)?;
    managed_in(p, &c.unit_path)?;
    Ok(c)
}

/// Edits content: a new version, back to draft (it must be reviewed again).
pub async fn update_content(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
    c: &NewContent,
) -> SvcResult<Content> {
    let old = content_visible_to(db, p, id).await?;
    let pc = parse_content(c)?;
    let now = clock.now_ms();
    let version = old.version + 1;
    let text = pc.text();
    let mut tx = db.begin_write().await?;
    let n =
        store::update_content(&mut tx, id, old.version, version, &text, p.account_id, now).await?;
    if n != 1 {
        return refuse("camp-err-stale");
    }
    store::insert_version(&mut tx, id, version, &text, p.account_id, now).await?;
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.content.edit",
            target_kind: "campaign_content",
            target_id: id.to_string(),
            unit_path: old.unit_path.clone(),
            detail: serde_json::json!({"version": version}),
        },
    )
    .await?;
    tx.commit().await?;
    store::content_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// Moves content through review: `submit` (draft → review) by anyone managing it, `publish`
/// (review → published) by someone other than the last editor, `reject` (review → draft) and
/// `archive` (published → archived).
pub async fn transition(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    id: i64,
    to: &str,
) -> SvcResult<Content> {
    let c = content_visible_to(db, p, id).await?;
    let from = c.status;
    let (next, reviewer) = match (to, from) {
        ("submit", ContentStatus::Draft) => ("review", None),
        ("publish", ContentStatus::Review) => {
            if c.editor_account_id == p.account_id {
                return refuse("camp-err-own-review");
            }
            ("published", Some(p.account_id))
        }
        ("reject", ContentStatus::Review) => ("draft", None),
        ("archive", ContentStatus::Published) => ("archived", None),
        ("submit" | "publish" | "reject" | "archive", _) => {
            return Err(CampError::with("camp-err-transition", c.status.as_str()).into())
        }
        _ => return refuse("camp-err-transition"),
    };
    // Who may publish it is read before the write transaction (SQLite holds one writer).
    let reviewers = if next == "review" {
        crate::campaigns::review::eligible_reviewers(
            db,
            &c.unit_path,
            &[c.editor_account_id, p.account_id],
        )
        .await?
    } else {
        Vec::new()
    };
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let n = store::set_content_status(&mut tx, id, c.status.as_str(), next, reviewer, now).await?;
    if n != 1 {
        return refuse("camp-err-stale");
    }
    audit::record(
        &mut *tx,
        clock,
        actor,
        Event {
            action: "campaign.content.status",
            target_kind: "campaign_content",
            target_id: id.to_string(),
            unit_path: c.unit_path.clone(),
            detail: serde_json::json!({"from": c.status, "to": next, "version": c.version}),
        },
    )
    .await?;
    crate::campaigns::review::notify_reviewers(&mut tx, clock, &c, &reviewers).await?;
    tx.commit().await?;
    crate::inbox::bump();
    store::content_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// The content the caller can use: their own units' and their ancestors'.
pub async fn list_contents(db: &Db, p: &Principal) -> SvcResult<Vec<Content>> {
    let scopes = policy::scopes_for(p, Action::ManageCampaigns);
    Ok(store::contents_visible(db, &scopes).await?)
}

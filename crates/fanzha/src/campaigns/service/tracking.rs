//! Tracking of each delivery by its person: opened, acknowledged, the optional check passed,
//! clicks on its links; the content shown is the version the campaign froze.

use super::*;
use crate::campaigns::render;
use crate::campaigns::store::{self, Content, Mark};
use crate::clock::Clock;

/// The caller's own inbox delivery; anyone else's is not found (and not touched).
pub async fn delivery_visible_to(db: &Db, p: &Principal, id: i64) -> SvcResult<store::Delivery> {
    let d = store::delivery_by_id(db, id)
        .await?
        .filter(|d| d.channel == "inbox" && d.status != "recalled")
        .ok_or(SvcError::NotFound)?;
    if p.recipients().contains(&d.person) {
        Ok(d)
    } else {
        Err(SvcError::NotFound)
    }
}

/// Records that the person opened their delivery (once) and marks its inbox message read.
pub async fn open(db: &Db, clock: &Clock, p: &Principal, id: i64) -> SvcResult<store::Delivery> {
    let d = delivery_visible_to(db, p, id).await?;
    if d.opened_at.is_none() {
        let now = clock.now_ms();
        let mut tx = db.begin_write().await?;
        store::mark(&mut tx, now, &d, Mark::Opened).await?;
        store::mark_message_read(&mut tx, now, &d).await?;
        tx.commit().await?;
        crate::inbox::bump();
    }
    store::delivery_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// "I have read and understood": recorded once, implies opened.
pub async fn acknowledge(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
) -> SvcResult<store::Delivery> {
    let d = open(db, clock, p, id).await?;
    if d.acknowledged_at.is_none() {
        let mut tx = db.begin_write().await?;
        store::mark(&mut tx, clock.now_ms(), &d, Mark::Acknowledged).await?;
        tx.commit().await?;
    }
    store::delivery_by_id(db, id)
        .await?
        .ok_or(SvcError::NotFound)
}

/// Checks the answers of the optional questions; all right records the check as passed.
pub async fn answer_quiz(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
    answers: &[usize],
) -> SvcResult<bool> {
    let d = delivery_visible_to(db, p, id).await?;
    let c = store::campaign_by_id(db, d.campaign_id)
        .await?
        .ok_or(SvcError::NotFound)?;
    let content = content_version(db, c.content_id, c.content_version).await?;
    if content.quiz.is_empty() {
        return refuse("camp-err-no-quiz");
    }
    if answers.len() != content.quiz.len() {
        return refuse("camp-err-answers");
    }
    let right = content
        .quiz
        .iter()
        .zip(answers)
        .all(|(q, a)| q.answer == *a);
    if right {
        let now = clock.now_ms();
        let mut tx = db.begin_write().await?;
        store::mark(&mut tx, now, &d, Mark::Opened).await?;
        store::mark(&mut tx, now, &d, Mark::QuizPassed).await?;
        tx.commit().await?;
    }
    Ok(right)
}

/// The content as it was when the campaign was created (the version it froze).
pub async fn content_version(db: &Db, content_id: i64, version: i64) -> SvcResult<Content> {
    let mut c = store::content_by_id(db, content_id)
        .await?
        .ok_or(SvcError::NotFound)?;
    if c.version != version {
        let r = store::version_text(db, content_id, version)
            .await?
            .ok_or(SvcError::NotFound)?;
        c.title = r.title;
        c.body_md = r.body_md;
        c.media_url = r.media_url;
        c.fraud_types = r.fraud_types.split(',').map(String::from).collect();
        c.target_hint = r.target_hint;
        c.quiz = serde_json::from_str(&r.quiz).unwrap_or_default();
        c.body_html = render::render(&c.body_md, None).html;
        c.version = version;
    }
    Ok(c)
}

/// A click on link `n` of the delivery's content: recorded, then the target to redirect to.
pub async fn click(db: &Db, clock: &Clock, p: &Principal, id: i64, n: usize) -> SvcResult<String> {
    let d = delivery_visible_to(db, p, id).await?;
    let c = store::campaign_by_id(db, d.campaign_id)
        .await?
        .ok_or(SvcError::NotFound)?;
    let content = content_version(db, c.content_id, c.content_version).await?;
    let url = render::links(&content.body_md)
        .into_iter()
        .nth(n)
        .ok_or(SvcError::NotFound)?;
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    store::record_click(&mut tx, now, &d, &url).await?;
    store::mark(&mut tx, now, &d, Mark::Opened).await?;
    // The first click of a person counts them as "clicked".
    store::count_click(&mut tx, &d).await?;
    tx.commit().await?;
    Ok(url)
}

/// A person's delivery as they read it: the frozen content, links rewritten to be tracked.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryOut {
    pub delivery: store::Delivery,
    pub title: String,
    pub body_html: String,
    pub media_url: Option<String>,
    pub questions: Vec<QuestionOut>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct QuestionOut {
    pub q: String,
    pub choices: Vec<String>,
}

/// Opens one of the caller's own deliveries (recorded once) and shows it.
pub async fn open_delivery(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
) -> SvcResult<DeliveryOut> {
    let d = open(db, clock, p, id).await?;
    let c = store::campaign_by_id(db, d.campaign_id)
        .await?
        .ok_or(SvcError::NotFound)?;
    let content = content_version(db, c.content_id, c.content_version).await?;
    let prefix = format!("/campaigns/d/{}/go/", d.id);
    Ok(DeliveryOut {
        title: c.title,
        body_html: render::render(&content.body_md, Some(&prefix)).html,
        media_url: content.media_url,
        questions: content
            .quiz
            .into_iter()
            .map(|q| QuestionOut {
                q: q.q,
                choices: q.choices,
            })
            .collect(),
        delivery: d,
    })
}

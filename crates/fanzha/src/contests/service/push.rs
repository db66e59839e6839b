//! Carrying the winners into campaigns: each category's winners become draft content of the
//! campaign library, owned by the contest's unit, so the schools and streets below it can send
//! them in their campaigns (after the library's own review).

use super::*;
use crate::audit::Actor;
use crate::campaigns::service::{self as campaigns, NewContent, SvcError};

/// A winner carried into the library.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ContestPushedWinner)]
pub struct PushedWinner {
    pub entry_id: i64,
    pub title: String,
    /// The campaign content made of it.
    pub content_id: i64,
}

/// What carrying the winners did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
#[schema(as = ContestPushed)]
pub struct Pushed {
    /// Content made now.
    pub created: Vec<PushedWinner>,
    /// Winners carried before (left as they are).
    pub already: usize,
}

fn camp_err(e: SvcError) -> ContestError {
    match e {
        SvcError::Refused(c) => ContestError::Invalid(vec![
            Msg::new(c.key).arg("value", c.arg.clone().unwrap_or_default())
        ]),
        SvcError::NotFound | SvcError::Forbidden => {
            ContestError::Refused("contests-err-not-organiser")
        }
        SvcError::Db(d) => ContestError::Db(d),
    }
}

/// The winners of each category (rank 1, ties included) of the published results.
pub fn winners(r: &Results) -> Vec<(Category, &ResultRow)> {
    r.categories
        .iter()
        .flat_map(|c| {
            c.rows
                .iter()
                .filter(|row| row.rank == 1)
                .map(move |row| (c.category, row))
        })
        .collect()
}

/// Carries the winners of a published contest into the campaign library as draft content of the
/// contest's unit, one piece per winner, about `fraud_type` (the fraud the works warn of). Run
/// again, or by two organisers at once, it leaves the winners already carried: each winner is
/// claimed (a row of `contest_pushes`) before its content is made, so exactly one draft is made.
pub async fn push_winners(
    db: &Db,
    clock: &Clock,
    config: &Config,
    p: &Principal,
    actor: &Actor,
    id: i64,
    fraud_type: &str,
) -> Result<Pushed> {
    let (c, s) = open(db, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    if c.published_at.is_none() {
        return Err(ContestError::State("contests-err-not-published"));
    }
    let (_, results) = published(db, id).await?;
    let unit = crate::org::store::unit_by_id(db, c.unit_id)
        .await?
        .ok_or(ContestError::NotFound)?;
    let mut conn = db.pool.acquire().await?;
    let done: Vec<i64> = store::pushes(&mut conn, c.id)
        .await?
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    drop(conn);
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| "http://localhost".into());
    let base = base.trim_end_matches('/');
    let lang = crate::i18n::Lang::default();
    let mut out = Pushed::default();
    for (cat, w) in winners(&results) {
        if done.contains(&w.entry_id) {
            out.already += 1;
            continue;
        }
        let results_url = format!("{base}/contests/{}/results", c.id);
        let (kind, media) = match w.media_kind {
            MediaKind::VideoLink => ("video", w.video_url.clone()),
            MediaKind::Image => (
                "poster",
                format!("{base}/contests/{}/entries/{}/image", c.id, w.entry_id),
            ),
        };
        let mut body = format!(
            "{}\n\n- {}: {}\n- {}: {}\n",
            lang.ta(
                "contests-push-body",
                &[
                    ("contest", c.title.clone()),
                    (
                        "category",
                        lang.t(&format!("contests-cat-{}", cat.as_str()))
                    ),
                ]
            ),
            lang.t("contests-push-school"),
            w.school,
            lang.t("contests-results"),
            results_url,
        );
        if !w.names.is_empty() {
            body.push_str(&format!(
                "- {}: {}\n",
                lang.t("contests-members"),
                w.names.join("、")
            ));
        }
        // The claim first, in its own transaction: of organisers pressing at once, one makes
        // the content and the others count the winner as carried.
        let mut tx = db.begin_write().await?;
        let claimed =
            store::claim_push(&mut tx, c.id, w.entry_id, p.account_id, clock.now_ms()).await?;
        tx.commit().await?;
        if !claimed {
            out.already += 1;
            continue;
        }
        let made = campaigns::create_content(
            db,
            clock,
            p,
            actor,
            &NewContent {
                unit: unit.code.clone(),
                kind: kind.into(),
                title: w.title.clone(),
                body_md: body,
                media_url: Some(media),
                fraud_types: vec![fraud_type.to_string()],
                target_hint: lang.t("contests-push-hint"),
                quiz: vec![],
            },
        )
        .await;
        let content = match made {
            Ok(content) => content,
            Err(e) => {
                let mut tx = db.begin_write().await?;
                store::release_push(&mut tx, c.id, w.entry_id).await?;
                tx.commit().await?;
                return Err(camp_err(e));
            }
        };
        let mut tx = db.begin_write().await?;
        store::set_push_content(&mut tx, c.id, w.entry_id, content.id).await?;
        tx.commit().await?;
        out.created.push(PushedWinner {
            entry_id: w.entry_id,
            title: w.title.clone(),
            content_id: content.id,
        });
    }
    Ok(out)
}

/// The campaign content each winner was carried into (entry id, content id).
pub async fn pushed(db: &Db, c: &Contest) -> Result<Vec<(i64, i64)>> {
    let mut conn = db.pool.acquire().await?;
    Ok(store::pushes(&mut conn, c.id).await?)
}

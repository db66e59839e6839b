//! The review queue of wrong-result claims and feed conflicts, and the export of confirmed examples.

use super::*;

pub(super) struct ReviewView {
    r: Review,
    claim: String,
    level: String,
    fraud_name: String,
    /// (indicator id, label) of the check's known indicators, to clear.
    indicators: Vec<(i64, String)>,
    /// The sender of a checked SMS.
    sender: Option<String>,
}

/// A feed's disagreement as people read it.
pub(super) struct ConflictView {
    c: Conflict,
    kind: String,
    field: String,
    ours: String,
    theirs: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "intel/reviews.html")]
pub(super) struct ReviewsPage {
    ctx: PageCtx,
    conflicts: Vec<ConflictView>,
    open: Vec<ReviewView>,
    types: Vec<(&'static str, String)>,
    examples: usize,
}

pub(super) async fn reviews_page(State(st): State<AppState>, u: User) -> AppResult<Html<String>> {
    curator(&st, &u).await?;
    let lang = u.ctx.lang;
    let mut open = Vec::new();
    let mut conn = st.db.pool.acquire().await?;
    for r in store::reviews(&st.db, true).await? {
        let a: Option<Answer> = serde_json::from_str(&r.check_result).ok();
        let mut indicators = Vec::new();
        for h in a.iter().flat_map(|a| a.indicators.iter()) {
            if let Ok(k) = IndicatorKey::parse(&h.kind, &h.value) {
                if let Some(i) = store::by_key(&mut conn, &k).await? {
                    indicators.push((
                        i.id,
                        format!(
                            "{} {} ({})",
                            lang.t(&format!("intel-kind-{}", i.kind)),
                            i.value,
                            lang.t(&format!("intel-status-{}", i.status.as_str()))
                        ),
                    ));
                }
            }
        }
        open.push(ReviewView {
            sender: a.as_ref().and_then(|a| a.sender.clone()),
            claim: lang.t(&format!("intel-claim-{}", r.claim)),
            level: r.check_level.clone(),
            fraud_name: crate::web::layout::fraud_type_name(lang, &r.check_fraud_type),
            indicators,
            r,
        });
    }
    drop(conn);
    let value_label = |field: &str, v: &str| match field {
        "status" => lang.t(&format!("intel-status-{v}")),
        _ => v
            .parse::<Tlp>()
            .map_or_else(|_| v.to_string(), |t| tlp_label(lang, t)),
    };
    let conflicts = store::open_conflicts(&st.db)
        .await?
        .into_iter()
        .map(|c| ConflictView {
            kind: lang.t(&format!("intel-kind-{}", c.kind)),
            field: lang.t(&format!("conflict-field-{}", c.field)),
            ours: value_label(&c.field, &c.ours),
            theirs: value_label(&c.field, &c.theirs),
            reason: if c.reason.is_empty() {
                String::new()
            } else {
                lang.t(&format!("conflict-reason-{}", c.reason))
            },
            c,
        })
        .collect();
    let examples = store::examples(&st.db).await?.len();
    let ctx = page_ctx(&st, &u).await;
    Ok(Html(
        ReviewsPage {
            ctx,
            conflicts,
            open,
            types: FraudType::ALL
                .iter()
                .map(|t| (t.id(), crate::web::layout::fraud_type_name(lang, t.id())))
                .collect(),
            examples,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub(super) struct ResolveForm {
    outcome: String,
    #[serde(default)]
    indicator: Option<i64>,
    #[serde(default)]
    label: Option<String>,
}

pub(super) async fn review_resolve(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ResolveForm>,
) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    let outcome = match f.outcome.as_str() {
        "clear" => Outcome::Clear(f.indicator.into_iter().collect()),
        "label" => Outcome::Label(
            f.label
                .as_deref()
                .unwrap_or("")
                .parse()
                .map_err(|_| AppError::bad_request("intel-err-label"))?,
        ),
        "dismiss" => Outcome::Dismiss,
        _ => return Err(AppError::bad_request("intel-err-outcome")),
    };
    let mut tx = st.db.begin_write().await?;
    service::resolve_review(&mut tx, &st.clock, &by, id, &outcome)
        .await
        .map_err(AppError::from)?;
    tx.commit().await?;
    st.intel.refresh(&st.db, &st.clock).await?;
    Ok(Redirect::to("/intel/reviews").into_response())
}

#[derive(Deserialize)]
pub(super) struct ConflictForm {
    outcome: String,
}

pub(super) async fn conflict_resolve(
    State(st): State<AppState>,
    u: User,
    Path(id): Path<i64>,
    Form(f): Form<ConflictForm>,
) -> AppResult<Response> {
    let by = curator(&st, &u).await?;
    let outcome = match f.outcome.as_str() {
        "keep" => ConflictOutcome::Keep,
        "accept" => ConflictOutcome::Accept,
        _ => return Err(AppError::bad_request("intel-err-outcome")),
    };
    let mut tx = st.db.begin_write().await?;
    service::resolve_conflict(&mut tx, &st.clock, &by, id, outcome)
        .await
        .map_err(AppError::from)?;
    tx.commit().await?;
    st.intel.refresh(&st.db, &st.clock).await?;
    Ok(Redirect::to("/intel/reviews").into_response())
}

/// Labelled examples in the JSONL that `fanzha train --data` reads (`text`, `label`).
pub(super) async fn examples_jsonl(State(st): State<AppState>, u: User) -> AppResult<Response> {
    curator(&st, &u).await?;
    let mut out = String::new();
    for (text, label) in store::examples(&st.db).await? {
        out.push_str(&serde_json::json!({"text": text, "label": label}).to_string());
        out.push('\n');
    }
    Ok(crate::web::download::attachment(
        out,
        "application/x-ndjson; charset=utf-8",
        "labelled-examples.jsonl",
    ))
}

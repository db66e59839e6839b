//! Results: computed from the ballots and score sheets, published by the organiser.

use super::*;
use crate::kernel::ids::UnitId;

/// One line of the results.
#[derive(Clone, Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = ContestResultRow)]
pub struct ResultRow {
    pub rank: usize,
    pub entry_id: i64,
    pub title: String,
    pub school: String,
    /// The team's names when they agreed to show them; else empty.
    pub names: Vec<String>,
    pub votes: i64,
    pub public: f64,
    pub judges: f64,
    pub judge_count: usize,
    pub final_score: f64,
    #[schema(value_type = String)]
    pub media_kind: MediaKind,
    pub video_url: String,
}

/// The results of one category.
#[derive(Clone, Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = ContestCategoryResults)]
pub struct CategoryResults {
    /// `skit`, `short_video`, `talk_show`, `song_dance`, `logo`, `poster` or `other`.
    #[schema(value_type = String)]
    pub category: Category,
    pub rows: Vec<ResultRow>,
}

/// The results of a contest and the counts published with them.
#[derive(Clone, Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = ContestResults)]
pub struct Results {
    pub categories: Vec<CategoryResults>,
    pub entries: usize,
    /// Votes that stand (votes less withdrawals).
    pub ballots: i64,
    /// People with a vote that stands.
    pub voters: i64,
    /// Votes withdrawn (or moved away) while voting was open.
    #[serde(default)]
    pub withdrawn: i64,
    /// Records of the log (votes and withdrawals), as in the export.
    #[serde(default)]
    pub records: i64,
    pub judges: usize,
    pub sheets: usize,
    pub head: String,
    /// The anomaly report's counts (no origin, no person).
    #[serde(default)]
    pub anomalies: crate::contests::anomaly::Counts,
}

/// Computes the results from the stored ballots and score sheets.
pub async fn compute(db: &Db, c: &Contest) -> Result<Results> {
    compute_in(db, c).await
}

/// [`compute`] on a database (the demo publishes without a running app).
pub async fn compute_in(db: &crate::db::Db, c: &Contest) -> Result<Results> {
    let mut conn = db.pool.acquire().await?;
    let entries: Vec<Entry> = store::entries(&mut conn, c.id)
        .await?
        .into_iter()
        .filter(|e| e.status == EntryStatus::Accepted)
        .collect();
    let store::Tally {
        votes,
        voters,
        withdrawals,
    } = store::tally(&mut conn, c.id).await?;
    let scores = store::scores(&mut conn, c.id).await?;
    let judges = store::judges(&mut conn, c.id).await?;
    drop(conn);
    let inputs: Vec<model::ResultInput> = entries
        .iter()
        .map(|e| model::ResultInput {
            entry_id: e.id,
            category: e.category,
            created_at: e.created_at,
            votes: votes.get(&e.id).copied().unwrap_or(0),
        })
        .collect();
    let ranked = model::rank(&c.rules, &inputs, &scores);
    let mut schools: HashMap<UnitId, String> = HashMap::new();
    for e in &entries {
        if let std::collections::hash_map::Entry::Vacant(v) = schools.entry(e.school_id) {
            let name = crate::org::store::unit_by_id(db, e.school_id)
                .await?
                .map(|u| u.name)
                .unwrap_or_default();
            v.insert(name);
        }
    }
    let by_id: HashMap<i64, &Entry> = entries.iter().map(|e| (e.id, e)).collect();
    let mut cats = Vec::new();
    for (cat, list) in ranked {
        let rows = list
            .into_iter()
            .filter_map(|r: Ranked| {
                let e = by_id.get(&r.entry_id)?;
                Some(ResultRow {
                    rank: r.rank,
                    entry_id: r.entry_id,
                    title: e.title.clone(),
                    school: schools.get(&e.school_id).cloned().unwrap_or_default(),
                    names: if e.show_names {
                        e.members.iter().map(|m| m.name.clone()).collect()
                    } else {
                        vec![]
                    },
                    votes: r.votes,
                    public: r.public,
                    judges: r.judges,
                    judge_count: r.judge_count,
                    final_score: r.final_score,
                    media_kind: e.media_kind,
                    video_url: e.video_url.clone(),
                })
            })
            .collect();
        cats.push(CategoryResults {
            category: cat,
            rows,
        });
    }
    Ok(Results {
        categories: cats,
        entries: entries.len(),
        ballots: votes.values().sum(),
        voters,
        withdrawn: withdrawals,
        records: c.ballot_seq,
        judges: judges.len(),
        sheets: scores.len(),
        head: c.last_hash.clone(),
        anomalies: anomaly_counts_in(db, c).await?,
    })
}

/// The published results of a contest (anyone, signed in or not): as stored when published.
pub async fn published(db: &Db, id: i64) -> Result<(Contest, Results)> {
    let mut conn = db.pool.acquire().await?;
    let c = store::contest(&mut conn, id)
        .await?
        .filter(|c| c.published_at.is_some())
        .ok_or(ContestError::NotFound)?;
    let stored = store::results(&mut conn, id).await?;
    drop(conn);
    let r = match stored {
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            ContestError::Db(DbError::Sqlx(sqlx::Error::Decode(
                format!("contests.results: {e}").into(),
            )))
        })?,
        // Published before results were stored: computed (nothing can change after publishing).
        None => compute(db, &c).await?,
    };
    Ok((c, r))
}

/// Publishes the results (organisers, once voting and judging have closed). They are computed
/// once here and stored: no ballot or sheet can change after both windows closed.
pub async fn publish(db: &Db, clock: &Clock, p: &Principal, id: i64) -> Result<()> {
    let (c, s) = open(db, p, id).await?;
    if !s.organiser {
        return Err(ContestError::Refused("contests-err-not-organiser"));
    }
    let now = clock.now_ms();
    if !c.rules.phases.closed_at(now) {
        return Err(ContestError::State("contests-err-not-closed"));
    }
    if c.published_at.is_some() {
        return Err(ContestError::State("contests-err-published"));
    }
    let r = compute(db, &c).await?;
    let json = serde_json::to_string(&r).unwrap_or_default();
    let mut tx = db.begin_write().await?;
    if !store::set_published(&mut tx, c.id, now).await? {
        return Err(ContestError::State("contests-err-published"));
    }
    store::set_results(&mut tx, c.id, &json).await?;
    tx.commit().await?;
    Ok(())
}

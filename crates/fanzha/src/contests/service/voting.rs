//! Public voting: ballots appended to the contest's chained log, receipts, the export.

use super::*;

/// Casts a public vote for an accepted entry, in the voting window, within the rules' limit.
/// The ballot is appended to the contest's chained log; its hash is the voter's receipt.
pub async fn vote(st: &AppState, p: &Principal, id: i64, entry_id: i64) -> Result<BallotLine> {
    let (c, s) = open(st, p, id).await?;
    if !s.may_vote {
        return Err(ContestError::Refused("contests-err-not-voter"));
    }
    let now = st.clock.now_ms();
    if !c.rules.phases.voting_open_at(now) {
        return Err(ContestError::State("contests-err-voting-closed"));
    }
    let mut tx = st.db.begin_write().await?;
    let e = store::entry(&mut tx, c.id, entry_id)
        .await?
        .filter(|e| e.status == EntryStatus::Accepted)
        .ok_or(ContestError::NotFound)?;
    let key = store::vote_key(&mut tx, c.id).await?;
    let voter = voter_pseudonym(key.as_bytes(), p.account_id);
    // The head first: it serialises this contest's ballots, so the counts below are current.
    let (seq, prev) = store::take_seq(&mut tx, c.id).await?;
    let period = period_key(&c.rules, e.category, now);
    if store::has_voted_for(&mut tx, c.id, &voter, &period, e.id).await? {
        return Err(ContestError::State("contests-err-already-voted"));
    }
    let used = store::votes_in_period(&mut tx, c.id, &voter, &period).await?;
    if used >= c.rules.votes_per_person {
        return Err(ContestError::State("contests-err-vote-limit"));
    }
    let category = e.category.as_str().to_string();
    let b = BallotLine {
        hash: ballot_hash(c.id, seq, &voter, e.id, &category, now, &prev),
        seq,
        voter,
        entry: e.id,
        category,
        cast_at: now,
        prev,
    };
    match store::insert_ballot(&mut tx, c.id, &b, &period, used).await {
        Ok(()) => {}
        Err(e) if e.is_unique_violation() => {
            return Err(ContestError::State("contests-err-vote-limit"))
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(b)
}

/// A person's own ballots in a contest (their receipts).
pub async fn my_ballots(st: &AppState, p: &Principal, c: &Contest) -> Result<Vec<BallotLine>> {
    let mut conn = st.db.pool.acquire().await?;
    let key = store::vote_key(&mut conn, c.id).await?;
    let voter = voter_pseudonym(key.as_bytes(), p.account_id);
    Ok(store::ballots_of_voter(&mut conn, c.id, &voter).await?)
}

/// Looks a receipt up in the log (anyone may check a receipt of a contest they can see).
pub async fn receipt(st: &AppState, id: i64, hash: &str) -> Result<Option<BallotLine>> {
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(invalid("contests-err-receipt"));
    }
    let mut conn = st.db.pool.acquire().await?;
    Ok(store::ballot_by_hash(&mut conn, id, &hash).await?)
}

/// The ballot log as JSON lines: a header (the contest, the rules text and hash, the entries),
/// one line per ballot, and the tally with the log's head. Public once results are published;
/// organisers may take it from the close of voting.
pub async fn export(st: &AppState, p: Option<&Principal>, id: i64) -> Result<String> {
    let mut conn = st.db.pool.acquire().await?;
    let c = store::contest(&mut conn, id)
        .await?
        .ok_or(ContestError::NotFound)?;
    if c.published_at.is_none() {
        let p = p.ok_or(ContestError::NotFound)?;
        drop(conn);
        let (_, s) = open(st, p, id).await?;
        if !s.organiser {
            return Err(ContestError::NotFound);
        }
        if st.clock.now_ms() < c.rules.phases.voting_close {
            return Err(ContestError::State("contests-err-voting-not-closed"));
        }
        conn = st.db.pool.acquire().await?;
    }
    let entries: Vec<serde_json::Value> = store::entries(&mut conn, id)
        .await?
        .into_iter()
        .filter(|e| e.status == EntryStatus::Accepted)
        .map(|e| serde_json::json!({"id": e.id, "category": e.category.as_str(), "title": e.title}))
        .collect();
    let ballots = store::ballots(&mut conn, id).await?;
    let mut tally: BTreeMap<String, i64> = BTreeMap::new();
    for b in &ballots {
        *tally.entry(b.entry.to_string()).or_default() += 1;
    }
    let mut out = String::new();
    let header = serde_json::json!({
        "kind": "header",
        "contest": c.id,
        "title": c.title,
        "rules": c.rules_json,
        "rules_hash": c.rules_hash,
        "entries": entries,
    });
    out.push_str(&header.to_string());
    out.push('\n');
    for b in &ballots {
        let mut v = serde_json::to_value(b).unwrap_or_default();
        v["kind"] = "ballot".into();
        out.push_str(&v.to_string());
        out.push('\n');
    }
    let head = ballots
        .last()
        .map_or_else(|| genesis_hash(c.id, &c.rules_hash), |b| b.hash.clone());
    out.push_str(
        &serde_json::json!({"kind": "tally", "ballots": ballots.len(), "head": head, "votes": tally})
            .to_string(),
    );
    out.push('\n');
    Ok(out)
}

//! Public voting: ballots appended to the contest's chained log, receipts, the export.

use super::*;

/// Where a ballot was sent from, as the request showed it (the client's address and its user
/// agent). Only pseudonyms of it are kept, apart from the log, for the anomaly report.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: String,
}

/// Casts a public vote for an accepted entry, in the voting window, within the rules' limit.
/// The ballot is appended to the contest's chained log; its hash is the voter's receipt.
pub async fn vote(st: &AppState, p: &Principal, id: i64, entry_id: i64) -> Result<BallotLine> {
    vote_from(st, p, id, entry_id, &Origin::default()).await
}

/// [`vote`], recording where the ballot came from for the anomaly report.
pub async fn vote_from(
    st: &AppState,
    p: &Principal,
    id: i64,
    entry_id: i64,
    origin: &Origin,
) -> Result<BallotLine> {
    let (c, now) = voting_now(st, p, id).await?;
    let seen = seen_origin(st, p, origin).await?;
    let mut tx = st.db.begin_write().await?;
    let b = append(&mut tx, &c, p, entry_id, now, false).await?;
    record_origin(&mut tx, &c, &b, &seen).await?;
    tx.commit().await?;
    Ok(b)
}

/// Withdraws the caller's vote for an entry (only where the rules allow it, while voting is
/// open). The log keeps the vote and gains a withdrawal record, chained like a vote; its hash is
/// the receipt.
pub async fn withdraw(st: &AppState, p: &Principal, id: i64, entry_id: i64) -> Result<BallotLine> {
    let (c, now) = voting_now(st, p, id).await?;
    if !c.rules.allow_withdraw {
        return Err(ContestError::State("contests-err-no-withdraw"));
    }
    let mut tx = st.db.begin_write().await?;
    let b = append(&mut tx, &c, p, entry_id, now, true).await?;
    tx.commit().await?;
    Ok(b)
}

/// Moves the caller's vote from one entry to another in one transaction: the withdrawal and the
/// new vote are appended together or not at all.
pub async fn change_vote(
    st: &AppState,
    p: &Principal,
    id: i64,
    from: i64,
    to: i64,
    origin: &Origin,
) -> Result<(BallotLine, BallotLine)> {
    let (c, now) = voting_now(st, p, id).await?;
    if !c.rules.allow_withdraw {
        return Err(ContestError::State("contests-err-no-withdraw"));
    }
    if from == to {
        return Err(invalid("contests-err-change-same"));
    }
    let seen = seen_origin(st, p, origin).await?;
    let mut tx = st.db.begin_write().await?;
    let w = append(&mut tx, &c, p, from, now, true).await?;
    let v = append(&mut tx, &c, p, to, now, false).await?;
    record_origin(&mut tx, &c, &v, &seen).await?;
    tx.commit().await?;
    Ok((w, v))
}

/// The contest if the caller may vote in it now.
async fn voting_now(st: &AppState, p: &Principal, id: i64) -> Result<(Contest, i64)> {
    let (c, s) = open(st, p, id).await?;
    if !s.may_vote {
        return Err(ContestError::Refused("contests-err-not-voter"));
    }
    let now = st.clock.now_ms();
    if !c.rules.phases.voting_open_at(now) {
        return Err(ContestError::State("contests-err-voting-closed"));
    }
    Ok((c, now))
}

/// What is known of a ballot's origin before the write: the voter's class or unit and when
/// their account became usable.
struct SeenOrigin {
    ip: String,
    user_agent: String,
    unit_path: String,
    account_since: i64,
}

async fn seen_origin(st: &AppState, p: &Principal, o: &Origin) -> Result<SeenOrigin> {
    // The deepest of the person's places: a student's class.
    let unit_path = places(st, p)
        .await?
        .into_iter()
        .max_by_key(|p| p.len())
        .unwrap_or_default();
    let account_since = crate::auth::store::account_by_id(&st.db, p.account_id)
        .await?
        .and_then(|a| a.activated_at)
        .unwrap_or(0);
    Ok(SeenOrigin {
        ip: o.ip.clone(),
        user_agent: o.user_agent.clone(),
        unit_path,
        account_since,
    })
}

async fn record_origin(
    tx: &mut AnyConnection,
    c: &Contest,
    b: &BallotLine,
    o: &SeenOrigin,
) -> Result<()> {
    let key = store::vote_key(tx, c.id).await?;
    let pseudo = |kind: &str, v: &str| {
        if v.is_empty() {
            String::new()
        } else {
            model::keyed_hash(key.as_bytes(), &format!("{kind}:{v}"))
        }
    };
    let origin = super::super::anomaly::Origin {
        seq: b.seq,
        net: pseudo("net", &super::super::anomaly::network_of(&o.ip)),
        device: pseudo("ua", o.user_agent.trim()),
        unit_path: o.unit_path.clone(),
        account_since: o.account_since,
        cast_at: b.cast_at,
    };
    store::insert_origin(tx, c.id, &origin).await?;
    Ok(())
}

/// Appends a vote (or a withdrawal) of the caller for an entry, inside the caller's write
/// transaction. The head is taken first: it serialises this contest's ballots, so the counts
/// checked after it are current and the limit holds under concurrent submissions.
async fn append(
    tx: &mut AnyConnection,
    c: &Contest,
    p: &Principal,
    entry_id: i64,
    now: i64,
    withdraw: bool,
) -> Result<BallotLine> {
    let e = store::entry(tx, c.id, entry_id)
        .await?
        .filter(|e| e.status == EntryStatus::Accepted)
        .ok_or(ContestError::NotFound)?;
    let key = store::vote_key(tx, c.id).await?;
    let voter = voter_pseudonym(key.as_bytes(), p.account_id);
    let (seq, prev) = store::take_seq(tx, c.id).await?;
    let period = period_key(&c.rules, e.category, now);
    let n = store::voter_counts(tx, c.id, &voter, &period, e.id).await?;
    if withdraw {
        if n.live_for_entry <= 0 {
            return Err(ContestError::State("contests-err-not-voted"));
        }
    } else {
        if n.live_for_entry > 0 {
            return Err(ContestError::State("contests-err-already-voted"));
        }
        if n.live >= c.rules.votes_per_person {
            return Err(ContestError::State("contests-err-vote-limit"));
        }
    }
    let mut b = BallotLine {
        hash: String::new(),
        seq,
        voter,
        entry: e.id,
        category: e.category.as_str().to_string(),
        cast_at: now,
        prev,
        withdraw,
    };
    b.hash = b.expected_hash(c.id);
    match store::insert_ballot(tx, c.id, &b, &period, n.records).await {
        Ok(()) => Ok(b),
        Err(e) if e.is_unique_violation() => Err(ContestError::State("contests-err-vote-limit")),
        Err(e) => Err(e.into()),
    }
}

/// How many more votes the caller may cast in the period an entry's vote would count in, and
/// the entries their live votes of that period are for.
pub async fn votes_left(
    st: &AppState,
    p: &Principal,
    c: &Contest,
    category: Category,
) -> Result<(i64, Vec<i64>)> {
    let period = period_key(&c.rules, category, st.clock.now_ms());
    let mine = my_ballots(st, p, c).await?;
    let mut live: BTreeMap<i64, i64> = BTreeMap::new();
    for b in &mine {
        let cat = Category::parse(&b.category).unwrap_or(category);
        if period_key(&c.rules, cat, b.cast_at) == period {
            *live.entry(b.entry).or_default() += if b.withdraw { -1 } else { 1 };
        }
    }
    let entries: Vec<i64> = live
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(e, _)| e)
        .collect();
    Ok((
        (c.rules.votes_per_person - entries.len() as i64).max(0),
        entries,
    ))
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
        *tally.entry(b.entry.to_string()).or_default() += if b.withdraw { -1 } else { 1 };
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

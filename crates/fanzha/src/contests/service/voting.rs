//! Public voting: ballots appended to the contest's chained log, receipts, the export.

use std::sync::Arc;

use futures::stream::{BoxStream, StreamExt};

use super::*;
use crate::contests::writer::{Append, SeenOrigin};

/// Where a ballot was sent from, as the request showed it (the client's address and its user
/// agent). Only pseudonyms of it are kept, apart from the log, for the anomaly report.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: String,
}

/// Casts a public vote for an accepted entry, in the voting window, within the rules' limit.
/// The ballot is appended to the contest's chained log; its hash is the voter's receipt.
pub async fn vote(
    db: &Db,
    clock: &Clock,
    writers: &Writers,
    p: &Principal,
    id: i64,
    entry_id: i64,
) -> Result<BallotLine> {
    vote_from(db, clock, writers, p, id, entry_id, &Origin::default()).await
}

/// [`vote`], recording where the ballot came from for the anomaly report.
pub async fn vote_from(
    db: &Db,
    clock: &Clock,
    writers: &Writers,
    p: &Principal,
    id: i64,
    entry_id: i64,
    origin: &Origin,
) -> Result<BallotLine> {
    let (c, places) = voting_now(db, clock, p, id).await?;
    let seen = seen_origin(db, p, places, origin).await?;
    let mut lines = append(writers, p, c, vec![(entry_id, false)], Some(seen)).await?;
    lines.pop().ok_or(ContestError::NotFound)
}

/// Withdraws the caller's vote for an entry (only where the rules allow it, while voting is
/// open). The log keeps the vote and gains a withdrawal record, chained like a vote; its hash is
/// the receipt.
pub async fn withdraw(
    db: &Db,
    clock: &Clock,
    writers: &Writers,
    p: &Principal,
    id: i64,
    entry_id: i64,
) -> Result<BallotLine> {
    let (c, _) = voting_now(db, clock, p, id).await?;
    if !c.rules.allow_withdraw {
        return Err(ContestError::State("contests-err-no-withdraw"));
    }
    let mut lines = append(writers, p, c, vec![(entry_id, true)], None).await?;
    lines.pop().ok_or(ContestError::NotFound)
}

/// Moves the caller's vote from one entry to another in one transaction: the withdrawal and the
/// new vote are appended together or not at all.
// The parts of the app a use case needs, the caller, then the input: each used once.
#[allow(clippy::too_many_arguments)]
pub async fn change_vote(
    db: &Db,
    clock: &Clock,
    writers: &Writers,
    p: &Principal,
    id: i64,
    from: i64,
    to: i64,
    origin: &Origin,
) -> Result<(BallotLine, BallotLine)> {
    let (c, places) = voting_now(db, clock, p, id).await?;
    if !c.rules.allow_withdraw {
        return Err(ContestError::State("contests-err-no-withdraw"));
    }
    if from == to {
        return Err(invalid("contests-err-change-same"));
    }
    let seen = seen_origin(db, p, places, origin).await?;
    let mut lines = append(writers, p, c, vec![(from, true), (to, false)], Some(seen)).await?;
    let v = lines.pop().ok_or(ContestError::NotFound)?;
    let w = lines.pop().ok_or(ContestError::NotFound)?;
    Ok((w, v))
}

/// The contest and the caller's places if the caller may vote in it now. A voter is found from
/// their places and the rules alone; anyone else gets the answer [`open`] gives (404 to one
/// who may not see the contest, else 403).
async fn voting_now(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    id: i64,
) -> Result<(Contest, Vec<String>)> {
    let places = places(db, p).await?;
    let c = {
        let mut conn = db.pool.acquire().await?;
        store::contest(&mut conn, id)
            .await?
            .ok_or(ContestError::NotFound)?
    };
    if !under(&places, &c.rules.voter_units) {
        open(db, p, id).await?;
        return Err(ContestError::Refused("contests-err-not-voter"));
    }
    if !c.rules.phases.voting_open_at(clock.now_ms()) {
        return Err(ContestError::State("contests-err-voting-closed"));
    }
    Ok((c, places))
}

/// What is known of a ballot's origin before the write: the voter's class or unit (the deepest
/// of their places) and when their account became usable.
async fn seen_origin(
    db: &Db,
    p: &Principal,
    places: Vec<String>,
    o: &Origin,
) -> Result<SeenOrigin> {
    let unit_path = places
        .into_iter()
        .max_by_key(|p| p.len())
        .unwrap_or_default();
    let account_since = crate::auth::store::account_by_id(db, p.account_id)
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

/// Appends the caller's records (votes and withdrawals, together or not at all) through the
/// contest's writer (see [`crate::contests::writer`]): it serialises this contest's appends on
/// the contest row, so the counts it checks are current and the limit holds under concurrent
/// submissions, and answers after the commit.
async fn append(
    writers: &Writers,
    p: &Principal,
    c: Contest,
    steps: Vec<(i64, bool)>,
    origin: Option<SeenOrigin>,
) -> Result<Vec<BallotLine>> {
    writers
        .append(
            c.id,
            Append {
                rules: Arc::new(c.rules),
                account_id: p.account_id,
                steps,
                origin,
                at: None,
            },
        )
        .await
}

/// How many more votes the caller may cast in the period an entry's vote would count in, and
/// the entries their live votes of that period are for.
pub async fn votes_left(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    c: &Contest,
    category: Category,
) -> Result<(i64, Vec<i64>)> {
    let period = period_key(&c.rules, category, clock.now_ms());
    let mine = my_ballots(db, p, c).await?;
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
pub async fn my_ballots(db: &Db, p: &Principal, c: &Contest) -> Result<Vec<BallotLine>> {
    let mut conn = db.pool.acquire().await?;
    let key = store::vote_key(&mut conn, c.id).await?;
    let voter = voter_pseudonym(key.as_bytes(), p.account_id);
    Ok(store::ballots_of_voter(&mut conn, c.id, &voter).await?)
}

/// Looks a receipt up in the log (anyone may check a receipt of a contest they can see).
pub async fn receipt(db: &Db, id: i64, hash: &str) -> Result<Option<BallotLine>> {
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(invalid("contests-err-receipt"));
    }
    let mut conn = db.pool.acquire().await?;
    Ok(store::ballot_by_hash(&mut conn, id, &hash).await?)
}

/// Records of the log read per page of the export: the export holds this many in memory at most.
pub const EXPORT_PAGE: i64 = 1000;

/// The ballot log as JSON lines, in pieces to send as they come: a header (the contest, the
/// rules text and hash, the entries), one line per record, and the tally with the log's head.
pub type ExportStream = BoxStream<'static, Result<Vec<u8>>>;

/// The ballot log's export, read from the database a page at a time (keyset on the position)
/// while it is sent, so a log of any length is exported in bounded memory. It ends at the head
/// the log had when the export began. Public once results are published; organisers may take
/// it from the close of voting.
pub async fn export(
    db: &Db,
    clock: &Clock,
    p: Option<&Principal>,
    id: i64,
) -> Result<ExportStream> {
    let mut conn = db.pool.acquire().await?;
    let c = store::contest(&mut conn, id)
        .await?
        .ok_or(ContestError::NotFound)?;
    if c.published_at.is_none() {
        let p = p.ok_or(ContestError::NotFound)?;
        drop(conn);
        let (_, s) = open(db, p, id).await?;
        if !s.organiser {
            return Err(ContestError::NotFound);
        }
        if clock.now_ms() < c.rules.phases.voting_close {
            return Err(ContestError::State("contests-err-voting-not-closed"));
        }
        conn = db.pool.acquire().await?;
    }
    let entries: Vec<serde_json::Value> = store::entries(&mut conn, id)
        .await?
        .into_iter()
        .filter(|e| e.status == EntryStatus::Accepted)
        .map(|e| serde_json::json!({"id": e.id, "category": e.category.as_str(), "title": e.title}))
        .collect();
    // The head when the export begins: the log is append-only, so the records up to it are
    // fixed, whatever is appended while the pages are read.
    let upto = store::contest(&mut conn, id)
        .await?
        .ok_or(ContestError::NotFound)?
        .ballot_seq;
    drop(conn);
    let mut header = serde_json::json!({
        "kind": "header",
        "contest": c.id,
        "title": c.title,
        "rules": c.rules_json,
        "rules_hash": c.rules_hash,
        "entries": entries,
    })
    .to_string()
    .into_bytes();
    header.push(b'\n');
    let pages = Pages {
        db: db.clone(),
        contest_id: id,
        after: 0,
        upto,
        count: 0,
        head: genesis_hash(c.id, &c.rules_hash),
        tally: BTreeMap::new(),
        done: false,
    };
    let body = futures::stream::iter([Ok(header)]).chain(futures::stream::try_unfold(
        pages,
        |mut pg| async move {
            if pg.done {
                return Ok(None);
            }
            let page = pg.next_page().await?;
            Ok(Some((page, pg)))
        },
    ));
    Ok(body.boxed())
}

/// Where an export stands: the last position sent, and the tally and head so far.
struct Pages {
    db: crate::db::Db,
    contest_id: i64,
    after: i64,
    upto: i64,
    count: usize,
    head: String,
    tally: BTreeMap<String, i64>,
    done: bool,
}

impl Pages {
    /// The next page's lines; after the last record, the tally line.
    async fn next_page(&mut self) -> Result<Vec<u8>> {
        let lines = {
            let mut conn = self.db.pool.acquire().await?;
            store::ballots_page(
                &mut conn,
                self.contest_id,
                self.after,
                self.upto,
                EXPORT_PAGE,
            )
            .await?
        };
        let mut out: Vec<u8> = Vec::with_capacity(lines.len() * 340 + 256);
        for b in &lines {
            *self.tally.entry(b.entry.to_string()).or_default() += if b.withdraw { -1 } else { 1 };
            b.write_export_line(&mut out);
        }
        self.count += lines.len();
        if let Some(last) = lines.last() {
            self.after = last.seq;
            self.head.clone_from(&last.hash);
        }
        if (lines.len() as i64) < EXPORT_PAGE {
            let tally = std::mem::take(&mut self.tally);
            out.extend_from_slice(
                serde_json::json!({"kind": "tally", "ballots": self.count, "head": self.head, "votes": tally})
                    .to_string()
                    .as_bytes(),
            );
            out.push(b'\n');
            self.done = true;
        }
        Ok(out)
    }
}

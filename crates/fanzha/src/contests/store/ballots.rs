//! The ballot log (votes and withdrawals, chained per contest) and where votes came from.

use std::collections::HashMap;

use super::*;
use crate::contests::anomaly::Origin;
use crate::contests::model::BallotLine;

/// What a voter has in a period: live votes (votes less withdrawals), live votes for one entry,
/// and the records written (the next record's `slot`).
pub struct VoterCounts {
    pub live: i64,
    pub live_for_entry: i64,
    pub records: i64,
}

/// Counts a voter's records in a period of a contest (inside the caller's transaction, after
/// [`take_seq`] so the counts are current).
pub async fn voter_counts(
    tx: &mut AnyConnection,
    contest_id: i64,
    voter: &str,
    period: &str,
    entry_id: i64,
) -> DbResult<VoterCounts> {
    let r = sqlx::query(
        "SELECT COUNT(*), \
         COALESCE(SUM(CASE WHEN kind = 'vote' THEN 1 ELSE -1 END), 0), \
         COALESCE(SUM(CASE WHEN entry_id = $4 THEN (CASE WHEN kind = 'vote' THEN 1 ELSE -1 END) ELSE 0 END), 0) \
         FROM contest_ballots WHERE contest_id = $1 AND voter = $2 AND period = $3",
    )
    .bind(contest_id)
    .bind(voter)
    .bind(period)
    .bind(entry_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(VoterCounts {
        records: r.try_get(0)?,
        live: r.try_get(1)?,
        live_for_entry: r.try_get(2)?,
    })
}

/// Appends a record (vote or withdrawal) and moves the head; the unique keys refuse a second
/// record at one position or a second n-th record of a voter in a period.
pub async fn insert_ballot(
    tx: &mut AnyConnection,
    contest_id: i64,
    b: &BallotLine,
    period: &str,
    slot: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO contest_ballots (contest_id, seq, kind, voter, entry_id, category, cast_at, period, slot, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(contest_id)
    .bind(b.seq)
    .bind(if b.withdraw { "withdraw" } else { "vote" })
    .bind(&b.voter)
    .bind(b.entry)
    .bind(&b.category)
    .bind(b.cast_at)
    .bind(period)
    .bind(slot)
    .bind(&b.prev)
    .bind(&b.hash)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE contests SET last_hash = $2 WHERE id = $1")
        .bind(contest_id)
        .bind(&b.hash)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Records where a vote came from (never exported).
pub async fn insert_origin(tx: &mut AnyConnection, contest_id: i64, o: &Origin) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO contest_ballot_origins (contest_id, seq, net, device, unit_path, account_since, cast_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(contest_id)
    .bind(o.seq)
    .bind(&o.net)
    .bind(&o.device)
    .bind(&o.unit_path)
    .bind(o.account_since)
    .bind(o.cast_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The origins of the votes still standing (a withdrawn vote's origin is left out).
pub async fn origins(conn: &mut AnyConnection, contest_id: i64) -> DbResult<Vec<Origin>> {
    let rows = sqlx::query(
        "SELECT o.seq, o.net, o.device, o.unit_path, o.account_since, o.cast_at \
         FROM contest_ballot_origins o JOIN contest_ballots b ON b.contest_id = o.contest_id AND b.seq = o.seq \
         WHERE o.contest_id = $1 AND b.kind = 'vote' AND NOT EXISTS ( \
           SELECT 1 FROM contest_ballots w WHERE w.contest_id = b.contest_id AND w.voter = b.voter \
           AND w.entry_id = b.entry_id AND w.period = b.period AND w.kind = 'withdraw' AND w.seq > b.seq) \
         ORDER BY o.cast_at, o.seq",
    )
    .bind(contest_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Origin {
                seq: r.try_get(0)?,
                net: r.try_get(1)?,
                device: r.try_get(2)?,
                unit_path: r.try_get(3)?,
                account_since: r.try_get(4)?,
                cast_at: r.try_get(5)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

const BALLOT_COLS: &str = "seq, voter, entry_id, category, cast_at, prev_hash, hash, kind";

fn ballot_row(r: &AnyRow) -> Result<BallotLine, sqlx::Error> {
    let kind: String = r.try_get(7)?;
    Ok(BallotLine {
        seq: r.try_get(0)?,
        voter: r.try_get(1)?,
        entry: r.try_get(2)?,
        category: r.try_get(3)?,
        cast_at: r.try_get(4)?,
        prev: r.try_get(5)?,
        hash: r.try_get(6)?,
        withdraw: crate::db::decode(
            &kind,
            |k| match k {
                "vote" => Some(false),
                "withdraw" => Some(true),
                _ => None,
            },
            "kind",
        )?,
    })
}

pub async fn ballot_by_hash(
    conn: &mut AnyConnection,
    contest_id: i64,
    hash: &str,
) -> DbResult<Option<BallotLine>> {
    let r = sqlx::query(&format!(
        "SELECT {BALLOT_COLS} FROM contest_ballots WHERE contest_id = $1 AND hash = $2"
    ))
    .bind(contest_id)
    .bind(hash)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.as_ref().map(ballot_row).transpose()?)
}

/// A voter's records in a contest (their receipts), oldest first.
pub async fn ballots_of_voter(
    conn: &mut AnyConnection,
    contest_id: i64,
    voter: &str,
) -> DbResult<Vec<BallotLine>> {
    let rows = sqlx::query(&format!(
        "SELECT {BALLOT_COLS} FROM contest_ballots WHERE contest_id = $1 AND voter = $2 ORDER BY seq"
    ))
    .bind(contest_id)
    .bind(voter)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(ballot_row).collect::<Result<_, _>>()?)
}

/// A page of the log in chain order: the records after position `after`, up to position `upto`
/// (the head when the export began, so records appended meanwhile are left out), at most `limit`.
pub async fn ballots_page(
    conn: &mut AnyConnection,
    contest_id: i64,
    after: i64,
    upto: i64,
    limit: i64,
) -> DbResult<Vec<BallotLine>> {
    let rows = sqlx::query(&format!(
        "SELECT {BALLOT_COLS} FROM contest_ballots WHERE contest_id = $1 AND seq > $2 AND seq <= $3 \
         ORDER BY seq LIMIT $4"
    ))
    .bind(contest_id)
    .bind(after)
    .bind(upto)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(ballot_row).collect::<Result<_, _>>()?)
}

/// How many records the log holds.
pub async fn ballot_count(conn: &mut AnyConnection, contest_id: i64) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM contest_ballots WHERE contest_id = $1")
            .bind(contest_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// What the log holds: standing votes per entry (votes less withdrawals), the voters with a
/// standing vote, and the withdrawals.
pub struct Tally {
    pub votes: HashMap<i64, i64>,
    pub voters: i64,
    pub withdrawals: i64,
}

pub async fn tally(conn: &mut AnyConnection, contest_id: i64) -> DbResult<Tally> {
    let rows = sqlx::query(
        "SELECT entry_id, SUM(CASE WHEN kind = 'vote' THEN 1 ELSE -1 END), \
         SUM(CASE WHEN kind = 'withdraw' THEN 1 ELSE 0 END) FROM contest_ballots \
         WHERE contest_id = $1 GROUP BY entry_id",
    )
    .bind(contest_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut votes = HashMap::new();
    let mut withdrawals = 0;
    for r in rows {
        votes.insert(r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?);
        withdrawals += r.try_get::<i64, _>(2)?;
    }
    // A withdrawal is only ever of a standing vote, so a voter's records sum above zero exactly
    // when one of their votes stands.
    let voters: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT voter FROM contest_ballots WHERE contest_id = $1 \
         GROUP BY voter HAVING SUM(CASE WHEN kind = 'vote' THEN 1 ELSE -1 END) > 0) v",
    )
    .bind(contest_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Tally {
        votes,
        voters,
        withdrawals,
    })
}

/// Takes the contest row's write lock for an append and reads the log's head: the last
/// position and its hash. Appends of every process to one contest are serialised on this lock
/// (on SQLite the write transaction already is), and the head is read afresh each time, so a
/// writer holds no state a restart or another process could make stale.
pub async fn lock_head(tx: &mut AnyConnection, contest_id: i64) -> DbResult<(i64, String)> {
    let r = sqlx::query(
        "UPDATE contests SET ballot_seq = ballot_seq WHERE id = $1 RETURNING ballot_seq, last_hash",
    )
    .bind(contest_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok((r.try_get(0)?, r.try_get(1)?))
}

/// Moves the head after a batch of appends.
pub async fn set_head_at(
    tx: &mut AnyConnection,
    contest_id: i64,
    seq: i64,
    hash: &str,
) -> DbResult<()> {
    sqlx::query("UPDATE contests SET ballot_seq = $2, last_hash = $3 WHERE id = $1")
        .bind(contest_id)
        .bind(seq)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The accepted entries of a contest and their categories (what a vote may be for).
pub async fn accepted_entries(
    tx: &mut AnyConnection,
    contest_id: i64,
) -> DbResult<HashMap<i64, String>> {
    let rows = sqlx::query(
        "SELECT id, category FROM contest_entries WHERE contest_id = $1 AND status = 'accepted'",
    )
    .bind(contest_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut m = HashMap::with_capacity(rows.len());
    for r in rows {
        m.insert(r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?);
    }
    Ok(m)
}

/// The records of some voters, grouped: (voter, period, entry, is a withdrawal, how many).
pub async fn voters_records(
    tx: &mut AnyConnection,
    contest_id: i64,
    voters: &[&str],
) -> DbResult<Vec<(String, String, i64, bool, i64)>> {
    let mut out = Vec::new();
    for chunk in voters.chunks(500) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT voter, period, entry_id, kind, COUNT(*) FROM contest_ballots \
             WHERE contest_id = $1 AND voter IN ({}) GROUP BY voter, period, entry_id, kind",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(contest_id);
        for v in chunk {
            q = q.bind(*v);
        }
        for r in q.fetch_all(&mut *tx).await? {
            let kind: String = r.try_get(3)?;
            out.push((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                kind == "withdraw",
                r.try_get(4)?,
            ));
        }
    }
    Ok(out)
}

/// A record to append, with the key its limit counts in (`period`, `slot`).
pub struct NewBallot {
    pub line: BallotLine,
    pub period: String,
    pub slot: i64,
}

/// Appends records in multi-row inserts (the unique keys still refuse a second record at one
/// position or a second n-th record of a voter in a period). The caller moves the head.
pub async fn insert_ballots(
    tx: &mut AnyConnection,
    contest_id: i64,
    rows: &[NewBallot],
) -> DbResult<()> {
    for chunk in rows.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO contest_ballots (contest_id, seq, kind, voter, entry_id, category, cast_at, period, slot, prev_hash, hash) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 10 + 2;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "($1, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b,
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9
            ));
        }
        let mut q = sqlx::query(&sql).bind(contest_id);
        for n in chunk {
            let b = &n.line;
            q = q
                .bind(b.seq)
                .bind(if b.withdraw { "withdraw" } else { "vote" })
                .bind(&b.voter)
                .bind(b.entry)
                .bind(&b.category)
                .bind(b.cast_at)
                .bind(&n.period)
                .bind(n.slot)
                .bind(&b.prev)
                .bind(&b.hash);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Records where votes came from, in multi-row inserts (never exported).
pub async fn insert_origins(
    tx: &mut AnyConnection,
    contest_id: i64,
    rows: &[Origin],
) -> DbResult<()> {
    for chunk in rows.chunks(300) {
        let mut sql = String::from(
            "INSERT INTO contest_ballot_origins (contest_id, seq, net, device, unit_path, account_since, cast_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 6 + 2;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "($1, ${}, ${}, ${}, ${}, ${}, ${})",
                b,
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
        }
        let mut q = sqlx::query(&sql).bind(contest_id);
        for o in chunk {
            q = q
                .bind(o.seq)
                .bind(&o.net)
                .bind(&o.device)
                .bind(&o.unit_path)
                .bind(o.account_since)
                .bind(o.cast_at);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

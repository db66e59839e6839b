//! The ballot log (votes and withdrawals, chained per contest) and where votes came from.

use std::collections::HashMap;

use super::*;
use crate::contests::anomaly::Origin;
use crate::contests::model::BallotLine;

/// The origins of the votes still standing (a withdrawn vote's origin is left out).
pub async fn origins(conn: &mut AnyConnection, contest_id: i64) -> DbResult<Vec<Origin>> {
    let rows = sqlx::query(
        "SELECT o.seq AS seq, o.net AS net, o.device AS device, o.unit_path AS unit_path, \
         o.account_since AS account_since, o.cast_at AS cast_at \
         FROM contest_ballot_origins o JOIN contest_ballots b ON b.contest_id = o.contest_id AND b.seq = o.seq \
         WHERE o.contest_id = $1 AND b.kind = 'vote' AND NOT EXISTS ( \
           SELECT 1 FROM contest_ballots w WHERE w.contest_id = b.contest_id AND w.voter = b.voter \
           AND w.entry_id = b.entry_id AND w.period = b.period AND w.kind = 'withdraw' AND w.seq > b.seq) \
         ORDER BY o.cast_at, o.seq",
    )
    .bind(contest_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(origin_from).collect::<Result<_, _>>()?)
}

fn origin_from(r: &AnyRow) -> Result<Origin, sqlx::Error> {
    Ok(Origin {
        seq: r.try_get("seq")?,
        net: r.try_get("net")?,
        device: r.try_get("device")?,
        unit_path: r.try_get("unit_path")?,
        account_since: r.try_get("account_since")?,
        cast_at: r.try_get("cast_at")?,
    })
}

const BALLOT_COLS: &str = "seq, voter, entry_id, category, cast_at, prev_hash, hash, kind";

fn ballot_row(r: &AnyRow) -> Result<BallotLine, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    Ok(BallotLine {
        seq: r.try_get("seq")?,
        voter: r.try_get("voter")?,
        entry: r.try_get("entry_id")?,
        category: r.try_get("category")?,
        cast_at: r.try_get("cast_at")?,
        prev: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
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
        "SELECT entry_id, SUM(CASE WHEN kind = 'vote' THEN 1 ELSE -1 END) AS standing, \
         SUM(CASE WHEN kind = 'withdraw' THEN 1 ELSE 0 END) AS withdrawals FROM contest_ballots \
         WHERE contest_id = $1 GROUP BY entry_id",
    )
    .bind(contest_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut votes = HashMap::new();
    let mut withdrawals = 0;
    for r in rows {
        votes.insert(
            r.try_get::<i64, _>("entry_id")?,
            r.try_get::<i64, _>("standing")?,
        );
        withdrawals += r.try_get::<i64, _>("withdrawals")?;
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
    Ok((r.try_get("ballot_seq")?, r.try_get("last_hash")?))
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
        m.insert(
            r.try_get::<i64, _>("id")?,
            r.try_get::<String, _>("category")?,
        );
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
            "SELECT voter, period, entry_id, kind, COUNT(*) AS n FROM contest_ballots \
             WHERE contest_id = $1 AND voter IN ({}) GROUP BY voter, period, entry_id, kind",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(contest_id);
        for v in chunk {
            q = q.bind(*v);
        }
        for r in q.fetch_all(&mut *tx).await? {
            out.push(records_from(&r)?);
        }
    }
    Ok(out)
}

/// (voter, period, entry, is a withdrawal, how many)
fn records_from(r: &AnyRow) -> Result<(String, String, i64, bool, i64), sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    Ok((
        r.try_get("voter")?,
        r.try_get("period")?,
        r.try_get("entry_id")?,
        kind == "withdraw",
        r.try_get("n")?,
    ))
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

//! `fanzha contests verify FILE`: checks an exported ballot log from the file alone — the rules
//! text against its published hash, every ballot's hash and link to the one before, the positions,
//! the voting window and the vote limits of the rules, the entries voted for, withdrawals (allowed by
//! the rules, of a vote cast) — and recomputes the tally (votes less withdrawals), which must equal the tally line. Nothing else is read; the
//! file is read line by line and each line parsed in place, so a log of millions of ballots
//! takes little memory.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Write};

use chrono::Datelike;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::model::{genesis_hash, sha256_hex, Category, Rules, VotePeriod};

/// What a log that checks out says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub contest: i64,
    pub title: String,
    pub rules_hash: String,
    pub ballots: usize,
    pub voters: usize,
    pub head: String,
    /// Votes per entry: (entry id, title, votes), most votes first.
    pub tally: Vec<(i64, String, i64)>,
}

#[derive(Deserialize)]
struct Header {
    kind: String,
    contest: i64,
    title: String,
    rules: String,
    rules_hash: String,
    entries: Vec<HeaderEntry>,
}

#[derive(Deserialize)]
struct HeaderEntry {
    id: i64,
    category: String,
    title: String,
}

/// A line after the header, read in place (no copies of its text): a ballot, or the tally.
#[derive(Deserialize)]
struct Line<'a> {
    kind: &'a str,
    seq: Option<i64>,
    voter: Option<&'a str>,
    entry: Option<i64>,
    category: Option<&'a str>,
    cast_at: Option<i64>,
    prev: Option<&'a str>,
    hash: Option<&'a str>,
    #[serde(default)]
    withdraw: bool,
    ballots: Option<usize>,
    head: Option<&'a str>,
    votes: Option<BTreeMap<String, i64>>,
}

/// 64 lowercase hex digits as 32 bytes (the form every hash and pseudonym of a log takes).
fn unhex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = digit(b[2 * i])? << 4 | digit(b[2 * i + 1])?;
    }
    Some(out)
}

/// Checks the export; the error names the line (1-based) and what is wrong.
pub fn verify(text: &str) -> Result<Verified, String> {
    verify_reader(text.as_bytes())
}

/// [`verify`] on a file, read line by line (the file is never held whole).
pub fn verify_file(path: &std::path::Path) -> Result<Verified, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    verify_reader(std::io::BufReader::with_capacity(1 << 20, f))
}

/// [`verify`] on a stream of lines: each line is parsed in place and hashed as it comes; what is
/// kept is one count per voter, period and entry.
pub fn verify_reader(mut r: impl BufRead) -> Result<Verified, String> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut n = 0usize;
    // The next non-empty line, its number, or None at the end.
    let mut next = |buf: &mut Vec<u8>| -> Result<Option<usize>, String> {
        loop {
            buf.clear();
            let read = r
                .read_until(b'\n', buf)
                .map_err(|e| format!("line {}: {e}", n + 1))?;
            if read == 0 {
                return Ok(None);
            }
            n += 1;
            if !buf.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(n));
            }
        }
    };
    if next(&mut buf)?.is_none() {
        return Err("the file needs a header line and a tally line".into());
    }
    let header: Header =
        serde_json::from_slice(&buf).map_err(|e| format!("line 1: not a header: {e}"))?;
    if header.kind != "header" {
        return Err("line 1: not a header".into());
    }
    if sha256_hex(header.rules.as_bytes()) != header.rules_hash {
        return Err("line 1: the rules do not match their published hash".into());
    }
    let rules: Rules =
        serde_json::from_str(&header.rules).map_err(|e| format!("line 1: rules: {e}"))?;
    let tz = rules.tz();
    let entries: HashMap<i64, (&str, Category)> = header
        .entries
        .iter()
        .filter_map(|e| Category::parse(&e.category).map(|c| (e.id, (e.category.as_str(), c))))
        .collect();
    // What a vote's limit counts over, as a number: equal exactly when `period_key` is.
    let period = |cat: Category, cast_at: i64| -> i64 {
        match rules.vote_period {
            VotePeriod::Contest => 0,
            VotePeriod::Category => {
                Category::ALL.iter().position(|c| *c == cat).unwrap_or(0) as i64
            }
            VotePeriod::Day => chrono::DateTime::from_timestamp_millis(cast_at)
                .map_or(i64::MIN, |d| {
                    i64::from(d.with_timezone(&tz).date_naive().num_days_from_ce())
                }),
        }
    };
    let genesis = genesis_hash(header.contest, &header.rules_hash);
    let mut prev = unhex32(&genesis).ok_or("line 1: the contest's first hash")?;
    let mut prev_hex = [0u8; 64];
    let mut votes: HashMap<i64, i64> = HashMap::new();
    let mut voter_ids: HashMap<[u8; 32], u32> = HashMap::new();
    let mut voted: Vec<bool> = Vec::new();
    let mut per_period: HashMap<(u32, i64), i64> = HashMap::new();
    let mut per_entry: HashMap<(u32, i64, i64), i64> = HashMap::new();
    let mut text: Vec<u8> = Vec::with_capacity(512);
    let mut ballots = 0usize;
    let contest = header.contest;
    loop {
        let Some(n) = next(&mut buf)? else {
            return Err("the file ends without a tally line".into());
        };
        let l: Line = serde_json::from_slice(&buf)
            .map_err(|e| format!("line {n}: neither a ballot nor the tally: {e}"))?;
        if l.kind == "tally" {
            let mut rest = Vec::new();
            if next(&mut rest)?.is_some() {
                return Err(format!("line {n}: the tally is not the last line"));
            }
            hex::encode_to_slice(prev, &mut prev_hex).map_err(|e| e.to_string())?;
            let head = std::str::from_utf8(&prev_hex).map_err(|e| e.to_string())?;
            if l.ballots != Some(ballots) || l.head != Some(head) {
                return Err(format!(
                    "line {n}: the tally's count or head differs from the log"
                ));
            }
            let published: HashMap<i64, i64> = l
                .votes
                .unwrap_or_default()
                .iter()
                .map(|(k, v)| (k.parse::<i64>().unwrap_or(-1), *v))
                .filter(|(_, v)| *v != 0)
                .collect();
            // An entry whose votes were all withdrawn may stand at 0 on either side.
            votes.retain(|_, v| *v != 0);
            if published != votes {
                return Err(format!(
                    "line {n}: the published tally differs from the recomputed one"
                ));
            }
            break;
        }
        if l.kind != "ballot" {
            return Err(format!("line {n}: neither a ballot nor the tally"));
        }
        let (
            Some(seq),
            Some(voter),
            Some(entry),
            Some(category),
            Some(cast_at),
            Some(line_prev),
            Some(hash),
        ) = (
            l.seq, l.voter, l.entry, l.category, l.cast_at, l.prev, l.hash,
        )
        else {
            return Err(format!("line {n}: not a ballot: a field is missing"));
        };
        if seq != ballots as i64 + 1 {
            return Err(format!(
                "line {n}: position {seq} where {} was due",
                ballots + 1
            ));
        }
        if unhex32(line_prev) != Some(prev) {
            return Err(format!("line {n}: does not follow the ballot before it"));
        }
        // The hash over the line's own text of its fields, as `BallotLine::expected_hash`.
        text.clear();
        let _ = write!(
            text,
            "{contest}|{seq}|{voter}|{entry}|{category}|{cast_at}|{line_prev}"
        );
        if l.withdraw {
            text.extend_from_slice(b"|withdraw");
        }
        let digest: [u8; 32] = Sha256::digest(&text).into();
        if unhex32(hash) != Some(digest) {
            return Err(format!("line {n}: the ballot does not match its hash"));
        }
        let &(entry_cat, cat) = entries
            .get(&entry)
            .ok_or_else(|| format!("line {n}: a vote for an entry not in the contest"))?;
        if entry_cat != category {
            return Err(format!("line {n}: the entry's category differs"));
        }
        if !rules.phases.voting_open_at(cast_at) {
            return Err(format!("line {n}: cast outside the voting window"));
        }
        let who = unhex32(voter)
            .ok_or_else(|| format!("line {n}: the voter is not a pseudonym (64 hex digits)"))?;
        let next_id = voter_ids.len() as u32;
        let v = *voter_ids.entry(who).or_insert(next_id);
        if v == next_id {
            voted.push(false);
        }
        let p = period(cat, cast_at);
        let for_entry = per_entry.entry((v, p, entry)).or_default();
        let live = per_period.entry((v, p)).or_default();
        if l.withdraw {
            if !rules.allow_withdraw {
                return Err(format!("line {n}: a withdrawal where the rules allow none"));
            }
            if *for_entry <= 0 {
                return Err(format!("line {n}: withdraws a vote that was not cast"));
            }
            *for_entry -= 1;
            *live -= 1;
            *votes.entry(entry).or_default() -= 1;
        } else {
            if *for_entry > 0 {
                return Err(format!("line {n}: a second vote for the same entry"));
            }
            if *live >= rules.votes_per_person {
                return Err(format!("line {n}: the voter is over the vote limit"));
            }
            *for_entry += 1;
            *live += 1;
            voted[v as usize] = true;
            *votes.entry(entry).or_default() += 1;
        }
        prev = digest;
        ballots += 1;
    }
    let mut tally: Vec<(i64, String, i64)> = header
        .entries
        .iter()
        .map(|e| {
            (
                e.id,
                e.title.clone(),
                votes.get(&e.id).copied().unwrap_or(0),
            )
        })
        .collect();
    tally.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    Ok(Verified {
        contest: header.contest,
        title: header.title,
        rules_hash: header.rules_hash,
        ballots,
        voters: voted.iter().filter(|v| **v).count(),
        head: hex::encode(prev),
        tally,
    })
}

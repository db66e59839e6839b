//! `fanzha contests verify FILE`: checks an exported ballot log from the file alone — the rules
//! text against its published hash, every ballot's hash and link to the one before, the positions,
//! the voting window and the vote limits of the rules, the entries voted for, withdrawals (allowed by
//! the rules, of a vote cast) — and recomputes the tally (votes less withdrawals), which must equal the tally line. Nothing else is read.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;

use super::model::{genesis_hash, period_key, sha256_hex, BallotLine, Category, Rules};

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

#[derive(Deserialize)]
struct Tally {
    kind: String,
    ballots: usize,
    head: String,
    votes: BTreeMap<String, i64>,
}

/// Checks the export; the error names the line (1-based) and what is wrong.
pub fn verify(text: &str) -> Result<Verified, String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() < 2 {
        return Err("the file needs a header line and a tally line".into());
    }
    let header: Header =
        serde_json::from_str(lines[0]).map_err(|e| format!("line 1: not a header: {e}"))?;
    if header.kind != "header" {
        return Err("line 1: not a header".into());
    }
    if sha256_hex(header.rules.as_bytes()) != header.rules_hash {
        return Err("line 1: the rules do not match their published hash".into());
    }
    let rules: Rules =
        serde_json::from_str(&header.rules).map_err(|e| format!("line 1: rules: {e}"))?;
    let entries: HashMap<i64, &HeaderEntry> = header.entries.iter().map(|e| (e.id, e)).collect();
    let mut prev = genesis_hash(header.contest, &header.rules_hash);
    let mut votes: HashMap<i64, i64> = HashMap::new();
    let mut per_period: HashMap<(String, String), i64> = HashMap::new();
    let mut per_entry: HashMap<(String, String, i64), i64> = HashMap::new();
    let mut voters: HashSet<String> = HashSet::new();
    let last = lines.len() - 1;
    for (i, line) in lines[1..last].iter().enumerate() {
        let n = i + 2;
        let b: BallotLine =
            serde_json::from_str(line).map_err(|e| format!("line {n}: not a ballot: {e}"))?;
        if b.seq != i as i64 + 1 {
            return Err(format!(
                "line {n}: position {} where {} was due",
                b.seq,
                i + 1
            ));
        }
        if b.prev != prev {
            return Err(format!("line {n}: does not follow the ballot before it"));
        }
        if b.expected_hash(header.contest) != b.hash {
            return Err(format!("line {n}: the ballot does not match its hash"));
        }
        let e = entries
            .get(&b.entry)
            .ok_or_else(|| format!("line {n}: a vote for an entry not in the contest"))?;
        if e.category != b.category {
            return Err(format!("line {n}: the entry's category differs"));
        }
        if !rules.phases.voting_open_at(b.cast_at) {
            return Err(format!("line {n}: cast outside the voting window"));
        }
        let cat = Category::parse(&b.category)
            .ok_or_else(|| format!("line {n}: unknown category {}", b.category))?;
        let period = period_key(&rules, cat, b.cast_at);
        let for_entry = per_entry
            .entry((b.voter.clone(), period.clone(), b.entry))
            .or_default();
        let live = per_period.entry((b.voter.clone(), period)).or_default();
        if b.withdraw {
            if !rules.allow_withdraw {
                return Err(format!("line {n}: a withdrawal where the rules allow none"));
            }
            if *for_entry <= 0 {
                return Err(format!("line {n}: withdraws a vote that was not cast"));
            }
            *for_entry -= 1;
            *live -= 1;
            *votes.entry(b.entry).or_default() -= 1;
        } else {
            if *for_entry > 0 {
                return Err(format!("line {n}: a second vote for the same entry"));
            }
            if *live >= rules.votes_per_person {
                return Err(format!("line {n}: the voter is over the vote limit"));
            }
            *for_entry += 1;
            *live += 1;
            voters.insert(b.voter.clone());
            *votes.entry(b.entry).or_default() += 1;
        }
        prev = b.hash;
    }
    let t: Tally = serde_json::from_str(lines[last])
        .map_err(|e| format!("line {}: not a tally: {e}", last + 1))?;
    if t.kind != "tally" {
        return Err(format!("line {}: not a tally", last + 1));
    }
    if t.ballots != last - 1 || t.head != prev {
        return Err(format!(
            "line {}: the tally's count or head differs from the log",
            last + 1
        ));
    }
    let published: HashMap<i64, i64> = t
        .votes
        .iter()
        .map(|(k, v)| (k.parse::<i64>().unwrap_or(-1), *v))
        .collect();
    // An entry whose votes were all withdrawn may stand at 0 on either side.
    votes.retain(|_, v| *v != 0);
    let published: HashMap<i64, i64> = published.into_iter().filter(|(_, v)| *v != 0).collect();
    if published != votes {
        return Err(format!(
            "line {}: the published tally differs from the recomputed one",
            last + 1
        ));
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
        ballots: last - 1,
        voters: voters.len(),
        head: prev,
        tally,
    })
}

//! The contest's domain: categories, phases, the rules document (parsed from the organiser's form
//! and frozen by its hash when voting opens), entries and their statuses, the ballot chain's hash,
//! judges' percentile normalisation and the results arithmetic. No database here.

use crate::kernel::ids::AccountId;
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Msg;

macro_rules! keyed_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $( #[serde(rename = $s)] $v ),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
            pub fn parse(s: &str) -> Option<$name> {
                match s.trim() { $($s => Some($name::$v),)+ _ => None }
            }
        }
    };
}

keyed_enum!(
    /// What kind of work a category collects.
    Category {
        Skit = "skit",
        ShortVideo = "short_video",
        TalkShow = "talk_show",
        SongDance = "song_dance",
        Logo = "logo",
        Poster = "poster",
        Other = "other",
    }
);

keyed_enum!(
    /// How an entry's work is delivered.
    MediaKind {
        VideoLink = "video_link",
        Image = "image",
    }
);

keyed_enum!(
    /// The period a vote limit counts over.
    VotePeriod {
        Contest = "contest",
        Category = "category",
        Day = "day",
    }
);

keyed_enum!(
    /// What decides between entries with the same final score, in the declared order.
    TieBreak {
        Judges = "judges",
        Public = "public",
        Earliest = "earliest",
    }
);

keyed_enum!(
    /// Where an entry stands in review.
    EntryStatus {
        Submitted = "submitted",
        Returned = "returned",
        Accepted = "accepted",
        Rejected = "rejected",
    }
);

keyed_enum!(
    /// The licence an entrant grants on the work.
    Licence {
        CcBy = "cc_by",
        CcByNc = "cc_by_nc",
        CcBySa = "cc_by_sa",
        OrganiserUse = "organiser_use",
    }
);

keyed_enum!(
    /// Why a judge may not score an entry, the closest tie first.
    Conflict {
        Advisor = "advisor",
        Class = "class",
        School = "school",
    }
);

keyed_enum!(
    /// An organiser's decision on an entry.
    Decision {
        Accept = "accept",
        Return = "return",
        Reject = "reject",
    }
);

/// A unit named in the rules: its code, name and path (the document stands on its own).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
    pub path: String,
}

/// The dates of the phases, UTC milliseconds. Review runs from the close of entries to the
/// opening of voting; judging may overlap public voting; results come after both close.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phases {
    pub entries_open: i64,
    pub entries_close: i64,
    pub voting_open: i64,
    pub voting_close: i64,
    pub judging_open: i64,
    pub judging_close: i64,
}

/// One criterion of the judges' score sheet and its weight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub name: String,
    pub weight: i64,
}

/// The rules document. Serialised in this field order it is the text whose SHA-256 is published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    pub categories: Vec<Category>,
    pub phases: Phases,
    /// The zone days are counted in (a per-day vote limit).
    pub time_zone: String,
    pub entrant_units: Vec<UnitRef>,
    pub team_min: i64,
    pub team_max: i64,
    pub media: Vec<MediaKind>,
    pub max_image_bytes: i64,
    pub voter_units: Vec<UnitRef>,
    pub votes_per_person: i64,
    pub vote_period: VotePeriod,
    /// Percent; the two add up to 100.
    pub weight_public: i64,
    pub weight_judges: i64,
    pub criteria: Vec<Criterion>,
    pub tie_break: Vec<TieBreak>,
    /// Voters may withdraw a vote (or move it to another entry) while voting is open. Left out
    /// of the text when false, so rules written before it keep their published hash.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_withdraw: bool,
}

impl Rules {
    /// The canonical text of the rules (the hashed one).
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    pub fn hash(&self) -> String {
        sha256_hex(self.canonical().as_bytes())
    }
    pub fn tz(&self) -> chrono_tz::Tz {
        crate::kernel::time::zone(&self.time_zone)
    }
}

/// What the organiser typed, before units are looked up (codes) and dates read (local times).
#[derive(Clone, Debug, Default)]
pub struct RulesInput {
    pub categories: Vec<String>,
    pub phases: [String; 6],
    pub entrant_units: Vec<String>,
    pub team_min: String,
    pub team_max: String,
    pub media: Vec<String>,
    pub max_image_kb: String,
    pub voter_units: Vec<String>,
    pub votes_per_person: String,
    pub vote_period: String,
    pub weight_public: String,
    pub criteria: String,
    pub tie_break: Vec<String>,
    pub allow_withdraw: bool,
}

pub const PHASE_FIELDS: [&str; 6] = [
    "entries_open",
    "entries_close",
    "voting_open",
    "voting_close",
    "judging_open",
    "judging_close",
];

/// The largest image an organiser may allow (10 MB; uploads are read whole).
pub const MAX_IMAGE_BYTES: i64 = 10 * 1024 * 1024;

fn int_in(s: &str, lo: i64, hi: i64) -> Option<i64> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| (lo..=hi).contains(v))
}

/// Parses the rules; `units` resolves a unit code to the unit (None: unknown or outside the
/// organiser's scope, refused alike). Every problem is listed.
pub fn parse_rules(
    i: &RulesInput,
    tz: chrono_tz::Tz,
    units: &dyn Fn(&str) -> Option<UnitRef>,
) -> Result<Rules, Vec<Msg>> {
    let mut errs = Vec::new();
    let mut categories = Vec::new();
    for c in &i.categories {
        match Category::parse(c) {
            Some(c) if !categories.contains(&c) => categories.push(c),
            Some(_) => {}
            None => errs.push(Msg::new("contests-err-category").arg("value", c)),
        }
    }
    if categories.is_empty() && errs.is_empty() {
        errs.push(Msg::new("contests-err-no-category"));
    }
    let mut dates = [0i64; 6];
    for (k, s) in i.phases.iter().enumerate() {
        match crate::kernel::time::parse_local(s, tz) {
            Some(t) => dates[k] = t,
            None => errs.push(Msg::new("contests-err-date").arg("field", PHASE_FIELDS[k])),
        }
    }
    let phases = Phases {
        entries_open: dates[0],
        entries_close: dates[1],
        voting_open: dates[2],
        voting_close: dates[3],
        judging_open: dates[4],
        judging_close: dates[5],
    };
    if errs.iter().all(|m| m.key != "contests-err-date") {
        let p = &phases;
        let ordered = p.entries_open < p.entries_close
            && p.entries_close <= p.voting_open
            && p.voting_open < p.voting_close
            && p.entries_close <= p.judging_open
            && p.judging_open < p.judging_close;
        if !ordered {
            errs.push(Msg::new("contests-err-phase-order"));
        }
    }
    let mut resolve = |codes: &[String], what: &str| -> Vec<UnitRef> {
        let mut out: Vec<UnitRef> = Vec::new();
        for c in codes.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            match units(c) {
                Some(u) if !out.iter().any(|o| o.path == u.path) => out.push(u),
                Some(_) => {}
                None => errs.push(Msg::new("contests-err-unit").arg("code", c)),
            }
        }
        if out.is_empty() {
            errs.push(Msg::new("contests-err-no-unit").arg("field", what));
        }
        out
    };
    let entrant_units = resolve(&i.entrant_units, "entrant_units");
    let voter_units = resolve(&i.voter_units, "voter_units");
    let team_min = int_in(&i.team_min, 1, 20);
    let team_max = int_in(&i.team_max, 1, 20);
    match (team_min, team_max) {
        (Some(a), Some(b)) if a <= b => {}
        _ => errs.push(Msg::new("contests-err-team")),
    }
    let mut media = Vec::new();
    for m in &i.media {
        match MediaKind::parse(m) {
            Some(m) if !media.contains(&m) => media.push(m),
            Some(_) => {}
            None => errs.push(Msg::new("contests-err-media-kind").arg("value", m)),
        }
    }
    if media.is_empty() {
        errs.push(Msg::new("contests-err-no-media"));
    }
    let max_image_kb = int_in(&i.max_image_kb, 1, MAX_IMAGE_BYTES / 1024);
    if max_image_kb.is_none() {
        errs.push(Msg::new("contests-err-image-limit").arg("max", MAX_IMAGE_BYTES / 1024));
    }
    let votes = int_in(&i.votes_per_person, 1, 50);
    if votes.is_none() {
        errs.push(Msg::new("contests-err-votes"));
    }
    let period = VotePeriod::parse(&i.vote_period);
    if period.is_none() {
        errs.push(Msg::new("contests-err-period"));
    }
    let weight_public = int_in(&i.weight_public, 0, 100);
    if weight_public.is_none() {
        errs.push(Msg::new("contests-err-weights"));
    }
    let mut criteria: Vec<Criterion> = Vec::new();
    for line in i.criteria.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, w) = match line.rsplit_once([':', '\u{FF1A}']) {
            Some((n, w)) => (n.trim(), int_in(w, 1, 100)),
            None => (line, None),
        };
        match w {
            Some(w) if !name.is_empty() && name.chars().count() <= 40 => {
                if criteria.iter().any(|c| c.name == name) {
                    errs.push(Msg::new("contests-err-criterion").arg("line", line));
                } else {
                    criteria.push(Criterion {
                        name: name.to_string(),
                        weight: w,
                    });
                }
            }
            _ => errs.push(Msg::new("contests-err-criterion").arg("line", line)),
        }
    }
    if criteria.is_empty() || criteria.len() > 8 {
        errs.push(Msg::new("contests-err-criteria-count"));
    }
    let mut tie_break = Vec::new();
    for t in &i.tie_break {
        match TieBreak::parse(t) {
            Some(t) if !tie_break.contains(&t) => tie_break.push(t),
            Some(_) => {}
            None => errs.push(Msg::new("contests-err-tie-break").arg("value", t)),
        }
    }
    if tie_break.is_empty() {
        errs.push(Msg::new("contests-err-tie-break").arg("value", ""));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let wp = weight_public.unwrap_or(0);
    Ok(Rules {
        categories,
        phases,
        time_zone: tz.name().to_string(),
        entrant_units,
        team_min: team_min.unwrap_or(1),
        team_max: team_max.unwrap_or(1),
        media,
        max_image_bytes: max_image_kb.unwrap_or(1) * 1024,
        voter_units,
        votes_per_person: votes.unwrap_or(1),
        vote_period: period.unwrap_or(VotePeriod::Contest),
        weight_public: wp,
        weight_judges: 100 - wp,
        criteria,
        tie_break,
        allow_withdraw: i.allow_withdraw,
    })
}

/// Where a contest stands at a time. Several windows may be open at once (judging during voting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Upcoming,
    Entries,
    Review,
    Voting,
    Judging,
    Counting,
    Published,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Upcoming => "upcoming",
            Phase::Entries => "entries",
            Phase::Review => "review",
            Phase::Voting => "voting",
            Phase::Judging => "judging",
            Phase::Counting => "counting",
            Phase::Published => "published",
        }
    }
}

impl Phases {
    /// The main phase at `now` (voting shows over judging when both are open).
    pub fn at(&self, now: i64, published: bool) -> Phase {
        if published {
            Phase::Published
        } else if now < self.entries_open {
            Phase::Upcoming
        } else if now < self.entries_close {
            Phase::Entries
        } else if now < self.voting_open {
            Phase::Review
        } else if now < self.voting_close {
            Phase::Voting
        } else if now < self.judging_close {
            Phase::Judging
        } else {
            Phase::Counting
        }
    }
    pub fn entries_open_at(&self, now: i64) -> bool {
        (self.entries_open..self.entries_close).contains(&now)
    }
    pub fn voting_open_at(&self, now: i64) -> bool {
        (self.voting_open..self.voting_close).contains(&now)
    }
    pub fn judging_open_at(&self, now: i64) -> bool {
        (self.judging_open..self.judging_close).contains(&now)
    }
    /// Rules are frozen from the opening of voting on.
    pub fn frozen_at(&self, now: i64) -> bool {
        now >= self.voting_open
    }
    /// Results may be published once voting and judging have both closed.
    pub fn closed_at(&self, now: i64) -> bool {
        now >= self.voting_close && now >= self.judging_close
    }
}

pub fn sha256_hex(b: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b);
    hex(&h.finalize())
}

pub fn hex(b: &[u8]) -> String {
    ::hex::encode(b)
}

/// The hash before a contest's first ballot: binds the log to the contest and its rules.
pub fn genesis_hash(contest_id: i64, rules_hash: &str) -> String {
    sha256_hex(format!("fanzha-contest|{contest_id}|{rules_hash}").as_bytes())
}

/// The fields of one logged ballot: a vote, or the withdrawal of the voter's vote for the entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotLine {
    pub seq: i64,
    pub voter: String,
    pub entry: i64,
    pub category: String,
    pub cast_at: i64,
    pub prev: String,
    pub hash: String,
    /// A withdrawal (absent from a vote's line, so logs of votes alone read as before).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withdraw: bool,
}

/// A ballot's line of the export, its keys in the order a JSON object of them sorts to.
#[derive(Serialize)]
struct ExportBallot<'a> {
    cast_at: i64,
    category: &'a str,
    entry: i64,
    hash: &'a str,
    kind: &'static str,
    prev: &'a str,
    seq: i64,
    voter: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    withdraw: bool,
}

impl BallotLine {
    /// Appends the ballot's line of the export (with its newline) to `out`.
    pub fn write_export_line(&self, out: &mut Vec<u8>) {
        let line = ExportBallot {
            cast_at: self.cast_at,
            category: &self.category,
            entry: self.entry,
            hash: &self.hash,
            kind: "ballot",
            prev: &self.prev,
            seq: self.seq,
            voter: &self.voter,
            withdraw: self.withdraw,
        };
        // Writing plain fields into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &line);
        out.push(b'\n');
    }

    /// The hash this line must carry: a vote's as [`ballot_hash`]; a withdrawal's over the same
    /// fields and the word `withdraw`, so a vote cannot be passed off as a withdrawal.
    pub fn expected_hash(&self, contest_id: i64) -> String {
        let h = |extra: &str| {
            sha256_hex(
                format!(
                    "{contest_id}|{}|{}|{}|{}|{}|{}{extra}",
                    self.seq, self.voter, self.entry, self.category, self.cast_at, self.prev
                )
                .as_bytes(),
            )
        };
        if self.withdraw {
            h("|withdraw")
        } else {
            h("")
        }
    }
}

/// A ballot's hash: SHA-256 over its fields and the hash before it.
pub fn ballot_hash(
    contest_id: i64,
    seq: i64,
    voter: &str,
    entry: i64,
    category: &str,
    cast_at: i64,
    prev: &str,
) -> String {
    sha256_hex(format!("{contest_id}|{seq}|{voter}|{entry}|{category}|{cast_at}|{prev}").as_bytes())
}

/// The pseudonym of a voter in one contest: HMAC-SHA256(contest key, account id), hex.
pub fn voter_pseudonym(key: &[u8], account_id: AccountId) -> String {
    use hmac::{Hmac, Mac};
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(format!("account:{account_id}").as_bytes());
    hex(&m.finalize().into_bytes())
}

/// HMAC-SHA256(key, text), hex: the pseudonyms kept of a ballot's origin.
pub fn keyed_hash(key: &[u8], text: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(text.as_bytes());
    hex(&m.finalize().into_bytes())
}

/// The period key of a vote (what its limit counts over), from the rules and the time cast.
pub fn period_key(rules: &Rules, category: Category, cast_at: i64) -> String {
    match rules.vote_period {
        VotePeriod::Contest => "contest".to_string(),
        VotePeriod::Category => format!("category:{}", category.as_str()),
        VotePeriod::Day => chrono::DateTime::from_timestamp_millis(cast_at)
            .map(|d| format!("day:{}", d.with_timezone(&rules.tz()).format("%Y-%m-%d")))
            .unwrap_or_default(),
    }
}

/// Each judge's totals turned into percentile ranks (0–1) among the entries that judge scored:
/// below + half of the ties, over n − 1. One score, or all the same, ranks 0.5. A judge is any
/// ordered key (an account in the product).
pub fn normalise<J: Ord + Copy + std::hash::Hash>(
    scores: &[(J, i64, i64)],
) -> HashMap<(J, i64), f64> {
    let mut by_judge: BTreeMap<J, Vec<(i64, i64)>> = BTreeMap::new();
    for (judge, entry, total) in scores {
        by_judge.entry(*judge).or_default().push((*entry, *total));
    }
    let mut out = HashMap::new();
    for (judge, list) in by_judge {
        let n = list.len();
        for (entry, t) in &list {
            let p = if n <= 1 {
                0.5
            } else {
                let below = list.iter().filter(|(_, x)| x < t).count() as f64;
                let equal = list.iter().filter(|(_, x)| x == t).count() as f64;
                (below + 0.5 * (equal - 1.0)) / (n as f64 - 1.0)
            };
            out.insert((judge, *entry), p);
        }
    }
    out
}

/// One entry as results need it.
#[derive(Clone, Debug)]
pub struct ResultInput {
    pub entry_id: i64,
    pub category: Category,
    pub created_at: i64,
    pub votes: i64,
}

/// One entry's place in its category.
#[derive(Clone, Debug, Serialize)]
pub struct Ranked {
    pub entry_id: i64,
    pub rank: usize,
    pub votes: i64,
    pub public: f64,
    pub judges: f64,
    pub judge_count: usize,
    pub final_score: f64,
}

const EPS: f64 = 1e-9;

/// The results per category: public = votes ÷ the most votes in the category, judges = mean of
/// the normalised judge scores, final = weighted sum; ordered by final, then the declared
/// tie-break order, then the entry id. Entries with equal keys all through share a rank.
pub fn rank<J: Ord + Copy + std::hash::Hash>(
    rules: &Rules,
    entries: &[ResultInput],
    scores: &[(J, i64, i64)],
) -> BTreeMap<Category, Vec<Ranked>> {
    let norm = normalise(scores);
    let mut per_entry: HashMap<i64, Vec<f64>> = HashMap::new();
    for ((_, entry), p) in &norm {
        per_entry.entry(*entry).or_default().push(*p);
    }
    let created: HashMap<i64, i64> = entries.iter().map(|e| (e.entry_id, e.created_at)).collect();
    let mut out = BTreeMap::new();
    for cat in &rules.categories {
        let list: Vec<&ResultInput> = entries.iter().filter(|e| e.category == *cat).collect();
        let max = list.iter().map(|e| e.votes).max().unwrap_or(0);
        let mut ranked: Vec<Ranked> = list
            .iter()
            .map(|e| {
                let js = per_entry.get(&e.entry_id).cloned().unwrap_or_default();
                let judges = if js.is_empty() {
                    0.0
                } else {
                    js.iter().sum::<f64>() / js.len() as f64
                };
                let public = if max > 0 {
                    e.votes as f64 / max as f64
                } else {
                    0.0
                };
                Ranked {
                    entry_id: e.entry_id,
                    rank: 0,
                    votes: e.votes,
                    public,
                    judges,
                    judge_count: js.len(),
                    final_score: (rules.weight_public as f64 * public
                        + rules.weight_judges as f64 * judges)
                        / 100.0,
                }
            })
            .collect();
        let cmp_f = |a: f64, b: f64| {
            if (a - b).abs() < EPS {
                std::cmp::Ordering::Equal
            } else {
                b.partial_cmp(&a).unwrap_or(std::cmp::Ordering::Equal)
            }
        };
        let key_cmp = |a: &Ranked, b: &Ranked| {
            let mut o = cmp_f(a.final_score, b.final_score);
            for t in &rules.tie_break {
                if o != std::cmp::Ordering::Equal {
                    break;
                }
                o = match t {
                    TieBreak::Judges => cmp_f(a.judges, b.judges),
                    TieBreak::Public => cmp_f(a.public, b.public),
                    TieBreak::Earliest => created.get(&a.entry_id).cmp(&created.get(&b.entry_id)),
                };
            }
            o
        };
        ranked.sort_by(|a, b| key_cmp(a, b).then(a.entry_id.cmp(&b.entry_id)));
        for i in 0..ranked.len() {
            ranked[i].rank = if i > 0 && key_cmp(&ranked[i - 1], &ranked[i]).is_eq() {
                ranked[i - 1].rank
            } else {
                i + 1
            };
        }
        out.insert(*cat, ranked);
    }
    out
}

/// An image's type from its first bytes (what the browser claims is not trusted).
pub fn sniff_image(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0x89, b'P', b'N', b'G']) {
        Some("image/png")
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.len() > 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A video link people can open: http(s), a host, no spaces, at most 500 characters.
pub fn valid_video_url(s: &str) -> bool {
    let s = s.trim();
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    matches!(rest, Some(r) if !r.is_empty() && !r.starts_with('/'))
        && s.len() <= 500
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            categories: vec![Category::Skit, Category::Logo],
            phases: Phases {
                entries_open: 0,
                entries_close: 10,
                voting_open: 10,
                voting_close: 20,
                judging_open: 10,
                judging_close: 30,
            },
            time_zone: "Asia/Shanghai".into(),
            entrant_units: vec![],
            team_min: 1,
            team_max: 3,
            media: vec![MediaKind::VideoLink],
            max_image_bytes: 1024,
            voter_units: vec![],
            votes_per_person: 1,
            vote_period: VotePeriod::Contest,
            weight_public: 40,
            weight_judges: 60,
            criteria: vec![],
            tie_break: vec![TieBreak::Judges, TieBreak::Earliest],
            allow_withdraw: false,
        }
    }

    #[test]
    fn a_judge_who_gives_everyone_the_same_ranks_everyone_in_the_middle() {
        let n = normalise(&[(1, 10, 70), (1, 11, 70), (1, 12, 70), (2, 10, 9)]);
        assert_eq!(n[&(1, 10)], 0.5);
        assert_eq!(n[&(1, 12)], 0.5);
        assert_eq!(n[&(2, 10)], 0.5);
        let n = normalise(&[(1, 10, 10), (1, 11, 20), (1, 12, 30)]);
        assert_eq!((n[&(1, 10)], n[&(1, 11)], n[&(1, 12)]), (0.0, 0.5, 1.0));
        // A strict judge (low marks) and a generous one (high marks) count alike.
        let n = normalise(&[(1, 10, 1), (1, 11, 2), (2, 10, 90), (2, 11, 99)]);
        assert_eq!(n[&(1, 11)], n[&(2, 11)]);
    }

    #[test]
    fn results_weigh_public_and_judges_and_break_ties_in_the_declared_order() {
        let r = rules();
        let e = |id, votes, created| ResultInput {
            entry_id: id,
            category: Category::Skit,
            created_at: created,
            votes,
        };
        // 1 and 2: same votes, same judge mean → tie broken by the earlier entry (2).
        let entries = [e(1, 10, 5), e(2, 10, 3), e(3, 5, 1)];
        let scores = [(7, 1, 50), (7, 2, 50), (7, 3, 10)];
        let out = rank(&r, &entries, &scores);
        let skit = &out[&Category::Skit];
        assert_eq!(
            skit.iter().map(|x| x.entry_id).collect::<Vec<_>>(),
            vec![2, 1, 3]
        );
        assert_eq!((skit[0].rank, skit[1].rank), (1, 2));
        assert!((skit[0].final_score - (0.4 * 1.0 + 0.6 * 0.75)).abs() < 1e-9);
        assert!((skit[2].public - 0.5).abs() < 1e-9);
        assert!(out[&Category::Logo].is_empty());
    }

    #[test]
    fn a_changed_ballot_changes_its_hash() {
        let a = ballot_hash(1, 1, "v", 5, "skit", 100, "p");
        assert_ne!(a, ballot_hash(1, 1, "v", 6, "skit", 100, "p"));
        assert_ne!(
            voter_pseudonym(b"k1", AccountId(7)),
            voter_pseudonym(b"k2", AccountId(7))
        );
        assert_eq!(
            voter_pseudonym(b"k1", AccountId(7)),
            voter_pseudonym(b"k1", AccountId(7))
        );
    }

    #[test]
    fn images_are_known_by_their_bytes_and_links_must_be_web_links() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert!(valid_video_url("https://v.example.cn/skit/1"));
        assert!(!valid_video_url("javascript:alert(1)"));
        assert!(!valid_video_url("https:///x"));
    }
}

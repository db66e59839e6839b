//! Detection rules that police write in a TOML file and change without a rebuild: parsing with
//! `file:line` errors, compilation into one keyword automaton, evaluation, and hot reload by atomic
//! swap so that readers never block and a bad file never replaces good rules.

use crate::extract::{Indicator, IndicatorKind};
use crate::normalize::{normalize, Normalized};
use crate::FraudType;
use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};
use arc_swap::ArcSwap;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};
use toml::Spanned;

/// The starter rule set shipped in the crate (also usable as a file: `rules/starter.toml`).
pub const STARTER_RULES: &str = include_str!("../rules/starter.toml");

/// A rule file that could not be used. `Display` is `file:line: what is wrong`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    Io { file: String, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    version: Spanned<i64>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    fraud_type: Spanned<String>,
    weight: Spanned<f64>,
    #[serde(default = "yes")]
    enabled: bool,
    description_zh: String,
    description_en: String,
    #[serde(default)]
    all: Vec<Vec<String>>,
    #[serde(default)]
    any: Vec<String>,
    #[serde(default)]
    regex: Vec<Spanned<String>>,
    #[serde(default)]
    indicators: Vec<Spanned<String>>,
    #[serde(default)]
    unofficial_link: Vec<String>,
    #[serde(default)]
    none: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A compiled rule.
#[derive(Debug)]
struct Rule {
    // Shared with every hit: a verdict costs a reference count, not three string copies.
    id: Arc<str>,
    fraud_type: FraudType,
    weight: f32,
    enabled: bool,
    description_zh: Arc<str>,
    description_en: Arc<str>,
    /// Keyword groups (pattern ids into the shared automaton); every group must hit.
    groups: Vec<Vec<u32>>,
    regex: Vec<Regex>,
    indicators: Vec<IndicatorKind>,
    official: Vec<String>,
    veto: Vec<u32>,
}

/// One rule that fired on a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleHit {
    pub id: Arc<str>,
    pub fraud_type: FraudType,
    pub weight: f32,
    pub description_zh: Arc<str>,
    pub description_en: Arc<str>,
    /// Byte spans in the original text of what made the rule fire.
    pub spans: Vec<(usize, usize)>,
}

/// A compiled, immutable set of rules.
///
/// ```
/// use fanzha_detect::rules::RuleSet;
/// let rules = RuleSet::builtin();
/// assert!(rules.len() > 20);
/// let hits = rules.evaluate_text("兼职刷单，日结佣金，垫付后返还本金");
/// assert!(hits.iter().any(|h| h.fraud_type.id() == "rebate_task"));
/// ```
#[derive(Debug)]
pub struct RuleSet {
    version: i64,
    rules: Vec<Rule>,
    /// Every keyword of every rule (and the extraction trigger words) in one full DFA, walked
    /// byte by byte in [`RuleSet::scan`].
    keywords: Option<DFA>,
    n_patterns: usize,
    /// Pattern id of each extraction trigger word (see `extract::trigger_words`).
    trigger_ids: Vec<u32>,
    /// For each pattern id: the enabled rules whose first keyword group contains it. A rule
    /// with keyword groups can only fire when one of its first group's keywords was seen, so
    /// evaluation looks at those rules alone (and at `ungrouped`).
    by_first: Vec<Vec<u32>>,
    /// Enabled rules without keyword groups (indicator, regex or link conditions only).
    ungrouped: Vec<u32>,
}

fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl RuleSet {
    /// The starter rules embedded in the crate.
    pub fn builtin() -> RuleSet {
        RuleSet::parse(STARTER_RULES, "<builtin>").expect("the embedded starter rules are valid")
    }

    /// Parses and compiles a rule file's content; `file` names it in errors.
    ///
    /// ```
    /// use fanzha_detect::rules::RuleSet;
    /// let bad = "version = 1\n[[rule]]\nid = \"x\"\nfraud_type = \"nope\"\nweight = 1.0\ndescription_zh = \"\"\ndescription_en = \"\"\nany = [\"a\"]\n";
    /// let err = RuleSet::parse(bad, "rules.toml").unwrap_err().to_string();
    /// assert!(err.starts_with("rules.toml:4: unknown fraud type"), "{err}");
    /// ```
    pub fn parse(src: &str, file: &str) -> Result<RuleSet, RuleError> {
        let err = |offset: usize, message: String| RuleError::Invalid {
            file: file.to_string(),
            line: line_of(src, offset),
            message,
        };
        let raw: RawFile = toml::from_str(src).map_err(|e| {
            let at = e.span().map(|s| s.start).unwrap_or(0);
            err(at, e.message().to_string())
        })?;
        if *raw.version.get_ref() < 1 {
            return Err(err(raw.version.span().start, "version must be >= 1".into()));
        }
        let mut patterns: Vec<String> = Vec::new();
        let mut index: std::collections::HashMap<String, u32> = Default::default();
        let mut intern = |kw: &str| -> Option<u32> {
            let k = normalize(kw).text().to_string();
            if k.is_empty() {
                return None;
            }
            Some(*index.entry(k.clone()).or_insert_with(|| {
                patterns.push(k);
                (patterns.len() - 1) as u32
            }))
        };
        let mut rules = Vec::with_capacity(raw.rule.len());
        let mut seen = std::collections::HashSet::new();
        for spanned in raw.rule {
            let at = spanned.span().start;
            let r = spanned.into_inner();
            let id = r.id.get_ref().trim().to_string();
            if id.is_empty() {
                return Err(err(r.id.span().start, "rule id is empty".into()));
            }
            if !seen.insert(id.clone()) {
                return Err(err(r.id.span().start, format!("duplicate rule id `{id}`")));
            }
            let fraud_type: FraudType = r.fraud_type.get_ref().parse().map_err(
                |e: crate::typology::UnknownFraudType| {
                    err(r.fraud_type.span().start, e.to_string())
                },
            )?;
            let weight = *r.weight.get_ref();
            if !weight.is_finite() || !(-10.0..=10.0).contains(&weight) {
                return Err(err(
                    r.weight.span().start,
                    format!("weight {weight} is outside -10..=10"),
                ));
            }
            let mut groups = Vec::new();
            for g in r.all.iter().chain(std::iter::once(&r.any)) {
                if g.is_empty() {
                    continue;
                }
                let ids: Vec<u32> = g.iter().filter_map(|k| intern(k)).collect();
                if ids.is_empty() {
                    return Err(err(
                        at,
                        format!("rule `{id}`: a keyword group has only empty keywords"),
                    ));
                }
                groups.push(ids);
            }
            let veto: Vec<u32> = r.none.iter().filter_map(|k| intern(k)).collect();
            let mut regex = Vec::new();
            for re in &r.regex {
                let compiled = regex::RegexBuilder::new(re.get_ref())
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| {
                        // The regex crate's message draws a caret over several lines; keep one.
                        let msg = e.to_string();
                        let last = msg
                            .lines()
                            .last()
                            .unwrap_or("")
                            .trim_start_matches("error: ")
                            .to_string();
                        err(re.span().start, format!("rule `{id}`: bad regex: {last}"))
                    })?;
                regex.push(compiled);
            }
            let mut indicators = Vec::new();
            for k in &r.indicators {
                let kind: IndicatorKind = k.get_ref().parse().map_err(|_| {
                    err(
                        k.span().start,
                        format!("rule `{id}`: unknown indicator kind `{}`", k.get_ref()),
                    )
                })?;
                indicators.push(kind);
            }
            let official: Vec<String> = r
                .unofficial_link
                .iter()
                .map(|d| d.trim().trim_start_matches('.').to_lowercase())
                .collect();
            if groups.is_empty() && regex.is_empty() && indicators.is_empty() && official.is_empty()
            {
                return Err(err(at, format!("rule `{id}` has no condition (all, any, regex, indicators or unofficial_link)")));
            }
            rules.push(Rule {
                id: id.into(),
                fraud_type,
                weight: weight as f32,
                enabled: r.enabled,
                description_zh: r.description_zh.into(),
                description_en: r.description_en.into(),
                groups,
                regex,
                indicators,
                official,
                veto,
            });
        }
        let trigger_ids: Vec<u32> = crate::extract::trigger_words()
            .map(|w| intern(w).unwrap_or(u32::MAX))
            .collect();
        let keywords = if patterns.is_empty() {
            None
        } else {
            Some(
                // A full DFA: a few hundred KB for the starter rules, and the fastest scan.
                // No prefilter: scam texts are dense with keywords, skipping ahead rarely pays.
                DFA::builder()
                    .match_kind(MatchKind::Standard)
                    .start_kind(StartKind::Unanchored)
                    .prefilter(false)
                    .build(&patterns)
                    .map_err(|e| err(0, format!("keyword automaton: {e}")))?,
            )
        };
        let mut by_first: Vec<Vec<u32>> = vec![Vec::new(); patterns.len()];
        let mut ungrouped = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            if !r.enabled {
                continue;
            }
            match r.groups.first() {
                Some(first) => {
                    for &p in first {
                        by_first[p as usize].push(i as u32);
                    }
                }
                None => ungrouped.push(i as u32),
            }
        }
        Ok(RuleSet {
            version: *raw.version.get_ref(),
            rules,
            keywords,
            n_patterns: patterns.len(),
            trigger_ids,
            by_first,
            ungrouped,
        })
    }

    /// Reads and compiles a rule file.
    pub fn from_file(path: &Path) -> Result<RuleSet, RuleError> {
        let src = std::fs::read_to_string(path).map_err(|e| RuleError::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        RuleSet::parse(&src, &path.display().to_string())
    }

    /// Version number declared by the file.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// Number of rules (enabled or not).
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the set has no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Ids and fraud types of the rules, for listings.
    pub fn rule_ids(&self) -> impl Iterator<Item = (&str, FraudType, bool)> {
        self.rules.iter().map(|r| (&*r.id, r.fraud_type, r.enabled))
    }

    /// Convenience: normalise, extract and evaluate a raw text.
    pub fn evaluate_text(&self, text: &str) -> Vec<RuleHit> {
        let n = normalize(text);
        let mut ind = Vec::new();
        crate::extract::extract_normalized(&n, text, &mut ind);
        let mut out = Vec::new();
        self.evaluate(&n, &ind, &mut Scratch::default(), &mut out);
        out
    }

    /// Evaluates every enabled rule on a normalised text and its indicators.
    pub fn evaluate(
        &self,
        n: &Normalized,
        indicators: &[Indicator],
        scratch: &mut Scratch,
        out: &mut Vec<RuleHit>,
    ) {
        self.scan(n.text(), scratch);
        self.evaluate_scanned(n, indicators, scratch, out);
    }

    /// Where the extraction trigger words are, from the last [`RuleSet::scan`].
    pub(crate) fn triggers_seen(&self, scratch: &Scratch) -> crate::extract::Triggers {
        let mut seen: crate::extract::Triggers = [None; 40];
        for (slot, &p) in seen.iter_mut().zip(&self.trigger_ids) {
            if let Some(Some((s, e))) = scratch.first.get(p as usize) {
                *slot = Some((*s as usize, *e as usize));
            }
        }
        seen
    }

    /// Locates every keyword (and extraction trigger word) in one automaton pass.
    pub(crate) fn scan(&self, t: &str, scratch: &mut Scratch) {
        // Reset only the slots the previous text touched: clearing all of them costs more than
        // the scan itself on short messages.
        for &p in &scratch.touched {
            if let Some(slot) = scratch.first.get_mut(p as usize) {
                *slot = None;
            }
        }
        scratch.touched.clear();
        if scratch.first.len() != self.n_patterns {
            scratch.first.clear();
            scratch.first.resize(self.n_patterns, None);
        }
        let Some(dfa) = &self.keywords else {
            return;
        };
        // Overlapping matches, every pattern ending at every position: the walk the crate's
        // overlapping iterator does, without its per-match resumption.
        let Ok(mut sid) = dfa.start_state(Anchored::No) else {
            return;
        };
        for (i, &b) in t.as_bytes().iter().enumerate() {
            sid = dfa.next_state(Anchored::No, sid, b);
            if dfa.is_special(sid) && dfa.is_match(sid) {
                let end = i + 1;
                for k in 0..dfa.match_len(sid) {
                    let p = dfa.match_pattern(sid, k);
                    let slot = &mut scratch.first[p.as_usize()];
                    if slot.is_none() {
                        let start = end - dfa.pattern_len(p);
                        *slot = Some((start as u32, end as u32));
                        scratch.touched.push(p.as_u32());
                    }
                }
            }
        }
    }

    /// Evaluates the rules after [`RuleSet::scan`] of the same text.
    pub(crate) fn evaluate_scanned(
        &self,
        n: &Normalized,
        indicators: &[Indicator],
        scratch: &mut Scratch,
        out: &mut Vec<RuleHit>,
    ) {
        let t = n.text();
        let Scratch {
            first,
            touched,
            candidates,
        } = scratch;
        // Rules that can fire: those whose first keyword group was seen, and those without
        // keywords; in file order, so hits come out in the same order as a full pass.
        candidates.clear();
        candidates.extend_from_slice(&self.ungrouped);
        for &p in touched.iter() {
            if let Some(rules) = self.by_first.get(p as usize) {
                candidates.extend_from_slice(rules);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let hit = |p: u32| first.get(p as usize).copied().flatten();
        'rules: for r in candidates.iter().map(|&i| &self.rules[i as usize]) {
            if !r.enabled || r.veto.iter().any(|&p| hit(p).is_some()) {
                continue;
            }
            let mut spans: Vec<(usize, usize)> = Vec::new();
            for g in &r.groups {
                match g.iter().find_map(|&p| hit(p)) {
                    Some((s, e)) => {
                        let o = n.to_original(s as usize..e as usize);
                        spans.push((o.start, o.end));
                    }
                    None => continue 'rules,
                }
            }
            for k in &r.indicators {
                match indicators.iter().find(|i| i.kind == *k) {
                    Some(i) => spans.push((i.start, i.end)),
                    None => continue 'rules,
                }
            }
            if !r.official.is_empty() {
                let link = indicators.iter().find(|i| {
                    matches!(i.kind, IndicatorKind::Url | IndicatorKind::Domain)
                        && i.value != "<masked>"
                        && !is_official(&i.value, &r.official)
                });
                match link {
                    Some(i) => spans.push((i.start, i.end)),
                    None => continue 'rules,
                }
            }
            if !r.regex.is_empty() {
                match r.regex.iter().find_map(|re| re.find(t)) {
                    Some(m) => {
                        let o = n.to_original(m.range());
                        spans.push((o.start, o.end));
                    }
                    None => continue 'rules,
                }
            }
            spans.sort_unstable();
            spans.dedup();
            out.push(RuleHit {
                id: r.id.clone(),
                fraud_type: r.fraud_type,
                weight: r.weight,
                description_zh: r.description_zh.clone(),
                description_en: r.description_en.clone(),
                spans,
            });
        }
    }
}

/// Whether a URL or domain value belongs to one of the official domains (or a subdomain).
fn is_official(value: &str, official: &[String]) -> bool {
    let host = value
        .split("://")
        .nth(1)
        .unwrap_or(value)
        .split(['/', ':', '?'])
        .next()
        .unwrap_or("");
    official.iter().any(|d| {
        host == d
            || host
                .strip_suffix(d.as_str())
                .is_some_and(|p| p.ends_with('.'))
    })
}

/// Reusable buffers for [`RuleSet::evaluate`].
#[derive(Debug, Default)]
pub struct Scratch {
    first: Vec<Option<(u32, u32)>>,
    touched: Vec<u32>,
    candidates: Vec<u32>,
}

/// The live rule set: read lock-free by detectors, replaced atomically on reload.
///
/// ```
/// use fanzha_detect::rules::Rules;
/// let rules = Rules::builtin();
/// assert!(rules.current().len() > 0);
/// ```
#[derive(Debug)]
pub struct Rules {
    current: ArcSwap<RuleSet>,
    path: Option<PathBuf>,
    mtime: Mutex<Option<SystemTime>>,
}

impl Rules {
    /// The embedded starter rules; never reloads.
    pub fn builtin() -> Rules {
        Rules {
            current: ArcSwap::from_pointee(RuleSet::builtin()),
            path: None,
            mtime: Mutex::new(None),
        }
    }

    /// Rules from a file, which [`Rules::reload_if_changed`] and [`Rules::watch`] follow.
    pub fn from_file(path: &Path) -> Result<Rules, RuleError> {
        let mtime = modified(path);
        let set = RuleSet::from_file(path)?;
        Ok(Rules {
            current: ArcSwap::from_pointee(set),
            path: Some(path.to_path_buf()),
            mtime: Mutex::new(mtime),
        })
    }

    /// The rule set in force now. Cheap; never blocks.
    pub fn current(&self) -> Arc<RuleSet> {
        self.current.load_full()
    }

    /// Replaces the rules (e.g. from the database); readers see the new set atomically.
    pub fn replace(&self, set: RuleSet) {
        self.current.store(Arc::new(set));
    }

    /// Reloads the file when its modification time changed. Returns `Ok(true)` when new rules
    /// are in force; on error the previous rules stay active.
    pub fn reload_if_changed(&self) -> Result<bool, RuleError> {
        let Some(path) = &self.path else {
            return Ok(false);
        };
        let now = modified(path);
        let mut last = self.mtime.lock().unwrap_or_else(|p| p.into_inner());
        if now == *last {
            return Ok(false);
        }
        // Remember the attempt even when it fails, so a bad file is reported once, not forever.
        *last = now;
        drop(last);
        let set = RuleSet::from_file(path)?;
        self.replace(set);
        Ok(true)
    }

    /// Polls the file every `interval` on a background thread until the returned handle is
    /// dropped (or every `Arc<Rules>` is). Errors are passed to `on_error`.
    pub fn watch(
        self: &Arc<Self>,
        interval: Duration,
        on_error: impl Fn(&RuleError) + Send + 'static,
    ) -> WatchHandle {
        let weak: Weak<Rules> = Arc::downgrade(self);
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name("fanzha-rules-watch".into())
            .spawn(move || {
                while !stop2.load(Ordering::Relaxed) {
                    std::thread::sleep(interval);
                    let Some(rules) = weak.upgrade() else { break };
                    if let Err(e) = rules.reload_if_changed() {
                        on_error(&e);
                    }
                }
            })
            .ok();
        WatchHandle { stop, thread }
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Stops the watcher thread when dropped.
#[derive(Debug)]
pub struct WatchHandle {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Not joined: the thread may be sleeping for a whole interval.
        drop(self.thread.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"version = 2
[[rule]]
id = "t.1"
fraud_type = "rebate_task"
weight = 2.0
description_zh = "刷单"
description_en = "brushing"
all = [["刷單", "做任务"], ["佣金"]]
"#;

    #[test]
    fn parses_and_matches_with_spans() {
        let set = RuleSet::parse(ONE, "t.toml").unwrap();
        assert_eq!(set.version(), 2);
        let text = "在家做 任务，佣金日结";
        let hits = set.evaluate_text(text);
        assert_eq!(hits.len(), 1);
        let spans: Vec<&str> = hits[0].spans.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(spans, vec!["做 任务", "佣金"]);
        assert!(set.evaluate_text("做任务").is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let e = RuleSet::parse("version = 1\n[[rule]]\nid = 3\n", "r.toml").unwrap_err();
        assert!(e.to_string().starts_with("r.toml:3:"), "{e}");
        let bad_re = ONE.replace(
            "all = [[\"刷單\", \"做任务\"], [\"佣金\"]]",
            "regex = [\"(\"]",
        );
        let e = RuleSet::parse(&bad_re, "r.toml").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("r.toml:8: rule `t.1`: bad regex: unclosed group"),
            "{e}"
        );
        let e =
            RuleSet::parse(&ONE.replace("weight = 2.0", "weight = 99.0"), "r.toml").unwrap_err();
        assert!(e.to_string().starts_with("r.toml:5:"), "{e}");
    }

    #[test]
    fn unofficial_link_combination() {
        let src = r#"version = 1
[[rule]]
id = "brand"
fraud_type = "impersonate_customer_service"
weight = 2.0
description_zh = "x"
description_en = "x"
any = ["淘宝"]
unofficial_link = ["taobao.com"]
"#;
        let set = RuleSet::parse(src, "r").unwrap();
        assert!(set
            .evaluate_text("淘宝退款 https://m.taobao.com/x")
            .is_empty());
        assert_eq!(
            set.evaluate_text("淘宝退款 http://taobao-tk.top/x").len(),
            1
        );
    }

    #[test]
    fn hot_reload_keeps_old_rules_on_error() {
        let dir = std::env::temp_dir().join(format!("fanzha-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rules.toml");
        std::fs::write(&path, ONE).unwrap();
        let rules = Rules::from_file(&path).unwrap();
        assert_eq!(rules.current().version(), 2);
        std::fs::write(&path, "version = 1\n[[rule]]\nbroken").unwrap();
        force_mtime_change(&rules);
        let e = rules.reload_if_changed().unwrap_err();
        assert!(e.to_string().contains("rules.toml:3:"), "{e}");
        assert_eq!(rules.current().version(), 2);
        std::fs::write(&path, ONE.replace("version = 2", "version = 3")).unwrap();
        force_mtime_change(&rules);
        assert!(rules.reload_if_changed().unwrap());
        assert_eq!(rules.current().version(), 3);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn watcher_swaps_in_new_rules() {
        let dir = std::env::temp_dir().join(format!("fanzha-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rules.toml");
        std::fs::write(&path, ONE).unwrap();
        let rules = Arc::new(Rules::from_file(&path).unwrap());
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        let handle = rules.watch(Duration::from_millis(20), move |e| {
            sink.lock().unwrap().push(e.to_string())
        });
        std::fs::write(&path, ONE.replace("version = 2", "version = 5")).unwrap();
        // Coarse filesystem clocks: make sure the change is visible.
        let later = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(later)
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while rules.current().version() != 5 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(rules.current().version(), 5);
        assert!(errors.lock().unwrap().is_empty());
        drop(handle);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Filesystems with coarse timestamps may not show a change within the same tick.
    fn force_mtime_change(rules: &Rules) {
        *rules.mtime.lock().unwrap() = Some(SystemTime::UNIX_EPOCH);
    }
}

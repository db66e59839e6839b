//! The detection engine: one normalisation pass, indicator extraction, rules and classifier
//! combined into a verdict with a risk, a level, the fraud type, alternatives and an explanation.

mod brand;

use crate::brands::BrandRegistry;
use crate::extract::{extract_with, Indicator, IndicatorKind};
use crate::model::{for_each_feature, softmax, Model, ModelError};
use crate::normalize::{normalize_into, Normalized, Scratch as NormScratch};
use crate::rules::{RuleError, RuleHit, Rules, Scratch};
use crate::FraudType;
use arc_swap::ArcSwap;
use brand::brand_check;
use serde::Serialize;
use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;

/// Risk level shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    None,
    Low,
    Medium,
    High,
}

impl Level {
    /// Level of a risk in [0, 1].
    pub fn of(risk: f32) -> Level {
        if risk >= 0.8 {
            Level::High
        } else if risk >= 0.5 {
            Level::Medium
        } else if risk >= 0.2 {
            Level::Low
        } else {
            Level::None
        }
    }

    /// Id used in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// Another fraud type the text may be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alternative {
    pub fraud_type: FraudType,
    pub probability: f32,
}

/// An n-gram of the text that pushed the classifier towards the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Feature {
    /// The n-gram of the normalised text (or `indicator:<kind>`); `start..end` is where it is
    /// in the original text (`0..0` for indicator features).
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub weight: f32,
}

/// The engine's answer for one text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// `normal` when the text is judged not to be fraud.
    pub fraud_type: FraudType,
    /// Probability that the text is fraud, in [0, 1].
    pub risk: f32,
    pub level: Level,
    /// The most likely fraud types with their probability (highest first).
    pub alternatives: Vec<Alternative>,
    pub indicators: Vec<Indicator>,
    /// Rules that fired, with the spans that fired them.
    pub rules: Vec<RuleHit>,
    /// Top classifier features for the chosen class.
    pub features: Vec<Feature>,
    /// Version of the rule set that produced this verdict.
    pub rules_version: i64,
    /// The brand the text names or imitates, when it sends the reader to a link or number that
    /// is not the brand's (a lookalike host counts on its own).
    pub brand_mismatch: Option<BrandMismatch>,
    /// Whether the given sender (number or 106 port) is suspect; `None` when no sender was given.
    pub sender_suspect: Option<bool>,
    /// Whether a link in the text is suspect (a lookalike host, or not the named brand's).
    pub link_suspect: bool,
    /// Stable id of the model that scored the text (from the model file's metadata).
    pub model_version: String,
    /// The combined risk of classifier, rules and brands after the model's calibration map and
    /// before the level floors (what the model card's reliability table measures).
    #[serde(skip)]
    pub model_risk: f32,
}

/// A brand named (or imitated) by a text together with the link host or number it really sends
/// the reader to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrandMismatch {
    pub brand_key: String,
    pub brand_name_zh: String,
    pub brand_name_en: String,
    /// The link host or number used by the text.
    pub found: String,
    /// The brand's official domains (for a link) or numbers (for a number).
    pub official: Vec<String>,
}

/// Errors building an engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Rules (hot-reloadable) plus classifier. `Send + Sync`: share one in an `Arc`.
///
/// ```
/// use fanzha_detect::{Engine, FraudType};
/// let engine = Engine::builtin();
/// let v = engine.analyze("您好，我是市公安局的警官，你涉嫌一起洗钱案件，请把资金转入安全账户配合调查。");
/// assert_eq!(v.fraud_type, FraudType::ImpersonatePolice);
/// assert!(v.risk > 0.8);
/// let ok = engine.analyze("同学们好，明天下午三点在教学楼201开班会，请准时参加。");
/// assert_eq!(ok.fraud_type, FraudType::Normal);
/// ```
#[derive(Debug)]
pub struct Engine {
    rules: Arc<Rules>,
    model: Model,
    brands: ArcSwap<BrandRegistry>,
}

/// Rule evidence for one type is capped so that many overlapping rules cannot make the verdict
/// certain on their own.
const MAX_RULE_EVIDENCE: f32 = 6.0;

#[derive(Default)]
struct Buffers {
    norm: Normalized,
    chars: NormScratch,
    rules: Scratch,
    mentions: Vec<(usize, usize, usize)>,
}

thread_local! {
    static BUFFERS: RefCell<Buffers> = RefCell::new(Buffers::default());
}

impl Engine {
    /// Starter rules and the committed model, both embedded in the crate.
    pub fn builtin() -> Engine {
        Engine::new(
            Arc::new(Rules::builtin()),
            Model::builtin().expect("the embedded model is valid"),
        )
    }

    /// Rules and/or model from files; `None` uses the embedded one. A rules file is followed by
    /// [`Rules::reload_if_changed`] / [`Rules::watch`] on [`Engine::rules`].
    pub fn from_files(rules: Option<&Path>, model: Option<&Path>) -> Result<Engine, EngineError> {
        let rules = match rules {
            Some(p) => Rules::from_file(p)?,
            None => Rules::builtin(),
        };
        let model = match model {
            Some(p) => Model::from_file(p)?,
            None => Model::builtin()?,
        };
        Ok(Engine::new(Arc::new(rules), model))
    }

    /// An engine from parts.
    pub fn new(rules: Arc<Rules>, model: Model) -> Engine {
        Engine {
            rules,
            model,
            brands: ArcSwap::from_pointee(BrandRegistry::builtin()),
        }
    }

    /// Replaces the brand registry; every thread sees the new one from its next verdict on.
    pub fn set_brands(&self, reg: Arc<BrandRegistry>) {
        self.brands.store(reg);
    }

    /// The brand registry in force now.
    pub fn brands(&self) -> Arc<BrandRegistry> {
        self.brands.load_full()
    }

    /// Reads a registry file and swaps it in. A bad file is refused with `file:line: message`
    /// and the registry in force stays active.
    pub fn load_brands_file(&self, path: &Path) -> Result<(), crate::brands::BrandFileError> {
        let reg = BrandRegistry::from_file(path)?;
        self.set_brands(Arc::new(reg));
        Ok(())
    }

    /// The live rules (reload, watch, replace).
    pub fn rules(&self) -> &Arc<Rules> {
        &self.rules
    }

    /// The classifier.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Analyses one text, with the explanation (top classifier features).
    pub fn analyze(&self, text: &str) -> Verdict {
        self.run(text, None, true)
    }

    /// Like [`Engine::analyze`] for a pasted SMS with its sender (a number or a 106 port):
    /// `sender_suspect` says whether that sender could have sent it.
    ///
    /// ```
    /// let e = fanzha_detect::Engine::builtin();
    /// let v = e.analyze_with("【工商银行】您的账户积分即将清零，请登录 icbc-bonus.top 兑换", Some("13812345678"));
    /// assert_eq!(v.sender_suspect, Some(true));
    /// assert!(v.link_suspect);
    /// assert_eq!(v.brand_mismatch.unwrap().brand_key, "icbc");
    /// ```
    pub fn analyze_with(&self, text: &str, sender: Option<&str>) -> Verdict {
        self.run(text, sender, true)
    }

    /// Like [`Engine::analyze`] without the top-features explanation (`features` is empty):
    /// the same verdict, rules and indicators, for bulk scoring where nobody reads features.
    ///
    /// ```
    /// let e = fanzha_detect::Engine::builtin();
    /// let text = "兼职刷单，佣金日结，垫付后返还本金";
    /// assert_eq!(e.analyze_brief(text).fraud_type, e.analyze(text).fraud_type);
    /// assert!(e.analyze_brief(text).features.is_empty());
    /// ```
    pub fn analyze_brief(&self, text: &str) -> Verdict {
        self.run(text, None, false)
    }

    /// [`Engine::analyze_with`] without the top-features explanation.
    pub fn analyze_brief_with(&self, text: &str, sender: Option<&str>) -> Verdict {
        self.run(text, sender, false)
    }

    fn run(&self, text: &str, sender: Option<&str>, explain: bool) -> Verdict {
        BUFFERS.with(|b| match b.try_borrow_mut() {
            Ok(mut b) => self.run_in(text, sender, &mut b, explain),
            // Re-entrant call on the same thread (not expected): use fresh buffers.
            Err(_) => self.run_in(text, sender, &mut Buffers::default(), explain),
        })
    }

    fn run_in(&self, text: &str, sender: Option<&str>, b: &mut Buffers, explain: bool) -> Verdict {
        let Buffers {
            norm,
            chars,
            rules,
            mentions,
        } = b;
        normalize_into(text, norm, chars);
        let ruleset = self.rules.current();
        // One automaton pass finds rule keywords and the words extraction needs.
        ruleset.scan(norm.text(), rules);
        let mut indicators = Vec::new();
        extract_with(norm, text, &ruleset.triggers_seen(rules), &mut indicators);
        let mut hits = Vec::new();
        ruleset.evaluate_scanned(norm, &indicators, rules, &mut hits);

        let scores = self.model.score(norm.text(), &indicators);
        let mut z = scores.logits;
        let mut evidence = [0f32; FraudType::COUNT];
        for h in &hits {
            evidence[h.fraud_type.index()] += h.weight;
        }
        for (zi, e) in z.iter_mut().zip(evidence) {
            *zi += e.clamp(-MAX_RULE_EVIDENCE, MAX_RULE_EVIDENCE);
        }
        let brands = self.brands.load();
        let bc = brand_check(&brands, norm, text, &indicators, sender, mentions);
        if let Some(h) = &bc.official {
            z[FraudType::Normal.index()] += OFFICIAL_EVIDENCE;
            hits.push(h.clone());
        }
        let mut floor = 0f32;
        let mut floor_type = None;
        if let Some((t, hit)) = bc.hit {
            z[t.index()] += BRAND_EVIDENCE;
            floor = HIGH_FLOOR;
            floor_type = Some(t);
            hits.push(hit);
        } else if bc.sender_brand {
            floor = MEDIUM_FLOOR;
        }
        // A strong fraud rule with somewhere to send the victim never ends below medium.
        // (The rule must have fired on the contact itself: a link or number is one of its spans.)
        if floor < MEDIUM_FLOOR && indicators.iter().any(|i| is_contact(i.kind)) {
            let on_contact = |h: &RuleHit| {
                h.spans.iter().any(|&(s, e)| {
                    indicators.iter().any(|i| {
                        is_contact(i.kind)
                            && i.start == s
                            && i.end == e
                            && !brands.is_official_contact(i)
                    })
                })
            };
            if let Some(h) = hits
                .iter()
                .filter(|h| h.fraud_type.is_fraud() && h.weight >= STRONG_RULE && on_contact(h))
                .max_by(|a, b| a.weight.total_cmp(&b.weight))
            {
                floor = MEDIUM_FLOOR;
                floor_type = Some(h.fraud_type);
            }
        }
        // A strong recruitment rule is the harm itself: the sender asks the reader to lend an
        // account, which is a crime whether or not a link or number follows (the rules' vetoes
        // keep schools' and banks' warnings about such offers out).
        if floor < MEDIUM_FLOOR
            && hits
                .iter()
                .any(|h| h.fraud_type == FraudType::MuleRecruitment && h.weight >= STRONG_RULE)
        {
            floor = MEDIUM_FLOOR;
            floor_type = Some(FraudType::MuleRecruitment);
        }
        let p = softmax(&z);
        // The fitted map of the model (see the model card's reliability tables), then the floors.
        let mut risk = self
            .model
            .calibrate((1.0 - p[FraudType::Normal.index()]).clamp(0.0, 1.0))
            .clamp(0.0, 1.0);
        let model_risk = risk;
        // On the stack: a verdict allocates only what it returns.
        let mut ranked = [(FraudType::Normal, 0f32); FraudType::COUNT - 1];
        for (slot, &t) in ranked.iter_mut().zip(&FraudType::ALL[1..]) {
            *slot = (t, p[t.index()]);
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        if risk < floor {
            risk = floor;
            // The type the floor came from leads unless the classifier already prefers another.
            if let Some(t) = floor_type {
                if ranked[0].0 != t && ranked[0].1 < 0.5 {
                    let i = ranked.iter().position(|r| r.0 == t).unwrap_or(0);
                    ranked[..=i].rotate_right(1);
                }
            }
        }
        let fraud_type = if risk >= 0.5 {
            ranked[0].0
        } else {
            FraudType::Normal
        };
        let alternatives = ranked
            .iter()
            .filter(|(t, _)| *t != fraud_type)
            .take(3)
            .map(|&(t, pr)| Alternative {
                fraud_type: t,
                probability: round4(pr),
            })
            .collect();
        let features = if explain {
            self.top_features(norm, &indicators, fraud_type)
        } else {
            Vec::new()
        };
        Verdict {
            fraud_type,
            risk: round4(risk),
            level: Level::of(risk),
            alternatives,
            indicators,
            rules: hits,
            features,
            rules_version: ruleset.version(),
            brand_mismatch: bc.mismatch,
            sender_suspect: bc.sender_suspect,
            link_suspect: bc.link_suspect,
            model_version: self.model.version().to_string(),
            model_risk,
        }
    }

    /// The n-grams that most favour `class` over `normal` (or, for normal, over the best fraud
    /// class), merged by text, mapped to the original text.
    fn top_features(
        &self,
        n: &Normalized,
        indicators: &[Indicator],
        class: FraudType,
    ) -> Vec<Feature> {
        let c = class.index();
        let normal = FraudType::Normal.index();
        let mut top: [(f32, usize, usize, u64); 5] = [(0.0, 0, 0, 0); 5];
        for_each_feature(n.text(), indicators, |h, s, e| {
            let w = if class.is_fraud() {
                self.model.weight(h, c) - self.model.weight(h, normal)
            } else {
                self.model.weight(h, normal)
            };
            if w <= top[4].0 || e - s < 3 && s != e {
                // Single ASCII letters say little; CJK unigrams are 3 bytes and kept.
                return;
            }
            if top.iter().any(|t| t.1 == s && t.2 == e && t.3 == h) {
                return;
            }
            top[4] = (w, s, e, h);
            top.sort_by(|a, b| b.0.total_cmp(&a.0));
        });
        let kinds = crate::model::indicator_feature_hashes();
        let mut out: Vec<Feature> = Vec::new();
        for &(w, s, e, h) in top.iter().filter(|t| t.0 > 0.0) {
            let (text, start, end) = if s == e {
                let kind = kinds
                    .iter()
                    .find(|k| k.0 == h)
                    .map(|k| k.1.id())
                    .unwrap_or("?");
                (format!("indicator:{kind}"), 0, 0)
            } else {
                let o = n.to_original(s..e);
                (n.text()[s..e].to_string(), o.start, o.end)
            };
            if out.iter().any(|f| f.text == text) {
                continue;
            }
            out.push(Feature {
                text,
                start,
                end,
                weight: round4(w),
            });
        }
        out
    }
}

/// Log-odds added to `normal` when every link and number of a text is a named brand's own.
const OFFICIAL_EVIDENCE: f32 = 3.0;
/// Log-odds a brand mismatch adds to its fraud type.
const BRAND_EVIDENCE: f32 = 6.0;
/// A fraud rule at least this heavy is "strong" (see the level floor).
const STRONG_RULE: f32 = 3.0;
/// Risk floors: `medium` and `high` (see [`Level::of`]).
const MEDIUM_FLOOR: f32 = 0.5;
const HIGH_FLOOR: f32 = 0.85;

/// Kinds of indicator through which a victim is contacted or pays.
fn is_contact(k: IndicatorKind) -> bool {
    matches!(
        k,
        IndicatorKind::Phone
            | IndicatorKind::Url
            | IndicatorKind::Domain
            | IndicatorKind::Ip
            | IndicatorKind::Wechat
            | IndicatorKind::Qq
            | IndicatorKind::Alipay
            | IndicatorKind::BankCard
            | IndicatorKind::App
    )
}

fn round4(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Engine>();
    }

    #[test]
    fn spans_are_in_the_original_text() {
        let e = Engine::builtin();
        let text = "兼职刷 單，日結傭金，加Ｖ信：abc_12345";
        let v = e.analyze(text);
        for i in &v.indicators {
            assert!(text.is_char_boundary(i.start) && text.is_char_boundary(i.end));
        }
        for r in &v.rules {
            for &(s, e) in &r.spans {
                assert!(text.get(s..e).is_some());
            }
        }
    }
}

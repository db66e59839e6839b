//! The detection engine: one normalisation pass, indicator extraction, rules and classifier
//! combined into a verdict with a risk, a level, the fraud type, alternatives and an explanation.

use crate::brands::{host_of, host_under, is_link, BrandRegistry};
use crate::extract::{extract_with, Indicator, IndicatorKind};
use crate::model::{for_each_feature, softmax, Model, ModelError};
use crate::normalize::{normalize_into, Normalized, Scratch as NormScratch};
use crate::rules::{RuleError, RuleHit, Rules, Scratch};
use crate::FraudType;
use arc_swap::ArcSwap;
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

/// What the brand registry says about one text.
#[derive(Default)]
struct BrandCheck {
    mismatch: Option<BrandMismatch>,
    /// Every link and number is official (explanation of the exculpatory evidence).
    official: Option<RuleHit>,
    /// The type and the explanation to add when there is a mismatch.
    hit: Option<(FraudType, RuleHit)>,
    sender_suspect: Option<bool>,
    /// A brand is named and the sender cannot be that brand.
    sender_brand: bool,
    link_suspect: bool,
}

/// Words by which a message asks the reader to act through a link ("click", "log in"…).
const LINK_ACTIONS: &[&str] = &[
    "登录", "登陆", "兑换", "验证", "认证", "核实", "核验", "解冻", "解除", "退款", "退费", "理赔",
    "赔付", "赔偿", "支付", "付款", "缴费", "缴纳", "转账", "汇款", "点击", "点开", "打开", "访问",
    "进入", "激活", "升级", "领取", "办理", "更新", "补办", "注销", "填写", "提交", "确认", "查看",
    "详情", "查询", "申请", "下载", "安装", "开通", "预约",
];
/// The sensitive subset that makes a call to an unofficial number suspect.
const CALL_ACTIONS: &[&str] = &[
    "登录", "兑换", "验证", "认证", "核实", "解冻", "冻结", "退款", "退费", "理赔", "赔付", "赔偿",
    "支付", "付款", "缴费", "缴纳", "转账", "汇款", "激活", "升级", "注销", "异常", "逾期", "过期",
    "清零", "失效", "盗刷", "被盗", "丢失", "涉嫌", "传唤", "起诉", "查封", "扣费", "停机", "关闭",
    "取消",
];

fn any_word(t: &str, words: &[&str]) -> bool {
    words.iter().any(|w| t.contains(w))
}

/// A short number of the national service plan (95xxx, 96xxx, 10xxx, 12xxx…).
fn is_short_service(n: &str) -> bool {
    n.len() <= 6 && (n.starts_with('9') || n.starts_with('1'))
}

/// Hosts no impersonator can hold: government and education registries.
fn institutional(host: &str) -> bool {
    host_under(host, "gov.cn") || host_under(host, "edu.cn")
}

fn brand_check(
    reg: &BrandRegistry,
    norm: &Normalized,
    original: &str,
    indicators: &[Indicator],
    sender: Option<&str>,
    mentions: &mut Vec<(usize, usize, usize)>,
) -> BrandCheck {
    let mut out = BrandCheck::default();
    let sender = sender.map(str::trim).filter(|s| !s.is_empty());
    let has_link = indicators.iter().any(is_link);
    let has_phone = indicators.iter().any(|i| i.kind == IndicatorKind::Phone);
    if reg.is_empty() || (!has_link && !has_phone && sender.is_none()) {
        out.sender_suspect = sender.map(|_| false);
        return out;
    }
    let t = norm.text();
    reg.mentions(t, mentions);
    let brand = |i: usize| &reg.brands()[i];
    let mut found: Option<(usize, String, bool, usize, usize)> = None; // brand, found, is_link, span
                                                                       // Lookalike hosts, with or without the brand named.
    for i in indicators.iter().filter(|i| is_link(i)) {
        let Some(host) = host_of(&i.value) else {
            continue;
        };
        if let Some(b) = reg.lookalike(host) {
            let bi = reg
                .brands()
                .iter()
                .position(|x| x.key == b.key)
                .unwrap_or(0);
            found = Some((bi, host.to_string(), true, i.start, i.end));
            break;
        }
    }
    if found.is_none() && !mentions.is_empty() {
        let official_link = |host: &str| {
            institutional(host)
                || mentions
                    .iter()
                    .any(|m| reg.is_official_host(brand(m.0), host))
        };
        if has_link && any_word(t, LINK_ACTIONS) {
            for i in indicators.iter().filter(|i| is_link(i)) {
                match host_of(&i.value) {
                    Some(host) if !official_link(host) && crate::extract::known_tld(host) => {
                        found = Some((mentions[0].0, host.to_string(), true, i.start, i.end));
                        break;
                    }
                    // A hidden or cut-off link cannot be checked; government services never
                    // send one to act on, whatever it is.
                    None => {
                        if let Some(m) = mentions.iter().find(|m| brand(m.0).sector == "government")
                        {
                            let shown = original.get(i.start..i.end).unwrap_or("").to_string();
                            found = Some((m.0, shown, true, i.start, i.end));
                            break;
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        if found.is_none() && has_phone && any_word(t, CALL_ACTIONS) {
            let official_number = |n: &str| {
                mentions
                    .iter()
                    .any(|m| reg.is_official_number(brand(m.0), n))
                    || reg
                        .brands()
                        .iter()
                        .filter(|b| b.sector == "government")
                        .any(|b| reg.is_official_number(b, n))
            };
            for i in indicators.iter().filter(|i| i.kind == IndicatorKind::Phone) {
                // Short service numbers (95xxx, 96xxx, 1xxxx) are allocated to institutions;
                // the check is about the ordinary numbers impersonators can get.
                if i.value != "<masked>"
                    && !is_short_service(&i.value)
                    && !official_number(&i.value)
                {
                    found = Some((mentions[0].0, i.value.clone(), false, i.start, i.end));
                    break;
                }
            }
        }
    }
    if let Some((bi, what, link, s, e)) = found {
        let b = brand(bi);
        out.link_suspect = link;
        let official = if link {
            b.domains.clone()
        } else {
            b.numbers.clone()
        };
        let fraud_type = if b.sector == "government" && b.key != "etc" && b.key != "traffic_police"
        {
            FraudType::ImpersonatePolice
        } else if link {
            FraudType::OtherFraud
        } else {
            FraudType::ImpersonateCustomerService
        };
        let list = official.join(", ");
        let (zh, en) = if link {
            (
                format!("冒用「{}」名义，链接 {what} 不是其官方网站（官方：{list}）", b.name_zh),
                format!("Uses the name of {} but links to {what}, which is not its official site (official: {list})", b.name_en),
            )
        } else {
            (
                format!("冒用「{}」名义，号码 {what} 不是其官方号码（官方：{list}）", b.name_zh),
                format!("Uses the name of {} but gives the number {what}, which is not its official number (official: {list})", b.name_en),
            )
        };
        let mut spans = vec![(s, e)];
        if let Some(m) = mentions.iter().find(|m| m.0 == bi) {
            let o = norm.to_original(m.1..m.2);
            spans.insert(0, (o.start, o.end));
        }
        spans.sort_unstable();
        out.hit = Some((
            fraud_type,
            RuleHit {
                id: Arc::from(if link {
                    "brand.unofficial_link"
                } else {
                    "brand.unofficial_number"
                }),
                fraud_type,
                weight: BRAND_EVIDENCE,
                description_zh: Arc::from(zh),
                description_en: Arc::from(en),
                spans,
            },
        ));
        out.mismatch = Some(BrandMismatch {
            brand_key: b.key.clone(),
            brand_name_zh: b.name_zh.clone(),
            brand_name_en: b.name_en.clone(),
            found: what,
            official,
        });
    }
    if out.mismatch.is_none() {
        out.official = official_only(reg, indicators, mentions);
    }
    if let Some(s) = sender {
        let kind = SenderKind::of(s);
        let named: Vec<&crate::brands::Brand> = mentions.iter().map(|m| brand(m.0)).collect();
        let suspect = match kind {
            // A brand's own number, or a commercial 106 port: only suspect when the text itself
            // sends the reader elsewhere.
            SenderKind::Service(ref n) => {
                if named.is_empty() {
                    out.mismatch.is_some()
                } else {
                    !named.iter().any(|b| reg.is_official_number(b, n)) || out.mismatch.is_some()
                }
            }
            SenderKind::Port => out.mismatch.is_some(),
            // A person's phone, a foreign number or something unreadable cannot be a brand.
            SenderKind::Personal | SenderKind::Other => {
                !named.is_empty() || has_link || out.mismatch.is_some()
            }
        };
        out.sender_brand = suspect && !named.is_empty();
        out.sender_suspect = Some(suspect);
    }
    out
}

/// When a text sends the reader only to official places (every link and number belongs to a
/// brand it names, or, naming none, to some brand of the registry) and asks for nothing else
/// (no chat account, app, card, code or "safe account"), the evidence that says so.
fn official_only(
    reg: &BrandRegistry,
    indicators: &[Indicator],
    mentions: &[(usize, usize, usize)],
) -> Option<RuleHit> {
    let mut contacts = 0;
    let mut spans = Vec::new();
    for i in indicators {
        match i.kind {
            IndicatorKind::Url | IndicatorKind::Domain | IndicatorKind::Phone => {
                let ok = if mentions.is_empty() {
                    reg.is_official_contact(i)
                } else {
                    mentions.iter().any(|m| {
                        let b = &reg.brands()[m.0];
                        match host_of(&i.value) {
                            _ if i.value == "<masked>" => false,
                            Some(h) if is_link(i) => reg.is_official_host(b, h) || institutional(h),
                            _ => {
                                i.kind == IndicatorKind::Phone
                                    && reg.is_official_number(b, &i.value)
                            }
                        }
                    })
                };
                if !ok {
                    return None;
                }
                contacts += 1;
                spans.push((i.start, i.end));
            }
            IndicatorKind::Amount => {}
            _ => return None,
        }
    }
    if contacts == 0 {
        return None;
    }
    Some(RuleHit {
        id: Arc::from("brand.official_contact"),
        fraud_type: FraudType::Normal,
        weight: OFFICIAL_EVIDENCE,
        description_zh: Arc::from("链接和号码均属于品牌官方渠道（仍请自行在官方 App 或官网核实）"),
        description_en: Arc::from(
            "Every link and number belongs to the brand's official channels (still check in its official app or site)",
        ),
        spans,
    })
}

/// What a pasted sender is.
enum SenderKind {
    /// A short service number (95xxx, 10086, 12368…) in canonical form.
    Service(String),
    /// A commercial SMS port (106…).
    Port,
    /// A mobile, landline or foreign number.
    Personal,
    /// Anything else (a name, letters).
    Other,
}

impl SenderKind {
    fn of(s: &str) -> SenderKind {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        if digits.starts_with('+') || digits.starts_with("00") {
            return if digits.starts_with("+86") || digits.starts_with("0086") {
                SenderKind::of(
                    digits
                        .trim_start_matches('+')
                        .trim_start_matches("00")
                        .trim_start_matches("86"),
                )
            } else {
                SenderKind::Personal
            };
        }
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return SenderKind::Other;
        }
        if digits.starts_with("106") {
            return SenderKind::Port;
        }
        if digits.len() <= 8 && (digits.starts_with('9') || digits.starts_with("1")) {
            return SenderKind::Service(digits);
        }
        if digits.starts_with("400") || digits.starts_with("800") {
            return SenderKind::Service(digits);
        }
        SenderKind::Personal
    }
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

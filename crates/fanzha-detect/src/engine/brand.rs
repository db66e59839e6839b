//! What the brand registry says about a text: a named brand reached through someone else's link
//! or number (a mismatch), a text that sends the reader only to official places, and what kind of
//! sender a pasted number is.

use std::sync::Arc;

use super::{BrandMismatch, BRAND_EVIDENCE, OFFICIAL_EVIDENCE};
use crate::brands::{host_of, host_under, is_link, BrandRegistry};
use crate::extract::{Indicator, IndicatorKind};
use crate::normalize::Normalized;
use crate::rules::RuleHit;
use crate::FraudType;

/// What the brand registry says about one text.
#[derive(Default)]
pub(super) struct BrandCheck {
    pub(super) mismatch: Option<BrandMismatch>,
    /// Every link and number is official (explanation of the exculpatory evidence).
    pub(super) official: Option<RuleHit>,
    /// The type and the explanation to add when there is a mismatch.
    pub(super) hit: Option<(FraudType, RuleHit)>,
    pub(super) sender_suspect: Option<bool>,
    /// A brand is named and the sender cannot be that brand.
    pub(super) sender_brand: bool,
    pub(super) link_suspect: bool,
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

pub(super) fn brand_check(
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

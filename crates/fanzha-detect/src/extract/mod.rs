//! Indicator extraction: the phone numbers, links, accounts and requests ("tell me the code",
//! "share your screen", "move it to the safe account") in a message, each with its normalised value
//! and its byte span in the ORIGINAL text, plus the canonical form the indicator store keys on.

mod canonical;

use crate::normalize::{normalize, Normalized};
use crate::phone::{PhoneNumber, Shape};
use canonical::{canonical_domain, canonical_url, canonicalize_kind};
pub use canonical::{canonicalize, luhn, CanonicalError};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::ops::Range;
use std::str::FromStr;
use std::sync::OnceLock;

/// What an indicator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// Mobile, landline or service (400/800/95xxx) number.
    Phone,
    Url,
    Domain,
    Ip,
    BankCard,
    Alipay,
    Wechat,
    Qq,
    /// An app to install, by name or by download link.
    App,
    OtherAccount,
    /// An amount of money.
    Amount,
    /// A request to hand over a verification code.
    VerificationCode,
    /// A request to share the screen or join a meeting app.
    ScreenShare,
    /// A "safe account" (安全账户) or similar transfer for "verification".
    SafeAccount,
}

impl IndicatorKind {
    /// Every kind.
    pub const ALL: [IndicatorKind; 14] = [
        IndicatorKind::Phone,
        IndicatorKind::Url,
        IndicatorKind::Domain,
        IndicatorKind::Ip,
        IndicatorKind::BankCard,
        IndicatorKind::Alipay,
        IndicatorKind::Wechat,
        IndicatorKind::Qq,
        IndicatorKind::App,
        IndicatorKind::OtherAccount,
        IndicatorKind::Amount,
        IndicatorKind::VerificationCode,
        IndicatorKind::ScreenShare,
        IndicatorKind::SafeAccount,
    ];

    /// The id used in JSON and rule files.
    pub fn id(self) -> &'static str {
        match self {
            IndicatorKind::Phone => "phone",
            IndicatorKind::Url => "url",
            IndicatorKind::Domain => "domain",
            IndicatorKind::Ip => "ip",
            IndicatorKind::BankCard => "bank_card",
            IndicatorKind::Alipay => "alipay",
            IndicatorKind::Wechat => "wechat",
            IndicatorKind::Qq => "qq",
            IndicatorKind::App => "app",
            IndicatorKind::OtherAccount => "other_account",
            IndicatorKind::Amount => "amount",
            IndicatorKind::VerificationCode => "verification_code",
            IndicatorKind::ScreenShare => "screen_share",
            IndicatorKind::SafeAccount => "safe_account",
        }
    }

    /// Canonical form of a raw value of this kind; see [`canonicalize`].
    pub fn canonicalize(self, raw: &str) -> Result<String, CanonicalError> {
        canonicalize_kind(self, raw)
    }
}

impl fmt::Display for IndicatorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for IndicatorKind {
    type Err = CanonicalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.id() == s.trim())
            .ok_or_else(|| CanonicalError::UnknownKind(s.to_string()))
    }
}

/// One indicator found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub kind: IndicatorKind,
    /// Canonical value (see [`canonicalize`]); `<masked>` for masking tokens such as `URL`.
    pub value: String,
    /// Byte offset of the start in the original text.
    pub start: usize,
    /// Byte offset of the end (exclusive) in the original text.
    pub end: usize,
}

// ---------------------------------------------------------------------------------------------
// Extraction

struct Patterns {
    url: Regex,
    domain: Regex,
    ip: Regex,
    wechat: Regex,
    qq: Regex,
    alipay: Regex,
    app: Regex,
    amount: Regex,
    code: Regex,
    masked: Regex,
}

const TLDS: &str = "com|cn|net|org|top|xyz|vip|cc|info|me|io|app|shop|club|site|online|ltd|tk|ml|co|hk|tw|asia|biz|live|fun|icu|work|link|pro|wang|ren|ink|xin|store|tech|cyou|buzz|mobi|win|bid|loan|ly|gg|to|sh|so|la|in|us|uk|jp|kr|ru|de|ws|tv|bet|red|kim|group|cloud|life|today|space|website|email|gov|edu";

/// Whether the last label of a host is a top-level domain that the extractor knows (a host cut
/// off in the middle, `www.exam`, does not count).
pub(crate) fn known_tld(host: &str) -> bool {
    let last = host.rsplit('.').next().unwrap_or("");
    last.starts_with("xn--") || TLDS.split('|').any(|t| t == last)
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("built-in pattern is valid");
        let label = r"(?:xn--)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
        Patterns {
            url: re(r"(?:https?://|www\.)[^\s<>'`，。！？、；：（）【】「」“”《》\p{Han}]+"),
            domain: re(&format!(
                r"(?-u:\b)(?:{label}\.)+(?:{TLDS}|xn--[a-z0-9-]+)(?-u:\b)(?::\d{{2,5}})?(?:/[a-z0-9\-._~%/?=&#+]*)?"
            )),
            ip: re(r"(?-u:\b)(?:\d{1,3}\.){3}\d{1,3}(?-u:\b)(?::\d{2,5})?"),
            wechat: re(r"^微信(?:号|id|账号)?(?:[:：]|是|为|搜索|搜)?\s?([a-z][-_a-z0-9]{5,19})"),
            qq: re(r"^qq(?:号码|号|群|群号)?(?:[:：]|是|为)?\s?([1-9][0-9]{4,10})(?-u:\b)"),
            alipay: re(
                r"^支付宝(?:账号|账户|帐号|号)?(?:[:：]|是|为)?\s?([a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}|1[3-9][0-9]{9})",
            ),
            app: re(
                r#"(?:下载|安装|注册|登录|打开)(?:安装)?(?:一个|一下)?[“"「《『]?([\p{Han}a-z0-9]{2,12}?)[”"」》』]?(?:app|软件|客户端|平台)|([a-z][a-z0-9]{1,15})\.apk(?-u:\b)"#,
            ),
            amount: re(
                r"(?:[¥￥]|人民币)\s?[0-9][0-9,]*(?:\.[0-9]+)?(?:万|千)?(?:元|块)?|[0-9][0-9,]*(?:\.[0-9]+)?(?:万|千|百)?(?:元|块钱|块|rmb)|[一二两三四五六七八九十百千万]+(?:元|块钱|万块)",
            ),
            code: re(
                r"(?:告诉|提供|发给|发送给|报给|报一下|念|读|转发|截图|输入|填写|回复)(?:[^。！？\n]{0,8})验证码|验证码(?:[^。！？\n]{0,8})(?:告诉|提供|发给|发我|报给|给我|念|读出|转发|截图|发过来)",
            ),
            masked: re(r"(?-u:\b)(?:URL|CELLPHONE|PHONE|TEL|MOBILE|QQ|WECHAT|EMAIL)(?-u:\b)"),
        }
    })
}

const SCREEN_SHARE: &[&str] = &[
    "屏幕共享",
    "共享屏幕",
    "屏幕分享",
    "分享屏幕",
    "开启共享",
    "向日葵",
    "todesk",
    "teamviewer",
    "远程控制",
    "远程协助",
    "会议号",
    "腾讯会议",
    "zoom",
];

const SAFE_ACCOUNT: &[&str] = &[
    "安全账户",
    "安全账号",
    "安全帐户",
    "国家账户",
    "监管账户",
    "清查账户",
    "核查账户",
    "资金清查",
    "资金核查",
    "公证账户",
    "验资账户",
];

/// Words whose presence decides which extractors run: one automaton pass instead of a dozen
/// substring searches.
const TRIGGERS: &[&str] = &[
    "http",
    "微信",
    "qq",
    "支付宝",
    "app",
    "软件",
    "客户端",
    "平台",
    "验证码",
    "元",
    "块",
    "¥",
    "￥",
    "人民币",
    "rmb",
];
const _: () = assert!(TRIGGERS.len() + SCREEN_SHARE.len() + SAFE_ACCOUNT.len() <= 40);
const T_HTTP: usize = 0;
const T_WECHAT: usize = 1;
const T_QQ: usize = 2;
const T_ALIPAY: usize = 3;
const T_APP: std::ops::Range<usize> = 4..8;
const T_CODE: usize = 8;
const T_MONEY: std::ops::Range<usize> = 9..15;

fn triggers() -> &'static aho_corasick::AhoCorasick {
    static AC: OnceLock<aho_corasick::AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        let all = TRIGGERS.iter().chain(SCREEN_SHARE).chain(SAFE_ACCOUNT);
        aho_corasick::AhoCorasick::new(all).expect("trigger words are valid")
    })
}

/// Extracts indicators from `text`. Spans are byte offsets into `text`.
///
/// ```
/// use fanzha_detect::extract::{extract, IndicatorKind};
/// let found = extract("客服电话：４００-８８８-１２３４，加Ｖ信 abc_12345 领取");
/// assert!(found.iter().any(|i| i.kind == IndicatorKind::Phone && i.value == "4008881234"));
/// let w = found.iter().find(|i| i.kind == IndicatorKind::Wechat).unwrap();
/// assert_eq!(w.value, "abc_12345");
/// ```
pub fn extract(text: &str) -> Vec<Indicator> {
    let n = normalize(text);
    let mut out = Vec::new();
    extract_normalized(&n, text, &mut out);
    out
}

/// Extraction over an already normalised text; `original` is the text `n` was made from.
pub fn extract_normalized(n: &Normalized, original: &str, out: &mut Vec<Indicator>) {
    // First occurrence of every trigger word.
    let mut seen: Triggers = [None; 40];
    for m in triggers().find_iter(n.text()) {
        let k = m.pattern().as_usize();
        if k < seen.len() && seen[k].is_none() {
            seen[k] = Some((m.start(), m.end()));
        }
    }
    extract_with(n, original, &seen, out);
}

/// First occurrence (byte range in the normalised text) of each word of [`trigger_words`].
pub(crate) type Triggers = [Option<(usize, usize)>; 40];

/// The words extraction needs located before it runs; the rules automaton finds them in the
/// same pass as the rule keywords, so the engine scans the text once.
pub(crate) fn trigger_words() -> impl Iterator<Item = &'static str> {
    TRIGGERS
        .iter()
        .chain(SCREEN_SHARE)
        .chain(SAFE_ACCOUNT)
        .copied()
}

/// Extraction with the trigger words already located.
pub(crate) fn extract_with(
    n: &Normalized,
    original: &str,
    seen: &Triggers,
    out: &mut Vec<Indicator>,
) {
    let t = n.text();
    let p = patterns();
    let mut add = |kind: IndicatorKind, value: String, r: Range<usize>| {
        let span = n.to_original(r);
        out.push(Indicator {
            kind,
            value,
            start: span.start,
            end: span.end,
        });
    };

    let has = |k: usize| seen[k].is_some();
    if t.bytes().any(|b| b.is_ascii_digit()) {
        digit_runs(t, &mut add);
    }
    // Domains and IPs need a dot between two ASCII alphanumerics; "56.00元" alone has one, but
    // "。" or a dot ending a sentence do not, and skipping the regexes then is the common case.
    let (mut domain_dot, mut ip_dot) = (false, false);
    for w in t.as_bytes().windows(3) {
        if w[1] == b'.' && w[0].is_ascii_alphanumeric() {
            domain_dot |= w[2].is_ascii_alphabetic();
            ip_dot |= w[0].is_ascii_digit() && w[2].is_ascii_digit();
        }
    }
    let mut url_spans: Vec<Range<usize>> = Vec::new();
    if has(T_HTTP) || t.contains("www.") {
        for m in p.url.find_iter(t) {
            let raw = m
                .as_str()
                .trim_end_matches(['.', ',', ')', ']', '!', '?', ';', ':']);
            if let Ok(v) = canonical_url(raw) {
                url_spans.push(m.start()..m.start() + raw.len());
                add(IndicatorKind::Url, v, m.start()..m.start() + raw.len());
            } else if raw
                .trim_end_matches(['.', '…', '⋯', '*', 'x'])
                .ends_with("://")
            {
                // A link whose host was cut off or hidden ("http://…"): a link all the same.
                add(
                    IndicatorKind::Url,
                    "<masked>".to_string(),
                    m.start()..m.start() + m.as_str().len(),
                );
            }
        }
    }
    if domain_dot {
        for m in p.domain.find_iter(t) {
            if url_spans
                .iter()
                .any(|r| r.start <= m.start() && m.end() <= r.end)
            {
                continue;
            }
            let raw = m
                .as_str()
                .trim_end_matches(['.', ',', ')', ']', '!', '?', ';', ':']);
            let (host, has_path) = match raw.find(['/', ':']) {
                Some(i) => (&raw[..i], true),
                None => (raw, false),
            };
            if let Ok(d) = canonical_domain(host) {
                let kind_val = if has_path {
                    canonical_url(raw).map(|u| (IndicatorKind::Url, u))
                } else {
                    Ok((IndicatorKind::Domain, d))
                };
                if let Ok((k, v)) = kind_val {
                    add(k, v, m.start()..m.start() + raw.len());
                }
            }
        }
    }
    if ip_dot {
        for m in p.ip.find_iter(t) {
            let ip = m.as_str().split(':').next().unwrap_or("");
            if let Ok(addr) = ip.parse::<IpAddr>() {
                add(IndicatorKind::Ip, addr.to_string(), m.range());
            }
        }
    }
    // Account ids follow their app's name closely: run the anchored regexes (with a capture
    // group, the slow part of a regex) only on a short window after each occurrence.
    for (trigger, word, re, kind) in [
        (T_WECHAT, "微信", &p.wechat, IndicatorKind::Wechat),
        (T_QQ, "qq", &p.qq, IndicatorKind::Qq),
        (T_ALIPAY, "支付宝", &p.alipay, IndicatorKind::Alipay),
    ] {
        if !has(trigger) {
            continue;
        }
        for (at, _) in t.match_indices(word) {
            let end = floor_boundary(t, (at + 64).min(t.len()));
            if let Some(g) = re.captures(&t[at..end]).and_then(|c| c.get(1)) {
                let r = at + g.start()..at + g.end();
                add(kind, g.as_str().to_string(), r);
            }
        }
    }
    if T_APP.into_iter().any(has) {
        for c in p.app.captures_iter(t) {
            if let Some(g) = c.get(1).or_else(|| c.get(2)) {
                add(IndicatorKind::App, g.as_str().to_string(), g.range());
            }
        }
    }
    if T_MONEY.into_iter().any(has) {
        for m in p.amount.find_iter(t) {
            add(IndicatorKind::Amount, m.as_str().to_string(), m.range());
        }
    }
    if has(T_CODE) {
        for m in p.code.find_iter(t) {
            add(
                IndicatorKind::VerificationCode,
                "request".to_string(),
                m.range(),
            );
        }
    }
    let base = TRIGGERS.len();
    for (k, word) in SCREEN_SHARE.iter().chain(SAFE_ACCOUNT).enumerate() {
        if let Some((st, en)) = seen.get(base + k).copied().flatten() {
            let kind = if k < SCREEN_SHARE.len() {
                IndicatorKind::ScreenShare
            } else {
                IndicatorKind::SafeAccount
            };
            add(kind, (*word).to_string(), st..en);
        }
    }
    // Masking tokens of public data sets stand for an indicator of their kind.
    // Every token is at least two capital letters in a row; most texts have none.
    if original
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase())
    {
        for m in p.masked.find_iter(original) {
            let kind = match m.as_str() {
                "URL" => IndicatorKind::Url,
                "QQ" => continue,
                "WECHAT" => IndicatorKind::Wechat,
                "EMAIL" => IndicatorKind::OtherAccount,
                _ => IndicatorKind::Phone,
            };
            out.push(Indicator {
                kind,
                value: "<masked>".to_string(),
                start: m.start(),
                end: m.end(),
            });
        }
    }
    out.sort_by_key(|i| (i.start, i.end, i.kind));
    out.dedup_by(|a, b| a.kind == b.kind && a.start == b.start && a.end == b.end);
}

/// Scans maximal runs of digits (joined by single dashes, optionally after `+`) and classifies
/// them by shape and by the words just before them.
fn digit_runs(t: &str, add: &mut impl FnMut(IndicatorKind, String, Range<usize>)) {
    let b = t.as_bytes();
    let mut i = 0;
    let mut digits = String::with_capacity(24);
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // Part of a word, an IP or a decimal: not a number on its own.
        let glued =
            i > 0 && (b[i - 1].is_ascii_alphabetic() || b[i - 1] == b'.' || b[i - 1] == b'_');
        let plus = i > 0 && b[i - 1] == b'+';
        let start = if plus { i - 1 } else { i };
        let mut j = i;
        digits.clear();
        while j < b.len() {
            if b[j].is_ascii_digit() {
                digits.push(b[j] as char);
                j += 1;
            } else if (b[j] == b'-' || b[j] == b' ') && j + 1 < b.len() && b[j + 1].is_ascii_digit()
            {
                j += 1;
            } else if plus {
                // International numbers are often written `+1 (555) 010-0123`: up to three
                // separators (space, dash, parentheses) between digit groups.
                let k = (j..b.len().min(j + 3))
                    .take_while(|&k| matches!(b[k], b' ' | b'-' | b'(' | b')'))
                    .last()
                    .map_or(j, |k| k + 1);
                if k > j && k < b.len() && b[k].is_ascii_digit() {
                    j = k;
                } else {
                    break;
                }
            } else {
                break;
            }
        }
        let end = j;
        i = j;
        let glued_after =
            end < b.len() && (b[end].is_ascii_alphabetic() || b[end] == b'.' || b[end] == b'_');
        if glued || glued_after {
            continue;
        }
        let before = &t[floor_boundary(t, start.saturating_sub(24))..start];
        if plus {
            // `+` and a country code: a phone number, never a QQ number or a card; a foreign one
            // stays international, a `+86` one goes on as its national digits.
            match PhoneNumber::from_digits(true, &digits) {
                Some(p) if p.is_international() => {
                    add(IndicatorKind::Phone, p.canonical(), start..end);
                    continue;
                }
                Some(p) => digits = p.canonical(),
                None => continue,
            }
        }
        if !plus
            && before.contains("qq")
            && (5..=11).contains(&digits.len())
            && !digits.starts_with('0')
        {
            add(IndicatorKind::Qq, digits.clone(), start..end);
            continue;
        }
        if !plus && (16..=19).contains(&digits.len()) && luhn(&digits) {
            add(IndicatorKind::BankCard, digits.clone(), start..end);
            continue;
        }
        // In running text a `00…` run is an international number only when long enough to be
        // one (`00` and at least 10 digits); shorter runs are order numbers and the like.
        let parsed = PhoneNumber::from_digits(false, &digits)
            .filter(|p| !p.is_international() || digits.len() >= 12);
        if let Some(p) = parsed {
            let (shape, v) = (p.shape(), p.canonical());
            let money_after = t[end..].starts_with('元') || t[end..].starts_with('块');
            if shape == Some(Shape::Service) && money_after {
                continue;
            }
            let wechat_before = before.ends_with("微信") || before.ends_with("微信:");
            if shape == Some(Shape::Mobile) && wechat_before {
                add(IndicatorKind::Wechat, v.clone(), start..end);
            }
            if shape == Some(Shape::Mobile) && before.contains("支付宝") {
                add(IndicatorKind::Alipay, v.clone(), start..end);
            }
            add(IndicatorKind::Phone, v, start..end);
        }
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(IndicatorKind, String)> {
        extract(text)
            .into_iter()
            .map(|i| (i.kind, i.value))
            .collect()
    }

    #[test]
    fn phones() {
        let k = kinds("电话 +86 138-1234-5678 或 010-12345678 或 95588");
        assert!(k.contains(&(IndicatorKind::Phone, "13812345678".into())));
        assert!(k.contains(&(IndicatorKind::Phone, "01012345678".into())));
        assert!(k.contains(&(IndicatorKind::Phone, "95588".into())));
        let k = kinds("联系幺三八 一二三四 五六七八");
        assert!(
            k.contains(&(IndicatorKind::Phone, "13812345678".into())),
            "{k:?}"
        );
    }

    #[test]
    fn foreign_numbers_stay_international() {
        let k = kinds(
            "请致电 +1 415 555 0100 或 +1 (555) 010-0123 或 00852 2123 4567，国内 +86 138-1234-5678",
        );
        for v in [
            "+14155550100",
            "+15550100123",
            "+85221234567",
            "13812345678",
        ] {
            assert!(k.contains(&(IndicatorKind::Phone, v.into())), "{v}: {k:?}");
        }
        assert!(
            !k.iter()
                .any(|(_, v)| v == "14155550100" || v == "15550100123"),
            "{k:?}"
        );
        assert_eq!(
            canonicalize("phone", "+1 415 555 0100").unwrap(),
            "+14155550100"
        );
        assert_eq!(
            canonicalize("phone", "＋１ ４１５ ５５５ ０１００").unwrap(),
            "+14155550100"
        );
        assert!(canonicalize("alipay", "+1 415 555 0100").is_err());
        let k = kinds("订单号 0012345678 已发货");
        assert!(
            !k.iter().any(|(kind, _)| *kind == IndicatorKind::Phone),
            "{k:?}"
        );
        assert_eq!(
            canonicalize("wechat", "+86 13812345678").unwrap(),
            "13812345678"
        );
    }

    #[test]
    fn cards_and_accounts() {
        let k = kinds("请转到卡号6222 0212 3456 7890 128，qq:123456789，支付宝：abc@qq.com");
        assert!(
            k.contains(&(IndicatorKind::BankCard, "6222021234567890128".into())),
            "{k:?}"
        );
        assert!(k.contains(&(IndicatorKind::Qq, "123456789".into())));
        assert!(k.contains(&(IndicatorKind::Alipay, "abc@qq.com".into())));
    }

    #[test]
    fn links() {
        let k = kinds("点击 http://Refund-Taobao.top/a?b=1 或访问 abc点vip 或 1.2.3.4");
        assert!(
            k.contains(&(IndicatorKind::Url, "http://refund-taobao.top/a?b=1".into())),
            "{k:?}"
        );
        assert!(
            k.contains(&(IndicatorKind::Domain, "abc.vip".into())),
            "{k:?}"
        );
        assert!(k.contains(&(IndicatorKind::Ip, "1.2.3.4".into())), "{k:?}");
        let k = kinds("详情请戳URL");
        assert!(k.contains(&(IndicatorKind::Url, "<masked>".into())));
    }

    #[test]
    fn requests() {
        let k = kinds("把收到的验证码告诉我，然后下载腾讯会议开启屏幕共享，资金转入安全账户");
        let ks: Vec<_> = k.iter().map(|x| x.0).collect();
        assert!(ks.contains(&IndicatorKind::VerificationCode));
        assert!(ks.contains(&IndicatorKind::ScreenShare));
        assert!(ks.contains(&IndicatorKind::SafeAccount));
    }

    #[test]
    fn canonical_errors() {
        assert_eq!(
            canonicalize("bank_card", "1234567890123456789012345"),
            Err(CanonicalError::CardLength(25))
        );
        assert!(matches!(
            canonicalize("kind", "x"),
            Err(CanonicalError::UnknownKind(_))
        ));
        assert_eq!(
            canonicalize("qq", "０１２３"),
            Err(CanonicalError::Qq("0123".into()))
        );
        assert_eq!(canonicalize("wechat", "ABC_def1").unwrap(), "abc_def1");
        assert_eq!(canonicalize("ip", "::1").unwrap(), "::1");
        assert_eq!(canonicalize("app", "  XX金融 APP ").unwrap(), "xx金融");
        assert_eq!(
            canonicalize("domain", "bücher.de").unwrap(),
            "xn--bcher-kva.de"
        );
    }
}

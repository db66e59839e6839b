//! Canonical form of an indicator value, the key the indicator store uses: one spelling per phone
//! number, domain (punycode), URL, address, card or account, or a reason it is not one.

use super::IndicatorKind;
use crate::normalize::normalize;
use std::net::IpAddr;

/// Why a value could not be put in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    #[error("unknown indicator kind `{0}` (expected one of: phone, url, domain, ip, bank_card, alipay, wechat, qq, app, other_account)")]
    UnknownKind(String),
    #[error("empty value")]
    Empty,
    #[error("value contains control characters")]
    ControlCharacters,
    #[error("`{0}` is not a phone number (a mainland mobile, landline or service number, or + and a country code)")]
    Phone(String),
    #[error("bank card numbers have 16 to 19 digits, got {0}")]
    CardLength(usize),
    #[error("bank card number fails the Luhn check")]
    CardLuhn,
    #[error("bank card number may contain only digits, spaces and dashes")]
    CardChars,
    #[error("`{0}` is not a valid URL: {1}")]
    Url(String, &'static str),
    #[error("`{0}` is not a valid domain: {1}")]
    Domain(String, &'static str),
    #[error("`{0}` is not an IPv4 or IPv6 address")]
    Ip(String),
    #[error("`{0}` is not a QQ number (5 to 11 digits, not starting with 0)")]
    Qq(String),
    #[error("`{0}` is not a WeChat id (6-20 letters, digits, - or _, starting with a letter) nor a mobile number")]
    Wechat(String),
    #[error("`{0}` is not an Alipay account (a mobile number or an e-mail address)")]
    Alipay(String),
    #[error("value is longer than {0} characters")]
    TooLong(usize),
}

/// Canonical form of an indicator value, the key of the indicator store.
///
/// `kind` is one of `phone, url, domain, ip, bank_card, alipay, wechat, qq, app, other_account`.
///
/// ```
/// use fanzha_detect::canonicalize;
/// assert_eq!(canonicalize("phone", "+86 138-1234-5678").unwrap(), "13812345678");
/// assert_eq!(canonicalize("domain", "WWW.Example.COM.").unwrap(), "www.example.com");
/// assert_eq!(canonicalize("domain", "工商银行.com").unwrap(), "xn--czr93rq40bruk.com");
/// assert_eq!(canonicalize("url", "HTTP://Abc.CN:80/Path?q=1#x").unwrap(), "http://abc.cn/Path?q=1");
/// assert!(canonicalize("bank_card", "1234567890123456789012345").is_err());
/// assert!(canonicalize("url", "http://a.cn/\u{7}").is_err());
/// assert!(canonicalize("fax", "123").is_err());
/// ```
pub fn canonicalize(kind: &str, raw: &str) -> Result<String, CanonicalError> {
    canonicalize_kind(kind.parse()?, raw)
}

pub(super) fn canonicalize_kind(kind: IndicatorKind, raw: &str) -> Result<String, CanonicalError> {
    if raw.chars().any(|c| c.is_control()) {
        return Err(CanonicalError::ControlCharacters);
    }
    let half = fold_width(raw.trim());
    let raw = half.as_str();
    if raw.is_empty() {
        return Err(CanonicalError::Empty);
    }
    match kind {
        IndicatorKind::Phone => canonical_phone(raw),
        IndicatorKind::Url => canonical_url(raw),
        IndicatorKind::Domain => canonical_domain(raw),
        IndicatorKind::Ip => {
            let s = raw.trim_start_matches('[').trim_end_matches(']');
            s.parse::<IpAddr>()
                .map(|ip| ip.to_string())
                .map_err(|_| CanonicalError::Ip(raw.to_string()))
        }
        IndicatorKind::BankCard => {
            if raw
                .chars()
                .any(|c| !(c.is_ascii_digit() || c == ' ' || c == '-'))
            {
                return Err(CanonicalError::CardChars);
            }
            let d: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
            if !(16..=19).contains(&d.len()) {
                return Err(CanonicalError::CardLength(d.len()));
            }
            if !luhn(&d) {
                return Err(CanonicalError::CardLuhn);
            }
            Ok(d)
        }
        IndicatorKind::Alipay => {
            if raw.contains('@') {
                let e = raw.to_lowercase();
                let ok = e.split_once('@').is_some_and(|(u, d)| {
                    !u.is_empty() && canonical_domain(d).is_ok() && !e.contains(char::is_whitespace)
                });
                if ok {
                    return Ok(e);
                }
                return Err(CanonicalError::Alipay(raw.to_string()));
            }
            canonical_phone(raw)
                .ok()
                .filter(|p| p.len() == 11 && p.starts_with('1'))
                .ok_or_else(|| CanonicalError::Alipay(raw.to_string()))
        }
        IndicatorKind::Wechat => {
            let w = raw.to_lowercase();
            if let Ok(p) = canonical_phone(&w) {
                if p.len() == 11 && p.starts_with('1') {
                    return Ok(p);
                }
            }
            let ok = (6..=20).contains(&w.len())
                && w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if ok {
                Ok(w)
            } else {
                Err(CanonicalError::Wechat(raw.to_string()))
            }
        }
        IndicatorKind::Qq => {
            let ok = (5..=11).contains(&raw.len())
                && raw.bytes().all(|b| b.is_ascii_digit())
                && !raw.starts_with('0');
            if ok {
                Ok(raw.to_string())
            } else {
                Err(CanonicalError::Qq(raw.to_string()))
            }
        }
        IndicatorKind::App => {
            let mut s = free_text(raw, 64)?;
            for suffix in ["app", "软件", "客户端"] {
                if s.len() > suffix.len() && s.ends_with(suffix) {
                    s.truncate(s.len() - suffix.len());
                    s = s.trim_end().to_string();
                }
            }
            Ok(s)
        }
        IndicatorKind::OtherAccount => free_text(raw, 128),
        IndicatorKind::Amount
        | IndicatorKind::VerificationCode
        | IndicatorKind::ScreenShare
        | IndicatorKind::SafeAccount => free_text(raw, 128),
    }
}

fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            0x3002 => '.',
            _ => c,
        })
        .collect()
}

fn free_text(raw: &str, max: usize) -> Result<String, CanonicalError> {
    let n = normalize(raw);
    let s = n.text().trim().to_string();
    if s.is_empty() {
        return Err(CanonicalError::Empty);
    }
    if s.chars().count() > max {
        return Err(CanonicalError::TooLong(max));
    }
    Ok(s)
}

/// Luhn checksum over ASCII digits.
///
/// ```
/// assert!(fanzha_detect::extract::luhn("6222021234567890128"));
/// assert!(!fanzha_detect::extract::luhn("6222021234567890127"));
/// ```
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

fn canonical_phone(raw: &str) -> Result<String, CanonicalError> {
    crate::phone::PhoneNumber::parse(raw)
        .map(|p| p.canonical())
        .ok_or_else(|| CanonicalError::Phone(raw.to_string()))
}

pub(super) fn canonical_domain(raw: &str) -> Result<String, CanonicalError> {
    let err = |why| CanonicalError::Domain(raw.to_string(), why);
    let lower = raw.trim().trim_end_matches('.').to_lowercase();
    if lower.is_empty() {
        return Err(err("empty"));
    }
    let mut labels = Vec::new();
    for label in lower.split(['.', '。', '．']) {
        if label.is_empty() {
            return Err(err("empty label"));
        }
        let ascii = if label.is_ascii() {
            label.to_string()
        } else {
            let l: String = crate::normalize::normalize(label).text().to_string();
            if l.chars()
                .any(|c| c.is_whitespace() || c == '/' || c == '@' || c == ':')
            {
                return Err(err("invalid character"));
            }
            format!(
                "xn--{}",
                punycode_encode(&l).ok_or_else(|| err("cannot encode"))?
            )
        };
        if ascii.len() > 63 {
            return Err(err("label longer than 63"));
        }
        if !ascii
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(err("invalid character"));
        }
        if ascii.starts_with('-') || ascii.ends_with('-') {
            return Err(err("label starts or ends with '-'"));
        }
        labels.push(ascii);
    }
    if labels.len() < 2 {
        return Err(err("needs at least two labels"));
    }
    let tld = labels.last().map(String::as_str).unwrap_or("");
    if !(tld.bytes().all(|b| b.is_ascii_alphabetic()) || tld.starts_with("xn--")) {
        return Err(err("top-level domain must be letters"));
    }
    let out = labels.join(".");
    if out.len() > 253 {
        return Err(err("longer than 253"));
    }
    Ok(out)
}

pub(super) fn canonical_url(raw: &str) -> Result<String, CanonicalError> {
    let err = |why| CanonicalError::Url(raw.to_string(), why);
    if raw.chars().any(char::is_whitespace) {
        return Err(err("contains whitespace"));
    }
    let (scheme, rest) = match raw.find("://") {
        Some(i) => (raw[..i].to_ascii_lowercase(), &raw[i + 3..]),
        None => ("http".to_string(), raw),
    };
    if scheme != "http" && scheme != "https" {
        return Err(err("scheme must be http or https"));
    }
    let rest = rest.split('#').next().unwrap_or("");
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(cut);
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || host_port.starts_with('[') => (h, Some(p)),
        _ => (host_port, None),
    };
    let host = if let Ok(ip) = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        }
    } else {
        canonical_domain(host).map_err(|_| err("invalid host"))?
    };
    let port = match port {
        Some("") => None,
        Some(p) => {
            let n: u16 = p.parse().map_err(|_| err("invalid port"))?;
            let default = if scheme == "http" { 80 } else { 443 };
            (n != default).then_some(n)
        }
        None => None,
    };
    let path = if path.is_empty() { "/" } else { path };
    Ok(match port {
        Some(p) => format!("{scheme}://{host}:{p}{path}"),
        None => format!("{scheme}://{host}{path}"),
    })
}

/// RFC 3492 Punycode encoding of one label (without the `xn--` prefix).
fn punycode_encode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    fn adapt(mut delta: u32, num: u32, first: bool) -> u32 {
        delta /= if first { 700 } else { 2 };
        delta += delta / num;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + 38)
    }
    fn digit(d: u32) -> char {
        let d = d as u8;
        if d < 26 {
            (b'a' + d) as char
        } else {
            (b'0' + d - 26) as char
        }
    }
    let cps: Vec<u32> = input.chars().map(|c| c as u32).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let b = out.len() as u32;
    let mut h = b;
    if b > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (128u32, 0u32, 72u32);
    while (h as usize) < cps.len() {
        let m = cps.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(h + 1)?)?;
        n = m;
        for &c in &cps {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, h + 1, h == b);
                delta = 0;
                h += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(out)
}

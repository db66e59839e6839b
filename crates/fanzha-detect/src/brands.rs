//! The brand registry: official web domains and service numbers of banks, operators, couriers,
//! e-commerce and payment platforms and government services. A message that names a brand and
//! asks the reader to act (log in, redeem, verify, unfreeze, refund, pay…) through a link or a
//! number that is not on that brand's list impersonates the brand; a link whose host carries a
//! brand's token (`<token>-something.tld`) outside the brand's domains is a lookalike on its own.
//!
//! The registry is plain TOML, so it can be exported, edited and imported:
//!
//! ```toml
//! version = 1
//!
//! [[brand]]
//! key = "icbc"                       # unique, [a-z0-9_]
//! name_zh = "中国工商银行"
//! name_en = "Industrial and Commercial Bank of China"
//! sector = "bank"                    # bank, operator, courier, ecommerce, payment, government
//! aliases = ["工商银行", "工行", "icbc"]
//! domains = ["icbc.com.cn"]          # the brand's own domains (subdomains included)
//! numbers = ["95588"]                # its service numbers
//! ```
//!
//! ```
//! use fanzha_detect::BrandRegistry;
//! let reg = BrandRegistry::builtin();
//! assert!(reg.brands().iter().any(|b| b.key == "icbc" && b.numbers.contains(&"95588".to_string())));
//! let again = BrandRegistry::parse(&reg.to_text()).unwrap();
//! assert_eq!(again.brands(), reg.brands());
//! let bad = "version = 1\n[[brand]]\nkey = \"\"\nname_zh = \"某\"\nsector = \"bank\"\naliases = [\"某某银行\"]\nnumbers = [\"95000\"]\n";
//! let err = BrandRegistry::parse(bad).unwrap_err();
//! assert_eq!(err.line, 3);
//! ```

use crate::extract::{Indicator, IndicatorKind};
use crate::normalize::normalize;
use aho_corasick::{AhoCorasick, MatchKind};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use toml::Spanned;

/// The default registry shipped in the crate (also a valid file: `rules/brands.toml`).
pub const BUILTIN_BRANDS: &str = include_str!("../rules/brands.toml");

/// Sectors a brand may belong to.
pub const SECTORS: [&str; 6] = [
    "bank",
    "operator",
    "courier",
    "ecommerce",
    "payment",
    "government",
];

/// One brand: who it is, how messages name it, and where it really sends people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    /// Unique id (`[a-z0-9_]`, 1–32 characters).
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// One of [`SECTORS`].
    pub sector: String,
    /// Names as they appear in messages (Chinese or Latin); matched on the normalised text
    /// (simplified, lower case), Latin ones as whole words.
    pub aliases: Vec<String>,
    /// Official domains, lower case; subdomains count as official.
    pub domains: Vec<String>,
    /// Official service numbers, canonical (`95588`, `4008205555`).
    pub numbers: Vec<String>,
}

/// A registry that cannot be used. `Display` is `line N: message`: the line of the file, or for
/// [`BrandRegistry::from_brands`] the 1-based position of the brand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for BrandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for BrandError {}

/// A brand registry read from a file that could not be used: `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct BrandFileError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    brand: Vec<Spanned<RawBrand>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBrand {
    key: Spanned<String>,
    name_zh: Spanned<String>,
    #[serde(default)]
    name_en: String,
    sector: Spanned<String>,
    aliases: Spanned<Vec<String>>,
    #[serde(default)]
    domains: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    numbers: Option<Spanned<Vec<String>>>,
    /// `false` keeps a brand on file without checking messages against it.
    #[serde(default)]
    enabled: Option<bool>,
}

/// A compiled, immutable set of brands.
#[derive(Debug, Clone)]
pub struct BrandRegistry {
    brands: Vec<Brand>,
    /// Every alias (normalised) in one automaton; pattern id → brand index.
    aliases: Option<AhoCorasick>,
    alias_brand: Vec<usize>,
    alias_latin: Vec<bool>,
    /// Latin tokens that mark a host as pretending to be a brand: (token, brand index).
    tokens: Vec<(String, usize)>,
}

impl PartialEq for BrandRegistry {
    fn eq(&self, other: &Self) -> bool {
        self.brands == other.brands
    }
}

fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Canonical form of a registry domain, or why it is not one.
fn clean_domain(d: &str) -> Result<String, String> {
    let d = d.trim().trim_end_matches('.').to_lowercase();
    crate::extract::canonicalize("domain", &d)
        .map_err(|e| format!("domain `{d}`: {e}"))
        .and_then(|c| {
            if c.contains('/') || c.contains(':') {
                Err(format!("domain `{d}` must be a bare host name"))
            } else {
                Ok(c)
            }
        })
}

/// Canonical form of a registry number (digits only, 3–15 of them).
fn clean_number(n: &str) -> Result<String, String> {
    let digits: String = n
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    if digits.len() < 3
        || digits.len() > 15
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '+')
    {
        return Err(format!(
            "number `{n}` is not a service number (3 to 15 digits)"
        ));
    }
    if digits.len() <= 8 && digits.chars().all(|c| c.is_ascii_digit()) {
        return Ok(digits);
    }
    crate::extract::canonicalize("phone", &digits).map_err(|e| format!("number `{n}`: {e}"))
}

fn is_latin(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl BrandRegistry {
    /// The registry shipped in the crate (`rules/brands.toml`).
    pub fn builtin() -> BrandRegistry {
        BrandRegistry::parse(BUILTIN_BRANDS).expect("the embedded brand registry is valid")
    }

    /// An empty registry (no brand checks).
    pub fn empty() -> BrandRegistry {
        BrandRegistry::from_brands(Vec::new()).expect("an empty registry is valid")
    }

    /// Parses a registry file's text. A bad file names its line. Brands marked `enabled = false`
    /// are checked like the others but left out of the registry.
    pub fn parse(text: &str) -> Result<BrandRegistry, BrandError> {
        let entries = BrandRegistry::parse_entries(text)?;
        BrandRegistry::from_brands(
            entries
                .into_iter()
                .filter(|(_, on)| *on)
                .map(|(b, _)| b)
                .collect(),
        )
    }

    /// Every brand of a registry file with whether it is in use (`enabled`, `true` when absent),
    /// in file order, each checked as [`BrandRegistry::parse`] checks it.
    ///
    /// ```
    /// use fanzha_detect::BrandRegistry;
    /// let text = "[[brand]]\nkey = \"a\"\nname_zh = \"甲银行\"\nsector = \"bank\"\naliases = [\"甲银行\"]\nnumbers = [\"95599\"]\nenabled = false\n";
    /// let entries = BrandRegistry::parse_entries(text).unwrap();
    /// assert_eq!(entries.len(), 1);
    /// assert!(!entries[0].1);
    /// assert!(BrandRegistry::parse(text).unwrap().is_empty());
    /// let again = BrandRegistry::entries_to_text(entries.iter().map(|(b, on)| (b, *on)));
    /// assert_eq!(BrandRegistry::parse_entries(&again).unwrap(), entries);
    /// ```
    pub fn parse_entries(text: &str) -> Result<Vec<(Brand, bool)>, BrandError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| BrandError {
            line: line_of(text, e.span().map(|s| s.start).unwrap_or(0)),
            message: e.message().to_string(),
        })?;
        if raw.version.is_some_and(|v| v < 1) {
            return Err(BrandError {
                line: 1,
                message: "version must be >= 1".into(),
            });
        }
        let mut brands = Vec::with_capacity(raw.brand.len());
        let mut lines = Vec::with_capacity(raw.brand.len());
        let mut enabled = Vec::with_capacity(raw.brand.len());
        for b in raw.brand {
            let at = line_of(text, b.span().start);
            let b = b.into_inner();
            let line = |s: std::ops::Range<usize>| line_of(text, s.start);
            // Field-level checks name the field's own line.
            let brand = Brand {
                key: b.key.get_ref().clone(),
                name_zh: b.name_zh.get_ref().clone(),
                name_en: b.name_en,
                sector: b.sector.get_ref().clone(),
                aliases: b.aliases.get_ref().clone(),
                domains: b
                    .domains
                    .as_ref()
                    .map(|d| d.get_ref().clone())
                    .unwrap_or_default(),
                numbers: b
                    .numbers
                    .as_ref()
                    .map(|d| d.get_ref().clone())
                    .unwrap_or_default(),
            };
            let field_lines = FieldLines {
                brand: at,
                key: line(b.key.span()),
                name_zh: line(b.name_zh.span()),
                sector: line(b.sector.span()),
                aliases: line(b.aliases.span()),
                domains: b.domains.as_ref().map(|d| line(d.span())).unwrap_or(at),
                numbers: b.numbers.as_ref().map(|d| line(d.span())).unwrap_or(at),
            };
            brands.push(brand);
            lines.push(field_lines);
            enabled.push(b.enabled.unwrap_or(true));
        }
        let all = BrandRegistry::build(brands, Some(&lines))?;
        Ok(all.brands.into_iter().zip(enabled).collect())
    }

    /// A registry from brands built in code (e.g. rows of a database). An error's `line` is the
    /// 1-based position of the offending brand in `brands`.
    pub fn from_brands(brands: Vec<Brand>) -> Result<BrandRegistry, BrandError> {
        BrandRegistry::build(brands, None)
    }

    /// Reads a registry file; errors are `file:line: message`.
    pub fn from_file(path: &Path) -> Result<BrandRegistry, BrandFileError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| BrandFileError {
            file: file.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        BrandRegistry::parse(&text).map_err(|e| BrandFileError {
            file,
            line: e.line,
            message: e.message,
        })
    }

    fn build(
        mut brands: Vec<Brand>,
        lines: Option<&[FieldLines]>,
    ) -> Result<BrandRegistry, BrandError> {
        let mut keys = HashSet::new();
        for (i, b) in brands.iter_mut().enumerate() {
            let fl = |f: fn(&FieldLines) -> usize| lines.map(|l| f(&l[i])).unwrap_or(i + 1);
            let fail = |line: usize, message: String| Err(BrandError { line, message });
            b.key = b.key.trim().to_string();
            if b.key.is_empty()
                || b.key.len() > 32
                || !b
                    .key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return fail(
                    fl(|l| l.key),
                    format!(
                        "brand key `{}` must be 1 to 32 characters of a-z, 0-9 and _",
                        b.key
                    ),
                );
            }
            if !keys.insert(b.key.clone()) {
                return fail(fl(|l| l.key), format!("duplicate brand key `{}`", b.key));
            }
            b.name_zh = b.name_zh.trim().to_string();
            b.name_en = b.name_en.trim().to_string();
            if b.name_zh.is_empty() {
                return fail(
                    fl(|l| l.name_zh),
                    format!("brand `{}`: name_zh is empty", b.key),
                );
            }
            b.sector = b.sector.trim().to_string();
            if !SECTORS.contains(&b.sector.as_str()) {
                return fail(
                    fl(|l| l.sector),
                    format!(
                        "brand `{}`: unknown sector `{}` (expected one of: {})",
                        b.key,
                        b.sector,
                        SECTORS.join(", ")
                    ),
                );
            }
            let mut aliases = Vec::new();
            for a in &b.aliases {
                let a = a.trim();
                let n = normalize(a).text().to_string();
                if n.chars().count() < 2 {
                    return fail(
                        fl(|l| l.aliases),
                        format!(
                            "brand `{}`: alias `{a}` is too short (2 characters at least)",
                            b.key
                        ),
                    );
                }
                if !aliases.iter().any(|x: &String| x == a) {
                    aliases.push(a.to_string());
                }
            }
            if aliases.is_empty() {
                return fail(fl(|l| l.aliases), format!("brand `{}` has no alias", b.key));
            }
            b.aliases = aliases;
            let mut domains = Vec::new();
            for d in &b.domains {
                let c = clean_domain(d).map_err(|m| BrandError {
                    line: fl(|l| l.domains),
                    message: format!("brand `{}`: {m}", b.key),
                })?;
                if !domains.contains(&c) {
                    domains.push(c);
                }
            }
            b.domains = domains;
            let mut numbers = Vec::new();
            for n in &b.numbers {
                let c = clean_number(n).map_err(|m| BrandError {
                    line: fl(|l| l.numbers),
                    message: format!("brand `{}`: {m}", b.key),
                })?;
                if !numbers.contains(&c) {
                    numbers.push(c);
                }
            }
            b.numbers = numbers;
            if b.domains.is_empty() && b.numbers.is_empty() {
                return fail(
                    fl(|l| l.brand),
                    format!("brand `{}` has neither a domain nor a number", b.key),
                );
            }
        }
        let mut patterns = Vec::new();
        let mut alias_brand = Vec::new();
        let mut alias_latin = Vec::new();
        let mut tokens: Vec<(String, usize)> = Vec::new();
        for (i, b) in brands.iter().enumerate() {
            for a in &b.aliases {
                let n = normalize(a).text().to_string();
                alias_latin.push(is_latin(&n));
                patterns.push(n);
                alias_brand.push(i);
            }
            // Tokens a lookalike host borrows: the first label of each official domain and the
            // Latin aliases.
            let mut add = |t: &str| {
                let t = t.to_lowercase();
                if t.len() >= 2 && is_latin(&t) && !tokens.iter().any(|x| x.0 == t && x.1 == i) {
                    tokens.push((t, i));
                }
            };
            for d in &b.domains {
                if let Some(first) = registrable_label(d) {
                    add(first);
                }
            }
            for a in &b.aliases {
                let n = normalize(a).text().to_string();
                if is_latin(&n) && !n.chars().all(|c| c.is_ascii_digit()) {
                    add(&n);
                }
            }
        }
        let aliases = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&patterns)
                    .map_err(|e| BrandError {
                        line: 0,
                        message: format!("aliases: {e}"),
                    })?,
            )
        };
        Ok(BrandRegistry {
            brands,
            aliases,
            alias_brand,
            alias_latin,
            tokens,
        })
    }

    /// The registry as TOML text; [`BrandRegistry::parse`] of it gives the same registry.
    pub fn to_text(&self) -> String {
        BrandRegistry::entries_to_text(self.brands.iter().map(|b| (b, true)))
    }

    /// A registry file holding brands in use and brands kept on file but not in use
    /// (`enabled = false`); [`BrandRegistry::parse_entries`] reads it back.
    pub fn entries_to_text<'a>(entries: impl IntoIterator<Item = (&'a Brand, bool)>) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let list = |v: &[String]| {
            let items: Vec<String> = v.iter().map(|s| q(s)).collect();
            format!("[{}]", items.join(", "))
        };
        let mut out = String::from("version = 1\n");
        for (b, on) in entries {
            out.push_str("\n[[brand]]\n");
            out.push_str(&format!("key = {}\n", q(&b.key)));
            out.push_str(&format!("name_zh = {}\n", q(&b.name_zh)));
            out.push_str(&format!("name_en = {}\n", q(&b.name_en)));
            out.push_str(&format!("sector = {}\n", q(&b.sector)));
            out.push_str(&format!("aliases = {}\n", list(&b.aliases)));
            out.push_str(&format!("domains = {}\n", list(&b.domains)));
            out.push_str(&format!("numbers = {}\n", list(&b.numbers)));
            if !on {
                out.push_str("enabled = false\n");
            }
        }
        out
    }

    /// The brands, in file order.
    pub fn brands(&self) -> &[Brand] {
        &self.brands
    }

    /// Number of brands.
    pub fn len(&self) -> usize {
        self.brands.len()
    }

    /// Whether the registry has no brand.
    pub fn is_empty(&self) -> bool {
        self.brands.is_empty()
    }

    /// The brand with this key.
    pub fn get(&self, key: &str) -> Option<&Brand> {
        self.brands.iter().find(|b| b.key == key)
    }

    /// Brands named in a normalised text: (brand index, byte range in the normalised text),
    /// one entry per brand (its first mention).
    pub(crate) fn mentions(&self, t: &str, out: &mut Vec<(usize, usize, usize)>) {
        out.clear();
        let Some(ac) = &self.aliases else {
            return;
        };
        let bytes = t.as_bytes();
        for m in ac.find_iter(t) {
            let p = m.pattern().as_usize();
            if self.alias_latin[p] {
                // Latin aliases count as whole words only ("boc" is not in "bocai").
                let before = m.start().checked_sub(1).map(|i| bytes[i]);
                let after = bytes.get(m.end()).copied();
                if before.is_some_and(|b| b.is_ascii_alphanumeric())
                    || after.is_some_and(|b| b.is_ascii_alphanumeric())
                {
                    continue;
                }
            }
            let b = self.alias_brand[p];
            if !out.iter().any(|x| x.0 == b) {
                out.push((b, m.start(), m.end()));
            }
        }
    }

    /// Whether `host` is one of the brand's domains or a subdomain of one.
    pub fn is_official_host(&self, brand: &Brand, host: &str) -> bool {
        brand.domains.iter().any(|d| host_under(host, d))
    }

    /// Whether `number` (canonical) is one of the brand's numbers, or an extension of one
    /// (`955881` is ICBC's 95588 with a menu digit).
    pub fn is_official_number(&self, brand: &Brand, number: &str) -> bool {
        brand.numbers.iter().any(|n| {
            number == n || (n.len() == 5 && number.starts_with(n.as_str()) && number.len() <= 8)
        })
    }

    /// Whether a link or number indicator is official for some brand of the registry (or a
    /// government or education host).
    pub fn is_official_contact(&self, i: &Indicator) -> bool {
        if i.value == "<masked>" {
            return false;
        }
        match i.kind {
            IndicatorKind::Url | IndicatorKind::Domain => host_of(&i.value).is_some_and(|h| {
                host_under(h, "gov.cn")
                    || host_under(h, "edu.cn")
                    || self.brands.iter().any(|b| self.is_official_host(b, h))
            }),
            IndicatorKind::Phone => self.is_any_official_number(&i.value),
            _ => false,
        }
    }

    /// Whether a number is official for any brand in the registry.
    pub fn is_any_official_number(&self, number: &str) -> bool {
        self.brands
            .iter()
            .any(|b| self.is_official_number(b, number))
    }

    /// The brand a host pretends to be: the host carries a brand's token as a whole part of a
    /// label (`<token>-points.top`, `<token>.bank-verify.com`) or glued to a word (`<token>bank`,
    /// `<token>vip`, for tokens of 4 letters or more) and is not under any of that brand's
    /// domains (nor any other brand's).
    ///
    /// ```
    /// let reg = fanzha_detect::BrandRegistry::builtin();
    /// assert_eq!(reg.lookalike("icbc-verify.example").map(|b| b.key.as_str()), Some("icbc"));
    /// assert!(reg.lookalike("www.icbc.com.cn").is_none());
    /// assert!(reg.lookalike("example.org").is_none());
    /// ```
    pub fn lookalike(&self, host: &str) -> Option<&Brand> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if self
            .brands
            .iter()
            .any(|b| b.domains.iter().any(|d| host_under(&host, d)))
        {
            return None;
        }
        for (token, bi) in &self.tokens {
            let hit = host.split('.').any(|label| {
                (token.contains('-') && label.contains(token.as_str()))
                    || label.split('-').any(|part| {
                        part == token
                            || (token.len() >= 4
                                && part.len() > token.len()
                                && (part.starts_with(token.as_str())
                                    || part.ends_with(token.as_str())))
                    })
            });
            if hit {
                return Some(&self.brands[*bi]);
            }
        }
        None
    }
}

struct FieldLines {
    brand: usize,
    key: usize,
    name_zh: usize,
    sector: usize,
    aliases: usize,
    domains: usize,
    numbers: usize,
}

/// The label before the public suffix of a registry domain (`icbc` of `icbc.com.cn`).
fn registrable_label(d: &str) -> Option<&str> {
    let labels: Vec<&str> = d.split('.').collect();
    let n = labels.len();
    if n < 2 {
        return None;
    }
    let second_level = ["com", "net", "org", "gov", "edu", "ac"];
    if n >= 3 && second_level.contains(&labels[n - 2]) && labels[n - 1].len() == 2 {
        Some(labels[n - 3])
    } else {
        Some(labels[n - 2])
    }
}

/// Whether `host` is `domain` or a subdomain of it.
pub fn host_under(host: &str, domain: &str) -> bool {
    host == domain || host.strip_suffix(domain).is_some_and(|p| p.ends_with('.'))
}

/// The host of a URL or domain indicator value (`<masked>` has none).
pub fn host_of(value: &str) -> Option<&str> {
    if value == "<masked>" {
        return None;
    }
    let rest = value.split("://").nth(1).unwrap_or(value);
    let host = rest.split(['/', ':', '?', '#']).next().unwrap_or("");
    (!host.is_empty()).then_some(host)
}

/// Whether an indicator is a link.
pub(crate) fn is_link(i: &Indicator) -> bool {
    matches!(i.kind, IndicatorKind::Url | IndicatorKind::Domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_is_valid_and_round_trips() {
        let reg = BrandRegistry::builtin();
        assert!(reg.len() >= 30, "{}", reg.len());
        for sector in SECTORS {
            assert!(
                reg.brands().iter().any(|b| b.sector == sector),
                "no brand of sector {sector}"
            );
        }
        let text = reg.to_text();
        let again = BrandRegistry::parse(&text).unwrap();
        assert_eq!(again.brands(), reg.brands());
        assert_eq!(again.to_text(), text);
    }

    #[test]
    fn bad_files_name_their_line() {
        let cases = [
            ("version = 1\n[[brand]]\nkey = \"Bad Key\"\nname_zh = \"x\"\nsector = \"bank\"\naliases = [\"某某银行\"]\nnumbers = [\"95000\"]\n", 3, "brand key"),
            ("version = 1\n[[brand]]\nkey = \"a\"\nname_zh = \"x\"\nsector = \"shop\"\naliases = [\"某某银行\"]\nnumbers = [\"95000\"]\n", 5, "unknown sector"),
            ("version = 1\n[[brand]]\nkey = \"a\"\nname_zh = \"x\"\nsector = \"bank\"\naliases = [\"某某银行\"]\ndomains = [\"not a domain\"]\n", 7, "domain"),
            ("version = 1\n[[brand]]\nkey = \"a\"\nname_zh = \"x\"\nsector = \"bank\"\naliases = [\"某某银行\"]\nnumbers = [\"12\"]\n", 7, "number"),
            ("version = 1\n[[brand]]\nkey = \"a\"\nname_zh = \"x\"\nsector = \"bank\"\naliases = [\"某\"]\nnumbers = [\"95000\"]\n", 6, "too short"),
            ("version = 1\n[[brand]]\nkey = \"a\"\nname_zh = \"x\"\nsector = \"bank\"\naliases = [\"某某银行\"]\n", 2, "neither"),
            ("version = 1\n[[brand]]\nkey = \"a\"\nname_zh = \"x\"\nsector = \"bank\"\naliases = [\"某某银行\"]\nnumbers = [\"95000\"]\n[[brand]]\nkey = \"a\"\nname_zh = \"y\"\nsector = \"bank\"\naliases = [\"另一银行\"]\nnumbers = [\"95001\"]\n", 9, "duplicate"),
            ("version = 1\n[[brand]]\nkey = \"a\"\nname_zh = \"x\"\nsector = \"bank\"\naliases = [\"某某银行\"]\nnumbers = [\"95000\"]\ncolour = \"red\"\n", 8, "unknown field"),
            ("version = 1\n[[brand]\n", 2, ""),
        ];
        for (text, line, what) in cases {
            let e = BrandRegistry::parse(text).unwrap_err();
            assert_eq!(e.line, line, "{e} for {text}");
            assert!(e.message.contains(what), "{e}");
            assert!(e.to_string().starts_with(&format!("line {line}: ")));
        }
    }

    #[test]
    fn from_brands_validates_and_cleans() {
        let b = Brand {
            key: "demo".into(),
            name_zh: "示例银行".into(),
            name_en: "Demo Bank".into(),
            sector: "bank".into(),
            aliases: vec!["示例银行".into()],
            domains: vec!["Demo-Bank.example.".into()],
            numbers: vec!["400-820-0000".into(), "95000".into()],
        };
        let reg = BrandRegistry::from_brands(vec![b.clone()]).unwrap();
        assert_eq!(reg.brands()[0].domains, vec!["demo-bank.example"]);
        assert_eq!(reg.brands()[0].numbers, vec!["4008200000", "95000"]);
        let e = BrandRegistry::from_brands(vec![b.clone(), b]).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("duplicate"));
    }

    #[test]
    fn mentions_respect_latin_word_boundaries() {
        let reg = BrandRegistry::builtin();
        let mut out = Vec::new();
        reg.mentions(normalize("【工商銀行】您的积分").text(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(reg.brands()[out[0].0].key, "icbc");
        reg.mentions("icbcx is not a mention", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn lookalikes_are_generic() {
        let reg = BrandRegistry::builtin();
        for (host, key) in [
            ("icbc-jifen.top", "icbc"),
            ("m.icbcvip.cc", "icbc"),
            ("abchina-e.xyz", "abc"),
            ("sf-express-refund.cn", "sf"),
        ] {
            assert_eq!(
                reg.lookalike(host).map(|b| b.key.as_str()),
                Some(key),
                "{host}"
            );
        }
        for host in [
            "icbc.com.cn",
            "mybank.icbc.com.cn",
            "www.ccb.com",
            "example.com",
            "bocai.example",
            "github.com",
        ] {
            assert!(reg.lookalike(host).is_none(), "{host}");
        }
    }
}

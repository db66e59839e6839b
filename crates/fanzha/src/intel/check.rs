//! The risk check: the detection engine's verdict combined with what the indicator index knows.
//! The rule (also in docs/INTEL.md):
//!
//! * a police-confirmed indicator → high;
//! * a suspected indicator, or one reported 3 times or more → medium;
//! * an indicator reported once or twice → low;
//! * an indicator cleared by police counts for nothing;
//! * the level is the highest of these and the engine's level; with no indicator on record and
//!   the engine seeing nothing, the answer is "no record".

use fanzha_detect::{Engine, FraudType, Level};

use super::index::Index;
use super::model::{FraudTypes, IndicatorKey, Kind, Status};

/// Longest text accepted, bytes (a long chat message fits; a pasted page does not).
pub const MAX_TEXT_BYTES: usize = 8 * 1024;

/// What is checked.
#[derive(Clone, Debug)]
pub enum Input {
    /// A pasted message, or one thing typed in the box (a number, link, account).
    Text(String),
    /// One indicator of a known kind (the API form).
    Indicator(IndicatorKey),
}

impl Input {
    /// A text as typed: refused when empty, too long, or binary junk.
    pub fn text(s: &str) -> Result<Input, (&'static str, String)> {
        let t = s.trim();
        if t.is_empty() {
            return Err(("intel-err-empty", String::new()));
        }
        if s.len() > MAX_TEXT_BYTES {
            return Err(("intel-err-too-long", MAX_TEXT_BYTES.to_string()));
        }
        let junk = t
            .chars()
            .filter(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || *c == '\u{FFFD}')
            .count();
        if junk > 0 {
            return Err(("intel-err-binary", String::new()));
        }
        Ok(Input::Text(t.to_string()))
    }

    /// One indicator: `kind` must be a stored kind and `value` valid for it.
    pub fn indicator(kind: &str, value: &str) -> Result<Input, (&'static str, String)> {
        let kind: Kind = kind.parse().map_err(|e| ("intel-err-kind", e))?;
        IndicatorKey::of(kind, value)
            .map(Input::Indicator)
            .map_err(|e| ("intel-err-value", e))
    }

    pub fn kind_id(&self) -> &'static str {
        match self {
            Input::Text(_) => "text",
            Input::Indicator(k) => k.kind().id(),
        }
    }

    pub fn display(&self) -> String {
        match self {
            Input::Text(t) => t.clone(),
            Input::Indicator(k) => k.value().to_string(),
        }
    }
}

/// The sender of a pasted SMS as typed: a phone number, a service number (95588) or an SMS port
/// (106…). Spaces, dashes and a `+86` prefix are dropped; anything else is refused.
pub fn parse_sender(raw: &str) -> Result<String, &'static str> {
    let t: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '\u{3000}'))
        .collect();
    let t = t
        .strip_prefix("+86")
        .or_else(|| t.strip_prefix("0086"))
        .unwrap_or(&t);
    if raw.len() > 40 || !(3..=20).contains(&t.len()) || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err("intel-err-sender");
    }
    Ok(t.to_string())
}

/// A message that names a brand but sends the reader elsewhere.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct BrandMismatchOut {
    /// The brand's registry key (e.g. `ccb`).
    pub brand_key: String,
    pub brand_name_zh: String,
    pub brand_name_en: String,
    /// The link host or number the message really uses.
    pub found: String,
    /// The brand's official domains (for a link) or numbers (for a number).
    pub official: Vec<String>,
}

/// A known indicator that matched.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Hit {
    pub kind: String,
    pub value: String,
    /// reported, suspected, confirmed or cleared.
    pub status: String,
    /// How many reports and sightings.
    pub sightings: i64,
    /// Confirmed by police.
    pub confirmed: bool,
    pub fraud_types: Vec<String>,
    /// Sharing level: clear, green, amber, amber_strict, red.
    pub tlp: String,
    /// What this indicator adds to the level.
    pub level: String,
}

/// A rule that fired.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RuleOut {
    pub id: String,
    pub fraud_type: String,
    pub description_zh: String,
    pub description_en: String,
}

/// An extracted indicator (kind and canonical value), for a report pre-filled from the check.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Extracted {
    pub kind: String,
    pub value: String,
}

/// The answer to one risk check.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Answer {
    /// high, medium, low or none ("no record").
    pub level: String,
    /// Fraud type id (`normal` when nothing points to fraud).
    pub fraud_type: String,
    pub fraud_type_zh: String,
    pub fraud_type_en: String,
    /// How that scam works, one paragraph.
    pub description: String,
    /// The combined risk, 0 to 1, that `level` is derived from (high from 0.8, medium from 0.5,
    /// low from 0.2): the highest of the classifier's probability (for a message) and the risk of
    /// the strongest known indicator that matched (0.9 confirmed by police, 0.65 suspected or
    /// reported 3 times or more, 0.35 reported once or twice).
    pub risk: f32,
    /// The classifier's own probability that the text is fraud, 0 to 1; absent when the
    /// classifier did not judge the input (a bare number, link or account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_risk: Option<f32>,
    /// Known indicators that matched.
    pub indicators: Vec<Hit>,
    pub rules: Vec<RuleOut>,
    /// Indicators found in the input (kind, canonical value).
    pub extracted: Vec<Extracted>,
    /// Version of the classifier model that judged the input (`builtin` for the model embedded
    /// in the binary; a promoted model's version otherwise).
    #[serde(default)]
    pub model_version: String,
    /// The sender given with a pasted SMS, canonical (absent when none was given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Whether the sender is suspect: known to fraud reports, or not a number the brand the
    /// message names uses. Absent when no sender was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_suspect: Option<bool>,
    /// Whether a link in the message is suspect: a lookalike of a brand's domain, not the named
    /// brand's, or known to fraud reports.
    #[serde(default)]
    pub link_suspect: bool,
    /// The brand the message names or imitates with the link or number that is not the brand's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_mismatch: Option<BrandMismatchOut>,
}

impl Answer {
    pub fn level(&self) -> Level {
        level_of(&self.level)
    }
    pub fn fraud(&self) -> FraudType {
        self.fraud_type.parse().unwrap_or(FraudType::Normal)
    }
}

pub fn level_of(s: &str) -> Level {
    match s {
        "high" => Level::High,
        "medium" => Level::Medium,
        "low" => Level::Low,
        _ => Level::None,
    }
}

/// What one known indicator adds to the level.
/// The risk a matched indicator of this level stands for: the middle of the level's band.
pub fn indicator_risk(level: Level) -> f32 {
    match level {
        Level::High => 0.9,
        Level::Medium => 0.65,
        Level::Low => 0.35,
        Level::None => 0.0,
    }
}

pub fn indicator_level(status: Status, sightings: i64) -> Level {
    match status {
        Status::Confirmed => Level::High,
        Status::Suspected => Level::Medium,
        Status::Reported if sightings >= 3 => Level::Medium,
        Status::Reported => Level::Low,
        Status::Cleared => Level::None,
    }
}

/// Candidate (kind, canonical value) pairs of one typed token: a bare "13812345678" may be a phone
/// number, a QQ number, a WeChat id or an Alipay account.
fn candidates(token: &str) -> Vec<IndicatorKey> {
    if token.chars().any(char::is_whitespace) || token.len() > 300 {
        return vec![];
    }
    Kind::all()
        .filter(|k| !matches!(k.id(), "app" | "other_account"))
        .filter_map(|k| IndicatorKey::of(k, token).ok())
        .collect()
}

/// Runs a check with the built-in model's version name and no sender.
pub fn check(engine: &Engine, index: &Index, input: &Input, brief: bool) -> Answer {
    check_with(engine, super::learn::BUILTIN, index, input, None, brief)
}

/// Runs a check. `sender` is the canonical sender of a pasted SMS ([`parse_sender`]); `brief`
/// skips the classifier's explanation features (the API does not show them).
pub fn check_with(
    engine: &Engine,
    model_version: &str,
    index: &Index,
    input: &Input,
    sender: Option<&str>,
    brief: bool,
) -> Answer {
    let (verdict, mut keys) = match input {
        Input::Text(t) => {
            let v = if brief {
                engine.analyze_brief_with(t, sender)
            } else {
                engine.analyze_with(t, sender)
            };
            (Some(v), candidates(t))
        }
        Input::Indicator(k) => (None, vec![k.clone()]),
    };
    let sender_key = sender.and_then(|s| {
        Kind::of(fanzha_detect::IndicatorKind::Phone).and_then(|k| IndicatorKey::of(k, s).ok())
    });
    // One typed number, link or account is judged by what is known about it: the classifier
    // reads messages, and a bare token tells it nothing (its indicators are still looked up).
    let token = matches!(input, Input::Text(_)) && !keys.is_empty();
    if let Some(k) = &sender_key {
        keys.push(k.clone());
    }
    if let Some(v) = &verdict {
        for i in &v.indicators {
            if let Some(kind) = Kind::of(i.kind) {
                if let Ok(k) = IndicatorKey::of(kind, &i.value) {
                    keys.push(k);
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    let verdict_level = verdict
        .as_ref()
        .filter(|_| !token)
        .map_or(Level::None, |v| v.level);
    let mut level = verdict_level;
    let mut hits = Vec::new();
    let mut hit_types = FraudTypes::default();
    let mut best_hit = Level::None;
    let (mut sender_known, mut link_known) = (false, false);
    for k in &keys {
        let Some(c) = index.get(k.kind(), k.value()) else {
            continue;
        };
        let status = c.status();
        let l = indicator_level(status, i64::from(c.sightings));
        if l > Level::None {
            sender_known |= sender_key.as_ref() == Some(k);
            link_known |= matches!(k.kind().id(), "url" | "domain");
        }
        if l > best_hit {
            best_hit = l;
            hit_types = c.fraud_types();
        } else if l == best_hit {
            hit_types = hit_types.union(c.fraud_types());
        }
        level = level.max(l);
        hits.push(Hit {
            kind: k.kind().id().to_string(),
            value: k.value().to_string(),
            status: status.as_str().to_string(),
            sightings: i64::from(c.sightings),
            confirmed: status == Status::Confirmed,
            fraud_types: c
                .fraud_types()
                .ids()
                .into_iter()
                .map(str::to_string)
                .collect(),
            tlp: c.tlp().as_str().to_string(),
            level: l.id().to_string(),
        });
    }
    hits.sort_by_key(|h| std::cmp::Reverse(level_of(&h.level)));
    let engine_type = verdict
        .as_ref()
        .filter(|_| !token)
        .map(|v| v.fraud_type)
        .filter(|t| t.is_fraud());
    let engine_level = verdict_level;
    let fraud_type = match engine_type {
        Some(t) if engine_level >= best_hit => t,
        _ => hit_types
            .first()
            .or(engine_type)
            .unwrap_or(FraudType::Normal),
    };
    let fraud_type = if level == Level::None {
        FraudType::Normal
    } else {
        fraud_type
    };
    let model_risk = verdict.as_ref().filter(|_| !token).map(|v| v.risk);
    let risk = model_risk.unwrap_or(0.0).max(indicator_risk(best_hit));
    debug_assert_eq!(Level::of(risk), level);
    let info = fraud_type.info();
    Answer {
        level: level.id().to_string(),
        fraud_type: fraud_type.id().to_string(),
        fraud_type_zh: info.zh.to_string(),
        fraud_type_en: info.en.to_string(),
        description: info.description.to_string(),
        risk,
        model_risk,
        indicators: hits,
        rules: verdict
            .as_ref()
            .map(|v| {
                v.rules
                    .iter()
                    .map(|r| RuleOut {
                        id: r.id.to_string(),
                        fraud_type: r.fraud_type.id().to_string(),
                        description_zh: r.description_zh.to_string(),
                        description_en: r.description_en.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        extracted: keys
            .iter()
            .filter(|k| sender_key.as_ref() != Some(*k))
            .map(|k| Extracted {
                kind: k.kind().id().to_string(),
                value: k.value().to_string(),
            })
            .collect(),
        model_version: model_version.to_string(),
        sender: sender.map(str::to_string),
        sender_suspect: sender
            .map(|_| sender_known || verdict.as_ref().and_then(|v| v.sender_suspect) == Some(true)),
        link_suspect: link_known || verdict.as_ref().is_some_and(|v| v.link_suspect),
        brand_mismatch: verdict
            .as_ref()
            .and_then(|v| v.brand_mismatch.as_ref())
            .map(|m| BrandMismatchOut {
                brand_key: m.brand_key.clone(),
                brand_name_zh: m.brand_name_zh.clone(),
                brand_name_en: m.brand_name_en.clone(),
                found: m.found.clone(),
                official: m.official.clone(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intel::index::Compact;
    use crate::intel::model::Tlp;

    #[test]
    fn confirmed_indicator_makes_high() {
        let e = Engine::builtin();
        let idx = Index::default();
        let k: Kind = "phone".parse().unwrap();
        idx.set(
            k,
            "13800138000",
            Some(Compact::new(
                Status::Confirmed,
                Tlp::Green,
                FraudTypes::parse("fake_loan").unwrap(),
                4,
            )),
        );
        let a = check(&e, &idx, &Input::text("13800138000").unwrap(), true);
        assert_eq!(a.level, "high");
        assert_eq!(a.fraud_type, "fake_loan");
        assert!(a
            .indicators
            .iter()
            .any(|h| h.kind == "phone" && h.confirmed));
        let none = check(&e, &idx, &Input::text("13900139000").unwrap(), true);
        assert_eq!(none.level, "none");
        assert!(none.indicators.is_empty());
    }

    #[test]
    fn bad_texts_are_refused() {
        assert!(Input::text("  ").is_err());
        assert!(Input::text(&"a".repeat(100_000)).is_err());
        assert!(Input::text("\u{0}\u{1}\u{2}abc").is_err());
        assert!(Input::indicator("fax", "1").is_err());
        assert!(Input::indicator("bank_card", "1234567890123456789012345").is_err());
        assert!(Input::indicator("url", "http://a.cn/\u{7}x").is_err());
    }
}

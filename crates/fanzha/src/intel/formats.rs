//! Import and export of indicators as CSV, a STIX 2.1 bundle, or a MISP event. Parsers check
//! every entry and return either all entries or one error per bad entry, so an import with any
//! invalid entry writes nothing. Exports re-import to the same set (kind, value, status, fraud
//! types, sharing level).
//!
//! STIX patterns use the standard objects where they exist (`url:value`, `domain-name:value`,
//! `ipv4-addr:value`, `ipv6-addr:value`) and custom ones otherwise (`x-fanzha-phone:value`,
//! `x-fanzha-bank-card:value`, `x-fanzha-alipay:value`, `x-fanzha-wechat:value`,
//! `x-fanzha-qq:value`, `x-fanzha-app:value`, `x-fanzha-other-account:value`). Status and fraud
//! types travel as `x_fanzha_status` and `x_fanzha_fraud_types`; the sharing level as the standard
//! TLP marking definitions. MISP attributes use `phone-number`, `url`, `domain`, `ip-dst`,
//! `bank-account-nr`, `mobile-application-id`, and `text` with a `fanzha:kind="…"` tag for the
//! account kinds MISP has no type for; `tlp:*` tags carry the sharing level.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::{json, Value};

use super::model::{Entry, FraudTypes, Indicator, IndicatorKey, Status, Tlp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Stix,
    Misp,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim() {
            "csv" => Some(Format::Csv),
            "stix" => Some(Format::Stix),
            "misp" => Some(Format::Misp),
            _ => None,
        }
    }
    pub fn id(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Stix => "stix",
            Format::Misp => "misp",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Stix | Format::Misp => "application/json",
        }
    }
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Csv => "indicators.csv",
            Format::Stix => "indicators.stix.json",
            Format::Misp => "indicators.misp.json",
        }
    }
}

/// Most entries one import may hold.
pub const MAX_ENTRIES: usize = 100_000;

pub fn parse(format: Format, data: &[u8]) -> Result<Vec<Entry>, Vec<String>> {
    let text =
        std::str::from_utf8(data).map_err(|_| vec!["the file is not UTF-8 text".to_string()])?;
    let text = text.trim_start_matches('\u{feff}');
    let entries = match format {
        Format::Csv => parse_csv(text)?,
        Format::Stix => parse_stix(text)?,
        Format::Misp => parse_misp(text)?,
    };
    if entries.is_empty() {
        return Err(vec!["the file holds no indicator".into()]);
    }
    if entries.len() > MAX_ENTRIES {
        return Err(vec![format!("more than {MAX_ENTRIES} entries")]);
    }
    Ok(entries)
}

pub fn export(format: Format, items: &[Indicator], now_ms: i64) -> String {
    match format {
        Format::Csv => export_csv(items),
        Format::Stix => export_stix(items, now_ms),
        Format::Misp => export_misp(items, now_ms),
    }
}

fn entry(
    kind: &str,
    value: &str,
    status: Option<&str>,
    types: &[String],
    tlp: Option<&str>,
    default_status: Status,
) -> Result<Entry, String> {
    let key = IndicatorKey::parse(kind, value)?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.parse()?,
        None => default_status,
    };
    let tlp = match tlp.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.parse()?,
        None => Tlp::Green,
    };
    let types = FraudTypes::from_list(types)?;
    Ok(Entry {
        key,
        status,
        fraud_types: types.ids(),
        tlp,
    })
}

// ---- CSV ----

const CSV_HEADER: [&str; 5] = ["kind", "value", "status", "fraud_types", "tlp"];

fn parse_csv(text: &str) -> Result<Vec<Entry>, Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .map_err(|e| vec![format!("line 1: {e}")])?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(kc), Some(vc)) = (col("kind"), col("value")) else {
        return Err(vec![format!(
            "line 1: the header must name the columns {}",
            CSV_HEADER.join(",")
        )]);
    };
    let (sc, tc, lc) = (col("status"), col("fraud_types"), col("tlp"));
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // `restore`: a value exported as `'+14155550100` (neutralised for spreadsheets) reads back.
        let get =
            |c: Option<usize>| crate::csv_export::restore(c.and_then(|c| rec.get(c)).unwrap_or(""));
        let types: Vec<String> = get(tc).split('|').map(str::to_string).collect();
        match entry(
            get(Some(kc)),
            get(Some(vc)),
            Some(get(sc)),
            &types,
            Some(get(lc)),
            Status::Reported,
        ) {
            Ok(e) => out.push(e),
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn export_csv(items: &[Indicator]) -> String {
    let mut w = crate::csv_export::CsvOut::new();
    w.text_row(CSV_HEADER);
    for i in items {
        w.text_row([
            i.kind.as_str(),
            i.value.as_str(),
            i.status.as_str(),
            &i.fraud_types.join("|"),
            i.tlp.as_str(),
        ]);
    }
    w.finish_string()
}

// ---- STIX 2.1 ----

const STIX_TLP: [(Tlp, &str); 4] = [
    (
        Tlp::Clear,
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    ),
    (
        Tlp::Green,
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    ),
    (
        Tlp::Amber,
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    ),
    (
        Tlp::Red,
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    ),
];

fn stix_object(kind: &str, value: &str) -> &'static str {
    match kind {
        "url" => "url",
        "domain" => "domain-name",
        "ip" if value.contains(':') => "ipv6-addr",
        "ip" => "ipv4-addr",
        "phone" => "x-fanzha-phone",
        "bank_card" => "x-fanzha-bank-card",
        "alipay" => "x-fanzha-alipay",
        "wechat" => "x-fanzha-wechat",
        "qq" => "x-fanzha-qq",
        "app" => "x-fanzha-app",
        _ => "x-fanzha-other-account",
    }
}

fn kind_of_stix(object: &str) -> Option<&'static str> {
    Some(match object {
        "url" => "url",
        "domain-name" => "domain",
        "ipv4-addr" | "ipv6-addr" => "ip",
        "x-fanzha-phone" => "phone",
        "x-fanzha-bank-card" => "bank_card",
        "x-fanzha-alipay" => "alipay",
        "x-fanzha-wechat" => "wechat",
        "x-fanzha-qq" => "qq",
        "x-fanzha-app" => "app",
        "x-fanzha-other-account" => "other_account",
        _ => return None,
    })
}

fn pattern_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\s*\[\s*([a-z0-9-]+):value\s*=\s*'((?:[^'\\]|\\.)*)'\s*\]\s*$")
            .expect("static regex")
    })
}

fn stix_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

fn stix_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut esc = false;
    for c in s.chars() {
        if esc {
            out.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else {
            out.push(c);
        }
    }
    out
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn parse_stix(text: &str) -> Result<Vec<Entry>, Vec<String>> {
    let v: Value = serde_json::from_str(text).map_err(|e| vec![format!("not JSON: {e}")])?;
    if v["type"] != "bundle" {
        return Err(vec!["not a STIX 2.1 bundle (\"type\": \"bundle\")".into()]);
    }
    let Some(objects) = v["objects"].as_array() else {
        return Err(vec!["the bundle has no \"objects\" list".into()]);
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        if o["type"] != "indicator" {
            continue;
        }
        let n = i + 1;
        let res = (|| {
            if o["pattern_type"].as_str().unwrap_or("stix") != "stix" {
                return Err("only STIX patterns are supported".to_string());
            }
            let pattern = o["pattern"].as_str().ok_or("indicator without pattern")?;
            let caps = pattern_re().captures(pattern).ok_or_else(|| {
                format!("unsupported pattern `{pattern}` (expected [object:value = '…'])")
            })?;
            let kind = kind_of_stix(&caps[1])
                .ok_or_else(|| format!("unsupported object type `{}`", &caps[1]))?;
            let value = stix_unescape(&caps[2]);
            let tlp = strings(&o["object_marking_refs"])
                .iter()
                .find_map(|m| STIX_TLP.iter().find(|(_, id)| id == m).map(|(t, _)| *t))
                .unwrap_or(Tlp::Green);
            let mut types = strings(&o["x_fanzha_fraud_types"]);
            types.extend(
                strings(&o["labels"])
                    .into_iter()
                    .filter(|l| l.parse::<fanzha_detect::FraudType>().is_ok()),
            );
            entry(
                kind,
                &value,
                o["x_fanzha_status"].as_str(),
                &types,
                Some(tlp.as_str()),
                Status::Suspected,
            )
        })();
        match res {
            Ok(e) => out.push(e),
            Err(e) => errors.push(format!("object {n}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn export_stix(items: &[Indicator], now_ms: i64) -> String {
    let now = iso(now_ms);
    let mut objects = Vec::with_capacity(items.len());
    for i in items {
        let tlp = STIX_TLP
            .iter()
            .find(|(t, _)| *t == i.tlp)
            .map_or(STIX_TLP[1].1, |(_, id)| id);
        objects.push(json!({
            "type": "indicator",
            "spec_version": "2.1",
            "id": format!("indicator--{}", uuid::Uuid::new_v4()),
            "created": iso(i.first_seen),
            "modified": now,
            "name": format!("{} {}", i.kind, i.value),
            "indicator_types": ["malicious-activity"],
            "pattern": format!("[{}:value = '{}']", stix_object(&i.kind, &i.value), stix_escape(&i.value)),
            "pattern_type": "stix",
            "valid_from": iso(i.first_seen),
            "labels": i.fraud_types,
            "object_marking_refs": [tlp],
            "x_fanzha_status": i.status.as_str(),
            "x_fanzha_fraud_types": i.fraud_types,
            "x_fanzha_sightings": i.sightings,
        }));
    }
    let bundle = json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid::Uuid::new_v4()),
        "objects": objects,
    });
    serde_json::to_string_pretty(&bundle).unwrap_or_default()
}

// ---- MISP ----

fn misp_type(kind: &str) -> &'static str {
    match kind {
        "phone" => "phone-number",
        "url" => "url",
        "domain" => "domain",
        "ip" => "ip-dst",
        "bank_card" => "bank-account-nr",
        "app" => "mobile-application-id",
        _ => "text",
    }
}

fn kind_of_misp(t: &str) -> Option<&'static str> {
    Some(match t {
        "phone-number" => "phone",
        "url" | "link" => "url",
        "domain" | "hostname" => "domain",
        "ip-dst" | "ip-src" => "ip",
        "bank-account-nr" | "cc-number" | "iban" => "bank_card",
        "mobile-application-id" => "app",
        _ => return None,
    })
}

fn tag_value(tag: &str, name: &str) -> Option<String> {
    let rest = tag.strip_prefix(name)?.strip_prefix('=')?;
    Some(rest.trim_matches('"').to_string())
}

fn parse_misp(text: &str) -> Result<Vec<Entry>, Vec<String>> {
    let v: Value = serde_json::from_str(text).map_err(|e| vec![format!("not JSON: {e}")])?;
    let event = if v.get("Event").is_some() {
        &v["Event"]
    } else {
        &v
    };
    let Some(attrs) = event["Attribute"].as_array() else {
        return Err(vec!["not a MISP event (no Event.Attribute list)".into()]);
    };
    let tags = |x: &Value| -> Vec<String> {
        x["Tag"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let event_tlp = tags(event)
        .into_iter()
        .find(|t| t.to_ascii_lowercase().starts_with("tlp:"));
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, a) in attrs.iter().enumerate() {
        let n = i + 1;
        let res = (|| {
            let t = a["type"].as_str().ok_or("attribute without type")?;
            let value = a["value"].as_str().ok_or("attribute without value")?;
            let atags = tags(a);
            let fk = atags.iter().find_map(|t| tag_value(t, "fanzha:kind"));
            let kind = match (kind_of_misp(t), fk.as_deref()) {
                (_, Some(k)) => k.to_string(),
                (Some(k), None) => k.to_string(),
                (None, None) => return Err(format!("unsupported attribute type `{t}`")),
            };
            let tlp = atags
                .iter()
                .find(|t| t.to_ascii_lowercase().starts_with("tlp:"))
                .cloned()
                .or_else(|| event_tlp.clone());
            let status = atags.iter().find_map(|t| tag_value(t, "fanzha:status"));
            let types: Vec<String> = atags
                .iter()
                .filter_map(|t| tag_value(t, "fanzha:fraud-type"))
                .collect();
            entry(
                &kind,
                value,
                status.as_deref(),
                &types,
                tlp.as_deref(),
                Status::Suspected,
            )
        })();
        match res {
            Ok(e) => out.push(e),
            Err(e) => errors.push(format!("attribute {n}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn export_misp(items: &[Indicator], now_ms: i64) -> String {
    let attrs: Vec<Value> = items
        .iter()
        .map(|i| {
            let t = misp_type(&i.kind);
            let mut tags = vec![
                json!({"name": format!("tlp:{}", i.tlp.as_str())}),
                json!({"name": format!("fanzha:status=\"{}\"", i.status.as_str())}),
            ];
            if t == "text" {
                tags.push(json!({"name": format!("fanzha:kind=\"{}\"", i.kind)}));
            }
            for f in &i.fraud_types {
                tags.push(json!({"name": format!("fanzha:fraud-type=\"{f}\"")}));
            }
            json!({
                "uuid": uuid::Uuid::new_v4().to_string(),
                "type": t,
                "category": if t == "text" || t == "phone-number" || t == "bank-account-nr" { "Financial fraud" } else { "Network activity" },
                "value": i.value,
                "to_ids": i.status != Status::Cleared,
                "comment": format!("{} sightings", i.sightings),
                "Tag": tags,
            })
        })
        .collect();
    let ev = json!({"Event": {
        "uuid": uuid::Uuid::new_v4().to_string(),
        "info": "fanzha indicator export",
        "date": chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default().format("%Y-%m-%d").to_string(),
        "threat_level_id": "2",
        "analysis": "2",
        "distribution": "0",
        "Attribute": attrs,
    }});
    serde_json::to_string_pretty(&ev).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stix_patterns_of_reference_examples() {
        let b = r#"{"type":"bundle","id":"bundle--1","objects":[
          {"type":"indicator","spec_version":"2.1","id":"indicator--1","pattern":"[domain-name:value = 'evil-loan.cn']","pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z"},
          {"type":"indicator","spec_version":"2.1","id":"indicator--2","pattern":"[ipv4-addr:value = '203.0.113.7']","pattern_type":"stix","object_marking_refs":["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]},
          {"type":"identity","id":"identity--1","name":"x"}]}"#;
        let e = parse(Format::Stix, b.as_bytes()).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].key.value(), "evil-loan.cn");
        assert_eq!(e[1].tlp, Tlp::Red);
        assert_eq!(e[0].status, Status::Suspected);
    }

    #[test]
    fn misp_attributes() {
        let m = r#"{"Event":{"info":"x","Tag":[{"name":"tlp:amber"}],"Attribute":[
          {"type":"phone-number","value":"+86 138 0013 8000"},
          {"type":"ip-dst","value":"203.0.113.9","Tag":[{"name":"tlp:white"}]},
          {"type":"vulnerability","value":"CVE-1"}]}}"#;
        let err = parse(Format::Misp, m.as_bytes()).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(err[0].starts_with("attribute 3"));
    }
}

//! Import and export of indicators as CSV, a STIX 2.1 bundle, or a MISP event.
//!
//! A CSV file is all or nothing: one invalid line refuses the file. A STIX bundle or MISP event is
//! a feed: what fanzha understands is imported and every other entry is skipped with its reason
//! (a pattern fanzha cannot hold as one value, an object or attribute type it has no kind for, a
//! value invalid for its kind), so one odd entry does not refuse the feed. A STIX pattern joined
//! with OR gives one entry per value. Exports re-import to the same set (kind, value, status,
//! fraud types, sharing level).
//!
//! STIX patterns use the standard objects where they exist (`url:value`, `domain-name:value`,
//! `ipv4-addr:value`, `ipv6-addr:value`) and custom ones otherwise (`x-fanzha-phone:value`,
//! `x-fanzha-bank-card:value`, `x-fanzha-alipay:value`, `x-fanzha-wechat:value`,
//! `x-fanzha-qq:value`, `x-fanzha-app:value`, `x-fanzha-other-account:value`). Status and fraud
//! types travel as `x_fanzha_status` and `x_fanzha_fraud_types`; the sharing level as the TLP
//! marking definitions (1.0 and 2.0 read, 1.0 written; an unknown marking reads as TLP:RED).
//! `revoked` and an expired `valid_until` import as cleared. MISP attributes use `phone-number`,
//! `url`, `domain`, `ip-dst`, `bank-account-nr`, `mobile-application-id`, and `text` with a
//! `fanzha:kind="…"` tag for the account kinds MISP has no type for; `tlp:*` tags carry the
//! sharing level; `deleted` attributes import as cleared.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::model::{Entry, FraudTypes, Indicator, IndicatorKey, Status, Tlp};

mod misp;
mod stix;

use misp::{export_misp, parse_misp};
use stix::{export_stix, parse_stix};

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

/// A feed entry (or one value of it) that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Skipped {
    /// Where it is in the file: `object 3 (indicator--…)`, `attribute 2 (…)`.
    pub entry: String,
    /// The pattern or the type and value, as the file has it.
    pub value: String,
    pub reason: String,
}

/// What a file holds: the entries to import and the entries skipped.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    pub skipped: Vec<Skipped>,
}

/// What an export leaves out or how it marks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Leave cleared indicators out (by default they are exported revoked in STIX and with
    /// `to_ids: false` in MISP).
    pub omit_cleared: bool,
}

/// Reads a file. `Err` lists why the whole file is refused: not readable, not of the format, no
/// indicator at all, or (CSV only) any invalid line.
pub fn parse(format: Format, data: &[u8], now_ms: i64) -> Result<Parsed, Vec<String>> {
    let text =
        std::str::from_utf8(data).map_err(|_| vec!["the file is not UTF-8 text".to_string()])?;
    let text = text.trim_start_matches('\u{feff}');
    let parsed = match format {
        Format::Csv => Parsed {
            entries: parse_csv(text)?,
            skipped: vec![],
        },
        Format::Stix => parse_stix(text, now_ms)?,
        Format::Misp => parse_misp(text)?,
    };
    if parsed.entries.is_empty() {
        let mut errors = vec!["the file holds no indicator fanzha can import".to_string()];
        errors.extend(
            parsed
                .skipped
                .iter()
                .map(|s| format!("{}: {} ({})", s.entry, s.reason, s.value)),
        );
        return Err(errors);
    }
    if parsed.entries.len() > MAX_ENTRIES {
        return Err(vec![format!("more than {MAX_ENTRIES} entries")]);
    }
    Ok(parsed)
}

/// The indicators an export holds: never AMBER+STRICT (it stays inside the organisation), and no
/// cleared one when the options say so.
pub fn exported(items: &[Indicator], opts: ExportOptions) -> Vec<&Indicator> {
    items
        .iter()
        .filter(|i| i.tlp.exportable())
        .filter(|i| !(opts.omit_cleared && i.status == Status::Cleared))
        .collect()
}

pub fn export(format: Format, items: &[Indicator], now_ms: i64, opts: ExportOptions) -> String {
    let items = exported(items, opts);
    match format {
        Format::Csv => export_csv(&items),
        Format::Stix => export_stix(&items, now_ms),
        Format::Misp => export_misp(&items, now_ms),
    }
}

/// A stable UUID (random-form, version 4 bits) for a name: the same indicator keeps its id from
/// one export to the next, so a receiver counts it once.
fn stable_uuid(name: &str) -> uuid::Uuid {
    use sha2::Digest;
    let h = sha2::Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid()
}

struct Shared<'a> {
    status: Option<&'a str>,
    types: &'a [String],
    tlp: Tlp,
    default_status: Status,
    source: &'a str,
    entry_id: &'a str,
    withdrawn: Option<&'static str>,
}

fn entry(kind: &str, value: &str, sh: &Shared<'_>) -> Result<Entry, String> {
    let key = IndicatorKey::parse(kind, value)?;
    let status = match sh.status.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.parse()?,
        None => sh.default_status,
    };
    let types = FraudTypes::from_list(sh.types)?;
    Ok(Entry {
        // A withdrawn entry is not live, whatever status it carries.
        status: if sh.withdrawn.is_some() {
            Status::Cleared
        } else {
            status
        },
        fraud_types: types.ids(),
        tlp: sh.tlp,
        source: sh.source.to_string(),
        entry_id: if sh.entry_id.is_empty() {
            format!("{}:{}", key.kind().id(), key.value())
        } else {
            sh.entry_id.to_string()
        },
        withdrawn: sh.withdrawn,
        key,
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
        let res = (|| {
            let tlp = match get(lc).trim() {
                "" => Tlp::Green,
                t => t.parse()?,
            };
            entry(
                get(Some(kc)),
                get(Some(vc)),
                &Shared {
                    status: Some(get(sc)),
                    types: &types,
                    tlp,
                    default_status: Status::Reported,
                    source: "csv",
                    entry_id: "",
                    withdrawn: None,
                },
            )
        })();
        match res {
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

fn export_csv(items: &[&Indicator]) -> String {
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

#[cfg(test)]
mod tests {
    use super::stix::read_pattern;
    use super::*;

    const NOW: i64 = 1_767_225_600_000; // 2026-01-01

    #[test]
    fn stix_patterns_of_reference_examples() {
        let b = r#"{"type":"bundle","id":"bundle--1","objects":[
          {"type":"indicator","spec_version":"2.1","id":"indicator--1","pattern":"[domain-name:value = 'evil-loan.cn']","pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z"},
          {"type":"indicator","spec_version":"2.1","id":"indicator--2","pattern":"[ipv4-addr:value = '203.0.113.7']","pattern_type":"stix","object_marking_refs":["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]},
          {"type":"identity","id":"identity--1","name":"x"}]}"#;
        let e = parse(Format::Stix, b.as_bytes(), NOW).unwrap().entries;
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].key.value(), "evil-loan.cn");
        assert_eq!(e[1].tlp, Tlp::Red);
        assert_eq!(e[0].status, Status::Suspected);
        assert_eq!(e[0].entry_id, "indicator--1");
    }

    #[test]
    fn pattern_reader() {
        let ok = |p: &str| -> Vec<String> {
            read_pattern(p)
                .unwrap()
                .into_iter()
                .map(|c| match c {
                    Ok((o, v)) => format!("{o}={v}"),
                    Err(e) => format!("!{e}"),
                })
                .collect()
        };
        assert_eq!(ok("[url:value = 'http://a.cn/x']"), ["url=http://a.cn/x"]);
        assert_eq!(
            ok("[domain-name:value = 'a.cn' OR domain-name:value = 'b.cn'] OR [ipv4-addr:value='1.2.3.4']"),
            ["domain-name=a.cn", "domain-name=b.cn", "ipv4-addr=1.2.3.4"]
        );
        assert_eq!(ok(r"[url:value = 'it\'s']"), ["url=it's"]);
        let v =
            ok("[url:value LIKE '%evil%' OR file:hashes.MD5 = 'abc' OR url:value = 'http://x.cn']");
        assert!(v[0].starts_with("!the comparison"), "{v:?}");
        assert!(v[1].contains("file:hashes.MD5"), "{v:?}");
        assert_eq!(v[2], "url=http://x.cn");
        assert!(ok("[ipv4-addr:value IN ('1.1.1.1', '2.2.2.2')]")[0].starts_with('!'));
        for bad in [
            "[url:value = 'a' AND url:value = 'b']",
            "[url:value = 'a'] AND [url:value = 'b']",
            "[url:value = 'a'] WITHIN 10 SECONDS",
            "[url:value = 'a'] FOLLOWEDBY [url:value = 'b']",
            "url:value = 'a'",
            "[url:value = 'a'",
        ] {
            assert!(read_pattern(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tlp_markings_one_and_two_and_unknown() {
        let b = r#"{"type":"bundle","id":"bundle--1","objects":[
          {"type":"marking-definition","id":"marking-definition--own","definition_type":"statement","definition":{"statement":"(c) x"}},
          {"type":"indicator","id":"indicator--1","pattern":"[url:value = 'http://a.cn']","pattern_type":"stix","object_marking_refs":["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"]},
          {"type":"indicator","id":"indicator--2","pattern":"[url:value = 'http://b.cn']","pattern_type":"stix","object_marking_refs":["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487","marking-definition--own"]},
          {"type":"indicator","id":"indicator--3","pattern":"[url:value = 'http://c.cn']","pattern_type":"stix","object_marking_refs":["marking-definition--nobody-knows"]},
          {"type":"indicator","id":"indicator--4","pattern":"[url:value = 'http://d.cn']","pattern_type":"stix","revoked":true},
          {"type":"indicator","id":"indicator--5","pattern":"[url:value = 'http://e.cn']","pattern_type":"stix","valid_until":"2025-06-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--6","pattern":"[url:value = 'http://f.cn']","pattern_type":"stix","valid_until":"next tuesday"}]}"#;
        let p = parse(Format::Stix, b.as_bytes(), NOW).unwrap();
        // A valid_until that is no time: skipped, with why.
        assert_eq!(p.skipped.len(), 1);
        assert!(
            p.skipped[0].reason.contains("valid_until"),
            "{:?}",
            p.skipped
        );
        let e = p.entries;
        assert_eq!(e.len(), 5);
        let tlps: Vec<Tlp> = e.iter().map(|e| e.tlp).collect();
        assert_eq!(tlps[..3], [Tlp::AmberStrict, Tlp::Clear, Tlp::Red]);
        assert_eq!(e[3].withdrawn, Some("revoked"));
        assert_eq!(e[4].withdrawn, Some("expired"));
        assert_eq!(e[4].status, Status::Cleared);
        assert_eq!(e[0].withdrawn, None);
    }

    #[test]
    fn misp_attributes() {
        let m = r#"{"Event":{"info":"x","Tag":[{"name":"tlp:amber+strict"}],"Attribute":[
          {"type":"phone-number","value":"+86 138 0013 8000"},
          {"type":"ip-dst","value":"203.0.113.9","Tag":[{"name":"tlp:white"}]},
          {"type":"vulnerability","value":"CVE-1"},
          {"type":"ip-dst","value":"203.0.113.0/24"},
          {"type":"domain","value":"x.cn","deleted":true,"Tag":[{"name":"tlp:ex:chr"}]}]}}"#;
        let p = parse(Format::Misp, m.as_bytes(), NOW).unwrap();
        assert_eq!(p.entries.len(), 3);
        assert_eq!(p.entries[0].tlp, Tlp::AmberStrict);
        assert_eq!(p.entries[1].tlp, Tlp::Clear);
        assert_eq!(p.entries[2].tlp, Tlp::Red);
        assert_eq!(p.entries[2].withdrawn, Some("deleted"));
        assert_eq!(p.skipped.len(), 2);
        assert!(p.skipped[0].entry.starts_with("attribute 3"));
        assert!(p.skipped[1].reason.contains("CIDR"));
    }
}

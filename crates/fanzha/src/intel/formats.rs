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

// ---- STIX 2.1 ----

/// TLP 1.0 marking definitions predefined by STIX 2.1 (written by exports).
const STIX_TLP1: [(Tlp, &str); 4] = [
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

/// TLP 2.0 marking definitions published by OASIS (extension
/// `extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`).
const STIX_TLP2: [(Tlp, &str); 5] = [
    (
        Tlp::Clear,
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    ),
    (
        Tlp::Green,
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    ),
    (
        Tlp::Amber,
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    ),
    (
        Tlp::AmberStrict,
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    ),
    (
        Tlp::Red,
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    ),
];

/// The sharing level a marking-definition object defines: `Some(level)` for a TLP marking (1.0
/// `definition_type: tlp`, 2.0 `tlp_2_0` extension, or a `TLP:…` name), `None` for a statement
/// (terms of use, no sharing level). A TLP marking with a level fanzha does not know, or a
/// marking of an unknown type, is TLP:RED.
fn marking_object_tlp(o: &Value) -> Option<Tlp> {
    if o["definition_type"] == "statement" {
        return None;
    }
    if o["definition_type"] == "tlp" {
        return Some(
            o["definition"]["tlp"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .unwrap_or(Tlp::Red),
        );
    }
    if let Some(ext) = o["extensions"].as_object() {
        if let Some(t) = ext.values().find_map(|e| e["tlp_2_0"].as_str()) {
            return Some(t.parse().unwrap_or(Tlp::Red));
        }
    }
    if let Some(n) = o["name"].as_str() {
        if n.to_ascii_lowercase().starts_with("tlp:") {
            return Some(n.parse().unwrap_or(Tlp::Red));
        }
    }
    Some(Tlp::Red)
}

/// The level of one marking reference: the predefined TLP 1.0 and 2.0 ids, then the marking
/// definitions of the bundle; a reference to anything else is unknown, hence TLP:RED.
fn marking_ref_tlp(id: &str, defs: &HashMap<String, Option<Tlp>>) -> Option<Tlp> {
    if let Some((t, _)) = STIX_TLP1
        .iter()
        .chain(STIX_TLP2.iter())
        .find(|(_, m)| *m == id)
    {
        return Some(*t);
    }
    match defs.get(id) {
        Some(t) => *t,
        None => Some(Tlp::Red),
    }
}

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

/// One comparison of a pattern: `(object type, value)`, or why it cannot be an indicator.
type Comparison = Result<(String, String), String>;

/// A STIX pattern reader for what fanzha can hold: observation expressions `[…]` joined by OR,
/// each holding comparisons `object:value = '…'` joined by OR. Each comparison is one value; a
/// comparison fanzha cannot hold (another property, another operator) is returned as an error
/// alone. AND, FOLLOWEDBY and qualifiers (WITHIN, REPEATS, START … STOP) tie values together,
/// so the whole pattern is refused (`Err`).
struct PatternReader<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> PatternReader<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }
    fn ws(&mut self) {
        let r = self.rest();
        self.i += r.len() - r.trim_start().len();
    }
    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        if self.rest().starts_with(tok) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }
    fn word(&mut self) -> &'a str {
        self.ws();
        let r = self.rest();
        let n = r
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(r.len());
        self.i += n;
        &r[..n]
    }
    fn eat_word(&mut self, w: &str) -> bool {
        let save = self.i;
        if self.word().eq_ignore_ascii_case(w) {
            true
        } else {
            self.i = save;
            false
        }
    }
    /// A quoted string (with `\'` and `\\` escapes), unescaped.
    fn string(&mut self) -> Option<String> {
        self.ws();
        let mut chars = self.rest().char_indices();
        if chars.next()?.1 != '\'' {
            return None;
        }
        let mut out = String::new();
        let mut esc = false;
        for (n, c) in chars {
            if esc {
                out.push(c);
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '\'' {
                self.i += n + 1;
                return Some(out);
            } else {
                out.push(c);
            }
        }
        None
    }
    /// Skips a literal of any type (quoted, prefixed `h'…'`/`b'…'`/`t'…'`, a list `(…)`, a number
    /// or boolean). False when there is none.
    fn skip_literal(&mut self) -> bool {
        self.ws();
        let r = self.rest();
        if r.starts_with('(') {
            let mut quoted = false;
            let mut esc = false;
            for (n, c) in r.char_indices() {
                match c {
                    _ if esc => esc = false,
                    '\\' if quoted => esc = true,
                    '\'' => quoted = !quoted,
                    ')' if !quoted => {
                        self.i += n + 1;
                        return true;
                    }
                    _ => {}
                }
            }
            return false;
        }
        if r.len() > 1 && r.as_bytes()[1] == b'\'' && matches!(r.as_bytes()[0], b'h' | b'b' | b't')
        {
            self.i += 1;
        }
        if self.string().is_some() {
            return true;
        }
        !self.word().trim_start_matches(['-', '+', '.']).is_empty()
    }
    fn comparison(&mut self) -> Result<Comparison, String> {
        self.ws();
        let r = self.rest();
        let n = r
            .find(|c: char| c.is_whitespace() || matches!(c, '=' | '!' | '<' | '>' | ']'))
            .unwrap_or(r.len());
        let path = &r[..n];
        self.i += n;
        let Some((object, property)) = path.split_once(':') else {
            return Err(format!("`{path}` is not an object path"));
        };
        self.ws();
        let op = {
            let r = self.rest();
            let sym = r
                .find(|c: char| !matches!(c, '=' | '!' | '<' | '>'))
                .unwrap_or(r.len());
            if sym > 0 {
                self.i += sym;
                r[..sym].to_string()
            } else {
                let w = self.word().to_ascii_uppercase();
                if w == "NOT" {
                    format!("NOT {}", self.word().to_ascii_uppercase())
                } else {
                    w
                }
            }
        };
        if op == "=" {
            if let Some(v) = self.string() {
                if property != "value" {
                    return Ok(Err(format!(
                        "`{object}:{property}` is not supported (fanzha reads `:value` only)"
                    )));
                }
                return Ok(Ok((object.to_string(), v)));
            }
        }
        if op.is_empty() || !self.skip_literal() {
            return Err(format!("cannot read the comparison on `{path}`"));
        }
        Ok(Err(format!(
            "the comparison `{path} {op} …` is not supported (fanzha reads `= '…'` only)"
        )))
    }
    fn read(mut self) -> Result<Vec<Comparison>, String> {
        let mut out = Vec::new();
        loop {
            if !self.eat("[") {
                return Err("expected `[` (an observation expression)".into());
            }
            loop {
                out.push(self.comparison()?);
                if self.eat("]") {
                    break;
                }
                if self.eat_word("OR") {
                    continue;
                }
                if self.eat_word("AND") {
                    return Err("comparisons joined with AND are not supported: fanzha keeps one value per indicator".into());
                }
                return Err(format!("unexpected `{}`", self.rest().trim()));
            }
            self.ws();
            if self.rest().is_empty() {
                return Ok(out);
            }
            if self.eat_word("OR") {
                continue;
            }
            let w = self.word().to_ascii_uppercase();
            return Err(format!(
                "`{}` is not supported: fanzha reads observations joined with OR only",
                if w.is_empty() {
                    self.rest().trim().to_string()
                } else {
                    w
                }
            ));
        }
    }
}

fn read_pattern(p: &str) -> Result<Vec<Comparison>, String> {
    PatternReader { s: p, i: 0 }.read()
}

fn stix_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
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

fn parse_stix(text: &str, now_ms: i64) -> Result<Parsed, Vec<String>> {
    let v: Value = serde_json::from_str(text).map_err(|e| vec![format!("not JSON: {e}")])?;
    if v["type"] != "bundle" {
        return Err(vec!["not a STIX 2.1 bundle (\"type\": \"bundle\")".into()]);
    }
    let Some(objects) = v["objects"].as_array() else {
        return Err(vec!["the bundle has no \"objects\" list".into()]);
    };
    let defs: HashMap<String, Option<Tlp>> = objects
        .iter()
        .filter(|o| o["type"] == "marking-definition")
        .filter_map(|o| Some((o["id"].as_str()?.to_string(), marking_object_tlp(o))))
        .collect();
    let mut out = Parsed::default();
    for (i, o) in objects.iter().enumerate() {
        if o["type"] != "indicator" {
            continue;
        }
        let id = o["id"].as_str().unwrap_or("");
        let at = if id.is_empty() {
            format!("object {}", i + 1)
        } else {
            format!("object {} ({id})", i + 1)
        };
        let pattern = o["pattern"].as_str().unwrap_or("");
        let skip = |out: &mut Parsed, value: &str, reason: String| {
            out.skipped.push(Skipped {
                entry: at.clone(),
                value: value.to_string(),
                reason,
            })
        };
        if pattern.is_empty() {
            skip(&mut out, "", "indicator without pattern".into());
            continue;
        }
        let pattern_type = o["pattern_type"].as_str().unwrap_or("stix");
        if pattern_type != "stix" {
            skip(
                &mut out,
                pattern,
                format!("`{pattern_type}` patterns are not supported (STIX patterns only)"),
            );
            continue;
        }
        // Withdrawn by the feed: revoked, or past its valid_until.
        let withdrawn = if o["revoked"] == true {
            Some("revoked")
        } else {
            match o["valid_until"].as_str() {
                Some(t) => match chrono::DateTime::parse_from_rfc3339(t) {
                    Ok(t) if t.timestamp_millis() <= now_ms => Some("expired"),
                    Ok(_) => None,
                    Err(_) => {
                        skip(
                            &mut out,
                            pattern,
                            format!("`valid_until` is not a time: {t}"),
                        );
                        continue;
                    }
                },
                None => None,
            }
        };
        let mut refs = strings(&o["object_marking_refs"]);
        if let Some(g) = o["granular_markings"].as_array() {
            refs.extend(
                g.iter()
                    .filter_map(|m| m["marking_ref"].as_str().map(str::to_string)),
            );
        }
        let tlp = refs
            .iter()
            .filter_map(|m| marking_ref_tlp(m, &defs))
            .max()
            .unwrap_or(Tlp::Green);
        let mut types = strings(&o["x_fanzha_fraud_types"]);
        types.extend(
            strings(&o["labels"])
                .into_iter()
                .filter(|l| l.parse::<fanzha_detect::FraudType>().is_ok()),
        );
        let source = match o["created_by_ref"].as_str() {
            Some(c) => format!("stix:{c}"),
            None => "stix".to_string(),
        };
        let entry_id = if id.is_empty() { pattern } else { id };
        let shared = Shared {
            status: o["x_fanzha_status"].as_str(),
            types: &types,
            tlp,
            default_status: Status::Suspected,
            source: &source,
            entry_id,
            withdrawn,
        };
        let comparisons = match read_pattern(pattern) {
            Ok(c) => c,
            Err(e) => {
                skip(&mut out, pattern, e);
                continue;
            }
        };
        for c in comparisons {
            let res = c.and_then(|(object, value)| {
                let kind = kind_of_stix(&object)
                    .ok_or_else(|| format!("`{object}` is not a kind of indicator fanzha keeps"))?;
                if kind == "ip" && value.contains('/') {
                    return Err(format!(
                        "`{value}` is an address range (CIDR): fanzha keeps single addresses"
                    ));
                }
                entry(kind, &value, &shared)
            });
            match res {
                Ok(e) => out.entries.push(e),
                Err(e) => skip(&mut out, pattern, e),
            }
        }
    }
    Ok(out)
}

/// The identity fanzha's exports are created by (a stable id, so a receiver knows the feed).
fn stix_identity() -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": format!("identity--{}", stable_uuid("fanzha")),
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": "fanzha",
        "identity_class": "organization",
    })
}

/// The STIX extension that declares fanzha's top-level properties (`x_fanzha_status`,
/// `x_fanzha_fraud_types`, `x_fanzha_sightings`), so a strict validator accepts them.
fn stix_extension(identity: &Value) -> Value {
    json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": format!("extension-definition--{}", stable_uuid("fanzha:indicator-properties:1")),
        "created_by_ref": identity["id"],
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": "fanzha indicator properties",
        "description": "What fanzha knows about an indicator beyond its pattern.",
        "schema": "x_fanzha_status: reported, suspected, confirmed (by police) or cleared (a false positive). \
                   x_fanzha_fraud_types: fraud type ids of the fanzha typology (e.g. fake_loan, impersonate_police). \
                   x_fanzha_sightings: how often the indicator was reported.",
        "version": "1.0.0",
        "extension_types": ["toplevel-property-extension"],
        "extension_properties": ["x_fanzha_status", "x_fanzha_fraud_types", "x_fanzha_sightings"],
    })
}

fn export_stix(items: &[&Indicator], now_ms: i64) -> String {
    let now = iso(now_ms);
    let identity = stix_identity();
    let extension = stix_extension(&identity);
    let ext_id = extension["id"].as_str().unwrap_or_default().to_string();
    let mut objects = Vec::with_capacity(items.len() + 2);
    for i in items {
        let tlp = match i.tlp {
            // Not exported (see `exported`); were it, the stricter TLP 1.0 level would stand.
            Tlp::AmberStrict => STIX_TLP1[3].1,
            t => STIX_TLP1
                .iter()
                .find(|(x, _)| *x == t)
                .map_or(STIX_TLP1[3].1, |(_, id)| id),
        };
        let created = iso(i.first_seen.min(now_ms));
        let cleared = i.status == Status::Cleared;
        let mut o = json!({
            "type": "indicator",
            "spec_version": "2.1",
            "id": format!("indicator--{}", stable_uuid(&format!("{}:{}", i.kind, i.value))),
            "created_by_ref": identity["id"],
            "created": created,
            "modified": now,
            "name": format!("{} {}", i.kind, i.value),
            "description": format!(
                "{} seen in telecom fraud, {} in fanzha ({} sightings)",
                i.kind, i.status.as_str(), i.sightings
            ),
            "indicator_types": [if cleared { "benign" } else { "malicious-activity" }],
            "pattern": format!("[{}:value = '{}']", stix_object(&i.kind, &i.value), stix_escape(&i.value)),
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": created,
            "object_marking_refs": [tlp],
            "extensions": {ext_id.as_str(): {"extension_type": "toplevel-property-extension"}},
            "x_fanzha_status": i.status.as_str(),
            "x_fanzha_sightings": i.sightings,
        });
        if cleared {
            // A known false positive: a tool that ignores x_ properties must not block it.
            o["revoked"] = json!(true);
        }
        if !i.fraud_types.is_empty() {
            o["labels"] = json!(i.fraud_types);
            o["x_fanzha_fraud_types"] = json!(i.fraud_types);
        }
        objects.push(o);
    }
    objects.insert(0, extension);
    objects.insert(0, identity);
    let bundle = json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid::Uuid::new_v4()),
        "objects": objects,
    });
    serde_json::to_string_pretty(&bundle).unwrap_or_default()
}

// ---- MISP ----

/// The MISP type of a kind and its category, valid per MISP's category/type table
/// (`describeTypes`).
fn misp_type(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "phone" => ("phone-number", "Person"),
        "url" => ("url", "Network activity"),
        "domain" => ("domain", "Network activity"),
        "ip" => ("ip-dst", "Network activity"),
        "bank_card" => ("bank-account-nr", "Financial fraud"),
        "app" => ("mobile-application-id", "Payload delivery"),
        _ => ("text", "Financial fraud"),
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

fn misp_tags(x: &Value) -> Vec<String> {
    x["Tag"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The strictest `tlp:*` tag (TLP 1.0 and 2.0; an unknown `tlp:` tag is TLP:RED), if any.
fn misp_tlp(tags: &[String]) -> Option<Tlp> {
    tags.iter()
        .filter(|t| t.to_ascii_lowercase().starts_with("tlp:"))
        .map(|t| t.parse().unwrap_or(Tlp::Red))
        .max()
}

fn truthy(v: &Value) -> bool {
    v == true || v == 1 || v == "1" || v == "true"
}

fn parse_misp(text: &str) -> Result<Parsed, Vec<String>> {
    let v: Value = serde_json::from_str(text).map_err(|e| vec![format!("not JSON: {e}")])?;
    let event = if v.get("Event").is_some() {
        &v["Event"]
    } else {
        &v
    };
    let Some(attrs) = event["Attribute"].as_array() else {
        return Err(vec!["not a MISP event (no Event.Attribute list)".into()]);
    };
    let event_tlp = misp_tlp(&misp_tags(event));
    let org = [
        &event["Orgc"]["uuid"],
        &event["orgc_uuid"],
        &event["Org"]["uuid"],
        &event["uuid"],
    ]
    .into_iter()
    .find_map(|x| x.as_str().filter(|s| !s.is_empty()));
    let source = match org {
        Some(o) => format!("misp:{o}"),
        None => "misp".to_string(),
    };
    // Attributes of the event, then those of its objects.
    let mut all: Vec<(String, &Value)> = attrs
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("attribute {}", i + 1), a))
        .collect();
    for (j, o) in event["Object"].as_array().into_iter().flatten().enumerate() {
        for (k, a) in o["Attribute"].as_array().into_iter().flatten().enumerate() {
            all.push((format!("object {} attribute {}", j + 1, k + 1), a));
        }
    }
    let mut out = Parsed::default();
    for (at, a) in all {
        let t = a["type"].as_str().unwrap_or("");
        let value = a["value"].as_str().unwrap_or("");
        let res = (|| {
            if t.is_empty() || value.is_empty() {
                return Err("attribute without type or value".to_string());
            }
            let atags = misp_tags(a);
            let fk = atags.iter().find_map(|t| tag_value(t, "fanzha:kind"));
            let kind = match (kind_of_misp(t), fk.as_deref()) {
                (_, Some(k)) => k.to_string(),
                (Some(k), None) => k.to_string(),
                (None, None) => {
                    return Err(format!(
                        "MISP type `{t}` is not a kind of indicator fanzha keeps"
                    ))
                }
            };
            if kind == "ip" && value.contains('/') {
                return Err(format!(
                    "`{value}` is an address range (CIDR): fanzha keeps single addresses"
                ));
            }
            let tlp = misp_tlp(&atags).or(event_tlp).unwrap_or(Tlp::Green);
            let status = atags.iter().find_map(|t| tag_value(t, "fanzha:status"));
            let types: Vec<String> = atags
                .iter()
                .filter_map(|t| tag_value(t, "fanzha:fraud-type"))
                .collect();
            let entry_id = a["uuid"]
                .as_str()
                .map(str::to_string)
                .or_else(|| a["id"].as_str().map(str::to_string))
                .unwrap_or_default();
            entry(
                &kind,
                value,
                &Shared {
                    status: status.as_deref(),
                    types: &types,
                    tlp,
                    default_status: Status::Suspected,
                    source: &source,
                    entry_id: &entry_id,
                    withdrawn: truthy(&a["deleted"]).then_some("deleted"),
                },
            )
        })();
        match res {
            Ok(e) => out.entries.push(e),
            Err(reason) => out.skipped.push(Skipped {
                entry: at,
                value: format!("{t} {value}"),
                reason,
            }),
        }
    }
    Ok(out)
}

fn export_misp(items: &[&Indicator], now_ms: i64) -> String {
    let attrs: Vec<Value> = items
        .iter()
        .map(|i| {
            let (t, category) = misp_type(&i.kind);
            let mut tags = vec![
                json!({"name": format!("tlp:{}", i.tlp.tlp_name())}),
                json!({"name": format!("fanzha:status=\"{}\"", i.status.as_str())}),
            ];
            if t == "text" {
                tags.push(json!({"name": format!("fanzha:kind=\"{}\"", i.kind)}));
            }
            for f in &i.fraud_types {
                tags.push(json!({"name": format!("fanzha:fraud-type=\"{f}\"")}));
            }
            json!({
                "uuid": stable_uuid(&format!("misp:{}:{}", i.kind, i.value)).to_string(),
                "type": t,
                "category": category,
                "value": i.value,
                // A cleared indicator is a known false positive: never for detection.
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
        "Orgc": {"name": "fanzha", "uuid": stable_uuid("fanzha").to_string()},
        "Attribute": attrs,
    }});
    serde_json::to_string_pretty(&ev).unwrap_or_default()
}

#[cfg(test)]
mod tests {
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

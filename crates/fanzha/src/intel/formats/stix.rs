//! STIX 2.1 bundles: the pattern reader, TLP markings 1.0 and 2.0, import and export.

use super::*;

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

pub(super) fn read_pattern(p: &str) -> Result<Vec<Comparison>, String> {
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

pub(super) fn parse_stix(text: &str, now_ms: i64) -> Result<Parsed, Vec<String>> {
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

pub(super) fn export_stix(items: &[&Indicator], now_ms: i64) -> String {
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

//! MISP events: attribute types, tags for kinds and sharing levels, import and export.

use super::*;

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

pub(super) fn parse_misp(text: &str) -> Result<Parsed, Vec<String>> {
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

pub(super) fn export_misp(items: &[&Indicator], now_ms: i64) -> String {
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

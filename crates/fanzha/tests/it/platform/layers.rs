//! The path from handler to database keeps its shape in the source itself: SQL only in stores
//! (and the `db` layer), rows read by column name, and no module's SQL naming org's tables,
//! which other modules reach through `org::store` and the fragments of `org::store::sql`.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `src`, with its path relative to `src` (`/`-separated).
fn sources() -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).expect("src dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).expect("under src");
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, std::fs::read_to_string(&p).expect("source")));
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    assert!(out.len() > 100, "found only {} source files", out.len());
    out
}

/// The text without `//` comment lines (doc comments may name tables in prose).
fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_store(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    file == "store.rs" || file.ends_with("_store.rs") || path.contains("/store/")
}

#[test]
fn sql_runs_only_in_stores_and_the_db_layer() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(p, _)| !is_store(p) && !p.starts_with("db/") && p != "kernel/ids.rs")
        .filter(|(_, t)| code(t).contains("sqlx::query"))
        .map(|(p, _)| p)
        .collect();
    assert!(offenders.is_empty(), "SQL outside a store: {offenders:?}");
}

#[test]
fn rows_are_read_by_column_name() {
    let positional = regex::Regex::new(r"try_get\(\s*[0-9]").expect("pattern");
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(_, t)| positional.is_match(&code(t)))
        .map(|(p, _)| p)
        .collect();
    assert!(
        offenders.is_empty(),
        "columns read by position: {offenders:?}"
    );
}

#[test]
fn only_org_names_the_tables_of_units_and_people() {
    let named = regex::Regex::new(
        r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(?:units|students|staff|jurisdictions|responsibilities)\b",
    )
    .expect("pattern");
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(p, _)| !p.starts_with("org/"))
        .filter_map(|(p, t)| {
            let c = code(&t);
            let m = named.find(&c)?;
            Some(format!("{p}: {}", m.as_str()))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "org's tables named outside org (use org::store or org::store::sql): {offenders:?}"
    );
}

//! The whole schema read from a live database (SQLite or PostgreSQL), normalised so the two
//! backends compare: column types through [`TYPES`], defaults, keys, constraints and indexes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::split_top_level;
use crate::common::*;
use fanzha::db::{Db, DbOptions};
use sqlx::Row;

/// The declared mapping of column types: SQLite's declared type → the PostgreSQL type it stands
/// for. A SQLite `INTEGER PRIMARY KEY` is the 64-bit rowid, i.e. PostgreSQL's `BIGSERIAL`.
const TYPES: &[(&str, &str)] = &[
    ("BIGINT", "bigint"),
    ("INTEGER", "integer"),
    ("TEXT", "text"),
    ("REAL", "double precision"),
    ("DOUBLE PRECISION", "double precision"),
    ("BLOB", "bytea"),
    ("BOOLEAN", "boolean"),
];

/// PostgreSQL operator classes an index column may carry that SQLite has no word for: the
/// `LIKE 'prefix%'` indexes of unit paths are `text_pattern_ops` on PostgreSQL (its default
/// operator class cannot serve a prefix LIKE outside the C locale) and plain on SQLite.
const PG_ONLY_OPCLASSES: &[&str] = &["text_pattern_ops", "varchar_pattern_ops"];

/// A column as both backends can describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Column {
    /// The PostgreSQL type name (SQLite's mapped through [`TYPES`]).
    ty: String,
    not_null: bool,
    /// Normalised default: casts and outer parentheses dropped; `autoincrement` for a rowid or a
    /// sequence.
    default: Option<String>,
}

/// (table, columns, referenced table, referenced columns, on delete).
type ForeignKey = (String, Vec<String>, String, Vec<String>, String);

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Schema {
    columns: BTreeMap<(String, String), Column>,
    primary_keys: BTreeMap<String, Vec<String>>,
    /// (table, columns) of UNIQUE constraints (not of unique indexes, which are indexes).
    uniques: BTreeSet<(String, Vec<String>)>,
    foreign_keys: BTreeSet<ForeignKey>,
    /// table → the columns each CHECK names (sorted), one entry per CHECK.
    checks: BTreeMap<String, Vec<Vec<String>>>,
    /// name → (table, columns, unique, partial predicate).
    indexes: BTreeMap<String, (String, String, bool, Option<String>)>,
}

fn sqlite_type(declared: &str) -> String {
    let d = declared.trim().to_ascii_uppercase();
    TYPES
        .iter()
        .find(|(s, _)| *s == d)
        .map(|(_, p)| p.to_string())
        .unwrap_or_else(|| {
            panic!("SQLite type {declared:?} has no declared PostgreSQL counterpart in TYPES")
        })
}

/// Drops `::type` casts (also `::character varying`), outer parentheses and spaces.
fn normalise_expr(e: &str) -> String {
    let mut out = String::new();
    let mut rest = e.trim();
    while let Some(i) = rest.find("::") {
        out.push_str(&rest[..i]);
        rest = &rest[i + 2..];
        // Skip the type name: words, spaces between words of a type ("double precision"), [].
        let mut j = 0;
        let b = rest.as_bytes();
        loop {
            while j < b.len()
                && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'[' || b[j] == b']')
            {
                j += 1;
            }
            let word = &rest[..j];
            let next = rest[j..].trim_start();
            let continues = (word.ends_with("double") && next.starts_with("precision"))
                || (word.ends_with("character") && next.starts_with("varying"))
                || (word.ends_with("with") && next.starts_with("time"))
                || (word.ends_with("time") && next.starts_with("zone"));
            if continues {
                j = rest.len() - next.len();
            } else {
                break;
            }
        }
        rest = &rest[j..];
    }
    out.push_str(rest);
    let mut s: String = out
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    // Outer parentheses, when they enclose the whole expression.
    loop {
        let b = s.as_bytes();
        if b.len() >= 2 && b[0] == b'(' && b[b.len() - 1] == b')' {
            let mut depth = 0;
            let mut whole = true;
            for (i, c) in s.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 && i != s.len() - 1 {
                            whole = false;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if whole {
                s = s[1..s.len() - 1].to_string();
                continue;
            }
        }
        break;
    }
    s
}

fn normalise_default(d: Option<String>) -> Option<String> {
    let d = d?;
    if d.to_ascii_lowercase().starts_with("nextval(") {
        return Some("autoincrement".into());
    }
    let n = normalise_expr(&d);
    Some(match n.as_str() {
        "true" => "1".into(),
        "false" => "0".into(),
        _ => n,
    })
}

/// The column list of an index or constraint definition: the first parenthesised group after
/// `after`, split at top-level commas, normalised.
fn column_list(def: &str, after: usize) -> Vec<String> {
    let open = def[after..]
        .find('(')
        .map(|i| i + after)
        .expect("column list");
    let mut depth = 0;
    let mut close = open;
    for (i, c) in def[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    close = open + i;
                    break;
                }
            }
            _ => {}
        }
    }
    split_top_level(&def[open + 1..close])
        .iter()
        .map(|c| {
            let c = normalise_expr(&c.replace('"', ""));
            c.strip_suffix("asc").map(str::to_string).unwrap_or(c)
        })
        .collect()
}

/// (table, columns, unique, predicate) of a `CREATE [UNIQUE] INDEX` text of either backend.
fn parse_index(def: &str) -> (String, String, bool, Option<String>) {
    let lower = def.to_ascii_lowercase();
    let unique = lower.starts_with("create unique index");
    let on = lower.find(" on ").expect("ON") + 4;
    let table = lower[on..]
        .split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap()
        .rsplit('.')
        .next()
        .unwrap()
        .trim_matches('"')
        .to_string();
    let cols = column_list(def, on).join(",");
    let predicate = lower
        .rfind(" where ")
        .map(|i| normalise_expr(&def[i + 7..]));
    (table, cols, unique, predicate)
}

/// The identifiers of `expr` that are columns of `table`, sorted.
fn columns_named(expr: &str, cols: &BTreeSet<String>) -> Vec<String> {
    let mut v: Vec<String> = expr
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_ascii_lowercase)
        .filter(|w| cols.contains(w))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    v.sort();
    v
}

/// The bodies of the CHECK constraints in a CREATE TABLE text (SQLite keeps the text).
fn check_bodies(sql: &str) -> Vec<String> {
    let lower = sql.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find("check") {
        let at = from + i;
        let before_ok = at == 0
            || !(lower.as_bytes()[at - 1].is_ascii_alphanumeric()
                || lower.as_bytes()[at - 1] == b'_');
        let after = lower[at + 5..].trim_start();
        if before_ok && after.starts_with('(') {
            let open = lower.len() - after.len();
            let mut depth = 0;
            for (i, c) in sql[open..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            out.push(sql[open + 1..open + i].to_string());
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
        from = at + 5;
    }
    out
}

async fn strings(db: &Db, sql: &str, n: usize) -> Vec<Vec<Option<String>>> {
    let rows = sqlx::query(sql)
        .fetch_all(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter()
        .map(|r| {
            (0..n)
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .or_else(|_| {
                            r.try_get::<Option<i64>, _>(i)
                                .map(|v| v.map(|v| v.to_string()))
                        })
                        .unwrap_or_else(|e| panic!("{sql} column {i}: {e}"))
                })
                .collect()
        })
        .collect()
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

async fn sqlite_schema(db: &Db) -> Schema {
    let mut out = Schema::default();
    let tables: Vec<(String, String)> = strings(
        db,
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        2,
    )
    .await
    .into_iter()
    .map(|r| (s(&r[0]), s(&r[1])))
    .collect();
    for (t, create) in &tables {
        let cols = strings(
            db,
            &format!("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{t}') ORDER BY cid"),
            5,
        )
        .await;
        let mut pk: Vec<(i64, String)> = Vec::new();
        let names: BTreeSet<String> = cols.iter().map(|c| s(&c[0])).collect();
        for c in &cols {
            let (name, ty, not_null, default, pk_pos) = (
                s(&c[0]),
                s(&c[1]),
                s(&c[2]) == "1",
                c[3].clone(),
                s(&c[4]).parse::<i64>().unwrap(),
            );
            if pk_pos > 0 {
                pk.push((pk_pos, name.clone()));
            }
            let rowid = pk_pos > 0
                && ty.eq_ignore_ascii_case("INTEGER")
                && cols.iter().filter(|c| s(&c[4]) != "0").count() == 1;
            out.columns.insert(
                (t.clone(), name),
                Column {
                    ty: if rowid {
                        "bigint".into()
                    } else {
                        sqlite_type(&ty)
                    },
                    not_null: not_null || pk_pos > 0,
                    default: if rowid {
                        Some("autoincrement".into())
                    } else {
                        normalise_default(default)
                    },
                },
            );
        }
        pk.sort();
        if !pk.is_empty() {
            out.primary_keys
                .insert(t.clone(), pk.into_iter().map(|(_, n)| n).collect());
        }
        let checks: Vec<Vec<String>> = check_bodies(create)
            .iter()
            .map(|b| columns_named(b, &names))
            .collect();
        if !checks.is_empty() {
            let mut checks = checks;
            checks.sort();
            out.checks.insert(t.clone(), checks);
        }
        for f in strings(
            db,
            &format!("SELECT id, seq, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{t}') ORDER BY id, seq"),
            6,
        )
        .await
        .chunk_by(|a, b| a[0] == b[0])
        {
            let ref_table = s(&f[0][2]);
            let from = f.iter().map(|r| s(&r[3])).collect();
            // `REFERENCES t` without columns means t's primary key.
            let to = if f.iter().all(|r| r[4].is_some()) {
                f.iter().map(|r| s(&r[4])).collect()
            } else {
                vec!["id".to_string()]
            };
            out.foreign_keys.insert((t.clone(), from, ref_table, to, s(&f[0][5]).to_ascii_lowercase()));
        }
        for ix in strings(
            db,
            &format!("SELECT name, origin FROM pragma_index_list('{t}') ORDER BY name"),
            2,
        )
        .await
        {
            let (name, origin) = (s(&ix[0]), s(&ix[1]));
            match origin.as_str() {
                "u" => {
                    let cols = strings(
                        db,
                        &format!("SELECT name FROM pragma_index_info('{name}') ORDER BY seqno"),
                        1,
                    )
                    .await
                    .iter()
                    .map(|r| s(&r[0]))
                    .collect();
                    out.uniques.insert((t.clone(), cols));
                }
                "c" => {
                    let sql = strings(db, &format!("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = '{name}'"), 1).await;
                    out.indexes.insert(name, parse_index(&s(&sql[0][0])));
                }
                _ => {}
            }
        }
    }
    out
}

async fn postgres_schema(db: &Db) -> Schema {
    let mut out = Schema::default();
    for c in strings(
        db,
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(data_type AS TEXT), CAST(is_nullable AS TEXT), \
         CAST(column_default AS TEXT) FROM information_schema.columns WHERE table_schema = current_schema()",
        5,
    )
    .await
    {
        out.columns.insert(
            (s(&c[0]), s(&c[1])),
            Column {
                ty: s(&c[2]),
                not_null: s(&c[3]) == "NO",
                default: normalise_default(c[4].clone()),
            },
        );
    }
    let mut names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (t, c) in out.columns.keys() {
        names.entry(t.clone()).or_default().insert(c.clone());
    }
    let cons = strings(
        db,
        "SELECT CAST(r.relname AS TEXT), CAST(c.contype AS TEXT), pg_get_constraintdef(c.oid), CAST(c.conname AS TEXT) \
         FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace \
         WHERE n.nspname = current_schema() ORDER BY 1, 4",
        4,
    )
    .await;
    let mut constraint_indexes = BTreeSet::new();
    for c in &cons {
        let (t, kind, def) = (s(&c[0]), s(&c[1]), s(&c[2]));
        match kind.as_str() {
            "p" => {
                constraint_indexes.insert(s(&c[3]));
                out.primary_keys.insert(t, column_list(&def, 0));
            }
            "u" => {
                constraint_indexes.insert(s(&c[3]));
                out.uniques.insert((t, column_list(&def, 0)));
            }
            "f" => {
                let lower = def.to_ascii_lowercase();
                let refs = lower.find("references ").unwrap() + 11;
                let ref_table = lower[refs..]
                    .split('(')
                    .next()
                    .unwrap()
                    .trim()
                    .rsplit('.')
                    .next()
                    .unwrap()
                    .to_string();
                let on_delete = match lower.find("on delete ") {
                    Some(i) => {
                        let rest = &lower[i + 10..];
                        [
                            "set null",
                            "set default",
                            "cascade",
                            "restrict",
                            "no action",
                        ]
                        .into_iter()
                        .find(|a| rest.starts_with(a))
                        .unwrap_or("no action")
                        .to_string()
                    }
                    None => "no action".into(),
                };
                out.foreign_keys.insert((
                    t,
                    column_list(&def, 0),
                    ref_table,
                    column_list(&def, refs),
                    on_delete,
                ));
            }
            "c" => {
                let cols = names.get(&t).cloned().unwrap_or_default();
                out.checks
                    .entry(t)
                    .or_default()
                    .push(columns_named(&def, &cols));
            }
            _ => {}
        }
    }
    for v in out.checks.values_mut() {
        v.sort();
    }
    for ix in strings(
        db,
        "SELECT CAST(indexname AS TEXT), indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1",
        2,
    )
    .await
    {
        let name = s(&ix[0]);
        if !constraint_indexes.contains(&name) {
            let mut def = s(&ix[1]).replace(" USING btree", "");
            for op in PG_ONLY_OPCLASSES {
                def = def.replace(&format!(" {op}"), "");
            }
            out.indexes.insert(name, parse_index(&def));
        }
    }
    out
}

/// Every difference between the two schemas, one line each.
fn differences(a: &Schema, b: &Schema) -> Vec<String> {
    fn diff_maps<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
        what: &str,
        a: &BTreeMap<K, V>,
        b: &BTreeMap<K, V>,
        out: &mut Vec<String>,
    ) {
        for (k, va) in a {
            match b.get(k) {
                None => out.push(format!("{what} {k:?}: only on SQLite ({va:?})")),
                Some(vb) if vb != va => {
                    out.push(format!("{what} {k:?}: SQLite {va:?} vs PostgreSQL {vb:?}"))
                }
                _ => {}
            }
        }
        for (k, vb) in b {
            if !a.contains_key(k) {
                out.push(format!("{what} {k:?}: only on PostgreSQL ({vb:?})"));
            }
        }
    }
    fn diff_sets<T: Ord + std::fmt::Debug>(
        what: &str,
        a: &BTreeSet<T>,
        b: &BTreeSet<T>,
        out: &mut Vec<String>,
    ) {
        for x in a.difference(b) {
            out.push(format!("{what} {x:?}: only on SQLite"));
        }
        for x in b.difference(a) {
            out.push(format!("{what} {x:?}: only on PostgreSQL"));
        }
    }
    let mut out = Vec::new();
    diff_maps("column", &a.columns, &b.columns, &mut out);
    diff_maps("primary key", &a.primary_keys, &b.primary_keys, &mut out);
    diff_sets("unique", &a.uniques, &b.uniques, &mut out);
    diff_sets("foreign key", &a.foreign_keys, &b.foreign_keys, &mut out);
    diff_maps("checks", &a.checks, &b.checks, &mut out);
    diff_maps("index", &a.indexes, &b.indexes, &mut out);
    out
}

#[test]
fn expressions_and_indexes_normalise_alike_on_both_backends() {
    assert_eq!(
        normalise_default(Some("'{}'::text".into())),
        Some("'{}'".into())
    );
    assert_eq!(normalise_default(Some("'{}'".into())), Some("'{}'".into()));
    assert_eq!(
        normalise_default(Some("(0)::bigint".into())),
        Some("0".into())
    );
    assert_eq!(
        normalise_default(Some("nextval('units_id_seq'::regclass)".into())),
        Some("autoincrement".into())
    );
    assert_eq!(
        normalise_default(Some("'a'::character varying".into())),
        Some("'a'".into())
    );
    assert_ne!(
        normalise_default(Some("1".into())),
        normalise_default(Some("0".into()))
    );
    let sqlite = parse_index("CREATE INDEX deliveries_ack ON campaign_deliveries (student_id, acknowledged_at DESC) WHERE acknowledged_at IS NOT NULL");
    let pg = parse_index("CREATE INDEX deliveries_ack ON t_1.campaign_deliveries (student_id, acknowledged_at DESC) WHERE (acknowledged_at IS NOT NULL)");
    assert_eq!(sqlite, pg);
    assert_eq!(sqlite.1, "student_id,acknowledged_atdesc");
    assert_eq!(sqlite.3.as_deref(), Some("acknowledged_atisnotnull"));
    let other = parse_index("CREATE UNIQUE INDEX deliveries_ack ON campaign_deliveries (student_id) WHERE acknowledged_at IS NULL");
    assert_ne!(sqlite, other);
    let cols: BTreeSet<String> = ["kind", "status", "value"].map(String::from).into();
    assert_eq!(
        check_bodies("CREATE TABLE x (kind TEXT CHECK (kind IN ('a', 'b')), value TEXT, CHECK(status <> ''))")
            .iter()
            .map(|b| columns_named(b, &cols))
            .collect::<Vec<_>>(),
        vec![vec!["kind".to_string()], vec!["status".to_string()]]
    );
    assert!(check_bodies("CREATE TABLE checks (checked TEXT)").is_empty());
}

#[tokio::test]
async fn migrated_schemas_agree_in_types_nullability_defaults_constraints_and_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::connect(&DbOptions::sqlite_in(dir.path()))
        .await
        .unwrap();
    sqlite.migrate().await.unwrap();
    let a = sqlite_schema(&sqlite).await;
    // What holds on SQLite alone: every declared type is mapped (`sqlite_type` panics
    // otherwise), and the reader found the constraints and indexes.
    assert!(a.primary_keys.contains_key("units") && a.primary_keys.contains_key("reports"));
    assert!(a.indexes.len() >= 40, "indexes read: {}", a.indexes.len());
    assert!(!a.foreign_keys.is_empty() && !a.uniques.is_empty());
    let Some(_) = pg_url() else {
        eprintln!("the PostgreSQL half runs with FANZHA_TEST_DATABASE_URL set");
        return;
    };
    let pgdir = tempfile::tempdir().unwrap();
    let (pg, _guard) = fresh_db(pgdir.path()).await;
    let b = postgres_schema(&pg).await;
    let diffs = differences(&a, &b);
    let mut report = String::new();
    for d in &diffs {
        let _ = writeln!(report, "  {d}");
    }
    assert!(
        diffs.is_empty(),
        "{} difference(s) between the SQLite and PostgreSQL schemas:\n{report}",
        diffs.len()
    );
    eprintln!(
        "compared {} columns, {} primary keys, {} unique constraints, {} foreign keys, {} tables with checks, {} indexes",
        b.columns.len(),
        b.primary_keys.len(),
        b.uniques.len(),
        b.foreign_keys.len(),
        b.checks.len(),
        b.indexes.len()
    );
    assert_eq!(a.columns.len(), b.columns.len());
    // The comparison sees a change of each kind: a nullability, a default, a type, a check and
    // an index predicate changed on one side are one difference each; a foreign key's action
    // two (the old key is missing on one side, the new one on the other).
    let mut c = b.clone();
    let nullable = c
        .columns
        .iter()
        .find(|(_, c)| !c.not_null)
        .map(|(k, _)| k.clone())
        .expect("a nullable column");
    if let Some(col) = c.columns.get_mut(&nullable) {
        col.not_null = true;
    }
    // Another column than the one just changed, so each change counts once.
    let col = c
        .columns
        .iter_mut()
        .find(|(k, c)| **k != nullable && c.default.is_none())
        .map(|(_, c)| c)
        .expect("a column without default");
    col.default = Some("0".into());
    let col = c
        .columns
        .values_mut()
        .find(|c| c.ty == "text")
        .expect("a text column");
    col.ty = "character varying".into();
    let fk = c.foreign_keys.pop_first().expect("a foreign key");
    c.foreign_keys
        .insert((fk.0, fk.1, fk.2, fk.3, "cascade-or-other".into()));
    c.checks
        .entry("units".into())
        .or_default()
        .push(vec!["kind".into()]);
    let ix = c
        .indexes
        .values_mut()
        .find(|i| i.3.is_some())
        .expect("a partial index");
    ix.3 = Some("true".into());
    assert_eq!(differences(&a, &c).len(), 7, "{:#?}", differences(&a, &c));
}

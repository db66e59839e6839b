//! The SQLite and PostgreSQL migrations define the same schema. Always checked on the migration
//! texts and on a migrated SQLite database; against a migrated PostgreSQL schema when
//! `FANZHA_TEST_DATABASE_URL` is set, the two live schemas are compared whole: column types
//! (through the declared mapping `live::TYPES`), nullability, defaults (normalised), primary keys,
//! unique constraints, foreign keys (with their `ON DELETE`), CHECK constraints (by the columns
//! they name) and indexes (name, table, columns, uniqueness, partial predicate normalised). The
//! test reads whatever the migrations built, so it holds for migrations added later.

mod live;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::common::*;
use fanzha::db::{Backend, Db, DbOptions};

type Columns = BTreeMap<String, BTreeSet<String>>;

fn migrations_dir(backend: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend)
}

fn migration_files(backend: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(migrations_dir(backend))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn strip_comments(sql: &str) -> String {
    sql.lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Splits the body of a CREATE TABLE at top-level commas.
fn split_top_level(body: &str) -> Vec<String> {
    let (mut parts, mut cur, mut depth) = (Vec::new(), String::new(), 0);
    for ch in body.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    parts.push(cur);
    parts
}

/// Tables and columns declared by migration texts (CREATE TABLE and ALTER TABLE … ADD COLUMN).
fn declared_columns(sqls: &[String]) -> Columns {
    let mut out = Columns::new();
    for sql in sqls {
        for stmt in strip_comments(sql).split(';') {
            let s = stmt.trim();
            let words: Vec<String> = s
                .split_whitespace()
                .map(|w| w.to_ascii_lowercase())
                .collect();
            if words.len() > 2 && words[0] == "create" && words[1] == "table" {
                let mut i = 2;
                if words[2] == "if" {
                    i = 5;
                }
                let name = words[i].split('(').next().unwrap().to_string();
                let open = s.find('(').expect("column list");
                let close = s.rfind(')').expect("column list end");
                let cols = out.entry(name).or_default();
                for part in split_top_level(&s[open + 1..close]) {
                    let first = part
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    if matches!(
                        first.as_str(),
                        "" | "primary" | "unique" | "foreign" | "constraint" | "check"
                    ) {
                        continue;
                    }
                    cols.insert(first.trim_matches('"').to_string());
                }
            } else if words.len() > 5
                && words[0] == "alter"
                && words[1] == "table"
                && words[3] == "add"
            {
                let col = if words[4] == "column" {
                    &words[5]
                } else {
                    &words[4]
                };
                out.entry(words[2].clone()).or_default().insert(col.clone());
            } else if words.len() > 2 && words[0] == "drop" && words[1] == "table" {
                out.remove(words[2].trim_end_matches(';'));
            }
        }
    }
    out
}

fn texts(files: &[(String, String)]) -> Vec<String> {
    files.iter().map(|(_, t)| t.clone()).collect()
}

fn live_columns(rows: Vec<(String, String)>) -> Columns {
    let mut out = Columns::new();
    for (t, c) in rows {
        out.entry(t).or_default().insert(c);
    }
    out
}

#[test]
fn migration_texts_declare_the_same_tables_and_columns() {
    let sqlite = migration_files("sqlite");
    let postgres = migration_files("postgres");
    let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert!(!sqlite.is_empty());
    assert_eq!(names(&sqlite), names(&postgres), "same migration files");
    let a = declared_columns(&texts(&sqlite));
    let b = declared_columns(&texts(&postgres));
    assert!(a.len() >= 12, "tables found: {:?}", a.keys());
    assert!(a["students"].contains("student_no"));
    assert!(a["jobs"].contains("dedup_key"));
    assert!(
        !a["students"].contains("unique"),
        "constraints are not columns"
    );
    for table in a.keys().chain(b.keys()) {
        assert_eq!(
            a.get(table),
            b.get(table),
            "table {table}: sqlite vs postgres"
        );
    }
}

#[tokio::test]
async fn migrated_databases_have_the_declared_columns() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::connect(&DbOptions::sqlite_in(dir.path()))
        .await
        .unwrap();
    let applied = sqlite.migrate().await.unwrap();
    assert_eq!(applied.len(), migration_files("sqlite").len());
    assert!(
        sqlite.migrate().await.unwrap().is_empty(),
        "second migrate is a no-op"
    );
    let live = live_columns(sqlite.schema_columns().await.unwrap());
    let mut declared = declared_columns(&texts(&migration_files("sqlite")));
    declared.insert(
        "schema_migrations".into(),
        ["version", "name", "applied_at"].map(String::from).into(),
    );
    assert_eq!(live, declared);

    if pg_url().is_some() {
        let pgdir = tempfile::tempdir().unwrap();
        let (pg, _guard) = fresh_db(pgdir.path()).await;
        assert_eq!(pg.backend, Backend::Postgres);
        assert!(
            pg.migrate().await.unwrap().is_empty(),
            "second migrate is a no-op"
        );
        let pg_live = live_columns(pg.schema_columns().await.unwrap());
        assert_eq!(pg_live, live, "PostgreSQL and SQLite schemas agree");
    }
}

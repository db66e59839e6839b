//! The ballot log's export streams from the database a page at a time: a log longer than a page
//! comes out whole and verifies, and its bytes are those of the whole-log format (header, one
//! line per record with its keys in sorted order, tally).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::common::*;
use fanzha::contests::service::EXPORT_PAGE;
use fanzha::contests::writer::Append;
use serde_json::json;
use sqlx::Row;

/// A voting contest whose rules allow withdrawing, with `n` voters' votes appended through the
/// contest's writer (synthetic accounts) and every tenth voter's vote withdrawn.
async fn long_log(app: &TestApp, n: usize) -> (i64, Vec<i64>) {
    let id = open_contest(
        app,
        "admin1",
        with(contest_fields(), &[("allow_withdraw", "1")]),
    )
    .await;
    let mut entries = Vec::new();
    for (i, who) in ["student1", "student2"].iter().enumerate() {
        let e = enter_video(app, who, id, &format!("作品{i}")).await;
        decide(app, "admin1", id, e, "accept", "").await;
        entries.push(e);
    }
    app.state.clock.advance_ms(2 * DAY + HOUR);
    let rules = {
        let mut conn = app.state.db.pool.acquire().await.unwrap();
        Arc::new(
            fanzha::contests::store::contest(&mut conn, id)
                .await
                .unwrap()
                .unwrap()
                .rules,
        )
    };
    let mut tasks = Vec::new();
    for i in 0..n {
        let (w, rules) = (app.state.contests.clone(), rules.clone());
        let e = entries[i % 3 % 2];
        tasks.push(tokio::spawn(async move {
            let mut steps = vec![(e, false)];
            if i % 10 == 0 {
                steps.push((e, true));
            }
            w.append(
                id,
                Append {
                    rules,
                    account_id: fanzha::kernel::ids::AccountId(1_000_000 + i as i64),
                    steps,
                    origin: None,
                    at: None,
                },
            )
            .await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("appended");
    }
    app.state.clock.advance_ms(2 * DAY);
    (id, entries)
}

async fn download(app: &TestApp, id: i64) -> String {
    let org = app.login("admin1").await;
    let (s, text) = app
        .get(&org, &format!("/contests/{id}/ballots.jsonl"))
        .await;
    assert_eq!(s, reqwest::StatusCode::OK, "{text}");
    text
}

#[tokio::test]
async fn a_log_longer_than_a_page_is_exported_whole_and_verifies() {
    let app = spawn_seeded().await;
    let n = EXPORT_PAGE as usize * 2 + 37;
    let (id, entries) = long_log(&app, n).await;
    let records = n + n.div_ceil(10);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM contest_ballots").await,
        records as i64
    );
    let text = download(&app, id).await;
    assert_eq!(text.lines().count(), records + 2);
    let v = fanzha::contests::verify::verify(&text).expect("the log verifies");
    assert_eq!(v.ballots, records);
    let standing = |k: usize| (0..n).filter(|i| i % 3 % 2 == k && i % 10 != 0).count() as i64;
    let tally: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(tally["ballots"], json!(records));
    assert_eq!(tally["votes"][entries[0].to_string()], json!(standing(0)));
    assert_eq!(tally["votes"][entries[1].to_string()], json!(standing(1)));
    // Records cut from the middle of the second page make the file fail.
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(EXPORT_PAGE as usize + 5);
    assert!(fanzha::contests::verify::verify(&lines.join("\n")).is_err());
}

/// The export as the whole-log format writes it, built here from the stored rows.
async fn whole_log_format(app: &TestApp, id: i64) -> String {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let c = sqlx::query("SELECT id, title, rules, rules_hash FROM contests WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let entries: Vec<serde_json::Value> = sqlx::query(
        "SELECT id, category, title FROM contest_entries WHERE contest_id = $1 AND status = 'accepted' \
         ORDER BY category, created_at, id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        json!({"id": r.get::<i64, _>("id"), "category": r.get::<String, _>("category"),
               "title": r.get::<String, _>("title")})
    })
    .collect();
    let mut out = json!({
        "kind": "header",
        "contest": c.get::<i64, _>("id"),
        "title": c.get::<String, _>("title"),
        "rules": c.get::<String, _>("rules"),
        "rules_hash": c.get::<String, _>("rules_hash"),
        "entries": entries,
    })
    .to_string();
    out.push('\n');
    let rows = sqlx::query(
        "SELECT seq, voter, entry_id, category, cast_at, prev_hash, hash, kind FROM contest_ballots \
         WHERE contest_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut tally: BTreeMap<String, i64> = BTreeMap::new();
    let mut head = String::new();
    for r in &rows {
        let withdraw = r.get::<String, _>("kind") == "withdraw";
        let entry: i64 = r.get("entry_id");
        *tally.entry(entry.to_string()).or_default() += if withdraw { -1 } else { 1 };
        let mut line = json!({
            "cast_at": r.get::<i64, _>("cast_at"),
            "category": r.get::<String, _>("category"),
            "entry": entry,
            "hash": r.get::<String, _>("hash"),
            "kind": "ballot",
            "prev": r.get::<String, _>("prev_hash"),
            "seq": r.get::<i64, _>("seq"),
            "voter": r.get::<String, _>("voter"),
        });
        if withdraw {
            line["withdraw"] = json!(true);
        }
        out.push_str(&line.to_string());
        out.push('\n');
        head = r.get("hash");
    }
    out.push_str(
        &json!({"kind": "tally", "ballots": rows.len(), "head": head, "votes": tally}).to_string(),
    );
    out.push('\n');
    out
}

#[tokio::test]
async fn the_streamed_export_has_the_bytes_of_the_whole_log_format() {
    let app = spawn_seeded().await;
    let (id, _) = long_log(&app, EXPORT_PAGE as usize + 1).await;
    let text = download(&app, id).await;
    assert!(text.contains("\"withdraw\":true"));
    assert_eq!(text, whole_log_format(&app, id).await);
}

//! Contests: rules frozen by hash, entries and review, public voting into the chained ballot log
//! and its verification, judging with conflicts excluded, results; and the browser journey.
//! The helpers below fill the module's forms the way a browser does.

mod anomalies;
mod api;
mod browser;
mod conflicts;
mod entries;
mod export;
mod judging;
mod results;
mod rules;
mod voting;
mod withdraw;
mod writer;

use crate::common::*;
use reqwest::{Client, StatusCode};

pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 24 * HOUR;

/// The organiser form's fields for a contest in SCH1 (Shanghai time; the clock starts at
/// 2025-03-01 08:00 there): entries for a day, review a day, voting two days, judging three.
pub fn contest_fields() -> Vec<(String, String)> {
    [
        ("title", "反诈情景剧大赛"),
        ("description", "编演身边的骗局"),
        ("category", "skit"),
        ("category", "logo"),
        ("entries_open", "2025-03-01T08:00"),
        ("entries_close", "2025-03-02T08:00"),
        ("voting_open", "2025-03-03T08:00"),
        ("voting_close", "2025-03-05T08:00"),
        ("judging_open", "2025-03-03T08:00"),
        ("judging_close", "2025-03-06T08:00"),
        ("entrant_units", "SCH1"),
        ("team_min", "1"),
        ("team_max", "3"),
        ("media", "video_link"),
        ("media", "image"),
        ("max_image_kb", "1"),
        ("voter_units", "SCH1"),
        ("votes_per_person", "1"),
        ("vote_period", "category"),
        ("weight_public", "40"),
        ("criteria", "主题: 60\n创意: 40"),
        ("tie_break", "judges"),
        ("tie_break", "public"),
        ("tie_break", "earliest"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Replaces (or adds) a field; a value of "" with key "-name" removes every `name`.
pub fn with(mut f: Vec<(String, String)>, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in changes {
        if let Some(name) = k.strip_prefix('-') {
            f.retain(|(n, _)| n != name);
        } else if let Some(p) = f.iter_mut().find(|(n, _)| n == k) {
            p.1 = v.to_string();
        } else {
            f.push((k.to_string(), v.to_string()));
        }
    }
    f
}

/// Posts a form with the session's CSRF token; returns status, Location and body.
pub async fn post_form(
    app: &TestApp,
    c: &Client,
    path: &str,
    fields: &[(String, String)],
) -> (StatusCode, String, String) {
    let csrf = app.page_csrf(c).await;
    let mut all = vec![("csrf".to_string(), csrf)];
    all.extend_from_slice(fields);
    let r = c.post(app.url(path)).form(&all).send().await.expect("POST");
    let s = r.status();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (s, loc, r.text().await.unwrap_or_default())
}

/// Opens a contest as `who`; returns its id.
pub async fn open_contest(app: &TestApp, who: &str, fields: Vec<(String, String)>) -> i64 {
    let c = app.login(who).await;
    let (s, loc, body) = post_form(app, &c, "/contests/new", &fields).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "open contest: {body}");
    loc.trim_start_matches("/contests/")
        .split('?')
        .next()
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("contest id in {loc}"))
}

/// Submits an entry form (multipart) as a signed-in client; the image, if any, goes last.
pub async fn post_entry(
    app: &TestApp,
    c: &Client,
    path: &str,
    fields: &[(&str, &str)],
    image: Option<Vec<u8>>,
) -> (StatusCode, String, String) {
    let csrf = app.page_csrf(c).await;
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some(b) = image {
        form = form.part(
            "image",
            reqwest::multipart::Part::bytes(b).file_name("work.png"),
        );
    }
    let r = c
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .expect("POST entry");
    let s = r.status();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (s, loc, r.text().await.unwrap_or_default())
}

/// A video-link entry by `who`; returns the entry id.
pub async fn enter_video(app: &TestApp, who: &str, contest: i64, title: &str) -> i64 {
    let c = app.login(who).await;
    let (s, _, body) = post_entry(
        app,
        &c,
        &format!("/contests/{contest}/enter"),
        &[
            ("category", "skit"),
            ("title", title),
            ("description", "一个骗局"),
            ("members", ""),
            ("media_kind", "video_link"),
            ("video_url", "https://v.example.cn/1"),
            ("licence", "cc_by"),
            ("show_names", "1"),
        ],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "entry: {body}");
    app.scalar(&format!(
        "SELECT MAX(id) FROM contest_entries WHERE contest_id = {contest}"
    ))
    .await
}

/// The organiser's decision on an entry.
pub async fn decide(
    app: &TestApp,
    who: &str,
    contest: i64,
    entry: i64,
    decision: &str,
    reason: &str,
) -> (StatusCode, String) {
    let c = app.login(who).await;
    let (s, loc, _) = post_form(
        app,
        &c,
        &format!("/contests/{contest}/entries/{entry}/review"),
        &[
            ("decision".to_string(), decision.to_string()),
            ("reason".to_string(), reason.to_string()),
        ],
    )
    .await;
    (s, loc)
}

/// A contest in SCH1 (by admin1) with accepted video entries by `entrants`, the clock moved
/// into public voting. Returns (contest, entries).
pub async fn voting_contest(app: &TestApp, entrants: &[&str]) -> (i64, Vec<i64>) {
    let id = open_contest(app, "admin1", contest_fields()).await;
    let mut entries = Vec::new();
    for (i, who) in entrants.iter().enumerate() {
        let e = enter_video(app, who, id, &format!("作品{i}")).await;
        let (s, _) = decide(app, "admin1", id, e, "accept", "").await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        entries.push(e);
    }
    app.state.clock.advance_ms(2 * DAY + HOUR);
    (id, entries)
}

/// Votes as `c` for an entry; returns status, Location and body.
pub async fn vote(
    app: &TestApp,
    c: &Client,
    contest: i64,
    entry: i64,
) -> (StatusCode, String, String) {
    post_form(
        app,
        c,
        &format!("/contests/{contest}/entries/{entry}/vote"),
        &[],
    )
    .await
}

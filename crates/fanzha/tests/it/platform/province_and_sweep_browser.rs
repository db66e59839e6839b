//! Browser journeys of the province's yearly work and of what people read, on the real `fanzha
//! demo` binary through the shared rig of `tests/rig/` (skipped without a browser, a failure under
//! `CI=true`; on PostgreSQL when `FANZHA_TEST_DATABASE_URL` is set):
//! - the province admin reads the dashboard and the Campus Without Fraud ranking on a desktop and
//!   on a 390 px phone, selects an eligible school and publishes the list; a police officer reads
//!   the ranking and opens the award list's print view;
//! - every role's main pages, in Chinese and in English, show no internal identifier: no
//!   snake_case key, no `kind:123` reference, no logged action key, no demo account name, no
//!   Markdown mark.

use serde_json::{json, Value};

use futures::FutureExt as _;

use crate::rig::*;

async fn sign_out(wd: &WebDriver, base: &str) {
    wd.goto(&format!("{base}/")).await;
    let b = wd.find("form[action='/logout'] button").await;
    wd.click(&b).await;
    wd.wait_url("the sign-in page", |u| u.contains("/login"))
        .await;
}

async fn script(wd: &WebDriver, js: &str) -> Value {
    wd.post("/execute/sync", json!({"script": js, "args": []}))
        .await
}

async fn desktop(wd: &WebDriver) {
    wd.post(
        "/goog/cdp/execute",
        json!({"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}}),
    )
    .await;
    wd.post("/window/rect", json!({"width": 1280, "height": 900}))
        .await;
}

/// The page fits the window: no sideways scrolling.
async fn fits(wd: &WebDriver, what: &str) {
    let v = script(
        wd,
        "return [document.documentElement.scrollWidth, window.innerWidth];",
    )
    .await;
    let (sw, w) = (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0));
    assert!(sw <= w, "{what}: {sw} px wide in a {w} px window");
}

fn shot(name: &str) -> std::path::PathBuf {
    target_dir().join("screenshots").join(format!("{name}.png"))
}

/// The province admin's year: dashboard and ranking on desktop and phone, the selection and the
/// published list; then a police officer prints the list.
#[tokio::test]
async fn province_admin_publishes_the_award_and_police_print_the_list() {
    run("days-b-award", |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;
            desktop(wd).await;
            sign_in(wd, base, "province-admin").await;
            // The dashboard: figures and server-drawn charts.
            let n = wd.text(&wd.find("#dash-cases").await).await;
            let n: i64 = n.trim().parse().unwrap_or_else(|_| panic!("cases {n:?}"));
            assert!(n > 0, "the demo has cases in the last 12 months");
            for id in ["dash-trend-cases", "dash-trend-lost", "dash-city-warnings", "dash-school-reach"] {
                assert!(!wd.find_all(&format!("svg#{id} rect")).await.is_empty(), "{id}");
            }
            let streaks = wd.find_all("#dash-streaks tbody tr").await;
            assert_eq!(streaks.len(), 8, "one streak per demo school");
            assert!(!wd.find_all("#dash-eligible li").await.is_empty());
            wd.screenshot(&shot("days-b-dashboard-desktop")).await;
            wd.phone_viewport(PHONE.0, PHONE.1).await;
            wd.goto(&format!("{base}/")).await;
            wd.find("#province-dashboard").await;
            fits(wd, "dashboard at 390 px").await;
            wd.screenshot(&shot("days-b-dashboard-phone")).await;
            // The ranking: the full table by victims per 10,000 people, the eligible schools.
            let link = wd.find("#dash-ranking-link").await;
            wd.click(&link).await;
            wd.wait_url("the ranking", |u| u.contains("/cases/ranking")).await;
            fits(wd, "ranking at 390 px").await;
            wd.screenshot(&shot("days-b-ranking-phone")).await;
            desktop(wd).await;
            let rates: Vec<f64> = script(
                wd,
                "return Array.from(document.querySelectorAll('#ranking td.fz-rate')).map(function(t){return parseFloat(t.textContent)});",
            )
            .await
            .as_array()
            .expect("rates")
            .iter()
            .filter_map(Value::as_f64)
            .collect();
            assert_eq!(rates.len(), 8, "every school in the table");
            assert!(rates.windows(2).all(|w| w[0] <= w[1]), "ranked by rate: {rates:?}");
            assert!(rates[0] == 0.0 && rates[7] > 0.0, "{rates:?}");
            let eligible = wd.find_all("#eligible input[name=schools]").await;
            assert!(!eligible.is_empty(), "the demo has eligible schools");
            // Select the first eligible school, save, publish.
            wd.click(&eligible[0]).await;
            let save = wd.find("#ranking-form button[type=submit]").await;
            wd.click(&save).await;
            wd.find("#eligible input[name=schools]:checked").await;
            let publish = wd.find("form[action='/cases/ranking/publish'] button").await;
            wd.click(&publish).await;
            wd.find("#awards-link").await;
            let school = wd.text(&wd.find("#eligible tbody tr td b").await).await;
            wd.screenshot(&shot("days-b-ranking-desktop")).await;
            sign_out(wd, base).await;

            // A police officer reads the ranking (read-only) and prints the list.
            sign_in(wd, base, "police1").await;
            wd.goto(&format!("{base}/cases/ranking")).await;
            wd.find("#ranking-readonly").await;
            assert!(wd.find_all("input[name=schools]").await.is_empty());
            let awards = wd.find("#awards-link").await;
            wd.click(&awards).await;
            let print = wd.find("#awards-print-link").await;
            wd.click(&print).await;
            wd.wait_url("the print view", |u| u.ends_with("/print")).await;
            let issuer = wd.text(&wd.find("#doc-issuer").await).await;
            assert!(issuer.contains("江南省"), "{issuer}");
            let no = wd.text(&wd.find("#doc-no").await).await;
            assert!(no.starts_with("JN评〔") && no.ends_with("号"), "{no}");
            let title = wd.text(&wd.find("#doc-title").await).await;
            assert!(title.contains("无诈校园"), "{title}");
            let date = wd.text(&wd.find("#doc-date").await).await;
            assert!(date.contains('年') && date.ends_with('日'), "{date}");
            let list = wd.text(&wd.find("#awardees").await).await;
            assert!(list.contains(school.trim()), "{list} lacks {school}");
            assert!(wd.find_all("header.fz-top").await.is_empty(), "no UI chrome");
            assert!(wd.find_all("#cases-zone").await.is_empty(), "no time-zone note");
            let text = script(wd, VISIBLE_TEXT).await;
            let ids = internal_ids(text.as_str().unwrap_or_default());
            assert!(ids.is_empty(), "the print view shows {ids:?}");
            wd.screenshot(&shot("days-b-award-print-desktop")).await;
            wd.phone_viewport(PHONE.0, PHONE.1).await;
            wd.goto(&wd.current_url().await).await;
            wd.find("#doc-title").await;
            fits(wd, "award list print view at 390 px").await;
            wd.screenshot(&shot("days-b-award-print-phone")).await;
        }
        .boxed()
    })
    .await;
}

/// What a person must never read: internal keys and references. Returns the offending tokens.
fn internal_ids(text: &str) -> Vec<String> {
    const ACTION_PREFIXES: [&str; 15] = [
        "auth",
        "access",
        "account",
        "activation",
        "award",
        "briefing",
        "campaign",
        "case",
        "intel",
        "kpi",
        "org",
        "person",
        "reports",
        "roster",
        "warning",
    ];
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_lowercase() && (i == 0 || !word(chars[i - 1])) {
            let mut j = i;
            while j < chars.len() && (word(chars[j]) || chars[j] == '.' || chars[j] == '-') {
                j += 1;
            }
            let tok: String = chars[i..j].iter().collect();
            let tok = tok.trim_end_matches(['.', '-']).to_string();
            let snake = tok.split('.').any(|p| {
                p.contains('_')
                    && p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && !p.starts_with('_')
                    && !p.ends_with('_')
            });
            let action = tok.split_once('.').is_some_and(|(a, b)| {
                ACTION_PREFIXES.contains(&a)
                    && !b.is_empty()
                    && b.chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
            });
            // A message key that has no text ("cases-doc-back").
            let message_key = tok.matches('-').count() >= 2
                && tok
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            let demo_account = tok
                .strip_prefix("police")
                .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
            // kind:123
            let reference = chars.get(j) == Some(&':')
                && chars.get(j + 1).is_some_and(|c| c.is_ascii_digit())
                && tok.chars().all(|c| c.is_ascii_lowercase());
            if snake || action || message_key || demo_account || reference {
                found.push(if reference {
                    let end = (j + 1..chars.len())
                        .find(|&k| !chars[k].is_ascii_digit())
                        .unwrap_or(chars.len());
                    chars[i..end].iter().collect()
                } else {
                    tok.clone()
                });
            }
            i = j.max(i + 1);
            continue;
        }
        // Markdown bold left raw: "**" opening a word (masked names like "张**" are not it).
        if chars[i] == '*'
            && chars.get(i + 1) == Some(&'*')
            && (i == 0 || !(word(chars[i - 1]) || chars[i - 1] == '*' || !chars[i - 1].is_ascii()))
            && chars
                .get(i + 2)
                .is_some_and(|c| !c.is_whitespace() && *c != '*' && !c.is_ascii_digit())
        {
            found.push("**".into());
            i += 2;
            continue;
        }
        i += 1;
    }
    for tlp in ["(green)", "(amber)", "(amber_strict)", "(red)", "(clear)"] {
        if text.contains(tlp) {
            found.push(tlp.into());
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn the_sweep_finds_keys_and_spares_words() {
    for bad in [
        "银行卡类型 bank_card",
        "来源 check:7",
        "report:8 FZ-20261206-000001",
        "刷单 rebate_task",
        "操作 auth.login",
        "操作人 police1",
        "**注意**陌生来电",
        "来源不公开(green)",
        "cases-doc-awards-closing",
    ] {
        assert!(!internal_ids(bad).is_empty(), "{bad}");
    }
    for good in [
        "张** 138****1111",
        "jd-refund.top 已拦截",
        "Signed in · 2025-03-01 08:00",
        "Police station 大学城派出所",
        "https://example.edu.cn/a",
        "TLP:GREEN — partners",
        "12:30 · 8:00",
        "jd-refund.top FZ-20261206-000001 2025-03-01",
    ] {
        assert!(
            internal_ids(good).is_empty(),
            "{good}: {:?}",
            internal_ids(good)
        );
    }
}

/// The visible text of the page, without data values people typed or will type (inputs, code,
/// the API reference) where identifiers are the content.
const VISIBLE_TEXT: &str = "var b = document.body.cloneNode(true);\
 b.querySelectorAll('code,kbd,pre,script,style,textarea,input,select,.fz-token,[data-raw]').forEach(function (e) { e.remove(); });\
 b.style.display = 'block'; document.body.appendChild(b); var t = b.innerText; b.remove(); return t;";

/// Table cells squeezed into a strip a phone reader cannot read: a cell narrower than about three
/// characters holding more than four, or a tall thin column. A list with more columns than a phone
/// shows side by side turns into cards there (`fz-cards`); this finds the ones that do not.
const SQUEEZED: &str = "var out = []; document.querySelectorAll('main table td, main table th').forEach(function (c) {\
 var r = c.getBoundingClientRect(); var t = c.textContent.trim();\
 if (r.width > 0 && ((r.width < 56 && t.length > 4) || (r.height > 140 && r.width < 90 && t.length > 8))) {\
 out.push(t.slice(0, 24) + ' (' + Math.round(r.width) + ' px)'); } }); return out.slice(0, 3);";

/// Cards without their column's name: on a phone a list of `fz-cards` shows each cell under the
/// name of its column (`data-label`), but the first, which is the card's title. A bare figure
/// ("45", then "5") says nothing.
const UNLABELLED: &str = "var out = []; document.querySelectorAll('main table.fz-cards').forEach(function (t) {\
 var heads = Array.from(t.querySelectorAll('thead th')).map(function (h) { return h.textContent.trim(); });\
 t.querySelectorAll('tbody tr').forEach(function (r) { Array.from(r.children).forEach(function (c, i) {\
 if (i > 0 && heads[i] && c.textContent.trim() && !c.hasAttribute('data-label')) { out.push((t.id || 'table') + ': ' + heads[i]); } }); });\
 }); return Array.from(new Set(out)).slice(0, 3);";

/// Pages one person visits in one language.
const MAX_PAGES: usize = 24;

/// Every role's main pages (its menu, the section menus and the first record of each list),
/// in Chinese and in English, on a 360 px phone: no internal identifier, no sideways scrolling, no
/// table squeezed into one-character columns.
#[tokio::test]
async fn no_page_shows_an_internal_identifier() {
    run("days-b-ids", |rig| {
        async move {
            let wd = &rig.wd;
            let base = &rig.base;
            // On the narrowest phone: every page visited must also fit 360 px.
            wd.phone_viewport(360, 780).await;
            let mut problems = Vec::new();
            for user in [
                fanzha::demo::FIRST_STUDENT,
                "s001-c01-2023",
                "s001-c01-leader",
                "s001-admin",
                "police1",
                "province-admin",
            ] {
                sign_in(wd, base, user).await;
                for lang in ["zh-CN", "en"] {
                    let b = wd.find(&format!("button[value='{lang}']")).await;
                    wd.click(&b).await;
                    wd.find(&format!("html[lang='{lang}']")).await;
                    let mut todo = vec![format!("{base}/")];
                    let mut seen = std::collections::BTreeSet::new();
                    while let Some(url) = todo.pop() {
                        if seen.len() >= MAX_PAGES || !seen.insert(url.clone()) {
                            continue;
                        }
                        wd.goto(&url).await;
                        let text = script(wd, VISIBLE_TEXT).await;
                        let text = text.as_str().unwrap_or_default();
                        let path = url.trim_start_matches(base.as_str());
                        let w = script(
                            wd,
                            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];",
                        )
                        .await;
                        if w[0].as_i64() > w[1].as_i64() {
                            problems.push(format!("{user} {lang} {path}: {} px wide at 360 px", w[0]));
                        }
                        let squeezed = script(wd, SQUEEZED).await;
                        if squeezed.as_array().is_some_and(|a| !a.is_empty()) {
                            problems.push(format!("{user} {lang} {path}: table cells squeezed on a phone: {squeezed}"));
                        }
                        let unlabelled = script(wd, UNLABELLED).await;
                        if unlabelled.as_array().is_some_and(|a| !a.is_empty()) {
                            problems.push(format!("{user} {lang} {path}: cards without their column's name: {unlabelled}"));
                        }
                        // What a select offers is read too (its options' labels, not their values).
                        let options = script(
                            wd,
                            "return Array.from(document.querySelectorAll('main select option')).map(function (o) { return o.textContent; }).join(' | ');",
                        )
                        .await;
                        let mut ids = internal_ids(text);
                        ids.extend(internal_ids(options.as_str().unwrap_or_default()));
                        // A login name is the content of the account pages.
                        if path.starts_with("/account") || path.ends_with("/accounts") {
                            ids.retain(|t| !t.starts_with("police") && !t.contains('-'));
                        }
                        if !ids.is_empty() {
                            problems.push(format!("{user} {lang} {path}: {ids:?}"));
                        }
                        if url == format!("{base}/") {
                            let links = script(
                                wd,
                                "return Array.from(document.querySelectorAll('.fz-nav-links a')).map(function (a) { return a.href; });",
                            )
                            .await;
                            for l in links.as_array().into_iter().flatten().filter_map(Value::as_str) {
                                if l.starts_with(base.as_str()) && !l.contains("/api/") && !l.contains("logout") {
                                    todo.push(l.to_string());
                                }
                            }
                        } else if seen.len() < MAX_PAGES {
                            // The first record of each list and the section menu.
                            let more = script(
                                wd,
                                "var out = []; document.querySelectorAll('.fz-subnav a').forEach(function (a) { out.push(a.href); });\
                                 [/^\\/warnings\\/\\d+$/, /^\\/reports\\/\\d+$/, /^\\/cases\\/\\d+$/, /^\\/cases\\/briefings\\/\\d+$/, /^\\/org\\/unit\\/[A-Z0-9-]+$/, /^\\/campaigns\\/\\d+$/, /^\\/campaigns\\/\\d+\\/[a-z]+$/, /^\\/intel\\/\\d+$/, /^\\/intel\\/[a-z]+\\/\\d+$/, /^\\/inbox\\/\\d+$/].forEach(function (re) {\
                                   var a = Array.from(document.querySelectorAll('main a[href]')).find(function (a) { var u = new URL(a.href); return u.origin === location.origin && re.test(u.pathname); });\
                                   if (a) { out.push(a.href); } }); return out;",
                            )
                            .await;
                            for l in more.as_array().into_iter().flatten().filter_map(Value::as_str) {
                                if l.starts_with(base.as_str()) && !l.contains("/api/") && !l.contains("export") && !l.ends_with(".csv") {
                                    todo.insert(0, l.to_string());
                                }
                            }
                        }
                    }
                    assert!(seen.len() >= 5, "{user} {lang}: only {} pages visited", seen.len());
                }
                // Back to Chinese for the next person, and out.
                let b = wd.find("button[value='zh-CN']").await;
                wd.click(&b).await;
                sign_out(wd, base).await;
            }
            assert!(problems.is_empty(), "pages that fail people:\n{}", problems.join("\n"));
        }
        .boxed()
    })
    .await;
}

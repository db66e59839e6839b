//! Browser journey of a partner's API token on a phone: the form offers only the scopes a
//! partner can use, in words; the new token is shown once, and its copy button puts exactly that
//! token on the clipboard.

use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::{json, Value};

use crate::wd::*;

async fn js(wd: &Wd, script: &str) -> Value {
    wd.post("/execute/sync", json!({"script": script, "args": []}))
        .await
}

#[tokio::test]
async fn a_partner_makes_a_token_on_a_phone_and_copies_it() {
    let Some((_turn, wd)) = start().await else {
        return;
    };
    let app = spawn_seeded().await;
    wd.goto(&app.url("/login?next=/account")).await;
    // The clipboard as a person's browser has it after they allowed the site.
    for name in ["clipboard-read", "clipboard-write"] {
        wd.post(
            "/permissions",
            json!({"descriptor": {"name": name}, "state": "granted"}),
        )
        .await;
    }
    wd.type_into("input[name=username]", "partner1").await;
    wd.type_into("input[name=password]", PASSWORD).await;
    wd.click("button[type=submit]").await;
    wd.wait_url(|u| u.ends_with("/account")).await;
    wd.find("input[name=scopes]").await;

    // Only what a partner can use, each named in words.
    let offered = js(
        &wd,
        "return Array.from(document.querySelectorAll('input[name=scopes]')).map(function (i) { return [i.value, i.parentElement.textContent.trim()]; });",
    )
    .await;
    let offered: Vec<(String, String)> = offered
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(!offered.is_empty());
    for (scope, label) in &offered {
        let parsed: fanzha::auth::model::Scope =
            fanzha::auth::model::parse_scopes(scope).unwrap()[0];
        assert!(
            parsed.usable_by(&[fanzha::auth::model::Role::Partner]),
            "{scope} offered to a partner"
        );
        assert!(
            label
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{scope} has no name in words: {label}"
        );
    }
    assert!(
        offered.len() < fanzha::auth::model::Scope::ALL.len(),
        "not every scope is offered"
    );

    wd.type_into("input[name=name]", "银行对接").await;
    wd.click("input[name=scopes]").await;
    wd.click("form[action='/account/tokens'] button[type=submit]")
        .await;
    let token = wd.text("#new-token-value").await;
    assert!(token.starts_with("fz_"), "{token}");
    assert_eq!(
        js(
            &wd,
            "return document.documentElement.scrollWidth <= window.innerWidth;"
        )
        .await,
        json!(true),
        "the account page fits the phone"
    );
    wd.click("#copy-token").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while wd.text("#copy-token").await != "已复制" {
        assert!(Instant::now() < deadline, "the button never said it copied");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let clip = wd
        .post(
            "/execute/async",
            json!({"script": "var done = arguments[arguments.length - 1]; navigator.clipboard.readText().then(done, function (e) { done('error: ' + e); });", "args": []}),
        )
        .await;
    assert_eq!(
        clip.as_str(),
        Some(token.as_str()),
        "the clipboard holds the token"
    );
    // The copied token signs in to the API; one character less does not.
    for (t, signed_in) in [
        (token.clone(), true),
        (token[..token.len() - 1].to_string(), false),
    ] {
        let r = client()
            .get(app.url("/api/v1/tokens"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status() != reqwest::StatusCode::UNAUTHORIZED,
            signed_in,
            "{}",
            r.status()
        );
    }
}

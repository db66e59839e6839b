//! Threat-intel exchange: the merge rules of an import (a person's decisions stand, disagreements
//! go to review, a feed entry is one sighting once), TLP 1.0 and 2.0 read exactly, withdrawn
//! entries, exports a validator accepts, and feeds with entries fanzha cannot hold. The feeds are
//! files written by the reference libraries (`tests/fixtures/intel`, see its README).

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/intel")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

async fn post_form(
    app: &TestApp,
    c: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let csrf = app.page_csrf(c).await;
    let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(form);
    let r = c.post(app.url(path)).form(&f).send().await.unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

/// The console's import form: `action` is `preview` or `import`.
async fn import(
    app: &TestApp,
    c: &Client,
    format: &str,
    action: &str,
    data: Vec<u8>,
) -> (StatusCode, String) {
    let csrf = app.page_csrf(c).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("format", format.to_string())
        .text("action", action.to_string())
        .part("file", reqwest::multipart::Part::bytes(data).file_name("x"));
    let r = c
        .post(app.url("/intel/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

/// The JSON import API.
async fn api_import(
    app: &TestApp,
    token: &str,
    format: &str,
    dry_run: bool,
    data: Vec<u8>,
) -> reqwest::Response {
    client()
        .post(app.url(&format!(
            "/api/v1/intel/import?format={format}&dry_run={dry_run}"
        )))
        .bearer_auth(token)
        .header("cookie", "fz_lang=en")
        .body(data)
        .send()
        .await
        .unwrap()
}

async fn risk_level(app: &TestApp, kind: &str, value: &str) -> String {
    let t = app.token("partner1", &[Scope::RiskCheck]).await;
    let v: Value = client()
        .post(app.url("/api/v1/risk/check"))
        .bearer_auth(&t)
        .json(&json!({"kind": kind, "value": value}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["level"].as_str().unwrap().to_string()
}

/// (status, tlp, status_by, tlp_by, sightings) of an indicator.
async fn row(app: &TestApp, value: &str) -> (String, String, String, String, i64) {
    sqlx::query_as(
        "SELECT status, tlp, status_by, tlp_by, sightings FROM indicators WHERE value = $1",
    )
    .bind(value)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap_or_else(|e| panic!("{value}: {e}"))
}

async fn enter(app: &TestApp, c: &Client, kind: &str, value: &str, status: &str, tlp: &str) {
    let (s, html) = post_form(
        app,
        c,
        "/intel/new",
        &[
            ("kind", kind),
            ("value", value),
            ("status", status),
            ("tlp", tlp),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");
}

async fn export(app: &TestApp, c: &Client, query: &str) -> String {
    let (s, body) = app.get(c, &format!("/intel/export?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

// ---- 1. merge rules ----

#[tokio::test]
async fn an_import_never_changes_what_a_person_set_and_queues_disagreements() {
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    enter(&app, &c, "phone", "17088886666", "confirmed", "red").await;
    enter(
        &app,
        &c,
        "domain",
        "cleared-by-police.example",
        "cleared",
        "green",
    )
    .await;
    enter(
        &app,
        &c,
        "url",
        "http://green-by-police.example/pay",
        "confirmed",
        "green",
    )
    .await;
    assert_eq!(risk_level(&app, "phone", "17088886666").await, "high");

    let (s, html) = import(&app, &c, "stix", "import", fixture("stix_merge.json")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    // The person's status and sharing level stand, both ways.
    let phone = row(&app, "17088886666").await;
    assert_eq!((phone.0.as_str(), phone.1.as_str()), ("confirmed", "red"));
    assert_eq!((phone.2.as_str(), phone.3.as_str()), ("person", "person"));
    assert_eq!(risk_level(&app, "phone", "17088886666").await, "high");
    let cleared = row(&app, "cleared-by-police.example").await;
    assert_eq!(cleared.0, "cleared");
    assert_eq!(
        risk_level(&app, "domain", "cleared-by-police.example").await,
        "none"
    );
    let url = row(&app, "http://green-by-police.example/pay").await;
    assert_eq!((url.0.as_str(), url.1.as_str()), ("confirmed", "green"));
    // Known only from the feed: the feed's values apply.
    let ip = row(&app, "203.0.113.45").await;
    assert_eq!(
        (ip.0.as_str(), ip.1.as_str(), ip.2.as_str(), ip.3.as_str()),
        ("confirmed", "amber", "import", "import")
    );
    // Disagreements, both sides: malicious vs cleared, RED vs GREEN. Agreement (suspected vs
    // confirmed, an unmarked feed vs RED) is no disagreement.
    let q = |field: &str, value: &str| {
        format!("SELECT COUNT(*) FROM intel_conflicts x JOIN indicators i ON i.id = x.indicator_id WHERE x.status = 'open' AND x.field = '{field}' AND i.value = '{value}'")
    };
    assert_eq!(
        app.scalar(&q("status", "cleared-by-police.example")).await,
        1
    );
    assert_eq!(
        app.scalar(&q("tlp", "http://green-by-police.example/pay"))
            .await,
        1
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM intel_conflicts").await, 2);
    let (s, html) = app.get(&c, "/intel/reviews").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("cleared-by-police.example"), "{html}");
    assert!(
        html.contains("排除") || html.contains("cleared"),
        "ours shown: {html}"
    );
    assert!(
        html.contains("TLP:RED") && html.contains("TLP:GREEN"),
        "{html}"
    );

    // Re-importing the same feed adds no sighting and no second disagreement.
    let before: Vec<i64> = sqlx::query_scalar("SELECT sightings FROM indicators ORDER BY id")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    let (s, _) = import(&app, &c, "stix", "import", fixture("stix_merge.json")).await;
    assert_eq!(s, StatusCode::OK);
    let after: Vec<i64> = sqlx::query_scalar("SELECT sightings FROM indicators ORDER BY id")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM intel_conflicts").await, 2);

    // A later feed changes what only feeds said.
    let csv = "kind,value,status,fraud_types,tlp\nip,203.0.113.45,suspected,,green\n";
    let (s, _) = import(&app, &c, "csv", "import", csv.into()).await;
    assert_eq!(s, StatusCode::OK);
    let ip = row(&app, "203.0.113.45").await;
    assert_eq!((ip.0.as_str(), ip.1.as_str()), ("suspected", "green"));

    // Resolving: a student is refused, a bad outcome is a 400, nothing changes.
    let tlp_conflict = app
        .scalar("SELECT id FROM intel_conflicts WHERE field = 'tlp'")
        .await;
    let st = app.login("student1").await;
    let (s, _) = post_form(
        &app,
        &st,
        &format!("/intel/conflicts/{tlp_conflict}"),
        &[("outcome", "accept")],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post_form(
        &app,
        &c,
        &format!("/intel/conflicts/{tlp_conflict}"),
        &[("outcome", "maybe")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        row(&app, "http://green-by-police.example/pay").await.1,
        "green"
    );
    // Take the feed's sharing level; keep the police's status.
    let (s, _) = post_form(
        &app,
        &c,
        &format!("/intel/conflicts/{tlp_conflict}"),
        &[("outcome", "accept")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let url = row(&app, "http://green-by-police.example/pay").await;
    assert_eq!((url.1.as_str(), url.3.as_str()), ("red", "person"));
    let status_conflict = app
        .scalar("SELECT id FROM intel_conflicts WHERE field = 'status'")
        .await;
    let (s, _) = post_form(
        &app,
        &c,
        &format!("/intel/conflicts/{status_conflict}"),
        &[("outcome", "keep")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(row(&app, "cleared-by-police.example").await.0, "cleared");
    // Twice: refused.
    let (s, _) = post_form(
        &app,
        &c,
        &format!("/intel/conflicts/{status_conflict}"),
        &[("outcome", "accept")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(row(&app, "cleared-by-police.example").await.0, "cleared");
    assert_eq!(app.audit("intel.conflict").await.len(), 2);
}

#[tokio::test]
async fn a_feed_entry_is_one_sighting_once_so_repetition_cannot_raise_the_level() {
    let app = spawn_seeded().await;
    let st = &app.state;
    let mut tx = st.db.pool.begin().await.unwrap();
    fanzha::intel::service::record_sighting(
        &mut tx,
        &st.clock,
        "qq",
        "2847561039",
        &[],
        "report:1",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    st.intel.refresh(&st.db, &st.clock).await.unwrap();
    let c = app.login("police1").await;
    let csv = "kind,value,status,fraud_types,tlp\nqq,2847561039,reported,,green\n";
    for _ in 0..4 {
        let (s, _) = import(&app, &c, "csv", "import", csv.into()).await;
        assert_eq!(s, StatusCode::OK);
    }
    assert_eq!(
        row(&app, "2847561039").await.4,
        2,
        "one report + one feed entry"
    );
    assert_eq!(risk_level(&app, "qq", "2847561039").await, "low");
    // The same STIX feed imported at the same time by two officers: each entry counts once.
    let t1 = app.token("police1", &[Scope::IntelWrite]).await;
    let t2 = app.token("province1", &[Scope::IntelWrite]).await;
    let sum = "SELECT CAST(SUM(sightings) AS BIGINT) FROM indicators";
    let before = app.scalar(sum).await;
    let (a, b) = tokio::join!(
        api_import(&app, &t1, "stix", false, fixture("stix_mixed.json")),
        api_import(&app, &t2, "stix", false, fixture("stix_mixed.json")),
    );
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    let after = app.scalar(sum).await;
    assert_eq!(after, before + 5, "five values, one sighting each");
    let third = api_import(&app, &t1, "stix", false, fixture("stix_mixed.json")).await;
    assert_eq!(third.status(), StatusCode::OK);
    assert_eq!(app.scalar(sum).await, after);
    // Four new values; the QQ number was known from a report.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, 5);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM intel_feed_sightings")
            .await,
        5 + 1,
        "five values of the STIX feed, one of the CSV"
    );
}

// ---- 2. TLP ----

#[tokio::test]
async fn tlp_one_and_two_are_read_exactly_and_an_unknown_marking_is_red() {
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    let (s, html) = import(&app, &c, "stix", "import", fixture("stix_tlp.json")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    for (value, tlp) in [
        ("tlp1-white.example", "clear"),
        ("tlp1-green.example", "green"),
        ("tlp1-amber.example", "amber"),
        ("tlp1-red.example", "red"),
        ("tlp2-clear.example", "clear"),
        ("tlp2-green.example", "green"),
        ("tlp2-amber.example", "amber"),
        ("tlp2-amber-strict.example", "amber_strict"),
        ("tlp2-red.example", "red"),
        ("unknown-marking.example", "red"),
        ("statement-and-amber.example", "amber"),
    ] {
        assert_eq!(row(&app, value).await.1, tlp, "{value}");
    }
    let (s, html) = import(&app, &c, "misp", "import", fixture("misp_event.json")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    for (value, tlp) in [
        ("17123456789", "amber_strict"), // the event's tag
        ("misp-red.example", "red"),
        ("misp-clear.example", "clear"),
        ("misp-white.example", "clear"),
        ("http://misp-amber.example/x", "amber"),
        ("misp-unknown-tlp.example", "red"),
    ] {
        assert_eq!(row(&app, value).await.1, tlp, "{value}");
    }
    // People read the level in words; a police officer can set AMBER+STRICT.
    let (_, html) = app.get(&c, "/intel?q=tlp2-amber-strict").await;
    assert!(html.contains("TLP:AMBER+STRICT"), "{html}");
    let id = app
        .scalar("SELECT id FROM indicators WHERE value = 'tlp1-green.example'")
        .await;
    let (s, _) = post_form(
        &app,
        &c,
        &format!("/intel/{id}"),
        &[("tlp", "amber_strict")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(row(&app, "tlp1-green.example").await.1, "amber_strict");
    // A bad level is refused and changes nothing; a student cannot set one.
    let (s, _) = post_form(&app, &c, &format!("/intel/{id}"), &[("tlp", "amber+loose")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let st = app.login("student1").await;
    let (s, _) = post_form(&app, &st, &format!("/intel/{id}"), &[("tlp", "clear")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(row(&app, "tlp1-green.example").await.1, "amber_strict");
}

#[tokio::test]
async fn amber_strict_stays_inside_sources_for_police_only_and_never_exported() {
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    enter(
        &app,
        &c,
        "phone",
        "17088886666",
        "confirmed",
        "amber_strict",
    )
    .await;
    enter(&app, &c, "phone", "17088887777", "confirmed", "green").await;
    // A student's check still warns (high), but does not show where it came from.
    let s1 = app.login("student1").await;
    let (s, _) = post_form(&app, &s1, "/check", &[("q", "17088886666")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let id = app.scalar("SELECT MAX(id) FROM risk_checks").await;
    let (_, html) = app.get(&s1, &format!("/check/{id}")).await;
    assert!(html.contains("TLP:AMBER+STRICT"), "{html}");
    assert!(html.contains("来源不公开"), "sources withheld: {html}");
    // Police see where it came from.
    let (_, html) = app.get(&c, &format!("/check/{id}")).await;
    assert!(!html.contains("来源不公开"), "{html}");
    for format in ["csv", "stix", "misp"] {
        let body = export(&app, &c, &format!("format={format}")).await;
        assert!(!body.contains("17088886666"), "{format}: {body}");
        assert!(body.contains("17088887777"), "{format}");
    }
}

// ---- 3. withdrawn entries ----

#[tokio::test]
async fn revoked_expired_and_deleted_entries_are_not_imported_as_live() {
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    let (s, html) = import(&app, &c, "stix", "preview", fixture("stix_withdrawn.json")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM indicators").await,
        0,
        "a preview writes nothing"
    );
    assert!(html.contains("intel-import-confirm"), "{html}");
    // The preview's button posts the file's text back (no second upload).
    let csrf = app.page_csrf(&c).await;
    let data = String::from_utf8(fixture("stix_withdrawn.json")).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("format", "stix")
        .text("action", "import")
        .text("data", data);
    let r = c
        .post(app.url("/intel/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(row(&app, "revoked.example").await.0, "cleared");
    assert_eq!(row(&app, "expired.example").await.0, "cleared");
    assert_eq!(row(&app, "still-valid.example").await.0, "suspected");
    assert_eq!(risk_level(&app, "domain", "revoked.example").await, "none");
    assert_eq!(
        risk_level(&app, "domain", "still-valid.example").await,
        "medium"
    );
    let (s, _) = import(&app, &c, "misp", "import", fixture("misp_event.json")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(row(&app, "misp-deleted.example").await.0, "cleared");
    assert_eq!(row(&app, "misp-red.example").await.0, "suspected");
    // A feed that revokes what police confirmed does not clear it: it goes to review.
    let police = spawn_seeded().await;
    let pc = police.login("police1").await;
    enter(
        &police,
        &pc,
        "domain",
        "revoked.example",
        "confirmed",
        "green",
    )
    .await;
    let (s, _) = import(
        &police,
        &pc,
        "stix",
        "import",
        fixture("stix_withdrawn.json"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(row(&police, "revoked.example").await.0, "confirmed");
    assert_eq!(
        police
            .scalar("SELECT COUNT(*) FROM intel_conflicts WHERE field = 'status' AND theirs = 'cleared' AND reason = 'revoked'")
            .await,
        1
    );
    let (_, html) = police.get(&pc, "/intel/reviews").await;
    assert!(html.contains("revoked.example"), "{html}");
}

// ---- 4, 5, 6. exports ----

async fn seed_for_export(app: &TestApp) -> Client {
    let c = app.login("police1").await;
    let csv = "kind,value,status,fraud_types,tlp\nphone,17088886666,confirmed,impersonate_police,red\nurl,http://jd-refund.top/claim,suspected,,clear\napp,com.example.fakeloan,reported,,green\nqq,2847561039,cleared,,green\nwechat,tb_kefu888,suspected,impersonate_customer_service,amber\nbank_card,6222020200112233446,confirmed,,amber\n";
    let (s, html) = import(app, &c, "csv", "import", csv.into()).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    c
}

#[tokio::test]
async fn stix_export_has_no_empty_lists_and_exports_cleared_as_revoked_or_not_at_all() {
    let app = spawn_seeded().await;
    let c = seed_for_export(&app).await;
    let v: Value = serde_json::from_str(&export(&app, &c, "format=stix").await).unwrap();
    let objects = v["objects"].as_array().unwrap();
    let ind: Vec<&Value> = objects
        .iter()
        .filter(|o| o["type"] == "indicator")
        .collect();
    assert_eq!(ind.len(), 6);
    for o in &ind {
        for (k, x) in o.as_object().unwrap() {
            assert!(
                x.as_array().is_none_or(|a| !a.is_empty()),
                "empty list {k} in {o}"
            );
        }
        assert_eq!(o["created_by_ref"], objects[0]["id"]);
    }
    let qq = ind
        .iter()
        .find(|o| o["pattern"].as_str().unwrap().contains("2847561039"))
        .unwrap();
    assert_eq!(qq["revoked"], true);
    assert_eq!(qq["indicator_types"], json!(["benign"]));
    let phone = ind
        .iter()
        .find(|o| o["pattern"].as_str().unwrap().contains("17088886666"))
        .unwrap();
    assert!(phone.get("revoked").is_none());
    assert_eq!(phone["indicator_types"], json!(["malicious-activity"]));
    // Stable ids: a receiver counts an indicator once however often it imports the export.
    let again: Value = serde_json::from_str(&export(&app, &c, "format=stix").await).unwrap();
    assert_eq!(again["objects"][2]["id"], v["objects"][2]["id"]);
    // Left out by option; a bad option is a 400.
    let omitted = export(&app, &c, "format=stix&cleared=omit").await;
    assert!(!omitted.contains("2847561039"));
    assert!(omitted.contains("17088886666"));
    let misp = export(&app, &c, "format=misp&cleared=omit").await;
    assert!(!misp.contains("2847561039"));
    let (s, _) = app.get(&c, "/intel/export?format=stix&cleared=maybe").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A revoked entry re-imports as cleared: the round trip holds.
    let b = spawn_seeded().await;
    let cb = b.login("police1").await;
    let (s, html) = import(&b, &cb, "stix", "import", serde_json::to_vec(&v).unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert_eq!(
        export(&b, &cb, "format=csv").await,
        export(&app, &c, "format=csv").await
    );
    // A student cannot export.
    let st = app.login("student1").await;
    let (s, _) = app.get(&st, "/intel/export?format=stix").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn misp_export_categories_are_valid_for_their_types() {
    let app = spawn_seeded().await;
    let c = seed_for_export(&app).await;
    let v: Value = serde_json::from_str(&export(&app, &c, "format=misp").await).unwrap();
    let attrs = v["Event"]["Attribute"].as_array().unwrap();
    // MISP's category/type table (describeTypes), for the types fanzha writes.
    let allowed = |t: &str| -> &[&str] {
        match t {
            "phone-number" => &["Financial fraud", "Person", "Other"],
            "url" | "domain" | "ip-dst" => {
                &["Payload delivery", "Network activity", "External analysis"]
            }
            "bank-account-nr" => &["Financial fraud"],
            "mobile-application-id" => &["Payload delivery", "Payload installation"],
            "text" => &["Financial fraud", "Other", "Social network", "Person"],
            _ => &[],
        }
    };
    assert_eq!(attrs.len(), 6);
    for a in attrs {
        let t = a["type"].as_str().unwrap();
        let cat = a["category"].as_str().unwrap();
        assert!(allowed(t).contains(&cat), "{t} under {cat}");
    }
    let app_attr = attrs
        .iter()
        .find(|a| a["type"] == "mobile-application-id")
        .unwrap();
    assert_eq!(app_attr["category"], "Payload delivery");
    let cleared = attrs.iter().find(|a| a["value"] == "2847561039").unwrap();
    assert_eq!(cleared["to_ids"], false);
}

// ---- 7. feeds with entries fanzha cannot hold ----

#[tokio::test]
async fn unsupported_entries_are_skipped_and_reported_in_the_preview_first() {
    let app = spawn_seeded().await;
    let c = app.login("police1").await;
    // Preview on the page: every skipped entry with its reason, nothing written.
    let (s, html) = import(&app, &c, "stix", "preview", fixture("stix_mixed.json")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"import-skipped\""), "{html}");
    for (entry, reason) in [
        ("indicator--00000000-0000-4000-8000-000000000403", "LIKE"),
        (
            "indicator--00000000-0000-4000-8000-000000000404",
            "email-addr",
        ),
        ("indicator--00000000-0000-4000-8000-000000000405", "CIDR"),
        (
            "indicator--00000000-0000-4000-8000-000000000406",
            "file:hashes.MD5",
        ),
        ("indicator--00000000-0000-4000-8000-000000000407", "AND"),
        ("indicator--00000000-0000-4000-8000-000000000408", "yara"),
    ] {
        assert!(html.contains(entry), "{entry}");
        assert!(html.contains(reason), "{reason}");
    }
    assert!(
        html.contains("intel-import-confirm"),
        "the preview offers the import"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM intel_imports").await, 0);
    // The API says the same, as JSON.
    let t = app.token("police1", &[Scope::IntelWrite]).await;
    let r = api_import(&app, &t, "stix", true, fixture("stix_mixed.json")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["entries"], 5);
    assert_eq!(v["created"], 5);
    assert_eq!(v["skipped"].as_array().unwrap().len(), 6, "{v}");
    assert!(
        v["skipped"][0]["reason"].as_str().unwrap().contains("LIKE"),
        "{v}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, 0);
    // Import: OR patterns give one indicator per value.
    let r = api_import(&app, &t, "stix", false, fixture("stix_mixed.json")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert!(v["batch"].as_i64().is_some());
    for value in [
        "or-one.example",
        "or-two.example",
        "http://or-three.example/a",
        "http://or-four.example/b",
        "2847561039",
    ] {
        assert_eq!(row(&app, value).await.0, "suspected", "{value}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, 5);
    // MISP: email-src, md5 and a CIDR skipped; an object's attribute read.
    let r = api_import(&app, &t, "misp", true, fixture("misp_event.json")).await;
    let v: Value = r.json().await.unwrap();
    let skipped: Vec<String> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{} {}", s["value"], s["reason"]))
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped.iter().any(|s| s.contains("email-src")));
    assert!(skipped.iter().any(|s| s.contains("md5")));
    assert!(skipped.iter().any(|s| s.contains("CIDR")));
    // Documented in OpenAPI.
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/intel/import"]["post"].is_object());
    assert!(doc["components"]["schemas"]["ImportOut"].is_object());
    // Twelve attributes and one of an object, less three skipped.
    assert_eq!(v["entries"], 10, "{v}");
    let r = api_import(&app, &t, "misp", false, fixture("misp_event.json")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(row(&app, "misp-object.example").await.0, "suspected");
    assert_eq!(row(&app, "wx_example_kefu").await.0, "suspected");
}

#[tokio::test]
async fn bad_feeds_and_refused_callers_change_nothing() {
    let app = spawn_seeded().await;
    let t = app.token("police1", &[Scope::IntelWrite]).await;
    // Nothing fanzha can hold: 422 with every reason.
    let only_bad = br#"{"type":"bundle","id":"bundle--1","objects":[{"type":"indicator","id":"indicator--1","pattern":"[email-addr:value = 'a@b.example']","pattern_type":"stix"}]}"#;
    let (s, _, _, details) =
        api_error(api_import(&app, &t, "stix", false, only_bad.to_vec()).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        details.iter().any(|d| d.contains("email-addr")),
        "{details:?}"
    );
    let (s, ..) = api_error(api_import(&app, &t, "misp", false, b"not json".to_vec()).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, ..) = api_error(api_import(&app, &t, "xml", false, b"<a/>".to_vec()).await).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A CSV stays all or nothing.
    let csv = "kind,value\nqq,2847561039\nfax,1\n";
    let (s, _, _, details) = api_error(api_import(&app, &t, "csv", false, csv.into()).await).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(details.iter().any(|d| d.contains("line 3")), "{details:?}");
    // A token without the scope, a student, a partner: refused.
    let t_risk = app.token("police1", &[Scope::RiskCheck]).await;
    let r = api_import(&app, &t_risk, "stix", false, fixture("stix_mixed.json")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for user in ["student1", "partner1", "admin1"] {
        let tu = app.token(user, &[Scope::IntelWrite]).await;
        let r = api_import(&app, &tu, "stix", true, fixture("stix_mixed.json")).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
        let cu = app.login(user).await;
        let (s, _) = import(&app, &cu, "stix", "preview", fixture("stix_mixed.json")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user}");
    }
    let c = app.login("police1").await;
    let (s, _) = import(&app, &c, "stix", "later", fixture("stix_mixed.json")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM intel_imports").await, 0);
}

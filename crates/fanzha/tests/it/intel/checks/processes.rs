//! Index refresh across processes, the demo's intelligence and the risk field.

use super::*;

#[tokio::test]
pub(super) async fn a_change_in_one_process_is_visible_in_another_within_two_seconds() {
    let a = spawn_seeded().await;
    // A second app instance on the same database, with its own index and refresher.
    let b = fanzha::web::App::new(
        fanzha::config::Config {
            data_dir: a.dir.path().to_path_buf(),
            ..Default::default()
        },
        a.state.db.clone(),
        a.state.clock.clone(),
    );
    let b_state = b.state.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_addr = listener.local_addr().unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(b.serve(listener, rx, false));
    let t = a.token("partner1", &[Scope::RiskCheck]).await;
    let ask_b = || async {
        let v: Value = client()
            .post(format!("http://{b_addr}/api/v1/risk/check"))
            .bearer_auth(&t)
            .json(&json!({"kind": "phone", "value": "17088886666"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["level"].as_str().unwrap().to_string()
    };
    assert_eq!(ask_b().await, "none");
    let police = a.login("police1").await;
    let (s, _, _) = post_form(
        &a,
        &police,
        "/intel/new",
        &[
            ("kind", "phone"),
            ("value", "17088886666"),
            ("status", "confirmed"),
            ("tlp", "green"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let started = Instant::now();
    loop {
        if ask_b().await == "high" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "not visible in the other process within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("visible in the other process after {:?}", started.elapsed());
    assert_eq!(b_state.intel.index.len(), 1);
}

#[tokio::test]
pub(super) async fn demo_seeds_indicators_checks_and_a_review() {
    let app = spawn_app().await;
    let scale = fanzha::demo::Scale::parse("school").unwrap();
    fanzha::demo::seed(&app.state.db, &app.state.clock, scale)
        .await
        .unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators").await, 14);
    assert!(
        app.scalar("SELECT COUNT(*) FROM indicators WHERE status = 'confirmed'")
            .await
            >= 4
    );
    // Six of the intel demo, and the recruitment lure a student checked in the mules demo.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM risk_checks").await, 7);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM risk_checks WHERE fraud_type = 'mule_recruitment'")
            .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM risk_checks WHERE sender IS NOT NULL AND model_version = 'builtin'")
            .await,
        3
    );
    assert!(
        app.scalar("SELECT COUNT(*) FROM risk_checks WHERE level = 'high'")
            .await
            >= 2
    );
    // "Wrong result" reports from different students wait for police review.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM intel_reviews WHERE status = 'open'")
            .await,
        3
    );
    assert!(
        app.scalar("SELECT COUNT(DISTINCT account_id) FROM intel_reviews")
            .await
            >= 2
    );
    app.state.intel.load(&app.state.db).await.unwrap();
    assert_eq!(app.state.intel.index.len(), 14);
    // A stored value holding the bulk load's separators still loads (that chunk row by row).
    sqlx::query(
        "INSERT INTO indicators (kind, value, status, fraud_types, tlp, sightings, first_seen, last_seen, note, created_at, updated_at) \
         VALUES ('other_account', $1, 'reported', '', 'green', 1, 0, 0, '', 0, 0)",
    )
    .bind("odd\u{1f}name\u{1e}x")
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    app.state.intel.load(&app.state.db).await.unwrap();
    assert_eq!(app.state.intel.index.len(), 15);
}

/// A process whose cursor fell behind a pruned change log reloads its index whole instead of
/// missing the changes in between.
#[tokio::test]
pub(super) async fn an_index_behind_a_pruned_change_log_reloads() {
    use fanzha::db::maintenance::{prune, Retention};
    use fanzha::intel::model::Kind;
    let app = spawn_seeded().await;
    let st = &app.state;
    // A second process's index, loaded before anything happened.
    let other = fanzha::intel::Intel::new(10, 1000);
    other.load(&st.db).await.unwrap();
    let sight = |value: &'static str| async move {
        let mut tx = st.db.pool.begin().await.unwrap();
        service::record_sighting(
            &mut tx,
            &st.clock,
            "phone",
            value,
            &[FraudType::FakeLoan],
            "report:1",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    };
    sight("17088881111").await;
    // The log is pruned (8 days later) before the other process polls again.
    st.clock.advance_ms(8 * 24 * 60 * 60 * 1000);
    sight("17088882222").await;
    let r = Retention {
        done_jobs_days: 14,
        indicator_changes_days: 7,
    };
    assert_eq!(
        prune(&st.db, &st.clock, r).await.unwrap().indicator_changes,
        1
    );
    other.refresh(&st.db, &st.clock).await.unwrap();
    let phone: Kind = "phone".parse().unwrap();
    assert!(
        other.index.get(phone, "17088881111").is_some(),
        "the pruned change was missed"
    );
    assert!(other.index.get(phone, "17088882222").is_some());
}

/// `risk` is the combined value `level` is derived from; the classifier's own probability, where
/// it judged a message, is `model_risk`.
#[tokio::test]
pub(super) async fn the_risk_field_is_the_value_the_level_comes_from() {
    let app = spawn_seeded().await;
    seed_indicators(&app).await;
    let t = app.token("partner1", &[Scope::RiskCheck]).await;
    let band = |risk: f64| match risk {
        r if r >= 0.8 => "high",
        r if r >= 0.5 => "medium",
        r if r >= 0.2 => "low",
        _ => "none",
    };
    // A police-confirmed phone, as an indicator and typed as a bare token: high, risk of high.
    for body in [
        json!({"kind": "phone", "value": "+86 17088886666"}),
        json!({"text": "17088886666"}),
    ] {
        let v: Value = risk(&app, &t, body.clone()).await.json().await.unwrap();
        assert_eq!(v["level"], "high", "{body}");
        let r = v["risk"].as_f64().unwrap();
        assert!(r >= 0.8, "{v}");
        assert_eq!(band(r), "high");
        assert!(v.get("model_risk").is_none(), "{v}");
    }
    // A message: its risk is at least the classifier's and gives its level.
    let v: Value = risk(&app, &t, json!({"text": SCAM}))
        .await
        .json()
        .await
        .unwrap();
    let model = v["model_risk"].as_f64().unwrap();
    let r = v["risk"].as_f64().unwrap();
    assert!(r >= model && model > 0.0, "{v}");
    assert_eq!(band(r), v["level"].as_str().unwrap());
    // A harmless message mentioning the confirmed phone: the indicator lifts the risk.
    let v: Value = risk(
        &app,
        &t,
        json!({"text": "明天下午三点开会，有事打 17088886666"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(v["level"], "high", "{v}");
    assert!(v["risk"].as_f64().unwrap() >= 0.8, "{v}");
    assert!(
        v["model_risk"].as_f64().unwrap() < v["risk"].as_f64().unwrap(),
        "{v}"
    );
    // Nothing known: none, with a risk below the low band.
    let v: Value = risk(&app, &t, json!({"kind": "qq", "value": "123456789"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["level"], "none");
    assert_eq!(band(v["risk"].as_f64().unwrap()), "none");
    // The OpenAPI schema describes both.
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let props = &doc["components"]["schemas"]["Answer"]["properties"];
    assert!(
        props["risk"]["description"]
            .as_str()
            .unwrap()
            .contains("level"),
        "{props}"
    );
    assert!(props["model_risk"].is_object(), "{props}");
}

//! Learning from confirmed cases: "wrong result" feedback waits for police review, only
//! police-confirmed labels become training examples, `train --from-db` stores a candidate with its
//! figures against the model in use, promotion is refused on a regression or when the model in use
//! changed, a promoted model is picked up by every process, and rollback returns to the previous
//! model. Also the sender of a pasted SMS on the API and the page, and the model version of every
//! verdict.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::common::*;
use fanzha::audit::Actor;
use fanzha::auth::model::Scope;
use fanzha::intel::learn::{self, LearnError, TrainSpec};
use fanzha::intel::service::By;
use fanzha_detect::model::TrainConfig;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn post_form(
    app: &TestApp,
    c: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let csrf = app.page_csrf(c).await;
    let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(form);
    let r = c.post(app.url(path)).form(&f).send().await.unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, loc, r.text().await.unwrap())
}

fn police_by(app: &TestApp) -> By {
    By {
        actor: Actor {
            account_id: Some(app.fx.account("police1")),
            name: "police1".into(),
            ip: "test".into(),
            request_id: String::new(),
        },
        unit_path: app.fx.unit("ST1").path.clone(),
    }
}

/// Texts a model can learn and the built-in one cannot know: made-up words per label.
fn synthetic(label: &str, i: usize) -> String {
    match label {
        "fake_loan" => format!("xqzv kkpl wwrt 申请 {i} 号 zorblat"),
        _ => format!("今天下午 {i} 点 grummel 图书馆 plinth 见面"),
    }
}

fn write_jsonl(app: &TestApp, name: &str, rows: &[(String, &str)]) -> PathBuf {
    let p = app.dir.path().join(name);
    let mut s = String::new();
    for (text, label) in rows {
        s.push_str(&json!({"text": text, "label": label}).to_string());
        s.push('\n');
    }
    std::fs::write(&p, s).unwrap();
    p
}

fn small() -> TrainConfig {
    TrainConfig {
        bits: 12,
        epochs: 8,
        ..TrainConfig::default()
    }
}

/// Stores `n` police-confirmed examples of each label directly (as the review queue does).
async fn confirmed_examples(app: &TestApp, n: usize, swap: bool) {
    let police = app.fx.account("police1");
    for i in 0..n {
        for label in ["fake_loan", "normal"] {
            let stored = match (swap, label) {
                (false, l) => l,
                (true, "normal") => "fake_loan",
                (true, _) => "normal",
            };
            sqlx::query(
                "INSERT INTO labelled_examples (text, label, review_id, created_by, created_at) VALUES ($1, $2, NULL, $3, 0)",
            )
            .bind(synthetic(label, 1000 + i))
            .bind(stored)
            .bind(police)
            .execute(&app.state.db.pool)
            .await
            .unwrap();
        }
    }
}

async fn train(
    app: &TestApp,
    data: Vec<PathBuf>,
    eval: PathBuf,
) -> Result<learn::Candidate, LearnError> {
    let live = app.state.intel.live();
    learn::train_candidate(
        &app.state.db,
        &app.state.clock,
        &live.engine,
        &live.model_version,
        &TrainSpec {
            data,
            eval,
            config: small(),
        },
    )
    .await
}

fn eval_file(app: &TestApp) -> PathBuf {
    let rows: Vec<(String, &str)> = (0..20)
        .flat_map(|i| {
            [
                (synthetic("fake_loan", i), "fake_loan"),
                (synthetic("normal", i), "normal"),
            ]
        })
        .collect();
    write_jsonl(app, "eval.jsonl", &rows)
}

async fn risk(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    client()
        .post(app.url("/api/v1/risk/check"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn wait_for_version(app: &TestApp, version: &str) -> Duration {
    let t = Instant::now();
    while app.state.intel.live().model_version != version {
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "still {} instead of {version}",
            app.state.intel.live().model_version
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    t.elapsed()
}

#[tokio::test]
async fn a_students_wrong_result_report_waits_for_police_and_alone_never_trains() {
    let app = spawn_seeded().await;
    let s1 = app.login("student1").await;
    let sms = "【建设银行】尊敬的客户，您的账户积分即将过期，请登录 ccb-vip.xyz 兑换礼品";
    let (s, loc, _) = post_form(
        &app,
        &s1,
        "/check",
        &[("q", sms), ("sender", "1069 8888 7777")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let check_id = loc.trim_start_matches("/check/").to_string();
    // The check records the model and the sender.
    let stored = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM risk_checks WHERE id = {check_id} AND model_version = 'builtin' AND sender = '106988887777'"
        ))
        .await;
    assert_eq!(stored, 1);
    let (s, _, _) = post_form(
        &app,
        &s1,
        &format!("/check/{check_id}/wrong"),
        &[("claim", "false_positive"), ("comment", "这是银行发的")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // The student's claim alone is no training example.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM labelled_examples").await,
        0
    );
    let eval = eval_file(&app);
    assert!(matches!(
        train(&app, vec![], eval.clone()).await,
        Err(LearnError::Empty)
    ));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM detect_models").await, 0);

    // Neither the student nor a school admin may review it.
    let review = app.scalar("SELECT MAX(id) FROM intel_reviews").await;
    for who in ["student1", "admin1"] {
        let c = app.login(who).await;
        let (s, _) = app.get(&c, "/intel/reviews").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        let (s, _, _) = post_form(
            &app,
            &c,
            &format!("/intel/reviews/{review}"),
            &[("outcome", "label"), ("label", "normal")],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM labelled_examples").await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM intel_reviews WHERE status = 'open'")
            .await,
        1
    );

    // Police confirm it: now it is an example, with who confirmed it.
    let police = app.login("police1").await;
    let (s, html) = app.get(&police, "/intel/reviews").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("这是银行发的"));
    let (s, _, _) = post_form(
        &app,
        &police,
        &format!("/intel/reviews/{review}"),
        &[("outcome", "label"), ("label", "other_fraud")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM labelled_examples WHERE label = 'other_fraud' AND created_by = {} AND source = 'review'",
            app.fx.account("police1")
        ))
        .await,
        1
    );
    let id = app.scalar("SELECT id FROM labelled_examples").await;
    let extra = write_jsonl(&app, "extra.jsonl", &[(synthetic("normal", 1), "normal")]);
    let c = train(&app, vec![extra], eval)
        .await
        .expect("trains on the confirmed example");
    assert_eq!(c.from_db, usize::from(!learn::held_out(id)));
}

#[tokio::test]
async fn a_candidate_is_promoted_everywhere_refused_on_regression_and_rolled_back() {
    let a = spawn_seeded().await;
    let b = a.second_process().await;
    confirmed_examples(&a, 30, false).await;
    let eval = eval_file(&a);
    let extra = write_jsonl(
        &a,
        "extra.jsonl",
        &(0..10)
            .map(|i| (synthetic("fake_loan", 500 + i), "fake_loan"))
            .collect::<Vec<_>>(),
    );
    // A bad extra file names its line and stores nothing.
    let bad = a.dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"text\": \"a\", \"label\": \"normal\"}\n{\"text\": \"b\", \"label\": \"nope\"}\n",
    )
    .unwrap();
    match train(&a, vec![bad], eval.clone()).await {
        Err(LearnError::Data(m)) => assert!(m.contains('2'), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(a.scalar("SELECT COUNT(*) FROM detect_models").await, 0);

    let good = train(&a, vec![extra], eval.clone()).await.unwrap();
    assert!(
        good.figures.holdout_candidate.is_some(),
        "a fifth is held out"
    );
    assert!(good.figures.regression().is_none(), "{:?}", good.figures);
    assert!(good.figures.eval_candidate.macro_f1 > good.figures.eval_base.macro_f1);
    // Held-out examples are not trained on: the count says so.
    let held = a.scalar("SELECT COUNT(*) FROM labelled_examples").await as usize - good.from_db;
    assert!(held > 0 && held < 30, "{held}");

    // Students and school admins cannot see or promote.
    for who in ["student1", "admin1"] {
        let c = a.login(who).await;
        let (s, _) = a.get(&c, "/intel/models").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        let (s, _, _) = post_form(&a, &c, &format!("/intel/models/{}/promote", good.id), &[]).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(
        a.scalar("SELECT COUNT(*) FROM detect_models WHERE status = 'active'")
            .await,
        0
    );

    let police = a.login("police1").await;
    // A registry change made before the promotion stays after the model swap.
    let (s, _, _) = post_form(
        &a,
        &police,
        "/intel/brands",
        &[
            ("key", "campus_card"),
            ("name_zh", "校园一卡通中心"),
            ("sector", "payment"),
            ("aliases", "一卡通中心"),
            ("numbers", "025-83590000"),
            ("enabled", "1"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, html) = a.get(&police, "/intel/models").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&good.version));
    assert!(
        html.contains("内置模型"),
        "the built-in model in words: {}",
        between(&html, "model-in-use", "</section>").unwrap_or_default()
    );
    let (s, loc, _) = post_form(
        &a,
        &police,
        &format!("/intel/models/{}/promote", good.id),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{loc}");
    assert_eq!(a.state.intel.live().model_version, good.version);
    // The other process picks it up from the database.
    wait_for_version(&b, &good.version).await;
    for p in [&a, &b] {
        assert!(p.state.intel.engine().brands().get("campus_card").is_some());
    }
    let token = b.token("partner1", &[Scope::RiskCheck]).await;
    let r = risk(&b, &token, json!({"text": synthetic("fake_loan", 7)})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["model_version"], good.version.as_str());
    assert_eq!(v["fraud_type"], "fake_loan", "{v}");
    // Promoting it again is refused.
    let (s, _, _) = post_form(
        &a,
        &police,
        &format!("/intel/models/{}/promote", good.id),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // A candidate that learnt the labels the wrong way round scores lower: refused, nothing changes.
    sqlx::query("DELETE FROM labelled_examples")
        .execute(&a.state.db.pool)
        .await
        .unwrap();
    confirmed_examples(&a, 30, true).await;
    let worse = train(&a, vec![], eval.clone()).await.unwrap();
    assert!(worse.figures.regression().is_some());
    let (s, html) = a.get(&police, "/intel/models").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("model-blocked-{}", worse.id)));
    let (s, _, _) = post_form(
        &a,
        &police,
        &format!("/intel/models/{}/promote", worse.id),
        &[],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(a.state.intel.live().model_version, good.version);
    assert_eq!(
        a.scalar(&format!(
            "SELECT COUNT(*) FROM detect_models WHERE id = {} AND status = 'candidate'",
            worse.id
        ))
        .await,
        1
    );

    // Roll back: the built-in model serves again, in both processes.
    let (s, _, _) = post_form(&a, &police, "/intel/models/rollback", &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(a.state.intel.live().model_version, learn::BUILTIN);
    wait_for_version(&b, learn::BUILTIN).await;
    let (s, _, _) = post_form(&a, &police, "/intel/models/rollback", &[]).await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing left to roll back");

    let promotes = a.audit("detect.model_promote").await;
    assert_eq!(promotes.len(), 1);
    assert_eq!(a.audit("detect.model_rollback").await.len(), 1);
}

#[tokio::test]
async fn a_candidate_measured_against_a_replaced_model_is_refused_and_two_promotions_race_to_one() {
    let app = spawn_seeded().await;
    confirmed_examples(&app, 20, false).await;
    let eval = eval_file(&app);
    let c1 = train(&app, vec![], eval.clone()).await.unwrap();
    let extra = write_jsonl(
        &app,
        "extra.jsonl",
        &[(synthetic("fake_loan", 9000), "fake_loan")],
    );
    let c2 = train(&app, vec![extra], eval).await.unwrap();
    assert_ne!(c1.version, c2.version);
    // Both were measured against the built-in model; promote both at once: one wins.
    let police = app.login("police1").await;
    let police2 = app.login("police1").await;
    let (p1, p2) = (
        format!("/intel/models/{}/promote", c1.id),
        format!("/intel/models/{}/promote", c2.id),
    );
    let (r1, r2) = tokio::join!(
        post_form(&app, &police, &p1, &[]),
        post_form(&app, &police2, &p2, &[]),
    );
    let mut codes = [r1.0, r2.0];
    codes.sort();
    assert_eq!(codes, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM detect_models WHERE status = 'active'")
            .await,
        1
    );
    // The loser's figures compare with a model that no longer serves.
    let loser = if r1.0 == StatusCode::CONFLICT {
        c1.id
    } else {
        c2.id
    };
    let by = police_by(&app);
    assert!(matches!(
        learn::promote(&app.state.db, &app.state.clock, &by, loser).await,
        Err(LearnError::Stale)
    ));
}

#[tokio::test]
async fn the_sender_of_a_pasted_sms_is_checked_and_refused_when_malformed() {
    let app = spawn_seeded().await;
    let token = app.token("partner1", &[Scope::RiskCheck]).await;
    let sms = "【工商银行】您的账户积分即将清零，请登录 icbc-vip.xyz 兑换";
    let post = |body: Value| risk(&app, &token, body);
    let r = post(json!({"text": sms, "sender": "+86 138-1234-5678"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["sender"], "13812345678");
    assert_eq!(v["sender_suspect"], true, "{v}");
    assert_eq!(v["link_suspect"], true, "{v}");
    assert_eq!(v["brand_mismatch"]["brand_key"], "icbc", "{v}");
    assert_eq!(v["model_version"], "builtin");
    assert_ne!(v["level"], "none");
    assert_ne!(v["level"], "low");
    // Without a sender: no sender fields.
    let v: Value = post(json!({"text": sms})).await.json().await.unwrap();
    assert!(v.get("sender").is_none() && v.get("sender_suspect").is_none());
    // A batch item may carry one too.
    let v: Value = post(json!({"items": [{"text": sms, "sender": "95588"}, {"kind": "phone", "value": "13800138000"}]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["results"][0]["sender"], "95588");
    // Bad senders are refused whole.
    for body in [
        json!({"text": sms, "sender": "bank"}),
        json!({"text": sms, "sender": "12"}),
        json!({"text": sms, "sender": 95588}),
        json!({"kind": "phone", "value": "13800138000", "sender": "95588"}),
        json!({"items": [{"text": sms, "sender": "x"}]}),
    ] {
        let r = post(body.clone()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
    }

    // The page: the sender is kept, bad input refused with nothing stored.
    let s1 = app.login("student1").await;
    let (s, _, html) = post_form(&app, &s1, "/check", &[("q", sms), ("sender", "abc")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("106"),
        "the message says what a sender looks like"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM risk_checks").await, 0);
    let (s, loc, _) = post_form(
        &app,
        &s1,
        "/check",
        &[("q", sms), ("sender", "13812345678")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = app.get(&s1, &loc).await;
    assert!(
        html.contains("check-suspect"),
        "sender or link suspect in words"
    );
    assert!(html.contains("短信自称工商银行"), "brand mismatch in words");
    assert!(html.contains("icbc.com.cn"), "the official channels");

    // Nothing found: the page says so without reassuring.
    let (_, loc, _) = post_form(
        &app,
        &s1,
        "/check",
        &[("q", "同学们好，明天下午三点在教学楼201开班会，请准时参加。")],
    )
    .await;
    let (_, html) = app.get(&s1, &loc).await;
    let result = between(&html, "id=\"check-result\"", "</article>").unwrap();
    assert!(result.contains("未发现诈骗特征"), "{result}");
    assert!(result.contains("官方"), "says what to check");
    assert!(!result.contains("安全"), "{result}");
}

#[tokio::test]
async fn a_report_police_confirm_becomes_an_example_and_a_students_report_alone_does_not() {
    let app = spawn_seeded().await;
    let s1 = app
        .token("student1", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let sms = "您的快递丢失，可获三倍理赔，请加理赔专员QQ 2847561039 办理退款";
    let r = client()
        .post(app.url("/api/v1/reports"))
        .bearer_auth(&s1)
        .json(&json!({"idempotency_key": "fb-1", "sms": {"sender": "17155556666", "content": sms}, "fraud_type": "impersonate_customer_service"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let id = r.json::<Value>().await.unwrap()["report_id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM labelled_examples").await,
        0
    );
    // A counselor cannot triage; police confirm it.
    let triage = |token: String| {
        let app = &app;
        async move {
            client()
                .post(app.url(&format!("/api/v1/reports/{id}/triage")))
                .bearer_auth(token)
                .json(&json!({"decision": "confirm"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let counselor = app.token("counselor1", &Scope::ALL).await;
    assert!(triage(counselor).await.is_client_error());
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM labelled_examples").await,
        0
    );
    let police = app.token("police1", &Scope::ALL).await;
    assert_eq!(triage(police.clone()).await, StatusCode::OK);
    let row: (String, String, Option<i64>, String) = sqlx::query_as(
        "SELECT text, label, created_by, source FROM labelled_examples WHERE report_id = $1",
    )
    .bind(id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(row.0, sms);
    assert_eq!(row.1, "impersonate_customer_service");
    assert_eq!(row.2, Some(app.fx.account("police1").get()));
    assert_eq!(row.3, "report");
    // Confirming twice keeps one example.
    triage(police).await;
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM labelled_examples").await,
        1
    );
}

/// Runs the `fanzha` binary on the app's database (its SQLite file, or its PostgreSQL schema).
fn fanzha(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fanzha"));
    cmd.args(args)
        .current_dir(app.dir.path())
        .env("FANZHA_DATA_DIR", app.dir.path())
        .env("FANZHA_LANG", "en")
        .env("FANZHA_LOG", "error")
        .env_remove("FANZHA_DATABASE_URL");
    if let Some(url) = app.process_database_url() {
        cmd.env("FANZHA_DATABASE_URL", url);
    }
    cmd.output().expect("run fanzha")
}

#[tokio::test]
async fn fanzha_train_from_db_stores_a_candidate_and_refuses_bad_input() {
    let app = spawn_seeded().await;
    confirmed_examples(&app, 10, false).await;
    let eval = eval_file(&app);
    let extra = write_jsonl(
        &app,
        "extra.jsonl",
        &[(synthetic("fake_loan", 77), "fake_loan")],
    );
    let bad = app.dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"text\": \"a\", \"label\": \"normal\"}\nnot json\n").unwrap();
    let (eval, extra, bad) = (
        eval.to_str().unwrap(),
        extra.to_str().unwrap(),
        bad.to_str().unwrap(),
    );
    // No evaluation file: refused, nothing stored.
    let out = fanzha(
        &app,
        &["train", "--from-db", "--bits", "12", "--epochs", "3"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--eval"));
    // A bad extra file: refused naming its line.
    let out = fanzha(
        &app,
        &[
            "train",
            "--from-db",
            "--eval",
            eval,
            "--data",
            bad,
            "--bits",
            "12",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl") && err.contains('2'), "{err}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM detect_models").await, 0);
    // The real run.
    let out = fanzha(
        &app,
        &[
            "train",
            "--from-db",
            "--eval",
            eval,
            "--data",
            extra,
            "--bits",
            "12",
            "--epochs",
            "5",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("candidate m-"), "{stdout}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM detect_models WHERE status = 'candidate' AND base_version = 'builtin'")
            .await,
        1
    );
}

/// Old models do not pile up: beyond the newest three waiting candidates and the newest three a
/// rollback can return to, a model keeps its row and figures but not its weights; rejected and
/// rolled-back models lose theirs at once. The history says so in words.
#[tokio::test]
async fn old_models_keep_their_history_but_not_their_weights() {
    use fanzha::intel::detect_store::{self as ds, NewModel};
    let app = spawn_seeded().await;
    let db = &app.state.db;
    let bytes = vec![7u8; 64];
    let mut c = db.begin_write().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..10 {
        let version = format!("fzdm-old{i}");
        let id = ds::insert_model(
            &mut c,
            &NewModel {
                version: &version,
                bytes: &bytes,
                base_version: "fzdm-base",
                figures: "{}",
                examples: 1,
                created_by: None,
            },
            1_000 + i,
        )
        .await
        .unwrap();
        ids.push(id);
    }
    // Five replaced models promoted in turn, one rejected, four waiting candidates.
    for (k, id) in ids[..5].iter().enumerate() {
        sqlx::query("UPDATE detect_models SET status = 'retired', promoted_at = $1 WHERE id = $2")
            .bind(2_000 + k as i64)
            .bind(*id)
            .execute(&mut *c)
            .await
            .unwrap();
    }
    assert!(
        ds::set_model_status(&mut c, ids[5], "candidate", "rejected")
            .await
            .unwrap()
    );
    let dropped = ds::prune_models(&mut c).await.unwrap();
    c.commit().await.unwrap();
    // Two replaced models archived, one candidate expired, the rejected one: four lose weights.
    assert_eq!(dropped, 4);
    let status_of = |id: i64| {
        let pool = db.pool.clone();
        async move {
            let (s, n): (String, i64) = sqlx::query_as(
                "SELECT status, CAST(LENGTH(model) AS BIGINT) FROM detect_models WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
            (s, n)
        }
    };
    assert_eq!(status_of(ids[0]).await, ("archived".into(), 0));
    assert_eq!(status_of(ids[1]).await, ("archived".into(), 0));
    assert_eq!(status_of(ids[2]).await, ("retired".into(), 64));
    assert_eq!(status_of(ids[4]).await, ("retired".into(), 64));
    assert_eq!(status_of(ids[5]).await, ("rejected".into(), 0));
    assert_eq!(status_of(ids[6]).await, ("expired".into(), 0));
    assert_eq!(status_of(ids[7]).await, ("candidate".into(), 64));
    assert_eq!(status_of(ids[9]).await, ("candidate".into(), 64));
    // Pruning again changes nothing; a rollback still has a model with weights to go back to.
    let mut c = db.begin_write().await.unwrap();
    assert_eq!(ds::prune_models(&mut c).await.unwrap(), 0);
    let back = ds::previous_active(&mut c).await.unwrap().expect("a model");
    assert_eq!(back.id, ids[4]);
    c.commit().await.unwrap();
    let police = app.login("police1").await;
    let (s, html) = app.get(&police, "/intel/models").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("已过期") && html.contains("已归档"),
        "statuses in words"
    );
}

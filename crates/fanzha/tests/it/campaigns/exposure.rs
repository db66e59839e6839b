//! Campaigns: the exposure score against real rows of the other modules. Risk checks (the
//! student's own check page), warnings (police API, acknowledged by the counselor), reports (the
//! student's API) and cases (police API) are written through those modules, and the scores and
//! the "top N % most exposed" audience follow the formula of docs/CAMPAIGNS.md:
//! `100 × (0.5·C + 0.3·W + 0.2·R)`.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

const RW: &[Scope] = &[Scope::CampaignsRead, Scope::CampaignsWrite];
const DAY: i64 = 86_400_000;
/// A rebate-task lure ("part-time order brushing, advance money, commission back").
const REBATE: &str =
    "兼职刷单日结，先垫付货款，完成任务立返佣金，本金加提成当天返还，加QQ 2847561039 领取任务";

/// Scores of a unit's students for rebate_task, by student number.
async fn scores(app: &TestApp, unit: &str) -> Vec<(String, f64)> {
    let t = app.token("admin1", RW).await;
    let r = app
        .api_get(
            &t,
            &format!("/api/v1/campaigns/exposure?unit={unit}&fraud_type=rebate_task"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let by_id: std::collections::BTreeMap<i64, &String> = app
        .fx
        .students
        .iter()
        .map(|(no, id)| (id.get(), no))
        .collect();
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                by_id[&e["student_id"].as_i64().unwrap()].clone(),
                e["score"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn score_of(v: &[(String, f64)], no: &str) -> f64 {
    v.iter()
        .find(|(n, _)| n == no)
        .map(|(_, s)| *s)
        .unwrap_or(-1.0)
}

#[track_caller]
fn near(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() < 0.01, "{what}: got {got}, want {want}");
}

/// The "top N %" audience of SCH1 for rebate_task, as preview: (size, sampled student numbers).
async fn top(app: &TestApp, pct: f64) -> (StatusCode, i64, Vec<String>) {
    let t = app.token("admin1", RW).await;
    let (s, p) = post_json_read(
        app,
        &t,
        "/api/v1/campaigns/preview",
        json!({"unit": "SCH1", "fraud_type": "rebate_task", "audience": {"top_exposed_percent": pct}}),
    )
    .await;
    let by_id: std::collections::BTreeMap<i64, &String> = app
        .fx
        .students
        .iter()
        .map(|(no, id)| (id.get(), no))
        .collect();
    let sample = p["sample"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let id: i64 = e["person"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches("student:")
                        .parse()
                        .unwrap();
                    by_id[&id].clone()
                })
                .collect()
        })
        .unwrap_or_default();
    (s, p["size"].as_i64().unwrap_or(0), sample)
}

// SCH1's students: A 2023010101 (male, CS, CLS1A1, student1), B 2023010102 (female, CS),
// C 2023010201 (male, CS, CLS1A2), D 2023020101 (female, maths, student2).
const A: &str = "2023010101";
const B: &str = "2023010102";
const C: &str = "2023010201";
const D: &str = "2023020101";

#[tokio::test]
async fn scores_follow_real_checks_warnings_reports_and_cases() {
    let app = spawn_seeded().await;
    // Nothing recorded: everyone scores 0 and a "top 10 %" audience is empty.
    let s = scores(&app, "SCH1").await;
    assert_eq!(s.len(), 4);
    assert!(s.iter().all(|(_, v)| *v == 0.0), "{s:?}");
    let (st, size, _) = top(&app, 10.0).await;
    assert_eq!((st, size), (StatusCode::OK, 0));

    // (d) A checks a rebate lure on the check page: a high risk check of the type, and the
    // follow-up warning it raises for the counselor is unhandled: W = ½, R = ⅓.
    let a = app.login("student1").await;
    let csrf = app.page_csrf(&a).await;
    let r = a
        .post(app.url("/check"))
        .form(&[("q", REBATE), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sid_a = app.fx.student(A);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM risk_checks WHERE student_id = {sid_a} AND fraud_type = 'rebate_task' AND level = 'high'")).await,
        1,
        "the check is recorded as a high rebate_task check"
    );
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM warnings WHERE student_id = {sid_a} AND fraud_type = 'rebate_task' AND status = 'open'")).await,
        1
    );
    let s = scores(&app, "SCH1").await;
    let a_signals = 100.0 * (0.3 * 0.5 + 0.2 / 3.0);
    near(score_of(&s, A), a_signals, "A after the check");
    for p in [B, C, D] {
        assert_eq!(score_of(&s, p), 0.0, "{p}");
    }
    let (st, size, sample) = top(&app, 10.0).await;
    assert_eq!((st, size), (StatusCode::OK, 1));
    assert_eq!(sample, vec![A.to_string()]);

    // (c) The police warn about C: one unhandled warning, W = ½. Acknowledged by the counselor,
    // it no longer counts.
    let police = app
        .token("police1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let (st, w) = post_json_read(
        &app,
        &police,
        "/api/v1/warnings",
        json!({"phone": "13800001121", "fraud_type": "rebate_task", "severity": "high",
               "detail": "在刷单群里被拉去垫付", "source": "96110"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{w}");
    // A warning of another type does not count toward rebate_task.
    let (st, _) = post_json_read(
        &app,
        &police,
        "/api/v1/warnings",
        json!({"phone": "13800001121", "fraud_type": "fake_loan", "severity": "high",
               "detail": "网贷客服来电", "source": "96110"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let s = scores(&app, "SCH1").await;
    near(score_of(&s, C), 15.0, "C with one open warning");
    let (_, size, sample) = top(&app, 50.0).await;
    assert_eq!(size, 2);
    assert_eq!(sample, vec![A.to_string(), C.to_string()]);
    let counselor = app
        .token("counselor3", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let (st, _) = post_json_read(
        &app,
        &counselor,
        &format!("/api/v1/warnings/{}/acknowledge", w["id"]),
        json!({}),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    near(
        score_of(&scores(&app, "SCH1").await, C),
        0.0,
        "C once acknowledged",
    );

    // (d) D files a report of a rebate scam without loss: R = ⅓, and the reports module's
    // follow-up warning for the counselor is unhandled: W = ½.
    let d = app
        .token("student2", &[Scope::ReportsRead, Scope::ReportsWrite])
        .await;
    let (st, rep) = post_json_read(
        &app,
        &d,
        "/api/v1/reports",
        json!({"idempotency_key": "exp-1", "fraud_type": "rebate_task",
               "sms": {"sender": "10690012", "content": REBATE, "time": START_MS - 3_600_000},
               "description": "有人拉我刷单，我没有垫付"}),
    )
    .await;
    assert!(st.is_success(), "{rep}");
    let sid_d = app.fx.student(D);
    let d_warnings = app
        .scalar(&format!("SELECT COUNT(*) FROM warnings WHERE student_id = {sid_d} AND fraud_type = 'rebate_task' AND status = 'open'"))
        .await;
    assert_eq!(d_warnings, 1, "the report's follow-up warning");
    let s = scores(&app, "SCH1").await;
    near(score_of(&s, D), a_signals, "D after the report");

    // (a) A recorded case: B (2023, CS, female) was a victim. School base rate ¼; smoothed
    // rates: B's cohort (1 + 20·¼)/(1 + 20) = 6/21, A and C's (0 + 5)/(2 + 20) = 5/22,
    // D's (0 + 5)/(1 + 20) = 5/21; C = rate / (6/21).
    let cases = app
        .token("police1", &[Scope::CasesRead, Scope::CasesWrite])
        .await;
    let case = |no: &str, fraud: &str, unit: &str| {
        json!({"unit": unit, "student_no": no, "fraud_type": fraud, "channel": "qq",
               "occurred_at": "2025-02-14 21:30", "amount_lost": "3000", "amount_recovered": "0",
               "status": "open", "narrative": "受害人在QQ群看到刷单广告，垫付后无法提现。", "indicators": []})
    };
    let (st, c1) = post_json_read(
        &app,
        &cases,
        "/api/v1/cases",
        case(B, "rebate_task", "SCH1"),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{c1}");
    let c_male_cs = 50.0 * (5.0 / 22.0) / (6.0 / 21.0);
    let c_female_maths = 50.0 * (5.0 / 21.0) / (6.0 / 21.0);
    let expect = |s: &[(String, f64)], when: &str| {
        near(score_of(s, A), c_male_cs + a_signals, &format!("A {when}"));
        near(score_of(s, B), 50.0, &format!("B {when}"));
        near(score_of(s, C), c_male_cs, &format!("C {when}"));
        near(
            score_of(s, D),
            c_female_maths + a_signals,
            &format!("D {when}"),
        );
    };
    expect(&scores(&app, "SCH1").await, "after the case");
    // The same victim again, a case of another type and a case in another school change nothing.
    let (st, _) = post_json_read(
        &app,
        &cases,
        "/api/v1/cases",
        case(B, "rebate_task", "SCH1"),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, _) = post_json_read(&app, &cases, "/api/v1/cases", case(A, "fake_loan", "SCH1")).await;
    assert_eq!(st, StatusCode::CREATED);
    let police2 = app
        .token("police2", &[Scope::CasesRead, Scope::CasesWrite])
        .await;
    let (st, _) = post_json_read(
        &app,
        &police2,
        "/api/v1/cases",
        case("2023510101", "rebate_task", "SCH2"),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    expect(&scores(&app, "SCH1").await, "after unrelated cases");
    // A class's list uses the school's cohort rates: the same scores, fewer people.
    let cls = scores(&app, "CLS1A1").await;
    assert_eq!(cls.len(), 2);
    near(
        score_of(&cls, A),
        c_male_cs + a_signals,
        "A in the class list",
    );
    near(score_of(&cls, B), 50.0, "B in the class list");
    // Ranking D > A > B > C: top 25 % is D, top 50 % D and A, in that order.
    let (_, size, sample) = top(&app, 25.0).await;
    assert_eq!((size, sample), (1, vec![D.to_string()]));
    let (_, size, sample) = top(&app, 50.0).await;
    assert_eq!((size, sample), (2, vec![D.to_string(), A.to_string()]));
    // Other filters narrow who is ranked: among the CS students only, top 50 % is A and B.
    let admin = app.token("admin1", RW).await;
    let (_, p) = post_json_read(
        &app,
        &admin,
        "/api/v1/campaigns/preview",
        json!({"unit": "SCH1", "fraud_type": "rebate_task",
               "audience": {"top_exposed_percent": 50.0, "majors": ["计算机科学"]}}),
    )
    .await;
    assert_eq!(p["size"], 2, "{p}");

    // A campaign to the top 25 % reaches D only.
    let content = published_rebate_content(&app).await;
    let (st, camp) = post_json_read(
        &app,
        &admin,
        "/api/v1/campaigns",
        json!({"unit": "SCH1", "title": "刷单高危学生提醒", "content_id": content,
               "fraud_type": "rebate_task", "audience": {"top_exposed_percent": 25.0}}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{camp}");
    app.runner.run_until_idle().await.unwrap();
    let cid = camp["id"].as_i64().unwrap();
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM campaign_deliveries WHERE campaign_id = {cid}"
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) FROM campaign_deliveries WHERE campaign_id = {cid} AND student_id = {sid_d}")).await,
        1
    );

    // 181 days later the check and the report are out of the 180-day window; the open warnings
    // and the cases still count.
    app.state.clock.advance_ms(181 * DAY);
    let s = scores(&app, "SCH1").await;
    near(score_of(&s, A), c_male_cs + 15.0, "A after the window");
    near(score_of(&s, D), c_female_maths + 15.0, "D after the window");
}

/// Police write, the school admin publishes a rebate_task article; returns its id.
async fn published_rebate_content(app: &TestApp) -> i64 {
    let police = app.token("police1", RW).await;
    let admin = app.token("admin1", RW).await;
    let (s, c) = post_json_read(
        app,
        &police,
        "/api/v1/campaigns/contents",
        json!({"unit": "SCH1", "kind": "article", "title": "刷单返利防范",
               "body_md": "先垫付的刷单都是诈骗。", "fraud_types": ["rebate_task"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    let (s, _) = post_json_read(
        app,
        &police,
        &format!("/api/v1/campaigns/contents/{id}/submit"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, c) = post_json_read(
        app,
        &admin,
        &format!("/api/v1/campaigns/contents/{id}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    id
}

#[tokio::test]
async fn the_exposure_list_refuses_bad_input_and_roles_without_campaigns() {
    let app = spawn_seeded().await;
    let admin = app.token("admin1", RW).await;
    for q in [
        "unit=SCH1&fraud_type=nonsense",
        "unit=SCH1&fraud_type=normal",
    ] {
        let r = app
            .api_get(&admin, &format!("/api/v1/campaigns/exposure?{q}"))
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{q}");
    }
    // Another school's unit: not in scope.
    let r = app
        .api_get(
            &admin,
            "/api/v1/campaigns/exposure?unit=SCH2&fraud_type=rebate_task",
        )
        .await;
    assert!(
        matches!(r.status(), StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{}",
        r.status()
    );
    // The targeting form says which inputs count, quiz answers among them.
    let c = app.login("admin1").await;
    let (s, page) = app.get(&c, "/campaigns/new").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("id=\"exposure-inputs\"") && page.contains("测验题的答错比例"),
        "{page}"
    );
    // Counselors see reach but do not rank students for targeting; students never do.
    for who in ["counselor1", "student1"] {
        let t = app.token(who, RW).await;
        let r = app
            .api_get(
                &t,
                "/api/v1/campaigns/exposure?unit=CLS1A1&fraud_type=rebate_task",
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
}

//! A partner's warning about nobody on a roster is kept for the police of the partner's region:
//! those police find it in their identification queue, open it (in people's words) and attach a
//! student; schools and counselors never see it.

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::json;

/// A bank's signal about a phone number on no roster, matched (to nobody) by the intake job.
async fn signal_about_nobody(app: &TestApp) -> i64 {
    let t = app
        .token("partner1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let (s, r) = post_json_read(
        app,
        &t,
        "/api/v1/mules/signals",
        json!({"reference": "BANK-N1", "phone": "13999990000", "account_kind": "bank_card",
               "pattern": "large_flows", "detail": "近7日23笔陌生转入"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    app.runner.run_until_idle().await.unwrap();
    let id = r["id"].as_i64().unwrap();
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warnings WHERE id = {id} AND status = 'unidentified' \
             AND school_id IS NULL"
        ))
        .await,
        1
    );
    id
}

#[tokio::test]
async fn the_police_of_the_region_open_a_signal_about_nobody_and_attach_a_student() {
    let app = spawn_seeded().await;
    let id = signal_about_nobody(&app).await;
    let police = app.login("police1").await;
    // In the identification queue of the police overview, with a link to it.
    let (s, html) = app.get(&police, "/warnings/overview").await;
    assert_eq!(s, StatusCode::OK);
    let queue = between(&html, "id=\"queue\"", "</table>").expect("a queue");
    assert!(
        queue.contains(&format!("href=\"/warnings/{id}\"")),
        "{queue}"
    );
    assert!(queue.contains("13999990000"), "{queue}");
    // The page of the warning, in people's words, with the form that attaches a student.
    let (s, html) = app.get(&police, &format!("/warnings/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let main = between(&html, "<main", "</main>").expect("main");
    assert!(main.contains("13999990000"), "{main}");
    assert!(main.contains("银行卡"), "{main}");
    assert!(main.contains(&format!("action=\"/warnings/{id}/identify\"")));
    for key in [
        "mule_risk",
        "unidentified",
        "bank_card",
        "large_flows",
        "partner",
    ] {
        assert!(!main.contains(&format!(">{key}<")), "{key} shown: {main}");
    }
    // The same warning through the API.
    let tk = app
        .token("police1", &[Scope::WarningsRead, Scope::WarningsWrite])
        .await;
    let (s, d) = get_json(&app, &tk, &format!("/api/v1/warnings/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["warning"]["id"], id);
    assert_eq!(d["warning"]["status"], "unidentified");
    // Attaching a student from the page routes it down that student's chain.
    let (s, to) = app
        .post_form(
            &police,
            &format!("/warnings/{id}/identify"),
            &[("student_no", "2023010101")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{to}");
    let (s, d) = get_json(&app, &tk, &format!("/api/v1/warnings/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["warning"]["status"], "open");
    assert_eq!(
        d["warning"]["student_id"],
        app.fx.student("2023010101").get()
    );
    // Now the counselor of that student has it.
    let counselor = app.token("counselor1", &[Scope::WarningsRead]).await;
    let (s, mine) = get_json(&app, &counselor, "/api/v1/warnings/mine").await;
    assert_eq!(s, StatusCode::OK);
    assert!(mine.as_array().unwrap().iter().any(|w| w["id"] == id));
    // Every read of it by staff was audited.
    assert!(!app.audit("person.view").await.is_empty());
}

#[tokio::test]
async fn schools_and_counselors_cannot_see_or_attach_a_signal_about_nobody() {
    let app = spawn_seeded().await;
    let id = signal_about_nobody(&app).await;
    for who in ["admin1", "counselor1", "leader1"] {
        let c = app.login(who).await;
        let (s, _) = app.get(&c, &format!("/warnings/{id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who}");
        let (s, html) = app.get(&c, "/warnings/overview").await;
        if s == StatusCode::OK {
            assert!(!html.contains(&format!("/warnings/{id}\"")), "{who}");
        }
        let tk = app
            .token(who, &[Scope::WarningsRead, Scope::WarningsWrite])
            .await;
        let (s, _) = get_json(&app, &tk, &format!("/api/v1/warnings/{id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who}");
        let r = post_json(
            &app,
            &tk,
            &format!("/api/v1/warnings/{id}/identify"),
            json!({"student_no": "2023010101"}),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who}");
    }
    // The partner that sent it reads its receipt only.
    let t = app
        .token("partner1", &[Scope::WarningsWrite, Scope::WarningsRead])
        .await;
    let (s, r) = get_json(&app, &t, &format!("/api/v1/warnings/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["status"], "processed", "{r}");
    assert!(r.get("warning").is_none(), "{r}");
    // Nothing changed.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM warnings WHERE id = {id} AND status = 'unidentified' \
             AND student_id IS NULL"
        ))
        .await,
        1
    );
}

//! Police triage: clusters, confirm, merge, assign and reply.

use super::*;

#[tokio::test]
pub(super) async fn police_triage_clusters_confirm_merge_assign_and_reply() {
    let app = spawn_seeded().await;
    let s1 = app.token("student1", &rw()).await;
    let s2 = app.token("student2", &rw()).await;
    let id1 = post_json(&app, &s1, "/api/v1/reports", call_report("t-1"))
        .await
        .json::<Value>()
        .await
        .unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let id2 = post_json(
        &app,
        &s2,
        "/api/v1/reports",
        json!({"idempotency_key": "t-2", "call": {"number": "17088886666"}}),
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let id3 = post_json(
        &app,
        &s2,
        "/api/v1/reports",
        json!({"idempotency_key": "t-3", "link": {"address": "http://other-scam.top/x"}}),
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["report_id"]
        .as_i64()
        .unwrap();
    let p = app.token("police1", &Scope::ALL).await;
    let cl: Value = app
        .api_get(&p, "/api/v1/reports/clusters")
        .await
        .json()
        .await
        .unwrap();
    let first = &cl[0];
    assert_eq!(first["size"], 2, "{cl}");
    assert_eq!(first["report_ids"], json!([id1, id2]));
    assert!(first["shared"]
        .as_array()
        .unwrap()
        .contains(&json!("phone:17088886666")));
    assert_eq!(cl[1]["report_ids"], json!([id3]));
    // Confirm: indicators confirmed in the store.
    let tri = |id: i64| format!("/api/v1/reports/{id}/triage");
    let r: Value = post_json(&app, &p, &tri(id1), json!({"decision": "confirm"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["report"]["status"], "confirmed");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM indicators WHERE kind = 'phone' AND value = '17088886666' AND status = 'confirmed'").await, 1);
    // Merge, bad merges refused.
    assert_eq!(
        post_json(
            &app,
            &p,
            &tri(id2),
            json!({"decision": "merge", "into": id2})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        post_json(
            &app,
            &p,
            &tri(id2),
            json!({"decision": "merge", "into": 999_999})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r: Value = post_json(
        &app,
        &p,
        &tri(id2),
        json!({"decision": "merge", "into": id1}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(r["report"]["status"], "merged");
    assert_eq!(r["report"]["merged_into"].as_i64(), Some(id1));
    // Not fraud; assign (only to police); reply to the reporter's inbox.
    let r: Value = post_json(&app, &p, &tri(id3), json!({"decision": "not_fraud"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["report"]["status"], "not_fraud");
    let counselor = app.fx.account("counselor1");
    assert_eq!(
        post_json(
            &app,
            &p,
            &tri(id1),
            json!({"decision": "assign", "officer": counselor})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let officer = app.fx.account("police1");
    let r: Value = post_json(
        &app,
        &p,
        &tri(id1),
        json!({"decision": "assign", "officer": officer}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(r["report"]["assigned_to"].as_i64(), Some(officer.get()));
    assert_eq!(
        post_json(
            &app,
            &p,
            &tri(id1),
            json!({"decision": "reply", "text": "  "})
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = post_json(
        &app,
        &p,
        &tri(id1),
        json!({"decision": "reply", "text": "已核实，号码已封停，感谢举报。"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let me = app.fx.account("student1");
    assert_eq!(
        inbox_count(&app, &format!("account:{me}"), "警方回复%").await,
        1
    );
    assert_eq!(
        post_json(&app, &p, &tri(id1), json!({"decision": "dance"}))
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.audit("reports.triage").await.len(), 5);
}

//! `fanzha demo` shows the module: a bank's signal handled by the counselor (card closed), one
//! still open, one about nobody kept for the police, a lure checked by a student, a suspect case
//! in last month's briefing, and the starter lesson and article on 两卡 and the law.

use crate::common::*;

#[tokio::test]
async fn the_demo_seeds_a_handled_signal_a_lure_check_and_a_suspect_in_a_briefing() {
    let app = spawn_app().await;
    let scale = fanzha::demo::Scale::parse("school").unwrap();
    fanzha::demo::seed(&app.state.db, &app.state.clock, scale)
        .await
        .unwrap();
    let n = |sql: &'static str| app.scalar(sql);
    assert_eq!(
        n(
            "SELECT COUNT(*) FROM warnings w JOIN mule_signals m ON m.warning_id = w.id \
           WHERE w.kind = 'mule_risk' AND w.outcome = 'card_closed' AND w.contacted_at IS NOT NULL \
           AND m.account_kind = 'bank_card'"
        )
        .await,
        1
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM warnings WHERE kind = 'mule_risk' AND status = 'open'").await,
        1
    );
    assert_eq!(
        n(
            "SELECT COUNT(*) FROM warnings WHERE kind = 'mule_risk' AND status = 'unidentified' \
           AND school_id IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM risk_checks WHERE fraud_type = 'mule_recruitment' AND level <> 'none'")
            .await,
        1
    );
    let suspect: i64 =
        n("SELECT id FROM cases WHERE person_role = 'suspect' AND lent_account = 'bank_card'")
            .await;
    let ids: Vec<String> = sqlx::query_scalar("SELECT case_ids FROM case_briefings")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    assert!(
        ids.iter().any(|s| serde_json::from_str::<Vec<i64>>(s)
            .unwrap_or_default()
            .contains(&suspect)),
        "{ids:?}"
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM learning_lessons WHERE title LIKE '%两卡%帮信罪%'").await,
        1
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM campaign_contents WHERE title LIKE '%两卡%'").await,
        1
    );
    // Adopted the way every school adopts it, and the article was approved by the police.
    assert_eq!(
        n("SELECT COUNT(*) FROM mule_starter_adoptions WHERE target_id IS NOT NULL").await,
        2
    );
    assert_eq!(
        n("SELECT COUNT(*) FROM campaign_contents c JOIN mule_starter_adoptions a ON a.target_id = c.id \
           AND a.item = 'article' WHERE c.status = 'published'")
        .await,
        1
    );
    // Seeding again adds nothing.
    fanzha::mules::demo::seed(&app.state.db, &app.state.clock)
        .await
        .unwrap();
    assert_eq!(n("SELECT COUNT(*) FROM mule_signals").await, 3);
    assert_eq!(n("SELECT COUNT(*) FROM mule_starter_adoptions").await, 2);
    assert_eq!(
        n("SELECT COUNT(*) FROM campaign_contents WHERE title LIKE '%两卡%'").await,
        1
    );
}

//! Prevention: the exposure score to money-mule recruitment selects the students with an open
//! mule-risk warning and those who checked a recruitment lure, above everybody else.

use super::signals::{partner, zhangsan_card};
use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;

const LURE: &str = "校园兼职：出租闲置银行卡，一张每月500元，只用来走账刷流水，另收微信号、支付宝实名号，需配合刷脸，加QQ详聊";

#[tokio::test]
async fn targeting_by_mule_recruitment_selects_signalled_students_and_lure_checkers() {
    let app = spawn_seeded().await;
    // 张三: a bank signal, still open.
    let t = partner(&app).await;
    let (s, _) = post_json_read(&app, &t, "/api/v1/mules/signals", zhangsan_card("BANK-P1")).await;
    assert_eq!(s, StatusCode::CREATED);
    app.runner.run_until_idle().await.unwrap();
    // 赵六 (student2) checks a lure: told what it is and that taking part is a crime.
    let c = app.login("student2").await;
    let (s, html) = app.post_form(&c, "/check", &[("q", LURE)]).await;
    assert!(s.is_redirection() || s == StatusCode::OK, "{s}");
    let page = if s.is_redirection() {
        app.get(&c, &html).await.1
    } else {
        html
    };
    assert!(page.contains("id=\"check-mule-crime\""), "{page}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM risk_checks WHERE fraud_type = 'mule_recruitment' AND student_id = {}",
            app.fx.student("2023020101")
        ))
        .await,
        1
    );
    let admin = app
        .token("admin1", &[Scope::CampaignsRead, Scope::CampaignsWrite])
        .await;
    let (s, v) = get_json(
        &app,
        &admin,
        "/api/v1/campaigns/exposure?unit=SCH1&fraud_type=mule_recruitment",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let rows = v.as_array().unwrap();
    let score = |no: &str| {
        rows.iter()
            .find(|r| r["student_id"] == app.fx.student(no).get())
            .and_then(|r| r["score"].as_f64())
            .unwrap_or(0.0)
    };
    let (zhang, zhao, li) = (
        score("2023010101"),
        score("2023020101"),
        score("2023010102"),
    );
    assert!(zhang > li && zhao > li, "{zhang} {zhao} {li}: {v}");
    let top: Vec<i64> = rows
        .iter()
        .take(2)
        .map(|r| r["student_id"].as_i64().unwrap())
        .collect();
    assert!(
        top.contains(&app.fx.student("2023010101").get())
            && top.contains(&app.fx.student("2023020101").get()),
        "{v}"
    );
}

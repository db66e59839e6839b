//! Demo data of the intelligence module: indicators (some police-confirmed, one amber, one red,
//! one reported by mistake), a few risk checks by the first demo student, and one review item.

use fanzha_detect::FraudType;
use sqlx::AnyConnection;

use super::check::{self, Input};
use super::index::{Compact, Index};
use super::model::{FraudTypes, IndicatorKey, Status, Tlp};
use super::service::{self, By};
use super::store;
use crate::audit::Actor;
use crate::clock::Clock;

/// (kind, value, status, fraud type, sightings, sharing level)
const INDICATORS: &[(&str, &str, Status, FraudType, i64, Tlp)] = &[
    (
        "phone",
        "17088886666",
        Status::Confirmed,
        FraudType::ImpersonatePolice,
        14,
        Tlp::Green,
    ),
    (
        "phone",
        "4008123456",
        Status::Confirmed,
        FraudType::ImpersonateCustomerService,
        9,
        Tlp::Clear,
    ),
    (
        "url",
        "http://jd-refund.top/claim",
        Status::Confirmed,
        FraudType::ImpersonateCustomerService,
        6,
        Tlp::Green,
    ),
    (
        "domain",
        "jd-refund.top",
        Status::Confirmed,
        FraudType::ImpersonateCustomerService,
        6,
        Tlp::Green,
    ),
    (
        "domain",
        "quick-loan-cn.xyz",
        Status::Suspected,
        FraudType::FakeLoan,
        4,
        Tlp::Amber,
    ),
    (
        "qq",
        "2847561039",
        Status::Reported,
        FraudType::RebateTask,
        5,
        Tlp::Green,
    ),
    (
        "wechat",
        "tb_kefu888",
        Status::Reported,
        FraudType::ImpersonateCustomerService,
        3,
        Tlp::Green,
    ),
    (
        "wechat",
        "licai_teacher01",
        Status::Suspected,
        FraudType::FakeInvestment,
        2,
        Tlp::Red,
    ),
    (
        "bank_card",
        "6222020200112233446",
        Status::Confirmed,
        FraudType::ImpersonatePolice,
        3,
        Tlp::Amber,
    ),
    (
        "app",
        "云上会议Pro",
        Status::Reported,
        FraudType::ImpersonateCustomerService,
        1,
        Tlp::Green,
    ),
    (
        "ip",
        "203.0.113.77",
        Status::Reported,
        FraudType::GameTrade,
        1,
        Tlp::Green,
    ),
    (
        "phone",
        "13800138000",
        Status::Reported,
        FraudType::OtherFraud,
        2,
        Tlp::Green,
    ),
    // A known false positive and an indicator without a fraud type shared inside the
    // organisation only: exports hold the first revoked and never the second.
    (
        "url",
        "http://campus-card.example.edu.cn/pay",
        Status::Cleared,
        FraudType::Normal,
        2,
        Tlp::Green,
    ),
    (
        "wechat",
        "loan_helper_2025",
        Status::Suspected,
        FraudType::Normal,
        1,
        Tlp::AmberStrict,
    ),
];

const CHECKS: &[&str] = &[
    "17088886666",
    "【京东客服】您的订单商品存在质量问题,可办理双倍赔付,请访问 http://jd-refund.top/claim 并加微信 tb_kefu888",
    "同学们好,明天下午三点在教学楼201开班会,请准时参加。",
    "13800138000",
];

/// Seeds inside the demo's transaction.
pub async fn seed(tx: &mut AnyConnection, clock: &Clock) -> anyhow::Result<()> {
    let police_path: Option<String> =
        sqlx::query_scalar("SELECT MIN(path) FROM units WHERE kind = 'police_station'")
            .fetch_one(&mut *tx)
            .await?;
    let by = By {
        actor: Actor::cli("demo"),
        unit_path: police_path.unwrap_or_else(|| "/".into()),
    };
    let index = Index::default();
    for (kind, value, status, t, sightings, tlp) in INDICATORS {
        let mut id = 0;
        for n in 0..*sightings {
            id = service::record_sighting(
                tx,
                clock,
                kind,
                value,
                &[*t],
                &format!("report:demo-{n}"),
            )
            .await?;
        }
        let i = service::decide(
            tx,
            clock,
            &by,
            id,
            Some(*status),
            FraudTypes::default(),
            Some(*tlp),
        )
        .await?;
        let key = IndicatorKey::parse(kind, value).map_err(anyhow::Error::msg)?;
        index.set(
            key.kind(),
            key.value(),
            Some(Compact::new(
                i.status,
                i.tlp,
                FraudTypes::from_list(&i.fraud_types).unwrap_or_default(),
                i.sightings,
            )),
        );
    }
    let student: Option<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT a.id, a.student_id FROM accounts a WHERE a.student_id IS NOT NULL ORDER BY a.id LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some((account, student_id)) = student else {
        return Ok(());
    };
    let engine = fanzha_detect::Engine::builtin();
    let mut last = 0;
    for text in CHECKS {
        let input = Input::text(text).map_err(|(k, _)| anyhow::anyhow!(k))?;
        let a = check::check(&engine, &index, &input, false);
        last = store::insert_check(
            tx,
            &store::NewCheck {
                account_id: account,
                student_id,
                input_kind: input.kind_id(),
                text,
                text_hash: &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes())),
                level: &a.level,
                fraud_type: &a.fraud_type,
                risk_pm: (a.risk * 1000.0).round() as i64,
                result: &serde_json::to_string(&a)?,
            },
            clock.now_ms(),
        )
        .await?;
    }
    store::insert_review(
        tx,
        last,
        account,
        "false_positive",
        "这是我同学的号码",
        clock.now_ms(),
    )
    .await?;
    Ok(())
}

//! Demo data of the intelligence module: indicators (some police-confirmed, one amber, one red,
//! one reported by mistake), a few risk checks by demo students (some SMS with their sender), and
//! three "wrong result" reports waiting for police review.

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

/// Risk checks of demo students: (text, sender of a pasted SMS, a "wrong result" report with its
/// comment). The reports wait in the police review queue.
#[allow(clippy::type_complexity)]
const CHECKS: &[(&str, Option<&str>, Option<(&str, &str)>)] = &[
    ("17088886666", None, None),
    (
        "【京东客服】您的订单商品存在质量问题,可办理双倍赔付,请访问 http://jd-refund.top/claim 并加微信 tb_kefu888",
        Some("16533218870"),
        None,
    ),
    ("同学们好,明天下午三点在教学楼201开班会,请准时参加。", None, None),
    (
        "【中国移动】尊敬的客户，您的话费积分12680分将于今日清零，请登录 10086-jifen.top 兑换现金红包",
        Some("10691234567"),
        Some(("false_negative", "这是骗子短信，移动官方不会用这个网址")),
    ),
    (
        "您好，您在本店购买的快递已丢失，我们将为您办理三倍理赔，请添加理赔专员QQ 2847561039 办理",
        Some("17155556666"),
        Some(("false_negative", "室友收到过一样的，是骗子")),
    ),
    (
        "13800138000",
        None,
        Some(("false_positive", "这是我同学的号码")),
    ),
];

/// Seeds inside the demo's transaction.
pub async fn seed(tx: &mut AnyConnection, clock: &Clock) -> anyhow::Result<()> {
    let police_path = crate::org::store::demo::first_path_of_kind(tx, "police_station").await?;
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
    let students = crate::auth::store::demo::first_student_accounts(tx, 3).await?;
    if students.is_empty() {
        return Ok(());
    }
    let engine = fanzha_detect::Engine::builtin();
    for (n, (text, sender, wrong)) in CHECKS.iter().enumerate() {
        // The first student made most checks; the reports come from different students.
        let (account, student_id) = match wrong {
            Some(_) => students[n % students.len()],
            None => students[0],
        };
        let input = Input::text(text).map_err(|(k, _)| anyhow::anyhow!(k))?;
        let a = check::check_with(
            &engine,
            super::learn::BUILTIN,
            &index,
            &input,
            *sender,
            false,
        );
        let id = store::insert_check(
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
                model_version: &a.model_version,
                sender: a.sender.as_deref(),
            },
            clock.now_ms(),
        )
        .await?;
        if let Some((claim, comment)) = wrong {
            store::insert_review(tx, id, account, claim, comment, clock.now_ms()).await?;
        }
    }
    Ok(())
}

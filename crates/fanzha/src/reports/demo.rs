//! Demo data of the reports module: reports by the first demo students (a call and SMS of an
//! impersonated customer service, a rebate task over QQ) that share indicators with each other and
//! with the indicator store, so the police see a cluster; and one loss with an open stop-payment
//! request, so the queue and the student's "call 110 / 96110" screen have something to show.

use sqlx::AnyConnection;

use super::model::{
    self, CallSection, ReportInput, Sections, SmsSection, SocialSection, TransactionSection,
};
use super::service::{self, Deadlines, Reporter};
use crate::audit::Actor;
use crate::clock::Clock;

/// Seeds inside the demo's transaction.
pub async fn seed(tx: &mut AnyConnection, clock: &Clock) -> anyhow::Result<()> {
    let students = super::store::student_accounts(tx, 4).await?;
    let now = clock.now_ms();
    let actor = Actor::cli("demo");
    for (n, (account, student)) in students.iter().enumerate() {
        let (path, class, school) = service::student_place(tx, *student)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let reporter = Reporter {
            account_id: *account,
            student_id: Some(*student),
            school_id: Some(school),
            class_id: Some(class),
            unit_path: path,
        };
        let input = match n {
            0 => ReportInput {
                idempotency_key: "demo-1".into(),
                sections: Sections {
                    call: Some(CallSection { number: "4008123456".into(), time: Some(now - 3 * 3_600_000), duration_seconds: Some(540) }),
                    sms: Some(SmsSection {
                        sender: "10690012".into(),
                        content: "【京东客服】您的订单商品存在质量问题,可办理双倍赔付,请访问 http://jd-refund.top/claim 并加微信 tb_kefu888".into(),
                        time: Some(now - 4 * 3_600_000),
                    }),
                    ..Default::default()
                },
                description: "自称京东客服，说要给我双倍赔付，让我下载会议软件。我没有转账。".into(),
                ..Default::default()
            },
            1 => ReportInput {
                idempotency_key: "demo-2".into(),
                sections: Sections {
                    call: Some(CallSection { number: "4008123456".into(), time: Some(now - 26 * 3_600_000), duration_seconds: Some(300) }),
                    ..Default::default()
                },
                description: "同样的客服电话，说我的百万保障要扣费。".into(),
                ..Default::default()
            },
            2 => ReportInput {
                idempotency_key: "demo-3".into(),
                sections: Sections {
                    social: Some(SocialSection { platform: "qq".into(), account: "2847561039".into() }),
                    ..Default::default()
                },
                description: "QQ群里招刷单兼职，先垫付再返佣金。".into(),
                fraud_type: Some("rebate_task".into()),
                ..Default::default()
            },
            _ => ReportInput {
                idempotency_key: "demo-4".into(),
                sections: Sections {
                    call: Some(CallSection { number: "17088886666".into(), time: Some(now - 40 * 60_000), duration_seconds: Some(1_800) }),
                    transaction: Some(TransactionSection {
                        payment_type: "bank_card".into(),
                        account: "6222020200112233446".into(),
                        bank: "中国工商银行".into(),
                        amount_cents: Some(2_000_000),
                        time: Some(now - 12 * 60_000),
                    }),
                    ..Default::default()
                },
                description: "对方自称公安局警官，说我涉嫌洗钱，让我把钱转到安全账户。".into(),
                fraud_type: Some("impersonate_police".into()),
                lost_money: true,
                ..Default::default()
            },
        };
        let v = model::validate(&input, now, None)
            .map_err(|e| anyhow::anyhow!("demo report invalid: {e:?}"))?;
        service::file(
            tx,
            clock,
            &actor,
            &reporter,
            &input.idempotency_key,
            &v,
            Deadlines::default(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}

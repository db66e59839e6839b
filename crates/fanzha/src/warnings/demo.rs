//! Demo warnings for `fanzha demo`: two weeks of police warnings about students of the demo
//! counselor (`s001-c01-2023`), acted on at believable speeds, a few missed and escalated, one
//! already lost, one waiting for identification, and two fresh ones with running clocks.

use crate::kernel::ids::WarningId;
use anyhow::anyhow;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::model::{ContactMethod, Money, Outcome};
use super::service::{self, Act, Issuer, WarningInput};
use crate::audit::Actor;
use crate::auth::model::{Principal, Via};
use crate::clock::Clock;
use crate::db::Db;

const MIN: i64 = 60_000;

pub(crate) async fn principal(db: &Db, username: &str) -> anyhow::Result<Option<Principal>> {
    let Some(a) = crate::auth::store::account_by_username(db, username).await? else {
        return Ok(None);
    };
    Ok(Some(Principal {
        account_id: a.id,
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        student_id: a.student_id,
        staff_id: a.staff_id,
        grants: crate::auth::store::grants_of(db, a.id).await?,
        via: Via::Session {
            session_id: String::new(),
            csrf: String::new(),
        },
        time_zone: chrono_tz::Asia::Shanghai,
        locale: "zh-CN".into(),
        must_change_password: false,
    }))
}

/// The station's officer works the stop-payment request a warning's loss report opened: the
/// bank is called within minutes; one transfer is partly frozen, the other was already gone.
async fn police_follow_up(
    db: &Db,
    clock: &Clock,
    police: &Principal,
    warning_id: WarningId,
    i: usize,
) -> anyhow::Result<()> {
    use crate::reports::service::{act_on_stop_payment, SpAction};
    let sp =
        crate::reports::store::stop_payment_id_by_report_key(db, &format!("warning:{warning_id}"))
            .await?;
    let Some(sp) = sp else {
        return Ok(());
    };
    let actor = Actor {
        account_id: Some(police.account_id),
        name: police.username.clone(),
        ip: String::new(),
        request_id: String::new(),
    };
    let last = if i % 20 == 9 {
        SpAction::Frozen(200_000)
    } else {
        SpAction::Failed("资金已被转出至多个二级账户,未能冻结".into())
    };
    for (after, action) in [(4 * MIN, SpAction::BankContacted), (11 * MIN, last)] {
        clock.advance_ms(after);
        let mut tx = db.begin_write().await?;
        act_on_stop_payment(&mut tx, clock, &actor, sp, &action)
            .await
            .map_err(|e| anyhow!("demo stop-payment: {e:?}"))?;
        tx.commit().await?;
    }
    Ok(())
}

/// Seeds the demo warnings; does nothing when the demo accounts are missing.
pub async fn seed(db: &Db, real: &Clock) -> anyhow::Result<()> {
    let (Some(police), Some(counselor)) = (
        principal(db, "police1").await?,
        principal(db, "s001-c01-2023").await?,
    ) else {
        return Ok(());
    };
    let Some(issuer) = Issuer::of(&police) else {
        return Ok(());
    };
    let Some(staff) = counselor.staff_id else {
        return Ok(());
    };
    let phones = crate::org::store::demo::student_phones_of_staff(db, staff, 40).await?;
    if phones.len() < 20 {
        return Ok(());
    }
    let school = crate::org::store::demo::first_school_code(db).await?;
    let now = real.now_ms();
    let clock = Clock::manual(now - 14 * 24 * 60 * MIN);
    let mut rng = StdRng::seed_from_u64(6);
    let actor = Actor::cli("demo");
    let types = [
        (
            "fake_loan",
            "学生正在与自称网贷平台客服的人通话,对方要求先交“解冻费”",
        ),
        ("rebate_task", "学生疑似参与刷单返利,已多次小额转账"),
        (
            "impersonate_customer_service",
            "学生接到冒充电商客服的“退款”电话,正被引导下载会议软件",
        ),
        (
            "impersonate_police",
            "学生接到冒充公检法的电话,被要求转账到“安全账户”",
        ),
        (
            "game_trade",
            "学生在非官方平台交易游戏账号,对方要求先付保证金",
        ),
        ("romance", "学生与网恋对象聊天后被拉进投资群"),
    ];
    for i in 0..20usize {
        clock.advance_ms(rng.gen_range(8..16) * 60 * MIN);
        let (t, detail) = types[i % types.len()];
        let sev = ["high", "medium", "low", "high"][i % 4];
        let input = WarningInput {
            phone: Some(phones[i].0.clone()),
            fraud_type: t.into(),
            severity: sev.into(),
            detail: detail.into(),
            source: "反诈中心 96110 预警".into(),
            ..WarningInput::default()
        };
        let nw = service::parse_input(&input).map_err(|e| anyhow!("demo warning: {e:?}"))?;
        let (w, _) = service::issue_from(db, &clock, &issuer, nw)
            .await
            .map_err(|e| anyhow!("demo warning: {e:?}"))?;
        let act = |a: Act| service::act(db, &clock, &counselor, &actor, w.id, a);
        match i % 10 {
            // Missed: left for the scan to escalate.
            3 => {}
            // Acknowledged late, reached nobody.
            7 => {
                clock.advance_ms(rng.gen_range(40..90) * MIN);
                service::scan(db, &clock)
                    .await
                    .map_err(|e| anyhow!("{e:?}"))?;
                act(Act::Acknowledge).await.map_err(|e| anyhow!("{e:?}"))?;
                act(Act::Outcome {
                    outcome: Outcome::CouldNotReach,
                    loss: None,
                    protected: None,
                    notes: "电话无人接听,室友称其外出".into(),
                    transfer: None,
                })
                .await
                .map_err(|e| anyhow!("{e:?}"))?;
            }
            _ => {
                clock.advance_ms(rng.gen_range(2..9) * MIN);
                act(Act::Acknowledge).await.map_err(|e| anyhow!("{e:?}"))?;
                clock.advance_ms(rng.gen_range(5..40) * MIN);
                let method = [
                    ContactMethod::Phone,
                    ContactMethod::InPerson,
                    ContactMethod::ViaClassmate,
                ][i % 3];
                act(Act::Contact {
                    method,
                    at: clock.now_ms(),
                    notes: "已讲清骗局套路,学生表示不再转账".into(),
                })
                .await
                .map_err(|e| anyhow!("{e:?}"))?;
                let (outcome, loss, protected) = match i % 10 {
                    5 => (Outcome::NotFraud, None, None),
                    9 => (Outcome::AlreadyLost, Money::parse("3200"), None),
                    _ => (
                        Outcome::Dissuaded,
                        None,
                        Money::parse(&format!("{}", rng.gen_range(5..80) * 100)),
                    ),
                };
                // A loss is handed over as a loss report with its stop-payment request.
                let transfer = (outcome == Outcome::AlreadyLost).then(|| service::LossTransfer {
                    payment_type: "bank_card".into(),
                    payee_account: "6222020200112233446".into(),
                    bank: "中国工商银行".into(),
                    transfer_at: Some(clock.now_ms() - 20 * MIN),
                    description: String::new(),
                    deadlines: None,
                });
                act(Act::Outcome {
                    outcome,
                    loss,
                    protected,
                    notes: String::new(),
                    transfer,
                })
                .await
                .map_err(|e| anyhow!("{e:?}"))?;
                if outcome == Outcome::AlreadyLost {
                    police_follow_up(db, &clock, &police, w.id, i).await?;
                }
            }
        }
        service::scan(db, &clock)
            .await
            .map_err(|e| anyhow!("{e:?}"))?;
    }
    // Nobody matches this number: the school admin's identification queue.
    let unknown = WarningInput {
        phone: Some("13912340000".into()),
        school_code: school,
        fraud_type: "fake_investment".into(),
        severity: "medium".into(),
        detail: "该号码与涉诈账户频繁联系,机主疑为在校学生".into(),
        source: "反诈中心".into(),
        ..WarningInput::default()
    };
    if let Ok(nw) = service::parse_input(&unknown) {
        service::issue_from(db, &clock, &issuer, nw)
            .await
            .map_err(|e| anyhow!("{e:?}"))?;
    }
    // Up to now; then two fresh warnings whose clocks are running.
    let behind = now - clock.now_ms() - 30 * MIN;
    if behind > 0 {
        clock.advance_ms(behind);
    }
    service::scan(db, &clock)
        .await
        .map_err(|e| anyhow!("{e:?}"))?;
    for (k, sev) in [(20usize, "high"), (21, "medium")] {
        let input = WarningInput {
            phone: Some(phones[k].0.clone()),
            fraud_type: "impersonate_customer_service".into(),
            severity: sev.into(),
            detail: "学生正在与冒充客服的人通话,对方要求开启屏幕共享".into(),
            source: "反诈中心 96110 预警".into(),
            ..WarningInput::default()
        };
        let nw = service::parse_input(&input).map_err(|e| anyhow!("{e:?}"))?;
        service::issue_from(db, real, &issuer, nw)
            .await
            .map_err(|e| anyhow!("{e:?}"))?;
    }
    Ok(())
}

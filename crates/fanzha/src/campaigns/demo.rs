//! Demo data of campaigns: a reviewed article by the police of the first school's station, a
//! campaign to that school sent through the real fan-out, and a believable reading pattern
//! (most open, fewer acknowledge, some classes lag behind) so the reach page and gap finder
//! have something to show.

use crate::audit::Actor;
use crate::auth::model::{Principal, Via};
use crate::clock::Clock;
use crate::db::jobs::Job;
use crate::db::Db;

use super::model::{AudienceSpec, Question};
use super::service::{self as svc, NewCampaign, NewContent};
use super::store;

async fn principal(db: &Db, username: &str) -> anyhow::Result<Option<Principal>> {
    let Some((id, name)) = crate::auth::store::demo::account_name_by_username(db, username).await?
    else {
        return Ok(None);
    };
    Ok(Some(Principal {
        account_id: id,
        username: username.into(),
        display_name: name,
        student_id: None,
        staff_id: None,
        grants: crate::auth::store::grants_of(db, id).await?,
        via: Via::Session {
            session_id: String::new(),
            csrf: String::new(),
        },
        time_zone: chrono_tz::Asia::Shanghai,
        locale: "zh-CN".into(),
        must_change_password: false,
    }))
}

/// The student login the demo banner shows: their message stays unread for people to try.
const DEMO_STUDENT: &str = "2023001010101";

const ARTICLE: &str = "## 刷单返利,都是骗局\n\n\
“动动手指日赚几百”“先垫付后返佣”——这是最常见的电信网络诈骗之一。前几单小额返利是诱饵,\
一旦你投入大额资金,对方就会以“任务未完成”“账户冻结”为由让你继续转账。\n\n\
**记住三点:**\n\n\
1. 凡是要求先垫付资金的兼职,都是诈骗;\n\
2. 不下载陌生人发来的 App,不进陌生人拉的群;\n\
3. 拿不准时,拨打 96110 咨询,或下载 [国家反诈中心 App](https://www.mps.gov.cn/)。\n";

/// Seeds the campaign demo; does nothing when the demo accounts are absent or campaigns exist.
pub async fn seed(db: &Db, clock: &Clock) -> anyhow::Result<()> {
    let existing = store::demo::count_campaigns(db).await?;
    let (Some(police), Some(admin)) = (
        principal(db, "police1").await?,
        principal(db, "s001-admin").await?,
    ) else {
        return Ok(());
    };
    if existing > 0 {
        return Ok(());
    }
    let Some(school) = admin.grants.first().map(|g| g.unit_code.clone()) else {
        return Ok(());
    };
    let actor = Actor::cli("demo");
    let content = svc::create_content(
        db,
        clock,
        &police,
        &actor,
        &NewContent {
            unit: school.clone(),
            kind: "article".into(),
            title: "刷单返利诈骗防范提示".into(),
            body_md: ARTICLE.into(),
            media_url: None,
            fraud_types: vec!["rebate_task".into()],
            target_hint: "新生、低年级,正在找兼职的同学".into(),
            quiz: vec![Question {
                q: "对方要求先垫付资金才能拿佣金,应该怎么做?".into(),
                choices: vec!["先垫付一小笔试试".into(), "拒绝并拨打 96110 咨询".into()],
                answer: 1,
            }],
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo content: {e}"))?;
    svc::transition(db, clock, &police, &actor, content.id, "submit")
        .await
        .map_err(|e| anyhow::anyhow!("demo submit: {e}"))?;
    svc::transition(db, clock, &admin, &actor, content.id, "publish")
        .await
        .map_err(|e| anyhow::anyhow!("demo publish: {e}"))?;
    let c = svc::create_campaign(
        db,
        clock,
        &admin,
        &actor,
        &NewCampaign {
            unit: school,
            title: "开学季:警惕刷单返利诈骗".into(),
            content_id: content.id,
            fraud_type: "rebate_task".into(),
            audience: AudienceSpec::default(),
            channels: vec![],
            run_at: None,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo campaign: {e}"))?;
    let job = Job {
        id: 0,
        kind: svc::SEND_JOB.into(),
        payload: serde_json::json!({"campaign_id": c.id}),
        attempt: 1,
    };
    svc::fan_out(db, clock, &job)
        .await
        .map_err(|e| anyhow::anyhow!("demo fan-out: {e}"))?;
    store::demo::backdate_campaign(db, c.id, clock.now_ms() - 3 * 86_400_000).await?;
    // Reading over the following days: 4 in 5 open, 3 in 5 acknowledge, 1 in 4 pass the check.
    // Every seventh class reads nothing yet, so the gap finder has work.
    let now = clock.now_ms();
    store::demo::read_since(db, c.id, now - 3 * 86_400_000, DEMO_STUDENT).await?;
    let mut tx = db.begin_write().await?;
    svc::rebuild_reach(&mut tx, c.id)
        .await
        .map_err(|e| anyhow::anyhow!("demo reach: {e}"))?;
    tx.commit().await?;
    review_and_channel(db, clock, &police, &admin, &actor, c.id).await
}

const WAITING: &str = "## 冒充客服退款,先挂电话再核实

“您购买的商品有质量问题,我们给您双倍退款”——接到这样的电话,先挂断,再通过购物平台官方渠道核实。真正的客服不会让你下载屏幕共享软件,也不会让你“刷流水”“开通借款额度”。
";

/// A second article waiting for the school admin's review (its inbox notice included), and the
/// school's DingTalk duty-group robot whose last post was refused, so the review queue and the
/// channels page have something to show.
async fn review_and_channel(
    db: &Db,
    clock: &Clock,
    police: &Principal,
    admin: &Principal,
    actor: &Actor,
    campaign_id: i64,
) -> anyhow::Result<()> {
    let Some(school) = admin.grants.first().map(|g| g.unit_code.clone()) else {
        return Ok(());
    };
    let waiting = svc::create_content(
        db,
        clock,
        police,
        actor,
        &NewContent {
            unit: school.clone(),
            kind: "article".into(),
            title: "冒充电商客服退款诈骗提示".into(),
            body_md: WAITING.into(),
            media_url: None,
            fraud_types: vec!["impersonate_customer_service".into()],
            target_hint: "经常网购的同学".into(),
            quiz: vec![],
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo content in review: {e}"))?;
    svc::transition(db, clock, police, actor, waiting.id, "submit")
        .await
        .map_err(|e| anyhow::anyhow!("demo submit for review: {e}"))?;
    let ch = svc::create_channel(
        db,
        clock,
        admin,
        actor,
        &svc::NewChannel {
            unit: school,
            kind: "dingtalk".into(),
            name: "保卫处值班群(钉钉)".into(),
            // A reserved `.invalid` host: a send from the demo never reaches a real group.
            url:
                "https://dingtalk-robot.demo.invalid/robot/send?access_token=0d3m0t0k3n5a1d2b3c4d5e6f7a8b9c0d"
                    .into(),
            secret: Some(format!("SEC{}", "d3m0".repeat(15))),
            sender: None,
            rate_per_min: None,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo channel: {e}"))?;
    let at = clock.now_ms() - 2 * 86_400_000;
    store::demo::insert_failed_robot_delivery(
        db,
        campaign_id,
        ch.id,
        "robot refused: 310000 sign not match",
        svc::MAX_ATTEMPTS,
        at,
    )
    .await?;
    Ok(())
}

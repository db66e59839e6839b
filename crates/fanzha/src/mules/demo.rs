//! Demo data for `fanzha demo`: the demo bank (`partner-bank`) reports that a student of the
//! demo counselor (`s001-c01-2023`) lets fraud money run through a bank card; the counselor
//! acknowledges, talks to the student in person and records that the card was closed. A second
//! signal (a phone card) is still waiting with its clock running, a third names nobody on a roster
//! and stays with the police. Last month, one student of the station's first school was a suspect
//! (a bank card sold for 800 yuan): a case in last month's briefing. The school admin of the first
//! school adopted the starter content on 两卡 and the law (the article, approved by the police, and
//! the lesson in the school's elective course).

use crate::kernel::ids::WarningId;
use anyhow::anyhow;

use super::model::SignalInput;
use super::service;
use crate::audit::Actor;
use crate::auth::store::demo as auth_demo;
use crate::cases::model::{CaseStatus, Channel, Money, Month, ValidCase, VictimRole};
use crate::clock::Clock;
use crate::db::Db;
use crate::org::store::demo as org_demo;
use crate::warnings::demo::principal;
use crate::warnings::model::{ContactMethod, Outcome};
use crate::warnings::receipts;
use crate::warnings::service::{act, Act, Issuer};

const MIN: i64 = 60_000;

/// Seeds the demo; does nothing when the demo accounts are missing or it ran before.
pub async fn seed(db: &Db, real: &Clock) -> anyhow::Result<()> {
    let (Some(partner), Some(counselor)) = (
        principal(db, "partner-bank").await?,
        principal(db, "s001-c01-2023").await?,
    ) else {
        return Ok(());
    };
    let Some(issuer) = Issuer::of(&partner) else {
        return Ok(());
    };
    let Some(staff) = counselor.staff_id else {
        return Ok(());
    };
    let students = org_demo::newest_students_with_phone_of_staff(db, staff).await?;
    if students.len() < 2 {
        return Ok(());
    }
    let now = real.now_ms();
    let clock = Clock::manual(now - 3 * 24 * 60 * MIN);
    let signal = |reference: &str,
                  (no, school): &(String, String),
                  kind: &str,
                  pattern: &str,
                  detail: &str| {
        SignalInput {
            reference: reference.into(),
            school_code: Some(school.clone()),
            student_no: Some(no.clone()),
            phone: None,
            account_kind: kind.into(),
            pattern: pattern.into(),
            detail: detail.into(),
        }
    };
    // 1. The bank card, handled by the counselor.
    let first = signal(
        "ICBC-RISK-20260031",
        &students[0],
        "bank_card",
        "frozen",
        "该借记卡近7日收到23笔陌生账户转入，共计18.6万元，均在数分钟内分散转出，已被冻结为涉诈账户。",
    );
    let (r, created) = service::receive_signal(db, &clock, &issuer, &first)
        .await
        .map_err(|e| anyhow!("demo mule signal: {e:?}"))?;
    if !created {
        return Ok(());
    }
    receipts::process(db, &clock, WarningId(r.id))
        .await
        .map_err(|e| anyhow!("demo mule intake: {e:?}"))?;
    let actor = Actor {
        account_id: Some(counselor.account_id),
        name: counselor.username.clone(),
        ip: String::new(),
        request_id: String::new(),
    };
    let steps = [
        (7 * MIN, Act::Acknowledge),
        (
            95 * MIN,
            Act::Contact {
                method: ContactMethod::InPerson,
                at: 0,
                notes: "在辅导员办公室面谈。学生承认以500元/月把银行卡“借”给网上认识的“兼职中介”，不知道是帮信。已讲解刑法第287条之二。".into(),
            },
        ),
        (
            26 * 60 * MIN,
            Act::Outcome {
                outcome: Outcome::CardClosed,
                loss: None,
                protected: None,
                notes: "学生已到银行柜台销户，并退出相关群聊；已提醒其配合公安调查。".into(),
                transfer: None,
            },
        ),
    ];
    for (after, a) in steps {
        clock.advance_ms(after);
        let a = match a {
            Act::Contact { method, notes, .. } => Act::Contact {
                method,
                at: clock.now_ms() - 5 * MIN,
                notes,
            },
            a => a,
        };
        act(db, &clock, &counselor, &actor, r.id.into(), a)
            .await
            .map_err(|e| anyhow!("demo mule act: {e:?}"))?;
    }
    // 2. A phone card, routed today: the counselor's clock is running.
    let today = Clock::manual(now - 40 * MIN);
    let second = signal(
        "UNIONPAY-M-88412",
        &students[1],
        "payment_account",
        "night_flows",
        "该学生名下支付账户连续三晚在凌晨集中收付款百余笔，疑似“跑分”。",
    );
    if let Ok((r2, _)) = service::receive_signal(db, &today, &issuer, &second).await {
        let _ = receipts::process(db, &today, WarningId(r2.id)).await;
    }
    // 3. Nobody on a roster: kept for the police.
    let third = SignalInput {
        reference: "ICBC-RISK-20260047".into(),
        school_code: None,
        student_no: None,
        phone: Some("13912340000".into()),
        account_kind: "phone_card".into(),
        pattern: "large_flows".into(),
        detail: "该手机号绑定的账户一日内收到多名被害人转账。".into(),
    };
    if let Ok((r3, _)) = service::receive_signal(db, &today, &issuer, &third).await {
        let _ = receipts::process(db, &today, WarningId(r3.id)).await;
    }
    lure_check(db, &today, &students[1]).await?;
    suspect_case(db, real).await?;
    prevention(db, real).await
}

/// The second student pastes a "part-time" offer to rent their card into the risk check: the
/// answer names money-mule recruitment and says that taking part is a crime.
async fn lure_check(db: &Db, clock: &Clock, (no, _): &(String, String)) -> anyhow::Result<()> {
    use crate::intel::check::{self, Input};
    let who = match org_demo::student_placement_by_no(db, no).await? {
        Some((student, ..)) => auth_demo::account_of_student(db, student)
            .await?
            .map(|a| (a, student)),
        None => None,
    };
    let (account, student) = match who {
        Some((a, s)) => (a, Some(s)),
        None => {
            let a = auth_demo::account_id_by_username(db, "s001-c01-2023").await?;
            (a.unwrap_or_default(), None)
        }
    };
    let text = LURE;
    let input = Input::text(text).map_err(|(k, _)| anyhow!(k))?;
    let engine = fanzha_detect::Engine::builtin();
    let index = crate::intel::index::Index::default();
    let a = check::check_with(
        &engine,
        crate::intel::learn::BUILTIN,
        &index,
        &input,
        None,
        false,
    );
    let mut tx = db.begin_write().await?;
    crate::intel::store::insert_check(
        &mut tx,
        &crate::intel::store::NewCheck {
            account_id: account,
            student_id: student,
            input_kind: input.kind_id(),
            text,
            text_hash: &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes())),
            level: &a.level,
            fraud_type: &a.fraud_type,
            risk_pm: (a.risk * 1000.0).round() as i64,
            result: &serde_json::to_string(&a)?,
            model_version: &a.model_version,
            sender: None,
        },
        clock.now_ms() - 2 * 24 * 60 * MIN,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

const LURE: &str = "【校园兼职】在家躺赚！出租闲置银行卡，一张每月500元，只用来走账刷流水，\
不影响你正常使用，另收微信号、支付宝实名号，需要配合刷脸验证。有意加QQ 2876xxxx3。";

/// The starter content on 两卡 and the law, adopted by the first school the way every school adopts
/// it (the school admin adds the article to the library and the lesson to the school's elective
/// course); the police officer approves the article, so it is published.
async fn prevention(db: &Db, real: &Clock) -> anyhow::Result<()> {
    use super::starter::StarterItem;
    let (Some(police), Some(admin)) = (
        principal(db, "police1").await?,
        principal(db, "s001-admin").await?,
    ) else {
        return Ok(());
    };
    let Some(school) = admin.grants.first().map(|g| g.unit_code.clone()) else {
        return Ok(());
    };
    // The school admin acting as on the page (the audit names them, from no address).
    let actor = Actor {
        account_id: Some(admin.account_id),
        name: admin.username.clone(),
        ip: String::new(),
        request_id: String::new(),
    };
    let (article, created) = service::adopt_starter(
        db,
        real,
        &admin,
        &actor,
        &school,
        StarterItem::Article,
        None,
    )
    .await
    .map_err(|e| anyhow!("demo starter article: {e:?}"))?;
    if created {
        if let Some(id) = article.target_id {
            crate::campaigns::service::transition(
                db,
                real,
                &police,
                &Actor::cli("demo"),
                id,
                "publish",
            )
            .await
            .map_err(|e| anyhow!("demo starter publish: {e}"))?;
        }
    }
    let offers = service::starter_offers(db, &admin)
        .await
        .map_err(|e| anyhow!("demo starter offers: {e:?}"))?;
    // Electives come first in the offer.
    let course = offers
        .iter()
        .find(|o| o.school.code == school)
        .and_then(|o| o.courses.first().map(|c| c.0));
    if let Some(course) = course {
        service::adopt_starter(
            db,
            real,
            &admin,
            &actor,
            &school,
            StarterItem::Lesson,
            Some(course),
        )
        .await
        .map_err(|e| anyhow!("demo starter lesson: {e:?}"))?;
    }
    Ok(())
}

/// Last month: a student of the first school of police1's station sold a bank card; the case is
/// added to the station's briefing of that month.
async fn suspect_case(db: &Db, real: &Clock) -> anyhow::Result<()> {
    let officer = auth_demo::account_id_by_username(db, "police1").await?;
    let Some(officer) = officer else {
        return Ok(());
    };
    let row = org_demo::first_student_under_a_station(db).await?;
    let Some((station, student, class_id, class_path, school, major, gender)) = row else {
        return Ok(());
    };
    let now = real.now_ms();
    let cur = Month::of(crate::cases::model::local_date(now));
    let last = if cur.month == 1 {
        Month {
            year: cur.year - 1,
            month: 12,
        }
    } else {
        Month {
            year: cur.year,
            month: cur.month - 1,
        }
    };
    let at = crate::cases::model::ms_of_date(last.first_day()) + 11 * 24 * 60 * MIN + 20 * 60 * MIN;
    let c = ValidCase {
        school_id: school,
        unit_id: class_id,
        unit_path: class_path,
        victim_student_id: Some(student),
        victim_staff_id: None,
        victim_role: VictimRole::Student,
        victim_enroll_year: None,
        victim_major: Some(major),
        victim_gender: Some(gender),
        fraud_type: service::fraud_type(),
        channel: Channel::Qq,
        occurred_at: at,
        amount_lost: Money::from_cents(0).unwrap_or_default(),
        amount_recovered: Money::from_cents(0).unwrap_or_default(),
        status: CaseStatus::Solved,
        narrative: "某高校学生在QQ群看到“高价收卡，一张800元”的广告，将本人名下银行卡、U盾及绑定的手机卡出售给上家。该卡随后被用于接收刷单返利诈骗的被害人资金，流水达41万元。学生以帮助信息网络犯罪活动罪被立案侦查。".into(),
        indicators: vec![],
        person_role: super::model::PersonRole::Suspect,
        lent_account: Some(super::model::AccountKind::BankCard),
    };
    let mut tx = db.begin_write().await?;
    let id = crate::cases::store::insert_case(&mut tx, &c, None, officer, now).await?;
    tx.commit().await?;
    crate::cases::store::add_to_briefing(db, station, &last.to_string(), id).await?;
    Ok(())
}

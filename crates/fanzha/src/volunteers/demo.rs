//! Demo data: the first police station's task board with an open, a full and a finished task,
//! the first demo students registered as volunteers, approved work with points and hours, a
//! redemption, and rewards of the station and the school.

use crate::kernel::ids::{AccountId, UnitId};
use sqlx::AnyConnection;

use super::model::{ClaimStatus, Contact, EntryKind, Proof, ValidTask};
use super::service::{self, award_cause};
use super::store::{self, NewEntry};
use crate::clock::Clock;
use crate::db::Db;

const H: i64 = 3_600_000;

fn task(
    title: &str,
    place: &str,
    start: i64,
    hours: i64,
    slots: i64,
    points: i64,
    proof: Proof,
) -> ValidTask {
    ValidTask {
        title: title.into(),
        description: format!("{title}:向同学和居民讲解刷单返利、冒充客服等常见骗局,发放反诈宣传单,提醒下载国家反诈中心App,遇可疑情况拨打 96110。"),
        place: place.into(),
        starts_at: start,
        ends_at: start + hours * H,
        withdraw_until: start - 2 * H,
        slots,
        points,
        minutes: hours * 60,
        proof,
        targets: vec![],
    }
}

/// Seeds after the org tree, rosters and accounts exist.
pub async fn seed(db: &Db, clock: &Clock) -> anyhow::Result<()> {
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let c: &mut AnyConnection = &mut tx;
    let station = store::demo_station(c).await?;
    let Some((station_id, station_path, police)) = station else {
        return Ok(());
    };
    let school = store::demo_first_school(c, station_id).await?;
    let Some(school_id) = school else {
        return Ok(());
    };
    // The first students of the station's first school (the demo student first).
    let students = store::demo_students(c, school_id, crate::demo::FIRST_STUDENT, 12).await?;
    let mut vols = Vec::new();
    for (i, (account, sid)) in students.iter().enumerate() {
        let s = crate::org::store::student_by_id(db, *sid).await?;
        let Some(s) = s else { continue };
        let contact = [Contact::Inbox, Contact::Phone, Contact::Email][i % 3];
        let id = store::insert_volunteer(c, &s, *account, contact, now - 40 * 24 * H).await?;
        vols.push((id, *account));
    }
    let day = now - now.rem_euclid(24 * H);
    let tasks = [
        task(
            "食堂门口反诈宣传",
            "一食堂门口",
            day - 10 * 24 * H + 11 * H,
            2,
            6,
            10,
            Proof::Checkin,
        ),
        task(
            "社区老人防骗讲座助手",
            "桃源社区活动中心",
            day - 5 * 24 * H + 6 * H,
            3,
            4,
            15,
            Proof::Text,
        ),
        task(
            "宿舍楼反诈海报张贴",
            "学生公寓 1–6 栋",
            day + 2 * 24 * H + 6 * H,
            2,
            3,
            8,
            Proof::Checkin,
        ),
        task(
            "商场反诈快闪宣传",
            "万达广场一楼中庭",
            day + 4 * 24 * H + 7 * H,
            3,
            10,
            12,
            Proof::Text,
        ),
        task(
            "企业员工反诈答题引导",
            "科技园 A 座大厅",
            day + 7 * 24 * H + 2 * H,
            2,
            5,
            10,
            Proof::Checkin,
        ),
    ];
    let mut ids = Vec::new();
    for t in &tasks {
        ids.push(
            store::insert_task(
                c,
                station_id,
                &station_path,
                police,
                t,
                &[],
                now - 20 * 24 * H,
            )
            .await?,
        );
    }
    // Finished tasks: claimed, checked in and out, approved with points and hours.
    for (ti, t) in tasks.iter().enumerate().take(2) {
        let task_id = ids[ti];
        let take = if ti == 0 { 6 } else { 4 };
        for (k, (vid, account)) in vols.iter().take(take).enumerate() {
            store::take_slot(c, task_id).await?;
            let cid = store::upsert_claim(
                c,
                task_id,
                *vid,
                *account,
                ClaimStatus::Claimed,
                t.starts_at - 3 * 24 * H,
            )
            .await?;
            let late = (k as i64) * 5 * 60_000;
            store::set_checkin(c, cid, t.starts_at + late).await?;
            store::set_checkout(c, cid, t.ends_at - late / 2).await?;
            let text = (t.proof == Proof::Text)
                .then_some("讲解了刷单返利和冒充客服两类骗局,帮 8 位老人安装了国家反诈中心App。");
            store::set_proof(c, cid, text, None, t.ends_at).await?;
            if k == take - 1 {
                continue; // one still waits for review
            }
            let minutes = service::credited_minutes(
                Some(t.starts_at + late),
                Some(t.ends_at - late / 2),
                t.minutes,
            );
            store::decide(
                c,
                cid,
                &[ClaimStatus::Submitted],
                &store::Decided {
                    to: ClaimStatus::Approved,
                    minutes,
                    reason: None,
                    by: police,
                    at: t.ends_at + H,
                },
            )
            .await?;
            let full = store::task(c, task_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("task"))?;
            service::award(c, &full, *vid, police, t.ends_at + H)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    // A full upcoming task with one on the waiting list; an open one half taken.
    for (vid, account) in vols.iter().skip(1).take(3) {
        store::take_slot(c, ids[2]).await?;
        store::upsert_claim(
            c,
            ids[2],
            *vid,
            *account,
            ClaimStatus::Claimed,
            now - 24 * H,
        )
        .await?;
    }
    if let Some((vid, account)) = vols.get(5) {
        store::upsert_claim(
            c,
            ids[2],
            *vid,
            *account,
            ClaimStatus::Waiting,
            now - 20 * H,
        )
        .await?;
    }
    for (vid, account) in vols.iter().skip(2).take(4) {
        store::take_slot(c, ids[3]).await?;
        store::upsert_claim(
            c,
            ids[3],
            *vid,
            *account,
            ClaimStatus::Claimed,
            now - 12 * H,
        )
        .await?;
    }
    // Rewards of the station and the school, one redeemed.
    let school_path = crate::org::store::demo::unit_path(c, school_id).await?;
    let pin = store::insert_reward(
        c,
        station_id,
        &station_path,
        "反诈宣传志愿者徽章",
        10,
        50,
        now - 30 * 24 * H,
    )
    .await?;
    store::insert_reward(
        c,
        school_id,
        &school_path,
        "校园文创帆布包",
        30,
        20,
        now - 30 * 24 * H,
    )
    .await?;
    store::insert_reward(
        c,
        school_id,
        &school_path,
        "优秀反诈志愿者荣誉证书",
        60,
        10,
        now - 30 * 24 * H,
    )
    .await?;
    if let Some((vid, _)) = vols.get(1) {
        store::take_stock(c, pin).await?;
        let cause = format!("redeem:volunteer:{vid}:demo");
        service::post(
            c,
            &NewEntry {
                volunteer_id: *vid,
                kind: EntryKind::Redeem,
                points: -10,
                cause: &cause,
                task_id: None,
                reward_id: Some(pin),
                reverses: None,
                note: "反诈宣传志愿者徽章",
                by: None,
            },
            now - 2 * 24 * H,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let _ = award_cause;
    tx.commit().await?;
    seed_calls(
        db,
        clock,
        station_id,
        &station_path,
        police,
        school_id,
        &vols,
    )
    .await
}

/// A slogan call of the station with works handed in by its school's volunteers, two accepted
/// into the shared library (credited, points awarded) and reused by another school; two teams.
async fn seed_calls(
    db: &Db,
    clock: &Clock,
    station_id: UnitId,
    station_path: &str,
    police: AccountId,
    school_id: UnitId,
    vols: &[(i64, AccountId)],
) -> anyhow::Result<()> {
    use super::model::{Audience, ValidCall, ValidWork, WorkKind, WorkLicence, WorkStatus};
    let now = clock.now_ms();
    let call = ValidCall {
        title: "“识破刷单返利”反诈标语征集".into(),
        theme: "刷单返利是诈骗,先返后骗别上当".into(),
        rules: "面向辖区高校学生。标语不超过 20 字,海报请上传 JPEG 或 PNG 图片,金点子写清楚怎么做。\n每人最多 5 件,入选作品每件 20 积分,并以 CC BY 4.0 许可进入共享资源库。".into(),
        kinds: vec![WorkKind::Slogan, WorkKind::Poster, WorkKind::Idea],
        fraud_type: "rebate_task".into(),
        audience: Audience::Students,
        licence: WorkLicence::CcBy,
        points: 20,
        opens_at: now - 20 * 24 * H,
        closes_at: now + 10 * 24 * H,
        targets: vec![],
    };
    let works: [(&str, &str, WorkStatus); 6] = [
        (
            "刷单返利第一单是甜头,最后一单是骨头",
            "刷单返利第一单是甜头,最后一单是骨头。凡是要你先垫钱的兼职,都是诈骗。",
            WorkStatus::Accepted,
        ),
        (
            "动动手指就赚钱?动动脑子别上当",
            "动动手指就赚钱?动动脑子别上当!刷单本身违法,“返利”只是诱饵。",
            WorkStatus::Accepted,
        ),
        (
            "宿舍楼道“反诈接力”金点子",
            "每层楼选一名反诈信息员,每周在楼层群转发一条真实案例,月底用小测验抽奖。",
            WorkStatus::Shortlisted,
        ),
        (
            "高薪兼职不用干,先交押金就是骗",
            "高薪兼职不用干,先交押金就是骗。",
            WorkStatus::Submitted,
        ),
        (
            "天上不会掉馅饼",
            "天上不会掉馅饼,刷单返利是陷阱。",
            WorkStatus::Rejected,
        ),
        (
            "免费领礼品?扫码就中招",
            "免费领礼品?扫码就中招。",
            WorkStatus::Submitted,
        ),
    ];
    let mut tx = db.begin_write().await?;
    let c: &mut AnyConnection = &mut tx;
    let call_id = store::insert_call(
        c,
        station_id,
        station_path,
        police,
        &call,
        &[],
        now - 20 * 24 * H,
    )
    .await?;
    let k = store::call(c, call_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("call"))?;
    let mut accepted = Vec::new();
    for (i, (title, body, status)) in works.iter().enumerate() {
        let Some((vid, account)) = vols.get(i % vols.len().max(1)) else {
            break;
        };
        let at = now - (15 - i as i64) * 24 * H;
        let kind = if title.contains("金点子") {
            WorkKind::Idea
        } else {
            WorkKind::Slogan
        };
        let w = ValidWork {
            kind,
            title: (*title).into(),
            body: (*body).into(),
            video_url: String::new(),
            file: None,
        };
        let id = store::insert_work(c, call_id, *vid, *account, &w, at).await?;
        if *status == WorkStatus::Submitted {
            continue;
        }
        let reason = (*status == WorkStatus::Rejected).then_some("与已入选作品意思重复。");
        store::decide_work(
            c,
            id,
            &[WorkStatus::Submitted],
            *status,
            reason,
            police,
            at + 2 * 24 * H,
        )
        .await?;
        if *status == WorkStatus::Accepted {
            let cause = service::work_award_cause(id, *vid);
            service::post(
                c,
                &NewEntry {
                    volunteer_id: *vid,
                    kind: EntryKind::Award,
                    points: k.points,
                    cause: &cause,
                    task_id: None,
                    reward_id: None,
                    reverses: None,
                    note: title,
                    by: Some(police),
                },
                at + 2 * 24 * H,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let wk = store::work(c, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("work"))?;
            let source = format!("work:{id}");
            if let Some(item) = store::insert_item(
                c,
                &store::NewItem {
                    source: &source,
                    unit_id: station_id,
                    unit_path: station_path,
                    kind: wk.kind,
                    title: &wk.title,
                    body: &wk.body,
                    video_url: "",
                    file: None,
                    author: &wk.author,
                    school: &wk.school,
                    licence: k.licence,
                    fraud_type: &k.fraud_type,
                    audience: k.audience,
                },
                at + 2 * 24 * H,
            )
            .await?
            {
                accepted.push((item, wk));
            }
        }
    }
    // Two teams of the school; the first volunteers join them.
    let school_path = crate::org::store::demo::unit_path(c, school_id).await?;
    let mut teams = Vec::new();
    for name in ["法学院反诈宣讲队", "信息学院反诈技术队"] {
        teams.push(
            store::insert_team(c, school_id, &school_path, name, police, now - 30 * 24 * H).await?,
        );
    }
    for (i, (vid, _)) in vols.iter().take(8).enumerate() {
        store::join_team(c, *vid, teams[i % 2], now - 25 * 24 * H).await?;
    }
    // The admin of another school, who reuses the accepted works.
    let other = store::demo_other_school_admin(c, school_id).await?;
    tx.commit().await?;
    let Some((other_id, admin, other_path)) = other else {
        return Ok(());
    };
    let Some(acc) = crate::auth::store::account_by_id(db, admin).await? else {
        return Ok(());
    };
    let p = crate::auth::model::Principal {
        account_id: admin,
        username: acc.username.clone(),
        display_name: acc.display_name.clone(),
        student_id: None,
        staff_id: acc.staff_id,
        grants: crate::auth::store::grants_of(db, admin).await?,
        via: crate::auth::model::Via::Token {
            token_id: 0,
            scopes: vec![],
        },
        time_zone: chrono_tz::Asia::Shanghai,
        locale: "zh-CN".into(),
        must_change_password: false,
    };
    let unit = crate::org::store::unit_by_id(db, other_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("school"))?;
    for (item, w) in accepted {
        let content = crate::campaigns::service::create_content(
            db,
            clock,
            &p,
            &crate::audit::Actor::cli("demo"),
            &crate::campaigns::service::NewContent {
                unit: unit.code.clone(),
                kind: "article".into(),
                title: w.title.clone(),
                body_md: format!(
                    "{}\n\n{}",
                    w.body,
                    service::credit_line(&w.author, &w.school, WorkLicence::CcBy)
                ),
                media_url: None,
                fraud_types: vec!["rebate_task".into()],
                target_hint: String::new(),
                quiz: vec![],
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let mut tx = db.begin_write().await?;
        store::insert_use(
            &mut tx,
            item,
            other_id,
            &other_path,
            admin,
            content.id,
            now - 3 * 24 * H,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

//! Demo data: the first police station's task board with an open, a full and a finished task,
//! the first demo students registered as volunteers, approved work with points and hours, a
//! redemption, and rewards of the station and the school.

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
    let station: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT u.id, u.path, a.id FROM units u JOIN role_assignments r ON r.unit_id = u.id \
         JOIN accounts a ON a.id = r.account_id WHERE a.username = 'police1'",
    )
    .fetch_optional(&mut *c)
    .await?;
    let Some((station_id, station_path, police)) = station else {
        return Ok(());
    };
    let school: Option<i64> =
        sqlx::query_scalar("SELECT MIN(school_id) FROM jurisdictions WHERE station_id = $1")
            .bind(station_id)
            .fetch_one(&mut *c)
            .await?;
    let Some(school_id) = school else {
        return Ok(());
    };
    // The first students of the station's first school (the demo student first).
    let students: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT a.id, s.id FROM students s JOIN accounts a ON a.student_id = s.id \
         WHERE s.school_id = $1 AND a.activated_at IS NOT NULL \
         ORDER BY CASE WHEN s.student_no = $2 THEN 0 ELSE 1 END, s.student_no LIMIT 12",
    )
    .bind(school_id)
    .bind(crate::demo::FIRST_STUDENT)
    .fetch_all(&mut *c)
    .await?;
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
    let school_path: String = sqlx::query_scalar("SELECT path FROM units WHERE id = $1")
        .bind(school_id)
        .fetch_one(&mut *c)
        .await?;
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
    Ok(())
}

//! Demo cases: two believable years of cases for the schools of every demo police station (a few a
//! month, more in the evening and around the new term, mostly rebate tasks, fake investment and
//! impersonated customer service), monthly KPIs of each station, and last month's published
//! briefing of each station. Deterministic for a given database.

use crate::kernel::ids::CaseId;
use chrono::{Datelike, NaiveDate};
use fanzha_detect::FraudType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::model::*;
use super::store::{self, Kpi};
use crate::clock::Clock;
use crate::db::Db;
use crate::org::model::UnitKind;
use crate::org::store as org_store;

const TYPES: [(FraudType, u32, &str); 9] = [
    (FraudType::RebateTask, 30, "受害人在社交平台看到“刷单返利”兼职广告，按对方要求下载陌生APP做任务，前几单小额返利到账后被诱导连续垫付，最终无法提现。"),
    (FraudType::FakeInvestment, 14, "受害人被拉入“投资交流群”，“导师”晒收益截图，诱导其在虚假平台充值，账面盈利却无法提现，平台随后关闭。"),
    (FraudType::ImpersonateCustomerService, 16, "受害人接到自称电商平台客服的电话，称其购买的商品有质量问题可双倍理赔，被引导开启屏幕共享并按提示转账。"),
    (FraudType::GameTrade, 12, "受害人在游戏内看到低价出售装备账号的信息，对方引导到非官方交易平台付款，随后以“账户冻结需解冻”为由多次要求转账。"),
    (FraudType::FakeLoan, 8, "受害人急需用钱，点击短信中的贷款链接，对方以“解冻费”“刷流水”为由要求先转账，钱款转出后对方失联。"),
    (FraudType::ImpersonatePolice, 6, "受害人接到自称公安民警的电话，称其涉嫌洗钱需配合调查，被要求下载会议软件并将资金转入“安全账户”。"),
    (FraudType::Romance, 5, "受害人在交友软件结识“网友”，对方长期嘘寒问暖后称有内部投资渠道，诱导其多次转账。"),
    (FraudType::FakeShopping, 6, "受害人在二手平台购买低价演唱会门票，对方要求私下微信转账，收款后将其拉黑。"),
    (FraudType::ImpersonateLeaderAcquaintance, 3, "受害人收到冒充辅导员的QQ消息，称需代缴费用，受害人未核实即转账。"),
];

const CHANNELS: [(Channel, u32); 8] = [
    (Channel::Qq, 18),
    (Channel::Wechat, 22),
    (Channel::Phone, 17),
    (Channel::Sms, 8),
    (Channel::Game, 12),
    (Channel::Shopping, 11),
    (Channel::Dating, 6),
    (Channel::Other, 6),
];

fn pick<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut r = rng.gen_range(0..total);
    for (t, w) in items {
        if r < *w {
            return *t;
        }
        r -= w;
    }
    items[0].0
}

/// Seeds demo cases once (nothing when cases exist). Returns the number of cases written.
pub async fn seed(db: &Db, clock: &Clock) -> anyhow::Result<usize> {
    if store::case_count(db).await? > 0 {
        return Ok(0);
    }
    let Some(officer) = store::account_by_username(db, "police1").await? else {
        return Ok(0);
    };
    let now = clock.now_ms();
    let today = local_date(now);
    let start = NaiveDate::from_ymd_opt(today.year() - 2, today.month(), 1).unwrap_or(today);
    let mut rng = StdRng::seed_from_u64(8_2026);
    let stations = store::stations_with_schools(db).await?;
    let mut written = 0;
    let mut tx = db.begin_write().await?;
    for station_id in &stations {
        let schools = org_store::jurisdiction_schools(db, *station_id).await?;
        for (si, school) in schools.iter().enumerate() {
            if school.kind != UnitKind::School {
                continue;
            }
            // A sample of the school's students to draw victims from.
            let students = store::victim_sample(db, school.id, 400).await?;
            // Schools differ: the third school of a station has had no case for the last months;
            // a small college has cases in proportion to its size, and every other one has had
            // none since the start of last year (eligible for Campus Without Fraud).
            let size = store::students_of_school(db, school.id).await?;
            let small = size < 1000;
            let size_factor = if small { size as f64 / 3300.0 } else { 1.0 };
            let even_code = school
                .code
                .chars()
                .last()
                .and_then(|c| c.to_digit(10))
                .is_some_and(|d| d % 2 == 0);
            let quiet_from = if small && even_code {
                NaiveDate::from_ymd_opt(today.year() - 1, 1, 1)
            } else {
                (si % 3 == 2).then(|| today - chrono::Duration::days(75))
            };
            let mut day = start;
            while day < today {
                let month_factor = match day.month() {
                    9 | 10 => 2.0,
                    3 | 11 | 12 => 1.4,
                    7 | 8 | 2 => 0.6,
                    _ => 1.0,
                };
                // This year fewer cases than last: prevention works.
                let year_factor = if day.year() == today.year() {
                    0.55
                } else {
                    1.0
                };
                let p: f64 = 0.13 * month_factor * year_factor * size_factor;
                if rng.gen_bool(p.min(1.0)) && quiet_from.is_none_or(|q| day < q) {
                    let hour = pick(
                        &mut rng,
                        &[
                            (9u32, 2),
                            (12, 3),
                            (14, 3),
                            (16, 3),
                            (19, 5),
                            (20, 7),
                            (21, 8),
                            (22, 7),
                            (23, 4),
                            (1, 1),
                        ],
                    );
                    let minute = rng.gen_range(0..60);
                    let at = ms_of_date(day) + (hour as i64 * 60 + minute) * 60_000;
                    let types: Vec<(usize, u32)> =
                        TYPES.iter().enumerate().map(|(i, t)| (i, t.1)).collect();
                    let ti = pick(&mut rng, &types);
                    let (fraud_type, _, narrative) = TYPES[ti];
                    let channel = pick(&mut rng, &CHANNELS);
                    let lost = match fraud_type {
                        FraudType::FakeInvestment | FraudType::Romance => {
                            rng.gen_range(2_000..120_000) * 100
                        }
                        FraudType::ImpersonatePolice => rng.gen_range(10_000..80_000) * 100,
                        _ => rng.gen_range(300..25_000) * 100,
                    };
                    let recovered = if rng.gen_bool(0.3) {
                        lost / rng.gen_range(2..6)
                    } else {
                        0
                    };
                    let status = pick(
                        &mut rng,
                        &[
                            (CaseStatus::Open, 3),
                            (CaseStatus::Solved, 4),
                            (CaseStatus::Closed, 3),
                        ],
                    );
                    let (victim_student_id, unit_id, unit_path, year, major, gender, role) =
                        if !students.is_empty() && rng.gen_bool(0.9) {
                            let r = &students[rng.gen_range(0..students.len())];
                            (
                                Some(r.student_id),
                                r.class_id,
                                r.class_path.clone(),
                                Some(r.enrollment_year),
                                Some(r.major.clone()),
                                Some(r.gender.clone()),
                                VictimRole::Student,
                            )
                        } else {
                            (
                                None,
                                school.id,
                                school.path.clone(),
                                None,
                                None,
                                None,
                                VictimRole::Staff,
                            )
                        };
                    let c = ValidCase {
                        school_id: school.id,
                        unit_id,
                        unit_path,
                        victim_student_id,
                        victim_staff_id: None,
                        victim_role: role,
                        victim_enroll_year: year,
                        victim_major: major,
                        victim_gender: gender,
                        fraud_type,
                        channel,
                        occurred_at: at,
                        amount_lost: Money::from_cents(lost).unwrap_or_default(),
                        amount_recovered: Money::from_cents(recovered).unwrap_or_default(),
                        status,
                        narrative: format!("{narrative}损失{}元。", yuan(lost)),
                        indicators: vec![],
                        person_role: Default::default(),
                        lent_account: None,
                    };
                    store::insert_case(&mut tx, &c, None, officer, now).await?;
                    written += 1;
                }
                day = day.succ_opt().unwrap_or(today);
            }
        }
    }
    tx.commit().await?;
    // Solved cases were solved some weeks after they happened, not all at seeding time.
    store::spread_solved_at(db, 24 * 86_400_000_i64, now).await?;
    // KPIs per station and month (arrests are entered; the rest is derived from the records),
    // and last month's briefing, published.
    for station_id in &stations {
        let mut m = Month::of(start);
        while m < Month::of(today) {
            let k = Kpi {
                month: m.to_string(),
                cases_solved: rng.gen_range(1..8),
                suspects_arrested: rng.gen_range(0..12),
                funds_frozen_cents: rng.gen_range(0..500_000) * 100,
                losses_avoided_cents: rng.gen_range(0..900_000) * 100,
                funds_returned_cents: rng.gen_range(0..200_000) * 100,
                student_suspects: 0,
            };
            store::upsert_kpi(db, *station_id, &k, officer, now).await?;
            m = m.next();
        }
        let Some(station) = org_store::unit_by_id(db, *station_id).await? else {
            continue;
        };
        let cur = Month::of(today);
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
        let paths = super::service::unit_paths(db, &station).await?;
        let w = store::Window {
            paths,
            from: ms_of_date(last.first_day()),
            to: ms_of_date(last.next().first_day()),
        };
        let (cases, _) = store::list_cases(db, &w, 3, 0).await?;
        let ids: Vec<CaseId> = cases.iter().map(|c| c.id).collect();
        let title = format!("{}月典型案例通报", last.month);
        let advice = "一、凡是刷单返利、先垫付后返现的都是诈骗；二、不点陌生链接，不下载陌生APP，不开启屏幕共享；三、公检法机关不会通过电话办案，更没有“安全账户”；四、遇到可疑情况立即拨打96110或联系辅导员。";
        if let Some(id) = store::save_briefing(
            db,
            station.id,
            &last.to_string(),
            &title,
            advice,
            &ids,
            officer,
            now,
        )
        .await?
        {
            store::publish_briefing(&db.pool, id, now).await?;
        }
    }
    Ok(written)
}

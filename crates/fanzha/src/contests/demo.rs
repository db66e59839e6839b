//! Demo contests: the province's skit contest (28 entries from three schools, public voting under
//! way, four judges of whom one is left out of his own school's entries, some score sheets in) and a
//! school's finished logo selection with its results published.

use crate::kernel::ids::{AccountId, UnitId};
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::AnyConnection;

use super::model::{
    self, genesis_hash, Category, Criterion, EntryStatus, Licence, MediaKind, Phases, Rules,
    TieBreak, UnitRef, VotePeriod,
};
use super::service;
use super::store::{self, Judge, Member};
use super::writer::{self, Append, SeenOrigin, MAX_BATCH};
use crate::clock::Clock;
use crate::db::Db;

const DAY: i64 = 86_400_000;

const SKITS: [&str; 28] = [
    "“客服”来电",
    "刷单的陷阱",
    "冒充公检法",
    "游戏皮肤骗局",
    "兼职日结",
    "网恋奔现",
    "征信修复",
    "校园贷的代价",
    "中奖短信",
    "假冒导员",
    "共享屏幕",
    "低价演唱会门票",
    "代购奢侈品",
    "投资导师",
    "快递理赔",
    "免费领流量",
    "学费退费",
    "助学金到账",
    "老乡借钱",
    "网课退款",
    "账号解冻",
    "虚拟币翻倍",
    "一次“实名认证”",
    "宿舍夜话",
    "反诈小剧场",
    "识破连环计",
    "银行卡租借",
    "最后一道防线",
];

const LOGOS: [&str; 12] = [
    "盾牌与手机",
    "护航之翼",
    "反诈之眼",
    "守护之手",
    "拒绝转账",
    "校园长城",
    "清朗网络",
    "识诈灯塔",
    "安全锁",
    "防骗哨兵",
    "心盾",
    "守望",
];

/// Seeds the two demo contests (nothing when the demo has no schools).
pub async fn seed(db: &Db, clock: &Clock) -> anyhow::Result<()> {
    let mut conn = db.pool.acquire().await?;
    let schools = store::demo_schools(&mut conn, 3).await?;
    if schools.len() < 3 {
        return Ok(());
    }
    drop(conn);
    let now = clock.now_ms();
    let mut rng = StdRng::seed_from_u64(2026_1206);
    let refs: Vec<UnitRef> = schools
        .iter()
        .map(|(_, code, name, path)| UnitRef {
            code: code.clone(),
            name: name.clone(),
            path: path.clone(),
        })
        .collect();
    let criteria = vec![
        Criterion {
            name: "反诈主题".into(),
            weight: 40,
        },
        Criterion {
            name: "创意".into(),
            weight: 30,
        },
        Criterion {
            name: "表现力".into(),
            weight: 30,
        },
    ];

    // The skit contest: province police organise it, voting under way.
    let skit_rules = Rules {
        categories: vec![Category::Skit],
        phases: Phases {
            entries_open: now - 40 * DAY,
            entries_close: now - 12 * DAY,
            voting_open: now - 3 * DAY,
            voting_close: now + 4 * DAY,
            judging_open: now - 3 * DAY,
            judging_close: now + 7 * DAY,
        },
        time_zone: "Asia/Shanghai".into(),
        entrant_units: refs.clone(),
        team_min: 1,
        team_max: 6,
        media: vec![MediaKind::VideoLink],
        max_image_bytes: 2 * 1024 * 1024,
        voter_units: refs.clone(),
        votes_per_person: 1,
        vote_period: VotePeriod::Category,
        weight_public: 40,
        weight_judges: 60,
        criteria: criteria.clone(),
        tie_break: vec![TieBreak::Judges, TieBreak::Public, TieBreak::Earliest],
        allow_withdraw: true,
    };
    let mut tx = db.begin_write().await?;
    let Some((province_id, province_path)) = store::demo_unit(&mut tx, "JN").await? else {
        return Ok(());
    };
    let organiser = store::demo_account(&mut tx, "police-center").await?;
    let skit = new_contest(
        &mut tx,
        province_id,
        &province_path,
        "2026 校园反诈情景剧创作大赛",
        "以身边真实的骗局为素材,编演 5–10 分钟的情景剧。线上展播、公众投票与专家评审相结合,获奖作品将到各校、企业和街道巡演。",
        &skit_rules,
        organiser.map_or(AccountId(0), |o| o.0),
        now - 41 * DAY,
    )
    .await?;
    let mut skit_entries = Vec::new();
    for (k, title) in SKITS.iter().enumerate() {
        let (school_id, _, _, school_path) = &schools[k % 3];
        let students = store::demo_students(&mut tx, *school_id, 60).await?;
        if students.is_empty() {
            continue;
        }
        let lead = (k / 3 * 5) % students.len();
        let size = rng.gen_range(2..=5usize).min(students.len());
        let members: Vec<Member> = (0..size)
            .map(|i| {
                let s = &students[(lead + i) % students.len()];
                Member {
                    student_id: s.1,
                    name: s.2.clone(),
                    class_path: s.3.clone(),
                }
            })
            .collect();
        let status = match k {
            26 => EntryStatus::Rejected,
            27 => EntryStatus::Returned,
            _ => EntryStatus::Accepted,
        };
        let id = entry(
            &mut tx,
            skit,
            students[lead].0,
            *school_id,
            school_path,
            Category::Skit,
            title,
            &members,
            rng.gen_bool(0.8),
            MediaKind::VideoLink,
            &format!("https://v.fanzha-demo.cn/skit/{:02}", k + 1),
            status,
            now - (38 - k as i64) * DAY,
        )
        .await?;
        if status == EntryStatus::Accepted {
            skit_entries.push(id);
        }
        // Two skits were advised by a police officer of the University Town station: they are his
        // conflicts of interest, so he does not judge them.
        if k == 4 || k == 7 {
            if let Some((acc, name)) = store::demo_account(&mut tx, "police1").await? {
                let a = [store::Advisor {
                    staff_id: 0,
                    account_id: Some(acc),
                    name,
                }];
                store::demo_set_advisors(&mut tx, id, &serde_json::to_string(&a)?).await?;
            }
        }
    }
    let judges = ["police1", "police2", "province-admin", "s001-admin"];
    add_judges(&mut tx, skit, &judges).await?;
    service::assign_in(&mut tx, skit, now - 3 * DAY)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let skit_c = store::contest(&mut tx, skit)
        .await?
        .ok_or_else(|| anyhow::anyhow!("skit contest"))?;
    ballots(
        &mut tx,
        &skit_c,
        &schools,
        &skit_entries,
        180,
        now - 3 * DAY,
        now - 60_000,
        &mut rng,
    )
    .await?;
    scores(&mut tx, &skit_c, 0.55, now - DAY, &mut rng).await?;
    tx.commit().await?;

    // The logo selection of the first school: finished and published.
    let (s1_id, s1_code, s1_name, s1_path) = schools[0].clone();
    let own = vec![UnitRef {
        code: s1_code,
        name: s1_name,
        path: s1_path.clone(),
    }];
    let logo_rules = Rules {
        categories: vec![Category::Logo],
        phases: Phases {
            entries_open: now - 90 * DAY,
            entries_close: now - 60 * DAY,
            voting_open: now - 50 * DAY,
            voting_close: now - 40 * DAY,
            judging_open: now - 50 * DAY,
            judging_close: now - 35 * DAY,
        },
        time_zone: "Asia/Shanghai".into(),
        entrant_units: own.clone(),
        team_min: 1,
        team_max: 3,
        media: vec![MediaKind::Image],
        max_image_bytes: 1024 * 1024,
        voter_units: own,
        votes_per_person: 3,
        vote_period: VotePeriod::Contest,
        weight_public: 50,
        weight_judges: 50,
        criteria: vec![
            Criterion {
                name: "寓意".into(),
                weight: 50,
            },
            Criterion {
                name: "辨识度".into(),
                weight: 50,
            },
        ],
        tie_break: vec![TieBreak::Public, TieBreak::Judges, TieBreak::Earliest],
        allow_withdraw: false,
    };
    let mut tx = db.begin_write().await?;
    let admin = store::demo_account(&mut tx, "s001-admin").await?;
    let logo = new_contest(
        &mut tx,
        s1_id,
        &s1_path,
        "校园反诈标志征集评选",
        "为学校反诈宣传征集一枚标志,入选作品用于海报、展板和校园网站。",
        &logo_rules,
        admin.map_or(AccountId(0), |a| a.0),
        now - 91 * DAY,
    )
    .await?;
    let students = store::demo_students(&mut tx, s1_id, 400).await?;
    let mut logo_entries = Vec::new();
    for (k, title) in LOGOS.iter().enumerate() {
        let Some(s) = students.get(k * 7) else {
            continue;
        };
        let id = entry(
            &mut tx,
            logo,
            s.0,
            s1_id,
            &s1_path,
            Category::Logo,
            title,
            &[Member {
                student_id: s.1,
                name: s.2.clone(),
                class_path: s.3.clone(),
            }],
            k % 4 != 3,
            MediaKind::Image,
            "",
            EntryStatus::Accepted,
            now - (88 - k as i64) * DAY,
        )
        .await?;
        store::put_media(&mut tx, id, "image/png", &logo_png(k as u32)).await?;
        logo_entries.push(id);
    }
    add_judges(&mut tx, logo, &["police1", "police2", "province-admin"]).await?;
    service::assign_in(&mut tx, logo, now - 50 * DAY)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let logo_c = store::contest(&mut tx, logo)
        .await?
        .ok_or_else(|| anyhow::anyhow!("logo contest"))?;
    ballots(
        &mut tx,
        &logo_c,
        &schools[..1],
        &logo_entries,
        150,
        now - 50 * DAY,
        now - 41 * DAY,
        &mut rng,
    )
    .await?;
    scores(&mut tx, &logo_c, 1.0, now - 36 * DAY, &mut rng).await?;
    tx.commit().await?;
    // Published as an organiser would: the results computed once and stored.
    let mut conn = db.pool.acquire().await?;
    let logo_c = store::contest(&mut conn, logo)
        .await?
        .ok_or_else(|| anyhow::anyhow!("logo contest"))?;
    drop(conn);
    let results = service::compute_in(db, &logo_c)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tx = db.begin_write().await?;
    store::set_published(&mut tx, logo, now - 30 * DAY).await?;
    store::set_results(&mut tx, logo, &serde_json::to_string(&results)?).await?;
    tx.commit().await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn new_contest(
    tx: &mut AnyConnection,
    unit_id: UnitId,
    unit_path: &str,
    title: &str,
    description: &str,
    rules: &Rules,
    created_by: AccountId,
    at: i64,
) -> anyhow::Result<i64> {
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut key);
    let hash = rules.hash();
    let id = store::insert_contest(
        tx,
        &store::NewContest {
            unit_id,
            unit_path,
            title,
            description,
            rules_json: &rules.canonical(),
            rules_hash: &hash,
            vote_key: &model::hex(&key),
            created_by,
        },
        at,
    )
    .await?;
    store::set_head(tx, id, &genesis_hash(id, &hash)).await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn entry(
    tx: &mut AnyConnection,
    contest: i64,
    submitter: AccountId,
    school_id: UnitId,
    school_path: &str,
    category: Category,
    title: &str,
    members: &[Member],
    show_names: bool,
    media_kind: MediaKind,
    video_url: &str,
    status: EntryStatus,
    at: i64,
) -> anyhow::Result<i64> {
    let description =
        format!("{title}:改编自真实案例,提醒同学们遇到转账要求先停下来,拨打 96110 核实。");
    let id = store::insert_entry(
        tx,
        contest,
        submitter,
        school_id,
        school_path,
        &store::EntryRow {
            category,
            title,
            description: &description,
            members,
            show_names,
            media_kind,
            video_url,
            licence: Licence::CcByNc,
            advisors: &[],
        },
        at,
    )
    .await?;
    store::demo_entry_time(tx, id, at).await?;
    let note = match status {
        EntryStatus::Rejected => "内容与反诈主题无关。",
        EntryStatus::Returned => "视频链接无法打开,请更换后重新提交。",
        _ => "",
    };
    if status != EntryStatus::Submitted {
        store::set_entry_status(tx, id, EntryStatus::Submitted, status, note, at + DAY).await?;
    }
    Ok(id)
}

async fn add_judges(tx: &mut AnyConnection, contest: i64, names: &[&str]) -> anyhow::Result<()> {
    for n in names {
        if let Some((id, name)) = store::demo_account(tx, n).await? {
            let own_paths = store::demo_role_paths(tx, id).await?;
            store::add_judge(
                tx,
                contest,
                &Judge {
                    account_id: id,
                    name,
                    own_paths,
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// Ballots from students of the schools, spread over [from, to), some entries more popular,
/// with where they came from (campus networks, phones); where the rules allow it, a few voters
/// move their vote. One class votes together in a burst from one network, for the anomaly report.
#[allow(clippy::too_many_arguments)]
async fn ballots(
    tx: &mut AnyConnection,
    c: &store::Contest,
    schools: &[(UnitId, String, String, String)],
    entries: &[i64],
    per_school: i64,
    from: i64,
    to: i64,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    // The demo student whose login the banner prints has not voted yet: they can try it.
    let first = store::demo_account(tx, crate::demo::FIRST_STUDENT)
        .await?
        .map(|a| a.0);
    let mut voters: Vec<(AccountId, String)> = Vec::new();
    for (school_id, ..) in schools {
        for (acc, _, _, class) in store::demo_students(tx, *school_id, per_school).await? {
            if Some(acc) != first {
                voters.push((acc, class));
            }
        }
    }
    // (time, account, entry, withdraw, address, device, class)
    let mut casts: Vec<(i64, AccountId, i64, bool, String, String, String)> = Vec::new();
    let burst_class = voters
        .get(voters.len() / 2)
        .map(|v| v.1.clone())
        .unwrap_or_default();
    let burst_at = from + (to - from) / 3;
    for (k, (v, class)) in voters.iter().enumerate() {
        let n = rng.gen_range(1..=c.rules.votes_per_person);
        let mut chosen: Vec<i64> = Vec::new();
        let in_burst = *class == burst_class && c.rules.allow_withdraw;
        for _ in 0..n {
            // Popularity falls with the entry's position: a long tail, as real votes have.
            let i = ((rng.gen::<f64>().powf(1.8)) * entries.len() as f64) as usize;
            let e = entries[i.min(entries.len() - 1)];
            if chosen.contains(&e) {
                continue;
            }
            chosen.push(e);
            let (at, ip) = if in_burst {
                (
                    burst_at + rng.gen_range(0..6 * 60_000),
                    format!("10.41.7.{}", k % 250 + 1),
                )
            } else {
                (
                    rng.gen_range(from..to),
                    format!(
                        "10.{}.{}.{}",
                        40 + k % 3,
                        rng.gen_range(0..200),
                        k % 250 + 1
                    ),
                )
            };
            let device = format!("phone-{k}");
            casts.push((at, *v, e, false, ip.clone(), device.clone(), class.clone()));
            // Where the rules allow it, one voter in forty moves their vote a day later.
            if c.rules.allow_withdraw && k % 40 == 7 && at + DAY < to {
                let other = entries
                    [(entries.iter().position(|x| *x == e).unwrap_or(0) + 1) % entries.len()];
                casts.push((
                    at + DAY,
                    *v,
                    e,
                    true,
                    ip.clone(),
                    device.clone(),
                    class.clone(),
                ));
                casts.push((at + DAY, *v, other, false, ip, device, class.clone()));
            }
        }
    }
    casts.sort_by_key(|x| (x.0, x.1, x.3 as u8 ^ 1));
    // Appended as votes are: through the writer's batch path, in order of time, a move (the
    // withdrawal and the new vote of one voter at one time) as one append. A move the rules
    // refuse (to an entry the voter already has a vote for) is left out, as it would be.
    let rules = Arc::new(c.rules.clone());
    let mut appends: Vec<Append> = Vec::new();
    for (at, account, e, withdraw, ip, device, class) in casts {
        if let Some(last) = appends.last_mut() {
            if last.account_id == account && last.at == Some(at) {
                last.steps.push((e, withdraw));
                continue;
            }
        }
        appends.push(Append {
            rules: rules.clone(),
            account_id: account,
            steps: vec![(e, withdraw)],
            origin: Some(SeenOrigin {
                ip,
                user_agent: device,
                unit_path: class,
                account_since: 0,
            }),
            at: Some(at),
        });
    }
    for batch in appends.chunks(MAX_BATCH) {
        writer::write_batch(tx, to, c.id, batch).await?;
    }
    Ok(())
}

/// Score sheets for a share of the assignments; each judge has their own leniency.
async fn scores(
    tx: &mut AnyConnection,
    c: &store::Contest,
    share: f64,
    at: i64,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let asg = store::assignments(tx, c.id).await?;
    for (entry, judge) in asg {
        if !rng.gen_bool(share) {
            continue;
        }
        let base = 4 + (judge.get() % 4);
        let mut sheet = std::collections::BTreeMap::new();
        let mut total = 0;
        for cr in &c.rules.criteria {
            let m = (base + rng.gen_range(0..=4) + (entry % 3)).min(10);
            sheet.insert(cr.name.clone(), m);
            total += m * cr.weight;
        }
        store::put_score(
            tx,
            c.id,
            entry,
            judge,
            &serde_json::to_string(&sheet)?,
            total,
            at,
        )
        .await?;
    }
    Ok(())
}

/// A 96×96 logo: a coloured shield on white, drawn pixel by pixel into a PNG.
fn logo_png(k: u32) -> Vec<u8> {
    const S: u32 = 96;
    let palette = [
        (198, 40, 40),
        (21, 101, 192),
        (46, 125, 50),
        (239, 108, 0),
        (106, 27, 154),
        (0, 131, 143),
    ];
    let (r, g, b) = palette[(k as usize) % palette.len()];
    let mut raw = Vec::with_capacity(((S * 3 + 1) * S) as usize);
    for y in 0..S {
        raw.push(0);
        for x in 0..S {
            let cx = x as i32 - 48;
            let top = y < 60 && cx.abs() < 36;
            let point = y >= 60 && cx.abs() < (36 - (y as i32 - 60) * 36 / 30);
            let inner = (cx.abs() < 10 && (20..70).contains(&y))
                || ((30..40).contains(&y) && cx.abs() < 26);
            let px = if (top || point) && !(inner && k.is_multiple_of(2)) {
                (r, g, b)
            } else if inner {
                (255, 214, 0)
            } else {
                (255, 255, 255)
            };
            raw.extend_from_slice(&[px.0, px.1, px.2]);
        }
    }
    png_rgb(S, S, &raw)
}

fn png_rgb(w: u32, h: u32, raw: &[u8]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in data {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    // zlib with stored (uncompressed) blocks.
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, blk) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = blk.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(blk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for x in raw {
        a = (a + u32::from(*x)) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_logo_is_a_png() {
        let p = super::logo_png(3);
        assert_eq!(super::model::sniff_image(&p), Some("image/png"));
        assert!(p.len() > 96 * 96 * 3);
    }
}

//! Demo learning for `fanzha demo`, in the first demo student's school: the "Anti-Fraud First
//! Lesson" for their enrolment year with a deadline two weeks out, an elective course for the whole
//! school, partial completion in the first student's class, a pledge signed by about 70 % of that
//! class, a lecture held yesterday with attendance and a class meeting running now, and the app
//! drive with some installs recorded and some checked. The first student starts with nothing done
//! so their journey can be walked.

use crate::kernel::ids::{AccountId, StudentId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::model::*;
use super::store;
use crate::auth::store::demo as auth_demo;
use crate::clock::Clock;
use crate::db::Db;
use crate::org::store::demo as org_demo;

const DAY: i64 = 86_400_000;

struct Q(
    &'static str,
    &'static str,
    &'static str,
    &'static [usize],
    &'static str,
);

const FIRST_QUESTIONS: &[Q] = &[
    Q(
        "rebate_task",
        "有人在群里招募“点赞返佣、刷单返利”,先做小单就能返钱。这是:",
        "正规兼职\n刷单返利诈骗",
        &[1],
        "所有刷单都是诈骗,先给小甜头再诱你大额垫付。",
    ),
    Q(
        "rebate_task",
        "刷单返了几十元佣金,说明对方可信。",
        "",
        &[1],
        "小额返利是诱饵,后续的“连单”“卡单”才是目的。",
    ),
    Q(
        "impersonate_police",
        "自称公安的人说你涉嫌洗钱,要求把钱转到“安全账户”。你应该:",
        "按要求转账\n挂断并拨打 110 或 96110 核实\n下载对方发来的会议软件",
        &[1],
        "公检法不会电话办案,更没有“安全账户”。",
    ),
    Q(
        "impersonate_police",
        "公检法机关可能通过视频会议给你看“通缉令”并要求保密。",
        "",
        &[1],
        "要求保密、转账、共享屏幕的都是诈骗。",
    ),
    Q(
        "impersonate_customer_service",
        "“客服”说你的快递丢了要理赔,让你开启屏幕共享。以下做法正确的是:",
        "开启屏幕共享配合理赔\n通过官方 App 自行查询\n拒绝共享屏幕\n提供短信验证码",
        &[1, 2],
        "理赔走官方渠道,屏幕共享和验证码会让对方转走你的钱。",
    ),
    Q(
        "impersonate_customer_service",
        "注销“校园贷”“百万保障”需要把钱转给客服。",
        "",
        &[1],
        "这是冒充客服的话术,任何“注销”都不需要转账。",
    ),
];

const ELECTIVE_QUESTIONS: &[Q] = &[
    Q(
        "fake_investment",
        "网友带你在一个“内部平台”投资,收益很高且能提现一次。你应该:",
        "加大投入\n停止投入并报警\n拉同学一起投",
        &[1],
        "能提现一次是为了让你投入更多,之后就无法出金。",
    ),
    Q(
        "fake_investment",
        "正规投资平台会承诺稳赚不赔。",
        "",
        &[1],
        "承诺高收益、稳赚不赔的都是骗局。",
    ),
    Q(
        "fake_loan",
        "网贷要求先交“解冻费”“保证金”才能放款。这是:",
        "正常流程\n虚假网络贷款诈骗",
        &[1],
        "放款前收费的贷款都是诈骗。",
    ),
    Q(
        "fake_loan",
        "出借银行卡、手机卡给他人“走流水”赚钱,可能触犯法律。",
        "",
        &[0],
        "出租出借“两卡”可能构成帮助信息网络犯罪活动罪。",
    ),
];

async fn questions(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    course: i64,
    qs: &[Q],
    by: AccountId,
    now: i64,
) -> anyhow::Result<()> {
    for q in qs {
        let kind = if q.2.is_empty() {
            "true_false"
        } else if q.3.len() > 1 {
            "multiple"
        } else {
            "single"
        };
        let correct: Vec<String> = q.3.iter().map(|i| (i + 1).to_string()).collect();
        let nq = NewQuestion::parse(kind, q.0, q.1, q.2, &correct, q.4)
            .map_err(|e| anyhow::anyhow!("demo question: {e:?}"))?;
        store::insert_question(tx, course, &nq, by, now).await?;
    }
    Ok(())
}

/// Seeds the demo; does nothing when the demo school is missing.
pub async fn seed(db: &Db, clock: &Clock) -> anyhow::Result<()> {
    let now = clock.now_ms();
    let Some(first) = org_demo::student_placement_by_no(db, crate::demo::FIRST_STUDENT).await?
    else {
        return Ok(());
    };
    let (first_id, school_id, class_id, year) = first;
    let admin: AccountId = auth_demo::account_id_by_username(db, "s001-admin")
        .await?
        .unwrap_or_default();
    let counselor = auth_demo::account_name_by_username(db, "s001-c01-2023").await?;
    let mut rng = StdRng::seed_from_u64(20);
    let mut tx = db.begin_write().await?;

    // The first lesson, required of the enrolment year, due in two weeks.
    let first_lesson = NewCourse::parse(
        "反诈第一课",
        "新生入学必修:认清最常见的三类电信网络诈骗,学会一停二挂三核实。",
        "0.5",
        "60",
        "1",
        "3",
        "15",
        true,
        Some(now + 14 * DAY),
    )
    .and_then(|c| c.reach("30", false))
    .map_err(|e| anyhow::anyhow!("demo course: {e:?}"))?;
    let fl = store::insert_course(&mut tx, school_id, &first_lesson, admin, now - 20 * DAY).await?;
    store::add_enrolment(&mut tx, fl, &Enrolment::Year(year), now - 20 * DAY).await?;
    // Its reminders (three days before the deadline and at it) are jobs like any other.
    for e in store::enrolment_ids(&mut tx, fl).await? {
        super::service::schedule_deadline(&mut tx, now, e, now + 14 * DAY).await?;
    }
    for (t, b) in [
        ("刷单返利:所有刷单都是诈骗", "## 套路\n\n1. 招募“点赞员”“兼职”,先返小额佣金;\n2. 拉进“任务群”,要求垫付做“连单”;\n3. 以“操作失误”“卡单”为由要求继续转账。\n\n**记住:所有刷单都是诈骗。**"),
        ("冒充公检法:没有“安全账户”", "公检法机关不会通过电话、视频办案,不会发送“通缉令”,更不会要求转账到“安全账户”。\n\n接到这类电话:**挂断,拨打 110 或 96110 核实。**"),
        ("冒充客服:理赔和注销不需要转账", "“快递丢失理赔”“注销校园贷”“关闭百万保障”都是常见话术。\n\n- 不开启屏幕共享;\n- 不提供验证码;\n- 通过官方 App 自行查询。"),
    ] {
        let l = NewLesson::parse(t, b, "").map_err(|e| anyhow::anyhow!("{e:?}"))?;
        store::insert_lesson(&mut tx, fl, &l, now - 20 * DAY).await?;
    }
    questions(&mut tx, fl, FIRST_QUESTIONS, admin, now - 20 * DAY).await?;
    // Taught by a counselor and an officer of the station, its lessons in one module.
    for (kind, name, aff) in [
        ("teacher", "王老师", "学生工作部"),
        ("police", "李警官", "辖区派出所反诈民警"),
    ] {
        let i = NewInstructor::parse(kind, name, aff).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        store::insert_instructor(&mut tx, fl, &i, now - 20 * DAY).await?;
    }
    let m = store::insert_module(&mut tx, fl, "认清三类高发诈骗", now - 20 * DAY).await?;
    let fl_lessons: Vec<i64> = store::demo::lesson_ids_of_course(&mut tx, fl).await?;
    for l in fl_lessons {
        store::set_lesson_module(&mut tx, l, Some(m)).await?;
    }

    // An elective course for the whole school.
    let school_path = org_demo::unit_path(&mut tx, school_id).await?;
    let elective = NewCourse::parse(
        "电信网络诈骗防范(选修)",
        "民警与教师合讲:投资理财、网络贷款诈骗与“两卡”犯罪。",
        "1",
        "80",
        "2",
        "2",
        "30",
        false,
        None,
    )
    .map_err(|e| anyhow::anyhow!("demo course: {e:?}"))?;
    let el = store::insert_course(&mut tx, school_id, &elective, admin, now - 30 * DAY).await?;
    store::add_enrolment(&mut tx, el, &Enrolment::Unit(school_id), now - 30 * DAY).await?;
    for (t, b, v) in [
        (
            "虚假投资理财",
            "高收益、稳赚不赔、“内部消息”——三者出现其一就该警惕。",
            "https://www.gov.cn/",
        ),
        (
            "虚假网络贷款与“两卡”",
            "放款前收取任何费用的都是诈骗。出租出借银行卡、电话卡可能构成犯罪。",
            "",
        ),
    ] {
        let l = NewLesson::parse(t, b, v).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        store::insert_lesson(&mut tx, el, &l, now - 30 * DAY).await?;
    }
    questions(&mut tx, el, ELECTIVE_QUESTIONS, admin, now - 30 * DAY).await?;

    // An elective students choose themselves.
    let open = NewCourse::parse(
        "个人信息保护与反诈(公选)",
        "自选课程:验证码、屏幕共享与个人信息泄露。",
        "1",
        "60",
        "1",
        "2",
        "20",
        false,
        None,
    )
    .and_then(|c| c.reach("", true))
    .map_err(|e| anyhow::anyhow!("demo course: {e:?}"))?;
    let oc = store::insert_course(&mut tx, school_id, &open, admin, now - 10 * DAY).await?;
    let l = NewLesson::parse(
        "验证码就是钱",
        "任何人索要验证码、要求开启屏幕共享,都应立即停止通话并核实。",
        "",
    )
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    store::insert_lesson(&mut tx, oc, &l, now - 10 * DAY).await?;
    questions(&mut tx, oc, ELECTIVE_QUESTIONS, admin, now - 10 * DAY).await?;

    // The school calendar: this academic year's two semesters.
    let today = chrono::DateTime::from_timestamp_millis(now)
        .map(|d| d.with_timezone(&chrono_tz::Asia::Shanghai).date_naive())
        .unwrap_or_default();
    let ay = if chrono::Datelike::month(&today) >= 8 {
        chrono::Datelike::year(&today) as i64
    } else {
        chrono::Datelike::year(&today) as i64 - 1
    };
    for (sem, first, last) in [
        ("1", format!("{ay}-09-01"), format!("{}-01-17", ay + 1)),
        (
            "2",
            format!("{}-02-23", ay + 1),
            format!("{}-07-10", ay + 1),
        ),
    ] {
        let t = NewTerm::parse(&ay.to_string(), sem, &first, &last)
            .map_err(|e| anyhow::anyhow!("demo term: {e:?}"))?;
        store::upsert_term(&mut tx, school_id, &t, admin, now - 30 * DAY).await?;
    }

    // The pledge.
    let pledge = store::insert_pledge(
        &mut tx,
        school_id,
        "本人郑重承诺:\n自觉防诈——不轻信陌生来电、链接和“高薪兼职”,遇事先核实;\n拒绝参诈——不出租出借银行卡、电话卡和账号;\n坚决反诈——发现诈骗及时举报,提醒身边同学。",
        admin,
        now - 25 * DAY,
    )
    .await?;

    // The first student's class: some finished, 70 % signed, some installs.
    let class = org_demo::enrolled_of_class(&mut tx, class_id).await?;
    let lessons_fl = store::demo::lesson_ids_of_course(&mut tx, fl).await?;
    let lessons_el = store::demo::lesson_ids_of_course(&mut tx, el).await?;
    let others: Vec<&(StudentId, String)> =
        class.iter().filter(|(id, _)| *id != first_id).collect();
    let n = others.len();
    for (i, (sid, name)) in others.iter().enumerate() {
        let t = now - rng.gen_range(1..15) * DAY;
        // First lesson: about 60 % complete, some halfway.
        let done_first = i * 10 < n * 6;
        let lessons: &[i64] = if done_first {
            &lessons_fl
        } else if i % 2 == 0 {
            &lessons_fl[..1]
        } else {
            &[]
        };
        for l in lessons {
            store::record_view(&mut tx, *l, *sid, t).await?;
        }
        if done_first {
            pass(&mut tx, fl, *sid, t, 1, &mut rng).await?;
        }
        // Elective: about a third complete.
        if i % 3 == 0 {
            for l in &lessons_el {
                store::record_view(&mut tx, *l, *sid, t).await?;
            }
            pass(&mut tx, el, *sid, t, 2, &mut rng).await?;
        }
        // Pledge: 70 % of the class (the first student not among them).
        if (i + 1) * 10 <= class.len() * 7 {
            store::insert_signature(&mut tx, &pledge, *sid, name, t).await?;
        }
        // App: about half recorded, a fifth checked.
        if i % 2 == 0 {
            store::declare_install(&mut tx, *sid, t).await?;
            if i % 5 == 0 {
                if let Some((c, _)) = &counselor {
                    store::verify_install(&mut tx, *sid, *c, t + DAY / 2).await?;
                }
            }
        }
    }

    // Two activities of the class: yesterday's lecture with attendance, a class meeting now.
    if let Some((cid, cname)) = &counselor {
        let lecture = NewActivity::parse(
            "lecture",
            "民警进校园:电信网络诈骗典型案例讲座",
            "图书馆报告厅",
            Some(now - DAY),
            "90",
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let lec = store::insert_activity(
            &mut tx,
            school_id,
            school_id,
            &lecture,
            *cid,
            cname,
            now - 3 * DAY,
        )
        .await?;
        let _ = school_path;
        for (i, (sid, _)) in others.iter().enumerate() {
            if i % 4 != 3 {
                let device = format!("demo-device-{sid}");
                store::insert_checkin(
                    &mut tx,
                    lec,
                    *sid,
                    AccountId(0),
                    &device,
                    0,
                    false,
                    now - DAY + rng.gen_range(0..600_000),
                )
                .await?;
            }
        }
        let meeting = NewActivity::parse(
            "class_meeting",
            "“反诈第一课”主题班会",
            "教学楼 A201",
            Some(now - 10 * 60_000),
            "120",
        )
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let mtg = store::insert_activity(
            &mut tx,
            school_id,
            class_id,
            &meeting,
            *cid,
            cname,
            now - DAY,
        )
        .await?;
        for (i, (sid, _)) in others.iter().enumerate().take(n / 3) {
            let device = format!("demo-device-{sid}");
            store::insert_checkin(
                &mut tx,
                mtg,
                *sid,
                AccountId(0),
                &device,
                0,
                false,
                now - 5 * 60_000 + i as i64 * 1000,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A passed attempt with every drawn question answered right, and the completion.
async fn pass(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    course: i64,
    student: StudentId,
    t: i64,
    per_tag: usize,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let seen = store::questions_seen(tx, course, student).await?;
    let picked = super::service::draw(&seen, per_tag, rng);
    let a = store::insert_attempt(tx, course, student, t, t + 15 * 60_000, &picked).await?;
    for q in &picked {
        let correct = store::demo::correct_of_question(tx, *q).await?;
        let c: Vec<usize> = serde_json::from_str(&correct)?;
        store::answer_item(tx, a, *q, &c, true).await?;
    }
    store::close_attempt(tx, a, t + 5 * 60_000, 100, true).await?;
    store::insert_completion(tx, course, student, t + 5 * 60_000).await?;
    store::issue_certificate(tx, course, student, &certificate_code(), t + 5 * 60_000).await?;
    Ok(())
}

/// The correct options (0-based) of a demo question, by its text: what the browser journey
/// answers with, as a student who read the lessons would.
pub fn answer_key(prompt: &str) -> Option<Vec<usize>> {
    FIRST_QUESTIONS
        .iter()
        .chain(ELECTIVE_QUESTIONS)
        .find(|q| prompt.contains(q.1))
        .map(|q| q.3.to_vec())
}

//! `fanzha demo`: a deterministic demo province with believable generated people, and the
//! benchmarks of seeding and roster import. Each product module adds its own demo data here.

use crate::kernel::ids::UnitId;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth::model::Role;
use crate::auth::password;
use crate::auth::store::demo as auth_demo;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{Cell, Db};
use crate::i18n::Lang;
use crate::inbox::{self, Notice, Recipient};
use crate::org::model::{Duty, Unit, UnitCode, UnitKind};
use crate::org::store as org_store;
use crate::org::store::demo as org_demo;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "fanzha-demo";
/// The demo student whose login the banner prints.
pub const FIRST_STUDENT: &str = "2023001010101";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// 3 schools, about 10,000 students.
    School,
    /// About 100 schools, about 1,000,000 students (for benchmarks).
    Province,
}

impl Scale {
    pub fn parse(s: &str) -> Option<Scale> {
        match s {
            "school" => Some(Scale::School),
            "province" => Some(Scale::Province),
            _ => None,
        }
    }
    fn schools(self) -> usize {
        match self {
            Scale::School => 3,
            Scale::Province => 100,
        }
    }
    /// Small colleges beside the big schools (one college, one class a year): a province needs
    /// enough schools for some to go a year without a victim, as the Campus Without Fraud
    /// award asks.
    fn small_schools(self) -> usize {
        match self {
            Scale::School => 5,
            Scale::Province => 0,
        }
    }
    fn stations(self) -> usize {
        match self {
            Scale::School => 2,
            Scale::Province => 10,
        }
    }
    fn colleges(self) -> usize {
        match self {
            Scale::School => 5,
            Scale::Province => 8,
        }
    }
    fn classes_per_year(self) -> usize {
        match self {
            Scale::School => 5,
            Scale::Province => 10,
        }
    }
}

/// What `seed` did: whether it wrote anything, and how many students exist.
#[derive(Clone, Copy, Debug)]
pub struct Seeded {
    pub created: bool,
    pub students: i64,
    pub seconds: f64,
}

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const MALE: &str =
    "伟强磊军洋勇杰涛明超辉刚健鹏浩宇航博文俊凯晨睿哲轩然峰波斌旭阳亮毅诚嘉翔天泽子豪思远";
const FEMALE: &str =
    "芳娜敏静丽艳娟霞秀燕玲婷雪琳欣怡悦雯颖倩晴佳慧瑶萱涵琪梦蕾月彤楠璐菲妍诗语欢宁瑾";
const COLLEGES: [(&str, &str); 10] = [
    ("计算机学院", "计算机科学与技术"),
    ("经济管理学院", "会计学"),
    ("外国语学院", "英语"),
    ("机械工程学院", "机械设计制造及其自动化"),
    ("法学院", "法学"),
    ("文学院", "汉语言文学"),
    ("医学院", "临床医学"),
    ("艺术学院", "视觉传达设计"),
    ("电子信息学院", "电子信息工程"),
    ("数学与统计学院", "数学与应用数学"),
];
const SCHOOL_NAMES: [&str; 3] = ["江南大学", "江南理工学院", "江南师范学院"];
const SMALL_SCHOOL_NAMES: [&str; 5] = [
    "江州职业技术学院",
    "江州医学高等专科学校",
    "江州艺术职业学院",
    "江南商贸职业学院",
    "江州幼儿师范高等专科学校",
];
const STATION_NAMES: [&str; 2] = ["大学城派出所", "东湖派出所"];
const YEARS: [i64; 4] = [2022, 2023, 2024, 2025];

fn pick(rng: &mut StdRng, s: &str) -> char {
    let v: Vec<char> = s.chars().collect();
    v[rng.gen_range(0..v.len())]
}

fn person_name(rng: &mut StdRng, female: bool) -> String {
    let mut n = String::new();
    n.push(pick(rng, SURNAMES));
    let pool = if female { FEMALE } else { MALE };
    n.push(pick(rng, pool));
    if rng.gen_bool(0.6) {
        n.push(pick(rng, pool));
    }
    n
}

fn phone(rng: &mut StdRng) -> String {
    let prefixes = [
        "134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "182",
        "183", "187", "188", "130", "131", "132", "155", "156", "185", "186", "133", "153", "180",
        "181", "189", "177", "199",
    ];
    format!(
        "{}{:08}",
        prefixes[rng.gen_range(0..prefixes.len())],
        rng.gen_range(0..100_000_000u32)
    )
}

async fn unit(
    conn: &mut sqlx::AnyConnection,
    parent: Option<&Unit>,
    kind: UnitKind,
    code: &str,
    name: &str,
    now: i64,
) -> anyhow::Result<Unit> {
    let code = UnitCode::parse(code).ok_or_else(|| anyhow!("bad demo code {code}"))?;
    Ok(org_store::create_unit(conn, parent, kind, &code, name, now).await?)
}

struct Accounts {
    hash: String,
    now: i64,
    rows: Vec<Vec<Cell>>,
}

impl Accounts {
    fn add(&mut self, username: &str, name: &str, student: Option<i64>, staff: Option<i64>) {
        self.rows.push(vec![
            Cell::S(username.to_string()),
            Cell::S(name.to_string()),
            Cell::S(self.hash.clone()),
            student.map_or(Cell::N, Cell::I),
            staff.map_or(Cell::N, Cell::I),
            Cell::S("zh-CN".into()),
            Cell::S("Asia/Shanghai".into()),
            Cell::I(0),
            Cell::I(0),
            Cell::I(self.now),
            Cell::I(self.now),
            Cell::I(self.now),
        ]);
    }
    async fn flush(
        &mut self,
        conn: &mut sqlx::AnyConnection,
        backend: crate::db::Backend,
    ) -> anyhow::Result<()> {
        let rows = std::mem::take(&mut self.rows);
        Ok(auth_demo::insert_accounts(conn, backend, rows).await?)
    }
}

#[allow(clippy::too_many_arguments)]
async fn staff(
    conn: &mut sqlx::AnyConnection,
    org: &Unit,
    unit_id: UnitId,
    no: &str,
    name: &str,
    phone: &str,
    title: &str,
    now: i64,
) -> anyhow::Result<i64> {
    Ok(org_demo::insert_staff(conn, org.id, unit_id, no, name, phone, title, now).await?)
}

async fn account_with_grant(
    conn: &mut sqlx::AnyConnection,
    acc: &Accounts,
    username: &str,
    name: &str,
    staff: Option<i64>,
    grants: &[(Role, UnitId)],
) -> anyhow::Result<()> {
    let id = crate::auth::store::insert_account(
        &mut *conn,
        &crate::auth::store::NewAccount {
            username,
            display_name: name,
            password_hash: &acc.hash,
            student_id: None,
            staff_id: staff,
            locale: "zh-CN",
            time_zone: "Asia/Shanghai",
        },
        acc.now,
    )
    .await?;
    for (role, unit) in grants {
        crate::auth::store::insert_grant(&mut *conn, id, *role, *unit, acc.now).await?;
    }
    Ok(())
}

/// Seeds the demo when the database has no units; deterministic for a given scale.
pub async fn seed(db: &Db, clock: &Clock, scale: Scale) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let existing = org_demo::count_units(db).await?;
    if existing > 0 {
        let students = org_demo::count_students(db).await?;
        return Ok(Seeded {
            created: false,
            students,
            seconds: 0.0,
        });
    }
    let now = clock.now_ms();
    let mut rng = StdRng::seed_from_u64(20_261_123);
    let hash = password::hash_password(DEMO_PASSWORD);
    let mut acc = Accounts {
        hash,
        now,
        rows: Vec::new(),
    };
    let mut conn = db.pool.acquire().await?;
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;

    let province = unit(&mut tx, None, UnitKind::Province, "JN", "江南省", now).await?;
    let city = unit(
        &mut tx,
        Some(&province),
        UnitKind::City,
        "JN-JZ",
        "江州市",
        now,
    )
    .await?;
    account_with_grant(
        &mut tx,
        &acc,
        "province-admin",
        "省教育厅反诈办",
        None,
        &[(Role::ProvinceAdmin, province.id)],
    )
    .await?;
    account_with_grant(
        &mut tx,
        &acc,
        "police-center",
        "省反诈中心",
        None,
        &[(Role::Police, province.id)],
    )
    .await?;
    account_with_grant(
        &mut tx,
        &acc,
        "partner-bank",
        "江南银行风控",
        None,
        &[(Role::Partner, province.id)],
    )
    .await?;

    let mut stations = Vec::new();
    for i in 0..scale.stations() {
        let name = STATION_NAMES
            .get(i)
            .map_or_else(|| format!("第{}派出所", i + 1), |s| s.to_string());
        let code = format!("PS{:02}", i + 1);
        let st = unit(
            &mut tx,
            Some(&city),
            UnitKind::PoliceStation,
            &code,
            &name,
            now,
        )
        .await?;
        let leader = staff(
            &mut tx,
            &st,
            st.id,
            &format!("{code}001"),
            &person_name(&mut rng, false),
            &phone(&mut rng),
            "所长",
            now,
        )
        .await?;
        org_store::set_responsible(&mut *tx, st.id, leader, Duty::StationLeader, now).await?;
        let officer = staff(
            &mut tx,
            &st,
            st.id,
            &format!("{code}002"),
            &person_name(&mut rng, false),
            &phone(&mut rng),
            "反诈民警",
            now,
        )
        .await?;
        account_with_grant(
            &mut tx,
            &acc,
            &format!("police{}", i + 1),
            &format!("{name}民警"),
            Some(officer),
            &[(Role::Police, st.id)],
        )
        .await?;
        account_with_grant(
            &mut tx,
            &acc,
            &format!("police{}-leader", i + 1),
            &format!("{name}所长"),
            Some(leader),
            &[(Role::Police, st.id)],
        )
        .await?;
        stations.push(st);
    }

    let mut total_students = 0i64;
    for si in 0..scale.schools() + scale.small_schools() {
        let small = si >= scale.schools();
        let name = if small {
            SMALL_SCHOOL_NAMES[(si - scale.schools()) % SMALL_SCHOOL_NAMES.len()].to_string()
        } else {
            SCHOOL_NAMES
                .get(si)
                .map_or_else(|| format!("江南第{}学院", si + 1), |s| s.to_string())
        };
        let (colleges, classes_per_year) = if small {
            (1, 1)
        } else {
            (scale.colleges(), scale.classes_per_year())
        };
        let code = format!("S{:03}", si + 1);
        let school = unit(&mut tx, Some(&city), UnitKind::School, &code, &name, now).await?;
        let station = if small {
            &stations[si % stations.len()]
        } else {
            &stations[si * stations.len() / scale.schools()]
        };
        org_store::add_jurisdiction_tx(&mut tx, station.id, school.id).await?;
        let lc = code.to_lowercase();
        let leader = staff(
            &mut tx,
            &school,
            school.id,
            &format!("{code}0001"),
            &person_name(&mut rng, false),
            &phone(&mut rng),
            "分管副校长",
            now,
        )
        .await?;
        org_store::set_responsible(&mut *tx, school.id, leader, Duty::SchoolLeader, now).await?;
        let admin = staff(
            &mut tx,
            &school,
            school.id,
            &format!("{code}0002"),
            &person_name(&mut rng, true),
            &phone(&mut rng),
            "保卫处科长",
            now,
        )
        .await?;
        account_with_grant(
            &mut tx,
            &acc,
            &format!("{lc}-admin"),
            &format!("{name}保卫处"),
            Some(admin),
            &[(Role::SchoolAdmin, school.id)],
        )
        .await?;
        account_with_grant(
            &mut tx,
            &acc,
            &format!("{lc}-leader"),
            &format!("{name}校领导"),
            Some(leader),
            &[(Role::UnitLeader, school.id)],
        )
        .await?;
        let mut staff_no = 3;
        let mut students: Vec<Vec<Cell>> = Vec::new();
        let mut student_nos: Vec<(String, String)> = Vec::new();
        for ci in 0..colleges {
            let (cname, major) = COLLEGES[(ci + si) % COLLEGES.len()];
            let ccode = format!("{code}-C{:02}", ci + 1);
            let college = unit(
                &mut tx,
                Some(&school),
                UnitKind::College,
                &ccode,
                cname,
                now,
            )
            .await?;
            let cl = staff(
                &mut tx,
                &school,
                college.id,
                &format!("{code}{staff_no:04}"),
                &person_name(&mut rng, false),
                &phone(&mut rng),
                "党委副书记",
                now,
            )
            .await?;
            staff_no += 1;
            org_store::set_responsible(&mut *tx, college.id, cl, Duty::CollegeLeader, now).await?;
            account_with_grant(
                &mut tx,
                &acc,
                &format!("{lc}-c{:02}-leader", ci + 1),
                &format!("{cname}领导"),
                Some(cl),
                &[(Role::UnitLeader, college.id)],
            )
            .await?;
            for (yi, year) in YEARS.iter().enumerate() {
                let female = rng.gen_bool(0.55);
                let counselor_name = person_name(&mut rng, female);
                let counselor = staff(
                    &mut tx,
                    &school,
                    college.id,
                    &format!("{code}{staff_no:04}"),
                    &counselor_name,
                    &phone(&mut rng),
                    "辅导员",
                    now,
                )
                .await?;
                staff_no += 1;
                let mut grants = Vec::new();
                for k in 0..classes_per_year {
                    let kcode = format!("{ccode}-{year}-{:02}", k + 1);
                    let class = unit(
                        &mut tx,
                        Some(&college),
                        UnitKind::Class,
                        &kcode,
                        &format!("{major}{}级{}班", year % 100, k + 1),
                        now,
                    )
                    .await?;
                    org_store::set_responsible(&mut *tx, class.id, counselor, Duty::Counselor, now)
                        .await?;
                    grants.push((Role::Counselor, class.id));
                    let size = rng.gen_range(28..=38);
                    for n in 0..size {
                        let female = rng.gen_bool(0.5);
                        let no =
                            format!("{year}{:03}{:02}{:02}{:02}", si + 1, ci + 1, k + 1, n + 1);
                        let name = person_name(&mut rng, female);
                        let status = if yi == 0 && rng.gen_bool(0.01) {
                            "suspended"
                        } else {
                            "enrolled"
                        };
                        students.push(vec![
                            Cell::I(school.id.get()),
                            Cell::I(class.id.get()),
                            Cell::S(no.clone()),
                            Cell::S(name.clone()),
                            Cell::S(if female { "female" } else { "male" }.into()),
                            Cell::I(*year),
                            Cell::S(major.into()),
                            Cell::S(phone(&mut rng)),
                            Cell::S(format!("{no}@{lc}.edu.cn")),
                            Cell::S(status.into()),
                            Cell::I(now),
                            Cell::I(now),
                        ]);
                        student_nos.push((no, name));
                    }
                }
                account_with_grant(
                    &mut tx,
                    &acc,
                    &format!("{lc}-c{:02}-{year}", ci + 1),
                    &counselor_name,
                    Some(counselor),
                    &grants,
                )
                .await?;
            }
        }
        total_students += students.len() as i64;
        org_demo::insert_students(&mut tx, db.backend, students).await?;
        // Student accounts link to their record; usernames are student numbers.
        let ids = org_demo::student_nos_of_school(&mut tx, school.id).await?;
        let names: std::collections::HashMap<String, String> = student_nos.into_iter().collect();
        for (id, no) in ids {
            let name = names.get(&no).cloned().unwrap_or_default();
            acc.add(&no, &name, Some(id.get()), None);
        }
        acc.flush(&mut tx, db.backend).await?;
        // The accounts follow the roster as an import would have made them: keyed by school
        // and number.
        for kind in [
            crate::auth::roster_accounts::PersonKind::Student,
            crate::auth::roster_accounts::PersonKind::Staff,
        ] {
            crate::auth::roster_accounts::sync(&mut tx, db.backend, kind, school.id, &[], now)
                .await?;
        }
    }
    // One class (the first demo student's) has half its students not activated yet, for the
    // accounts page and the printed activation sheet; the first student keeps their login.
    let first_class = org_demo::class_of_student_no(&mut tx, FIRST_STUDENT).await?;
    if let Some(class_id) = first_class {
        let half = org_demo::every_other_student_of_class(&mut tx, class_id, FIRST_STUDENT).await?;
        auth_demo::unactivate_accounts_of_students(&mut tx, &half).await?;
    }

    // Inbox: a welcome notice for the demo logins.
    let welcome = Notice {
        kind: "system".into(),
        title: "欢迎使用反诈平台".into(),
        body: "这里会收到预警、宣传和通报。遇到可疑来电、链接或转账要求,先停下来,拨打 96110 咨询。"
            .into(),
        link: Some("/".into()),
    };
    let demo_logins = auth_demo::demo_login_ids(&mut tx).await?;
    for id in demo_logins {
        inbox::notify(&mut *tx, clock, &Recipient::Account(id), &welcome).await?;
    }
    let first_student = org_demo::first_student_id(&mut tx).await?;
    if let Some(s) = first_student {
        inbox::notify(&mut *tx, clock, &Recipient::Student(s), &welcome).await?;
    }
    crate::intel::demo::seed(&mut tx, clock).await?;
    crate::reports::demo::seed(&mut tx, clock).await?;
    tx.commit().await?;
    crate::cases::demo::seed(db, clock).await?;
    inbox::bump();
    crate::warnings::demo::seed(db, clock).await?;
    crate::campaigns::demo::seed(db, clock).await?;
    crate::learning::demo::seed(db, clock).await?;
    crate::volunteers::demo::seed(db, clock).await?;
    crate::contests::demo::seed(db, clock).await?;
    crate::mules::demo::seed(db, clock).await?;
    Ok(Seeded {
        created: true,
        students: total_students,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// What `fanzha demo` prints: the URL and one login per role.
pub fn banner(cfg: &Config, s: Seeded, lang: Lang) -> String {
    let url = format!("http://{}", cfg.listen);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "=========================================================="
    );
    if s.created {
        let _ = writeln!(
            out,
            " fanzha demo: seeded {} students in {:.1} s",
            s.students, s.seconds
        );
    } else {
        let _ = writeln!(
            out,
            " fanzha demo: database already has {} students; not reseeded",
            s.students
        );
    }
    let _ = writeln!(out, " open {url}");
    let _ = writeln!(out, " password of every demo account: {DEMO_PASSWORD}");
    let first_student = FIRST_STUDENT;
    for (role, user) in [
        (Role::Student, first_student),
        (Role::Counselor, "s001-c01-2023"),
        (Role::UnitLeader, "s001-c01-leader"),
        (Role::SchoolAdmin, "s001-admin"),
        (Role::Police, "police1"),
        (Role::ProvinceAdmin, "province-admin"),
        (Role::Partner, "partner-bank"),
    ] {
        let _ = writeln!(
            out,
            "   {:<16} {user}",
            lang.t(&format!("role-{}", role.as_str()))
        );
    }
    let _ = writeln!(
        out,
        "=========================================================="
    );
    out
}

mod import;

pub use import::*;

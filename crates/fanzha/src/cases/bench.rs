//! `fanzha bench cases`: generates N cases over two years across S schools (10 schools per police
//! station) in a fresh database, then times the analysis of a class, a school, a station and the
//! province, the province ranking, the case list and single case writes (which keep the summary).

use crate::kernel::ids::{AccountId, UnitId};
use std::collections::HashMap;
use std::time::Instant;

use anyhow::anyhow;
use chrono::{Datelike, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::model::*;
use super::service;
use super::store::{self, Window};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::org::model::{Unit, UnitCode, UnitKind};
use crate::org::store as org_store;

async fn unit(
    db: &Db,
    parent: Option<&Unit>,
    kind: UnitKind,
    code: &str,
    name: &str,
    now: i64,
) -> anyhow::Result<Unit> {
    let code = UnitCode::parse(code).ok_or_else(|| anyhow!("bad code {code}"))?;
    let mut conn = db.pool.acquire().await?;
    Ok(org_store::create_unit(&mut conn, parent, kind, &code, name, now).await?)
}

/// Median and maximum of `runs` timings of `f`, in milliseconds.
async fn time<F, Fut, T>(runs: usize, mut f: F) -> anyhow::Result<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut v = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Ok((v[v.len() / 2], v[v.len() - 1]))
}

pub async fn run(cfg: &Config, cases: usize, schools: usize) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("fanzha-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&tmp)?;
    let mut cfg = cfg.clone();
    if cfg.database_url.is_none() {
        cfg.data_dir = tmp.clone();
    }
    let db = crate::cli::open_db(&cfg).await?;
    if super::store::case_count(&db).await? > 0 {
        anyhow::bail!("the database is not empty; the benchmark needs a fresh one");
    }
    let clock = Clock::system();
    let now = clock.now_ms();
    let backend = db.backend.name();
    // The tree: a province, a city, one station per 10 schools, each school 2 colleges × 3 classes.
    let province = unit(&db, None, UnitKind::Province, "BP", "基准省", now).await?;
    let city = unit(&db, Some(&province), UnitKind::City, "BPC", "基准市", now).await?;
    let mut classes: Vec<(Unit, UnitId)> = Vec::new();
    let mut school_units = Vec::new();
    let mut station = None;
    for s in 0..schools {
        if s % 10 == 0 {
            station = Some(
                unit(
                    &db,
                    Some(&city),
                    UnitKind::PoliceStation,
                    &format!("BST{s:03}"),
                    &format!("基准派出所{s}"),
                    now,
                )
                .await?,
            );
        }
        let school = unit(
            &db,
            Some(&city),
            UnitKind::School,
            &format!("BS{s:03}"),
            &format!("基准大学{s}"),
            now,
        )
        .await?;
        if let Some(st) = &station {
            org_store::add_jurisdiction(&db, st.id, school.id).await?;
        }
        for c in 0..2 {
            let college = unit(
                &db,
                Some(&school),
                UnitKind::College,
                &format!("BS{s:03}C{c}"),
                &format!("学院{c}"),
                now,
            )
            .await?;
            for k in 0..3 {
                let class = unit(
                    &db,
                    Some(&college),
                    UnitKind::Class,
                    &format!("BS{s:03}C{c}K{k}"),
                    &format!("班{k}"),
                    now,
                )
                .await?;
                classes.push((class, school.id));
            }
        }
        school_units.push(school);
    }
    let officer = crate::auth::store::bench::bench_account(
        &mut *db.pool.acquire().await?,
        &crate::auth::store::bench::BenchAccount {
            username: "bench-police",
            display_name: "bench",
            password_hash: "!",
            student_id: None,
            at: now,
            activated_at: Some(now),
        },
    )
    .await?;
    // Cases over the two years before today, written in bulk, with the daily summary computed the
    // same way the write path keeps it.
    let today = local_date(now);
    let start = ms_of_date(today - chrono::Duration::days(730));
    let span = ms_of_date(today) - start;
    let types: Vec<&str> = fanzha_detect::FraudType::ALL
        .iter()
        .filter(|t| t.is_fraud())
        .map(|t| t.id())
        .collect();
    let majors = [
        "计算机科学",
        "法学",
        "数学",
        "临床医学",
        "会计学",
        "英语",
        "机械工程",
        "新闻学",
    ];
    let mut rng = StdRng::seed_from_u64(42);
    let t = Instant::now();
    let mut daily: HashMap<(UnitId, i64), (i64, i64, i64)> = HashMap::new();
    let mut monthly: HashMap<(UnitId, i64, &'static str, String), (i64, i64)> = HashMap::new();
    const ROWS: usize = 1000;
    let mut done = 0;
    while done < cases {
        let n = ROWS.min(cases - done);
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            let (class, school_id) = &classes[rng.gen_range(0..classes.len())];
            let at = start + rng.gen_range(0..span);
            let role = if rng.gen_bool(0.9) {
                "student"
            } else if rng.gen_bool(0.5) {
                "staff"
            } else {
                "other"
            };
            let lost = rng.gen_range(100..50_000i64) * 100;
            let e = daily.entry((*school_id, local_day(at))).or_default();
            e.0 += 1;
            e.1 += i64::from(role != "other");
            e.2 += lost;
            let grade = (role == "student").then(|| today.year() as i64 - rng.gen_range(0..4));
            let major = majors[rng.gen_range(0..majors.len())];
            let gender = if rng.gen_bool(0.5) { "male" } else { "female" };
            let fraud_type = types[rng.gen_range(0..types.len())];
            let channel = Channel::ALL[rng.gen_range(0..Channel::ALL.len())].as_str();
            let f = store::Facts {
                school_id: *school_id,
                unit_path: class.path.clone(),
                occurred_at: at,
                fraud_type: fraud_type.to_string(),
                channel: channel.to_string(),
                grade,
                major: Some(major.to_string()),
                gender: Some(gender.to_string()),
                role: role.to_string(),
                lost,
                recovered: 0,
            };
            let month = f.month();
            for (dim, key) in f.keys() {
                for u in [*school_id, city.id, province.id] {
                    let m = monthly.entry((u, month, dim, key.clone())).or_default();
                    m.0 += 1;
                    m.1 += lost;
                }
            }
            rows.push(store::bench::BenchCase {
                school_id: *school_id,
                unit_id: class.id,
                unit_path: class.path.clone(),
                victim_role: role,
                victim_enroll_year: if role == "student" {
                    Some(today.year() as i64 - rng.gen_range(0..4))
                } else {
                    None
                },
                victim_major: majors[rng.gen_range(0..majors.len())],
                victim_gender: if rng.gen_bool(0.5) { "male" } else { "female" },
                fraud_type: types[rng.gen_range(0..types.len())],
                channel: Channel::ALL[rng.gen_range(0..Channel::ALL.len())].as_str(),
                occurred_at: at,
                lost_cents: lost,
            });
        }
        store::bench::bench_insert_cases(&db, &rows, officer, now).await?;
        done += n;
    }
    let rows: Vec<_> = daily.into_iter().collect();
    store::bench::bench_insert_daily(&db, &rows).await?;
    let rows: Vec<_> = monthly.into_iter().collect();
    store::bench::bench_insert_monthly(&db, &rows).await?;
    // The per-day summary by dimension, grouped by the database from the cases just written.
    store::bench::bench_daily_dims(&db).await?;
    // The city's and province's rows are the sums of their schools' rows.
    let school_ids: Vec<UnitId> = school_units.iter().map(|u| u.id).collect();
    for u in [&city, &province] {
        store::bench::bench_roll_up(&db, u.id, &school_ids).await?;
    }
    // Prevention data for the ranking: warnings (a quarter as many as cases), reports (a fifth),
    // and 100 campaigns a year each reaching every class (their reach rollup rows).
    let prevention_rows =
        seed_prevention(&db, &classes, officer, start, span, cases, &mut rng).await?;
    crate::db::analyze(&db).await?;
    let load = t.elapsed().as_secs_f64();
    println!(
        "bench cases ({backend}): {cases} cases across {schools} schools written in {load:.1} s"
    );
    println!(
        "  prevention data: {} warnings, {} reports, {} campaigns ({} reach rows)",
        prevention_rows.0, prevention_rows.1, prevention_rows.2, prevention_rows.3
    );

    let year_from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let last_year_from = today - chrono::Duration::days(365);
    let school = school_units[0].clone();
    let station_unit = org_store::unit_by_code(&db, "BST000")
        .await?
        .ok_or_else(|| anyhow!("no station"))?;
    let class = classes[0].0.clone();
    let report = |label: &str, (med, max): (f64, f64)| {
        println!("  {label:<52} median {med:>8.1} ms   max {max:>8.1} ms");
    };
    for (label, u, from) in [
        ("analysis: class, last 365 days", &class, last_year_from),
        ("analysis: school, last 365 days", &school, last_year_from),
        ("analysis: school, this year so far", &school, year_from),
        (
            "analysis: station (10 schools), last 365 days",
            &station_unit,
            last_year_from,
        ),
        (
            "analysis: province (all schools), last 365 days",
            &province,
            last_year_from,
        ),
    ] {
        let r = time(5, || async {
            service::analyse(&db, u, from, today, now)
                .await
                .map_err(|e| anyhow!("{e:?}"))
        })
        .await?;
        report(label, r);
    }
    let year = today.year() - 1;
    let r = time(5, || async {
        service::ranking(&db, &province, year)
            .await
            .map_err(|e| anyhow!("{e:?}"))
    })
    .await?;
    report(&format!("province ranking ({year}, {schools} schools)"), r);
    let w = Window {
        paths: vec![school.path.clone()],
        from: ms_of_date(last_year_from),
        to: ms_of_date(today) + DAY_MS,
    };
    let r = time(5, || async { Ok(store::list_cases(&db, &w, 50, 0).await?) }).await?;
    report("case list: school, first page of 50", r);
    // Single writes through the store, which keeps the daily summary.
    let (class, school_id) = classes[1].clone();
    let c = ValidCase {
        school_id,
        unit_id: class.id,
        unit_path: class.path.clone(),
        victim_student_id: None,
        victim_staff_id: None,
        victim_role: VictimRole::Student,
        victim_enroll_year: Some(2024),
        victim_major: Some("法学".into()),
        victim_gender: Some("female".into()),
        fraud_type: fanzha_detect::FraudType::RebateTask,
        channel: Channel::Qq,
        occurred_at: now - 3_600_000,
        amount_lost: Money::from_cents(10_000).unwrap_or_default(),
        amount_recovered: Money::default(),
        status: CaseStatus::Open,
        narrative: "基准".into(),
        indicators: vec![("phone".into(), "13800001111".into())],
        person_role: Default::default(),
        lent_account: None,
    };
    let r = time(200, || async {
        let mut tx = db.begin_write().await?;
        store::insert_case(&mut tx, &c, None, officer, now).await?;
        tx.commit().await?;
        Ok(())
    })
    .await?;
    report("record one case (with indicators and summary)", r);
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

/// Warnings, reports and campaigns with their reach rollups, spread over the same two years and
/// classes as the cases, for the prevention figures of the ranking. Returns (warnings, reports,
/// campaigns, reach rows).
async fn seed_prevention(
    db: &Db,
    classes: &[(Unit, UnitId)],
    account: AccountId,
    start: i64,
    span: i64,
    cases: usize,
    rng: &mut StdRng,
) -> anyhow::Result<(usize, usize, usize, usize)> {
    const H: i64 = 3_600_000;
    let warnings = cases / 4;
    let reports = cases / 5;
    let mut rows = Vec::with_capacity(warnings.min(100_000));
    for i in 0..warnings {
        let (class, school_id) = &classes[rng.gen_range(0..classes.len())];
        let at = start + rng.gen_range(0..span);
        let ack = at + rng.gen_range(0..2 * H);
        let contact = at + rng.gen_range(0..8 * H);
        rows.push(crate::warnings::store::bench::ClosedWarning {
            school_id: *school_id,
            unit_path: &class.path,
            at,
            acknowledged_at: ack,
            contacted_at: contact,
        });
        if rows.len() == 100_000 || i + 1 == warnings {
            crate::warnings::store::bench::insert_closed(db, &rows).await?;
            rows.clear();
        }
    }
    let mut rows = Vec::with_capacity(reports.min(100_000));
    for i in 0..reports {
        let (class, school_id) = &classes[rng.gen_range(0..classes.len())];
        let at = start + rng.gen_range(0..span);
        rows.push(crate::reports::store::bench::ClosedReport {
            n: i,
            school_id: *school_id,
            unit_path: &class.path,
            at,
        });
        if rows.len() == 100_000 || i + 1 == reports {
            crate::reports::store::bench::insert_closed(db, account, &rows).await?;
            rows.clear();
        }
    }
    use crate::campaigns::store::bench as campaigns_bench;
    let content = campaigns_bench::insert_bench_content(db, account).await?;
    let campaigns = 200;
    let mut reach = 0;
    let mut rows = Vec::new();
    for k in 0..campaigns {
        let at = start + span / campaigns as i64 * k as i64;
        let id = campaigns_bench::insert_sent_campaign(db, content, account, at).await?;
        for (class, _) in classes {
            let audience = rng.gen_range(20..60i64);
            let ack = rng.gen_range(0..=audience);
            rows.push(campaigns_bench::BenchReach {
                campaign_id: id,
                unit_path: &class.path,
                audience,
                acknowledged: ack,
            });
        }
        reach += classes.len();
        if rows.len() >= 50_000 || k + 1 == campaigns {
            campaigns_bench::insert_reach(db, &rows).await?;
            rows.clear();
        }
    }
    Ok((warnings, reports, campaigns, reach))
}

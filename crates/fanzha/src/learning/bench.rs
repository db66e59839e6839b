//! `fanzha bench learning` and `fanzha bench checkin`.
//!
//! `learning`: the credit export of one school for academic affairs. Generates a
//! school of N students (one college, 200 classes, through the roster import) in a fresh database
//! (a temporary SQLite file, or the configured PostgreSQL, which must be empty), gives every
//! student a completed course with its certificate, then times the export as CSV and as .xlsx
//! (query and file together, as the page does) and checks that a re-export is byte-identical.
//!
//! `checkin`: N students of one school check in to one lecture from C concurrent clients, each
//! check-in the full server-side path (the rotating code verified, the device looked up, the row
//! written in its own transaction), spread over `--seconds` (60 by default; 0 as fast as the clients go); prints throughput and latency
//! percentiles.

use crate::kernel::ids::AccountId;
use std::time::Instant;

use anyhow::{anyhow, bail};

use super::model::NewCourse;
use super::{service, store};
use crate::clock::Clock;
use crate::config::Config;
use crate::org::model::{Unit, UnitCode, UnitKind};
use crate::org::store as org_store;

async fn unit(
    db: &crate::db::Db,
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

/// Median and maximum of `runs` timings, in milliseconds, and the last result.
async fn time<F, Fut, T>(runs: usize, mut f: F) -> anyhow::Result<(f64, f64, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut v = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f().await?);
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let last = last.ok_or_else(|| anyhow!("no run"))?;
    Ok((v[v.len() / 2], v[v.len() - 1], last))
}

pub async fn run(cfg: &Config, students: usize) -> anyhow::Result<()> {
    let (db, _, tmp) = fresh(cfg).await?;
    let clock = Clock::system();
    let now = clock.now_ms();
    let backend = db.backend.name();
    let province = unit(&db, None, UnitKind::Province, "BP", "基准省", now).await?;
    let school = unit(
        &db,
        Some(&province),
        UnitKind::School,
        "BS",
        "基准大学",
        now,
    )
    .await?;
    let college = unit(&db, Some(&school), UnitKind::College, "BC", "基准学院", now).await?;
    let mut classes = Vec::new();
    for i in 0..200 {
        let c = unit(
            &db,
            Some(&college),
            UnitKind::Class,
            &format!("BK{i:03}"),
            &format!("基准{i}班"),
            now,
        )
        .await?;
        classes.push(c.code);
    }
    let csv = crate::demo::generated_roster(students, &classes, 7);
    let t = Instant::now();
    crate::org::service::import_roster(&db, &clock, &school, csv.as_bytes(), None)
        .await
        .map_err(|e| anyhow!("import failed: {e:?}"))?;
    let imported = t.elapsed().as_secs_f64();
    let course = NewCourse::parse("网络安全与反诈", "", "2", "60", "1", "3", "20", false, None)
        .map_err(|e| anyhow!("course: {e:?}"))?;
    let t = Instant::now();
    let mut tx = db.begin_write().await?;
    let id = store::insert_course(&mut tx, school.id, &course, AccountId(0), now).await?;
    store::add_enrolment(&mut tx, id, &super::model::Enrolment::Unit(school.id), now).await?;
    tx.commit().await?;
    store::bench_complete_everyone(&db, id, &school.name, now).await?;
    let filled = t.elapsed().as_secs_f64();
    let mut sizes = Vec::new();
    for xlsx in [false, true] {
        let (median, max, body) = time(3, || async {
            let rows = store::credits_of_school(&db, school.id, 0, i64::MAX).await?;
            service::credit_file(&rows, xlsx).map_err(|e| anyhow!(e))
        })
        .await?;
        sizes.push((xlsx, median, max, body));
    }
    let again = service::credit_file(
        &store::credits_of_school(&db, school.id, 0, i64::MAX).await?,
        false,
    )
    .map_err(|e| anyhow!(e))?;
    let identical = again == sizes[0].3;
    println!(
        "bench learning ({backend}): {students} students imported in {imported:.1} s, certificates in {filled:.1} s; \
         credit export CSV median {:.0} ms (max {:.0} ms, {} bytes), .xlsx median {:.0} ms (max {:.0} ms, {} bytes); \
         re-export byte-identical: {identical}",
        sizes[0].1,
        sizes[0].2,
        sizes[0].3.len(),
        sizes[1].1,
        sizes[1].2,
        sizes[1].3.len(),
    );
    let _ = std::fs::remove_dir_all(&tmp);
    if !identical {
        bail!("the re-export differs");
    }
    Ok(())
}

/// A fresh database for a benchmark: the configured PostgreSQL (which must be empty) or a
/// temporary SQLite file; with the temporary directory to remove.
async fn fresh(cfg: &Config) -> anyhow::Result<(crate::db::Db, Config, std::path::PathBuf)> {
    let tmp = std::env::temp_dir().join(format!(
        "fanzha-bench-learning-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&tmp)?;
    let mut cfg = cfg.clone();
    if cfg.database_url.is_none() {
        cfg.data_dir = tmp.clone();
    }
    let db = crate::cli::open_db(&cfg).await?;
    let existing = crate::org::store::demo::count_students(&db).await?;
    if existing > 0 {
        bail!("the database is not empty; the benchmark needs a fresh one");
    }
    Ok((db, cfg, tmp))
}

pub async fn checkin(
    cfg: &Config,
    checkins: usize,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    use super::model::NewActivity;
    let (db, _, tmp) = fresh(cfg).await?;
    let clock = Clock::system();
    let now = clock.now_ms();
    let backend = db.backend.name();
    let province = unit(&db, None, UnitKind::Province, "BP", "基准省", now).await?;
    let school = unit(
        &db,
        Some(&province),
        UnitKind::School,
        "BS",
        "基准大学",
        now,
    )
    .await?;
    let college = unit(&db, Some(&school), UnitKind::College, "BC", "基准学院", now).await?;
    let mut classes = Vec::new();
    for i in 0..50 {
        let c = unit(
            &db,
            Some(&college),
            UnitKind::Class,
            &format!("BK{i:03}"),
            &format!("基准{i}班"),
            now,
        )
        .await?;
        classes.push(c.code);
    }
    let csv = crate::demo::generated_roster(checkins, &classes, 11);
    crate::org::service::import_roster(&db, &clock, &school, csv.as_bytes(), None)
        .await
        .map_err(|e| anyhow!("import failed: {e:?}"))?;
    let a = NewActivity::parse("lecture", "反诈讲座", "大礼堂", Some(now - 60_000), "120")
        .map_err(|e| anyhow!("activity: {e:?}"))?;
    let mut tx = db.begin_write().await?;
    let id = store::insert_activity(&mut tx, school.id, school.id, &a, AccountId(0), "基准", now)
        .await?;
    tx.commit().await?;
    let activity = store::activity_by_id(&db, id)
        .await?
        .ok_or_else(|| anyhow!("no activity"))?;
    let students = org_store::students_of_school(&db, school.id).await?;
    let clients = clients.max(1);
    // Each client's check-ins are spread evenly over `seconds` (0: as fast as it can), the
    // clients staggered, so the load is the "N check-ins within one minute".
    let per_client = checkins.div_ceil(clients).max(1);
    let interval = std::time::Duration::from_secs(seconds) / per_client as u32;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (db, clock, activity) = (db.clone(), clock.clone(), activity.clone());
        let mine: Vec<_> = students.iter().skip(c).step_by(clients).cloned().collect();
        let offset = interval * c as u32 / clients as u32;
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(mine.len());
            for (i, s) in mine.into_iter().enumerate() {
                tokio::time::sleep_until((started + offset + interval * i as u32).into()).await;
                let t = Instant::now();
                let code = service::code_now(&db, &clock, activity.id)
                    .await
                    .map_err(|e| anyhow!("code: {e:?}"))?
                    .short_code;
                let device = format!("bench-device-{}", s.id);
                service::check_in_as(
                    &db,
                    &clock,
                    s,
                    activity.clone(),
                    AccountId(0),
                    &code,
                    &device,
                )
                .await
                .map_err(|e| anyhow!("check-in refused: {e:?}"))?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(times)
        }));
    }
    let mut all = Vec::with_capacity(students.len());
    for t in tasks {
        all.extend(t.await??);
    }
    let total = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| all[((all.len() as f64 * q).ceil() as usize).clamp(1, all.len()) - 1];
    let recorded: i64 = crate::learning::store::bench::checkins_of_activity(&db, id).await?;
    println!(
        "bench checkin ({backend}): {} check-ins from {clients} clients paced over {seconds} s, done in {total:.1} s ({:.0}/s); \
         latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {recorded} recorded",
        all.len(),
        all.len() as f64 / total,
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0),
    );
    let _ = std::fs::remove_dir_all(&tmp);
    if recorded != all.len() as i64 {
        bail!("{recorded} check-ins recorded of {}", all.len());
    }
    Ok(())
}

//! `fanzha bench volunteers`: the figures issue 21 asks for, on a fresh database — 1,000 claims
//! from 64 concurrent clients on a 100-slot task (exactly 100 accepted; latency percentiles), a
//! province leaderboard over a ledger of 1,000,000 entries, and a balance read.
//!
//! The data is generated directly (a province, a city, a station, schools with one class each,
//! students with accounts registered as volunteers), so that the run measures the volunteers
//! module and not the demo seeding.

use crate::kernel::ids::{AccountId, StudentId, UnitId};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};

use super::model::{Proof, ValidTask};
use super::service;
use super::store;
use crate::auth::model::{Grant, Principal, Role, Via};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::org::service::NewUnit;

/// What to run.
#[derive(Clone, Debug)]
pub struct Spec {
    pub claims: usize,
    pub clients: usize,
    pub slots: i64,
    pub entries: usize,
    pub schools: usize,
    pub volunteers: usize,
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Data {
    province_path: String,
    station: (UnitId, String, AccountId),
    people: Vec<Principal>,
}

async fn generate(
    db: &Db,
    clock: &Clock,
    schools: usize,
    volunteers: usize,
) -> anyhow::Result<Data> {
    let unit = |code: String, name: String, kind: &str, parent: Option<&str>| NewUnit {
        parent_code: parent.map(str::to_string),
        kind: kind.into(),
        code,
        name,
    };
    let mk = |u: NewUnit| async move {
        crate::org::service::create_unit(db, clock, &u)
            .await
            .map_err(|e| anyhow::anyhow!("unit: {e:?}"))
    };
    let p = mk(unit("BP".into(), "基准省".into(), "province", None)).await?;
    mk(unit("BC".into(), "基准市".into(), "city", Some("BP"))).await?;
    let st = mk(unit(
        "BST".into(),
        "基准派出所".into(),
        "police_station",
        Some("BC"),
    ))
    .await?;
    let police = bench_account(&mut *db.pool.acquire().await?, "bench-police", None).await?;
    let mut people = Vec::new();
    let per = volunteers.div_ceil(schools.max(1));
    for s in 0..schools {
        let sch = mk(unit(
            format!("BS{s}"),
            format!("基准大学{s}"),
            "school",
            Some("BC"),
        ))
        .await?;
        crate::org::store::add_jurisdiction(db, st.id, sch.id).await?;
        mk(unit(
            format!("BS{s}C"),
            format!("基准学院{s}"),
            "college",
            Some(&format!("BS{s}")),
        ))
        .await?;
        let class = mk(unit(
            format!("BS{s}K"),
            format!("基准班{s}"),
            "class",
            Some(&format!("BS{s}C")),
        ))
        .await?;
        let mut tx = db.begin_write().await?;
        for i in 0..per.min(volunteers - people.len()) {
            let no = format!("B{s:03}{i:06}");
            let sid = crate::org::store::bench::bench_student(
                &mut tx,
                sch.id,
                class.id,
                &no,
                &format!("同学{i}"),
            )
            .await?;
            let aid = bench_account(&mut tx, &no, Some(sid)).await?;
            store::bench_volunteer(&mut tx, sid, aid, sch.id, class.id, &class.path).await?;
            people.push(Principal {
                account_id: aid,
                username: no.clone(),
                display_name: no,
                student_id: Some(sid),
                staff_id: None,
                grants: vec![Grant {
                    role: Role::Student,
                    unit_id: class.id,
                    unit_name: class.name.clone(),
                    unit_code: class.code.clone(),
                    unit_kind: "class".into(),
                    scope_paths: vec![],
                }],
                via: Via::Token {
                    token_id: 0,
                    scopes: vec![],
                },
                time_zone: chrono_tz::Asia::Shanghai,
                locale: "zh-CN".into(),
                must_change_password: false,
            });
        }
        tx.commit().await?;
    }
    Ok(Data {
        province_path: p.path,
        station: (st.id, st.path, police),
        people,
    })
}

/// Runs the benchmark on a fresh `db`; returns the printed figures.
pub async fn run(db: &Db, clock: &Clock, spec: &Spec) -> anyhow::Result<String> {
    // The claims go through the same writer as the API's (one per process).
    let claims = super::service::claims::ClaimWriter::new(db.clone());
    let backend = db.backend.name();
    let mut out = format!("volunteers benchmark on {backend}\n");
    let t = Instant::now();
    let data = generate(db, clock, spec.schools, spec.volunteers.max(spec.claims)).await?;
    out.push_str(&format!(
        "  data: {} schools, {} volunteers generated in {:.1} s\n",
        spec.schools,
        data.people.len(),
        t.elapsed().as_secs_f64()
    ));

    // 1. Claims: `claims` people, `clients` at a time, on one task of `slots` places.
    let now = clock.now_ms();
    let (station_id, station_path, police) = data.station.clone();
    let mut tx = db.begin_write().await?;
    let task = store::insert_task(
        &mut tx,
        station_id,
        &station_path,
        police,
        &ValidTask {
            title: "基准任务".into(),
            description: "基准".into(),
            place: "基准地点".into(),
            starts_at: now + 3_600_000,
            ends_at: now + 7_200_000,
            withdraw_until: now + 3_600_000,
            slots: spec.slots,
            points: 10,
            minutes: 60,
            proof: Proof::Checkin,
            targets: vec![],
        },
        &[],
        now,
    )
    .await?;
    tx.commit().await?;
    let people = Arc::new(data.people[..spec.claims].to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let t = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..spec.clients {
        let (claims, clock, people, next) =
            (claims.clone(), clock.clone(), people.clone(), next.clone());
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut ok = 0usize;
            let mut other = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= people.len() {
                    break;
                }
                let s = Instant::now();
                match service::claim(&claims, &clock, &people[i], task, false).await {
                    Ok(_) => ok += 1,
                    Err(crate::volunteers::model::VolError::Full) => {}
                    Err(e) => other.push(e.to_string()),
                }
                lat.push(s.elapsed().as_secs_f64() * 1000.0);
            }
            (lat, ok, other)
        }));
    }
    let mut lat = Vec::new();
    let mut accepted = 0;
    for h in handles {
        let (l, ok, other) = h.await?;
        if let Some(e) = other.first() {
            bail!("a claim failed: {e}");
        }
        lat.extend(l);
        accepted += ok;
    }
    let wall = t.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let taken = store::bench_taken(&mut *db.pool.acquire().await?, task).await?;
    let expected = spec.claims.min(spec.slots as usize);
    out.push_str(&format!(
        "  claims: {} from {} clients on {} places: {} accepted (expected {expected}, taken {taken}) in {:.2} s; \
         latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n",
        spec.claims,
        spec.clients,
        spec.slots,
        accepted,
        wall,
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0),
    ));
    if accepted != expected || taken != expected as i64 {
        bail!("{accepted} claims accepted, {taken} taken; expected {expected}");
    }

    // 2. The ledger: `entries` awards spread over the volunteers and the last 120 days.
    let t = Instant::now();
    let ids = store::bench_volunteer_ids(&mut *db.pool.acquire().await?).await?;
    let mut done = 0usize;
    while done < spec.entries {
        let n = 400.min(spec.entries - done);
        let rows: Vec<(i64, i64, String, i64)> = (done..done + n)
            .map(|k| {
                let at = now - ((k as i64 * 7_919) % (120 * 86_400_000 / 1000)) * 1000;
                (
                    ids[k % ids.len()],
                    1 + k as i64 % 10,
                    format!("bench:{k}"),
                    at,
                )
            })
            .collect();
        let mut tx = db.begin_write().await?;
        store::bench_awards(&mut tx, db.backend, &rows).await?;
        tx.commit().await?;
        done += n;
    }
    // The entries were written in bulk, past the service: the stored totals are rebuilt from the
    // ledger as migrations 0029 and 0032 do, then checked against the sums.
    {
        let mut c = db.pool.acquire().await?;
        store::rebuild_totals(&mut c).await?;
        if !store::totals_mismatches(&mut c).await?.is_empty() {
            bail!("stored totals differ from the ledger");
        }
    }
    crate::db::analyze(db).await?;
    out.push_str(&format!(
        "  ledger: {} entries written in {:.1} s\n",
        spec.entries,
        t.elapsed().as_secs_f64()
    ));

    // 3. The province leaderboard (people, classes and schools) for every period the page
    // offers: this week, this month, this term and all time.
    use super::model::{period_start, Period, BOARD_ZONE};
    for (label, period) in [
        ("this week", Period::Week),
        ("this month", Period::Month),
        ("this term", Period::Term),
        ("all time", Period::All),
    ] {
        let since = period_start(period, now, BOARD_ZONE);
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let mut c = db.pool.acquire().await?;
            let path = &data.province_path;
            let people = store::earned_people(&mut c, path, period, since, 20).await?;
            let classes =
                store::earned_groups(&mut c, path, store::Group::Class, period, since, 20).await?;
            let schools = store::earned_schools(&mut c, path, period, since, 20).await?;
            if people.is_empty() || classes.is_empty() || schools.is_empty() {
                bail!("an empty leaderboard");
            }
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        out.push_str(&format!(
            "  province leaderboard ({label}) over {} entries: median {:.1} ms, worst of 5 {:.1} ms\n",
            spec.entries,
            pct(&times, 0.5),
            times.last().copied().unwrap_or(0.0)
        ));
    }

    // 4. A balance read: the volunteer's stored balance (what `GET /api/v1/volunteers/balance`
    // returns), checked against the sum of the entries outside the timing.
    let mut times = Vec::new();
    for i in 0..1000 {
        let p = &data.people[i % data.people.len()];
        let t = Instant::now();
        let (balance, _) = service::balance(db, p).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if balance < 0 {
            bail!("a negative balance");
        }
        if i % 100 == 0 {
            let v = service::me(db, p).await?.context("a volunteer")?;
            let mut c = db.pool.acquire().await?;
            if store::ledger_sum(&mut c, v.id).await? != balance {
                bail!("a stored balance differs from its entries");
            }
        }
    }
    times.sort_by(f64::total_cmp);
    out.push_str(&format!(
        "  balance read: p50 {:.3} ms, p99 {:.3} ms (1,000 reads)\n",
        pct(&times, 0.5),
        pct(&times, 0.99)
    ));
    Ok(out)
}

/// A bare account that never signs in, linked to a student when given; its username is also its
/// display name.
async fn bench_account(
    c: &mut sqlx::AnyConnection,
    username: &str,
    student_id: Option<StudentId>,
) -> crate::db::DbResult<AccountId> {
    crate::auth::store::bench::bench_account(
        c,
        &crate::auth::store::bench::BenchAccount {
            username,
            display_name: username,
            password_hash: "",
            student_id,
            at: 0,
            activated_at: None,
        },
    )
    .await
}

/// Runs on a fresh database: a new schema of the configured PostgreSQL, else SQLite in a
/// temporary directory; removed afterwards.
pub async fn bench(cfg: &Config, spec: Spec) -> anyhow::Result<()> {
    let scratch = crate::db::scratch(cfg, "volunteers").await?;
    let clock = Clock::manual(crate::clock::system_now_ms());
    let r = run(&scratch.db, &clock, &spec).await;
    scratch.remove().await?;
    println!("{}", r?);
    Ok(())
}

//! `fanzha bench cases`: generates N cases over two years across S schools (10 schools per police
//! station) in a fresh database, then times the analysis of a class, a school, a station and the
//! province, the province ranking, the case list and single case writes (which keep the summary).

use crate::kernel::ids::UnitId;
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
    let officer: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (username, display_name, password_hash, locale, time_zone, failed_logins, disabled, created_at, password_changed_at, activated_at) \
         VALUES ('bench-police', 'bench', '!', 'zh-CN', 'Asia/Shanghai', 0, 0, $1, $1, $1) RETURNING id",
    )
    .bind(now)
    .fetch_one(&db.pool)
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
        let mut sql = String::from(
            "INSERT INTO cases (school_id, unit_id, unit_path, victim_role, victim_enroll_year, victim_major, victim_gender, \
             fraud_type, channel, occurred_at, amount_lost_cents, amount_recovered_cents, status, narrative, created_by, created_at, updated_at) VALUES ",
        );
        sql.push_str(&crate::db::values_rows(n, 17, 1));
        let sql = crate::db::bulk_sql(db.backend, &sql);
        let mut q = sqlx::query(&sql);
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
            q = q
                .bind(*school_id)
                .bind(class.id)
                .bind(class.path.clone())
                .bind(role)
                .bind(if role == "student" {
                    Some(today.year() as i64 - rng.gen_range(0..4))
                } else {
                    None
                })
                .bind(majors[rng.gen_range(0..majors.len())])
                .bind(if rng.gen_bool(0.5) { "male" } else { "female" })
                .bind(types[rng.gen_range(0..types.len())])
                .bind(Channel::ALL[rng.gen_range(0..Channel::ALL.len())].as_str())
                .bind(at)
                .bind(lost)
                .bind(0i64)
                .bind("closed")
                .bind("基准案情")
                .bind(officer)
                .bind(now)
                .bind(now);
        }
        q.execute(&db.pool).await?;
        done += n;
    }
    let rows: Vec<_> = daily.into_iter().collect();
    for chunk in rows.chunks(1000) {
        let mut sql = String::from(
            "INSERT INTO case_daily (school_id, day, cases, victims, lost_cents) VALUES ",
        );
        let mut p = 1;
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${},${},${},${},${})",
                p,
                p + 1,
                p + 2,
                p + 3,
                p + 4
            ));
            p += 5;
        }
        let sql = crate::db::bulk_sql(db.backend, &sql);
        let mut q = sqlx::query(&sql);
        for ((s, d), (c, v, l)) in chunk {
            q = q.bind(*s).bind(*d).bind(*c).bind(*v).bind(*l);
        }
        q.execute(&db.pool).await?;
    }
    let rows: Vec<_> = monthly.into_iter().collect();
    for chunk in rows.chunks(1000) {
        let mut sql = String::from(
            "INSERT INTO case_monthly (unit_id, month, dim, bucket, cases, lost_cents, recovered_cents) VALUES ",
        );
        let mut p = 1;
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${},${},${},${},${},${},0)",
                p,
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5
            ));
            p += 6;
        }
        let sql = crate::db::bulk_sql(db.backend, &sql);
        let mut q = sqlx::query(&sql);
        for ((s, m, d, k), (n, l)) in chunk {
            q = q
                .bind(*s)
                .bind(*m)
                .bind(*d)
                .bind(k.clone())
                .bind(*n)
                .bind(*l);
        }
        q.execute(&db.pool).await?;
    }
    // The per-day summary by dimension, grouped by the database from the cases just written.
    let off = TZ_OFFSET_MS;
    for (dim, expr) in [
        ("total", "''".to_string()),
        ("fraud_type", "fraud_type".to_string()),
        ("channel", "channel".to_string()),
        (
            "grade",
            "COALESCE(CAST(victim_enroll_year AS TEXT), '')".to_string(),
        ),
        ("major", "COALESCE(victim_major, '')".to_string()),
        ("gender", "COALESCE(victim_gender, '')".to_string()),
        ("role", "victim_role".to_string()),
        (
            "hour",
            format!("CAST(((occurred_at + {off}) / 3600000) % 24 AS TEXT)"),
        ),
        (
            "weekday",
            format!("CAST((((occurred_at + {off}) / 86400000) + 3) % 7 AS TEXT)"),
        ),
    ] {
        // PostgreSQL refuses a constant in GROUP BY: the total groups by school and day only.
        let by = if dim == "total" {
            String::new()
        } else {
            format!(", {expr}")
        };
        sqlx::query(&format!(
            "INSERT INTO case_daily_dims (unit_id, day, dim, bucket, cases, lost_cents, recovered_cents) \
             SELECT school_id, (occurred_at + {off}) / 86400000, '{dim}', {expr}, COUNT(*), SUM(amount_lost_cents), SUM(amount_recovered_cents) \
             FROM cases GROUP BY school_id, (occurred_at + {off}) / 86400000{by}"
        ))
        .execute(&db.pool)
        .await?;
    }
    // The city's and province's rows are the sums of their schools' rows.
    for u in [&city, &province] {
        sqlx::query(&format!(
            "INSERT INTO case_daily_dims (unit_id, day, dim, bucket, cases, lost_cents, recovered_cents) \
             SELECT {}, day, dim, bucket, SUM(cases), SUM(lost_cents), SUM(recovered_cents) FROM case_daily_dims \
             WHERE unit_id IN (SELECT id FROM units WHERE kind = 'school') GROUP BY day, dim, bucket",
            u.id
        ))
        .execute(&db.pool)
        .await?;
    }
    // Prevention data for the ranking: warnings (a quarter as many as cases), reports (a fifth),
    // and 100 campaigns a year each reaching every class (their reach rollup rows).
    let prevention_rows =
        seed_prevention(&db, &classes, officer, start, span, cases, &mut rng).await?;
    sqlx::query("ANALYZE").execute(&db.pool).await?;
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

/// Inserts `rows` of literal SQL values into `table (cols)`, 1,000 rows a statement.
async fn insert_literal(db: &Db, table: &str, rows: &[String]) -> anyhow::Result<()> {
    for chunk in rows.chunks(1000) {
        let sql = format!("INSERT INTO {table} VALUES {}", chunk.join(","));
        sqlx::query(&sql).execute(&db.pool).await?;
    }
    Ok(())
}

/// Warnings, reports and campaigns with their reach rollups, spread over the same two years and
/// classes as the cases, for the prevention figures of the ranking. Returns (warnings, reports,
/// campaigns, reach rows).
async fn seed_prevention(
    db: &Db,
    classes: &[(Unit, UnitId)],
    account: i64,
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
        rows.push(format!(
            "('police','bench',NULL,'/',NULL,NULL,{school_id},'{}',NULL,NULL,'rebate_task','high','closed','',0,NULL,{H},{},{at},{},{},NULL,NULL,0,{ack},NULL,{contact},'phone',NULL,NULL,NULL,NULL,{at},{at})",
            class.path,
            4 * H,
            at + H,
            at + 4 * H
        ));
        if rows.len() == 100_000 || i + 1 == warnings {
            insert_literal(
                db,
                "warnings (source_kind, origin, issued_by_account_id, issuer_unit_path, idempotency_key, student_id, school_id, unit_path, phone, student_no, \
                 fraud_type, severity, status, detail, level, assignee_staff_id, ack_window_ms, contact_window_ms, routed_at, ack_due_at, contact_due_at, \
                 next_deadline_at, next_deadline_kind, escalations, acknowledged_at, acknowledged_by, contacted_at, contact_method, outcome, outcome_at, \
                 loss_cents, protected_cents, created_at, updated_at)",
                &rows,
            )
            .await?;
            rows.clear();
        }
    }
    for i in 0..reports {
        let (class, school_id) = &classes[rng.gen_range(0..classes.len())];
        let at = start + rng.gen_range(0..span);
        rows.push(format!(
            "('B{i}',{account},'b{i}',NULL,{school_id},'{}','rebate_task',0,0,'','{{}}','closed',NULL,NULL,NULL,NULL,{at},{at})",
            class.path
        ));
        if rows.len() == 100_000 || i + 1 == reports {
            insert_literal(
                db,
                "reports (ref_no, reporter_account_id, idempotency_key, student_id, school_id, unit_path, fraud_type, has_loss, amount_cents, \
                 description, sections, status, assigned_to, merged_into, case_id, first_action_at, created_at, updated_at)",
                &rows,
            )
            .await?;
            rows.clear();
        }
    }
    let content: i64 = sqlx::query_scalar(
        "INSERT INTO campaign_contents (unit_path, kind, title, body_md, body_html, fraud_types, target_hint, quiz, status, version, \
         author_account_id, editor_account_id, created_at, updated_at) VALUES ('/', 'article', 'bench', '', '', '', '', '', 'published', 1, $1, $1, 0, 0) RETURNING id",
    )
    .bind(account)
    .fetch_one(&db.pool)
    .await?;
    let campaigns = 200;
    let mut reach = 0;
    for k in 0..campaigns {
        let at = start + span / campaigns as i64 * k as i64;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO campaigns (unit_path, title, content_id, content_version, fraud_type, audience, audience_size, channels, status, \
             created_by, created_at, sent_at) VALUES ('/', 'bench', $1, 1, 'rebate_task', '', 0, 'inbox', 'sent', $2, $3, $3) RETURNING id",
        )
        .bind(content)
        .bind(account)
        .bind(at)
        .fetch_one(&db.pool)
        .await?;
        for (class, _) in classes {
            let audience = rng.gen_range(20..60i64);
            let ack = rng.gen_range(0..=audience);
            rows.push(format!(
                "({id},'{}',{audience},{audience},{ack},{ack},0,0)",
                class.path
            ));
        }
        reach += classes.len();
        if rows.len() >= 50_000 || k + 1 == campaigns {
            insert_literal(
                db,
                "campaign_reach (campaign_id, unit_path, audience, sent, opened, acknowledged, quiz_passed, clicked)",
                &rows,
            )
            .await?;
            rows.clear();
        }
    }
    Ok((warnings, reports, campaigns, reach))
}

//! Importing an organisation from a file (`fanzha import units`), a generated roster, and the benchmarks of the roster import and of the demo (`fanzha bench roster`, `fanzha bench demo`).

use super::*;

/// `fanzha import units FILE`: code,name,kind,parent_code[,jurisdiction]; all or nothing.
pub async fn import_units(
    db: &Db,
    clock: &Clock,
    file: &Path,
    lang: Lang,
) -> anyhow::Result<usize> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let text = crate::org::roster::decode(&bytes).map_err(|e| anyhow!(e.errors[0].render(lang)))?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            anyhow!(
                "{}:{}: {e}",
                file.display(),
                e.position().map_or(0, |p| p.line())
            )
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        rows.push((line, rec));
    }
    // Check everything first, in file order (parents before children), then write in one go.
    let mut errors = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (line, r) in &rows {
        let code = r.get(0).unwrap_or("");
        let kind = r.get(2).unwrap_or("");
        let parent = r.get(3).unwrap_or("");
        if UnitCode::parse(code).is_none() {
            errors.push(format!(
                "{}:{line}: {}",
                file.display(),
                lang.t("org-err-code")
            ));
        }
        let Some(k) = UnitKind::parse(kind) else {
            errors.push(format!(
                "{}:{line}: {}",
                file.display(),
                lang.t("org-err-kind")
            ));
            continue;
        };
        let pk = if parent.is_empty() {
            None
        } else if let Some(k) = seen.get(parent) {
            Some(*k)
        } else {
            match org_store::unit_by_code(db, parent).await? {
                Some(u) => Some(u.kind),
                None => {
                    errors.push(format!(
                        "{}:{line}: {}",
                        file.display(),
                        lang.t("org-err-parent")
                    ));
                    continue;
                }
            }
        };
        if !k.fits_under(pk) {
            errors.push(format!(
                "{}:{line}: {}",
                file.display(),
                lang.t("org-err-nesting")
            ));
        }
        if seen.insert(code.to_string(), k).is_some()
            || org_store::unit_by_code(db, code).await?.is_some()
        {
            errors.push(format!(
                "{}:{line}: {}",
                file.display(),
                lang.t("org-err-code-taken")
            ));
        }
        if r.get(1).unwrap_or("").is_empty() {
            errors.push(format!(
                "{}:{line}: {}",
                file.display(),
                lang.t("org-err-name")
            ));
        }
    }
    if !errors.is_empty() {
        bail!("{}", errors.join("\n"));
    }
    let now = clock.now_ms();
    let mut tx = db.begin_write().await?;
    let mut made: std::collections::HashMap<String, Unit> = std::collections::HashMap::new();
    let mut jurisdictions = Vec::new();
    for (_, r) in &rows {
        let parent_code = r.get(3).unwrap_or("");
        let parent = if parent_code.is_empty() {
            None
        } else if let Some(u) = made.get(parent_code) {
            Some(u.clone())
        } else {
            org_store::unit_by_code(db, parent_code).await?
        };
        let kind = UnitKind::parse(r.get(2).unwrap_or("")).ok_or_else(|| anyhow!("kind"))?;
        let code = UnitCode::parse(r.get(0).unwrap_or("")).ok_or_else(|| anyhow!("code"))?;
        let u = org_store::create_unit(
            &mut tx,
            parent.as_ref(),
            kind,
            &code,
            r.get(1).unwrap_or(""),
            now,
        )
        .await?;
        for school in r
            .get(4)
            .unwrap_or("")
            .split([';', '；'])
            .filter(|s| !s.trim().is_empty())
        {
            jurisdictions.push((u.id, school.trim().to_string()));
        }
        made.insert(u.code.clone(), u);
    }
    for (station, school) in jurisdictions {
        let sid = crate::org::store::demo::school_id_by_code(&mut tx, &school).await?;
        let Some(sid) = sid else {
            bail!(
                "{}: jurisdiction names unknown school {school}",
                file.display()
            );
        };
        org_store::add_jurisdiction_tx(&mut tx, station, sid).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// Which benchmark to run.
pub enum BenchSpec {
    Roster { students: usize },
    Demo { scale: String },
}

/// A generated roster CSV of `n` students for one school with the given class codes.
pub fn generated_roster(n: usize, classes: &[String], seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut s = String::from("学号,姓名,性别,入学年份,专业,班级代码,手机,邮箱,状态\n");
    for i in 0..n {
        let female = rng.gen_bool(0.5);
        let year = YEARS[i % YEARS.len()];
        let _ = writeln!(
            s,
            "{year}{i:07},{},{},{year},计算机科学与技术,{},{},s{i}@bench.edu.cn,在读",
            person_name(&mut rng, female),
            if female { "女" } else { "男" },
            classes[i % classes.len()],
            phone(&mut rng)
        );
    }
    s
}

/// `fanzha bench roster|demo`: runs against a fresh database (a temporary SQLite file, or the
/// configured PostgreSQL, which must be empty) and prints the figures.
pub async fn bench(spec: BenchSpec, cfg: &Config) -> anyhow::Result<()> {
    let tmp = tempdir()?;
    let mut cfg = cfg.clone();
    if cfg.database_url.is_none() {
        cfg.data_dir = tmp.clone();
    }
    let db = crate::cli::open_db(&cfg).await?;
    let clock = Clock::system();
    let backend = db.backend.name();
    let result = match spec {
        BenchSpec::Roster { students } => {
            let now = clock.now_ms();
            let mut tx = db.begin_write().await?;
            let p = unit(&mut tx, None, UnitKind::Province, "BP", "基准省", now).await?;
            let school = unit(&mut tx, Some(&p), UnitKind::School, "BS", "基准大学", now).await?;
            let college = unit(
                &mut tx,
                Some(&school),
                UnitKind::College,
                "BC",
                "基准学院",
                now,
            )
            .await?;
            let mut classes = Vec::new();
            for i in 0..200 {
                let c = unit(
                    &mut tx,
                    Some(&college),
                    UnitKind::Class,
                    &format!("BK{i:03}"),
                    &format!("基准{i}班"),
                    now,
                )
                .await?;
                classes.push(c.code);
            }
            tx.commit().await?;
            let csv = generated_roster(students, &classes, 7);
            let t = Instant::now();
            let (_, s) =
                crate::org::service::import_roster(&db, &clock, &school, csv.as_bytes(), None)
                    .await
                    .map_err(|e| anyhow!("import failed: {e:?}"))?;
            let first = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let (_, s2) =
                crate::org::service::import_roster(&db, &clock, &school, csv.as_bytes(), None)
                    .await
                    .map_err(|e| anyhow!("import failed: {e:?}"))?;
            let second = t.elapsed().as_secs_f64();
            format!(
                "bench roster ({backend}): {} students imported with {} accounts (not activated) in {first:.2} s ({:.0} rows/s); re-import (all updates, {} updated, {} accounts created) in {second:.2} s",
                s.rows,
                s.accounts_created,
                s.rows as f64 / first,
                s2.updated,
                s2.accounts_created
            )
        }
        BenchSpec::Demo { scale } => {
            let sc = Scale::parse(&scale)
                .ok_or_else(|| anyhow!("--scale must be school or province"))?;
            let s = seed(&db, &clock, sc).await?;
            if !s.created {
                bail!("the database is not empty; the benchmark needs a fresh one");
            }
            format!(
                "bench demo ({backend}, {scale}): seeded {} students in {:.1} s",
                s.students, s.seconds
            )
        }
    };
    println!("{result}");
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

pub(super) fn tempdir() -> anyhow::Result<std::path::PathBuf> {
    let p = std::env::temp_dir().join(format!("fanzha-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&p)?;
    Ok(p)
}

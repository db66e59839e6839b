//! Data in and out: `import roster|units`, `export roster|intel`.

use std::io::Write;

use anyhow::{anyhow, bail, Context};

use super::args::{ExportCmd, ImportCmd};
use super::open_db;
use crate::audit::{self, Actor, Event};
use crate::clock::Clock;
use crate::config::Config;
use crate::org::roster::RosterKind;
use crate::org::{service as org_service, store as org_store};
use crate::web::i18n::Lang;

/// `fanzha import …`.
pub(super) async fn import(
    cfg: Config,
    clock: Clock,
    lang: Lang,
    cmd: ImportCmd,
) -> anyhow::Result<()> {
    match cmd {
        ImportCmd::Roster { file, school, kind } => {
            let db = open_db(&cfg).await?;
            let unit = org_store::unit_by_code(&db, &school)
                .await?
                .ok_or_else(|| anyhow!("{}: {}", lang.t("auth-err-unit"), school))?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let kind = match kind.as_deref() {
                None => None,
                Some("students") => Some(RosterKind::Students),
                Some("staff") => Some(RosterKind::Staff),
                Some(k) => bail!("--kind must be students or staff, not {k}"),
            };
            match org_service::import_roster(&db, &clock, &unit, &bytes, kind).await {
                Ok((kind, s)) => {
                    audit::record(&db.pool, &clock, &Actor::cli("import roster"), Event {
                        action: "roster.import",
                        target_kind: "unit",
                        target_id: unit.code.clone(),
                        unit_path: unit.path.clone(),
                        detail: serde_json::json!({"kind": format!("{kind:?}"), "summary": s, "file": file.display().to_string()}),
                    })
                    .await?;
                    let key = if kind == RosterKind::Students {
                        "roster-done-students"
                    } else {
                        "roster-done-staff"
                    };
                    println!(
                        "{}",
                        lang.ta(
                            key,
                            &[
                                ("count", s.rows.to_string()),
                                ("inserted", s.inserted.to_string()),
                                ("updated", s.updated.to_string())
                            ]
                        )
                    );
                    Ok(())
                }
                Err(org_service::OrgError::Refused(msgs)) => {
                    eprintln!("{}", lang.t("roster-refused"));
                    for m in &msgs {
                        eprintln!("{}: {}", file.display(), m.render(lang));
                    }
                    bail!("{}", lang.t("roster-err-refused"))
                }
                Err(org_service::OrgError::Db(e)) => Err(e.into()),
            }
        }
        ImportCmd::Units { file } => {
            let db = open_db(&cfg).await?;
            let n = crate::demo::import_units(&db, &clock, &file, lang).await?;
            println!("{n} unit(s) created");
            Ok(())
        }
    }
}

/// `fanzha export …`.
pub(super) async fn export(
    cfg: Config,
    clock: Clock,
    lang: Lang,
    cmd: ExportCmd,
) -> anyhow::Result<()> {
    match cmd {
        ExportCmd::Roster { school, out } => {
            let db = open_db(&cfg).await?;
            let unit = org_store::unit_by_code(&db, &school)
                .await?
                .ok_or_else(|| anyhow!("{}: {}", lang.t("auth-err-unit"), school))?;
            let students = org_store::students_of_school(&db, unit.id).await?;
            let bytes = crate::org::roster::export_students(&students);
            audit::record(
                &db.pool,
                &clock,
                &Actor::cli("export roster"),
                Event {
                    action: "roster.export",
                    target_kind: "unit",
                    target_id: unit.code.clone(),
                    unit_path: unit.path.clone(),
                    detail: serde_json::json!({"rows": students.len()}),
                },
            )
            .await?;
            match out {
                Some(p) => {
                    std::fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))?
                }
                None => std::io::stdout().write_all(&bytes)?,
            }
            Ok(())
        }
        ExportCmd::Intel {
            format,
            omit_cleared,
            out,
        } => {
            use crate::intel::formats::{self, ExportOptions, Format};
            let fmt = Format::parse(&format)
                .ok_or_else(|| anyhow!("--format must be csv, stix or misp, not {format}"))?;
            let db = open_db(&cfg).await?;
            let opts = ExportOptions { omit_cleared };
            let all = crate::intel::store::all(&db).await?;
            let n = formats::exported(&all, opts).len();
            audit::record(
                &db.pool,
                &clock,
                &Actor::cli("export intel"),
                Event {
                    action: "intel.export",
                    target_kind: "indicators",
                    target_id: String::new(),
                    unit_path: "/".into(),
                    detail: serde_json::json!({"format": fmt.id(), "entries": n, "omit_cleared": omit_cleared}),
                },
            )
            .await?;
            let body = formats::export(fmt, &all, clock.now_ms(), opts);
            match out {
                Some(p) => {
                    std::fs::write(&p, body).with_context(|| format!("writing {}", p.display()))?
                }
                None => std::io::stdout().write_all(body.as_bytes())?,
            }
            Ok(())
        }
    }
}

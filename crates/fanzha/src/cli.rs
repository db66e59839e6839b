//! Command-line interface: serve, demo, migrate, import, export, user, token, bench.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::audit::{self, Actor, Event};
use crate::auth::model::{parse_scopes, Role};
use crate::auth::service::{self as auth_service, AuthError, NewUser};
use crate::auth::store as auth_store;
use crate::clock::Clock;
use crate::config::{Config, Secret};
use crate::db::Db;
use crate::org::roster::RosterKind;
use crate::org::{service as org_service, store as org_store};
use crate::web::i18n::Lang;

#[derive(Parser)]
#[command(
    name = "fanzha",
    version,
    about = "fanzha (反诈): police, universities and students fighting telecom and online fraud together"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Global {
    /// Configuration file (default: ./fanzha.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Directory for the SQLite database and uploads [default: ./data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://…); without it fanzha uses SQLite in the data directory.
    #[arg(
        long,
        global = true,
        env = "FANZHA_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and background workers.
    Serve(ServeArgs),
    /// Seed a demo province (when the database is empty), print logins, then serve.
    Demo(DemoArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Import data from files (rosters, org units).
    #[command(subcommand)]
    Import(ImportCmd),
    /// Export data to files (rosters).
    #[command(subcommand)]
    Export(ExportCmd),
    /// Manage accounts (create, reset password).
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API tokens (create).
    #[command(subcommand)]
    Token(TokenCmd),
    /// Judge messages (JSONL {"id","text"} on stdin) and print one verdict per line.
    Detect(DetectArgs),
    /// Evaluate the detector on labelled JSONL ({"text","label"}) and print its figures.
    Eval(EvalArgs),
    /// Train the fraud-type classifier from labelled JSONL files.
    Train(TrainArgs),
    /// Run a benchmark and print its figures.
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Contests: check an exported ballot log.
    #[command(subcommand)]
    Contests(ContestsCmd),
}

#[derive(Subcommand)]
enum ContestsCmd {
    /// Recompute a contest's ballot chain and tally from its export (JSON lines) alone; exits
    /// non-zero naming the first line that does not hold.
    Verify {
        /// The export (`/contests/ID/ballots.jsonl`).
        file: PathBuf,
    },
}

#[derive(Args)]
struct EngineArgs {
    /// Rules file (TOML); the built-in starter rules when absent.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Model file; the built-in model when absent.
    #[arg(long)]
    model: Option<PathBuf>,
}

#[derive(Args)]
struct DetectArgs {
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args)]
struct EvalArgs {
    #[command(flatten)]
    engine: EngineArgs,
    /// Labelled JSONL file.
    #[arg(long)]
    data: PathBuf,
    /// Only lines whose `split` field equals this (e.g. test).
    #[arg(long)]
    split: Option<String>,
}

#[derive(Args)]
struct TrainArgs {
    /// Labelled JSONL files (repeatable): the shared data set, platform exports of confirmed cases.
    #[arg(long, required_unless_present = "from_db")]
    data: Vec<PathBuf>,
    /// Where to write the model.
    #[arg(long, required_unless_present = "from_db")]
    out: Option<PathBuf>,
    /// Train on the database's police-confirmed examples (plus any --data files), evaluate the
    /// candidate against the model in use and store it for a curator to promote.
    #[arg(long)]
    from_db: bool,
    /// With --from-db: the evaluation file (JSONL, never trained on).
    #[arg(long)]
    eval: Option<PathBuf>,
    /// Hashed feature bits of the model (default 18).
    #[arg(long)]
    bits: Option<u32>,
    /// Training epochs (default 25).
    #[arg(long)]
    epochs: Option<u32>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Use only lines whose `split` equals this; lines without a split are always used. `all` uses every line.
    #[arg(long, default_value = "train")]
    split: String,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
}

#[derive(Args)]
struct DemoArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// `school` (3 schools, ~10,000 students) or `province` (~100 schools, ~1,000,000 students).
    #[arg(long, default_value = "school")]
    scale: String,
    /// Seed only; do not serve.
    #[arg(long)]
    no_serve: bool,
}

#[derive(Subcommand)]
enum ImportCmd {
    /// Import a student or staff roster CSV into a school (all or nothing).
    Roster {
        file: PathBuf,
        /// Code of the school (or police station, for staff).
        #[arg(long)]
        school: String,
        /// `students` or `staff`; detected from the headers when absent.
        #[arg(long)]
        kind: Option<String>,
    },
    /// Import org units from a CSV with columns code,name,kind,parent_code[,jurisdiction]
    /// (jurisdiction: school codes a police station covers, separated by ';').
    Units { file: PathBuf },
}

#[derive(Subcommand)]
enum ExportCmd {
    /// Export a school's student roster as CSV (UTF-8 with BOM).
    Roster {
        #[arg(long)]
        school: String,
        /// Output file; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export the indicator store as CSV, a STIX 2.1 bundle or a MISP event (as the console
    /// does: TLP:AMBER+STRICT indicators never leave; cleared ones are exported revoked).
    Intel {
        /// csv, stix or misp.
        #[arg(long)]
        format: String,
        /// Leave cleared indicators out instead of exporting them revoked.
        #[arg(long)]
        omit_cleared: bool,
        /// Output file; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create an account with one role over one unit; prints a generated password unless one is given.
    Create {
        #[arg(long)]
        username: String,
        /// student, counselor, unit_leader, school_admin, police, province_admin or partner.
        #[arg(long)]
        role: String,
        /// Code of the unit the role is held over.
        #[arg(long)]
        unit: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// Student or staff number to link the account to.
        #[arg(long)]
        person: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (unlocks the account and ends its sessions).
    ResetPassword {
        #[arg(long)]
        username: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Create an API token for an account; the token is printed once.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long, help = crate::auth::model::scope_help())]
        scopes: String,
        /// Lifetime in days (none: until revoked).
        #[arg(long)]
        days: Option<i64>,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Throughput, latency, load time and memory of the detection engine on generated messages.
    Detect {
        #[arg(long, default_value_t = 100_000)]
        messages: usize,
    },
    /// Import a generated roster of N students into a fresh database and time it.
    Roster {
        #[arg(long, default_value_t = 100_000)]
        students: usize,
    },
    /// Seed a demo of the given scale into a fresh database and time it.
    Demo {
        #[arg(long, default_value = "province")]
        scale: String,
    },
    /// Fill N indicators, load them into the lookup index, measure load time, memory and lookups.
    /// Uses the configured PostgreSQL if any, else SQLite in --data-dir (kept, so a second run
    /// skips the filling) or a temporary directory.
    Intel {
        #[arg(long, default_value_t = 10_000_000)]
        indicators: i64,
        #[arg(long, default_value_t = 1_000_000)]
        lookups: usize,
        #[arg(long)]
        data_dir: Option<std::path::PathBuf>,
    },
    /// A batch of warnings matched, routed and scheduled, then escalation ticks over many open ones.
    Warnings {
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        #[arg(long, default_value_t = 100_000)]
        open: usize,
    },
    /// Generate N cases across S schools in a fresh database; time analysis, ranking and writes.
    Cases {
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        #[arg(long, default_value_t = 100)]
        schools: usize,
    },
    /// A campaign to every student of a seeded demo: fan-out time and memory, reach tree time.
    Campaigns {
        #[arg(long, default_value = "province")]
        scale: String,
    },
    /// File N generated reports (indicator extraction, sightings, group commit) from C concurrent
    /// submitters into a fresh database; throughput and latency percentiles. Uses the configured
    /// PostgreSQL if any (a fresh schema), else SQLite in a temporary directory.
    Reports {
        #[arg(long, default_value_t = 20_000)]
        reports: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Contests: every student account of the school-scale demo (up to --voters) votes, with a
    /// second try at once, from C concurrent submitters (latency, one counted per person); then a
    /// ballot log of --log ballots is recomputed from its export.
    Contests {
        #[arg(long, default_value_t = 10_000)]
        voters: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 1_000_000)]
        log: usize,
    },
    /// Claims from concurrent clients on one task (latency percentiles, exactly the places
    /// accepted), a province leaderboard over a large ledger, balance reads, on a fresh database
    /// (the configured PostgreSQL in a new schema, else SQLite in a temporary directory).
    Volunteers {
        #[arg(long, default_value_t = 1_000)]
        claims: usize,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        #[arg(long, default_value_t = 100)]
        slots: i64,
        #[arg(long, default_value_t = 1_000_000)]
        entries: usize,
        #[arg(long, default_value_t = 100)]
        schools: usize,
        #[arg(long, default_value_t = 10_000)]
        volunteers: usize,
    },
    /// The credit export of a school of N students, each with a certificate, as CSV and .xlsx, in
    /// a fresh database (the configured PostgreSQL if any, else a temporary SQLite file).
    Learning {
        #[arg(long, default_value_t = 100_000)]
        students: usize,
    },
    /// N students check in to one lecture from C concurrent clients (the server-side path of a
    /// check-in), in a fresh database; throughput and latency percentiles.
    Checkin {
        #[arg(long, default_value_t = 3_000)]
        checkins: usize,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Spread the check-ins over this many seconds (0: as fast as the clients go).
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(g: &Global) -> anyhow::Result<Config> {
    let mut cfg = Config::load(g.config.as_deref())?;
    if let Some(d) = &g.data_dir {
        cfg.data_dir = d.clone();
    }
    if let Some(u) = g.database_url.as_deref().filter(|u| !u.is_empty()) {
        cfg.database_url = Some(Secret::new(u));
    }
    Ok(cfg)
}

fn init_tracing(cfg: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("FANZHA_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=error,tower_http=warn"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if cfg.log_format == "json" {
        b.json().try_init()
    } else {
        b.try_init()
    };
}

/// `fanzha train --from-db`: trains a candidate on the police-confirmed examples and stores it.
async fn train_from_db(cfg: &Config, clock: &Clock, a: TrainArgs) -> anyhow::Result<()> {
    use crate::intel::learn;
    let db = open_db(cfg).await?;
    let eval = a
        .eval
        .or_else(|| {
            let p = PathBuf::from(learn::DEFAULT_EVAL);
            p.exists().then_some(p)
        })
        .ok_or_else(|| anyhow!("{}", learn::LearnError::NoEval))?;
    let mut config = fanzha_detect::model::TrainConfig {
        seed: a.seed,
        ..Default::default()
    };
    if let Some(b) = a.bits {
        config.bits = b;
    }
    if let Some(e) = a.epochs {
        config.epochs = e;
    }
    let intel = crate::intel::Intel::new(1, 1);
    intel.refresh_detect(&db).await?;
    let live = intel.live();
    let c = learn::train_candidate(
        &db,
        clock,
        &live.engine,
        &live.model_version,
        &learn::TrainSpec {
            data: a.data,
            eval,
            config,
        },
    )
    .await
    .map_err(|e| anyhow!("{e}"))?;
    let f = &c.figures;
    println!(
        "candidate {} stored: {} examples ({} confirmed in the database)",
        c.version, c.examples, c.from_db
    );
    println!(
        "  {:<28} candidate macro-F1 {:.3}  in use ({}) {:.3}",
        f.eval_file, f.eval_candidate.macro_f1, live.model_version, f.eval_base.macro_f1
    );
    match (f.holdout_candidate, f.holdout_base) {
        (Some(c), Some(b)) => println!(
            "  {:<28} candidate macro-F1 {:.3}  in use {:.3}  ({} examples)",
            "held-out fifth", c.macro_f1, b.macro_f1, c.n
        ),
        _ => println!("  held-out fifth: no confirmed examples held out yet"),
    }
    match f.regression() {
        None => println!("a curator can promote it in the console (/intel/models)"),
        Some(set) => println!("it scores lower on {set}: it cannot be promoted"),
    }
    Ok(())
}

pub async fn open_db(cfg: &Config) -> anyhow::Result<Db> {
    if cfg.database_url.is_none() {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("creating {}", cfg.data_dir.display()))?;
    }
    let db = Db::connect(&cfg.db_options()).await?;
    db.migrate().await?;
    Ok(db)
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        Ok((s.trim_end_matches(['\r', '\n']).to_string(), false))
    } else {
        Ok((
            crate::auth::password::random_token()[..16].to_string(),
            true,
        ))
    }
}

fn auth_message(e: AuthError, lang: Lang) -> anyhow::Error {
    match e {
        AuthError::Invalid(key) => anyhow!(lang.t(key)),
        AuthError::ScopeBeyondRoles(s) => anyhow!(lang.ta(
            "auth-err-token-scope-role",
            &[("scope", s.as_str().to_string())]
        )),
        other => anyhow!(other),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = load_config(&cli.global)?;
    init_tracing(&cfg);
    let lang = Lang::from_env();
    let clock = Clock::system();
    match cli.command {
        Command::Serve(a) => {
            let mut cfg = cfg;
            if let Some(l) = a.listen {
                cfg.listen = l;
            }
            let db = open_db(&cfg).await?;
            serve(cfg, db, clock, None).await
        }
        Command::Demo(a) => {
            let mut cfg = cfg;
            if let Some(l) = a.listen {
                cfg.listen = l;
            }
            let scale = crate::demo::Scale::parse(&a.scale)
                .ok_or_else(|| anyhow!("--scale must be school or province"))?;
            let db = open_db(&cfg).await?;
            let seeded = crate::demo::seed(&db, &clock, scale).await?;
            if a.no_serve {
                println!("{}", crate::demo::banner(&cfg, seeded, lang));
                return Ok(());
            }
            // The built-in test CAS exists for the demo only: `serve` has no way to start it.
            let (school, _cas) = crate::auth::sso::test_cas::start_for_demo(&db, &clock).await?;
            println!(
                " test CAS (demo only): http://{}/login?school={school} — any student number, password demo",
                cfg.listen
            );
            serve(cfg, db, clock, Some(seeded)).await
        }
        Command::Migrate => {
            if cfg.database_url.is_none() {
                std::fs::create_dir_all(&cfg.data_dir)
                    .with_context(|| format!("creating {}", cfg.data_dir.display()))?;
            }
            let db = Db::connect(&cfg.db_options()).await?;
            let applied = db.migrate().await?;
            println!(
                "{} migration(s) applied on {}",
                applied.len(),
                db.backend.name()
            );
            Ok(())
        }
        Command::Import(ImportCmd::Roster { file, school, kind }) => {
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
        Command::Import(ImportCmd::Units { file }) => {
            let db = open_db(&cfg).await?;
            let n = crate::demo::import_units(&db, &clock, &file, lang).await?;
            println!("{n} unit(s) created");
            Ok(())
        }
        Command::Export(ExportCmd::Roster { school, out }) => {
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
        Command::Export(ExportCmd::Intel {
            format,
            omit_cleared,
            out,
        }) => {
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
        Command::User(UserCmd::Create {
            username,
            role,
            unit,
            name,
            person,
            password_stdin,
        }) => {
            let db = open_db(&cfg).await?;
            let role: Role = role.parse().map_err(|e| anyhow!("{e}"))?;
            let (password, generated) = read_password(password_stdin)?;
            let id = auth_service::create_user(
                &db,
                &clock,
                &NewUser {
                    username: &username,
                    display_name: &name,
                    password: &password,
                    role,
                    unit_code: &unit,
                    person_no: person.as_deref(),
                },
            )
            .await
            .map_err(|e| auth_message(e, lang))?;
            audit::record(
                &db.pool,
                &clock,
                &Actor::cli("user create"),
                Event {
                    action: "account.created",
                    target_kind: "account",
                    target_id: id.to_string(),
                    unit_path: org_store::unit_by_code(&db, &unit)
                        .await?
                        .map(|u| u.path)
                        .unwrap_or_default(),
                    detail: serde_json::json!({"username": username, "role": role.as_str()}),
                },
            )
            .await?;
            println!("account {username} created (id {id}, role {role} over {unit})");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Command::User(UserCmd::ResetPassword {
            username,
            password_stdin,
        }) => {
            let db = open_db(&cfg).await?;
            let (password, generated) = read_password(password_stdin)?;
            auth_service::reset_password(&db, &clock, &username, &password)
                .await
                .map_err(|e| auth_message(e, lang))?;
            audit::record(
                &db.pool,
                &clock,
                &Actor::cli("user reset-password"),
                Event {
                    action: "account.password_reset",
                    target_kind: "account",
                    target_id: username.clone(),
                    unit_path: String::new(),
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            println!("password of {username} reset; its sessions were ended");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Command::Token(TokenCmd::Create {
            username,
            name,
            scopes,
            days,
        }) => {
            let db = open_db(&cfg).await?;
            let acc = auth_store::account_by_username(&db, &username)
                .await?
                .ok_or_else(|| anyhow!(lang.t("auth-err-no-user")))?;
            let scopes = parse_scopes(&scopes).map_err(|e| anyhow!("{e}"))?;
            let t = auth_service::create_token(&db, &clock, acc.id, &name, &scopes, days)
                .await
                .map_err(|e| auth_message(e, lang))?;
            audit::record(
                &db.pool,
                &clock,
                &Actor::cli("token create"),
                Event {
                    action: "auth.token_created",
                    target_kind: "api_token",
                    target_id: t.id.to_string(),
                    unit_path: String::new(),
                    detail: serde_json::json!({"username": username, "name": name}),
                },
            )
            .await?;
            println!("{}", t.token);
            Ok(())
        }
        Command::Detect(a) => {
            let engine = load_engine(&a.engine)?;
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            let stats = fanzha_detect::cli::run_detect(
                &engine,
                stdin.lock(),
                std::io::BufWriter::new(stdout.lock()),
            )?;
            if stats.errors > 0 {
                eprintln!(
                    "{} line(s) could not be judged; see their \"error\" field",
                    stats.errors
                );
            }
            Ok(())
        }
        Command::Eval(a) => {
            let engine = load_engine(&a.engine)?;
            fanzha_detect::cli::run_eval(&engine, &a.data, a.split.as_deref(), std::io::stdout())?;
            Ok(())
        }
        Command::Train(a) if a.from_db => train_from_db(&cfg, &clock, a).await,
        Command::Train(a) => {
            let out = a.out.clone().context("--out FILE is needed")?;
            let mut opts = fanzha_detect::cli::TrainOptions::new(a.data, out.clone());
            opts.seed = a.seed;
            opts.bits = a.bits;
            opts.epochs = a.epochs;
            opts.split = (a.split != "all").then_some(a.split);
            let r = fanzha_detect::cli::run_train(&opts)?;
            println!(
                "model written to {} ({} bytes) from {} examples in {:.1} s",
                out.display(),
                r.bytes,
                r.examples,
                r.seconds
            );
            for (t, n) in r.per_class {
                println!("  {:<32} {n}", t.id());
            }
            Ok(())
        }
        Command::Bench(BenchCmd::Detect { messages }) => {
            fanzha_detect::cli::run_bench(messages, std::io::stdout())?;
            Ok(())
        }
        Command::Bench(BenchCmd::Roster { students }) => {
            crate::demo::bench(crate::demo::BenchSpec::Roster { students }, &cfg).await
        }
        Command::Bench(BenchCmd::Demo { scale }) => {
            crate::demo::bench(crate::demo::BenchSpec::Demo { scale }, &cfg).await
        }
        Command::Bench(BenchCmd::Intel {
            indicators,
            lookups,
            data_dir,
        }) => {
            let mut cfg = cfg.clone();
            let tmp =
                std::env::temp_dir().join(format!("fanzha-bench-intel-{}", std::process::id()));
            let keep = data_dir.is_some();
            if cfg.database_url.is_none() {
                cfg.data_dir = data_dir.unwrap_or_else(|| tmp.clone());
                std::fs::create_dir_all(&cfg.data_dir)?;
            }
            let db = open_db(&cfg).await?;
            let r = crate::intel::bench::run(&db, indicators, lookups).await;
            if !keep {
                let _ = std::fs::remove_dir_all(&tmp);
            }
            r
        }
        Command::Bench(BenchCmd::Warnings { batch, open }) => {
            crate::warnings::bench::bench(&cfg, batch, open).await
        }
        Command::Bench(BenchCmd::Cases { cases, schools }) => {
            crate::cases::bench::run(&cfg, cases, schools).await
        }
        Command::Bench(BenchCmd::Campaigns { scale }) => {
            crate::campaigns::bench::run(&scale, &cfg).await
        }
        Command::Bench(BenchCmd::Reports {
            reports,
            concurrency,
        }) => crate::reports::bench::bench(&cfg, reports, concurrency).await,
        Command::Bench(BenchCmd::Contests {
            voters,
            concurrency,
            log,
        }) => crate::contests::bench::bench(&cfg, voters, concurrency, log).await,
        Command::Bench(BenchCmd::Volunteers {
            claims,
            clients,
            slots,
            entries,
            schools,
            volunteers,
        }) => {
            let spec = crate::volunteers::bench::Spec {
                claims,
                clients,
                slots,
                entries,
                schools,
                volunteers,
            };
            crate::volunteers::bench::bench(&cfg, spec).await
        }
        Command::Bench(BenchCmd::Learning { students }) => {
            crate::learning::bench::run(&cfg, students).await
        }
        Command::Bench(BenchCmd::Checkin {
            checkins,
            clients,
            seconds,
        }) => crate::learning::bench::checkin(&cfg, checkins, clients, seconds).await,
        Command::Contests(ContestsCmd::Verify { file }) => {
            let v = crate::contests::verify::verify_file(&file)
                .map_err(|e| anyhow!("{}: {e}", file.display()))?;
            println!("contest {} · {}", v.contest, v.title);
            println!("rules sha256 {}", v.rules_hash);
            println!(
                "{} ballots from {} voters; chain intact; head {}",
                v.ballots, v.voters, v.head
            );
            for (id, title, n) in &v.tally {
                println!("{n:>8}  #{id} {title}");
            }
            println!("OK: the tally matches the log");
            Ok(())
        }
    }
}

fn load_engine(a: &EngineArgs) -> anyhow::Result<fanzha_detect::Engine> {
    Ok(fanzha_detect::Engine::from_files(
        a.rules.as_deref(),
        a.model.as_deref(),
    )?)
}

async fn serve(
    cfg: Config,
    db: Db,
    clock: Clock,
    seeded: Option<crate::demo::Seeded>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    if let Some(s) = seeded {
        let mut c = cfg.clone();
        c.listen = addr;
        println!("{}", crate::demo::banner(&c, s, Lang::from_env()));
    }
    tracing::info!(%addr, backend = db.backend.name(), "fanzha listening");
    println!("fanzha listening on http://{addr}");
    let app = crate::web::App::new(cfg, db, clock);
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        crate::web::shutdown_signal().await;
        // Signal first: logging may fail when stdout or stderr is a closed pipe.
        let _ = tx.send(true);
        tracing::info!("shutting down");
    });
    app.serve(listener, rx, true).await?;
    Ok(())
}

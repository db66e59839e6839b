//! Command-line interface: serve, demo, migrate, import, export, user, token, bench.
//!
//! The clap types are in [`args`]; the bodies of the subcommands are grouped by what they touch:
//! data in and out ([`data`]), accounts ([`accounts`]), the detection engine ([`engine`]) and the
//! benchmarks ([`bench`]).

mod accounts;
mod args;
mod bench;
mod data;
mod engine;

use std::process::ExitCode;

use anyhow::{anyhow, Context};
use clap::Parser;

use crate::clock::Clock;
use crate::config::{Config, Secret};
use crate::db::Db;
use crate::web::i18n::Lang;
use args::{Cli, Command, ContestsCmd, Global};

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

pub async fn open_db(cfg: &Config) -> anyhow::Result<Db> {
    if cfg.database_url.is_none() {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("creating {}", cfg.data_dir.display()))?;
    }
    let db = Db::connect(&cfg.db_options()).await?;
    db.migrate().await?;
    Ok(db)
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
        Command::Import(c) => data::import(cfg, clock, lang, c).await,
        Command::Export(c) => data::export(cfg, clock, lang, c).await,
        Command::User(c) => accounts::user(cfg, clock, lang, c).await,
        Command::Token(c) => accounts::token(cfg, clock, lang, c).await,
        Command::Detect(a) => engine::detect(a),
        Command::Eval(a) => engine::eval(a),
        Command::Train(a) => engine::train(cfg, clock, a).await,
        Command::Bench(c) => bench::bench(cfg, c).await,
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

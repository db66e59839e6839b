//! The detection engine from the command line: `detect`, `eval`, `train` (from files or the database).

use std::path::PathBuf;

use anyhow::{anyhow, Context};

use super::args::{DetectArgs, EngineArgs, EvalArgs, TrainArgs};
use super::open_db;
use crate::clock::Clock;
use crate::config::Config;

/// `fanzha detect`: judges one JSON message per line of stdin.
pub(super) fn detect(a: DetectArgs) -> anyhow::Result<()> {
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

/// `fanzha eval`: scores the engine on a labelled file.
pub(super) fn eval(a: EvalArgs) -> anyhow::Result<()> {
    let engine = load_engine(&a.engine)?;
    fanzha_detect::cli::run_eval(&engine, &a.data, a.split.as_deref(), std::io::stdout())?;
    Ok(())
}

/// `fanzha train`: from files into `--out`, or (`--from-db`) a candidate stored in the database.
pub(super) async fn train(cfg: Config, clock: Clock, a: TrainArgs) -> anyhow::Result<()> {
    if a.from_db {
        return train_from_db(&cfg, &clock, a).await;
    }
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

fn load_engine(a: &EngineArgs) -> anyhow::Result<fanzha_detect::Engine> {
    Ok(fanzha_detect::Engine::from_files(
        a.rules.as_deref(),
        a.model.as_deref(),
    )?)
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

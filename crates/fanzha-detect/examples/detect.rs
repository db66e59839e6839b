//! `cargo run --release -p fanzha-detect --example detect -- [--rules FILE] [--model FILE] < in.jsonl`
//! — what `fanzha detect` runs, without the app (used to measure its resident memory).

use fanzha_detect::cli::run_detect;
use fanzha_detect::Engine;
use std::path::PathBuf;

fn main() {
    let (mut rules, mut model) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rules" => rules = args.next().map(PathBuf::from),
            "--model" => model = args.next().map(PathBuf::from),
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let engine = match Engine::from_files(rules.as_deref(), model.as_deref()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    match run_detect(&engine, stdin.lock(), stdout.lock()) {
        Ok(stats) => eprintln!("{stats:?}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

//! `cargo run --release -p fanzha-detect --example eval -- --data FILE.jsonl [--split test] [--model FILE] [--rules FILE]`

use fanzha_detect::{cli::run_eval, Engine};
use std::path::PathBuf;

fn main() {
    let (mut data, mut split, mut model, mut rules) = (None, None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--split" => split = args.next(),
            "--model" => model = args.next().map(PathBuf::from),
            "--rules" => rules = args.next().map(PathBuf::from),
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let Some(data) = data else {
        eprintln!("--data FILE is required");
        std::process::exit(2);
    };
    let engine = match Engine::from_files(rules.as_deref(), model.as_deref()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = run_eval(&engine, &data, split.as_deref(), std::io::stdout()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

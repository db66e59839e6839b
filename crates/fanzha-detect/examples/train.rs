//! Rebuilds the committed model (same as `fanzha train`):
//! `cargo run --release -p fanzha-detect --example train -- --data A.jsonl --data B.jsonl --out model.bin [--seed N]`

use fanzha_detect::cli::{run_train, TrainOptions};
use std::path::PathBuf;

fn main() {
    let mut data = Vec::new();
    let mut out = None;
    let mut seed = 42;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data.extend(args.next().map(PathBuf::from)),
            "--out" => out = args.next().map(PathBuf::from),
            "--seed" => seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(42),
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let Some(out) = out else {
        eprintln!("--out FILE is required");
        std::process::exit(2);
    };
    let mut opts = TrainOptions::new(data, out);
    opts.seed = seed;
    match run_train(&opts) {
        Ok(r) => println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

//! Rebuilds the committed model (same as `fanzha train`):
//! `cargo run --release -p fanzha-detect --example train -- --data A.jsonl [--weight W] --data B.jsonl --out model.bin [--seed N]`
//! (`--weight W` sets the weight of every example of the `--data` file just before it).

use fanzha_detect::cli::{run_train, TrainOptions};
use std::path::PathBuf;

fn main() {
    let mut data = Vec::new();
    let mut out = None;
    let mut seed = 42;
    let mut weights: Vec<f32> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => {
                data.extend(args.next().map(PathBuf::from));
                weights.resize(data.len(), 1.0);
            }
            "--weight" => {
                let w = args.next().and_then(|s| s.parse().ok()).unwrap_or(1.0);
                if let Some(last) = weights.last_mut() {
                    *last = w;
                }
            }
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
    opts.weights = weights;
    match run_train(&opts) {
        Ok(r) => println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

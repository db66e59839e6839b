//! `cargo run --release -p fanzha-detect --example bench` — same as `fanzha bench detect`.

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    if let Err(e) = fanzha_detect::cli::run_bench(n, std::io::stdout()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

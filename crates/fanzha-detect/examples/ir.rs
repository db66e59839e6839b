//! Runs `analyze_brief` over N generated messages once; used under `valgrind --tool=cachegrind`
//! to compare instruction counts per message between two builds (timing is noisy on a shared
//! machine, instruction counts are not).
fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let engine = fanzha_detect::Engine::builtin();
    let msgs = fanzha_detect::cli::bench_messages(n);
    for m in &msgs {
        std::hint::black_box(engine.analyze_brief(m));
    }
}

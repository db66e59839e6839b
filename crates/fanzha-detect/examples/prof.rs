use fanzha_detect::cli::{bench_messages, thread_cpu_seconds};
use fanzha_detect::extract::extract_normalized;
use fanzha_detect::model::Model;
use fanzha_detect::normalize::{normalize_into, Normalized, Scratch};
use fanzha_detect::rules::{RuleSet, Scratch as RScratch};
fn main() {
    let msgs = bench_messages(100_000);
    let rs = RuleSet::builtin();
    let m = Model::builtin().unwrap();
    let (mut n, mut sc, mut rsc) = (
        Normalized::default(),
        Scratch::default(),
        RScratch::default(),
    );
    let mut t = [0f64; 4];
    for _ in 0..3 {
        for msg in &msgs {
            let a = std::time::Instant::now();
            normalize_into(msg, &mut n, &mut sc);
            let b = std::time::Instant::now();
            let mut ind = Vec::new();
            extract_normalized(&n, msg, &mut ind);
            let c = std::time::Instant::now();
            let mut out = Vec::new();
            rs.evaluate(&n, &ind, &mut rsc, &mut out);
            let d = std::time::Instant::now();
            std::hint::black_box(m.score(n.text(), &ind));
            let e = std::time::Instant::now();
            t[0] += (b - a).as_secs_f64();
            t[1] += (c - b).as_secs_f64();
            t[2] += (d - c).as_secs_f64();
            t[3] += (e - d).as_secs_f64();
        }
    }
    let k = 3.0 * msgs.len() as f64 / 1e6;
    println!(
        "normalize {:.2}µs extract {:.2}µs rules {:.2}µs model {:.2}µs cpu {:?}",
        t[0] / k,
        t[1] / k,
        t[2] / k,
        t[3] / k,
        thread_cpu_seconds()
    );
}

//! `cargo bench -p fanzha-detect --bench detect`: the whole pipeline (normalise, extract, rules,
//! classify) and its parts on ~100-character messages.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use fanzha_detect::cli::bench_messages;
use fanzha_detect::extract::extract;
use fanzha_detect::model::Model;
use fanzha_detect::normalize::normalize;
use fanzha_detect::Engine;
use std::hint::black_box;

fn pipeline(c: &mut Criterion) {
    let engine = Engine::builtin();
    let msgs = bench_messages(1000);
    let mut g = c.benchmark_group("detect");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("analyze_1000_messages", |b| {
        b.iter(|| {
            for m in &msgs {
                black_box(engine.analyze(m));
            }
        })
    });
    g.bench_function("normalize_1000_messages", |b| {
        b.iter(|| {
            for m in &msgs {
                black_box(normalize(m));
            }
        })
    });
    g.bench_function("extract_1000_messages", |b| {
        b.iter(|| {
            for m in &msgs {
                black_box(extract(m));
            }
        })
    });
    g.finish();
    c.bench_function("model_load", |b| {
        b.iter_batched(
            || (),
            |_| black_box(Model::builtin()),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, pipeline);
criterion_main!(benches);

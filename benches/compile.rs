//! Parse + validate throughput of `backbone::compile` on synthetic valid documents of
//! 100, 1 000 and 10 000 tables (eight columns each, one or two foreign keys to earlier
//! tables, one relationship pair). Run with `cargo bench --bench compile`.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::hint::black_box;
use std::time::Duration;

use backbone::source::Source;
use backbone::{CompileOptions, compile};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

// The same allocator as the `backbone` binary, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn compile_documents(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.warm_up_time(Duration::from_secs(1));
    for tables in [100usize, 1_000, 10_000] {
        // The text is built (and checked once) outside the timed loop.
        let source = Source::new(format!("synthetic-{tables}.json"), synthetic::document(tables));
        let options = CompileOptions::default();
        assert!(compile(&source, &options).is_valid(), "the synthetic document of {tables} tables is invalid");
        group.throughput(Throughput::Bytes(source.text().len() as u64));
        if tables >= 10_000 {
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(15));
        } else {
            group.sample_size(20);
            group.measurement_time(Duration::from_secs(5));
        }
        group.bench_with_input(BenchmarkId::from_parameter(tables), &source, |bencher, source| {
            bencher.iter(|| black_box(compile(black_box(source), &options)));
        });
    }
    group.finish();
}

criterion_group!(benches, compile_documents);
criterion_main!(benches);

//! Full generation on the synthetic documents of 100, 1 000 and 10 000 tables, stage by
//! stage (compile, render, Python syntax check, write) and as the whole `backbone generate`
//! command, whose peak resident memory is printed too (through `/usr/bin/time`, when the
//! machine has it). Run with `cargo bench --bench generate`.

#[path = "support/synthetic.rs"]
mod synthetic;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use backbone::emit::{self, EmitOptions};
use backbone::source::Source;
use backbone::target::python;
use backbone::{CompileOptions, compile};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

// The same allocator as the `backbone` binary, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SIZES: [usize; 3] = [100, 1_000, 10_000];

/// Where the documents and outputs go: under `target/`, never a system temp dir that
/// may be a RAM disk with different figures.
fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-generate");
    std::fs::create_dir_all(&dir).expect("create target/bench-generate");
    dir
}

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, tables: usize) {
    if tables >= 10_000 {
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(20));
    } else {
        group.sample_size(20);
        group.measurement_time(Duration::from_secs(5));
    }
}

fn stages(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate-stage");
    group.warm_up_time(Duration::from_secs(1));
    for tables in SIZES {
        configure(&mut group, tables);
        let source = Source::new(format!("synthetic-{tables}.json"), synthetic::document(tables));
        let options = CompileOptions::default();
        let compilation = compile(&source, &options);
        let (schema, order) = compilation.valid_schema().expect("the synthetic document is valid");
        let files = python::render(schema, order).expect("the templates render");
        group.bench_with_input(BenchmarkId::new("compile", tables), &source, |bencher, source| {
            bencher.iter(|| black_box(compile(black_box(source), &options)));
        });
        group.bench_with_input(BenchmarkId::new("render", tables), &(schema, order), |bencher, (schema, order)| {
            bencher.iter(|| black_box(python::render(black_box(schema), order).expect("the templates render")));
        });
        group.bench_with_input(BenchmarkId::new("syntax-check", tables), &files, |bencher, files| {
            bencher.iter(|| black_box(python::verify::check(black_box(files))));
        });
        // Regenerating over the previous output: the common case of a developer's loop.
        let out = scratch().join(format!("stage-out-{tables}"));
        group.bench_with_input(BenchmarkId::new("write", tables), &files, |bencher, files| {
            bencher.iter(|| black_box(emit::write(&out, files, &EmitOptions { force: true }).expect("writable")));
        });
    }
    group.finish();
}

fn command(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate-command");
    group.warm_up_time(Duration::from_secs(1));
    let binary = env!("CARGO_BIN_EXE_backbone");
    for tables in SIZES {
        configure(&mut group, tables);
        let document = scratch().join(format!("synthetic-{tables}.json"));
        std::fs::write(&document, synthetic::document(tables)).expect("write the synthetic document");
        let out = scratch().join(format!("command-out-{tables}"));
        let run = || {
            let status = Command::new(binary).arg("generate").arg(&document).arg("-o").arg(&out).arg("--force").output().expect("run backbone");
            assert!(status.status.success(), "backbone generate failed: {}", String::from_utf8_lossy(&status.stderr));
        };
        run();
        peak_memory(binary, &document, &out, tables);
        group.bench_function(BenchmarkId::from_parameter(tables), |bencher| bencher.iter(run));
    }
    group.finish();
}

/// Prints the peak resident set size of one `backbone generate` run.
#[expect(clippy::print_stdout, reason = "a benchmark reports its figures")]
fn peak_memory(binary: &str, document: &Path, out: &Path, tables: usize) {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        println!("generate-command/{tables}: peak memory not measured (no /usr/bin/time)");
        return;
    }
    let output =
        Command::new(time).args(["-f", "%M"]).arg(binary).arg("generate").arg(document).arg("-o").arg(out).arg("--force").output().expect("run /usr/bin/time");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let kilobytes: u64 = stderr.lines().last().and_then(|line| line.trim().parse().ok()).unwrap_or(0);
    #[expect(clippy::cast_precision_loss, reason = "a figure for people")]
    let megabytes = kilobytes as f64 / 1024.0;
    println!("generate-command/{tables}: peak RSS {megabytes:.1} MB");
}

criterion_group!(benches, stages, command);
criterion_main!(benches);

//! Timing of the source reader on a generated tree (`bench/gen_tf.py N DIR`):
//! `HCL_BENCH_DIR=/tmp/tf1000 cargo test --release --test hcl_bench -- --ignored --nocapture`.

use std::time::Instant;

use mcpguard::load::hcl::{load, HclOptions};

#[test]
#[ignore = "timing run; needs HCL_BENCH_DIR"]
fn load_generated_tree() {
    let Ok(dir) = std::env::var("HCL_BENCH_DIR") else {
        eprintln!("HCL_BENCH_DIR not set; skipping");
        return;
    };
    let start = Instant::now();
    let o = load(std::path::Path::new(&dir), &HclOptions::default());
    let took = start.elapsed();
    assert!(
        o.errors.is_empty(),
        "{:?}",
        o.errors.iter().map(|e| &e.message).collect::<Vec<_>>()
    );
    eprintln!(
        "{dir}: {} resources in {:.3} s",
        o.model.resources.len(),
        took.as_secs_f64()
    );
}

//! Load + translate timing and peak memory on a generated plan.
//!
//! ```sh
//! python3 bench/gen_plan.py 1000 > /tmp/plan1000.json
//! MCPGUARD_BENCH_PLAN=/tmp/plan1000.json cargo test --release --test plan_bench -- --ignored --nocapture
//! ```

use std::time::Instant;

use mcpguard::inventory::InputKind;
use mcpguard::load::{azurerm, plan, read_text};

/// Peak resident set size of this process in MiB (Linux), if known.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

#[test]
#[ignore = "benchmark: needs MCPGUARD_BENCH_PLAN and a release build"]
fn load_and_translate_generated_plan() {
    let Ok(path) = std::env::var("MCPGUARD_BENCH_PLAN") else {
        eprintln!("skipped: set MCPGUARD_BENCH_PLAN to a plan from bench/gen_plan.py");
        return;
    };
    let text = read_text(std::path::Path::new(&path)).expect("readable plan");
    let start = Instant::now();
    let model = plan::load(&path, &text).expect("plan loads");
    let loaded = start.elapsed();
    let (res, _) = azurerm::translate(model, InputKind::Plan);
    let total = start.elapsed();
    eprintln!(
        "{} MB plan: {} resources; load {:.3} s, load+translate {:.3} s; peak RSS {} MiB",
        text.len() >> 20,
        res.len(),
        loaded.as_secs_f64(),
        total.as_secs_f64(),
        peak_rss_mib().map_or("?".to_string(), |m| m.to_string())
    );
    assert!(!res.is_empty());
}

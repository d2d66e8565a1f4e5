//! Hostile Terraform source (issue 10): every evaluation limit is a located
//! exit-2 diagnostic that names its cap, well above real inputs, never a
//! hang, an abort or memory exhaustion.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mcpguard::load::hcl::{load, HclOptions, HclOutput};

fn scratch(name: &str, text: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("main.tf"), text).unwrap();
    d
}

/// Loads within a time bound and returns the diagnostics. The bound guards
/// against a hang, not a slow run: CI machines are shared and debug builds
/// are slow, so it is generous; speed is the benchmark's job (`bench/`).
fn run(name: &str, text: &str) -> (HclOutput, Vec<String>) {
    let d = scratch(name, text);
    let start = Instant::now();
    let o = load(&d, &HclOptions::default());
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{name}: took {:?}",
        start.elapsed()
    );
    let m = o.errors.iter().map(|e| e.message.clone()).collect();
    (o, m)
}

fn assert_cap(name: &str, text: &str, cap: &str) {
    let (o, m) = run(name, text);
    assert!(m.iter().any(|x| x.contains(cap)), "{name}: {m:?}");
    assert!(
        o.errors.iter().all(|e| e.span.is_some()),
        "{name}: every diagnostic is located"
    );
}

#[test]
fn exponential_locals_stop_at_the_value_cap() {
    let mut text = String::from("locals {\n  l0 = \"0123456789\"\n");
    for i in 1..64 {
        text.push_str(&format!("  l{i} = [local.l{}, local.l{}]\n", i - 1, i - 1));
    }
    text.push_str("}\n");
    assert_cap("limits_exp_locals", &text, "MAX_VALUE_NODES");
    // Strings doubling through templates stop at the text cap.
    let mut text = String::from("locals {\n  s0 = \"0123456789abcdef\"\n");
    for i in 1..40 {
        text.push_str(&format!(
            "  s{i} = \"${{local.s{}}}${{local.s{}}}\"\n",
            i - 1,
            i - 1
        ));
    }
    text.push_str("}\n");
    assert_cap("limits_exp_strings", &text, "MAX_VALUE_BYTES");
}

#[test]
fn nested_for_expressions_stop_at_the_iteration_cap() {
    assert_cap(
        "limits_for",
        "locals {\n  x = [for a in range(1024) : [for b in range(1024) : [for c in range(1024) : c]]]\n}\n",
        "MAX_FOR_STEPS",
    );
}

#[test]
fn format_widths_and_ranges_are_capped() {
    assert_cap(
        "limits_format",
        "locals {\n  x = format(\"%999999999d\", 1)\n}\n",
        "MAX_FORMAT_WIDTH",
    );
    assert_cap(
        "limits_indent",
        "locals {\n  x = indent(99999999999, \"a\\nb\")\n}\n",
        "cannot indent",
    );
    assert_cap(
        "limits_range",
        "locals {\n  x = range(100000)\n}\n",
        "more than 1024 values",
    );
    assert_cap(
        "limits_setproduct",
        "locals {\n  r = range(1000)\n  x = setproduct(local.r, local.r, local.r)\n}\n",
        "MAX_PRODUCT",
    );
}

#[test]
fn module_instances_are_capped_per_scan() {
    // Each level calls the next twice: 2^20 module instances unchecked.
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("limits_modules");
    let _ = std::fs::remove_dir_all(&d);
    for i in 0..20 {
        let m = d.join(format!("m{i}"));
        std::fs::create_dir_all(&m).unwrap();
        let body = if i < 19 {
            format!("module \"a\" {{\n  source = \"../m{}\"\n  count  = 2\n}}\nmodule \"b\" {{\n  source = \"../m{}\"\n  count  = 2\n}}\n", i + 1, i + 1)
        } else {
            "resource \"x_y\" \"z\" {}\n".to_string()
        };
        std::fs::write(m.join("main.tf"), body).unwrap();
    }
    let start = Instant::now();
    let o = load(&d.join("m0"), &HclOptions::default());
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
    assert!(
        o.errors
            .iter()
            .any(|e| e.message.contains("MAX_SCAN_INSTANCES")),
        "{:?}",
        o.errors.iter().map(|e| &e.message).collect::<Vec<_>>()
    );
}

#[test]
fn a_cap_is_reported_once() {
    let (_, m) = run(
        "limits_once",
        "resource \"x_y\" \"a\" {\n  count = 99999\n}\nresource \"x_y\" \"b\" {\n  count = 99999\n}\nresource \"x_y\" \"c\" {\n  count = 99999\n}\n",
    );
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("MAX_SCAN_INSTANCES"), "{m:?}");
}

//! Real Terraform written by others (`../shared/corpus/terraform-sources`:
//! Verified Modules and their examples, production repositories), scanned in
//! place by the real binary, as a new user would: `cd DIR && mcpguard scan .`.
//!
//! - No root directory stops with exit 2, except those listed in
//!   [`TERRAFORM_REJECTS`] with the reason Terraform itself rejects them (and
//!   those must still stop, so the list cannot rot).
//! - Nothing panics.
//! - For each container group and container app, the unknown findings are
//!   printed with the input path behind each, so a reviewer can check that
//!   each is a value that really is unknowable before apply.
//!
//! Skipped, with a printed reason, when the corpus is absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Root directories Terraform itself rejects, with why, and a part of the
/// diagnostic mcpguard gives.
const TERRAFORM_REJECTS: &[(&str, &str, &str)] = &[(
    "terraform-azurerm-avm-ptn-cicd-agents-and-runners",
    "a module scanned as a root with its defaults: `virtual_network_address_space` defaults to null while \
     `use_private_networking` and `virtual_network_creation_enabled` default to true, so \
     `split(\"/\", var.virtual_network_address_space)` in local.virtual_network_address_space_cidr_size \
     fails in `terraform plan` too (its examples, which set the variable, scan)",
    "split(): argument must not be null",
)];

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/terraform-sources");
    p.is_dir().then_some(p)
}

/// Directories holding `.tf` files that are not module directories
/// (`modules/…`) or Terraform's cache: the roots a user would scan.
fn root_dirs(corpus: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![corpus.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut has_tf = false;
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if p.is_dir() {
                if name != "modules" && name != ".terraform" && !name.starts_with('.') {
                    stack.push(p);
                }
            } else if name.ends_with(".tf") {
                has_tf = true;
            }
        }
        if has_tf {
            out.push(d);
        }
    }
    out.sort();
    out
}

/// What one scan gave: its exit code, stderr and JSON report.
struct Scan {
    code: Option<i32>,
    stderr: String,
    report: Option<Value>,
}

fn scan(dir: &Path) -> Scan {
    let out = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        // Each directory as the root module it is (`scan .` would search
        // below it for roots: tests/cli_recursive.rs).
        .args(["scan", ".", "--no-recursive", "--format", "json"])
        .current_dir(dir)
        .env_remove("TF_DATA_DIR")
        .output()
        .expect("run mcpguard");
    Scan {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
        report: serde_json::from_slice(&out.stdout).ok(),
    }
}

const CONTAINER_TYPES: &[&str] = &[
    "microsoft.containerinstance/containergroups",
    "microsoft.app/containerapps",
    "microsoft.app/jobs",
];

/// The unknown findings on container groups and apps: address → (rule, the
/// paths that were unknown).
fn container_unknowns(report: &Value) -> BTreeMap<String, Vec<(String, Vec<String>)>> {
    let mut out: BTreeMap<String, Vec<(String, Vec<String>)>> = BTreeMap::new();
    for f in report["findings"].as_array().into_iter().flatten() {
        let arm = f["resource"]["arm_type"]
            .as_str()
            .unwrap_or("")
            .to_ascii_lowercase();
        if f["status"] != "unknown" || !CONTAINER_TYPES.contains(&arm.as_str()) {
            continue;
        }
        let paths = f["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["value"] == "<unknown until apply>")
            .filter_map(|e| e["path"].as_str().map(str::to_string))
            .collect();
        out.entry(f["resource"]["address"].as_str().unwrap_or("").to_string())
            .or_default()
            .push((f["rule_id"].as_str().unwrap_or("").to_string(), paths));
    }
    out
}

#[test]
fn real_terraform_scans_without_false_stops() {
    let Some(corpus) = corpus() else {
        eprintln!("skipped: ../shared/corpus/terraform-sources is absent");
        return;
    };
    let dirs = root_dirs(&corpus);
    assert!(dirs.len() >= 16, "only {} root dirs found", dirs.len());
    let mut stopped = Vec::new();
    for dir in &dirs {
        let rel = dir.strip_prefix(&corpus).unwrap().display().to_string();
        let s = scan(dir);
        assert!(
            matches!(s.code, Some(0..=2)),
            "{rel}: exit {:?} (a panic or a signal)\n{}",
            s.code,
            s.stderr
        );
        assert!(!s.stderr.contains("panicked"), "{rel}: {}", s.stderr);
        let rejected = TERRAFORM_REJECTS.iter().find(|(d, _, _)| *d == rel);
        match (s.code, rejected) {
            (Some(2), Some((_, _, says))) => {
                assert!(
                    s.stderr.contains(says),
                    "{rel}: stopped for another reason:\n{}",
                    s.stderr
                );
                eprintln!("{rel}: exit 2 as expected (Terraform rejects it too)");
                continue;
            }
            (Some(2), None) => {
                stopped.push(format!("{rel}:\n{}", s.stderr));
                continue;
            }
            (_, Some((_, why, _))) => panic!("{rel}: listed as rejected ({why}) but scanned"),
            _ => {}
        }
        let report = s.report.unwrap_or_else(|| panic!("{rel}: no JSON report"));
        let summary = &report["summary"];
        eprintln!(
            "{rel}: exit {:?}, {} resources, {} failed, {} unknown",
            s.code, summary["resources"], summary["fail"], summary["unknown"]
        );
        for (addr, findings) in container_unknowns(&report) {
            for (rule, paths) in findings {
                eprintln!("  unknown {rule} on container {addr}: {}", paths.join(", "));
            }
        }
        // The others: modules that were not read (MCP015) and the like.
        for f in report["findings"].as_array().into_iter().flatten() {
            let arm = f["resource"]["arm_type"]
                .as_str()
                .unwrap_or("")
                .to_ascii_lowercase();
            if f["status"] == "unknown" && !CONTAINER_TYPES.contains(&arm.as_str()) {
                eprintln!(
                    "  unknown {} on {}: {}",
                    f["rule_id"].as_str().unwrap_or(""),
                    f["resource"]["address"].as_str().unwrap_or(""),
                    f["message"].as_str().unwrap_or("")
                );
            }
        }
    }
    assert!(
        stopped.is_empty(),
        "{} real root dirs stopped with exit 2:\n{}",
        stopped.len(),
        stopped.join("\n")
    );
}

//! Reports record what passed (issue 16, item 5), through the CLI on the
//! seed fixtures: JSON counts passes per rule and lists them with
//! `--include-passed`, every input carries its SHA-256, the HTML report of a
//! clean run is evidence of what was checked, and SARIF stays results-only.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use sha2::Digest;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mcpguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1767225600")
        .output()
        .expect("run mcpguard")
}

const BEFORE: &str = "fixtures/seed/before-incident";
const HARDENED: &str = "fixtures/seed/hardened";

fn scan(dir: &str, extra: &[&str]) -> Output {
    let plan = format!("{dir}/plan.json");
    let cfg = format!("{dir}/.mcpguard.hcl");
    let mut args = vec![
        "scan",
        plan.as_str(),
        "--config",
        cfg.as_str(),
        "--repo-root",
        ".",
    ];
    args.extend(extra);
    mcpguard(&args)
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)))
}

fn sha256(path: &str) -> String {
    sha2::Sha256::digest(std::fs::read(root().join(path)).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn json_counts_passes_per_rule_and_lists_them_on_request() {
    let v = json(&scan(BEFORE, &["--format", "json"]));
    assert!(v.get("passes").is_none(), "listed only on request");
    let passed = v["passed"].as_object().expect("passed per rule");
    assert_eq!(
        passed.len() as u64,
        v["summary"]["rules"].as_u64().unwrap(),
        "every rule that ran"
    );
    let total: u64 = passed.values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(total, v["summary"]["passed"].as_u64().unwrap());
    let types: u64 = v["resource_types"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(types, v["summary"]["resources"].as_u64().unwrap());
    assert_eq!(v["rule_pack"]["builtin"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["rule_pack"]["rules"], v["summary"]["rules"]);
    let plan = format!("{BEFORE}/plan.json");
    assert_eq!(v["inputs"][0]["sha256"], sha256(&plan).as_str());

    let v = json(&scan(HARDENED, &["--format", "json", "--include-passed"]));
    assert_eq!(v["summary"]["fail"], 0, "the hardened seed is clean");
    let passes = v["passes"].as_array().expect("passes listed");
    assert!(passes.len() > 10, "{}", passes.len());
    assert_eq!(
        passes.len() as u64,
        v["summary"]["passed"].as_u64().unwrap()
    );
    for p in passes {
        let id = p["rule_id"].as_str().unwrap();
        assert!(v["passed"][id].as_u64().unwrap() > 0, "{p}");
        assert!(p["resource"]["address"].is_string(), "{p}");
        // The plan's source is beside it: passes point at the .tf lines too.
        assert!(
            p["location"]["file"].as_str().unwrap().ends_with(".tf"),
            "{p}"
        );
    }
    let mut keys: Vec<(String, String)> = passes
        .iter()
        .map(|p| {
            (
                p["rule_id"].as_str().unwrap().to_string(),
                p["resource"]["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let sorted = {
        let mut k = keys.clone();
        k.sort();
        k
    };
    assert_eq!(keys, sorted, "sorted by rule and address");
    keys.dedup();
    assert_eq!(keys.len(), passes.len(), "each pair once");
}

#[test]
fn sarif_stays_results_only() {
    let plain: Value = json(&scan(BEFORE, &["--format", "sarif"]));
    let with: Value = json(&scan(BEFORE, &["--format", "sarif", "--include-passed"]));
    assert_eq!(plain, with);
    let findings = json(&scan(BEFORE, &["--format", "json"]))["findings"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        with["runs"][0]["results"].as_array().unwrap().len(),
        findings
    );
}

#[test]
fn a_clean_html_report_is_evidence_of_what_was_checked() {
    let o = scan(HARDENED, &["--format", "html"]);
    assert_eq!(o.status.code(), Some(0));
    let h = String::from_utf8_lossy(&o.stdout);
    assert!(h.contains("id=\"coverage-matrix\""));
    assert!(h.contains("id=\"clean\""));
    let plan = format!("{HARDENED}/plan.json");
    assert!(h.contains(&format!(
        "<code>{plan}</code></td><td>plan</td><td><code>{}</code>",
        sha256(&plan)
    )));
    assert!(h.contains(&format!(
        "built-in rules of mcpguard {}",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(
        h.contains("<time>2026-01-01T00:00:00Z</time>"),
        "the time, reproducibly"
    );
    let v = json(&scan(HARDENED, &["--format", "json"]));
    assert!(h.contains(&format!("id=\"count-passed\">{}<", v["summary"]["passed"])));
}

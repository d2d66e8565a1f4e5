//! The pipeline rules (MCP024, MCP025, MCP026) on their fixtures in
//! `fixtures/workflows/RULE/{pass,fail}/`: small repositories of workflows
//! plus the Terraform or ARM resources of the pipeline identity. Each fail
//! fixture fails its rule, each pass fixture has no finding at all, and the
//! findings of every fixture are an insta snapshot (rule, status, severity,
//! job, `file:line`, message).

use std::path::{Path, PathBuf};

use mcpguard::config::Config;
use mcpguard::findings::{Report, Status};
use mcpguard::scan::{self, ScanOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures/workflows").join(rel)
}

/// Scans `inputs` (directories are searched, as `mcpguard scan DIR` does)
/// with `dir/.mcpguard.hcl` when there is one; paths relative to `dir`.
pub fn scan(dir: &Path, inputs: &[PathBuf]) -> Report {
    let cfg = dir.join(".mcpguard.hcl");
    let config = if cfg.is_file() {
        Config::load(&cfg).expect("fixture config")
    } else {
        Config::default()
    };
    let opts = ScanOptions {
        config,
        recursive: true,
        repo_root: Some(dir.to_path_buf()),
        today: Some(time::macros::date!(2026 - 11 - 23)),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("built-in rules load");
    let loaded = scan::load_inputs(inputs, &opts);
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    assert!(
        report.errors.is_empty(),
        "{}: {:?}",
        dir.display(),
        report.errors
    );
    report
}

fn lines(r: &Report) -> Vec<String> {
    let mut v: Vec<String> = r
        .findings
        .iter()
        .map(|f| {
            let at = f
                .location
                .as_ref()
                .map(|l| format!("{}:{}", l.file, l.line.unwrap_or(0)))
                .unwrap_or_default();
            format!(
                "{} {:?} {:?} {} {at}: {}",
                f.rule_id, f.status, f.severity, f.resource.address, f.message
            )
        })
        .collect();
    v.sort();
    v
}

fn dir_scan(rel: &str) -> Report {
    let d = fixture(rel);
    scan(&d, std::slice::from_ref(&d))
}

#[test]
fn fail_fixtures_fail_their_rule_and_pass_fixtures_pass_everything() {
    for id in ["MCP024", "MCP025", "MCP026"] {
        let r = dir_scan(&format!("{id}/fail"));
        // MCP026 is an audit: still a failing finding, at severity info.
        assert!(
            r.findings
                .iter()
                .any(|f| f.rule_id == id && f.status == Status::Fail),
            "{id} fail: {:#?}",
            lines(&r)
        );
        let r = dir_scan(&format!("{id}/pass"));
        assert!(r.findings.is_empty(), "{id} pass: {:#?}", lines(&r));
        assert!(
            r.passes.iter().any(|p| p.rule_id == id),
            "{id} pass: the rule did not run on a job"
        );
    }
}

#[test]
fn mcp024_fail_snapshot() {
    let r = dir_scan("MCP024/fail");
    // Every way of storing the secret is caught, each at its step's line.
    insta::assert_json_snapshot!(lines(&r));
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        !json.contains("not_a_real_client_secret"),
        "inline secret printed"
    );
}

#[test]
fn mcp025_fail_snapshot() {
    insta::assert_json_snapshot!(lines(&dir_scan("MCP025/fail")));
}

#[test]
fn mcp025_matches_a_literal_client_id_in_arm_resources() {
    let d = fixture("MCP025/fail-arm");
    let r = scan(
        &d,
        &[d.join("arm.json"), d.join(".github/workflows/plan.yml")],
    );
    insta::assert_json_snapshot!(lines(&r));
}

#[test]
fn mcp026_fail_snapshot() {
    let r = dir_scan("MCP026/fail");
    // audit: reported at info, so the run does not fail on it.
    assert!(r
        .findings
        .iter()
        .all(|f| f.rule_id != "MCP026" || f.severity == mcpguard::findings::Severity::Info));
    insta::assert_json_snapshot!(lines(&r));
}

#[test]
fn a_workflow_alone_cannot_tell_its_identity_and_says_why() {
    let d = fixture("MCP025/fail");
    let r = scan(&d, &[d.join(".github/workflows/plan.yml")]);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule_id == "MCP025")
        .expect("an MCP025 finding");
    assert_eq!(f.status, Status::Unknown);
    assert!(
        f.message.contains(
            "no github_actions_variable of the scanned inputs sets `vars.AZURE_CLIENT_ID`"
        ),
        "{}",
        f.message
    );
}

//! Snapshots of the reports users read: the JSON contract and the table, for
//! the seed architecture before the incident and per-rule failures. Each
//! snapshot was read before it was accepted.

use std::path::{Path, PathBuf};

use mcpguard::config::Config;
use mcpguard::report::{render, Format, RenderOptions};
use mcpguard::scan::{self, ScanOptions};

fn scan_dir(
    dir: &Path,
    input: &str,
) -> (mcpguard::findings::Report, Vec<mcpguard::policy::RuleMeta>) {
    let opts = ScanOptions {
        config: Config::load(&dir.join(".mcpguard.hcl")).unwrap(),
        today: Some(time::macros::date!(2026 - 11 - 23)),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).unwrap();
    let loaded = scan::load_inputs(&[dir.join(input)], &opts);
    let (mut report, _) = scan::evaluate(&rules, loaded, &opts);
    // Paths relative to the repo so snapshots do not depend on the checkout.
    let root = format!("{}/", env!("CARGO_MANIFEST_DIR"));
    for i in &mut report.inputs {
        i.path = i.path.replace(&root, "");
    }
    for f in &mut report.findings {
        if let Some(l) = &mut f.location {
            l.file = l.file.replace(&root, "");
        }
    }
    let metas = rules.active.iter().map(|a| a.rule.meta.clone()).collect();
    (report, metas)
}

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn before_incident_plan_json() {
    let (r, m) = scan_dir(&fixture("fixtures/seed/before-incident"), "plan.json");
    insta::assert_snapshot!(render(Format::Json, &r, &m, &RenderOptions::default()));
}

#[test]
fn before_incident_plan_table() {
    let (r, m) = scan_dir(&fixture("fixtures/seed/before-incident"), "plan.json");
    insta::assert_snapshot!(render(Format::Table, &r, &m, &RenderOptions::default()));
}

#[test]
fn before_incident_source_table() {
    let (r, m) = scan_dir(&fixture("fixtures/seed/before-incident"), "main.tf");
    insta::assert_snapshot!(render(Format::Table, &r, &m, &RenderOptions::default()));
}

#[test]
fn mcp004_fail_names_the_rule_that_lets_traffic_out() {
    let (r, m) = scan_dir(&fixture("fixtures/rules/MCP004/fail"), "plan.json");
    insta::assert_snapshot!(render(Format::Table, &r, &m, &RenderOptions::default()));
}

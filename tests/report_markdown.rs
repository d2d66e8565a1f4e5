//! The Markdown summary, as a reviewed insta snapshot plus a few structural
//! checks that hold whatever the wording.

mod report_common;

use mcpguard::findings::ReportError;
use mcpguard::report::{render, Format, RenderOptions};
use report_common::*;

fn markdown(report: &mcpguard::findings::Report) -> String {
    render(
        Format::Markdown,
        report,
        &sample_rules(),
        &RenderOptions::default(),
    )
}

#[test]
fn sample_summary_snapshot() {
    let mut report = sample_report();
    // The version is in the output; pin it so a release does not churn the snapshot.
    report.tool.version = "0.0.0-test".into();
    insta::assert_snapshot!("markdown_sample", markdown(&report));
}

#[test]
fn structure_holds() {
    let report = sample_report();
    let md = markdown(&report);
    assert!(md.starts_with("## mcpguard: ❌ failed\n"));
    // <details> balanced; every failure is a row of the failures table.
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    let failures = md.split("### Failures").nth(1).expect("failures table");
    let rows = failures
        .lines()
        .skip(4)
        .take_while(|l| l.starts_with("| "))
        .count();
    assert_eq!(rows, report.summary.fail);
    // Raw `<` from a message never reaches the page as a tag.
    assert!(md.contains("&lt;value redacted&gt;"));
    assert!(!md.contains("<value redacted>"));
    assert!(md.contains("**Remediation.** Fix `MCP004` in Terraform"));
}

#[test]
fn errors_change_the_headline() {
    let mut report = sample_report();
    report.errors.push(ReportError {
        source: "plans/bad.json".into(),
        message: "not JSON".into(),
    });
    let md = markdown(&report);
    assert!(md.starts_with("## mcpguard: ❌ scan incomplete\n"));
    assert!(md.contains("### Errors\n\n- `plans/bad.json`: not JSON\n"));
}

#[test]
fn a_clean_scan_passes() {
    let mut report = mcpguard::findings::Report::new();
    report.summary.resources = 4;
    report.summary.rules = 10;
    report.finish();
    let md = markdown(&report);
    assert!(md.starts_with(
        "## mcpguard: ✅ passed\n\n4 resources, 10 rules: 0 failed, 0 unknown, 0 suppressed\n"
    ));
    assert!(!md.contains("| severity"));
}

#[test]
fn a_huge_scan_fits_in_a_pull_request_comment() {
    let base = sample_report();
    let mut big = mcpguard::findings::Report::new();
    big.findings = (0..10_000)
        .map(|i| {
            let mut f = base.findings[i % base.findings.len()].clone();
            f.resource.address = format!("module.m[{i}].azurerm_container_group.this");
            f
        })
        .collect();
    big.finish();
    let md = markdown(&big);
    assert!(md.len() < 65_536, "{} bytes", md.len());
    assert!(md.contains("more (see the full report)"));
}

//! The HTML report without a browser: self-contained, escaped, complete.

mod report_common;

use mcpguard::report::{render, Format, RenderOptions};
use report_common::*;

fn html() -> String {
    render(
        Format::Html,
        &sample_report(),
        &sample_rules(),
        &RenderOptions::default(),
    )
}

#[test]
fn nothing_is_fetched_from_the_network() {
    let h = html();
    assert!(h.contains("default-src 'none'"), "a CSP forbids fetches");
    for needle in ["<link", "src=\"http", "src='http", "@import", "url(http"] {
        assert!(!h.contains(needle), "found {needle}");
    }
}

#[test]
fn finding_text_is_escaped() {
    let h = html();
    assert!(h.contains("&lt;value redacted&gt; &amp; &quot;never&quot; printed"));
    assert!(!h.contains("<value redacted>"));
    assert!(
        h.contains("<code>&lt;redacted&gt;</code>"),
        "evidence is shown, redacted"
    );
}

#[test]
fn every_finding_has_a_row_and_every_resource_its_evidence() {
    let report = sample_report();
    let h = html();
    assert_eq!(
        h.matches("<tr class=\"finding\"").count(),
        report.findings.len()
    );
    let mut addrs: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.resource.address.as_str())
        .collect();
    addrs.sort_unstable();
    addrs.dedup();
    for (i, _) in addrs.iter().enumerate() {
        assert!(h.contains(&format!("<details id=\"res-{}\">", i + 1)));
    }
    assert!(h.contains("facts.nsgEgress.internet"));
    assert!(
        h.contains("Fix `MCP004` in Terraform: set the attribute &amp; re-plan &lt;safely&gt;.")
    );
    assert!(
        h.contains("<code>plans/prod.json</code> (plan)"),
        "scan metadata lists inputs"
    );
}

/// The `<td>` of the coverage matrix for (ARM type, rule).
fn cell<'a>(h: &'a str, arm_type: &str, rule: &str) -> &'a str {
    let key = format!("data-type=\"{arm_type}\" data-rule=\"{rule}\"");
    let at = h
        .find(&key)
        .unwrap_or_else(|| panic!("no cell for {arm_type} × {rule}"));
    &h[at..at + h[at..].find("</td>").expect("cell end")]
}

#[test]
fn the_report_opens_with_the_coverage_matrix() {
    let h = html();
    let cov = h.find("id=\"coverage-matrix\"").expect("a coverage matrix");
    let summary = h.find("id=\"summary\"").expect("summary");
    let findings = h.find("id=\"findings\"").expect("findings");
    assert!(cov < summary && cov < findings, "the matrix comes first");
    let cg = "Microsoft.ContainerInstance/containerGroups";
    // 4 container groups: MCP001 passed on 2, applies to none of the others.
    assert!(
        cell(&h, cg, "MCP001").contains(
            "data-passed=\"2\" data-failed=\"0\" data-unknown=\"0\" data-suppressed=\"0\" data-na=\"2\""
        ),
        "{}",
        cell(&h, cg, "MCP001")
    );
    // MCP004: one passed, one failed.
    assert!(cell(&h, cg, "MCP004").contains("data-passed=\"1\" data-failed=\"1\""));
    // MCP003: one unknown; MCP009: one suppressed.
    assert!(cell(&h, cg, "MCP003").contains("data-unknown=\"1\""));
    assert!(cell(&h, cg, "MCP009").contains("data-suppressed=\"1\""));
    // A rule that applies to nothing of a type says n/a for all of them.
    let ra = "Microsoft.Authorization/roleAssignments";
    assert!(cell(&h, ra, "MCP001").contains("data-na=\"1\""));
    assert!(cell(&h, ra, "MCP001").contains(">n/a<"));
    // Types no rule evaluated are named, with their count.
    let unchecked = &h[h.find("id=\"unchecked-types\"").expect("unchecked types")..];
    assert!(
        unchecked.contains("<code>Network/virtualNetworks</code> (1)"),
        "{unchecked}"
    );
}

#[test]
fn the_scan_record_names_inputs_digests_rule_pack_and_time() {
    let h = html();
    let record = &h[h.find("id=\"scan\"").expect("scan record")..];
    let record = &record[..record.find("</section>").unwrap()];
    assert!(record.contains(
        "<code>plans/prod.json</code></td><td>plan</td><td><code>9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08</code>"
    ));
    assert!(
        record.contains("built-in rules of mcpguard 0.1.0; 10 rules evaluated"),
        "{record}"
    );
    assert!(
        record.contains("<code>policies/custom</code>: 2 files, sha256"),
        "{record}"
    );
    assert!(
        record.contains("<tr><th>generated</th><td><time>"),
        "{record}"
    );
    let tool = format!("<td>mcpguard {}</td>", env!("CARGO_PKG_VERSION"));
    assert!(record.contains(&tool), "{record}");
}

/// A clean run is evidence too: what was checked, on which inputs, and that
/// it held.
#[test]
fn a_clean_run_shows_what_was_checked() {
    let mut r = sample_report();
    r.findings.clear();
    r.errors.clear();
    r.finish();
    let h = render(Format::Html, &r, &sample_rules(), &RenderOptions::default());
    assert!(h.contains("id=\"coverage-matrix\""));
    assert!(h.contains("id=\"clean\""), "says every rule held");
    assert!(h.contains("4 rule and resource pairs checked"));
    assert!(h.contains("id=\"inputs\""));
    assert!(h.contains("id=\"count-passed\">4<"));
    let cg = "Microsoft.ContainerInstance/containerGroups";
    assert!(cell(&h, cg, "MCP004").contains("data-passed=\"1\" data-failed=\"0\""));
}

#[test]
fn printing_expands_every_section() {
    let h = html();
    assert!(h.contains("@media print"));
    assert!(h.contains("details::details-content { content-visibility: visible"));
    assert!(h.contains("tr.finding[hidden] { display: table-row; }"));
    assert!(h.contains("addEventListener('beforeprint'"));
}

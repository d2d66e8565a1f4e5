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

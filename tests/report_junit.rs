//! JUnit XML: parsed back with roxmltree, then checked for the structure
//! Azure DevOps and GitLab read.

mod report_common;

use mcpguard::findings::{Report, ReportError};
use mcpguard::report::{render, Format, RenderOptions};
use report_common::*;

fn junit(report: &Report) -> String {
    render(
        Format::Junit,
        report,
        &sample_rules(),
        &RenderOptions::default(),
    )
}

fn attr<'a>(n: roxmltree::Node<'a, 'a>, name: &str) -> &'a str {
    n.attribute(name)
        .unwrap_or_else(|| panic!("<{}> lacks {name}", n.tag_name().name()))
}

fn num(n: roxmltree::Node, name: &str) -> usize {
    attr(n, name).parse().expect("a count")
}

#[test]
fn a_suite_per_rule_a_case_per_resource() {
    let report = sample_report();
    let xml = junit(&report);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(
        suites.len(),
        sample_rules().len(),
        "one suite per rule, no error suite without errors"
    );

    // Totals agree with the suites, and with the report.
    let total_cases: usize = suites
        .iter()
        .map(|s| s.children().filter(|c| c.has_tag_name("testcase")).count())
        .sum();
    assert_eq!(num(root, "tests"), total_cases);
    assert_eq!(total_cases, report.findings.len() + report.passes.len());
    assert_eq!(num(root, "failures"), report.summary.fail);
    assert_eq!(
        num(root, "skipped"),
        report.summary.unknown + report.summary.suppressed
    );
    for s in &suites {
        let cases: Vec<_> = s
            .children()
            .filter(|c| c.has_tag_name("testcase"))
            .collect();
        assert_eq!(num(*s, "tests"), cases.len());
        let fails = cases
            .iter()
            .filter(|c| c.children().any(|x| x.has_tag_name("failure")))
            .count();
        assert_eq!(num(*s, "failures"), fails, "suite {}", attr(*s, "name"));
    }

    let suite = suites
        .iter()
        .find(|s| attr(**s, "name").starts_with("MCP004: "))
        .expect("MCP004 suite");
    let cases: Vec<_> = suite
        .children()
        .filter(|c| c.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2, "one failing, one passing resource");
    let failing = cases
        .iter()
        .find(|c| attr(**c, "name") == CG_GITHUB)
        .expect("failing case");
    assert_eq!(attr(*failing, "classname"), "MCP004");
    assert_eq!(attr(*failing, "file"), "modules/mcp/main.tf");
    assert_eq!(attr(*failing, "line"), "12");
    let failure = failing
        .children()
        .find(|c| c.has_tag_name("failure"))
        .expect("failure");
    // Attribute newlines survive as &#10;; the text carries evidence and remediation.
    assert_eq!(
        attr(failure, "message"),
        report
            .findings
            .iter()
            .find(|f| f.rule_id == "MCP004")
            .map(|f| f.message.as_str())
            .unwrap_or("")
    );
    let text = failure.text().unwrap_or("");
    assert!(
        text.contains("facts.nsgEgress.internet = {\"priority\":100"),
        "{text}"
    );
    assert!(text
        .contains("remediation: Fix `MCP004` in Terraform: set the attribute & re-plan <safely>."));
    let passing = cases
        .iter()
        .find(|c| attr(**c, "name") == CG_FETCH)
        .expect("passing case");
    assert_eq!(passing.children().filter(|c| c.is_element()).count(), 0);

    // Unknown and suppressed findings are skipped, with why.
    let skipped: Vec<&str> = root
        .descendants()
        .filter(|n| n.has_tag_name("skipped"))
        .map(|n| attr(n, "message"))
        .collect();
    assert!(skipped
        .iter()
        .any(|m| m.starts_with("unknown before apply: ")));
    assert!(skipped.contains(&"suppressed (inline): registry migration, ticket OPS-112"));
    assert!(skipped.contains(&"suppressed (baseline): baseline"));

    // Characters XML must escape come back intact.
    let msg008 = root
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .map(|n| attr(n, "message"))
        .find(|m| m.contains("GITHUB_TOKEN"))
        .expect("MCP008 failure");
    assert_eq!(
        msg008,
        "env `GITHUB_TOKEN` is a plain environment variable: <value redacted> & \"never\" printed"
    );
}

#[test]
fn input_errors_are_error_cases() {
    let mut report = sample_report();
    report.errors.push(ReportError {
        source: "plans/bad<1>.json".into(),
        message: "plan is truncated: EOF at line 3".into(),
    });
    let xml = junit(&report);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    assert_eq!(num(doc.root_element(), "errors"), 1);
    let err = doc
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .expect("error element");
    assert_eq!(attr(err, "message"), "plan is truncated: EOF at line 3");
    assert_eq!(
        attr(err.parent().expect("testcase"), "name"),
        "plans/bad<1>.json"
    );
}

#[test]
fn control_characters_do_not_break_the_xml() {
    let mut report = sample_report();
    report.findings[0].message = "bell\u{7} and nul\u{0} and ]]> end".into();
    let xml = junit(&report);
    roxmltree::Document::parse(&xml).expect("still well-formed");
}

#[test]
fn an_empty_scan_is_valid() {
    let mut empty = Report::new();
    empty.finish();
    let xml = render(Format::Junit, &empty, &[], &RenderOptions::default());
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    assert_eq!(num(doc.root_element(), "tests"), 0);
}

//! `--format junit`: JUnit XML as Azure DevOps' `PublishTestResults@2`
//! (`testResultsFormat: JUnit`) and GitLab's `artifacts:reports:junit` read it.
//!
//! - one `<testsuite>` per rule (every enabled rule, plus any rule a finding
//!   names), named `MCP004: <title>`, sorted by rule id;
//! - one `<testcase>` per evaluated (rule, resource): `classname` is the rule
//!   id, `name` the resource address, with `file` and `line` where known;
//! - a failing finding is a `<failure>` whose `message` is the finding's
//!   message and whose text adds resource, location, evidence and remediation;
//! - an `unknown` or `suppressed` finding is `<skipped>` with the reason: it
//!   neither passes nor fails the build;
//! - a passing pair is an empty testcase;
//! - input, rule and config errors are `<error>` cases in a last suite,
//!   `mcpguard`, so a broken input is visible in the test tab too.
//!
//! Times are `0`: the scan is not timed per rule, and the output stays
//! byte-identical between runs.

use std::collections::BTreeMap;

use super::{escape_xml, help_uri, location_text, rule_meta, value_text};
use crate::findings::{Finding, Location, Pass, Report, ResourceRef, RuleMeta, Status};

/// One testcase before it is written.
enum Case<'a> {
    Finding(&'a Finding),
    Pass(&'a Pass),
}

impl Case<'_> {
    fn resource(&self) -> &ResourceRef {
        match self {
            Case::Finding(f) => &f.resource,
            Case::Pass(p) => &p.resource,
        }
    }
    fn location(&self) -> Option<&Location> {
        match self {
            Case::Finding(f) => f.location.as_ref(),
            Case::Pass(p) => p.location.as_ref(),
        }
    }
}

pub fn render(report: &Report, rules: &[RuleMeta]) -> String {
    let mut suites: BTreeMap<&str, Vec<Case>> =
        rules.iter().map(|r| (r.id.as_str(), Vec::new())).collect();
    for f in &report.findings {
        suites.entry(&f.rule_id).or_default().push(Case::Finding(f));
    }
    for p in &report.passes {
        suites.entry(&p.rule_id).or_default().push(Case::Pass(p));
    }

    let mut body = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for (id, cases) in suites.iter_mut() {
        cases.sort_by(|a, b| a.resource().address.cmp(&b.resource().address));
        let fails = cases
            .iter()
            .filter(|c| matches!(c, Case::Finding(f) if f.status == Status::Fail))
            .count();
        let skips = cases
            .iter()
            .filter(|c| matches!(c, Case::Finding(f) if f.status != Status::Fail))
            .count();
        tests += cases.len();
        failures += fails;
        skipped += skips;
        let meta = rule_meta(rules, id);
        let name = match meta {
            Some(m) => format!("{id}: {}", m.title),
            None => id.to_string(),
        };
        body.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\" errors=\"0\" skipped=\"{skips}\" time=\"0\">\n",
            escape_xml(&name, true),
            cases.len()
        ));
        if let Some(m) = meta {
            body.push_str("    <properties>\n");
            body.push_str(&property("severity", m.severity.as_str()));
            if let Some(uri) = help_uri(m, &report.tool.version) {
                body.push_str(&property("help", &uri));
            }
            body.push_str("    </properties>\n");
        }
        for case in cases.iter() {
            body.push_str(&testcase(id, case, meta, &report.tool.version));
        }
        body.push_str("  </testsuite>\n");
    }
    if !report.errors.is_empty() {
        body.push_str(&format!(
            "  <testsuite name=\"mcpguard\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\" time=\"0\">\n",
            n = report.errors.len()
        ));
        for e in &report.errors {
            body.push_str(&format!(
                "    <testcase classname=\"mcpguard\" name=\"{}\" time=\"0\">\n      <error message=\"{}\" type=\"input\">{}</error>\n    </testcase>\n",
                escape_xml(&e.source, true),
                escape_xml(&e.message, true),
                escape_xml(&format!("{}: {}", e.source, e.message), false)
            ));
        }
        body.push_str("  </testsuite>\n");
    }
    let errors = report.errors.len();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- {} -->\n<testsuites name=\"mcpguard\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\">\n{body}</testsuites>\n",
        escape_xml(&super::versions_line(report), false).replace("--", "- -"),
        tests + errors
    )
}

fn property(name: &str, value: &str) -> String {
    format!(
        "      <property name=\"{}\" value=\"{}\"/>\n",
        escape_xml(name, true),
        escape_xml(value, true)
    )
}

fn testcase(rule_id: &str, case: &Case, meta: Option<&RuleMeta>, version: &str) -> String {
    let res = case.resource();
    let mut attrs = format!(
        "classname=\"{}\" name=\"{}\"",
        escape_xml(rule_id, true),
        escape_xml(&res.address, true)
    );
    if let Some(loc) = case.location() {
        attrs.push_str(&format!(" file=\"{}\"", escape_xml(&loc.file, true)));
        if let Some(line) = loc.line {
            attrs.push_str(&format!(" line=\"{line}\""));
        }
    }
    attrs.push_str(" time=\"0\"");
    let f = match case {
        Case::Pass(_) => return format!("    <testcase {attrs}/>\n"),
        Case::Finding(f) => f,
    };
    let inner = match f.status {
        Status::Fail => format!(
            "<failure message=\"{}\" type=\"{}\">{}</failure>",
            escape_xml(&f.message, true),
            f.severity.as_str(),
            escape_xml(&details(f, meta, version), false)
        ),
        Status::Unknown => format!(
            "<skipped message=\"{}\"/>",
            escape_xml(&format!("unknown before apply: {}", f.message), true)
        ),
        Status::Suppressed => {
            let why = f.suppression.as_ref().map_or_else(
                || "suppressed".to_string(),
                |s| {
                    format!(
                        "suppressed ({}): {}",
                        s.kind,
                        s.reason.as_deref().unwrap_or("no reason given")
                    )
                },
            );
            format!("<skipped message=\"{}\"/>", escape_xml(&why, true))
        }
    };
    format!("    <testcase {attrs}>\n      {inner}\n    </testcase>\n")
}

/// The failure text: everything a reader needs without opening another tool.
fn details(f: &Finding, meta: Option<&RuleMeta>, version: &str) -> String {
    let mut d = format!(
        "{}\n\nseverity: {}\nresource: {} ({})\nid: {}\n",
        f.message,
        f.severity.as_str(),
        f.resource.address,
        f.resource.tf_type,
        f.resource.id
    );
    if let Some(loc) = location_text(f.location.as_ref()) {
        d.push_str(&format!("location: {loc}\n"));
    }
    if let Some(plan) = location_text(f.plan.as_ref()) {
        d.push_str(&format!("plan: {plan}\n"));
    }
    if !f.evidence.is_empty() {
        d.push_str("evidence:\n");
        for e in &f.evidence {
            d.push_str(&format!("  {} = {}\n", e.path, value_text(&e.value)));
        }
    }
    if let Some(m) = meta {
        if !m.remediation.trim().is_empty() {
            d.push_str(&format!("remediation: {}\n", m.remediation.trim()));
        }
        if let Some(uri) = help_uri(m, version) {
            d.push_str(&format!("help: {uri}\n"));
        }
    }
    d
}

//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and Azure DevOps.
//!
//! One `run`. `tool.driver.rules` lists every enabled rule (plus any rule a
//! finding names that was not passed in), each with its title, description,
//! remediation as `help` (text and markdown), `helpUri`, default level and
//! `properties.security-severity`. Each finding is one result:
//! - `level` from severity: critical/high → `error`, medium → `warning`,
//!   low/info → `note`; an `unknown` finding is `kind: "review"`, level
//!   `none` (SARIF allows a level other than `none` only for `kind: "fail"`);
//! - `locations`: a physical location (`artifactLocation.uri` relative to the
//!   repository root, with `uriBaseId` `%SRCROOT%`; a file outside the root is
//!   a `file://` URI only when it was given as an absolute path;
//!   `region.startLine` where known) when the finding has a file
//!   (an ARM finding: the snapshot, when exactly one was scanned), always with
//!   a logical location naming the Terraform address or ARM id; a plan
//!   finding mapped to its source (`--source`) is located at the `.tf` line;
//! - `relatedLocations`: the resource's block when the location is an
//!   attribute inside it, and for a plan finding located in the source, the
//!   plan file and line;
//! - `partialFingerprints["mcpguard/v1"]` is the finding's fingerprint, which
//!   ignores line numbers, so alerts are tracked rather than duplicated, and
//!   `partialFingerprints["mcpguard/root/v1"]` its Terraform root module, so the
//!   same address in two roots is two alerts;
//! - a suppressed finding carries `suppressions` (`inSource` for an inline
//!   ignore, `external` for config and baseline) with its justification.
//!
//! Input errors and warnings become `invocations[0].toolExecutionNotifications`.
//! The run's `properties` name the report contract (`reportSchema`), the
//! built-in rule pack's version (`rulePack`, `null` without built-in rules)
//! and both as one line (`versions`); `informationUri` is the project's home.

use serde_json::{json, Map, Value};

use super::{help_uri, rule_meta, status_str, value_text};
use crate::findings::{Finding, Report, RuleMeta, Severity, Status};

pub const SARIF_SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of the fingerprint in `partialFingerprints`; bump the suffix if the
/// fingerprint's recipe ever changes.
pub const FINGERPRINT_KEY: &str = "mcpguard/v1";

/// The key of the finding's Terraform root module in `partialFingerprints`.
pub const ROOT_FINGERPRINT_KEY: &str = "mcpguard/root/v1";

pub fn render(report: &Report, rules: &[RuleMeta]) -> String {
    let mut text = serde_json::to_string_pretty(&document(report, rules)).unwrap_or_default();
    text.push('\n');
    text
}

/// The SARIF log as a JSON value (what [`render`] prints).
pub fn document(report: &Report, rules: &[RuleMeta]) -> Value {
    let version = &report.tool.version;
    // Descriptors: the rules passed in, then any rule only a finding knows of,
    // so every `ruleIndex` points at a descriptor.
    let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    for f in &report.findings {
        if !ids.contains(&f.rule_id.as_str()) {
            ids.push(&f.rule_id);
        }
    }
    let descriptors: Vec<Value> = ids
        .iter()
        .map(|id| match rule_meta(rules, id) {
            Some(meta) => descriptor(meta, version),
            None => json!({"id": id, "shortDescription": {"text": id}}),
        })
        .collect();
    let fallback = fallback_file(report);
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            result(
                f,
                ids.iter().position(|id| *id == f.rule_id),
                fallback.as_deref(),
            )
        })
        .collect();

    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| (e.source.as_str(), e.message.as_str(), "error"))
        .chain(report.warnings.iter().map(|w| (w.source.as_str(), w.message.as_str(), "warning")))
        .map(|(source, message, level)| {
            json!({"level": level, "message": {"text": format!("{source}: {message}")}})
        })
        .collect();

    json!({
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": report.tool.name,
                "version": version,
                "semanticVersion": version,
                "informationUri": crate::findings::HOME,
                "rules": descriptors,
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "properties": {
                "reportSchema": report.schema,
                "rulePack": report.rule_pack.as_ref().and_then(|p| p.builtin.as_deref()),
                "versions": super::versions_line(report),
            },
            "results": results,
        }],
    })
}

/// GitHub's `security-severity` score. GitHub rejects a JSON number here
/// ("expected string"), so the score is written as a numeric string.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn descriptor(meta: &RuleMeta, version: &str) -> Value {
    let mut tags: Vec<String> = vec!["security".into(), "iac".into(), "azure".into()];
    for t in &meta.tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    let full = first_paragraph(&meta.description).unwrap_or(&meta.title);
    let mut help_md = String::new();
    if !meta.description.trim().is_empty() {
        help_md.push_str(meta.description.trim());
        help_md.push_str("\n\n");
    }
    if !meta.remediation.trim().is_empty() {
        help_md.push_str("## Remediation\n\n");
        help_md.push_str(meta.remediation.trim());
        help_md.push('\n');
    }
    if !meta.references.is_empty() {
        help_md.push_str("\n## References\n\n");
        for r in &meta.references {
            help_md.push_str(&format!("- <{r}>\n"));
        }
    }
    let help_text = if meta.remediation.trim().is_empty() {
        meta.title.clone()
    } else {
        meta.remediation.trim().to_string()
    };
    let mut d = Map::new();
    d.insert("id".into(), json!(meta.id));
    d.insert("name".into(), json!(pascal_case(&meta.title, &meta.id)));
    d.insert("shortDescription".into(), json!({"text": meta.title}));
    d.insert("fullDescription".into(), json!({"text": full}));
    d.insert(
        "help".into(),
        json!({"text": help_text, "markdown": help_md.trim_end()}),
    );
    if let Some(uri) = help_uri(meta, version) {
        d.insert("helpUri".into(), json!(uri));
    }
    d.insert(
        "defaultConfiguration".into(),
        json!({"level": level(meta.severity)}),
    );
    d.insert(
        "properties".into(),
        json!({
            "security-severity": security_severity(meta.severity),
            "tags": tags,
            "severity": meta.severity.as_str(),
        }),
    );
    Value::Object(d)
}

fn result(f: &Finding, rule_index: Option<usize>, fallback: Option<&str>) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.rule_id));
    if let Some(i) = rule_index {
        r.insert("ruleIndex".into(), json!(i));
    }
    if f.status == Status::Unknown {
        r.insert("kind".into(), json!("review"));
        r.insert("level".into(), json!("none"));
    } else {
        r.insert("kind".into(), json!("fail"));
        r.insert("level".into(), json!(level(f.severity)));
    }
    let text = if f.status == Status::Unknown {
        format!("{} (not known before apply)", f.message)
    } else {
        f.message.clone()
    };
    r.insert("message".into(), json!({"text": text}));
    r.insert("locations".into(), json!([location(f, fallback)]));
    let related = related_locations(f);
    if !related.is_empty() {
        r.insert("relatedLocations".into(), Value::Array(related));
    }
    if !f.fingerprint.is_empty() {
        let mut fp = Map::new();
        fp.insert(FINGERPRINT_KEY.into(), json!(f.fingerprint));
        // The same address in two root modules is two alerts.
        if let Some(root) = &f.root {
            fp.insert(ROOT_FINGERPRINT_KEY.into(), json!(root));
        }
        r.insert("partialFingerprints".into(), Value::Object(fp));
    }
    if let Some(s) = &f.suppression {
        let kind = if s.kind == "inline" {
            "inSource"
        } else {
            "external"
        };
        let mut sup = Map::new();
        sup.insert("kind".into(), json!(kind));
        sup.insert("status".into(), json!("accepted"));
        if let Some(reason) = &s.reason {
            sup.insert("justification".into(), json!(reason));
        }
        let mut props = Map::new();
        props.insert("mcpguardKind".into(), json!(s.kind));
        if let Some(e) = &s.expires {
            props.insert("expires".into(), json!(e));
        }
        if let Some(src) = &s.source {
            props.insert("source".into(), json!(src));
        }
        sup.insert("properties".into(), Value::Object(props));
        r.insert("suppressions".into(), json!([sup]));
    }
    let evidence: Vec<Value> = f
        .evidence
        .iter()
        .map(|e| json!({"path": e.path, "value": value_text(&e.value)}))
        .collect();
    let mut props = json!({
        "status": status_str(f.status),
        "severity": f.severity.as_str(),
        "resourceAddress": f.resource.address,
        "resourceType": f.resource.tf_type,
        "armType": f.resource.arm_type,
        "armId": f.resource.id,
        "evidence": evidence,
    });
    if let Some(root) = &f.root {
        props["root"] = json!(root);
    }
    r.insert("properties".into(), props);
    Value::Object(r)
}

/// The file an ARM finding without a source location is pinned to: the ARM
/// snapshot, when exactly one was scanned. GitHub rejects a whole SARIF file
/// if any result has only a logical location, so a snapshot scan must name a
/// file; with several snapshots (or a live sweep) the file is unknown and the
/// result keeps only its logical location rather than a wrong one.
fn fallback_file(report: &Report) -> Option<String> {
    let mut arm = report.inputs.iter().filter(|i| i.kind == "arm");
    match (arm.next(), arm.next()) {
        (Some(only), None)
            if !only.path.is_empty()
                && only.path != "-"
                && !only.path.starts_with("/subscriptions/") =>
        {
            Some(only.path.clone())
        }
        _ => None,
    }
}

fn location(f: &Finding, fallback: Option<&str>) -> Value {
    let logical = json!([{
        "name": f.resource.address,
        "fullyQualifiedName": f.resource.id,
        "kind": "resource",
    }]);
    let (file, line) = match &f.location {
        Some(loc) if !loc.file.is_empty() => (Some(loc.file.as_str()), loc.line),
        _ if f.resource.address == f.resource.id => (fallback, None),
        _ => (None, None),
    };
    let Some(file) = file else {
        return json!({"logicalLocations": logical});
    };
    let (uri, relative) = file_uri(file);
    let mut artifact = Map::new();
    artifact.insert("uri".into(), json!(uri));
    if relative {
        artifact.insert("uriBaseId".into(), json!("%SRCROOT%"));
    }
    let mut physical = Map::new();
    physical.insert("artifactLocation".into(), Value::Object(artifact));
    if let Some(line) = line.filter(|l| *l >= 1) {
        physical.insert("region".into(), json!({"startLine": line}));
    }
    json!({"physicalLocation": physical, "logicalLocations": logical})
}

/// The resource's block (when the location is an attribute inside it) and,
/// for a plan finding located in the `.tf` source, where the plan holds it.
fn related_locations(f: &Finding) -> Vec<Value> {
    let mut out = Vec::new();
    let physical = |file: &str, line: Option<u32>| {
        let (uri, relative) = file_uri(file);
        let mut artifact = Map::new();
        artifact.insert("uri".into(), json!(uri));
        if relative {
            artifact.insert("uriBaseId".into(), json!("%SRCROOT%"));
        }
        let mut p = Map::new();
        p.insert("artifactLocation".into(), Value::Object(artifact));
        if let Some(line) = line.filter(|l| *l >= 1) {
            p.insert("region".into(), json!({"startLine": line}));
        }
        Value::Object(p)
    };
    if let Some(loc) = &f.location {
        if let Some(block) = loc.block {
            out.push(json!({
                "id": out.len() + 1,
                "physicalLocation": physical(&loc.file, Some(block)),
                "message": {"text": format!("the `{}` block", f.resource.address)},
            }));
        }
    }
    if let Some(plan) = &f.plan {
        out.push(json!({
            "id": out.len() + 1,
            "physicalLocation": physical(&plan.file, plan.line),
            "message": {"text": "where the plan holds the resource"},
        }));
    }
    out
}

/// A file path as a URI reference: `/` separators, no `./`, percent-encoded.
/// Relative paths stay relative (GitHub resolves them against the checkout);
/// an absolute path becomes a `file://` URI. Returns (uri, is_relative).
pub fn file_uri(path: &str) -> (String, bool) {
    let mut p = path.replace('\\', "/");
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.to_string();
    }
    let drive = p.len() >= 2 && p.as_bytes()[1] == b':' && p.as_bytes()[0].is_ascii_alphabetic();
    if drive {
        return (format!("file:///{}", percent_encode(&p)), false);
    }
    if p.starts_with('/') {
        return (format!("file://{}", percent_encode(&p)), false);
    }
    (percent_encode(&p), true)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || (b == b':' && out.len() == 1) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The first paragraph of a markdown description, without a leading heading.
fn first_paragraph(description: &str) -> Option<&str> {
    description
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))
}

/// SARIF `name`: an identifier from the title (`ContainerGroupReachableFromTheInternet`).
fn pascal_case(title: &str, fallback: &str) -> String {
    let name: String = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect();
    if name.is_empty() {
        fallback.to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(
            file_uri("./modules/mcp/main.tf"),
            ("modules/mcp/main.tf".into(), true)
        );
        assert_eq!(
            file_uri("envs\\prod dir\\main.tf"),
            ("envs/prod%20dir/main.tf".into(), true)
        );
        assert_eq!(
            file_uri("/tmp/plan.json"),
            ("file:///tmp/plan.json".into(), false)
        );
        assert_eq!(
            file_uri("C:\\src\\a#b.tf"),
            ("file:///C:/src/a%23b.tf".into(), false)
        );
        assert_eq!(file_uri("ü.tf").0, "%C3%BC.tf");
    }

    #[test]
    fn severity_maps() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(security_severity(Severity::Critical), "9.5");
        assert_eq!(security_severity(Severity::High), "8.0");
        assert_eq!(security_severity(Severity::Medium), "5.5");
        assert_eq!(security_severity(Severity::Low), "3.0");
    }

    #[test]
    fn names_and_paragraphs() {
        assert_eq!(
            pascal_case("Container group reachable from the internet", "X"),
            "ContainerGroupReachableFromTheInternet"
        );
        assert_eq!(pascal_case("—", "MCP001"), "MCP001");
        assert_eq!(
            first_paragraph("## What it checks\n\nThe NSG.\n\nMore"),
            Some("The NSG.")
        );
    }
}

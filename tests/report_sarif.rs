//! SARIF output: every document these tests produce is validated against the
//! official SARIF 2.1.0 schema, read in place from `../shared/corpus/schemas`
//! (OASIS licence: not copied into this repository).

mod report_common;

use mcpguard::findings::{Report, ReportError, Severity, Status};
use mcpguard::report::{render, Format, RenderOptions};
use report_common::*;
use serde_json::Value;

/// Renders through the public entry point, checks the text is JSON, and
/// validates it against the schema when the corpus is present.
fn sarif_of(report: &Report) -> Value {
    let text = render(
        Format::Sarif,
        report,
        &sample_rules(),
        &RenderOptions::default(),
    );
    let doc: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    validate(&doc);
    doc
}

fn validate(doc: &Value) {
    if let Some(errors) = schema_errors(doc) {
        assert!(
            errors.is_empty(),
            "SARIF does not match the 2.1.0 schema:\n{}",
            errors.join("\n")
        );
    }
}

/// The schema violations of `doc`, or `None` when the schema is absent.
fn schema_errors(doc: &Value) -> Option<Vec<String>> {
    let path = corpus().join("schemas/sarif-schema-2.1.0.json");
    let Ok(schema_text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "skipping SARIF schema validation: {} not found",
            path.display()
        );
        return None;
    };
    let schema: Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    Some(
        validator
            .iter_errors(doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect(),
    )
}

#[test]
fn the_schema_check_rejects_broken_sarif() {
    let mut doc = sarif_of(&sample_report());
    doc["runs"][0]["results"][0]["level"] = "fatal".into();
    doc["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    if let Some(errors) = schema_errors(&doc) {
        assert!(errors.len() >= 2, "{errors:?}");
    }
}

fn results(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["results"].as_array().expect("results")
}

fn result_for<'a>(doc: &'a Value, rule: &str, address: &str) -> &'a Value {
    results(doc)
        .iter()
        .find(|r| r["ruleId"] == rule && r["properties"]["resourceAddress"] == address)
        .unwrap_or_else(|| panic!("no result for {rule} on {address}"))
}

#[test]
fn sample_report_is_valid_sarif_with_every_rule() {
    let doc = sarif_of(&sample_report());
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(doc["runs"].as_array().map(Vec::len), Some(1));
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(
        rules.len(),
        sample_rules().len(),
        "every enabled rule is described, once"
    );
    let mcp004 = rules.iter().find(|r| r["id"] == "MCP004").expect("MCP004");
    for key in [
        "name",
        "shortDescription",
        "fullDescription",
        "help",
        "helpUri",
        "properties",
    ] {
        assert!(mcp004.get(key).is_some(), "MCP004 descriptor lacks {key}");
    }
    assert_eq!(
        mcp004["helpUri"],
        format!(
            "https://github.com/mcpguard/mcpguard/blob/v{}/docs/rules/MCP004.md",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(mcp004["properties"]["security-severity"], "8.0");
    assert!(mcp004["help"]["markdown"]
        .as_str()
        .unwrap_or("")
        .contains("## Remediation"));
    assert!(mcp004["help"]["text"]
        .as_str()
        .unwrap_or("")
        .contains("Fix `MCP004`"));
    let custom = rules
        .iter()
        .find(|r| r["id"] == "tag-owner")
        .expect("custom rule");
    assert_eq!(custom["helpUri"], "https://example.test/policies/tag-owner");
    let critical = rules
        .iter()
        .find(|r| r["id"] == "no-public-ip")
        .expect("critical rule");
    assert_eq!(critical["properties"]["security-severity"], "9.5");
    assert!(
        critical.get("helpUri").is_none(),
        "a custom rule gets no docs link of ours"
    );

    // ruleIndex points at the descriptor of ruleId.
    for r in results(&doc) {
        let i = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    assert_eq!(results(&doc).len(), sample_report().findings.len());
}

#[test]
fn levels_locations_and_fingerprints() {
    let doc = sarif_of(&sample_report());
    let r = result_for(&doc, "MCP004", CG_GITHUB);
    assert_eq!(r["level"], "error");
    assert_eq!(r["kind"], "fail");
    let phys = &r["locations"][0]["physicalLocation"];
    assert_eq!(phys["artifactLocation"]["uri"], "modules/mcp/main.tf");
    assert_eq!(phys["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(phys["region"]["startLine"], 12);
    assert_eq!(
        r["partialFingerprints"]["mcpguard/v1"],
        format!("MCP004/{CG_GITHUB}")
    );
    // The message keeps its newline, %, : and , intact (JSON escapes them).
    assert!(r["message"]["text"]
        .as_str()
        .unwrap_or("")
        .contains(",\nrule `allow-https,443`"));

    // A file with no line: no region. A space in the path is percent-encoded.
    let unknown = result_for(&doc, "MCP003", CG_FETCH);
    assert_eq!(unknown["kind"], "review");
    assert_eq!(unknown["level"], "none");
    assert!(unknown["locations"][0]["physicalLocation"]
        .get("region")
        .is_none());
    let fed = result_for(&doc, "MCP006", FED_CRED);
    assert_eq!(
        fed["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "envs/prod%20dir/identity.tf"
    );

    // ARM input: pinned to the one snapshot scanned (GitHub rejects a file
    // with logical-only locations), and named by its id.
    let arm = result_for(&doc, "MCP002", ARM_CG);
    assert_eq!(
        arm["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "snapshots/sub1.json"
    );
    assert!(arm["locations"][0]["physicalLocation"]
        .get("region")
        .is_none());
    assert_eq!(
        arm["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        ARM_CG
    );
    // GitHub code scanning needs a physical location on every result.
    assert!(results(&doc)
        .iter()
        .all(|r| r["locations"][0].get("physicalLocation").is_some()));

    // Two snapshots: which one is unknown, so no file rather than a wrong one.
    let mut two = sample_report();
    two.inputs.push(mcpguard::findings::InputInfo::new(
        "snapshots/sub2.json",
        mcpguard::inventory::InputKind::Arm,
    ));
    let doc2 = sarif_of(&two);
    let arm2 = result_for(&doc2, "MCP002", ARM_CG);
    assert!(arm2["locations"][0].get("physicalLocation").is_none());
    assert_eq!(arm2["locations"][0]["logicalLocations"][0]["name"], ARM_CG);

    assert_eq!(result_for(&doc, "tag-owner", CG_LEGACY)["level"], "note");
    assert_eq!(result_for(&doc, "MCP009", CG_LEGACY)["level"], "warning");
}

#[test]
fn suppressions_carry_kind_and_justification() {
    let doc = sarif_of(&sample_report());
    let inline = result_for(&doc, "MCP009", CG_LEGACY);
    assert_eq!(inline["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        inline["suppressions"][0]["justification"],
        "registry migration, ticket OPS-112"
    );
    let base = result_for(&doc, "MCP010", ROLE);
    assert_eq!(base["suppressions"][0]["kind"], "external");
    assert_eq!(base["suppressions"][0]["justification"], "baseline");
    assert!(result_for(&doc, "MCP004", CG_GITHUB)
        .get("suppressions")
        .is_none());
}

#[test]
fn secrets_stay_redacted() {
    let text = render(
        Format::Sarif,
        &sample_report(),
        &sample_rules(),
        &RenderOptions::default(),
    );
    assert!(text.contains("<redacted>"));
}

#[test]
fn fingerprints_ignore_line_moves() {
    let a = sarif_of(&sample_report());
    let mut moved = sample_report();
    for f in &mut moved.findings {
        if let Some(l) = f.location.as_mut() {
            l.line = l.line.map(|n| n + 40);
        }
    }
    let b = sarif_of(&moved);
    let fps = |d: &Value| -> Vec<Value> {
        results(d)
            .iter()
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(fps(&a), fps(&b));
}

#[test]
fn empty_and_failed_runs_are_valid() {
    let mut empty = Report::new();
    empty.finish();
    let doc = sarif_of(&empty);
    assert_eq!(results(&doc).len(), 0);
    assert_eq!(
        doc["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );

    let mut broken = sample_report();
    broken.errors.push(ReportError {
        source: "plans/bad.json".into(),
        message: "plan is not valid JSON: line 3, column 7".into(),
    });
    let doc = sarif_of(&broken);
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert!(notes.iter().any(|n| n["level"] == "error"
        && n["message"]["text"]
            .as_str()
            .unwrap_or("")
            .starts_with("plans/bad.json: ")));
    assert!(notes.iter().any(|n| n["level"] == "warning"));
}

#[test]
fn a_finding_of_an_undescribed_rule_still_gets_a_descriptor() {
    let mut r = sample_report();
    r.findings[0].rule_id = "ext-rule".into();
    r.findings[0].status = Status::Fail;
    r.findings[0].severity = Severity::Low;
    let doc = sarif_of(&r);
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert!(rules.iter().any(|d| d["id"] == "ext-rule"));
}

/// A plan finding located in its source names the block and the plan as
/// related locations; the result's own location is the attribute's line.
#[test]
fn a_plan_finding_in_its_source_relates_the_block_and_the_plan() {
    let doc: Value = serde_json::from_str(&render(
        Format::Sarif,
        &sample_report(),
        &sample_rules(),
        &RenderOptions::default(),
    ))
    .unwrap();
    validate(&doc);
    let res = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "MCP004")
        .unwrap();
    let phys = &res["locations"][0]["physicalLocation"];
    assert_eq!(phys["artifactLocation"]["uri"], "modules/mcp/main.tf");
    assert_eq!(phys["region"]["startLine"], 12);
    let rel = res["relatedLocations"].as_array().unwrap();
    assert_eq!(rel[0]["physicalLocation"]["region"]["startLine"], 8);
    assert_eq!(
        rel[1]["physicalLocation"]["artifactLocation"]["uri"],
        "plans/prod.json"
    );
    assert_eq!(rel[1]["physicalLocation"]["region"]["startLine"], 355);
    assert_eq!(
        res["partialFingerprints"]["mcpguard/root/v1"],
        "envs/prod dir"
    );
}

//! Gateway rules on every input kind, and policy XML that does not parse:
//! MCP012 reports `unknown` for that gateway, a note names the policy resource
//! with line and column, and the rest of the scan is unaffected.

use std::path::PathBuf;

use mcpguard::config::Config;
use mcpguard::findings::Status;
use mcpguard::scan::{self, ScanOptions};
use serde_json::Value;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

#[test]
fn unparsable_policy_xml_is_unknown_with_a_located_note() {
    let text = std::fs::read_to_string(fixture("rules/MCP012/pass/arm.json")).expect("fixture");
    let mut doc: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let mut changed = 0;
    for r in doc["value"].as_array_mut().into_iter().flatten() {
        if r["type"] == "Microsoft.ApiManagement/service/policies" {
            r["properties"]["value"] =
                "<policies><inbound><validate-jwt></inbound></policies>".into();
            changed += 1;
        }
    }
    assert_eq!(changed, 1);
    let dir = std::env::temp_dir().join(format!("mcpguard-gateway-xml-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = dir.join("arm.json");
    std::fs::write(&input, doc.to_string()).expect("write input");

    let opts = ScanOptions {
        config: Config::default(),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("rules");
    let loaded = scan::load_inputs(std::slice::from_ref(&input), &opts);
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    let _ = std::fs::remove_dir_all(&dir);

    let mcp012: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == "MCP012")
        .collect();
    assert_eq!(mcp012.len(), 1, "{:#?}", report.findings);
    assert_eq!(mcp012[0].status, Status::Unknown);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("/policies/policy") && n.contains("line 1, column 34")),
        "{:#?}",
        report.notes
    );
    // The rest of the scan is unaffected: MCP011 still passes the gateway.
    assert!(!report.findings.iter().any(|f| f.rule_id == "MCP011"));
}

//! Issue 13 item 4: what-if output as the Bicep and ARM "plan".
//!
//! No real captured `az deployment … what-if --no-pretty-print` JSON was found
//! (`../shared/corpus/README.md`, `whatif/`): the fixtures in
//! `fixtures/whatif/` are built from Azure's documented schema
//! (`WhatIfOperationResult` / `WhatIfChange` of the Resources REST API
//! specification: `status`, `error`, `changes[]` with `resourceId`,
//! `changeType` Create/Delete/Ignore/Deploy/NoChange/Modify/Unsupported,
//! `unsupportedReason`, `before`, `after`, `delta[]`), with the hardened
//! scenario's ARM documents (`fixtures/seed/hardened/arm.json`) as the
//! `after` payloads. The one real file, the REST specification's own
//! example of `Deployments_WhatIf`, is read in place from the corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mcpguard::config::Config;
use mcpguard::findings::{Report, Status};
use mcpguard::inventory::Value;
use mcpguard::load::{self, whatif, Detected};
use mcpguard::scan::{self, ScanOptions};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");
const RG: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-mcp-prod";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/whatif")
        .join(name)
}

fn seed(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/seed")
        .join(case)
}

/// Scans inputs with a seed case's config; returns the report.
fn scan_with(inputs: &[PathBuf], case: &str) -> Report {
    let opts = ScanOptions {
        config: Config::load(&seed(case).join(".mcpguard.hcl")).expect("config"),
        today: Some(time::macros::date!(2026 - 11 - 23)),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("rules");
    let loaded = scan::load_inputs(inputs, &opts);
    scan::evaluate(&rules, loaded, &opts).0
}

type Verdicts = BTreeMap<(String, String), &'static str>;

fn verdicts(r: &Report) -> Verdicts {
    let mut v = Verdicts::new();
    for p in &r.passes {
        v.insert((p.rule_id.clone(), p.resource.address.clone()), "pass");
    }
    for f in &r.findings {
        let s = match f.status {
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Suppressed => "suppressed",
        };
        v.insert((f.rule_id.clone(), f.resource.address.clone()), s);
    }
    v
}

fn load_fixture(name: &str) -> load::arm::ArmOutput {
    let p = fixture(name);
    let text = std::fs::read_to_string(&p).unwrap();
    whatif::load(&p.display().to_string(), &text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn what_if_is_detected_by_its_shape_and_nothing_else_is() {
    let text = std::fs::read_to_string(fixture("hardened-sub.json")).unwrap();
    assert_eq!(
        load::detect(Path::new("x.json"), Some(&text)),
        Detected::WhatIf
    );
    let rest = std::fs::read_to_string(fixture("unevaluated.json")).unwrap();
    assert_eq!(
        load::detect(Path::new("x.json"), Some(&rest)),
        Detected::WhatIf
    );
    // A snapshot of the same resources, and Resource Graph's change history
    // (`resourcechanges`, whose properties have `changeType` and `changes`).
    let arm = std::fs::read_to_string(seed("hardened").join("arm.json")).unwrap();
    assert_eq!(load::detect(Path::new("x.json"), Some(&arm)), Detected::Arm);
    let graph =
        r#"{"data":[{"id":"/x","properties":{"changeType":"Update","changes":{"tags.a":{}}}}]}"#;
    assert_eq!(
        load::detect(Path::new("x.json"), Some(graph)),
        Detected::Arm
    );
}

#[test]
fn each_change_type_is_read_as_the_deployment_leaves_the_resource() {
    let out = load_fixture("hardened-sub.json");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let ids: Vec<&str> = out.resources.iter().map(|r| r.id()).collect();
    // Delete: gone after the deployment.
    assert!(
        !ids.iter().any(|i| i.ends_with("aci-mcp_legacy")),
        "{ids:?}"
    );
    // Create, Modify, Deploy, NoChange: the `after` documents, the resource
    // group of a subscription deployment included.
    for name in [
        "aci-mcp_github",
        "aci-mcp_filesystem",
        "id-mcp_filesystem",
        "vnet-mcp",
        "rg-mcp-prod",
    ] {
        assert!(
            ids.iter().any(|i| i.ends_with(name)),
            "{name} missing: {ids:?}"
        );
    }
    let nsg = out
        .resources
        .iter()
        .find(|r| r.id().ends_with("nsg-mcp_servers"))
        .unwrap();
    // Modify: the rule the deployment adds is there (the `after`, not the `before`).
    let rules = nsg.doc["properties"]["securityRules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .any(|r| r["properties"]["access"] == "Deny"
                && r["properties"]["direction"] == "Outbound")
    );
    // Ignore and Unsupported: known id, type and name; the rest unknown, with why.
    for (name, why) in [
        ("aci-mcp_unmanaged", "`Ignore`"),
        ("aci-mcp_search", "its name is computed"),
    ] {
        let r = out
            .resources
            .iter()
            .find(|r| r.id().ends_with(name))
            .unwrap();
        assert_eq!(r.arm_type(), "Microsoft.ContainerInstance/containerGroups");
        assert_eq!(r.name(), name);
        let props = r.doc["properties"]
            .as_unknown()
            .expect("properties unknown");
        assert!(!props.present, "whether it is set is not known either");
        assert!(props.cause().unwrap().contains(why), "{:?}", props.cause());
    }
    assert_eq!(out.notes.len(), 2, "{:?}", out.notes);
    assert!(out.notes[0].contains("1 resource(s) the deployment deletes"));
}

#[test]
fn the_hardened_deployment_passes_and_what_what_if_does_not_predict_is_unknown() {
    let r = scan_with(&[fixture("hardened-sub.json")], "hardened");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // No failure: the deleted `aci-mcp_legacy` (the before-incident file-system
    // server, which fails six rules) is not scanned.
    assert!(
        !r.findings.iter().any(|f| f.status == Status::Fail),
        "{:#?}",
        r.findings
    );
    let unknown: std::collections::BTreeSet<&str> = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Unknown)
        .map(|f| f.resource.address.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        unknown,
        ["aci-mcp_search", "aci-mcp_unmanaged"]
            .into_iter()
            .collect()
    );
    // The MCP servers of the deployment were judged (and passed).
    let passed = verdicts(&r);
    let group =
        format!("{RG}/providers/Microsoft.ContainerInstance/containerGroups/aci-mcp_github");
    for rule in ["MCP001", "MCP002", "MCP004", "MCP005"] {
        assert_eq!(
            passed.get(&(rule.to_string(), group.clone())),
            Some(&"pass"),
            "{rule}"
        );
    }
}

#[test]
fn findings_point_at_the_change_in_the_what_if_file() {
    let r = scan_with(&[fixture("unevaluated.json")], "hardened");
    let text = std::fs::read_to_string(fixture("unevaluated.json")).unwrap();
    let f = r
        .findings
        .iter()
        .find(|f| f.rule_id == "MCP002")
        .expect("MCP002 on the group");
    let loc = f.location.as_ref().expect("a location");
    assert!(
        loc.file.ends_with("fixtures/whatif/unevaluated.json"),
        "{}",
        loc.file
    );
    // The line of the group's `after` object.
    let line = loc.line.unwrap() as usize;
    let at: Vec<&str> = text.lines().collect();
    assert!(
        at[line - 1].trim_start().starts_with("\"after\""),
        "line {line}: {}",
        at[line - 1]
    );
    assert!(at[line..line + 4]
        .iter()
        .any(|l| l.contains("containerGroups/aci-mcp_github")));
}

#[test]
fn an_expression_what_if_left_unevaluated_is_unknown_not_a_fact() {
    // `properties.subnetIds[0].id` is `[reference(…).outputs.mcpSubnetId.value]`:
    // what-if cannot know a nested deployment's output before it runs.
    let r = scan_with(&[fixture("unevaluated.json")], "hardened");
    let v = verdicts(&r);
    let group =
        format!("{RG}/providers/Microsoft.ContainerInstance/containerGroups/aci-mcp_github");
    for rule in ["MCP002", "MCP004", "MCP005"] {
        assert_eq!(
            v.get(&(rule.to_string(), group.clone())),
            Some(&"unknown"),
            "{rule}: {v:#?}"
        );
    }
    assert_eq!(v.get(&("MCP001".to_string(), group)), Some(&"pass"));
}

/// Every seed scenario's ARM documents, wrapped as a what-if that creates
/// them, give the verdicts the documents give as a snapshot.
#[test]
fn a_what_if_creating_a_scenario_gives_the_snapshot_verdicts() {
    let dir = std::env::temp_dir().join(format!("mcpguard-whatif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut compared = 0;
    for case in [
        "hardened",
        "before-incident",
        "hardened-container-apps",
        "before-incident-container-apps",
        "hardened-functions",
        "before-incident-functions",
    ] {
        let arm = seed(case).join("arm.json");
        let docs: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&arm).unwrap()).unwrap();
        let changes: Vec<serde_json::Value> = docs["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| serde_json::json!({"resourceId": d["id"], "changeType": "Create", "before": null, "after": d, "delta": []}))
            .collect();
        let wi = dir.join(format!("{case}.json"));
        std::fs::write(
            &wi,
            serde_json::json!({"status": "Succeeded", "changes": changes}).to_string(),
        )
        .unwrap();
        let want = verdicts(&scan_with(&[arm], case));
        let got = verdicts(&scan_with(&[wi], case));
        assert!(!want.is_empty());
        assert_eq!(got, want, "{case}");
        compared += 1;
    }
    assert_eq!(compared, 6);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_what_if_results_are_errors_with_their_place() {
    let r = scan_with(&[fixture("failed.json")], "hardened");
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert!(r.errors[0].message.contains("did not succeed"));
    assert!(
        r.errors[0]
            .message
            .contains("is not defined in the template"),
        "inner errors shown"
    );

    let bad = r#"{"status": "Succeeded", "changes": [
  {"resourceId": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkSecurityGroups/n", "changeType": "Replace"}
]}"#;
    let e = whatif::load("w.json", bad).unwrap();
    assert_eq!(e.errors.len(), 1);
    assert!(
        e.errors[0]
            .message
            .contains("unknown what-if changeType `replace`"),
        "{}",
        e.errors[0].message
    );
    assert!(e.errors[0].span.is_some(), "located");

    let e = whatif::load("w.json", "{\"changes\": [").unwrap_err();
    assert!(e.message.contains("truncated"), "{}", e.message);
}

#[test]
fn a_resource_id_only_what_if_is_unknown_and_says_how_to_get_payloads() {
    let ids_only = format!(
        r#"{{"status": "Succeeded", "changes": [{{"resourceId": "{RG}/providers/Microsoft.ContainerInstance/containerGroups/aci", "changeType": "Create"}}]}}"#
    );
    let out = whatif::load("w.json", &ids_only).unwrap();
    let r = &out.resources[0];
    let why = r.doc["properties"]
        .as_unknown()
        .unwrap()
        .cause()
        .unwrap()
        .to_string();
    assert!(why.contains("FullResourcePayloads"), "{why}");
}

#[test]
fn the_rest_specification_example_is_read() {
    let p = Path::new(CORPUS)
        .join("whatif/restspec__2021-04-01__PostDeploymentWhatIfOnResourceGroup.json");
    let Ok(text) = std::fs::read_to_string(&p) else {
        eprintln!("skipped: {} is absent", p.display());
        return;
    };
    assert_eq!(load::detect(&p, Some(&text)), Detected::WhatIf);
    let out = whatif::load("example.json", &text).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let names: Vec<&str> = out.resources.iter().map(|r| r.name()).collect();
    assert_eq!(names, ["myExistingIdentity", "myNewIdentity"]);
    // The Modify is read after the change: the tag it adds is there.
    assert_eq!(
        out.resources[0].tag("myNewTag"),
        Some(&Value::from("my tag value"))
    );
}

#[test]
fn potential_changes_are_unknown_and_diagnostics_are_noted() {
    // `potentialChanges` and `diagnostics` (WhatIfOperationResult of newer
    // API versions): a potential change may or may not happen, so its
    // resource is unknown; a diagnostic says what the prediction may lack.
    let group = format!("{RG}/providers/Microsoft.ContainerInstance/containerGroups/aci-maybe");
    let text = serde_json::json!({
        "status": "Succeeded",
        "changes": [],
        "potentialChanges": [{"resourceId": group, "changeType": "Create",
            "after": {"id": group, "name": "aci-maybe", "type": "Microsoft.ContainerInstance/containerGroups",
                      "properties": {"osType": "Linux"}}}],
        "diagnostics": [{"level": "Warning", "code": "NestedDeploymentShortCircuited",
            "message": "A nested deployment was not expanded.", "target": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Resources/deployments/inner"}]
    })
    .to_string();
    assert_eq!(
        load::detect(Path::new("w.json"), Some(&text)),
        Detected::WhatIf
    );
    let out = whatif::load("w.json", &text).unwrap();
    assert_eq!(out.resources.len(), 1);
    let why = out.resources[0].doc["properties"]
        .as_unknown()
        .unwrap()
        .cause()
        .unwrap()
        .to_string();
    assert!(why.contains("only as a potential change"), "{why}");
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("NestedDeploymentShortCircuited")),
        "{:?}",
        out.notes
    );
}

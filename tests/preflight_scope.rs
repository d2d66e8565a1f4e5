//! Preflight corners on hand-built inventories: resource-group scope and
//! notScopes, DoNotEnforce, assignment parameters, and definitions that cannot
//! be used.

use std::collections::BTreeSet;

use mcpguard::engine;
use mcpguard::findings::{Severity, Status};
use mcpguard::inventory::{facts::Detection, InputKind, Inventory, Resource};
use mcpguard::policy::Effect;
use mcpguard::preflight;
use serde_json::{json, Value};

const SUB: &str = "/subscriptions/11111111-2222-3333-4444-555555555555";

fn res(addr: &str, doc: Value) -> Resource {
    Resource::new(addr, InputKind::Arm, doc)
}

fn group(name: &str, rg: &str, location: &str) -> Resource {
    res(
        name,
        json!({"id": format!("{SUB}/resourceGroups/{rg}/providers/Microsoft.ContainerInstance/containerGroups/{name}"),
               "type": "Microsoft.ContainerInstance/containerGroups", "name": name, "location": location,
               "properties": {}}),
    )
}

fn allowed_locations(rule: Value) -> Resource {
    res(
        "allowed-locations",
        json!({"id": format!("{SUB}/providers/Microsoft.Authorization/policyDefinitions/allowed-locations"),
               "type": "Microsoft.Authorization/policyDefinitions", "name": "allowed-locations",
               "properties": {"mode": "All", "displayName": "Allowed locations",
                 "parameters": {"locations": {"type": "Array", "defaultValue": ["westeurope"]},
                                "effect": {"type": "String", "defaultValue": "Deny"}},
                 "policyRule": rule}}),
    )
}

fn location_rule() -> Value {
    json!({"if": {"allOf": [
        {"field": "type", "equals": "Microsoft.ContainerInstance/containerGroups"},
        {"field": "location", "notIn": "[parameters('locations')]"}]},
        "then": {"effect": "[parameters('effect')]"}})
}

fn assignment(name: &str, scope: &str, props: Value) -> Resource {
    let mut p = json!({"scope": scope,
        "policyDefinitionId": format!("{SUB}/providers/Microsoft.Authorization/policyDefinitions/allowed-locations")});
    if let (Some(m), Value::Object(extra)) = (p.as_object_mut(), props) {
        m.extend(extra);
    }
    res(
        name,
        json!({"id": format!("{scope}/providers/Microsoft.Authorization/policyAssignments/{name}"),
               "type": "Microsoft.Authorization/policyAssignments", "name": name, "properties": p}),
    )
}

/// (rule, address, status) of each finding.
type Findings = BTreeSet<(String, String, Status)>;

fn run(rs: Vec<Resource>) -> (Findings, Vec<String>, Vec<Effect>) {
    let inv = Inventory::from_resources(rs, &Detection::default());
    let (rules, warnings) = preflight::preflight_rules(&inv);
    let effects = rules.iter().map(|r| r.effect.clone()).collect();
    let out = engine::run(&inv, &rules);
    let got = out
        .findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.resource.address.clone(), f.status))
        .collect();
    (
        got,
        warnings.into_iter().map(|w| w.message).collect(),
        effects,
    )
}

#[test]
fn resource_group_scope_not_scopes_and_parameters() {
    let rg = format!("{SUB}/resourceGroups/rg-mcp");
    let (got, warnings, _) = run(vec![
        allowed_locations(location_rule()),
        assignment(
            "eu-only",
            &rg,
            json!({"notScopes": [format!("{rg}/providers/Microsoft.ContainerInstance/containerGroups/legacy")],
                   "parameters": {"locations": {"value": ["westeurope", "northeurope"]}}}),
        ),
        group("in_eu", "rg-mcp", "northeurope"),
        group("in_us", "rg-mcp", "eastus"),
        group("legacy", "rg-mcp", "eastus"),
        group("other_rg", "rg-mcp-2", "eastus"),
    ]);
    assert!(warnings.is_empty(), "{warnings:?}");
    let want = BTreeSet::from([(
        "POLICY:allowed-locations".to_string(),
        "in_us".to_string(),
        Status::Fail,
    )]);
    assert_eq!(got, want);
}

#[test]
fn do_not_enforce_reports_without_blocking() {
    let inv = Inventory::from_resources(
        vec![
            allowed_locations(location_rule()),
            assignment("eu-only", SUB, json!({"enforcementMode": "DoNotEnforce"})),
            group("in_us", "rg", "eastus"),
        ],
        &Detection::default(),
    );
    let (rules, _) = preflight::preflight_rules(&inv);
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].effect, Effect::Audit);
    assert_eq!(rules[0].rule.meta.severity, Severity::Low);
    let out = engine::run(&inv, &rules);
    assert_eq!(out.findings.len(), 1);
    assert!(out.findings[0].severity < Severity::Medium);
}

#[test]
fn unusable_definitions_are_warnings_naming_the_resource() {
    let mut bad = allowed_locations(Value::Null);
    bad.doc["properties"]["policyRule"] = mcpguard::val!("{\"if\": ");
    let (got, warnings, _) = run(vec![
        bad,
        assignment("eu-only", SUB, json!({})),
        group("in_us", "rg", "eastus"),
    ]);
    assert!(got.is_empty(), "{got:?}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("allowed-locations") && warnings[0].contains("not valid JSON"),
        "{warnings:?}"
    );

    // A built-in definition id that is not in the scan.
    let mut a = assignment("builtin", SUB, json!({}));
    a.doc["properties"]["policyDefinitionId"] = mcpguard::val!(
        "/providers/Microsoft.Authorization/policyDefinitions/e56962a6-4747-49cd-b67b-bf8b01975c4c"
    );
    let (_, warnings, _) = run(vec![a]);
    assert!(
        warnings.iter().any(|w| w.contains("not in the scan")),
        "{warnings:?}"
    );
}

#[test]
fn two_assignments_of_one_definition_keep_distinct_rule_ids() {
    let inv = Inventory::from_resources(
        vec![
            allowed_locations(location_rule()),
            assignment("a1", SUB, json!({})),
            assignment("a2", &format!("{SUB}/resourceGroups/rg"), json!({})),
        ],
        &Detection::default(),
    );
    let (rules, _) = preflight::preflight_rules(&inv);
    let ids: BTreeSet<&str> = rules.iter().map(|r| r.id()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
}

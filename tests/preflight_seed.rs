//! Preflight of the seed's two Azure policies (fixtures/preflight/seed, made by
//! fixtures/generate.py): assigned at subscription scope, they must block
//! exactly the container groups ARM would block.

use std::collections::BTreeSet;
use std::path::PathBuf;

use mcpguard::engine;
use mcpguard::findings::{Severity, Status};
use mcpguard::preflight;
use mcpguard::scan::{self, ScanOptions};

const IDENTITY: &str = "POLICY:require-mcp-managed-identity";
const SUBNET: &str = "POLICY:mcp-approved-subnet-only";

fn fixture(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/preflight/seed")
        .join(file)
}

/// (rule, resource name, status) of every preflight finding for one input.
fn preflight(file: &str) -> BTreeSet<(String, String, Status)> {
    let loaded = scan::load_inputs(&[fixture(file)], &ScanOptions::default());
    assert!(loaded.errors.is_empty(), "{file}: {:?}", loaded.errors);
    let inv = loaded
        .inventories()
        .next()
        .expect("one input, one inventory");
    let (rules, warnings) = preflight::preflight_rules(inv);
    assert!(warnings.is_empty(), "{file}: {warnings:?}");
    let ids: BTreeSet<&str> = rules.iter().map(|r| r.id()).collect();
    assert_eq!(ids, BTreeSet::from([IDENTITY, SUBNET]), "{file}");
    for r in &rules {
        assert_eq!(r.rule.meta.severity, Severity::High, "deny is high");
    }
    let out = engine::run(inv, &rules);
    out.findings
        .iter()
        .map(|f| {
            // Terraform input: the block name; ARM input: the resource name.
            let name = match f.resource.address.strip_prefix("azurerm_container_group.") {
                Some(n) => n.to_string(),
                None => f.resource.id.rsplit('/').next().unwrap_or("").to_string(),
            };
            (f.rule_id.clone(), name, f.status)
        })
        .collect()
}

#[test]
fn deployed_resources_are_blocked_exactly_as_arm_would() {
    let got = preflight("arm.json");
    let want: BTreeSet<(String, String, Status)> =
        [(IDENTITY, "aci-mcp_noid"), (SUBNET, "aci-mcp_dev")]
            .into_iter()
            .map(|(r, n)| (r.to_string(), n.to_string(), Status::Fail))
            .collect();
    let fails: BTreeSet<_> = got
        .iter()
        .filter(|f| f.2 == Status::Fail)
        .cloned()
        .collect();
    assert_eq!(fails, want, "all findings: {got:#?}");
    // The untagged MCP group escapes Azure Policy (mcpguard's own rules catch it).
    assert!(!got.iter().any(|f| f.1.contains("untagged")), "{got:#?}");
}

#[test]
fn a_plan_is_preflighted_where_values_are_known() {
    let got = preflight("plan.json");
    // identity.type is known at plan time: the same verdict as ARM.
    let identity: BTreeSet<_> = got.iter().filter(|f| f.0 == IDENTITY).cloned().collect();
    assert_eq!(
        identity,
        BTreeSet::from([(IDENTITY.to_string(), "mcp_noid".to_string(), Status::Fail)]),
        "{got:#?}"
    );
    // Subnet ids are known only after apply: never a pass for the group in
    // the developer subnet, never a failure for the compliant one.
    assert!(
        got.iter().any(|f| f.0 == SUBNET && f.1 == "mcp_dev"),
        "{got:#?}"
    );
    assert!(
        !got.iter()
            .any(|f| f.0 == SUBNET && f.1 == "mcp_github" && f.2 == Status::Fail),
        "{got:#?}"
    );
}

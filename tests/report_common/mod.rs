//! A realistic report, built by hand, shared by the `report_*` tests: every
//! status, evidence, source and logical locations, suppressions of each kind,
//! and messages full of the characters formats must escape.
#![allow(dead_code)] // each test binary uses a different part

use mcpguard::findings::{
    Evidence, Finding, InputInfo, Location, Pass, Report, ResourceRef, RuleDir, RulePack, Severity,
    SkippedRule, Status, Suppression, Warning,
};
use mcpguard::inventory::InputKind;
use mcpguard::policy::RuleMeta;
use serde_json::json;

pub const CG_GITHUB: &str = "module.mcp[\"github\"].azurerm_container_group.this";
pub const CG_FETCH: &str = "module.mcp[\"fetch\"].azurerm_container_group.this";
pub const CG_LEGACY: &str = "azurerm_container_group.legacy";
pub const FED_CRED: &str = "azurerm_federated_identity_credential.gha";
pub const ROLE: &str = "azurerm_role_assignment.mcp_contrib";
pub const ARM_CG: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-mcp/providers/Microsoft.ContainerInstance/containerGroups/aci-mcp-notes";

pub fn corpus() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus"))
}

fn cg(address: &str) -> ResourceRef {
    let name = address.rsplit('.').next().unwrap_or(address);
    ResourceRef {
        address: address.to_string(),
        tf_type: "azurerm_container_group".into(),
        arm_type: "Microsoft.ContainerInstance/containerGroups".into(),
        id: format!("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-mcp/providers/Microsoft.ContainerInstance/containerGroups/{name}"),
    }
}

fn at(file: &str, line: Option<u32>) -> Option<Location> {
    Some(Location {
        file: file.into(),
        line,
        block: None,
    })
}

fn finding(rule: &str, sev: Severity, status: Status, resource: ResourceRef, msg: &str) -> Finding {
    Finding {
        rule_id: rule.into(),
        severity: sev,
        status,
        message: msg.into(),
        fingerprint: format!("{rule}/{}", resource.address),
        resource,
        location: None,
        evidence: vec![],
        suppression: None,
        root: None,
        plan: None,
    }
}

/// Ten rules, fail/unknown/suppressed findings, passes, warnings and notes.
pub fn sample_report() -> Report {
    let mut r = Report::new();
    r.inputs = vec![
        InputInfo::new("plans/prod.json", InputKind::Plan),
        InputInfo::new("envs/prod dir", InputKind::Terraform),
        InputInfo::new("snapshots/sub1.json", InputKind::Arm),
    ];
    r.summary.resources = 14;
    r.summary.rules = sample_rules().len();
    r.findings = vec![
        Finding {
            // A plan finding located in its source: the attribute's line, the
            // block's, and where the plan holds it.
            location: Some(Location { file: "modules/mcp/main.tf".into(), line: Some(12), block: Some(8) }),
            plan: at("plans/prod.json", Some(355)),
            root: Some("envs/prod dir".into()),
            evidence: vec![
                Evidence { path: "properties.subnetIds[0].id".into(), value: json!("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-mcp/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-mcp") },
                Evidence { path: "facts.nsgEgress.internet".into(), value: json!({"verdict": "allow", "rule": "allow-https,443", "priority": 100}) },
            ],
            ..finding(
                "MCP004", Severity::High, Status::Fail, cg(CG_GITHUB),
                "subnet `snet-mcp`: NSG `nsg-mcp` lets traffic out to the Internet,\nrule `allow-https,443` (priority 100) allows 100% of TCP/443 before `deny-all`",
            )
        },
        Finding {
            location: at("modules/mcp/main.tf", Some(30)),
            evidence: vec![Evidence { path: "properties.containers[0].properties.environmentVariables[?name=='GITHUB_TOKEN'].value".into(), value: json!("<redacted>") }],
            ..finding(
                "MCP008", Severity::High, Status::Fail, cg(CG_GITHUB),
                "env `GITHUB_TOKEN` is a plain environment variable: <value redacted> & \"never\" printed",
            )
        },
        Finding {
            location: at("plans/prod.json", None),
            evidence: vec![Evidence { path: "tags".into(), value: json!("(known after apply)") }],
            ..finding("MCP003", Severity::Medium, Status::Unknown, cg(CG_FETCH), "tags of `aci-mcp-fetch` are not known before apply")
        },
        Finding {
            location: at("legacy.tf", Some(4)),
            suppression: Some(Suppression {
                kind: "inline".into(),
                reason: Some("registry migration, ticket OPS-112".into()),
                expires: Some("2027-01-31".into()),
                source: Some("legacy.tf:3".into()),
            }),
            evidence: vec![Evidence { path: "properties.imageRegistryCredentials[0].username".into(), value: json!("acrpush") }],
            ..finding("MCP009", Severity::Medium, Status::Suppressed, cg(CG_LEGACY), "registry `acrmcp.azurecr.io` is read with a username and password")
        },
        Finding {
            location: at("envs/prod dir/identity.tf", Some(7)),
            evidence: vec![Evidence { path: "properties.subject".into(), value: json!("repo:contoso/mcp:*") }],
            ..finding(
                "MCP006", Severity::High, Status::Fail,
                ResourceRef {
                    address: FED_CRED.into(),
                    tf_type: "azurerm_federated_identity_credential".into(),
                    arm_type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials".into(),
                    id: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-mcp/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-mcp/federatedIdentityCredentials/gha".into(),
                },
                "subject `repo:contoso/mcp:*` is not one branch: it contains `*`",
            )
        },
        Finding {
            location: at("main.tf", Some(88)),
            suppression: Some(Suppression { kind: "baseline".into(), reason: Some("baseline".into()), expires: None, source: Some("mcpguard-baseline.json".into()) }),
            ..finding(
                "MCP010", Severity::Medium, Status::Suppressed,
                ResourceRef {
                    address: ROLE.into(),
                    tf_type: "azurerm_role_assignment".into(),
                    arm_type: "Microsoft.Authorization/roleAssignments".into(),
                    id: "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleAssignments/ra1".into(),
                },
                "identity `id-mcp` holds `Contributor` on the subscription",
            )
        },
        Finding {
            evidence: vec![Evidence { path: "properties.ipAddress.type".into(), value: json!("Public") }],
            ..finding(
                "MCP002", Severity::High, Status::Fail,
                ResourceRef { address: ARM_CG.into(), tf_type: "Microsoft.ContainerInstance/containerGroups".into(), arm_type: "Microsoft.ContainerInstance/containerGroups".into(), id: ARM_CG.into() },
                "container group has a `Public` IP address and no subnet",
            )
        },
        Finding {
            location: at("main.tf", Some(5)),
            ..finding("tag-owner", Severity::Low, Status::Fail, cg(CG_LEGACY), "tag `owner` is missing; see <https://example.test/tags?a=1&b=2>")
        },
        Finding {
            location: at("main.tf", Some(5)),
            ..finding("no-public-ip", Severity::Critical, Status::Fail, cg(CG_LEGACY), "container group `legacy` has a public IP: 100%% exposed")
        },
    ];
    r.passes = vec![
        Pass {
            rule_id: "MCP001".into(),
            resource: cg(CG_GITHUB),
            location: at("modules/mcp/main.tf", Some(12)),
        },
        Pass {
            rule_id: "MCP001".into(),
            resource: cg(CG_FETCH),
            location: at("modules/mcp/main.tf", Some(12)),
        },
        Pass {
            rule_id: "MCP004".into(),
            resource: cg(CG_FETCH),
            location: at("modules/mcp/main.tf", Some(12)),
        },
        Pass {
            rule_id: "MCP002".into(),
            resource: cg(CG_GITHUB),
            location: None,
        },
    ];
    // The 14 resources by type; every rule that ran, so one that passed
    // nothing still counts 0.
    r.resource_types = [
        ("Microsoft.ContainerInstance/containerGroups", 4),
        ("Microsoft.ManagedIdentity/userAssignedIdentities", 3),
        (
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
            1,
        ),
        ("Microsoft.Authorization/roleAssignments", 1),
        ("Microsoft.Network/networkSecurityGroups", 2),
        ("Microsoft.Network/virtualNetworks", 1),
        ("Microsoft.Network/virtualNetworks/subnets", 2),
    ]
    .into_iter()
    .map(|(t, n)| (t.to_string(), n))
    .collect();
    r.passed = sample_rules().iter().map(|m| (m.id.clone(), 0)).collect();
    r.rule_pack = Some(RulePack {
        builtin: Some("0.1.0".into()),
        rules: sample_rules().len(),
        dirs: vec![RuleDir {
            path: "policies/custom".into(),
            files: 2,
            sha256: "3c8f0a6b1e0d4a5f9e2b7c1d8a6f4e3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f".into(),
        }],
    });
    r.inputs[0].sha256 =
        Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into());
    r.finish();
    r.warnings.push(Warning {
        source: ".mcpguard.hcl:9".into(),
        message: "ignore \"MCP007\" matched no finding".into(),
    });
    r.notes.push("MCP002: parameter `approved_subnet_ids` is unset; only private IP and a subnet are checked".into());
    r.rules_skipped.push(SkippedRule {
        rule: "deploy-diagnostics".into(),
        file: "rules/diag.json".into(),
        reason: "effect `deployIfNotExists` is not evaluated".into(),
    });
    r
}

fn rule(id: &str, severity: Severity, title: &str) -> RuleMeta {
    RuleMeta {
        id: id.into(),
        severity,
        title: title.into(),
        description: format!(
            "## What it checks\n\n{title}.\n\n## Why it matters\n\nAn MCP server with a way out is how 847 files left a CI runner.\n\n## Remediation\n\nSee below."
        ),
        remediation: format!("Fix `{id}` in Terraform: set the attribute & re-plan <safely>."),
        message: None,
        references: vec!["https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview".into()],
        applies_to: vec![InputKind::Plan, InputKind::Terraform, InputKind::Arm],
        help_uri: None,
        tags: vec!["mcp".into()],
    }
}

pub fn sample_rules() -> Vec<RuleMeta> {
    vec![
        rule(
            "MCP001",
            Severity::High,
            "MCP container group without a user-assigned identity",
        ),
        rule(
            "MCP002",
            Severity::High,
            "MCP container group outside an approved subnet",
        ),
        rule(
            "MCP003",
            Severity::Medium,
            "MCP server not tagged MCPServer",
        ),
        rule(
            "MCP004",
            Severity::High,
            "MCP subnet open to Internet egress",
        ),
        rule(
            "MCP006",
            Severity::High,
            "GitHub federated credential not bound to one branch",
        ),
        rule(
            "MCP008",
            Severity::High,
            "Secret in a plain container environment variable",
        ),
        rule(
            "MCP009",
            Severity::Medium,
            "Registry read with username and password",
        ),
        rule(
            "MCP010",
            Severity::Medium,
            "MCP identity holds a broad role",
        ),
        RuleMeta {
            help_uri: Some("https://example.test/policies/tag-owner".into()),
            ..rule("tag-owner", Severity::Low, "Resource without an owner tag")
        },
        rule(
            "no-public-ip",
            Severity::Critical,
            "Container group with a public IP",
        ),
    ]
}

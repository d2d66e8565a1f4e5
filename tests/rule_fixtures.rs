//! Every rule has a failing and a passing fixture, as a plan and as the `.tf`
//! source of that plan; the fail case fails that rule, the pass case passes
//! every rule. Also: the seed architecture, hardened (zero failures) and as it
//! stood before the incident (every rule fails).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mcpguard::config::Config;
use mcpguard::findings::{Report, Status};
use mcpguard::scan::{self, ScanOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Scans one input with the fixture directory's `.mcpguard.hcl`.
pub fn scan_fixture(dir: &Path, input: &Path) -> Report {
    let config = Config::load(&dir.join(".mcpguard.hcl")).expect("fixture config");
    let opts = ScanOptions {
        config,
        today: Some(time::macros::date!(2026 - 11 - 23)),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("built-in rules load");
    let loaded = scan::load_inputs(&[input.to_path_buf()], &opts);
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    assert!(
        report.errors.is_empty(),
        "{}: input errors {:?}",
        input.display(),
        report.errors
    );
    report
}

fn failing(report: &Report) -> BTreeSet<(String, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| (f.rule_id.clone(), f.resource.address.clone()))
        .collect()
}

/// The inputs a rule's fixtures come in, by its `appliesTo`, and the status
/// its fail fixture must give: a `coverage` rule (MCP015: a module that could
/// not be read) reports what mcpguard could not see, so it is `unknown`, and
/// only Terraform source has such gaps.
fn rule_kind(id: &str) -> (Vec<&'static str>, Status) {
    let text = std::fs::read_to_string(root().join("rules").join(format!("{id}.json"))).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let has = |key: &str, want: &str| {
        v[key]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == want))
    };
    let inputs = if has("appliesTo", "plan") {
        vec!["plan.json", "main.tf"]
    } else {
        vec!["main.tf"]
    };
    let status = if has("tags", "coverage") {
        Status::Unknown
    } else {
        Status::Fail
    };
    (inputs, status)
}

/// The rules on Terraform and ARM input. The pipeline rules (`appliesTo:
/// ["workflow"]`) have repository fixtures in `fixtures/workflows/` and
/// their own test, `tests/workflow_rules.rs`.
fn rule_ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(root().join("rules"))
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            if p.extension()? != "json" {
                return None;
            }
            let text = std::fs::read_to_string(&p).ok()?;
            let v: serde_json::Value = serde_json::from_str(&text).ok()?;
            if v["appliesTo"] == serde_json::json!(["workflow"]) {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().to_string())
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn every_rule_has_pass_and_fail_fixtures_in_plan_and_source() {
    for id in rule_ids() {
        let (inputs, _) = rule_kind(&id);
        for case in ["pass", "fail"] {
            let dir = root().join("fixtures/rules").join(&id).join(case);
            for f in inputs.iter().copied().chain([".mcpguard.hcl"]) {
                assert!(
                    dir.join(f).is_file(),
                    "{id}: missing fixtures/rules/{id}/{case}/{f}"
                );
            }
        }
    }
}

#[test]
fn fail_fixtures_fail_their_rule_and_pass_fixtures_pass_everything() {
    for id in rule_ids() {
        let (inputs, want) = rule_kind(&id);
        for input in inputs {
            let fail_dir = root().join("fixtures/rules").join(&id).join("fail");
            let r = scan_fixture(&fail_dir, &fail_dir.join(input));
            assert!(
                r.findings
                    .iter()
                    .any(|f| f.rule_id == id && f.status == want),
                "{id} fail/{input}: rule did not fail; findings: {:#?}",
                r.findings
            );
            let pass_dir = root().join("fixtures/rules").join(&id).join("pass");
            let r = scan_fixture(&pass_dir, &pass_dir.join(input));
            let bad: Vec<_> = r
                .findings
                .iter()
                .filter(|f| f.status != Status::Suppressed)
                .collect();
            assert!(
                bad.is_empty(),
                "{id} pass/{input}: expected no findings, got {bad:#?}"
            );
        }
    }
}

#[test]
fn hardened_seed_architecture_has_zero_failures() {
    let dir = root().join("fixtures/seed/hardened");
    for input in ["plan.json", "main.tf"] {
        let r = scan_fixture(&dir, &dir.join(input));
        assert!(
            r.summary.resources >= 10,
            "{input}: {} resources",
            r.summary.resources
        );
        assert_eq!(r.summary.fail, 0, "{input}: {:#?}", r.findings);
        assert_eq!(r.summary.unknown, 0, "{input}: {:#?}", r.findings);
    }
}

#[test]
fn before_incident_fails_every_rule_where_expected() {
    let dir = root().join("fixtures/seed/before-incident");
    let want: BTreeSet<(String, String)> = [
        ("MCP001", "azurerm_container_group.mcp_filesystem"),
        ("MCP002", "azurerm_container_group.mcp_filesystem"),
        ("MCP002", "azurerm_container_group.mcp_github"),
        ("MCP002", "azurerm_container_group.mcp_secrets"),
        ("MCP003", "azurerm_container_group.mcp_filesystem"),
        ("MCP004", "azurerm_container_group.mcp_filesystem"),
        ("MCP004", "azurerm_container_group.mcp_github"),
        ("MCP005", "azurerm_container_group.mcp_filesystem"),
        ("MCP005", "azurerm_container_group.mcp_github"),
        (
            "MCP006",
            "azurerm_federated_identity_credential.pipeline_any_ref",
        ),
        (
            "MCP006",
            "azurerm_federated_identity_credential.pipeline_pull_request",
        ),
        ("MCP007", "azurerm_container_group.mcp_github"),
        ("MCP007", "azurerm_container_group.mcp_secrets"),
        ("MCP008", "azurerm_container_group.mcp_filesystem"),
        ("MCP008", "azurerm_container_group.mcp_secrets"),
        ("MCP009", "azurerm_container_group.mcp_filesystem"),
        ("MCP010", "azurerm_role_assignment.shared_dev_contributor"),
        ("MCP014", "azurerm_container_group.mcp_filesystem"),
        ("MCP014", "azurerm_container_group.mcp_github"),
        ("MCP014", "azurerm_container_group.mcp_secrets"),
        // The gateway's app has one scope anyone can consent to; the case
        // study's policy limits per IP and logs to a logger no one created;
        // no alert watches the calls.
        ("MCP017", "azuread_application.mcp_gateway"),
        ("MCP018", "azuread_application.mcp_gateway"),
        ("MCP019", "azurerm_api_management.mcp"),
        ("MCP020", "azurerm_api_management.mcp"),
        ("MCP021", "azurerm_api_management.mcp"),
        ("MCP022", "azurerm_api_management.mcp"),
        ("MCP023", "azurerm_api_management.mcp"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    for input in ["plan.json", "main.tf"] {
        let r = scan_fixture(&dir, &dir.join(input));
        assert_eq!(failing(&r), want, "{input}");
        // The personal token in the fixture is never printed.
        let json = serde_json::to_string(&r).unwrap();
        assert!(
            !json.contains("ghp_not_a_real_token") && !json.contains("sk_not_a_real_key"),
            "{input}: secret leaked"
        );
    }
}

#[test]
fn plan_and_source_give_the_same_verdicts() {
    let mut dirs = vec![
        root().join("fixtures/seed/hardened"),
        root().join("fixtures/seed/before-incident"),
    ];
    for id in rule_ids()
        .into_iter()
        .filter(|id| rule_kind(id).0.len() > 1)
    {
        for case in ["pass", "fail"] {
            dirs.push(root().join("fixtures/rules").join(&id).join(case));
        }
    }
    for dir in dirs {
        let verdicts = |input: &str| -> BTreeSet<(String, String, Status)> {
            scan_fixture(&dir, &dir.join(input))
                .findings
                .iter()
                .map(|f| (f.rule_id.clone(), f.resource.address.clone(), f.status))
                .collect()
        };
        assert_eq!(
            verdicts("plan.json"),
            verdicts("main.tf"),
            "{}",
            dir.display()
        );
    }
}

/// The deployed form of each scenario (ARM documents, as GET returns them)
/// gives the same verdicts on the same resources as its plan: findings are
/// compared by ARM id, which the plan's translation synthesises from the
/// subscription, resource group and name.
#[test]
fn plan_and_deployed_resources_give_the_same_verdicts() {
    let mut dirs = vec![
        root().join("fixtures/seed/hardened"),
        root().join("fixtures/seed/before-incident"),
    ];
    for id in rule_ids()
        .into_iter()
        .filter(|id| rule_kind(id).0.len() > 1)
    {
        for case in ["pass", "fail"] {
            dirs.push(root().join("fixtures/rules").join(&id).join(case));
        }
    }
    // A role assignment's name is a GUID chosen at apply: its plan id is
    // synthetic, so role assignments are compared by type (and count).
    // Entra ID (Graph) objects' ids are object ids, likewise chosen at apply.
    let key = |f: &mcpguard::findings::Finding| {
        if f.resource
            .arm_type
            .eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments")
            || f.resource.arm_type.starts_with("Microsoft.Graph/")
        {
            f.resource.arm_type.to_ascii_lowercase()
        } else {
            f.resource.id.to_ascii_lowercase()
        }
    };
    for dir in dirs {
        let verdicts = |input: &str| -> Vec<(String, String, Status)> {
            let mut v: Vec<_> = scan_fixture(&dir, &dir.join(input))
                .findings
                .iter()
                .map(|f| (f.rule_id.clone(), key(f), f.status))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            verdicts("plan.json"),
            verdicts("arm.json"),
            "{}",
            dir.display()
        );
    }
}

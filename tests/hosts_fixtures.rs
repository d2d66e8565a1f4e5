//! The rules on every host of an MCP server (issue 12): each rule's fail
//! fixture fails it on every host it applies to, and its pass fixture holds a
//! hardened server on every host; the seed architecture re-expressed on
//! Container Apps and on Functions has zero failures, and its before-incident
//! form fails exactly where the incident's controls are missing; plan, source
//! and deployed ARM resources agree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mcpguard::config::Config;
use mcpguard::findings::{Report, Status};
use mcpguard::scan::{self, ScanOptions};

const CG: &str = "Microsoft.ContainerInstance/containerGroups";
const CA: &str = "Microsoft.App/containerApps";
const SITE: &str = "Microsoft.Web/sites";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scan_fixture(dir: &Path, input: &str) -> Report {
    let config = Config::load(&dir.join(".mcpguard.hcl")).expect("fixture config");
    let opts = ScanOptions {
        config,
        today: Some(time::macros::date!(2026 - 11 - 23)),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("built-in rules load");
    let loaded = scan::load_inputs(&[dir.join(input)], &opts);
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    assert!(
        report.errors.is_empty(),
        "{}/{input}: {:?}",
        dir.display(),
        report.errors
    );
    report
}

const INPUTS: [&str; 3] = ["plan.json", "main.tf", "arm.json"];

/// Rule → the hosts its fail fixture fails it on.
const HOST_RULES: &[(&str, &[&str])] = &[
    ("MCP001", &[CG, CA, SITE]),
    ("MCP002", &[CG, CA, SITE]),
    ("MCP003", &[CG, CA, SITE]),
    ("MCP004", &[CG, CA, SITE]),
    ("MCP005", &[CG, CA, SITE]),
    ("MCP007", &[CG, CA, SITE]),
    ("MCP008", &[CG, CA, SITE]),
    ("MCP009", &[CG, CA, SITE]),
    ("MCP014", &[CG, CA, SITE]),
    ("MCP016", &[CA, SITE]),
];

fn failing_types(r: &Report, rule: &str) -> BTreeSet<String> {
    r.findings
        .iter()
        .filter(|f| f.rule_id == rule && f.status == Status::Fail)
        .map(|f| f.resource.arm_type.clone())
        .collect()
}

/// A rule's fail cases: `fail`, and `fail_hosts` where the container group
/// case stays alone (MCP003's: the CLI tests suppress it by address).
fn fail_dirs(rule: &str) -> Vec<PathBuf> {
    ["fail", "fail_hosts"]
        .iter()
        .map(|c| root().join("fixtures/rules").join(rule).join(c))
        .filter(|d| d.is_dir())
        .collect()
}

#[test]
fn every_host_rule_fails_on_every_host_in_plan_source_and_arm() {
    for (rule, hosts) in HOST_RULES {
        for input in INPUTS {
            let mut got = BTreeSet::new();
            for dir in fail_dirs(rule) {
                got.extend(failing_types(&scan_fixture(&dir, input), rule));
            }
            for h in *hosts {
                assert!(
                    got.contains(*h),
                    "{rule} fail/{input}: no failure on a {h}: {got:?}"
                );
            }
        }
    }
}

#[test]
fn pass_fixtures_hold_a_hardened_mcp_server_on_every_host() {
    for (rule, hosts) in HOST_RULES {
        let dir = root().join("fixtures/rules").join(rule).join("pass");
        for input in INPUTS {
            let r = scan_fixture(&dir, input);
            assert_eq!(r.summary.fail, 0, "{rule} pass/{input}: {:#?}", r.findings);
            let passed: BTreeSet<String> = r
                .passes
                .iter()
                .filter(|p| p.rule_id == *rule)
                .map(|p| p.resource.arm_type.clone())
                .collect();
            for h in *hosts {
                assert!(
                    passed.contains(*h),
                    "{rule} pass/{input}: nothing on a {h} passed"
                );
            }
        }
    }
}

/// The MCP APIs of API Management are judged on their own policy: a
/// `check-header` on `Authorization` is not token validation.
#[test]
fn mcp_apis_need_token_validation_not_a_header_check() {
    let dir = root().join("fixtures/rules/MCP012/fail");
    for input in INPUTS {
        let r = scan_fixture(&dir, input);
        assert!(
            r.findings.iter().any(|f| f.rule_id == "MCP012"
                && f.resource.arm_type == "Microsoft.ApiManagement/service/apis"
                && f.status == Status::Fail),
            "{input}: {:#?}",
            r.findings
        );
    }
    let dir = root().join("fixtures/rules/MCP012/pass");
    for input in INPUTS {
        let r = scan_fixture(&dir, input);
        assert!(
            r.passes.iter().any(|p| p.rule_id == "MCP012"
                && p.resource.arm_type == "Microsoft.ApiManagement/service/apis"),
            "{input}: the MCP API was not judged"
        );
    }
}

/// The seed's policies match container groups only: MCP servers on Container
/// Apps and Functions escape them.
#[test]
fn policies_that_govern_only_container_groups_leave_other_hosts_ungoverned() {
    let dir = root().join("fixtures/rules/MCP013/fail_hosts");
    for input in INPUTS {
        let r = scan_fixture(&dir, input);
        let f = r
            .findings
            .iter()
            .find(|f| f.rule_id == "MCP013" && f.status == Status::Fail)
            .unwrap_or_else(|| panic!("{input}: MCP013 did not fail: {:#?}", r.findings));
        assert!(
            f.message.contains(CA) && f.message.contains(SITE) && !f.message.contains(CG),
            "{input}: {}",
            f.message
        );
    }
}

fn verdicts(r: &Report) -> BTreeSet<(String, String, Status)> {
    r.findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.resource.address.clone(), f.status))
        .collect()
}

#[test]
fn hardened_architecture_on_container_apps_and_functions_has_zero_failures() {
    for name in ["hardened-container-apps", "hardened-functions"] {
        let dir = root().join("fixtures/seed").join(name);
        for input in INPUTS {
            let r = scan_fixture(&dir, input);
            assert!(r.summary.resources >= 15, "{name}/{input}");
            assert_eq!(r.summary.fail, 0, "{name}/{input}: {:#?}", r.findings);
            assert_eq!(r.summary.unknown, 0, "{name}/{input}: {:#?}", r.findings);
        }
    }
}

/// The failures the incident's environment shows on a host: the servers
/// `mcp_filesystem` (no tag, no identity, a personal token), `mcp_secrets`
/// and `mcp_github` (tagged, one shared identity), under the seed's policies.
fn before_incident_failures(kind: &str) -> BTreeSet<(String, String)> {
    let host = |s: &str| format!("{kind}.mcp_{s}");
    let mut want: Vec<(&str, String)> = vec![
        ("MCP001", host("filesystem")),
        ("MCP003", host("filesystem")),
        (
            "MCP006",
            "azurerm_federated_identity_credential.pipeline_any_ref".into(),
        ),
        ("MCP007", host("github")),
        ("MCP007", host("secrets")),
        ("MCP008", host("filesystem")),
        ("MCP008", host("secrets")),
        (
            "MCP010",
            "azurerm_role_assignment.shared_dev_contributor".into(),
        ),
        (
            "MCP013",
            "azurerm_policy_definition.mcp_approved_subnet_only".into(),
        ),
        (
            "MCP013",
            "azurerm_policy_definition.require_mcp_managed_identity".into(),
        ),
    ];
    for s in ["filesystem", "github", "secrets"] {
        for rule in ["MCP002", "MCP004", "MCP005", "MCP014", "MCP016"] {
            want.push((rule, host(s)));
        }
    }
    // Container apps pull with a registry password; the secrets function app with Docker settings.
    want.push((
        "MCP009",
        host(if kind == "azurerm_container_app" {
            "filesystem"
        } else {
            "secrets"
        }),
    ));
    want.into_iter().map(|(r, a)| (r.to_string(), a)).collect()
}

#[test]
fn before_incident_on_container_apps_and_functions_fails_every_control() {
    for (name, kind) in [
        ("before-incident-container-apps", "azurerm_container_app"),
        ("before-incident-functions", "azurerm_linux_function_app"),
    ] {
        let dir = root().join("fixtures/seed").join(name);
        let want = before_incident_failures(kind);
        for input in ["plan.json", "main.tf"] {
            let r = scan_fixture(&dir, input);
            let got: BTreeSet<(String, String)> = r
                .findings
                .iter()
                .filter(|f| f.status == Status::Fail)
                .map(|f| (f.rule_id.clone(), f.resource.address.clone()))
                .collect();
            assert_eq!(got, want, "{name}/{input}");
            assert_eq!(r.summary.unknown, 0, "{name}/{input}: {:#?}", r.findings);
            let json = serde_json::to_string(&r).unwrap();
            for secret in [
                "ghp_not_a_real_token",
                "sk_not_a_real_key",
                "not-a-real-password",
            ] {
                assert!(!json.contains(secret), "{name}/{input}: `{secret}` printed");
            }
        }
        assert_eq!(
            verdicts(&scan_fixture(&dir, "plan.json")),
            verdicts(&scan_fixture(&dir, "main.tf")),
            "{name}: plan and source disagree"
        );
        // The deployed resources fail the same rules as often.
        let count = |r: &Report| {
            let mut v: Vec<String> = r
                .findings
                .iter()
                .filter(|f| f.status == Status::Fail)
                .map(|f| f.rule_id.clone())
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            count(&scan_fixture(&dir, "plan.json")),
            count(&scan_fixture(&dir, "arm.json")),
            "{name}: plan and ARM disagree"
        );
    }
}

/// Every finding on an MCP server says why it counts as one.
#[test]
fn evidence_says_why_a_resource_is_an_mcp_server() {
    let dir = root().join("fixtures/seed/before-incident-functions");
    let r = scan_fixture(&dir, "main.tf");
    let f = r
        .findings
        .iter()
        .find(|f| f.rule_id == "MCP001")
        .expect("MCP001 on the file-system function app");
    let why: Vec<String> = f
        .evidence
        .iter()
        .filter(|e| e.path.starts_with("mcpguard.mcpEvidence"))
        .map(|e| e.value.as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        why,
        ["app setting `AzureFunctionsJobHost__extensions__mcp__serverName` (Functions MCP extension)"]
    );
}

#[test]
fn mcp016_fail_snapshot() {
    let dir = root().join("fixtures/rules/MCP016/fail");
    let r = scan_fixture(&dir, "main.tf");
    let lines: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.rule_id == "MCP016")
        .map(|f| format!("{:?} {} {}", f.status, f.resource.address, f.message))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn extra_fail_cases_give_the_same_verdicts_as_plan_and_source() {
    for rule in ["MCP003", "MCP013"] {
        let dir = root().join("fixtures/rules").join(rule).join("fail_hosts");
        assert_eq!(
            verdicts(&scan_fixture(&dir, "plan.json")),
            verdicts(&scan_fixture(&dir, "main.tf")),
            "{}",
            dir.display()
        );
    }
}

/// A live sweep reads what the host rules follow: environments, Easy Auth,
/// site config, private endpoints, and the gateway's MCP APIs and backends.
#[cfg(feature = "azure")]
#[test]
fn a_sweep_reads_every_host_and_what_its_rules_follow() {
    let rules = scan::load_rules(&ScanOptions::default()).expect("rules");
    let types = mcpguard::sweep::types_needed(&rules);
    for t in [
        CG,
        CA,
        SITE,
        "Microsoft.App/managedEnvironments",
        "Microsoft.App/containerApps/authConfigs",
        "Microsoft.Web/sites/config",
        "Microsoft.Network/privateEndpoints",
        "Microsoft.ApiManagement/service/apis",
        "Microsoft.ApiManagement/service/backends",
        "Microsoft.Network/virtualNetworks",
        "Microsoft.Network/networkSecurityGroups",
    ] {
        assert!(
            types.iter().any(|x| x.eq_ignore_ascii_case(t)),
            "{t} not swept: {types:?}"
        );
    }
}

/// The case issue 12 starts from: seven MCP servers on Container Apps
/// behind API Management, as community Terraform writes them (one module
/// per server, `for_each` over the servers, azapi MCP APIs), which gave no
/// finding at all. Each server is public, untagged (found by its image and
/// by the MCP API in front of it), shares the platform's identity, and its
/// MCP API only checks that an `Authorization` header is there.
#[test]
fn seven_mcp_servers_on_container_apps_are_seen() {
    let dir = root().join("fixtures/hosts/seven-container-apps");
    let config = Config::default();
    let opts = ScanOptions {
        config,
        ..ScanOptions::default()
    };
    let scan = |input: &str| {
        let rules = scan::load_rules(&opts).expect("rules");
        let loaded = scan::load_inputs(&[dir.join(input)], &opts);
        scan::evaluate(&rules, loaded, &opts).0
    };
    let plan = scan("plan.json");
    let source = scan("main.tf");
    assert_eq!(verdicts(&plan), verdicts(&source));
    let servers = [
        "github",
        "filesystem",
        "fetch",
        "postgres",
        "brave-search",
        "slack",
        "memory",
    ];
    let failing: BTreeSet<(String, String)> = plan
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| (f.rule_id.clone(), f.resource.address.clone()))
        .collect();
    for s in servers {
        let app = format!("module.mcp_server[\"{s}\"].azurerm_container_app.this");
        for rule in ["MCP002", "MCP003", "MCP007", "MCP016"] {
            assert!(
                failing.contains(&(rule.to_string(), app.clone())),
                "{rule} on {app}: {failing:#?}"
            );
        }
        let api = format!("module.mcp_server[\"{s}\"].azapi_resource.api");
        assert!(
            failing.contains(&("MCP012".to_string(), api.clone())),
            "{api}"
        );
    }
    assert!(failing.contains(&(
        "MCP011".to_string(),
        "azurerm_api_management.gw".to_string()
    )));
    assert_eq!(plan.summary.unknown, 0, "{:#?}", plan.findings);
}

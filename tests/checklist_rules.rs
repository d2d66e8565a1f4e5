//! The whole-checklist rules (issue 14): MCP017-MCP023 on their fail
//! fixtures (snapshots), the cases beside them (secrets as a delegated scope,
//! secrets on a registration of their own, a query mcpguard cannot read), and
//! the verdicts that follow from the real Entra ID, Conditional Access and
//! alert code in `../shared/corpus/terraform-sources`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mcpguard::config::Config;
use mcpguard::findings::{Report, Status};
use mcpguard::scan::{self, ScanOptions};

const RULES: [&str; 7] = [
    "MCP017", "MCP018", "MCP019", "MCP020", "MCP021", "MCP022", "MCP023",
];
const INPUTS: [&str; 3] = ["plan.json", "main.tf", "arm.json"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scan_with(config: Config, inputs: &[PathBuf], vars: &[(&str, &str)]) -> Report {
    let opts = ScanOptions {
        config,
        today: Some(time::macros::date!(2026 - 11 - 23)),
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("built-in rules load");
    let loaded = scan::load_inputs(inputs, &opts);
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    assert!(report.errors.is_empty(), "{inputs:?}: {:?}", report.errors);
    report
}

fn scan_fixture(dir: &Path, input: &str) -> Report {
    let config = Config::load(&dir.join(".mcpguard.hcl")).expect("fixture config");
    scan_with(config, &[dir.join(input)], &[])
}

/// (rule, resource type, status): ARM input names resources by id, Terraform by address.
fn verdicts(r: &Report) -> BTreeSet<(String, String, Status)> {
    r.findings
        .iter()
        .filter(|f| RULES.contains(&f.rule_id.as_str()))
        .map(|f| (f.rule_id.clone(), f.resource.arm_type.clone(), f.status))
        .collect()
}

fn lines(r: &Report, rule: &str) -> String {
    r.findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| format!("{:?} {} {}", f.status, f.resource.address, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn fail_fixture_snapshots() {
    for id in RULES {
        let dir = root().join("fixtures/rules").join(id).join("fail");
        let r = scan_fixture(&dir, "main.tf");
        insta::assert_snapshot!(format!("{id}_fail"), lines(&r, id));
    }
}

/// Secrets as a delegated scope on the gateway's own application: MCP017
/// fails (no policy can single the scope out) and so does MCP018 (users can
/// consent to it), in every input.
#[test]
fn secrets_as_a_scope_of_the_gateway_app_fails_both_entra_rules() {
    let dir = root().join("fixtures/rules/MCP017/fail_secrets_scope");
    for input in INPUTS {
        let r = scan_fixture(&dir, input);
        let got: BTreeSet<&str> = r
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| f.rule_id.as_str())
            .collect();
        assert_eq!(got, BTreeSet::from(["MCP017", "MCP018"]), "{input}");
        assert!(lines(&r, "MCP017").contains("secrets scope"), "{input}");
    }
}

/// Secrets on a registration of its own, users blocked from it by an enabled
/// policy: nothing fails; a report-only policy blocks nobody (the fail case).
#[test]
fn secrets_on_their_own_registration_pass_with_conditional_access() {
    let dir = root().join("fixtures/rules/MCP018/pass_own_registration");
    for input in INPUTS {
        let r = scan_fixture(&dir, input);
        assert!(r.findings.is_empty(), "{input}: {:#?}", r.findings);
    }
    let dir = root().join("fixtures/rules/MCP018/fail");
    for input in INPUTS {
        let r = scan_fixture(&dir, input);
        assert_eq!(
            verdicts(&r),
            BTreeSet::from([(
                "MCP018".to_string(),
                "Microsoft.Graph/applications".to_string(),
                Status::Fail
            )]),
            "{input}"
        );
    }
}

/// A query mcpguard cannot read (`join`) is unknown for the detection no
/// other alert covers, never a pass; the readable alerts still pass theirs.
#[test]
fn an_unreadable_query_is_unknown_never_a_pass() {
    let dir = root().join("fixtures/rules/MCP023/unknown_query");
    for input in INPUTS {
        let r = scan_fixture(&dir, input);
        assert_eq!(
            verdicts(&r),
            BTreeSet::from([(
                "MCP023".to_string(),
                "Microsoft.ApiManagement/service".to_string(),
                Status::Unknown
            )]),
            "{input}"
        );
    }
    let r = scan_fixture(&dir, "main.tf");
    insta::assert_snapshot!(
        "MCP023_unknown_query",
        r.findings
            .iter()
            .map(|f| format!(
                "{:?} {} {}\n{}",
                f.status,
                f.resource.address,
                f.message,
                serde_json::to_string(&f.evidence).unwrap()
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn corpus(rel: &str) -> Option<PathBuf> {
    let p = root().join("../shared/corpus/terraform-sources").join(rel);
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

fn inventories(dir: &Path, vars: &[(&str, &str)]) -> Vec<mcpguard::inventory::Inventory> {
    let opts = ScanOptions {
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..ScanOptions::default()
    };
    let loaded = scan::load_inputs(&[dir.to_path_buf()], &opts);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.roots.into_iter().map(|u| u.inventory).collect()
}

/// The DFE hosting module's three log alerts (monitoring switched on): two
/// queries use what the KQL reader does not read (`join`, indexing a
/// `split()`), so a detection resting on them would be unknown; the third
/// reads, and is no detection of the case study.
#[test]
fn real_alert_queries_are_read_or_left_unknown() {
    use mcpguard::inventory::{detection, kql, types};
    let Some(d) = corpus("terraform-azurerm-container-apps-hosting") else {
        return;
    };
    let vars = [
        ("enable_monitoring", "true"),
        ("enable_monitoring_traces", "true"),
        ("alarm_log_ingestion_gb_per_day", "5"),
    ];
    let mut seen = Vec::new();
    for inv in inventories(&d, &vars) {
        for r in inv.of_type(types::SCHEDULED_QUERY_RULE) {
            let q = r
                .doc
                .pointer("/properties/criteria/allOf/0/query")
                .and_then(|q| q.as_str())
                .unwrap_or_else(|| panic!("{}: no known query", r.address));
            let read = kql::parse(q);
            let verdict = match &read {
                Ok(parsed) => {
                    let d = detection::recognise(parsed, None);
                    assert!(
                        !d.off_hours_writes && !d.file_reads && !d.forbidden,
                        "{}",
                        r.address
                    );
                    format!("read, table {}", parsed.table)
                }
                Err(e) => e.message.clone(),
            };
            seen.push((r.address.clone(), verdict));
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (
                "azurerm_monitor_scheduled_query_rules_alert_v2.exceptions[0]".to_string(),
                "the `join` operator is not read".to_string()
            ),
            (
                "azurerm_monitor_scheduled_query_rules_alert_v2.log-analytics-ingestion[0]"
                    .to_string(),
                "read, table Usage".to_string()
            ),
            (
                "azurerm_monitor_scheduled_query_rules_alert_v2.traces[0]".to_string(),
                "expected `)`".to_string()
            ),
        ]
    );
}

/// The AI gateway landing zone's Entra application (with its Entra module
/// switched on): one `access_as_user` scope and four roles users can hold
/// (`Task.ReadWrite`, `Models.Read`, `MCP.Read`, `Agent.Read`). Its APIM
/// validates tokens through named values, so the app is the gateway's only
/// when the config names it; then it has a read tier and nothing else (MCP017)
/// and users reach everything with no Conditional Access (MCP018). The
/// gateway has no rate limit and no logging in the policy mcpguard reads:
/// MCP012's failure, not MCP019's or MCP020's; and no alert watches it.
#[test]
fn real_gateway_app_has_no_tiers_and_no_alerts() {
    let Some(d) = corpus("terraform-ai-gateway-landing-zone") else {
        return;
    };
    let vars = [("enable_entra_id_setup", "true")];
    let app = "module.entra_id[0].azuread_application.gateway";
    let apim = "module.apim.azurerm_api_management.citadel";
    let named = Config::parse(
        "corpus.mcpguard.hcl",
        "rule \"MCP017\" {\n  gatewayApplications = [\"ai-citadel-gateway-citadel-dev\"]\n}\n\
         rule \"MCP018\" {\n  gatewayApplications = [\"ai-citadel-gateway-citadel-dev\"]\n}\n",
    )
    .unwrap();
    let by_address = |r: &Report| -> BTreeSet<(String, String, Status)> {
        r.findings
            .iter()
            .filter(|f| RULES.contains(&f.rule_id.as_str()))
            .map(|f| (f.rule_id.clone(), f.resource.address.clone(), f.status))
            .collect()
    };
    let r = scan_with(named, std::slice::from_ref(&d), &vars);
    let want: BTreeSet<(String, String, Status)> = [
        ("MCP017", app),
        ("MCP018", app),
        ("MCP021", apim),
        ("MCP022", apim),
        ("MCP023", apim),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string(), Status::Fail))
    .collect();
    assert_eq!(by_address(&r), want);
    assert!(lines(&r, "MCP017").contains("read true, write false, admin false, secrets none"));
    // Without the parameter nothing says the app is the gateway's.
    let r = scan_with(Config::default(), std::slice::from_ref(&d), &vars);
    assert!(by_address(&r)
        .iter()
        .all(|(rule, _, _)| rule != "MCP017" && rule != "MCP018"));
}

/// The 20 recommended Conditional Access policies a default configuration
/// creates: none blocks every user from an MCP secrets application. The
/// block policies are narrowed (CAP001 to legacy clients, CAD005 to Office
/// 365 on unsupported platforms) and the others grant with MFA or a
/// compliant device, so users keep the secrets scope.
#[test]
fn real_conditional_access_blocks_no_user_from_the_secrets_app() {
    use mcpguard::inventory::{types, InputKind, Resource};
    let Some(d) = corpus("terraform-azuread-recommended-conditional-access-policies") else {
        return;
    };
    let mut invs = inventories(&d, &[]);
    assert_eq!(invs.len(), 1);
    let mut inv = invs.remove(0);
    assert_eq!(inv.of_type(types::CONDITIONAL_ACCESS).count(), 20);
    let blocks = inv
        .of_type(types::CONDITIONAL_ACCESS)
        .filter(|p| {
            p.doc
                .pointer("/grantControls/builtInControls")
                .and_then(|v| v.as_array())
                .is_some_and(|a| a.iter().any(|x| x.as_str() == Some("block")))
        })
        .count();
    assert_eq!(blocks, 2);
    inv.push(Resource::new(
        "azuread_application.mcp_secrets",
        InputKind::Terraform,
        serde_json::json!({"id": "/applications/mcp-secrets", "type": types::GRAPH_APPLICATION,
            "name": "mcp-secrets", "displayName": "mcp-secrets", "appId": "5ec7e75-0000-0000-0000-000000000001",
            "identifierUris": ["api://mcp-secrets"],
            "api": {"oauth2PermissionScopes": [{"value": "mcp.tools.secrets", "type": "User", "isEnabled": true}]}}),
    ));
    inv.compute_facts(&Default::default());
    let fact = inv
        .by_address("azuread_application.mcp_secrets")
        .and_then(|r| r.fact("entra"))
        .cloned()
        .unwrap();
    assert_eq!(
        fact.get("blockedForUsers").and_then(|v| v.as_bool()),
        Some(false),
        "{fact:?}"
    );
    assert_eq!(
        fact.pointer("/tiers/secrets").and_then(|v| v.as_str()),
        Some("scope")
    );
}

/// Tiers written as standalone `azuread_application_permission_scope` and
/// `azuread_application_app_role` resources join their application: the
/// application alone defines no tier (it would fail MCP017 and MCP018).
#[test]
fn standalone_scopes_and_roles_join_their_application() {
    let dir = root().join("fixtures/rules/MCP017/pass_standalone");
    for input in ["plan.json", "main.tf"] {
        let r = scan_fixture(&dir, input);
        assert!(r.findings.is_empty(), "{input}: {:#?}", r.findings);
        assert!(
            r.summary.resources >= 15,
            "{input}: {}",
            r.summary.resources
        );
    }
}

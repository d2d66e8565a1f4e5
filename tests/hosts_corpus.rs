//! Real Terraform for the hosts of issue 12 (`../shared/corpus/terraform-sources`):
//! the verdicts that follow from each repository's own code, asserted.
//!
//! The repositories deploy ordinary services, not MCP servers; each case
//! makes its servers count as MCP servers the way a platform engineer
//! would for the scan (a `detect` word for their image, or a variable
//! naming an MCP image), and then checks what the code itself says:
//! public environments, subnets without an NSG, no logs, no authentication.
//! Skipped, with a printed reason, when the corpus is absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mcpguard::config::Config;
use mcpguard::findings::{Report, Status};
use mcpguard::inventory::facts::Detection;
use mcpguard::inventory::{Inventory, Value};
use mcpguard::scan::{self, ScanOptions};

fn corpus(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/terraform-sources")
        .join(rel);
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

fn options(words: &[&str], vars: &[(&str, &str)]) -> ScanOptions {
    let mut config = Config::default();
    if !words.is_empty() {
        config.detect = Detection {
            image_words: words.iter().map(|w| w.to_string()).collect(),
            ..Detection::default()
        };
    }
    ScanOptions {
        config,
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        today: Some(time::macros::date!(2026 - 11 - 23)),
        ..ScanOptions::default()
    }
}

fn scan_dir(dir: &Path, opts: &ScanOptions) -> Report {
    let rules = scan::load_rules(opts).expect("rules");
    let loaded = scan::load_inputs(&[dir.to_path_buf()], opts);
    let (report, errors) = scan::evaluate(&rules, loaded, opts);
    assert!(errors.is_empty(), "{}: {errors:?}", dir.display());
    report
}

/// The one root module `dir` is, read and with its facts (the scan computes them).
fn inventory(dir: &Path, opts: &ScanOptions) -> Inventory {
    let mut loaded = scan::load_inputs(&[dir.to_path_buf()], opts);
    match loaded.roots.len() {
        0 => loaded.inventory,
        _ => loaded.roots.swap_remove(0).inventory,
    }
}

/// address → rule → status
fn verdicts(r: &Report) -> BTreeMap<String, BTreeMap<String, Status>> {
    let mut out: BTreeMap<String, BTreeMap<String, Status>> = BTreeMap::new();
    for f in &r.findings {
        out.entry(f.resource.address.clone())
            .or_default()
            .insert(f.rule_id.clone(), f.status);
    }
    out
}

fn expect(
    got: &BTreeMap<String, BTreeMap<String, Status>>,
    address: &str,
    want: &[(&str, Status)],
) {
    let have = got
        .get(address)
        .unwrap_or_else(|| panic!("no finding on {address}: {got:#?}"));
    for (rule, status) in want {
        assert_eq!(have.get(*rule), Some(status), "{address} {rule}: {have:?}");
    }
}

/// Two Container Apps (azapi, from the AVM module) in an environment on a
/// subnet without an internal load balancer, both with external ingress;
/// the subnet has no NSG; the environment sends no logs; nothing
/// authenticates calls. Their identity comes from a registry module that is
/// not installed, so MCP001 cannot be decided.
#[test]
fn container_apps_in_a_public_environment_fail_isolation_egress_logs_and_auth() {
    let Some(dir) = corpus("terraform-azurerm-avm-res-app-containerapp/examples/vnet") else {
        return;
    };
    let r = scan_dir(&dir, &options(&["counting", "dashboard"], &[]));
    let v = verdicts(&r);
    use Status::*;
    for app in ["module.counting", "module.dashboard"] {
        expect(
            &v,
            &format!("{app}.azapi_resource.container_app"),
            &[
                ("MCP001", Unknown),
                ("MCP002", Fail),
                ("MCP003", Fail),
                ("MCP004", Fail),
                ("MCP005", Fail),
                ("MCP014", Fail),
                ("MCP016", Fail),
            ],
        );
    }
    // The data source that reads the existing app is not judged.
    assert!(
        !v.keys().any(|a| a.contains("data.azapi_resource")),
        "{v:#?}"
    );
}

/// A managed environment (azapi, AVM) on a subnet with an internal load
/// balancer: what MCP002 asks of a Container Apps environment.
#[test]
fn an_internal_managed_environment_reads_as_one() {
    let Some(dir) = corpus(
        "terraform-azurerm-avm-res-app-managedenvironment/examples/workload_profile_internal",
    ) else {
        return;
    };
    let inv = inventory(&dir, &options(&[], &[]));
    let env = inv
        .of_type("Microsoft.App/managedEnvironments")
        .next()
        .expect("the environment");
    assert_eq!(
        env.doc.pointer("/properties/vnetConfiguration/internal"),
        Some(&Value::Bool(true))
    );
    let subnet = env
        .doc
        .pointer("/properties/vnetConfiguration/infrastructureSubnetId")
        .and_then(|s| inv.deref(s))
        .expect("the subnet it names");
    assert_eq!(subnet.address, "azurerm_subnet.this");
}

/// DFE's hosting module: an `azurerm_container_app` whose image is named by a
/// variable. Given an MCP image, its environment (in the VNet, but with
/// `internal_load_balancer_enabled` false by default) and external ingress
/// fail isolation, it is untagged, and nothing authenticates it.
#[test]
fn an_azurerm_container_app_named_as_an_mcp_server_is_judged() {
    let Some(dir) = corpus("terraform-azurerm-container-apps-hosting") else {
        return;
    };
    let r = scan_dir(&dir, &options(&[], &[("image_name", "\"mcp-weather\"")]));
    let v = verdicts(&r);
    use Status::*;
    expect(
        &v,
        "azurerm_container_app.container_apps[\"main\"]",
        &[("MCP002", Fail), ("MCP003", Fail), ("MCP016", Fail)],
    );
    // Without an MCP image there is nothing to judge, and nothing fails.
    let plain = scan_dir(&dir, &options(&[], &[("image_name", "\"web\"")]));
    assert_eq!(plain.summary.fail, 0, "{:#?}", plain.findings);
}

/// The AI gateway landing zone with its MCP sample: two API Management MCP
/// APIs written with azapi (`type = "mcp"`), whose policy is `<base />` under
/// a service with no token validation: MCP012 fails on each. The gateway's
/// `publicNetworkAccess` is set by an `azapi_update_resource`, merged into
/// the service.
#[test]
fn api_management_mcp_apis_without_token_validation_fail() {
    let Some(dir) = corpus("terraform-ai-gateway-landing-zone") else {
        return;
    };
    let r = scan_dir(&dir, &options(&[], &[("is_mcp_sample_deployed", "true")]));
    let v = verdicts(&r);
    for api in ["weather_mcp[0]", "ms_learn_mcp[0]"] {
        expect(
            &v,
            &format!("module.apim.azapi_resource.{api}"),
            &[("MCP012", Status::Fail)],
        );
    }
    assert!(
        !v.keys().any(|a| a.contains("azapi_update_resource")),
        "an update of the service is no resource of its own: {v:#?}"
    );
    // Without the sample there is no MCP API.
    let without = scan_dir(&dir, &options(&[], &[]));
    assert!(!without
        .findings
        .iter()
        .any(|f| f.resource.arm_type == "Microsoft.ApiManagement/service/apis"));
}

/// The AVM web site module, azurerm flavour: Easy Auth from
/// `auth_settings_v2` (Okta, authentication not required) does not count as
/// authenticated; the interfaces example disables public access and reaches
/// the function app through a private endpoint.
#[test]
fn web_sites_from_the_azurerm_module_read_easy_auth_and_private_endpoints() {
    let Some(web) = corpus("terraform-azurerm-avm-res-web-site@v0.20.0-azurerm/examples/web_app")
    else {
        return;
    };
    let inv = inventory(&web, &options(&[], &[]));
    let site = inv
        .by_address("module.avm_res_web_site.azurerm_windows_web_app.this[0]")
        .expect("the web app");
    assert_eq!(
        site.fact("easyAuth").and_then(|e| e.get("authenticated")),
        Some(&Value::Bool(false))
    );
    assert_eq!(
        site.fact("easyAuth")
            .and_then(|e| e.get("unauthenticatedAction")),
        Some(&Value::from("RedirectToLoginPage"))
    );
    let Some(ifs) =
        corpus("terraform-azurerm-avm-res-web-site@v0.20.0-azurerm/examples/interfaces")
    else {
        return;
    };
    let inv = inventory(&ifs, &options(&[], &[]));
    let app = inv
        .by_address("module.avm_res_web_site.azurerm_windows_function_app.this[0]")
        .expect("the function app");
    assert_eq!(
        app.doc.pointer("/properties/publicNetworkAccess"),
        Some(&Value::from("Disabled"))
    );
    let pe = app
        .fact("privateEndpointSubnetIds")
        .and_then(|a| a.as_array())
        .and_then(|a| a.first())
        .and_then(|s| s.get("id"))
        .and_then(|id| inv.deref(id))
        .expect("the private endpoint's subnet");
    assert_eq!(pe.address, "azurerm_subnet.example");
}

//! The plan reader and the translation on small hand-written plans
//! (`fixtures/plans/`): modules, count/for_each, references through module
//! inputs and outputs, folding, deletes, federated credential versions.

use mcpguard::inventory::Value;
use mcpguard::inventory::{InputKind, Path, Resource};
use mcpguard::load::azurerm::translate;
use mcpguard::load::plan::load;

const SUB: &str = "11111111-2222-3333-4444-555555555555";

fn fixture(name: &str) -> (Vec<Resource>, mcpguard::load::terraform::TfModel) {
    let path = format!("{}/fixtures/plans/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    let model = load(name, &text).expect("plan loads");
    let copy = model.clone();
    (translate(model, InputKind::Plan).0, copy)
}

fn by<'r>(res: &'r [Resource], address: &str) -> &'r Resource {
    res.iter()
        .find(|r| r.address == address)
        .unwrap_or_else(|| {
            panic!(
                "{address} missing; have {:?}",
                res.iter().map(|r| &r.address).collect::<Vec<_>>()
            )
        })
}

fn ptr<'r>(r: &'r Resource, p: &str) -> Option<&'r Value> {
    r.doc.pointer(p)
}

/// Whether the value at an ARM path (or a part of it) is not known before apply.
fn unknown_at(r: &Resource, p: &str) -> bool {
    let path = Path::parse(p);
    (0..=path.0.len()).any(|n| {
        r.doc.at(&Path(path.0[..n].to_vec())).is_some_and(|v| {
            if n == path.0.len() {
                v.has_unknown()
            } else {
                v.is_unknown()
            }
        })
    })
}

#[test]
fn addresses_modules_and_sources() {
    let (res, model) = fixture("modules.json");
    assert_eq!(model.subscription_id.as_deref(), Some(SUB));
    let addrs: Vec<&str> = res.iter().map(|r| r.address.as_str()).collect();
    // Deleted resources are not scanned; a replace is.
    assert!(!addrs.contains(&"azurerm_container_group.old"));
    assert!(!addrs.contains(&"azurerm_virtual_network.gone"));
    assert!(addrs.contains(&"azurerm_network_security_group.replaced"));
    // planned_values adds what resource_changes lacks, without duplicates; prior_state adds data sources only.
    assert_eq!(
        addrs
            .iter()
            .filter(|a| **a == "module.network.azurerm_subnet.this")
            .count(),
        1
    );
    assert_eq!(
        ptr(by(&res, "azurerm_resource_group.rg"), "/name"),
        Some(&Value::from("rg-mcp"))
    );
    assert!(addrs.contains(&"data.azurerm_client_config.current"));
    // for_each modules nested two deep keep Terraform's addresses.
    let id = by(
        &res,
        r#"module.mcp["github"].module.identity.azurerm_user_assigned_identity.this"#,
    );
    assert_eq!(
        id.id(),
        format!("/subscriptions/{SUB}/resourceGroups/rg-mcp/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-mcp-github")
    );
    let tf = model
        .resources
        .iter()
        .find(|r| r.address == r#"module.mcp["github"].azurerm_container_group.this"#)
        .expect("cg");
    assert_eq!(tf.module, r#"module.mcp["github"]"#);
    assert_eq!(tf.origin.file.as_deref(), Some("modules.json"));
    assert!(tf.origin.line.is_some_and(|l| l > 1));
}

#[test]
fn references_follow_module_inputs_and_outputs() {
    let (res, model) = fixture("modules.json");
    let tf = model
        .resources
        .iter()
        .find(|r| r.address == r#"module.mcp["files"].azurerm_container_group.this"#)
        .expect("cg");
    // var.subnet_id → module.network.subnet_id → the subnet; module.identity.id → the nested identity.
    assert_eq!(
        tf.references["subnet_ids"],
        vec!["module.network.azurerm_subnet.this".to_string()]
    );
    assert_eq!(
        tf.references["identity.0.identity_ids"],
        vec![
            r#"module.mcp["files"].module.identity.azurerm_user_assigned_identity.this"#
                .to_string()
        ]
    );
    let cg = by(&res, r#"module.mcp["files"].azurerm_container_group.this"#);
    let subnet = by(&res, "module.network.azurerm_subnet.this");
    assert_eq!(
        ptr(cg, "/properties/subnetIds/0/id").and_then(Value::as_str),
        Some(subnet.id())
    );
    assert!(!unknown_at(cg, "properties.subnetIds"));
    let uai = by(
        &res,
        r#"module.mcp["files"].module.identity.azurerm_user_assigned_identity.this"#,
    );
    let ids = ptr(cg, "/identity/userAssignedIdentities")
        .and_then(Value::as_object)
        .expect("identities");
    assert_eq!(ids.keys().collect::<Vec<_>>(), vec![uai.id()]);
    assert_eq!(
        ptr(cg, "/identity/type"),
        Some(&Value::from("UserAssigned"))
    );
}

#[test]
fn count_reference_without_key_picks_the_same_index() {
    let (res, _) = fixture("modules.json");
    for i in 0..2 {
        let cg = by(&res, &format!("azurerm_container_group.extra[{i}]"));
        let sn = by(&res, &format!("azurerm_subnet.extra[{i}]"));
        assert_eq!(
            ptr(cg, "/properties/subnetIds/0/id").and_then(Value::as_str),
            Some(sn.id())
        );
    }
}

#[test]
fn container_group_details() {
    let (res, _) = fixture("modules.json");
    let cg = by(&res, r#"module.mcp["github"].azurerm_container_group.this"#);
    assert_eq!(
        ptr(cg, "/type"),
        Some(&Value::from("Microsoft.ContainerInstance/containerGroups"))
    );
    assert_eq!(ptr(cg, "/location"), Some(&Value::from("westeurope")));
    assert_eq!(
        ptr(cg, "/properties/ipAddress/type"),
        Some(&Value::from("Private"))
    );
    let env = ptr(
        cg,
        "/properties/containers/0/properties/environmentVariables",
    )
    .and_then(Value::as_array)
    .expect("env");
    assert_eq!(
        env[0],
        serde_json::json!({"name": "LOG_LEVEL", "value": "info"})
    );
    assert_eq!(
        env[1],
        serde_json::json!({"name": "GITHUB_TOKEN", "secureValue": "ghp_secret"})
    );
    assert!(cg
        .sensitive
        .covering(&Path::parse(
            "properties.containers[0].properties.environmentVariables[1].secureValue"
        ))
        .is_some());
    assert!(unknown_at(cg, "properties.ipAddress.ip"));
    assert_eq!(
        ptr(cg, "/properties/containers/0/properties/image"),
        Some(&Value::from("ghcr.io/acme/mcp-mcp-github:1.0"))
    );
    assert!(
        ptr(cg, "/properties/containers/0/properties/command").is_none(),
        "empty commands are omitted"
    );
}

#[test]
fn nsg_rules_association_and_vnet_fold() {
    let (res, _) = fixture("modules.json");
    let nsg = by(&res, "module.network.azurerm_network_security_group.this");
    // security_rule was unknown only because the configuration sets none inline.
    assert!(!unknown_at(nsg, "properties.securityRules"));
    let rules = ptr(nsg, "/properties/securityRules")
        .and_then(Value::as_array)
        .expect("rules");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["name"], "deny-internet-out");
    assert_eq!(
        rules[0]["properties"]["destinationAddressPrefix"],
        "Internet"
    );
    assert!(
        rules[0]["properties"].get("description").is_none(),
        "empty singulars are dropped"
    );
    assert_eq!(
        rules[0]["properties"]["sourcePortRanges"],
        serde_json::json!([])
    );
    let defaults = ptr(nsg, "/properties/defaultSecurityRules")
        .and_then(Value::as_array)
        .expect("defaults");
    assert_eq!(defaults.len(), 6);
    assert!(defaults
        .iter()
        .any(|d| d["name"] == "AllowInternetOutBound" && d["properties"]["priority"] == 65001));
    // The standalone rule stays a resource too.
    assert_eq!(
        by(
            &res,
            "module.network.azurerm_network_security_rule.deny_internet"
        )
        .arm_type(),
        "Microsoft.Network/networkSecurityGroups/securityRules"
    );
    // The association is folded into the subnet and is no resource of its own.
    let subnet = by(&res, "module.network.azurerm_subnet.this");
    assert_eq!(
        ptr(subnet, "/properties/networkSecurityGroup/id").and_then(Value::as_str),
        Some(nsg.id())
    );
    assert!(!res.iter().any(|r| r.address.contains("association")));
    assert_eq!(
        ptr(subnet, "/properties/addressPrefix"),
        Some(&Value::from("10.0.1.0/24"))
    );
    assert_eq!(
        ptr(subnet, "/properties/defaultOutboundAccess"),
        Some(&Value::Bool(false))
    );
    assert_eq!(
        ptr(subnet, "/properties/delegations/0/properties/serviceName"),
        Some(&Value::from("Microsoft.ContainerInstance/containerGroups"))
    );
    let vnet = by(&res, "module.network.azurerm_virtual_network.this");
    let subs = ptr(vnet, "/properties/subnets")
        .and_then(Value::as_array)
        .expect("vnet subnets");
    let mcp = subs
        .iter()
        .find(|s| s["name"] == "snet-mcp")
        .expect("folded subnet");
    assert_eq!(
        mcp["properties"]["networkSecurityGroup"]["id"].as_str(),
        Some(nsg.id())
    );
    // Inline rules of a replaced NSG.
    let rep = by(&res, "azurerm_network_security_group.replaced");
    assert_eq!(
        ptr(
            rep,
            "/properties/securityRules/0/properties/destinationPortRange"
        ),
        Some(&Value::from("22"))
    );
    assert!(ptr(rep, "/properties/securityRules/0/id")
        .and_then(Value::as_str)
        .is_some_and(|i| i.ends_with("/securityRules/ssh")));
}

#[test]
fn federated_credentials_v3_and_v5() {
    let (res, _) = fixture("modules.json");
    let uai = by(&res, "azurerm_user_assigned_identity.ci");
    for (addr, name) in [
        ("azurerm_federated_identity_credential.v3", "gh-main"),
        ("azurerm_federated_identity_credential.v5", "gh-any"),
    ] {
        let fic = by(&res, addr);
        assert_eq!(
            fic.id(),
            format!("{}/federatedIdentityCredentials/{name}", uai.id())
        );
        assert_eq!(
            fic.arm_type(),
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
        );
        assert_eq!(
            ptr(fic, "/properties/audiences/0"),
            Some(&Value::from("api://AzureADTokenExchange"))
        );
    }
    assert_eq!(
        ptr(
            by(&res, "azurerm_federated_identity_credential.v5"),
            "/properties/subject"
        ),
        Some(&Value::from("repo:acme/mcp:*"))
    );
}

#[test]
fn role_assignment_by_name_and_principal_link() {
    let (res, _) = fixture("modules.json");
    let uai = by(&res, "azurerm_user_assigned_identity.ci");
    let ra = by(&res, "azurerm_role_assignment.pull[1]");
    assert_eq!(
        ptr(ra, "/properties/roleDefinitionId").and_then(Value::as_str),
        Some(format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d").as_str())
    );
    assert!(!unknown_at(ra, "properties.roleDefinitionId"));
    assert!(unknown_at(ra, "properties.principalId"));
    assert_eq!(
        ptr(ra, "/properties/principalId").and_then(Value::refers_to),
        Some(uai.address.as_str()),
        "the principal id, unknown until apply, names the identity it will be"
    );
    assert_eq!(
        ptr(ra, "/properties/principalType"),
        Some(&Value::from("ServicePrincipal"))
    );
    let ids: std::collections::HashSet<String> = res.iter().map(|r| r.key()).collect();
    assert_eq!(ids.len(), res.len(), "ids are unique");
}

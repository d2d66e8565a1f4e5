//! Every host of an MCP server in the Inventory: the azurerm tables (Container
//! Apps and their environments, function and web apps with Easy Auth, private
//! endpoints, API Management APIs and backends, diagnostic settings), azapi
//! bodies (HCL objects and `jsonencode` strings) and azapi updates, from
//! Terraform source (`fixtures/hosts/translate`) and from a plan of azapi
//! resources whose body is partly unknown.

use std::path::Path as FsPath;

use mcpguard::inventory::{InputKind, Path, Resource, Value};
use mcpguard::load::azurerm::translate;
use mcpguard::load::hcl::{load, HclOptions};

const SUB: &str = "11111111-2222-3333-4444-555555555555";

fn rg_id() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-mcp")
}

fn source() -> Vec<Resource> {
    let root = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hosts/translate");
    let o = load(&root, &HclOptions::default());
    assert!(o.errors.is_empty(), "{:?}", o.errors);
    translate(o.model, InputKind::Terraform).0
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

fn at<'r>(r: &'r Resource, p: &str) -> Option<&'r Value> {
    r.doc.at(&Path::parse(p))
}

fn s<'r>(r: &'r Resource, p: &str) -> Option<&'r str> {
    at(r, p).and_then(Value::as_str)
}

#[test]
fn container_apps_and_environments_from_azurerm() {
    let res = source();
    let env = by(&res, "azurerm_container_app_environment.mcp");
    assert_eq!(env.arm_type(), "Microsoft.App/managedEnvironments");
    let subnet = by(&res, "azurerm_subnet.aca");
    assert_eq!(
        s(env, "properties.vnetConfiguration.infrastructureSubnetId"),
        Some(subnet.id())
    );
    assert_eq!(
        at(env, "properties.vnetConfiguration.internal"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        s(env, "properties.appLogsConfiguration.destination"),
        Some("log-analytics")
    );

    let app = by(&res, "azurerm_container_app.github");
    assert_eq!(
        app.id(),
        format!(
            "{}/providers/Microsoft.App/containerApps/ca-mcp-github",
            rg_id()
        )
    );
    assert_eq!(s(app, "properties.managedEnvironmentId"), Some(env.id()));
    assert_eq!(
        at(app, "properties.configuration.ingress.external"),
        Some(&Value::Bool(false))
    );
    let identity = by(&res, "azurerm_user_assigned_identity.github");
    assert_eq!(
        s(app, "properties.configuration.registries[0].identity"),
        Some(identity.id())
    );
    assert!(at(app, "identity.userAssignedIdentities")
        .and_then(Value::as_object)
        .is_some_and(|m| m.contains_key(identity.id())));
    assert_eq!(
        s(app, "properties.template.containers[0].image"),
        Some("myacr.azurecr.io/mcp-github:1.4.0")
    );
    assert_eq!(
        s(app, "properties.template.containers[0].env[1].secretRef"),
        Some("github-token")
    );
    assert!(at(app, "properties.template.containers[0].env[1].value").is_none());
    // A secret's value is kept for rules but never printed.
    let secret = Path::parse("properties.configuration.secrets[0].value");
    assert!(app.sensitive.covering(&secret).is_some());
}

#[test]
fn function_apps_with_easy_auth_private_endpoints_and_backends() {
    let res = source();
    let site = by(&res, "azurerm_linux_function_app.weather");
    assert_eq!(site.arm_type(), "Microsoft.Web/sites");
    assert_eq!(s(site, "kind"), Some("functionapp,linux"));
    assert_eq!(s(site, "properties.publicNetworkAccess"), Some("Disabled"));
    assert_eq!(
        at(site, "properties.vnetRouteAllEnabled"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        s(site, "properties.virtualNetworkSubnetId"),
        Some(by(&res, "azurerm_subnet.aca").id())
    );
    assert_eq!(
        s(site, "properties.siteConfig.appSettings[0].name"),
        Some("AzureFunctionsJobHost__extensions__mcp__serverName")
    );

    // Easy Auth is the site's config/authsettingsV2, a resource of its own.
    let auth = by(&res, "azurerm_linux_function_app.weather.auth_settings_v2");
    assert_eq!(auth.arm_type(), "Microsoft.Web/sites/config");
    assert_eq!(auth.id(), format!("{}/config/authsettingsV2", site.id()));
    assert_eq!(auth.name(), "authsettingsV2");
    assert_eq!(
        s(
            auth,
            "properties.globalValidation.unauthenticatedClientAction"
        ),
        Some("Return401")
    );
    assert_eq!(
        at(
            auth,
            "properties.identityProviders.azureActiveDirectory.validation.allowedAudiences"
        ),
        Some(&Value::from(serde_json::json!(["api://mcp-weather"])))
    );

    let pe = by(&res, "azurerm_private_endpoint.weather");
    assert_eq!(
        s(pe, "properties.subnet.id"),
        Some(by(&res, "azurerm_subnet.endpoints").id())
    );
    assert_eq!(
        s(
            pe,
            "properties.privateLinkServiceConnections[0].properties.privateLinkServiceId"
        ),
        Some(site.id())
    );

    // The backend URL is built from the site's host name: not known, but it names the site.
    let backend = by(&res, "azurerm_api_management_backend.weather");
    let url = at(backend, "properties.url").expect("url");
    assert!(url.is_unknown());
    assert_eq!(url.refers_to(), Some("azurerm_linux_function_app.weather"));
    assert!(url
        .as_partial()
        .is_some_and(|p| p.literals().any(|l| l == "/runtime/webhooks/mcp")));

    let diag = by(&res, "azurerm_monitor_diagnostic_setting.env");
    assert_eq!(
        diag.id(),
        format!(
            "{}/providers/Microsoft.Insights/diagnosticSettings/diag-cae",
            by(&res, "azurerm_container_app_environment.mcp").id()
        )
    );
}

#[test]
fn azapi_bodies_are_arm_documents() {
    let res = source();
    // An MCP API under the azurerm service, and its policy under it: ids three deep.
    let api = by(&res, "azapi_resource.weather_mcp");
    assert_eq!(api.arm_type(), "Microsoft.ApiManagement/service/apis");
    let apim = by(&res, "azurerm_api_management.gw");
    assert_eq!(api.id(), format!("{}/apis/weather-mcp", apim.id()));
    assert_eq!(s(api, "properties.type"), Some("mcp"));
    assert_eq!(
        s(api, "properties.mcpProperties.transportType"),
        Some("streamable")
    );
    assert_eq!(s(api, "properties.backendId"), Some("weather-func"));
    assert!(at(api, "properties.description").is_none(), "nulls dropped");
    let policy = by(&res, "azapi_resource.weather_mcp_policy");
    assert_eq!(policy.id(), format!("{}/policies/policy", api.id()));
    assert_eq!(
        policy.arm_type(),
        "Microsoft.ApiManagement/service/apis/policies"
    );

    // A container app whose environment is another azapi resource.
    let env = by(&res, "azapi_resource.env");
    assert_eq!(
        env.id(),
        format!(
            "{}/providers/Microsoft.App/managedEnvironments/cae-azapi",
            rg_id()
        )
    );
    let app = by(&res, "azapi_resource.files");
    assert_eq!(app.arm_type(), "Microsoft.App/containerApps");
    assert_eq!(s(app, "properties.managedEnvironmentId"), Some(env.id()));
    assert_eq!(s(app, "location"), Some("westeurope"));
    assert_eq!(s(app, "tags.team"), Some("platform"));
    assert_eq!(s(app, "identity.type"), Some("UserAssigned"));
    assert_eq!(
        s(
            app,
            "properties.configuration.registries[0].passwordSecretRef"
        ),
        Some("acr-password")
    );

    // azapi 1.x: `jsonencode(...)` is parsed; an update merges into its target.
    let site = by(&res, "azapi_resource.legacy_site");
    assert_eq!(s(site, "kind"), Some("app,linux"));
    assert_eq!(
        s(site, "properties.siteConfig.linuxFxVersion"),
        Some("DOCKER|ghcr.io/contoso/mcp-legacy:2")
    );
    assert_eq!(
        at(site, "properties.vnetRouteAllEnabled"),
        Some(&Value::Bool(true))
    );
    assert!(
        !res.iter()
            .any(|r| r.address == "azapi_update_resource.legacy_route_all"),
        "an update of a resource in the input is merged into it"
    );
    // An update of what always exists is that resource.
    let auth = by(&res, "azapi_update_resource.legacy_auth");
    assert_eq!(auth.arm_type(), "Microsoft.Web/sites/config");
    assert_eq!(auth.id(), format!("{}/config/authsettingsV2", site.id()));
    assert_eq!(
        s(
            auth,
            "properties.globalValidation.unauthenticatedClientAction"
        ),
        Some("Return403")
    );
}

/// A plan of azapi resources as Terraform writes it: `body` is a dynamic
/// value whose unknown parts are in `after_unknown`, and its references are
/// listed together for the whole body.
const PLAN: &str = r#"{
  "format_version": "1.2", "terraform_version": "1.9.5",
  "planned_values": {"root_module": {"resources": [
    {"address": "azurerm_resource_group.mcp", "mode": "managed", "type": "azurerm_resource_group", "name": "mcp",
     "values": {"name": "rg-mcp", "location": "westeurope"}, "sensitive_values": {}},
    {"address": "azurerm_subnet.aca", "mode": "managed", "type": "azurerm_subnet", "name": "aca",
     "values": {"name": "snet-aca", "resource_group_name": "rg-mcp", "virtual_network_name": "vnet-mcp",
                "address_prefixes": ["10.50.0.0/23"]}, "sensitive_values": {}},
    {"address": "azapi_resource.env", "mode": "managed", "type": "azapi_resource", "name": "env",
     "values": {"type": "Microsoft.App/managedEnvironments@2025-01-01", "name": "cae-mcp", "location": "westeurope",
                "body": {"properties": {"vnetConfiguration": {"internal": true}}}},
     "sensitive_values": {"body": {}}},
    {"address": "azapi_resource.app", "mode": "managed", "type": "azapi_resource", "name": "app",
     "values": {"type": "Microsoft.App/containerApps@2025-01-01", "name": "ca-mcp-github", "location": "westeurope",
                "body": {"properties": {"configuration": {"ingress": {"external": false}},
                                        "template": {"containers": [{"name": "mcp-github", "image": "myacr.azurecr.io/mcp-github:1"}]}}},
                "sensitive_body": {"properties": {"configuration": {"secrets": [{"name": "token", "value": "s3cr3t-not-real"}]}}}},
     "sensitive_values": {"body": {}, "sensitive_body": true}}
  ]}},
  "resource_changes": [
    {"address": "azapi_resource.env", "mode": "managed", "type": "azapi_resource", "name": "env",
     "change": {"actions": ["create"], "before": null,
       "after": {"type": "Microsoft.App/managedEnvironments@2025-01-01", "name": "cae-mcp", "location": "westeurope",
                 "body": {"properties": {"vnetConfiguration": {"internal": true}}}},
       "after_unknown": {"id": true, "parent_id": true, "body": {"properties": {"vnetConfiguration": {"infrastructureSubnetId": true}}}},
       "after_sensitive": {"body": {}}}},
    {"address": "azapi_resource.app", "mode": "managed", "type": "azapi_resource", "name": "app",
     "change": {"actions": ["create"], "before": null,
       "after": {"type": "Microsoft.App/containerApps@2025-01-01", "name": "ca-mcp-github", "location": "westeurope",
                 "body": {"properties": {"configuration": {"ingress": {"external": false}},
                                         "template": {"containers": [{"name": "mcp-github", "image": "myacr.azurecr.io/mcp-github:1"}]}}},
                 "sensitive_body": {"properties": {"configuration": {"secrets": [{"name": "token", "value": "s3cr3t-not-real"}]}}}},
       "after_unknown": {"id": true, "parent_id": true, "body": {"properties": {"managedEnvironmentId": true}}},
       "after_sensitive": {"body": {}, "sensitive_body": true}}}
  ],
  "configuration": {"root_module": {"resources": [
    {"address": "azapi_resource.env", "mode": "managed", "type": "azapi_resource", "name": "env",
     "expressions": {"parent_id": {"references": ["azurerm_resource_group.mcp.id", "azurerm_resource_group.mcp"]},
                     "body": {"references": ["azurerm_subnet.aca.id", "azurerm_subnet.aca"]}}},
    {"address": "azapi_resource.app", "mode": "managed", "type": "azapi_resource", "name": "app",
     "expressions": {"parent_id": {"references": ["azurerm_resource_group.mcp.id", "azurerm_resource_group.mcp"]},
                     "body": {"references": ["azapi_resource.env.id", "azapi_resource.env", "azurerm_subnet.aca.name", "azurerm_subnet.aca"]}}}
  ]}}
}"#;

#[test]
fn a_plan_links_the_unknown_ids_of_a_body_to_what_its_keys_name() {
    let model = mcpguard::load::plan::load("plan.json", PLAN).expect("plan loads");
    let res = translate(model, InputKind::Plan).0;
    let env = by(&res, "azapi_resource.env");
    // No subscription in the plan: the id is known but for it.
    assert_eq!(
        env.display_id(),
        "/subscriptions/{unknown}/resourceGroups/rg-mcp/providers/Microsoft.App/managedEnvironments/cae-mcp"
    );
    let subnet = by(&res, "azurerm_subnet.aca");
    let sub_id = at(env, "properties.vnetConfiguration.infrastructureSubnetId").expect("subnet id");
    assert_eq!(sub_id.refers_to(), Some("azurerm_subnet.aca"));
    assert_eq!(Some(sub_id), subnet.doc.get("id"));
    let app = by(&res, "azapi_resource.app");
    // The body references a subnet and the environment; the key names the environment.
    let env_id = at(app, "properties.managedEnvironmentId").expect("environment id");
    assert_eq!(env_id.refers_to(), Some("azapi_resource.env"));
    // sensitive_body merges in and stays secret.
    let secret = Path::parse("properties.configuration.secrets[0].value");
    assert_eq!(
        at(app, "properties.configuration.secrets[0].name").and_then(Value::as_str),
        Some("token")
    );
    assert!(app.sensitive.covering(&secret).is_some());
    assert_eq!(
        at(app, "properties.configuration.ingress.external"),
        Some(&Value::Bool(false))
    );
}

/// ARM documents of the new types get ARM's spelling (Resource Graph lower-
/// cases types, exports PascalCase property names), except the names of app
/// settings, which the user chose.
#[test]
fn arm_snapshots_know_the_host_types() {
    let text = serde_json::json!([
        {"id": format!("{}/providers/Microsoft.App/containerApps/ca", rg_id()),
         "type": "microsoft.app/containerapps", "name": "ca",
         "Properties": {"ManagedEnvironmentId": format!("{}/providers/Microsoft.App/managedEnvironments/cae", rg_id()),
                        "Configuration": {"Ingress": {"External": true}},
                        "Template": {"Containers": [{"Name": "mcp", "Image": "acr.io/mcp-x:1", "Env": [{"Name": "A", "SecretRef": "a"}]}]}}},
        {"id": format!("{}/providers/Microsoft.Web/sites/func/config/appsettings", rg_id()),
         "type": "Microsoft.Web/sites/config", "name": "appsettings",
         "properties": {"Url": "https://x", "MCP_SERVER_NAME": "weather"}},
        {"id": format!("{}/providers/Microsoft.ApiManagement/service/apim/apis/weather-mcp", rg_id()),
         "type": "Microsoft.ApiManagement/service/apis", "name": "weather-mcp",
         "properties": {"type": "mcp", "BackendId": "weather", "McpProperties": {"TransportType": "streamable"}}}
    ])
    .to_string();
    let out = mcpguard::load::arm::load("snapshot.json", &text).expect("loads");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let app = &out.resources[0];
    assert_eq!(app.arm_type(), "Microsoft.App/containerApps");
    assert_eq!(
        at(app, "properties.configuration.ingress.external"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        s(app, "properties.template.containers[0].env[0].secretRef"),
        Some("a")
    );
    let settings = &out.resources[1];
    assert_eq!(s(settings, "properties.Url"), Some("https://x"));
    assert_eq!(s(settings, "properties.MCP_SERVER_NAME"), Some("weather"));
    let api = &out.resources[2];
    assert_eq!(
        s(api, "properties.mcpProperties.transportType"),
        Some("streamable")
    );
    assert_eq!(s(api, "properties.backendId"), Some("weather"));
}

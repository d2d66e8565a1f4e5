//! `azurerm_container_app` → `Microsoft.App/containerApps`, and
//! `azurerm_container_app_environment` → `Microsoft.App/managedEnvironments`.
//!
//! A container app runs in an environment: the environment holds the network
//! (`vnetConfiguration`: the infrastructure subnet, the internal load
//! balancer) and the log destination; the app holds its containers, ingress,
//! registries, secrets and identity.

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec, COMMON, IDENTITY};
use crate::inventory::{types, Path, Unknown, Value};

const ENV: &[Field] = &[
    plain("name", "name"),
    plain("value", "value"),
    plain("secret_name", "secretRef"),
];

const CONTAINER: &[Field] = &[
    plain("name", "name"),
    plain("image", "image"),
    f("command", "command", Conv::NonEmpty),
    f("args", "args", Conv::NonEmpty),
    plain("cpu", "resources.cpu"),
    plain("memory", "resources.memory"),
    f("env", "env", Conv::Blocks(ENV)),
];

const REGISTRY: &[Field] = &[
    plain("server", "server"),
    f("identity", "identity", Conv::Id),
    plain("username", "username"),
    plain("password_secret_name", "passwordSecretRef"),
];

const SECRET: &[Field] = &[
    plain("name", "name"),
    f("value", "value", Conv::Secret),
    f("identity", "identity", Conv::Id),
    plain("key_vault_secret_id", "keyVaultUrl"),
];

const IP_RESTRICTION: &[Field] = &[
    plain("name", "name"),
    plain("action", "action"),
    plain("ip_address_range", "ipAddressRange"),
    plain("description", "description"),
];

const APP: &[Field] = &[
    f(
        "container_app_environment_id",
        "properties.managedEnvironmentId",
        Conv::Id,
    ),
    f(
        "container_app_environment_id",
        "properties.environmentId",
        Conv::Id,
    ),
    plain("workload_profile_name", "properties.workloadProfileName"),
    plain(
        "revision_mode",
        "properties.configuration.activeRevisionsMode",
    ),
    plain(
        "max_inactive_revisions",
        "properties.configuration.maxInactiveRevisions",
    ),
    plain(
        "ingress.0.external_enabled",
        "properties.configuration.ingress.external",
    ),
    plain(
        "ingress.0.target_port",
        "properties.configuration.ingress.targetPort",
    ),
    plain(
        "ingress.0.exposed_port",
        "properties.configuration.ingress.exposedPort",
    ),
    plain(
        "ingress.0.transport",
        "properties.configuration.ingress.transport",
    ),
    plain(
        "ingress.0.allow_insecure_connections",
        "properties.configuration.ingress.allowInsecure",
    ),
    plain(
        "ingress.0.client_certificate_mode",
        "properties.configuration.ingress.clientCertificateMode",
    ),
    plain("ingress.0.fqdn", "properties.configuration.ingress.fqdn"),
    f(
        "ingress.0.ip_security_restriction",
        "properties.configuration.ingress.ipSecurityRestrictions",
        Conv::Blocks(IP_RESTRICTION),
    ),
    f(
        "registry",
        "properties.configuration.registries",
        Conv::Blocks(REGISTRY),
    ),
    f(
        "secret",
        "properties.configuration.secrets",
        Conv::Blocks(SECRET),
    ),
    f(
        "template.0.container",
        "properties.template.containers",
        Conv::Blocks(CONTAINER),
    ),
    f(
        "template.0.init_container",
        "properties.template.initContainers",
        Conv::Blocks(CONTAINER),
    ),
    plain(
        "template.0.min_replicas",
        "properties.template.scale.minReplicas",
    ),
    plain(
        "template.0.max_replicas",
        "properties.template.scale.maxReplicas",
    ),
    plain(
        "template.0.revision_suffix",
        "properties.template.revisionSuffix",
    ),
    plain("latest_revision_fqdn", "properties.latestRevisionFqdn"),
];

/// The app's own fields (no `location`: azurerm takes the environment's).
const APP_COMMON: &[Field] = &[plain("name", "name"), plain("tags", "tags")];

pub const APP_SPEC: Spec = Spec {
    tf_type: "azurerm_container_app",
    arm_type: types::CONTAINER_APP,
    id: IdSpec::Group("Microsoft.App/containerApps/{name}"),
    fields: &[APP_COMMON, IDENTITY, APP],
    finish: Some(finish_app),
};

/// A secret's value is never printed; secrets from Key Vault have none.
fn finish_app(b: &mut Builder<'_>) {
    let n = b
        .get("secret")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    for i in 0..n {
        let p = Path::parse("properties.configuration.secrets")
            .index(i)
            .key("value");
        if b.at(&p).is_some() {
            b.mark_sensitive(p);
        }
    }
}

const ENVIRONMENT: &[Field] = &[
    f(
        "infrastructure_subnet_id",
        "properties.vnetConfiguration.infrastructureSubnetId",
        Conv::Id,
    ),
    plain(
        "infrastructure_resource_group_name",
        "properties.infrastructureResourceGroup",
    ),
    plain("zone_redundancy_enabled", "properties.zoneRedundant"),
    plain("public_network_access", "properties.publicNetworkAccess"),
    plain(
        "mutual_tls_enabled",
        "properties.peerAuthentication.mtls.enabled",
    ),
    f(
        "workload_profile",
        "properties.workloadProfiles",
        Conv::Blocks(WORKLOAD_PROFILE),
    ),
    plain("default_domain", "properties.defaultDomain"),
    plain("static_ip_address", "properties.staticIp"),
];

const WORKLOAD_PROFILE: &[Field] = &[
    plain("name", "name"),
    plain("workload_profile_type", "workloadProfileType"),
    plain("minimum_count", "minimumCount"),
    plain("maximum_count", "maximumCount"),
];

pub const ENVIRONMENT_SPEC: Spec = Spec {
    tf_type: "azurerm_container_app_environment",
    arm_type: types::MANAGED_ENVIRONMENT,
    id: IdSpec::Group("Microsoft.App/managedEnvironments/{name}"),
    fields: &[COMMON, IDENTITY, ENVIRONMENT],
    finish: Some(finish_environment),
};

/// `internal_load_balancer_enabled` is `vnetConfiguration.internal`, which
/// ARM shows only for an environment in a VNet (azurerm requires the subnet
/// for it). The log destination: `logs_destination`, or `log-analytics`
/// when a workspace is given (azurerm 3.x has only the workspace).
fn finish_environment(b: &mut Builder<'_>) {
    let vnet = Path::parse("properties.vnetConfiguration");
    if b.at(&vnet).is_some() {
        let internal = vnet.key("internal");
        let v = b
            .get("internal_load_balancer_enabled")
            .cloned()
            .unwrap_or(Value::Bool(false));
        b.put(&internal, v);
    }
    let logs = Path::parse("properties.appLogsConfiguration");
    let workspace = b.get("log_analytics_workspace_id").cloned();
    let destination = match b.get("logs_destination") {
        Some(v) if v.is_unknown() => Some(v.clone()),
        Some(Value::String(s)) if !s.is_empty() => Some(Value::String(s.clone())),
        _ => workspace.as_ref().map(|_| Value::from("log-analytics")),
    };
    if let Some(d) = destination {
        b.put(&logs.key("destination"), d);
    }
    if let Some(w) = workspace {
        // ARM holds the workspace's customer id, which the workspace resource
        // knows; the configuration names the workspace, so it is present.
        let customer = logs.key("logAnalyticsConfiguration").key("customerId");
        let v = match w {
            Value::String(_) => Unknown::present(),
            other => other,
        };
        b.put(&customer, v);
    }
}

//! Function apps and web apps → `Microsoft.Web/sites`: `azurerm_linux_web_app`,
//! `azurerm_windows_web_app`, `azurerm_linux_function_app`,
//! `azurerm_windows_function_app` and `azurerm_function_app_flex_consumption`.
//! ARM tells them apart by `kind` (`app,linux`, `functionapp`, …).
//!
//! The site config (`site_config`, `app_settings`, `connection_string`) is the
//! site's `properties.siteConfig`, as ARM takes it inline. Easy Auth
//! (`auth_settings_v2`) is a resource of its own in ARM,
//! `Microsoft.Web/sites/config` named `authsettingsV2`: the translation gives
//! it as a child resource (address `<site>.auth_settings_v2`).

use serde_json::json;

use super::table::{
    f, id_with_suffix, join_strings, plain, Builder, Conv, Field, IdSpec, Spec, COMMON, IDENTITY,
};
use crate::inventory::{types, Path, Value};

const IP_RESTRICTION: &[Field] = &[
    plain("name", "name"),
    plain("action", "action"),
    plain("priority", "priority"),
    plain("ip_address", "ipAddress"),
    plain("service_tag", "tag"),
    f(
        "virtual_network_subnet_id",
        "vnetSubnetResourceId",
        Conv::Id,
    ),
];

const CONNECTION_STRING: &[Field] = &[
    plain("name", "name"),
    plain("type", "type"),
    f("value", "connectionString", Conv::Secret),
];

const SITE: &[Field] = &[
    f("service_plan_id", "properties.serverFarmId", Conv::Id),
    f("enabled", "properties.enabled", Conv::DefaultBool(true)),
    plain("https_only", "properties.httpsOnly"),
    f(
        "public_network_access_enabled",
        "properties.publicNetworkAccess",
        Conv::Choice("Enabled", "Disabled", Some(true)),
    ),
    f(
        "virtual_network_subnet_id",
        "properties.virtualNetworkSubnetId",
        Conv::Id,
    ),
    plain("vnet_image_pull_enabled", "properties.vnetImagePullEnabled"),
    plain(
        "site_config.0.vnet_route_all_enabled",
        "properties.vnetRouteAllEnabled",
    ),
    plain(
        "site_config.0.vnet_route_all_enabled",
        "properties.siteConfig.vnetRouteAllEnabled",
    ),
    plain("client_certificate_enabled", "properties.clientCertEnabled"),
    plain("client_certificate_mode", "properties.clientCertMode"),
    f(
        "key_vault_reference_identity_id",
        "properties.keyVaultReferenceIdentity",
        Conv::Id,
    ),
    plain("default_hostname", "properties.defaultHostName"),
    plain(
        "site_config.0.minimum_tls_version",
        "properties.siteConfig.minTlsVersion",
    ),
    plain(
        "site_config.0.ftps_state",
        "properties.siteConfig.ftpsState",
    ),
    plain(
        "site_config.0.http2_enabled",
        "properties.siteConfig.http20Enabled",
    ),
    plain("site_config.0.always_on", "properties.siteConfig.alwaysOn"),
    plain(
        "site_config.0.ip_restriction_default_action",
        "properties.siteConfig.ipSecurityRestrictionsDefaultAction",
    ),
    f(
        "site_config.0.ip_restriction",
        "properties.siteConfig.ipSecurityRestrictions",
        Conv::Blocks(IP_RESTRICTION),
    ),
    plain(
        "site_config.0.container_registry_use_managed_identity",
        "properties.siteConfig.acrUseManagedIdentityCreds",
    ),
    plain(
        "site_config.0.container_registry_managed_identity_client_id",
        "properties.siteConfig.acrUserManagedIdentityID",
    ),
    f(
        "app_settings",
        "properties.siteConfig.appSettings",
        Conv::NameValue("value"),
    ),
    f(
        "connection_string",
        "properties.siteConfig.connectionStrings",
        Conv::Blocks(CONNECTION_STRING),
    ),
];

/// Flex Consumption's own settings (`functionAppConfig`).
const FLEX: &[Field] = &[
    plain(
        "runtime_name",
        "properties.functionAppConfig.runtime.name",
    ),
    plain(
        "runtime_version",
        "properties.functionAppConfig.runtime.version",
    ),
    plain(
        "storage_container_type",
        "properties.functionAppConfig.deployment.storage.type",
    ),
    plain(
        "storage_container_endpoint",
        "properties.functionAppConfig.deployment.storage.value",
    ),
    plain(
        "storage_authentication_type",
        "properties.functionAppConfig.deployment.storage.authentication.type",
    ),
    f(
        "storage_user_assigned_identity_id",
        "properties.functionAppConfig.deployment.storage.authentication.userAssignedIdentityResourceId",
        Conv::Id,
    ),
    plain(
        "maximum_instance_count",
        "properties.functionAppConfig.scaleAndConcurrency.maximumInstanceCount",
    ),
    plain(
        "instance_memory_in_mb",
        "properties.functionAppConfig.scaleAndConcurrency.instanceMemoryMB",
    ),
];

const ID: IdSpec = IdSpec::Group("Microsoft.Web/sites/{name}");

pub const LINUX_WEB: Spec = Spec {
    tf_type: "azurerm_linux_web_app",
    arm_type: types::SITE,
    id: ID,
    fields: &[COMMON, IDENTITY, SITE],
    finish: Some(linux_web),
};

pub const WINDOWS_WEB: Spec = Spec {
    tf_type: "azurerm_windows_web_app",
    arm_type: types::SITE,
    id: ID,
    fields: &[COMMON, IDENTITY, SITE],
    finish: Some(windows_web),
};

pub const LINUX_FUNCTION: Spec = Spec {
    tf_type: "azurerm_linux_function_app",
    arm_type: types::SITE,
    id: ID,
    fields: &[COMMON, IDENTITY, SITE],
    finish: Some(linux_function),
};

pub const WINDOWS_FUNCTION: Spec = Spec {
    tf_type: "azurerm_windows_function_app",
    arm_type: types::SITE,
    id: ID,
    fields: &[COMMON, IDENTITY, SITE],
    finish: Some(windows_function),
};

pub const FLEX_CONSUMPTION: Spec = Spec {
    tf_type: "azurerm_function_app_flex_consumption",
    arm_type: types::SITE,
    id: ID,
    fields: &[COMMON, IDENTITY, SITE, FLEX],
    finish: Some(linux_function),
};

fn linux_web(b: &mut Builder<'_>) {
    finish(b, "app,linux");
}
fn windows_web(b: &mut Builder<'_>) {
    finish(b, "app");
}
fn linux_function(b: &mut Builder<'_>) {
    finish(b, "functionapp,linux");
}
fn windows_function(b: &mut Builder<'_>) {
    finish(b, "functionapp");
}

fn finish(b: &mut Builder<'_>, kind: &str) {
    b.put(&Path::parse("kind"), json!(kind));
    linux_fx_version(b);
    functions_version(b);
    if b.get("auth_settings_v2")
        .is_some_and(|v| v.is_unknown() || v.as_array().is_some_and(|a| !a.is_empty()))
    {
        auth_settings(b);
    }
}

/// A container site's image, as ARM spells it: `DOCKER|registry/image:tag`.
/// Web apps give `docker_image_name` (with its tag) and `docker_registry_url`;
/// function apps a `docker` block with `registry_url`, `image_name`, `image_tag`.
fn linux_fx_version(b: &mut Builder<'_>) {
    let stack = "site_config.0.application_stack.0";
    let strip = |v: &Value| match v {
        Value::String(s) => Value::String(
            s.trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_string(),
        ),
        other => other.clone(),
    };
    let docker = |attr: &str| b.get(&format!("{stack}.docker.0.{attr}")).cloned();
    let fx = if let Some(image) = b.get(&format!("{stack}.docker_image_name")).cloned() {
        let registry = b.get(&format!("{stack}.docker_registry_url")).map(strip);
        match registry {
            Some(r) => join_strings(&[&Value::from("DOCKER|"), &r, &Value::from("/"), &image]),
            None => join_strings(&[&Value::from("DOCKER|"), &image]),
        }
    } else if let Some(image) = docker("image_name") {
        let registry = docker("registry_url").map(|r| strip(&r));
        let tag = docker("image_tag");
        let mut parts: Vec<Value> = vec![Value::from("DOCKER|")];
        if let Some(r) = registry {
            parts.extend([r, Value::from("/")]);
        }
        parts.push(image);
        if let Some(t) = tag {
            parts.extend([Value::from(":"), t]);
        }
        join_strings(&parts.iter().collect::<Vec<_>>())
    } else {
        None
    };
    if let Some(v) = fx {
        b.put(&Path::parse("properties.siteConfig.linuxFxVersion"), v);
    }
}

/// `functions_extension_version` is the `FUNCTIONS_EXTENSION_VERSION` app setting.
fn functions_version(b: &mut Builder<'_>) {
    let Some(v) = b.get("functions_extension_version").cloned() else {
        return;
    };
    let path = Path::parse("properties.siteConfig.appSettings");
    let mut arr = b
        .at(&path)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if arr
        .iter()
        .any(|s| s.get("name") == Some(&Value::from("FUNCTIONS_EXTENSION_VERSION")))
    {
        return;
    }
    arr.push(Value::from(json!({"name": "FUNCTIONS_EXTENSION_VERSION"})));
    if let Some(last) = arr.last_mut() {
        last["value"] = v;
    }
    b.put(&path, Value::Array(arr));
}

const AAD: &str = "properties.identityProviders.azureActiveDirectory";

const AUTH: &[Field] = &[
    f(
        "auth_enabled",
        "properties.platform.enabled",
        Conv::DefaultBool(false),
    ),
    plain("runtime_version", "properties.platform.runtimeVersion"),
    plain(
        "require_authentication",
        "properties.globalValidation.requireAuthentication",
    ),
    f(
        "unauthenticated_action",
        "properties.globalValidation.unauthenticatedClientAction",
        Conv::DefaultStr("RedirectToLoginPage"),
    ),
    plain(
        "default_provider",
        "properties.globalValidation.redirectToProvider",
    ),
    f(
        "excluded_paths",
        "properties.globalValidation.excludedPaths",
        Conv::NonEmpty,
    ),
    f(
        "require_https",
        "properties.httpSettings.requireHttps",
        Conv::DefaultBool(true),
    ),
    plain(
        "login.0.token_store_enabled",
        "properties.login.tokenStore.enabled",
    ),
];

const AAD_FIELDS: &[Field] = &[
    plain("client_id", "registration.clientId"),
    plain("tenant_auth_endpoint", "registration.openIdIssuer"),
    plain(
        "client_secret_setting_name",
        "registration.clientSecretSettingName",
    ),
    f(
        "allowed_audiences",
        "validation.allowedAudiences",
        Conv::NonEmpty,
    ),
    f(
        "allowed_applications",
        "validation.defaultAuthorizationPolicy.allowedApplications",
        Conv::NonEmpty,
    ),
    f(
        "jwt_allowed_client_applications",
        "validation.jwtClaimChecks.allowedClientApplications",
        Conv::NonEmpty,
    ),
    f(
        "jwt_allowed_groups",
        "validation.jwtClaimChecks.allowedGroups",
        Conv::NonEmpty,
    ),
];

/// `auth_settings_v2` → the site's `config/authsettingsV2`, as ARM returns it.
fn auth_settings(b: &mut Builder<'_>) {
    let parent = b.id.clone();
    b.child(".auth_settings_v2", |b| {
        let me = format!("{}.auth_settings_v2", b.tf.address);
        let id = id_with_suffix(&parent, "/config/authsettingsV2", &me).unwrap_or_default();
        b.put(&Path::parse("id"), id);
        b.put(&Path::parse("name"), json!("authsettingsV2"));
        b.put(&Path::parse("type"), json!(types::SITE_CONFIG));
        let base = "auth_settings_v2.0";
        if b.is_unknown(base) || b.is_unknown("auth_settings_v2") {
            b.mark_unknown(Path::parse("properties"));
            return;
        }
        b.apply(AUTH, base, &Path::root());
        let aad = format!("{base}.active_directory_v2");
        if b.get(&aad)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            let arm = Path::parse(AAD);
            b.put(&arm.key("enabled"), true);
            b.apply(AAD_FIELDS, &format!("{aad}.0"), &arm);
        }
    });
}

//! `azurerm_api_management` → `Microsoft.ApiManagement/service` (reference §11),
//! `azurerm_api_management_api_policy` and `azurerm_api_management_policy` (§12).

use serde_json::json;

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec, COMMON, IDENTITY};
use crate::inventory::{types, Path, Value};

const FIELDS: &[Field] = &[
    plain("zones", "zones"),
    f(
        "virtual_network_type",
        "properties.virtualNetworkType",
        Conv::DefaultStr("None"),
    ),
    f(
        "virtual_network_configuration.0.subnet_id",
        "properties.virtualNetworkConfiguration.subnetResourceId",
        Conv::Id,
    ),
    f(
        "public_network_access_enabled",
        "properties.publicNetworkAccess",
        Conv::Choice("Enabled", "Disabled", Some(true)),
    ),
    f(
        "public_ip_address_id",
        "properties.publicIpAddressId",
        Conv::Id,
    ),
    plain(
        "min_api_version",
        "properties.apiVersionConstraint.minApiVersion",
    ),
    plain(
        "client_certificate_enabled",
        "properties.enableClientCertificate",
    ),
    plain("gateway_disabled", "properties.disableGateway"),
    plain("publisher_name", "properties.publisherName"),
    plain("publisher_email", "properties.publisherEmail"),
];

pub const SERVICE: Spec = Spec {
    tf_type: "azurerm_api_management",
    arm_type: types::API_MANAGEMENT,
    id: IdSpec::Group("Microsoft.ApiManagement/service/{name}"),
    fields: &[COMMON, IDENTITY, FIELDS],
    finish: Some(finish_service),
};

const GW: &str = "Microsoft.WindowsAzure.ApiManagement.Gateway.";

/// `security` / `protocols` booleans (v4/v5 name, v3 name) → `customProperties` keys.
const CUSTOM_PROPERTIES: &[(&str, &str, &str)] = &[
    (
        "security.0.backend_ssl30_enabled",
        "security.0.enable_backend_ssl30",
        "Security.Backend.Protocols.Ssl30",
    ),
    (
        "security.0.backend_tls10_enabled",
        "security.0.enable_backend_tls10",
        "Security.Backend.Protocols.Tls10",
    ),
    (
        "security.0.backend_tls11_enabled",
        "security.0.enable_backend_tls11",
        "Security.Backend.Protocols.Tls11",
    ),
    (
        "security.0.frontend_ssl30_enabled",
        "security.0.enable_frontend_ssl30",
        "Security.Protocols.Ssl30",
    ),
    (
        "security.0.frontend_tls10_enabled",
        "security.0.enable_frontend_tls10",
        "Security.Protocols.Tls10",
    ),
    (
        "security.0.frontend_tls11_enabled",
        "security.0.enable_frontend_tls11",
        "Security.Protocols.Tls11",
    ),
    (
        "security.0.triple_des_ciphers_enabled",
        "security.0.enable_triple_des_ciphers",
        "Security.Ciphers.TripleDes168",
    ),
    (
        "protocols.0.http2_enabled",
        "protocols.0.enable_http2",
        "Protocols.Server.Http2",
    ),
];

fn finish_service(b: &mut Builder<'_>) {
    // `sku_name` = "<Name>_<capacity>".
    if b.is_unknown("sku_name") {
        b.mark_unknown(Path::parse("sku.name"));
    } else if let Some(sku) = b.str("sku_name") {
        let (name, cap) = sku.split_once('_').unwrap_or((sku, ""));
        b.put(&Path::parse("sku.name"), json!(name));
        if let Ok(c) = cap.parse::<u64>() {
            b.put(&Path::parse("sku.capacity"), json!(c));
        }
    }
    let vnet_type = b
        .at(&Path::parse("properties.virtualNetworkType"))
        .and_then(Value::as_str)
        .unwrap_or("None");
    if vnet_type.eq_ignore_ascii_case("None") {
        b.doc
            .take(&Path::parse("properties.virtualNetworkConfiguration"));
    }
    let mut custom = crate::inventory::value::Map::new();
    for (tf, old, key) in CUSTOM_PROPERTIES {
        if let Some(v) = b.get(tf).or_else(|| b.get(old)).and_then(Value::as_bool) {
            custom.insert(format!("{GW}{key}"), Value::String(v.to_string()));
        }
    }
    if !custom.is_empty() {
        b.put(
            &Path::parse("properties.customProperties"),
            Value::Object(custom),
        );
    }
}

const POLICY_FIELDS: &[Field] = &[];

pub const API_POLICY: Spec = Spec {
    tf_type: "azurerm_api_management_api_policy",
    arm_type: types::APIM_API_POLICY,
    id: IdSpec::Group(
        "Microsoft.ApiManagement/service/{api_management_name}/apis/{api_name}/policies/policy",
    ),
    fields: &[POLICY_FIELDS],
    finish: Some(finish_policy),
};

fn service_policy_id(b: &Builder<'_>) -> Option<Value> {
    b.child_id(&b.id_of("api_management_id")?, "/policies/policy")
}

pub const POLICY: Spec = Spec {
    tf_type: "azurerm_api_management_policy",
    arm_type: types::APIM_POLICY,
    id: IdSpec::Custom(service_policy_id),
    fields: &[POLICY_FIELDS],
    finish: Some(finish_policy),
};

/// `xml_content` → `rawxml`, `xml_link` → `rawxml-link`; the name is always `policy`.
fn finish_policy(b: &mut Builder<'_>) {
    b.put(&Path::parse("name"), json!("policy"));
    let value = Path::parse("properties.value");
    for (tf, format) in [("xml_content", "rawxml"), ("xml_link", "rawxml-link")] {
        if b.is_unknown(tf) {
            b.mark_unknown(value.clone());
            b.put(&Path::parse("properties.format"), json!(format));
            return;
        }
        if let Some(x) = b.str(tf) {
            let x = x.to_string();
            b.put(&value, json!(x));
            b.put(&Path::parse("properties.format"), json!(format));
            if let Some(l) = b.tf.origin.attribute_lines.get(tf) {
                b.lines.insert(value.to_string(), *l);
            }
            return;
        }
    }
}

//! `azurerm_subnet` → `Microsoft.Network/virtualNetworks/subnets` (reference §5)
//! and `azurerm_subnet_network_security_group_association` (§6), which `fold`
//! merges into its subnet.

use serde_json::json;

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec};
use crate::inventory::{types, Path, Value};

const DELEGATION: &[Field] = &[
    plain("name", "name"),
    plain("service_delegation.0.name", "properties.serviceName"),
    plain("service_delegation.0.actions", "properties.actions"),
];

const SERVICE_ENDPOINT: &[Field] = &[
    plain("service", "service"),
    f("network_identifier", "networkIdentifier", Conv::IdObj),
];

const FIELDS: &[Field] = &[
    plain("name", "name"),
    plain("address_prefixes", "properties.addressPrefixes"),
    f(
        "default_outbound_access_enabled",
        "properties.defaultOutboundAccess",
        Conv::DefaultBool(true),
    ),
    // v4+: a string; v3: `private_endpoint_network_policies_enabled` (bool), read in `finish`.
    plain(
        "private_endpoint_network_policies",
        "properties.privateEndpointNetworkPolicies",
    ),
    f(
        "private_link_service_network_policies_enabled",
        "properties.privateLinkServiceNetworkPolicies",
        Conv::Choice("Enabled", "Disabled", Some(true)),
    ),
    f(
        "service_endpoint",
        "properties.serviceEndpoints",
        Conv::Blocks(SERVICE_ENDPOINT),
    ),
    f(
        "service_endpoint_policy_ids",
        "properties.serviceEndpointPolicies",
        Conv::IdObjs,
    ),
    f(
        "delegation",
        "properties.delegations",
        Conv::Blocks(DELEGATION),
    ),
    plain("sharing_scope", "properties.sharingScope"),
    // v5 write-only arguments (only `.tf` source has them) and the data source's attributes.
    f(
        "network_security_group_id_wo",
        "properties.networkSecurityGroup",
        Conv::IdObj,
    ),
    f(
        "network_security_group_id",
        "properties.networkSecurityGroup",
        Conv::IdObj,
    ),
    f("route_table_id_wo", "properties.routeTable", Conv::IdObj),
    f("route_table_id", "properties.routeTable", Conv::IdObj),
];

pub const SUBNET: Spec = Spec {
    tf_type: "azurerm_subnet",
    arm_type: types::SUBNET,
    id: IdSpec::Group("Microsoft.Network/virtualNetworks/{virtual_network_name}/subnets/{name}"),
    fields: &[FIELDS],
    finish: Some(finish_subnet),
};

fn finish_subnet(b: &mut Builder<'_>) {
    let props = Path::parse("properties");
    // One prefix: a GET may show the singular, so both are there.
    if let Some(Value::Array(a)) = b.at(&props.key("addressPrefixes")) {
        if a.len() == 1 {
            let p = a[0].clone();
            b.put(&props.key("addressPrefix"), p);
        }
    }
    if b.at(&props.key("privateEndpointNetworkPolicies")).is_none() {
        let v = match b
            .get("private_endpoint_network_policies_enabled")
            .and_then(Value::as_bool)
        {
            Some(true) => "Enabled",
            _ => "Disabled",
        };
        b.put(&props.key("privateEndpointNetworkPolicies"), json!(v));
    }
    // ≤ v4: `service_endpoints` is a list of service names.
    if b.at(&props.key("serviceEndpoints")).is_none() {
        if let Some(Value::Array(a)) = b.get("service_endpoints") {
            let eps: Vec<Value> = a
                .iter()
                .filter_map(Value::as_str)
                .map(|s| Value::from(json!({ "service": s })))
                .collect();
            b.put(&props.key("serviceEndpoints"), Value::Array(eps));
        }
    }
}

const ASSOCIATION_FIELDS: &[Field] = &[
    f("subnet_id", "properties.subnet", Conv::IdObj),
    f(
        "network_security_group_id",
        "properties.networkSecurityGroup",
        Conv::IdObj,
    ),
];

/// Folded into the subnet; never a resource of its own.
pub const ASSOCIATION: Spec = Spec {
    tf_type: "azurerm_subnet_network_security_group_association",
    arm_type: "terraform:azurerm_subnet_network_security_group_association",
    id: IdSpec::Custom(|_| None),
    fields: &[ASSOCIATION_FIELDS],
    finish: None,
};

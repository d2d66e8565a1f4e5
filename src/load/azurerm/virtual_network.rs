//! `azurerm_virtual_network` → `Microsoft.Network/virtualNetworks` (reference §7).
//! Standalone `azurerm_subnet`s are appended to `subnets` by `fold`.

use super::table::{f, plain, Conv, Field, IdSpec, Spec, COMMON};
use crate::inventory::types;

const INLINE_SUBNET: &[Field] = &[
    plain("name", "name"),
    plain("id", "id"),
    plain("address_prefixes", "properties.addressPrefixes"),
    plain("address_prefix", "properties.addressPrefix"),
    f(
        "security_group",
        "properties.networkSecurityGroup",
        Conv::IdObj,
    ),
    f("route_table_id", "properties.routeTable", Conv::IdObj),
    f(
        "default_outbound_access_enabled",
        "properties.defaultOutboundAccess",
        Conv::DefaultBool(true),
    ),
];

const FIELDS: &[Field] = &[
    plain("address_space", "properties.addressSpace.addressPrefixes"),
    plain("dns_servers", "properties.dhcpOptions.dnsServers"),
    f(
        "ddos_protection_plan.0.id",
        "properties.ddosProtectionPlan",
        Conv::IdObj,
    ),
    plain(
        "ddos_protection_plan.0.enable",
        "properties.enableDdosProtection",
    ),
    plain(
        "encryption.0.enforcement",
        "properties.encryption.enforcement",
    ),
    plain("flow_timeout_in_minutes", "properties.flowTimeoutInMinutes"),
    plain(
        "bgp_community",
        "properties.bgpCommunities.virtualNetworkCommunity",
    ),
    plain(
        "private_endpoint_vnet_policies",
        "properties.privateEndpointVNetPolicies",
    ),
    f("subnet", "properties.subnets", Conv::Blocks(INLINE_SUBNET)),
];

pub const SPEC: Spec = Spec {
    tf_type: "azurerm_virtual_network",
    arm_type: types::VNET,
    id: IdSpec::Group("Microsoft.Network/virtualNetworks/{name}"),
    fields: &[COMMON, FIELDS],
    finish: None,
};

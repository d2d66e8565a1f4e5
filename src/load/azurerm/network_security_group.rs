//! `azurerm_network_security_group` → `Microsoft.Network/networkSecurityGroups`
//! and `azurerm_network_security_rule` → `…/securityRules` (reference §2–4).
//! Standalone rules are folded into their NSG by `fold`.

use serde_json::{json, Value};

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec, COMMON};
use crate::inventory::{types, Path};

/// A rule: `name` outside, the rest under `properties` (§4.1). Unused
/// singulars are dropped, unused plurals are `[]`, as a GET shows them.
const RULE_FIELDS: &[Field] = &[
    plain("name", "name"),
    plain("description", "properties.description"),
    plain("priority", "properties.priority"),
    plain("direction", "properties.direction"),
    plain("access", "properties.access"),
    plain("protocol", "properties.protocol"),
    plain("source_port_range", "properties.sourcePortRange"),
    f(
        "source_port_ranges",
        "properties.sourcePortRanges",
        Conv::Plural,
    ),
    plain("destination_port_range", "properties.destinationPortRange"),
    f(
        "destination_port_ranges",
        "properties.destinationPortRanges",
        Conv::Plural,
    ),
    plain("source_address_prefix", "properties.sourceAddressPrefix"),
    f(
        "source_address_prefixes",
        "properties.sourceAddressPrefixes",
        Conv::Plural,
    ),
    plain(
        "destination_address_prefix",
        "properties.destinationAddressPrefix",
    ),
    f(
        "destination_address_prefixes",
        "properties.destinationAddressPrefixes",
        Conv::Plural,
    ),
    f(
        "source_application_security_group_ids",
        "properties.sourceApplicationSecurityGroups",
        Conv::IdObjs,
    ),
    f(
        "destination_application_security_group_ids",
        "properties.destinationApplicationSecurityGroups",
        Conv::IdObjs,
    ),
];

const NSG_FIELDS: &[Field] = &[f(
    "security_rule",
    "properties.securityRules",
    Conv::Blocks(RULE_FIELDS),
)];

pub const NSG: Spec = Spec {
    tf_type: "azurerm_network_security_group",
    arm_type: types::NSG,
    id: IdSpec::Group("Microsoft.Network/networkSecurityGroups/{name}"),
    fields: &[COMMON, NSG_FIELDS],
    finish: Some(finish_nsg),
};

pub const RULE: Spec = Spec {
    tf_type: "azurerm_network_security_rule",
    arm_type: types::NSG_RULE,
    id: IdSpec::Group("Microsoft.Network/networkSecurityGroups/{network_security_group_name}/securityRules/{name}"),
    fields: &[RULE_FIELDS],
    finish: None,
};

fn finish_nsg(b: &mut Builder<'_>) {
    let rules = Path::parse("properties.securityRules");
    // Inline rules carry their ids, as in a GET.
    let n = b.at(&rules).and_then(Value::as_array).map_or(0, Vec::len);
    for i in 0..n {
        let name = b
            .at(&rules.index(i).key("name"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(name) = name {
            let id = format!("{}/securityRules/{name}", b.id);
            b.put(&rules.index(i).key("id"), Value::String(id));
        }
    }
    if b.at(&rules).is_none() && !b.unknown.contains(&rules) {
        b.put(&rules, json!([]));
    }
    // The six platform rules, one table for every reader (`inventory::nsg`).
    let defaults = crate::inventory::nsg::default_rules(&b.id);
    b.put(
        &Path::parse("properties.defaultSecurityRules"),
        Value::Array(defaults),
    );
}

//! `azurerm_network_security_group` → `Microsoft.Network/networkSecurityGroups`
//! and `azurerm_network_security_rule` → `…/securityRules` (reference §2–4).
//! Standalone rules are folded into their NSG by `fold`.

use serde_json::json;

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec, COMMON};
use crate::inventory::{types, Path, Value};

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
        if let Some(id) = name.and_then(|name| b.child_id(&b.id, &format!("/securityRules/{name}")))
        {
            b.put(&rules.index(i).key("id"), id);
        }
    }
    if b.at(&rules).is_none() {
        b.put(&rules, json!([]));
    }
    // The six platform rules, one table for every reader (`inventory::nsg`),
    // with ids as far as the NSG's own is known.
    let defaults: Vec<Value> = crate::inventory::nsg::default_rules("")
        .into_iter()
        .map(|r| {
            let mut r = Value::from(r);
            let name = r["name"].as_str().unwrap_or_default().to_string();
            r["id"] = b
                .child_id(&b.id, &format!("/defaultSecurityRules/{name}"))
                .unwrap_or(Value::Null);
            r
        })
        .collect();
    b.put(
        &Path::parse("properties.defaultSecurityRules"),
        Value::Array(defaults),
    );
}

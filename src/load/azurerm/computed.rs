//! What the provider computes, per type: one table that the plan reader and
//! the source reader both apply, so a plan and its source give the same
//! document.
//!
//! - **Computed** attributes of managed resources (`id`, an identity's
//!   `principal_id`) are unknown until apply whenever the configuration does
//!   not set them: a source scan marks them so, as a plan does.
//! - **Optional+Computed** attributes of managed resources (an NSG's inline
//!   `security_rule`, which standalone rules fill) show as unknown in a plan
//!   when the configuration does not set them, although what the provider
//!   sends is empty: the plan reader completes them to empty, and folding
//!   adds the standalone children, as a GET shows them.
//! - A **data source** holds what it read. In a plan, a read deferred to
//!   apply has unknown attributes and a completed read has values. A source
//!   scan reads nothing, so every attribute the translation reads that the
//!   configuration does not set (every computed one) is unknown.

use crate::inventory::{Unknown, Value};
use crate::load::terraform::Mode;

/// Provider-computed attributes (besides `id`) of the managed types rules look at.
const COMPUTED: &[(&str, &[&str])] = &[
    (
        "azurerm_user_assigned_identity",
        &["client_id", "principal_id", "tenant_id"],
    ),
    ("azurerm_container_app", &["latest_revision_fqdn"]),
    (
        "azuread_application",
        &["client_id", "application_id", "object_id"],
    ),
    ("azuread_service_principal", &["object_id"]),
    ("azurerm_log_analytics_workspace", &["workspace_id"]),
    (
        "azurerm_container_app_environment",
        &["default_domain", "static_ip_address"],
    ),
    ("azurerm_linux_web_app", &["default_hostname"]),
    ("azurerm_windows_web_app", &["default_hostname"]),
    ("azurerm_linux_function_app", &["default_hostname"]),
    ("azurerm_windows_function_app", &["default_hostname"]),
    (
        "azurerm_function_app_flex_consumption",
        &["default_hostname"],
    ),
];

/// Optional+Computed attributes (`*` an element of a block list) whose value
/// is empty when the configuration does not set them: `{}` for maps (names
/// ending in `variables`, and `tags`), `""` for the strings of
/// [`EMPTY_STRINGS`], `[]` otherwise.
const OPTIONAL_COMPUTED: &[(&str, &str)] = &[
    // azapi reads tags back from ARM: none configured, none there.
    ("azapi_resource", "tags"),
    // Without it the provider sends `log-analytics` when a workspace is
    // given and nothing otherwise; the translation decides from the workspace.
    ("azurerm_container_app_environment", "logs_destination"),
    ("azurerm_network_security_group", "security_rule"),
    ("azurerm_virtual_network", "subnet"),
    (
        "azurerm_container_group",
        "container.*.environment_variables",
    ),
    (
        "azurerm_container_group",
        "container.*.secure_environment_variables",
    ),
    ("azurerm_container_group", "container.*.commands"),
    (
        "azurerm_container_group",
        "init_container.*.environment_variables",
    ),
    (
        "azurerm_container_group",
        "init_container.*.secure_environment_variables",
    ),
    ("azurerm_container_group", "init_container.*.commands"),
];

/// Optional+Computed strings, empty when unset.
const EMPTY_STRINGS: &[&str] = &["logs_destination"];

/// Marks what a source scan cannot know: a managed resource's computed
/// attributes, and every attribute of a data source that its configuration
/// does not set. `values` is the resource's evaluated configuration.
pub fn mark_source_unknowns(mode: Mode, tf_type: &str, values: &mut Value) {
    let Some(m) = values.as_object_mut() else {
        return;
    };
    let attrs: Vec<&str> = match mode {
        Mode::Managed => std::iter::once("id")
            .chain(
                COMPUTED
                    .iter()
                    .filter(|(t, _)| *t == tf_type)
                    .flat_map(|(_, a)| a.iter().copied()),
            )
            .collect(),
        Mode::Data => std::iter::once("id")
            .chain(super::attributes_read(tf_type))
            .collect(),
    };
    for a in attrs {
        if m.get(a).is_none_or(Value::is_null) {
            m.insert(a.to_string(), Unknown::computed());
        }
    }
}

/// Completes a managed resource's Optional+Computed attributes that a plan
/// shows as unknown although the configuration (`exprs`, the plan's
/// `configuration` expressions of the block) does not set them.
pub fn complete_unset(mode: Mode, tf_type: &str, values: &mut Value, exprs: &serde_json::Value) {
    if mode != Mode::Managed {
        return;
    }
    for (_, pattern) in OPTIONAL_COMPUTED.iter().filter(|(t, _)| *t == tf_type) {
        let segs: Vec<&str> = pattern.split('.').collect();
        complete_at(&segs, values, exprs);
    }
}

fn complete_at(segs: &[&str], values: &mut Value, exprs: &serde_json::Value) {
    match segs {
        [] => {}
        ["*", rest @ ..] => {
            // Only where the configuration lists the same number of blocks, so
            // element i of the plan is element i of the configuration.
            let (Some(e), Some(v)) = (exprs.as_array(), values.as_array_mut()) else {
                return;
            };
            if e.len() != v.len() {
                return;
            }
            for (v, e) in v.iter_mut().zip(e) {
                complete_at(rest, v, e);
            }
        }
        [attr, rest @ ..] => {
            let Some(e) = exprs.as_object() else { return };
            let Some(vm) = values.as_object_mut() else {
                return;
            };
            if rest.is_empty() {
                let unset = !e.contains_key(*attr);
                if unset && vm.get(*attr).is_some_and(Value::is_unknown) {
                    let empty = if attr.ends_with("variables") || *attr == "tags" {
                        Value::Object(Default::default())
                    } else if EMPTY_STRINGS.contains(attr) {
                        Value::String(String::new())
                    } else {
                        Value::Array(Vec::new())
                    };
                    vm.insert(attr.to_string(), empty);
                }
            } else if let (Some(v), Some(e)) = (vm.get_mut(*attr), e.get(*attr)) {
                complete_at(rest, v, e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn data_sources_read_nothing_in_source() {
        let mut v = Value::from(json!({"name": "snet", "resource_group_name": "rg",
            "virtual_network_name": "vnet"}));
        mark_source_unknowns(Mode::Data, "azurerm_subnet", &mut v);
        assert!(v["network_security_group_id"].is_unknown());
        assert!(v["id"].is_unknown());
        assert_eq!(v["name"], Value::from("snet"));
    }

    #[test]
    fn optional_computed_completes_only_managed_unset() {
        let unknown = || {
            let mut v = Value::from(json!({"name": "nsg"}));
            v["security_rule"] = Unknown::computed();
            v
        };
        let exprs = json!({"name": {"constant_value": "nsg"}});
        let mut managed = unknown();
        complete_unset(
            Mode::Managed,
            "azurerm_network_security_group",
            &mut managed,
            &exprs,
        );
        assert_eq!(managed["security_rule"], Value::Array(vec![]));
        let mut data = unknown();
        complete_unset(
            Mode::Data,
            "azurerm_network_security_group",
            &mut data,
            &exprs,
        );
        assert!(data["security_rule"].is_unknown());
        let set = json!({"security_rule": [{"name": {"constant_value": "x"}}]});
        let mut configured = unknown();
        complete_unset(
            Mode::Managed,
            "azurerm_network_security_group",
            &mut configured,
            &set,
        );
        assert!(configured["security_rule"].is_unknown());
    }
}

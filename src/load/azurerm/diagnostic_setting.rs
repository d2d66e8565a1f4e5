//! `azurerm_monitor_diagnostic_setting` → `Microsoft.Insights/diagnosticSettings`,
//! an extension resource of its target: `<target>/providers/Microsoft.Insights/diagnosticSettings/<name>`.

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec};
use crate::inventory::{types, Path, Value};

const LOG: &[Field] = &[
    plain("category", "category"),
    plain("category_group", "categoryGroup"),
];

const METRIC: &[Field] = &[plain("category", "category")];

const FIELDS: &[Field] = &[
    plain("name", "name"),
    f(
        "log_analytics_workspace_id",
        "properties.workspaceId",
        Conv::Id,
    ),
    plain(
        "log_analytics_destination_type",
        "properties.logAnalyticsDestinationType",
    ),
    f(
        "storage_account_id",
        "properties.storageAccountId",
        Conv::Id,
    ),
    f(
        "eventhub_authorization_rule_id",
        "properties.eventHubAuthorizationRuleId",
        Conv::Id,
    ),
    plain("eventhub_name", "properties.eventHubName"),
    f("enabled_log", "properties.logs", Conv::Blocks(LOG)),
    f("enabled_metric", "properties.metrics", Conv::Blocks(METRIC)),
    f("metric", "properties.metrics", Conv::Blocks(METRIC)),
];

pub const SPEC: Spec = Spec {
    tf_type: "azurerm_monitor_diagnostic_setting",
    arm_type: types::DIAGNOSTIC_SETTING,
    id: IdSpec::Custom(id),
    fields: &[FIELDS],
    finish: Some(finish),
};

fn id(b: &Builder<'_>) -> Option<Value> {
    let name = b.str("name")?;
    b.child_id(
        &b.id_of("target_resource_id")?,
        &format!("/providers/Microsoft.Insights/diagnosticSettings/{name}"),
    )
}

/// Every listed log category is enabled (azurerm lists only enabled ones).
/// The setting's target is in its id, as ARM has it.
fn finish(b: &mut Builder<'_>) {
    for key in ["logs", "metrics"] {
        let p = Path::root().key("properties").key(key);
        if let Some(Value::Array(items)) = b.doc.take(&p) {
            let items = items
                .into_iter()
                .map(|mut x| {
                    if x.is_object() {
                        x["enabled"] = Value::Bool(true);
                    }
                    x
                })
                .collect();
            b.put(&p, Value::Array(items));
        }
    }
}

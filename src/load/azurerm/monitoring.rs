//! The audit pipeline's resources: API Management loggers and diagnostics,
//! Event Hubs, scheduled query (log search) alerts and action groups.
//!
//! | Terraform | ARM |
//! |---|---|
//! | `azurerm_api_management_logger` | `Microsoft.ApiManagement/service/loggers` (`loggerType` `azureEventHub` with an `eventhub` block, `applicationInsights` with `application_insights`) |
//! | `azurerm_api_management_diagnostic` | `Microsoft.ApiManagement/service/diagnostics` (named by `identifier`) |
//! | `azurerm_eventhub_namespace`, `azurerm_eventhub` | `Microsoft.EventHub/namespaces`, `…/namespaces/eventhubs` |
//! | `azurerm_monitor_scheduled_query_rules_alert_v2` | `Microsoft.Insights/scheduledQueryRules` (`criteria.allOf[*]`, `actions.actionGroups`) |
//! | `azurerm_monitor_action_group` | `Microsoft.Insights/actionGroups` |

use serde_json::json;

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec, COMMON};
use crate::inventory::{types, Path};

const LOGGER_FIELDS: &[Field] = &[
    plain("name", "name"),
    plain("description", "properties.description"),
    plain("buffered", "properties.isBuffered"),
    f("resource_id", "properties.resourceId", Conv::Id),
    plain("eventhub.0.name", "properties.credentials.name"),
    f(
        "eventhub.0.connection_string",
        "properties.credentials.connectionString",
        Conv::Secret,
    ),
    plain(
        "eventhub.0.endpoint_uri",
        "properties.credentials.endpointAddress",
    ),
    plain(
        "eventhub.0.user_assigned_identity_client_id",
        "properties.credentials.identityClientId",
    ),
    f(
        "application_insights.0.connection_string",
        "properties.credentials.connectionString",
        Conv::Secret,
    ),
    f(
        "application_insights.0.instrumentation_key",
        "properties.credentials.instrumentationKey",
        Conv::Secret,
    ),
];

pub const LOGGER: Spec = Spec {
    tf_type: "azurerm_api_management_logger",
    arm_type: types::APIM_LOGGER,
    id: IdSpec::Group("Microsoft.ApiManagement/service/{api_management_name}/loggers/{name}"),
    fields: &[LOGGER_FIELDS],
    finish: Some(finish_logger),
};

/// The logger's type is which block it has.
fn finish_logger(b: &mut Builder<'_>) {
    let kind = if b.get("eventhub.0").is_some() {
        "azureEventHub"
    } else if b.get("application_insights.0").is_some() {
        "applicationInsights"
    } else {
        return;
    };
    b.put(&Path::parse("properties.loggerType"), json!(kind));
}

const DIAGNOSTIC_FIELDS: &[Field] = &[
    plain("identifier", "name"),
    f("api_management_logger_id", "properties.loggerId", Conv::Id),
    plain("sampling_percentage", "properties.sampling.percentage"),
    plain("verbosity", "properties.verbosity"),
];

pub const DIAGNOSTIC: Spec = Spec {
    tf_type: "azurerm_api_management_diagnostic",
    arm_type: types::APIM_DIAGNOSTIC,
    id: IdSpec::Group(
        "Microsoft.ApiManagement/service/{api_management_name}/diagnostics/{identifier}",
    ),
    fields: &[DIAGNOSTIC_FIELDS],
    finish: None,
};

const NAMESPACE_FIELDS: &[Field] = &[
    plain("sku", "sku.name"),
    plain("capacity", "sku.capacity"),
    f(
        "local_authentication_enabled",
        "properties.disableLocalAuth",
        Conv::Choice("false", "true", None),
    ),
];

pub const EVENTHUB_NAMESPACE: Spec = Spec {
    tf_type: "azurerm_eventhub_namespace",
    arm_type: types::EVENTHUB_NAMESPACE,
    id: IdSpec::Group("Microsoft.EventHub/namespaces/{name}"),
    fields: &[COMMON, NAMESPACE_FIELDS],
    finish: None,
};

const EVENTHUB_FIELDS: &[Field] = &[
    plain("name", "name"),
    plain("partition_count", "properties.partitionCount"),
    plain("message_retention", "properties.messageRetentionInDays"),
];

/// v4 `namespace_id`, v3 `namespace_name` + `resource_group_name`.
fn eventhub_id(b: &Builder<'_>) -> Option<crate::inventory::Value> {
    let name = b.str("name")?;
    if let Some(ns) = b.id_of("namespace_id") {
        return b.child_id(&ns, &format!("/eventhubs/{name}"));
    }
    let (ns, rg) = (b.str("namespace_name")?, b.str("resource_group_name")?);
    Some(b.subscription_id(&format!(
        "/resourceGroups/{rg}/providers/Microsoft.EventHub/namespaces/{ns}/eventhubs/{name}"
    )))
}

pub const EVENTHUB: Spec = Spec {
    tf_type: "azurerm_eventhub",
    arm_type: types::EVENTHUB,
    id: IdSpec::Custom(eventhub_id),
    fields: &[EVENTHUB_FIELDS],
    finish: None,
};

const CRITERION: &[Field] = &[
    plain("query", "query"),
    plain("time_aggregation_method", "timeAggregation"),
    plain("operator", "operator"),
    plain("threshold", "threshold"),
    plain("metric_measure_column", "metricMeasureColumn"),
];

const ALERT_FIELDS: &[Field] = &[
    plain("display_name", "properties.displayName"),
    plain("description", "properties.description"),
    f("enabled", "properties.enabled", Conv::DefaultBool(true)),
    f("scopes", "properties.scopes", Conv::Ids),
    plain("severity", "properties.severity"),
    plain("evaluation_frequency", "properties.evaluationFrequency"),
    plain("window_duration", "properties.windowSize"),
    f(
        "criteria",
        "properties.criteria.allOf",
        Conv::Blocks(CRITERION),
    ),
    f(
        "action.0.action_groups",
        "properties.actions.actionGroups",
        Conv::Ids,
    ),
    plain("auto_mitigation_enabled", "properties.autoMitigate"),
    plain("skip_query_validation", "properties.skipQueryValidation"),
];

pub const SCHEDULED_QUERY_ALERT: Spec = Spec {
    tf_type: "azurerm_monitor_scheduled_query_rules_alert_v2",
    arm_type: types::SCHEDULED_QUERY_RULE,
    id: IdSpec::Group("Microsoft.Insights/scheduledQueryRules/{name}"),
    fields: &[COMMON, ALERT_FIELDS],
    finish: Some(finish_alert),
};

/// ARM calls the v2 API's kind `LogAlert`.
fn finish_alert(b: &mut Builder<'_>) {
    b.put(&Path::parse("kind"), json!("LogAlert"));
}

const ACTION_GROUP_FIELDS: &[Field] = &[
    plain("short_name", "properties.groupShortName"),
    f("enabled", "properties.enabled", Conv::DefaultBool(true)),
];

pub const ACTION_GROUP: Spec = Spec {
    tf_type: "azurerm_monitor_action_group",
    arm_type: types::ACTION_GROUP,
    id: IdSpec::Group("Microsoft.Insights/actionGroups/{name}"),
    fields: &[COMMON, ACTION_GROUP_FIELDS],
    finish: None,
};

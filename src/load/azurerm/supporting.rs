//! What the hosts stand on: `azurerm_service_plan` →
//! `Microsoft.Web/serverfarms` and `azurerm_log_analytics_workspace` →
//! `Microsoft.OperationalInsights/workspaces`. No rule reads them yet; they
//! are translated so a site's plan and an environment's workspace are
//! resources like ARM's, not `terraform:` placeholders.

use serde_json::json;

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec, COMMON};
use crate::inventory::{Path, Value};

const PLAN: &[Field] = &[
    plain("sku_name", "sku.name"),
    plain("worker_count", "properties.numberOfWorkers"),
    plain("zone_balancing_enabled", "properties.zoneRedundant"),
];

pub const SERVICE_PLAN: Spec = Spec {
    tf_type: "azurerm_service_plan",
    arm_type: "Microsoft.Web/serverfarms",
    id: IdSpec::Group("Microsoft.Web/serverfarms/{name}"),
    fields: &[COMMON, PLAN],
    finish: Some(finish_plan),
};

/// `os_type` `Linux` is ARM's `reserved: true` (and `kind: linux`).
fn finish_plan(b: &mut Builder<'_>) {
    match b.get("os_type") {
        Some(Value::String(os)) => {
            let linux = os.eq_ignore_ascii_case("linux");
            b.put(&Path::parse("properties.reserved"), linux);
            b.put(
                &Path::parse("kind"),
                json!(if linux { "linux" } else { "app" }),
            );
        }
        Some(v) if v.is_unknown() => b.mark_unknown(Path::parse("properties.reserved")),
        _ => {}
    }
}

const WORKSPACE: &[Field] = &[
    plain("sku", "properties.sku.name"),
    plain("retention_in_days", "properties.retentionInDays"),
    plain("workspace_id", "properties.customerId"),
    f(
        "internet_ingestion_enabled",
        "properties.publicNetworkAccessForIngestion",
        Conv::Choice("Enabled", "Disabled", None),
    ),
    f(
        "internet_query_enabled",
        "properties.publicNetworkAccessForQuery",
        Conv::Choice("Enabled", "Disabled", None),
    ),
];

pub const WORKSPACE_SPEC: Spec = Spec {
    tf_type: "azurerm_log_analytics_workspace",
    arm_type: "Microsoft.OperationalInsights/workspaces",
    id: IdSpec::Group("Microsoft.OperationalInsights/workspaces/{name}"),
    fields: &[COMMON, WORKSPACE],
    finish: None,
};

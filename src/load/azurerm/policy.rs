//! `azurerm_policy_definition` → `Microsoft.Authorization/policyDefinitions` (reference §13)
//! and the subscription / resource group / management group policy assignments
//! → `Microsoft.Authorization/policyAssignments` (§14).

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec, IDENTITY};
use crate::inventory::{types, Value};

const DEFINITION_FIELDS: &[Field] = &[
    plain("name", "name"),
    plain("policy_type", "properties.policyType"),
    plain("mode", "properties.mode"),
    plain("display_name", "properties.displayName"),
    plain("description", "properties.description"),
    f("policy_rule", "properties.policyRule", Conv::Json),
    f("parameters", "properties.parameters", Conv::Json),
    f("metadata", "properties.metadata", Conv::Json),
];

/// Under the management group when one is named (v3+: its id; v2: its name), else the subscription.
fn definition_id(b: &Builder<'_>) -> Option<Value> {
    let name = b.str("name")?;
    let rest = format!("/providers/Microsoft.Authorization/policyDefinitions/{name}");
    Some(
        match b
            .str("management_group_id")
            .or_else(|| b.str("management_group_name"))
        {
            Some(mg) if mg.starts_with('/') => Value::String(format!("{mg}{rest}")),
            Some(mg) => Value::String(format!(
                "/providers/Microsoft.Management/managementGroups/{mg}{rest}"
            )),
            None => b.subscription_id(&rest),
        },
    )
}

pub const DEFINITION: Spec = Spec {
    tf_type: "azurerm_policy_definition",
    arm_type: types::POLICY_DEFINITION,
    id: IdSpec::Custom(definition_id),
    fields: &[DEFINITION_FIELDS],
    finish: None,
};

const NON_COMPLIANCE: &[Field] = &[
    plain("content", "message"),
    plain(
        "policy_definition_reference_id",
        "policyDefinitionReferenceId",
    ),
];

const ASSIGNMENT_FIELDS: &[Field] = &[
    plain("name", "name"),
    f("location", "location", Conv::Location),
    f(
        "policy_definition_id",
        "properties.policyDefinitionId",
        Conv::Id,
    ),
    f("parameters", "properties.parameters", Conv::Json),
    f(
        "enforce",
        "properties.enforcementMode",
        Conv::Choice("Default", "DoNotEnforce", Some(true)),
    ),
    f("not_scopes", "properties.notScopes", Conv::Plural),
    f(
        "non_compliance_message",
        "properties.nonComplianceMessages",
        Conv::Blocks(NON_COMPLIANCE),
    ),
    plain("display_name", "properties.displayName"),
    plain("description", "properties.description"),
    f("metadata", "properties.metadata", Conv::Json),
    plain("overrides", "properties.overrides"),
    plain("resource_selectors", "properties.resourceSelectors"),
];

/// `{scope}/providers/Microsoft.Authorization/policyAssignments/{name}`, for the scope attribute of each variant.
fn assignment_id(b: &Builder<'_>) -> Option<Value> {
    let scope = [
        "subscription_id",
        "resource_group_id",
        "management_group_id",
    ]
    .iter()
    .find_map(|a| b.id_of(a))?;
    b.child_id(
        &scope,
        &format!(
            "/providers/Microsoft.Authorization/policyAssignments/{}",
            b.str("name")?
        ),
    )
}

macro_rules! assignment {
    ($name:ident, $tf:literal, $scope:literal) => {
        pub const $name: Spec = Spec {
            tf_type: $tf,
            arm_type: types::POLICY_ASSIGNMENT,
            id: IdSpec::Custom(assignment_id),
            fields: &[
                ASSIGNMENT_FIELDS,
                IDENTITY,
                &[f($scope, "properties.scope", Conv::Id)],
            ],
            finish: None,
        };
    };
}

assignment!(
    SUBSCRIPTION_ASSIGNMENT,
    "azurerm_subscription_policy_assignment",
    "subscription_id"
);
assignment!(
    RESOURCE_GROUP_ASSIGNMENT,
    "azurerm_resource_group_policy_assignment",
    "resource_group_id"
);
assignment!(
    MANAGEMENT_GROUP_ASSIGNMENT,
    "azurerm_management_group_policy_assignment",
    "management_group_id"
);

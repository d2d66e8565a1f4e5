//! `azurerm_role_assignment` → `Microsoft.Authorization/roleAssignments` (reference §10).

use serde_json::json;

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec};
use crate::inventory::{types, Path, Value};

const FIELDS: &[Field] = &[
    plain("name", "name"),
    f("scope", "properties.scope", Conv::Id),
    f(
        "role_definition_id",
        "properties.roleDefinitionId",
        Conv::Id,
    ),
    f("principal_id", "properties.principalId", Conv::Principal),
    plain("principal_type", "properties.principalType"),
    plain("condition", "properties.condition"),
    plain("condition_version", "properties.conditionVersion"),
    f(
        "delegated_managed_identity_resource_id",
        "properties.delegatedManagedIdentityResourceId",
        Conv::Id,
    ),
    plain("description", "properties.description"),
];

/// Built-in role names → role definition GUIDs (the same in every tenant).
const BUILT_IN_ROLES: &[(&str, &str)] = &[
    ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
    ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
    ("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
    (
        "User Access Administrator",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    ),
    ("AcrPull", "7f951dda-4ed3-4680-a7ca-43fe172d538d"),
    ("AcrPush", "8311e382-0749-4cb8-b61a-304f252e45ec"),
    (
        "Key Vault Secrets User",
        "4633458b-17de-408a-b874-0445c86b69e6",
    ),
    (
        "Key Vault Secrets Officer",
        "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    ),
    (
        "Key Vault Administrator",
        "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    ),
    (
        "Storage Blob Data Reader",
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    ),
    (
        "Storage Blob Data Contributor",
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    ),
    (
        "Storage Blob Data Owner",
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    ),
    (
        "Managed Identity Operator",
        "f1a07417-d97a-45cb-824c-7a7467783830",
    ),
    (
        "Network Contributor",
        "4d97b98b-1d4f-4787-a291-c67834d212e7",
    ),
];

/// The built-in role definition GUID for a role name (case-insensitive).
pub fn built_in_role(name: &str) -> Option<&'static str> {
    BUILT_IN_ROLES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, g)| *g)
}

fn id(b: &Builder<'_>) -> Option<Value> {
    let scope = b.id_of("scope")?;
    b.child_id(
        &scope,
        &format!(
            "/providers/Microsoft.Authorization/roleAssignments/{}",
            b.str("name")?
        ),
    )
}

pub const SPEC: Spec = Spec {
    tf_type: "azurerm_role_assignment",
    arm_type: types::ROLE_ASSIGNMENT,
    id: IdSpec::Custom(id),
    fields: &[FIELDS],
    finish: Some(finish),
};

fn finish(b: &mut Builder<'_>) {
    let props = Path::parse("properties");
    let rd = props.key("roleDefinitionId");
    // A computed id (the configuration names the role) is resolved from the name.
    if b.at(&rd).is_none_or(Value::is_unknown) {
        if let Some(name) = b.str("role_definition_name") {
            match built_in_role(name) {
                Some(guid) => {
                    // The subscription of the scope, as the provider resolves it.
                    let rest = format!("/providers/Microsoft.Authorization/roleDefinitions/{guid}");
                    let sub = b
                        .at(&props.key("scope"))
                        .and_then(Value::as_str)
                        .and_then(|s| s.strip_prefix("/subscriptions/"))
                        .and_then(|s| s.split('/').next())
                        .filter(|s| !s.is_empty())
                        .map(str::to_string);
                    let id = match sub {
                        Some(sub) => Value::String(format!("/subscriptions/{sub}{rest}")),
                        None => b.subscription_id(&rest),
                    };
                    b.put(&rd, id);
                }
                None => b.mark_unknown(rd.clone()),
            }
        } else if b.is_unknown("role_definition_name") {
            b.mark_unknown(rd.clone());
        }
    }
    let pt = props.key("principalType");
    if b.at(&pt).is_none_or(Value::is_unknown)
        && b.get("skip_service_principal_aad_check") == Some(&Value::Bool(true))
    {
        b.put(&pt, json!("ServicePrincipal"));
    }
    let cv = props.key("conditionVersion");
    if b.at(&props.key("condition")).is_some() && b.at(&cv).is_none() {
        b.put(&cv, json!("2.0"));
    }
}

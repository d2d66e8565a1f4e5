//! Entra ID (the `azuread` provider) → the shapes of the Microsoft Graph
//! Bicep extension, whose ARM-like types mcpguard uses for Graph objects:
//!
//! | Terraform | model type | shape |
//! |---|---|---|
//! | `azuread_application` | `Microsoft.Graph/applications` | Graph's own: `displayName`, `appId`, `identifierUris`, `api.oauth2PermissionScopes[*]`, `appRoles[*]` at the top level, as Bicep writes them |
//! | `azuread_application_permission_scope` | `Microsoft.Graph/applications/oauth2PermissionScopes` | one scope, `properties.applicationId` naming its application |
//! | `azuread_application_app_role` | `Microsoft.Graph/applications/appRoles` | one role, likewise |
//! | `azuread_service_principal` | `Microsoft.Graph/servicePrincipals` | `appId`, `appRoleAssignmentRequired` |
//! | `azuread_conditional_access_policy` | `Microsoft.Graph/identity/conditionalAccess/policies` | Graph's `conditionalAccessPolicy` (`state`, `conditions`, `grantControls`); Graph has no Bicep type for it, so the type is its Graph URL path |
//!
//! The two standalone children are pseudo-types (Graph keeps scopes and roles
//! inside the application); [`crate::inventory::entra`] joins them to their
//! application. Graph object ids are not ARM ids: until apply they are
//! unknown, naming the resource, as for every computed id.

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec};
use crate::inventory::{types, Path, Unknown, Value};

const SCOPE: &[Field] = &[
    plain("id", "id"),
    plain("value", "value"),
    plain("type", "type"),
    f("enabled", "isEnabled", Conv::DefaultBool(true)),
    plain("admin_consent_display_name", "adminConsentDisplayName"),
];

const ROLE: &[Field] = &[
    plain("id", "id"),
    plain("value", "value"),
    f("allowed_member_types", "allowedMemberTypes", Conv::Plural),
    f("enabled", "isEnabled", Conv::DefaultBool(true)),
    plain("display_name", "displayName"),
];

const APPLICATION_FIELDS: &[Field] = &[
    plain("display_name", "name"),
    plain("display_name", "displayName"),
    f("identifier_uris", "identifierUris", Conv::Plural),
    plain("sign_in_audience", "signInAudience"),
    // v2 called the client id `application_id`.
    plain("application_id", "appId"),
    plain("client_id", "appId"),
    f(
        "api.0.oauth2_permission_scope",
        "api.oauth2PermissionScopes",
        Conv::Blocks(SCOPE),
    ),
    f("app_role", "appRoles", Conv::Blocks(ROLE)),
];

/// Graph ids are object ids, known only after apply.
fn graph_id(_: &Builder<'_>) -> Option<Value> {
    None
}

pub const APPLICATION: Spec = Spec {
    tf_type: "azuread_application",
    arm_type: types::GRAPH_APPLICATION,
    id: IdSpec::Custom(graph_id),
    fields: &[APPLICATION_FIELDS],
    finish: None,
};

const SCOPE_FIELDS: &[Field] = &[
    f("application_id", "properties.applicationId", Conv::Id),
    plain("scope_id", "properties.id"),
    plain("value", "properties.value"),
    plain("value", "name"),
    plain("type", "properties.type"),
    plain(
        "admin_consent_display_name",
        "properties.adminConsentDisplayName",
    ),
];

pub const PERMISSION_SCOPE: Spec = Spec {
    tf_type: "azuread_application_permission_scope",
    arm_type: types::GRAPH_SCOPE,
    id: IdSpec::Custom(graph_id),
    fields: &[SCOPE_FIELDS],
    finish: None,
};

const ROLE_FIELDS: &[Field] = &[
    f("application_id", "properties.applicationId", Conv::Id),
    plain("role_id", "properties.id"),
    plain("value", "properties.value"),
    plain("value", "name"),
    f(
        "allowed_member_types",
        "properties.allowedMemberTypes",
        Conv::Plural,
    ),
];

pub const APP_ROLE: Spec = Spec {
    tf_type: "azuread_application_app_role",
    arm_type: types::GRAPH_APP_ROLE,
    id: IdSpec::Custom(graph_id),
    fields: &[ROLE_FIELDS],
    finish: None,
};

const SP_FIELDS: &[Field] = &[
    f("client_id", "appId", Conv::Principal),
    f("application_id", "appId", Conv::Principal),
    plain("app_role_assignment_required", "appRoleAssignmentRequired"),
];

pub const SERVICE_PRINCIPAL: Spec = Spec {
    tf_type: "azuread_service_principal",
    arm_type: types::GRAPH_SERVICE_PRINCIPAL,
    id: IdSpec::Custom(graph_id),
    fields: &[SP_FIELDS],
    finish: None,
};

const CA_FIELDS: &[Field] = &[
    plain("display_name", "name"),
    plain("display_name", "displayName"),
    plain("state", "state"),
    f(
        "conditions.0.client_app_types",
        "conditions.clientAppTypes",
        Conv::Plural,
    ),
    plain(
        "conditions.0.users.0.included_users",
        "conditions.users.includeUsers",
    ),
    plain(
        "conditions.0.users.0.excluded_users",
        "conditions.users.excludeUsers",
    ),
    plain(
        "conditions.0.users.0.included_groups",
        "conditions.users.includeGroups",
    ),
    plain(
        "conditions.0.users.0.included_roles",
        "conditions.users.includeRoles",
    ),
    plain(
        "conditions.0.client_applications.0.included_service_principals",
        "conditions.clientApplications.includeServicePrincipals",
    ),
    // What narrows a policy to some sign-ins: it then blocks none for sure.
    plain(
        "conditions.0.locations.0.included_locations",
        "conditions.locations.includeLocations",
    ),
    plain(
        "conditions.0.locations.0.excluded_locations",
        "conditions.locations.excludeLocations",
    ),
    plain(
        "conditions.0.platforms.0.included_platforms",
        "conditions.platforms.includePlatforms",
    ),
    plain(
        "conditions.0.platforms.0.excluded_platforms",
        "conditions.platforms.excludePlatforms",
    ),
    plain(
        "conditions.0.devices.0.filter.0.rule",
        "conditions.devices.deviceFilter.rule",
    ),
    plain(
        "conditions.0.sign_in_risk_levels",
        "conditions.signInRiskLevels",
    ),
    plain("conditions.0.user_risk_levels", "conditions.userRiskLevels"),
    plain(
        "conditions.0.service_principal_risk_levels",
        "conditions.servicePrincipalRiskLevels",
    ),
    plain(
        "conditions.0.applications.0.included_user_actions",
        "conditions.applications.includeUserActions",
    ),
    plain(
        "grant_controls.0.built_in_controls",
        "grantControls.builtInControls",
    ),
    plain("grant_controls.0.operator", "grantControls.operator"),
];

pub const CONDITIONAL_ACCESS: Spec = Spec {
    tf_type: "azuread_conditional_access_policy",
    arm_type: types::CONDITIONAL_ACCESS,
    id: IdSpec::Custom(graph_id),
    fields: &[CA_FIELDS],
    finish: Some(finish_conditional_access),
};

/// The applications a policy includes or excludes are client ids, written as
/// references (`azuread_application.x.client_id`): an element not known
/// before apply names the application it is the client id of.
fn finish_conditional_access(b: &mut Builder<'_>) {
    for (tf, arm) in [
        (
            "conditions.0.applications.0.included_applications",
            "conditions.applications.includeApplications",
        ),
        (
            "conditions.0.applications.0.excluded_applications",
            "conditions.applications.excludeApplications",
        ),
    ] {
        let refs: Vec<String> = b
            .referenced_addresses(tf)
            .into_iter()
            .map(str::to_string)
            .collect();
        let v = match b.get(tf) {
            None => continue,
            Some(v)
                if v.is_unknown()
                    || v.as_array()
                        .is_some_and(|a| a.iter().any(Value::has_unknown)) =>
            {
                // Keep the known ids, and name each referenced application.
                let mut out: Vec<Value> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|x| x.is_string())
                    .cloned()
                    .collect();
                out.extend(refs.into_iter().map(Unknown::of));
                if out.is_empty() {
                    v.clone()
                } else {
                    Value::Array(out)
                }
            }
            Some(v) => v.clone(),
        };
        b.put(&Path::parse(arm), v);
    }
}
